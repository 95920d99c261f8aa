//! Hashed features: MurmurHash3 columns and the counts of a hashed corpus.

use super::count::{run_length, weigh_into};
use super::params::TfidfParams;
use crate::features::analyzer::for_each_term;
use crate::features::sparse::CsrMatrix;
use rayon::prelude::*;

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
pub(super) const HASH_CHUNK: usize = 4096;

/// Distinct hashed columns of one document, ascending, with their counts.
pub(super) fn hashed_counts(
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
