//! Character n-gram tf-idf, bit-for-bit in its semantics with scikit-learn
//! 1.3.2's `TfidfVectorizer(analyzer='char', ngram_range=(min, max))` under
//! default settings (`lowercase=True`, `norm='l2'`, `use_idf=True`,
//! `smooth_idf=True`, `min_df=1`, `max_df=1.0`, no `max_features`).
//!
//! Pipeline per document, as sklearn does it:
//! 1. `str.lower()` (see [`normalize`] for how Rust's lower-casing compares);
//! 2. `re.sub(r"\s\s+", " ", doc)`: every run of two or more whitespace
//!    characters (Python's `str.isspace()` set) becomes one space, while a
//!    lone tab or newline is kept as is;
//! 3. every window of `n` code points for `n` in `min..=max` is a term;
//!    raw counts per document are the term frequencies.
//!
//! The vocabulary is sorted in code point order (sklearn sorts the Python
//! strings; Rust's `str` ordering on UTF-8 is the same order), so a feature
//! index is the term's rank in the sorted training vocabulary.
//! `idf = ln((1 + n_docs) / (1 + df)) + 1`; a row is `tf * idf`, optionally
//! with `tf -> 1 + ln(tf)` (`sublinear_tf`), then scaled to unit L2 norm.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::OnceLock;

use anyhow::{bail, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::sparse::CsrMatrix;

/// Hyper-parameters of the character n-gram vectorizer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TfidfParams {
    /// Shortest n-gram length in code points (sklearn `ngram_range[0]`).
    pub ngram_min: usize,
    /// Longest n-gram length in code points (sklearn `ngram_range[1]`).
    pub ngram_max: usize,
    /// Replace a raw count `tf` by `1 + ln(tf)` (sklearn `sublinear_tf`).
    pub sublinear_tf: bool,
}

impl Default for TfidfParams {
    /// The RuMedBench baseline setting: `ngram_range=(3, 8)`, raw counts.
    fn default() -> Self {
        TfidfParams {
            ngram_min: 3,
            ngram_max: 8,
            sublinear_tf: false,
        }
    }
}

impl TfidfParams {
    /// Rejects n-gram ranges sklearn would reject (`min == 0` or `min > max`).
    pub fn check(&self) -> Result<()> {
        if self.ngram_min == 0 {
            bail!(
                "ngram_min must be at least 1, got {} (ngram range {}..={})",
                self.ngram_min,
                self.ngram_min,
                self.ngram_max
            );
        }
        if self.ngram_min > self.ngram_max {
            bail!(
                "ngram_min ({}) must not exceed ngram_max ({})",
                self.ngram_min,
                self.ngram_max
            );
        }
        Ok(())
    }

    /// Learns vocabulary and idf from `docs` and returns them together with
    /// the tf-idf matrix of `docs` (sklearn's `fit_transform`).
    ///
    /// Terms are interned as slices of the normalised documents, so only the
    /// final sorted vocabulary allocates one `String` per feature. The result
    /// does not depend on the number of rayon threads: ids are assigned in a
    /// single sequential pass and then replaced by sorted-vocabulary ranks.
    ///
    /// Errors on an invalid range, on an empty vocabulary (every document
    /// shorter than `ngram_min`, as sklearn errors) or on more than
    /// `u32::MAX` features.
    pub fn fit(&self, docs: &[&str]) -> Result<(Tfidf, CsrMatrix)> {
        self.check()?;
        let norm: Vec<String> = docs.par_iter().map(|d| normalize(d)).collect();

        // Provisional ids in first-seen order; a sequential pass keeps them
        // deterministic, and hashing ~5M short slices takes well under 1 s.
        let mut map: HashMap<&str, u32, FxBuild> = HashMap::default();
        let mut terms: Vec<&str> = Vec::new();
        let mut occurrences: Vec<Vec<u32>> = Vec::with_capacity(norm.len());
        let mut bounds = Vec::new();
        for doc in &norm {
            let mut ids = Vec::new();
            let mut overflow = false;
            for_each_ngram(doc, self.ngram_min, self.ngram_max, &mut bounds, |g| {
                let next = terms.len() as u32;
                let id = *map.entry(g).or_insert(next);
                if id == next {
                    terms.push(g);
                    overflow |= terms.len() > u32::MAX as usize;
                }
                ids.push(id);
            });
            if overflow {
                bail!("more than {} distinct n-grams", u32::MAX);
            }
            occurrences.push(ids);
        }
        drop(map);
        if terms.is_empty() {
            bail!(
                "empty vocabulary: all {} documents are shorter than {} characters",
                docs.len(),
                self.ngram_min
            );
        }

        let mut order: Vec<u32> = (0..terms.len() as u32).collect();
        order.par_sort_unstable_by(|&a, &b| terms[a as usize].cmp(terms[b as usize]));
        let mut rank = vec![0u32; terms.len()];
        for (new, &old) in order.iter().enumerate() {
            rank[old as usize] = new as u32;
        }
        let vocabulary: Vec<String> = order
            .par_iter()
            .map(|&o| terms[o as usize].to_owned())
            .collect();

        let counts: Vec<(Vec<u32>, Vec<u32>)> = occurrences
            .into_par_iter()
            .map(|mut ids| {
                for id in ids.iter_mut() {
                    *id = rank[*id as usize];
                }
                run_length(ids)
            })
            .collect();

        let mut df = vec![0u32; vocabulary.len()];
        for (idx, _) in &counts {
            for &i in idx {
                df[i as usize] += 1;
            }
        }
        let n = docs.len() as f64;
        // Rounded to f32 before use so that `fit` and a later `transform` of
        // the same documents produce identical rows.
        let idf: Vec<f32> = df
            .iter()
            .map(|&d| (((1.0 + n) / (1.0 + d as f64)).ln() + 1.0) as f32)
            .collect();

        let rows: Vec<(Vec<u32>, Vec<f32>)> = counts
            .into_par_iter()
            .map(|(idx, tf)| {
                let vals = weigh(&idx, &tf, &idf, self.sublinear_tf);
                (idx, vals)
            })
            .collect();
        let x = CsrMatrix::from_rows(vocabulary.len(), rows);
        let model = Tfidf {
            params: *self,
            vocabulary,
            idf,
            index: OnceLock::new(),
        };
        Ok((model, x))
    }
}

/// A fitted vectorizer: the sorted vocabulary and its idf weights.
///
/// Serialises as plain data; the term lookup table is rebuilt on first use
/// after loading, and loading validates the parts (see [`Tfidf::from_parts`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "TfidfParts")]
pub struct Tfidf {
    params: TfidfParams,
    vocabulary: Vec<String>,
    idf: Vec<f32>,
    #[serde(skip)]
    index: OnceLock<NgramIndex>,
}

/// Wire form of [`Tfidf`], validated before it becomes one.
#[derive(Deserialize)]
struct TfidfParts {
    params: TfidfParams,
    vocabulary: Vec<String>,
    idf: Vec<f32>,
}

impl TryFrom<TfidfParts> for Tfidf {
    type Error = anyhow::Error;
    fn try_from(p: TfidfParts) -> Result<Self> {
        Tfidf::from_parts(p.params, p.vocabulary, p.idf)
    }
}

impl Tfidf {
    /// Reassembles a vectorizer from its parts, checking that the params are
    /// valid, the vocabulary is strictly sorted (feature index = rank), and
    /// there is one finite idf per term.
    pub fn from_parts(params: TfidfParams, vocabulary: Vec<String>, idf: Vec<f32>) -> Result<Self> {
        params.check()?;
        if vocabulary.len() != idf.len() {
            bail!(
                "vocabulary has {} terms but idf has {} values",
                vocabulary.len(),
                idf.len()
            );
        }
        if vocabulary.len() > u32::MAX as usize {
            bail!("vocabulary too large: {} terms", vocabulary.len());
        }
        if let Some(i) = vocabulary.windows(2).position(|w| w[0] >= w[1]) {
            bail!(
                "vocabulary is not strictly sorted at index {}: {:?} >= {:?}",
                i,
                vocabulary[i],
                vocabulary[i + 1]
            );
        }
        if let Some(i) = idf.iter().position(|v| !v.is_finite()) {
            bail!("idf[{}] is not finite: {}", i, idf[i]);
        }
        Ok(Tfidf {
            params,
            vocabulary,
            idf,
            index: OnceLock::new(),
        })
    }

    /// Vectorizes `docs` with the fitted vocabulary (sklearn `transform`);
    /// n-grams not seen in training are ignored, and a document with no known
    /// n-gram gives an all-zero row.
    pub fn transform(&self, docs: &[&str]) -> CsrMatrix {
        let index = self.index();
        let rows: Vec<(Vec<u32>, Vec<f32>)> = docs
            .par_iter()
            .map_init(Vec::new, |bounds, d| {
                let doc = normalize(d);
                let mut ids = Vec::new();
                for_each_ngram(
                    &doc,
                    self.params.ngram_min,
                    self.params.ngram_max,
                    bounds,
                    |g| {
                        if let Some(id) = index.get(&self.vocabulary, g) {
                            ids.push(id);
                        }
                    },
                );
                let (idx, tf) = run_length(ids);
                let vals = weigh(&idx, &tf, &self.idf, self.params.sublinear_tf);
                (idx, vals)
            })
            .collect();
        CsrMatrix::from_rows(self.vocabulary.len(), rows)
    }

    /// The parameters the vectorizer was fitted with.
    pub fn params(&self) -> &TfidfParams {
        &self.params
    }

    /// Terms in feature-index order (sorted by code point).
    pub fn vocabulary(&self) -> &[String] {
        &self.vocabulary
    }

    /// Inverse document frequency of each feature.
    pub fn idf(&self) -> &[f32] {
        &self.idf
    }

    /// Number of features (vocabulary size).
    pub fn n_features(&self) -> usize {
        self.vocabulary.len()
    }

    /// The n-gram behind feature `index`, if it exists.
    pub fn feature_name(&self, index: usize) -> Option<&str> {
        self.vocabulary.get(index).map(String::as_str)
    }

    /// Feature index of an already-normalised n-gram, if it is in the
    /// vocabulary.
    pub fn feature_index(&self, term: &str) -> Option<usize> {
        self.index().get(&self.vocabulary, term).map(|i| i as usize)
    }

    fn index(&self) -> &NgramIndex {
        self.index
            .get_or_init(|| NgramIndex::build(&self.vocabulary))
    }
}

/// sklearn's preprocessing for `analyzer='char'`: `str.lower()` then
/// `re.sub(r"\s\s+", " ", doc)`.
///
/// Lower-casing: Rust's `str::to_lowercase` applies the same full Unicode
/// mappings as CPython's `str.lower()`, including `İ -> "i\u{307}"` and the
/// context-dependent final sigma (`"ΑΣ" -> "ας"`, a lone `"Σ" -> "σ"`). The
/// only possible divergence is the Unicode version: CPython 3.11 ships
/// Unicode 14.0, Rust's std a newer one, so letters added to Unicode after
/// 14.0 may lower-case here but not in Python. Russian text is unaffected.
pub fn normalize(doc: &str) -> String {
    let lower = doc.to_lowercase();
    let mut out = String::with_capacity(lower.len());
    let mut chars = lower.chars().peekable();
    while let Some(c) = chars.next() {
        if is_py_space(c) && chars.peek().is_some_and(|&n| is_py_space(n)) {
            while chars.peek().is_some_and(|&n| is_py_space(n)) {
                chars.next();
            }
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// Python's `\s` for `str` patterns, which equals `str.isspace()` (checked
/// against CPython 3.11 over all code points): Unicode White_Space plus the
/// information separators U+001C..=U+001F, which Rust's
/// `char::is_whitespace` does not include. Full set: U+0009..=U+000D,
/// U+001C..=U+001F, U+0020, U+0085, U+00A0, U+1680, U+2000..=U+200A, U+2028,
/// U+2029, U+202F, U+205F, U+3000.
pub fn is_py_space(c: char) -> bool {
    matches!(
        c,
        '\u{9}'..='\u{d}'
            | '\u{1c}'..='\u{1f}'
            | ' '
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}

/// Calls `f` on every window of `min..=max` code points of `doc`. `bounds` is
/// scratch space reused across documents to avoid an allocation per call.
fn for_each_ngram<'a>(
    doc: &'a str,
    min: usize,
    max: usize,
    bounds: &mut Vec<usize>,
    mut f: impl FnMut(&'a str),
) {
    bounds.clear();
    bounds.extend(doc.char_indices().map(|(i, _)| i));
    bounds.push(doc.len());
    let len = bounds.len() - 1;
    for n in min..=max.min(len) {
        for i in 0..=len - n {
            f(&doc[bounds[i]..bounds[i + n]]);
        }
    }
}

/// Sorts term ids and turns them into `(distinct ids, counts)`.
fn run_length(mut ids: Vec<u32>) -> (Vec<u32>, Vec<u32>) {
    ids.sort_unstable();
    let mut idx: Vec<u32> = Vec::with_capacity(ids.len());
    let mut tf: Vec<u32> = Vec::with_capacity(ids.len());
    for id in ids {
        match idx.last() {
            Some(&last) if last == id => {
                if let Some(c) = tf.last_mut() {
                    *c += 1;
                }
            }
            _ => {
                idx.push(id);
                tf.push(1);
            }
        }
    }
    (idx, tf)
}

/// tf * idf, then unit L2 norm, computed in f64 as sklearn does.
fn weigh(idx: &[u32], tf: &[u32], idf: &[f32], sublinear: bool) -> Vec<f32> {
    let raw: Vec<f64> = idx
        .iter()
        .zip(tf)
        .map(|(&i, &t)| {
            let t = if sublinear {
                1.0 + (t as f64).ln()
            } else {
                t as f64
            };
            t * idf[i as usize] as f64
        })
        .collect();
    let norm = raw.iter().map(|v| v * v).sum::<f64>().sqrt();
    if norm > 0.0 {
        raw.iter().map(|v| (v / norm) as f32).collect()
    } else {
        raw.iter().map(|&v| v as f32).collect()
    }
}

/// FxHash (the rustc hasher): a multiply-rotate hash that is much faster
/// than SipHash on short keys. Hash values never influence feature indices
/// (those come from the sorted vocabulary), so its exact output is free to
/// change; it only has to be fast.
#[derive(Default, Clone, Copy)]
struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.hash = (self.hash.rotate_left(5) ^ w).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // The multiply leaves the low bits weak; rotating brings strong high
        // bits down to where hash tables take their bucket index.
        self.hash.rotate_left(26)
    }
}

type FxBuild = BuildHasherDefault<FxHasher>;

fn fx_hash(s: &str) -> u64 {
    let mut h = FxHasher::default();
    s.hash(&mut h);
    h.finish()
}

/// Open-addressing table of vocabulary ids keyed by their term; it stores
/// only `u32` slots (about 8 bytes per term) instead of a second copy of
/// every string, and a lookup is one hash plus usually one comparison.
#[derive(Debug, Clone, Default)]
struct NgramIndex {
    slots: Vec<u32>,
    mask: usize,
}

const EMPTY: u32 = u32::MAX;

impl NgramIndex {
    fn build(vocab: &[String]) -> Self {
        let cap = (vocab.len() * 2).next_power_of_two().max(16);
        let mask = cap - 1;
        let mut slots = vec![EMPTY; cap];
        for (i, term) in vocab.iter().enumerate() {
            let mut h = fx_hash(term) as usize & mask;
            while slots[h] != EMPTY {
                h = (h + 1) & mask;
            }
            slots[h] = i as u32;
        }
        NgramIndex { slots, mask }
    }

    #[inline]
    fn get(&self, vocab: &[String], key: &str) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mut h = fx_hash(key) as usize & self.mask;
        loop {
            let id = self.slots[h];
            if id == EMPTY {
                return None;
            }
            if vocab[id as usize] == key {
                return Some(id);
            }
            h = (h + 1) & self.mask;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(min: usize, max: usize) -> TfidfParams {
        TfidfParams {
            ngram_min: min,
            ngram_max: max,
            sublinear_tf: false,
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
        for_each_ngram("абвг", 3, 8, &mut b, |g| got.push(g.to_string()));
        // 4 chars: two 3-grams, one 4-gram, nothing longer.
        assert_eq!(got, vec!["абв", "бвг", "абвг"]);
        got.clear();
        for_each_ngram("аб", 3, 8, &mut b, |g| got.push(g.to_string()));
        assert!(got.is_empty());
        for_each_ngram("", 3, 8, &mut b, |g| got.push(g.to_string()));
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
            assert_eq!(m.feature_name(i), Some(t.as_str()));
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
        let names: Vec<&str> = idx
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
}
