//! rumedbench: train, score and serve the classical baselines of RuMedBench, the Russian
//! medical language-understanding benchmark (Blinov et al., AIME 2022).
//!
//! Data flows load ([`data`]) -> features ([`features`]) -> fit ([`models`], [`pipeline`]) ->
//! predict -> write ([`output`]) -> score ([`metrics`], [`eval`]); [`task`] describes the tasks
//! and [`cli`] holds the command line.

pub mod cli;
pub mod data;
pub mod eval;
pub mod metrics;
pub mod models;
pub mod output;
pub mod per_label;
pub mod pipeline;
pub mod report;
pub mod stats;
pub mod task;
pub mod train;
