//! A binary task's decision threshold at training time: `train --positive-label LABEL` with
//! `--threshold T` or `--tune-threshold` (see [`crate::pipeline::BinaryRule`]).

use std::io::Write;

use anyhow::{Context, Result};
use serde_json::{json, Value};

use crate::data::Split;
use crate::pipeline::{self, Pipeline};

/// `--positive-label` with `--threshold` or `--tune-threshold`: sets a binary model's rule,
/// with the threshold given, or (when `dev` is given) the one chosen on dev by the positive label's F1 (the first best of
/// [`pipeline::BINARY_GRID`], so a tie keeps 0.5); returns the record's `binary` entry (null
/// without `--positive-label`).
pub(crate) fn settle_binary(
    (positive, threshold): (Option<&str>, f64),
    pipeline: &mut Pipeline,
    dev: Option<&Split>,
    log: &mut dyn Write,
) -> Result<Value> {
    let Some(positive) = positive else {
        return Ok(Value::Null);
    };
    let mut rule = pipeline::BinaryRule {
        positive: positive.to_string(),
        threshold,
    };
    pipeline
        .set_binary_rule(Some(rule.clone()))
        .with_context(|| format!("--positive-label {positive:?} on {}", pipeline.task().name))?;
    let mut tried = Value::Null;
    if let Some(dev) = dev {
        let mut grid = Vec::new();
        let mut best: Option<(f64, f64)> = None;
        for t in pipeline::BINARY_GRID {
            rule.threshold = t;
            pipeline.set_binary_rule(Some(rule.clone()))?;
            let preds = pipeline.predict(&dev.examples, 1)?;
            let (score, _) = pipeline.score(&dev.examples, &preds)?;
            let f1 = crate::scoring::per_label::per_label(&score)
                .and_then(|p| p.labels.iter().find(|x| x.0 == positive).map(|x| x.1.f1))
                .unwrap_or(0.0);
            grid.push((t, f1));
            if best.is_none_or(|b| f1 > b.1) {
                best = Some((t, f1));
            }
        }
        rule.threshold = best.map_or(0.5, |b| b.0);
        pipeline.set_binary_rule(Some(rule.clone()))?;
        grid.sort_by(|a, b| a.0.total_cmp(&b.0));
        writeln!(
            log,
            "note: {}: threshold {} chosen on dev ({positive} F1 {})",
            pipeline.task().name,
            rule.threshold,
            tried_list(&grid)
        )?;
        tried = grid
            .iter()
            .map(|(t, f)| json!({"threshold": t, "dev_positive_f1": f}))
            .collect();
    }
    Ok(json!({
        "positive_label": positive,
        "threshold": rule.threshold,
        "threshold_tuned_on_dev": tried,
    }))
}

/// `--tune-threshold`: sets the model's threshold from dev, noting what was tried on stderr;
/// returns the record's `multi_label` entry (null for a single-label task).
pub(crate) fn settle_threshold(
    tune_threshold: bool,
    pipeline: &mut Pipeline,
    dev: Option<&Split>,
    log: &mut dyn Write,
) -> Result<Value> {
    let Some(rule) = pipeline.multi_label else {
        return Ok(Value::Null);
    };
    let mut tried = Value::Null;
    if let (true, Some(dev)) = (tune_threshold, dev) {
        let grid = pipeline::tune_threshold(pipeline, dev)?;
        let chosen = pipeline.multi_label.map_or(rule.threshold, |r| r.threshold);
        writeln!(
            log,
            "note: {}: threshold {chosen} chosen on dev (micro-F1 {})",
            pipeline.task.name,
            tried_list(&grid)
        )?;
        tried = grid
            .iter()
            .map(|(t, f)| json!({"threshold": t, "dev_micro_f1": f}))
            .collect();
    }
    let r = pipeline.multi_label.unwrap_or(rule);
    Ok(json!({
        "threshold": r.threshold,
        "allow_empty": r.allow_empty,
        "threshold_tuned_on_dev": tried,
    }))
}

/// The thresholds tried on dev and their figures, as the note lists them: `0.5: 71.33, ...`.
fn tried_list(grid: &[(f64, f64)]) -> String {
    grid.iter()
        .map(|(t, f)| format!("{t}: {f:.2}"))
        .collect::<Vec<_>>()
        .join(", ")
}
