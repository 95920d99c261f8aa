//! Inputs whose format or column names differ from the training data's: `--delimiter` (train,
//! test, predict, and the task-file key `delimiter`) reads CSV-like files whatever their
//! extension, and `predict --id-field/--text-field/--tokens-field` remap columns. Errors name
//! the file, the line and the field. On the synthetic fixture `tests/fixtures/toy/`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

fn toy(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/toy")
        .join(name)
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

/// The toy split `name` (JSONL) rewritten with `sep` between cells and these column names for
/// id, text and label, to `dir/file`. Cells holding `sep` or a quote are quoted.
fn rewrite(dir: &Path, name: &str, file: &str, sep: char, cols: [&str; 3]) -> String {
    let quote = |s: &str| {
        if s.contains(sep) || s.contains('"') {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_string()
        }
    };
    let mut out = cols.join(&sep.to_string()) + "\n";
    for r in common::read_jsonl(&toy(name)) {
        let cells: Vec<String> = ["id", "text", "label"]
            .iter()
            .map(|k| quote(r[k].as_str().unwrap()))
            .collect();
        out += &(cells.join(&sep.to_string()) + "\n");
    }
    let path = dir.join(file);
    std::fs::write(&path, out).unwrap();
    path.display().to_string()
}

fn labels(lines: &str) -> Vec<Value> {
    lines
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["prediction"][0]["label"].clone())
        .collect()
}

#[test]
fn semicolon_files_train_test_and_predict_like_jsonl() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cols = ["id", "text", "label"];
    let train = rewrite(d, "train.jsonl", "train.txt", ';', cols);
    let test = rewrite(d, "test.jsonl", "test.txt", ';', cols);
    let fields = [
        "--text-field",
        "text",
        "--label-field",
        "label",
        "--id-field",
        "id",
    ];
    let mut args = vec![
        "train", "--train", &train, "--test", &test, "--name", "semi",
    ];
    args.extend(fields);
    // Without --delimiter a .txt file is JSONL: the first line is not JSON.
    let err = fails(d, &args);
    assert!(err.contains("train.txt:1"), "{err}");
    args.extend(["--delimiter", "semicolon"]);
    ok(d, &args);
    // The same records as JSONL train the same model: identical test predictions.
    let (jt, jte) = (toy("train.jsonl"), toy("test.jsonl"));
    let (jt, jte) = (jt.to_str().unwrap(), jte.to_str().unwrap());
    let mut args = vec!["train", "--train", jt, "--test", jte, "--name", "json"];
    args.extend(fields);
    ok(d, &args);
    let read = |n: &str| std::fs::read_to_string(d.join(format!("out/feature/{n}.jsonl"))).unwrap();
    assert_eq!(read("semi"), read("json"));
    // test and predict read it with --delimiter too; `;` spelled as itself.
    let out = ok(
        d,
        &[
            "test",
            "--model",
            "models/semi-feature.rmb",
            "--input",
            &test,
            "--delimiter",
            ";",
        ],
    );
    assert!(out.contains("accuracy 100.00"), "{out}");
    let from_semi = ok(
        d,
        &[
            "predict",
            "--model",
            "models/semi-feature.rmb",
            "--input",
            &test,
            "--delimiter",
            ";",
        ],
    );
    let from_json = ok(
        d,
        &[
            "predict",
            "--model",
            "models/semi-feature.rmb",
            "--input",
            jte,
        ],
    );
    assert_eq!(from_semi, from_json);
}

#[test]
fn task_file_delimiter_and_tab_spelled_out() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cols = ["id", "text", "label"];
    rewrite(d, "train.jsonl", "train.dat", '\t', cols);
    rewrite(d, "dev.jsonl", "dev.dat", '\t', cols);
    rewrite(d, "test.jsonl", "test.dat", '\t', cols);
    let tf = d.join("tab.toml");
    std::fs::write(
        &tf,
        "name = \"tab\"\nid_field = \"id\"\ntext_fields = [\"text\"]\nlabel_field = \"label\"\n\
         train = \"train.dat\"\ndev = \"dev.dat\"\ntest = \"test.dat\"\ndelimiter = \"\\\\t\"\n",
    )
    .unwrap();
    let tfs = tf.display().to_string();
    let out = ok(d, &["train", "--task-file", &tfs]);
    assert!(out.contains("test acc 100.00"), "{out}");
    let out = ok(d, &["tune", "--task-file", &tfs, "--budget", "5"]);
    assert!(out.contains("tab:"), "{out}");
    // `\t` typed as two characters on the command line is a tab too.
    let test = d.join("test.dat").display().to_string();
    let out = ok(
        d,
        &[
            "predict",
            "--model",
            "models/tab-feature.rmb",
            "--input",
            &test,
            "--delimiter",
            "\\t",
        ],
    );
    assert_eq!(out.lines().count(), 10);
    // A bad delimiter is refused, naming the task file.
    std::fs::write(&tf, "name = \"tab\"\ndelimiter = \"ab\"\n").unwrap();
    let err = fails(d, &["train", "--task-file", &tfs]);
    assert!(
        err.contains("tab.toml: delimiter") && err.contains("\"ab\""),
        "{err}"
    );
    let err = fails(d, &["predict", "--model", "m.rmb", "--delimiter", "\""]);
    assert!(err.contains("--delimiter"), "{err}");
}

#[test]
fn predict_remaps_columns_and_names_file_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (tr, te) = (toy("train.jsonl"), toy("test.jsonl"));
    let (tr, te) = (tr.to_str().unwrap(), te.to_str().unwrap());
    ok(
        d,
        &[
            "train",
            "--train",
            tr,
            "--test",
            te,
            "--text-field",
            "text",
            "--label-field",
            "label",
            "--id-field",
            "id",
            "--name",
            "toy",
        ],
    );
    let model = "models/toy-feature.rmb";
    let want = labels(&ok(d, &["predict", "--model", model, "--input", te]));
    // relabelled.tsv names its columns note_id, note, diagnosis.
    let tsv = toy("relabelled.tsv");
    let tsv = tsv.to_str().unwrap();
    let err = fails(d, &["predict", "--model", model, "--input", tsv]);
    assert!(
        err.contains("relabelled.tsv") && err.contains(":2") && err.contains("text"),
        "{err}"
    );
    assert!(err.contains("note"), "the fields present are listed: {err}");
    let out = ok(
        d,
        &[
            "predict",
            "--model",
            model,
            "--input",
            tsv,
            "--text-field",
            "note",
            "--id-field",
            "note_id",
        ],
    );
    assert_eq!(labels(&out), want);
    let first: Value = serde_json::from_str(out.lines().next().unwrap()).unwrap();
    assert_eq!(first["id"], "ts001");
    // A JSONL input with other names, and fields that do not fit the task.
    let renamed = d.join("renamed.jsonl");
    let body: String = common::read_jsonl(&toy("test.jsonl"))
        .iter()
        .map(|r| format!("{{\"complaint\": {}}}\n", r["text"]))
        .collect();
    std::fs::write(&renamed, body).unwrap();
    let renamed = renamed.display().to_string();
    let out = ok(
        d,
        &[
            "predict",
            "--model",
            model,
            "--input",
            &renamed,
            "--text-field",
            "complaint",
        ],
    );
    assert_eq!(labels(&out), want);
    let err = fails(
        d,
        &[
            "predict",
            "--model",
            model,
            "--input",
            &renamed,
            "--tokens-field",
            "toks",
        ],
    );
    assert!(err.contains("--tokens-field"), "{err}");
    let err = fails(
        d,
        &[
            "predict",
            "--model",
            model,
            "--input",
            &renamed,
            "--text-field",
            "a",
            "--text-field",
            "b",
        ],
    );
    assert!(err.contains("--text-field given 2 time(s)"), "{err}");
}

#[test]
fn tagger_input_with_another_tokens_column() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let (tr, te) = (toy("ner_train.csv"), toy("ner_test.csv"));
    let (tr, te) = (tr.to_str().unwrap(), te.to_str().unwrap());
    ok(
        d,
        &[
            "train",
            "--train",
            tr,
            "--test",
            te,
            "--tokens-field",
            "tokens",
            "--tags-field",
            "tags",
            "--id-field",
            "id",
            "--name",
            "ner",
        ],
    );
    let want = ok(
        d,
        &[
            "predict",
            "--model",
            "models/ner-feature.rmb",
            "--input",
            te,
        ],
    );
    // The same records with `;` between cells and the tokens in a column named `words`.
    let q = |v: &Value| format!("\"{}\"", v.to_string().replace('"', "\"\""));
    let mut csv = String::from("id;words;tags\n");
    for r in common::read_jsonl(&toy("ner_test.jsonl")) {
        csv += &format!(
            "{};{};{}\n",
            r["id"].as_str().unwrap(),
            q(&r["tokens"]),
            q(&r["tags"])
        );
    }
    let path = d.join("ner.txt");
    std::fs::write(&path, csv).unwrap();
    let p = path.display().to_string();
    let got = ok(
        d,
        &[
            "predict",
            "--model",
            "models/ner-feature.rmb",
            "--input",
            &p,
            "--delimiter",
            "semicolon",
            "--tokens-field",
            "words",
        ],
    );
    assert_eq!(got, want);
}
