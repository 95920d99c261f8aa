//! A user-defined task: the TOML task file (or `train` flags) and the task it builds.

use super::spec::{multi_label_metrics, InputFields, Metric, TaskSpec};
use crate::error::{bail, Result};
use serde::{Deserialize, Serialize};

/// Refuses a task name that cannot name output files (`<name>.jsonl`, `<name>-<model>.rmb`):
/// empty, with a path separator, a control character (NUL included) or a leading `.`.
pub(crate) fn check_name(name: &str) -> Result<()> {
    if name.is_empty() {
        bail!("the task name must not be empty");
    }
    if name.contains(['/', '\\']) {
        bail!("task name `{name}` must not contain a path separator");
    }
    if let Some(c) = name.chars().find(|c| c.is_control()) {
        bail!(
            "task name {name:?} must not contain a control character (U+{:04X}): it names \
             output files",
            c as u32
        );
    }
    if name.starts_with('.') {
        bail!("task name `{name}` must not start with '.': it names output files");
    }
    Ok(())
}

/// The name of a task given by flags alone: the train file's stem (`notes_train.jsonl` ->
/// `notes_train`), or its folder's name when the stem only says "train" (`train`,
/// `train_v1`), so that two tasks in one folder, or two folders of `train.jsonl`, do not share
/// a name (and so a prediction file).
fn default_name(train: &std::path::Path) -> String {
    let stem = train
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !stem.is_empty() && !matches!(stem.to_lowercase().as_str(), "train" | "train_v1") {
        return stem;
    }
    std::path::absolute(train)
        .ok()
        .and_then(|p| {
            p.parent()
                .and_then(|d| d.file_name())
                .map(|s| s.to_string_lossy().into_owned())
        })
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "task".into())
}

/// A user-defined task as written in a TOML task file (or assembled from `train` flags).
/// Paths are relative to the task file's folder.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskFile {
    /// Task name; names the prediction file `<out>/<model>/<name>.jsonl`.
    pub name: Option<String>,
    /// Id field; records are numbered from 1 when absent.
    pub id_field: Option<String>,
    /// One text field (single-text task) or two (pair task).
    #[serde(default)]
    pub text_fields: Vec<String>,
    /// Label field of a classification task.
    pub label_field: Option<String>,
    /// Token-list field of a tagging task.
    pub tokens_field: Option<String>,
    /// Tag-list field of a tagging task.
    pub tags_field: Option<String>,
    /// Train file (JSONL, or CSV with a header, by extension).
    pub train: Option<std::path::PathBuf>,
    /// Dev file.
    pub dev: Option<std::path::PathBuf>,
    /// Test file.
    pub test: Option<std::path::PathBuf>,
    /// Multi-label task: every label field holds a set of labels (`--multi-label`); also
    /// inferred when train's labels are JSON lists.
    pub multi_label: Option<bool>,
    /// Multi-label: split string labels (CSV/TSV cells) at this separator
    /// (`--label-separator`); implies `multi_label`.
    pub label_separator: Option<String>,
    /// The field delimiter of the train, dev and test files, read as CSV-like whatever their
    /// extension (`--delimiter`): one character, or `\t`, `tab`, `comma`, `semicolon`.
    pub delimiter: Option<String>,
    /// The text encoding of the train, dev and test files (`--encoding`): `utf-8`, `cp1251`,
    /// or any WHATWG label; a byte-order mark decides first.
    pub encoding: Option<String>,
    /// The recipe keys the file sets (those of [`TextRecipe`](crate::recipe::TextRecipe) and
    /// [`CrfRecipe`](crate::recipe::CrfRecipe), at the file's top level), in their serde form;
    /// laid under the command line's flags by [`crate::recipe::layered`].
    #[serde(skip)]
    pub recipe: serde_json::Map<String, serde_json::Value>,
}

impl TaskFile {
    /// Reads a TOML task file; its relative paths are resolved against its folder. Keys named
    /// in `recipe_keys` (the recipes' keys, [`crate::recipe::all_keys`] for callers above the
    /// recipes) are kept aside in [`TaskFile::recipe`]; any other unknown key is refused.
    pub fn load(path: &std::path::Path, recipe_keys: &[String]) -> Result<Self> {
        // Capped before reading: a task file is a few lines of TOML, `/dev/zero` is not one.
        let text =
            crate::caps::read_capped_string(path, crate::caps::MAX_FILE_BYTES, "a task file")
                .map_err(|e| match e {
                    crate::error::Error::Io { source, .. } => {
                        crate::error::err!("cannot read task file {}: {source}", path.display())
                    }
                    other => other,
                })?;
        let mut tf = Self::parse(&text, recipe_keys)
            .map_err(|e| crate::error::err!("{}: {}", path.display(), e.to_string().trim_end()))?;
        if let Some(d) = &tf.delimiter {
            parse_delimiter(d)
                .map_err(|e| crate::error::err!("{}: delimiter: {e}", path.display()))?;
        }
        if let Some(e) = &tf.encoding {
            encoding_rs::Encoding::for_label(e.trim().as_bytes()).ok_or_else(|| {
                crate::error::err!(
                    "{}: encoding: unknown encoding {e:?} (e.g. utf-8, cp1251, koi8-r)",
                    path.display()
                )
            })?;
        }
        // The name names output files: refused here, before any data is read.
        if let Some(n) = &tf.name {
            check_name(n.trim()).map_err(|e| {
                let line = text
                    .lines()
                    .position(|l| l.trim_start().starts_with("name"))
                    .map_or(String::new(), |i| format!(":{}", i + 1));
                crate::error::err!("{}{line}: name: {e}", path.display())
            })?;
        }
        // Unnamed, a task is named after its task file.
        if tf.name.is_none() {
            tf.name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .filter(|s| !s.is_empty());
        }
        let base = path.parent().unwrap_or(std::path::Path::new("."));
        for p in [&mut tf.train, &mut tf.dev, &mut tf.test]
            .into_iter()
            .flatten()
        {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
        Ok(tf)
    }

    /// Parses a task file's text: the task's keys, and the recipe keys kept aside (checked
    /// when the recipe is built); any other key is refused with the list of known keys.
    fn parse(text: &str, recipe_keys: &[String]) -> Result<Self> {
        let mut table: toml::Table = toml::from_str(text).map_err(|e| crate::error::err!("{e}"))?;
        let task_keys: Vec<String> = match serde_json::to_value(TaskFile::default()) {
            Ok(serde_json::Value::Object(m)) => m.keys().cloned().collect(),
            _ => Vec::new(),
        };
        let line_of = |key: &str| {
            text.lines()
                .position(|l| {
                    l.trim_start()
                        .strip_prefix(key)
                        .is_some_and(|r| r.trim_start().starts_with('='))
                })
                .map_or(String::new(), |i| format!("line {}: ", i + 1))
        };
        let mut recipe = serde_json::Map::new();
        for key in table.keys().cloned().collect::<Vec<_>>() {
            if recipe_keys.contains(&key) {
                let v = table.remove(&key).unwrap_or(toml::Value::Boolean(false));
                let v = serde_json::to_value(v).map_err(|e| crate::error::err!("{key}: {e}"))?;
                recipe.insert(key, v);
            } else if !task_keys.contains(&key) {
                let mut known = task_keys.clone();
                known.extend(recipe_keys.iter().cloned());
                bail!(
                    "{}unknown key `{key}`; a task file knows {}",
                    line_of(&key),
                    known.join(", ")
                );
            }
        }
        let mut tf = TaskFile::deserialize(toml::Value::Table(table))
            .map_err(|e| crate::error::err!("{}", e.to_string().trim_end()))?;
        tf.recipe = recipe;
        Ok(tf)
    }

    /// Fills fields not set here from `other` (command-line flags override a task file).
    pub fn or(self, other: TaskFile) -> TaskFile {
        TaskFile {
            name: self.name.or(other.name),
            id_field: self.id_field.or(other.id_field),
            text_fields: if self.text_fields.is_empty() {
                other.text_fields
            } else {
                self.text_fields
            },
            label_field: self.label_field.or(other.label_field),
            tokens_field: self.tokens_field.or(other.tokens_field),
            tags_field: self.tags_field.or(other.tags_field),
            train: self.train.or(other.train),
            dev: self.dev.or(other.dev),
            test: self.test.or(other.test),
            delimiter: self.delimiter.or(other.delimiter),
            encoding: self.encoding.or(other.encoding),
            multi_label: self.multi_label.or(other.multi_label),
            label_separator: self.label_separator.or(other.label_separator),
            recipe: {
                let mut m = other.recipe;
                m.extend(self.recipe);
                m
            },
        }
    }

    /// Builds the task definition. Metrics are provisional (`Acc`, plus `Hit3` once train
    /// shows more than three classes: see [`TaskSpec::settle_metrics`]).
    pub fn spec(&self) -> Result<TaskSpec> {
        let train = self
            .train
            .as_ref()
            .ok_or_else(|| crate::error::err!("a new task needs a train file (--train FILE)"))?;
        let name = match &self.name {
            Some(n) if n.trim().is_empty() => bail!("the task name must not be empty"),
            Some(n) => n.trim().to_string(),
            None => default_name(train),
        };
        check_name(&name)?;
        let tagging = self.tokens_field.is_some() || self.tags_field.is_some();
        let (inputs, label_field, metrics) = if tagging {
            if !self.text_fields.is_empty() || self.label_field.is_some() {
                bail!("a tagging task takes --tokens-field and --tags-field, not --text-field/--label-field");
            }
            match (&self.tokens_field, &self.tags_field) {
                (Some(t), Some(g)) => (
                    InputFields::Tokens { tokens: t.clone() },
                    g.clone(),
                    vec![Metric::Acc, Metric::F1],
                ),
                _ => bail!("a tagging task needs both --tokens-field and --tags-field"),
            }
        } else {
            let label = self
                .label_field
                .clone()
                .ok_or_else(|| crate::error::err!("a classification task needs --label-field"))?;
            let inputs = match self.text_fields.as_slice() {
                [t] => InputFields::Single { text: t.clone() },
                [a, b] => InputFields::Pair {
                    first: a.clone(),
                    second: b.clone(),
                },
                [] => bail!(
                    "a classification task needs --text-field (once, or twice for a pair task)"
                ),
                more => bail!(
                    "--text-field was given {} times; a task takes one or two",
                    more.len()
                ),
            };
            (inputs, label, vec![Metric::Acc])
        };
        let (multi_label, label_separator) = self.multi_label_fields(tagging)?;
        let metrics = if multi_label {
            multi_label_metrics(false)
        } else {
            metrics
        };
        Ok(TaskSpec {
            alias: name.to_lowercase(),
            name,
            id_field: self.id_field.clone().unwrap_or_default(),
            inputs,
            label_field,
            metrics,
            label_order: None,
            top_k: 1,
            train_notice: None,
            multi_label,
            label_separator,
        })
    }

    /// Whether the task is declared multi-label (`multi_label = true`, or a label separator),
    /// and its separator; a tagging task cannot be, an empty separator is refused.
    fn multi_label_fields(&self, tagging: bool) -> Result<(bool, Option<String>)> {
        let sep = self.label_separator.clone();
        if sep.as_deref() == Some("") {
            bail!("--label-separator must not be empty");
        }
        if self.multi_label == Some(false) && sep.is_some() {
            bail!("--label-separator makes a task multi-label, but multi_label = false");
        }
        let multi = self.multi_label.unwrap_or(false) || sep.is_some();
        if multi && tagging {
            bail!("a tagging task cannot be multi-label (--multi-label/--label-separator)");
        }
        Ok((multi, sep))
    }
}

/// Parses a `--delimiter` value: one ASCII character other than a quote or a line break, or a
/// name: `\t` (the two characters), `tab`, `comma`, `semicolon`, `pipe`, `space`.
pub fn parse_delimiter(s: &str) -> std::result::Result<u8, String> {
    let named = match s {
        "\\t" | "tab" | "\t" => Some(b'\t'),
        "comma" => Some(b','),
        "semicolon" => Some(b';'),
        "pipe" => Some(b'|'),
        "space" => Some(b' '),
        _ => None,
    };
    if let Some(d) = named {
        return Ok(d);
    }
    match s.as_bytes() {
        [b] if b.is_ascii() && !matches!(b, b'"' | b'\n' | b'\r') => Ok(*b),
        _ => Err(format!(
            "expected one ASCII character (not a quote or line break) or one of \\t, tab, \
             comma, semicolon, pipe, space; got {s:?}"
        )),
    }
}

#[cfg(test)]
mod custom_tests {
    use super::*;
    use crate::task::TaskKind;

    #[test]
    fn unnamed_tasks_take_the_train_stem_or_folder_and_empty_names_are_refused() {
        use std::path::Path;
        assert_eq!(
            default_name(Path::new("d/notes_train.jsonl")),
            "notes_train"
        );
        assert_eq!(default_name(Path::new("x/cardio/train.jsonl")), "cardio");
        assert_eq!(default_name(Path::new("x/derm/train_v1.csv")), "derm");
        let tf = TaskFile {
            name: Some(" ".into()),
            train: Some("t.jsonl".into()),
            text_fields: vec!["text".into()],
            label_field: Some("label".into()),
            ..TaskFile::default()
        };
        let e = tf.spec().unwrap_err().to_string();
        assert!(e.contains("must not be empty"), "{e}");
    }

    #[test]
    fn task_file_builds_single_pair_and_tagging_specs() {
        let tf = TaskFile {
            name: Some("toy".into()),
            text_fields: vec!["a".into(), "b".into()],
            label_field: Some("y".into()),
            train: Some("x/train.jsonl".into()),
            ..Default::default()
        };
        let s = tf.spec().unwrap();
        assert_eq!(s.kind(), TaskKind::Pair);
        assert_eq!(s.id_field, "");
        let tf = TaskFile {
            tokens_field: Some("toks".into()),
            tags_field: Some("tags".into()),
            train: Some("x/train.jsonl".into()),
            name: Some("ner2".into()),
            ..Default::default()
        };
        assert_eq!(tf.spec().unwrap().metrics, vec![Metric::Acc, Metric::F1]);
    }

    #[test]
    fn incomplete_task_definitions_say_what_is_missing() {
        let base = TaskFile {
            train: Some("t.jsonl".into()),
            name: Some("t".into()),
            ..Default::default()
        };
        let e = base.clone().spec().unwrap_err().to_string();
        assert!(e.contains("--label-field"), "{e}");
        let e = TaskFile {
            label_field: Some("y".into()),
            ..base.clone()
        }
        .spec()
        .unwrap_err()
        .to_string();
        assert!(e.contains("--text-field"), "{e}");
        let e = TaskFile {
            tokens_field: Some("t".into()),
            ..base
        }
        .spec()
        .unwrap_err()
        .to_string();
        assert!(e.contains("--tags-field"), "{e}");
        assert!(TaskFile::default()
            .spec()
            .unwrap_err()
            .to_string()
            .contains("--train"));
    }

    #[test]
    fn unknown_keys_in_a_task_file_are_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.toml");
        std::fs::write(&p, "name = \"x\"\nlabel = \"y\"\n").unwrap();
        let e = TaskFile::load(&p, &[]).unwrap_err().to_string();
        assert!(e.contains("t.toml") && e.contains("label"), "{e}");
    }

    #[test]
    fn metrics_settle_on_class_count() {
        let mut s = TaskFile {
            text_fields: vec!["t".into()],
            label_field: Some("y".into()),
            train: Some("t.jsonl".into()),
            name: Some("n".into()),
            ..Default::default()
        }
        .spec()
        .unwrap();
        s.settle_metrics(3);
        assert_eq!(s.metrics, vec![Metric::Acc]);
        s.settle_metrics(4);
        assert_eq!((s.metrics.len(), s.top_k), (2, 3));
    }
}
