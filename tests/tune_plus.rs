//! `tune --model plus`: the search keeps the plus preset's blocks (or CRF templates) and varies
//! the classifier (C, class weight) or the CRF's penalties, point 0 being the preset; the
//! chosen point's model predicts what `train` gives with that point's settings. On synthetic
//! tasks generated here (a text-pair task and a tagging task), and the refusals.

mod common;

use std::fs;
use std::path::Path;

use serde_json::{json, Value};

/// A small generator, so the data is the same on every machine.
fn lcg(seed: u64) -> impl FnMut(usize) -> usize {
    let mut state = seed;
    move |m: usize| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((state >> 33) as usize) % m
    }
}

/// A text-pair split: the answer depends on words of the second text and on a word both texts
/// share, with 20% label noise, so grid points disagree on dev.
fn pairs(n: usize, seed: u64) -> Vec<Value> {
    let yes = ["боль", "кашель", "жар", "сыпь", "отёк"];
    let no = ["сон", "аппетит", "вес", "зрение", "слух"];
    let filler = ["пациент", "жалуется", "утром", "давно", "врач", "снова"];
    let mut next = lcg(seed);
    (0..n)
        .map(|i| {
            let positive = next(2) == 0;
            let words = if positive { &yes } else { &no };
            let key = words[next(words.len())];
            let mut q: Vec<&str> = (0..3).map(|_| filler[next(filler.len())]).collect();
            q.insert(next(4), key);
            let context = format!("{} {}", filler[next(filler.len())], key);
            let flip = next(5) == 0;
            json!({
                "id": format!("p{seed}-{i}"),
                "context": context,
                "question": q.join(" "),
                "answer": if positive != flip { "да" } else { "нет" },
            })
        })
        .collect()
}

/// A tagging split: drug names (B-Drug, some two tokens long) among filler words, with noise.
fn tagged(n: usize, seed: u64) -> Vec<Value> {
    let drugs = ["аспирин", "ибупрофен", "парацетамол", "но-шпа", "анальгин"];
    let filler = [
        "принимал",
        "утром",
        "после",
        "еды",
        "болит",
        "голова",
        "два",
        "дня",
    ];
    let mut next = lcg(seed);
    (0..n)
        .map(|i| {
            let mut tokens = Vec::new();
            let mut tags = Vec::new();
            for _ in 0..(4 + next(4)) {
                if next(4) == 0 {
                    tokens.push(drugs[next(drugs.len())].to_string());
                    // Label noise: one drug mention in six is left untagged.
                    let tag = if next(6) == 0 { "O" } else { "B-Drug" };
                    tags.push(tag);
                    if next(3) == 0 {
                        tokens.push("форте".to_string());
                        tags.push(if tag == "O" { "O" } else { "I-Drug" });
                    }
                } else {
                    let w = filler[next(filler.len())];
                    tokens.push(if next(6) == 0 {
                        w.to_uppercase()
                    } else {
                        w.into()
                    });
                    tags.push("O");
                }
            }
            json!({"id": format!("s{seed}-{i}"), "tokens": tokens, "tags": tags})
        })
        .collect()
}

fn write(dir: &Path, name: &str, rows: &[Value]) {
    let body: String = rows.iter().map(|r| format!("{r}\n")).collect();
    fs::write(dir.join(name), body).unwrap();
}

fn pair_task(dir: &Path) -> std::path::PathBuf {
    write(dir, "train.jsonl", &pairs(160, 1));
    write(dir, "dev.jsonl", &pairs(80, 2));
    write(dir, "test.jsonl", &pairs(80, 3));
    let task = dir.join("pairs.toml");
    fs::write(
        &task,
        "name = \"pairs\"\nid_field = \"id\"\ntext_fields = [\"context\", \"question\"]\n\
         label_field = \"answer\"\ntrain = \"train.jsonl\"\ndev = \"dev.jsonl\"\n\
         test = \"test.jsonl\"\n",
    )
    .unwrap();
    task
}

fn tag_task(dir: &Path) -> std::path::PathBuf {
    write(dir, "ner_train.jsonl", &tagged(120, 4));
    write(dir, "ner_dev.jsonl", &tagged(60, 5));
    write(dir, "ner_test.jsonl", &tagged(60, 6));
    let task = dir.join("ner.toml");
    fs::write(
        &task,
        "name = \"ner\"\nid_field = \"id\"\ntokens_field = \"tokens\"\ntags_field = \"tags\"\n\
         train = \"ner_train.jsonl\"\ndev = \"ner_dev.jsonl\"\ntest = \"ner_test.jsonl\"\n",
    )
    .unwrap();
    task
}

fn record(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

fn text(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The chosen point is the best dev score (ties: the earlier point), point 0 is the preset.
fn check_choice(rec: &Value) -> usize {
    let grid = (rec["grid"].as_array()).unwrap_or_else(|| panic!("{rec}"));
    let scores: Vec<f64> = grid
        .iter()
        .map(|p| p["selection_score"].as_f64().unwrap())
        .collect();
    let chosen = rec["chosen"].as_u64().unwrap() as usize;
    let best = scores.iter().cloned().fold(f64::MIN, f64::max);
    assert_eq!(scores[chosen], best, "{scores:?}");
    assert!(scores[..chosen].iter().all(|&s| s < best), "{scores:?}");
    eprintln!("dev scores {scores:?}, chosen {chosen}");
    chosen
}

#[test]
fn tune_plus_on_pairs_keeps_the_blocks_and_its_model_is_trains_with_that_point() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let task = pair_task(dir);
    let task = task.to_str().unwrap();
    let (out, _) = common::ok_in(dir, &["tune", "--task-file", task, "--model", "plus"]);
    assert!(out.contains("plus preset dev"), "{out}");
    let rec = record(&dir.join("out/tuned-plus/pairs.tune.json"));
    let chosen = check_choice(&rec);
    let grid = rec["grid"].as_array().unwrap();
    // Every point keeps the preset's blocks; point 0 is the preset, as `train --model plus`.
    let blocks = grid[0]["settings"]["blocks"].clone();
    assert!(grid.iter().all(|p| p["settings"]["blocks"] == blocks));
    assert!(grid.len() >= 4, "{}", grid.len());
    common::ok_in(dir, &["train", "--task-file", task, "--model", "plus"]);
    let plus = record(&dir.join("out/plus/pairs.run.json"));
    let preset = &plus["hyperparameters"];
    assert_eq!(preset["vectorizer"]["blocks"], blocks, "{preset}");
    assert_eq!(grid[0]["settings"]["C"], preset["classifier"]["C"]);
    assert_eq!(
        grid[0]["settings"]["class_weight"],
        preset["classifier"]["class_weight"]
    );
    // The tuned model predicts as `train --model feature` with the chosen point's settings.
    let point = &grid[chosen]["settings"];
    let names: Vec<&str> = blocks
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_str().unwrap())
        .collect();
    let c = point["C"].to_string();
    common::ok_in(
        dir,
        &[
            "train",
            "--task-file",
            task,
            "--blocks",
            &names.join(","),
            "--C",
            &c,
            "--class-weight",
            point["class_weight"].as_str().unwrap(),
        ],
    );
    assert_eq!(
        text(&dir.join("out/tuned-plus/pairs.jsonl")),
        text(&dir.join("out/feature/pairs.jsonl"))
    );
    if chosen == 0 {
        assert_eq!(
            text(&dir.join("out/tuned-plus/pairs.jsonl")),
            text(&dir.join("out/plus/pairs.jsonl"))
        );
    }
    // `--grid C=...` replaces the C values; point 0 takes its first.
    common::ok_in(
        dir,
        &[
            "tune",
            "--task-file",
            task,
            "--model",
            "plus",
            "--grid",
            "C=0.5,2",
            "--force",
        ],
    );
    let rec = record(&dir.join("out/tuned-plus/pairs.tune.json"));
    let grid = rec["grid"].as_array().unwrap();
    assert_eq!(grid[0]["settings"]["C"], json!(0.5));
    assert_eq!(grid.len(), 4);
}

#[test]
fn tune_plus_on_a_tagger_keeps_the_templates_and_its_model_is_trains_with_that_point() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let task = tag_task(dir);
    let task = task.to_str().unwrap();
    common::ok_in(dir, &["tune", "--task-file", task, "--model", "plus"]);
    let rec = record(&dir.join("out/tuned-plus/ner.tune.json"));
    let chosen = check_choice(&rec);
    let grid = rec["grid"].as_array().unwrap();
    common::ok_in(dir, &["train", "--task-file", task, "--model", "plus"]);
    let plus = record(&dir.join("out/plus/ner.run.json"));
    let preset = &plus["hyperparameters"];
    assert_eq!(grid[0]["settings"]["c1"], preset["c1"]);
    assert_eq!(grid[0]["settings"]["c2"], preset["c2"]);
    let tuned = &rec["hyperparameters"];
    assert_eq!(tuned["templates"], preset["templates"], "{tuned}");
    let templates: Vec<&str> = tuned["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    let point = &grid[chosen]["settings"];
    let (c1, c2) = (point["c1"].to_string(), point["c2"].to_string());
    common::ok_in(
        dir,
        &[
            "train",
            "--task-file",
            task,
            "--crf-templates",
            &templates.join(","),
            "--c1",
            &c1,
            "--c2",
            &c2,
        ],
    );
    assert_eq!(
        text(&dir.join("out/tuned-plus/ner.jsonl")),
        text(&dir.join("out/feature/ner.jsonl"))
    );
}

#[test]
fn tune_plus_refusals_name_what_is_wrong() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let task = pair_task(dir);
    let task = task.to_str().unwrap();
    let fails = |args: &[&str]| {
        let o = common::run_in(dir, args);
        assert!(!o.status.success(), "{args:?} succeeded");
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let e = fails(&[
        "tune",
        "--task-file",
        task,
        "--model",
        "plus",
        "--grid",
        "ngram_range=1-2",
    ]);
    assert!(e.contains("ngram_range") && e.contains("blocks"), "{e}");
    let e = fails(&["tune", "--task-file", task, "--model", "naive"]);
    assert!(e.contains("nothing to tune"), "{e}");
    let with_c = dir.join("with_c.toml");
    fs::write(&with_c, text(Path::new(task)) + "C = 3.0\n").unwrap();
    let e = fails(&[
        "tune",
        "--task-file",
        with_c.to_str().unwrap(),
        "--model",
        "plus",
    ]);
    assert!(e.contains("`C` sets the recipe"), "{e}");
    // train --model plus: a flag the preset fixes is refused, the free ones are taken.
    let e = fails(&[
        "train",
        "--task-file",
        task,
        "--model",
        "plus",
        "--hash-features",
        "12",
    ]);
    assert!(
        e.contains("--hash-features") && e.contains("fixed preset"),
        "{e}"
    );
    common::ok_in(
        dir,
        &[
            "train",
            "--task-file",
            task,
            "--model",
            "plus",
            "--seed",
            "3",
        ],
    );
}
