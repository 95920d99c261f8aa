//! The vectorizer equals scikit-learn 1.3.2's `TfidfVectorizer` for every analyzer (`char`,
//! `char_wb`, `word`) and vocabulary limit (`min_df`, `max_df`, `max_features`): same
//! vocabulary, idf and tf-idf matrix on synthetic Russian texts. The expected values in
//! `tests/fixtures/sklearn_vectorizers.json` were written by running scikit-learn:
//! `scripts/.venv/bin/python scripts/sklearn-vectorizer-fixtures.py`.

use rumedbench::{Analyzer, DocFreq, TfidfParams};
use serde_json::Value;

fn doc_freq(v: Option<&Value>, default: DocFreq) -> DocFreq {
    match v {
        None => default,
        Some(v) if v.is_u64() => DocFreq::Count(v.as_u64().unwrap() as usize),
        Some(v) => DocFreq::Fraction(v.as_f64().unwrap()),
    }
}

fn params(p: &Value) -> TfidfParams {
    let d = TfidfParams::default();
    TfidfParams {
        ngram_min: p["ngram_range"][0].as_u64().unwrap() as usize,
        ngram_max: p["ngram_range"][1].as_u64().unwrap() as usize,
        sublinear_tf: p.get("sublinear_tf").is_some_and(|v| v.as_bool().unwrap()),
        analyzer: p["analyzer"].as_str().unwrap().parse::<Analyzer>().unwrap(),
        min_df: doc_freq(p.get("min_df"), d.min_df),
        max_df: doc_freq(p.get("max_df"), d.max_df),
        max_features: p.get("max_features").map(|v| v.as_u64().unwrap() as usize),
        ..d
    }
}

#[test]
fn vocabularies_idf_and_matrices_equal_scikit_learn() {
    let text = std::fs::read_to_string("tests/fixtures/sklearn_vectorizers.json").unwrap();
    let fixture: Value = serde_json::from_str(&text).unwrap();
    let docs: Vec<&str> = fixture["docs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    let cases = fixture["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 10);
    let mut analyzers = std::collections::BTreeSet::new();
    for case in cases {
        let p = params(&case["params"]);
        analyzers.insert(p.analyzer.name());
        let (model, x) = p.fit(&docs).unwrap();
        let want: Vec<&str> = case["vocabulary"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert_eq!(model.vocabulary(), want, "{}", case["params"]);
        for (i, (&got, w)) in model
            .idf()
            .iter()
            .zip(case["idf"].as_array().unwrap())
            .enumerate()
        {
            let w = w.as_f64().unwrap();
            assert!(
                (got as f64 - w).abs() < 1e-6,
                "{} idf[{i}]: {got} vs {w}",
                case["params"]
            );
        }
        let rows = case["rows"].as_array().unwrap();
        assert_eq!(x.n_rows(), rows.len());
        for (r, row) in rows.iter().enumerate() {
            let (idx, val) = x.row(r);
            let row = row.as_array().unwrap();
            assert_eq!(idx.len(), row.len(), "{} row {r}", case["params"]);
            for ((&c, &v), cell) in idx.iter().zip(val).zip(row) {
                let (wc, wv) = (cell[0].as_u64().unwrap(), cell[1].as_f64().unwrap());
                assert_eq!(c as u64, wc, "{} row {r}", case["params"]);
                assert!(
                    (v as f64 - wv).abs() < 1e-6,
                    "{} row {r}: {v} vs {wv}",
                    case["params"]
                );
            }
        }
        // A fitted model transforms its training documents into the same matrix, also after a
        // round trip through its serialised form.
        assert_eq!(model.transform(&docs), x, "{}", case["params"]);
        let back: rumedbench::features::tfidf::Tfidf =
            serde_json::from_str(&serde_json::to_string(&model).unwrap()).unwrap();
        assert_eq!(back.params(), model.params());
        assert_eq!(back.transform(&docs), x, "{}", case["params"]);
    }
    assert_eq!(analyzers.len(), 3, "every analyzer is covered");
}
