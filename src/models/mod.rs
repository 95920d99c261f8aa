//! The models: the naive baseline, the text model (char n-gram tf-idf + one-vs-rest logistic
//! regression), and the CRF.
//!
//! Every fitted model implements [`Model`]; [`crate::pipeline::Fitted`] holds one of them and
//! delegates to it, as tokenizers' `ModelWrapper` does. Adding a model kind is one module here
//! (its params, fitted type and `impl Model`), one variant of `Fitted` and of
//! [`crate::pipeline::ModelKind`], and its `fit` arm in `ModelKind::fit`.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::data::Example;
use crate::error::Result;

pub mod crf;
pub mod linear;
pub mod naive;
pub mod prediction;
pub mod text;

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
