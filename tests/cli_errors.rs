//! Bad input gets a one-line error naming file, line and field, a non-zero exit, no panic,
//! and no half-written or clobbered output. Uses small fixtures written here.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn write(path: &Path, body: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, body).unwrap();
}

/// A tiny Top3-shaped task with valid train/dev/test files.
fn tiny_top3(root: &Path) {
    let rows = [
        ("a1", "боль в спине", "M54"),
        ("a2", "кашель и насморк", "J06"),
        ("a3", "головная боль", "G44"),
        ("a4", "боль в пояснице", "M54"),
    ];
    let body: String = rows
        .iter()
        .map(|(i, s, c)| {
            format!("{{\"idx\": \"{i}\", \"symptoms\": \"{s}\", \"code\": \"{c}\"}}\n")
        })
        .collect();
    for split in ["train", "dev", "test"] {
        write(&root.join(format!("RuMedTop3/{split}_v1.jsonl")), &body);
    }
}

/// Runs the binary from a scratch folder, so default outputs (`models/`, `out/`) never land
/// in the repository.
fn run(args: &[&str]) -> Output {
    let cwd = tempfile::tempdir().unwrap();
    Command::new(common::bin())
        .args(args)
        .current_dir(cwd.path())
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_clean_failure(o: &Output, wants: &[&str]) {
    let err = stderr(o);
    assert!(!o.status.success(), "expected failure, got success: {err}");
    assert!(!err.contains("panicked"), "panic: {err}");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "one-line error expected: {err}"
    );
    for w in wants {
        assert!(err.contains(w), "`{w}` not in: {err}");
    }
}

#[test]
fn malformed_json_missing_field_and_empty_split() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    tiny_top3(dir.path());
    let test = dir.path().join("RuMedTop3/test_v1.jsonl");
    let good = fs::read_to_string(&test).unwrap();

    write(
        &test,
        &format!("{good}{{\"idx\": \"z\", \"symptoms\": \"x\"\n"),
    );
    let r = run(&[
        "train",
        "--task",
        "top3",
        "--model",
        "naive",
        "--data-dir",
        d,
        "--out",
        o,
    ]);
    assert_clean_failure(&r, &["test_v1.jsonl:5:", "invalid JSON"]);

    write(
        &test,
        &format!("{good}{{\"idx\": \"z\", \"code\": \"M54\"}}\n"),
    );
    let r = run(&[
        "train",
        "--task",
        "top3",
        "--model",
        "naive",
        "--data-dir",
        d,
        "--out",
        o,
    ]);
    assert_clean_failure(&r, &["test_v1.jsonl:5:", "field `symptoms`", "missing"]);

    write(&test, "\n");
    let r = run(&[
        "train",
        "--task",
        "top3",
        "--model",
        "naive",
        "--data-dir",
        d,
        "--out",
        o,
    ]);
    assert_clean_failure(&r, &["test_v1.jsonl", "no records"]);
}

#[test]
fn a_failed_run_leaves_earlier_results_intact() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    tiny_top3(dir.path());
    let r = run(&[
        "train",
        "--task",
        "top3",
        "--model",
        "naive",
        "--data-dir",
        d,
        "--out",
        o,
    ]);
    assert!(r.status.success(), "{}", stderr(&r));
    let pred = out.join("naive/RuMedTop3.jsonl");
    let before = fs::read(&pred).unwrap();
    assert_eq!(common::read_jsonl(&pred).len(), 4);

    write(
        &dir.path().join("RuMedTop3/test_v1.jsonl"),
        "{\"idx\": 1}\n",
    );
    let r = run(&[
        "train",
        "--task",
        "top3",
        "--model",
        "naive",
        "--data-dir",
        d,
        "--out",
        o,
    ]);
    assert!(!r.status.success());
    assert_eq!(fs::read(&pred).unwrap(), before);
    let leftovers: Vec<String> = fs::read_dir(out.join("naive"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary files left behind: {leftovers:?}"
    );
}

#[test]
fn token_tag_mismatch_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let body = "{\"idx\": \"s1\", \"tokens\": [\"Аспирин\", \"помог\"], \"ner_tags\": [\"B-Drugname\", \"O\"]}\n";
    for split in ["train", "dev"] {
        write(&dir.path().join(format!("RuMedNER/{split}_v1.jsonl")), body);
    }
    write(
        &dir.path().join("RuMedNER/test_v1.jsonl"),
        &format!("{body}{{\"idx\": \"s2\", \"tokens\": [\"a\"], \"ner_tags\": [\"O\", \"O\"]}}\n"),
    );
    let r = run(&[
        "train",
        "--task",
        "ner",
        "--model",
        "naive",
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--out",
        dir.path().join("o").to_str().unwrap(),
    ]);
    assert_clean_failure(
        &r,
        &["test_v1.jsonl:2:", "field `ner_tags`", "2 tags", "1 tokens"],
    );
}

#[test]
fn unknown_task_and_missing_data_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(&[
        "train",
        "--task",
        "top5",
        "--data-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_clean_failure(&r, &["unknown task `top5`", "symptomrec"]);
    let r = run(&[
        "train",
        "--task",
        "top3",
        "--model",
        "naive",
        "--data-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_clean_failure(&r, &["RuMedTop3/train_v1.jsonl", "scripts/fetch-data.sh"]);
    let r = run(&[
        "train",
        "--task",
        "nli",
        "--model",
        "naive",
        "--data-dir",
        dir.path().to_str().unwrap(),
    ]);
    assert_clean_failure(&r, &["physionet.org", "--train-file"]);
}

#[test]
fn prediction_ids_must_match_the_gold() {
    let dir = tempfile::tempdir().unwrap();
    tiny_top3(dir.path());
    let preds = dir.path().join("preds");
    let body = "{\"idx\": \"a1\", \"code\": \"M54\", \"prediction\": [\"M54\"]}\n\
                {\"idx\": \"zz\", \"code\": \"J06\", \"prediction\": [\"J06\"]}\n";
    write(&preds.join("RuMedTop3.jsonl"), body);
    let r = run(&[
        "eval",
        preds.to_str().unwrap(),
        "--gold",
        dir.path().to_str().unwrap(),
    ]);
    assert_clean_failure(
        &r,
        &[
            "RuMedTop3.jsonl:2:",
            "field `idx`",
            "\"zz\"",
            "not in the gold",
        ],
    );

    // Every gold id needs a prediction.
    write(&preds.join("RuMedTop3.jsonl"), body.lines().next().unwrap());
    let r = run(&[
        "eval",
        preds.to_str().unwrap(),
        "--gold",
        dir.path().to_str().unwrap(),
    ]);
    assert_clean_failure(&r, &["RuMedTop3.jsonl", "have no prediction"]);

    // Without --gold, the labels the file carries are used, as upstream's eval.py does.
    let r = run(&["eval", preds.to_str().unwrap(), "--format", "json"]);
    assert!(r.status.success(), "{}", stderr(&r));
    let j: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(j["tasks"]["RuMedTop3"]["acc"], 100.0);
    assert_eq!(j["missing"].as_array().unwrap().len(), 4);
}

#[test]
fn eval_rejects_a_ner_prediction_of_the_wrong_length() {
    let dir = tempfile::tempdir().unwrap();
    write(
        &dir.path().join("RuMedNER.jsonl"),
        "{\"idx\": \"s\", \"ner_tags\": [\"O\", \"O\"], \"prediction\": [\"O\"]}\n",
    );
    let r = run(&["eval", dir.path().to_str().unwrap()]);
    assert_clean_failure(&r, &["RuMedNER.jsonl:1:", "field `prediction`", "1 tags"]);
}
