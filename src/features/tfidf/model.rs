//! The fitted vectorizer: vocabulary, idf and transform.

use super::count::{run_length, weigh_into, Scratch};
use super::hashing::hash_column;
use super::params::TfidfParams;
use super::table::{fx_hash, mix64, Slots};
use super::terms::{pack_terms, Arena, Terms};
use crate::error::bail;
use crate::error::Result;
use crate::features::analyzer::for_each_term;
use crate::features::sparse::CsrMatrix;
use rayon::prelude::*;
use std::sync::OnceLock;

/// A fitted vectorizer: the sorted vocabulary and its idf weights.
///
/// Serialises as plain data, `{params, vocabulary: [term, ...], idf}`, with
/// the terms as strings whatever the in-memory form; the lookup table is
/// rebuilt on first use after loading, and loading validates the parts (see
/// [`Tfidf::from_parts`]).
#[derive(Debug)]
pub struct Tfidf {
    pub(super) params: TfidfParams,
    pub(super) terms: Terms,
    pub(super) idf: Vec<f32>,
    pub(super) index: OnceLock<Slots>,
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

    pub(super) fn from_arena(
        params: TfidfParams,
        vocabulary: Arena,
        idf: Vec<f32>,
    ) -> Result<Self> {
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
    pub(super) fn is_packed(&self) -> bool {
        matches!(self.terms, Terms::Packed { .. })
    }

    pub(super) fn index(&self) -> &Slots {
        self.index.get_or_init(|| self.terms.build_index())
    }
}
