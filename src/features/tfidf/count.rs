//! Counting n-grams per slice of documents, merging the counts, and weighing rows.

use super::packed::Packer;
use crate::error::bail;
use crate::error::Result;
use crate::features::analyzer::Analyzer;
use crate::features::limit::Limits;
use crate::features::sparse::CsrMatrix;
use rayon::prelude::*;

/// Smooth idf, `ln((1 + n) / (1 + df)) + 1`, rounded to f32 before use so
/// that `fit` and a later `transform` of the same documents give identical
/// rows.
pub(super) fn idf_from_df(df: impl Iterator<Item = u32>, n_docs: usize) -> Vec<f32> {
    let n = n_docs as f64;
    df.map(|d| (((1.0 + n) / (1.0 + d as f64)).ln() + 1.0) as f32)
        .collect()
}

/// Slices of documents per rayon thread in [`TfidfParams::fit`].
pub(super) const SLICES_PER_THREAD: usize = 4;

/// What [`TfidfParams::fit`] learns from one slice of documents: for each
/// entry (a distinct n-gram of a document, documents in order), its count and
/// its rank among the slice's distinct keys.
#[derive(Default)]
pub(super) struct SliceCounts {
    /// Number of distinct n-grams of each document.
    pub(super) lens: Vec<usize>,
    /// Count of each entry in its document.
    pub(super) counts: Vec<u32>,
    /// Index of each entry's key in `distinct`.
    pub(super) rank: Vec<u32>,
    /// The slice's distinct keys, sorted.
    pub(super) distinct: Vec<u64>,
    /// Number of the slice's documents holding each distinct key.
    pub(super) df: Vec<u32>,
}

/// The vocabulary merged from every slice in [`TfidfParams::fit_packed`].
pub(super) struct Merged {
    /// The vocabulary's keys, increasing.
    pub(super) keys: Vec<u64>,
    /// Each term's document frequency.
    pub(super) df: Vec<u32>,
    /// `to_global[s][r]` is the feature id of slice `s`'s `r`-th distinct key
    /// ([`DROPPED`] once the limits dropped it).
    pub(super) to_global: Vec<Vec<u32>>,
}

/// The feature id of a term the vocabulary limits dropped.
pub(super) const DROPPED: u32 = u32::MAX;

/// Step 2 of [`TfidfParams::fit_packed`]: a k-way merge of the slices'
/// distinct keys into the vocabulary.
pub(super) fn merge_slices(slices: &[SliceCounts]) -> Result<Merged> {
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
    pub(super) fn limit(
        &mut self,
        limits: &Limits,
        slices: &[SliceCounts],
        n_docs: usize,
    ) -> Result<bool> {
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
    pub(super) fn corpus_tf(&self, slices: &[SliceCounts]) -> Vec<u64> {
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
pub(super) fn write_packed_rows(
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
pub(super) struct Scratch {
    pub(super) ids: Vec<u32>,
    pub(super) keys: Vec<u64>,
    /// `(key, count)` of each distinct n-gram of the last document, by key.
    pub(super) counted: Vec<(u64, u32)>,
    /// f64 tf-idf values before normalising (see [`weigh_into`]).
    pub(super) raw: Vec<f64>,
    pub(super) bounds: Vec<usize>,
}

impl Scratch {
    /// Fills `counted` with the distinct n-gram keys of the analysed document
    /// `doc` and their counts.
    pub(super) fn count_keys(
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
pub(super) fn run_length(mut ids: Vec<u32>) -> (Vec<u32>, Vec<u32>) {
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
pub(super) fn weigh(idx: &[u32], tf: &[u32], idf: &[f32], sublinear: bool) -> Vec<f32> {
    let mut out = vec![0f32; idx.len()];
    weigh_into(idx, tf, idf, sublinear, &mut Vec::new(), &mut out);
    out
}

/// [`weigh`] into `out`, with `raw` as scratch.
pub(super) fn weigh_into(
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
