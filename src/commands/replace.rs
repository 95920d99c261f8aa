//! Nothing replaced silently: before `train` or `tune` replaces a prediction file, a run
//! record or a model file that already exists, it checks that the file was written for the
//! same task (name, task definition, model kind), with the same settings and the same data,
//! and otherwise refuses, naming both tasks, unless `--force`.
//!
//! What a file was written for comes from the run record beside the predictions
//! (`<Task>.run.json`, `<Task>.tune.json`: task, definition, hyperparameters, seed, data
//! digests) and from the model file's own first fields ([`Bundle::read_identity`]: task,
//! definition, hyperparameters, train-file digest). A prediction file with no run record
//! beside it cannot say which task wrote it, so it is refused too.
//!
//! Checks run twice: [`check`] without data before any data file is read (task, definition,
//! model kind, settings), and again with the digests of the bytes just read, before fitting
//! (the data, and whether the task is multi-label: labels that are JSON lists make it so). Keys present on one side only (a setting added by a newer version) are not
//! counted as differences. The metrics and the number of ranked labels of an own task are
//! settled from its train labels, so they are covered by the data digests instead.

use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use serde_json::Value;

use crate::bundle::{Bundle, FileDigest};
use crate::pipeline::ModelKind;
use crate::task::TaskSpec;

/// The files a run would write for one task.
#[derive(Debug, Clone)]
pub struct Targets {
    /// Test predictions, when the run writes them.
    pub predictions: Option<PathBuf>,
    /// The run record (`.run.json` or `.tune.json`).
    pub record: PathBuf,
    /// The model file.
    pub model: PathBuf,
}

/// What a run is: the task and how it is trained.
#[derive(Debug, Clone)]
pub struct Identity<'a> {
    /// The task definition.
    pub spec: &'a TaskSpec,
    /// The model family fitted.
    pub kind: ModelKind,
    /// The hyperparameters (`None` when a search chooses them, as in `tune`).
    pub hyperparameters: Option<Value>,
    /// The seed, when the model uses one.
    pub seed: Option<u64>,
    /// The train file as given.
    pub train: &'a Path,
}

/// What an existing file says it was written for.
struct Existing {
    file: PathBuf,
    task: String,
    spec: Option<Value>,
    kind: Option<String>,
    hyperparameters: Option<Value>,
    seed: Option<u64>,
    /// Digests of the data read, in the order train, dev, test (a model file: train only).
    digests: Vec<FileDigest>,
}

/// Refuses (unless `force`) when a file of `targets` exists from another task, other settings
/// or, when `digests` (train, dev, test, of the bytes read) are given, other data.
pub fn check(
    targets: &Targets,
    new: &Identity,
    digests: Option<&[FileDigest]>,
    force: bool,
) -> Result<()> {
    if force {
        return Ok(());
    }
    let mut existing = Vec::new();
    if targets.record.exists() {
        existing.push(from_record(&targets.record)?);
    } else if let Some(p) = targets.predictions.as_ref().filter(|p| p.exists()) {
        bail!(
            "refusing to replace {}: no run record ({}) says which task wrote it, and this run \
             is {}; move it away, choose another --out, or give --force to replace it",
            p.display(),
            targets.record.display(),
            describe_new(new)
        );
    }
    if targets.model.exists() {
        existing.push(from_model(&targets.model)?);
    }
    for old in &existing {
        let why = differences(old, new, digests);
        if !why.is_empty() {
            let files: Vec<String> = [targets.predictions.as_ref(), Some(&targets.model)]
                .into_iter()
                .flatten()
                .chain(std::iter::once(&targets.record))
                .filter(|p| p.exists())
                .map(|p| p.display().to_string())
                .collect();
            bail!(
                "refusing to replace {}: {} was written for {}, and this run is {} ({}); give \
                 this task another --name (or other --out/--models-dir), or --force to replace \
                 them",
                files.join(", "),
                old.file.display(),
                describe_old(old),
                describe_new(new),
                why.join("; ")
            );
        }
    }
    Ok(())
}

fn from_record(path: &Path) -> Result<Existing> {
    // The record is input like any other file: capped before it is read, and every field read
    // back below is checked for its type (never sliced or unwrapped).
    let text = crate::data::read_capped_string(path, crate::data::MAX_FILE_BYTES, "a run record");
    let v: Value = match text.and_then(|t| Ok(serde_json::from_str(&t)?)) {
        Ok(v) => v,
        Err(e) => bail!(
            "refusing to replace {}: it is not a readable run record ({e}), so which task wrote \
             the files beside it is unknown; move it away or give --force",
            path.display()
        ),
    };
    let digests = v
        .get("data_files")
        .and_then(|d| serde_json::from_value::<Vec<FileDigest>>(d.clone()).ok())
        .unwrap_or_default();
    Ok(Existing {
        file: path.to_path_buf(),
        task: v
            .get("task")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string(),
        spec: v.get("task_spec").cloned(),
        kind: None,
        hyperparameters: v.get("hyperparameters").cloned(),
        seed: v.get("seed").and_then(Value::as_u64),
        digests,
    })
}

fn from_model(path: &Path) -> Result<Existing> {
    let id = match Bundle::read_identity(path) {
        Ok(id) => id,
        Err(e) => bail!(
            "refusing to replace {}: which task it was trained for cannot be read ({e:#}); \
             move it away or give --force",
            path.display()
        ),
    };
    let mut hyper: Option<Value> = serde_json::from_str(&id.meta.hyperparameters).ok();
    let seed = hyper
        .as_mut()
        .and_then(Value::as_object_mut)
        .and_then(|h| h.remove("seed"))
        .and_then(|s| s.as_u64());
    Ok(Existing {
        file: path.to_path_buf(),
        task: id.task.name.clone(),
        spec: serde_json::to_value(&id.task).ok(),
        kind: Some(id.kind.name().to_string()),
        hyperparameters: hyper,
        seed,
        digests: id.meta.train_files,
    })
}

/// The task definition without what an own task settles from its train labels (and, before
/// they are read, without whether it is multi-label: JSON-list labels make it so).
fn definition(spec: &Value, labels_read: bool) -> Value {
    let mut s = spec.clone();
    if let Some(m) = s.as_object_mut() {
        m.remove("metrics");
        m.remove("top_k");
        if !labels_read {
            m.remove("multi_label");
        }
    }
    s
}

/// The settings without, before the labels are read, what follows from multi-labelness.
fn settings(hyper: &Value, labels_read: bool) -> Value {
    let mut h = hyper.clone();
    h.as_object_mut().map(|m| m.remove("seed"));
    if !labels_read {
        if let Some(c) = h.get_mut("classifier").and_then(Value::as_object_mut) {
            c.remove("type");
            c.remove("multi_label");
        }
    }
    h
}

fn differences(old: &Existing, new: &Identity, digests: Option<&[FileDigest]>) -> Vec<String> {
    let mut why = Vec::new();
    if old.task != new.spec.name {
        why.push(format!("task {} vs {}", old.task, new.spec.name));
    }
    let read = digests.is_some();
    if let (Some(o), Ok(n)) = (&old.spec, serde_json::to_value(new.spec)) {
        diff_json(
            "task definition",
            &definition(o, read),
            &definition(&n, read),
            &mut why,
        );
    }
    if let Some(k) = old.kind.as_deref().filter(|k| *k != new.kind.name()) {
        why.push(format!("model {k} vs {}", new.kind.name()));
    }
    if let (Some(o), Some(n)) = (&old.hyperparameters, &new.hyperparameters) {
        diff_json("settings", &settings(o, read), &settings(n, read), &mut why);
    }
    if let (Some(o), Some(n)) = (old.seed, new.seed) {
        if o != n {
            why.push(format!("seed {o} vs {n}"));
        }
    }
    if let Some(d) = digests {
        for (i, (o, n)) in old.digests.iter().zip(d).enumerate() {
            if o.sha256 != n.sha256 {
                let split = ["train", "dev", "test"].get(i).copied().unwrap_or("data");
                why.push(format!(
                    "{split} data {} (sha256 {}…) vs {} (sha256 {}…)",
                    o.path,
                    prefix(&o.sha256, 12),
                    n.path,
                    prefix(&n.sha256, 12)
                ));
            }
        }
    }
    why
}

/// The first `n` characters of `s` (characters, not bytes: a digest read back from a file may
/// hold anything).
fn prefix(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

/// Appends `what path: old vs new` for every leaf that differs; keys on one side only are
/// skipped (see the module comment).
fn diff_json(path: &str, old: &Value, new: &Value, why: &mut Vec<String>) {
    match (old, new) {
        (Value::Object(o), Value::Object(n)) => {
            for (k, ov) in o {
                if let Some(nv) = n.get(k) {
                    diff_json(&format!("{path} {k}"), ov, nv, why);
                }
            }
        }
        (Value::Number(o), Value::Number(n)) if o.as_f64() == n.as_f64() => {}
        _ if old != new => why.push(format!("{path}: {old} vs {new}")),
        _ => {}
    }
}

fn describe_old(old: &Existing) -> String {
    let trained_on = old
        .digests
        .first()
        .map_or(String::new(), |d| format!(" trained on {}", d.path));
    format!("task {}{trained_on}", old.task)
}

fn describe_new(new: &Identity) -> String {
    format!(
        "task {} ({} model) trained on {}",
        new.spec.name,
        new.kind.name(),
        new.train.display()
    )
}
