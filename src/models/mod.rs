//! Models of the feature-based RuMedBench baselines.
pub mod crf;
