//! The folded route's training rows: tf-idf rows packed into lanes of slots, built once and
//! decoded per pass (see `folded.rs` for the solver that reads them).

use crate::features::sparse::CsrMatrix;
use crate::features::tfidf::{tf_idf_raw, HashedCounts};
use rayon::prelude::*;

/// Slot of a column that no training row holds.
pub(super) const UNSEEN: u32 = u32::MAX;

/// Lanes (problems) per block at most: 64 `f32` weights are four cache lines per feature.
pub(super) const MAX_LANES: usize = 64;

/// The training rows as the primal route reads them.
pub(super) struct FoldedRows {
    /// Per original column: `< n_shared` for a feature held by two or more rows (numbered by
    /// decreasing document frequency, ties by column), `n_shared + j` for the `j`-th feature
    /// held by one row (column order), [`UNSEEN`] otherwise.
    pub slot: Vec<u32>,
    /// Number of shared features.
    pub n_shared: usize,
    pub(super) indptr: Vec<usize>,
    /// Each row's shared entries, by ascending slot.
    pub(super) entries: Entries,
    /// Per row: the sum of its single-row features' squared values.
    pub(super) single_sq: Vec<f64>,
    /// Per row: `|[x_i, 1]|^2`.
    pub(super) xtx: Vec<f64>,
    /// Row of each single-row feature.
    pub single_row: Vec<u32>,
    /// Value of each single-row feature in its row.
    pub single_val: Vec<f32>,
}

/// The shared entries of the training rows.
pub(super) enum Entries {
    /// Slot and `f32` value of each entry: 8 bytes.
    Plain { indices: Vec<u32>, data: Vec<f32> },
    /// Hashed features kept as counts: 4 bytes per entry ([`Packed`]).
    Packed(Box<Packed>),
}

/// Shared entries as `slot << TF_BITS | count`, 4 bytes each; an entry's value is recomputed
/// whenever its row is read, bit for bit the value the vectorizer forms: `tf(count) *
/// idf[slot]` in `f64` ([`tf_idf_raw`]), divided by the row's norm, rounded to `f32`.
pub(super) struct Packed {
    pub(super) packed: Vec<u32>,
    /// idf of each shared slot.
    pub(super) idf: Vec<f32>,
    /// Each row's L2 norm of tf × idf; 1 for a zero norm (where the vectorizer does not
    /// divide, and dividing by 1 changes nothing).
    pub(super) norm: Vec<f64>,
    /// tf of each count: the count, or `1 + ln(count)` with sublinear tf.
    pub(super) tf: [f64; 256],
}

/// Bits of a packed entry that hold its count (counts up to 255; the slot above them).
pub(super) const TF_BITS: u32 = 8;
pub(super) const TF_MASK: u32 = (1 << TF_BITS) - 1;

impl Packed {
    /// `tf(count) * idf` before the division by the row's norm, as the vectorizer forms it.
    #[inline(always)]
    pub(super) fn raw(&self, q: u32) -> f64 {
        self.tf[(q & TF_MASK) as usize] * self.idf[(q >> TF_BITS) as usize] as f64
    }

    /// Entries `s..e` of row `i` decoded into `buf` (with AVX2 kernels when `avx2`).
    #[inline(always)]
    pub(super) fn decode(&self, s: usize, e: usize, i: usize, buf: &mut RowBuf, avx2: bool) {
        let norm = self.norm[i];
        let q = &self.packed[s..e];
        buf.idx.resize(q.len(), 0);
        buf.val.resize(q.len(), 0.0);
        let mut done = 0;
        #[cfg(target_arch = "x86_64")]
        if avx2 {
            // SAFETY: `avx2` is only true when the CPU supports AVX2; every packed slot is
            // below `idf.len()` (only shared slots are packed, see `pack_rows`).
            done = unsafe { decode_avx2(q, &self.idf, &self.tf, norm, &mut buf.idx, &mut buf.val) };
        }
        let _ = avx2;
        for ((&q, slot), v) in q[done..]
            .iter()
            .zip(&mut buf.idx[done..])
            .zip(&mut buf.val[done..])
        {
            *slot = q >> TF_BITS;
            *v = (self.raw(q) / norm) as f32;
        }
    }
}

/// Decodes packed entries eight at a time, the values by one multiplication by `1 / norm`
/// instead of a division: `raw * (1 / norm)` lies within 3 ulps of the correctly rounded
/// `raw / norm`, so both round to the same `f32` unless one of them lies next to a point
/// halfway between two `f32`s (or in the `f32` subnormal range). When any value of the row
/// comes within 8 ulps of such a point, nothing is kept (returns 0) and the caller divides;
/// otherwise returns how many entries were decoded (the row's length rounded down to 8).
///
/// # Safety
/// AVX2 must be available, and `q >> TF_BITS < idf.len()` for every entry `q`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn decode_avx2(
    q: &[u32],
    idf: &[f32],
    tf: &[f64; 256],
    norm: f64,
    idx: &mut [u32],
    val: &mut [f32],
) -> usize {
    use std::arch::x86_64::*;
    let n = q.len().min(idx.len()).min(val.len()) / 8 * 8;
    let inv = _mm256_set1_pd(1.0 / norm);
    let mask = _mm256_set1_epi32(TF_MASK as i32);
    // The low 29 of an f64's 52 mantissa bits are those an f32 drops; halfway is 2^28.
    let low = _mm256_set1_epi64x((1 << 29) - 1);
    let (above, below) = (
        _mm256_set1_epi64x((1 << 28) - 9),
        _mm256_set1_epi64x((1 << 28) + 9),
    );
    let tiny = _mm256_set1_pd(f32::MIN_POSITIVE as f64);
    let mut risky = _mm256_setzero_si256();
    let mut k = 0;
    while k < n {
        let v = _mm256_loadu_si256(q.as_ptr().add(k).cast());
        let slots = _mm256_srli_epi32::<{ TF_BITS as i32 }>(v);
        _mm256_storeu_si256(idx.as_mut_ptr().add(k).cast(), slots);
        let counts = _mm256_and_si256(v, mask);
        let idf8 = _mm256_i32gather_ps::<4>(idf.as_ptr(), slots);
        let halves = [
            (_mm256_castsi256_si128(counts), _mm256_castps256_ps128(idf8)),
            (
                _mm256_extracti128_si256::<1>(counts),
                _mm256_extractf128_ps::<1>(idf8),
            ),
        ];
        let mut out = [_mm_setzero_ps(); 2];
        for (o, (c, d)) in out.iter_mut().zip(halves) {
            let raw = _mm256_mul_pd(_mm256_i32gather_pd::<8>(tf.as_ptr(), c), _mm256_cvtps_pd(d));
            let r = _mm256_mul_pd(raw, inv);
            let bits = _mm256_and_si256(_mm256_castpd_si256(r), low);
            let near = _mm256_and_si256(
                _mm256_cmpgt_epi64(bits, above),
                _mm256_cmpgt_epi64(below, bits),
            );
            let small = _mm256_castpd_si256(_mm256_cmp_pd::<_CMP_LT_OQ>(r, tiny));
            risky = _mm256_or_si256(risky, _mm256_or_si256(near, small));
            *o = _mm256_cvtpd_ps(r);
        }
        _mm256_storeu_ps(val.as_mut_ptr().add(k), _mm256_set_m128(out[1], out[0]));
        k += 8;
    }
    if _mm256_testz_si256(risky, risky) == 0 {
        return 0;
    }
    n
}

/// Scratch for a packed row's decoded slots and values.
#[derive(Default)]
pub(super) struct RowBuf {
    pub(super) idx: Vec<u32>,
    pub(super) val: Vec<f32>,
}

/// Each column's document frequency.
pub(super) fn column_df(n_cols: usize, indices: &[u32]) -> Vec<u32> {
    let mut df = vec![0u32; n_cols];
    for &c in indices {
        df[c as usize] += 1;
    }
    df
}

/// Numbers the columns by document frequency `df`: shared ones (held by two or more rows) by
/// decreasing frequency, ties by column, then single-row ones in column order. Returns the
/// slot of each column ([`UNSEEN`] for none), the number of shared and of single-row slots.
pub(super) fn assign_slots(df: &[u32]) -> (Vec<u32>, usize, usize) {
    let d = df.len();
    let mut shared: Vec<u32> = (0..d as u32).filter(|&c| df[c as usize] >= 2).collect();
    shared.par_sort_unstable_by(|&a, &b| df[b as usize].cmp(&df[a as usize]).then(a.cmp(&b)));
    let n_shared = shared.len();
    let mut slot = vec![UNSEEN; d];
    for (s, &c) in shared.iter().enumerate() {
        slot[c as usize] = s as u32;
    }
    drop(shared);
    let mut n_single = 0usize;
    for (c, &n) in df.iter().enumerate() {
        if n == 1 {
            slot[c] = (n_shared + n_single) as u32;
            n_single += 1;
        }
    }
    (slot, n_shared, n_single)
}

/// What folding the rows yields besides their shared entries: row offsets of the kept
/// entries, per-row sums, and the single-row features.
pub(super) struct Folding {
    pub(super) n_shared: usize,
    pub(super) indptr: Vec<usize>,
    pub(super) single_sq: Vec<f64>,
    pub(super) xtx: Vec<f64>,
    pub(super) single_row: Vec<u32>,
    pub(super) single_val: Vec<f32>,
    /// This row's sums of squares: of its single-row values, of all its values.
    pub(super) sq: f64,
    pub(super) total: f64,
}

impl Folding {
    pub(super) fn new(n_rows: usize, n_shared: usize, n_single: usize) -> Self {
        let mut indptr = Vec::with_capacity(n_rows + 1);
        indptr.push(0usize);
        Folding {
            n_shared,
            indptr,
            single_sq: Vec::with_capacity(n_rows),
            xtx: Vec::with_capacity(n_rows),
            single_row: vec![0u32; n_single],
            single_val: vec![0f32; n_single],
            sq: 0.0,
            total: 0.0,
        }
    }

    /// Takes the entry of value `v` and slot `s` of the current row `i`; returns whether it is
    /// a shared feature's, to be kept (a single-row one is folded).
    #[inline]
    pub(super) fn entry(&mut self, i: usize, s: u32, v: f32) -> bool {
        let s = s as usize;
        self.total += v as f64 * v as f64;
        if s < self.n_shared {
            return true;
        }
        self.single_row[s - self.n_shared] = i as u32;
        self.single_val[s - self.n_shared] = v;
        self.sq += v as f64 * v as f64;
        false
    }

    /// Ends the current row, whose kept entries end at `kept`.
    pub(super) fn end_row(&mut self, kept: usize) {
        self.single_sq.push(self.sq);
        self.xtx.push(1.0 + self.total);
        self.indptr.push(kept);
        (self.sq, self.total) = (0.0, 0.0);
    }

    pub(super) fn into_rows(self, slot: Vec<u32>, entries: Entries) -> FoldedRows {
        FoldedRows {
            slot,
            n_shared: self.n_shared,
            indptr: self.indptr,
            entries,
            single_sq: self.single_sq,
            xtx: self.xtx,
            single_row: self.single_row,
            single_val: self.single_val,
        }
    }
}

impl FoldedRows {
    /// Splits `x` into shared features (renumbered) and single-row features (folded),
    /// reusing `x`'s arrays in place, so no second copy of the entries exists.
    pub fn new(x: CsrMatrix) -> Self {
        let df = column_df(x.n_cols(), x.indices());
        let (slot, n_shared, n_single) = assign_slots(&df);
        drop(df);
        let (n_rows, _, old_ptr, mut indices, mut data) = x.into_parts();
        let mut fold = Folding::new(n_rows, n_shared, n_single);
        // Entries are only removed, so the write position never passes the read position.
        let mut out = 0usize;
        for i in 0..n_rows {
            for p in old_ptr[i]..old_ptr[i + 1] {
                let (s, v) = (slot[indices[p] as usize], data[p]);
                if fold.entry(i, s, v) {
                    indices[out] = s;
                    data[out] = v;
                    out += 1;
                }
            }
            fold.end_row(out);
        }
        drop(old_ptr);
        indices.truncate(out);
        data.truncate(out);
        indices.shrink_to_fit();
        data.shrink_to_fit();
        sort_rows(&fold.indptr, &mut indices, &mut data);
        fold.into_rows(slot, Entries::Plain { indices, data })
    }

    /// [`FoldedRows::new`] of `m.into_csr()`, holding 4 bytes per shared entry instead of 8:
    /// each entry's slot and count are packed into one `u32`, in place in `m`'s column array,
    /// and its value is recomputed from them whenever its row is read ([`Packed`]). Falls back
    /// to the 8-byte form for a count above 255 or `2^24` shared features or more.
    pub fn from_counts(m: HashedCounts) -> Self {
        let df = column_df(m.n_cols, &m.indices);
        let (slot, n_shared, n_single) = assign_slots(&df);
        drop(df);
        if !m.big.is_empty() || n_shared >= 1 << (32 - TF_BITS) {
            drop(slot);
            return FoldedRows::new(m.into_csr());
        }
        let mut idf = vec![0f32; n_shared];
        for (c, &s) in slot.iter().enumerate() {
            if (s as usize) < n_shared {
                idf[s as usize] = m.idf[c];
            }
        }
        let mut tf = [0f64; 256];
        for (c, t) in tf.iter_mut().enumerate() {
            *t = tf_idf_raw(c as u32, 1.0, m.sublinear);
        }
        let mut fold = Folding::new(m.n_rows, n_shared, n_single);
        let (packed, norm) = pack_rows(m, &slot, &tf, &mut fold);
        let packed = Packed {
            packed,
            idf,
            norm,
            tf,
        };
        fold.into_rows(slot, Entries::Packed(Box::new(packed)))
    }

    pub(super) fn n_rows(&self) -> usize {
        self.indptr.len() - 1
    }

    /// Row `i`'s shared slots and values: borrowed, or decoded into `buf` (by the AVX2 kernel
    /// when `avx2`, which the caller has checked).
    #[inline(always)]
    pub(super) fn row<'a>(
        &'a self,
        i: usize,
        buf: &'a mut RowBuf,
        avx2: bool,
    ) -> (&'a [u32], &'a [f32]) {
        let (s, e) = (self.indptr[i], self.indptr[i + 1]);
        match &self.entries {
            Entries::Plain { indices, data } => (&indices[s..e], &data[s..e]),
            Entries::Packed(p) => {
                p.decode(s, e, i, buf, avx2);
                (&buf.idx, &buf.val)
            }
        }
    }

    /// Asks for the weights of row `i`'s first `count` shared features to be brought into
    /// cache (see [`prefetch_rows`]), and for a packed row the idf of every entry, which
    /// decoding the row reads (scattered over `4 n_shared` bytes, mostly outside the core's
    /// caches: read without a prefetch, those misses were a tenth of the epoch's time).
    #[inline(always)]
    pub(super) fn prefetch_row_start(&self, w: &[f32], i: usize, stride: usize, count: usize) {
        let (s, end) = (self.indptr[i], self.indptr[i + 1]);
        let e = end.min(s + count);
        match &self.entries {
            Entries::Plain { indices, .. } => prefetch_rows(w, &indices[s..e], stride, count),
            Entries::Packed(p) => {
                for &q in &p.packed[s..e] {
                    prefetch_row(w, (q >> TF_BITS) as usize * stride, stride);
                }
                for &q in &p.packed[s..end] {
                    super::gram::prefetch(&p.idf, (q >> TF_BITS) as usize);
                }
            }
        }
    }

    /// Asks for a packed row's entries to be brought into cache: rows are visited in random
    /// order, so without it the first read of each row (the prefetches of
    /// [`FoldedRows::prefetch_row_start`]) waits on memory. Nothing for plain rows.
    #[inline(always)]
    pub(super) fn prefetch_entries(&self, i: usize) {
        if let Entries::Packed(p) = &self.entries {
            let (s, e) = (self.indptr[i], self.indptr[i + 1]);
            for q in (s..e).step_by(16) {
                super::gram::prefetch(&p.packed, q);
            }
            super::gram::prefetch(&p.packed, e.saturating_sub(1).max(s));
        }
    }

    /// Slot of entry `p`.
    #[inline]
    pub(super) fn slot_at(&self, p: usize) -> u32 {
        match &self.entries {
            Entries::Plain { indices, .. } => indices[p],
            Entries::Packed(pk) => pk.packed[p] >> TF_BITS,
        }
    }

    /// Slot and value of entry `p`, which lies in row `i`.
    #[inline]
    pub(super) fn entry(&self, p: usize, i: usize) -> (u32, f32) {
        match &self.entries {
            Entries::Plain { indices, data } => (indices[p], data[p]),
            Entries::Packed(pk) => {
                let q = pk.packed[p];
                (q >> TF_BITS, (pk.raw(q) / pk.norm[i]) as f32)
            }
        }
    }
}

/// Folds the rows of `m` (see [`FoldedRows::from_counts`]): each row's norm exactly as the
/// vectorizer computes it, its single-row features into `fold`, its shared entries packed in
/// place into `m`'s column array and sorted by slot. Returns the packed entries and the rows'
/// norms (zero norms as 1).
pub(super) fn pack_rows(
    m: HashedCounts,
    slot: &[u32],
    tf: &[f64; 256],
    fold: &mut Folding,
) -> (Vec<u32>, Vec<f64>) {
    let HashedCounts {
        n_rows,
        indptr: old_ptr,
        mut indices,
        tf: counts,
        idf,
        ..
    } = m;
    let mut norm = Vec::with_capacity(n_rows);
    let raw = |p: usize, c: u32| tf[counts[p] as usize] * idf[c as usize] as f64;
    // Entries are only removed, so the write position never passes the read position.
    let mut out = 0usize;
    for i in 0..n_rows {
        let (a, e) = (old_ptr[i], old_ptr[i + 1]);
        // The vectorizer's norm: the squares summed in column order.
        let n2 = (a..e)
            .map(|p| raw(p, indices[p]))
            .map(|v| v * v)
            .sum::<f64>();
        let nrm = if n2 > 0.0 { n2.sqrt() } else { 1.0 };
        for p in a..e {
            let c = indices[p];
            let s = slot[c as usize];
            if fold.entry(i, s, (raw(p, c) / nrm) as f32) {
                indices[out] = s << TF_BITS | counts[p] as u32;
                out += 1;
            }
        }
        norm.push(nrm);
        fold.end_row(out);
    }
    drop((old_ptr, counts, idf));
    indices.truncate(out);
    indices.shrink_to_fit();
    let mut rows = Vec::with_capacity(n_rows);
    let mut rest = &mut indices[..];
    for w in fold.indptr.windows(2) {
        let (a, r) = rest.split_at_mut(w[1] - w[0]);
        rows.push(a);
        rest = r;
    }
    // Slots are distinct within a row, so sorting packed entries sorts them by slot.
    rows.into_par_iter().for_each(|r| r.sort_unstable());
    (indices, norm)
}

/// Sorts each row's entries by slot (rows in parallel; the order is unique).
pub(super) fn sort_rows(indptr: &[usize], indices: &mut [u32], data: &mut [f32]) {
    let mut rows = Vec::with_capacity(indptr.len() - 1);
    let (mut ri, mut rv) = (indices, data);
    for w in indptr.windows(2) {
        let (a, rest_i) = ri.split_at_mut(w[1] - w[0]);
        let (b, rest_v) = rv.split_at_mut(w[1] - w[0]);
        rows.push((a, b));
        ri = rest_i;
        rv = rest_v;
    }
    rows.into_par_iter()
        .for_each_init(Vec::new, |tmp, (ii, vv)| {
            tmp.clear();
            tmp.extend(ii.iter().copied().zip(vv.iter().copied()));
            tmp.sort_unstable_by_key(|p: &(u32, f32)| p.0);
            for (k, &(s, v)) in tmp.iter().enumerate() {
                ii[k] = s;
                vv[k] = v;
            }
        });
}

/// Asks for the weight rows of the first `count` slots of `idx` to be brought into cache.
#[inline(always)]
pub(super) fn prefetch_rows(w: &[f32], idx: &[u32], stride: usize, count: usize) {
    for &s in idx.iter().take(count) {
        prefetch_row(w, s as usize * stride, stride);
    }
}

#[inline(always)]
pub(super) fn prefetch_row(w: &[f32], start: usize, stride: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let row = &w[start..start + stride];
        let p = row.as_ptr() as *const i8;
        let mut off = 0;
        while off < stride * 4 {
            // SAFETY: prefetching is a hint; the address lies inside `row`.
            unsafe { _mm_prefetch(p.add(off), _MM_HINT_T0) };
            off += 64;
        }
        // SAFETY: as above, the row's last byte.
        unsafe { _mm_prefetch(p.add(stride * 4 - 1), _MM_HINT_T0) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (w, start, stride);
}
