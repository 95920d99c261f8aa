//! Multi-label tasks: each record's label field holds a set of labels. The text model fits
//! one independent binary logistic regression per label ("label k is in the record's set")
//! over the same tf-idf matrix, and a [`MultiLabelRule`] turns the labels' own probabilities
//! (sigmoids, not normalised) into a predicted set.

use std::collections::BTreeSet;

use crate::data::{Example, Gold, Split};
use crate::error::{Error, Result};
use crate::models::text::{rank_row, TextModel};
use crate::scoring::eval::{Examples, MultiOutcomes, Outcomes, TaskScore};
use crate::task::{Metric, TaskSpec};

use crate::models::Prediction;
use serde::{Deserialize, Serialize};

/// Each label's own probability, row-major `examples x labels`.
pub(super) fn probabilities(m: &TextModel, examples: &[Example]) -> Vec<f32> {
    let texts = crate::data::joined_texts(examples);
    let docs: Vec<&str> = texts.iter().map(|t| t.as_ref()).collect();
    m.clf.predict_proba_independent(&m.tfidf.transform(&docs))
}

/// Predictions from probabilities: the set `rule` picks, and at least `k` ranked labels.
fn decide(labels: &[String], rule: &MultiLabelRule, proba: &[f32], k: usize) -> Vec<Prediction> {
    proba
        .chunks(labels.len())
        .map(|row| {
            let all = rank_row(row, labels, row.len());
            let probs: Vec<f32> = all.iter().map(|x| x.1).collect();
            let size = rule.set_size(&probs);
            let mut ranked = all;
            ranked.truncate(size.max(k));
            Prediction::Set { ranked, size }
        })
        .collect()
}

/// Predicts every example: its label set and at least `k` ranked labels.
pub(super) fn predict(
    m: &TextModel,
    rule: &MultiLabelRule,
    examples: &[Example],
    k: usize,
) -> Vec<Prediction> {
    decide(&m.labels, rule, &probabilities(m, examples), k)
}

/// [`Pipeline::score`](super::Pipeline::score) of a multi-label task, whose model knows the
/// labels `known`.
pub(super) fn score_sets(
    task: &TaskSpec,
    known: &BTreeSet<String>,
    examples: &[Example],
    preds: &[Prediction],
) -> Result<(TaskScore, BTreeSet<String>)> {
    let mut unseen = BTreeSet::new();
    let mut out = MultiOutcomes::default();
    for (e, pred) in examples.iter().zip(preds) {
        let (Some(Gold::Labels(g)), Prediction::Set { ranked, .. }) = (&e.gold, pred) else {
            crate::error::bail!("line {}: no gold label set to score against", e.line);
        };
        unseen.extend(g.iter().filter(|l| !known.contains(*l)).cloned());
        let top: Vec<String> = ranked.iter().take(3).map(|x| x.0.clone()).collect();
        out.push(g, &pred.set(), &top);
    }
    let mut score = TaskScore::from_outcomes(task.clone(), Outcomes::Multi(out));
    score.examples = Examples {
        ids: examples.iter().map(Example::id_key).collect(),
        lines: examples.iter().map(|e| e.line).collect(),
        labels: Vec::new(),
    };
    Ok((score, unseen))
}

/// The thresholds `--tune-threshold` tries, in order; the first best one is kept, so the
/// default 0.5 wins ties.
pub const THRESHOLD_GRID: [f64; 9] = [0.5, 0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9];

/// A chosen threshold, its dev score, and every threshold tried with its dev micro-F1.
pub type ThresholdChoice = (f64, TaskScore, Vec<(f64, f64)>);

/// The threshold of [`THRESHOLD_GRID`] with the best dev micro-F1 for labels' probabilities
/// `proba` of the `dev` records (the first best wins), its dev score, and every threshold with
/// its dev micro-F1 (percent).
pub fn best_threshold(
    task: &TaskSpec,
    labels: &[String],
    rule: MultiLabelRule,
    proba: &[f32],
    dev: &Split,
) -> Result<ThresholdChoice> {
    let known: BTreeSet<String> = labels.iter().cloned().collect();
    let mut tried = Vec::new();
    let mut best: Option<(f64, TaskScore)> = None;
    for t in THRESHOLD_GRID {
        let r = MultiLabelRule {
            threshold: t,
            ..rule
        };
        let preds = decide(labels, &r, proba, 3);
        let (s, _) = score_sets(task, &known, &dev.examples, &preds)?;
        let f = s.outcomes.metric_on(Metric::MicroF1, None);
        tried.push((t, f));
        if best
            .as_ref()
            .is_none_or(|b| f > b.1.outcomes.metric_on(Metric::MicroF1, None))
        {
            best = Some((t, s));
        }
    }
    let (t, s) = best.expect("the grid is not empty");
    Ok((t, s, tried))
}

/// How a multi-label model turns its labels' probabilities into a predicted set: every label
/// with probability at least `threshold`, and, unless `allow_empty`, the most probable label
/// when none reaches it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MultiLabelRule {
    /// Labels with probability `>= threshold` are predicted; in (0, 1).
    pub threshold: f64,
    /// Whether a prediction may be the empty set.
    pub allow_empty: bool,
}

impl Default for MultiLabelRule {
    fn default() -> Self {
        MultiLabelRule {
            threshold: 0.5,
            allow_empty: false,
        }
    }
}

impl MultiLabelRule {
    /// Refuses a threshold outside (0, 1).
    pub fn check(&self) -> Result<()> {
        if !(self.threshold > 0.0 && self.threshold < 1.0) {
            return Err(Error::param(
                "threshold",
                format!(
                    "the multi-label threshold must be in (0, 1), got {}",
                    self.threshold
                ),
            ));
        }
        Ok(())
    }

    /// How many of the labels ranked by decreasing probability `ranked` are predicted.
    pub fn set_size(&self, ranked: &[f32]) -> usize {
        let n = ranked
            .iter()
            .take_while(|&&p| p as f64 >= self.threshold)
            .count();
        if n == 0 && !self.allow_empty && !ranked.is_empty() {
            1
        } else {
            n
        }
    }
}
