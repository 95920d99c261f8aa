//! Issue 22, item 3: `--threshold T` / `--tune-threshold` on a single-label binary task with
//! `--positive-label`, kept in the model file and used by `predict` and `test`. On a synthetic
//! imbalanced binary task written here (a quarter positive, noisy cue words).

mod common;

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

fn write_split(dir: &Path, name: &str, n: usize, seed: u64) {
    let pos = ["боль", "жар", "кашель", "сыпь"];
    let neg = ["сон", "вес", "слух", "аппетит"];
    let fill = ["пациент", "жалуется", "утром", "давно", "врач", "снова"];
    let mut state = seed;
    let mut next = move |m: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % m
    };
    let mut body = String::from("id,text,label\n");
    for i in 0..n {
        let y = next(4) == 0;
        let cue = if (next(5) != 0) == y { &pos } else { &neg };
        let mut words: Vec<&str> = (0..3).map(|_| fill[next(fill.len())]).collect();
        words.insert(next(4), cue[next(cue.len())]);
        let label = if y { "да" } else { "нет" };
        writeln!(body, "{name}{i},{},{label}", words.join(" ")).unwrap();
    }
    std::fs::write(dir.join(format!("{name}.csv")), body).unwrap();
}

fn task_flags(d: &Path) -> Vec<String> {
    write_split(d, "train", 200, 1);
    write_split(d, "dev", 100, 2);
    write_split(d, "test", 100, 3);
    [
        "--train",
        "train.csv",
        "--dev",
        "dev.csv",
        "--test",
        "test.csv",
        "--text-field",
        "text",
        "--label-field",
        "label",
        "--id-field",
        "id",
        "--name",
        "bin",
    ]
    .map(String::from)
    .to_vec()
}

fn run(d: &Path, base: &[String], extra: &[&str]) -> (String, String) {
    let mut v: Vec<&str> = base.iter().map(String::as_str).collect();
    v.extend(extra);
    common::ok_in(d, &v)
}

fn test_json(d: &Path, model: &str) -> Value {
    let (out, _) = common::ok_in(
        d,
        &[
            "test",
            "--model",
            model,
            "--input",
            "test.csv",
            "--positive-label",
            "да",
            "--format",
            "json",
        ],
    );
    serde_json::from_str(&out).unwrap()
}

#[test]
fn a_threshold_is_kept_in_the_model_and_used_by_test_and_predict() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let flags = task_flags(d);
    let mut train = vec!["train".to_string()];
    train.extend(flags);
    run(d, &train, &["--models-dir", "m0", "--out", "o0"]);
    run(
        d,
        &train,
        &[
            "--models-dir",
            "m1",
            "--out",
            "o1",
            "--positive-label",
            "да",
            "--threshold",
            "0.2",
        ],
    );
    let (base, low) = (
        test_json(d, "m0/bin-feature.rmb"),
        test_json(d, "m1/bin-feature.rmb"),
    );
    // A lower threshold predicts the positive label at least as often: recall cannot fall.
    let (r0, r1) = (
        base["positive_recall"].as_f64().unwrap(),
        low["positive_recall"].as_f64().unwrap(),
    );
    assert!(r1 >= r0, "{r0} -> {r1}");
    assert_ne!(
        base["accuracy"], low["accuracy"],
        "the threshold changed nothing"
    );

    // test's predictions equal train's test predictions (the rule travels in the model file).
    common::ok_in(
        d,
        &[
            "test",
            "--model",
            "m1/bin-feature.rmb",
            "--input",
            "test.csv",
            "--out",
            "t.jsonl",
        ],
    );
    let (a, b) = (
        common::read_jsonl(&d.join("t.jsonl")),
        common::read_jsonl(&d.join("o1/feature/bin.jsonl")),
    );
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x["prediction"], y["prediction"]);
    }
    // predict: the positive label is first exactly when its probability is >= 0.2.
    let texts: String = (0..30)
        .map(|i| format!("пациент жалуется {} утром\n", ["боль", "сон", "вес"][i % 3]))
        .collect();
    std::fs::write(d.join("in.txt"), texts).unwrap();
    let (out, _) = common::ok_in(
        d,
        &[
            "predict",
            "--model",
            "m1/bin-feature.rmb",
            "--input",
            "in.txt",
        ],
    );
    for line in out.lines() {
        let v: Value = serde_json::from_str(line).unwrap();
        let ranked = v["prediction"].as_array().unwrap();
        let p_pos = ranked.iter().find(|r| r["label"] == "да").unwrap()["prob"]
            .as_f64()
            .unwrap();
        assert_eq!(ranked[0]["label"] == "да", p_pos >= 0.2, "{line}");
    }
    let rec: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("o1/feature/bin.run.json")).unwrap())
            .unwrap();
    assert_eq!(rec["binary"]["threshold"], 0.2);
    assert_eq!(rec["hyperparameters"]["classifier"]["positive_label"], "да");
}

#[test]
fn tune_threshold_picks_the_dev_best_positive_f1() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let flags = task_flags(d);
    let mut train = vec!["train".to_string()];
    train.extend(flags);
    let (_, err) = run(d, &train, &["--positive-label", "да", "--tune-threshold"]);
    assert!(err.contains("chosen on dev"), "{err}");
    let rec: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("out/feature/bin.run.json")).unwrap())
            .unwrap();
    let tried = rec["binary"]["threshold_tuned_on_dev"].as_array().unwrap();
    assert_eq!(tried.len(), 19);
    let best = tried
        .iter()
        .map(|t| t["dev_positive_f1"].as_f64().unwrap())
        .fold(f64::MIN, f64::max);
    let chosen = rec["binary"]["threshold"].as_f64().unwrap();
    let at = tried
        .iter()
        .find(|t| t["threshold"].as_f64().unwrap() == chosen)
        .unwrap();
    assert_eq!(at["dev_positive_f1"].as_f64().unwrap(), best);
}

#[test]
fn thresholds_are_refused_where_they_do_not_apply() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let flags = task_flags(d);
    let fails = |extra: &[&str]| {
        let mut v: Vec<&str> = vec!["train"];
        v.extend(flags.iter().map(String::as_str));
        v.extend(extra);
        let o = common::run_in(d, &v);
        assert!(!o.status.success(), "{extra:?}");
        assert!(matches!(o.status.code(), Some(1 | 2)), "{:?}", o.status);
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let e = fails(&["--threshold", "0.3"]);
    assert!(e.contains("--positive-label"), "{e}");
    let e = fails(&["--threshold", "0.3", "--positive-label", "может"]);
    assert!(e.contains("может") && e.contains("да, нет"), "{e}");
    let e = fails(&[
        "--threshold",
        "0.3",
        "--positive-label",
        "да",
        "--model",
        "naive",
    ]);
    assert!(e.contains("naive"), "{e}");
}

#[test]
fn tune_chooses_the_tuned_models_threshold_on_dev() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let flags = task_flags(d);
    let mut tune = vec!["tune".to_string()];
    tune.extend(flags);
    let (_, err) = run(
        d,
        &tune,
        &["--positive-label", "да", "--select-by", "f1:да"],
    );
    assert!(err.contains("chosen on dev"), "{err}");
    let rec: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("out/tuned/bin.tune.json")).unwrap())
            .unwrap();
    let t = rec["binary"]["threshold"].as_f64().unwrap();
    assert_eq!(
        rec["hyperparameters"]["classifier"]["threshold"]
            .as_f64()
            .unwrap(),
        t
    );
    // The tuned model carries it: test reproduces tune's predictions.
    common::ok_in(
        d,
        &[
            "test",
            "--model",
            "models/bin-tuned.rmb",
            "--input",
            "test.csv",
            "--out",
            "t.jsonl",
        ],
    );
    let (a, b) = (
        common::read_jsonl(&d.join("t.jsonl")),
        common::read_jsonl(&d.join("out/tuned/bin.jsonl")),
    );
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x["prediction"], y["prediction"]);
    }
    // A task with more than two labels is refused with the labels named.
    let mut bad = vec!["tune".to_string()];
    bad.extend(
        [
            "--task-file",
            &format!(
                "{}/tests/fixtures/toy/task.toml",
                env!("CARGO_MANIFEST_DIR")
            ),
            "--positive-label",
            "G43",
        ]
        .map(String::from),
    );
    let v: Vec<&str> = bad.iter().map(String::as_str).collect();
    let o = common::run_in(d, &v);
    assert_eq!(o.status.code(), Some(1));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("binary task") && e.contains("G43"), "{e}");
}
