//! A single-label binary task's decision threshold: the positive label is predicted when its
//! probability is at least the threshold (scikit-learn's `predict` is the threshold 0.5), so
//! a researcher can trade precision for recall. Kept in the model file next to the
//! multi-label rule and applied by every prediction (`predict`, `test`, Python).

use serde::{Deserialize, Serialize};

use crate::error::{bail, Result};
use crate::models::prediction::Prediction;

/// The positive label and its threshold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BinaryRule {
    /// The positive label.
    pub positive: String,
    /// Predict it when its probability is at least this, in (0, 1).
    pub threshold: f64,
}

/// Thresholds `--tune-threshold` tries on dev, 0.5 first so a tie keeps it.
pub const BINARY_GRID: [f64; 19] = [
    0.5, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85,
    0.9, 0.95,
];

impl BinaryRule {
    /// Checks the threshold and label (a model file's values are checked too).
    pub fn check(&self, labels: &[String]) -> Result<()> {
        if !(self.threshold > 0.0 && self.threshold < 1.0) {
            bail!("the threshold must be in (0, 1), got {}", self.threshold);
        }
        if labels.len() != 2 || !labels.contains(&self.positive) {
            bail!(
                "a threshold needs a binary task whose labels include the positive label {:?} \
                 (the model's labels: {})",
                self.positive,
                labels.join(", ")
            );
        }
        Ok(())
    }

    /// Reorders a binary ranking (both labels, with probabilities) by the threshold and keeps
    /// the first `k`.
    pub fn apply(&self, p: Prediction, k: usize) -> Prediction {
        match p {
            Prediction::Ranked(mut r) => {
                let pos = r.iter().position(|x| x.0 == self.positive);
                if let Some(i) = pos {
                    let positive_first = f64::from(r[i].1) >= self.threshold;
                    if positive_first != (i == 0) && r.len() >= 2 {
                        r.swap(0, 1);
                    }
                }
                r.truncate(k.max(1));
                Prediction::Ranked(r)
            }
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_positive_label_wins_at_or_above_the_threshold() {
        let rule = BinaryRule {
            positive: "да".into(),
            threshold: 0.3,
        };
        let ranked = |a: (&str, f32), b: (&str, f32)| {
            Prediction::Ranked(vec![(a.0.into(), a.1), (b.0.into(), b.1)])
        };
        let top = |p: Prediction| match p {
            Prediction::Ranked(r) => r[0].0.clone(),
            _ => unreachable!(),
        };
        assert_eq!(top(rule.apply(ranked(("нет", 0.7), ("да", 0.3)), 1)), "да");
        assert_eq!(
            top(rule.apply(ranked(("нет", 0.75), ("да", 0.25)), 1)),
            "нет"
        );
        assert_eq!(top(rule.apply(ranked(("да", 0.6), ("нет", 0.4)), 2)), "да");
        let high = BinaryRule {
            threshold: 0.9,
            ..rule.clone()
        };
        assert_eq!(top(high.apply(ranked(("да", 0.6), ("нет", 0.4)), 2)), "нет");
        assert!(rule.check(&["да".into(), "нет".into()]).is_ok());
        assert!(rule.check(&["a".into(), "b".into(), "да".into()]).is_err());
    }
}
