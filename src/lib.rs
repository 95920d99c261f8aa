//! rumedbench: train, score and serve the classical baselines of RuMedBench, the Russian
//! medical language-understanding benchmark (Blinov et al., AIME 2022).
//!
//! Data flows load ([`data`]) -> features ([`features`], [`sparse`]) -> fit ([`models`],
//! [`pipeline`]) -> predict ([`predict`]) -> write ([`output`]) -> score ([`metrics`],
//! [`eval`]); [`task`] describes the tasks, [`bundle`] is the model file and [`cli`] holds the
//! command line.

pub mod bundle;
pub mod cli;
pub mod data;
pub mod eval;
pub mod explain;
pub mod features;
pub mod metrics;
pub mod models;
pub mod output;
pub mod per_label;
pub mod pipeline;
pub mod predict;
pub mod report;
pub mod sparse;
pub mod stats;
pub mod submit;
pub mod task;
pub mod train;
pub mod tune;
