use super::*;
use crate::data::{Example, Gold, Input};
use crate::pipeline::Fitted;
use crate::pipeline::{self, ModelKind};
use crate::task;

fn bundle() -> Bundle {
    let t = task::find("top3").unwrap();
    let examples: Vec<Example> = ["A", "B", "A"]
        .iter()
        .enumerate()
        .map(|(i, l)| Example {
            id: (i as u64).into(),
            line: i + 1,
            input: Input::Text("x".into()),
            gold: Some(Gold::Label(l.to_string())),
        })
        .collect();
    let split = crate::data::Split {
        path: "t.jsonl".into(),
        examples,
    };
    Bundle {
        meta: BundleMeta {
            tool_version: "0".into(),
            hyperparameters: "{}".into(),
            train_files: vec![],
        },
        pipeline: pipeline::fit(&t, ModelKind::Naive, &Default::default(), &split).unwrap(),
    }
}

#[test]
fn round_trip() {
    let b = bundle();
    let back = Bundle::from_bytes(&b.to_bytes().unwrap()).unwrap();
    assert_eq!(back.meta, b.meta);
    assert_eq!(back.pipeline.task, b.pipeline.task);
    // The streamed file holds exactly the in-memory encoding.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.rmb");
    b.save(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b.to_bytes().unwrap());
}

fn multi_label_bundle() -> Bundle {
    let mut t = crate::task::TaskFile {
        name: Some("codes".into()),
        text_fields: vec!["text".into()],
        label_field: Some("codes".into()),
        label_separator: Some(";".into()),
        train: Some("t.tsv".into()),
        ..Default::default()
    }
    .spec()
    .unwrap();
    t.settle_metrics(3);
    let texts = [
        "боль в спине",
        "изжога и тошнота",
        "боль и изжога",
        "давление",
    ];
    let sets: [&[&str]; 4] = [&["M54"], &["K29"], &["K29", "M54"], &[]];
    let examples = texts
        .iter()
        .zip(sets)
        .enumerate()
        .map(|(i, (x, l))| Example {
            id: (i as u64).into(),
            line: i + 1,
            input: Input::Text(x.to_string()),
            gold: Some(Gold::Labels(l.iter().map(|s| s.to_string()).collect())),
        })
        .collect();
    let split = crate::data::Split {
        path: "t.tsv".into(),
        examples,
    };
    let mut settings = pipeline::FitSettings::default();
    settings.multi.threshold = 0.3;
    settings.multi.allow_empty = true;
    Bundle {
        meta: bundle().meta,
        pipeline: pipeline::fit(&t, ModelKind::Feature, &settings, &split).unwrap(),
    }
}

#[test]
fn identity_reads_the_task_of_single_and_multi_label_files() {
    let dir = tempfile::tempdir().unwrap();
    for (name, b) in [("s.rmb", bundle()), ("m.rmb", multi_label_bundle())] {
        let path = dir.path().join(name);
        b.save(&path).unwrap();
        let id = Bundle::read_identity(&path).unwrap();
        assert_eq!(id.task.name, b.pipeline.task.name);
        assert_eq!(id.task.label_field, b.pipeline.task.label_field);
        assert_eq!(id.kind, b.pipeline.kind);
        assert_eq!(id.meta, b.meta);
    }
}

/// A format-5 payload: the settings' JSON object and the bytes after it.
fn settings_of(bytes: &[u8]) -> (serde_json::Value, Vec<u8>) {
    let p = &bytes[HEADER_LEN..];
    let n = u32::from_le_bytes(p[..4].try_into().unwrap()) as usize;
    (
        serde_json::from_slice(&p[4..4 + n]).unwrap(),
        p[4 + n..].to_vec(),
    )
}

/// `settings` (JSON) and `arrays` as a signed format-5 model file.
fn format_5(settings: &serde_json::Value, arrays: &[u8]) -> Vec<u8> {
    let json = serde_json::to_vec(settings).unwrap();
    let mut payload = (json.len() as u32).to_le_bytes().to_vec();
    payload.extend(json);
    payload.extend_from_slice(arrays);
    let mut v = MAGIC.to_vec();
    v.extend_from_slice(&FORMAT_SELF_DESCRIBING.to_le_bytes());
    v.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    v.extend_from_slice(&Sha256::digest(&payload));
    v.extend(payload);
    v
}

#[test]
fn every_model_is_written_in_format_5_with_its_settings_by_name() {
    let single = bundle().to_bytes().unwrap();
    assert_eq!(single[8..12], FORMAT_SELF_DESCRIBING.to_le_bytes());
    let b = multi_label_bundle();
    let bytes = b.to_bytes().unwrap();
    assert_eq!(bytes[8..12], FORMAT_SELF_DESCRIBING.to_le_bytes());
    let (settings, arrays) = settings_of(&bytes);
    assert_eq!(
        settings["task"]["name"],
        serde_json::json!(b.pipeline.task.name)
    );
    assert_eq!(settings["model"], "feature");
    assert_eq!(settings["fitted"], "text");
    assert_eq!(settings["multi_label"]["threshold"], 0.3);
    assert_eq!(
        settings["vectorizer"]["ngram_range"],
        serde_json::json!([3, 8])
    );
    let back = Bundle::from_bytes(&bytes).unwrap();
    assert_eq!(back.pipeline.task, b.pipeline.task);
    assert_eq!(back.meta, b.meta);
    assert!(back.pipeline.task.multi_label);
    assert_eq!(back.pipeline.task.label_separator.as_deref(), Some(";"));
    let rule = back.pipeline.multi_label.unwrap();
    assert_eq!((rule.threshold, rule.allow_empty), (0.3, true));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.rmb");
    b.save(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    // The file as written, re-signed from its parts, is the same file.
    assert_eq!(format_5(&settings, &arrays), bytes);

    // A setting missing (written before it existed) takes its default; a key this build
    // does not know (written after) is ignored: no new format either way.
    let mut older = settings.clone();
    older["vectorizer"]
        .as_object_mut()
        .unwrap()
        .remove("max_features");
    older["vectorizer"]
        .as_object_mut()
        .unwrap()
        .remove("analyzer");
    older["future_setting"] = serde_json::json!({"x": 1});
    let back = Bundle::from_bytes(&format_5(&older, &arrays)).unwrap();
    let Fitted::Text(m) = &back.pipeline.model else {
        panic!("not a text model")
    };
    assert_eq!(
        m.tfidf.params(),
        &crate::features::tfidf::TfidfParams::default()
    );

    // Crafted settings are clear errors.
    let err = |v: Vec<u8>| Bundle::from_bytes(&v).unwrap_err().to_string();
    let mut bad = settings.clone();
    bad["vectorizer"]["ngram_range"] = serde_json::json!([3, 2]);
    let e = err(format_5(&bad, &arrays));
    assert!(e.contains("the vectorizer: ngram_range"), "{e}");
    let mut bad = settings.clone();
    bad["multi_label"] = serde_json::Value::Null;
    let e = err(format_5(&bad, &arrays));
    assert!(e.contains("multi-label flag disagrees"), "{e}");
    let mut longer = arrays.clone();
    longer.push(0);
    let e = err(format_5(&settings, &longer));
    assert!(e.contains("1 bytes follow the text model"), "{e}");
    let mut claim = format_5(&settings, &arrays);
    let n = claim.len() as u32;
    claim[HEADER_LEN..HEADER_LEN + 4].copy_from_slice(&n.to_le_bytes());
    let payload = claim[HEADER_LEN..].to_vec();
    claim[20..HEADER_LEN].copy_from_slice(&Sha256::digest(&payload));
    let e = err(claim);
    assert!(e.contains("the settings claim"), "{e}");
    let e = err(format_5(&serde_json::json!({"task": 1}), &arrays));
    assert!(e.contains("cannot decode the settings"), "{e}");
}

#[test]
fn the_new_vectorizer_settings_round_trip_by_name() {
    use crate::features::analyzer::Analyzer;
    use crate::pipeline::FitSettings;
    let t = task::find("top3").unwrap();
    let examples: Vec<Example> = ["боль в груди", "кашель и насморк", "боль в горле"]
        .iter()
        .zip(["A", "B", "A"])
        .enumerate()
        .map(|(i, (x, l))| Example {
            id: (i as u64).into(),
            line: i + 1,
            input: Input::Text(x.to_string()),
            gold: Some(Gold::Label(l.to_string())),
        })
        .collect();
    let split = crate::data::Split {
        path: "t.jsonl".into(),
        examples,
    };
    let bundle = |settings: &FitSettings| Bundle {
        meta: BundleMeta {
            tool_version: "0".into(),
            hyperparameters: "{}".into(),
            train_files: vec![],
        },
        pipeline: pipeline::fit(&t, ModelKind::Feature, settings, &split).unwrap(),
    };
    let plain = bundle(&FitSettings::default()).to_bytes().unwrap();
    let mut word = FitSettings::default();
    word.tfidf.analyzer = Analyzer::Word;
    word.tfidf.ngram_min = 1;
    word.tfidf.max_features = Some(4);
    let b = bundle(&word);
    let bytes = b.to_bytes().unwrap();
    let (settings, _) = settings_of(&bytes);
    assert_eq!(settings["vectorizer"]["analyzer"], "word");
    assert_eq!(settings["vectorizer"]["max_features"], 4);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.rmb");
    b.save(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    let back = Bundle::from_bytes(&bytes).unwrap();
    let Fitted::Text(m) = &back.pipeline.model else {
        panic!("not a text model")
    };
    assert_eq!(m.tfidf.params(), &word.tfidf);
    assert_eq!(m.tfidf.n_features(), 4);
    assert_eq!(back.pipeline.multi_label, None);
    // The paper's recipe loads with the default vectorizer.
    let Fitted::Text(m) = Bundle::from_bytes(&plain).unwrap().pipeline.model else {
        panic!("not a text model")
    };
    assert_eq!(m.tfidf.params(), &FitSettings::default().tfidf);
}

#[test]
fn bad_files_are_errors_not_panics() {
    let bytes = bundle().to_bytes().unwrap();
    let err = |b: &[u8]| Bundle::from_bytes(b).unwrap_err().to_string();
    assert!(err(b"{\"json\": true}").contains("not a rumedbench model"));
    assert!(err(&bytes[..30]).contains("truncated"));
    assert!(err(&bytes[..bytes.len() - 1]).contains("truncated"));
    let mut newer = bytes.clone();
    newer[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
    assert!(err(&newer).contains("newer"));
    // Random bytes after the magic are corruption, not a newer format.
    let mut random = bytes.clone();
    random[8..12].copy_from_slice(&3_866_676_785u32.to_le_bytes());
    let e = err(&random);
    assert!(e.contains("corrupted") && !e.contains("upgrade"), "{e}");
    // A file cut inside the magic is truncated, not foreign.
    assert!(
        err(&bytes[..4]).contains("truncated"),
        "{}",
        err(&bytes[..4])
    );
    let mut flipped = bytes.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0xff;
    assert!(err(&flipped).contains("checksum"));
    // Every truncation point is handled without a panic.
    for cut in 0..bytes.len() {
        assert!(Bundle::from_bytes(&bytes[..cut]).is_err());
    }
}

/// A CRF trained on a few sentences with `templates`, as a bundle.
fn crf_bundle(templates: &str) -> Bundle {
    let toks = |s: &str| -> Vec<String> { s.split(' ').map(String::from).collect() };
    let data = [
        ("Принимал Арбидол три дня", "O B-Drugname O O"),
        ("После Нурофена началась тошнота", "O B-Drugname O B-ADR"),
        ("Была тошнота и головная боль", "O B-ADR O B-ADR I-ADR"),
        ("Врач выписал Анаферон", "O O B-Drugname"),
    ];
    let (sents, tags): (Vec<_>, Vec<_>) = data.iter().map(|(s, t)| (toks(s), toks(t))).unzip();
    let settings = pipeline::FitSettings {
        crf: crate::models::crf::CrfParams {
            max_iterations: 30,
            templates: crate::features::crf_templates::Templates::parse_list(templates).unwrap(),
            ..Default::default()
        },
        ..Default::default()
    };
    let t = task::find("ner").unwrap();
    let rows = pipeline::Rows::memory();
    let p = pipeline::fit_tagger(&t, ModelKind::Feature, &sents, &tags, &settings, &rows);
    Bundle {
        meta: BundleMeta {
            tool_version: "0".into(),
            hyperparameters: "{}".into(),
            train_files: vec![],
        },
        pipeline: p.unwrap(),
    }
}

/// The signed model file of `settings` and `arrays` in format `version`.
fn signed(version: u32, settings: &serde_json::Value, arrays: &[u8]) -> Vec<u8> {
    let mut v = format_5(settings, arrays);
    v[8..12].copy_from_slice(&version.to_le_bytes());
    v
}

/// CRF feature templates other than the paper's are kept by name in the settings, in format 6
/// (older builds refuse it as newer); the paper's CRF stays format 5 without them. A name this
/// build does not know is a clear model-file error.
#[test]
fn crf_templates_are_kept_by_name_in_format_6() {
    let paper = crf_bundle("paper").to_bytes().unwrap();
    assert_eq!(paper[8..12], FORMAT_SELF_DESCRIBING.to_le_bytes());
    assert!(settings_of(&paper).0.get("crf_templates").is_none());

    let b = crf_bundle("lower,affix:2-3,window:1,bigram");
    let bytes = b.to_bytes().unwrap();
    assert_eq!(bytes[8..12], FORMAT_CRF_TEMPLATES.to_le_bytes());
    let (settings, arrays) = settings_of(&bytes);
    assert_eq!(
        settings["crf_templates"],
        serde_json::json!(["lower", "affix:2-3", "window:1", "bigram"])
    );
    let probe = [vec![
        "После".to_string(),
        "Арбидола".into(),
        "тошнота".into(),
    ]];
    let (Fitted::Crf(want), Fitted::Crf(got)) = (
        &b.pipeline.model,
        &Bundle::from_bytes(&bytes).unwrap().pipeline.model,
    ) else {
        panic!("not a CRF")
    };
    assert_eq!(got.templates(), want.templates());
    assert_eq!(
        got.predict_batch(&probe).unwrap(),
        want.predict_batch(&probe).unwrap()
    );

    let mut unknown = settings.clone();
    unknown["crf_templates"] = serde_json::json!(["lower", "suffixes:2"]);
    let e = Bundle::from_bytes(&signed(FORMAT_CRF_TEMPLATES, &unknown, &arrays))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("CRF feature templates cannot be read")
            && e.contains("unknown CRF feature template \"suffixes:2\""),
        "{e}"
    );
    let mut misplaced = settings_of(&bundle().to_bytes().unwrap());
    misplaced.0["crf_templates"] = serde_json::json!(["lower"]);
    let e = Bundle::from_bytes(&signed(FORMAT_CRF_TEMPLATES, &misplaced.0, &misplaced.1))
        .unwrap_err()
        .to_string();
    assert!(e.contains("not a CRF"), "{e}");
    // In format 5, templates are refused before they are read: format 5 never holds them.
    let e = Bundle::from_bytes(&signed(5, &misplaced.0, &misplaced.1))
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("format 5") && e.contains("CRF feature templates"),
        "{e}"
    );
}

#[test]
fn a_union_model_is_format_6_and_round_trips_with_its_blocks() {
    let t = task::find("danet").unwrap();
    let examples: Vec<Example> = [
        ("боль в груди есть", "есть ли боль?", "да"),
        ("кашель три дня", "нет ли кашля?", "нет"),
        ("сыпь и зуд", "есть ли зуд?", "да"),
        ("температура нормальная", "есть ли жар?", "нет"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (a, b, l))| Example {
        id: (i as u64).into(),
        line: i + 1,
        input: Input::Pair(a.to_string(), b.to_string()),
        gold: Some(Gold::Label(l.to_string())),
    })
    .collect();
    let split = crate::data::Split {
        path: "t.jsonl".into(),
        examples: examples.clone(),
    };
    let b = Bundle {
        meta: bundle().meta,
        pipeline: pipeline::fit(&t, ModelKind::Plus, &Default::default(), &split).unwrap(),
    };
    let Fitted::Union(m) = &b.pipeline.model else {
        panic!("plus on a pair task fits a union model");
    };
    let bytes = b.to_bytes().unwrap();
    // An older build (formats up to 5) refuses it as a newer format.
    assert_eq!(bytes[8..12], FORMAT_UNION.to_le_bytes());
    const { assert!(FORMAT_UNION > FORMAT_SELF_DESCRIBING) };
    let back = Bundle::from_bytes(&bytes).unwrap();
    assert_eq!(back.pipeline.kind, ModelKind::Plus);
    let Fitted::Union(m2) = &back.pipeline.model else {
        panic!("a union model reads back as one");
    };
    assert_eq!(m2.union.params(), m.union.params());
    assert_eq!(
        back.pipeline.predict(&examples, 2).unwrap(),
        b.pipeline.predict(&examples, 2).unwrap()
    );
    // The settings name the blocks.
    let (s, _) = v5::read_settings(&bytes[HEADER_LEN..]).unwrap();
    let json = serde_json::to_string(&s.union.as_ref().map(|u| &u.blocks)).unwrap();
    assert!(json.contains(r#""field":"second""#), "{json}");
    // A format-5 header over a union payload is corruption, not a model.
    let mut five = bytes.clone();
    five[8..12].copy_from_slice(&FORMAT_SELF_DESCRIBING.to_le_bytes());
    let e = Bundle::from_bytes(&five).unwrap_err().to_string();
    assert!(e.contains("corrupted"), "{e}");
}

/// A union with a `stem` block is kept by its blocks' names in format 6 and predicts the same
/// after a round trip; an analyzer this build does not know, in a crafted file, is a clear
/// model-file error naming it, not a panic.
#[test]
fn a_stem_block_round_trips_and_an_unknown_analyzer_is_a_model_error() {
    let t = task::find("top3").unwrap();
    let examples: Vec<Example> = [
        ("болит голова, головные боли", "G43"),
        ("кашель и кашляет ночью", "J06"),
        ("головная боль с утра", "G43"),
        ("кашлял неделю, ещё кашель", "J06"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (x, l))| Example {
        id: (i as u64).into(),
        line: i + 1,
        input: Input::Text(x.to_string()),
        gold: Some(Gold::Label(l.to_string())),
    })
    .collect();
    let split = crate::data::Split {
        path: "t.jsonl".into(),
        examples: examples.clone(),
    };
    let settings = pipeline::FitSettings {
        union: crate::recipe::blocks::parse_blocks("char:2-3,stem:1-2:sub")
            .unwrap()
            .union(false)
            .unwrap(),
        ..Default::default()
    };
    let b = Bundle {
        meta: bundle().meta,
        pipeline: pipeline::fit(&t, ModelKind::Feature, &settings, &split).unwrap(),
    };
    let bytes = b.to_bytes().unwrap();
    assert_eq!(bytes[8..12], FORMAT_UNION.to_le_bytes());
    let back = Bundle::from_bytes(&bytes).unwrap();
    let (Fitted::Union(want), Fitted::Union(got)) = (&b.pipeline.model, &back.pipeline.model)
    else {
        panic!("a union model reads back as one");
    };
    assert_eq!(got.union.params(), want.union.params());
    assert_eq!(
        back.pipeline.predict(&examples, 2).unwrap(),
        b.pipeline.predict(&examples, 2).unwrap()
    );
    let (settings, arrays) = settings_of(&bytes);
    assert_eq!(settings["union"]["blocks"][1]["analyzer"], "stem");

    let mut unknown = settings.clone();
    unknown["union"]["blocks"][1]["analyzer"] = serde_json::json!("lemma");
    let crafted = signed(FORMAT_UNION, &unknown, &arrays);
    let e = Bundle::from_bytes(&crafted).unwrap_err().to_string();
    assert!(
        e.contains("cannot decode the settings") && e.contains("unknown variant `lemma`"),
        "{e}"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crafted.rmb");
    std::fs::write(&path, &crafted).unwrap();
    match Bundle::load(&path) {
        Err(crate::error::Error::Model { path: p, message }) => {
            assert_eq!(p, path);
            assert!(message.contains("unknown variant `lemma`"), "{message}");
        }
        other => panic!("not a model error: {:?}", other.map(|_| ())),
    }
}
