//! A user's own task, end to end on the synthetic fixture in `tests/fixtures/toy/`: train from
//! flags or a task file, save, load, predict, explain, and the model-file error cases. Every
//! command runs in a temporary directory so nothing lands in the repository.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/toy")
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

/// A failing run's stderr, checked to be one line.
fn fails(dir: &Path, args: &[&str]) -> String {
    let o = run(dir, args);
    assert!(!o.status.success(), "{args:?} should fail");
    let err = String::from_utf8(o.stderr).unwrap();
    assert_eq!(err.trim_end().lines().count(), 1, "not one line: {err}");
    assert!(err.starts_with("error: "), "{err}");
    err
}

fn parse_lines(s: &str) -> Vec<Value> {
    s.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

struct Kind {
    name: &'static str,
    stem: &'static str,
    fields: &'static [&'static str],
}

const SINGLE: Kind = Kind {
    name: "toy",
    stem: "",
    fields: &["--text-field", "text", "--label-field", "label"],
};
const PAIR: Kind = Kind {
    name: "toypair",
    stem: "pair_",
    fields: &[
        "--text-field",
        "complaint",
        "--text-field",
        "specialist",
        "--label-field",
        "label",
    ],
};
const TOKENS: Kind = Kind {
    name: "toyner",
    stem: "ner_",
    fields: &["--tokens-field", "tokens", "--tags-field", "tags"],
};

fn split(kind: &Kind, split: &str, ext: &str) -> String {
    fixture()
        .join(format!("{}{split}.{ext}", kind.stem))
        .display()
        .to_string()
}

/// Trains `kind` from `ext` files in a fresh temp dir; returns the dir, the model file and
/// the prediction records `train` wrote.
fn train(kind: &Kind, ext: &str) -> (tempfile::TempDir, PathBuf, Vec<Value>) {
    let dir = tempfile::tempdir().unwrap();
    let (tr, dv, ts) = (
        split(kind, "train", ext),
        split(kind, "dev", ext),
        split(kind, "test", ext),
    );
    let mut args = vec![
        "train",
        "--train",
        &tr,
        "--dev",
        &dv,
        "--test",
        &ts,
        "--id-field",
        "id",
        "--name",
        kind.name,
        "--out",
        "o",
        "--models-dir",
        "m",
    ];
    args.extend_from_slice(kind.fields);
    let log = ok(dir.path(), &args);
    assert!(log.contains(kind.name), "{log}");
    let model = dir.path().join(format!("m/{}-feature.rmb", kind.name));
    assert!(model.is_file(), "{}", model.display());
    let preds = common::read_jsonl(&dir.path().join(format!("o/feature/{}.jsonl", kind.name)));
    (dir, model, preds)
}

/// `predict` output reduced to what `train` writes: top-k labels (or tags) by id.
fn predicted(kind: &Kind, preds: &[Value], k: usize) -> Vec<(Value, Value)> {
    preds
        .iter()
        .map(|p| {
            let v = if kind.stem == "ner_" {
                p["tags"].clone()
            } else {
                let labels: Vec<Value> = p["prediction"].as_array().unwrap()[..k]
                    .iter()
                    .map(|x| x["label"].clone())
                    .collect();
                if k == 1 {
                    labels[0].clone()
                } else {
                    Value::from(labels)
                }
            };
            (p["id"].clone(), v)
        })
        .collect()
}

fn written(trained: &[Value]) -> Vec<(Value, Value)> {
    trained
        .iter()
        .map(|p| (p["id"].clone(), p["prediction"].clone()))
        .collect()
}

/// Train, then predict the test file with the saved model: the loaded model must reproduce
/// train's predictions exactly. Returns predict's raw output.
fn round_trip(kind: &Kind, ext: &str) -> String {
    let (dir, model, trained) = train(kind, ext);
    let test = split(kind, "test", ext);
    let out = ok(
        dir.path(),
        &[
            "predict",
            "--model",
            model.to_str().unwrap(),
            "--input",
            &test,
        ],
    );
    let preds = parse_lines(&out);
    assert_eq!(preds.len(), trained.len());
    // Ranked outputs in train's file hold 3 labels when Hit@3 is reported, else one.
    let k = match &trained[0]["prediction"] {
        Value::Array(a) if kind.stem != "ner_" => a.len(),
        _ => 1,
    };
    assert_eq!(
        predicted(kind, &preds, k),
        written(&trained),
        "{kind:?}",
        kind = kind.name
    );
    out
}

#[test]
fn single_text_round_trips_in_jsonl_and_csv() {
    let jsonl = round_trip(&SINGLE, "jsonl");
    let csv = round_trip(&SINGLE, "csv");
    // Same records in either format: byte-identical predictions, probabilities included.
    assert_eq!(jsonl, csv);
    // Five classes in train, so Hit@3 is reported and three labels are ranked.
    let first: Value = serde_json::from_str(jsonl.lines().next().unwrap()).unwrap();
    assert_eq!(first["prediction"].as_array().unwrap().len(), 3);
}

#[test]
fn pair_task_round_trips_in_jsonl_and_csv() {
    assert_eq!(round_trip(&PAIR, "jsonl"), round_trip(&PAIR, "csv"));
}

#[test]
fn tagging_task_round_trips_in_jsonl_and_csv() {
    let jsonl = round_trip(&TOKENS, "jsonl");
    assert_eq!(jsonl, round_trip(&TOKENS, "csv"));
    assert!(jsonl.contains("\"type\": \"Drug\""), "{jsonl}");
}

#[test]
fn task_file_trains_the_same_model_as_flags() {
    let (dir, _, by_flags) = train(&SINGLE, "jsonl");
    let task = fixture().join("task.toml");
    ok(
        dir.path(),
        &[
            "train",
            "--task-file",
            task.to_str().unwrap(),
            "--out",
            "t",
            "--models-dir",
            "tm",
        ],
    );
    assert!(dir.path().join("tm/toy-feature.rmb").is_file());
    assert_eq!(
        common::read_jsonl(&dir.path().join("t/feature/toy.jsonl")),
        by_flags
    );
    // A flag overrides the task file.
    ok(
        dir.path(),
        &[
            "train",
            "--task-file",
            task.to_str().unwrap(),
            "--name",
            "renamed",
            "--out",
            "t",
            "--models-dir",
            "tm",
        ],
    );
    assert!(dir.path().join("t/feature/renamed.jsonl").is_file());
}

#[test]
fn bad_model_files_are_one_line_errors() {
    let (dir, model, _) = train(&SINGLE, "jsonl");
    let bytes = std::fs::read(&model).unwrap();
    let input = split(&SINGLE, "test", "jsonl");
    let try_model = |name: &str, content: &[u8], expect: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        let err = fails(
            dir.path(),
            &["predict", "--model", p.to_str().unwrap(), "--input", &input],
        );
        assert!(err.contains(expect), "{name}: {err}");
        assert!(err.contains(name), "names the file: {err}");
    };
    try_model("truncated.rmb", &bytes[..bytes.len() / 2], "truncated");
    try_model("header-only.rmb", &bytes[..20], "truncated");
    let mut corrupted = bytes.clone();
    let mid = bytes.len() / 2;
    corrupted[mid] ^= 0x55;
    try_model("corrupted.rmb", &corrupted, "corrupted");
    try_model(
        "foreign.json",
        br#"{"not": "a model"}"#,
        "not a rumedbench model",
    );
    let mut newer = bytes.clone();
    newer[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    try_model("newer.rmb", &newer, "newer");
    let err = fails(
        dir.path(),
        &["predict", "--model", "absent.rmb", "--input", &input],
    );
    assert!(err.contains("absent.rmb"), "{err}");
}

#[test]
fn labels_unseen_in_train_are_a_warning_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let dev = dir.path().join("dev.jsonl");
    let mut text = std::fs::read_to_string(fixture().join("dev.jsonl")).unwrap();
    text.push_str("{\"id\": \"new1\", \"text\": \"перелом лучевой кости\", \"label\": \"S52\"}\n");
    std::fs::write(&dev, text).unwrap();
    let (tr, ts) = (
        split(&SINGLE, "train", "jsonl"),
        split(&SINGLE, "test", "jsonl"),
    );
    let mut args = vec![
        "train",
        "--train",
        &tr,
        "--dev",
        dev.to_str().unwrap(),
        "--test",
        &ts,
        "--id-field",
        "id",
        "--name",
        "toy",
        "--out",
        "o",
        "--models-dir",
        "m",
    ];
    args.extend_from_slice(SINGLE.fields);
    // The warning is a note on stderr; stdout keeps the result line only.
    let o = run(dir.path(), &args);
    assert!(o.status.success());
    let log = String::from_utf8_lossy(&o.stderr);
    assert!(
        log.contains("warning:") && log.contains("never seen in train") && log.contains("S52"),
        "{log}"
    );
    assert!(!String::from_utf8_lossy(&o.stdout).contains("warning:"));
    // The unseen record counts as wrong: dev accuracy is below 100 (10 of 11 at best).
    let run: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("o/feature/toy.run.json")).unwrap(),
    )
    .unwrap();
    assert!(
        run["dev"]["acc"].as_f64().unwrap() <= 100.0 * 10.0 / 11.0 + 1e-9,
        "{run}"
    );
}

#[test]
fn predict_reads_plain_text_lines() {
    let (dir, model, _) = train(&SINGLE, "jsonl");
    let input = dir.path().join("notes.txt");
    std::fs::write(
        &input,
        "Сильная изжога и тошнота после еды\n\nзуд кожи, сыпь на руках\n",
    )
    .unwrap();
    let out = ok(
        dir.path(),
        &[
            "predict",
            "--model",
            model.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "--top-k",
            "2",
        ],
    );
    let preds = parse_lines(&out);
    // Output line N answers input line N: the blank line keeps its line number as id, with an
    // empty prediction.
    assert_eq!(preds.len(), 3, "one output record per input line: {out}");
    let ids: Vec<&Value> = preds.iter().map(|p| &p["id"]).collect();
    assert_eq!(ids, [&Value::from(1), &Value::from(2), &Value::from(3)]);
    assert_eq!(preds[0]["prediction"][0]["label"], "K29");
    assert_eq!(preds[1]["prediction"], serde_json::json!([]));
    assert_eq!(preds[2]["prediction"][0]["label"], "L30");
    assert_eq!(preds[0]["prediction"].as_array().unwrap().len(), 2);

    let (dir, model, _) = train(&TOKENS, "jsonl");
    let input = dir.path().join("notes.txt");
    std::fs::write(&input, "После приёма аспирина болит голова.\n").unwrap();
    let out = ok(
        dir.path(),
        &[
            "predict",
            "--model",
            model.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
        ],
    );
    let p = &parse_lines(&out)[0];
    assert_eq!(p["tokens"][2], "аспирина");
    assert_eq!(p["tags"][2], "B-Drug");
}

#[test]
fn explain_shows_ngrams_and_tagger_attributes() {
    let (dir, model, _) = train(&SINGLE, "jsonl");
    let m = model.to_str().unwrap();
    let out = ok(
        dir.path(),
        &[
            "explain",
            "--model",
            m,
            "--text",
            "Сильная изжога",
            "--format",
            "json",
        ],
    );
    let e: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(e["classes"].as_array().unwrap().len(), 3);
    assert_eq!(e["classes"][0]["label"], "K29");
    let up = e["classes"][0]["up"].as_array().unwrap();
    assert!(!up.is_empty() && up.len() <= 10);
    assert!(
        up.iter()
            .any(|x| "изжога".contains(x["ngram"].as_str().unwrap())),
        "{out}"
    );
    let table = ok(
        dir.path(),
        &[
            "explain",
            "--model",
            m,
            "--text",
            "боль в животе",
            "--classes",
            "1",
        ],
    );
    assert!(
        table.contains("1. K29") && !table.contains("2. "),
        "{table}"
    );
    assert!(table.contains('␣'), "spaces are visible: {table}");
    let err = fails(
        dir.path(),
        &["explain", "--model", m, "--text", "a", "--text2", "b"],
    );
    assert!(err.contains("single-text"), "{err}");

    let (dir, model, _) = train(&PAIR, "jsonl");
    let m = model.to_str().unwrap();
    let err = fails(dir.path(), &["explain", "--model", m, "--text", "изжога"]);
    assert!(err.contains("--text2"), "{err}");
    let out = ok(
        dir.path(),
        &[
            "explain",
            "--model",
            m,
            "--text",
            "изжога",
            "--text2",
            "направить к: гастроэнтеролог",
            "--format",
            "json",
        ],
    );
    let e: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(e["text"], "изжога направить к: гастроэнтеролог");
    // Two classes, one binary problem: the scores mirror each other.
    let (a, b) = (&e["classes"][0], &e["classes"][1]);
    assert!((a["score"].as_f64().unwrap() + b["score"].as_f64().unwrap()).abs() < 1e-9);

    // A CRF tagger is explained token by token; text-model flags are refused by name.
    let (dir, model, _) = train(&TOKENS, "jsonl");
    let m = model.to_str().unwrap();
    let table = ok(
        dir.path(),
        &["explain", "--model", m, "--text", "болит голова"],
    );
    assert!(
        table.contains("1. болит") && table.contains("2. голова") && table.contains("path score"),
        "{table}"
    );
    let err = fails(
        dir.path(),
        &[
            "explain",
            "--model",
            m,
            "--text",
            "болит голова",
            "--ngrams",
            "3",
        ],
    );
    assert!(err.contains("--ngrams is for text models"), "{err}");
}

/// The worked examples of README's "Your own task" and of `docs/own-task.md`, command for
/// command (the `rumedbench` part of a pipeline), each from its own copy of the fixture so the
/// default `out/` and `models/` land in a temp dir.
#[test]
fn readme_example_works() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let section = readme
        .split("## Your own task")
        .nth(1)
        .expect("README has a `Your own task` section")
        .split("\n## ")
        .next()
        .unwrap()
        .to_string();
    let guide = std::fs::read_to_string(root.join("docs/own-task.md")).unwrap();
    for (page, text, at_least) in [("README", section, 8), ("docs/own-task.md", guide, 4)] {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("tests/fixtures/toy");
        std::fs::create_dir_all(&dest).unwrap();
        for f in std::fs::read_dir(fixture()).unwrap() {
            let f = f.unwrap().path();
            std::fs::copy(&f, dest.join(f.file_name().unwrap())).unwrap();
        }
        let mut ran = 0;
        for block in text.split("```sh\n").skip(1) {
            let block = block.split("```").next().unwrap();
            // Join continued lines, drop comments and what a pipe feeds.
            for cmd in block.replace("\\\n", " ").lines() {
                let cmd = cmd.split(" #").next().unwrap();
                let cmd = cmd.split(" | ").next().unwrap().trim();
                let Some(rest) = cmd.strip_prefix("rumedbench ") else {
                    continue;
                };
                let args = shell_words(rest);
                let refs: Vec<&str> = args.iter().map(String::as_str).collect();
                ok(dir.path(), &refs);
                ran += 1;
            }
        }
        assert!(ran >= at_least, "{page}: only {ran} commands ran");
        assert!(dir.path().join("models/toy-feature.rmb").is_file());
        assert!(dir.path().join("out/feature/toy.jsonl").is_file());
    }
}

/// Splits a command line at spaces, keeping double-quoted strings whole.
fn shell_words(s: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in s.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any || !cur.is_empty() {
                    words.push(std::mem::take(&mut cur));
                }
                any = false;
            }
            c => cur.push(c),
        }
    }
    if any || !cur.is_empty() {
        words.push(cur);
    }
    words
}
