//! The CRF feature templates (`templates = [...]`, `--crf-templates`) give python-crfsuite's
//! attributes for the same templates written independently as sklearn-crfsuite feature dicts
//! (`scripts/crf_templates.py`), and the `plus` recipe's CRF tags RuMedNER test as
//! sklearn-crfsuite does with those dicts.
//!
//! * `tests/fixtures/crf_templates_sklearn.json`: synthetic sentences and the attribute lists
//!   python-crfsuite flattened from the dicts (`crf_templates.py fixture`);
//! * `tests/fixtures/crf_templates_rumedner.json`: digests only (no data): of every RuMedNER dev
//!   sentence's attributes, per template list, and of sklearn-crfsuite's tags on every test
//!   sentence with the `plus` templates and penalties (`crf_templates.py real DIR`).

mod common;

use rumedbench::features::crf_templates::Templates;
use rumedbench::features::token::Feature;
use rumedbench::CrfRecipe;
use serde_json::Value;
use sha2::{Digest, Sha256};

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect()
}

fn fixture(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

#[test]
fn features_of_synthetic_sentences_equal_python_crfsuite_attributes() {
    let f = fixture("crf_templates_sklearn.json");
    let sents: Vec<Vec<String>> = f["sentences"]
        .as_array()
        .unwrap()
        .iter()
        .map(strings)
        .collect();
    let cases = f["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 6);
    let mut compared = 0;
    for case in cases {
        let names = strings(&case["templates"]);
        let t = Templates::from_names(&names).unwrap();
        for (s, want) in sents.iter().zip(case["features"].as_array().unwrap()) {
            let got = t.sent_features(s);
            let want = want.as_array().unwrap();
            assert_eq!(got.len(), want.len(), "{names:?} {s:?}");
            for (i, (g, w)) in got.iter().zip(want).enumerate() {
                let w: Vec<(String, f64)> = w
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| (a[0].as_str().unwrap().to_string(), a[1].as_f64().unwrap()))
                    .collect();
                let g: Vec<(String, f64)> = g.iter().map(|a| (a.name.clone(), a.value)).collect();
                assert_eq!(g, w, "{names:?}, token {i} of {s:?}");
                compared += g.len();
            }
        }
    }
    assert!(compared > 3000, "only {compared} attributes compared");
}

/// `crf_templates.py`'s `feature_digest`: `name US weight RS` per attribute, GS per token.
fn feature_digest(items: &[Vec<Feature>]) -> String {
    let mut h = Sha256::new();
    for item in items {
        for a in item {
            assert!(a.value == 0.0 || a.value == 1.0, "{a:?}");
            h.update(format!("{}\x1f{}\x1e", a.name, a.value as u8));
        }
        h.update("\x1d");
    }
    hex16(h)
}

/// `crf_templates.py`'s `tags_digest`: `tag RS` per tag, GS per sentence.
fn tags_digest(sents: &[Vec<String>]) -> String {
    let mut h = Sha256::new();
    for s in sents {
        for t in s {
            h.update(format!("{t}\x1e"));
        }
        h.update("\x1d\x1e");
    }
    hex16(h)
}

fn hex16(h: Sha256) -> String {
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn rumedner_dev_features_and_plus_test_tags_equal_sklearn_crfsuite() {
    let f = fixture("crf_templates_rumedner.json");
    let dir = common::data_dir().join("RuMedNER");
    let (dev, _) = common::read_sentences(&dir.join("dev_v1.jsonl"), "ner_tags");
    let lists = f["dev_feature_digests"].as_object().unwrap();
    assert_eq!(lists.len(), 6);
    for (list, digests) in lists {
        let t = Templates::parse_list(list).unwrap();
        let digests = digests.as_array().unwrap();
        assert_eq!(digests.len(), dev.len());
        for (i, (s, want)) in dev.iter().zip(digests).enumerate() {
            assert_eq!(
                feature_digest(&t.sent_features(s)),
                want.as_str().unwrap(),
                "{list}: dev sentence {i} ({s:?})"
            );
        }
    }

    // The plus recipe is the one the fixture's tags were made with.
    let plus = CrfRecipe::plus();
    let p = &f["plus"];
    assert_eq!(plus.templates.names(), strings(&p["templates"]));
    assert_eq!(
        (plus.c1, plus.c2),
        (p["c1"].as_f64().unwrap(), p["c2"].as_f64().unwrap())
    );
    let (x, y) = common::read_sentences(&dir.join("train_v1.jsonl"), "ner_tags");
    let crf = plus.check().unwrap().params().fit(&x, &y).unwrap();
    let (test, _) = common::read_sentences(&dir.join("test_v1.jsonl"), "ner_tags");
    let ours = crf.predict_batch(&test).unwrap();
    let per_sentence = f["test_sentence_tag_digests"].as_array().unwrap();
    assert_eq!(per_sentence.len(), test.len());
    let differ: Vec<usize> = ours
        .iter()
        .zip(per_sentence)
        .enumerate()
        .filter(|(_, (t, want))| tags_digest(std::slice::from_ref(t)) != want.as_str().unwrap())
        .map(|(i, _)| i)
        .collect();
    assert!(
        differ.is_empty(),
        "test sentences tagged differently: {differ:?}"
    );
    assert_eq!(tags_digest(&ours), f["test_tags_digest"].as_str().unwrap());
    let entities = ours.iter().flatten().filter(|t| *t != "O").count();
    assert_eq!(entities as u64, f["test_entity_tokens"].as_u64().unwrap());
    assert!(
        entities > 500,
        "a degenerate model: {entities} entity tokens"
    );
}
