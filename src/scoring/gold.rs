//! Gold labels for scoring: a data split's labels keyed by id (`eval --gold`), and the label a
//! prediction record carries itself, with its kind (a string or a number, as `eval.py` reads
//! any JSON value).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use serde_json::Value;

use crate::data::{self, Gold, Labels, RecordReader};
use crate::task::{TaskKind, TaskSpec};

/// Gold labels from a data split, keyed by id, for checking prediction files.
pub(super) struct GoldSplit {
    pub(super) path: PathBuf,
    pub(super) labels: HashMap<String, Gold>,
    pub(super) order: Vec<String>,
}

pub(super) fn load_gold(task: &TaskSpec, gold_dir: &Path) -> Result<GoldSplit> {
    let path = data::split_path(gold_dir, task, data::SplitName::Test)?;
    let split = data::load_split(task, &path, Labels::Required)?;
    let mut labels = HashMap::new();
    let mut order = Vec::new();
    for ex in split.examples {
        let key = ex.id_key();
        if labels.contains_key(&key) {
            return Err(Error::input(
                &path,
                ex.line,
                Some(&task.id_field),
                format!("duplicate id {key:?}"),
            ));
        }
        order.push(key.clone());
        labels.insert(key, ex.gold.expect("labels required"));
    }
    Ok(GoldSplit {
        path,
        labels,
        order,
    })
}

impl GoldSplit {
    /// The gold label of the prediction record `rec` with id `id`; an id the split lacks is an
    /// error at the record.
    pub(super) fn label(&self, rec: &RecordReader, task: &TaskSpec, id: &str) -> Result<Gold> {
        match self.labels.get(id) {
            Some(l) => Ok(l.clone()),
            None => Err(rec.err(
                &task.id_field,
                format!("id {id:?} is not in the gold split {}", self.path.display()),
            )),
        }
    }

    /// Fails, naming the prediction file, when some id of the split has no prediction.
    pub(super) fn check_all_predicted(
        &self,
        seen: &HashSet<String>,
        task: &TaskSpec,
        path: &Path,
    ) -> Result<()> {
        let missing: Vec<&String> = self.order.iter().filter(|id| !seen.contains(*id)).collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(Error::input(
            path,
            None,
            Some(&task.id_field),
            format!(
                "{} id(s) of the gold split {} have no prediction, first {:?}",
                missing.len(),
                self.path.display(),
                missing[0]
            ),
        ))
    }
}

/// The gold label a prediction record carries itself (as `eval.py` reads it): a single label
/// may be a string or, as `eval.py` takes any JSON value, a number.
pub(super) fn own_gold(rec: &RecordReader, task: &TaskSpec) -> Result<(Gold, Option<LabelKind>)> {
    Ok(match task.kind() {
        TaskKind::Tokens => (Gold::Tags(rec.strings(&task.label_field)?), None),
        _ if task.multi_label => (Gold::Labels(rec.label_set(&task.label_field, None)?), None),
        _ => {
            let v = rec.value(&task.label_field)?;
            let (text, kind) = label_value(v).ok_or_else(|| {
                rec.err(
                    &task.label_field,
                    format!(
                        "expected a label (string or number), found {}",
                        json_type(v)
                    ),
                )
            })?;
            (Gold::Label(text), Some(kind))
        }
    })
}

/// Whether a single label was a JSON string or a number: `eval.py` compares them as Python
/// does (a string never equals a number), and scikit-learn's `accuracy_score` refuses a file
/// that mixes the two among its gold and top-1 labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LabelKind {
    String,
    Number,
}

impl LabelKind {
    pub(super) fn name(self) -> &'static str {
        match self {
            LabelKind::String => "a string",
            LabelKind::Number => "a number",
        }
    }
}

/// A label's text and kind: a string as it is, a number as its value (`3` and `3.0` are one
/// label, as Python compares them; integers up to 2^53 exactly); anything else is no label.
pub(super) fn label_value(v: &Value) -> Option<(String, LabelKind)> {
    match v {
        Value::String(s) => Some((s.clone(), LabelKind::String)),
        Value::Number(n) => {
            let text = match (n.as_i64(), n.as_u64(), n.as_f64()) {
                (Some(i), _, _) => i.to_string(),
                (_, Some(u), _) => u.to_string(),
                (_, _, Some(f)) if f.fract() == 0.0 && f.abs() < 9.0e15 => (f as i64).to_string(),
                (_, _, Some(f)) => f.to_string(),
                _ => n.to_string(),
            };
            Some((text, LabelKind::Number))
        }
        _ => None,
    }
}

pub(super) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
