use super::*;
use crate::data::{Example, Gold, Input};
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

#[test]
fn multi_label_models_are_format_3_and_single_label_ones_stay_format_2() {
    let single = bundle().to_bytes().unwrap();
    assert_eq!(single[8..12], FORMAT_BASE.to_le_bytes());
    // A format-2 payload is the plain encoding of the bundle: nothing appended.
    assert_eq!(
        single[HEADER_LEN..],
        postcard::to_stdvec(&bundle()).unwrap()[..]
    );
    let b = multi_label_bundle();
    let bytes = b.to_bytes().unwrap();
    assert_eq!(bytes[8..12], 3u32.to_le_bytes());
    let back = Bundle::from_bytes(&bytes).unwrap();
    assert_eq!(back.pipeline.task, b.pipeline.task);
    assert!(back.pipeline.task.multi_label);
    assert_eq!(back.pipeline.task.label_separator.as_deref(), Some(";"));
    let rule = back.pipeline.multi_label.unwrap();
    assert_eq!((rule.threshold, rule.allow_empty), (0.3, true));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.rmb");
    b.save(&path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    // Without its extension (a format-3 header on a format-2 payload), or with bytes after
    // it, a file is corrupted.
    let relabel = |mut v: Vec<u8>, payload: Vec<u8>| {
        v.truncate(HEADER_LEN);
        v[12..20].copy_from_slice(&(payload.len() as u64).to_le_bytes());
        v[20..HEADER_LEN].copy_from_slice(&Sha256::digest(&payload));
        v.extend(payload);
        v
    };
    let mut cut = single.clone();
    cut[8..12].copy_from_slice(&3u32.to_le_bytes());
    let e = Bundle::from_bytes(&cut).unwrap_err().to_string();
    assert!(e.contains("format-3 extension"), "{e}");
    let mut longer = bytes[HEADER_LEN..].to_vec();
    longer.push(0);
    let e = Bundle::from_bytes(&relabel(bytes.clone(), longer))
        .unwrap_err()
        .to_string();
    assert!(e.contains("follow the extension"), "{e}");
}

#[test]
fn format_4_only_for_the_new_vectorizer_settings() {
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
    let version = |b: &[u8]| u32::from_le_bytes(b[8..12].try_into().unwrap());
    let plain = bundle(&FitSettings::default()).to_bytes().unwrap();
    assert_eq!(version(&plain), FORMAT_BASE);
    let mut word = FitSettings::default();
    word.tfidf.analyzer = Analyzer::Word;
    word.tfidf.ngram_min = 1;
    word.tfidf.max_features = Some(4);
    let b = bundle(&word);
    let bytes = b.to_bytes().unwrap();
    assert_eq!(version(&bytes), FORMAT_VECTORIZER);
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
    // The format 2 file still loads, with the default vectorizer.
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
