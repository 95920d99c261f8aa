//! scikit-learn's `min_df`/`max_df` vocabulary pruning for the text classifier.
//!
//! Pruning happens at fit time only: the vectorizer is fitted on the whole vocabulary, the terms
//! whose document frequency falls outside `[min_df, max_df]` are dropped (their idf is
//! unchanged, as scikit-learn computes idf from the same document frequencies), the training
//! matrix is recomputed on the kept terms (so rows are normalised over them, as scikit-learn's),
//! and the classifier is fitted on it. The model file is the ordinary one: its vocabulary is
//! simply smaller.

use crate::bundle::{Bundle, BundleMeta};
use crate::data::{self, Split};
use crate::error::{Error, Result};
use crate::features::tfidf::Tfidf;
use crate::models::logreg::LogRegParams;
use crate::pipeline::{self, FitSettings, Fitted, ModelKind, Pipeline, TextModel};
use crate::task::TaskSpec;

/// A document-frequency bound, as scikit-learn's `min_df`/`max_df` take it: a number of
/// documents, or a fraction of the training documents.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DocFreq {
    /// At least / at most this many documents.
    Count(usize),
    /// At least / at most this fraction of the documents, in `[0, 1]`.
    Fraction(f64),
}

impl DocFreq {
    fn docs(self, n: usize) -> f64 {
        match self {
            DocFreq::Count(c) => c as f64,
            DocFreq::Fraction(f) => f * n as f64,
        }
    }

    pub(super) fn check(self, name: &str) -> Result<()> {
        match self {
            DocFreq::Fraction(f) if !(0.0..=1.0).contains(&f) => Err(Error::param(
                name,
                format!("a fraction of the documents must be in [0, 1], got {f}"),
            )),
            _ => Ok(()),
        }
    }

    fn to_json(self) -> serde_json::Value {
        match self {
            DocFreq::Count(c) => serde_json::json!(c),
            DocFreq::Fraction(f) => serde_json::json!(f),
        }
    }
}

/// The training document frequency behind a smooth idf `ln((1 + n) / (1 + df)) + 1`.
fn doc_freq(idf: f32, n: usize) -> f64 {
    ((1.0 + n as f64) * (1.0 - idf as f64).exp() - 1.0).round()
}

/// Fits the text classifier with the vocabulary pruned to `[min_df, max_df]`.
pub(super) fn fit_pruned(
    task: &TaskSpec,
    settings: &FitSettings,
    split: &Split,
    (min_df, max_df): (DocFreq, DocFreq),
) -> Result<Bundle> {
    let (classes, y) = pipeline::text_targets(task, split)?;
    let texts = data::joined_texts(&split.examples);
    let docs: Vec<&str> = texts.iter().map(|t| t.as_ref()).collect();
    let (full, _) = settings.tfidf.fit(&docs)?;
    let n = docs.len();
    let (lo, hi) = (min_df.docs(n), max_df.docs(n));
    if hi < lo {
        return Err(Error::param(
            "max_df",
            format!("max_df ({hi} documents) is below min_df ({lo} documents)"),
        ));
    }
    let (mut vocab, mut idf) = (Vec::new(), Vec::new());
    for (term, &w) in full.vocabulary().into_iter().zip(full.idf()) {
        let df = doc_freq(w, n);
        if lo <= df && df <= hi {
            vocab.push(term);
            idf.push(w);
        }
    }
    if vocab.is_empty() {
        return Err(Error::param(
            "min_df",
            "after pruning, no terms remain; try a lower min_df or a higher max_df",
        ));
    }
    let tfidf = Tfidf::from_parts(settings.tfidf, vocab, idf)?;
    let x = tfidf.transform(&docs);
    let params = LogRegParams {
        seed: settings.seed,
        ..settings.logreg
    };
    let clf = params.fit(&x, &y, classes.len())?;
    let pipeline = Pipeline {
        task: task.clone(),
        kind: ModelKind::Feature,
        model: Fitted::Text(Box::new(TextModel {
            tfidf,
            clf,
            labels: classes,
        })),
        multi_label: None,
    };
    let mut hyperparameters = pipeline.hyperparameters(settings);
    if let Some(v) = hyperparameters
        .get_mut("vectorizer")
        .and_then(|v| v.as_object_mut())
    {
        v.insert("min_df".into(), min_df.to_json());
        v.insert("max_df".into(), max_df.to_json());
    }
    Ok(Bundle {
        meta: BundleMeta {
            tool_version: env!("CARGO_PKG_VERSION").into(),
            hyperparameters: hyperparameters.to_string(),
            train_files: vec![],
        },
        pipeline,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::TextClassifierParams;

    const TEXTS: [&str; 6] = [
        "кашель и насморк",
        "насморк, чихание",
        "боль в горле, кашель",
        "изжога после еды",
        "тошнота и изжога",
        "боль в животе после еды",
    ];
    const LABELS: [&str; 6] = ["J06", "J06", "J06", "K29", "K29", "K29"];

    #[test]
    fn document_frequencies_are_recovered_exactly_from_idf() {
        for n in [1usize, 7, 4_690, 100_000] {
            for df in [1usize, 2, n / 3 + 1, n] {
                let idf = (((1 + n) as f64 / (1 + df) as f64).ln() + 1.0) as f32;
                assert_eq!(doc_freq(idf, n), df as f64, "n={n} df={df}");
            }
        }
    }

    #[test]
    fn bounds_that_keep_every_term_give_the_unpruned_model() {
        let plain = TextClassifierParams::default()
            .fit(&TEXTS, &LABELS)
            .unwrap();
        let bounds = TextClassifierParams::default()
            .min_df(DocFreq::Fraction(0.0))
            .max_df(DocFreq::Count(6));
        let same = bounds.fit(&TEXTS, &LABELS).unwrap();
        assert_eq!(same.n_features(), plain.n_features());
        assert_eq!(
            same.predict_proba(&TEXTS).unwrap(),
            plain.predict_proba(&TEXTS).unwrap()
        );
    }

    #[test]
    fn pruning_drops_rare_and_common_terms_and_checks_its_bounds() {
        let plain = TextClassifierParams::default()
            .fit(&TEXTS, &LABELS)
            .unwrap();
        let pruned = TextClassifierParams::default()
            .min_df(DocFreq::Count(2))
            .fit(&TEXTS, &LABELS)
            .unwrap();
        assert!(0 < pruned.n_features() && pruned.n_features() < plain.n_features());
        assert!(pruned.hyperparameters().contains("\"min_df\":2"));
        let e = TextClassifierParams::default()
            .min_df(DocFreq::Count(4))
            .max_df(DocFreq::Fraction(0.5))
            .fit(&TEXTS, &LABELS)
            .unwrap_err()
            .to_string();
        assert!(e.contains("below min_df"), "{e}");
        let e = TextClassifierParams::default()
            .max_df(DocFreq::Fraction(1.5))
            .fit(&TEXTS, &LABELS)
            .unwrap_err()
            .to_string();
        assert!(e.contains("[0, 1]"), "{e}");
    }
}
