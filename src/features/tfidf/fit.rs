//! Fitting: the vocabulary and idf from documents, by packed keys, strings or hashing.

use super::count::{
    idf_from_df, merge_slices, run_length, weigh, write_packed_rows, Scratch, SliceCounts,
    SLICES_PER_THREAD,
};
use super::hashing::{hashed_counts, HashedCounts, HASH_CHUNK};
use super::model::Tfidf;
use super::packed::{alphabet, Packer};
use super::params::TfidfParams;
use super::table::FxBuild;
use super::terms::{Arena, Terms};
use crate::error::bail;
use crate::error::Result;
use crate::features::analyzer::for_each_term;
use crate::features::analyzer::Analyzer;
use crate::features::sparse::CsrMatrix;
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::OnceLock;

impl TfidfParams {
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
    pub(super) fn fit_with(&self, docs: &[&str], allow_packed: bool) -> Result<(Tfidf, CsrMatrix)> {
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
    pub(super) fn fit_hashed(&self, docs: &[&str], bits: u8) -> (Vec<f32>, CsrMatrix) {
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

    pub(super) fn hashed_counts(&self, docs: &[&str], bits: u8) -> HashedCounts {
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
    pub(super) fn fit_packed(
        &self,
        norm: &[String],
        packer: Packer,
    ) -> Result<(Terms, Vec<f32>, CsrMatrix)> {
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
        crate::features::release_free_memory();
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
    pub(super) fn count_slice(&self, docs: &[String], packer: &Packer) -> Result<SliceCounts> {
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
    pub(super) fn max_terms(&self, doc: &str) -> usize {
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
    pub(super) fn fit_strings(&self, norm: &[String]) -> Result<(Terms, Vec<f32>, CsrMatrix)> {
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
    pub(super) fn intern_terms<'a>(
        &self,
        norm: &'a [String],
    ) -> Result<(Vec<&'a str>, Vec<Vec<u32>>)> {
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
pub(super) fn keep_terms(arena: &Arena, df: &[u32], map: &[Option<u32>]) -> (Arena, Vec<u32>) {
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
pub(super) fn remap_row(
    (idx, tf): &(Vec<u32>, Vec<u32>),
    map: &[Option<u32>],
) -> (Vec<u32>, Vec<u32>) {
    idx.iter()
        .zip(tf)
        .filter_map(|(&i, &c)| map[i as usize].map(|j| (j, c)))
        .unzip()
}
