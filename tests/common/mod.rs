//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The shared benchmark folder (`../shared/rumedbench`, or `$RUMEDBENCH_SHARED`).
/// Tests that need it fail, never skip, when it is absent.
pub fn shared() -> PathBuf {
    let dir = match std::env::var_os("RUMEDBENCH_SHARED") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/rumedbench"),
    };
    assert!(
        dir.join("data").is_dir() && dir.join("reference_outputs").is_dir(),
        "the RuMedBench data is required at {} (set RUMEDBENCH_SHARED to another copy)",
        dir.display()
    );
    dir
}

/// The task data folder inside [`shared`].
pub fn data_dir() -> PathBuf {
    shared().join("data")
}

/// The path of the built binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_rumedbench"))
}

/// Reads a JSONL file into JSON values.
pub fn read_jsonl(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Runs the built binary with `args` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(bin())
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run rumedbench")
}

/// Runs the binary in `dir`, asserts it succeeded, and returns its stdout and stderr.
pub fn ok_in(dir: &Path, args: &[&str]) -> (String, String) {
    let o = run_in(dir, args);
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    );
    assert!(o.status.success(), "{args:?} failed:\n{out}{err}");
    (out, err)
}

/// Fits the union of one scikit-learn fixture case (`blocks`, and `row_norm` when the case has
/// it) on `docs` and asserts scikit-learn's feature names in column order, its matrix within
/// 1e-6 and that `transform` gives the fitted matrix again; returns the fitted union.
pub fn assert_union_case(
    case: &serde_json::Value,
    docs: &[rumedbench::features::union::Doc<'_>],
) -> rumedbench::features::union::Union {
    let spec = case["blocks"].as_str().unwrap();
    let row_norm = case["row_norm"].as_bool().unwrap_or(false);
    let params = rumedbench::recipe::blocks::parse_blocks(spec)
        .unwrap()
        .union(row_norm)
        .unwrap()
        .unwrap();
    let (union, x) = params.fit(docs).unwrap();
    let names: Vec<String> = (0..union.n_features())
        .map(|c| union.locate(c).unwrap().1)
        .collect();
    let want: Vec<&str> = case["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(names, want, "{spec}");
    assert_eq!(x.n_cols() as u64, case["n_features"].as_u64().unwrap());
    let rows = case["rows"].as_array().unwrap();
    assert_eq!(x.n_rows(), rows.len());
    for (r, row) in rows.iter().enumerate() {
        let (idx, val) = x.row(r);
        let row = row.as_array().unwrap();
        assert_eq!(idx.len(), row.len(), "{spec} row {r}");
        for ((&c, &v), cell) in idx.iter().zip(val).zip(row) {
            let (wc, wv) = (cell[0].as_u64().unwrap(), cell[1].as_f64().unwrap());
            assert_eq!(c as u64, wc, "{spec} row {r}");
            assert!((v as f64 - wv).abs() < 1e-6, "{spec} row {r}: {v} vs {wv}");
        }
    }
    assert_eq!(union.transform(docs), x, "{spec}");
    union
}

/// The token lists and tag lists of a JSONL file of tagged sentences (fields `tokens` and
/// `tags`), in file order.
pub fn read_sentences(path: &Path, tags: &str) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let strings = |v: &serde_json::Value| -> Vec<String> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap().to_string())
            .collect()
    };
    read_jsonl(path)
        .iter()
        .map(|r| (strings(&r["tokens"]), strings(&r[tags])))
        .unzip()
}
