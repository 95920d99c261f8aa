//! Scoring: per-example outcomes and metrics ([`metrics`]), prediction files and Overall
//! ([`eval`]), per-label breakdowns ([`per_label`]) and bootstrap intervals and paired
//! comparisons ([`bootstrap`]).

pub mod bootstrap;
mod compare_render;
pub mod confusion;
pub mod eval;
mod gold;
pub mod interval;
pub mod metrics;
pub mod paired;
pub mod per_label;
pub mod table;
