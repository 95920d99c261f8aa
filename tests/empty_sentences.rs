//! An empty sentence is a sentence (issue 23): sklearn-crfsuite trains on data holding one (it
//! adds nothing, CRFsuite skips it) and predicts `[]` for it. Both taggers here train on such
//! data, giving the models trained without it, and tag it `[]`, in `train` and `predict`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn toy(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/toy")
        .join(name)
}

fn run(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    use std::io::Write;
    let mut child = Command::new(common::bin())
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    let o = child.wait_with_output().unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

/// `lines` of a JSONL file with `extra` inserted before line `at` (0-based).
fn with_line(path: &Path, at: usize, extra: &str) -> String {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines.insert(at, extra);
    lines.join("\n") + "\n"
}

#[test]
fn taggers_train_on_and_predict_empty_sentences() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy(toy("ner_train.jsonl"), d.join("plain.jsonl")).unwrap();
    std::fs::write(
        d.join("with_empty.jsonl"),
        with_line(
            &toy("ner_train.jsonl"),
            2,
            r#"{"id": "empty", "tokens": [], "tags": []}"#,
        ),
    )
    .unwrap();
    std::fs::write(
        d.join("test.jsonl"),
        with_line(
            &toy("ner_test.jsonl"),
            1,
            r#"{"id": "empty", "tokens": [], "tags": []}"#,
        ),
    )
    .unwrap();
    let input = format!(
        "{}\n{}\n",
        r#"{"id": "e", "tokens": []}"#,
        std::fs::read_to_string(toy("ner_test.jsonl")).unwrap()
    );
    for model in ["feature", "naive"] {
        let mut outputs = Vec::new();
        for (name, train) in [("plain", "plain.jsonl"), ("empty", "with_empty.jsonl")] {
            run(
                d,
                &[
                    "train",
                    "--train",
                    train,
                    "--test",
                    "test.jsonl",
                    "--tokens-field",
                    "tokens",
                    "--tags-field",
                    "tags",
                    "--id-field",
                    "id",
                    "--name",
                    name,
                    "--model",
                    model,
                    "--out",
                    "o",
                    "--models-dir",
                    "m",
                ],
                None,
            );
            // The test split's empty sentence is tagged `[]` in the prediction file.
            let preds = common::read_jsonl(&d.join(format!("o/{model}/{name}.jsonl")));
            let empty = preds.iter().find(|p| p["id"] == "empty").unwrap();
            assert_eq!(empty["prediction"], serde_json::json!([]), "{model}");
            let model_file = format!("m/{name}-{model}.rmb");
            let o = run(d, &["predict", "--model", &model_file], Some(&input));
            let out = String::from_utf8(o.stdout).unwrap();
            let first: serde_json::Value =
                serde_json::from_str(out.lines().next().unwrap()).unwrap();
            assert_eq!(first["tags"], serde_json::json!([]), "{model}: {out}");
            // The input ends with a blank line (line 10): it keeps its place, its line number
            // as id.
            assert_eq!(out.lines().count(), 10, "{out}");
            let last: serde_json::Value =
                serde_json::from_str(out.lines().last().unwrap()).unwrap();
            assert_eq!(last["id"], 10, "{out}");
            assert_eq!(last["tags"], serde_json::json!([]), "{out}");
            outputs.push(out);
        }
        // Training skipped the empty sentence: the model tags as the one trained without it.
        assert_eq!(outputs[0], outputs[1], "{model}");
    }
}
