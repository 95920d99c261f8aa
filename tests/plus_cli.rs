//! `--model plus` and `--blocks` on the command line and in task files: the preset trains a
//! format-6 model on any single-text task, and what it does not take is a one-line error.

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn train(dir: &Path, args: &[&str]) -> Output {
    let toy = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/toy");
    Command::new(common::bin())
        .arg("train")
        .args(["--train", toy.join("train.jsonl").to_str().unwrap()])
        .args(["--dev", toy.join("dev.jsonl").to_str().unwrap()])
        .args([
            "--text-field",
            "text",
            "--label-field",
            "label",
            "--id-field",
            "id",
        ])
        .args(["--name", "toy", "--out", "out", "--models-dir", "models"])
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn plus_trains_a_format_6_model_and_refuses_recipe_flags() {
    let dir = tempfile::tempdir().unwrap();
    let ok = train(dir.path(), &["--model", "plus"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let bytes = std::fs::read(dir.path().join("models/toy-plus.rmb")).unwrap();
    assert_eq!(bytes[8..12], 6u32.to_le_bytes());
    let record = std::fs::read_to_string(dir.path().join("out/plus/toy.run.json")).unwrap();
    assert!(record.contains("stem:1-2:sub"), "{record}");

    let e = stderr(&train(dir.path(), &["--model", "plus", "--C", "3"]));
    assert!(e.contains("--C") && e.contains("fixed preset"), "{e}");
}

#[test]
fn bad_blocks_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let e = stderr(&train(dir.path(), &["--blocks", "char:5-3"]));
    assert!(e.contains("char:5-3") && e.contains("MIN <= MAX"), "{e}");
    let e = stderr(&train(dir.path(), &["--blocks", "char:2-4,cross"]));
    assert!(e.contains("not a text-pair task"), "{e}");
    let ok = train(dir.path(), &["--blocks", "char:2-4,word:1-1:sub*0.5"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
}
