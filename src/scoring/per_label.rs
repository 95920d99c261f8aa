//! Per-label precision, recall, F1 and support, with macro and micro averages.
//!
//! Classification counts the top-1 prediction against gold for each label; NER counts
//! entities of each type exactly as seqeval does (the per-type counts of
//! [`crate::scoring::metrics::SentenceCounts`]), so NER's micro F1 is the reported entity F1.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::scoring::eval::{Outcomes, TaskScore};
use crate::scoring::metrics::{self, SentenceCounts};

/// One label's figures, in percent, and its support (gold count).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LabelStats {
    /// True positives / predicted, 0 when nothing was predicted.
    pub precision: f64,
    /// True positives / gold, 0 when there is no gold.
    pub recall: f64,
    /// Harmonic mean of the two, 0 when both are 0.
    pub f1: f64,
    /// Gold count (examples, or entities for NER).
    pub support: usize,
}

impl LabelStats {
    fn from_counts(tp: usize, predicted: usize, gold: usize) -> Self {
        let (p, r, f) = metrics::prf(tp, predicted, gold);
        Self {
            precision: p * 100.0,
            recall: r * 100.0,
            f1: f * 100.0,
            support: gold,
        }
    }

    fn to_json(self) -> Value {
        json!({"precision": self.precision, "recall": self.recall, "f1": self.f1, "support": self.support})
    }
}

/// A task's per-label report.
#[derive(Debug, Clone, PartialEq)]
pub struct PerLabel {
    /// Every label seen in gold or prediction, sorted by name.
    pub labels: Vec<(String, LabelStats)>,
    /// Unweighted means of the labels' precision, recall and F1; support is the total.
    pub macro_avg: LabelStats,
    /// Precision, recall and F1 of the summed counts; support is the total.
    pub micro_avg: LabelStats,
    /// Means of the labels' precision, recall and F1 weighted by their support (scikit-learn's
    /// `average='weighted'`); support is the total.
    pub weighted_avg: LabelStats,
}

/// The per-label report of a scored task, or `None` for a classification score that does
/// not carry its labels (one built from outcomes alone).
pub fn per_label(score: &TaskScore) -> Option<PerLabel> {
    // (true positives, predicted, gold) per label.
    let mut counts: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    match &score.outcomes {
        Outcomes::Class(v) => {
            if score.examples.labels.len() != v.len() {
                return None;
            }
            for (gold, pred) in &score.examples.labels {
                counts.entry(gold.clone()).or_default().2 += 1;
                counts.entry(pred.clone()).or_default().1 += 1;
                if gold == pred {
                    counts.entry(gold.clone()).or_default().0 += 1;
                }
            }
        }
        Outcomes::Tagging(v) => {
            let mut total = SentenceCounts::default();
            v.iter().for_each(|c| total.add(c));
            counts = total.by_type;
        }
        Outcomes::Multi(m) => {
            // Each label's decisions over every example, as scikit-learn's
            // classification_report on binarized sets; labels never in gold nor in a
            // predicted set (only ranked) are left out.
            let c = metrics::label_counts(m.items.iter(), m.labels.len());
            for (l, &(tp, p, g)) in m.labels.iter().zip(&c) {
                if p + g > 0 {
                    counts.insert(l.clone(), (tp, p, g));
                }
            }
        }
    }
    let labels: Vec<(String, LabelStats)> = counts
        .iter()
        .map(|(k, &(tp, p, g))| (k.clone(), LabelStats::from_counts(tp, p, g)))
        .collect();
    let (tp, p, g) = counts
        .values()
        .fold((0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2));
    let n = labels.len().max(1) as f64;
    let sum = |f: fn(&LabelStats) -> f64| labels.iter().map(|l| f(&l.1)).sum::<f64>() / n;
    let total = g.max(1) as f64;
    let weighted = |f: fn(&LabelStats) -> f64| {
        labels
            .iter()
            .map(|l| f(&l.1) * l.1.support as f64)
            .sum::<f64>()
            / total
    };
    Some(PerLabel {
        weighted_avg: LabelStats {
            precision: weighted(|l| l.precision),
            recall: weighted(|l| l.recall),
            f1: weighted(|l| l.f1),
            support: g,
        },
        macro_avg: LabelStats {
            precision: sum(|l| l.precision),
            recall: sum(|l| l.recall),
            f1: sum(|l| l.f1),
            support: g,
        },
        micro_avg: LabelStats::from_counts(tp, p, g),
        labels,
    })
}

impl PerLabel {
    /// `{"M54": {"precision", "recall", "f1", "support"}, ..., "macro avg": {...},
    /// "micro avg": {...}}`.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        for (k, s) in &self.labels {
            m.insert(k.clone(), s.to_json());
        }
        m.insert("macro avg".into(), self.macro_avg.to_json());
        m.insert("micro avg".into(), self.micro_avg.to_json());
        m.insert("weighted avg".into(), self.weighted_avg.to_json());
        Value::Object(m)
    }

    /// A compact Markdown table headed by the task name.
    pub fn render_table(&self, task: &str) -> String {
        let mut s = format!(
            "\n{task} per label (%; support = gold count)\n\n| label | precision | recall | f1 | support |\n|---|---|---|---|---|\n"
        );
        let row = |name: &str, l: &LabelStats| {
            format!(
                "| {name} | {:.2} | {:.2} | {:.2} | {} |\n",
                l.precision, l.recall, l.f1, l.support
            )
        };
        for (k, l) in &self.labels {
            s.push_str(&row(k, l));
        }
        s.push_str(&row("macro avg", &self.macro_avg));
        s.push_str(&row("micro avg", &self.micro_avg));
        s.push_str(&row("weighted avg", &self.weighted_avg));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::eval::Examples;
    use crate::scoring::metrics::{class_outcome, sentence_counts};
    use crate::task::{self, Metric};

    fn v(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn classification_counts_top1_per_label() {
        // gold/pred: a/a, a/b, b/b, c/b  -> a: P 1/1 R 1/2; b: P 1/3 R 1/1; c: P 0 (0/0) R 0/1.
        let pairs = [("a", "a"), ("a", "b"), ("b", "b"), ("c", "b")];
        let outcomes = pairs.iter().map(|(g, p)| class_outcome(g, &v(p))).collect();
        let mut s = TaskScore::from_outcomes(task::find("nli").unwrap(), Outcomes::Class(outcomes));
        assert_eq!(per_label(&s), None, "no labels kept");
        s.examples = Examples {
            ids: vec![],
            lines: vec![],
            labels: pairs
                .iter()
                .map(|(g, p)| (g.to_string(), p.to_string()))
                .collect(),
        };
        let r = per_label(&s).unwrap();
        let names: Vec<&str> = r.labels.iter().map(|l| l.0.as_str()).collect();
        assert_eq!(names, ["a", "b", "c"]);
        let a = r.labels[0].1;
        assert_eq!((a.precision, a.recall, a.support), (100.0, 50.0, 2));
        let b = r.labels[1].1;
        assert!((b.precision - 100.0 / 3.0).abs() < 1e-9 && b.recall == 100.0);
        assert_eq!(r.labels[2].1.f1, 0.0);
        assert_eq!(r.labels[2].1.precision, 0.0);
        // Micro P = R = F1 = accuracy for single-label classification.
        assert_eq!(r.micro_avg.f1, s.get(Metric::Acc).unwrap());
        assert_eq!(r.micro_avg.support, 4);
        let macro_f1 = (2.0 / 3.0 + 0.5 + 0.0) / 3.0 * 100.0;
        assert!((r.macro_avg.f1 - macro_f1).abs() < 1e-9);
        let j = r.to_json();
        assert_eq!(j["a"]["support"], 2);
        assert!(j["macro avg"]["f1"].is_f64() && j["micro avg"]["recall"].is_f64());
    }

    #[test]
    fn ner_micro_average_is_the_entity_f1() {
        let s = TaskScore::from_outcomes(
            task::find("ner").unwrap(),
            Outcomes::Tagging(vec![
                sentence_counts(&v("B-ADR I-ADR O B-DI"), &v("B-ADR I-ADR O O")),
                sentence_counts(&v("B-DI O"), &v("B-DI O")),
                sentence_counts(&v("O O"), &v("B-Drug O")),
            ]),
        );
        let r = per_label(&s).unwrap();
        let names: Vec<&str> = r.labels.iter().map(|l| l.0.as_str()).collect();
        assert_eq!(names, ["ADR", "DI", "Drug"]);
        assert_eq!(r.labels[1].1.support, 2);
        assert_eq!(r.labels[1].1.recall, 50.0);
        assert_eq!(r.labels[2].1.support, 0);
        assert!((r.micro_avg.f1 - s.get(Metric::F1).unwrap()).abs() < 1e-9);
    }
}
