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

use super::{log1p_exp, sigmoid, BinaryProblem, DualSolution, LockStep};
use crate::features::sparse::CsrMatrix;

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
    /// Shared slots of each row, ascending.
    indices: Vec<u32>,
    data: Vec<f32>,
    /// Per row: the sum of its single-row features' squared values.
    single_sq: Vec<f64>,
    /// Per row: `|[x_i, 1]|^2`.
    xtx: Vec<f64>,
    /// Row of each single-row feature.
    pub single_row: Vec<u32>,
    /// Value of each single-row feature in its row.
    pub single_val: Vec<f32>,
}

impl FoldedRows {
    /// Splits `x` into shared features (renumbered) and single-row features (folded),
    /// reusing `x`'s arrays in place, so no second copy of the entries exists.
    pub fn new(x: CsrMatrix) -> Self {
        let d = x.n_cols();
        let mut df = vec![0u32; d];
        for &c in x.indices() {
            df[c as usize] += 1;
        }
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
        drop(df);
        let (n_rows, _, old_ptr, mut indices, mut data) = x.into_parts();
        let mut single_row = vec![0u32; n_single];
        let mut single_val = vec![0f32; n_single];
        let mut single_sq = vec![0f64; n_rows];
        let mut xtx = vec![0f64; n_rows];
        let mut indptr = Vec::with_capacity(n_rows + 1);
        indptr.push(0usize);
        // Entries are only removed, so the write position never passes the read position.
        let mut out = 0usize;
        for i in 0..n_rows {
            let (mut sq, mut total) = (0f64, 0f64);
            for p in old_ptr[i]..old_ptr[i + 1] {
                let (s, v) = (slot[indices[p] as usize] as usize, data[p]);
                total += v as f64 * v as f64;
                if s < n_shared {
                    indices[out] = s as u32;
                    data[out] = v;
                    out += 1;
                } else {
                    single_row[s - n_shared] = i as u32;
                    single_val[s - n_shared] = v;
                    sq += v as f64 * v as f64;
                }
            }
            single_sq[i] = sq;
            xtx[i] = 1.0 + total;
            indptr.push(out);
        }
        drop(old_ptr);
        indices.truncate(out);
        data.truncate(out);
        indices.shrink_to_fit();
        data.shrink_to_fit();
        sort_rows(&indptr, &mut indices, &mut data);
        FoldedRows {
            slot,
            n_shared,
            indptr,
            indices,
            data,
            single_sq,
            xtx,
            single_row,
            single_val,
        }
    }

    fn n_rows(&self) -> usize {
        self.indptr.len() - 1
    }

    #[inline]
    fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let (s, e) = (self.indptr[i], self.indptr[i + 1]);
        (&self.indices[s..e], &self.data[s..e])
    }
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
    for i in 0..l {
        for (b, slot) in delta[..nb].iter_mut().enumerate() {
            *slot = ls.weight(i, b) as f32;
        }
        let (idx, val) = f.row(i);
        axpy(&mut w, idx, val, ns, stride, &delta, avx2);
    }
    let mut dots = vec![0f32; stride];
    for _ in 0..max_iter {
        if !ls.start_epoch() {
            break;
        }
        for k in 0..l {
            let i = ls.row_at(k).expect("k < l");
            let (idx, val) = f.row(i);
            dot(&w, idx, val, ns, stride, &mut dots, avx2);
            if let Some(next) = ls.row_at(k + 1) {
                prefetch_rows(&w, f.row(next).0, stride, PREFETCH_AHEAD);
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
    let diag = diagnostics(f, problems, &ls.alpha, &weights);
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
fn diagnostics(
    f: &FoldedRows,
    problems: &[BinaryProblem],
    alpha: &[f64],
    bw: &BlockWeights,
) -> Vec<(f64, f64)> {
    let mut sums = DiagnosticSums::from_weights(bw, f.n_shared, problems.len());
    let coef = add_row_terms(f, problems, alpha, bw, &mut sums);
    add_shared_gradient(f, problems, bw, &coef, &mut sums);
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
/// and gradient terms, whose weights are `a_i y_i x_ij`; returns each row's loss derivative
/// `coef[i * nb + b]`, the shared features' gradient weights.
fn add_row_terms(
    f: &FoldedRows,
    problems: &[BinaryProblem],
    alpha: &[f64],
    bw: &BlockWeights,
    sums: &mut DiagnosticSums,
) -> Vec<f64> {
    let (l, nb, stride, ns) = (f.n_rows(), problems.len(), bw.stride, f.n_shared);
    let mut coef = vec![0f64; l * nb];
    let mut dots = vec![0f32; stride];
    let avx2 = cfg!(target_arch = "x86_64") && avx2_available();
    for i in 0..l {
        let (idx, val) = f.row(i);
        dot(&bw.w, idx, val, ns, stride, &mut dots, avx2);
        let si = f.single_sq[i];
        for b in 0..nb {
            let (y, c) = label_and_c(problems, b, i);
            let a = alpha[(i * nb + b) * 2];
            let m = dots[b] as f64 + y * a * si;
            let co = -c * y * sigmoid(-y * m);
            sums.obj[b] += 0.5 * a * a * si + c * log1p_exp(-y * m);
            coef[i * nb + b] = co;
            sums.sq[b] += (y * a + co).powi(2) * si;
            sums.sq0[b] += (0.5 * c).powi(2) * si;
            sums.gb[b] += co;
            sums.gb0[b] += -0.5 * c * y;
        }
    }
    coef
}

/// The shared features' squared gradient norms, `w + sum_i coef_i x_i` (and at `w = 0`),
/// accumulated over tiles of columns small enough to stay cached, walking every row's sorted
/// entries with a cursor.
fn add_shared_gradient(
    f: &FoldedRows,
    problems: &[BinaryProblem],
    bw: &BlockWeights,
    coef: &[f64],
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
            if p == end || f.indices[p] as usize >= t1 {
                continue;
            }
            for (b, c0) in coef0.iter_mut().enumerate() {
                let (y, c) = label_and_c(problems, b, i);
                *c0 = -0.5 * c * y;
            }
            let co = &coef[i * nb..(i + 1) * nb];
            while p < end && (f.indices[p] as usize) < t1 {
                let s = f.indices[p] as usize - t0;
                let v = f.data[p] as f64;
                let (gs, g0s) = (
                    &mut g[s * stride..s * stride + nb],
                    &mut g0[s * stride..s * stride + nb],
                );
                for b in 0..nb {
                    gs[b] += co[b] * v;
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
