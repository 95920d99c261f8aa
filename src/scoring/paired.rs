//! Paired bootstrap of the label figures of a single-label classification task, which are not
//! sums of per-example counts: macro-F1 and one (positive) label's precision, recall and F1.
//! The same example ids are resampled for A and B (A's draws, B's aligned examples), from the
//! stream of each replicate and task that the other metrics use for their own draws, seeded
//! from the user's seed, so the result is deterministic.

use std::collections::HashMap;

use crate::rng::SplitMix64;
use crate::scoring::eval::TaskScore;
use crate::scoring::interval::{bootstrap_p, Difference, Interval};

/// A label figure: `macro_f1`, or the positive label's `precision`, `recall` or `f1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Figure {
    /// Unweighted mean of the F1 of the labels present in gold or prediction.
    MacroF1,
    /// The positive label's precision.
    Precision,
    /// The positive label's recall.
    Recall,
    /// The positive label's F1.
    F1,
}

impl Figure {
    /// The JSON key: `macro_f1`, `positive_precision`, `positive_recall`, `positive_f1`.
    pub fn key(self) -> &'static str {
        match self {
            Figure::MacroF1 => "macro_f1",
            Figure::Precision => "positive_precision",
            Figure::Recall => "positive_recall",
            Figure::F1 => "positive_f1",
        }
    }
}

/// Each example's (gold, top-1) as indices into one label table shared by A and B.
struct Coded {
    gold: Vec<u32>,
    pred: Vec<u32>,
    labels: usize,
}

fn code(pairs: &[(String, String)], table: &mut HashMap<String, u32>) -> (Vec<u32>, Vec<u32>) {
    let mut id = |l: &str| {
        let n = table.len() as u32;
        *table.entry(l.to_string()).or_insert(n)
    };
    pairs.iter().map(|(g, p)| (id(g), id(p))).unzip()
}

/// A figure, in percent, over the examples `idx` of `c` (all when `None`).
fn figure(c: &Coded, idx: Option<&[usize]>, f: Figure, positive: Option<u32>) -> f64 {
    // (true positives, predicted, gold) per label.
    let mut counts = vec![(0usize, 0usize, 0usize); c.labels];
    let mut add = |i: usize| {
        let (g, p) = (c.gold[i] as usize, c.pred[i] as usize);
        counts[g].2 += 1;
        counts[p].1 += 1;
        if g == p {
            counts[g].0 += 1;
        }
    };
    match idx {
        Some(ix) => ix.iter().for_each(|&i| add(i)),
        None => (0..c.gold.len()).for_each(&mut add),
    }
    let prf = |(tp, p, g): (usize, usize, usize)| {
        let pr = if p == 0 { 0.0 } else { tp as f64 / p as f64 };
        let re = if g == 0 { 0.0 } else { tp as f64 / g as f64 };
        let f1 = if pr + re == 0.0 {
            0.0
        } else {
            2.0 * pr * re / (pr + re)
        };
        (pr, re, f1)
    };
    let v = match (f, positive) {
        (Figure::MacroF1, _) => {
            let present: Vec<_> = counts.iter().filter(|c| c.1 + c.2 > 0).collect();
            if present.is_empty() {
                0.0
            } else {
                present.iter().map(|&&c| prf(c).2).sum::<f64>() / present.len() as f64
            }
        }
        (_, None) => 0.0,
        (Figure::Precision, Some(l)) => prf(counts[l as usize]).0,
        (Figure::Recall, Some(l)) => prf(counts[l as usize]).1,
        (Figure::F1, Some(l)) => prf(counts[l as usize]).2,
    };
    v * 100.0
}

/// The paired differences A − B of macro-F1 and, with `positive`, of that label's precision,
/// recall and F1, for a single-label classification task scored on both sides (`map[i]` is
/// B's index of A's example `i`). Empty when a side carries no labels (tagging, multi-label).
/// `key` is the task's stream key and `replicates` the number of resamples.
pub fn label_differences(
    (a, b, map): (&TaskScore, &TaskScore, &[usize]),
    positive: Option<&str>,
    (replicates, seed, key): (usize, u64, u64),
) -> Vec<(Figure, Difference)> {
    let n = a.examples.labels.len();
    if n == 0 || a.task.multi_label || b.examples.labels.len() != b.outcomes.len() {
        return Vec::new();
    }
    let mut table = HashMap::new();
    let (ga, pa) = code(&a.examples.labels, &mut table);
    let b_aligned: Vec<(String, String)> =
        map.iter().map(|&j| b.examples.labels[j].clone()).collect();
    let (gb, pb) = code(&b_aligned, &mut table);
    // A label neither side's gold nor prediction holds is not this task's.
    let pos = positive.and_then(|p| table.get(p).copied());
    let labels = table.len();
    let ca = Coded {
        gold: ga,
        pred: pa,
        labels,
    };
    let cb = Coded {
        gold: gb,
        pred: pb,
        labels,
    };
    let mut figures = vec![Figure::MacroF1];
    if pos.is_some() {
        figures.extend([Figure::Precision, Figure::Recall, Figure::F1]);
    }
    let mut diffs: Vec<Vec<f64>> = vec![Vec::with_capacity(replicates); figures.len()];
    let mut idx = Vec::with_capacity(n);
    for r in 0..replicates {
        // A stream of its own (the task key's complement), so these draws do not disturb
        // the other metrics' replicates.
        let mut rng = SplitMix64::stream(seed, r as u64, !key);
        idx.clear();
        idx.extend((0..n).map(|_| rng.below(n as u64) as usize));
        for (k, &f) in figures.iter().enumerate() {
            diffs[k].push(figure(&ca, Some(&idx), f, pos) - figure(&cb, Some(&idx), f, pos));
        }
    }
    figures
        .into_iter()
        .zip(diffs)
        .map(|(f, mut d)| {
            let (va, vb) = (figure(&ca, None, f, pos), figure(&cb, None, f, pos));
            let diff = va - vb;
            let p = bootstrap_p(diff, &d);
            let ci = Interval::percentile(&mut d);
            (
                f,
                Difference {
                    metric: None,
                    a: va,
                    b: vb,
                    diff,
                    ci,
                    p,
                },
            )
        })
        .collect()
}

/// One system's label figures: macro-F1 and, when `positive` is one of its labels, that
/// label's precision, recall and F1, each in percent with a 95% percentile bootstrap interval
/// when `replicates` is given (resampling the task's examples from the stream `!key`, as
/// [`label_differences`]). Empty for a score without labels (tagging, multi-label).
pub fn label_figures(
    a: &TaskScore,
    positive: Option<&str>,
    (replicates, seed, key): (Option<usize>, u64, u64),
) -> Vec<(Figure, f64, Option<Interval>)> {
    let n = a.examples.labels.len();
    if n == 0 || a.task.multi_label || n != a.outcomes.len() {
        return Vec::new();
    }
    let mut table = HashMap::new();
    let (gold, pred) = code(&a.examples.labels, &mut table);
    let pos = positive.and_then(|p| table.get(p).copied());
    let c = Coded {
        gold,
        pred,
        labels: table.len(),
    };
    let mut figures = vec![Figure::MacroF1];
    if pos.is_some() {
        figures.extend([Figure::Precision, Figure::Recall, Figure::F1]);
    }
    let mut reps: Vec<Vec<f64>> = vec![Vec::new(); figures.len()];
    let mut idx = Vec::with_capacity(n);
    for r in 0..replicates.unwrap_or(0) {
        let mut rng = SplitMix64::stream(seed, r as u64, !key);
        idx.clear();
        idx.extend((0..n).map(|_| rng.below(n as u64) as usize));
        for (k, &f) in figures.iter().enumerate() {
            reps[k].push(figure(&c, Some(&idx), f, pos));
        }
    }
    figures
        .into_iter()
        .zip(reps)
        .map(|(f, mut r)| {
            let ci = replicates.map(|_| Interval::percentile(&mut r));
            (f, figure(&c, None, f, pos), ci)
        })
        .collect()
}

/// The stream key of a task's label-figure draws (FNV-1a of its name, as the bootstrap's).
pub fn task_key(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// One figure's value and interval.
pub type FigureValue = (Figure, f64, Option<Interval>);

/// The label figures of each scored classification task: macro-F1 for a task outside the
/// benchmark (the paper's tasks keep its metrics), and the positive label's precision, recall
/// and F1 where the task has that label; with intervals when `replicates` is given.
pub fn task_label_figures(
    tasks: &[TaskScore],
    positive: Option<&str>,
    (replicates, seed): (Option<usize>, u64),
) -> Vec<(String, Vec<FigureValue>)> {
    tasks
        .iter()
        .filter_map(|t| {
            let key = task_key(&t.task.name);
            let mut f = label_figures(t, positive, (replicates, seed, key));
            if crate::task::builtin().iter().any(|b| b.name == t.task.name) {
                f.retain(|x| x.0 != Figure::MacroF1);
            }
            (!f.is_empty()).then(|| (t.task.name.clone(), f))
        })
        .collect()
}

/// Adds label figures to a task's JSON: `macro_f1` (and `macro_f1_ci95`) beside the metrics;
/// a positive label's `precision_ci95`, `recall_ci95`, `f1_ci95` inside its `positive` object.
pub fn insert_figures(t: &mut serde_json::Map<String, serde_json::Value>, f: &[FigureValue]) {
    use serde_json::json;
    for (fig, v, ci) in f {
        let (target, key) = match fig {
            Figure::MacroF1 => (&mut *t, "macro_f1"),
            Figure::Precision | Figure::Recall | Figure::F1 => {
                let key = fig.key().trim_start_matches("positive_");
                match t.get_mut("positive").and_then(|p| p.as_object_mut()) {
                    Some(p) => (p, key),
                    None => continue,
                }
            }
        };
        target.insert(key.into(), json!(v));
        if let Some(ci) = ci {
            target.insert(format!("{key}_ci95"), ci.to_json());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macro_and_positive_figures_match_hand_counts() {
        // gold/pred: a a | a b | b b | c a
        let pairs: Vec<(String, String)> = [("a", "a"), ("a", "b"), ("b", "b"), ("c", "a")]
            .iter()
            .map(|(g, p)| (g.to_string(), p.to_string()))
            .collect();
        let mut table = HashMap::new();
        let (gold, pred) = code(&pairs, &mut table);
        let c = Coded {
            gold,
            pred,
            labels: table.len(),
        };
        // a: tp 1, pred 2, gold 2 -> f1 0.5; b: tp 1, pred 2, gold 1 -> p .5 r 1 f1 2/3;
        // c: tp 0 -> 0. Macro = (0.5 + 2/3 + 0) / 3.
        let m = figure(&c, None, Figure::MacroF1, None);
        assert!((m - (0.5 + 2.0 / 3.0) / 3.0 * 100.0).abs() < 1e-9, "{m}");
        let b = Some(table["b"]);
        assert!((figure(&c, None, Figure::Precision, b) - 50.0).abs() < 1e-9);
        assert!((figure(&c, None, Figure::Recall, b) - 100.0).abs() < 1e-9);
        // Resampling example 2 (b, b) twice: b's precision is 100.
        assert!((figure(&c, Some(&[2, 2]), Figure::Precision, b) - 100.0).abs() < 1e-9);
    }
}
