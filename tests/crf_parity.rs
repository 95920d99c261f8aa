//! The memory-safe reader (`models::crf::reader`) gives CRFsuite's own tags: the paper's CRF is trained on
//! RuMedNER train through CRFsuite, then both readers tag every test token.

mod common;

use rumedbench::features::token::sent2features;
use rumedbench::models::crf::CrfParams;

/// CRFsuite attributes of a sentence, built exactly as for training.
fn c_items(s: &[String]) -> Vec<crfsuite::Item> {
    sent2features(s)
        .into_iter()
        .map(|item| {
            item.into_iter()
                .map(|f| {
                    let name = f.name.split('\0').next().unwrap_or("").to_string();
                    crfsuite::Attribute::new(name, f.value)
                })
                .collect()
        })
        .collect()
}

/// Tags with CRFsuite's C tagger, attributes built exactly as for training.
fn crfsuite_tags(bytes: &[u8], sents: &[Vec<String>]) -> Vec<Vec<String>> {
    let model = crfsuite::Model::from_memory(bytes).unwrap();
    let mut tagger = model.tagger().unwrap();
    sents
        .iter()
        .map(|s| tagger.tag(&c_items(s)).unwrap())
        .collect()
}

#[test]
fn safe_reader_tags_equal_crfsuite_tags_on_every_rumedner_test_token() {
    let dir = common::data_dir().join("RuMedNER");
    let (x, y) = common::read_sentences(&dir.join("train_v1.jsonl"), "ner_tags");
    let crf = CrfParams::default().fit(&x, &y).unwrap();
    let (test, _) = common::read_sentences(&dir.join("test_v1.jsonl"), "ner_tags");
    let ours = crf.predict_batch(&test).unwrap();
    let theirs = crfsuite_tags(crf.to_bytes(), &test);
    let tokens: usize = test.iter().map(Vec::len).sum();
    assert_eq!(tokens, 9856, "RuMedNER test has 9,856 tokens");
    let mut differ = 0;
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(a.len(), b.len());
        differ += a.iter().zip(b).filter(|(p, q)| p != q).count();
    }
    assert_eq!(differ, 0, "{differ} of {tokens} tokens tagged differently");
    // Not a degenerate model: it finds entities.
    assert!(ours.iter().flatten().filter(|t| *t != "O").count() > 500);

    // Marginals (forward-backward) agree with CRFsuite's on the first 300 sentences.
    let model = crfsuite::Model::from_memory(crf.to_bytes()).unwrap();
    let mut tagger = model.tagger().unwrap();
    let mut worst = 0f64;
    for s in test.iter().take(300) {
        let items = c_items(s);
        tagger.tag(&items).unwrap();
        let ours = crf.marginals(s).unwrap();
        for (t, row) in ours.iter().enumerate() {
            for (label, &p) in crf.labels().iter().zip(row) {
                let q = tagger.marginal(label, t as i32).unwrap();
                worst = worst.max((p - q).abs());
            }
        }
    }
    assert!(worst < 1e-6, "marginals differ by up to {worst}");
}
