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

use std::sync::atomic::{AtomicBool, Ordering};

/// `--quiet`: notes, warnings and progress bars on stderr are suppressed (errors are not).
static QUIET: AtomicBool = AtomicBool::new(false);

/// Sets `--quiet` for this process (the command line's global flag).
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// Whether `--quiet` was given.
pub fn quiet() -> bool {
    QUIET.load(Ordering::Relaxed)
}

/// Where notes go: stderr, or nowhere under `--quiet`.
pub fn notes() -> Box<dyn std::io::Write + Send> {
    if quiet() {
        Box::new(std::io::sink())
    } else {
        Box::new(std::io::stderr())
    }
}

/// Writes one note line to [`notes`].
pub fn note(line: impl std::fmt::Display) {
    let _ = writeln!(notes(), "{line}");
}

use std::io::Write as _;
