//! Nothing replaced silently (issue 13, item 7): `train` and `tune` refuse to replace outputs
//! written for another task, other data or other settings unless `--force`, and replace their
//! own outputs silently. Own tasks are synthetic (copies of `tests/fixtures/toy/`, changed);
//! the built-in case reads ../shared/rumedbench.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/toy")
        .join(name)
}

fn run(dir: &Path, args: &[&str]) -> Output {
    common::run_in(dir, args)
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let o = run(dir, args);
    assert!(
        o.status.success(),
        "{args:?} failed:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn fails(dir: &Path, args: &[&str]) -> String {
    let o = run(dir, args);
    assert!(!o.status.success(), "{args:?} should fail");
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    err
}

/// `d/train.jsonl` (the toy train split) and `d/train.csv` (the toy split without its last
/// eight notes and with the first note's label changed): two tasks whose default name is
/// the folder's, `d`, plus `d/test.jsonl`.
fn two_tasks() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("d");
    fs::create_dir(&d).unwrap();
    fs::copy(fixture("train.jsonl"), d.join("train.jsonl")).unwrap();
    fs::copy(fixture("test.jsonl"), d.join("test.jsonl")).unwrap();
    let csv = fs::read_to_string(fixture("train.csv")).unwrap();
    let mut lines: Vec<&str> = csv.lines().collect();
    lines.truncate(lines.len() - 8);
    let first = lines[1].replace(",G43", ",M54");
    lines[1] = &first;
    fs::write(d.join("train.csv"), lines.join("\n") + "\n").unwrap();
    dir
}

const FIELDS: [&str; 8] = [
    "--test",
    "d/test.jsonl",
    "--text-field",
    "text",
    "--label-field",
    "label",
    "--id-field",
    "id",
];

fn train(dir: &Path, train_file: &str, extra: &[&str]) -> Output {
    let mut args = vec!["train", "--train", train_file];
    args.extend(FIELDS);
    args.extend(extra);
    run(dir, &args)
}

fn outputs(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    [
        "out/feature/d.jsonl",
        "out/feature/d.run.json",
        "models/d-feature.rmb",
    ]
    .iter()
    .map(|p| {
        let path = dir.join(p);
        let bytes = fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        (path, bytes)
    })
    .collect()
}

fn trained_on(dir: &Path) -> String {
    let rec: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("out/feature/d.run.json")).unwrap()).unwrap();
    rec["data_files"][0]["path"].as_str().unwrap().to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn another_task_with_the_same_name_is_refused_unless_forced() {
    let tmp = two_tasks();
    let dir = tmp.path();
    let first = train(dir, "d/train.jsonl", &[]);
    assert!(first.status.success(), "{}", stderr(&first));
    let before = outputs(dir);

    // Same name `d`, same fields and settings, other train data: refused, nothing replaced.
    let second = train(dir, "d/train.csv", &[]);
    assert!(
        !second.status.success(),
        "the second task replaced the first"
    );
    let err = stderr(&second);
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    for needle in [
        "refusing to replace",
        "out/feature/d.jsonl",
        "models/d-feature.rmb",
        "task d trained on d/train.jsonl",
        "task d (feature model) trained on d/train.csv",
        "train data",
        "--force",
    ] {
        assert!(err.contains(needle), "{needle:?} missing from: {err}");
    }
    assert_eq!(outputs(dir), before, "a refused run changed the outputs");

    // --force replaces the set with the second task's.
    let forced = train(dir, "d/train.csv", &["--force"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert_eq!(trained_on(dir), "d/train.csv");
    let after = outputs(dir);
    assert_ne!(after[2].1, before[2].1, "the model file was not replaced");

    // And now the first task is the stranger.
    let back = stderr(&train(dir, "d/train.jsonl", &[]));
    assert!(
        back.contains("task d trained on d/train.csv") && back.contains("refusing"),
        "{back}"
    );
}

#[test]
fn the_same_task_again_replaces_its_own_outputs() {
    let tmp = two_tasks();
    let dir = tmp.path();
    let a = train(dir, "d/train.jsonl", &[]);
    assert!(a.status.success(), "{}", stderr(&a));
    let before = outputs(dir);
    // From the task's own folder and through a task file: the same task, other paths.
    fs::write(
        dir.join("d/task.toml"),
        "name = \"d\"\nid_field = \"id\"\ntext_fields = [\"text\"]\nlabel_field = \"label\"\n\
         train = \"train.jsonl\"\ntest = \"test.jsonl\"\n",
    )
    .unwrap();
    ok(dir, &["train", "--task-file", "d/task.toml"]);
    let again = train(dir, "d/train.jsonl", &[]);
    assert!(again.status.success(), "{}", stderr(&again));
    let after = outputs(dir);
    assert_eq!(after[0], before[0], "predictions differ on a re-run");
    assert_eq!(after[2], before[2], "model file differs on a re-run");
}

#[test]
fn other_settings_or_definitions_are_refused_before_any_data_is_read() {
    let tmp = two_tasks();
    let dir = tmp.path();
    let a = train(dir, "d/train.jsonl", &[]);
    assert!(a.status.success(), "{}", stderr(&a));
    // Other C: refused, naming the setting; the test file does not exist, so a refusal
    // (rather than a missing-file error) shows that nothing was read first.
    let mut args = vec![
        "train",
        "--train",
        "d/train.jsonl",
        "--test",
        "d/none.jsonl",
    ];
    args.extend(&FIELDS[2..]);
    args.extend(["--C", "1"]);
    let err = fails(dir, &args);
    assert!(
        err.contains("refusing") && err.contains("C: 10.0 vs 1.0"),
        "{err}"
    );
    // Another label field: the task definitions differ.
    let mut args = vec![
        "train",
        "--train",
        "d/train.jsonl",
        "--test",
        "d/none.jsonl",
    ];
    args.extend([
        "--text-field",
        "text",
        "--label-field",
        "id",
        "--id-field",
        "id",
    ]);
    let err = fails(dir, &args);
    assert!(
        err.contains("refusing") && err.contains("label_field"),
        "{err}"
    );
    // A prediction file no run record accounts for.
    let tmp = two_tasks();
    let dir = tmp.path();
    fs::create_dir_all(dir.join("out/feature")).unwrap();
    fs::write(dir.join("out/feature/d.jsonl"), "{}\n").unwrap();
    let err = stderr(&train(dir, "d/train.jsonl", &[]));
    assert!(err.contains("no run record"), "{err}");
    assert_eq!(
        fs::read(dir.join("out/feature/d.jsonl")).unwrap(),
        b"{}\n",
        "replaced"
    );
    let forced = train(dir, "d/train.jsonl", &["--force"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
}

#[test]
fn a_model_out_file_of_another_task_is_refused() {
    let tmp = two_tasks();
    let dir = tmp.path();
    let a = train(dir, "d/train.jsonl", &["--model-out", "m.rmb"]);
    assert!(a.status.success(), "{}", stderr(&a));
    // Another task (name e) into the same model file, other outputs folder.
    let b = train(dir, "d/train.csv", &["--model-out", "m.rmb", "--name", "e"]);
    let err = stderr(&b);
    assert!(!b.status.success(), "replaced m.rmb");
    assert!(
        err.contains("m.rmb was written for task d") && err.contains("task d vs e"),
        "{err}"
    );
}

#[test]
fn tune_refuses_another_tasks_results() {
    let tmp = two_tasks();
    let dir = tmp.path();
    fs::copy(fixture("dev.jsonl"), dir.join("d/dev.jsonl")).unwrap();
    let task = |train: &str| {
        format!(
            "name = \"d\"\nid_field = \"id\"\ntext_fields = [\"text\"]\nlabel_field = \
             \"label\"\ntrain = \"{train}\"\ndev = \"dev.jsonl\"\ntest = \"test.jsonl\"\n"
        )
    };
    fs::write(dir.join("d/a.toml"), task("train.jsonl")).unwrap();
    fs::write(dir.join("d/b.toml"), task("train.csv")).unwrap();
    let budget = ["--budget", "1"];
    ok(
        dir,
        &[&["tune", "--task-file", "d/a.toml"][..], &budget].concat(),
    );
    ok(
        dir,
        &[&["tune", "--task-file", "d/a.toml"][..], &budget].concat(),
    );
    let err = fails(
        dir,
        &[&["tune", "--task-file", "d/b.toml"][..], &budget].concat(),
    );
    assert!(
        err.contains("refusing") && err.contains("train data"),
        "{err}"
    );
    ok(
        dir,
        &[&["tune", "--task-file", "d/b.toml", "--force"][..], &budget].concat(),
    );
}

#[test]
fn builtin_train_all_twice_is_fine() {
    let data = common::data_dir();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let args = [
        "train",
        "--task",
        "all",
        "--data-dir",
        data.to_str().unwrap(),
    ];
    ok(dir, &args);
    let first = fs::read(dir.join("out/feature/RuMedTop3.jsonl")).unwrap();
    ok(dir, &args);
    assert_eq!(
        fs::read(dir.join("out/feature/RuMedTop3.jsonl")).unwrap(),
        first
    );
}
