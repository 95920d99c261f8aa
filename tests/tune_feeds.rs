//! Issue 22, item 1: `tune`'s outputs feed `eval`, `compare` and `report` like `train`'s do;
//! `compare --task-file`; `test --out` writes a run record; every task-file key survives tune;
//! `tune --train/--dev/--test` with field flags; `--select-by`; `--grid`; a tagger's chosen
//! model is kept rather than refitted. On the synthetic fixtures in `tests/fixtures/`.

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

fn fixture(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(path)
        .display()
        .to_string()
}

fn ok(dir: &Path, args: &[&str]) -> (String, String) {
    common::ok_in(dir, args)
}

fn fails(dir: &Path, args: &[&str]) -> String {
    let o = common::run_in(dir, args);
    assert!(!o.status.success(), "{args:?} should fail");
    assert!(
        matches!(o.status.code(), Some(1 | 2)),
        "{args:?}: {:?}",
        o.status
    );
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// The toy task (five classes) by flags, as a user without a task file gives it.
fn toy_flags(extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = vec![
        "--train".into(),
        fixture("toy/train.csv"),
        "--dev".into(),
        fixture("toy/dev.csv"),
        "--test".into(),
        fixture("toy/test.csv"),
        "--text-field".into(),
        "text".into(),
        "--label-field".into(),
        "label".into(),
        "--id-field".into(),
        "id".into(),
        "--name".into(),
        "toy".into(),
    ];
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn args<'a>(cmd: &'a str, v: &'a [String]) -> Vec<&'a str> {
    std::iter::once(cmd)
        .chain(v.iter().map(String::as_str))
        .collect()
}

#[test]
fn a_tune_folder_is_read_by_eval_compare_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let task = fixture("toy/task.toml");
    ok(d, &["train", "--task-file", &task]);
    ok(d, &["tune", "--task-file", &task]);
    // Ranked top-3 lists, as train writes for more than three classes.
    let preds = common::read_jsonl(&d.join("out/tuned/toy.jsonl"));
    assert!(
        preds
            .iter()
            .all(|p| p["prediction"].as_array().is_some_and(|a| a.len() == 3)),
        "{:?}",
        preds[0]
    );
    let (out, _) = ok(d, &["eval", "out/tuned", "--format", "json"]);
    let j: Value = serde_json::from_str(&out).unwrap();
    assert!(j["tasks"]["toy"]["hit3"].is_number(), "{j}");
    assert!(j["overall"].is_null(), "{j}");

    let (table, _) = ok(d, &["compare", "out/tuned", "out/feature"]);
    assert!(table.contains("| toy | acc |"), "{table}");
    assert!(table.contains("| toy | hit3 |"), "{table}");
    // Outside the benchmark there is no Overall and no "skipped RuMed…" line.
    assert!(!table.contains("Overall"), "{table}");
    assert!(!table.contains("skipped"), "{table}");
    let (cj, _) = ok(
        d,
        &["compare", "out/tuned", "out/feature", "--format", "json"],
    );
    let cj: Value = serde_json::from_str(&cj).unwrap();
    assert!(
        cj["overall"].is_null() && cj["skipped"] == serde_json::json!([]),
        "{cj}"
    );

    ok(
        d,
        &["report", "out/tuned", "out/feature", "--out", "chart.svg"],
    );
    assert!(d.join("chart.svg").is_file());

    // A folder of bare predictions (no run record) is compared when --task-file names it.
    std::fs::create_dir(d.join("bare")).unwrap();
    std::fs::copy(d.join("out/feature/toy.jsonl"), d.join("bare/toy.jsonl")).unwrap();
    let o = common::run_in(d, &["compare", "bare", "out/tuned"]);
    assert!(!o.status.success());
    let (t2, _) = ok(d, &["compare", "bare", "out/tuned", "--task-file", &task]);
    assert!(t2.contains("| toy | acc |"), "{t2}");
}

#[test]
fn test_out_writes_a_run_record_so_compare_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let task = fixture("toy/task.toml");
    ok(d, &["train", "--task-file", &task]);
    let (_, err) = ok(
        d,
        &[
            "test",
            "--model",
            "models/toy-feature.rmb",
            "--input",
            &fixture("toy/test.jsonl"),
            "--out",
            "t/preds.jsonl",
        ],
    );
    assert!(err.contains("t/preds.run.json"), "{err}");
    let rec = json(&d.join("t/preds.run.json"));
    assert_eq!(rec["command"], "test");
    assert_eq!(rec["task"], "toy");
    assert_eq!(rec["task_spec"]["name"], "toy");
    let (table, _) = ok(d, &["compare", "t", "out/feature"]);
    // The same model on the same file: identical figures.
    assert!(table.contains("| toy | acc |"), "{table}");
    assert!(table.contains("+0.00 | [+0.00, +0.00] | 1.0000"), "{table}");
    let (e, _) = ok(d, &["eval", "t"]);
    assert!(e.contains("toy"), "{e}");
}

#[test]
fn every_task_file_key_survives_tune() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ml = |f: &str| fixture(&format!("multilabel/{f}"));
    let toml = format!(
        "name = \"codes\"\nid_field = \"id\"\ntext_fields = [\"text\"]\nlabel_field = \"codes\"\n\
         multi_label = true\nallow_empty = true\ntol = 0.05\ntrain = {:?}\ndev = {:?}\n\
         test = {:?}\n",
        ml("train.jsonl"),
        ml("dev.jsonl"),
        ml("test.jsonl")
    );
    std::fs::write(d.join("task.toml"), toml).unwrap();
    ok(d, &["tune", "--task-file", "task.toml"]);
    let rec = json(&d.join("out/tuned/codes.tune.json"));
    let h = &rec["hyperparameters"]["classifier"];
    assert_eq!(h["multi_label"]["allow_empty"], true, "{h}");
    assert_eq!(h["tol"], 0.05, "{h}");
    // The model file keeps the rule: a high threshold with allow_empty may predict nothing,
    // and the tuned model's test predictions are what the record scored.
    ok(
        d,
        &[
            "test",
            "--model",
            "models/codes-tuned.rmb",
            "--input",
            &ml("test.jsonl"),
            "--out",
            "again.jsonl",
        ],
    );
    assert_eq!(
        std::fs::read(d.join("again.jsonl")).unwrap(),
        std::fs::read(d.join("out/tuned/codes.jsonl")).unwrap()
    );
}

#[test]
fn tune_takes_a_task_by_flags_a_selection_metric_and_a_grid() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let flags = toy_flags(&[
        "--select-by",
        "macro_f1",
        "--grid",
        "C=1,10",
        "--grid",
        "ngram_range=1-3,2-4",
        "--grid",
        "class_weight=balanced",
    ]);
    ok(d, &args("tune", &flags));
    let rec = json(&d.join("out/tuned/toy.tune.json"));
    assert_eq!(rec["selection"]["metric"], "dev macro-F1");
    // 2 C x 2 ranges x 2 sublinear (built-in) x 1 class weight.
    assert_eq!(rec["grid_size"], 8, "{rec}");
    let grid = rec["grid"].as_array().unwrap();
    assert_eq!(grid[0]["settings"]["C"], 1.0);
    assert_eq!(
        grid[0]["settings"]["ngram_range"],
        serde_json::json!([1, 3])
    );
    assert!(grid
        .iter()
        .all(|p| p["settings"]["class_weight"] == "balanced"));
    // The selection score is each point's dev macro-F1, not its accuracy, and the chosen point
    // has the highest.
    let (train_out, _) = ok(
        d,
        &args(
            "train",
            &toy_flags(&[
                "--C",
                "1",
                "--ngram-range",
                "1,3",
                "--class-weight",
                "balanced",
                "--out",
                "p0",
            ]),
        ),
    );
    let _ = train_out;
    let (t, _) = ok(
        d,
        &[
            "test",
            "--model",
            "models/toy-feature.rmb",
            "--input",
            &fixture("toy/dev.csv"),
            "--format",
            "json",
        ],
    );
    let t: Value = serde_json::from_str(&t).unwrap();
    let p0 = grid[0]["selection_score"].as_f64().unwrap();
    assert!(
        (p0 - t["macro_f1"].as_f64().unwrap()).abs() < 1e-9,
        "{p0} vs {t}"
    );
    let best = grid
        .iter()
        .map(|p| p["selection_score"].as_f64().unwrap())
        .fold(f64::MIN, f64::max);
    let chosen = rec["chosen"].as_u64().unwrap() as usize;
    assert_eq!(grid[chosen]["selection_score"].as_f64().unwrap(), best);

    // One label's F1.
    let flags = toy_flags(&["--select-by", "f1:G43", "--out", "o2", "--models-dir", "m2"]);
    ok(d, &args("tune", &flags));
    let rec = json(&d.join("o2/tuned/toy.tune.json"));
    assert_eq!(rec["selection"]["metric"], "dev F1 of label G43");

    // Refusals name the flag.
    let e = fails(d, &args("tune", &toy_flags(&["--grid", "c1=0.1"])));
    assert!(e.contains("--grid c1"), "{e}");
    let e = fails(d, &args("tune", &toy_flags(&["--grid", "C=0"])));
    assert!(e.contains("--grid C"), "{e}");
    let e = fails(d, &args("tune", &toy_flags(&["--select-by", "f2"])));
    assert!(e.contains("f1:LABEL"), "{e}");
    let e = fails(
        d,
        &[
            "tune",
            "--train",
            &fixture("toy/train.csv"),
            "--text-field",
            "text",
            "--label-field",
            "label",
        ],
    );
    assert!(e.contains("dev"), "{e}");
}

#[test]
fn a_taggers_chosen_model_is_kept_not_refitted() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let flags: Vec<String> = [
        "--train",
        &fixture("toy/ner_train.jsonl"),
        "--dev",
        &fixture("toy/ner_dev.jsonl"),
        "--test",
        &fixture("toy/ner_test.jsonl"),
        "--tokens-field",
        "tokens",
        "--tags-field",
        "tags",
        "--id-field",
        "id",
        "--name",
        "ner",
    ]
    .map(String::from)
    .to_vec();
    let mut tune = flags.clone();
    tune.extend(["--grid", "c1=0.1,0.3", "--grid", "c2=0.01"].map(String::from));
    ok(d, &args("tune", &tune));
    let rec = json(&d.join("out/tuned/ner.tune.json"));
    assert!(
        rec["retrained_on"].as_str().unwrap().contains("kept"),
        "{}",
        rec["retrained_on"]
    );
    assert_eq!(rec["grid_size"], 2);
    // The kept model is what `train` fits with the chosen setting: the same predictions.
    let c = &rec["chosen_settings"];
    let (c1, c2) = (c["c1"].to_string(), c["c2"].to_string());
    let mut train = flags.clone();
    train.extend(["--c1", &c1, "--c2", &c2].map(String::from));
    ok(d, &args("train", &train));
    assert_eq!(
        std::fs::read(d.join("out/tuned/ner.jsonl")).unwrap(),
        std::fs::read(d.join("out/feature/ner.jsonl")).unwrap()
    );
}
