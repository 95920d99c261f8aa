//! rumedbench: train, score and serve the classical baselines of RuMedBench.

pub mod features;
pub mod models;
pub mod sparse;
