//! `train --task all --model plus` prints the `rumedbench plus` row beside the feature-based
//! rows, with the figures the preset (chosen on dev by `scripts/search-plus.py`) scores on the
//! test sets; NLI is trained on its dev split. Needs ../shared/rumedbench.

mod common;

use std::process::Command;

#[test]
fn plus_row_of_train_all() {
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(common::bin())
        .args(["train", "--task", "all", "--model", "plus", "--data-dir"])
        .arg(common::data_dir())
        .arg("--out")
        .arg(out.path())
        .arg("--models-dir")
        .arg(out.path().join("models"))
        .current_dir(out.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let row = stdout
        .lines()
        .find(|l| l.starts_with("| rumedbench plus |"))
        .unwrap_or_else(|| panic!("no plus row in:\n{stdout}"));
    assert_eq!(row, PLUS_ROW);
    assert!(
        stdout.contains("| paper: Feature-based |"),
        "the paper's row is printed beside it"
    );
    // Every model file is readable and names its blocks (text tasks) in format 6.
    for task in ["RuMedTop3", "RuMedSymptomRec", "RuMedDaNet", "RuMedNLI"] {
        let path = out.path().join(format!("models/{task}-plus.rmb"));
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(bytes[8..12], 6u32.to_le_bytes(), "{task}");
        rumedbench::Bundle::from_bytes(&bytes).unwrap();
    }
}

/// The plus row as `train --task all --model plus` prints it (test, %).
const PLUS_ROW: &str =
    "| rumedbench plus | 50.00 / 73.48 | 34.22 / 52.29 | 62.11 | 62.24 | 95.06 / 66.67 | 62.04 |";
