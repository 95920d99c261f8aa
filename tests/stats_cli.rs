//! `eval --bootstrap/--per-label` and `compare` end to end, on small prediction folders
//! written here (hand-checkable) and on the paper's released outputs.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn run(args: &[&str], threads: &str) -> Output {
    Command::new(common::bin())
        .args(args)
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .unwrap()
}

fn ok_json(o: Output) -> Value {
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// A DaNet prediction file of `n` examples, right on those with index < `right`, written in
/// the given id order.
fn danet(dir: &Path, n: usize, right: usize, order: &[usize]) {
    fs::create_dir_all(dir).unwrap();
    let body: String = order
        .iter()
        .map(|&i| {
            let pred = if i < right { "да" } else { "нет" };
            format!("{{\"pairID\": \"p{i}\", \"answer\": \"да\", \"prediction\": \"{pred}\"}}\n")
        })
        .collect();
    assert_eq!(order.len(), n);
    fs::write(dir.join("RuMedDaNet.jsonl"), body).unwrap();
}

#[test]
fn paired_difference_is_exact_and_identical_systems_get_p_one() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    let fwd: Vec<usize> = (0..20).collect();
    let rev: Vec<usize> = (0..20).rev().collect();
    // A is right on 14 of 20, B on 8, listed in reverse: matched by id, A − B = 30 points.
    danet(&a, 20, 14, &fwd);
    danet(&b, 20, 8, &rev);
    // A NER file only in A is skipped.
    fs::write(
        a.join("RuMedNER.jsonl"),
        "{\"idx\": \"1\", \"ner_tags\": [\"O\"], \"prediction\": [\"O\"]}\n",
    )
    .unwrap();
    let (sa, sb) = (a.to_str().unwrap(), b.to_str().unwrap());
    let j = ok_json(run(&["compare", sa, sb, "--format", "json"], "2"));
    let d = &j["tasks"]["RuMedDaNet"]["acc"];
    assert_eq!(d["a"].as_f64().unwrap(), 70.0);
    assert_eq!(d["b"].as_f64().unwrap(), 40.0);
    assert!((d["diff"].as_f64().unwrap() - 30.0).abs() < 1e-9);
    let ci: Vec<f64> = d["diff_ci95"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    assert!(ci[0] <= 30.0 && 30.0 <= ci[1], "{ci:?}");
    // B is right on a subset of A's examples, so no replicate can favour B.
    assert!(ci[0] >= 0.0, "{ci:?}");
    let p = d["p"].as_f64().unwrap();
    assert!(p < 0.05, "p = {p}");
    // Overall counts the four absent tasks 0 on both sides: 30 / 5.
    assert!((j["overall"]["diff"].as_f64().unwrap() - 6.0).abs() < 1e-9);
    let skipped = j["skipped"].to_string();
    assert!(skipped.contains("RuMedNER (only in"), "{skipped}");
    assert!(j["tasks"].get("RuMedNER").is_none());

    let same = ok_json(run(&["compare", sa, sa, "--format", "json"], "2"));
    assert_eq!(same["tasks"]["RuMedDaNet"]["acc"]["diff"], 0.0);
    assert_eq!(same["tasks"]["RuMedDaNet"]["acc"]["p"], 1.0);
    assert_eq!(same["overall"]["p"], 1.0);

    let table = run(&["compare", sa, sb, "--bootstrap", "200"], "1");
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(
        text.contains("| RuMedDaNet | acc | 70.00 | 40.00 | +30.00 |"),
        "{text}"
    );
    assert!(text.contains("200 replicates, seed 42"), "{text}");
}

#[test]
fn compare_rejects_mismatched_ids_naming_file_line_and_field() {
    let t = tempfile::tempdir().unwrap();
    let (a, b) = (t.path().join("a"), t.path().join("b"));
    danet(&a, 3, 1, &[0, 1, 2]);
    danet(&b, 3, 1, &[0, 1, 2]);
    let body = fs::read_to_string(b.join("RuMedDaNet.jsonl")).unwrap();
    fs::write(b.join("RuMedDaNet.jsonl"), body.replace("p2", "zz")).unwrap();
    let o = run(&["compare", a.to_str().unwrap(), b.to_str().unwrap()], "2");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("a/RuMedDaNet.jsonl:3: field `pairID`: id \"p2\" is not in"),
        "{err}"
    );
    // An id only in B names B's file and line.
    danet(&a, 2, 1, &[0, 1]);
    danet(&b, 3, 1, &[0, 1, 2]);
    let o = run(&["compare", a.to_str().unwrap(), b.to_str().unwrap()], "2");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("b/RuMedDaNet.jsonl:3: field `pairID`"),
        "{err}"
    );
}

#[test]
fn bootstrap_json_is_deterministic_across_thread_counts() {
    let dir = common::shared().join("reference_outputs/feature_based");
    let d = dir.to_str().unwrap();
    let args = [
        "eval",
        d,
        "--bootstrap",
        "300",
        "--seed",
        "7",
        "--format",
        "json",
    ];
    let one = ok_json(run(&args, "1"));
    let two = ok_json(run(&args, "2"));
    assert_eq!(one, two);
    let top3 = &one["tasks"]["RuMedTop3"];
    let keys: Vec<&String> = top3.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["acc", "acc_ci95", "hit3", "hit3_ci95"]);
    let ci = top3["acc_ci95"].as_array().unwrap();
    let acc = top3["acc"].as_f64().unwrap();
    assert!(ci[0].as_f64().unwrap() < acc && acc < ci[1].as_f64().unwrap());
    let ner = &one["tasks"]["RuMedNER"];
    assert!(ner["f1_ci95"].is_array());
    let overall = one["overall"].as_f64().unwrap();
    let oci = one["overall_ci95"].as_array().unwrap();
    assert!(oci[0].as_f64().unwrap() < overall && overall < oci[1].as_f64().unwrap());
    assert_eq!(one["bootstrap"]["seed"], 7);
    let other_seed = ok_json(run(
        &["eval", d, "--bootstrap", "300", "--format", "json"],
        "2",
    ));
    assert_ne!(one["overall_ci95"], other_seed["overall_ci95"]);
}

#[test]
fn per_label_report_on_released_outputs() {
    let dir = common::shared().join("reference_outputs/feature_based");
    let d = dir.to_str().unwrap();
    let j = ok_json(run(&["eval", d, "--per-label", "--format", "json"], "2"));
    let ner = &j["tasks"]["RuMedNER"];
    let micro = ner["per_label"]["micro avg"]["f1"].as_f64().unwrap();
    assert!((micro - ner["f1"].as_f64().unwrap()).abs() < 1e-9);
    let top3 = &j["tasks"]["RuMedTop3"]["per_label"];
    assert!((top3["micro avg"]["recall"].as_f64().unwrap() - 49.7566).abs() < 1e-3);
    let supports: u64 = top3
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| !k.ends_with(" avg"))
        .map(|(_, v)| v["support"].as_u64().unwrap())
        .sum();
    assert_eq!(supports, top3["macro avg"]["support"].as_u64().unwrap());
    let danet = &j["tasks"]["RuMedDaNet"]["per_label"];
    assert!(danet["да"]["precision"].is_f64() && danet["нет"]["support"].is_u64());

    let table = run(&["eval", d, "--per-label"], "2");
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.contains("RuMedNER per label"), "{text}");
    assert!(text.contains("| macro avg |"), "{text}");
}
