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

/// eval.py reads `prediction[0]` and `set(prediction)`: a string `"A01"` would be scored as the
/// characters A, 0, 1. A Hit@3 task's prediction must be a list; a string is refused with
/// file, line and field.
#[test]
fn a_string_prediction_in_a_ranked_task_is_refused() {
    let top3 = "\
{\"idx\": \"q1\", \"code\": \"A01\", \"prediction\": [\"A01\", \"B\", \"C\"]}
{\"idx\": \"q2\", \"code\": \"A01\", \"prediction\": \"A01\"}
";
    let (ok, out, err) = eval_row(&[("RuMedTop3.jsonl", top3)]);
    assert!(!ok, "{out}");
    assert!(
        err.contains("RuMedTop3.jsonl:2: field `prediction`: a string, but this task's predictions are ranked lists"),
        "{err}"
    );
    assert!(err.contains("top-1 \"A\""), "{err}");
    // DaNet is scored on one label: a string there is what eval.py reads.
    let danet = "{\"pairID\": \"a\", \"answer\": \"да\", \"prediction\": \"да\"}\n";
    let (ok, out, err) = eval_row(&[("RuMedDaNet.jsonl", danet)]);
    assert!(ok, "{err}");
    assert!(out.contains("| 100.00 |"), "{out}");
}

/// eval.py takes a gold `code` of any JSON type and compares as Python does: numbers by value
/// (`4 == 4.0`), a string never equal to a number (`5 in {1, 2, "5"}` is False). Worked by
/// hand from eval.py: accuracy_score([3, 4, 5, 6], [3, 5, 1, 1]) = 0.25; hits 3, 4 of 4 = 0.5;
/// Overall (25 + 50) / 2 / 5 = 7.50.
#[test]
fn numeric_gold_labels_are_scored_as_eval_py_compares_them() {
    let top3 = "\
{\"idx\": \"q1\", \"code\": 3, \"prediction\": [3, 5, 7]}
{\"idx\": \"q2\", \"code\": 4, \"prediction\": [5, 4.0, 7]}
{\"idx\": \"q3\", \"code\": 5, \"prediction\": [1, 2, \"5\"]}
{\"idx\": \"q4\", \"code\": 6.0, \"prediction\": [1, 2, 3]}
";
    let (ok, out, err) = eval_row(&[("RuMedTop3.jsonl", top3)]);
    assert!(ok, "{err}");
    assert!(out.contains("| 25.00 / 50.00 |"), "{out}");
    assert!(out.contains("| 7.50 |"), "{out}");
}

/// scikit-learn's accuracy_score (in eval.py) raises "Mix of label input types (string and
/// number)" when gold and top-1 labels mix the two: refused with file, line and field.
#[test]
fn a_file_mixing_string_and_number_labels_is_refused() {
    let cases = [
        (
            "{\"idx\": \"q1\", \"code\": 3, \"prediction\": [\"3\", \"4\"]}\n",
            "RuMedTop3.jsonl:1: field `prediction`: a string, but the gold label of line 1 is a number",
        ),
        (
            "{\"idx\": \"q1\", \"code\": \"A\", \"prediction\": [\"A\"]}\n\
             {\"idx\": \"q2\", \"code\": 7, \"prediction\": [7]}\n",
            "RuMedTop3.jsonl:2: field `code`: a number, but the gold label of line 1 is a string",
        ),
        (
            "{\"idx\": \"q1\", \"code\": true, \"prediction\": [\"A\"]}\n",
            "RuMedTop3.jsonl:1: field `code`: expected a label (string or number), found a boolean",
        ),
    ];
    for (body, want) in cases {
        let (ok, out, err) = eval_row(&[("RuMedTop3.jsonl", body)]);
        assert!(!ok, "{out}");
        assert!(err.contains(want), "{err} should contain {want}");
        assert!(err.contains("eval.py") || want.contains("boolean"), "{err}");
    }
}

/// seqeval's accuracy_score divides by the number of tokens: eval.py fails on a NER file whose
/// sentences are all empty, which is refused naming file, line and field; an empty sentence
/// among others adds nothing (seqeval joins sentences with `O`), so the scores equal those of
/// the file without it.
#[test]
fn empty_ner_sentences_are_scored_as_eval_py_does() {
    let empty = "{\"idx\": \"s1\", \"tokens\": [], \"ner_tags\": [], \"prediction\": []}\n";
    let (ok, out, err) = eval_row(&[("RuMedNER.jsonl", empty)]);
    assert!(!ok, "{out}");
    assert!(
        err.contains("RuMedNER.jsonl:1: field `ner_tags`: every sentence of the file is empty"),
        "{err}"
    );
    let s1 = "{\"idx\": \"s1\", \"tokens\": [\"a\", \"b\"], \"ner_tags\": [\"B-A\", \"I-A\"], \"prediction\": [\"B-A\", \"O\"]}\n";
    let s3 = "{\"idx\": \"s3\", \"tokens\": [\"c\"], \"ner_tags\": [\"B-A\"], \"prediction\": [\"B-A\"]}\n";
    let without = format!("{s1}{s3}");
    let with = format!("{s1}{}{s3}", empty.replace("s1", "s2"));
    let (ok, a, err) = eval_row(&[("RuMedNER.jsonl", &without)]);
    assert!(ok, "{err}");
    let (ok, b, err) = eval_row(&[("RuMedNER.jsonl", &with)]);
    assert!(ok, "{err}");
    // Tokens 2 of 3; entities: gold A(0-1), A(3); predicted A(0), A(3): F1 50.
    assert!(a.contains("| 66.67 / 50.00 | 11.67 |"), "{a}");
    // The row after the first cell (the folder's name).
    let scores = |t: &str| {
        let row = t.lines().find(|l| l.contains("66.67")).unwrap_or_default();
        row.split_once(" | ").map(|r| r.1.to_string())
    };
    assert_eq!(scores(&a), scores(&b));
}
