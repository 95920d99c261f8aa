//! The high-level API against the command line: a model fitted in code is the model file
//! `rumedbench predict` reads, and a model `rumedbench train` wrote loads in code and predicts
//! the same probabilities. Synthetic fixtures of `tests/fixtures/toy/` only.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use rumedbench::{Error, Tagger, TaggerKind, TaggerParams, TextClassifier, TextClassifierParams};
use serde_json::Value;

fn toy(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/toy")
        .join(name)
}

fn records(name: &str) -> Vec<Value> {
    common::read_jsonl(&toy(name))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

fn column(recs: &[Value], field: &str) -> Vec<String> {
    recs.iter()
        .map(|r| r[field].as_str().unwrap().to_string())
        .collect()
}

fn cli(dir: &Path, args: &[&str]) -> String {
    let o = Command::new(common::bin())
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// `rumedbench predict` output: per record, label -> probability of the listed labels.
fn cli_probabilities(dir: &Path, model: &Path, input: &Path, k: usize) -> Vec<Vec<(String, f32)>> {
    let k = k.to_string();
    let out = cli(
        dir,
        &[
            "predict",
            "--model",
            model.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
            "--top-k",
            &k,
        ],
    );
    out.lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["prediction"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| {
                    (
                        p["label"].as_str().unwrap().to_string(),
                        p["prob"].as_f64().unwrap() as f32,
                    )
                })
                .collect()
        })
        .collect()
}

/// Every CLI probability equals the API's probability of that class, bit for bit.
fn assert_same_probabilities(
    model: &TextClassifier,
    proba: &ndarray::Array2<f32>,
    cli: &[Vec<(String, f32)>],
) {
    assert_eq!(proba.nrows(), cli.len());
    for (row, listed) in proba.rows().into_iter().zip(cli) {
        assert_eq!(listed.len(), model.classes().len());
        for (label, p) in listed {
            let j = model.classes().iter().position(|c| c == label).unwrap();
            assert_eq!(row[j].to_bits(), p.to_bits(), "{label}");
        }
    }
}

#[test]
fn a_classifier_fitted_in_code_predicts_identically_through_the_cli() {
    let train = records("train.jsonl");
    let model = TextClassifierParams::default()
        .name("toy")
        .fit(&column(&train, "text"), &column(&train, "label"))
        .unwrap();
    assert_eq!(model.classes(), ["G43", "J06", "K29", "L30", "M54"]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("toy.rmb");
    model.save(&path).unwrap();
    let test = records("test.jsonl");
    let proba = model.predict_proba(&column(&test, "text")).unwrap();
    let k = model.classes().len();
    assert_same_probabilities(
        &model,
        &proba,
        &cli_probabilities(dir.path(), &path, &toy("test.jsonl"), k),
    );
    let back = TextClassifier::load(&path).unwrap();
    assert_eq!(back.predict_proba(&column(&test, "text")).unwrap(), proba);
    assert_eq!(back.to_bytes().unwrap(), model.to_bytes().unwrap());
}

#[test]
fn named_fields_let_the_cli_read_the_records_of_a_model_fitted_in_code() {
    let train = records("pair_train.jsonl");
    let pairs: Vec<(String, String)> = column(&train, "complaint")
        .into_iter()
        .zip(column(&train, "specialist"))
        .collect();
    let model = TextClassifierParams::default()
        .fields(&["complaint", "specialist"], "label")
        .fit_pairs(&pairs, &column(&train, "label"))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pair.rmb");
    model.save(&path).unwrap();
    let test = records("pair_test.jsonl");
    let test_pairs: Vec<(String, String)> = column(&test, "complaint")
        .into_iter()
        .zip(column(&test, "specialist"))
        .collect();
    let proba = model.predict_proba_pairs(&test_pairs).unwrap();
    let cli = cli_probabilities(dir.path(), &path, &toy("pair_test.jsonl"), 2);
    assert_same_probabilities(&model, &proba, &cli);
    let e = TextClassifierParams::default()
        .fields(&["a", "b"], "y")
        .fit(&["one text", "two texts"], &["p", "q"])
        .unwrap_err();
    assert!(chain(&e).contains("2 text field(s) named for 1"), "{e}");
}

#[test]
fn a_model_the_cli_trained_loads_in_code_with_the_same_probabilities() {
    let dir = tempfile::tempdir().unwrap();
    let (tr, ts) = (toy("pair_train.jsonl"), toy("pair_test.jsonl"));
    cli(
        dir.path(),
        &[
            "train",
            "--train",
            tr.to_str().unwrap(),
            "--test",
            ts.to_str().unwrap(),
            "--text-field",
            "complaint",
            "--text-field",
            "specialist",
            "--label-field",
            "label",
            "--id-field",
            "id",
            "--name",
            "toypair",
            "--out",
            "o",
            "--models-dir",
            "m",
        ],
    );
    let path = dir.path().join("m/toypair-feature.rmb");
    let model = TextClassifier::load(&path).unwrap();
    assert!(model.is_pair());
    let test = records("pair_test.jsonl");
    let pairs: Vec<(String, String)> = column(&test, "complaint")
        .into_iter()
        .zip(column(&test, "specialist"))
        .collect();
    let proba = model.predict_proba_pairs(&pairs).unwrap();
    assert_same_probabilities(
        &model,
        &proba,
        &cli_probabilities(dir.path(), &path, &ts, 2),
    );
    let err = model.predict_proba(&["one text"]).unwrap_err().to_string();
    assert!(err.contains("text pairs"), "{err}");
}

#[test]
fn taggers_fitted_in_code_and_by_the_cli_tag_alike() {
    let train = records("ner_train.jsonl");
    let sents: Vec<Vec<String>> = train.iter().map(|r| strings(&r["tokens"])).collect();
    let tags: Vec<Vec<String>> = train.iter().map(|r| strings(&r["tags"])).collect();
    let dir = tempfile::tempdir().unwrap();
    let test = toy("ner_test.jsonl");
    let test_sents: Vec<Vec<String>> = records("ner_test.jsonl")
        .iter()
        .map(|r| strings(&r["tokens"]))
        .collect();
    for kind in [TaggerKind::Crf, TaggerKind::Naive] {
        let tagger = TaggerParams::default()
            .kind(kind)
            .name("toyner")
            .fit(&sents, &tags)
            .unwrap();
        let path = dir.path().join("ner.rmb");
        tagger.save(&path).unwrap();
        let out = cli(
            dir.path(),
            &[
                "predict",
                "--model",
                path.to_str().unwrap(),
                "--input",
                test.to_str().unwrap(),
            ],
        );
        let cli_tags: Vec<Vec<String>> = out
            .lines()
            .map(|l| strings(&serde_json::from_str::<Value>(l).unwrap()["tags"]))
            .collect();
        let ours = tagger.predict(&test_sents).unwrap();
        assert_eq!(ours, cli_tags, "{kind:?}");
        assert_eq!(
            Tagger::load(&path).unwrap().predict(&test_sents).unwrap(),
            ours
        );
        assert!(tagger.classes().contains(&"B-Drug".to_string()));
    }
    // CRF marginals: one row per token, one column per tag, rows summing to 1, and the
    // Viterbi tag of a confident token is its most probable one.
    let crf = TaggerParams::default().fit(&sents, &tags).unwrap();
    let marg = crf.predict_marginals(&test_sents[..1]).unwrap();
    assert_eq!(marg[0].dim(), (test_sents[0].len(), crf.classes().len()));
    for row in marg[0].rows() {
        assert!((row.sum() - 1.0).abs() < 1e-6, "{row}");
    }
}

#[test]
fn bad_input_and_bad_files_are_typed_errors() {
    let p = TextClassifierParams::default();
    let e = p.fit(&["a b c d", "e f g h"], &["x"]).unwrap_err();
    assert!(
        matches!(e, Error::Invalid(_)) && chain(&e).contains("2 inputs but 1 labels"),
        "{e}"
    );
    let e = p
        .clone()
        .c(-1.0)
        .fit(&["a b c d", "e f g h"], &["x", "y"])
        .unwrap_err();
    assert!(
        matches!(e, Error::Param { .. }) && chain(&e).contains("C: must be > 0"),
        "{e}"
    );
    let e = p.fit(&["a b c d", "e f g h"], &["x", "x"]).unwrap_err();
    assert!(chain(&e).contains("at least two classes"), "{e}");
    let e = TextClassifier::load("/nonexistent/model.rmb").unwrap_err();
    assert!(e.io_kind() == Some(std::io::ErrorKind::NotFound), "{e}");
    assert!(chain(&e).contains("/nonexistent/model.rmb"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.rmb");
    std::fs::write(&junk, b"not a model").unwrap();
    let e = TextClassifier::load(&junk).unwrap_err();
    // A model file that cannot be used is a model error naming the file.
    assert!(
        matches!(&e, Error::Model { path, message } if path == &junk
            && message.contains("not a rumedbench model")),
        "{e:?}"
    );
    let short = TextClassifier::from_bytes(b"RMDBENCH").unwrap_err();
    assert!(matches!(short, Error::Model { .. }), "{short:?}");
    assert!(
        format!("{e:#}").contains("not a rumedbench model")
            || std::error::Error::source(&e)
                .is_some_and(|s| s.to_string().contains("not a rumedbench model")),
        "{e}"
    );
    let tagger = TaggerParams::default()
        .kind(TaggerKind::Naive)
        .fit(&[vec!["a"]], &[vec!["O"]])
        .unwrap();
    let e = TextClassifier::from_bytes(&tagger.to_bytes().unwrap()).unwrap_err();
    assert!(chain(&e).contains("not a text classifier"), "{e}");
    // A model file of the other kind is a model error naming the file, not a data error.
    assert!(
        matches!(&e, Error::Model { path, .. } if path.as_os_str() == "model bytes"),
        "{e:?}"
    );
    let e = TaggerParams::default()
        .fit(&[vec!["a", "b"]], &[vec!["O"]])
        .unwrap_err();
    assert!(chain(&e).contains("2 tokens but 1 tags"), "{e}");
}

/// The error and its causes, as the command line prints them.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(": ");
        s.push_str(&c.to_string());
        cur = c.source();
    }
    s
}

/// A union of vectorizer blocks over text pairs fitted in code (the pair's texts apart, through
/// the same in-memory core as `rumedbench train`) is the model the command line trains from the
/// same records with the same blocks: the same probabilities, and each loads where the other
/// was written.
#[test]
fn a_union_of_blocks_fits_in_code_as_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let blocks = "char_wb:2-5@second,char:3-5@first,cross";
    let task = d.join("pair.toml");
    std::fs::write(
        &task,
        format!(
            "name = \"pairs\"\ntext_fields = [\"complaint\", \"specialist\"]\n\
             label_field = \"label\"\nid_field = \"id\"\ntrain = \"{}\"\n",
            toy("pair_train.jsonl").display()
        ),
    )
    .unwrap();
    cli(
        d,
        &[
            "train",
            "--task-file",
            task.to_str().unwrap(),
            "--blocks",
            blocks,
            "--models-dir",
            "m",
        ],
    );
    let from_cli = TextClassifier::load(d.join("m/pairs-feature.rmb")).unwrap();
    let train = records("pair_train.jsonl");
    let pairs: Vec<(String, String)> = column(&train, "complaint")
        .into_iter()
        .zip(column(&train, "specialist"))
        .collect();
    let recipe = from_cli_recipe(blocks);
    let in_code = TextClassifierParams::default()
        .with_recipe(recipe)
        .fit_pairs(&pairs, &column(&train, "label"))
        .unwrap();
    let test = records("pair_test.jsonl");
    let probe: Vec<(String, String)> = column(&test, "complaint")
        .into_iter()
        .zip(column(&test, "specialist"))
        .collect();
    let (a, b) = (
        in_code.predict_proba_pairs(&probe).unwrap(),
        from_cli.predict_proba_pairs(&probe).unwrap(),
    );
    assert_eq!(a, b);
    assert_eq!(in_code.classes(), from_cli.classes());
    // A pair's texts are read apart: swapping them changes the union's probabilities.
    let swapped: Vec<(String, String)> =
        probe.iter().map(|(x, y)| (y.clone(), x.clone())).collect();
    assert_ne!(in_code.predict_proba_pairs(&swapped).unwrap(), a);
    // The code's model file loads and predicts the same.
    in_code.save(d.join("code.rmb")).unwrap();
    let back = TextClassifier::load(d.join("code.rmb")).unwrap();
    assert_eq!(back.predict_proba_pairs(&probe).unwrap(), a);
}

/// The recipe `--blocks LIST` gives.
fn from_cli_recipe(blocks: &str) -> rumedbench::TextRecipe {
    rumedbench::TextRecipe {
        blocks: rumedbench::recipe::blocks::parse_blocks(blocks).unwrap(),
        ..Default::default()
    }
}
