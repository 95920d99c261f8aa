//! `rumedbench test`: a saved model scored on labelled records, on the synthetic fixture
//! `tests/fixtures/toy/relabelled.tsv` (the toy test split with renamed columns and four gold
//! labels changed, one to a label the model never saw).

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/toy")
        .join(name)
        .display()
        .to_string()
}

fn run(dir: &Path, args: &[&str]) -> Output {
    common::run_in(dir, args)
}

fn ok(dir: &Path, args: &[&str]) -> (String, String) {
    common::ok_in(dir, args)
}

fn trained(dir: &Path) -> String {
    ok(dir, &["train", "--task-file", &fixture("task.toml")]);
    "models/toy-feature.rmb".into()
}

const REMAP: [&str; 6] = [
    "--id-field",
    "note_id",
    "--text-field",
    "note",
    "--label-field",
    "diagnosis",
];

#[test]
fn figures_equal_scikit_learns_on_the_same_predictions() {
    let dir = tempfile::tempdir().unwrap();
    let model = trained(dir.path());
    let input = fixture("relabelled.tsv");
    let mut args = vec![
        "test", "--model", &model, "--input", &input, "--format", "json",
    ];
    args.extend(REMAP);
    args.extend(["--per-label", "--out", "pred.jsonl"]);
    let (out, err) = ok(dir.path(), &args);
    assert!(
        err.contains("never seen in training are counted wrong: Z99"),
        "{err}"
    );
    // The predictions `--out` wrote, in train's schema with the input's field names.
    let preds: Vec<Value> = std::fs::read_to_string(dir.path().join("pred.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let top1: Vec<&str> = preds
        .iter()
        .map(|p| p["prediction"][0].as_str().unwrap())
        .collect();
    assert_eq!(
        top1,
        ["G43", "J06", "K29", "L30", "M54", "G43", "J06", "K29", "L30", "M54"]
    );
    assert_eq!(preds[1]["note_id"], "ts002");
    assert_eq!(preds[1]["diagnosis"], "K29");
    // Expected values from scikit-learn 1.3.2 on those predictions (gold = `diagnosis`):
    //   python -c 'import json; from sklearn.metrics import *; r=[json.loads(l) for l in
    //   open("pred.jsonl")]; y=[x["diagnosis"] for x in r]; p=[x["prediction"][0] for x in r];
    //   print(accuracy_score(y,p), f1_score(y,p,average="macro",zero_division=0),
    //   f1_score(y,p,average="weighted",zero_division=0));
    //   print(classification_report(y,p,zero_division=0,digits=4))'
    // -> 0.6 0.4 0.72; G43/K29/M54 precision 1.0 recall 0.6667 f1 0.8 support 3; J06, L30
    //    0 0 0 support 0; Z99 0 0 0 support 1; macro avg 0.5 0.3333 0.4; weighted avg 0.9 0.6 0.72.
    let j: Value = serde_json::from_str(&out).unwrap();
    let close = |v: &Value, x: f64| (v.as_f64().unwrap() - x).abs() < 1e-9;
    assert!(close(&j["accuracy"], 60.0), "{j}");
    assert!(close(&j["hit3"], 80.0), "{j}");
    assert!(close(&j["macro_f1"], 40.0), "{j}");
    assert!(close(&j["weighted_f1"], 72.0), "{j}");
    let pl = &j["per_label"];
    for l in ["G43", "K29", "M54"] {
        assert!(close(&pl[l]["precision"], 100.0), "{l}: {pl}");
        assert!(close(&pl[l]["recall"], 200.0 / 3.0), "{l}: {pl}");
        assert!(close(&pl[l]["f1"], 80.0), "{l}: {pl}");
        assert_eq!(pl[l]["support"], 3);
    }
    for l in ["J06", "L30", "Z99"] {
        assert!(close(&pl[l]["f1"], 0.0), "{l}: {pl}");
    }
    assert_eq!(pl["J06"]["support"], 0);
    assert_eq!(pl["Z99"]["support"], 1);
    assert!(close(&pl["macro avg"]["precision"], 50.0), "{pl}");
    assert!(close(&pl["macro avg"]["recall"], 100.0 / 3.0), "{pl}");
    assert!(close(&pl["weighted avg"]["precision"], 90.0), "{pl}");
    assert!(close(&pl["weighted avg"]["recall"], 60.0), "{pl}");
    assert!(close(&pl["weighted avg"]["f1"], 72.0), "{pl}");
}

#[test]
fn a_tagger_reports_token_accuracy_and_entity_figures() {
    let dir = tempfile::tempdir().unwrap();
    let train = fixture("ner_train.csv");
    ok(
        dir.path(),
        &[
            "train",
            "--train",
            &train,
            "--tokens-field",
            "tokens",
            "--tags-field",
            "tags",
            "--id-field",
            "id",
            "--name",
            "toyner",
        ],
    );
    let input = fixture("ner_test.jsonl");
    let (out, _) = ok(
        dir.path(),
        &[
            "test",
            "--model",
            "models/toyner-feature.rmb",
            "--input",
            &input,
            "--format",
            "json",
        ],
    );
    let j: Value = serde_json::from_str(&out).unwrap();
    for k in ["accuracy", "entity_precision", "entity_recall", "entity_f1"] {
        assert!(j[k].as_f64().is_some(), "{k} missing: {j}");
    }
    assert!(j.get("macro_f1").is_none(), "{j}");
    assert_eq!(j["records"], 8);
}

#[test]
fn a_missing_field_lists_the_fields_the_record_has() {
    let dir = tempfile::tempdir().unwrap();
    let model = trained(dir.path());
    let input = fixture("relabelled.tsv");
    let o = run(
        dir.path(),
        &[
            "test",
            "--model",
            &model,
            "--input",
            &input,
            "--text-field",
            "note",
        ],
    );
    assert!(!o.status.success());
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(
        err.contains(
            "relabelled.tsv:2: field `id`: missing (the record has `note_id`, `note`, `diagnosis`)"
        ),
        "{err}"
    );
    // A text-field count that does not fit the task is refused before reading.
    let o = run(
        dir.path(),
        &[
            "test",
            "--model",
            &model,
            "--input",
            &input,
            "--text-field",
            "a",
            "--text-field",
            "b",
        ],
    );
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(err.contains("--text-field given 2 time(s)"), "{err}");
}

#[test]
fn own_task_predictions_score_like_built_in_ones() {
    let dir = tempfile::tempdir().unwrap();
    trained(dir.path());
    let (table, _) = ok(
        dir.path(),
        &["eval", "out/feature", "--positive-label", "G43"],
    );
    assert!(
        table.starts_with("| system | toy (acc / hit3) |"),
        "{table}"
    );
    assert!(!table.contains("Overall"), "{table}");
    assert!(
        table.contains(
            "toy, positive label G43: precision 100.00, recall 100.00, f1 100.00 (support 2)"
        ),
        "{table}"
    );
    let (json, _) = ok(
        dir.path(),
        &[
            "eval",
            "out/feature",
            "--format",
            "json",
            "--bootstrap",
            "50",
        ],
    );
    let j: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(j["overall"], Value::Null, "{j}");
    assert_eq!(j["tasks"]["toy"]["acc"], 100.0, "{j}");
    assert!(j["tasks"]["toy"]["acc_ci95"].is_array(), "{j}");
    let (cmp, _) = ok(dir.path(), &["compare", "out/feature", "out/feature"]);
    assert!(
        cmp.contains("| toy | acc | 100.00 | 100.00 | +0.00 |"),
        "{cmp}"
    );
    // Without the run record, the task file says what the predictions are.
    let other = dir.path().join("copy");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::copy(
        dir.path().join("out/feature/toy.jsonl"),
        other.join("toy.jsonl"),
    )
    .unwrap();
    let o = run(dir.path(), &["eval", "copy"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("holds no prediction file"));
    let tf = fixture("task.toml");
    let (table, _) = ok(dir.path(), &["eval", "copy", "--task-file", &tf]);
    assert!(table.contains("| copy | 100.00 / 100.00 |"), "{table}");
    // A task file whose predictions are absent is an error naming the file.
    std::fs::remove_file(other.join("toy.jsonl")).unwrap();
    std::fs::write(other.join("x.run.json"), "{}").unwrap();
    let o = run(dir.path(), &["eval", "copy", "--task-file", &tf]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("toy.jsonl: no prediction file for task toy"),
        "{err}"
    );
}

#[test]
fn recipe_knobs_come_from_the_task_file_then_flags_and_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let toy = PathBuf::from(fixture("train.jsonl"));
    let toy = toy.parent().unwrap();
    let tf = dir.path().join("t.toml");
    std::fs::write(
        &tf,
        format!(
            "name = \"kn\"\ntext_fields = [\"text\"]\nlabel_field = \"label\"\nid_field = \"id\"\n\
             train = \"{}\"\ntest = \"{}\"\nC = 1.0\nngram_range = [2, 5]\nclass_weight = \"balanced\"\n",
            toy.join("train.jsonl").display(),
            toy.join("test.jsonl").display()
        ),
    )
    .unwrap();
    let tfs = tf.display().to_string();
    ok(
        dir.path(),
        &["train", "--task-file", &tfs, "--C", "3", "--sublinear-tf"],
    );
    let rec: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/feature/kn.run.json")).unwrap(),
    )
    .unwrap();
    let h = &rec["hyperparameters"];
    assert_eq!(h["classifier"]["C"], 3.0, "the flag wins: {h}");
    assert_eq!(h["classifier"]["class_weight"], "balanced", "{h}");
    assert_eq!(
        h["vectorizer"]["ngram_range"],
        serde_json::json!([2, 5]),
        "{h}"
    );
    assert_eq!(h["vectorizer"]["sublinear_tf"], true, "{h}");
    assert_eq!(rec["task_spec"]["name"], "kn");
    // An unknown key lists the known ones; a near-miss flag names the right one.
    std::fs::write(&tf, "name = \"kn\"\nCC = 1\n").unwrap();
    let o = run(dir.path(), &["train", "--task-file", &tfs]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("unknown key `CC`; a task file knows") && err.contains(", C, "),
        "{err}"
    );
    let o = run(dir.path(), &["train", "--task", "top3", "--c", "1"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("did you mean '--C'?"), "{err}");
    let o = run(
        dir.path(),
        &["train", "--task", "top3", "--ngram-range", "5,3"],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("1 <= MIN <= MAX"), "{err}");
}

#[test]
fn tune_takes_a_task_file_and_a_budget() {
    let dir = tempfile::tempdir().unwrap();
    let tf = fixture("task.toml");
    let (out, _) = ok(dir.path(), &["tune", "--task-file", &tf]);
    assert!(out.contains("toy: 24 of 24 grid points"), "{out}");
    assert!(
        !out.contains("Table 3"),
        "no paper table for an own task: {out}"
    );
    let rec = |d: &Path| -> Value {
        serde_json::from_str(&std::fs::read_to_string(d.join("out/tuned/toy.tune.json")).unwrap())
            .unwrap()
    };
    assert_eq!(rec(dir.path())["grid"].as_array().unwrap().len(), 24);
    // A budget that has run out before the search starts leaves the paper's setting alone.
    let (out, _) = ok(
        dir.path(),
        &["tune", "--task-file", &tf, "--budget", "0.000001"],
    );
    assert!(out.contains("toy: 1 of 24 grid points"), "{out}");
    let r = rec(dir.path());
    assert_eq!(r["grid_size"], 24);
    assert_eq!(r["grid"][0]["index"], 0);
    assert_eq!(r["chosen"], 0);
    let o = run(dir.path(), &["tune", "--task-file", &tf, "--budget", "-1"]);
    assert!(!o.status.success());
}

#[test]
fn unreadable_prediction_files_and_split_folders_are_named_not_missing() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("preds");
    std::fs::create_dir_all(p.join("RuMedDaNet.jsonl")).unwrap();
    std::fs::write(
        p.join("RuMedTop3.jsonl"),
        "{\"idx\": 1, \"code\": \"A\", \"prediction\": [\"A\"]}\n",
    )
    .unwrap();
    let o = run(dir.path(), &["eval", "preds"]);
    assert!(
        !o.status.success(),
        "a folder in place of a file is not 'missing'"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("RuMedDaNet.jsonl: not a file"), "{err}");
    std::fs::remove_dir(p.join("RuMedDaNet.jsonl")).unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("/nonexistent/x", p.join("RuMedNLI.jsonl")).unwrap();
        let o = run(dir.path(), &["eval", "preds"]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success());
        assert!(
            err.contains("cannot read") && err.contains("RuMedNLI.jsonl"),
            "{err}"
        );
    }
    // A test split that is a folder says so, rather than "not found ... fetch the data".
    let data = dir.path().join("data/RuMedDaNet");
    std::fs::create_dir_all(data.join("test_v1.jsonl")).unwrap();
    let rows =
        "{\"pairID\": \"a\", \"context\": \"к\", \"question\": \"в?\", \"answer\": \"да\"}\n\
         {\"pairID\": \"b\", \"context\": \"л\", \"question\": \"г?\", \"answer\": \"нет\"}\n";
    std::fs::write(data.join("dev_v1.jsonl"), rows).unwrap();
    std::fs::write(
        data.join("train_v1.jsonl"),
        "{\"pairID\": \"a\", \"context\": \"к\", \"question\": \"в?\", \"answer\": \"да\"}\n\
         {\"pairID\": \"b\", \"context\": \"л\", \"question\": \"г?\", \"answer\": \"нет\"}\n",
    )
    .unwrap();
    let o = run(
        dir.path(),
        &["train", "--task", "danet", "--data-dir", "data"],
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(err.contains("split is not a file"), "{err}");
}
