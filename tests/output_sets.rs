//! A run's outputs (predictions, run record, model) are one set: a failed, interrupted or
//! concurrent run leaves the earlier set whole and no temporary files. The task is a
//! synthetic one generated here, large enough (a second or so of training) that a signal or a
//! second run can land in the middle of the first. The SIGKILL and signal tests at the end use
//! the fault hook (`RUMEDBENCH_FAULT`) instead of timing, on a smaller copy of the task.

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

// ---------------------------------------------------------------------------------------------
// Crash consistency through the fault hook (`RUMEDBENCH_FAULT`, see
// `src/commands/output_set.rs`): deterministic, no timing.

/// The three files of a set: predictions, run record, model.
fn set_files(dir: &Path, out: &str, models: &str) -> [std::path::PathBuf; 3] {
    [
        dir.join(out).join("feature/syn.jsonl"),
        dir.join(out).join("feature/syn.run.json"),
        dir.join(models).join("syn-feature.rmb"),
    ]
}

/// The bytes of a set's files (`None` for a missing file).
fn set_bytes(dir: &Path, out: &str, models: &str) -> Vec<Option<Vec<u8>>> {
    set_files(dir, out, models)
        .iter()
        .map(|p| std::fs::read(p).ok())
        .collect()
}

/// A run record without what differs between two runs of the same settings (date, timings,
/// memory, command line).
fn stable_record(bytes: &[u8]) -> Value {
    let mut v: Value = serde_json::from_slice(bytes).unwrap();
    for k in ["date", "seconds", "peak_memory_mib", "command_line"] {
        v.as_object_mut().unwrap().remove(k);
    }
    v
}

/// Whether the files are wholly the set `want` (predictions and model byte for byte, the run
/// record but for its date, timings, memory and command line).
fn is_set(got: &[Option<Vec<u8>>], want: &[Option<Vec<u8>>]) -> bool {
    match (got, want) {
        ([Some(p), Some(r), Some(m)], [Some(wp), Some(wr), Some(wm)]) => {
            p == wp && m == wm && stable_record(r) == stable_record(wr)
        }
        _ => false,
    }
}

/// Names of rumedbench's hidden files (temporary files, backups, journals) in `dirs`; the lock
/// file stays by design.
fn leftovers(dirs: &[std::path::PathBuf]) -> Vec<String> {
    dirs.iter()
        .flat_map(|d| std::fs::read_dir(d).unwrap().flatten())
        .map(|e| e.path().display().to_string())
        .filter(|p| p.contains("/.rumedbench-"))
        .collect()
}

#[cfg(unix)]
fn killed_by(status: &std::process::ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    status.signal()
}

/// For every step N of the writing of a train run that replaces an earlier set made with other
/// settings (each staged write, backup link, journal copy, folder fsync, rename and deletion),
/// SIGKILL at N; then the next command touching one of the set's folders (a reader of the
/// predictions folder, a reader of the models folder, or a train) must find wholly the old set
/// or wholly the new set, and once both folders were touched no temporary file, backup or
/// journal remains.
#[cfg(unix)]
#[test]
fn a_sigkill_at_every_step_of_the_commit_leaves_the_old_or_the_new_set() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    make_task(d, 300);
    let dirs = [d.join("o/feature"), d.join("m")];
    // The new set (C = 0.01), then the old one (C = 1) in the same folders, byte for byte.
    ok(&run(&mut train_cmd(d, "0.01", "o", "m")));
    let new = set_bytes(d, "o", "m");
    ok(&run(&mut train_cmd(d, "1", "o", "m")));
    let old = set_bytes(d, "o", "m");
    assert_ne!(old[0], new[0], "the two settings must predict differently");
    assert_ne!(old[2], new[2]);
    let restore_old = || {
        for (p, b) in set_files(d, "o", "m").iter().zip(&old) {
            std::fs::write(p, b.as_ref().unwrap()).unwrap();
        }
    };
    let eval_preds = |d: &Path| {
        let mut c = Command::new(common::bin());
        c.current_dir(d).args(["eval", "o/feature"]);
        c
    };
    let predict_models = |d: &Path| {
        let mut c = Command::new(common::bin());
        c.current_dir(d).args([
            "predict",
            "--model",
            "m/syn-feature.rmb",
            "--input",
            "test.jsonl",
        ]);
        c
    };
    let (mut old_seen, mut new_seen, mut mixed_on_disk, mut steps) = (0, 0, 0, 0);
    'steps: for n in 1..=100 {
        // Each kill three times, each followed by another next command: a reader of the
        // predictions folder, a reader of the models folder, a train with the old settings.
        for next in 0..3 {
            restore_old();
            assert!(leftovers(&dirs).is_empty());
            let o = run(train_cmd(d, "0.01", "o", "m")
                .env("RUMEDBENCH_FAULT", format!("kill-at:commit-step:{n}")));
            if o.status.success() {
                // Past the last step: the run completed.
                assert!(is_set(&set_bytes(d, "o", "m"), &new), "step {n}");
                assert!(leftovers(&dirs).is_empty(), "{:?}", leftovers(&dirs));
                break 'steps;
            }
            assert_eq!(
                killed_by(&o.status),
                Some(9),
                "step {n}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            steps = n;
            let raw = set_bytes(d, "o", "m");
            if !is_set(&raw, &old) && !is_set(&raw, &new) {
                mixed_on_disk += 1;
            }
            let (mut first, mut second) = match next {
                0 => (eval_preds(d), predict_models(d)),
                1 => (predict_models(d), eval_preds(d)),
                _ => (train_cmd(d, "1", "o", "m"), eval_preds(d)),
            };
            ok(&run(&mut first));
            let after = set_bytes(d, "o", "m");
            let context = format!(
                "step {n}, next command {next}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            if next == 2 {
                // The train put its own set (the old settings) in place, whole.
                assert!(is_set(&after, &old), "{context}");
            } else if is_set(&after, &old) {
                old_seen += 1;
            } else {
                assert!(
                    is_set(&after, &new),
                    "{context}: a mix of the old and new sets after recovery"
                );
                new_seen += 1;
            }
            // Once the other folder was touched too, nothing of the dead run is left.
            ok(&run(&mut second));
            assert_eq!(leftovers(&dirs), Vec::<String>::new(), "{context}");
            let end = set_bytes(d, "o", "m");
            assert!(is_set(&end, &old) || is_set(&end, &new), "{context}");
        }
    }
    eprintln!(
        "{steps} steps killed, 3 times each: readers found the old set {old_seen} times, the \
         new set {new_seen} times; {mixed_on_disk} kills left a mix on disk that recovery put \
         back"
    );
    assert!(
        steps >= 15,
        "only {steps} steps: the fault hook did not fire"
    );
    assert!(old_seen > 0 && new_seen > 0);
    assert!(
        mixed_on_disk >= 6,
        "kills between two renames: {mixed_on_disk}"
    );
}

/// Spawns `cmd` with the fault hook pausing it once its first temporary file is written, sends
/// it `signal` there, and returns the temporary file's path and the exit status.
#[cfg(unix)]
fn signal_at_temp(
    cmd: &mut Command,
    signal: &str,
) -> (std::path::PathBuf, std::process::ExitStatus) {
    use std::io::BufRead;
    let mut child = cmd
        .env("RUMEDBENCH_FAULT", "pause-at:temp-written")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(|l| l.ok())
        {
            let _ = tx.send(line);
        }
    });
    let marker = "paused at temp-written (";
    let mut seen = Vec::new();
    let tmp = loop {
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(line) => match line.find(marker) {
                Some(i) => break line[i + marker.len()..line.len() - 1].to_string(),
                None => seen.push(line),
            },
            Err(_) => {
                let _ = child.kill();
                panic!("no pause within 120 s: {}", seen.join("\n"));
            }
        }
    };
    let tmp = std::path::PathBuf::from(tmp);
    assert!(
        tmp.exists(),
        "the paused run's temporary file {} is missing",
        tmp.display()
    );
    let _ = Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            panic!("SIG{signal} did not end the run");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (tmp, status)
}

/// SIGTERM, SIGINT and SIGHUP while `test --out`, `train`, `tune`, `submit` and `report` have a
/// temporary file written (paused there by the fault hook, so no timing is involved): the run
/// ends with status 130, its temporary file is gone and the earlier output is untouched. A
/// SIGKILL there leaves the file, which the next `test --out` into that folder removes.
#[cfg(unix)]
#[test]
fn a_signal_during_any_write_removes_its_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    make_task(d, 300);
    ok(&run(&mut train_cmd(d, "1", "o", "m")));
    let old = set_bytes(d, "o", "m");
    std::fs::create_dir_all(d.join("p")).unwrap();
    std::fs::write(d.join("p/preds.jsonl"), "earlier\n").unwrap();
    std::fs::write(
        d.join("syn.toml"),
        "name = \"syn\"\nid_field = \"id\"\ntext_fields = [\"text\"]\nlabel_field = \"label\"\n\
         train = \"train.jsonl\"\ndev = \"dev.jsonl\"\ntest = \"test.jsonl\"\n",
    )
    .unwrap();
    submit_data(&d.join("data"));
    std::fs::write(d.join("p/sub.zip"), "earlier zip").unwrap();
    std::fs::write(d.join("p/chart.svg"), "earlier chart").unwrap();
    let bin = || {
        let mut c = Command::new(common::bin());
        c.current_dir(d).env_remove("RUMEDBENCH_DATA");
        c
    };
    let test_out = || {
        let mut c = bin();
        c.args([
            "test",
            "--model",
            "m/syn-feature.rmb",
            "--input",
            "test.jsonl",
            "--out",
            "p/preds.jsonl",
        ]);
        c
    };
    let mut cases: Vec<(&str, Command, &str)> = vec![
        ("test --out", test_out(), "TERM"),
        ("test --out", test_out(), "INT"),
        ("test --out", test_out(), "HUP"),
        ("train", train_cmd(d, "0.01", "o", "m"), "TERM"),
        ("train", train_cmd(d, "0.01", "o", "m"), "INT"),
    ];
    let mut tune = bin();
    tune.args([
        "tune",
        "--task-file",
        "syn.toml",
        "--out",
        "ot",
        "--models-dir",
        "mt",
    ]);
    cases.push(("tune", tune, "TERM"));
    let mut submit = bin();
    submit.args([
        "submit",
        "--model",
        "naive",
        "--data-dir",
        "data",
        "--out",
        "p/sub.zip",
    ]);
    cases.push(("submit", submit, "TERM"));
    let mut report = bin();
    report.args([
        "report",
        "o/feature",
        "--out",
        "p/chart.svg",
        "--paper",
        "none",
    ]);
    cases.push(("report", report, "HUP"));
    for (what, mut cmd, signal) in cases {
        let (tmp, status) = signal_at_temp(&mut cmd, signal);
        assert_eq!(status.code(), Some(130), "{what}, SIG{signal}: {status:?}");
        assert!(!tmp.exists(), "{what}, SIG{signal}: {} left", tmp.display());
        let all = [
            d.join("o/feature"),
            d.join("m"),
            d.join("p"),
            d.join("ot/tuned"),
            d.join("mt"),
        ];
        let dirs: Vec<_> = all.into_iter().filter(|p| p.is_dir()).collect();
        assert_eq!(
            leftovers(&dirs),
            Vec::<String>::new(),
            "{what}, SIG{signal}"
        );
        assert!(is_set(&set_bytes(d, "o", "m"), &old), "{what}, SIG{signal}");
        assert_eq!(
            std::fs::read(d.join("p/preds.jsonl")).unwrap(),
            b"earlier\n"
        );
        assert_eq!(std::fs::read(d.join("p/sub.zip")).unwrap(), b"earlier zip");
        assert_eq!(
            std::fs::read(d.join("p/chart.svg")).unwrap(),
            b"earlier chart"
        );
    }
    // SIGKILL cannot be caught: the temporary file stays until the next command writing into
    // (or reading) that folder removes it.
    let (tmp, status) = signal_at_temp(&mut test_out(), "KILL");
    assert_eq!(killed_by(&status), Some(9));
    assert!(tmp.exists());
    assert_eq!(
        std::fs::read(d.join("p/preds.jsonl")).unwrap(),
        b"earlier\n"
    );
    ok(&test_out().output().unwrap());
    assert!(!tmp.exists(), "{} was not removed", tmp.display());
    assert_eq!(leftovers(&[d.join("p")]), Vec::<String>::new());
    assert_ne!(
        std::fs::read(d.join("p/preds.jsonl")).unwrap(),
        b"earlier\n"
    );
}

/// A made-up data folder for `submit` (as in `tests/submit.rs`): DaNet train and private test,
/// NLI dev and private test, RuMedTest private test.
fn submit_data(dir: &Path) {
    let write = |rel: &str, body: String| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    };
    let mut danet = String::new();
    for (i, ans) in ["да", "нет", "да", "нет"].iter().enumerate() {
        danet.push_str(&format!(
            "{{\"pairID\": \"t{i}\", \"context\": \"Кошка спит {i}\", \"question\": \"Это кошка?\", \"answer\": \"{ans}\"}}\n"
        ));
    }
    write("RuMedDaNet/train_v1.jsonl", danet);
    write(
        "RuMedDaNet/private_test_v1.jsonl",
        "{\"pairID\": \"p1\", \"context\": \"Кошка лежит\", \"question\": \"Это кошка?\"}\n".into(),
    );
    let mut nli = String::new();
    for (i, label) in ["entailment", "neutral", "contradiction", "entailment"]
        .iter()
        .enumerate()
    {
        nli.push_str(&format!(
            "{{\"pairID\": \"d{i}\", \"ru_sentence1\": \"Боль {i}\", \"ru_sentence2\": \"Есть боль {label}\", \"gold_label\": \"{label}\"}}\n"
        ));
    }
    write("RuMedNLI/dev_v1.jsonl", nli);
    write(
        "RuMedNLI/private_test_v1.jsonl",
        "{\"pairID\": \"n1\", \"ru_sentence1\": \"Кашель\", \"ru_sentence2\": \"Есть кашель\"}\n"
            .into(),
    );
    write(
        "RuMedTest/private_test_v1.jsonl",
        "{\"idx\": \"q1\", \"question\": \"Что такое\", \"1\": \"а\", \"2\": \"б\", \"3\": \"в\", \"4\": \"г\"}\n"
            .into(),
    );
}

/// CRFsuite writes its model to a named file while it trains. The library creates it in the
/// system's temporary folder, which the command line makes a scratch folder of its own that a
/// signal removes: SIGTERM while the CRF of RuMedNER trains leaves `TMPDIR` as it was (empty),
/// and the earlier outputs untouched.
#[cfg(unix)]
#[test]
fn a_signal_while_the_crf_trains_removes_its_scratch_folder() {
    let tmpdir = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let mut child = Command::new(common::bin())
        .args(["train", "--task", "ner", "--data-dir"])
        .arg(common::data_dir())
        .args(["--out", "out", "--models-dir", "models"])
        .current_dir(work.path())
        .env("TMPDIR", tmpdir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The CRF's own temporary folder appears inside the scratch folder when training starts.
    let start = Instant::now();
    let crf_dir = loop {
        let scratch: Vec<_> = std::fs::read_dir(tmpdir.path())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        let inner = scratch
            .iter()
            .filter(|p| p.is_dir())
            .filter_map(|p| std::fs::read_dir(p).ok())
            .flat_map(|d| d.flatten().map(|e| e.path()).collect::<Vec<_>>())
            .find(|p| p.is_dir());
        if let Some(d) = inner {
            break d;
        }
        if let Some(s) = child.try_wait().unwrap() {
            panic!("the run ended ({s}) before the CRF's folder was seen");
        }
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "no CRF scratch folder within 120 s"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{status}");
    assert!(!crf_dir.exists(), "{} is left", crf_dir.display());
    let left: Vec<_> = std::fs::read_dir(tmpdir.path())
        .unwrap()
        .flatten()
        .collect();
    assert!(left.is_empty(), "left in TMPDIR: {left:?}");
    assert!(!work.path().join("out/feature/RuMedNER.jsonl").exists());
}
