//! The feature-based models reproduce the paper's Table 3 row on the real test sets, and
//! runs are byte-identical whatever the thread count. Needs ../shared/rumedbench.

mod common;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// Trains one task with the feature model and returns its test scores from the run record.
fn train(task: &str, out: &Path, threads: usize, extra: &[&str]) -> Value {
    let run = Command::new(common::bin())
        .args(["train", "--task", task, "--model", "feature", "--data-dir"])
        .arg(common::data_dir())
        .arg("--out")
        .arg(out)
        .arg("--models-dir")
        .arg(out.join("models"))
        .args(extra)
        .env("RAYON_NUM_THREADS", threads.to_string())
        .current_dir(out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}\n{}",
        String::from_utf8_lossy(&run.stdout),
        String::from_utf8_lossy(&run.stderr)
    );
    let name = rumedbench::task::find(task).unwrap().name;
    let record: Value = serde_json::from_str(
        &std::fs::read_to_string(out.join(format!("feature/{name}.run.json"))).unwrap(),
    )
    .unwrap();
    record["test"].clone()
}

fn assert_near(got: &Value, key: &str, paper: f64, within: f64) {
    let v = got[key]
        .as_f64()
        .unwrap_or_else(|| panic!("no {key} in {got}"));
    assert!(
        (v - paper).abs() <= within,
        "{key} = {v:.2}, paper {paper:.2}, allowed ±{within}"
    );
}

#[test]
fn top3_within_one_point_of_the_paper() {
    let out = tempfile::tempdir().unwrap();
    let t = train("top3", out.path(), 2, &[]);
    assert_near(&t, "acc", 49.76, 1.0);
    assert_near(&t, "hit3", 72.75, 1.0);
}

#[test]
fn symptomrec_within_one_point_of_the_paper() {
    let out = tempfile::tempdir().unwrap();
    let t = train("symptomrec", out.path(), 2, &[]);
    assert_near(&t, "acc", 32.05, 1.0);
    assert_near(&t, "hit3", 49.40, 1.0);
}

#[test]
fn danet_within_one_point_and_deterministic_across_thread_counts() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let t = train("danet", a.path(), 1, &[]);
    assert_near(&t, "acc", 51.95, 1.0);
    train("danet", b.path(), 2, &[]);
    let pa = std::fs::read(a.path().join("feature/RuMedDaNet.jsonl")).unwrap();
    let pb = std::fs::read(b.path().join("feature/RuMedDaNet.jsonl")).unwrap();
    assert!(pa == pb, "predictions differ between 1 and 2 threads");
    let ma = std::fs::read(a.path().join("models/RuMedDaNet-feature.rmb")).unwrap();
    let mb = std::fs::read(b.path().join("models/RuMedDaNet-feature.rmb")).unwrap();
    assert!(ma == mb, "model files differ between 1 and 2 threads");
}

#[test]
fn ner_crf_within_half_a_point_of_the_paper() {
    let out = tempfile::tempdir().unwrap();
    let t = train("ner", out.path(), 2, &[]);
    assert_near(&t, "acc", 94.40, 0.5);
    assert_near(&t, "f1", 62.89, 0.5);
}

#[test]
fn nli_trains_on_dev_when_its_train_split_is_absent() {
    let out = tempfile::tempdir().unwrap();
    let dev = common::data_dir().join("RuMedNLI/dev_v1.jsonl");
    let t = train(
        "nli",
        out.path(),
        2,
        &["--train-file", dev.to_str().unwrap()],
    );
    // Three balanced classes: a model that learned anything beats 33.33 clearly.
    let acc = t["acc"].as_f64().unwrap();
    assert!(acc > 40.0, "NLI trained on dev scores {acc:.2} on test");
}
