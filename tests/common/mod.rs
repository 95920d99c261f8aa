//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The shared benchmark folder (`../shared/rumedbench`, or `$RUMEDBENCH_SHARED`).
/// Tests that need it fail, never skip, when it is absent.
pub fn shared() -> PathBuf {
    let dir = match std::env::var_os("RUMEDBENCH_SHARED") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/rumedbench"),
    };
    assert!(
        dir.join("data").is_dir() && dir.join("reference_outputs").is_dir(),
        "the RuMedBench data is required at {} (set RUMEDBENCH_SHARED to another copy)",
        dir.display()
    );
    dir
}

/// The task data folder inside [`shared`].
pub fn data_dir() -> PathBuf {
    shared().join("data")
}

/// The path of the built binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rumedbench"))
}

/// Reads a JSONL file into JSON values.
pub fn read_jsonl(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Runs the built binary with `args` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run rumedbench")
}

/// Runs the binary in `dir`, asserts it succeeded, and returns its stdout and stderr.
pub fn ok_in(dir: &Path, args: &[&str]) -> (String, String) {
    let o = run_in(dir, args);
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    );
    assert!(o.status.success(), "{args:?} failed:\n{out}{err}");
    (out, err)
}
