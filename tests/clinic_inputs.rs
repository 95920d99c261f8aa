//! Inputs a Russian clinic has (issue #22, item 4): a cp1251 CSV with Russian column names
//! (what Excel exports) read with `--encoding` or the task-file key `encoding`, a byte-order
//! mark detected whatever was given, mixed label types refused at the first disagreement,
//! `predict`'s blank lines keeping their line numbers as ids, and `--quiet`. Fixtures are
//! written from the synthetic toy task (`tests/fixtures/toy/`).

mod common;

use std::path::{Path, PathBuf};

use serde_json::Value;

fn toy(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/toy")
        .join(name)
}

/// The toy CSV split `name` with Russian column names and `;` between cells (Excel's Russian
/// locale), encoded as `enc`, to `dir/file`.
fn excel_csv(dir: &Path, name: &str, file: &str, enc: &'static encoding_rs::Encoding) -> PathBuf {
    let text = std::fs::read_to_string(toy(name)).unwrap();
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let mut w = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(vec![]);
    w.write_record(["номер", "жалоба", "диагноз"]).unwrap();
    for r in rdr.records() {
        w.write_record(&r.unwrap()).unwrap();
    }
    let utf8 = String::from_utf8(w.into_inner().unwrap()).unwrap();
    let (bytes, _, unmappable) = enc.encode(&utf8);
    assert!(!unmappable, "the toy text fits {}", enc.name());
    let path = dir.join(file);
    std::fs::write(&path, &bytes).unwrap();
    path
}

const FIELDS: [&str; 8] = [
    "--text-field",
    "жалоба",
    "--label-field",
    "диагноз",
    "--id-field",
    "номер",
    "--delimiter",
    "semicolon",
];

fn train_args<'a>(train: &'a str, test: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "train", "--train", train, "--test", test, "--name", "clinic",
    ];
    a.extend(FIELDS);
    a.extend(extra);
    a
}

#[test]
fn a_cp1251_csv_trains_with_encoding_and_matches_its_utf8_copy() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let train = excel_csv(d, "train.csv", "train.csv", encoding_rs::WINDOWS_1251);
    let test = excel_csv(d, "test.csv", "test.csv", encoding_rs::WINDOWS_1251);
    let (train, test) = (train.to_str().unwrap(), test.to_str().unwrap());

    // Without --encoding: an error naming the file and line, with the flag to give.
    let o = common::run_in(d, &train_args(train, test, &["--out", "o0"]));
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("train.csv:1") && err.contains("--encoding cp1251"),
        "{err}"
    );

    common::ok_in(
        d,
        &train_args(
            train,
            test,
            &["--encoding", "cp1251", "--out", "cp", "--models-dir", "mcp"],
        ),
    );
    // The same rows in UTF-8 (with a BOM, as Excel writes "CSV UTF-8"): the same predictions.
    let utf_train = excel_csv(d, "train.csv", "u_train.csv", encoding_rs::UTF_8);
    let utf_test = excel_csv(d, "test.csv", "u_test.csv", encoding_rs::UTF_8);
    for p in [&utf_train, &utf_test] {
        let mut b = vec![0xEF, 0xBB, 0xBF];
        b.extend(std::fs::read(p).unwrap());
        std::fs::write(p, b).unwrap();
    }
    common::ok_in(
        d,
        &train_args(
            utf_train.to_str().unwrap(),
            utf_test.to_str().unwrap(),
            &["--out", "u8", "--models-dir", "mu8"],
        ),
    );
    let cp = common::read_jsonl(&d.join("cp/feature/clinic.jsonl"));
    let u8 = common::read_jsonl(&d.join("u8/feature/clinic.jsonl"));
    assert_eq!(cp.len(), 10);
    assert_eq!(cp, u8);
    assert_eq!(cp[0]["номер"], "ts001", "{}", cp[0]);

    // test and predict read cp1251 too.
    let model = d.join("mcp/clinic-feature.rmb");
    let mut args = vec![
        "test",
        "--model",
        model.to_str().unwrap(),
        "--input",
        test,
        "--encoding",
        "cp1251",
        "--format",
        "json",
    ];
    args.extend(&FIELDS[..6]);
    args.extend(["--delimiter", ";"]);
    let (out, _) = common::ok_in(d, &args);
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["records"], 10, "{out}");
    assert!(v["accuracy"].as_f64().unwrap() > 50.0, "{out}");

    let notes = d.join("notes.txt");
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode("изжога и тошнота после еды\n");
    std::fs::write(&notes, &bytes).unwrap();
    let predict = |enc: Option<&str>| {
        let mut a = vec!["predict", "--model", model.to_str().unwrap()];
        a.extend(["--input", notes.to_str().unwrap()]);
        if let Some(e) = enc {
            a.extend(["--encoding", e]);
        }
        common::run_in(d, &a)
    };
    let o = predict(Some("windows-1251"));
    assert!(o.status.success());
    let p: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(p["prediction"][0]["label"], "K29", "{p}");
    let o = predict(None);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("notes.txt:1") && err.contains("--encoding"),
        "{err}"
    );
    // An unknown label is refused when parsed, with examples.
    let o = predict(Some("cp9999"));
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("cp1251"));
}

#[test]
fn the_task_file_key_and_a_utf16_bom() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    excel_csv(d, "train.csv", "train.csv", encoding_rs::WINDOWS_1251);
    excel_csv(d, "test.csv", "test.csv", encoding_rs::WINDOWS_1251);
    std::fs::write(
        d.join("task.toml"),
        "name = \"clinic\"\nid_field = \"номер\"\ntext_fields = [\"жалоба\"]\n\
         label_field = \"диагноз\"\ntrain = \"train.csv\"\ntest = \"test.csv\"\n\
         delimiter = \";\"\nencoding = \"cp1251\"\n",
    )
    .unwrap();
    common::ok_in(
        d,
        &[
            "train",
            "--task-file",
            "task.toml",
            "--out",
            "tf",
            "--models-dir",
            "m",
        ],
    );
    assert_eq!(
        common::read_jsonl(&d.join("tf/feature/clinic.jsonl")).len(),
        10
    );
    std::fs::write(d.join("bad.toml"), "name = \"x\"\nencoding = \"cp9999\"\n").unwrap();
    let o = common::run_in(d, &["train", "--task-file", "bad.toml"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("bad.toml") && err.contains("encoding"),
        "{err}"
    );

    // A UTF-16LE file with its BOM is read whatever --encoding says.
    let text = std::fs::read_to_string(toy("test.jsonl")).unwrap();
    let mut le = vec![0xFF, 0xFE];
    le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(d.join("test16.jsonl"), le).unwrap();
    let model = d.join("m/clinic-feature.rmb");
    let (out, _) = common::ok_in(
        d,
        &[
            "predict",
            "--model",
            model.to_str().unwrap(),
            "--input",
            "test16.jsonl",
            "--encoding",
            "cp1251",
            "--text-field",
            "text",
            "--id-field",
            "id",
        ],
    );
    assert_eq!(out.lines().count(), 10, "{out}");
    assert!(out.starts_with("{\"id\": \"ts001\""), "{out}");
}

#[test]
fn mixed_label_types_are_refused_at_the_first_disagreement() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lines: Vec<String> = std::fs::read_to_string(toy("train.jsonl"))
        .unwrap()
        .lines()
        .map(String::from)
        .collect();
    for (first, other, what) in [
        (
            "\"1\"",
            "1",
            "is a number, but the label on line 1 is a string",
        ),
        (
            "true",
            "\"true\"",
            "is a string, but the label on line 1 is a boolean",
        ),
        ("1", "1.0", "the label 1.0 is the number 1 on line 1"),
    ] {
        let body: Vec<String> = lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let mut v: Value = serde_json::from_str(l).unwrap();
                let label = if i < 3 { first } else { other };
                v["label"] = serde_json::from_str(label).unwrap();
                v.to_string()
            })
            .collect();
        std::fs::write(d.join("mixed.jsonl"), body.join("\n")).unwrap();
        let o = common::run_in(
            d,
            &[
                "train",
                "--train",
                "mixed.jsonl",
                "--text-field",
                "text",
                "--label-field",
                "label",
            ],
        );
        assert!(!o.status.success(), "{first} and {other} were accepted");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("mixed.jsonl:4: field `label`") && err.contains(what),
            "{err}"
        );
    }
}

#[test]
fn quiet_prints_results_only() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let run = |quiet: bool, out: &str| {
        let mut a = vec!["train", "--task-file"];
        let tf = toy("task.toml");
        let tf = tf.to_str().unwrap().to_string();
        let tf: &'static str = Box::leak(tf.into_boxed_str());
        a.push(tf);
        a.extend(["--out", out, "--model-out"]);
        let m: &'static str = Box::leak(format!("{out}.rmb").into_boxed_str());
        a.push(m);
        if quiet {
            a.insert(0, "--quiet");
        }
        common::ok_in(d, &a)
    };
    let (loud_out, loud_err) = run(false, "loud");
    assert!(loud_err.contains("note:"), "{loud_err}");
    let (quiet_out, quiet_err) = run(true, "quiet");
    assert_eq!(quiet_err, "", "--quiet leaves stderr empty");
    // The same results (the line's timing aside) and predictions.
    let figures = |s: &str| s.split_once("):").map(|(_, r)| r.to_string());
    assert!(quiet_out.contains("test acc"), "{quiet_out}");
    assert_eq!(
        figures(&loud_out.replace("loud", "quiet")),
        figures(&quiet_out)
    );
    assert_eq!(
        std::fs::read(d.join("loud/feature/toy.jsonl")).unwrap(),
        std::fs::read(d.join("quiet/feature/toy.jsonl")).unwrap()
    );
    // Errors still print under --quiet, and -q goes after the subcommand too.
    let o = common::run_in(d, &["predict", "-q", "--model", "missing.rmb"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.rmb"));
}
