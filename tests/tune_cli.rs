//! `tune` never lets the test split influence the choice: on a small synthetic task generated
//! here, corrupting or replacing the test file leaves every dev score and the chosen setting
//! unchanged, while the test predictions and scores do follow the new file.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

/// A DaNet-shaped split: the answer depends on which words the question holds, with 20%
/// label noise, so grid points disagree on dev.
fn synthetic(n: usize, seed: u64, prefix: &str) -> Vec<Value> {
    let yes = ["боль", "кашель", "жар", "сыпь", "отёк"];
    let no = ["сон", "аппетит", "вес", "зрение", "слух"];
    let filler = [
        "пациент",
        "жалуется",
        "утром",
        "давно",
        "врач",
        "снова",
        "сильно",
    ];
    let mut state = seed;
    let mut next = move |m: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % m
    };
    (0..n)
        .map(|i| {
            let positive = next(2) == 0;
            let words = if positive { &yes } else { &no };
            let mut q: Vec<&str> = (0..3).map(|_| filler[next(filler.len())]).collect();
            q.insert(next(4), words[next(words.len())]);
            let flip = next(5) == 0;
            json!({
                "pairID": format!("{prefix}{i}"),
                "context": format!("{} {}", filler[next(filler.len())], filler[next(filler.len())]),
                "question": q.join(" "),
                "answer": if positive != flip { "да" } else { "нет" },
            })
        })
        .collect()
}

fn write_split(root: &Path, split: &str, rows: &[Value]) {
    let dir = root.join("RuMedDaNet");
    fs::create_dir_all(&dir).unwrap();
    let body: String = rows.iter().map(|r| format!("{r}\n")).collect();
    fs::write(dir.join(format!("{split}_v1.jsonl")), body).unwrap();
}

/// Runs `tune --task danet` on `data` with outputs under `work`, returning the tune record.
fn tune(data: &Path, work: &Path) -> Value {
    let out = Command::new(common::bin())
        .args(["tune", "--task", "danet", "--data-dir"])
        .arg(data)
        .arg("--out")
        .arg(work.join("out"))
        .arg("--models-dir")
        .arg(work.join("models"))
        .current_dir(work)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("| rumedbench tuned |"), "{stdout}");
    assert!(stdout.contains("| paper: Feature-based |"), "{stdout}");
    let record = work.join("out/tuned/RuMedDaNet.tune.json");
    serde_json::from_str(&fs::read_to_string(record).unwrap()).unwrap()
}

fn dev_scores(record: &Value) -> Vec<Value> {
    record["grid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["dev"].clone())
        .collect()
}

fn predictions(work: &Path) -> Vec<Value> {
    common::read_jsonl(&work.join("out/tuned/RuMedDaNet.jsonl"))
}

#[test]
fn test_labels_and_test_files_do_not_change_the_choice() {
    let tmp = tempfile::tempdir().unwrap();
    let data: PathBuf = tmp.path().join("data");
    let test = synthetic(80, 3, "t");
    write_split(&data, "train", &synthetic(160, 1, "a"));
    write_split(&data, "dev", &synthetic(80, 2, "d"));
    write_split(&data, "test", &test);

    let base_dir = tmp.path().join("base");
    fs::create_dir_all(&base_dir).unwrap();
    let base = tune(&data, &base_dir);
    let grid = dev_scores(&base);
    assert_eq!(grid.len(), 24);
    // The choice is only meaningful if the grid points disagree on dev.
    assert!(grid.iter().any(|g| g != &grid[0]), "{grid:?}");
    let base_acc = base["test"]["acc"].as_f64().unwrap();
    let base_preds = predictions(&base_dir);
    assert_eq!(base_preds.len(), test.len());
    assert_eq!(base_preds[0]["pairID"], "t0");

    // Every test label flipped: test accuracy becomes its complement, the choice stays.
    let flipped: Vec<Value> = test
        .iter()
        .map(|r| {
            let mut r = r.clone();
            r["answer"] = json!(if r["answer"] == "да" {
                "нет"
            } else {
                "да"
            });
            r
        })
        .collect();
    write_split(&data, "test", &flipped);
    let flip_dir = tmp.path().join("flip");
    fs::create_dir_all(&flip_dir).unwrap();
    let flip = tune(&data, &flip_dir);
    assert_eq!(flip["chosen"], base["chosen"]);
    assert_eq!(dev_scores(&flip), grid);
    let flip_acc = flip["test"]["acc"].as_f64().unwrap();
    assert!(
        (flip_acc - (100.0 - base_acc)).abs() < 1e-9,
        "{flip_acc} vs {base_acc}"
    );
    let flip_preds = predictions(&flip_dir);
    for (a, b) in base_preds.iter().zip(&flip_preds) {
        assert_eq!(a["prediction"], b["prediction"]);
        assert_ne!(a["answer"], b["answer"]);
    }

    // A different test file altogether: other ids, texts and labels; the choice stays.
    let other: Vec<Value> = synthetic(50, 99, "x")
        .into_iter()
        .map(|mut r| {
            r["answer"] = json!("да");
            r
        })
        .collect();
    write_split(&data, "test", &other);
    let other_dir = tmp.path().join("other");
    fs::create_dir_all(&other_dir).unwrap();
    let replaced = tune(&data, &other_dir);
    assert_eq!(replaced["chosen"], base["chosen"]);
    assert_eq!(replaced["chosen_settings"], base["chosen_settings"]);
    assert_eq!(dev_scores(&replaced), grid);
    let other_preds = predictions(&other_dir);
    assert_eq!(other_preds.len(), 50);
    assert_eq!(other_preds[0]["pairID"], "x0");
}

#[test]
fn nli_without_its_train_split_is_refused_with_a_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("RuMedNLI");
    fs::create_dir_all(&dir).unwrap();
    let row = json!({"pairID": "n1", "ru_sentence1": "а", "ru_sentence2": "б",
                     "gold_label": "neutral"});
    for split in ["dev", "test"] {
        fs::write(dir.join(format!("{split}_v1.jsonl")), format!("{row}\n")).unwrap();
    }
    let out = Command::new(common::bin())
        .args(["tune", "--task", "nli", "--data-dir"])
        .arg(tmp.path())
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot tune RuMedNLI"), "{err}");
    assert!(
        err.contains("dev cannot also be the training data"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(!tmp.path().join("out").exists());
}
