//! Mutation fuzzer over model files: a byte or a few of a trained model's payload are changed,
//! the header's length and SHA-256 are recomputed (the checksum only catches accidents, not
//! intent), and the file is loaded and used to predict. Every case must end in a model or an
//! error: no panic, no abort or signal (either kills this test process), no hang (each case
//! runs on a worker thread that must answer within [`CASE_LIMIT`]).
//!
//! Every refusal must name its cause (never postcard's bare "Serde Deserialization Error"), and
//! every model that loads must predict finite probabilities (and a CRF explain finite figures).
//!
//! `cargo test --release --test model_fuzz` runs [`CASES`] cases per model kind (4 kinds),
//! at most [`KIND_BUDGET`] per kind; `RUMEDBENCH_FUZZ_CASES=N` changes the count,
//! `RUMEDBENCH_FUZZ_SEED=S` the seed, `RUMEDBENCH_FUZZ_SECONDS=T` the budget.

use std::sync::mpsc;
use std::time::Duration;

use rumedbench::bundle::{Bundle, BundleMeta};
use rumedbench::data::{Example, Gold, Input, Split};
use rumedbench::pipeline::{self, FitSettings, Fitted, ModelKind, Prediction};
use rumedbench::task;
use sha2::{Digest, Sha256};

/// Cases per model kind in the default run (4 kinds: 100,000 in all).
const CASES: usize = 25_000;
/// Longest a case may take before it counts as a hang.
const CASE_LIMIT: Duration = Duration::from_secs(10);
/// Longest the cases of one model kind may take in all (`RUMEDBENCH_FUZZ_SECONDS`); the run
/// stops there (a release build runs the 25,000 cases of a kind in about 2 s).
const KIND_BUDGET: Duration = Duration::from_secs(60);
/// Fewest cases per kind a run must complete within its budget.
const MIN_CASES: usize = 1_000;
const HEADER_LEN: usize = 52;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn example(i: usize, input: Input, gold: Gold) -> Example {
    Example {
        id: (i as u64).into(),
        line: i + 1,
        input,
        gold: Some(gold),
    }
}

fn sentences() -> Vec<(&'static str, &'static str)> {
    vec![
        ("Принимал Арбидол три дня", "O B-Drugname O O"),
        ("После Нурофена началась тошнота", "O B-Drugname O B-ADR"),
        ("Была тошнота и головная боль", "O B-ADR O B-ADR I-ADR"),
        ("Ингавирин не помог", "B-Drugname O O"),
        ("От Кагоцела головная боль", "O B-Drugname B-ADR I-ADR"),
    ]
}

/// One trained model of each kind, as model file bytes, with the examples to predict.
fn models() -> Vec<(&'static str, Vec<u8>, Vec<Example>)> {
    let words = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
    let tagged: Vec<Example> = sentences()
        .into_iter()
        .enumerate()
        .map(|(i, (s, t))| example(i, Input::Tokens(words(s)), Gold::Tags(words(t))))
        .collect();
    let texts = [
        "боль в груди",
        "кашель и насморк",
        "сыпь на коже",
        "боль в спине",
    ];
    let labelled: Vec<Example> = (0..12)
        .map(|i| {
            let text = format!("{} {i}", texts[i % 4]);
            example(i, Input::Text(text), Gold::Label(format!("L{}", i % 3)))
        })
        .collect();
    let settings = FitSettings {
        crf: rumedbench::models::crf::CrfParams {
            max_iterations: 20,
            ..Default::default()
        },
        ..Default::default()
    };
    let mut out = Vec::new();
    for (name, alias, kind, examples) in [
        ("naive-tagger", "ner", ModelKind::Naive, &tagged),
        ("crf", "ner", ModelKind::Feature, &tagged),
        ("naive-classifier", "top3", ModelKind::Naive, &labelled),
        ("text", "top3", ModelKind::Feature, &labelled),
    ] {
        let t = task::find(alias).unwrap();
        let split = Split {
            path: "fuzz.jsonl".into(),
            examples: examples.clone(),
        };
        let pipeline = pipeline::fit(&t, kind, &settings, &split).unwrap();
        let meta = BundleMeta {
            tool_version: "fuzz".into(),
            hyperparameters: "{}".into(),
            train_files: vec![],
        };
        let bytes = Bundle { meta, pipeline }.to_bytes().unwrap();
        out.push((name, bytes, examples.clone()));
    }
    out
}

/// Changes 1 to 4 spots of the payload: a random byte, a bit flip, a boundary value, or a
/// run of 0xff (a huge varint); then rewrites the header's length and checksum.
fn mutate(model: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut payload = model[HEADER_LEN..].to_vec();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(payload.len());
        match rng.below(5) {
            0 => payload[at] = rng.next() as u8,
            1 => payload[at] ^= 1 << rng.below(8),
            2 => payload[at] = [0, 1, 0x7f, 0x80, 0xff][rng.below(5)],
            3 => {
                let end = (at + 1 + rng.below(9)).min(payload.len());
                payload[at..end].fill(0xff);
            }
            _ => {
                // Insert or delete a byte: shifts everything after it.
                if rng.below(2) == 0 {
                    payload.insert(at, rng.next() as u8);
                } else if payload.len() > 1 {
                    payload.remove(at);
                }
            }
        }
    }
    let mut out = model[..12].to_vec();
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&Sha256::digest(&payload));
    out.extend_from_slice(&payload);
    out
}

/// What a case ended in: the file loaded (and predicted), or the load error's chain.
enum Outcome {
    Loaded,
    Refused(String),
}

/// Loads and predicts; a loaded model's probabilities must all be finite numbers.
fn run_case(bytes: &[u8], examples: &[Example]) -> Result<Outcome, String> {
    std::panic::catch_unwind(|| match Bundle::from_bytes(bytes) {
        Ok(b) => {
            if let Ok(preds) = b.pipeline.predict(examples, 3) {
                for p in preds {
                    if let Prediction::Ranked(r) = p {
                        if let Some((l, v)) = r.iter().find(|(_, v)| !v.is_finite()) {
                            panic!("a loaded model predicted {l} with probability {v}");
                        }
                    }
                }
            }
            // A tagger that loads is explained too: every figure finite.
            if let Fitted::Crf(crf) = b.pipeline.model() {
                for e in examples {
                    if let Input::Tokens(t) = &e.input {
                        let x = crf.explain(t).expect("a loaded CRF explains");
                        for tok in &x.tokens {
                            let p = &tok.predicted;
                            let figures = [p.state, p.transition, p.marginal];
                            assert!(
                                figures.iter().all(|v| v.is_finite())
                                    && tok.margin().is_none_or(f64::is_finite),
                                "a loaded CRF explained {t:?} with {figures:?}"
                            );
                        }
                    }
                }
            }
            Outcome::Loaded
        }
        Err(e) => Outcome::Refused(chain(&e)),
    })
    .map_err(|p| {
        p.downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default()
    })
}

#[test]
fn mutated_model_files_never_panic_abort_or_hang() {
    let env = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let cases = env("RUMEDBENCH_FUZZ_CASES", CASES as u64) as usize;
    let mut rng = Rng(env("RUMEDBENCH_FUZZ_SEED", 15));
    let (tx, rx) = mpsc::channel::<(Vec<u8>, Vec<Example>)>();
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for (bytes, examples) in rx {
            let _ = done_tx.send(run_case(&bytes, &examples));
        }
    });
    let budget = Duration::from_secs(env("RUMEDBENCH_FUZZ_SECONDS", KIND_BUDGET.as_secs()));
    for (name, model, examples) in models() {
        let mut loaded = 0;
        let mut ran = 0;
        let start = std::time::Instant::now();
        for case in 0..cases {
            // Bounded in time whatever the machine: a slow or loaded machine runs fewer cases.
            if start.elapsed() > budget {
                break;
            }
            ran += 1;
            let bytes = mutate(&model, &mut rng);
            tx.send((bytes.clone(), examples.clone())).unwrap();
            match done_rx.recv_timeout(CASE_LIMIT) {
                Ok(Ok(Outcome::Loaded)) => loaded += 1,
                Ok(Ok(Outcome::Refused(msg))) => {
                    // Every refusal says what is wrong, never only postcard's generic words.
                    assert!(
                        !msg.contains("Serde Deserialization Error"),
                        "{name} case {case}: {msg}"
                    );
                }
                Ok(Err(msg)) => {
                    let path = std::env::temp_dir().join(format!("fuzz-panic-{name}-{case}.bin"));
                    std::fs::write(&path, &bytes).unwrap();
                    panic!(
                        "{name} case {case} panicked: {msg} (file kept at {})",
                        path.display()
                    );
                }
                Err(_) => {
                    let path = std::env::temp_dir().join(format!("fuzz-hang-{name}-{case}.bin"));
                    std::fs::write(&path, &bytes).unwrap();
                    panic!("{name} case {case} hung (file kept at {})", path.display());
                }
            }
        }
        eprintln!(
            "{name}: {ran} mutated files in {:.1} s, {loaded} loaded, {} refused",
            start.elapsed().as_secs_f64(),
            ran - loaded
        );
        assert!(
            ran >= cases.min(MIN_CASES),
            "{name}: only {ran} cases within {budget:?}"
        );
    }
}

/// The model file with `old` (the encoding of one part of its payload) replaced by `new`, and
/// its header's length and checksum made to match: a crafted file. (A `Pipeline` cannot be
/// changed from outside, so a crafted model is made at the byte level.)
fn replace_part(bytes: &[u8], old: &[u8], new: &[u8]) -> Vec<u8> {
    let payload = &bytes[HEADER_LEN..];
    let at = payload
        .windows(old.len())
        .position(|w| w == old)
        .expect("the part is in the payload");
    let mut crafted = payload[..at].to_vec();
    crafted.extend_from_slice(new);
    crafted.extend_from_slice(&payload[at + old.len()..]);
    let mut out = bytes[..12].to_vec();
    out.extend_from_slice(&(crafted.len() as u64).to_le_bytes());
    out.extend_from_slice(&Sha256::digest(&crafted));
    out.extend_from_slice(&crafted);
    out
}

/// The classifier of a text model file as JSON, and its encoding in the file.
fn text_classifier(bytes: &[u8]) -> (serde_json::Value, Vec<u8>) {
    let bundle = Bundle::from_bytes(bytes).unwrap();
    let Fitted::Text(text) = bundle.pipeline.model() else {
        panic!("not a text model")
    };
    (
        serde_json::to_value(&text.clf).unwrap(),
        postcard::to_allocvec(&text.clf).unwrap(),
    )
}

/// `clf` (a classifier as JSON) in the model file's encoding.
fn encoded(clf: serde_json::Value) -> Vec<u8> {
    let clf: rumedbench::models::linear::LogRegOut = serde_json::from_value(clf).unwrap();
    postcard::to_allocvec(&clf).unwrap()
}

/// The crash: a text model whose support vectors name a column past the vocabulary
/// ("index out of bounds" when the column index was built) is refused when loaded.
///
/// The test used to go on to show that the same model, used without the check, indexes out of
/// bounds. That is no longer expressible from outside: `Pipeline`'s fields are private and it
/// does not implement `Deserialize`, so a pipeline comes only from `pipeline::fit` or from
/// `Bundle::from_bytes`, which refuses this file.
#[test]
fn a_support_index_past_the_vocabulary_is_refused() {
    let (_, bytes, examples) = models().remove(3);
    let (mut clf, old) = text_classifier(&bytes);
    let n_cols = clf["support"]["n_cols"].as_u64().unwrap();
    // The last entry of the first row, so the row stays increasing.
    let last = clf["support"]["indptr"][1].as_u64().unwrap() as usize - 1;
    clf["support"]["indices"][last] = (n_cols + 7000).into();
    let crafted = replace_part(&bytes, &old, &encoded(clf));
    let err = chain(&Bundle::from_bytes(&crafted).unwrap_err());
    assert!(
        err.contains("support vectors") && err.contains("column index"),
        "{err}"
    );
    // The untouched file still loads and predicts: the crafting changed only the classifier.
    let same = replace_part(&bytes, &old, &old);
    assert_eq!(same, bytes);
    assert!(matches!(run_case(&same, &examples), Ok(Outcome::Loaded)));
}

/// Non-finite weights in a model file are refused (a model of NaN weights predicts `null`).
#[test]
fn non_finite_weights_in_a_model_file_are_refused() {
    let (_, bytes, _) = models().remove(3);
    let (mut clf, old) = text_classifier(&bytes);
    clf["dual"][0] = serde_json::json!(1e300);
    let crafted = replace_part(&bytes, &old, &encoded(clf));
    let err = chain(&Bundle::from_bytes(&crafted).unwrap_err());
    assert!(err.contains("non-finite"), "{err}");
}

/// An error and its causes, one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        out.push_str(": ");
        out.push_str(&c.to_string());
        cur = c.source();
    }
    out
}

/// A model file with its payload replaced by `payload` (length and checksum recomputed).
fn with_payload(model: &[u8], payload: Vec<u8>) -> Vec<u8> {
    let mut out = model[..12].to_vec();
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&Sha256::digest(&payload));
    out.extend(payload);
    out
}

/// The only place `needle` occurs in `hay`.
fn find_once(hay: &[u8], needle: &[u8]) -> usize {
    let at: Vec<usize> = hay
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at.len(), 1, "{needle:?} found at {at:?}");
    at[0]
}

/// The silent NaN: finite but huge weights (-3.4e38, near f32's limit) passed
/// validation and `predict` printed `"prob": null`. Such a model is refused when loaded,
/// naming the problem and the bound. (That the probabilities of a row of hopeless scores stay
/// finite is the unit test `rows_of_very_low_scores_still_sum_to_one` in
/// `src/models/linear/bounds.rs`: a model that skips the load check cannot be made from
/// outside, since `Pipeline`'s fields are private.)
#[test]
fn huge_finite_weights_are_refused() {
    let (_, bytes, _) = models().remove(3);
    let (mut clf, old) = text_classifier(&bytes);
    let field = if clf["dense"].is_null() {
        "dual"
    } else {
        "dense"
    };
    let n = clf[field].as_array().unwrap().len();
    for i in 0..n {
        clf[field][i] = serde_json::json!(-3.4e38f32);
    }
    let crafted = replace_part(&bytes, &old, &encoded(clf));
    let err = chain(&Bundle::from_bytes(&crafted).unwrap_err());
    assert!(
        err.contains("add up to") && err.contains("keeps every score finite"),
        "{err}"
    );
}

/// A crafted vectorizer (n-gram range 3..=2, in the settings) and a crafted CRF (its magic changed) are
/// refused with their decoders' own messages and the section, not postcard's generic
/// "Serde Deserialization Error".
#[test]
fn crafted_models_name_the_section_and_the_decoders_message() {
    let mut all = models();
    let (_, text, _) = all.remove(3);
    let mut payload = text[HEADER_LEN..].to_vec();
    // The vectorizer's settings, by name in the format-5 file's JSON: n-gram range 3..=8.
    let at = find_once(&payload, b"\"ngram_range\":[3,8]");
    payload[at + 17] = b'2';
    let err = chain(&Bundle::from_bytes(&with_payload(&text, payload)).unwrap_err());
    assert!(
        err.contains("the vectorizer: ngram_range: expected MIN,MAX with 1 <= MIN <= MAX, got 3,2"),
        "{err}"
    );
    assert!(!err.contains("Serde"), "{err}");

    let (_, crf, _) = all.remove(1);
    assert_crf_magic_is_named(&crf);
}

/// `model` (holding a CRF) with the CRF's magic changed is refused with the CRF reader's own
/// message, not postcard's generic one.
fn assert_crf_magic_is_named(model: &[u8]) {
    let mut payload = model[HEADER_LEN..].to_vec();
    let at = find_once(&payload, b"lCRF");
    payload[at] = b'x';
    let err = chain(&Bundle::from_bytes(&with_payload(model, payload)).unwrap_err());
    assert!(
        err.contains(
            "cannot decode the CRF model: invalid CRFsuite model: missing the 'lCRF' magic"
        ),
        "{err}"
    );
    assert!(!err.contains("Serde"), "{err}");
}

/// A full disk is reported as the operating system says it ("No space left on device"), not
/// as postcard's "The serialize buffer is full".
#[test]
fn a_full_disk_says_so() {
    use std::io::Write;
    for (name, bytes, _) in models() {
        let bundle = Bundle::from_bytes(&bytes).unwrap();
        // The header fits the buffer, so the failure comes while postcard writes the payload.
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let mut w = std::io::BufWriter::with_capacity(64, file);
        let err = bundle
            .write_to(&mut w)
            .and_then(|()| w.flush().map_err(Into::into))
            .unwrap_err();
        let err = chain(&err);
        assert!(err.contains("No space left on device"), "{name}: {err}");
        assert!(!err.contains("buffer is full"), "{name}: {err}");
    }
}

/// The same for a model file of a legacy format (a format-2 CRF with its magic changed): its
/// parts are decoded unchecked and checked afterwards, so the message is the checker's, never
/// postcard's generic one (and nothing is passed on the side through a thread-local).
#[test]
fn crafted_legacy_models_name_the_decoders_message() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/formats");
    assert_crf_magic_is_named(&std::fs::read(dir.join("ner-crf.rmb")).unwrap());
}
