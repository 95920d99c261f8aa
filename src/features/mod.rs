//! Feature extraction shared by the feature-based RuMedBench baselines.
pub mod token;
