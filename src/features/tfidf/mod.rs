//! Character n-gram tf-idf, bit-for-bit in its semantics with scikit-learn
//! 1.3.2's `TfidfVectorizer(analyzer='char', ngram_range=(min, max))` under
//! default settings (`lowercase=True`, `norm='l2'`, `use_idf=True`,
//! `smooth_idf=True`, `min_df=1`, `max_df=1.0`, no `max_features`); the other
//! analyzers (`char_wb`, `word`: see [`super::analyzer`]) and the vocabulary
//! limits (`min_df`, `max_df`, `max_features`: see [`super::limit`]) follow
//! scikit-learn too.
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
//!
//! # Why n-grams are packed into integers
//! A corpus uses few distinct characters (RuMedDaNet: under 200), so each
//! character gets a small id in code point order and an n-gram of up to
//! `ngram_max` characters becomes one `u64`: ids left-aligned, `bits` bits
//! each, zero-padded. Comparing two such keys compares the n-grams in code
//! point order (a proper prefix sorts first because padding is zero and ids
//! start at 1), so the sorted keys *are* the sorted vocabulary. Hashing,
//! sorting and storing 8-byte integers instead of string slices is what makes
//! fitting RuMedDaNet's 845k-term vocabulary take a fraction of a second and
//! a few MB. When the characters do not fit (`bits * ngram_max > 64`, e.g.
//! more than 255 distinct characters with 8-grams) the vectorizer falls back
//! to string keys; both paths give identical results (tested). Word n-grams
//! always take the string path (their terms are few and a slice of the
//! analysed text each).
//!
//! # Hashed features (`hash_bits`)
//! With `hash_bits = Some(B)` there is no vocabulary: n-gram `g` counts towards column
//! `|murmurhash3_32(utf8(g), seed 0)| mod 2^B` (the signed 32-bit MurmurHash3 x86 result, as
//! scikit-learn's `HashingVectorizer(analyzer='char', n_features=2**B, alternate_sign=False,
//! norm=None)` computes it, `abs(-2^31)` taken as `2^31`), colliding n-grams adding up. Then the
//! same smoothed idf (over the `2^B` columns; a column no document hits gets
//! `ln(1 + n_docs) + 1`) and L2 steps follow, as `TfidfTransformer()` does. Memory is then
//! bounded by `2^B` whatever the corpus, at the price of collisions.
//!
//! # In the model file
//! The parameters are written as the four fields of model format 2 (n-gram range, sublinear
//! tf, hashing), followed, in format 4 (see [`crate::bundle`]) only, by the analyzer and the vocabulary limits. A model
//! whose analyzer and limits are the defaults is written in format 2, byte for byte as before
//! they existed (see [`crate::bundle`]).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::sync::OnceLock;

use crate::error::{bail, Result};
use rayon::prelude::*;
use serde::de::{MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::features::analyzer::{for_each_term, Analyzer};
pub use crate::features::limit::DocFreq;
use crate::features::limit::{Limits, MAX_DF, MIN_DF};
use crate::features::sparse::CsrMatrix;
use crate::wire::{self, FORMAT_BASE, FORMAT_VECTORIZER};

/// Hyper-parameters of the n-gram vectorizer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TfidfParams {
    /// Shortest n-gram length in code points (sklearn `ngram_range[0]`; tokens for `word`).
    pub ngram_min: usize,
    /// Longest n-gram length in code points (sklearn `ngram_range[1]`; tokens for `word`).
    pub ngram_max: usize,
    /// Replace a raw count `tf` by `1 + ln(tf)` (sklearn `sublinear_tf`).
    pub sublinear_tf: bool,
    /// Hash n-grams into `2^bits` columns instead of learning a vocabulary (see the module
    /// docs); `None` keeps the vocabulary.
    pub hash_bits: Option<u8>,
    /// How documents are cut into terms (sklearn `analyzer`).
    pub analyzer: Analyzer,
    /// Drop terms found in fewer training documents (sklearn `min_df`; default 1).
    pub min_df: DocFreq,
    /// Drop terms found in more training documents (sklearn `max_df`; default 1.0).
    pub max_df: DocFreq,
    /// Keep only the terms with the highest corpus term frequency (sklearn `max_features`).
    pub max_features: Option<usize>,
}

impl Default for TfidfParams {
    /// The RuMedBench baseline setting: `analyzer='char'`, `ngram_range=(3, 8)`, raw counts,
    /// every term kept.
    fn default() -> Self {
        TfidfParams {
            ngram_min: 3,
            ngram_max: 8,
            sublinear_tf: false,
            hash_bits: None,
            analyzer: Analyzer::Char,
            min_df: MIN_DF,
            max_df: MAX_DF,
            max_features: None,
        }
    }
}

/// What model format 4 adds to the parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
struct Extension {
    analyzer: Analyzer,
    min_df: DocFreq,
    max_df: DocFreq,
    max_features: Option<usize>,
}

impl TfidfParams {
    /// The oldest model format that holds these parameters: format 2 unless the analyzer or a
    /// vocabulary limit differs from the default.
    pub fn needs_format(&self) -> u32 {
        if self.extension() == TfidfParams::default().extension() {
            FORMAT_BASE
        } else {
            FORMAT_VECTORIZER
        }
    }

    fn extension(&self) -> Extension {
        Extension {
            analyzer: self.analyzer,
            min_df: self.min_df,
            max_df: self.max_df,
            max_features: self.max_features,
        }
    }

    fn limits(&self) -> Limits {
        Limits {
            min_df: self.min_df,
            max_df: self.max_df,
            max_features: self.max_features,
        }
    }
}

impl Serialize for TfidfParams {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let extended = wire::format() >= FORMAT_VECTORIZER;
        if !extended && self.needs_format() > FORMAT_BASE {
            // An older format cannot say this (the model file picks the format beforehand).
            wire::needs(FORMAT_VECTORIZER);
        }
        let mut st = s.serialize_struct("TfidfParams", 4 + extended as usize)?;
        st.serialize_field("ngram_min", &self.ngram_min)?;
        st.serialize_field("ngram_max", &self.ngram_max)?;
        st.serialize_field("sublinear_tf", &self.sublinear_tf)?;
        st.serialize_field("hash_bits", &self.hash_bits)?;
        if extended {
            st.serialize_field("vectorizer", &self.extension())?;
        }
        st.end()
    }
}

/// The named (self-describing) form of [`TfidfParams`], for JSON.
#[derive(Deserialize)]
struct NamedParams {
    ngram_min: usize,
    ngram_max: usize,
    sublinear_tf: bool,
    #[serde(default)]
    hash_bits: Option<u8>,
    #[serde(default)]
    vectorizer: Option<Extension>,
}

impl NamedParams {
    fn params(self) -> TfidfParams {
        let base = TfidfParams {
            ngram_min: self.ngram_min,
            ngram_max: self.ngram_max,
            sublinear_tf: self.sublinear_tf,
            hash_bits: self.hash_bits,
            ..TfidfParams::default()
        };
        match self.vectorizer {
            Some(e) => base.with_extension(e),
            None => base,
        }
    }
}

impl TfidfParams {
    fn with_extension(self, e: Extension) -> TfidfParams {
        TfidfParams {
            analyzer: e.analyzer,
            min_df: e.min_df,
            max_df: e.max_df,
            max_features: e.max_features,
            ..self
        }
    }
}

const PARAM_FIELDS: &[&str] = &[
    "ngram_min",
    "ngram_max",
    "sublinear_tf",
    "hash_bits",
    "vectorizer",
];

impl<'de> Deserialize<'de> for TfidfParams {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct ParamsVisitor;
        impl<'de> Visitor<'de> for ParamsVisitor {
            type Value = TfidfParams;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("vectorizer parameters")
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let missing = |i| serde::de::Error::invalid_length(i, &self);
                let base = TfidfParams {
                    ngram_min: seq.next_element()?.ok_or_else(|| missing(0))?,
                    ngram_max: seq.next_element()?.ok_or_else(|| missing(1))?,
                    sublinear_tf: seq.next_element()?.ok_or_else(|| missing(2))?,
                    hash_bits: seq.next_element()?.ok_or_else(|| missing(3))?,
                    ..TfidfParams::default()
                };
                if wire::format() < FORMAT_VECTORIZER {
                    return Ok(base);
                }
                let ext: Extension = seq.next_element()?.ok_or_else(|| missing(4))?;
                Ok(base.with_extension(ext))
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let named =
                    NamedParams::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(named.params())
            }
        }
        d.deserialize_struct("TfidfParams", PARAM_FIELDS, ParamsVisitor)
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
        if let Some(b) = self.hash_bits {
            if !(1..=MAX_HASH_BITS).contains(&b) {
                bail!("hash_features must be between 1 and {MAX_HASH_BITS} bits, got {b}");
            }
            if self.limits().active() {
                bail!(
                    "min_df, max_df and max_features limit a vocabulary; hashed features \
                     (hash_features) have none"
                );
            }
        }
        self.min_df.check("min_df")?;
        self.max_df.check("max_df")?;
        if self.max_features == Some(0) {
            bail!("max_features must be at least 1, got 0");
        }
        Ok(())
    }

    /// Learns vocabulary and idf from `docs` and returns them together with
    /// the tf-idf matrix of `docs` (sklearn's `fit_transform`).
    ///
    /// The result does not depend on the number of rayon threads: document
    /// frequencies are sums, and feature ids are ranks in the sorted
    /// vocabulary.
    ///
    /// Errors on an invalid range, on an empty vocabulary (every document
    /// shorter than `ngram_min`, as sklearn errors) or on more than
    /// `u32::MAX` features.
    pub fn fit(&self, docs: &[&str]) -> Result<(Tfidf, CsrMatrix)> {
        self.fit_with(docs, true)
    }

    /// [`TfidfParams::fit`], with the packed-key path allowed or not (tests
    /// compare the two paths).
    fn fit_with(&self, docs: &[&str], allow_packed: bool) -> Result<(Tfidf, CsrMatrix)> {
        self.check()?;
        if let Some(bits) = self.hash_bits {
            let (idf, x) = self.fit_hashed(docs, bits);
            let model = Tfidf {
                params: *self,
                terms: Terms::Hashed { bits },
                idf,
                index: OnceLock::new(),
            };
            return Ok((model, x));
        }
        let norm: Vec<String> = docs.par_iter().map(|d| self.analyzer.analyze(d)).collect();
        let packer = if allow_packed && self.analyzer.is_char() {
            Packer::new(alphabet(&norm), self.ngram_max)
        } else {
            None
        };
        let (terms, idf, x) = match packer {
            Some(packer) => self.fit_packed(&norm, packer)?,
            None => self.fit_strings(&norm)?,
        };
        let model = Tfidf {
            params: *self,
            terms,
            idf,
            index: OnceLock::new(),
        };
        Ok((model, x))
    }

    /// The hashed route: counts per column, then the same idf and L2 steps. Documents are
    /// counted in chunks appended to one array, so no second copy of the entries exists.
    fn fit_hashed(&self, docs: &[&str], bits: u8) -> (Vec<f32>, CsrMatrix) {
        let counts = self.hashed_counts(docs, bits);
        (counts.idf.clone(), counts.into_csr())
    }

    /// The hashed tf-idf matrix as counts ([`HashedCounts`]), with the fitted vectorizer:
    /// what [`TfidfParams::fit`] returns, the values not yet formed. Only with `hash_bits`.
    pub fn fit_counts(&self, docs: &[&str]) -> Result<(Tfidf, HashedCounts)> {
        self.check()?;
        let Some(bits) = self.hash_bits else {
            bail!("counts are kept for hashed features only");
        };
        let counts = self.hashed_counts(docs, bits);
        let model = Tfidf {
            params: *self,
            terms: Terms::Hashed { bits },
            idf: counts.idf.clone(),
            index: OnceLock::new(),
        };
        Ok((model, counts))
    }

    fn hashed_counts(&self, docs: &[&str], bits: u8) -> HashedCounts {
        let n_cols = 1usize << bits;
        let mut m = HashedCounts {
            n_rows: 0,
            n_cols,
            indptr: vec![0],
            indices: Vec::new(),
            tf: Vec::new(),
            big: Vec::new(),
            idf: Vec::new(),
            sublinear: self.sublinear_tf,
        };
        let mut df = vec![0u32; n_cols];
        for chunk in docs.chunks(HASH_CHUNK) {
            let rows: Vec<(Vec<u32>, Vec<u32>)> = chunk
                .par_iter()
                .map_init(Vec::new, |bounds, d| hashed_counts(self, d, bits, bounds))
                .collect();
            for (idx, tf) in rows {
                for &c in &idx {
                    df[c as usize] += 1;
                }
                for &t in &tf {
                    if t > u8::MAX as u32 {
                        m.big.push((m.tf.len(), t));
                    }
                    m.tf.push(u8::try_from(t).unwrap_or(0));
                }
                m.indices.extend_from_slice(&idx);
                m.indptr.push(m.indices.len());
                m.n_rows += 1;
            }
        }
        m.idf = idf_from_df(df.into_iter(), docs.len());
        m
    }

    /// One pass over the text, then integer work only:
    /// 1. per slice of documents (in parallel), each document's distinct keys
    ///    and counts, in key order, appended to flat arrays, and each entry's
    ///    rank among the slice's distinct keys ([`TfidfParams::count_slice`]);
    /// 2. the slices' sorted key lists are merged into the vocabulary, which
    ///    maps each slice's ranks to feature ids ([`merge_slices`]);
    /// 3. the vocabulary limits drop terms, if any are set ([`Merged::limit`]);
    /// 4. rows are written straight into a matrix sized by step 1
    ///    ([`write_packed_rows`]).
    ///
    /// Sorting instead of hashing keeps memory predictable (no table
    /// doubling), and nothing depends on how the documents were sliced, so
    /// results are the same for any thread count.
    fn fit_packed(&self, norm: &[String], packer: Packer) -> Result<(Terms, Vec<f32>, CsrMatrix)> {
        // Several slices per thread bound the transient sort buffers.
        let per_slice = norm
            .len()
            .div_ceil(SLICES_PER_THREAD * rayon::current_num_threads())
            .max(1);
        let mut slices: Vec<SliceCounts> = norm
            .par_chunks(per_slice)
            .map(|docs| self.count_slice(docs, &packer))
            .collect::<Result<_>>()?;
        let mut merged = merge_slices(&slices)?;
        if merged.keys.is_empty() {
            bail!(
                "empty vocabulary: all {} documents are shorter than {} characters",
                norm.len(),
                self.ngram_min
            );
        }
        let pruned = merged.limit(&self.limits(), &slices, norm.len())?;
        // Merged and limited: only the slices' entries are needed from here on.
        for s in &mut slices {
            s.distinct = Vec::new();
            s.df = Vec::new();
        }
        super::release_free_memory();
        let idf = idf_from_df(merged.df.iter().copied(), norm.len());
        let x = write_packed_rows(&slices, &merged, pruned, &idf, self.sublinear_tf);
        Ok((
            Terms::Packed {
                packer,
                keys: merged.keys,
            },
            idf,
            x,
        ))
    }

    /// Step 1 of [`TfidfParams::fit_packed`] for one slice of documents.
    fn count_slice(&self, docs: &[String], packer: &Packer) -> Result<SliceCounts> {
        let (min, max) = (self.ngram_min, self.ngram_max);
        let mut s = Scratch::default();
        let mut out = SliceCounts::default();
        // (key, entry) pairs, sorted below; ties are ordered by entry, so the
        // ranks computed from them are fully determined. The capacity is an
        // upper bound (every window distinct): pages never written are never
        // mapped, and the vector never moves.
        let bound: usize = docs.iter().map(|d| self.max_terms(d)).sum();
        if bound > u32::MAX as usize {
            bail!("more than {} n-grams in one slice of documents", u32::MAX);
        }
        let mut order: Vec<(u64, u32)> = Vec::with_capacity(bound);
        out.counts.reserve(bound);
        for d in docs {
            s.count_keys(packer, self.analyzer, d, min, max);
            out.lens.push(s.counted.len());
            for &(k, c) in &s.counted {
                order.push((k, out.counts.len() as u32));
                out.counts.push(c);
            }
        }
        order.sort_unstable();
        out.rank = vec![0u32; order.len()];
        for &(k, e) in &order {
            if out.distinct.last() != Some(&k) {
                out.distinct.push(k);
                out.df.push(0);
            }
            if let Some(d) = out.df.last_mut() {
                *d += 1;
            }
            out.rank[e as usize] = (out.distinct.len() - 1) as u32;
        }
        Ok(out)
    }

    /// An upper bound on the number of terms of the analysed document `doc`.
    fn max_terms(&self, doc: &str) -> usize {
        let (min, max) = (self.ngram_min, self.ngram_max);
        let windows = |len: usize| -> usize {
            (min..=max)
                .map(|n| (len + 1).saturating_sub(n))
                .sum::<usize>()
        };
        match self.analyzer {
            Analyzer::CharWb => crate::features::analyzer::wb_segments(doc)
                .map(|w| windows(w.chars().count()) + 1)
                .sum(),
            _ => windows(doc.chars().count()),
        }
    }
    /// The general path: n-grams interned as string slices of the analysed
    /// documents in one sequential pass (deterministic provisional ids), then
    /// replaced by their ranks in the sorted vocabulary.
    fn fit_strings(&self, norm: &[String]) -> Result<(Terms, Vec<f32>, CsrMatrix)> {
        let (terms, occurrences) = self.intern_terms(norm)?;
        if terms.is_empty() {
            bail!(
                "empty vocabulary: all {} documents are shorter than {} {}",
                norm.len(),
                self.ngram_min,
                if self.analyzer.is_char() {
                    "characters"
                } else {
                    "tokens"
                }
            );
        }
        let mut order: Vec<u32> = (0..terms.len() as u32).collect();
        order.par_sort_unstable_by(|&a, &b| terms[a as usize].cmp(terms[b as usize]));
        let mut rank = vec![0u32; terms.len()];
        for (new, &old) in order.iter().enumerate() {
            rank[old as usize] = new as u32;
        }
        let mut counts: Vec<(Vec<u32>, Vec<u32>)> = occurrences
            .into_par_iter()
            .map(|mut ids| {
                for id in ids.iter_mut() {
                    *id = rank[*id as usize];
                }
                run_length(ids)
            })
            .collect();
        let mut df = vec![0u32; terms.len()];
        for (idx, _) in &counts {
            for &i in idx {
                df[i as usize] += 1;
            }
        }
        let corpus_tf = || {
            let mut tf = vec![0u64; df.len()];
            for (idx, c) in &counts {
                for (&i, &c) in idx.iter().zip(c) {
                    tf[i as usize] += c as u64;
                }
            }
            tf
        };
        let map = self.limits().remap(&df, norm.len(), corpus_tf)?;
        let mut arena = Arena::default();
        for &old in &order {
            arena.push(terms[old as usize]);
        }
        if let Some(map) = &map {
            (arena, df) = keep_terms(&arena, &df, map);
            counts
                .par_iter_mut()
                .for_each(|row| *row = remap_row(row, map));
        }
        let idf = idf_from_df(df.into_iter(), norm.len());
        let rows: Vec<(Vec<u32>, Vec<f32>)> = counts
            .into_par_iter()
            .map(|(idx, tf)| {
                let vals = weigh(&idx, &tf, &idf, self.sublinear_tf);
                (idx, vals)
            })
            .collect();
        let x = CsrMatrix::from_rows(arena.len(), rows);
        Ok((Terms::Strings(arena), idf, x))
    }

    /// Every term of every document as a provisional id (the order of first
    /// occurrence), with the terms behind the ids.
    fn intern_terms<'a>(&self, norm: &'a [String]) -> Result<(Vec<&'a str>, Vec<Vec<u32>>)> {
        let mut map: HashMap<&str, u32, FxBuild> = HashMap::default();
        let mut terms: Vec<&str> = Vec::new();
        let mut occurrences: Vec<Vec<u32>> = Vec::with_capacity(norm.len());
        let mut bounds = Vec::new();
        let range = (self.ngram_min, self.ngram_max);
        for doc in norm {
            let mut ids = Vec::new();
            let mut overflow = false;
            for_each_term(self.analyzer, doc, range, &mut bounds, |g| {
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
        Ok((terms, occurrences))
    }
}

/// The terms (and their document frequencies) that `map` keeps.
fn keep_terms(arena: &Arena, df: &[u32], map: &[Option<u32>]) -> (Arena, Vec<u32>) {
    let mut kept = Arena::default();
    let mut kept_df = Vec::new();
    for (i, m) in map.iter().enumerate() {
        if m.is_some() {
            kept.push(arena.get(i));
            kept_df.push(df[i]);
        }
    }
    (kept, kept_df)
}

/// A row's `(ids, counts)` with the ids `map` drops left out and the rest renumbered.
fn remap_row((idx, tf): &(Vec<u32>, Vec<u32>), map: &[Option<u32>]) -> (Vec<u32>, Vec<u32>) {
    idx.iter()
        .zip(tf)
        .filter_map(|(&i, &c)| map[i as usize].map(|j| (j, c)))
        .unzip()
}

/// A hashed tf-idf matrix kept as term counts: the matrix [`TfidfParams::fit`] returns, with
/// each entry's count (one byte; counts above 255 aside) in place of its `f32` value, so 5
/// bytes per entry instead of 8. A value is recomputed bit for bit from its count, its column's
/// idf and its row's norm ([`tf_idf_raw`] divided by the row's L2 norm of those, rounded to
/// `f32`); [`HashedCounts::into_csr`] forms them all.
#[derive(Debug, Clone)]
pub struct HashedCounts {
    /// Number of rows (documents).
    pub n_rows: usize,
    /// Number of columns, `2^bits`.
    pub n_cols: usize,
    /// Row start offsets, as in [`CsrMatrix`].
    pub indptr: Vec<usize>,
    /// Column of each entry, ascending within a row.
    pub indices: Vec<u32>,
    /// Count of each entry; 0 for a count above 255, found in `big`.
    pub tf: Vec<u8>,
    /// `(entry, count)` of the counts above 255, by entry.
    pub big: Vec<(usize, u32)>,
    /// Smooth idf of each column.
    pub idf: Vec<f32>,
    /// Whether term frequencies are `1 + ln(count)`.
    pub sublinear: bool,
}

impl HashedCounts {
    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// The count of entry `p`.
    #[inline]
    pub fn count(&self, p: usize) -> u32 {
        match self.tf[p] {
            0 => self
                .big
                .binary_search_by_key(&p, |b| b.0)
                .map_or(0, |i| self.big[i].1),
            t => t as u32,
        }
    }

    /// The tf-idf matrix with its values formed (rows in parallel): the counts are read in
    /// place, so at most 9 bytes per entry are held.
    pub fn into_csr(self) -> CsrMatrix {
        let mut data = vec![0f32; self.nnz()];
        {
            let mut rows: Vec<(usize, &mut [f32])> = Vec::with_capacity(self.n_rows);
            let mut rest = &mut data[..];
            for (i, w) in self.indptr.windows(2).enumerate() {
                let (a, r) = rest.split_at_mut(w[1] - w[0]);
                rows.push((i, a));
                rest = r;
            }
            let m = &self;
            rows.into_par_iter().for_each_init(
                Default::default,
                |(raw, tf): &mut (Vec<f64>, Vec<u32>), (i, out)| {
                    let (s, e) = (m.indptr[i], m.indptr[i + 1]);
                    tf.clear();
                    tf.extend((s..e).map(|p| m.count(p)));
                    weigh_into(&m.indices[s..e], tf, &m.idf, m.sublinear, raw, out);
                },
            );
        }
        let HashedCounts {
            n_rows,
            n_cols,
            indptr,
            indices,
            ..
        } = self;
        CsrMatrix::from_parts_unchecked(n_rows, n_cols, indptr, indices, data)
    }
}

/// tf × idf of one entry before normalisation, as the vectorizer forms it (`weigh_into`).
#[inline]
pub fn tf_idf_raw(count: u32, idf: f32, sublinear: bool) -> f64 {
    let t = if sublinear {
        1.0 + (count as f64).ln()
    } else {
        count as f64
    };
    t * idf as f64
}

/// Documents vectorized per parallel batch on the hashed route.
const HASH_CHUNK: usize = 4096;

/// Largest `hash_bits` (scikit-learn's column index is below `2^31`).
pub const MAX_HASH_BITS: u8 = 31;

/// Distinct hashed columns of one document, ascending, with their counts.
fn hashed_counts(
    params: &TfidfParams,
    doc: &str,
    bits: u8,
    bounds: &mut Vec<usize>,
) -> (Vec<u32>, Vec<u32>) {
    let doc = params.analyzer.analyze(doc);
    let mut ids = Vec::new();
    let range = (params.ngram_min, params.ngram_max);
    for_each_term(params.analyzer, &doc, range, bounds, |g| {
        ids.push(hash_column(g, bits));
    });
    run_length(ids)
}

/// The column scikit-learn's `HashingVectorizer` gives term `g` among `2^bits`.
pub fn hash_column(g: &str, bits: u8) -> u32 {
    let h = murmurhash3_32(g.as_bytes(), 0) as i32;
    let n = 1u64 << bits;
    // abs(-2^31) overflows an i32; scikit-learn defines the result as 2^31 mod n.
    (h.unsigned_abs() as u64 % n) as u32
}

/// MurmurHash3 x86 32-bit (Austin Appleby's reference `MurmurHash3_x86_32`), the hash of
/// scikit-learn's `murmurhash3_32`.
pub fn murmurhash3_32(data: &[u8], seed: u32) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mix = |k: u32| k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
    let mut h = seed;
    let mut blocks = data.chunks_exact(4);
    for b in &mut blocks {
        h ^= mix(u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        let mut k = 0u32;
        for (i, &byte) in tail.iter().enumerate() {
            k ^= (byte as u32) << (8 * i);
        }
        h ^= mix(k);
    }
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^ (h >> 16)
}

/// Smooth idf, `ln((1 + n) / (1 + df)) + 1`, rounded to f32 before use so
/// that `fit` and a later `transform` of the same documents give identical
/// rows.
fn idf_from_df(df: impl Iterator<Item = u32>, n_docs: usize) -> Vec<f32> {
    let n = n_docs as f64;
    df.map(|d| (((1.0 + n) / (1.0 + d as f64)).ln() + 1.0) as f32)
        .collect()
}

/// A fitted vectorizer: the sorted vocabulary and its idf weights.
///
/// Serialises as plain data, `{params, vocabulary: [term, ...], idf}`, with
/// the terms as strings whatever the in-memory form; the lookup table is
/// rebuilt on first use after loading, and loading validates the parts (see
/// [`Tfidf::from_parts`]).
#[derive(Debug, Deserialize)]
#[serde(try_from = "TfidfParts")]
pub struct Tfidf {
    params: TfidfParams,
    terms: Terms,
    idf: Vec<f32>,
    index: OnceLock<Slots>,
}

impl Clone for Tfidf {
    fn clone(&self) -> Self {
        Tfidf {
            params: self.params,
            terms: self.terms.clone(),
            idf: self.idf.clone(),
            index: OnceLock::new(),
        }
    }
}

impl Serialize for Tfidf {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Tfidf", 3)?;
        st.serialize_field("params", &self.params)?;
        st.serialize_field("vocabulary", &TermsOut(&self.terms))?;
        st.serialize_field("idf", &self.idf)?;
        st.end()
    }
}

/// The vocabulary written as a sequence of strings, decoded one at a time.
struct TermsOut<'a>(&'a Terms);

impl Serialize for TermsOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let n = match self.0 {
            Terms::Hashed { .. } => 0,
            t => t.len(),
        };
        let mut seq = s.serialize_seq(Some(n))?;
        let mut buf = String::new();
        for i in 0..n {
            buf.clear();
            self.0.write_term(i, &mut buf);
            seq.serialize_element(buf.as_str())?;
        }
        seq.end()
    }
}

/// Wire form of [`Tfidf`], validated before it becomes one.
#[derive(Deserialize)]
struct TfidfParts {
    params: TfidfParams,
    vocabulary: Arena,
    idf: Vec<f32>,
}

impl TryFrom<TfidfParts> for Tfidf {
    type Error = crate::error::Error;
    fn try_from(p: TfidfParts) -> Result<Self> {
        Tfidf::from_arena(p.params, p.vocabulary, p.idf)
    }
}

/// Terms concatenated into one string with end offsets: one allocation
/// instead of one per term.
#[derive(Debug, Clone, Default)]
struct Arena {
    text: String,
    ends: Vec<usize>,
}

impl Arena {
    fn len(&self) -> usize {
        self.ends.len()
    }

    fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }

    fn push(&mut self, term: &str) {
        self.text.push_str(term);
        self.ends.push(self.text.len());
    }
}

impl<'de> Deserialize<'de> for Arena {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct ArenaVisitor;
        impl<'de> Visitor<'de> for ArenaVisitor {
            type Value = Arena;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a sequence of vocabulary terms")
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Arena, A::Error> {
                let mut arena = Arena::default();
                // Capacity hints come from the file: trust them only up to a bound.
                arena
                    .ends
                    .reserve(seq.size_hint().unwrap_or(0).min(1 << 20));
                while let Some(term) = seq.next_element::<String>()? {
                    arena.push(&term);
                }
                Ok(arena)
            }
        }
        d.deserialize_seq(ArenaVisitor)
    }
}

/// The vocabulary in feature-index order.
#[derive(Debug, Clone)]
enum Terms {
    /// Packed n-gram keys, strictly increasing (see the module docs).
    Packed { packer: Packer, keys: Vec<u64> },
    /// Plain strings, strictly increasing.
    Strings(Arena),
    /// No vocabulary: `2^bits` hashed columns.
    Hashed { bits: u8 },
}

impl Terms {
    fn len(&self) -> usize {
        match self {
            Terms::Packed { keys, .. } => keys.len(),
            Terms::Strings(a) => a.len(),
            Terms::Hashed { bits } => 1 << bits,
        }
    }

    /// Appends term `i` to `out`.
    fn write_term(&self, i: usize, out: &mut String) {
        match self {
            Terms::Packed { packer, keys } => packer.decode_into(keys[i], out),
            Terms::Strings(a) => out.push_str(a.get(i)),
            Terms::Hashed { .. } => out.push_str(&format!("#{i}")),
        }
    }

    fn build_index(&self) -> Slots {
        match self {
            Terms::Packed { keys, .. } => Slots::build(keys.len(), |i| mix64(keys[i])),
            Terms::Strings(a) => Slots::build(a.len(), |i| fx_hash(a.get(i))),
            Terms::Hashed { .. } => Slots::default(),
        }
    }
}

impl Tfidf {
    /// Reassembles a vectorizer from its parts, checking that the params are
    /// valid, the vocabulary is strictly sorted (feature index = rank), and
    /// there is one finite idf per term.
    pub fn from_parts(params: TfidfParams, vocabulary: Vec<String>, idf: Vec<f32>) -> Result<Self> {
        let mut arena = Arena::default();
        for t in &vocabulary {
            arena.push(t);
        }
        Tfidf::from_arena(params, arena, idf)
    }

    fn from_arena(params: TfidfParams, vocabulary: Arena, idf: Vec<f32>) -> Result<Self> {
        params.check()?;
        if let Some(bits) = params.hash_bits {
            if vocabulary.len() != 0 || idf.len() != 1 << bits {
                bail!(
                    "hashed vectorizer ({bits} bits) needs no vocabulary and {} idf values, got \
                     {} terms and {} values",
                    1u64 << bits,
                    vocabulary.len(),
                    idf.len()
                );
            }
            if let Some(i) = idf.iter().position(|v| !v.is_finite()) {
                bail!("idf[{}] is not finite: {}", i, idf[i]);
            }
            return Ok(Tfidf {
                params,
                terms: Terms::Hashed { bits },
                idf,
                index: OnceLock::new(),
            });
        }
        let n = vocabulary.len();
        if n != idf.len() {
            bail!(
                "vocabulary has {} terms but idf has {} values",
                n,
                idf.len()
            );
        }
        if n > u32::MAX as usize {
            bail!("vocabulary too large: {} terms", n);
        }
        if let Some(i) = (1..n).find(|&i| vocabulary.get(i - 1) >= vocabulary.get(i)) {
            bail!(
                "vocabulary is not strictly sorted at index {}: {:?} >= {:?}",
                i - 1,
                vocabulary.get(i - 1),
                vocabulary.get(i)
            );
        }
        if let Some(i) = idf.iter().position(|v| !v.is_finite()) {
            bail!("idf[{}] is not finite: {}", i, idf[i]);
        }
        let packed = params
            .analyzer
            .is_char()
            .then(|| pack_terms(&vocabulary, params.ngram_max))
            .flatten();
        let terms = match packed {
            Some((packer, keys)) => Terms::Packed { packer, keys },
            None => Terms::Strings(vocabulary),
        };
        Ok(Tfidf {
            params,
            terms,
            idf,
            index: OnceLock::new(),
        })
    }

    /// Vectorizes `docs` with the fitted vocabulary (sklearn `transform`);
    /// n-grams not seen in training are ignored, and a document with no known
    /// n-gram gives an all-zero row.
    pub fn transform(&self, docs: &[&str]) -> CsrMatrix {
        let index = self.index();
        let (min, max) = (self.params.ngram_min, self.params.ngram_max);
        let analyzer = self.params.analyzer;
        let rows: Vec<(Vec<u32>, Vec<f32>)> = docs
            .par_iter()
            .map_init(Scratch::default, |s, d| {
                let doc = analyzer.analyze(d);
                let (idx, tf) = match &self.terms {
                    Terms::Packed { packer, keys } => {
                        s.count_keys(packer, analyzer, &doc, min, max);
                        let mut idx = Vec::with_capacity(s.counted.len());
                        let mut tf = Vec::with_capacity(s.counted.len());
                        for &(k, c) in &s.counted {
                            if let Some(id) = index.find(mix64(k), |id| keys[id as usize] == k) {
                                idx.push(id);
                                tf.push(c);
                            }
                        }
                        (idx, tf)
                    }
                    Terms::Strings(a) => {
                        let mut ids = Vec::new();
                        for_each_term(analyzer, &doc, (min, max), &mut s.bounds, |g| {
                            if let Some(id) = index.find(fx_hash(g), |id| a.get(id as usize) == g) {
                                ids.push(id);
                            }
                        });
                        run_length(ids)
                    }
                    Terms::Hashed { bits } => {
                        let mut ids = Vec::new();
                        for_each_term(analyzer, &doc, (min, max), &mut s.bounds, |g| {
                            ids.push(hash_column(g, *bits));
                        });
                        run_length(ids)
                    }
                };
                let mut vals = vec![0f32; idx.len()];
                weigh_into(
                    &idx,
                    &tf,
                    &self.idf,
                    self.params.sublinear_tf,
                    &mut s.raw,
                    &mut vals,
                );
                (idx, vals)
            })
            .collect();
        CsrMatrix::from_rows(self.n_features(), rows)
    }

    /// The parameters the vectorizer was fitted with.
    pub fn params(&self) -> &TfidfParams {
        &self.params
    }

    /// Terms in feature-index order (sorted by code point). Allocates one
    /// string per term: meant for inspection and tests.
    pub fn vocabulary(&self) -> Vec<String> {
        (0..self.n_features())
            .map(|i| self.feature_name(i).unwrap_or_default())
            .collect()
    }

    /// Inverse document frequency of each feature.
    pub fn idf(&self) -> &[f32] {
        &self.idf
    }

    /// Number of features (vocabulary size).
    pub fn n_features(&self) -> usize {
        self.terms.len()
    }

    /// The n-gram behind feature `index`, if it exists.
    pub fn feature_name(&self, index: usize) -> Option<String> {
        (index < self.n_features()).then(|| {
            let mut s = String::new();
            self.terms.write_term(index, &mut s);
            s
        })
    }

    /// Feature index of an already-normalised n-gram, if it is in the
    /// vocabulary.
    pub fn feature_index(&self, term: &str) -> Option<usize> {
        let index = self.index();
        let id = match &self.terms {
            Terms::Packed { packer, keys } => {
                let k = packer.pack(term)?;
                index.find(mix64(k), |id| keys[id as usize] == k)
            }
            Terms::Strings(a) => index.find(fx_hash(term), |id| a.get(id as usize) == term),
            Terms::Hashed { bits } => Some(hash_column(term, *bits)),
        };
        id.map(|i| i as usize)
    }

    /// Whether terms are held as packed integer keys (the fast path).
    #[cfg(test)]
    fn is_packed(&self) -> bool {
        matches!(self.terms, Terms::Packed { .. })
    }

    fn index(&self) -> &Slots {
        self.index.get_or_init(|| self.terms.build_index())
    }
}

/// Packs a loaded, sorted vocabulary into keys when its characters allow.
fn pack_terms(vocab: &Arena, ngram_max: usize) -> Option<(Packer, Vec<u64>)> {
    let mut seen = CharSet::default();
    let mut longest = 0;
    for i in 0..vocab.len() {
        let t = vocab.get(i);
        let mut n = 0;
        for c in t.chars() {
            seen.insert(c);
            n += 1;
        }
        longest = longest.max(n);
    }
    let packer = Packer::new(seen.chars(), ngram_max.max(longest))?;
    let keys = (0..vocab.len())
        .map(|i| packer.pack(vocab.get(i)))
        .collect::<Option<Vec<u64>>>()?;
    Some((packer, keys))
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

/// A set of code points (a bitmap over all of Unicode, 136 KiB).
#[derive(Clone)]
struct CharSet(Vec<u64>);

impl Default for CharSet {
    fn default() -> Self {
        CharSet(vec![0; (char::MAX as usize + 1).div_ceil(64)])
    }
}

impl CharSet {
    fn insert(&mut self, c: char) {
        let u = c as usize;
        self.0[u / 64] |= 1 << (u % 64);
    }

    fn union(mut self, other: CharSet) -> CharSet {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a |= b;
        }
        self
    }

    /// The members in code point order.
    fn chars(&self) -> Vec<char> {
        let mut out = Vec::new();
        for (w, &bits) in self.0.iter().enumerate() {
            let mut b = bits;
            while b != 0 {
                let u = w * 64 + b.trailing_zeros() as usize;
                out.extend(char::from_u32(u as u32));
                b &= b - 1;
            }
        }
        out
    }
}

/// The distinct characters of `docs`, in code point order.
fn alphabet(docs: &[String]) -> Vec<char> {
    docs.par_iter()
        .fold(CharSet::default, |mut set, d| {
            for c in d.chars() {
                set.insert(c);
            }
            set
        })
        .reduce(CharSet::default, CharSet::union)
        .chars()
}

/// Maps characters to ids `1..=K` in code point order and packs up to
/// `64 / bits` of them into a `u64` key, first character in the highest bits.
#[derive(Debug, Clone)]
struct Packer {
    /// The alphabet in code point order; character `chars[i]` has id `i + 1`.
    chars: Vec<char>,
    /// Bits per character id.
    bits: u32,
    /// Ids of code points below [`DIRECT`] (0 = not in the alphabet): Latin,
    /// Greek and Cyrillic text never needs the binary search.
    direct: Vec<u32>,
}

const DIRECT: usize = 0x500;

impl Packer {
    /// A packer for n-grams of up to `max_len` characters over `chars`
    /// (sorted, distinct), or `None` if they do not fit in 64 bits.
    fn new(chars: Vec<char>, max_len: usize) -> Option<Packer> {
        if chars.is_empty() {
            return None;
        }
        let bits = u32::BITS - (chars.len() as u32).leading_zeros();
        if (bits as usize).checked_mul(max_len)? > 64 {
            return None;
        }
        let mut direct = vec![0u32; DIRECT];
        for (i, &c) in chars.iter().enumerate() {
            if (c as usize) < DIRECT {
                direct[c as usize] = i as u32 + 1;
            }
        }
        Some(Packer {
            chars,
            bits,
            direct,
        })
    }

    /// The id of `c`, 0 if it is not in the alphabet.
    #[inline]
    fn id(&self, c: char) -> u32 {
        match self.direct.get(c as usize) {
            Some(&id) => id,
            None => self.chars.binary_search(&c).map_or(0, |p| p as u32 + 1),
        }
    }

    /// Appends the key of every window of `min..=max` ids that holds no 0
    /// (a character outside the alphabet, so an n-gram never seen in
    /// training).
    #[inline]
    fn window_keys(&self, ids: &[u32], min: usize, max: usize, out: &mut Vec<u64>) {
        for i in 0..ids.len() {
            let mut key = 0u64;
            let mut shift = 64;
            for (n, &id) in ids[i..ids.len().min(i + max)].iter().enumerate() {
                if id == 0 {
                    break;
                }
                shift -= self.bits;
                key |= (id as u64) << shift;
                if n + 1 >= min {
                    out.push(key);
                }
            }
        }
    }

    /// Appends the keys of a padded word's n-grams as `char_wb` counts them:
    /// its windows of `min..=max` ids, except that once `n` reaches the word's
    /// length the whole word is one n-gram and longer ones are not tried.
    /// Windows holding a 0 (a character outside the alphabet) are skipped.
    fn word_keys(&self, ids: &[u32], min: usize, max: usize, out: &mut Vec<u64>) {
        let key = |w: &[u32]| -> Option<u64> {
            let mut key = 0u64;
            let mut shift = 64;
            for &id in w {
                if id == 0 {
                    return None;
                }
                shift -= self.bits;
                key |= (id as u64) << shift;
            }
            Some(key)
        };
        for n in min..=max {
            if n >= ids.len() {
                out.extend(key(ids));
                return;
            }
            out.extend(ids.windows(n).filter_map(key));
        }
    }

    /// The key of `term`, or `None` if it is empty, too long or holds a
    /// character outside the alphabet.
    fn pack(&self, term: &str) -> Option<u64> {
        let mut key = 0u64;
        let mut shift = 64u32;
        for c in term.chars() {
            let id = self.id(c);
            if id == 0 || shift < self.bits {
                return None;
            }
            shift -= self.bits;
            key |= (id as u64) << shift;
        }
        (shift < 64).then_some(key)
    }

    /// Appends the characters of `key` to `out`.
    fn decode_into(&self, key: u64, out: &mut String) {
        let mask = (1u64 << self.bits) - 1;
        let mut shift = 64;
        while shift >= self.bits {
            shift -= self.bits;
            let id = ((key >> shift) & mask) as usize;
            if id == 0 {
                break;
            }
            out.push(self.chars[id - 1]);
        }
    }
}

/// Slices of documents per rayon thread in [`TfidfParams::fit`].
const SLICES_PER_THREAD: usize = 4;

/// What [`TfidfParams::fit`] learns from one slice of documents: for each
/// entry (a distinct n-gram of a document, documents in order), its count and
/// its rank among the slice's distinct keys.
#[derive(Default)]
struct SliceCounts {
    /// Number of distinct n-grams of each document.
    lens: Vec<usize>,
    /// Count of each entry in its document.
    counts: Vec<u32>,
    /// Index of each entry's key in `distinct`.
    rank: Vec<u32>,
    /// The slice's distinct keys, sorted.
    distinct: Vec<u64>,
    /// Number of the slice's documents holding each distinct key.
    df: Vec<u32>,
}

/// The vocabulary merged from every slice in [`TfidfParams::fit_packed`].
struct Merged {
    /// The vocabulary's keys, increasing.
    keys: Vec<u64>,
    /// Each term's document frequency.
    df: Vec<u32>,
    /// `to_global[s][r]` is the feature id of slice `s`'s `r`-th distinct key
    /// ([`DROPPED`] once the limits dropped it).
    to_global: Vec<Vec<u32>>,
}

/// The feature id of a term the vocabulary limits dropped.
const DROPPED: u32 = u32::MAX;

/// Step 2 of [`TfidfParams::fit_packed`]: a k-way merge of the slices'
/// distinct keys into the vocabulary.
fn merge_slices(slices: &[SliceCounts]) -> Result<Merged> {
    let mut keys: Vec<u64> = Vec::new();
    let mut df: Vec<u32> = Vec::new();
    let mut to_global: Vec<Vec<u32>> = slices.iter().map(|s| vec![0; s.distinct.len()]).collect();
    let mut cur = vec![0usize; slices.len()];
    loop {
        let next = slices
            .iter()
            .zip(&cur)
            .filter_map(|(s, &c)| s.distinct.get(c).copied())
            .min();
        let Some(k) = next else { break };
        if keys.len() >= u32::MAX as usize - 1 {
            bail!("more than {} distinct n-grams", u32::MAX - 1);
        }
        let id = keys.len() as u32;
        let mut d = 0;
        for ((s, c), map) in slices.iter().zip(cur.iter_mut()).zip(to_global.iter_mut()) {
            if s.distinct.get(*c) == Some(&k) {
                map[*c] = id;
                d += s.df[*c];
                *c += 1;
            }
        }
        keys.push(k);
        df.push(d);
    }
    Ok(Merged {
        keys,
        df,
        to_global,
    })
}

impl Merged {
    /// Step 3 of [`TfidfParams::fit_packed`]: drops the terms `limits` drop and renumbers
    /// the rest; returns whether any term was dropped.
    fn limit(&mut self, limits: &Limits, slices: &[SliceCounts], n_docs: usize) -> Result<bool> {
        let Some(map) = limits.remap(&self.df, n_docs, || self.corpus_tf(slices))? else {
            return Ok(false);
        };
        let kept = |i: &usize| map[*i].is_some();
        self.keys = (0..self.keys.len())
            .filter(kept)
            .map(|i| self.keys[i])
            .collect();
        self.df = (0..self.df.len())
            .filter(kept)
            .map(|i| self.df[i])
            .collect();
        for ids in &mut self.to_global {
            for g in ids.iter_mut() {
                *g = map[*g as usize].unwrap_or(DROPPED);
            }
        }
        Ok(true)
    }

    /// Each term's count summed over the training documents.
    fn corpus_tf(&self, slices: &[SliceCounts]) -> Vec<u64> {
        let mut tf = vec![0u64; self.keys.len()];
        for (s, ids) in slices.iter().zip(&self.to_global) {
            for (&r, &c) in s.rank.iter().zip(&s.counts) {
                tf[ids[r as usize] as usize] += c as u64;
            }
        }
        tf
    }
}

/// Step 4 of [`TfidfParams::fit_packed`]: every document's row, written in
/// place into a matrix sized from the entry counts (the kept ones, when
/// `pruned`).
fn write_packed_rows(
    slices: &[SliceCounts],
    merged: &Merged,
    pruned: bool,
    idf: &[f32],
    sublinear: bool,
) -> CsrMatrix {
    // Each row's (slice ranks, counts, rank -> feature id map).
    let mut sources: Vec<(&[u32], &[u32], &[u32])> = Vec::new();
    for (s, map) in slices.iter().zip(&merged.to_global) {
        let mut start = 0;
        for &l in &s.lens {
            let end = start + l;
            sources.push((&s.rank[start..end], &s.counts[start..end], map));
            start = end;
        }
    }
    let lens: Vec<usize> = if pruned {
        sources
            .par_iter()
            .map(|(ranks, _, map)| {
                ranks
                    .iter()
                    .filter(|&&r| map[r as usize] != DROPPED)
                    .count()
            })
            .collect()
    } else {
        slices.iter().flat_map(|s| s.lens.iter().copied()).collect()
    };
    let mut x = CsrMatrix::with_row_lengths(merged.keys.len(), &lens);
    x.rows_mut().into_par_iter().zip(sources).for_each_init(
        || (Vec::new(), Vec::new()),
        |(raw, tf), ((idx, val), (ranks, counts, map))| {
            // A document's entries are in key order and the map is
            // increasing, so the row's feature ids come out sorted.
            tf.clear();
            for (&r, &c) in ranks.iter().zip(counts) {
                let id = map[r as usize];
                if id != DROPPED {
                    idx[tf.len()] = id;
                    tf.push(c);
                }
            }
            weigh_into(idx, tf, idf, sublinear, raw, val);
        },
    );
    x
}

/// Per-thread buffers reused across documents.
#[derive(Default)]
struct Scratch {
    ids: Vec<u32>,
    keys: Vec<u64>,
    /// `(key, count)` of each distinct n-gram of the last document, by key.
    counted: Vec<(u64, u32)>,
    /// f64 tf-idf values before normalising (see [`weigh_into`]).
    raw: Vec<f64>,
    bounds: Vec<usize>,
}

impl Scratch {
    /// Fills `counted` with the distinct n-gram keys of the analysed document
    /// `doc` and their counts.
    fn count_keys(
        &mut self,
        packer: &Packer,
        analyzer: Analyzer,
        doc: &str,
        min: usize,
        max: usize,
    ) {
        self.ids.clear();
        self.keys.clear();
        if analyzer == Analyzer::CharWb {
            // Padded words: a space, the word, a space; the words hold no space.
            self.bounds.clear();
            for (i, c) in doc.chars().enumerate() {
                self.ids.push(packer.id(c));
                if c == ' ' {
                    self.bounds.push(i);
                }
            }
            for w in self.bounds.chunks_exact(2) {
                packer.word_keys(&self.ids[w[0]..=w[1]], min, max, &mut self.keys);
            }
        } else {
            self.ids.extend(doc.chars().map(|c| packer.id(c)));
            packer.window_keys(&self.ids, min, max, &mut self.keys);
        }
        self.keys.sort_unstable();
        self.counted.clear();
        for &k in &self.keys {
            match self.counted.last_mut() {
                Some((last, c)) if *last == k => *c += 1,
                _ => self.counted.push((k, 1)),
            }
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
    let mut out = vec![0f32; idx.len()];
    weigh_into(idx, tf, idf, sublinear, &mut Vec::new(), &mut out);
    out
}

/// [`weigh`] into `out`, with `raw` as scratch.
fn weigh_into(
    idx: &[u32],
    tf: &[u32],
    idf: &[f32],
    sublinear: bool,
    raw: &mut Vec<f64>,
    out: &mut [f32],
) {
    raw.clear();
    raw.extend(idx.iter().zip(tf).map(|(&i, &t)| {
        let t = if sublinear {
            1.0 + (t as f64).ln()
        } else {
            t as f64
        };
        t * idf[i as usize] as f64
    }));
    let norm = raw.iter().map(|v| v * v).sum::<f64>().sqrt();
    for (o, &v) in out.iter_mut().zip(raw.iter()) {
        *o = if norm > 0.0 {
            (v / norm) as f32
        } else {
            v as f32
        };
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

/// MurmurHash3's 64-bit finaliser. Packed keys of short n-grams have all
/// their information in the high bits, so a hash that only multiplies would
/// leave the low bits (the bucket index) constant; this mixes every bit into
/// every other.
#[inline]
fn mix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// Open-addressing table of vocabulary ids; it stores only `u32` slots
/// (about 8 bytes per term) and compares against the vocabulary itself, so
/// a lookup is one hash plus usually one comparison.
#[derive(Debug, Clone, Default)]
struct Slots {
    slots: Vec<u32>,
    mask: usize,
}

const EMPTY: u32 = u32::MAX;

impl Slots {
    /// A table of ids `0..n`, id `i` hashed by `hash(i)`.
    fn build(n: usize, hash: impl Fn(usize) -> u64) -> Self {
        let cap = (n * 2).next_power_of_two().max(16);
        let mask = cap - 1;
        let mut slots = vec![EMPTY; cap];
        for i in 0..n {
            let mut h = hash(i) as usize & mask;
            while slots[h] != EMPTY {
                h = (h + 1) & mask;
            }
            slots[h] = i as u32;
        }
        Slots { slots, mask }
    }

    /// The id whose hash is `h` and for which `eq` holds.
    #[inline]
    fn find(&self, h: u64, eq: impl Fn(u32) -> bool) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mut h = h as usize & self.mask;
        loop {
            let id = self.slots[h];
            if id == EMPTY {
                return None;
            }
            if eq(id) {
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
}

#[cfg(test)]
mod packed_tests {
    use super::*;

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
}
