//! Settings checked against what they cost before any work (issue #23): flags that used to be
//! accepted and then abort or fail at the very end are refused up front, with the figure or
//! the reason, before any data is read or any model trained. All data here is synthetic.

mod common;

use std::path::Path;

use common::run_in;

/// `n` labelled texts of about `len` characters each, as JSONL.
fn write_texts(path: &Path, n: usize, len: usize) {
    let words = [
        "боль",
        "в",
        "груди",
        "кашель",
        "сыпь",
        "на",
        "коже",
        "тошнота",
    ];
    let mut out = String::new();
    for i in 0..n {
        let mut text = String::new();
        let mut k = i;
        while text.chars().count() < len {
            text.push_str(words[k % words.len()]);
            text.push(' ');
            k = (k * 7 + 3) % 1009;
        }
        out.push_str(&format!(
            "{{\"text\": \"{} {i}\", \"label\": \"L{}\"}}\n",
            text.trim(),
            i % 3
        ));
    }
    std::fs::write(path, out).unwrap();
}

fn fails(dir: &Path, args: &[&str]) -> String {
    let o = run_in(dir, args);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!o.status.success(), "{args:?} succeeded:\n{err}");
    assert!(
        o.status.code().is_some(),
        "{args:?} ended by a signal:\n{err}"
    );
    err
}

/// Nothing was written: no predictions, no model, not even the output folders.
fn nothing_written(dir: &Path) {
    for sub in ["out", "models"] {
        assert!(!dir.join(sub).exists(), "{sub} was created");
    }
}

/// `--hash-features 28` on 40 documents took 3.15 GB and wrote a 1.07 GB model; 29 to 31
/// aborted on a failed allocation. The columns' cost is known before any data is read: the
/// train file here does not even exist, and the refusal names the estimate and the limit.
#[test]
fn hashed_columns_past_the_memory_are_refused_before_reading_data() {
    let dir = tempfile::tempdir().unwrap();
    let err = fails(
        dir.path(),
        &[
            "train",
            "--train",
            "absent.jsonl",
            "--text-field",
            "text",
            "--label-field",
            "label",
            "--hash-features",
            "28",
            "--max-memory",
            "1G",
        ],
    );
    assert!(
        err.contains("estimated 4,096 MiB")
            && err.contains("268435456 hashed columns")
            && err.contains("the model file alone would be about 1,024 MiB")
            && err.contains("1,024 MiB --max-memory allows"),
        "{err}"
    );
    assert!(!err.contains("absent.jsonl"), "{err}");
    nothing_written(dir.path());
    // 31 bits, the most the flag takes: 32 GiB.
    let err = fails(
        dir.path(),
        &[
            "train",
            "--train",
            "absent.jsonl",
            "--text-field",
            "text",
            "--label-field",
            "label",
            "--hash-features",
            "31",
            "--max-memory",
            "16G",
        ],
    );
    assert!(err.contains("estimated 32,768 MiB"), "{err}");
}

/// `--ngram-range 1,100` on RuMedDaNet took 3 GB and aborted. The n-grams' cost is estimated
/// from the train split as read, before fitting: refused with the count, nothing written;
/// the same data with the paper's range fits the same limit and trains.
#[test]
fn an_ngram_range_past_the_memory_is_refused_before_fitting() {
    let dir = tempfile::tempdir().unwrap();
    write_texts(&dir.path().join("long.jsonl"), 40, 500);
    let base = [
        "train",
        "--train",
        "long.jsonl",
        "--text-field",
        "text",
        "--label-field",
        "label",
        "--max-memory",
        "64M",
    ];
    let mut wide = base.to_vec();
    wide.extend(["--ngram-range", "1,100"]);
    let err = fails(dir.path(), &wide);
    assert!(
        err.contains("long: these settings need an estimated")
            && err.contains("n-grams of 1 to 100 characters in 40 training texts")
            && err.contains("64 MiB --max-memory allows"),
        "{err}"
    );
    assert!(!dir.path().join("models/long-feature.rmb").exists());
    assert!(!dir.path().join("out/feature/long.run.json").exists());
    common::ok_in(dir.path(), &base);
    assert!(dir.path().join("models/long-feature.rmb").exists());
}

/// `--c1 1e300` ended in "attributes dictionary does not name all 0 ids" after training:
/// now refused when parsed, and from a task file before any data is read.
#[test]
fn crf_penalties_out_of_range_are_refused_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let err = fails(dir.path(), &["train", "--task", "ner", "--c1", "1e300"]);
    assert!(
        err.contains("a CRF penalty must be between 0 and 1e4, got 1e300"),
        "{err}"
    );
    for bad in ["nan", "-1", "inf"] {
        let err = fails(
            dir.path(),
            &["train", "--task", "ner", &format!("--c2={bad}")],
        );
        assert!(err.contains("CRF penalty"), "{bad}: {err}");
    }
    std::fs::write(
        dir.path().join("tags.toml"),
        "train = \"absent.jsonl\"\ntokens_field = \"tokens\"\ntags_field = \"tags\"\nc1 = 1e300\n",
    )
    .unwrap();
    let err = fails(dir.path(), &["train", "--task-file", "tags.toml"]);
    assert!(
        err.contains("c1: must be between 0 and 1e4, got 1e300"),
        "{err}"
    );
    assert!(!err.contains("absent.jsonl"), "{err}");
    nothing_written(dir.path());
}

/// A task-file `name` with a NUL trained fully and failed when writing. It is refused when the
/// task file is read, naming the file, the line and the character.
#[test]
fn task_names_that_cannot_name_files_are_refused_when_the_task_file_is_read() {
    let dir = tempfile::tempdir().unwrap();
    write_texts(&dir.path().join("t.jsonl"), 12, 40);
    for (name, says) in [
        ("a\\u0000b", "control character (U+0000)"),
        ("tab\\there", "control character (U+0009)"),
        (".hidden", "must not start with '.'"),
        ("a/b", "path separator"),
    ] {
        std::fs::write(
            dir.path().join("task.toml"),
            format!(
                "# a task\ntrain = \"t.jsonl\"\ntext_fields = [\"text\"]\nlabel_field = \
                 \"label\"\nname = \"{name}\"\n"
            ),
        )
        .unwrap();
        let err = fails(dir.path(), &["train", "--task-file", "task.toml"]);
        assert!(err.contains("task.toml:5: name: "), "{name}: {err}");
        assert!(err.contains(says), "{name}: {err}");
        nothing_written(dir.path());
    }
}

/// `submit` into a folder it cannot write trained every model first and failed at the end.
/// The zip's folder is checked first: here the data folder is empty, and the error is about
/// the output folder (`/proc/self` takes no new file, whoever runs the test).
#[test]
fn submit_checks_its_folder_before_training() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("empty")).unwrap();
    let err = fails(
        dir.path(),
        &[
            "submit",
            "--data-dir",
            "empty",
            "--out",
            "/proc/self/submission.zip",
        ],
    );
    assert!(
        err.contains("submission folder /proc/self: cannot write in it"),
        "{err}"
    );
    let err = fails(
        dir.path(),
        &["submit", "--data-dir", "empty", "--out", "empty"],
    );
    assert!(err.contains("is a folder"), "{err}");
}

/// `tune` checks like `train`: a task file's hashing past `--max-memory` is refused before any
/// data is read, and every vectorizer of the grid is estimated on the train split before the
/// first fit (long texts: the grid's char 3–8-grams past a small limit), nothing written.
#[test]
fn tune_checks_the_grid_against_the_memory_before_any_fit() {
    let dir = tempfile::tempdir().unwrap();
    let task = |extra: &str| {
        format!(
            "name = \"costly\"\ntext_fields = [\"text\"]\nlabel_field = \"label\"\n\
             train = \"long.jsonl\"\ndev = \"long.jsonl\"\ntest = \"long.jsonl\"\n{extra}"
        )
    };
    std::fs::write(dir.path().join("hashed.toml"), task("hash_features = 28\n")).unwrap();
    let err = fails(
        dir.path(),
        &["tune", "--task-file", "hashed.toml", "--max-memory", "1G"],
    );
    assert!(
        err.contains("estimated 4,096 MiB") && err.contains("--max-memory allows"),
        "{err}"
    );
    assert!(!err.contains("long.jsonl"), "{err}");
    nothing_written(dir.path());

    write_texts(&dir.path().join("long.jsonl"), 40, 500);
    std::fs::write(dir.path().join("plain.toml"), task("")).unwrap();
    let err = fails(
        dir.path(),
        &["tune", "--task-file", "plain.toml", "--max-memory", "1M"],
    );
    assert!(
        err.contains("costly") && err.contains("--max-memory allows"),
        "{err}"
    );
    assert!(!dir.path().join("out/tuned/costly.jsonl").exists());
    assert!(!dir.path().join("models/costly-tuned.rmb").exists());
}
