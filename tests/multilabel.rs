//! Multi-label tasks end to end on the synthetic fixture `tests/fixtures/multilabel/`
//! (written by its `generate.py`, seed 13): train (JSONL with list labels, TSV with
//! `--label-separator`), `--threshold`, `--allow-empty`, `--tune-threshold`, `test`, `predict`,
//! `eval` (with `--per-label` and `--bootstrap`), the model file, and the errors.
//!
//! Expected figures come from scikit-learn 1.3.2 on the same predictions:
//! `python scripts/multilabel_check.py PRED.jsonl --label-field codes` (f1_score
//! average='micro'/'macro' and accuracy_score on MultiLabelBinarizer'd sets fitted on gold and
//! predicted labels, classification_report per label, P@k from the `ranked` lists), run on the
//! files named beside each figure.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/multilabel")
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

fn fails(dir: &Path, args: &[&str]) -> String {
    let o = run(dir, args);
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(!o.status.success(), "{args:?} should fail");
    // An error (1), or a flag refused by the parser (2); never a signal or a panic (101).
    assert!(
        matches!(o.status.code(), Some(1 | 2)),
        "{args:?}: {:?}\n{err}",
        o.status
    );
    err
}

fn close(got: f64, want: f64, what: &str) {
    assert!((got - want).abs() < 1e-9, "{what}: {got} vs {want}");
}

fn trained(dir: &Path) {
    ok(dir, &["train", "--task-file", &fixture("task.toml")]);
}

/// scikit-learn 1.3.2 on `out/feature/codes.jsonl` of `train --task-file task.toml` (threshold
/// 0.5): micro-F1, macro-F1, subset accuracy, P@1, P@3.
const TEST_FIGURES: [(&str, f64); 5] = [
    ("micro_f1", 79.33884297520663),
    ("macro_f1", 72.02453102453103),
    ("subset_acc", 55.00000000000001),
    ("p_at_1", 90.0),
    ("p_at_3", 48.333333333333336),
];

#[test]
fn train_writes_sets_and_scores_them_as_scikit_learn_does() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = ok(dir.path(), &["train", "--task-file", &fixture("task.toml")]);
    assert!(
        out.contains(
            "test micro_f1 79.34, macro_f1 72.02, subset_acc 55.00, p_at_1 90.00, p_at_3 48.33"
        ),
        "{out}"
    );
    let preds = common::read_jsonl(&dir.path().join("out/feature/codes.jsonl"));
    assert_eq!(preds.len(), 40);
    for p in &preds {
        // Gold and predicted sets are lists; the set is never empty without --allow-empty,
        // and it is a prefix of the ranking when it is no longer than it.
        assert!(p["codes"].is_array());
        let set = p["prediction"].as_array().unwrap();
        let ranked = p["ranked"].as_array().unwrap();
        assert!(!set.is_empty() && ranked.len() == 3, "{p}");
        let n = set.len().min(3);
        assert_eq!(set[..n], ranked[..n], "{p}");
    }
    let record: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/feature/codes.run.json")).unwrap(),
    )
    .unwrap();
    for (k, v) in TEST_FIGURES {
        close(record["test"][k].as_f64().unwrap(), v, k);
    }
    assert_eq!(record["multi_label"]["threshold"], 0.5);
    assert_eq!(record["multi_label"]["allow_empty"], false);
    assert_eq!(record["task_spec"]["multi_label"], true);
    let c = &record["hyperparameters"]["classifier"]["multi_label"];
    assert_eq!(c["threshold"], 0.5, "{record}");
    // One binary problem per label (six labels).
    assert_eq!(record["fit"]["binary_problems"], 6);
    // The model file is format 5, its settings holding the multi-label rule by name.
    let bytes = std::fs::read(dir.path().join("models/codes-feature.rmb")).unwrap();
    assert_eq!(&bytes[..8], b"RMDBENCH");
    assert_eq!(u32::from_le_bytes(bytes[8..12].try_into().unwrap()), 5);
    let n = u32::from_le_bytes(bytes[52..56].try_into().unwrap()) as usize;
    let settings: serde_json::Value = serde_json::from_slice(&bytes[56..56 + n]).unwrap();
    assert_eq!(settings["multi_label"]["threshold"], 0.5, "{settings}");
}

#[test]
fn test_command_gives_scikit_learns_figures_and_per_label_report() {
    let dir = tempfile::tempdir().unwrap();
    trained(dir.path());
    let (out, _) = ok(
        dir.path(),
        &[
            "test",
            "--model",
            "models/codes-feature.rmb",
            "--input",
            &fixture("test.jsonl"),
            "--format",
            "json",
            "--per-label",
            "--out",
            "again.jsonl",
        ],
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    for (k, want) in TEST_FIGURES {
        close(v[k].as_f64().unwrap(), want, k);
    }
    // classification_report(y, p, output_dict=True, zero_division=0), times 100.
    let per = &v["per_label"];
    let rows = [
        (
            "E11",
            76.92307692307693,
            90.9090909090909,
            83.33333333333333,
            11,
        ),
        ("F41", 50.0, 20.0, 28.571428571428577, 10),
        (
            "I10",
            85.71428571428571,
            92.3076923076923,
            88.8888888888889,
            13,
        ),
        (
            "J45",
            66.66666666666666,
            33.33333333333333,
            44.44444444444444,
            6,
        ),
        ("K29", 92.3076923076923, 100.0, 96.00000000000001, 12),
        (
            "M54",
            90.9090909090909,
            90.9090909090909,
            90.9090909090909,
            11,
        ),
        (
            "micro avg",
            82.75862068965517,
            76.19047619047619,
            79.33884297520663,
            63,
        ),
        (
            "macro avg",
            77.08680208680208,
            71.24320124320124,
            72.02453102453103,
            63,
        ),
        (
            "weighted avg",
            78.85923600209314,
            76.19047619047619,
            75.8190980095742,
            63,
        ),
    ];
    for (label, p, r, f, s) in rows {
        let row = &per[label];
        close(row["precision"].as_f64().unwrap(), p, label);
        close(row["recall"].as_f64().unwrap(), r, label);
        close(row["f1"].as_f64().unwrap(), f, label);
        assert_eq!(row["support"], s, "{label}");
    }
    // A saved model predicts what train wrote.
    let a = common::read_jsonl(&dir.path().join("out/feature/codes.jsonl"));
    let b = common::read_jsonl(&dir.path().join("again.jsonl"));
    assert_eq!(a, b);
}

#[test]
fn eval_scores_a_hand_written_prediction_file_as_scikit_learn_does() {
    let dir = tempfile::tempdir().unwrap();
    // `eval/codes.jsonl` has an empty gold set, an empty predicted set, a label only predicted
    // (Z99) and a record without `ranked`. scikit-learn 1.3.2 (multilabel_check.py on it):
    let want = [
        ("micro_f1", 64.0),
        ("macro_f1", 47.95918367346939),
        ("subset_acc", 30.0),
        ("p_at_1", 60.0),
        ("p_at_3", 40.0),
    ];
    let (out, _) = ok(
        dir.path(),
        &[
            "eval",
            &fixture("eval"),
            "--task-file",
            &fixture("task.toml"),
            "--format",
            "json",
            "--per-label",
        ],
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    let t = &v["tasks"]["codes"];
    for (k, w) in want {
        close(t[k].as_f64().unwrap(), w, k);
    }
    let per = &t["per_label"];
    close(per["I10"]["f1"].as_f64().unwrap(), 85.71428571428571, "I10");
    close(per["Z99"]["precision"].as_f64().unwrap(), 0.0, "Z99");
    assert_eq!(per["Z99"]["support"], 0);
    close(
        per["weighted avg"]["f1"].as_f64().unwrap(),
        58.241758241758234,
        "weighted",
    );
    // Bootstrap: every figure, macro-F1 included, gets a finite interval around it.
    let (out, _) = ok(
        dir.path(),
        &[
            "eval",
            &fixture("eval"),
            "--task-file",
            &fixture("task.toml"),
            "--format",
            "json",
            "--bootstrap",
            "200",
        ],
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    let t = &v["tasks"]["codes"];
    for (k, w) in want {
        let ci = t[format!("{k}_ci95")].as_array().unwrap();
        let (lo, hi) = (ci[0].as_f64().unwrap(), ci[1].as_f64().unwrap());
        assert!(
            lo.is_finite() && lo <= w && w <= hi,
            "{k}: {w} in [{lo}, {hi}]"
        );
        assert!(hi > lo, "{k}: a degenerate interval [{lo}, {hi}]");
    }
}

#[test]
fn eval_finds_the_task_in_the_run_record_and_compare_pairs_it() {
    let dir = tempfile::tempdir().unwrap();
    trained(dir.path());
    let (out, _) = ok(dir.path(), &["eval", "out/feature", "--format", "json"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    for (k, want) in TEST_FIGURES {
        close(v["tasks"]["codes"][k].as_f64().unwrap(), want, k);
    }
    // Paired with itself, every difference is 0 with p = 1.
    let (out, _) = ok(
        dir.path(),
        &["compare", "out/feature", "out/feature", "--format", "json"],
    );
    let v: Value = serde_json::from_str(&out).unwrap();
    let codes = &v["tasks"]["codes"];
    assert_eq!(codes["macro_f1"]["diff"], 0.0, "{codes}");
    assert_eq!(codes["macro_f1"]["p"], 1.0, "{codes}");
}

#[test]
fn tsv_with_a_separator_trains_the_same_model_and_threshold_rules_apply() {
    let dir = tempfile::tempdir().unwrap();
    trained(dir.path());
    let common = |name: &'static str| {
        vec![
            "train".to_string(),
            "--train".into(),
            fixture("train.tsv"),
            "--label-separator".into(),
            ";".into(),
            "--dev".into(),
            fixture("dev.jsonl"),
            "--test".into(),
            fixture("test.jsonl"),
            "--text-field".into(),
            "text".into(),
            "--label-field".into(),
            "codes".into(),
            "--id-field".into(),
            "id".into(),
            "--name".into(),
            name.into(),
        ]
    };
    let args = common("codes_tsv");
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(dir.path(), &refs);
    let a = std::fs::read(dir.path().join("out/feature/codes.jsonl")).unwrap();
    let b = std::fs::read(dir.path().join("out/feature/codes_tsv.jsonl")).unwrap();
    assert_eq!(
        a, b,
        "the TSV train split gives the JSONL one's predictions"
    );
    // A high threshold with --allow-empty predicts empty sets; without it, never.
    let mut args = common("codes_empty");
    args.extend(["--threshold", "0.7", "--allow-empty"].map(String::from));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(dir.path(), &refs);
    let preds = common::read_jsonl(&dir.path().join("out/feature/codes_empty.jsonl"));
    let empty = preds
        .iter()
        .filter(|p| p["prediction"].as_array().unwrap().is_empty())
        .count();
    assert!(empty > 0, "some sets are empty at 0.7 with --allow-empty");
    // --tune-threshold picks the dev-best threshold of the grid and keeps it in the model.
    let mut args = common("codes_tuned");
    args.push("--tune-threshold".into());
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let (_, err) = ok(dir.path(), &refs);
    assert!(err.contains("threshold 0.3 chosen on dev"), "{err}");
    let record: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("out/feature/codes_tuned.run.json")).unwrap(),
    )
    .unwrap();
    let tried = record["multi_label"]["threshold_tuned_on_dev"]
        .as_array()
        .unwrap();
    assert_eq!(tried.len(), 9);
    let best = tried
        .iter()
        .map(|t| t["dev_micro_f1"].as_f64().unwrap())
        .fold(f64::MIN, f64::max);
    close(
        record["dev"]["micro_f1"].as_f64().unwrap(),
        best,
        "dev micro-F1",
    );
    assert_eq!(record["multi_label"]["threshold"], 0.3);
    // The loaded model keeps the tuned threshold: `test` scores what train wrote.
    let (out, _) = ok(
        dir.path(),
        &[
            "test",
            "--model",
            "models/codes_tuned-feature.rmb",
            "--input",
            &fixture("test.jsonl"),
            "--out",
            "tuned.jsonl",
        ],
    );
    assert!(out.contains("micro f1"), "{out}");
    assert_eq!(
        std::fs::read(dir.path().join("tuned.jsonl")).unwrap(),
        std::fs::read(dir.path().join("out/feature/codes_tuned.jsonl")).unwrap()
    );
}

#[test]
fn predict_outputs_the_set_and_probabilities() {
    let dir = tempfile::tempdir().unwrap();
    trained(dir.path());
    let (out, _) = ok(
        dir.path(),
        &[
            "predict",
            "--model",
            "models/codes-feature.rmb",
            "--input",
            &fixture("test.jsonl"),
        ],
    );
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 40);
    let train_preds = common::read_jsonl(&dir.path().join("out/feature/codes.jsonl"));
    for (p, t) in lines.iter().zip(&train_preds) {
        assert_eq!(p["labels"], t["prediction"], "{p}");
        let probs: Vec<f64> = p["prediction"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["prob"].as_f64().unwrap())
            .collect();
        // Each label's own probability: sorted, in (0, 1), and the set is those >= 0.5 (or the
        // best one).
        assert!(probs.windows(2).all(|w| w[0] >= w[1]), "{p}");
        let n = p["labels"].as_array().unwrap().len();
        let above = probs.iter().filter(|&&x| x >= 0.5).count();
        assert_eq!(n, above.max(1), "{p}");
    }
    let (table, _) = ok(
        dir.path(),
        &[
            "predict",
            "--model",
            "models/codes-feature.rmb",
            "--input",
            &fixture("test.jsonl"),
            "--format",
            "table",
        ],
    );
    assert!(
        table.starts_with("te001\t[K29 M54 I10]\tK29 (0.618)"),
        "{table}"
    );
}

#[test]
fn label_shapes_and_flags_are_checked_with_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let write = |name: &str, body: &str| std::fs::write(d.join(name), body).unwrap();
    write(
        "list_then_scalar.jsonl",
        "{\"id\": 1, \"text\": \"боль в спине\", \"codes\": [\"M54\", \"I10\"]}\n\
         {\"id\": 2, \"text\": \"изжога\", \"codes\": \"K29\"}\n",
    );
    write(
        "scalar_then_list.jsonl",
        "{\"id\": 1, \"text\": \"боль в спине\", \"codes\": \"M54\"}\n\
         {\"id\": 2, \"text\": \"изжога\", \"codes\": [\"K29\"]}\n",
    );
    write(
        "one_label.jsonl",
        "{\"id\": 1, \"text\": \"боль в спине\", \"codes\": [\"M54\"]}\n\
         {\"id\": 2, \"text\": \"прострел\", \"codes\": [\"M54\"]}\n",
    );
    write(
        "bad_item.jsonl",
        "{\"id\": 1, \"text\": \"боль в спине\", \"codes\": [\"M54\", null]}\n",
    );
    let fields = [
        "--text-field",
        "text",
        "--label-field",
        "codes",
        "--id-field",
        "id",
    ];
    let train = |file: &str, extra: &[&str]| {
        let mut a = vec!["train", "--train", file];
        a.extend(fields);
        a.extend(extra);
        fails(d, &a)
    };
    let e = train("list_then_scalar.jsonl", &[]);
    assert!(
        e.contains("list_then_scalar.jsonl:2: field `codes`: expected a list of labels"),
        "{e}"
    );
    let e = train("scalar_then_list.jsonl", &[]);
    assert!(
        e.contains("scalar_then_list.jsonl:2: field `codes`: a list of labels, but the task is single-label"),
        "{e}"
    );
    let e = train("one_label.jsonl", &[]);
    assert!(e.contains("at least two distinct labels, found 1"), "{e}");
    let e = train("bad_item.jsonl", &[]);
    assert!(
        e.contains("bad_item.jsonl:1: field `codes`: item 1 should be a label, found null"),
        "{e}"
    );
    // A dev split whose labels are not lists, in a multi-label task.
    let dev = fixture("train.tsv");
    let e = train(&fixture("train.jsonl"), &["--dev", &dev]);
    assert!(
        e.contains("train.tsv:2: field `codes`: expected a list of labels")
            && e.contains("--label-separator"),
        "{e}"
    );
    // A multi-label TSV without a separator is declared but cannot be split.
    let e = train(&fixture("train.tsv"), &["--multi-label"]);
    assert!(e.contains("train.tsv:2: field `codes`"), "{e}");
    let e = train(&fixture("train.jsonl"), &["--model", "naive"]);
    assert!(
        e.contains("naive baseline does not take multi-label"),
        "{e}"
    );
    let e = train(&fixture("train.jsonl"), &["--tune-threshold"]);
    assert!(
        e.contains("--tune-threshold picks the threshold on dev"),
        "{e}"
    );
    let e = train(&fixture("train.jsonl"), &["--threshold", "1"]);
    assert!(e.contains("the threshold must be in (0, 1), got 1"), "{e}");
    let e = train(&fixture("train.jsonl"), &["--label-separator", ""]);
    assert!(e.contains("--label-separator must not be empty"), "{e}");
    // The multi-label flags on a single-label task.
    let toy = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/toy/task.toml");
    let e = fails(
        d,
        &[
            "train",
            "--task-file",
            toy.to_str().unwrap(),
            "--allow-empty",
        ],
    );
    assert!(
        e.contains("--allow-empty applies to multi-label tasks; toy is single-label"),
        "{e}"
    );
    // `test` on records whose labels are single labels.
    ok(d, &["train", "--task-file", &fixture("task.toml")]);
    let toy_test = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/toy/test.jsonl");
    let e = fails(
        d,
        &[
            "test",
            "--model",
            "models/codes-feature.rmb",
            "--input",
            toy_test.to_str().unwrap(),
            "--label-field",
            "label",
        ],
    );
    assert!(
        e.contains("test.jsonl:1: field `label`: expected a list of labels"),
        "{e}"
    );
}

#[test]
fn tune_searches_the_threshold_at_every_grid_point() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (out, _) = ok(d, &["tune", "--task-file", &fixture("task.toml")]);
    assert!(out.contains("codes: 24 of 24 grid points"), "{out}");
    let record: Value = serde_json::from_str(
        &std::fs::read_to_string(d.join("out/tuned/codes.tune.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        record["selection"]["metric"],
        "dev micro-F1, each point at its dev-best threshold"
    );
    // Point 0 is the paper's recipe at its dev-best threshold: what `train --tune-threshold`
    // chooses (0.3, dev micro-F1 91.16; see the README transcript).
    let p0 = &record["grid"][0];
    assert_eq!(p0["settings"]["threshold"], 0.3, "{p0}");
    close(
        p0["dev"]["micro_f1"].as_f64().unwrap(),
        p0["selection_score"].as_f64().unwrap(),
        "selection",
    );
    let (_, err) = ok(
        d,
        &[
            "train",
            "--task-file",
            &fixture("task.toml"),
            "--tune-threshold",
        ],
    );
    assert!(err.contains("threshold 0.3 chosen on dev"), "{err}");
    let trained: Value = serde_json::from_str(
        &std::fs::read_to_string(d.join("out/feature/codes.run.json")).unwrap(),
    )
    .unwrap();
    close(
        p0["dev"]["micro_f1"].as_f64().unwrap(),
        trained["dev"]["micro_f1"].as_f64().unwrap(),
        "point 0 vs train --tune-threshold",
    );
    // The chosen point is the best on dev, and the tuned model keeps its threshold.
    let best = record["grid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["selection_score"].as_f64().unwrap())
        .fold(f64::MIN, f64::max);
    close(
        record["chosen_dev"]["micro_f1"].as_f64().unwrap(),
        best,
        "chosen",
    );
    ok(
        d,
        &[
            "test",
            "--model",
            "models/codes-tuned.rmb",
            "--input",
            &fixture("test.jsonl"),
            "--out",
            "tuned.jsonl",
        ],
    );
    assert_eq!(
        std::fs::read(d.join("tuned.jsonl")).unwrap(),
        std::fs::read(d.join("out/tuned/codes.jsonl")).unwrap()
    );
}

/// A multi-label task re-run replaces its own outputs, whether the task file says it is
/// multi-label or its JSON-list labels do, with or without `--tune-threshold`; another
/// threshold is other settings, refused unless `--force`.
#[test]
fn a_multi_label_task_re_run_replaces_its_own_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let preds = d.join("out/feature/codes.jsonl");
    trained(d);
    let first = std::fs::read(&preds).unwrap();
    trained(d);
    assert_eq!(std::fs::read(&preds).unwrap(), first, "a re-run differs");
    let e = fails(
        d,
        &[
            "train",
            "--task-file",
            &fixture("task.toml"),
            "--threshold",
            "0.3",
        ],
    );
    assert!(
        e.contains("refusing to replace") && e.contains("threshold: 0.5 vs 0.3"),
        "{e}"
    );
    let tuned = [
        "train",
        "--task-file",
        &fixture("task.toml"),
        "--tune-threshold",
    ];
    let mut forced = tuned.to_vec();
    forced.push("--force");
    ok(d, &forced);
    ok(d, &tuned);
    // Multi-label by its labels alone: the task file does not say so.
    let inferred = std::fs::read_to_string(fixture("task.toml"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with("multi_label"))
        .map(|l| l.replace("\"train.jsonl\"", &format!("{:?}", fixture("train.jsonl"))))
        .map(|l| l.replace("\"dev.jsonl\"", &format!("{:?}", fixture("dev.jsonl"))))
        .map(|l| l.replace("\"test.jsonl\"", &format!("{:?}", fixture("test.jsonl"))))
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(d.join("inferred.toml"), inferred + "\n").unwrap();
    let args = ["train", "--task-file", "inferred.toml", "--force"];
    ok(d, &args);
    ok(d, &args[..3]);
    assert_eq!(std::fs::read(&preds).unwrap(), first, "inferred differs");
}

fn texts_and_sets(name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let recs = common::read_jsonl(Path::new(&fixture(name)));
    let texts = recs
        .iter()
        .map(|r| r["text"].as_str().unwrap().to_string())
        .collect();
    let sets = recs
        .iter()
        .map(|r| {
            r["codes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_string())
                .collect()
        })
        .collect();
    (texts, sets)
}

fn sorted_set(v: &Value) -> Vec<String> {
    let mut s: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect();
    s.sort();
    s
}

#[test]
fn the_api_fits_the_model_train_writes_and_saves_and_loads_it() {
    use rumedbench::{Error, TextClassifier, TextClassifierParams};
    let dir = tempfile::tempdir().unwrap();
    trained(dir.path());
    let (texts, sets) = texts_and_sets("train.jsonl");
    let (test, _) = texts_and_sets("test.jsonl");
    let params = TextClassifierParams::default()
        .name("codes")
        .fields(&["text"], "codes");
    let model = params.fit_multi(&texts, &sets).unwrap();
    assert!(model.is_multi_label());
    // The same classes and probabilities as the model file `train` wrote.
    let cli_model = TextClassifier::load(dir.path().join("models/codes-feature.rmb")).unwrap();
    assert!(cli_model.is_multi_label());
    assert_eq!(model.classes(), cli_model.classes());
    assert_eq!(
        model.predict_proba(&test).unwrap(),
        cli_model.predict_proba(&test).unwrap()
    );
    // The same sets as train's prediction file, in class order.
    let cli_preds = common::read_jsonl(&dir.path().join("out/feature/codes.jsonl"));
    let got = model.predict_sets(&test).unwrap();
    assert_eq!(got.len(), cli_preds.len());
    for (g, p) in got.iter().zip(&cli_preds) {
        assert_eq!(g, &sorted_set(&p["prediction"]), "{p}");
    }
    let ind = model.predict_indicator(&test).unwrap();
    assert_eq!(ind.dim(), (test.len(), model.classes().len()));
    for (row, g) in ind.rows().into_iter().zip(&got) {
        let picked: Vec<&String> = row
            .iter()
            .zip(model.classes())
            .filter(|(&v, _)| v == 1)
            .map(|(_, c)| c)
            .collect();
        assert_eq!(picked, g.iter().collect::<Vec<_>>());
    }
    // Saved and loaded: the same rule and predictions; the command line reads the file.
    let path = dir.path().join("api.rmb");
    model.save(&path).unwrap();
    let back = TextClassifier::load(&path).unwrap();
    assert_eq!(back.multi_label_rule(), model.multi_label_rule());
    assert_eq!(back.predict_indicator(&test).unwrap(), ind);
    let (out, _) = ok(
        dir.path(),
        &[
            "predict",
            "--model",
            "api.rmb",
            "--input",
            &fixture("test.jsonl"),
        ],
    );
    for (line, g) in out.lines().zip(&got) {
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(&sorted_set(&v["labels"]), g, "{v}");
    }
    // A higher threshold picks no more labels; allow_empty lets a set be empty.
    let strict = params
        .clone()
        .threshold(0.9)
        .allow_empty(true)
        .fit_multi(&texts, &sets)
        .unwrap();
    let strict_sets = strict.predict_sets(&test).unwrap();
    assert!(strict_sets
        .iter()
        .zip(&got)
        .all(|(s, g)| s.len() <= g.len()));
    assert!(strict_sets.iter().any(|s| s.is_empty()));
    // Sets from a single-label model, one label from a multi-label one, a bad threshold: errors.
    assert!(model.predict(&test).is_err());
    let single = TextClassifierParams::default()
        .fit(
            &texts,
            &sets.iter().map(|s| s[0].clone()).collect::<Vec<_>>(),
        )
        .unwrap();
    assert!(single.predict_sets(&test).is_err());
    let e = params
        .clone()
        .threshold(1.5)
        .fit_multi(&texts, &sets)
        .unwrap_err();
    assert!(matches!(e, Error::Param { .. }), "{e:?}");
    // Fewer than two labels: an error naming the in-memory input and the label field.
    let one: Vec<Vec<String>> = sets.iter().map(|_| vec!["K29".to_string()]).collect();
    let e = params.fit_multi(&texts, &one).unwrap_err().to_string();
    assert!(e.starts_with("input: field `codes`: "), "{e}");
}
