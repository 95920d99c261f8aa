//! `report` writes a well-formed SVG or PNG chart, atomically, from the released outputs.

mod common;

use std::fs;
use std::process::{Command, Output};

/// The trimmed contents of every `<text ...>...</text>` element.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|chunk| {
            let body = &chunk[chunk.find('>')? + 1..];
            Some(body[..body.find("</text>")?].trim().to_string())
        })
        .collect()
}

fn run(args: &[&str]) -> Output {
    Command::new(common::bin()).args(args).output().unwrap()
}

#[test]
fn svg_chart_has_groups_legend_and_closes() {
    let refs = common::shared().join("reference_outputs");
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("charts/scores.svg");
    let o = run(&[
        "report",
        refs.join("feature_based").to_str().unwrap(),
        refs.join("rupoolbert").to_str().unwrap(),
        "--bootstrap",
        "100",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let svg = fs::read_to_string(&out).unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..80]);
    assert!(svg.trim_end().ends_with("</svg>"));
    assert_eq!(svg.matches("<text").count(), svg.matches("</text>").count());
    let texts = svg_texts(&svg);
    for name in [
        "Top3",
        "SymptomRec",
        "DaNet",
        "NLI",
        "NER",
        "Overall",
        "feature_based",
        "rupoolbert",
        "paper: Naive",
        "paper: Feature-based",
    ] {
        assert!(
            texts.iter().any(|t| t == name),
            "no text {name:?} in {texts:?}"
        );
    }
    assert!(
        !texts.iter().any(|t| t == "paper: RuPoolBERT"),
        "default paper rows only"
    );
    // Every text is Latin (ASCII).
    assert!(texts.iter().all(|t| t.is_ascii()), "{texts:?}");
    // Only the chart is left in the folder: no temporary file.
    assert_eq!(fs::read_dir(out.parent().unwrap()).unwrap().count(), 1);
}

#[test]
fn png_chart_has_signature_and_dimensions() {
    let refs = common::shared().join("reference_outputs");
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("scores.png");
    let o = run(&[
        "report",
        refs.join("naive").to_str().unwrap(),
        "--paper",
        "naive,rupoolbert,human",
        "--bootstrap",
        "50",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let png = fs::read(&out).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert_eq!(&png[12..16], b"IHDR");
    let w = u32::from_be_bytes(png[16..20].try_into().unwrap());
    let h = u32::from_be_bytes(png[20..24].try_into().unwrap());
    assert_eq!((w, h), (1100, 560));
    assert_eq!(fs::read_dir(t.path()).unwrap().count(), 1);
}

#[test]
fn bad_extension_and_unknown_paper_row_are_one_line_errors() {
    let refs = common::shared().join("reference_outputs");
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("scores.pdf");
    let dir = refs.join("naive");
    let o = run(&[
        "report",
        dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains(".svg or .png"), "{err}");
    assert!(!out.exists());
    let svg = t.path().join("x.svg");
    let o = run(&[
        "report",
        dir.to_str().unwrap(),
        "--paper",
        "gpt4",
        "--out",
        svg.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("`gpt4`"), "{err}");
    assert!(!svg.exists());
}

#[test]
fn cyrillic_labels_titles_and_an_incomplete_overall_are_drawn_as_said() {
    let refs = common::shared().join("reference_outputs");
    let t = tempfile::tempdir().unwrap();
    // A system with two of the five tasks.
    let partial = t.path().join("модель");
    fs::create_dir_all(&partial).unwrap();
    for f in ["RuMedTop3.jsonl", "RuMedDaNet.jsonl"] {
        fs::copy(refs.join("feature_based").join(f), partial.join(f)).unwrap();
    }
    let full = refs.join("feature_based");
    let label = format!("{}=Признаки", full.display());
    let out = t.path().join("c.svg");
    let o = run(&[
        "report",
        partial.to_str().unwrap(),
        full.to_str().unwrap(),
        "--label",
        &label,
        "--title",
        "Тест <1>",
        "--paper",
        "none",
        "--bootstrap",
        "50",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let texts = svg_texts(&fs::read_to_string(&out).unwrap());
    for want in [
        "Признаки",
        "Тест &lt;1&gt;",
        "модель (Overall counts 3 missing task(s) as 0; n/a: no predictions for SymptomRec, \
         NLI, NER)",
    ] {
        assert!(texts.iter().any(|t| t == want), "no {want:?} in {texts:?}");
    }
    // A label for a directory not given is refused.
    let o = run(&[
        "report",
        partial.to_str().unwrap(),
        "--label",
        "elsewhere=X",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--label elsewhere=...: not one of the directories"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn png_charts_are_written_0644_like_every_other_output() {
    use std::os::unix::fs::PermissionsExt;
    let refs = common::shared().join("reference_outputs");
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("c.png");
    let o = run(&[
        "report",
        refs.join("naive").to_str().unwrap(),
        "--bootstrap",
        "10",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mode = fs::metadata(&out).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o644, "{mode:o}");
}

fn toy(name: &str) -> String {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/toy")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

#[test]
fn own_tasks_are_charted_from_their_run_records_or_a_task_file() {
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("out");
    let models = t.path().join("models");
    let (out_s, models_s) = (out.to_str().unwrap(), models.to_str().unwrap());
    let trains: [&[&str]; 2] = [
        &[
            "--train",
            &toy("train.jsonl"),
            "--test",
            &toy("test.jsonl"),
            "--text-field",
            "text",
            "--label-field",
            "label",
            "--id-field",
            "id",
            "--name",
            "toy",
        ],
        &[
            "--train",
            &toy("ner_train.csv"),
            "--test",
            &toy("ner_test.csv"),
            "--tokens-field",
            "tokens",
            "--tags-field",
            "tags",
            "--id-field",
            "id",
            "--name",
            "toyner",
        ],
    ];
    for args in trains {
        let o = run(&[
            &["train", "--out", out_s, "--models-dir", models_s][..],
            args,
        ]
        .concat());
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let own = out.join("feature");
    let chart = t.path().join("own.svg");
    let o = run(&[
        "report",
        own.to_str().unwrap(),
        "--bootstrap",
        "50",
        "--out",
        chart.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no folder holds a RuMedBench task"), "{err}");
    let texts = svg_texts(&fs::read_to_string(&chart).unwrap());
    for want in ["toy", "toyner", "feature"] {
        assert!(texts.iter().any(|t| t == want), "no {want:?} in {texts:?}");
    }
    for absent in ["Overall", "Top3", "NER", "paper: Naive"] {
        assert!(
            !texts.iter().any(|t| t == absent),
            "{absent:?} in {texts:?}"
        );
    }

    // Beside a benchmark folder: the five tasks and Overall, then the own tasks; the own-task
    // folder has no Overall bar and no missing-task note, the benchmark one no own-task bars.
    let refs = common::shared()
        .join("reference_outputs")
        .join("feature_based");
    let o = run(&[
        "report",
        refs.to_str().unwrap(),
        own.to_str().unwrap(),
        "--bootstrap",
        "50",
        "--out",
        chart.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let texts = svg_texts(&fs::read_to_string(&chart).unwrap());
    let pos = |name: &str| texts.iter().position(|t| t == name);
    for want in [
        "Top3",
        "NER",
        "Overall",
        "toy",
        "toyner",
        "paper: Naive",
        // A folder without the benchmark's tasks: their slots are marked, and the legend says why.
        "feature (n/a: no predictions for Top3, SymptomRec, DaNet, NLI, NER)",
        "feature_based (n/a: no predictions for toy, toyner)",
        "n/a",
    ] {
        assert!(pos(want).is_some(), "no {want:?} in {texts:?}");
    }
    assert!(
        pos("Overall") < pos("toy"),
        "Overall before the own tasks: {texts:?}"
    );
    assert!(!texts.iter().any(|t| t.contains("missing")), "{texts:?}");

    // Predictions without a run record: found through --task-file only.
    let bare = t.path().join("bare");
    fs::create_dir_all(&bare).unwrap();
    fs::copy(own.join("toy.jsonl"), bare.join("toy.jsonl")).unwrap();
    let bare_s = bare.to_str().unwrap();
    let o = run(&["report", bare_s, "--out", chart.to_str().unwrap()]);
    assert!(!o.status.success(), "charted a folder with no known task");
    let o = run(&[
        "report",
        bare_s,
        own.to_str().unwrap(),
        "--task-file",
        &toy("task.toml"),
        "--bootstrap",
        "50",
        "--out",
        chart.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let texts = svg_texts(&fs::read_to_string(&chart).unwrap());
    for want in [
        "toy",
        "toyner",
        "bare (n/a: no predictions for toyner)",
        "feature",
        "n/a",
        // A chart of other tasks only gets a neutral title.
        "Test scores, % (bars: primary figure; whiskers: 95% bootstrap interval)",
    ] {
        assert!(texts.iter().any(|t| t == want), "no {want:?} in {texts:?}");
    }
}

/// Issue 22: `report --confusion` draws each single-label task's confusion matrix as a
/// heat-map beside the chart, with the counts `eval --confusion` prints; tasks of too many
/// labels get a note, and a folder with no such task is refused without writing anything.
#[test]
fn confusion_heat_maps_carry_the_eval_counts_and_are_written_with_the_chart() {
    let refs = common::shared().join("reference_outputs");
    let dir = refs.join("feature_based");
    let t = tempfile::tempdir().unwrap();
    let out = t.path().join("scores.svg");
    let o = run(&[
        "report",
        dir.to_str().unwrap(),
        "--bootstrap",
        "50",
        "--confusion",
        "--out",
        out.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("no heat-map for RuMedTop3"), "{err}");
    // The eval command's JSON matrix of DaNet: its counts are the heat-map's cell texts.
    let e = run(&[
        "eval",
        dir.to_str().unwrap(),
        "--confusion",
        "--format",
        "json",
    ]);
    assert!(e.status.success(), "{}", String::from_utf8_lossy(&e.stderr));
    let v: serde_json::Value = serde_json::from_slice(&e.stdout).unwrap();
    let matrix = &v["tasks"]["RuMedDaNet"]["confusion"]["matrix"];
    assert_eq!(matrix.as_array().map(Vec::len), Some(2), "{v}");
    let svg = fs::read_to_string(t.path().join("scores-confusion-RuMedDaNet.svg")).unwrap();
    assert!(svg.trim_end().ends_with("</svg>"));
    let texts = svg_texts(&svg);
    for row in matrix.as_array().unwrap() {
        for n in row.as_array().unwrap() {
            assert!(texts.contains(&n.to_string()), "no cell {n} in {texts:?}");
        }
    }
    for label in ["да", "нет", "gold", "predicted"] {
        assert!(
            texts.iter().any(|t| t == label),
            "no {label:?} in {texts:?}"
        );
    }
    assert!(t.path().join("scores-confusion-RuMedNLI.svg").is_file());
    assert!(!t.path().join("scores-confusion-RuMedTop3.svg").exists());

    // Only a tagging task: refused, and neither chart nor heat-map is written.
    let ner = t.path().join("ner");
    fs::create_dir(&ner).unwrap();
    fs::copy(dir.join("RuMedNER.jsonl"), ner.join("RuMedNER.jsonl")).unwrap();
    let out2 = t.path().join("ner.svg");
    let o = run(&[
        "report",
        ner.to_str().unwrap(),
        "--bootstrap",
        "50",
        "--confusion",
        "--out",
        out2.to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--confusion: no folder holds a single-label"),
        "{err}"
    );
    assert!(!out2.exists());
    let left: Vec<_> = fs::read_dir(t.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("ner") && n != "ner")
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
