use super::{model::*, normalize::*, params::*};
use crate::features::analyzer::{for_each_term, Analyzer};

fn p(min: usize, max: usize) -> TfidfParams {
    TfidfParams {
        ngram_min: min,
        ngram_max: max,
        ..TfidfParams::default()
    }
}

fn approx(a: f32, b: f64) -> bool {
    (a as f64 - b).abs() < 1e-6
}

#[test]
fn normalize_lowercases_and_collapses_whitespace_runs() {
    assert_eq!(normalize("Боль В ГОЛОВЕ"), "боль в голове");
    // A lone tab or newline survives; any run of 2+ becomes one space.
    assert_eq!(normalize("a\tb"), "a\tb");
    assert_eq!(normalize("a\nb"), "a\nb");
    assert_eq!(normalize("a \t b"), "a b");
    assert_eq!(normalize("a\n\nb   c"), "a b c");
    // U+001C is whitespace for Python but not for char::is_whitespace.
    assert_eq!(normalize("a\u{1c}\u{1d}b"), "a b");
    assert_eq!(normalize("a\u{a0}\u{3000}b"), "a b");
    // Python: 'ΑΣ ΣΑ Σ'.lower() == 'ας σα σ', 'İ'.lower() == 'i\u0307'.
    assert_eq!(normalize("ΑΣ ΣΑ Σ"), "ας σα σ");
    assert_eq!(normalize("İ"), "i\u{307}");
    assert_eq!(normalize(""), "");
}

#[test]
fn ngrams_over_code_points() {
    let mut b = Vec::new();
    let mut got = Vec::new();
    for_each_term(Analyzer::Char, "абвг", (3, 8), &mut b, |g| {
        got.push(g.to_string())
    });
    // 4 chars: two 3-grams, one 4-gram, nothing longer.
    assert_eq!(got, vec!["абв", "бвг", "абвг"]);
    got.clear();
    for_each_term(Analyzer::Char, "аб", (3, 8), &mut b, |g| {
        got.push(g.to_string())
    });
    assert!(got.is_empty());
    for_each_term(Analyzer::Char, "", (3, 8), &mut b, |g| {
        got.push(g.to_string())
    });
    assert!(got.is_empty());
}

#[test]
fn check_rejects_bad_ranges() {
    let e = p(0, 3).check().unwrap_err().to_string();
    assert!(e.contains("ngram_min") && e.contains('0'), "{e}");
    let e = p(5, 3).check().unwrap_err().to_string();
    assert!(e.contains('5') && e.contains('3'), "{e}");
    assert!(p(3, 3).check().is_ok());
    assert!(TfidfParams::default().check().is_ok());
    assert_eq!(TfidfParams::default(), p(3, 8));
}

#[test]
fn fit_hand_computed_trigrams() {
    // Docs after lower(): "абв", "абвг", "аб" (too short: empty row).
    // Vocabulary (code point order): "абв" < "бвг".
    // df(абв) = 2, df(бвг) = 1, n = 3.
    // idf(абв) = ln(4/3) + 1 = 1.2876821, idf(бвг) = ln(4/2) + 1 = 1.6931472.
    let (m, x) = p(3, 3).fit(&["АБВ", "абвг", "Аб"]).unwrap();
    assert_eq!(m.vocabulary(), &["абв".to_string(), "бвг".to_string()]);
    assert!(approx(m.idf()[0], (4.0f64 / 3.0).ln() + 1.0));
    assert!(approx(m.idf()[1], 2.0f64.ln() + 1.0));
    // Row 0: only "абв" -> normalised to 1.
    assert_eq!(x.row(0).0, &[0]);
    assert!(approx(x.row(0).1[0], 1.0));
    // Row 1: (1.2876821, 1.6931472) / 2.1271776.
    let (a, b) = ((4.0f64 / 3.0).ln() + 1.0, 2.0f64.ln() + 1.0);
    let nrm = (a * a + b * b).sqrt();
    assert_eq!(x.row(1).0, &[0, 1]);
    assert!(approx(x.row(1).1[0], a / nrm));
    assert!(approx(x.row(1).1[1], b / nrm));
    // Row 2: shorter than 3 chars.
    assert!(x.row(2).0.is_empty());
    assert_eq!((x.n_rows, x.n_cols), (3, 2));
}

#[test]
fn raw_counts_and_sublinear() {
    // "aaaa": trigram "aaa" twice; single document so idf = ln(2/2)+1 = 1.
    // Two features "aaa" (tf 2) and "aaaa" (tf 1); L2 of (2, 1) = sqrt 5.
    let (_, x) = p(3, 4).fit(&["aaaa"]).unwrap();
    assert!(approx(x.row(0).1[0], 2.0 / 5f64.sqrt()));
    assert!(approx(x.row(0).1[1], 1.0 / 5f64.sqrt()));
    // Sublinear: tf 2 -> 1 + ln 2 = 1.6931472.
    let params = TfidfParams {
        sublinear_tf: true,
        ..p(3, 4)
    };
    let (_, x) = params.fit(&["aaaa"]).unwrap();
    let t = 1.0 + 2f64.ln();
    let nrm = (t * t + 1.0).sqrt();
    assert!(approx(x.row(0).1[0], t / nrm));
    assert!(approx(x.row(0).1[1], 1.0 / nrm));
}

#[test]
fn whitespace_affects_ngrams() {
    // "a \t b" collapses to "a b": one trigram. "a\tb" keeps its tab.
    let (m, _) = p(3, 3).fit(&["a \t b", "a\tb"]).unwrap();
    assert_eq!(m.vocabulary(), &["a\tb".to_string(), "a b".to_string()]);
}

#[test]
fn vocabulary_is_code_point_sorted() {
    // Upper-case is lowered first; code points 'z' U+007A < 'а' U+0430
    // < 'я' U+044F < 'ё' U+0451, so "ёёё" sorts last (not alphabetically).
    let (m, _) = p(3, 3).fit(&["ЁЁЁ", "яяя", "zzz", "ааа"]).unwrap();
    assert_eq!(m.vocabulary(), &["zzz", "ааа", "яяя", "ёёё"]);
    for (i, t) in m.vocabulary().iter().enumerate() {
        assert_eq!(m.feature_index(t), Some(i));
        assert_eq!(m.feature_name(i), Some(t.clone()));
    }
    assert_eq!(m.feature_index("nope"), None);
}

#[test]
fn transform_ignores_unseen_and_matches_fit() {
    let docs = ["Жалобы на боль", "боль в\tгруди", "кашель  и   насморк"];
    let (m, x) = TfidfParams::default().fit(&docs).unwrap();
    assert_eq!(m.transform(&docs), x);
    // "qqq" unseen: row all-zero; "боль xyz" keeps only the seen n-grams.
    let y = m.transform(&["qqq", "", "боль xyz"]);
    assert!(y.row(0).0.is_empty());
    assert!(y.row(1).0.is_empty());
    let (idx, val) = y.row(2);
    // Seen n-grams of "боль xyz": "бол", "оль", "боль" (from both docs)
    // and "ль ", "оль ", "боль " (from "боль в"); nothing with x/y/z.
    let names: Vec<String> = idx
        .iter()
        .map(|&i| m.feature_name(i as usize).unwrap())
        .collect();
    assert_eq!(names, vec!["бол", "боль", "боль ", "ль ", "оль", "оль "]);
    let norm: f32 = val.iter().map(|v| v * v).sum();
    assert!((norm - 1.0).abs() < 1e-6);
}

#[test]
fn empty_vocabulary_is_an_error() {
    assert!(p(3, 8).fit(&["ab", ""]).is_err());
}

#[test]
fn serde_roundtrip_rebuilds_index_and_validates() {
    let (m, x) = TfidfParams::default()
        .fit(&["тест один", "тест два"])
        .unwrap();
    let json = serde_json::to_string(&m).unwrap();
    let back: Tfidf = serde_json::from_str(&json).unwrap();
    assert_eq!(back.transform(&["тест один", "тест два"]), x);
    let bad = Tfidf::from_parts(p(3, 3), vec!["b".into(), "a".into()], vec![1.0, 1.0]);
    assert!(bad.is_err());
    let bad = Tfidf::from_parts(p(3, 3), vec!["a".into()], vec![]);
    assert!(bad.is_err());
}
