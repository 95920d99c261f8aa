//! A union of vectorizer blocks equals scikit-learn 1.3.2's `FeatureUnion` of
//! `TfidfVectorizer`s over the same views of a text pair (joined, first, second, the shared
//! words), with the same transformer weights and, for `row_norm`, a `Normalizer` after it:
//! same feature names in column order and the same matrix within 1e-6. The expected values in
//! `tests/fixtures/sklearn_union.json` were written by running scikit-learn:
//! `python scripts/sklearn-union-fixtures.py`.

use rumedbench::features::union::{Doc, FittedBlock};
use rumedbench::recipe::blocks::parse_blocks;
use serde_json::Value;

#[test]
fn blocks_equal_scikit_learns_feature_union() {
    let text = std::fs::read_to_string("tests/fixtures/sklearn_union.json").unwrap();
    let fixture: Value = serde_json::from_str(&text).unwrap();
    let pairs: Vec<(String, String)> = fixture["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_string(),
                p[1].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let docs: Vec<Doc<'_>> = pairs
        .iter()
        .map(|(a, b)| Doc {
            first: a,
            second: Some(b),
        })
        .collect();
    let cases = fixture["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 4);
    let mut fields = std::collections::BTreeSet::new();
    for case in cases {
        let spec = case["blocks"].as_str().unwrap();
        let row_norm = case["row_norm"].as_bool().unwrap();
        let params = parse_blocks(spec)
            .unwrap()
            .union(row_norm)
            .unwrap()
            .unwrap();
        let (union, x) = params.fit(&docs).unwrap();
        for b in union.blocks() {
            if let FittedBlock::Ngrams { field, .. } = b {
                fields.insert(field.name());
            }
        }
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
        assert_eq!(union.transform(&docs), x, "{spec}");
    }
    assert_eq!(fields.len(), 4, "every view is covered: {fields:?}");
}
