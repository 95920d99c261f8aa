//! Bounded resources: a line-length cap for every line reader (train/test/eval and predict's
//! `--input` and stdin), a size cap for every file read whole (model file, task file, run
//! record, submission zip), a cap on bootstrap replicates, and input files read once (a FIFO
//! works; the run record hashes the bytes actually read). The readers are fed `/dev/zero`,
//! FIFOs and sparse oversized files under a 2 GiB address-space limit: each must stop with an
//! error naming its cap, promptly, where it once read to 2 GB and aborted.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

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

/// Runs the tool in `dir` under a 2 GiB address-space limit (a reader that filled memory would
/// abort), with stdin from `stdin` (else empty); returns its output and how long it took.
fn bounded(dir: &Path, args: &[&str], stdin: Option<&Path>) -> (Output, Duration) {
    let start = Instant::now();
    let o = Command::new("sh")
        .current_dir(dir)
        .arg("-c")
        .arg("ulimit -v 2097152 && exec \"$0\" \"$@\"")
        .arg(common::bin())
        .args(args)
        .stdin(match stdin {
            Some(p) => Stdio::from(std::fs::File::open(p).unwrap()),
            None => Stdio::null(),
        })
        .output()
        .unwrap();
    (o, start.elapsed())
}

/// Asserts a clean refusal: exit status 1 (not a signal or an abort), one line on stderr
/// holding every one of `want`, within a few seconds.
fn refused(o: &(Output, Duration), want: &[&str]) {
    let (o, took) = o;
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{:?}: {err}", o.status);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    for w in want {
        assert!(err.contains(w), "{err} should contain {w:?}");
    }
    assert!(*took < Duration::from_secs(20), "took {took:?}: {err}");
}

/// A sparse file of `len` bytes (no disk used).
fn sparse(path: &Path, len: u64) {
    std::fs::File::create(path).unwrap().set_len(len).unwrap();
}

fn mkfifo(path: &Path) {
    assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
}

/// A toy model at `dir/m/toy-feature.rmb`.
fn toy_model(dir: &Path) -> PathBuf {
    let o = train(dir, &toy("train.jsonl"));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let m = dir.join("m").join("toy-feature.rmb");
    assert!(m.is_file(), "no model at {}", m.display());
    m
}

/// `predict` caps its lines like every other line reader, from a file and from stdin.
#[test]
fn predict_input_lines_are_capped_from_a_file_and_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let model = toy_model(dir.path());
    let model = model.to_str().unwrap();
    let o = bounded(
        dir.path(),
        &["predict", "--model", model, "--input", "/dev/zero"],
        None,
    );
    refused(&o, &["/dev/zero:1", "longer than 64 MiB"]);
    let o = bounded(
        dir.path(),
        &["predict", "--model", model],
        Some(Path::new("/dev/zero")),
    );
    refused(&o, &["<stdin>:1", "longer than 64 MiB"]);
    // Lines under the cap still predict.
    let (o, _) = bounded(
        dir.path(),
        &["predict", "--model", model],
        Some(&toy("test.jsonl")),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(!o.stdout.is_empty());
}

/// A model file is read within 4 GiB: `/dev/zero` stops at its first bytes, a larger regular
/// file before a byte is read, a FIFO whose header promises more after the header.
#[test]
fn model_files_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let input = toy("test.jsonl");
    let input = input.to_str().unwrap();
    let o = bounded(
        dir.path(),
        &["predict", "--model", "/dev/zero", "--input", input],
        None,
    );
    refused(&o, &["/dev/zero", "not a rumedbench model file"]);
    let big = dir.path().join("big.rmb");
    sparse(&big, (4 << 30) + 1);
    let o = bounded(
        dir.path(),
        &["predict", "--model", "big.rmb", "--input", input],
        None,
    );
    refused(
        &o,
        &[
            "big.rmb",
            "4294967297 bytes",
            "over the 4 GiB cap for a model file",
        ],
    );
    let fifo = dir.path().join("model.fifo");
    mkfifo(&fifo);
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut header = b"RMDBENCH".to_vec();
            header.extend(2u32.to_le_bytes());
            header.extend((5u64 << 30).to_le_bytes());
            header.extend([0u8; 32]);
            // The reader may stop before reading it all: a broken pipe is fine.
            let _ = std::fs::write(fifo, header);
        })
    };
    let o = bounded(
        dir.path(),
        &["predict", "--model", "model.fifo", "--input", input],
        None,
    );
    writer.join().unwrap();
    refused(&o, &["model.fifo", "over the 4 GiB cap for a model file"]);
}

/// A task file is read within 64 MiB (`/dev/zero`, and a sparse file over the cap).
#[test]
fn task_files_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let o = bounded(dir.path(), &["train", "--task-file", "/dev/zero"], None);
    refused(&o, &["/dev/zero", "over the 64 MiB cap for a task file"]);
    sparse(&dir.path().join("t.toml"), (64 << 20) + 1);
    let o = bounded(dir.path(), &["train", "--task-file", "t.toml"], None);
    refused(
        &o,
        &[
            "t.toml",
            "67108865 bytes",
            "over the 64 MiB cap for a task file",
        ],
    );
}

/// A submission zip is read within 64 MiB.
#[test]
fn submission_zips_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let o = bounded(dir.path(), &["submit", "--check", "/dev/zero"], None);
    refused(
        &o,
        &["/dev/zero", "over the 64 MiB cap for a submission zip"],
    );
    sparse(&dir.path().join("s.zip"), 100 << 20);
    let o = bounded(dir.path(), &["submit", "--check", "s.zip"], None);
    refused(
        &o,
        &[
            "s.zip",
            "104857600 bytes",
            "over the 64 MiB cap for a submission zip",
        ],
    );
}

/// A run record is read back within 64 MiB, by the replace guard of `train` and by `eval`.
#[test]
fn run_records_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("o").join("feature");
    std::fs::create_dir_all(&out).unwrap();
    sparse(&out.join("toy.run.json"), (64 << 20) + 1);
    let start = Instant::now();
    let o = train(dir.path(), &toy("train.jsonl"));
    refused(
        &(o, start.elapsed()),
        &[
            "refusing to replace",
            "toy.run.json",
            "over the 64 MiB cap for a run record",
        ],
    );
    let o = bounded(dir.path(), &["eval", "o/feature"], None);
    refused(
        &o,
        &["toy.run.json", "over the 64 MiB cap for a run record"],
    );
    // A FIFO that never ends is cut at the cap too.
    std::fs::remove_file(out.join("toy.run.json")).unwrap();
    let fifo = out.join("toy.run.json");
    mkfifo(&fifo);
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
        let chunk = vec![b' '; 1 << 20];
        // Stops when the reader closes its end (a broken pipe).
        while f.write_all(&chunk).is_ok() {}
    });
    let o = bounded(dir.path(), &["eval", "o/feature"], None);
    writer.join().unwrap();
    refused(
        &o,
        &[
            "toy.run.json",
            "more than 64 MiB",
            "over the 64 MiB cap for a run record",
        ],
    );
}
