//! The primal route of the one-vs-rest dual solver, for corpora too large for the Gram route.
//!
//! Cost model: an epoch of dual coordinate descent reads and writes, for every non-zero of
//! every row, the weights of that feature for every problem of a block. With hundreds of
//! thousands of features those reads miss the caches, so the solver is bound by memory
//! latency, not arithmetic. This route therefore
//! * keeps the weights in `f32`, feature-major within a block (`w[s * stride + b]`), so one
//!   feature's weights for all problems of the block are one contiguous run of cache lines;
//! * renumbers the features held by two or more training rows ("shared") by decreasing
//!   document frequency, so the features most rows touch share pages and stay cached;
//! * folds the features held by a single training row into a per-row constant: such a
//!   feature's weight is `a_i y_i x_ij` at all times, so its part of `w . x_i` is
//!   `a_i y_i sum_j x_ij^2`, and it needs no weight at all during training;
//! * runs few, wide blocks (one per core when the problems allow) instead of many narrow
//!   ones, and no block copies another's weights.
//!
//! Every problem's arithmetic depends only on its own lane, so the result is the same for any
//! grouping of problems into blocks or threads; the grouping itself depends only on the
//! number of problems, so the stored weights are also thread-count invariant.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::kernels::{log1p_exp, sigmoid, BinaryProblem, DualSolution};
use super::lockstep::LockStep;
use crate::features::sparse::CsrMatrix;
use crate::features::tfidf::{tf_idf_raw, HashedCounts};

/// Slot of a column that no training row holds.
pub(super) const UNSEEN: u32 = u32::MAX;

/// Lanes (problems) per block at most: 64 `f32` weights are four cache lines per feature.
const MAX_LANES: usize = 64;

/// The training rows as the primal route reads them.
pub(super) struct FoldedRows {
    /// Per original column: `< n_shared` for a feature held by two or more rows (numbered by
    /// decreasing document frequency, ties by column), `n_shared + j` for the `j`-th feature
    /// held by one row (column order), [`UNSEEN`] otherwise.
    pub slot: Vec<u32>,
    /// Number of shared features.
    pub n_shared: usize,
    indptr: Vec<usize>,
    /// Each row's shared entries, by ascending slot.
    entries: Entries,
    /// Per row: the sum of its single-row features' squared values.
    single_sq: Vec<f64>,
    /// Per row: `|[x_i, 1]|^2`.
    xtx: Vec<f64>,
    /// Row of each single-row feature.
    pub single_row: Vec<u32>,
    /// Value of each single-row feature in its row.
    pub single_val: Vec<f32>,
}

/// The shared entries of the training rows.
enum Entries {
    /// Slot and `f32` value of each entry: 8 bytes.
    Plain { indices: Vec<u32>, data: Vec<f32> },
    /// Hashed features kept as counts: 4 bytes per entry ([`Packed`]).
    Packed(Box<Packed>),
}

/// Shared entries as `slot << TF_BITS | count`, 4 bytes each; an entry's value is recomputed
/// whenever its row is read, bit for bit the value the vectorizer forms: `tf(count) *
/// idf[slot]` in `f64` ([`tf_idf_raw`]), divided by the row's norm, rounded to `f32`.
struct Packed {
    packed: Vec<u32>,
    /// idf of each shared slot.
    idf: Vec<f32>,
    /// Each row's L2 norm of tf × idf; 1 for a zero norm (where the vectorizer does not
    /// divide, and dividing by 1 changes nothing).
    norm: Vec<f64>,
    /// tf of each count: the count, or `1 + ln(count)` with sublinear tf.
    tf: [f64; 256],
}

/// Bits of a packed entry that hold its count (counts up to 255; the slot above them).
const TF_BITS: u32 = 8;
const TF_MASK: u32 = (1 << TF_BITS) - 1;

impl Packed {
    /// `tf(count) * idf` before the division by the row's norm, as the vectorizer forms it.
    #[inline(always)]
    fn raw(&self, q: u32) -> f64 {
        self.tf[(q & TF_MASK) as usize] * self.idf[(q >> TF_BITS) as usize] as f64
    }

    /// Entries `s..e` of row `i` decoded into `buf` (with AVX2 kernels when `avx2`).
    #[inline(always)]
    fn decode(&self, s: usize, e: usize, i: usize, buf: &mut RowBuf, avx2: bool) {
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
    idx: Vec<u32>,
    val: Vec<f32>,
}

/// Each column's document frequency.
fn column_df(n_cols: usize, indices: &[u32]) -> Vec<u32> {
    let mut df = vec![0u32; n_cols];
    for &c in indices {
        df[c as usize] += 1;
    }
    df
}

/// Numbers the columns by document frequency `df`: shared ones (held by two or more rows) by
/// decreasing frequency, ties by column, then single-row ones in column order. Returns the
/// slot of each column ([`UNSEEN`] for none), the number of shared and of single-row slots.
fn assign_slots(df: &[u32]) -> (Vec<u32>, usize, usize) {
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
struct Folding {
    n_shared: usize,
    indptr: Vec<usize>,
    single_sq: Vec<f64>,
    xtx: Vec<f64>,
    single_row: Vec<u32>,
    single_val: Vec<f32>,
    /// This row's sums of squares: of its single-row values, of all its values.
    sq: f64,
    total: f64,
}

impl Folding {
    fn new(n_rows: usize, n_shared: usize, n_single: usize) -> Self {
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
    fn entry(&mut self, i: usize, s: u32, v: f32) -> bool {
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
    fn end_row(&mut self, kept: usize) {
        self.single_sq.push(self.sq);
        self.xtx.push(1.0 + self.total);
        self.indptr.push(kept);
        (self.sq, self.total) = (0.0, 0.0);
    }

    fn into_rows(self, slot: Vec<u32>, entries: Entries) -> FoldedRows {
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

    fn n_rows(&self) -> usize {
        self.indptr.len() - 1
    }

    /// Row `i`'s shared slots and values: borrowed, or decoded into `buf` (by the AVX2 kernel
    /// when `avx2`, which the caller has checked).
    #[inline(always)]
    fn row<'a>(&'a self, i: usize, buf: &'a mut RowBuf, avx2: bool) -> (&'a [u32], &'a [f32]) {
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
    fn prefetch_row_start(&self, w: &[f32], i: usize, stride: usize, count: usize) {
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
    fn prefetch_entries(&self, i: usize) {
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
    fn slot_at(&self, p: usize) -> u32 {
        match &self.entries {
            Entries::Plain { indices, .. } => indices[p],
            Entries::Packed(pk) => pk.packed[p] >> TF_BITS,
        }
    }

    /// Slot and value of entry `p`, which lies in row `i`.
    #[inline]
    fn entry(&self, p: usize, i: usize) -> (u32, f32) {
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
fn pack_rows(
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
fn sort_rows(indptr: &[usize], indices: &mut [u32], data: &mut [f32]) {
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

/// Splits `n` problems into blocks: as few as [`MAX_LANES`] allows, but at least two when
/// there are 16 or more problems so that two cores share the work. Depends on `n` only.
pub(super) fn block_sizes(n: usize) -> Vec<usize> {
    let mut blocks = n.div_ceil(MAX_LANES).max(1);
    if n >= 16 {
        blocks = blocks.max(2);
    }
    (0..blocks)
        .map(|b| n / blocks + usize::from(b < n % blocks))
        .collect()
}

/// Weights of one block: `w[s * stride + b]` for shared slot `s` (the intercept at
/// `s = n_shared`) and problem `b < lanes`; lanes up to `stride` are padding.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct BlockWeights {
    pub lanes: usize,
    pub stride: usize,
    pub w: Vec<f32>,
}

/// Solves the block's problems in lock-step (see the module docs); returns each problem's
/// dual solution and the block's weights.
pub(super) fn solve_folded_block(
    f: &FoldedRows,
    problems: &[BinaryProblem],
    eps: f64,
    max_iter: usize,
    seed: u64,
) -> (Vec<DualSolution>, BlockWeights) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { solve_avx2(f, problems, eps, max_iter, seed) };
        }
    }
    solve_body(f, problems, eps, max_iter, seed, false)
}

/// [`solve_body`] compiled for AVX2; no FMA contraction, so bit-identical to the plain build.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn solve_avx2(
    f: &FoldedRows,
    problems: &[BinaryProblem],
    eps: f64,
    max_iter: usize,
    seed: u64,
) -> (Vec<DualSolution>, BlockWeights) {
    solve_body(f, problems, eps, max_iter, seed, true)
}

#[inline(always)]
fn solve_body(
    f: &FoldedRows,
    problems: &[BinaryProblem],
    eps: f64,
    max_iter: usize,
    seed: u64,
    avx2: bool,
) -> (Vec<DualSolution>, BlockWeights) {
    let l = f.n_rows();
    let nb = problems.len();
    let stride = nb.div_ceil(8) * 8;
    let ns = f.n_shared;
    let mut w = vec![0f32; (ns + 1) * stride];
    advise_huge_pages(&mut w);
    let mut ls = LockStep::new(problems, l, eps, seed);
    let mut delta = vec![0f32; stride];
    let mut buf = RowBuf::default();
    for i in 0..l {
        for (b, slot) in delta[..nb].iter_mut().enumerate() {
            *slot = ls.weight(i, b) as f32;
        }
        let (idx, val) = f.row(i, &mut buf, avx2);
        axpy(&mut w, idx, val, ns, stride, &delta, avx2);
    }
    let mut dots = vec![0f32; stride];
    for _ in 0..max_iter {
        if !ls.start_epoch() {
            break;
        }
        for k in 0..l {
            let i = ls.row_at(k).expect("k < l");
            let (idx, val) = f.row(i, &mut buf, avx2);
            dot(&w, idx, val, ns, stride, &mut dots, avx2);
            if let Some(next) = ls.row_at(k + 1) {
                f.prefetch_row_start(&w, next, stride, PREFETCH_AHEAD);
            }
            if let Some(after) = ls.row_at(k + 2) {
                f.prefetch_entries(after);
            }
            let si = f.single_sq[i];
            // The folded features' part of the margin: `a_i y_i x_ij * x_ij` summed.
            let margin = |b: usize, yi: f64, ai: f64| dots[b] as f64 + yi * ai * si;
            delta[..nb].fill(0.0);
            if ls.step_row(i, f.xtx[i], margin, |b, d| delta[b] = d as f32) {
                axpy(&mut w, idx, val, ns, stride, &delta, avx2);
            }
        }
        ls.end_epoch();
    }
    let weights = BlockWeights {
        lanes: nb,
        stride,
        w,
    };
    let diag = diagnostics(f, problems, &mut ls.alpha, &weights);
    let sols = ls.into_solutions(&diag, |_| Vec::new());
    (sols, weights)
}

/// Features ahead whose weights are prefetched: the loads of one row's features are
/// independent, but each feature's dozens of lane operations fill the out-of-order window, so
/// without prefetching the cache misses would be served one or two at a time.
const PREFETCH_AHEAD: usize = 12;

/// Asks for the weight rows of the first `count` slots of `idx` to be brought into cache.
#[inline(always)]
fn prefetch_rows(w: &[f32], idx: &[u32], stride: usize, count: usize) {
    for &s in idx.iter().take(count) {
        prefetch_row(w, s as usize * stride, stride);
    }
}

#[inline(always)]
fn prefetch_row(w: &[f32], start: usize, stride: usize) {
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

/// `dots[b] = w_b . [x_i, 1]` over the shared features: intercept first, then features in slot
/// order, each lane `d = d + w * v` in `f32` (the same operations in both builds).
#[inline(always)]
fn dot(
    w: &[f32],
    idx: &[u32],
    val: &[f32],
    ns: usize,
    stride: usize,
    dots: &mut [f32],
    avx2: bool,
) {
    dots.copy_from_slice(&w[ns * stride..(ns + 1) * stride]);
    #[cfg(target_arch = "x86_64")]
    if avx2 {
        // SAFETY: `avx2` is only true when the CPU supports AVX2.
        unsafe { dot_avx2(w, idx, val, stride, dots) };
        return;
    }
    let _ = avx2;
    for (p, (&s, &v)) in idx.iter().zip(val).enumerate() {
        if let Some(&ahead) = idx.get(p + PREFETCH_AHEAD) {
            prefetch_row(w, ahead as usize * stride, stride);
        }
        let row = &w[s as usize * stride..(s as usize + 1) * stride];
        for (d, &x) in dots.iter_mut().zip(row) {
            *d += x * v;
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dot_avx2(w: &[f32], idx: &[u32], val: &[f32], stride: usize, dots: &mut [f32]) {
    use std::arch::x86_64::*;
    let chunks = stride / 8;
    for (p, (&s, &v)) in idx.iter().zip(val).enumerate() {
        if let Some(&ahead) = idx.get(p + PREFETCH_AHEAD) {
            prefetch_row(w, ahead as usize * stride, stride);
        }
        let row = &w[s as usize * stride..(s as usize + 1) * stride];
        let vv = _mm256_set1_ps(v);
        for c in 0..chunks {
            let d = dots.as_mut_ptr().add(c * 8);
            let x = _mm256_loadu_ps(row.as_ptr().add(c * 8));
            _mm256_storeu_ps(d, _mm256_add_ps(_mm256_loadu_ps(d), _mm256_mul_ps(x, vv)));
        }
    }
}

/// `w_b += delta[b] * [x_i, 1]` over the shared features (`w = w + d * v` per lane).
#[inline(always)]
fn axpy(
    w: &mut [f32],
    idx: &[u32],
    val: &[f32],
    ns: usize,
    stride: usize,
    delta: &[f32],
    avx2: bool,
) {
    for (wb, &d) in w[ns * stride..(ns + 1) * stride].iter_mut().zip(delta) {
        *wb += d;
    }
    #[cfg(target_arch = "x86_64")]
    if avx2 {
        // SAFETY: `avx2` is only true when the CPU supports AVX2.
        unsafe { axpy_avx2(w, idx, val, stride, delta) };
        return;
    }
    let _ = avx2;
    for (&s, &v) in idx.iter().zip(val) {
        let row = &mut w[s as usize * stride..(s as usize + 1) * stride];
        for (r, &d) in row.iter_mut().zip(delta) {
            *r += d * v;
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn axpy_avx2(w: &mut [f32], idx: &[u32], val: &[f32], stride: usize, delta: &[f32]) {
    use std::arch::x86_64::*;
    let chunks = stride / 8;
    for (&s, &v) in idx.iter().zip(val) {
        let row = &mut w[s as usize * stride..(s as usize + 1) * stride];
        let vv = _mm256_set1_ps(v);
        for c in 0..chunks {
            let r = row.as_mut_ptr().add(c * 8);
            let d = _mm256_loadu_ps(delta.as_ptr().add(c * 8));
            _mm256_storeu_ps(r, _mm256_add_ps(_mm256_loadu_ps(r), _mm256_mul_ps(d, vv)));
        }
    }
}

/// Columns of the gradient accumulated at once in [`diagnostics`] (about 8 MB of f64 lanes).
const TILE_BYTES: usize = 8 << 20;

/// Relative primal gradient norm and primal objective of each problem of the block, at the
/// returned weights (the folded features' weights are `a_i y_i x_ij`). The gradient
/// `w + sum_i coef_i [x_i, 1]` is accumulated over tiles of columns, each tile small enough to
/// stay cached, walking every row's (sorted) entries with a cursor.
///
/// `alpha` holds the dual pairs `[a_i, C_i - a_i]` of [`LockStep`]; each pair's second entry,
/// no longer needed once the solve is over, is overwritten with the row's loss derivative, so
/// no further `rows × problems` array is allocated.
fn diagnostics(
    f: &FoldedRows,
    problems: &[BinaryProblem],
    alpha: &mut [f64],
    bw: &BlockWeights,
) -> Vec<(f64, f64)> {
    let mut sums = DiagnosticSums::from_weights(bw, f.n_shared, problems.len());
    add_row_terms(f, problems, alpha, bw, &mut sums);
    add_shared_gradient(f, problems, bw, alpha, &mut sums);
    sums.finish()
}

/// Row `i`'s label sign and `C_i` in problem `b`.
#[inline(always)]
fn label_and_c(problems: &[BinaryProblem], b: usize, i: usize) -> (f64, f64) {
    let p = &problems[b];
    if p.pos[i] {
        (1.0, p.cp)
    } else {
        (-1.0, p.cn)
    }
}

/// Per problem: the primal objective, the squared norms of the gradient and of the gradient
/// at `w = 0` over the features (`sq`, `sq0`), and their intercept components (`gb`, `gb0`).
struct DiagnosticSums {
    obj: Vec<f64>,
    sq: Vec<f64>,
    sq0: Vec<f64>,
    gb: Vec<f64>,
    gb0: Vec<f64>,
}

impl DiagnosticSums {
    /// The sums before any row: the regulariser `0.5 |w|^2` (shared weights and intercept) and
    /// the intercept weight as the intercept's gradient.
    fn from_weights(bw: &BlockWeights, ns: usize, nb: usize) -> Self {
        let (w, stride) = (&bw.w, bw.stride);
        let mut obj = vec![0f64; nb];
        for s in 0..=ns {
            for b in 0..nb {
                obj[b] += 0.5 * (w[s * stride + b] as f64).powi(2);
            }
        }
        DiagnosticSums {
            obj,
            sq: vec![0f64; nb],
            sq0: vec![0f64; nb],
            gb: w[ns * stride..ns * stride + nb]
                .iter()
                .map(|&v| v as f64)
                .collect(),
            gb0: vec![0f64; nb],
        }
    }

    /// `(relative gradient norm, objective)` per problem.
    fn finish(self) -> Vec<(f64, f64)> {
        (0..self.obj.len())
            .map(|b| {
                let gn = (self.sq[b] + self.gb[b] * self.gb[b]).sqrt();
                let gn0 = (self.sq0[b] + self.gb0[b] * self.gb0[b]).sqrt();
                (if gn0 > 0.0 { gn / gn0 } else { gn }, self.obj[b])
            })
            .collect()
    }
}

/// One pass over the rows: each row's loss and the folded (single-row) features' regulariser
/// and gradient terms, whose weights are `a_i y_i x_ij`; writes each row's loss derivative,
/// the shared features' gradient weight, over `C_i - a_i` in `alpha[(i * nb + b) * 2 + 1]`.
fn add_row_terms(
    f: &FoldedRows,
    problems: &[BinaryProblem],
    alpha: &mut [f64],
    bw: &BlockWeights,
    sums: &mut DiagnosticSums,
) {
    let (l, nb, stride, ns) = (f.n_rows(), problems.len(), bw.stride, f.n_shared);
    let mut dots = vec![0f32; stride];
    let avx2 = cfg!(target_arch = "x86_64") && avx2_available();
    let mut buf = RowBuf::default();
    for i in 0..l {
        let (idx, val) = f.row(i, &mut buf, avx2);
        dot(&bw.w, idx, val, ns, stride, &mut dots, avx2);
        let si = f.single_sq[i];
        for b in 0..nb {
            let (y, c) = label_and_c(problems, b, i);
            let a = alpha[(i * nb + b) * 2];
            let m = dots[b] as f64 + y * a * si;
            let co = -c * y * sigmoid(-y * m);
            sums.obj[b] += 0.5 * a * a * si + c * log1p_exp(-y * m);
            alpha[(i * nb + b) * 2 + 1] = co;
            sums.sq[b] += (y * a + co).powi(2) * si;
            sums.sq0[b] += (0.5 * c).powi(2) * si;
            sums.gb[b] += co;
            sums.gb0[b] += -0.5 * c * y;
        }
    }
}

/// The shared features' squared gradient norms, `w + sum_i coef_i x_i` (and at `w = 0`),
/// accumulated over tiles of columns small enough to stay cached, walking every row's sorted
/// entries with a cursor; `coef_i` of problem `b` is `alpha[(i * nb + b) * 2 + 1]`.
fn add_shared_gradient(
    f: &FoldedRows,
    problems: &[BinaryProblem],
    bw: &BlockWeights,
    alpha: &[f64],
    sums: &mut DiagnosticSums,
) {
    let (l, nb, stride, ns) = (f.n_rows(), problems.len(), bw.stride, f.n_shared);
    let tile = (TILE_BYTES / (16 * stride)).max(1);
    let mut cursor = f.indptr[..l].to_vec();
    let mut g = vec![0f64; tile * stride];
    let mut g0 = vec![0f64; tile * stride];
    let mut coef0 = vec![0f64; nb];
    for t0 in (0..ns).step_by(tile) {
        let t1 = (t0 + tile).min(ns);
        for (gs, ws) in g
            .chunks_exact_mut(stride)
            .zip(bw.w[t0 * stride..t1 * stride].chunks_exact(stride))
        {
            for (a, &b) in gs.iter_mut().zip(ws) {
                *a = b as f64;
            }
        }
        g0.fill(0.0);
        for i in 0..l {
            let end = f.indptr[i + 1];
            let mut p = cursor[i];
            if p == end || f.slot_at(p) as usize >= t1 {
                continue;
            }
            for (b, c0) in coef0.iter_mut().enumerate() {
                let (y, c) = label_and_c(problems, b, i);
                *c0 = -0.5 * c * y;
            }
            let co = &alpha[i * nb * 2..(i + 1) * nb * 2];
            while p < end && (f.slot_at(p) as usize) < t1 {
                let (s, v) = f.entry(p, i);
                let (s, v) = (s as usize - t0, v as f64);
                let (gs, g0s) = (
                    &mut g[s * stride..s * stride + nb],
                    &mut g0[s * stride..s * stride + nb],
                );
                for b in 0..nb {
                    gs[b] += co[2 * b + 1] * v;
                    g0s[b] += coef0[b] * v;
                }
                p += 1;
            }
            cursor[i] = p;
        }
        for s in 0..t1 - t0 {
            for b in 0..nb {
                sums.sq[b] += g[s * stride + b].powi(2);
                sums.sq0[b] += g0[s * stride + b].powi(2);
            }
        }
    }
}

/// Whether the AVX2 kernels may run.
fn avx2_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Asks the kernel to back `buf` with transparent huge pages: the weights are read at random
/// across hundreds of MB, and with 4 KiB pages nearly every read would also miss the TLB.
/// Only a hint (ignored where unsupported); must run before the pages are first touched.
fn advise_huge_pages(buf: &mut [f32]) {
    #[cfg(target_os = "linux")]
    {
        const HUGE: usize = 2 << 20;
        let start = buf.as_mut_ptr() as usize;
        let end = start + std::mem::size_of_val(buf);
        let first = start.div_ceil(HUGE) * HUGE;
        if end > first + HUGE {
            let len = (end - first) / HUGE * HUGE;
            // SAFETY: the range lies inside `buf`'s allocation; MADV_HUGEPAGE changes no
            // contents, only how the kernel backs the pages.
            unsafe { libc::madvise(first as *mut libc::c_void, len, libc::MADV_HUGEPAGE) };
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = buf;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::SplitMix64;

    /// Packed rows over `n_slots` slots with random idf in [1, 12] and counts up to 255.
    fn random_packed(rng: &mut SplitMix64, n_slots: usize, sublinear: bool) -> Packed {
        let idf = (0..n_slots)
            .map(|_| 1.0 + 11.0 * (rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32)
            .collect();
        let mut tf = [0f64; 256];
        for (c, t) in tf.iter_mut().enumerate() {
            *t = tf_idf_raw(c as u32, 1.0, sublinear);
        }
        Packed {
            packed: Vec::new(),
            idf,
            norm: Vec::new(),
            tf,
        }
    }

    /// Every decoded value equals the division the vectorizer makes, bit for bit, whichever
    /// kernel decodes (the AVX2 one where the CPU has it), including rows whose values lie
    /// exactly halfway between two `f32`s (the multiplication's fallback).
    #[test]
    fn packed_rows_decode_to_the_divided_values() {
        let mut rng = SplitMix64::new(11);
        let avx2 = avx2_available();
        for sublinear in [false, true] {
            let mut p = random_packed(&mut rng, 5000, sublinear);
            let mut rows: Vec<Vec<u32>> = (0..300)
                .map(|r| {
                    (0..r % 40)
                        .map(|_| {
                            let slot = rng.below_modulo(5000) as u32;
                            slot << TF_BITS | (1 + rng.below_modulo(255)) as u32
                        })
                        .collect()
                })
                .collect();
            p.norm = rows
                .iter()
                .map(|r| r.iter().map(|&q| p.raw(q) * p.raw(q)).sum::<f64>().sqrt())
                .collect();
            // Values whose product with `1 / norm` rounds to another f32 than the quotient
            // (idf, count, norm bits; found by search), each in a row of its own.
            let near = [
                (0x3f85_4200, 206, 0x4083_967f_2fe9_617f),
                (0x40d3_7245, 244, 0x40ba_5075_dd98_f404),
                (0x4112_8d3b, 57, 0x40bd_7778_da5c_3ae8),
            ];
            for (k, &(idf, count, norm)) in near.iter().enumerate() {
                p.idf[k] = f32::from_bits(idf);
                rows.push(vec![(k as u32) << TF_BITS | count; 9 + k]);
                p.norm
                    .push(if sublinear { 1.0 } else { f64::from_bits(norm) });
            }
            // idf 1 + 2^-23 and count 3 make 3 + 1.5 f32 ulps (halfway) with norm 1 and tf 3.
            p.idf[7] = 1.0 + f32::EPSILON;
            rows.push(vec![7 << TF_BITS | 3; 19]);
            p.norm.push(1.0);
            let mut buf = RowBuf::default();
            let mut start = 0;
            p.packed = rows.concat();
            for (i, r) in rows.iter().enumerate() {
                let end = start + r.len();
                p.decode(start, end, i, &mut buf, avx2);
                for (k, &q) in r.iter().enumerate() {
                    assert_eq!(buf.idx[k], q >> TF_BITS);
                    let want = (p.raw(q) / p.norm[i]) as f32;
                    assert_eq!(buf.val[k].to_bits(), want.to_bits(), "row {i}, entry {k}");
                }
                start = end;
            }
            if !sublinear {
                // The halfway row, rounded to even.
                assert_eq!(buf.val[0], 3.0 + 4.0 * f32::EPSILON);
            }
        }
    }
}
