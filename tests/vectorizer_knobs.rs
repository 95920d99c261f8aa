//! The vectorizer's knobs from the command line and the task file: `--analyzer`, `--min-df`,
//! `--max-df`, `--max-features` (task-file keys `analyzer`, `min_df`, `max_df`, `max_features`)
//! reach the model file (format 5's settings, by name) and the run record, and
//! `predict` and `test` honour them through the model. On the synthetic fixture
//! `tests/fixtures/toy/`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

fn toy(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/toy")
        .join(name)
        .display()
        .to_string()
}

fn run(dir: &Path, args: &[&str]) -> Output {
    common::run_in(dir, args)
}

fn ok(dir: &Path, args: &[&str]) -> String {
    common::ok_in(dir, args).0
}

fn fails(dir: &Path, args: &[&str]) -> String {
    let o = run(dir, args);
    assert!(!o.status.success(), "{args:?} should fail");
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `train` on the toy task with `extra` flags, named `name`.
fn train(dir: &Path, name: &str, extra: &[&str]) -> String {
    let (tr, te) = (toy("train.jsonl"), toy("test.jsonl"));
    let mut args = vec![
        "train",
        "--train",
        &tr,
        "--test",
        &te,
        "--text-field",
        "text",
        "--label-field",
        "label",
        "--id-field",
        "id",
        "--name",
        name,
    ];
    args.extend(extra);
    ok(dir, &args)
}

fn record(dir: &Path, name: &str) -> Value {
    let path = dir.join(format!("out/feature/{name}.run.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The vectorizer's settings a format-5 model file holds by name.
fn model_vectorizer(model: &Path) -> Value {
    let b = std::fs::read(model).unwrap();
    let p = &b[52..];
    let n = u32::from_le_bytes(p[..4].try_into().unwrap()) as usize;
    let settings: Value = serde_json::from_slice(&p[4..4 + n]).unwrap();
    settings["vectorizer"].clone()
}

fn format_version(model: &Path) -> u32 {
    let b = std::fs::read(model).unwrap();
    u32::from_le_bytes(b[8..12].try_into().unwrap())
}

/// The top label of each record as `train` wrote it and as `predict` gives it from the file.
fn train_and_predict_agree(dir: &Path, name: &str) {
    let written = common::read_jsonl(&dir.join(format!("out/feature/{name}.jsonl")));
    let model = format!("models/{name}-feature.rmb");
    let out = ok(
        dir,
        &["predict", "--model", &model, "--input", &toy("test.jsonl")],
    );
    let predicted: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(written.len(), predicted.len());
    for (w, p) in written.iter().zip(&predicted) {
        let labels: Vec<&Value> = p["prediction"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| &x["label"])
            .collect();
        let want: Vec<&Value> = w["prediction"].as_array().unwrap().iter().collect();
        assert_eq!(labels, want, "{name}: {p} vs {w}");
    }
}

#[test]
fn each_flag_reaches_the_model_file_and_the_run_record() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases: [(&str, &[&str], &str, Value); 5] = [
        (
            "wb",
            &["--analyzer", "char_wb", "--ngram-range", "2,4"],
            "analyzer",
            "char_wb".into(),
        ),
        (
            "word",
            &["--analyzer", "word", "--ngram-range", "1,2"],
            "analyzer",
            "word".into(),
        ),
        ("mindf", &["--min-df", "2"], "min_df", 2.into()),
        ("maxdf", &["--max-df", "0.5"], "max_df", 0.5.into()),
        (
            "few",
            &["--max-features", "300"],
            "max_features",
            300.into(),
        ),
    ];
    for (name, flags, key, want) in cases {
        train(d, name, flags);
        let rec = record(d, name);
        assert_eq!(rec["hyperparameters"]["vectorizer"][key], want, "{name}");
        let model = d.join(format!("models/{name}-feature.rmb"));
        assert_eq!(format_version(&model), 5, "{name}");
        assert_eq!(model_vectorizer(&model)[key], want, "{name}");
        train_and_predict_agree(d, name);
        // `test` scores through the same model.
        let out = ok(
            d,
            &[
                "test",
                "--model",
                &model.display().to_string(),
                "--input",
                &toy("test.jsonl"),
            ],
        );
        assert!(out.contains("accuracy"), "{out}");
    }
    // The paper's recipe is format 5 too; its record holds every vectorizer key of the recipe,
    // by the recipe's names, at the recipe's defaults.
    train(d, "plain", &[]);
    assert_eq!(format_version(&d.join("models/plain-feature.rmb")), 5);
    let v = &record(d, "plain")["hyperparameters"]["vectorizer"];
    assert_eq!(v["analyzer"], "char");
    assert_eq!(
        (&v["min_df"], &v["max_df"], &v["max_features"]),
        (&1.into(), &1.0.into(), &serde_json::Value::Null),
        "{v}"
    );
    for key in rumedbench::recipe::text::VECTORIZER_KEYS {
        assert!(v.get(*key).is_some(), "{key} missing in {v}");
    }
    // max_features really limits the vocabulary: explain counts the model's n-grams.
    let out = ok(
        d,
        &[
            "explain",
            "--model",
            "models/few-feature.rmb",
            "--text",
            "боль в виске",
        ],
    );
    assert!(
        out.contains("n-grams of the input are in the model's vocabulary"),
        "{out}"
    );
}

#[test]
fn task_file_keys_then_flags() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tf = d.join("t.toml");
    std::fs::write(
        &tf,
        format!(
            "name = \"kw\"\ntext_fields = [\"text\"]\nlabel_field = \"label\"\nid_field = \"id\"\n\
             train = \"{}\"\ntest = \"{}\"\nanalyzer = \"word\"\nngram_range = [1, 2]\n\
             min_df = 1\nmax_df = 0.9\nmax_features = 40\n",
            toy("train.jsonl"),
            toy("test.jsonl")
        ),
    )
    .unwrap();
    let tfs = tf.display().to_string();
    ok(d, &["train", "--task-file", &tfs, "--max-features", "30"]);
    let v = &record(d, "kw")["hyperparameters"]["vectorizer"];
    assert_eq!(v["analyzer"], "word", "{v}");
    assert_eq!(v["max_df"], 0.9, "{v}");
    assert_eq!(v["max_features"], 30, "the flag wins: {v}");
    assert_eq!(v["min_df"], 1, "the file's min_df = 1: {v}");
    train_and_predict_agree(d, "kw");
    // Bad values name the key.
    for (line, want) in [
        ("analyzer = \"chars\"", "unknown variant `chars`"),
        ("min_df = 1.5", "t.toml: min_df"),
        ("max_df = 0", "t.toml: max_df"),
    ] {
        let body = format!(
            "name = \"kw\"\ntext_fields = [\"text\"]\nlabel_field = \"label\"\ntrain = \"{}\"\n{line}\n",
            toy("train.jsonl")
        );
        std::fs::write(&tf, body).unwrap();
        let err = fails(d, &["train", "--task-file", &tfs]);
        assert!(err.contains(want), "{line}: {err}");
    }
}

#[test]
fn bad_values_and_flags_that_do_not_apply_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (tr, te) = (toy("train.jsonl"), toy("test.jsonl"));
    let base = [
        "train",
        "--train",
        &tr,
        "--test",
        &te,
        "--text-field",
        "text",
        "--label-field",
        "label",
    ];
    for (flags, want) in [
        (&["--analyzer", "chars"][..], "char, char_wb, word"),
        (&["--min-df", "0"], "at least 1"),
        (&["--min-df", "1.5"], "[0, 1]"),
        (&["--max-df", "x"], "not a number"),
        (&["--max-features", "0"], "max-features"),
        (
            &["--min-df", "5", "--max-df", "2"],
            "fewer documents than min_df",
        ),
        (&["--min-df", "40"], "no terms remain"),
        (
            &["--max-features", "10", "--hash-features", "8"],
            "hash_features",
        ),
        (&["--analyzer", "word", "--model", "naive"], "--analyzer"),
    ] {
        let mut args = base.to_vec();
        args.extend(flags);
        let err = fails(d, &args);
        assert!(err.contains(want), "{flags:?}: {err}");
    }
}

#[test]
fn tune_keeps_the_task_files_vectorizer_at_every_point() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tf = d.join("tw.toml");
    std::fs::write(
        &tf,
        format!(
            "name = \"tw\"\ntext_fields = [\"text\"]\nlabel_field = \"label\"\nid_field = \"id\"\n\
             train = \"{}\"\ndev = \"{}\"\ntest = \"{}\"\nanalyzer = \"word\"\nmax_features = 50\n",
            toy("train.jsonl"),
            toy("dev.jsonl"),
            toy("test.jsonl")
        ),
    )
    .unwrap();
    let out = ok(d, &["tune", "--task-file", &tf.display().to_string()]);
    assert!(out.contains("tw: 24 of 24 grid points"), "{out}");
    let rec: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("out/tuned/tw.tune.json")).unwrap())
            .unwrap();
    let grid = rec["grid"].as_array().unwrap();
    let mut ranges = std::collections::BTreeSet::new();
    for p in grid {
        let s = p.to_string();
        assert!(s.contains("\"analyzer\":\"word\""), "{s}");
        ranges.insert(s.contains("\"ngram_range\":[1,2]"));
    }
    assert_eq!(ranges.len(), 2, "both word n-gram ranges are tried");
    let v = &rec["hyperparameters"]["vectorizer"];
    assert_eq!(
        (v["analyzer"].as_str(), v["max_features"].as_u64()),
        (Some("word"), Some(50)),
        "{v}"
    );
    assert_eq!(format_version(&d.join("models/tw-tuned.rmb")), 5);
    assert_eq!(
        model_vectorizer(&d.join("models/tw-tuned.rmb"))["analyzer"],
        "word"
    );
}
