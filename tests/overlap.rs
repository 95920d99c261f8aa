//! `train` with several tasks runs the CRF tasks on their own thread beside the text tasks;
//! every output file must equal the one a task-by-task (sequential) run writes.

use std::path::{Path, PathBuf};

use rumedbench::commands::train::{self, TaskSource, TrainRequest};
use rumedbench::pipeline::{FitSettings, ModelKind};
use rumedbench::task::TaskFile;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/toy")
        .join(name)
}

fn source(tf: TaskFile) -> TaskSource {
    TaskSource {
        spec: tf.spec().unwrap(),
        train: tf.train.clone().unwrap(),
        dev: tf.dev.clone(),
        test: tf.test.clone(),
        custom: true,
        delimiter: None,
        encoding: None,
    }
}

fn tasks() -> Vec<TaskSource> {
    let text = TaskFile {
        name: Some("toytext".into()),
        id_field: Some("id".into()),
        text_fields: vec!["text".into()],
        label_field: Some("label".into()),
        train: Some(fixture("train.jsonl")),
        dev: Some(fixture("dev.jsonl")),
        test: Some(fixture("test.jsonl")),
        ..TaskFile::default()
    };
    let tags = TaskFile {
        name: Some("toyner".into()),
        id_field: Some("id".into()),
        tokens_field: Some("tokens".into()),
        tags_field: Some("tags".into()),
        train: Some(fixture("ner_train.jsonl")),
        dev: Some(fixture("ner_dev.jsonl")),
        test: Some(fixture("ner_test.jsonl")),
        ..TaskFile::default()
    };
    // The tagging task first: the overlapped run must still report in task order.
    vec![source(tags), source(text)]
}

fn request(tasks: Vec<TaskSource>, root: &Path) -> TrainRequest {
    TrainRequest {
        tasks,
        kind: ModelKind::Feature,
        settings: FitSettings::default(),
        out: root.join("out"),
        models_dir: root.join("models"),
        model_out: None,
        tune_threshold: false,
        positive_label: None,
        force: false,
        max_memory: None,
    }
}

fn files(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for sub in ["out/feature", "models"] {
        let mut names: Vec<PathBuf> = std::fs::read_dir(root.join(sub))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        for p in names {
            // Run records hold wall times and peak memory, which differ run to run; the lock
            // file (`.rumedbench.lock`) is empty and not an output.
            if p.to_string_lossy().ends_with(".run.json")
                || p.to_string_lossy().ends_with(".rumedbench.lock")
            {
                continue;
            }
            out.push((
                p.strip_prefix(root).unwrap().display().to_string(),
                std::fs::read(&p).unwrap(),
            ));
        }
    }
    out
}

#[test]
fn overlapped_run_writes_what_a_sequential_run_writes() {
    let both = tempfile::tempdir().unwrap();
    let mut log = Vec::new();
    let runs = train::run(&request(tasks(), both.path()), &mut log).unwrap();
    assert_eq!(runs.len(), 2);
    let log = String::from_utf8(log).unwrap();
    let (ner, text) = (
        log.find("toyner (").unwrap(),
        log.find("toytext (").unwrap(),
    );
    assert!(ner < text, "log not in task order:\n{log}");

    let one_by_one = tempfile::tempdir().unwrap();
    for t in tasks() {
        train::run(&request(vec![t], one_by_one.path()), &mut Vec::new()).unwrap();
    }
    let (a, b) = (files(both.path()), files(one_by_one.path()));
    assert_eq!(
        a.len(),
        4,
        "{:?}",
        a.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert_eq!(
        a.iter().map(|f| &f.0).collect::<Vec<_>>(),
        b.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for ((name, x), (_, y)) in a.iter().zip(&b) {
        assert!(
            x == y,
            "{name} differs between the overlapped and the sequential run"
        );
    }
}
