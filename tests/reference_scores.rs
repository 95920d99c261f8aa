//! Scoring the paper's released test predictions reproduces every cell of Table 3, and the
//! naive baseline reproduces upstream's naive predictions. Needs ../shared/rumedbench.

mod common;

use rumedbench::scoring::eval;
use rumedbench::task::Metric;

/// (system folder, Top3 acc/hit3, SymptomRec acc/hit3, DaNet, NLI, NER acc/f1, Overall),
/// as printed in the paper's Table 3.
const TABLE3: &[(&str, [f64; 9])] = &[
    (
        "naive",
        [10.58, 22.02, 1.93, 5.30, 50.00, 33.33, 93.66, 51.96, 35.21],
    ),
    (
        "feature_based",
        [
            49.76, 72.75, 32.05, 49.40, 51.95, 59.70, 94.40, 62.89, 58.46,
        ],
    ),
    (
        "bilstm",
        [
            40.88, 63.50, 20.24, 31.33, 52.34, 60.06, 94.74, 63.26, 53.87,
        ],
    ),
    (
        "rupoolbert",
        [
            47.45, 70.44, 34.94, 52.05, 71.48, 77.29, 96.47, 73.15, 67.20,
        ],
    ),
    (
        "human",
        [25.06, 48.54, 7.23, 12.53, 93.36, 83.26, 96.09, 76.18, 61.89],
    ),
];

fn two_decimals(x: f64) -> String {
    format!("{x:.2}")
}

#[test]
fn released_outputs_score_to_the_paper_rows_to_two_decimals() {
    let shared = common::shared();
    for (system, want) in TABLE3 {
        let report = eval::score_dir(&shared.join("reference_outputs").join(system), None)
            .unwrap_or_else(|e| panic!("{system}: {e:#}"));
        assert!(report.missing.is_empty(), "{system}: {:?}", report.missing);
        let mut got = Vec::new();
        for t in &report.tasks {
            for (_, v) in &t.values {
                got.push(*v);
            }
        }
        got.push(report.overall());
        let got: Vec<String> = got.into_iter().map(two_decimals).collect();
        let want: Vec<String> = want.iter().copied().map(two_decimals).collect();
        assert_eq!(got, want, "{system}");
    }
}

#[test]
fn json_report_has_the_documented_shape() {
    let report = eval::score_dir(
        &common::shared().join("reference_outputs/feature_based"),
        None,
    )
    .unwrap();
    let j = report.to_json();
    assert_eq!(
        two_decimals(j["tasks"]["RuMedNER"]["f1"].as_f64().unwrap()),
        "62.89"
    );
    assert!(j["tasks"]["RuMedTop3"]["hit3"].is_f64());
    assert_eq!(two_decimals(j["overall"].as_f64().unwrap()), "58.46");
    assert_eq!(j["missing"].as_array().unwrap().len(), 0);
}

#[test]
fn gold_check_accepts_matching_ids() {
    let shared = common::shared();
    let report = eval::score_dir(
        &shared.join("reference_outputs/feature_based"),
        Some(&shared.join("data")),
    )
    .unwrap();
    let ner = report
        .tasks
        .iter()
        .find(|t| t.task.name == "RuMedNER")
        .unwrap();
    assert_eq!(two_decimals(ner.get(Metric::Acc).unwrap()), "94.40");
}
