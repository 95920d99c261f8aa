//! A run's outputs (predictions, run record, model) are one set: a failed, interrupted or
//! concurrent run leaves the earlier set whole and no temporary files. The task is a
//! synthetic one generated here, large enough (a second or so of training) that a signal or a
//! second run can land in the middle of the first.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Writes train/dev/test JSONL of a 5-class task with random words.
fn make_task(dir: &Path, docs: usize) {
    let mut s = 15u64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let syll = ["ка", "ло", "ми", "ну", "ре", "та", "зо", "пи", "ше", "ду"];
    for (name, n) in [("train", docs), ("dev", docs / 5), ("test", docs / 5)] {
        let mut out = String::new();
        for i in 0..n {
            let label = next() % 5;
            let words: Vec<String> = (0..25)
                .map(|_| {
                    let k = 2 + next() % 3;
                    let mut w: String = (0..k).map(|_| syll[(next() % 10) as usize]).collect();
                    if next() % 3 == 0 {
                        w.push_str(["а", "б", "в", "г", "д"][label as usize]);
                    }
                    w
                })
                .collect();
            out.push_str(&format!(
                "{{\"id\": \"{name}{i}\", \"text\": \"{}\", \"label\": \"L{label}\"}}\n",
                words.join(" ")
            ));
        }
        std::fs::write(dir.join(format!("{name}.jsonl")), out).unwrap();
    }
}

fn train_cmd(dir: &Path, c: &str, out: &str, models: &str) -> Command {
    let mut cmd = Command::new(common::bin());
    cmd.current_dir(dir).args([
        "train",
        "--train",
        "train.jsonl",
        "--dev",
        "dev.jsonl",
        "--test",
        "test.jsonl",
        "--id-field",
        "id",
        "--text-field",
        "text",
        "--label-field",
        "label",
        "--name",
        "syn",
        // The runs replace each other's sets on purpose (other C).
        "--force",
        "--C",
        c,
        "--out",
        out,
        "--models-dir",
        models,
    ]);
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run rumedbench")
}

/// The set under `dir` as (predictions, run record's C, model file's C), after checking that
/// no temporary file is left.
fn set(dir: &Path, out: &str, models: &str) -> (Vec<u8>, f64, f64) {
    for d in [dir.join(out).join("feature"), dir.join(models)] {
        for e in std::fs::read_dir(&d).unwrap() {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            assert!(
                !name.starts_with(".rumedbench-"),
                "temporary file {name} left in {}",
                d.display()
            );
        }
    }
    let preds = std::fs::read(dir.join(out).join("feature/syn.jsonl")).unwrap();
    let record: Value =
        serde_json::from_slice(&std::fs::read(dir.join(out).join("feature/syn.run.json")).unwrap())
            .unwrap();
    let record_c = record["hyperparameters"]["classifier"]["C"]
        .as_f64()
        .unwrap();
    let model =
        rumedbench::bundle::Bundle::load(&dir.join(models).join("syn-feature.rmb")).unwrap();
    let hyper: Value = serde_json::from_str(&model.meta.hyperparameters).unwrap();
    (preds, record_c, hyper["classifier"]["C"].as_f64().unwrap())
}

fn ok(o: &Output) {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Sets A (C = 1) and B (C = 0.01) trained into their own folders, for comparison.
fn reference_sets(dir: &Path) -> (Vec<u8>, Vec<u8>) {
    ok(&run(&mut train_cmd(dir, "1", "ra", "rma")));
    ok(&run(&mut train_cmd(dir, "0.01", "rb", "rmb")));
    let a = set(dir, "ra", "rma");
    let b = set(dir, "rb", "rmb");
    assert_ne!(a.0, b.0, "the two settings must predict differently");
    (a.0, b.0)
}

#[test]
fn output_folders_are_checked_before_training_and_the_earlier_set_survives() {
    let dir = tempfile::tempdir().unwrap();
    make_task(dir.path(), 400);
    ok(&run(&mut train_cmd(dir.path(), "1", "o", "m")));
    let before = set(dir.path(), "o", "m");
    std::fs::write(dir.path().join("afile"), "x").unwrap();
    // A models folder under a file: refused before training, naming the file.
    let t = Instant::now();
    let o = run(&mut train_cmd(dir.path(), "0.01", "o", "afile/models"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("afile") && err.contains("is a file, not a folder"),
        "{err}"
    );
    assert!(!err.contains("File exists"), "{err}");
    assert!(t.elapsed() < Duration::from_secs(5));
    assert_eq!(set(dir.path(), "o", "m"), before);
    // --model-out naming a folder.
    let o = run(train_cmd(dir.path(), "0.01", "o", "m").args(["--model-out", "m"]));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--model-out") && err.contains("is a folder"),
        "{err}"
    );
    assert_eq!(set(dir.path(), "o", "m"), before);
    // The output root is a file.
    let o = run(&mut train_cmd(dir.path(), "0.01", "afile/x", "m"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("is a file, not a folder"), "{err}");
}

/// SIGTERM at the moment a run starts writing its set (and at spread-out moments before):
/// afterwards the folder holds set A or set B whole, never a mix, and no temporary file.
#[test]
fn a_killed_run_leaves_one_whole_set_and_no_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    make_task(dir.path(), 3000);
    let (a, b) = reference_sets(dir.path());
    ok(&run(&mut train_cmd(dir.path(), "1", "o", "m")));
    let watch = [dir.path().join("o/feature"), dir.path().join("m")];
    let mut outcomes = (0, 0);
    let mut mid_write = 0;
    for attempt in 0..8 {
        let mut child = train_cmd(dir.path(), "0.01", "o", "m")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Even attempts: kill as soon as a temporary file appears (mid-write); odd ones: after
        // a delay that moves through the run.
        let start = Instant::now();
        let delay = Duration::from_millis(150 * attempt as u64);
        loop {
            let writing = watch.iter().any(|d| {
                std::fs::read_dir(d)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .any(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            });
            let due = if attempt % 2 == 0 {
                writing
            } else {
                start.elapsed() >= delay
            };
            if due
                || child.try_wait().unwrap().is_some()
                || start.elapsed() > Duration::from_secs(60)
            {
                break;
            }
        }
        if attempt % 2 == 0 && child.try_wait().unwrap().is_none() {
            mid_write += 1;
        }
        unsafe_kill(child.id());
        child.wait().unwrap();
        let (preds, rc, mc) = set(dir.path(), "o", "m");
        assert_eq!(
            rc, mc,
            "attempt {attempt}: run record and model from different runs"
        );
        if preds == a {
            assert_eq!(rc, 1.0, "attempt {attempt}");
            outcomes.0 += 1;
        } else {
            assert_eq!(preds, b, "attempt {attempt}: predictions of neither set");
            assert_eq!(rc, 0.01, "attempt {attempt}");
            outcomes.1 += 1;
            // Back to set A for the next attempt.
            ok(&run(&mut train_cmd(dir.path(), "1", "o", "m")));
        }
    }
    eprintln!(
        "killed runs: {} left set A, {} completed set B; {mid_write} killed mid-write",
        outcomes.0, outcomes.1
    );
    assert!(
        mid_write >= 2,
        "only {mid_write} runs were killed while writing"
    );
}

/// SIGTERM through the `kill` command (no libc binding needed).
fn unsafe_kill(pid: u32) {
    let _ = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
}

/// Two runs into the same folders at once: the second refuses with a clear message, and the
/// folder holds one whole set.
#[test]
fn a_second_run_on_the_same_outputs_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    make_task(dir.path(), 3000);
    let (a, b) = reference_sets(dir.path());
    for _ in 0..3 {
        let spawn = |c: &str| {
            train_cmd(dir.path(), c, "o", "m")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let first = spawn("1");
        std::thread::sleep(Duration::from_millis(100));
        let second = spawn("0.01");
        let (o1, o2) = (
            first.wait_with_output().unwrap(),
            second.wait_with_output().unwrap(),
        );
        ok(&o1);
        assert!(!o2.status.success(), "the second run was not refused");
        let err = String::from_utf8_lossy(&o2.stderr);
        assert!(
            err.contains("another rumedbench run is writing to"),
            "{err}"
        );
        let (preds, rc, mc) = set(dir.path(), "o", "m");
        assert_eq!((rc, mc), (1.0, 1.0));
        assert_eq!(preds, a);
        assert_ne!(preds, b);
    }
}
