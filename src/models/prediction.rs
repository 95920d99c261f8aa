//! What a model predicts for one example; [`crate::pipeline`] re-exports it.

use serde::Serialize;

/// One prediction: ranked labels with scores, or one tag per token.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Prediction {
    /// Labels best first with their scores (probabilities where the model has them).
    Ranked(Vec<(String, f32)>),
    /// Tags, one per input token.
    Tags(Vec<String>),
    /// Multi-label: labels by decreasing probability; the first `size` are the predicted set
    /// (the set is always a prefix of the ranking).
    Set {
        /// Labels with their probabilities, best first: the set, and at least the requested
        /// number of ranked labels.
        ranked: Vec<(String, f32)>,
        /// How many of them are predicted.
        size: usize,
    },
}

impl Prediction {
    /// A multi-label prediction's set, best first (empty for other predictions).
    pub fn set(&self) -> Vec<String> {
        match self {
            Prediction::Set { ranked, size } => {
                ranked[..*size].iter().map(|x| x.0.clone()).collect()
            }
            _ => Vec::new(),
        }
    }
}
