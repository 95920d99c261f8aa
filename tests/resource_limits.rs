//! Bounded resources: a line-length cap, a cap on bootstrap replicates, and input files read
//! once (a FIFO works; the run record hashes the bytes actually read).

mod common;

use std::path::PathBuf;
use std::process::Command;

use sha2::{Digest, Sha256};

fn toy(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/toy")
        .join(name)
}

fn train(dir: &std::path::Path, train_file: &std::path::Path) -> std::process::Output {
    let t = |n: &str| toy(n).display().to_string();
    Command::new(common::bin())
        .current_dir(dir)
        .arg("train")
        .arg("--train")
        .arg(train_file)
        .args([
            "--dev",
            &t("dev.jsonl"),
            "--test",
            &t("test.jsonl"),
            "--id-field",
            "id",
        ])
        .args([
            "--text-field",
            "text",
            "--label-field",
            "label",
            "--name",
            "toy",
        ])
        .args(["--out", "o", "--models-dir", "m"])
        .output()
        .unwrap()
}

/// A FIFO can be read only once: training from one works, and the run record holds the
/// SHA-256 of what was read (it was once the digest of empty input, or a hang).
#[test]
fn a_fifo_train_file_is_read_once_and_hashed() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("train.fifo");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let bytes = std::fs::read(toy("train.jsonl")).unwrap();
    let writer = {
        let (fifo, bytes) = (fifo.clone(), bytes.clone());
        std::thread::spawn(move || std::fs::write(fifo, bytes).unwrap())
    };
    let o = train(dir.path(), &fifo);
    writer.join().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("o/feature/toy.run.json")).unwrap())
            .unwrap();
    let files = record["data_files"].as_array().unwrap();
    let want = hex::encode(Sha256::digest(&bytes));
    assert_eq!(files[0]["sha256"], want.as_str(), "{files:?}");
}

/// A line with no end (`/dev/zero`) is an error naming file and line, not unbounded memory.
#[test]
fn an_endless_line_is_an_error_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let o = train(dir.path(), std::path::Path::new("/dev/zero"));
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("/dev/zero:1") && err.contains("longer than 64 MiB"),
        "{err}"
    );
}

/// `--bootstrap` is capped (each replicate's values are kept for exact quantiles).
#[test]
fn bootstrap_replicates_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(common::bin())
        .args(["eval"])
        .arg(dir.path())
        .args(["--bootstrap", "1000000000"])
        .output()
        .unwrap();
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("1..=100000"), "{err}");
}
