//! `rumedbench submit`: the zip layout on a tiny synthetic data folder, refusal of invalid
//! submissions, `--check`, and agreement with upstream's TF-IDF submission on the real data.

mod common;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn write(dir: &Path, rel: &str, body: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, body).unwrap();
}

/// A made-up data folder: DaNet train and private test, NLI dev and private test (no train, as
/// without credentials), RuMedTest private test.
fn synthetic(dir: &Path, danet_private: &[&str]) {
    let mut danet_train = String::new();
    for (i, (ctx, ans)) in [
        ("Кошка спит на тёплом окне", "да"),
        ("Собака лает во дворе громко", "нет"),
        ("Кошка ест рыбу на кухне", "да"),
        ("Птица поёт утром в саду", "нет"),
    ]
    .iter()
    .enumerate()
    {
        danet_train.push_str(&format!(
            "{{\"pairID\": \"t{i}\", \"context\": \"{ctx}\", \"question\": \"Это кошка?\", \"answer\": \"{ans}\"}}\n"
        ));
    }
    write(dir, "RuMedDaNet/train_v1.jsonl", &danet_train);
    let mut private = String::new();
    for id in danet_private {
        private.push_str(&format!(
            "{{\"pairID\": \"{id}\", \"context\": \"Кошка лежит\", \"question\": \"Это кошка?\"}}\n"
        ));
    }
    write(dir, "RuMedDaNet/private_test_v1.jsonl", &private);
    let mut nli_dev = String::new();
    for (i, label) in ["entailment", "neutral", "contradiction", "entailment"]
        .iter()
        .enumerate()
    {
        nli_dev.push_str(&format!(
            "{{\"pairID\": \"d{i}\", \"ru_sentence1\": \"Больной жалуется на боль {i}\", \"ru_sentence2\": \"Есть боль {label}\", \"gold_label\": \"{label}\"}}\n"
        ));
    }
    write(dir, "RuMedNLI/dev_v1.jsonl", &nli_dev);
    write(
        dir,
        "RuMedNLI/private_test_v1.jsonl",
        "{\"pairID\": \"n2\", \"ru_sentence1\": \"Боль в спине\", \"ru_sentence2\": \"Боли нет\"}\n\
         {\"pairID\": \"n1\", \"ru_sentence1\": \"Кашель\", \"ru_sentence2\": \"Есть кашель\"}\n",
    );
    write(
        dir,
        "RuMedTest/private_test_v1.jsonl",
        "{\"idx\": \"q2\", \"question\": \"Орган, фильтрующий кровь\", \"1\": \"сердце\", \"2\": \"почка фильтрует кровь\", \"3\": \"лёгкое\", \"4\": \"кожа\"}\n\
         {\"idx\": \"q1\", \"question\": \"Что такое\", \"1\": \"а\", \"2\": \"б\", \"3\": \"в\", \"4\": \"г\"}\n",
    );
}

fn rumedbench(args: &[&str]) -> std::process::Output {
    Command::new(common::bin())
        .args(args)
        .env_remove("RUMEDBENCH_DATA")
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The zip's entries in order, with their contents.
fn entries(zip_path: &Path) -> Vec<(String, String)> {
    let f = std::fs::File::open(zip_path).unwrap();
    let mut a = zip::ZipArchive::new(f).unwrap();
    (0..a.len())
        .map(|i| {
            let mut e = a.by_index(i).unwrap();
            let name = e.name().unwrap().to_string();
            let mut s = String::new();
            e.read_to_string(&mut s).unwrap();
            (name, s)
        })
        .collect()
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn synthetic_submission_has_the_leaderboard_layout_and_is_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    synthetic(&data, &["p3", "p1", "p2"]);
    // A reference folder with RuMedTest only: the other comparisons are notes, not failures.
    let reference = dir.path().join("reference");
    write(
        &reference,
        "RuMedTest.jsonl",
        "{\"idx\": \"q1\", \"answer\": \"1\"}\n{\"idx\": \"q2\", \"answer\": \"2\"}\n",
    );
    for (model, agree) in [("naive", "1/2 = 50.00%"), ("feature", "2/2 = 100.00%")] {
        let zip = dir.path().join(format!("{model}.zip"));
        let run = || {
            rumedbench(&[
                "submit",
                "--model",
                model,
                "--data-dir",
                path_str(&data),
                "--out",
                path_str(&zip),
                "--compare-with",
                path_str(&reference),
            ])
        };
        let out = run();
        assert!(out.status.success(), "{}", text(&out.stderr));
        // Results (agreement, the file written) on stdout; notes and progress on stderr.
        let stdout = text(&out.stdout);
        let stderr = text(&out.stderr);
        assert!(stderr.contains("physionet.org"), "{stderr}");
        assert!(
            stderr.contains("RuMedNLI is trained on its dev split"),
            "{stderr}"
        );
        assert!(!stdout.contains("note:"), "{stdout}");
        assert!(stdout.contains(&format!("RuMedTest {agree}")), "{stdout}");
        assert!(stdout.contains("wrote "), "{stdout}");
        assert!(
            stderr.contains("note: cannot compare RuMedDaNet: cannot read"),
            "{stderr}"
        );
        let first = std::fs::read(&zip).unwrap();
        let e = entries(&zip);
        let names: Vec<&str> = e.iter().map(|x| x.0.as_str()).collect();
        assert_eq!(
            names,
            ["RuMedDaNet.jsonl", "RuMedNLI.jsonl", "RuMedTest.jsonl"]
        );
        let lines = |i: usize| -> Vec<Value> {
            e[i].1
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect()
        };
        let keys = |v: &Value| -> Vec<String> { v.as_object().unwrap().keys().cloned().collect() };
        let danet = lines(0);
        assert_eq!(
            danet
                .iter()
                .map(|v| v["pairID"].clone())
                .collect::<Vec<_>>(),
            ["p3", "p1", "p2"]
        );
        assert!(danet.iter().all(|v| keys(v) == ["pairID", "answer"]));
        let nli = lines(1);
        assert_eq!(
            nli.iter().map(|v| v["pairID"].clone()).collect::<Vec<_>>(),
            ["n2", "n1"]
        );
        assert!(nli.iter().all(|v| keys(v) == ["pairID", "gold_label"]));
        let test = lines(2);
        assert_eq!(
            test.iter().map(|v| v["idx"].clone()).collect::<Vec<_>>(),
            ["q2", "q1"]
        );
        assert!(test.iter().all(|v| keys(v) == ["idx", "answer"]));
        // Python json.dump separators, non-ASCII unescaped.
        assert!(
            e[0].1.starts_with("{\"pairID\": \"p3\", \"answer\": \"") && !e[0].1.contains("\\u"),
            "{}",
            e[0].1
        );
        if model == "naive" {
            // Ties in the train labels go to the first seen: да; option 1 everywhere.
            assert!(danet.iter().all(|v| v["answer"] == "да"));
            assert!(test.iter().all(|v| v["answer"] == "1"));
        } else {
            assert_eq!(test[0]["answer"], "2");
            // No option shares an n-gram with the question: the lowest option wins.
            assert_eq!(test[1]["answer"], "1");
        }
        let out = run();
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(
            first,
            std::fs::read(&zip).unwrap(),
            "{model}: not deterministic"
        );

        let out = rumedbench(&[
            "submit",
            "--check",
            path_str(&zip),
            "--data-dir",
            path_str(&data),
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(text(&out.stdout).contains("valid"), "{}", text(&out.stdout));
    }
}

#[test]
fn a_submission_the_leaderboard_would_reject_is_not_written() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    synthetic(&data, &["p1", "p2", "p1"]);
    let zip = dir.path().join("s.zip");
    let out = rumedbench(&[
        "submit",
        "--model",
        "naive",
        "--data-dir",
        path_str(&data),
        "--out",
        path_str(&zip),
    ]);
    assert!(!out.status.success());
    let stderr = text(&out.stderr);
    // Progress notes come first; the error is one line, the last.
    let err = stderr.lines().last().unwrap_or_default().to_string();
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{stderr}"
    );
    assert!(err.starts_with("error:"), "{stderr}");
    // The duplicate is in the private test split: the error names that file and line (it
    // once blamed the output zip's RuMedDaNet.jsonl).
    assert!(
        err.contains(
            "RuMedDaNet/private_test_v1.jsonl:3: field `pairID`: duplicate id \"p1\" (first on line 1)"
        ),
        "{err}"
    );
    assert!(!zip.exists());
}

fn zip_files(path: &Path, files: &[(&str, &str)]) {
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, body) in files {
        let deflate = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        w.start_file(*name, deflate).unwrap();
        w.write_all(body.as_bytes()).unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn check_names_what_is_wrong_with_a_zip() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    synthetic(&data, &["p1", "p2"]);
    let danet =
        "{\"pairID\": \"p1\", \"answer\": \"да\"}\n{\"pairID\": \"p2\", \"answer\": \"нет\"}\n";
    let nli =
        "{\"pairID\": \"n1\", \"gold_label\": \"neutral\"}\n{\"pairID\": \"n2\", \"gold_label\": \"neutral\"}\n";
    let test = "{\"idx\": \"q1\", \"answer\": \"1\"}\n{\"idx\": \"q2\", \"answer\": \"4\"}\n";
    // 65 MiB of newlines: deflates to a small member that would inflate past the cap.
    let huge = "\n".repeat(65 << 20);
    let cases: [(Vec<(&str, &str)>, &str); 6] = [
        (
            vec![
                ("RuMedDaNet.jsonl", danet),
                ("RuMedNLI.jsonl", nli),
                ("RuMedTest.jsonl", test),
                ("../evil.jsonl", "x"),
            ],
            "unexpected member \"../evil.jsonl\"",
        ),
        (
            vec![
                ("RuMedDaNet.jsonl", huge.as_str()),
                ("RuMedNLI.jsonl", nli),
                ("RuMedTest.jsonl", test),
            ],
            "RuMedDaNet.jsonl inflates to more than 64 MiB",
        ),
        (
            vec![("RuMedDaNet.jsonl", danet), ("RuMedNLI.jsonl", nli)],
            "no RuMedTest.jsonl at the top level",
        ),
        (
            vec![
                ("RuMedDaNet.jsonl", danet),
                (
                    "RuMedNLI.jsonl",
                    "{\"pairID\": \"n1\", \"gold_label\": \"neutral\"}\n",
                ),
                ("RuMedTest.jsonl", test),
            ],
            "RuMedNLI.jsonl: 1 of the 2 private-test pairIDs have no answer (first: `n2`)",
        ),
        (
            vec![
                ("RuMedDaNet.jsonl", danet),
                ("RuMedNLI.jsonl", nli),
                ("RuMedTest.jsonl", "{\"idx\": \"q1\", \"answer\": 1}\n"),
            ],
            "RuMedTest.jsonl:1: field `answer`: expected a string",
        ),
        (
            vec![
                ("RuMedDaNet.jsonl", danet),
                ("RuMedNLI.jsonl", nli),
                ("RuMedTest.jsonl", test),
            ],
            "",
        ),
    ];
    for (i, (files, want)) in cases.iter().enumerate() {
        let zip = dir.path().join(format!("c{i}.zip"));
        zip_files(&zip, files);
        let out = rumedbench(&[
            "submit",
            "--check",
            path_str(&zip),
            "--data-dir",
            path_str(&data),
        ]);
        if want.is_empty() {
            assert!(out.status.success(), "{}", text(&out.stderr));
        } else {
            let err = text(&out.stderr);
            assert!(!out.status.success());
            assert_eq!(err.lines().count(), 1, "{err}");
            assert!(err.contains(want), "{err} should contain {want}");
        }
    }
}

fn agreement(stdout: &str, task: &str) -> f64 {
    let line = stdout
        .lines()
        .find(|l| l.starts_with("agreement with") && l.contains(&format!(" {task} ")))
        .unwrap_or_else(|| panic!("no agreement line for {task} in {stdout}"));
    line.rsplit(' ')
        .next()
        .unwrap()
        .trim_end_matches('%')
        .parse()
        .unwrap()
}

#[test]
fn feature_submission_agrees_with_upstreams_tfidf_submission() {
    let shared = common::shared();
    let reference: PathBuf = shared.join("reference_submissions/tfidf");
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("feature.zip");
    let out = rumedbench(&[
        "submit",
        "--model",
        "feature",
        "--data-dir",
        path_str(&common::data_dir()),
        "--out",
        path_str(&zip),
        "--compare-with",
        path_str(&reference),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let rumedtest = agreement(&stdout, "RuMedTest");
    assert!(
        rumedtest >= 99.0,
        "RuMedTest agreement {rumedtest}%\n{stdout}"
    );
    // Same model family, so far more than chance; exact figures are in the README.
    assert!(agreement(&stdout, "RuMedDaNet") > 60.0, "{stdout}");
    assert!(agreement(&stdout, "RuMedNLI") > 40.0, "{stdout}");

    // Upstream's own submission, zipped, passes the same validation.
    let ref_zip = dir.path().join("reference.zip");
    let files: Vec<(String, String)> = ["RuMedDaNet.jsonl", "RuMedNLI.jsonl", "RuMedTest.jsonl"]
        .iter()
        .map(|f| {
            (
                f.to_string(),
                std::fs::read_to_string(reference.join(f)).unwrap(),
            )
        })
        .collect();
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    zip_files(&ref_zip, &borrowed);
    for z in [&zip, &ref_zip] {
        let out = rumedbench(&[
            "submit",
            "--check",
            path_str(z),
            "--data-dir",
            path_str(&common::data_dir()),
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
}

/// A member named twice is refused, naming it: the zip reader keeps one copy (the last), so a
/// check of that copy alone once called an invalid first copy "valid".
#[test]
fn check_refuses_a_member_named_twice() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    synthetic(&data, &["p1", "p2"]);
    let good =
        "{\"pairID\": \"p1\", \"answer\": \"да\"}\n{\"pairID\": \"p2\", \"answer\": \"нет\"}\n";
    let nli =
        "{\"pairID\": \"n1\", \"gold_label\": \"neutral\"}\n{\"pairID\": \"n2\", \"gold_label\": \"neutral\"}\n";
    let test = "{\"idx\": \"q1\", \"answer\": \"1\"}\n{\"idx\": \"q2\", \"answer\": \"4\"}\n";
    let zip = dir.path().join("dup.zip");
    // The writer refuses a repeated name, so the second copy is written under a name of the
    // same length and renamed in the bytes (local header and central directory).
    zip_files(
        &zip,
        &[
            (
                "RuMedDaNet.jsonl",
                "{\"pairID\": \"p1\", \"answer\": \"maybe\"}\n",
            ),
            ("RuMedNLI.jsonl", nli),
            ("RuMedTest.jsonl", test),
            ("RuMedDaNeX.jsonl", good),
        ],
    );
    let mut bytes = std::fs::read(&zip).unwrap();
    let (from, to) = (b"RuMedDaNeX.jsonl", b"RuMedDaNet.jsonl");
    let mut renamed = 0;
    for i in 0..bytes.len() - from.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + to.len()].copy_from_slice(to);
            renamed += 1;
        }
    }
    assert_eq!(renamed, 2, "local header and central directory");
    std::fs::write(&zip, &bytes).unwrap();
    // The reader opens it, keeping one copy.
    assert_eq!(entries(&zip).len(), 3);
    let out = rumedbench(&[
        "submit",
        "--check",
        path_str(&zip),
        "--data-dir",
        path_str(&data),
    ]);
    let err = text(&out.stderr);
    assert!(!out.status.success(), "{}", text(&out.stdout));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("dup.zip: \"RuMedDaNet.jsonl\" appears more than once in the zip"),
        "{err}"
    );
}
