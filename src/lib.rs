//! rumedbench: train, score and serve the classical baselines of RuMedBench, the Russian
//! medical language-understanding benchmark (Blinov et al., AIME 2022).
//!
//! Data flows load ([`data`]) -> features ([`features`], [`sparse`]) -> fit ([`models`],
//! [`pipeline`]) -> predict ([`predict`]) -> write ([`output`]) -> score ([`metrics`],
//! [`eval`]); [`task`] describes the tasks, [`bundle`] is the model file and [`cli`] holds the
//! command line.

pub mod bundle;
#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "cli")]
pub mod commands;
pub mod data;
pub mod error;
pub mod features;
pub mod models;
pub mod output;
pub mod pipeline;
pub mod scoring;
pub mod task;

pub use error::{Error, Result};
