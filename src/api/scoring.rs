//! Scoring from code: the figures `rumedbench eval` prints, for a folder of prediction files
//! or for labels and tags in memory (percentages, upstream's `eval.py` semantics).

use std::path::Path;

use crate::error::{Error, Result};
use crate::scoring::bootstrap;
use crate::scoring::eval::{self, Outcomes, TaskScore};
use crate::scoring::metrics;
use crate::task::{InputFields, Metric};

/// Scores every `RuMed*.jsonl` prediction file in `dir` and returns exactly what
/// `rumedbench eval DIR --format json` prints: `{"tasks": {...}, "overall": x, "missing": [...]}`.
/// With `gold`, every prediction is matched by id to `gold/<Task>/test_v1.jsonl`.
pub fn evaluate(dir: &Path, gold: Option<&Path>) -> Result<serde_json::Value> {
    Ok(eval::score_dir(dir, gold)?.to_json())
}

/// [`evaluate`] with the tasks `task_files` define (scored where `dir` holds their
/// predictions; tasks with a run record beside their predictions need none) and, with
/// `replicates`, a 95% percentile bootstrap interval beside every figure (`"acc_ci95": [lo,
/// hi]`), as `rumedbench eval DIR --task-file F --bootstrap N --seed S --format json` prints.
/// `seed` defaults to the command line's.
pub fn evaluate_with(
    dir: &Path,
    gold: Option<&Path>,
    task_files: &[&Path],
    replicates: Option<usize>,
    seed: Option<u64>,
) -> Result<serde_json::Value> {
    let own = task_files
        .iter()
        .map(|p| crate::task::TaskFile::load(p, &crate::recipe::all_keys())?.spec())
        .collect::<Result<Vec<_>>>()?;
    if let Some(n) = replicates {
        check_replicates(n)?;
    }
    let report = eval::score_dir_with(dir, gold, &own)?;
    let seed = seed.unwrap_or(bootstrap::DEFAULT_SEED);
    let mut json = match replicates {
        None => report.to_json(),
        Some(n) => {
            bootstrap::json_with_intervals(&report, &bootstrap::bootstrap(&report.tasks, n, seed))
        }
    };
    // Macro-F1 of the tasks outside the benchmark, as `eval` adds it.
    for (name, f) in
        crate::scoring::paired::task_label_figures(&report.tasks, None, (replicates, seed))
    {
        if let Some(t) = json["tasks"].get_mut(&name).and_then(|t| t.as_object_mut()) {
            crate::scoring::paired::insert_figures(t, &f);
        }
    }
    Ok(json)
}

/// Two folders of prediction files compared with a paired bootstrap of `replicates`, as
/// `rumedbench compare A B --bootstrap N --seed S --format json` prints: per task and metric
/// A, B, A − B, its 95% interval and a two-sided p-value. `seed` defaults to the command
/// line's.
pub fn compare(
    dir_a: &Path,
    dir_b: &Path,
    replicates: usize,
    seed: Option<u64>,
) -> Result<serde_json::Value> {
    check_replicates(replicates)?;
    let seed = seed.unwrap_or(bootstrap::DEFAULT_SEED);
    Ok(bootstrap::compare(dir_a, dir_b, replicates, seed)?.to_json(dir_a, dir_b))
}

/// Most bootstrap replicates (as `--bootstrap` on the command line): every replicate's values
/// are kept for exact quantiles.
pub const MAX_REPLICATES: usize = 100_000;

fn check_replicates(n: usize) -> Result<()> {
    if n == 0 || n > MAX_REPLICATES {
        return Err(Error::param(
            "bootstrap",
            format!("replicates must be 1 to {MAX_REPLICATES}, got {n}"),
        ));
    }
    Ok(())
}

/// Accuracy and Hit@3 in percent of ranked label lists (best first) against gold labels, as
/// `eval` scores RuMedTop3 and RuMedSymptomRec: `[("acc", x), ("hit3", y)]`.
pub fn score_ranked<G: AsRef<str>, P: AsRef<str>>(
    gold: &[G],
    ranked: &[Vec<P>],
) -> Result<Vec<(&'static str, f64)>> {
    same_length(gold.len(), ranked.len(), "ranked predictions")?;
    let outcomes = gold
        .iter()
        .zip(ranked)
        .map(|(g, r)| {
            let r: Vec<String> = r.iter().map(|p| p.as_ref().to_string()).collect();
            metrics::class_outcome(g.as_ref(), &r)
        })
        .collect();
    values(
        Outcomes::Class(outcomes),
        vec![Metric::Acc, Metric::Hit3],
        false,
    )
}

/// Token accuracy and entity-level micro F1 in percent (seqeval 1.2.2's defaults, IOB2,
/// non-strict), as `eval` scores RuMedNER: `[("acc", x), ("f1", y)]`.
pub fn score_tags<G: AsRef<str>, P: AsRef<str>>(
    gold: &[Vec<G>],
    pred: &[Vec<P>],
) -> Result<Vec<(&'static str, f64)>> {
    same_length(gold.len(), pred.len(), "predicted tag sequences")?;
    let (mut golds, mut preds) = (
        Vec::with_capacity(gold.len()),
        Vec::with_capacity(gold.len()),
    );
    for (i, (g, p)) in gold.iter().zip(pred).enumerate() {
        if g.len() != p.len() {
            return Err(Error::Invalid(format!(
                "sentence {i}: {} gold tags but {} predicted tags",
                g.len(),
                p.len()
            )));
        }
        golds.push(own_g(g));
        preds.push(own_p(p));
    }
    // As seqeval scores a corpus (and `eval` does): tags outside B/I/O/E/S carry over.
    let counts = metrics::corpus_sentence_counts(&golds, &preds);
    values(
        Outcomes::Tagging(counts),
        vec![Metric::Acc, Metric::F1],
        true,
    )
}

fn own_g<G: AsRef<str>>(v: &[G]) -> Vec<String> {
    v.iter().map(|t| t.as_ref().to_string()).collect()
}

fn own_p<P: AsRef<str>>(v: &[P]) -> Vec<String> {
    v.iter().map(|t| t.as_ref().to_string()).collect()
}

fn same_length(gold: usize, pred: usize, what: &str) -> Result<()> {
    if gold != pred {
        return Err(Error::Invalid(format!(
            "{gold} gold values but {pred} {what}: give one prediction per example"
        )));
    }
    if gold == 0 {
        return Err(Error::Invalid("nothing to score: no examples".into()));
    }
    Ok(())
}

fn values(
    outcomes: Outcomes,
    metrics: Vec<Metric>,
    tagging: bool,
) -> Result<Vec<(&'static str, f64)>> {
    let inputs = if tagging {
        InputFields::Tokens {
            tokens: "tokens".into(),
        }
    } else {
        InputFields::Single {
            text: "text".into(),
        }
    };
    let label = if tagging { "tags" } else { "label" };
    let mut task = super::common::in_memory_task("scores", inputs, label, false)?;
    task.metrics = metrics;
    let score = TaskScore::from_outcomes(task, outcomes);
    Ok(score.values.iter().map(|(m, v)| (m.key(), *v)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranked_and_tag_scores_follow_eval() {
        let s = score_ranked(
            &["a", "b", "c"],
            &[vec!["a", "x"], vec!["x", "b"], vec!["x", "y", "z", "c"]],
        )
        .unwrap();
        assert_eq!((s[0].0, s[1].0), ("acc", "hit3"));
        // Hit@3 as eval.py's `gold in set(prediction)`: "c" fourth in the list is a hit.
        assert!((s[0].1 - 100.0 / 3.0).abs() < 1e-9 && (s[1].1 - 100.0).abs() < 1e-9);
        let gold = vec![vec!["B-Drug", "I-Drug", "O", "B-Sym"]];
        let pred = vec![vec!["B-Drug", "I-Drug", "O", "O"]];
        let s = score_tags(&gold, &pred).unwrap();
        // 3 of 4 tokens; entities: 1 of 1 predicted is right, 1 of 2 gold found: F1 = 2/3.
        assert_eq!(s[0], ("acc", 75.0));
        assert!((s[1].1 - 200.0 / 3.0).abs() < 1e-9, "{s:?}");
        let e = score_tags(&gold, &[vec!["O"]]).unwrap_err().to_string();
        assert!(e.contains("4 gold tags but 1 predicted"), "{e}");
        assert!(score_ranked::<&str, &str>(&[], &[]).is_err());
    }
}
