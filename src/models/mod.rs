//! The models: the naive baseline, one-vs-rest logistic regression, and the CRF.

pub mod crf;
pub mod logreg;
pub mod naive;
