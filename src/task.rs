//! The task registry: everything task-specific about the five RuMedBench tasks lives here.
//!
//! A [`TaskSpec`] says where a task's files are, which JSON fields hold the id, the input(s) and
//! the label, what kind of input it is and which metrics score it. The built-in tasks are plain
//! entries of the same type a user-defined task (loaded from a TOML task file) produces, so the
//! rest of the crate never matches on a task name.

use anyhow::{bail, Result};
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
}

impl Metric {
    /// The key used in JSON output (`acc`, `hit3`, `f1`).
    pub fn key(self) -> &'static str {
        match self {
            Metric::Acc => "acc",
            Metric::Hit3 => "hit3",
            Metric::F1 => "f1",
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
    }
}

/// The five RuMedBench tasks, in the paper's column order.
pub fn builtin() -> Vec<TaskSpec> {
    let single = |f: &str| InputFields::Single { text: f.into() };
    let pair = |a: &str, b: &str| InputFields::Pair {
        first: a.into(),
        second: b.into(),
    };
    let mut danet = classification(
        "RuMedDaNet",
        "danet",
        "pairID",
        pair("context", "question"),
        "answer",
        false,
    );
    danet.label_order = Some(vec!["нет".into(), "да".into()]);
    let mut nli = classification(
        "RuMedNLI",
        "nli",
        "pairID",
        pair("ru_sentence1", "ru_sentence2"),
        "gold_label",
        false,
    );
    nli.label_order = Some(vec![
        "neutral".into(),
        "entailment".into(),
        "contradiction".into(),
    ]);
    nli.train_notice = Some(NLI_NOTICE.into());
    vec![
        classification("RuMedTop3", "top3", "idx", single("symptoms"), "code", true),
        classification(
            "RuMedSymptomRec",
            "symptomrec",
            "idx",
            single("symptoms"),
            "code",
            true,
        ),
        danet,
        nli,
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
        },
    ]
}

/// Looks a built-in task up by alias or full name, case-insensitively.
pub fn find(name: &str) -> Result<TaskSpec> {
    let wanted = name.trim().to_lowercase();
    for task in builtin() {
        if task.alias == wanted || task.name.to_lowercase() == wanted {
            return Ok(task);
        }
    }
    let known: Vec<String> = builtin()
        .iter()
        .map(|t| format!("{} ({})", t.alias, t.name))
        .collect();
    bail!(
        "unknown task `{name}`: expected one of {}, or `all`",
        known.join(", ")
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
    fn ranked_tasks_keep_three_labels() {
        for t in builtin() {
            assert_eq!(t.ranked_output(), t.top_k == 3, "{}", t.name);
        }
    }
}
