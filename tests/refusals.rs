//! What is wrong is refused, early and with the place named.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn toy() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/toy")
}

fn train(dir: &Path, extra: &[&str]) -> Output {
    let t = toy();
    let f = |n: &str| t.join(n).display().to_string();
    Command::new(common::bin())
        .current_dir(dir)
        .args([
            "train",
            "--train",
            &f("train.jsonl"),
            "--dev",
            &f("dev.jsonl"),
        ])
        .args([
            "--test",
            &f("test.jsonl"),
            "--id-field",
            "id",
            "--text-field",
            "text",
        ])
        .args(["--label-field", "label", "--out", "o", "--models-dir", "m"])
        .args(extra)
        .output()
        .unwrap()
}

fn refused(o: &Output, want: &[&str]) {
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    for w in want {
        assert!(err.contains(w), "{w:?} not in: {err}");
    }
}

#[test]
fn out_of_range_values_are_refused_when_parsed() {
    let dir = tempfile::tempdir().unwrap();
    refused(&train(dir.path(), &["--C", "1e300"]), &["C must be > 0"]);
    refused(&train(dir.path(), &["--C", "0"]), &["C must be > 0"]);
    refused(&train(dir.path(), &["--tol", "nan"]), &["tol must be"]);
    refused(
        &train(dir.path(), &["--name", ""]),
        &["cannot name output files"],
    );
    refused(
        &train(dir.path(), &["--name", "../x"]),
        &["cannot name output files"],
    );
    // Nothing was written.
    assert!(!dir.path().join("o").exists() && !dir.path().join("m").exists());
}

#[test]
fn flags_that_do_not_apply_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    refused(
        &train(dir.path(), &["--model", "naive", "--C", "2"]),
        &["does not apply to --model naive"],
    );
}

/// Non-finite weights after fitting are an error, not a model that predicts `null`.
#[test]
fn non_finite_weights_after_fitting_are_an_error() {
    use rumedbench::data::{Example, Gold, Input, Split};
    use rumedbench::pipeline::{self, FitSettings, ModelKind};
    let examples: Vec<Example> = (0..20)
        .map(|i| Example {
            id: (i as u64).into(),
            line: i + 1,
            input: Input::Text(format!("текст {} номер {i}", ["а", "б", "в"][i % 3])),
            gold: Some(Gold::Label(format!("L{}", i % 3))),
        })
        .collect();
    let split = Split {
        path: "t.jsonl".into(),
        examples,
    };
    let mut settings = FitSettings::default();
    settings.logreg.c = 1e300;
    let task = rumedbench::task::find("top3").unwrap();
    let err = pipeline::fit(&task, ModelKind::Feature, &settings, &split).unwrap_err();
    assert!(err.to_string().contains("too large"), "{err}");
}

/// The naive tagger takes IOB2 tags only, like the CRF, and the error names file and line.
#[test]
fn both_taggers_refuse_tags_outside_iob2_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("ner_train.jsonl");
    let good = std::fs::read_to_string(toy().join("ner_train.jsonl")).unwrap();
    let mut lines: Vec<String> = good.lines().map(String::from).collect();
    lines[1] = lines[1].replacen("\"O\"", "\"X-ADR\"", 1);
    std::fs::write(&bad, lines.join("\n") + "\n").unwrap();
    for model in ["naive", "feature"] {
        let o = Command::new(common::bin())
            .current_dir(dir.path())
            .args([
                "train",
                "--train",
                "ner_train.jsonl",
                "--tokens-field",
                "tokens",
            ])
            .args(["--tags-field", "tags", "--name", "toyner", "--model", model])
            .args(["--out", "o", "--models-dir", "m"])
            .output()
            .unwrap();
        refused(&o, &["ner_train.jsonl:2", "\"X-ADR\"", "not IOB2"]);
    }
}

/// A duplicate id in any split is an error with file and line; `1` and `"1"` are the same id.
#[test]
fn duplicate_ids_in_a_split_are_an_error_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let train_file = dir.path().join("train.jsonl");
    let good = std::fs::read_to_string(toy().join("train.jsonl")).unwrap();
    let mut lines: Vec<String> = good.lines().map(String::from).collect();
    lines[0] = r#"{"id": 1, "text": "боль в виске", "label": "G43"}"#.into();
    lines[3] = r#"{"id": "1", "text": "насморк", "label": "J06"}"#.into();
    std::fs::write(&train_file, lines.join("\n") + "\n").unwrap();
    let o = Command::new(common::bin())
        .current_dir(dir.path())
        .args([
            "train",
            "--train",
            "train.jsonl",
            "--id-field",
            "id",
            "--text-field",
            "text",
        ])
        .args([
            "--label-field",
            "label",
            "--name",
            "dup",
            "--out",
            "o",
            "--models-dir",
            "m",
        ])
        .output()
        .unwrap();
    refused(
        &o,
        &["train.jsonl:4", "duplicate id \"1\"", "first on line 1"],
    );
}
