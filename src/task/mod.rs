//! The task registry: everything task-specific about the five RuMedBench tasks lives here.
//!
//! A [`TaskSpec`] says where a task's files are, which JSON fields hold the id, the input(s) and
//! the label, what kind of input it is and which metrics score it. The built-in tasks are plain
//! entries of the same type a user-defined task (loaded from a TOML task file) produces, so the
//! rest of the crate never matches on a task name.

use crate::error::{bail, Result};
use serde::{Deserialize, Serialize};

/// What a model reads from one record. (Externally tagged, the serde default, because the
/// model file's postcard encoding cannot read internally tagged enums.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputFields {
    /// One text field.
    Single {
        /// Field holding the text.
        text: String,
    },
    /// Two text fields, joined with one space before vectorising (as upstream does).
    Pair {
        /// First text field.
        first: String,
        /// Second text field.
        second: String,
    },
    /// A list of tokens, labelled one tag per token.
    Tokens {
        /// Field holding the token list.
        tokens: String,
    },
}

/// The kind of a task, derived from its inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// Single-text classification.
    Single,
    /// Text-pair classification.
    Pair,
    /// Sequence tagging (IOB2).
    Tokens,
}

/// A metric reported for a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// Top-1 accuracy (classification) or token accuracy (tagging).
    Acc,
    /// Whether the gold label is among the three best-ranked labels.
    Hit3,
    /// Entity-level micro F1 with seqeval 1.2.2's default semantics.
    F1,
    /// Multi-label: F1 of the (label, example) decisions summed over all labels
    /// (scikit-learn's `f1_score(average='micro')` on binarized label sets).
    MicroF1,
    /// Multi-label: the unweighted mean over labels of each label's F1 (`average='macro'`),
    /// over the labels seen in gold or prediction.
    MacroF1,
    /// Multi-label: the share of examples whose predicted set equals the gold set exactly
    /// (`accuracy_score` on binarized sets).
    SubsetAcc,
    /// Multi-label: the share of examples whose most probable label is in the gold set.
    P1,
    /// Multi-label: of the three most probable labels, the share in the gold set, averaged
    /// over examples (`|top3 ∩ gold| / 3`).
    P3,
}

impl Metric {
    /// The key used in JSON output (`acc`, `hit3`, `f1`).
    pub fn key(self) -> &'static str {
        match self {
            Metric::Acc => "acc",
            Metric::Hit3 => "hit3",
            Metric::F1 => "f1",
            Metric::MicroF1 => "micro_f1",
            Metric::MacroF1 => "macro_f1",
            Metric::SubsetAcc => "subset_acc",
            Metric::P1 => "p_at_1",
            Metric::P3 => "p_at_3",
        }
    }
}

/// Everything the tool knows about one task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskSpec {
    /// Canonical name, also the prediction file stem (`RuMedTop3`).
    pub name: String,
    /// Short alias accepted on the command line (`top3`).
    pub alias: String,
    /// Field holding the record id (`idx`, `pairID`).
    pub id_field: String,
    /// Input field(s).
    pub inputs: InputFields,
    /// Field holding the gold label (a string, or a tag list for tagging tasks).
    pub label_field: String,
    /// Metrics in report order.
    pub metrics: Vec<Metric>,
    /// A fixed class order, as upstream's `l2i` maps for DaNet and NLI; `None` means sorted
    /// train labels. The order matters only for ties and for which class is "positive" in a
    /// binary problem, but keeping upstream's makes runs comparable to its code.
    #[serde(default)]
    pub label_order: Option<Vec<String>>,
    /// How many ranked labels a prediction file holds: 3 for Hit@3 tasks, 1 otherwise.
    pub top_k: usize,
    /// Set when the train split cannot be redistributed: how a user obtains it.
    #[serde(default)]
    pub train_notice: Option<String>,
    /// Multi-label: each record's label field holds a set of labels (a JSON list, or a
    /// string split at [`TaskSpec::label_separator`]). Not part of the model file's task
    /// encoding (see [`wire`]); absent from JSON when false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub multi_label: bool,
    /// Multi-label: a label given as a string (a CSV/TSV cell) is split at this separator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_separator: Option<String>,
}

impl TaskSpec {
    /// The task's kind, derived from its input fields.
    pub fn kind(&self) -> TaskKind {
        match self.inputs {
            InputFields::Single { .. } => TaskKind::Single,
            InputFields::Pair { .. } => TaskKind::Pair,
            InputFields::Tokens { .. } => TaskKind::Tokens,
        }
    }

    /// Whether predictions are a ranked list (written as a JSON array) rather than one label.
    pub fn ranked_output(&self) -> bool {
        self.metrics.contains(&Metric::Hit3)
    }
}

const NLI_NOTICE: &str = "RuMedNLI's train split is PhysioNet credentialed data (derived from MIMIC-III) and is \
not redistributed. Obtain it after credentialing at https://physionet.org/content/rumednli/ and save it as \
<data-dir>/RuMedNLI/train_v1.jsonl, or train on another split with --train-file FILE \
(e.g. --train-file data/RuMedNLI/dev_v1.jsonl).";

fn classification(
    name: &str,
    alias: &str,
    id: &str,
    inputs: InputFields,
    label: &str,
    ranked: bool,
) -> TaskSpec {
    TaskSpec {
        name: name.into(),
        alias: alias.into(),
        id_field: id.into(),
        inputs,
        label_field: label.into(),
        metrics: if ranked {
            vec![Metric::Acc, Metric::Hit3]
        } else {
            vec![Metric::Acc]
        },
        label_order: None,
        top_k: if ranked { 3 } else { 1 },
        train_notice: None,
        multi_label: false,
        label_separator: None,
    }
}

/// The systems of the paper's Table 3, in its row order; [`Builtin::paper`] and
/// [`PAPER_OVERALL`] hold their figures in this order.
pub const PAPER_SYSTEMS: [&str; 6] = [
    "Naive",
    "Feature-based",
    "BiLSTM",
    "RuBERT",
    "RuPoolBERT",
    "Human",
];

/// The paper's Overall column (test, %), in [`PAPER_SYSTEMS`] order.
pub const PAPER_OVERALL: [&str; 6] = ["35.21", "58.46", "53.87", "61.44", "67.20", "61.89"];

/// A built-in task: its [`TaskSpec`] and what only the benchmark knows about it. Adding a
/// task is adding one entry to [`registry`]: `eval`, `report`, the help texts, `submit` and
/// Overall all read it.
#[derive(Debug, Clone)]
pub struct Builtin {
    /// Files, fields, metrics.
    pub spec: TaskSpec,
    /// Short Latin name (chart groups): `Top3`.
    pub short: &'static str,
    /// Whether the task is one of the paper's Overall: the mean over exactly these tasks.
    pub in_overall: bool,
    /// The paper's Table 3 cell of each of [`PAPER_SYSTEMS`] (`None` for a task not in it).
    pub paper: Option<[&'static str; 6]>,
    /// The answers the MedBench leaderboard accepts when the task is part of a submission
    /// (its private test is answered with the task's id and label fields).
    pub leaderboard: Option<&'static [&'static str]>,
}

/// The RuMedBench tasks, in the paper's column order.
pub fn registry() -> Vec<Builtin> {
    let entry = |spec, short, paper, leaderboard| Builtin {
        spec,
        short,
        in_overall: true,
        paper: Some(paper),
        leaderboard,
    };
    vec![
        entry(
            classification("RuMedTop3", "top3", "idx", single("symptoms"), "code", true),
            "Top3",
            [
                "10.58 / 22.02",
                "49.76 / 72.75",
                "40.88 / 63.50",
                "39.54 / 62.29",
                "47.45 / 70.44",
                "25.06 / 48.54",
            ],
            None,
        ),
        entry(
            classification(
                "RuMedSymptomRec",
                "symptomrec",
                "idx",
                single("symptoms"),
                "code",
                true,
            ),
            "SymptomRec",
            [
                "1.93 / 5.30",
                "32.05 / 49.40",
                "20.24 / 31.33",
                "18.55 / 34.22",
                "34.94 / 52.05",
                "7.23 / 12.53",
            ],
            None,
        ),
        entry(
            danet(),
            "DaNet",
            ["50.00", "51.95", "52.34", "67.19", "71.48", "93.36"],
            Some(&["да", "нет"]),
        ),
        entry(
            nli(),
            "NLI",
            ["33.33", "59.70", "60.06", "77.64", "77.29", "83.26"],
            Some(&["entailment", "contradiction", "neutral"]),
        ),
        entry(
            ner(),
            "NER",
            [
                "93.66 / 51.96",
                "94.40 / 62.89",
                "94.74 / 63.26",
                "96.63 / 73.53",
                "96.47 / 73.15",
                "96.09 / 76.18",
            ],
            None,
        ),
    ]
}

fn single(field: &str) -> InputFields {
    InputFields::Single { text: field.into() }
}

fn pair(a: &str, b: &str) -> InputFields {
    InputFields::Pair {
        first: a.into(),
        second: b.into(),
    }
}

/// RuMedDaNet: yes/no answers in upstream's `l2i` order.
fn danet() -> TaskSpec {
    let mut t = classification(
        "RuMedDaNet",
        "danet",
        "pairID",
        pair("context", "question"),
        "answer",
        false,
    );
    t.label_order = Some(vec!["нет".into(), "да".into()]);
    t
}

/// RuMedNLI: three inference labels in upstream's `l2i` order; its train split is credentialed.
fn nli() -> TaskSpec {
    let mut t = classification(
        "RuMedNLI",
        "nli",
        "pairID",
        pair("ru_sentence1", "ru_sentence2"),
        "gold_label",
        false,
    );
    t.label_order = Some(vec![
        "neutral".into(),
        "entailment".into(),
        "contradiction".into(),
    ]);
    t.train_notice = Some(NLI_NOTICE.into());
    t
}

/// RuMedNER: IOB2 tags per token; token accuracy and entity F1.
fn ner() -> TaskSpec {
    TaskSpec {
        name: "RuMedNER".into(),
        alias: "ner".into(),
        id_field: "idx".into(),
        inputs: InputFields::Tokens {
            tokens: "tokens".into(),
        },
        label_field: "ner_tags".into(),
        metrics: vec![Metric::Acc, Metric::F1],
        label_order: None,
        top_k: 1,
        train_notice: None,
        multi_label: false,
        label_separator: None,
    }
}

/// The built-in tasks' specs, in the paper's column order.
pub fn builtin() -> Vec<TaskSpec> {
    registry().into_iter().map(|b| b.spec).collect()
}

/// The tasks the paper's Overall averages over, in order. Overall is their mean, each task
/// contributing the mean of its metrics and a task without predictions contributing 0; a
/// built-in task outside this list (`in_overall: false`) never changes it.
pub fn overall_tasks() -> Vec<String> {
    registry()
        .into_iter()
        .filter(|b| b.in_overall)
        .map(|b| b.spec.name)
        .collect()
}

/// `top3 (RuMedTop3), symptomrec (RuMedSymptomRec), ...`: the built-in tasks for help texts
/// and messages.
pub fn builtin_list() -> String {
    builtin()
        .iter()
        .map(|t| format!("{} ({})", t.alias, t.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Looks a built-in task up by alias or full name, case-insensitively.
pub fn find(name: &str) -> Result<TaskSpec> {
    let wanted = name.trim().to_lowercase();
    for task in builtin() {
        if task.alias == wanted || task.name.to_lowercase() == wanted {
            return Ok(task);
        }
    }
    bail!(
        "unknown task `{name}`: expected one of {}, or `all`",
        builtin_list()
    )
}

/// Resolves a `--task` value: `all` gives every built-in task in the paper's order.
pub fn resolve(name: &str) -> Result<Vec<TaskSpec>> {
    if name.trim().eq_ignore_ascii_case("all") {
        Ok(builtin())
    } else {
        Ok(vec![find(name)?])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_and_full_names_resolve_case_insensitively() {
        assert_eq!(find("SymptomRec").unwrap().name, "RuMedSymptomRec");
        assert_eq!(find("rumedtop3").unwrap().alias, "top3");
        assert_eq!(find("RuMedNER").unwrap().kind(), TaskKind::Tokens);
        assert_eq!(resolve("ALL").unwrap().len(), 5);
    }

    #[test]
    fn unknown_task_names_the_value_and_the_choices() {
        let err = find("top5").unwrap_err().to_string();
        assert!(err.contains("`top5`"), "{err}");
        assert!(err.contains("symptomrec"), "{err}");
    }

    #[test]
    fn paper_overall_is_the_mean_of_the_registry_cells() {
        // The Overall column is an explicit rule over the tasks marked `in_overall`; checking
        // it against the cells catches a mistyped figure or a task added to the rule by mistake.
        let reg = registry();
        for (i, system) in PAPER_SYSTEMS.iter().enumerate() {
            let primaries: Vec<f64> = reg
                .iter()
                .filter(|b| b.in_overall)
                .map(|b| {
                    let nums: Vec<f64> = b.paper.unwrap()[i]
                        .split('/')
                        .map(|x| x.trim().parse().unwrap())
                        .collect();
                    nums.iter().sum::<f64>() / nums.len() as f64
                })
                .collect();
            let overall = primaries.iter().sum::<f64>() / overall_tasks().len() as f64;
            let paper: f64 = PAPER_OVERALL[i].parse().unwrap();
            assert!(
                (overall - paper).abs() < 0.006,
                "{system}: {overall} vs {paper}"
            );
        }
        assert_eq!(overall_tasks().len(), 5);
    }

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
    fn ranked_tasks_keep_three_labels() {
        for t in builtin() {
            assert_eq!(t.ranked_output(), t.top_k == 3, "{}", t.name);
        }
    }
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
    /// Text model: inverse regularisation strength (`--C`).
    #[serde(rename = "C")]
    pub c: Option<f64>,
    /// Text model: the solver's stopping tolerance (`--tol`).
    pub tol: Option<f64>,
    /// Text model: shortest and longest character n-gram (`--ngram-range`).
    pub ngram_range: Option<[usize; 2]>,
    /// Text model: `1 + ln(tf)` instead of raw counts (`--sublinear-tf`).
    pub sublinear_tf: Option<bool>,
    /// Text model: `none` or `balanced` (`--class-weight`).
    pub class_weight: Option<String>,
    /// CRF: L1 coefficient (`--c1`).
    pub c1: Option<f64>,
    /// CRF: L2 coefficient (`--c2`).
    pub c2: Option<f64>,
    /// CRF: L-BFGS iterations (`--max-iterations`).
    pub max_iterations: Option<usize>,
    /// Text model: hash n-grams into `2^hash_features` columns instead of a vocabulary
    /// (`--hash-features`).
    pub hash_features: Option<u8>,
    /// Multi-label task: every label field holds a set of labels (`--multi-label`); also
    /// inferred when train's labels are JSON lists.
    pub multi_label: Option<bool>,
    /// Multi-label: split string labels (CSV/TSV cells) at this separator
    /// (`--label-separator`); implies `multi_label`.
    pub label_separator: Option<String>,
    /// Multi-label: labels with probability at least this are predicted (`--threshold`).
    pub threshold: Option<f64>,
    /// Multi-label: an empty predicted set is allowed (`--allow-empty`); otherwise the most
    /// probable label is always predicted.
    pub allow_empty: Option<bool>,
    /// Text model: `char`, `char_wb` or `word` (`--analyzer`).
    pub analyzer: Option<crate::features::analyzer::Analyzer>,
    /// Text model: drop terms in fewer documents, an integer count or a fraction (`--min-df`).
    pub min_df: Option<DocFreqKey>,
    /// Text model: drop terms in more documents, an integer count or a fraction (`--max-df`).
    pub max_df: Option<DocFreqKey>,
    /// Text model: keep the most frequent terms only (`--max-features`).
    pub max_features: Option<usize>,
    /// The field delimiter of the train, dev and test files, read as CSV-like whatever their
    /// extension (`--delimiter`): one character, or `\t`, `tab`, `comma`, `semicolon`.
    pub delimiter: Option<String>,
}

/// A `min_df`/`max_df` value as a task file writes it: an integer is a number of documents, a
/// float a fraction of them (scikit-learn's convention).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum DocFreqKey {
    /// `min_df = 2`
    Count(usize),
    /// `min_df = 0.01`
    Fraction(f64),
}

impl DocFreqKey {
    fn doc_freq(self, key: &str) -> Result<crate::features::limit::DocFreq> {
        use crate::features::limit::DocFreq;
        let d = match self {
            DocFreqKey::Count(c) => DocFreq::Count(c),
            DocFreqKey::Fraction(f) => DocFreq::Fraction(f),
        };
        d.check(key)?;
        Ok(d)
    }
}

impl TaskFile {
    /// Reads a TOML task file; its relative paths are resolved against its folder.
    pub fn load(path: &std::path::Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| crate::error::err!("cannot read task file {}: {e}", path.display()))?;
        let mut tf: TaskFile = toml::from_str(&text)
            .map_err(|e| crate::error::err!("{}: {}", path.display(), e.to_string().trim_end()))?;
        if let Some(d) = &tf.delimiter {
            crate::data::parse_delimiter(d)
                .map_err(|e| crate::error::err!("{}: delimiter: {e}", path.display()))?;
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
            c: self.c.or(other.c),
            tol: self.tol.or(other.tol),
            ngram_range: self.ngram_range.or(other.ngram_range),
            sublinear_tf: self.sublinear_tf.or(other.sublinear_tf),
            class_weight: self.class_weight.or(other.class_weight),
            c1: self.c1.or(other.c1),
            c2: self.c2.or(other.c2),
            max_iterations: self.max_iterations.or(other.max_iterations),
            hash_features: self.hash_features.or(other.hash_features),
            analyzer: self.analyzer.or(other.analyzer),
            min_df: self.min_df.or(other.min_df),
            max_df: self.max_df.or(other.max_df),
            max_features: self.max_features.or(other.max_features),
            delimiter: self.delimiter.or(other.delimiter),
            multi_label: self.multi_label.or(other.multi_label),
            label_separator: self.label_separator.or(other.label_separator),
            threshold: self.threshold.or(other.threshold),
            allow_empty: self.allow_empty.or(other.allow_empty),
        }
    }

    /// The recipe settings this file sets (the rest keep their defaults).
    pub fn recipe(&self) -> Result<crate::pipeline::Recipe> {
        let class_weight_balanced = match self.class_weight.as_deref() {
            None => None,
            Some("none") => Some(false),
            Some("balanced") => Some(true),
            Some(other) => bail!("class_weight: expected \"none\" or \"balanced\", got {other:?}"),
        };
        Ok(crate::pipeline::Recipe {
            c: self.c,
            tol: self.tol,
            ngram_range: self.ngram_range.map(|[a, b]| (a, b)),
            sublinear_tf: self.sublinear_tf,
            class_weight_balanced,
            c1: self.c1,
            c2: self.c2,
            max_iterations: self.max_iterations,
            hash_features: self.hash_features,
            analyzer: self.analyzer,
            min_df: self.min_df.map(|d| d.doc_freq("min_df")).transpose()?,
            max_df: self.max_df.map(|d| d.doc_freq("max_df")).transpose()?,
            max_features: self.max_features,
            threshold: self.threshold,
            allow_empty: self.allow_empty,
        })
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
        if name.contains(['/', '\\']) {
            bail!("task name `{name}` must not contain a path separator");
        }
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

/// The metrics of a multi-label task: micro-F1, macro-F1, subset accuracy and P@1, plus P@3
/// with more than three labels.
pub fn multi_label_metrics(p3: bool) -> Vec<Metric> {
    let mut m = vec![
        Metric::MicroF1,
        Metric::MacroF1,
        Metric::SubsetAcc,
        Metric::P1,
    ];
    if p3 {
        m.push(Metric::P3);
    }
    m
}

impl TaskSpec {
    /// For a user-defined classification task, reports Hit@3 when train has more than three
    /// classes (Hit@3 is trivially 100 with three or fewer).
    pub fn settle_metrics(&mut self, n_classes: usize) {
        if self.multi_label {
            self.metrics = multi_label_metrics(n_classes > 3);
            self.top_k = n_classes.min(3);
            return;
        }
        if self.kind() != TaskKind::Tokens && n_classes > 3 {
            self.metrics = vec![Metric::Acc, Metric::Hit3];
            self.top_k = 3;
        }
    }
}

#[cfg(test)]
mod custom_tests {
    use super::*;

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
        let e = TaskFile::load(&p).unwrap_err().to_string();
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

/// The model file's encoding of a [`TaskSpec`] (`#[serde(with = "task::wire")]`): the fields
/// of format 2, without the multi-label ones, which a format-3 file carries in its extension
/// (see [`crate::bundle`]). So a single-label model file is byte-identical to format 2's and
/// older builds still read it.
pub mod wire {
    use super::{InputFields, Metric, TaskSpec};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Format2 {
        name: String,
        alias: String,
        id_field: String,
        inputs: InputFields,
        label_field: String,
        metrics: Vec<Metric>,
        label_order: Option<Vec<String>>,
        top_k: usize,
        train_notice: Option<String>,
    }

    /// Writes format 2's fields.
    pub fn serialize<S: Serializer>(t: &TaskSpec, s: S) -> Result<S::Ok, S::Error> {
        Format2 {
            name: t.name.clone(),
            alias: t.alias.clone(),
            id_field: t.id_field.clone(),
            inputs: t.inputs.clone(),
            label_field: t.label_field.clone(),
            metrics: t.metrics.clone(),
            label_order: t.label_order.clone(),
            top_k: t.top_k,
            train_notice: t.train_notice.clone(),
        }
        .serialize(s)
    }

    /// Reads format 2's fields; the task is single-label until an extension says otherwise.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TaskSpec, D::Error> {
        let f = Format2::deserialize(d)?;
        Ok(TaskSpec {
            name: f.name,
            alias: f.alias,
            id_field: f.id_field,
            inputs: f.inputs,
            label_field: f.label_field,
            metrics: f.metrics,
            label_order: f.label_order,
            top_k: f.top_k,
            train_notice: f.train_notice,
            multi_label: false,
            label_separator: None,
        })
    }
}
