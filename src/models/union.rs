//! The union text model: a union of vectorizer blocks ([`crate::features::union`]) + the
//! one-vs-rest logistic regression, ranking classes as the text model does.

use std::borrow::Cow;
use std::collections::BTreeSet;

use serde_json::Value;

use crate::data::{Example, Input};
use crate::error::Result;
use crate::features::union::{Doc, Union};
use crate::models::linear::LogReg;
use crate::models::text::ranked_predictions;
use crate::models::{Model, Prediction};
use crate::task::{TaskKind, TaskSpec};

/// The union text model.
#[derive(Debug)]
pub struct UnionModel {
    /// The fitted blocks.
    pub union: Union,
    /// The fitted classifier.
    pub clf: LogReg,
    /// Class labels by class index.
    pub labels: Vec<String>,
}

/// The documents the union reads from `examples`: a text, or a pair's two texts (token
/// sequences are joined with a space).
pub fn union_docs(examples: &[Example]) -> Vec<Cow<'_, str>> {
    examples
        .iter()
        .flat_map(|e| match &e.input {
            Input::Text(t) => [Cow::Borrowed(t.as_str()), Cow::Borrowed("")],
            Input::Pair(a, b) => [Cow::Borrowed(a.as_str()), Cow::Borrowed(b.as_str())],
            Input::Tokens(t) => [Cow::Owned(t.join(" ")), Cow::Borrowed("")],
        })
        .collect()
}

/// [`Doc`]s over the texts [`union_docs`] gave for `examples`.
pub fn docs_of<'a>(examples: &[Example], texts: &'a [Cow<'_, str>]) -> Vec<Doc<'a>> {
    examples
        .iter()
        .zip(texts.chunks(2))
        .map(|(e, t)| Doc {
            first: t[0].as_ref(),
            second: matches!(e.input, Input::Pair(..)).then(|| t[1].as_ref()),
        })
        .collect()
}

impl UnionModel {
    /// Class probabilities of each document, row-major `docs x classes`.
    pub fn proba(&self, docs: &[Doc<'_>]) -> Vec<f32> {
        self.clf.predict_proba(&self.union.transform(docs))
    }
}

impl Model for UnionModel {
    fn validate(&self, task: &TaskSpec, multi_label: bool) -> Result<()> {
        super::expect_classification(task)?;
        if multi_label {
            crate::error::bail!("a union of blocks for a multi-label task");
        }
        if self.union.params().needs_pair() && task.kind() != TaskKind::Pair {
            crate::error::bail!(
                "pair blocks for task {}, which is not a text-pair task",
                task.name
            );
        }
        self.clf.validate()?;
        let (k, np) = (self.clf.n_classes(), self.clf.n_problems());
        let want = if k != 2 { k } else { 1 };
        if np != want {
            crate::error::bail!("{np} binary problems for {k} classes");
        }
        if self.union.n_features() != self.clf.n_features() {
            crate::error::bail!(
                "blocks of {} features, classifier of {} features",
                self.union.n_features(),
                self.clf.n_features()
            );
        }
        if self.labels.len() != k {
            crate::error::bail!("{} labels for {k} classes", self.labels.len());
        }
        Ok(())
    }

    fn describe(&self) -> &'static str {
        "the union text model"
    }

    fn predict(&self, examples: &[Example], k: usize) -> Result<Vec<Prediction>> {
        let texts = union_docs(examples);
        let docs = docs_of(examples, &texts);
        Ok(ranked_predictions(&self.proba(&docs), &self.labels, k))
    }

    fn labels(&self) -> Option<BTreeSet<String>> {
        Some(self.labels.iter().cloned().collect())
    }

    fn fit_summary(&self) -> Value {
        let r = self.clf.report();
        let blocks: Vec<Value> = self
            .union
            .blocks()
            .iter()
            .map(|b| serde_json::json!({"block": b.params().name(), "n_features": b.n_features()}))
            .collect();
        serde_json::json!({
            "n_features": self.union.n_features(),
            "blocks": blocks,
            "binary_problems": r.iterations.len(),
            "epochs_max": r.iterations.iter().max(),
            "epochs_total": r.iterations.iter().sum::<usize>(),
            "all_converged": r.all_converged(),
            "relative_grad_norm_max": r.relative_grad_norm.iter().cloned().fold(0.0, f64::max),
        })
    }
}
