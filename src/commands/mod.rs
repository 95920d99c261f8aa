//! The command-line workflows (feature `cli`): each subcommand's work, built on the library.
//! Flags and dispatch live in [`crate::cli`].

pub mod explain;
pub mod output_set;
pub mod predict;
pub mod record;
pub mod replace;
pub mod report;
pub mod run;
pub mod submit;
pub mod test;
pub mod threshold;
pub mod train;
pub mod tune;
