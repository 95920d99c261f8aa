//! Issue 22, item 2: macro-F1 and a positive label's precision, recall and F1 in `test`,
//! `eval` (with intervals) and `compare` (paired intervals and p-values); `--confusion`; one
//! JSON schema (`"tasks": {name: {acc, ...}}`) across commands. On the synthetic toy task of
//! `tests/fixtures/toy/` (five classes, hand-countable).

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

fn ok(dir: &Path, args: &[&str]) -> String {
    common::ok_in(dir, args).0
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

/// Precision, recall and F1 of `label`, and macro-F1, counted by hand from a prediction file.
fn hand_counts(preds: &[Value], label: &str) -> (f64, f64, f64, f64) {
    let top = |p: &Value| match &p["prediction"] {
        Value::Array(a) => a[0].as_str().unwrap().to_string(),
        v => v.as_str().unwrap().to_string(),
    };
    let pairs: Vec<(String, String)> = preds
        .iter()
        .map(|p| (p["label"].as_str().unwrap().to_string(), top(p)))
        .collect();
    let prf = |l: &str| {
        let tp = pairs.iter().filter(|(g, p)| g == l && p == l).count() as f64;
        let pred = pairs.iter().filter(|(_, p)| p == l).count() as f64;
        let gold = pairs.iter().filter(|(g, _)| g == l).count() as f64;
        let pr = if pred > 0.0 { tp / pred } else { 0.0 };
        let re = if gold > 0.0 { tp / gold } else { 0.0 };
        let f = if pr + re > 0.0 {
            2.0 * pr * re / (pr + re)
        } else {
            0.0
        };
        (pr * 100.0, re * 100.0, f * 100.0)
    };
    let mut labels: Vec<&String> = pairs.iter().flat_map(|(g, p)| [g, p]).collect();
    labels.sort();
    labels.dedup();
    let macro_f1 = labels.iter().map(|l| prf(l).2).sum::<f64>() / labels.len() as f64;
    let (p, r, f) = prf(label);
    (p, r, f, macro_f1)
}

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() < 1e-9, "{what}: {a} vs {b}");
}

#[test]
fn positive_label_and_macro_f1_in_test_eval_and_compare() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let task = fixture("toy/task.toml");
    ok(d, &["train", "--task-file", &task]);
    ok(
        d,
        &[
            "train",
            "--task-file",
            &task,
            "--C",
            "0.5",
            "--out",
            "b",
            "--models-dir",
            "mb",
        ],
    );
    let preds = common::read_jsonl(&d.join("out/feature/toy.jsonl"));
    let (p, r, f, macro_f1) = hand_counts(&preds, "G43");

    // test: flat figures and the "tasks" object of eval's schema.
    let model = "models/toy-feature.rmb";
    let input = fixture("toy/test.jsonl");
    let t: Value = serde_json::from_str(&ok(
        d,
        &[
            "test",
            "--model",
            model,
            "--input",
            &input,
            "--positive-label",
            "G43",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    close(
        t["positive_precision"].as_f64().unwrap(),
        p,
        "test precision",
    );
    close(t["positive_recall"].as_f64().unwrap(), r, "test recall");
    close(t["positive_f1"].as_f64().unwrap(), f, "test f1");
    let tt = &t["tasks"]["toy"];
    close(
        tt["acc"].as_f64().unwrap(),
        t["accuracy"].as_f64().unwrap(),
        "acc key",
    );
    close(tt["macro_f1"].as_f64().unwrap(), macro_f1, "test macro-F1");
    close(
        tt["positive"]["f1"].as_f64().unwrap(),
        f,
        "test positive f1",
    );
    let table = ok(
        d,
        &[
            "test",
            "--model",
            model,
            "--input",
            &input,
            "--positive-label",
            "G43",
        ],
    );
    assert!(table.contains("positive f1"), "{table}");
    let e = fails(
        d,
        &[
            "test",
            "--model",
            model,
            "--input",
            &input,
            "--positive-label",
            "X99",
        ],
    );
    assert!(e.contains("X99") && e.contains("G43"), "{e}");

    // eval: macro-F1 for a task outside the benchmark, the positive label, both with
    // intervals that hold the value.
    let j: Value = serde_json::from_str(&ok(
        d,
        &[
            "eval",
            "out/feature",
            "--positive-label",
            "G43",
            "--bootstrap",
            "200",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    let et = &j["tasks"]["toy"];
    close(et["macro_f1"].as_f64().unwrap(), macro_f1, "eval macro-F1");
    close(
        et["positive"]["f1"].as_f64().unwrap(),
        f,
        "eval positive f1",
    );
    let ci = et["macro_f1_ci95"].as_array().unwrap();
    assert!(
        ci[0].as_f64().unwrap() <= macro_f1 && macro_f1 <= ci[1].as_f64().unwrap(),
        "{et}"
    );
    assert!(et["positive"]["f1_ci95"].is_array(), "{et}");
    let text = ok(d, &["eval", "out/feature", "--positive-label", "G43"]);
    assert!(text.contains("toy: macro-F1"), "{text}");

    // compare: paired rows for macro-F1 and the positive label; a system against itself
    // differs by 0 with p = 1.
    let c: Value = serde_json::from_str(&ok(
        d,
        &[
            "compare",
            "out/feature",
            "b/feature",
            "--positive-label",
            "G43",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    let ct = &c["tasks"]["toy"];
    close(
        ct["macro_f1"]["a"].as_f64().unwrap(),
        macro_f1,
        "compare macro-F1",
    );
    close(
        ct["positive_f1"]["a"].as_f64().unwrap(),
        f,
        "compare positive f1",
    );
    for k in [
        "positive_precision",
        "positive_recall",
        "positive_f1",
        "macro_f1",
    ] {
        assert!(ct[k]["p"].as_f64().unwrap() > 0.0, "{k}: {ct}");
        assert!(ct[k]["diff_ci95"].is_array(), "{k}: {ct}");
    }
    let same: Value = serde_json::from_str(&ok(
        d,
        &[
            "compare",
            "out/feature",
            "out/feature",
            "--positive-label",
            "G43",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(same["tasks"]["toy"]["positive_f1"]["p"], 1.0);
    let e = fails(
        d,
        &[
            "compare",
            "out/feature",
            "b/feature",
            "--positive-label",
            "X99",
        ],
    );
    assert!(e.contains("X99"), "{e}");
}

#[test]
fn confusion_matrix_in_test_and_eval() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["train", "--task-file", &fixture("toy/task.toml")]);
    let preds = common::read_jsonl(&d.join("out/feature/toy.jsonl"));
    let j: Value = serde_json::from_str(&ok(
        d,
        &["eval", "out/feature", "--confusion", "--format", "json"],
    ))
    .unwrap();
    let c = &j["tasks"]["toy"]["confusion"];
    let labels: Vec<&str> = c["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    let m = c["matrix"].as_array().unwrap();
    // Every example is counted once, in its gold row and top-1 column.
    let total: u64 = m
        .iter()
        .flat_map(|r| r.as_array().unwrap())
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total as usize, preds.len());
    for p in &preds {
        let g = labels.iter().position(|l| *l == p["label"]).unwrap();
        assert!(m[g]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v.as_u64().unwrap() > 0));
    }
    let diag: u64 = (0..labels.len()).map(|i| m[i][i].as_u64().unwrap()).sum();
    let acc = j["tasks"]["toy"]["acc"].as_f64().unwrap();
    close(
        diag as f64 / preds.len() as f64 * 100.0,
        acc,
        "diagonal is accuracy",
    );
    let t = ok(
        d,
        &[
            "test",
            "--model",
            "models/toy-feature.rmb",
            "--input",
            &fixture("toy/test.jsonl"),
            "--confusion",
        ],
    );
    assert!(
        t.contains("confusion matrix (rows gold, columns predicted)"),
        "{t}"
    );
    // Tagging has none, and says so.
    let ner = fixture("toy/ner_train.jsonl");
    ok(
        d,
        &[
            "train",
            "--train",
            &ner,
            "--tokens-field",
            "tokens",
            "--tags-field",
            "tags",
            "--name",
            "ner",
        ],
    );
    let e = fails(
        d,
        &[
            "test",
            "--model",
            "models/ner-feature.rmb",
            "--input",
            &fixture("toy/ner_test.jsonl"),
            "--confusion",
        ],
    );
    assert!(e.contains("--confusion"), "{e}");
}

#[test]
fn report_plots_the_primary_metric_of_own_tasks_or_the_one_asked() {
    use rumedbench::commands::report::system_scores;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(
        d,
        &["train", "--task-file", &fixture("multilabel/task.toml")],
    );
    let folder = d.join("out/feature");
    let j: Value =
        serde_json::from_str(&ok(d, &["eval", "out/feature", "--format", "json"])).unwrap();
    let t = &j["tasks"]["codes"];
    let cell = |metric: Option<&str>| {
        let s = system_scores(&folder, None, 50, 42, (&[], metric)).unwrap();
        assert_eq!(
            s.cells.len(),
            1,
            "no Overall for a task outside the benchmark"
        );
        s.cells[0].1
    };
    // Default: micro-F1, not the mean of the five multi-label metrics.
    close(cell(None), t["micro_f1"].as_f64().unwrap(), "default");
    close(
        cell(Some("subset_acc")),
        t["subset_acc"].as_f64().unwrap(),
        "subset_acc",
    );
    let values: Vec<f64> = t
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let mean = values.iter().sum::<f64>() / values.len() as f64;
    close(cell(Some("mean")), mean, "mean");
    assert!(
        (cell(None) - mean).abs() > 1e-6,
        "the default must not be the mean"
    );
    // macro-F1 of a single-label task comes from its labels.
    ok(d, &["train", "--task-file", &fixture("toy/task.toml")]);
    let preds = common::read_jsonl(&d.join("out/feature/toy.jsonl"));
    let (_, _, _, macro_f1) = hand_counts(&preds, "G43");
    let s = system_scores(&folder, None, 50, 42, (&[], Some("macro_f1"))).unwrap();
    let toy = s.cells.iter().find(|c| c.0 == "toy").unwrap();
    close(toy.1, macro_f1, "toy macro-F1");
    let e = fails(
        d,
        &[
            "report",
            "out/feature",
            "--out",
            "c.svg",
            "--metric",
            "nope",
        ],
    );
    assert!(e.contains("--metric nope"), "{e}");
    ok(
        d,
        &[
            "report",
            "out/feature",
            "--out",
            "c.svg",
            "--metric",
            "macro_f1",
        ],
    );
}
