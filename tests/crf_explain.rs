//! `explain` for CRF taggers adds up: each token's attribute contributions (over all its
//! attributes) plus the transition equal the score CRFsuite's own C tagger gives that token on
//! the predicted path, and the tags are `predict`'s.
//!
//! The independent path is CRFsuite's C code (crfsuite-sys), which reads the model bytes with
//! its own reader: the score of a path prefix `y_0..y_t` over the sentence's first `t + 1`
//! items (attributes built from the whole sentence) minus that of `y_0..y_{t-1}` is token
//! `t`'s state score plus the transition into it; one item alone gives a tag's state score;
//! its Viterbi gives the path and its score.

mod common;

use std::ffi::CString;
use std::path::Path;

use rumedbench::features::crf_templates::Templates;
use rumedbench::models::crf::explain::SentenceExplanation;
use rumedbench::models::crf::{Crf, CrfParams};
use serde_json::Value;

/// Scores paths with CRFsuite's C tagger.
struct CTagger {
    model: *mut crfsuite_sys::crfsuite_model_t,
    tagger: *mut crfsuite_sys::crfsuite_tagger_t,
    attrs: *mut crfsuite_sys::crfsuite_dictionary_t,
    labels: *mut crfsuite_sys::crfsuite_dictionary_t,
    // CRFsuite reads the model from this buffer without copying it.
    _bytes: Box<[u8]>,
}

impl CTagger {
    fn new(bytes: &[u8]) -> CTagger {
        let bytes: Box<[u8]> = bytes.into();
        let mut instance = std::ptr::null_mut();
        // SAFETY: our own trained model bytes, kept alive as long as the model; every call
        // below is CRFsuite's documented interface, on pointers it handed out.
        unsafe {
            let ret = crfsuite_sys::crfsuite_create_instance_from_memory(
                bytes.as_ptr() as *const libc::c_void,
                bytes.len(),
                &mut instance,
            );
            assert_eq!(ret, 0, "CRFsuite cannot open the model");
            let model = instance as *mut crfsuite_sys::crfsuite_model_t;
            let (mut tagger, mut attrs, mut labels) = (
                std::ptr::null_mut(),
                std::ptr::null_mut(),
                std::ptr::null_mut(),
            );
            assert_eq!((*model).get_tagger.unwrap()(model, &mut tagger), 0);
            assert_eq!((*model).get_attrs.unwrap()(model, &mut attrs), 0);
            assert_eq!((*model).get_labels.unwrap()(model, &mut labels), 0);
            CTagger {
                model,
                tagger,
                attrs,
                labels,
                _bytes: bytes,
            }
        }
    }

    fn label_id(&self, label: &str) -> i32 {
        let c = CString::new(label).unwrap();
        // SAFETY: see `new`.
        let id = unsafe { (*self.labels).to_id.unwrap()(self.labels, c.as_ptr()) };
        assert!(id >= 0, "CRFsuite does not know the label {label}");
        id
    }

    /// Sets the instance: one item per entry, attributes by name (unknown ones dropped, as
    /// CRFsuite's taggers drop them).
    fn set(&mut self, items: &[Vec<(String, f64)>]) {
        // SAFETY: see `new`; the instance is finished after CRFsuite copied its scores.
        unsafe {
            let mut inst = std::mem::MaybeUninit::<crfsuite_sys::crfsuite_instance_t>::uninit();
            crfsuite_sys::crfsuite_instance_init_n(inst.as_mut_ptr(), items.len() as i32);
            let mut inst = inst.assume_init();
            let c_items = std::slice::from_raw_parts_mut(inst.items, items.len());
            for (item, c_item) in items.iter().zip(c_items) {
                crfsuite_sys::crfsuite_item_init(c_item);
                for (name, value) in item {
                    let c = CString::new(name.split('\0').next().unwrap()).unwrap();
                    let aid = (*self.attrs).to_id.unwrap()(self.attrs, c.as_ptr());
                    if aid >= 0 {
                        let mut a = std::mem::MaybeUninit::uninit();
                        crfsuite_sys::crfsuite_attribute_set(a.as_mut_ptr(), aid, *value);
                        crfsuite_sys::crfsuite_item_append_attribute(c_item, a.as_ptr());
                    }
                }
            }
            assert_eq!((*self.tagger).set.unwrap()(self.tagger, &mut inst), 0);
            crfsuite_sys::crfsuite_instance_finish(&mut inst);
        }
    }

    /// The score of `path` (label names) over the instance set last.
    fn score(&self, path: &[&str]) -> f64 {
        let mut ids: Vec<i32> = path.iter().map(|l| self.label_id(l)).collect();
        let mut s = 0.0;
        // SAFETY: see `new`; `ids` has one label per item of the instance.
        unsafe {
            assert_eq!(
                (*self.tagger).score.unwrap()(self.tagger, ids.as_mut_ptr(), &mut s),
                0
            );
        }
        s
    }

    /// The marginal probability of `label` at item `t` of the instance set last.
    fn marginal(&self, label: &str, t: usize) -> f64 {
        let mut p = 0.0;
        // SAFETY: see `new`; `t` is an item of the instance.
        unsafe {
            let f = (*self.tagger).marginal_point.unwrap();
            assert_eq!(f(self.tagger, self.label_id(label), t as i32, &mut p), 0);
        }
        p
    }

    /// CRFsuite's Viterbi over the instance set last: label ids and the path's score.
    fn viterbi(&self, n: usize) -> (Vec<i32>, f64) {
        let mut ids = vec![0i32; n];
        let mut s = 0.0;
        // SAFETY: see `new`; `ids` holds one label per item.
        unsafe {
            assert_eq!(
                (*self.tagger).viterbi.unwrap()(self.tagger, ids.as_mut_ptr(), &mut s),
                0
            );
        }
        (ids, s)
    }
}

impl Drop for CTagger {
    fn drop(&mut self) {
        // SAFETY: each object released once, the model last.
        unsafe {
            (*self.labels).release.unwrap()(self.labels);
            (*self.attrs).release.unwrap()(self.attrs);
            (*self.tagger).release.unwrap()(self.tagger);
            (*self.model).release.unwrap()(self.model);
        }
    }
}

/// Asserts that the explanation of `sent` adds up to CRFsuite's own scores, token by token.
/// Returns how many tokens were checked.
fn check(crf: &Crf, c: &mut CTagger, sent: &[String]) -> usize {
    let e: SentenceExplanation = crf.explain(sent).unwrap();
    let tags = e.tags();
    assert_eq!(
        tags,
        crf.predict(sent).unwrap(),
        "explain's tags are predict's"
    );
    if sent.is_empty() {
        assert!(e.tokens.is_empty());
        return 0;
    }
    let items: Vec<Vec<(String, f64)>> = crf
        .features(sent)
        .into_iter()
        .map(|item| item.into_iter().map(|f| (f.name, f.value)).collect())
        .collect();
    let close = |a: f64, b: f64, what: &str| {
        assert!(
            (a - b).abs() <= 1e-9 * (1.0 + a.abs().max(b.abs())),
            "{what}: explained {a} vs CRFsuite {b} in {sent:?}"
        );
    };
    // The whole path: CRFsuite's Viterbi gives the same tags and score.
    c.set(&items);
    let (ids, best) = c.viterbi(sent.len());
    let c_tags: Vec<i32> = tags.iter().map(|t| c.label_id(t)).collect();
    assert_eq!(ids, c_tags, "CRFsuite's Viterbi path");
    close(e.path_score(), best, "path score");
    close(e.path_score(), c.score(&tags), "path score");
    let full = c.score(&tags);
    let marginals: Vec<f64> = tags
        .iter()
        .enumerate()
        .map(|(t, tag)| c.marginal(tag, t))
        .collect();
    for (t, tok) in e.tokens.iter().enumerate() {
        let p = &tok.predicted;
        // Every attribute of the token is listed, and the contributions sum to the state.
        assert_eq!(p.attributes.len(), items[t].len());
        let summed: f64 = p.attributes.iter().map(|a| a.contribution).sum();
        close(summed, p.state, "attributes summed");
        for a in &p.attributes {
            assert_eq!(a.contribution, a.weight * a.value);
        }
        // The token's part of the path: prefix t+1 minus prefix t.
        c.set(&items[..=t]);
        let upto = c.score(&tags[..=t]);
        let before = if t == 0 {
            0.0
        } else {
            c.set(&items[..t]);
            c.score(&tags[..t])
        };
        close(p.state + p.transition, upto - before, "state + transition");
        // The state alone: the token's item by itself.
        c.set(&items[t..=t]);
        close(p.state, c.score(&tags[t..=t]), "state");
        // The runner-up: the path with this token swapped loses exactly the margin.
        if let Some(r) = &tok.runner_up {
            close(r.state, c.score(&[r.tag.as_str()]), "runner-up state");
            let mut swapped = tags.clone();
            swapped[t] = &r.tag;
            c.set(&items);
            let margin = tok.margin().unwrap();
            close(margin, full - c.score(&swapped), "margin");
            assert!(margin >= -1e-9, "the predicted path is the best one");
            // And no other single swap costs less.
            for other in crf.labels() {
                swapped[t] = other;
                assert!(full - c.score(&swapped) >= margin - 1e-9 || other == tags[t]);
            }
        }
        // The marginals are CRFsuite's.
        assert!((p.marginal - marginals[t]).abs() < 1e-9, "marginal at {t}");
    }
    sent.len()
}

fn toy(name: &str) -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/toy")
        .join(name);
    common::read_sentences(&path, "tags")
}

const PLUS: &str = "bias,lower,shape,window:1,affix:2-4,flags,bigram,bos_eos";

fn crafted() -> Vec<Vec<String>> {
    [
        "",
        "аспирин",
        "После приёма АЦЦ-Лонг 12,5 мг болит голова",
        "a:b c\tтаб",
        "Незнакомые слова совсем новые",
    ]
    .iter()
    .map(|s| {
        if s.contains('\t') {
            s.split('\t').map(String::from).collect()
        } else {
            s.split_whitespace().map(String::from).collect()
        }
    })
    .collect()
}

#[test]
fn toy_taggers_add_up_to_crfsuites_scores_token_by_token() {
    let (x, y) = toy("ner_train.jsonl");
    let (test, _) = toy("ner_test.jsonl");
    let (dev, _) = toy("ner_dev.jsonl");
    for templates in ["paper", PLUS, "word,suffix:2-3,window:2"] {
        // A light penalty keeps many weights, so most attributes contribute.
        let params = CrfParams {
            c1: 0.01,
            templates: Templates::parse_list(templates).unwrap(),
            ..CrfParams::default()
        };
        let crf = params.fit(&x, &y).unwrap();
        // Through a file, as a saved model is read.
        let dir = tempfile::tempdir().unwrap();
        crf.save(dir.path().join("m.crfsuite")).unwrap();
        let crf = Crf::load(dir.path().join("m.crfsuite"))
            .unwrap()
            .with_templates(params.templates.clone());
        let mut c = CTagger::new(crf.to_bytes());
        let mut n = 0;
        for s in test.iter().chain(&dev).chain(&x).chain(&crafted()) {
            n += check(&crf, &mut c, s);
        }
        assert!(n > 200, "{templates}: {n} tokens checked");
        // Templates are named: the plus list's windows by offset and template.
        let e = crf.explain(&test[0]).unwrap();
        let names: Vec<&str> = e.tokens[1]
            .predicted
            .attributes
            .iter()
            .map(|a| a.template.as_str())
            .collect();
        match templates {
            "paper" => assert!(names.contains(&"paper word.lower()"), "{names:?}"),
            PLUS => assert!(
                names.contains(&"window:-1 lower") && names.contains(&"affix:2-4"),
                "{names:?}"
            ),
            _ => assert!(
                names.contains(&"window:-1 word") && names.contains(&"suffix:2-3"),
                "{names:?}"
            ),
        }
    }
}

#[test]
fn rumedner_taggers_add_up_to_crfsuites_scores_token_by_token() {
    let dir = common::data_dir().join("RuMedNER");
    let (x, y) = common::read_sentences(&dir.join("train_v1.jsonl"), "ner_tags");
    let (test, _) = common::read_sentences(&dir.join("test_v1.jsonl"), "ner_tags");
    // The paper's recipe and the plus preset's templates, on part of train (the sums do not
    // depend on how much data trained the weights).
    for templates in ["paper", PLUS] {
        let params = CrfParams {
            c1: if templates == PLUS { 0.05 } else { 0.1 },
            templates: Templates::parse_list(templates).unwrap(),
            ..CrfParams::default()
        };
        let crf = params.fit(&x[..1500], &y[..1500]).unwrap();
        let mut c = CTagger::new(crf.to_bytes());
        let n: usize = test.iter().take(120).map(|s| check(&crf, &mut c, s)).sum();
        assert!(n > 1000, "{n} tokens checked");
        let entities = test
            .iter()
            .take(120)
            .flat_map(|s| crf.predict(s).unwrap())
            .filter(|t| t != "O")
            .count();
        assert!(
            entities > 20,
            "not a degenerate model: {entities} entity tags"
        );
    }
}

/// An own tagging task in a scratch folder: the toy NER split under other field names, with a
/// task file.
fn own_task() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/toy");
    for split in ["train", "dev", "test"] {
        let rows = common::read_jsonl(&fixture.join(format!("ner_{split}.jsonl")));
        let lines: Vec<String> = rows
            .iter()
            .map(|r| {
                serde_json::json!({"rid": r["id"], "words": r["tokens"], "iob": r["tags"]})
                    .to_string()
            })
            .collect();
        std::fs::write(
            dir.path().join(format!("{split}.jsonl")),
            lines.join("\n") + "\n",
        )
        .unwrap();
    }
    std::fs::write(
        dir.path().join("task.toml"),
        "name = \"clinicner\"\nid_field = \"rid\"\ntokens_field = \"words\"\ntags_field = \"iob\"\n\
         train = \"train.jsonl\"\ndev = \"dev.jsonl\"\ntest = \"test.jsonl\"\n",
    )
    .unwrap();
    dir
}

fn fails(dir: &Path, args: &[&str]) -> String {
    let o = common::run_in(dir, args);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!o.status.success(), "{args:?} succeeded:\n{err}");
    assert_eq!(
        o.status.code(),
        Some(1),
        "{args:?}: an error, not a crash:\n{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn explain_command_gives_predicts_tags_and_sums_for_an_own_task() {
    let dir = own_task();
    let d = dir.path();
    for model in ["feature", "plus"] {
        common::ok_in(d, &["train", "--task-file", "task.toml", "--model", model]);
        let m = format!("models/clinicner-{model}.rmb");
        let (explained, _) = common::ok_in(
            d,
            &[
                "explain",
                "--model",
                &m,
                "--input",
                "test.jsonl",
                "--format",
                "json",
                "--runner-up",
                "--attributes",
                "3",
            ],
        );
        let (predicted, _) = common::ok_in(d, &["predict", "--model", &m, "--input", "test.jsonl"]);
        let (e, p): (Vec<Value>, Vec<Value>) = (
            explained
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect(),
            predicted
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect(),
        );
        assert_eq!(e.len(), 8);
        assert_eq!(e.len(), p.len());
        // The model file's CRF, read independently by CRFsuite.
        let bundle = rumedbench::Bundle::load(&d.join(&m)).unwrap();
        let rumedbench::pipeline::Fitted::Crf(crf) = bundle.pipeline.model() else {
            panic!("{m} holds a CRF")
        };
        let mut c = CTagger::new(crf.to_bytes());
        for (e, p) in e.iter().zip(&p) {
            assert_eq!(e["id"], p["id"]);
            assert_eq!(e["tags"], p["tags"], "explain's tags are predict's");
            let tokens: Vec<String> = serde_json::from_value(e["tokens"].clone()).unwrap();
            let tags: Vec<&str> = e["tags"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t.as_str().unwrap())
                .collect();
            let f = |v: &Value| v.as_f64().unwrap();
            let mut path = 0.0;
            for (t, x) in e["explained"].as_array().unwrap().iter().enumerate() {
                // Template sums, and up + down + rest, each add up to the state.
                let by_template: f64 = x["templates"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|g| f(&g["contribution"]))
                    .sum();
                let listed: f64 = x["up"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .chain(x["down"].as_array().unwrap())
                    .map(|a| f(&a["contribution"]))
                    .sum();
                assert!((by_template - f(&x["state"])).abs() < 1e-9, "{x}");
                assert!(
                    (listed + f(&x["rest"]) - f(&x["state"])).abs() < 1e-9,
                    "{x}"
                );
                assert!((f(&x["state"]) + f(&x["transition"]) - f(&x["score"])).abs() < 1e-12);
                assert!(x["up"].as_array().unwrap().len() <= 3);
                assert!(f(&x["runner_up"]["margin"]) >= -1e-9, "{x}");
                assert_ne!(x["runner_up"]["tag"], x["tag"]);
                path += f(&x["score"]);
                let _ = t;
            }
            assert!((path - f(&e["path_score"])).abs() < 1e-9);
            let items: Vec<Vec<(String, f64)>> = crf
                .features(&tokens)
                .into_iter()
                .map(|item| item.into_iter().map(|a| (a.name, a.value)).collect())
                .collect();
            c.set(&items);
            assert!((c.score(&tags) - f(&e["path_score"])).abs() < 1e-9, "{e}");
        }
        // --text: split into words as predict splits raw text; the table names each token.
        let (table, _) = common::ok_in(
            d,
            &[
                "explain",
                "--model",
                &m,
                "--text",
                "После приёма аспирина болит голова.",
                "--runner-up",
            ],
        );
        let (json, _) = common::ok_in(
            d,
            &[
                "explain",
                "--model",
                &m,
                "--text",
                "После приёма аспирина болит голова.",
                "--format",
                "json",
            ],
        );
        let j: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(j["tokens"].as_array().unwrap().len(), 6);
        assert!(table.starts_with("clinicner: После"), "{table}");
        assert!(
            table.contains("6. .  O")
                && table.contains("runner-up")
                && table.contains("by template:"),
            "{table}"
        );
        if model == "plus" {
            assert!(
                table.contains("(window:-1 ") || table.contains("window:-1 "),
                "{table}"
            );
        } else {
            assert!(table.contains("paper "), "{table}");
        }
    }
}

#[test]
fn bad_input_and_crafted_models_are_errors_naming_the_place() {
    let dir = own_task();
    let d = dir.path();
    common::ok_in(d, &["train", "--task-file", "task.toml"]);
    let m = "models/clinicner-feature.rmb";
    let write = |name: &str, text: &str| std::fs::write(d.join(name), text).unwrap();
    write(
        "bad.jsonl",
        "{\"words\": [\"болит\"]}\n{\"words\": [\"a\", 3]}\n",
    );
    let err = fails(d, &["explain", "--model", m, "--input", "bad.jsonl"]);
    assert!(
        err.contains("bad.jsonl:2") && err.contains("words"),
        "{err}"
    );
    write("bad2.jsonl", "{\"words\": [\"болит\"]}\n{\"words\": \n");
    let err = fails(d, &["explain", "--model", m, "--input", "bad2.jsonl"]);
    assert!(
        err.contains("bad2.jsonl:2") && err.contains("JSON"),
        "{err}"
    );
    write("bad3.jsonl", "{\"rid\": 1, \"other\": [\"болит\"]}\n");
    let err = fails(d, &["explain", "--model", m, "--input", "bad3.jsonl"]);
    assert!(
        err.contains("bad3.jsonl:1") && err.contains("words"),
        "{err}"
    );
    let err = fails(d, &["explain", "--model", m, "--input", "missing.jsonl"]);
    assert!(err.contains("missing.jsonl"), "{err}");
    // Flags of the other kind of model are refused by name.
    let err = fails(
        d,
        &["explain", "--model", m, "--text", "a", "--classes", "2"],
    );
    assert!(err.contains("--classes is for text models"), "{err}");
    // A crafted model file: bytes changed inside the CRF's payload, checksum recomputed or not.
    let bytes = std::fs::read(d.join(m)).unwrap();
    for (i, at) in [bytes.len() / 2, bytes.len() - 9, 60]
        .into_iter()
        .enumerate()
    {
        let mut b = bytes.clone();
        b[at] ^= 0x5a;
        let name = format!("crafted{i}.rmb");
        write(&name, "");
        std::fs::write(d.join(&name), &b).unwrap();
        let err = fails(d, &["explain", "--model", &name, "--text", "болит голова"]);
        assert!(err.contains(&name), "{err}");
    }
    std::fs::write(d.join("short.rmb"), &bytes[..bytes.len() / 3]).unwrap();
    let err = fails(d, &["explain", "--model", "short.rmb", "--text", "болит"]);
    assert!(err.contains("short.rmb"), "{err}");
}
