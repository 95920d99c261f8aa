//! The fault-injection hook of the output sets (`RUMEDBENCH_FAULT`, see the parent module):
//! where a test makes the process SIGKILL itself at a numbered step of the writing, or stop
//! once a temporary file is written.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;

/// What `RUMEDBENCH_FAULT` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// SIGKILL at step N of the writing (1-based).
    KillAt(u64),
    /// Stop once the first temporary file is written.
    PauseAtTempWritten,
    /// List the steps on stderr.
    Trace,
}

fn fault() -> Option<Fault> {
    static FAULT: OnceLock<Option<Fault>> = OnceLock::new();
    *FAULT.get_or_init(|| {
        let v = std::env::var("RUMEDBENCH_FAULT").ok()?;
        let parsed = match v.split(':').collect::<Vec<_>>().as_slice() {
            ["kill-at", "commit-step", n] => n.parse().ok().filter(|&n| n > 0).map(Fault::KillAt),
            ["pause-at", "temp-written"] => Some(Fault::PauseAtTempWritten),
            ["trace"] => Some(Fault::Trace),
            _ => None,
        };
        if parsed.is_none() {
            eprintln!(
                "warning: RUMEDBENCH_FAULT={v:?} is not understood (kill-at:commit-step:N, \
                 pause-at:temp-written or trace); ignored"
            );
        }
        parsed
    })
}

static STEP: AtomicU64 = AtomicU64::new(0);

/// One step of writing outputs: where `RUMEDBENCH_FAULT=kill-at:commit-step:N` strikes.
pub(super) fn step(what: &str, path: &Path) {
    let Some(f) = fault() else { return };
    let n = STEP.fetch_add(1, Ordering::SeqCst) + 1;
    match f {
        Fault::Trace => eprintln!("rumedbench: step {n}: {what} {}", path.display()),
        Fault::KillAt(k) if k == n => {
            eprintln!(
                "rumedbench: fault hook: SIGKILL at step {n} ({what} {})",
                path.display()
            );
            kill_self();
        }
        _ => {}
    }
}

#[cfg(unix)]
fn kill_self() {
    // SAFETY: kill(2) on our own pid with a valid signal number has no memory effects.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
}

#[cfg(not(unix))]
fn kill_self() {
    std::process::abort();
}

/// A temporary file's content is written: where `pause-at:temp-written` stops the process.
pub(super) fn temp_written(path: &Path) {
    static PAUSED: AtomicBool = AtomicBool::new(false);
    if fault() == Some(Fault::PauseAtTempWritten) && !PAUSED.swap(true, Ordering::SeqCst) {
        eprintln!(
            "rumedbench: fault hook: paused at temp-written ({})",
            path.display()
        );
        loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
        }
    }
}
