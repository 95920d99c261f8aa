//! A task's definition: its fields, kind and metrics.

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
    /// encoding (see [`wire`](crate::task::wire)); absent from JSON when false.
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
