//! `eval` equals upstream's eval.py in the cases where it once differed. Each expected figure
//! was produced by running upstream's `code/eval.py` (sb-ai-lab/MedBench) with seqeval 1.2.2,
//! scikit-learn 1.3.2 and numpy 1.26.4 (`scripts/.venv`) on the same file:
//!
//! ```text
//! scripts/.venv/bin/python -W ignore eval.py --out_dir DIR/
//! ```

mod common;

use assert_cmd::Command;

fn eval_row(files: &[(&str, &str)]) -> (bool, String, String) {
    let dir = tempfile::tempdir().unwrap();
    for (name, body) in files {
        std::fs::write(dir.path().join(name), body).unwrap();
    }
    let out = Command::new(common::bin())
        .arg("eval")
        .arg(dir.path())
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// eval.py's `hit_at_3` tests `gold in set(prediction)` over the whole list: gold fourth or
/// fifth is a hit. eval.py printed `| DIR/ | 25.00 / 75.00 | ... | 10.00 |`.
#[test]
fn hit_at_3_looks_at_the_whole_prediction_list() {
    let top3 = "\
{\"idx\": \"q1\", \"code\": \"A\", \"prediction\": [\"B\", \"C\", \"D\", \"A\"]}
{\"idx\": \"q2\", \"code\": \"B\", \"prediction\": [\"B\", \"C\", \"D\"]}
{\"idx\": \"q3\", \"code\": \"C\", \"prediction\": [\"A\", \"B\", \"D\", \"E\", \"C\"]}
{\"idx\": \"q4\", \"code\": \"E\", \"prediction\": [\"A\", \"B\", \"D\"]}
";
    let (ok, out, err) = eval_row(&[("RuMedTop3.jsonl", top3)]);
    assert!(ok, "{err}");
    assert!(out.contains("| 25.00 / 75.00 |"), "{out}");
    assert!(out.contains("| 10.00 |"), "{out}");
}

/// seqeval 1.2.2 joins sentences with `O` and a tag outside B/I/O/E/S (`X`) keeps the previous
/// start and type, across sentences: here the entity `X` of sentence 2 starts where sentence
/// 1's last entity started, which differs between gold and prediction. eval.py printed
/// `| DIR/ | ... | 50.00 / 33.33 | 8.33 |` (per-sentence scoring gives 66.67).
#[test]
fn seqeval_carries_the_start_across_sentences_for_tags_outside_bioes() {
    let ner = "\
{\"idx\": \"s1\", \"tokens\": [\"a\", \"b\"], \"ner_tags\": [\"B-A\", \"I-A\"], \"prediction\": [\"O\", \"B-A\"]}
{\"idx\": \"s2\", \"tokens\": [\"c\", \"d\"], \"ner_tags\": [\"X\", \"B-A\"], \"prediction\": [\"X\", \"B-A\"]}
";
    let (ok, out, err) = eval_row(&[("RuMedNER.jsonl", ner)]);
    assert!(ok, "{err}");
    assert!(out.contains("| 50.00 / 33.33 |"), "{out}");
    assert!(out.contains("| 8.33 |"), "{out}");
}

/// An empty NER prediction file: eval.py fails (`ZeroDivisionError` in seqeval's
/// accuracy_score); here it is an error naming the file, not a score of 0.
#[test]
fn an_empty_ner_prediction_file_is_an_error() {
    let (ok, out, err) = eval_row(&[("RuMedNER.jsonl", "")]);
    assert!(!ok, "{out}");
    assert!(
        err.contains("RuMedNER.jsonl") && err.contains("no records"),
        "{err}"
    );
}
