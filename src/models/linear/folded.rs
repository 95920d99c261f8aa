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

use serde::{Deserialize, Serialize};

use super::folded_rows::{prefetch_row, FoldedRows, RowBuf, MAX_LANES};
use super::kernels::{log1p_exp, sigmoid, BinaryProblem, DualSolution};
use super::lockstep::LockStep;

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
    use crate::features::tfidf::tf_idf_raw;
    use crate::models::linear::folded_rows::{Packed, TF_BITS};
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
