//! The text model: char n-gram tf-idf ([`crate::features::tfidf`]) + one-vs-rest logistic
//! regression ([`crate::models::linear`]), ranking classes by their one-vs-rest probabilities.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::data::{self, Example};
use crate::error::Result;
use crate::features::tfidf::{Tfidf, TfidfIn, TfidfOut};
use crate::models::linear::{LogReg, LogRegOut};
use crate::models::Model;
use crate::models::Prediction;
use crate::task::TaskSpec;
use crate::wire::WireFormat;

/// The text model: char n-gram tf-idf + one-vs-rest logistic regression.
#[derive(Debug, Serialize)]
pub struct TextModel {
    /// The fitted vectorizer.
    pub tfidf: Tfidf,
    /// The fitted classifier.
    pub clf: LogReg,
    /// Class labels by class index.
    pub labels: Vec<String>,
}

/// A text model as model format `F` encodes it (see [`crate::wire`]).
#[derive(Serialize)]
#[serde(bound = "")]
pub struct TextModelIn<'a, F: WireFormat> {
    tfidf: TfidfIn<'a, F>,
    clf: &'a LogReg,
    labels: &'a [String],
}

impl<'a, F: WireFormat> TextModelIn<'a, F> {
    /// `m` to be encoded in format `F`.
    pub fn new(m: &'a TextModel) -> Self {
        TextModelIn {
            tfidf: TfidfIn::new(&m.tfidf),
            clf: &m.clf,
            labels: &m.labels,
        }
    }
}

/// A text model decoded from model format `F`.
#[derive(Deserialize)]
#[serde(bound = "")]
pub struct TextModelOut<F: WireFormat> {
    tfidf: TfidfOut<F>,
    clf: LogRegOut,
    labels: Vec<String>,
}

impl<F: WireFormat> TextModelOut<F> {
    /// The text model, its vectorizer checked.
    pub fn into_inner(self) -> Result<TextModel> {
        Ok(TextModel {
            tfidf: self.tfidf.into_inner()?,
            clf: self
                .clf
                .into_inner()
                .map_err(|e| crate::error::err!("the classifier: {e}"))?,
            labels: self.labels,
        })
    }
}

impl TextModel {
    /// Class probabilities of each document, row-major `docs x classes`.
    pub fn proba(&self, docs: &[&str]) -> Vec<f32> {
        self.clf.predict_proba(&self.tfidf.transform(docs))
    }
}

/// Each row of a row-major probability matrix (`labels.len()` columns) as its `k` best
/// classes, best first.
pub fn ranked_predictions(proba: &[f32], labels: &[String], k: usize) -> Vec<Prediction> {
    proba
        .chunks(labels.len())
        .map(|row| Prediction::Ranked(rank_row(row, labels, k)))
        .collect()
}

/// Ranks one row of class scores, best first; ties keep the lower class index first.
pub fn rank_row(row: &[f32], labels: &[String], k: usize) -> Vec<(String, f32)> {
    let mut order: Vec<usize> = (0..row.len()).collect();
    order.sort_by(|&a, &b| row[b].total_cmp(&row[a]).then(a.cmp(&b)));
    order
        .into_iter()
        .take(k)
        .map(|i| (labels[i].clone(), row[i]))
        .collect()
}

impl Model for TextModel {
    fn validate(&self, task: &TaskSpec, multi_label: bool) -> Result<()> {
        super::expect_classification(task)?;
        self.clf.validate()?;
        let (k, np) = (self.clf.n_classes(), self.clf.n_problems());
        let want = if multi_label || k != 2 { k } else { 1 };
        if np != want {
            crate::error::bail!("{np} binary problems for {k} classes");
        }
        let (vocab, idf) = (self.tfidf.n_features(), self.tfidf.idf().len());
        if vocab != idf || vocab != self.clf.n_features() {
            crate::error::bail!(
                "vocabulary of {vocab} terms, {idf} idf values, classifier of {} features",
                self.clf.n_features()
            );
        }
        if self.labels.len() != self.clf.n_classes() {
            crate::error::bail!(
                "{} labels for {} classes",
                self.labels.len(),
                self.clf.n_classes()
            );
        }
        Ok(())
    }

    fn describe(&self) -> &'static str {
        "the feature text model"
    }

    fn predict(&self, examples: &[Example], k: usize) -> Result<Vec<Prediction>> {
        let texts = data::joined_texts(examples);
        let docs: Vec<&str> = texts.iter().map(|t| t.as_ref()).collect();
        Ok(ranked_predictions(&self.proba(&docs), &self.labels, k))
    }

    fn labels(&self) -> Option<BTreeSet<String>> {
        Some(self.labels.iter().cloned().collect())
    }

    fn fit_summary(&self) -> Value {
        let r = self.clf.report();
        serde_json::json!({
            "n_features": self.tfidf.n_features(),
            "binary_problems": r.iterations.len(),
            "epochs_max": r.iterations.iter().max(),
            "epochs_total": r.iterations.iter().sum::<usize>(),
            "all_converged": r.all_converged(),
            "relative_grad_norm_max": r.relative_grad_norm.iter().cloned().fold(0.0, f64::max),
        })
    }
}
