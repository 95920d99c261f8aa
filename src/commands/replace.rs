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

#[cfg(test)]
mod tests {
    //! No panic from anything read back: the replace guard, the run-record readers (this
    //! module's and `eval`'s) and the model-file identity reader are fed run records and model
    //! files whose every field holds arbitrary values (non-ASCII, empty, huge, control
    //! characters, wrong JSON types), from a seeded generator.

    use super::*;
    use crate::bundle::BundleMeta;
    use crate::data::{Example, Gold, Input, Split};
    use crate::rng::SplitMix64;
    use serde_json::{json, Map};

    /// Strings of every awkward sort; `pick` chooses the sort.
    fn string(r: &mut SplitMix64) -> String {
        const ODD: [&str; 12] = [
            "я",
            "ё",
            "😀",
            "\u{301}",
            "中",
            "é",
            "\u{feff}",
            "\u{200b}",
            "\0",
            "\u{7f}",
            "\n",
            "\u{10ffff}",
        ];
        let len = r.below(40) as usize;
        match r.below(9) {
            0 => String::new(),
            1 => (0..len)
                .map(|_| char::from(b'0' + r.below(75) as u8))
                .collect(),
            2 => (0..len).map(|_| ODD[r.below(12) as usize]).collect(),
            3 => (0..len).map(|_| char::from(r.below(32) as u8)).collect(),
            4 => "é".repeat(100_000 + r.below(10) as usize),
            // A digest with a multi-byte character across the 12-byte prefix shown in messages.
            5 => format!(
                "{}{}{}",
                "a".repeat(r.below(14) as usize),
                ODD[r.below(12) as usize],
                "0".repeat(60)
            ),
            6 => ["-0", "1e400", "NaN", "null", "{}", "[", "\"", "\\"][r.below(8) as usize]
                .to_string(),
            7 => hex::encode([r.next_u64() as u8; 32]),
            _ => (0..len)
                .map(|_| char::from_u32(r.below(0x11_0000) as u32).unwrap_or('?'))
                .collect(),
        }
    }

    /// Any JSON value, at most `depth` levels deep.
    fn value(r: &mut SplitMix64, depth: u32) -> Value {
        match r.below(if depth == 0 { 6 } else { 8 }) {
            0 => Value::Null,
            1 => Value::Bool(r.below(2) == 0),
            2 => json!(r.next_u64()),
            3 => json!(-(r.below(1 << 40) as i64)),
            4 => json!(f64::from_bits(r.next_u64()))
                .as_f64()
                .map_or(Value::Null, |f| json!(f)),
            5 => Value::String(string(r)),
            6 => Value::Array((0..r.below(4)).map(|_| value(r, depth - 1)).collect()),
            _ => Value::Object(
                (0..r.below(4))
                    .map(|_| (string(r), value(r, depth - 1)))
                    .collect(),
            ),
        }
    }

    /// `v` with a string leaf replaced by an arbitrary string one time in `rate`, and any leaf
    /// by an arbitrary value one time in `2 * rate`.
    fn mutate(r: &mut SplitMix64, v: &Value, rate: u64) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .map(|(k, v)| (k.clone(), mutate(r, v, rate)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(|v| mutate(r, v, rate)).collect()),
            Value::String(_) if r.below(rate) == 0 => Value::String(string(r)),
            _ if r.below(2 * rate) == 0 => value(r, 2),
            other => other.clone(),
        }
    }

    fn digest(r: &mut SplitMix64) -> FileDigest {
        FileDigest {
            path: string(r),
            sha256: string(r),
        }
    }

    /// A run record: each field the readers read (task, task_spec, hyperparameters, seed,
    /// data_files) either well formed with arbitrary strings or of an arbitrary type.
    fn run_record(r: &mut SplitMix64, spec: &TaskSpec) -> Value {
        let spec = serde_json::to_value(spec).unwrap();
        let mut m = Map::new();
        let mut field = |r: &mut SplitMix64, key: &str, good: Value| match r.below(5) {
            0 => {}
            1 => {
                m.insert(key.to_string(), value(r, 3));
            }
            _ => {
                m.insert(key.to_string(), good);
            }
        };
        let rate = [2, 8][r.below(2) as usize];
        let task = Value::String(string(r));
        field(r, "task", task);
        let mut s = mutate(r, &spec, rate);
        // Half the definitions name the task `own`, whose prediction file `eval` then scores.
        if r.below(2) == 0 {
            if let Some(m) = s.as_object_mut() {
                m.insert("name".into(), json!("own"));
            }
        }
        field(r, "task_spec", s);
        let h = mutate(
            r,
            &json!({"classifier": {"C": 10.0, "type": "x"}, "seed": 3}),
            rate,
        );
        field(r, "hyperparameters", h);
        let seed = value(r, 0);
        field(r, "seed", seed);
        let files: Vec<Value> = (0..r.below(4))
            .map(|_| serde_json::to_value(digest(r)).unwrap())
            .collect();
        let files = mutate(r, &Value::Array(files), rate);
        field(r, "data_files", files);
        Value::Object(m)
    }

    fn model_bundle(r: &mut SplitMix64) -> crate::bundle::Bundle {
        let t = crate::task::find("top3").unwrap();
        let examples = ["A", "B"]
            .iter()
            .enumerate()
            .map(|(i, l)| Example {
                id: (i as u64).into(),
                line: i + 1,
                input: Input::Text("x".into()),
                gold: Some(Gold::Label(l.to_string())),
            })
            .collect();
        let split = Split {
            path: "t.jsonl".into(),
            examples,
        };
        let mut p =
            crate::pipeline::fit(&t, ModelKind::Naive, &Default::default(), &split).unwrap();
        p.task.name = string(r);
        p.task.alias = string(r);
        p.task.id_field = string(r);
        p.task.label_field = string(r);
        p.task.inputs = match r.below(3) {
            0 => crate::task::InputFields::Single { text: string(r) },
            1 => crate::task::InputFields::Pair {
                first: string(r),
                second: string(r),
            },
            _ => crate::task::InputFields::Tokens { tokens: string(r) },
        };
        p.task.train_notice = Some(string(r));
        p.task.label_order = Some(vec![string(r), string(r)]);
        p.task.top_k = r.next_u64() as usize;
        let hyperparameters = if r.below(2) == 0 {
            string(r)
        } else {
            value(r, 3).to_string()
        };
        crate::bundle::Bundle {
            meta: BundleMeta {
                tool_version: string(r),
                hyperparameters,
                train_files: (0..r.below(3)).map(|_| digest(r)).collect(),
            },
            pipeline: p,
        }
    }

    #[test]
    fn arbitrary_run_records_and_model_headers_give_no_panic() {
        let dir = tempfile::tempdir().unwrap();
        let spec = crate::task::find("top3").unwrap();
        let new = Identity {
            spec: &spec,
            kind: ModelKind::Feature,
            hyperparameters: Some(json!({"classifier": {"C": 10.0, "type": "x"}, "seed": 3})),
            seed: Some(3),
            train: Path::new("train.jsonl"),
        };
        let ours = [
            FileDigest {
                path: "train.jsonl".into(),
                sha256: hex::encode([7u8; 32]),
            },
            FileDigest {
                path: "dev.jsonl".into(),
                sha256: format!("a{}", "é".repeat(20)),
            },
        ];
        let targets = Targets {
            predictions: Some(dir.path().join("RuMedTop3.jsonl")),
            record: dir.path().join("RuMedTop3.run.json"),
            model: dir.path().join("RuMedTop3.feature.rmb"),
        };
        let mut r = SplitMix64::new(23);
        let (mut refused, mut passed, mut scored) = (0usize, 0usize, 0usize);
        for case in 0..600 {
            // The prediction file of the task `own`, for tagging or classification.
            let own = if r.below(2) == 0 {
                "{\"idx\": 1, \"code\": \"A\", \"symptoms\": \"x\", \"prediction\": [\"A\", \"B\"]}\n\
                 {\"idx\": \"2\", \"code\": \"B\", \"symptoms\": \"y\", \"prediction\": [\"A\"]}\n"
            } else {
                "{\"idx\": 1, \"tokens\": [\"a\", \"b\"], \"ner_tags\": [\"B-X\", \"O\"], \"prediction\": [\"B-X\", \"O\"]}\n\
                 {\"idx\": 2, \"tokens\": [], \"ner_tags\": [], \"prediction\": []}\n"
            };
            std::fs::write(dir.path().join("own.jsonl"), own).unwrap();
            // One case in four is a faithful record of this very run (no model beside it), but
            // for its digests: it must pass until the digests are compared.
            let faithful = r.below(4) == 0;
            let record = if faithful {
                let mut files = serde_json::to_value(&ours).unwrap();
                files[0]["sha256"] = Value::String(string(&mut r));
                json!({"task": "RuMedTop3", "task_spec": spec, "seed": 3, "data_files": files,
                       "hyperparameters": {"classifier": {"C": 10.0, "type": "x"}}})
            } else {
                run_record(&mut r, &spec)
            };
            std::fs::write(&targets.record, record.to_string()).unwrap();
            let model = model_bundle(&mut r);
            let mut bytes = model.to_bytes().unwrap();
            // Now and then change header or payload bytes without re-signing: the identity
            // reader does not check the checksum.
            for _ in 0..r.below(3) {
                let at = r.below(bytes.len().min(400) as u64) as usize;
                bytes[at] = r.next_u64() as u8;
            }
            if r.below(8) == 0 {
                bytes.truncate(r.below(bytes.len() as u64) as usize);
            }
            if faithful {
                let _ = std::fs::remove_file(&targets.model);
            } else {
                std::fs::write(&targets.model, &bytes).unwrap();
            }
            let run = std::panic::catch_unwind(|| {
                let a = check(&targets, &new, None, false);
                let b = check(&targets, &new, Some(&ours), false);
                // `eval` reads the same record back (`task_spec`), and the model file is
                // loaded in full.
                let e = crate::scoring::eval::score_dir(dir.path(), None);
                let _ = crate::bundle::Bundle::load(&targets.model);
                (a.is_ok(), b.is_ok(), e.is_ok())
            });
            match run {
                Ok((a, b, e)) => {
                    refused += usize::from(!a) + usize::from(!b);
                    passed += usize::from(a) + usize::from(b);
                    scored += usize::from(e);
                }
                Err(_) => {
                    let text = record.to_string();
                    let shown: String = text.chars().take(2000).collect();
                    panic!("case {case} panicked on run record {shown}")
                }
            }
            // Any error is one message naming a file, never an empty one.
            if let Err(e) = check(&targets, &new, Some(&ours), false) {
                assert!(e.to_string().contains("refusing to replace"), "{e}");
            }
        }
        // The generator reaches both outcomes.
        assert!(
            refused > 100 && passed > 0 && scored > 0,
            "{refused} refused, {passed} passed, {scored} scored by eval"
        );
    }

    #[test]
    fn a_non_ascii_digest_is_shown_by_characters() {
        assert_eq!(prefix("aaaaaaaaaaaé000", 12), "aaaaaaaaaaaé");
        assert_eq!(prefix("ééé", 12), "ééé");
        assert_eq!(prefix("", 12), "");
    }
}
