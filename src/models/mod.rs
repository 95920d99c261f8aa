//! The models: the naive baseline, the text model (char n-gram tf-idf + one-vs-rest logistic
//! regression), and the CRF.
//!
//! Every fitted model implements [`Model`]; [`crate::pipeline::Fitted`] holds one of them and
//! delegates to it, as tokenizers' `ModelWrapper` does. Adding a model kind is one module here
//! (its params, fitted type and `impl Model`, whose `validate` checks its own
//! invariants when a model file is read), one variant of `Fitted` and of
//! [`crate::pipeline::ModelKind`], and its arm in `ModelKind::fit_classifier` or `fit_tags`.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::data::Example;
use crate::error::Result;
use crate::task::{TaskKind, TaskSpec};

pub mod crf;
pub mod linear;
pub mod naive;
pub mod prediction;
pub mod text;
pub mod union;

/// The linear model's former path (`models::logreg`), kept so that code naming it still builds.
pub use linear as logreg;
pub use prediction::Prediction;

/// What every fitted model does.
pub trait Model {
    /// A short description for messages: "a CRF tagger".
    fn describe(&self) -> &'static str;

    /// Predicts every example, keeping `k` ranked labels for classification.
    fn predict(&self, examples: &[Example], k: usize) -> Result<Vec<Prediction>>;

    /// The labels a classifier can predict (`None` for taggers).
    fn labels(&self) -> Option<BTreeSet<String>> {
        None
    }

    /// What the solver reported (iterations, convergence), for run records.
    fn fit_summary(&self) -> Value {
        Value::Null
    }

    /// Checks, when a model file is read, what decoding cannot: that this model fits a task of
    /// kind `task` (multi-label when `multi_label`) and that its sizes and indices agree with
    /// each other, so that predicting can neither index out of bounds nor allocate without
    /// limit. Each model kind checks its own invariants here.
    fn validate(&self, task: &TaskSpec, multi_label: bool) -> Result<()>;
}

/// The check every tagger makes in [`Model::validate`]: a tagging task, not multi-label.
pub(crate) fn expect_tagging(task: &TaskSpec, multi_label: bool) -> Result<()> {
    if task.kind() != TaskKind::Tokens {
        crate::error::bail!(
            "a tagger for task {}, which is not a tagging task",
            task.name
        );
    }
    if multi_label {
        crate::error::bail!("a multi-label task whose model is not the text model");
    }
    Ok(())
}

/// The check every classifier makes in [`Model::validate`]: not a tagging task.
pub(crate) fn expect_classification(task: &TaskSpec) -> Result<()> {
    if task.kind() == TaskKind::Tokens {
        crate::error::bail!("a classifier for the tagging task {}", task.name);
    }
    Ok(())
}

/// The tokens of each example, for taggers; an error names the first example without them.
pub(crate) fn token_inputs(examples: &[Example]) -> Result<Vec<&[String]>> {
    examples
        .iter()
        .map(|e| match &e.input {
            crate::data::Input::Tokens(t) => Ok(t.as_slice()),
            _ => crate::error::bail!("line {}: the tagger needs tokens", e.line),
        })
        .collect()
}
