use serde::Serialize;

use super::{hashing::*, model::*, packed::*, params::*};
use crate::features::analyzer::Analyzer;
use crate::features::limit::DocFreq;

/// Documents with Cyrillic, Latin, digits, tabs, newlines, repeated
/// n-grams and strings shorter than the n-gram range.
fn corpus() -> Vec<String> {
    let mut docs: Vec<String> = vec![
        "Жалобы на боль в груди, кашель.".into(),
        "БОЛЬ\tв голове\nи тошнота  2 дня".into(),
        "ёжик Ёжик ЁЖИК".into(),
        "ab".into(),
        "".into(),
        "aaaaaaaaaaaa".into(),
    ];
    let mut state = 7u64;
    let letters: Vec<char> = "абвгдеёжз ийклмнопрстуфхцчшщъыьэюяabc-.,\t\n "
        .chars()
        .collect();
    for _ in 0..40 {
        let mut d = String::new();
        for _ in 0..60 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            d.push(letters[(state >> 33) as usize % letters.len()]);
        }
        docs.push(d);
    }
    docs
}

#[test]
fn packed_and_string_paths_agree() {
    let docs = corpus();
    let refs: Vec<&str> = docs.iter().map(String::as_str).collect();
    for params in [
        TfidfParams::default(),
        TfidfParams {
            ngram_min: 1,
            ngram_max: 3,
            sublinear_tf: true,
            ..TfidfParams::default()
        },
    ] {
        let (p, xp) = params.fit_with(&refs, true).unwrap();
        let (s, xs) = params.fit_with(&refs, false).unwrap();
        assert!(p.is_packed() && !s.is_packed());
        assert_eq!(p.vocabulary(), s.vocabulary());
        assert_eq!(p.idf(), s.idf());
        assert_eq!(xp, xs);
        // Unseen characters ('Q', '☃') and n-grams must be skipped alike.
        let new = ["боль Q в груди ☃", "qqq", "", "ёжик"];
        assert_eq!(p.transform(&new), s.transform(&new));
        assert_eq!(p.transform(&refs), xp);
        for (i, t) in p.vocabulary().iter().enumerate() {
            assert_eq!(p.feature_index(t), Some(i));
            assert_eq!(s.feature_index(t), Some(i));
        }
        assert_eq!(p.feature_index("☃☃☃"), None);
        assert_eq!(p.feature_index(""), None);
    }
}

#[test]
fn analyzers_and_limits_agree_on_both_paths() {
    let docs = corpus();
    let refs: Vec<&str> = docs.iter().map(String::as_str).collect();
    for params in [
        TfidfParams {
            analyzer: Analyzer::CharWb,
            ngram_min: 2,
            ngram_max: 5,
            ..TfidfParams::default()
        },
        TfidfParams {
            min_df: DocFreq::Count(2),
            max_df: DocFreq::Fraction(0.5),
            max_features: Some(30),
            ..TfidfParams::default()
        },
        TfidfParams {
            analyzer: Analyzer::CharWb,
            max_features: Some(50),
            sublinear_tf: true,
            ..TfidfParams::default()
        },
    ] {
        let (p, xp) = params.fit_with(&refs, true).unwrap();
        let (s, xs) = params.fit_with(&refs, false).unwrap();
        assert!(p.is_packed() && !s.is_packed(), "{params:?}");
        assert_eq!(p.vocabulary(), s.vocabulary(), "{params:?}");
        assert_eq!(p.idf(), s.idf());
        assert_eq!(xp, xs);
        let new = ["боль Q в груди ☃", "qqq", "", "ёжик", " a "];
        assert_eq!(p.transform(&new), s.transform(&new));
        assert_eq!(p.transform(&refs), xp);
        if let Some(n) = params.max_features {
            assert_eq!(p.n_features(), n);
        }
    }
    // Word n-grams take the string path; the loaded model too.
    let word = TfidfParams {
        analyzer: Analyzer::Word,
        ngram_min: 1,
        ngram_max: 2,
        ..TfidfParams::default()
    };
    let (w, xw) = word.fit_with(&refs, true).unwrap();
    assert!(!w.is_packed());
    let back: Tfidf = postcard::from_bytes(&postcard::to_stdvec(&w).unwrap()).unwrap();
    assert!(!back.is_packed());
    assert_eq!(back.transform(&refs), xw);
    let hashed_limits = TfidfParams {
        hash_bits: Some(8),
        max_features: Some(3),
        ..TfidfParams::default()
    };
    let e = hashed_limits.fit(&refs).unwrap_err().to_string();
    assert!(e.contains("hash_features"), "{e}");
}

#[test]
fn same_result_for_any_thread_count() {
    // Slices follow the thread count; the merged result must not.
    let docs = corpus();
    let refs: Vec<&str> = docs.iter().map(String::as_str).collect();
    let fit = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| TfidfParams::default().fit(&refs).unwrap())
    };
    let (m1, x1) = fit(1);
    for threads in [2, 3, 7] {
        let (m, x) = fit(threads);
        assert_eq!(m.vocabulary(), m1.vocabulary());
        assert_eq!(m.idf(), m1.idf());
        assert_eq!(x, x1);
    }
}

#[test]
fn keys_sort_like_strings_and_decode_back() {
    let chars: Vec<char> = "\t abzаяё".chars().collect();
    let p = Packer::new(chars, 8).unwrap();
    assert_eq!(p.bits, 4);
    let mut terms = vec![
        "a",
        "ab",
        "aba",
        "b",
        "z",
        "а",
        "аа",
        "я",
        "ё",
        "ёёёёёёёё",
        "\t",
        " a",
    ];
    let mut keys: Vec<u64> = terms.iter().map(|t| p.pack(t).unwrap()).collect();
    terms.sort();
    keys.sort();
    for (t, &k) in terms.iter().zip(&keys) {
        let mut s = String::new();
        p.decode_into(k, &mut s);
        assert_eq!(&s, t);
    }
    // Too long, empty, or outside the alphabet.
    assert_eq!(p.pack("ааааааааааааааааа"), None);
    assert_eq!(p.pack(""), None);
    assert_eq!(p.pack("ax"), None);
}

#[test]
fn large_alphabets_fall_back_to_strings() {
    // 300 distinct CJK characters need 9 bits each: 8-grams do not fit.
    let doc: String = (0..300u32)
        .map(|i| char::from_u32(0x4e00 + i).unwrap())
        .collect();
    let docs = [doc.as_str(), "abc abc"];
    let (m, x) = TfidfParams::default().fit(&docs).unwrap();
    assert!(!m.is_packed());
    let (s, xs) = TfidfParams::default().fit_with(&docs, false).unwrap();
    assert_eq!((m.vocabulary(), x), (s.vocabulary(), xs));
    // 3-grams over the same alphabet fit in 27 bits.
    let (m3, _) = TfidfParams {
        ngram_min: 3,
        ngram_max: 3,
        ..TfidfParams::default()
    }
    .fit(&docs)
    .unwrap();
    assert!(m3.is_packed());
}

#[test]
fn loaded_models_are_packed_and_serialise_the_same() {
    let docs = corpus();
    let refs: Vec<&str> = docs.iter().map(String::as_str).collect();
    let (m, x) = TfidfParams::default().fit(&refs).unwrap();
    let bytes = postcard::to_stdvec(&m).unwrap();
    let back: Tfidf = postcard::from_bytes(&bytes).unwrap();
    assert!(back.is_packed());
    assert_eq!(back.transform(&refs), x);
    assert_eq!(postcard::to_stdvec(&back).unwrap(), bytes);
    // The wire form is the plain field list a derived impl would write.
    #[derive(Serialize)]
    struct Plain {
        params: TfidfParams,
        vocabulary: Vec<String>,
        idf: Vec<f32>,
    }
    let plain = Plain {
        params: *m.params(),
        vocabulary: m.vocabulary(),
        idf: m.idf().to_vec(),
    };
    assert_eq!(postcard::to_stdvec(&plain).unwrap(), bytes);
}

#[test]
fn murmurhash3_matches_scikit_learn() {
    // scripts/.venv/bin/python -c "from sklearn.utils import murmurhash3_32 as m;
    //   print([m(s.encode('utf-8'), seed=0, positive=False) for s in
    //   ['', 'a', 'ab', 'abc', 'abcd', 'боль', 'Привет мир']])"
    let want: [(&str, i32); 7] = [
        ("", 0),
        ("a", 1009084850),
        ("ab", -1681926305),
        ("abc", -1277324294),
        ("abcd", 1139631978),
        ("боль", -481649861),
        ("Привет мир", -16300001),
    ];
    for (s, h) in want {
        assert_eq!(murmurhash3_32(s.as_bytes(), 0) as i32, h, "{s:?}");
    }
    assert_eq!(hash_column("abc", 6), (1277324294u32 % 64));
}

// Expected (row, column, value) from scikit-learn 1.3.2 (scripts/.venv):
// python -c "from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer;
//   docs = ['Боль в горле', 'боль  в спине\tи кашель', 'abc abd', 'кашель'];
//   h = HashingVectorizer(analyzer='char', ngram_range=(3, 5), n_features=2**6,
//       alternate_sign=False, norm=None);
//   x = TfidfTransformer().fit_transform(h.transform(docs)).tocoo();
//   print(sorted((int(r), int(c), round(float(v), 6)) for r, c, v in zip(x.row, x.col, x.data)))"
// (the second document's separator is a tab: "\t" inside the Python string)
const HASHED_WANT: &[(usize, u32, f64)] = &[
    (0, 0, 0.203496),
    (0, 3, 0.160438),
    (0, 5, 0.160438),
    (0, 7, 0.259777),
    (0, 9, 0.203496),
    (0, 16, 0.160438),
    (0, 18, 0.160438),
    (0, 19, 0.320876),
    (0, 26, 0.203496),
    (0, 28, 0.203496),
    (0, 29, 0.160438),
    (0, 32, 0.203496),
    (0, 33, 0.160438),
    (0, 36, 0.203496),
    (0, 39, 0.203496),
    (0, 42, 0.160438),
    (0, 43, 0.481315),
    (0, 44, 0.129889),
    (0, 50, 0.160438),
    (0, 53, 0.129889),
    (0, 55, 0.129889),
    (0, 61, 0.160438),
    (0, 63, 0.160438),
    (1, 1, 0.24106),
    (1, 3, 0.095027),
    (1, 5, 0.190054),
    (1, 6, 0.076933),
    (1, 7, 0.230798),
    (1, 8, 0.24106),
    (1, 13, 0.095027),
    (1, 16, 0.285082),
    (1, 17, 0.24106),
    (1, 18, 0.095027),
    (1, 19, 0.095027),
    (1, 21, 0.095027),
    (1, 22, 0.24106),
    (1, 24, 0.095027),
    (1, 25, 0.12053),
    (1, 29, 0.095027),
    (1, 33, 0.190054),
    (1, 35, 0.24106),
    (1, 38, 0.190054),
    (1, 41, 0.12053),
    (1, 42, 0.095027),
    (1, 43, 0.285082),
    (1, 44, 0.076933),
    (1, 46, 0.095027),
    (1, 49, 0.12053),
    (1, 50, 0.095027),
    (1, 51, 0.12053),
    (1, 52, 0.285082),
    (1, 53, 0.076933),
    (1, 54, 0.095027),
    (1, 55, 0.076933),
    (1, 57, 0.190054),
    (1, 59, 0.12053),
    (1, 61, 0.190054),
    (1, 63, 0.190054),
    (2, 4, 0.311133),
    (2, 6, 0.198592),
    (2, 15, 0.311133),
    (2, 24, 0.245301),
    (2, 37, 0.311133),
    (2, 38, 0.490601),
    (2, 44, 0.198592),
    (2, 47, 0.311133),
    (2, 55, 0.198592),
    (2, 58, 0.311133),
    (2, 62, 0.311133),
    (3, 6, 0.286837),
    (3, 7, 0.286837),
    (3, 13, 0.354301),
    (3, 21, 0.354301),
    (3, 46, 0.354301),
    (3, 52, 0.354301),
    (3, 53, 0.286837),
    (3, 54, 0.354301),
    (3, 57, 0.354301),
];

#[test]
fn hashed_tfidf_matches_scikit_learn() {
    let want = HASHED_WANT;
    let docs = [
        "Боль в горле",
        "боль  в спине\tи кашель",
        "abc abd",
        "кашель",
    ];
    let params = TfidfParams {
        ngram_min: 3,
        ngram_max: 5,
        hash_bits: Some(6),
        ..TfidfParams::default()
    };
    let (m, x) = params.fit(&docs).unwrap();
    assert_eq!((x.n_cols, m.n_features(), m.idf().len()), (64, 64, 64));
    let mut got = Vec::new();
    for r in 0..x.n_rows {
        let (idx, val) = x.row(r);
        got.extend(idx.iter().zip(val).map(|(&c, &v)| (r, c, v)));
    }
    assert_eq!(got.len(), want.len());
    for (&(r, c, v), &(wr, wc, wv)) in got.iter().zip(want) {
        assert_eq!((r, c), (wr, wc));
        assert!((v as f64 - wv).abs() < 2e-6, "({r}, {c}): {v} vs {wv}");
    }
    // transform agrees with fit, and the model survives a round trip.
    assert_eq!(m.transform(&docs), x);
    let back: Tfidf = serde_json::from_slice(&serde_json::to_vec(&m).unwrap()).unwrap();
    assert_eq!(back.transform(&docs), x);
    assert_eq!(back.params().hash_bits, Some(6));
    assert_eq!(m.feature_index("абв"), Some(hash_column("абв", 6) as usize));
    let bad = TfidfParams {
        hash_bits: Some(32),
        ..params
    };
    assert!(bad
        .fit(&docs)
        .unwrap_err()
        .to_string()
        .contains("hash_features"));
}
