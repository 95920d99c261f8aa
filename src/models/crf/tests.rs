//! Unit tests of the CRF trainer and model.

use super::*;

fn toks(s: &str) -> Vec<String> {
    s.split(' ').map(str::to_string).collect()
}

/// Tiny review-like sentences: drug names are capitalised and precede
/// "помог"/"принимал"; ADRs are "тошнота"/"головная боль".
fn fixture() -> (Vec<Vec<String>>, Vec<Vec<String>>) {
    let data = [
        ("Принимал Арбидол три дня", "O B-Drugname O O"),
        ("Арбидол помог быстро", "B-Drugname O O"),
        ("После Нурофена началась тошнота", "O B-Drugname O B-ADR"),
        ("Была тошнота и головная боль", "O B-ADR O B-ADR I-ADR"),
        ("Принимал Ингавирин неделю", "O B-Drugname O"),
        ("Ингавирин не помог", "B-Drugname O O"),
        ("От Кагоцела головная боль", "O B-Drugname B-ADR I-ADR"),
        ("Сильная тошнота после таблеток", "O B-ADR O O"),
        ("Принимал Анаферон и Арбидол", "O B-Drugname O B-Drugname"),
        ("Врач выписал Анаферон", "O O B-Drugname"),
    ];
    data.iter().map(|(s, t)| (toks(s), toks(t))).unzip()
}

/// The issue's `--c1 1e300` ended in "attributes dictionary does not name all 0 ids":
/// out of range it is refused up front, and a penalty in range that still removes every
/// weight says so.
#[test]
fn penalties_out_of_range_or_emptying_the_model_are_clear_errors() {
    let (x, y) = fixture();
    let huge = CrfParams {
        c1: 1e300,
        ..quick()
    };
    let e = huge.fit(&x, &y).unwrap_err().to_string();
    assert!(e.contains("c1 must be between 0 and 1e4, got 1e300"), "{e}");
    let strong = CrfParams {
        c1: MAX_COEFFICIENT,
        ..quick()
    };
    let e = strong.fit(&x, &y).unwrap_err().to_string();
    assert!(
        e.contains("training kept no feature weight") && e.contains("lower c1"),
        "{e}"
    );
    assert!(!e.contains("dictionary"), "{e}");
}

fn quick() -> CrfParams {
    CrfParams {
        max_iterations: 50,
        ..CrfParams::default()
    }
}

#[test]
fn default_is_paper_recipe_and_check_names_bad_values() {
    let p = CrfParams::default();
    assert_eq!((p.c1, p.c2, p.max_iterations), (0.1, 0.01, 200));
    assert!(p.all_possible_transitions);
    assert!(p.check().is_ok());
    let e = CrfParams {
        c1: -1.0,
        ..p.clone()
    }
    .check()
    .unwrap_err()
    .to_string();
    assert!(e.contains("c1") && e.contains("-1"), "{e}");
    let e = CrfParams {
        c2: f64::NAN,
        ..p.clone()
    }
    .check()
    .unwrap_err()
    .to_string();
    assert!(e.contains("c2") && e.contains("NaN"), "{e}");
    let e = CrfParams {
        max_iterations: 0,
        ..p.clone()
    }
    .check()
    .unwrap_err()
    .to_string();
    assert!(e.contains("max_iterations"), "{e}");
}

#[test]
fn learns_an_obvious_pattern() {
    let (x, y) = fixture();
    let crf = quick().fit(&x, &y).unwrap();
    let mut labels = crf.labels().to_vec();
    labels.sort();
    assert_eq!(labels, ["B-ADR", "B-Drugname", "I-ADR", "O"]);
    // Training sentences are reproduced.
    for (s, t) in x.iter().zip(&y) {
        assert_eq!(&crf.predict(s).unwrap(), t, "{s:?}");
    }
    // An unseen capitalised word after "Принимал" is a drug.
    assert_eq!(
        crf.predict(&toks("Принимал Називин два дня")).unwrap(),
        ["O", "B-Drugname", "O", "O"]
    );
    assert_eq!(crf.predict(&toks("Снова тошнота")).unwrap(), ["O", "B-ADR"]);
}

#[test]
fn training_is_deterministic() {
    let (x, y) = fixture();
    let a = quick().fit(&x, &y).unwrap();
    let b = quick().fit(&x, &y).unwrap();
    assert_eq!(a.to_bytes(), b.to_bytes());
}

#[test]
fn bytes_and_file_round_trips_keep_predictions() {
    let (x, y) = fixture();
    let crf = quick().fit(&x, &y).unwrap();
    let probe: Vec<Vec<String>> = [
        "Принимал Називин два дня",
        "головная боль и тошнота",
        "Арбидол",
    ]
    .iter()
    .map(|s| toks(s))
    .collect();
    let want = crf.predict_batch(&probe).unwrap();

    let again = Crf::from_bytes(crf.to_bytes().to_vec()).unwrap();
    assert_eq!(again.predict_batch(&probe).unwrap(), want);
    assert_eq!(again.labels(), crf.labels());

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ner.crfsuite");
    crf.save(&path).unwrap();
    // Saving over an existing file replaces it.
    crf.save(&path).unwrap();
    let loaded = Crf::load(&path).unwrap();
    assert_eq!(loaded.to_bytes(), crf.to_bytes());
    assert_eq!(loaded.predict_batch(&probe).unwrap(), want);
    // Only the model is left in the directory: no stray temp files.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn corrupt_model_bytes_are_rejected() {
    let (x, y) = fixture();
    let good = quick().fit(&x, &y).unwrap().to_bytes().to_vec();
    assert!(Crf::from_bytes(Vec::new()).is_err());
    assert!(Crf::from_bytes(b"not a model at all, just some bytes here......!!".to_vec()).is_err());
    assert!(Crf::from_bytes(good[..good.len() / 2].to_vec()).is_err());
    let mut bad_offset = good.clone();
    bad_offset[32..36].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(Crf::from_bytes(bad_offset).is_err());
    assert!(Crf::load("/nonexistent/dir/model.crfsuite").is_err());
}

/// Crafted headers that made CRFsuite's C reader allocate without limit, read out of
/// bounds or loop are errors.
#[test]
fn crafted_models_are_errors() {
    let (x, y) = fixture();
    let good = quick().fit(&x, &y).unwrap().to_bytes().to_vec();
    let set = |at: usize, v: u32| {
        let mut b = good.clone();
        b[at..at + 4].copy_from_slice(&v.to_le_bytes());
        Crf::from_bytes(b).unwrap_err().to_string()
    };
    // Label count (header field 1) huge or zero.
    assert!(
        set(20, u32::MAX).contains("labels"),
        "{}",
        set(20, u32::MAX)
    );
    assert!(set(20, 0).contains("labels"));
    // More attributes than the dictionary names.
    assert!(
        set(24, u32::MAX / 2).contains("attribute"),
        "{}",
        set(24, u32::MAX / 2)
    );
    // Every offset pointing past the end.
    for field in 3..8 {
        let e = set(16 + 4 * field, good.len() as u32 + 9);
        assert!(e.contains("outside"), "{e}");
    }
    // A feature count larger than the file.
    let feat = u32::from_le_bytes(good[28..32].try_into().unwrap()) as usize;
    assert!(set(feat + 8, u32::MAX).contains("features do not fit"));
    // Any single byte set to 0xff: a model or an error, never a panic.
    for at in 0..good.len() {
        let mut b = good.clone();
        b[at] = 0xff;
        if let Ok(m) = Crf::from_bytes(b) {
            m.predict_batch(&x).unwrap();
        }
    }
}

/// `Crf::load` reads within the model-file cap: a larger file is refused before a byte
/// of it is read.
#[test]
fn load_is_capped() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.crfsuite");
    std::fs::File::create(&p)
        .unwrap()
        .set_len(crate::caps::MAX_MODEL_BYTES + 1)
        .unwrap();
    let e = Crf::load(&p).unwrap_err().to_string();
    assert!(e.contains("over the 4 GiB cap for a model file"), "{e}");
}

#[test]
fn empty_sentences() {
    let (mut x, mut y) = fixture();
    let crf = quick().fit(&x, &y).unwrap();
    assert!(crf.predict::<String>(&[]).unwrap().is_empty());
    let batch = crf.predict_batch(&[vec![], toks("Арбидол")]).unwrap();
    assert!(batch[0].is_empty() && batch[1].len() == 1);

    // An empty training sentence is skipped: the model is the one trained without it.
    x.insert(3, vec![]);
    y.insert(3, vec![]);
    let with_empty = quick().fit(&x, &y).unwrap();
    assert_eq!(with_empty.to_bytes(), crf.to_bytes());
    let e = quick()
        .fit(&[vec![], vec![]], &[vec![], vec![]])
        .unwrap_err()
        .to_string();
    assert!(e.contains("no training sentence has a token"), "{e}");
    let e = quick().fit(&[], &[]).unwrap_err().to_string();
    assert!(e.contains("no training sentences"), "{e}");
}

#[test]
fn non_iob_tags_are_rejected_with_position() {
    let (x, mut y) = fixture();
    for bad in ["Drugname", "B-", "X-ADR", "b-ADR", "", "B-AD\0R", "I"] {
        y[2][1] = bad.to_string();
        let e = quick().fit(&x, &y).unwrap_err().to_string();
        assert!(
            e.contains("sentence 2") && e.contains("token 1") && e.contains("not IOB"),
            "{bad:?}: {e}"
        );
        assert!(e.contains(&format!("{bad:?}")), "{e}");
    }
}

#[test]
fn mismatched_lengths_are_rejected() {
    let (x, mut y) = fixture();
    y[4].pop();
    let e = quick().fit(&x, &y).unwrap_err().to_string();
    assert!(
        e.contains("sentence 4") && e.contains("3 tokens but 2 tags"),
        "{e}"
    );
    let (x, y) = fixture();
    let e = quick().fit(&x, &y[..5]).unwrap_err().to_string();
    assert!(e.contains("10 sentences but 5"), "{e}");
}

#[test]
fn odd_tokens_train_and_predict_without_panicking() {
    let (mut x, mut y) = fixture();
    // Spaces, tabs and colons go into attribute names verbatim, as in
    // python-crfsuite; a NUL ends the name as a C string would.
    x.push(vec![
        "Доза:".into(),
        "2 мг".into(),
        "a\tb".into(),
        "x\0y".into(),
        "Аспирин".into(),
    ]);
    y.push(toks("O O O O B-Drugname"));
    let crf = quick().fit(&x, &y).unwrap();
    let got = crf
        .predict(&[
            "Доза:",
            "2 мг",
            "a\tb",
            "x\0y",
            "Аспирин",
            ":",
            " ",
            "\0",
            "",
        ])
        .unwrap();
    assert_eq!(got.len(), 9);
    assert_eq!(got[4], "B-Drugname");
}

#[test]
fn colon_attributes_are_distinct_from_split_ones() {
    // "word.lower():a:b" is one attribute name; no parsing splits it.
    let paper = Templates::default();
    let items = train_items(&paper, &["a:b"]);
    assert_eq!(items[0][1].name, "word.lower():a:b");
    assert_eq!(items[0][1].value, 1.0);
    let items = train_items(&paper, &["x\0y"]);
    assert_eq!(items[0][1].name, "word.lower():x");
}

fn words(s: &str) -> Vec<String> {
    s.split(' ').map(String::from).collect()
}

/// A small trained model's bytes, with every feature weight multiplied by `factor`.
fn scaled_model(factor: f64) -> Vec<u8> {
    let sents = [
        ("Принимал Арбидол три дня", "O B-Drug O O"),
        ("После Нурофена началась тошнота", "O B-Drug O B-ADR"),
        ("Была тошнота и головная боль", "O B-ADR O B-ADR I-ADR"),
        ("Врач выписал Анаферон", "O O B-Drug"),
    ];
    let (x, y): (Vec<_>, Vec<_>) = sents.iter().map(|(s, t)| (words(s), words(t))).unzip();
    let params = CrfParams {
        max_iterations: 30,
        ..CrfParams::default()
    };
    let mut bytes = params.fit(&x, &y).unwrap().to_bytes().to_vec();
    let h = reader::header(&bytes).unwrap();
    for fid in 0..h.num_features as usize {
        let at = h.off_features + reader::CHUNK_LEN + reader::FEATURE_LEN * fid + 12;
        let w = f64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
        bytes[at..at + 8].copy_from_slice(&(w * factor).to_le_bytes());
    }
    bytes
}

/// Weights far past what `exp` takes (but under the bound) load, and the marginals stay
/// finite, summing to 1 with the Viterbi tags most probable: the scaled recursion would
/// give NaN here, the log-space one takes over. Past the bound a model is refused.
#[test]
fn huge_weights_give_finite_marginals_or_are_refused() {
    let crf = Crf::from_bytes(scaled_model(1e60)).unwrap();
    let sent = words("После Арбидола головная боль");
    let items = crate::features::token::sent2features(&sent);
    let scaled = crf.tables.marginals_scaled(&items);
    assert!(
        scaled.iter().flatten().any(|p| !p.is_finite()),
        "the scaled recursion stayed finite: the test does not reach the fallback"
    );
    let m = crf.marginals(&sent).unwrap();
    let tags = crf.predict(&sent).unwrap();
    for (row, tag) in m.iter().zip(&tags) {
        assert!(row.iter().all(|p| p.is_finite()), "{row:?}");
        assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{row:?}");
        let best = (0..row.len())
            .max_by(|&a, &b| row[a].total_cmp(&row[b]))
            .unwrap();
        assert_eq!(&crf.labels()[best], tag);
    }
    // Ordinary weights: the log-space marginals equal the scaled ones.
    let plain = Crf::from_bytes(scaled_model(1.0)).unwrap();
    let a = plain.tables.marginals_scaled(&items);
    let b = plain.tables.marginals_log(&items);
    for (x, y) in a.iter().flatten().zip(b.iter().flatten()) {
        assert!((x - y).abs() < 1e-9, "{x} vs {y}");
    }
    let err = Crf::from_bytes(scaled_model(1e200))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("keeps every score and probability finite"),
        "{err}"
    );
}
