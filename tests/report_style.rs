//! Charts a person puts in a paper (issue #22, item 6): a neutral default title on a user's own
//! tasks, settable axis titles, `--width/--height/--dpi`, each bar's figure written above it,
//! and a task a system lacks marked n/a (its legend says why). The PNG's Cyrillic spacing is
//! checked in `src/commands/report/png.rs`; the synthetic toy task is charted here.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

fn toy(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/toy")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

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

/// Two systems in `dir`: `a` scored the toy task as `toy` and `toy2`, `b` as `toy` only.
fn two_systems(dir: &Path) {
    for (out, name) in [("a", "toy"), ("a", "toy2"), ("b", "toy")] {
        common::ok_in(
            dir,
            &[
                "-q",
                "train",
                "--task-file",
                &toy("task.toml"),
                "--name",
                name,
                "--out",
                out,
                "--model-out",
                &format!("{out}-{name}.rmb"),
            ],
        );
    }
}

#[test]
fn own_task_charts_have_a_neutral_title_axis_titles_figures_and_marked_gaps() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    two_systems(d);
    let report = |extra: &[&str]| {
        let mut a = vec![
            "report",
            "a/feature",
            "b/feature",
            "--bootstrap",
            "20",
            "--out",
            "c.svg",
        ];
        a.extend(extra);
        common::ok_in(d, &a);
        svg_texts(&fs::read_to_string(d.join("c.svg")).unwrap())
    };
    let texts = report(&[]);
    let has = |texts: &[String], s: &str| texts.iter().any(|t| t == s);
    assert!(
        has(
            &texts,
            "Test scores, % (bars: primary figure; whiskers: 95% bootstrap interval)"
        ),
        "{texts:?}"
    );
    assert!(!texts.iter().any(|t| t.contains("RuMedBench")), "{texts:?}");
    assert!(has(&texts, "Task") && has(&texts, "Score, %"));
    // Three bars, three figures; b's empty toy2 slot is marked and explained.
    let figures = texts
        .iter()
        .filter(|t| t.parse::<f64>().is_ok() && t.contains('.'));
    assert_eq!(figures.count(), 3, "{texts:?}");
    assert!(has(&texts, "n/a"), "{texts:?}");
    assert!(
        has(&texts, "feature (n/a: no predictions for toy2)"),
        "{texts:?}"
    );

    let texts = report(&[
        "--x-title",
        "Задача",
        "--y-title",
        "Доля верных ответов, %",
        "--title",
        "Наши модели",
        "--no-values",
    ]);
    for want in ["Задача", "Доля верных ответов, %", "Наши модели"]
    {
        assert!(has(&texts, want), "no {want:?} in {texts:?}");
    }
    assert!(!has(&texts, "Task") && !has(&texts, "Score, %"));
    assert!(
        !texts
            .iter()
            .any(|t| t.parse::<f64>().is_ok() && t.contains('.')),
        "--no-values: {texts:?}"
    );

    // --width/--height size the SVG.
    report(&["--width", "640", "--height", "400"]);
    let svg = fs::read_to_string(d.join("c.svg")).unwrap();
    assert!(
        svg.contains("width=\"640\"") && svg.contains("height=\"400\""),
        "{}",
        &svg[..200]
    );
}

/// The width, height and pixels per metre of a PNG file.
fn png_size_and_density(png: &[u8]) -> (u32, u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    let phys = png
        .windows(4)
        .position(|w| w == b"pHYs")
        .expect("a pHYs chunk");
    (be(16), be(20), be(phys + 4))
}

#[test]
fn png_size_and_dpi_are_the_flags() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    two_systems(d);
    let png = |extra: &[&str]| {
        let mut a = vec!["report", "a/feature", "b/feature", "--out", "c.png"];
        a.extend(extra);
        common::ok_in(d, &a);
        png_size_and_density(&fs::read(d.join("c.png")).unwrap())
    };
    assert_eq!(
        png(&[]),
        (1100, 560, 3780),
        "the default: 1100 x 560 at 96 dpi"
    );
    assert_eq!(
        png(&["--width", "600", "--height", "400", "--dpi", "300"]),
        (1875, 1250, 11811)
    );
    // Same flags, same bytes.
    let first = fs::read(d.join("c.png")).unwrap();
    png(&["--width", "600", "--height", "400", "--dpi", "300"]);
    assert_eq!(first, fs::read(d.join("c.png")).unwrap());
    for bad in [["--dpi", "20"], ["--width", "10"], ["--height", "100000"]] {
        let mut a = vec!["report", "a/feature", "--out", "x.png"];
        a.extend(bad);
        let o = common::run_in(d, &a);
        assert!(!o.status.success(), "{bad:?} accepted");
        assert!(String::from_utf8_lossy(&o.stderr).contains(bad[0]));
        assert!(!d.join("x.png").exists());
    }
}
