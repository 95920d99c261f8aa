//! A union of vectorizer blocks equals scikit-learn 1.3.2's `FeatureUnion` of
//! `TfidfVectorizer`s over the same views of a text pair (joined, first, second, the shared
//! words), with the same transformer weights and, for `row_norm`, a `Normalizer` after it:
//! same feature names in column order and the same matrix within 1e-6. The expected values in
//! `tests/fixtures/sklearn_union.json` were written by running scikit-learn:
//! `python scripts/sklearn-union-fixtures.py`.

mod common;

use rumedbench::features::union::{Doc, FittedBlock};
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
        let union = common::assert_union_case(case, &docs);
        for b in union.blocks() {
            if let FittedBlock::Ngrams { field, .. } = b {
                fields.insert(field.name());
            }
        }
    }
    assert_eq!(fields.len(), 4, "every view is covered: {fields:?}");
}
