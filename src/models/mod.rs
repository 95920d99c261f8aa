//! Classifiers trained on extracted features.

pub mod logreg;
