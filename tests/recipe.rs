//! One recipe per model family: the paper's defaults, the task file's keys under the command
//! line's flags, the checks naming the key, and the API builders holding a recipe.

mod common;

use std::path::{Path, PathBuf};

use rumedbench::pipeline::FitSettings;
use rumedbench::recipe::{self, CrfRecipe, TextRecipe};
use rumedbench::TextClassifierParams;

fn toy(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/toy")
        .join(name)
        .display()
        .to_string()
}

fn record(dir: &Path, name: &str) -> serde_json::Value {
    let path = dir.join(format!("out/feature/{name}.run.json"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn the_default_recipes_are_the_papers_settings() {
    let text = TextRecipe::default().check().unwrap();
    let crf = CrfRecipe::default().check().unwrap();
    assert_eq!(FitSettings::new(&text, &crf), FitSettings::default());
    let m = recipe::to_map(&TextRecipe::default());
    assert_eq!(m["C"], 10.0);
    assert_eq!(m["ngram_range"], serde_json::json!([3, 8]));
    assert_eq!(m["min_df"], 1);
    assert_eq!(m["max_df"], 1.0);
    assert_eq!(m["analyzer"], "char");
    // The builder holds a recipe and nothing else of the knobs.
    let p = TextClassifierParams::default().c(2.0).max_features(Some(7));
    assert_eq!(p.recipe().c, 2.0);
    assert_eq!(p.recipe().max_features, Some(7));
    assert_eq!(
        TextClassifierParams::default().recipe(),
        &TextRecipe::default()
    );
}

#[test]
fn checks_name_the_setting() {
    let cases: [(TextRecipe, &str); 4] = [
        (
            TextRecipe {
                c: 0.0,
                ..TextRecipe::default()
            },
            "C: must be > 0",
        ),
        (
            TextRecipe {
                ngram_range: recipe::NgramRange(4, 2),
                ..TextRecipe::default()
            },
            "ngram_range: expected MIN,MAX",
        ),
        (
            TextRecipe {
                threshold: 1.0,
                ..TextRecipe::default()
            },
            "threshold: must be in (0, 1)",
        ),
        (
            TextRecipe {
                max_iter: 0,
                ..TextRecipe::default()
            },
            "max_iter: must be at least 1",
        ),
    ];
    for (r, want) in cases {
        let e = r.check().unwrap_err();
        assert!(matches!(e, rumedbench::Error::Param { .. }), "{e:?}");
        assert!(e.to_string().starts_with(want), "{e}");
    }
    let e = CrfRecipe {
        c2: -1.0,
        ..CrfRecipe::default()
    }
    .check()
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("c2: must be between 0 and"), "{e}");
    // The API refuses the same way, before fitting.
    let e = TextClassifierParams::default()
        .tol(-1.0)
        .fit(&["a b", "c d"], &["x", "y"])
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("tol:"), "{e}");
}

#[test]
fn a_flag_given_overrides_the_task_file_even_at_its_default_and_only_then() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tf = d.join("t.toml");
    std::fs::write(
        &tf,
        format!(
            "name = \"layers\"\ntext_fields = [\"text\"]\nlabel_field = \"label\"\nid_field = \"id\"\n\
             train = \"{}\"\ntest = \"{}\"\nC = 3.0\ntol = 0.05\nsublinear_tf = true\n",
            toy("train.jsonl"),
            toy("test.jsonl")
        ),
    )
    .unwrap();
    let tfs = tf.display().to_string();
    // --C 10 is the default value, given explicitly: it still wins over the file's C = 3.
    common::ok_in(d, &["train", "--task-file", &tfs, "--C", "10"]);
    let h = &record(d, "layers")["hyperparameters"];
    assert_eq!(h["classifier"]["C"], 10.0, "{h}");
    assert_eq!(h["classifier"]["tol"], 0.05, "the file's tol stays: {h}");
    assert_eq!(h["vectorizer"]["sublinear_tf"], true, "{h}");
    // Without the flag the file's value holds.
    common::ok_in(d, &["train", "--task-file", &tfs, "--force"]);
    let h = &record(d, "layers")["hyperparameters"];
    assert_eq!(h["classifier"]["C"], 3.0, "{h}");
}

#[test]
fn an_unknown_task_file_key_lists_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tf = d.join("t.toml");
    std::fs::write(
        &tf,
        format!(
            "name = \"x\"\ntext_fields = [\"text\"]\nlabel_field = \"label\"\ntrain = \"{}\"\nmax_feature = 3\n",
            toy("train.jsonl")
        ),
    )
    .unwrap();
    let o = common::run_in(d, &["train", "--task-file", &tf.display().to_string()]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("t.toml: line 5: unknown key `max_feature`")
            && err.contains("max_features")
            && err.contains("label_field"),
        "{err}"
    );
}

/// The run record's hyperparameters are the recipe's own keys and values (the seed beside them
/// in the record): read back through the recipe's loader they give the recipe the run was
/// given (flags over the task file), every text key but the multi-label rule's appearing.
#[test]
fn the_run_record_holds_the_recipe_by_its_keys() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let flags = [
        "--C",
        "2.5",
        "--ngram-range",
        "2,4",
        "--sublinear-tf",
        "--class-weight",
        "balanced",
        "--max-df",
        "0.9",
        "--seed",
        "7",
    ];
    let mut args = vec!["train", "--task-file"];
    let tf = toy("task.toml");
    args.push(&tf);
    args.extend(flags);
    common::ok_in(d, &args);
    let rec = record(d, "toy");
    let h = &rec["hyperparameters"];
    let section = |k: &str| h[k].as_object().cloned().unwrap();
    let seed: serde_json::Map<String, serde_json::Value> =
        [("seed".to_string(), rec["seed"].clone())]
            .into_iter()
            .collect();
    let back: TextRecipe =
        recipe::layered(&[&section("vectorizer"), &section("classifier"), &seed]).unwrap();
    let want = TextRecipe {
        c: 2.5,
        ngram_range: recipe::NgramRange(2, 4),
        sublinear_tf: true,
        class_weight: recipe::ClassWeight::Balanced,
        max_df: rumedbench::DocFreq::Fraction(0.9),
        seed: 7,
        ..TextRecipe::default()
    };
    assert_eq!(back, want, "{h}");
    let recorded: Vec<&String> = ["vectorizer", "classifier"]
        .iter()
        .flat_map(|s| h[*s].as_object().unwrap().keys())
        .collect();
    for key in recipe::keys::<TextRecipe>() {
        // The multi-label rule's keys appear for multi-label tasks, the seed beside the
        // hyperparameters, a union's keys when it has blocks (its vectorizer section lists them).
        if ["threshold", "allow_empty", "seed", "blocks", "row_norm"].contains(&key.as_str()) {
            continue;
        }
        assert!(recorded.contains(&&key), "{key} is not in the record: {h}");
    }
}
