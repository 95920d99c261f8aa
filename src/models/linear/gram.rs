//! The Gram route of the one-vs-rest dual solver: the kernel matrix `K` of the training rows
//! and the margins `u = K (a y)` of a block of binary problems, maintained as the coordinate
//! descent moves the duals (see [`Gram`]).
//!
//! # Bit-identical by construction
//! Each margin `u_bj` (problem `b`, row `j`) is the sum, in the order the updates were made,
//! of `K_pj * d` over the updates `(p, d)` of problem `b`, accumulated in f64 from `+0.0`.
//! Every kernel here performs exactly those multiplications and additions in that order, and
//! never fuses them (no FMA), so the vector width and the batching do not change a bit. An
//! update whose delta is exactly zero is skipped: `K_pj * 0` is a zero, and adding a zero to
//! a sum that started at `+0.0` leaves it unchanged (such a sum is never `-0.0` in
//! round-to-nearest).

use rayon::prelude::*;

use super::kernels::{log1p_exp, sigmoid, BinaryProblem};
use crate::features::sparse::CsrMatrix;

/// Dense Gram matrix `K_ij = [x_i, 1] . [x_j, 1]` of the training rows.
///
/// With far fewer documents than features the dual solver only ever needs
/// `y_i w.x_i = y_i sum_j a_j y_j K_ij`; keeping `u = K (a * y)` per problem
/// turns each coordinate step into one contiguous, vectorisable sweep of a
/// row of K instead of scattered reads and writes of ~1000 weights, and K is
/// built once for all classes.
pub(super) struct Gram {
    pub(super) n: usize,
    /// Stored as f32: the matrix is read once per coordinate step, so halving it halves the
    /// memory traffic of the solver's hot loop and its footprint (88 MB instead of 176 MB for
    /// RuMedTop3); entries are accumulated in f64 and rounded once, and every update still
    /// accumulates in f64.
    pub(super) k: Vec<f32>,
}

impl Gram {
    /// Builds K row by row through the posting lists of the columns held by two rows or more
    /// ([`SharedPostings`]): `K_ij = 1 + sum_c x_ic x_jc` for `j < i`, summed over row i's
    /// features in increasing order in f64 and rounded to f32 once, the diagonal straight from
    /// row i (`1 + sum_c x_ic^2`, the additions a scan of every column of row i would make to
    /// it, in the same order). Rows are computed independently in parallel, so the result is
    /// thread-count invariant. Only the lower triangle is computed (columns list rows in
    /// ascending order, so a scan stops at the diagonal), then mirrored: K is symmetric.
    pub(super) fn new(x: &CsrMatrix) -> Self {
        let n = x.n_rows();
        let post = SharedPostings::new(x);
        let mut k = vec![0f32; n * n];
        k.par_chunks_mut(n).enumerate().for_each_init(
            || vec![0f64; n],
            |acc, (i, out)| {
                acc[..i].fill(1.0);
                let (idx, val) = x.row(i);
                let mut diag = 1.0f64;
                for (e, (&c, &v)) in idx.iter().zip(val).enumerate() {
                    // Columns are scattered over the postings: ask for the column offsets
                    // and then the columns' first entries a few features ahead, so the
                    // cache misses overlap.
                    if let Some(&far) = idx.get(e + 2 * GRAM_PREFETCH) {
                        prefetch(&post.colptr, far as usize);
                    }
                    if let Some(&near) = idx.get(e + GRAM_PREFETCH) {
                        prefetch(&post.entries, post.colptr[near as usize] as usize);
                    }
                    let v = v as f64;
                    diag += v * v;
                    let (s, e) = (post.colptr[c as usize], post.colptr[c as usize + 1]);
                    for &(j, vj) in &post.entries[s as usize..e as usize] {
                        if j as usize >= i {
                            break;
                        }
                        acc[j as usize] += v * vj as f64;
                    }
                }
                for (o, &a) in out[..i].iter_mut().zip(acc.iter()) {
                    *o = a as f32;
                }
                out[i] = diag as f32;
            },
        );
        mirror(&mut k, n);
        Gram { n, k }
    }

    /// Whether the Gram route is worth it: an epoch costs about `n^2`
    /// streamed multiply-adds per problem against `2 nnz` scattered ones on
    /// the primal weights (measured several times slower each), and K must
    /// fit comfortably in memory.
    pub(super) fn pays_off(x: &CsrMatrix) -> bool {
        Self::pays_off_dims(x.n_rows(), x.nnz())
    }

    /// [`Gram::pays_off`] for a matrix of `n_rows` rows and `nnz` entries.
    pub(super) fn pays_off_dims(n_rows: usize, nnz: usize) -> bool {
        let n = n_rows as u128;
        n * n <= 8 * nnz as u128 && n * n * 4 <= GRAM_MAX_BYTES
    }

    /// Row `p` of K.
    #[inline]
    fn row(&self, p: usize) -> &[f32] {
        &self.k[p * self.n..(p + 1) * self.n]
    }
}

/// Features ahead of the current one whose column is prefetched in [`Gram::new`].
const GRAM_PREFETCH: usize = 8;

/// Asks for the cache line holding `s[i]` (a hint; nothing when `i` is out of range).
#[inline(always)]
pub(super) fn prefetch<T>(s: &[T], i: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(r) = s.get(i) {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        // SAFETY: prefetching is only a hint, and the address lies inside `s`.
        unsafe { _mm_prefetch((r as *const T).cast::<i8>(), _MM_HINT_T0) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (s, i);
}

/// The posting lists of the columns of `x` held by two rows or more (a column held by one
/// row adds to the diagonal of K only): `entries[colptr[c]..colptr[c + 1]]` are column c's
/// `(row, value)`, rows increasing; other columns have none. Row and value sit side by side,
/// so a column's start is one cache miss, and the offsets are u32 (4 bytes per column).
struct SharedPostings {
    colptr: Vec<u32>,
    entries: Vec<(u32, f32)>,
}

/// Column ranges [`SharedPostings::new`] fills separately: each range's postings are a small
/// contiguous region, so the scattered writes stay in cache.
const POSTING_RANGES: usize = 32;

impl SharedPostings {
    /// Counts and fills the postings range of columns by range, the ranges in parallel; the
    /// result does not depend on the thread count.
    fn new(x: &CsrMatrix) -> Self {
        let d = x.n_cols();
        let width = d.div_ceil(POSTING_RANGES).max(1);
        let ranges: Vec<(usize, usize)> = (0..d)
            .step_by(width)
            .map(|c0| (c0, (c0 + width).min(d)))
            .collect();
        // Per range: each column's count, then its offset within the range.
        let counts: Vec<Vec<u32>> = ranges
            .par_iter()
            .map(|&(c0, c1)| {
                let mut cnt = vec![0u32; c1 - c0];
                for (idx, _) in x.rows() {
                    for &c in &idx[range_start(idx, c0)..range_start(idx, c1)] {
                        cnt[c as usize - c0] += 1;
                    }
                }
                cnt
            })
            .collect();
        let mut colptr = vec![0u32; d + 1];
        let mut total = 0u32;
        for (&(c0, _), cnt) in ranges.iter().zip(&counts) {
            for (o, &m) in colptr[c0..].iter_mut().zip(cnt) {
                *o = total;
                if m >= 2 {
                    total += m;
                }
            }
        }
        colptr[d] = total;
        let mut entries = vec![(0u32, 0f32); total as usize];
        let mut parts: Vec<PostingRange<'_>> = Vec::new();
        let mut rest = &mut entries[..];
        for &(c0, c1) in &ranges {
            let (part, tail) = rest.split_at_mut((colptr[c1] - colptr[c0]) as usize);
            parts.push((part, (c0, c1)));
            rest = tail;
        }
        parts.into_par_iter().for_each(|(part, (c0, c1))| {
            let base = colptr[c0];
            let mut cursor: Vec<u32> = colptr[c0..c1].iter().map(|&p| p - base).collect();
            for (i, (idx, val)) in x.rows().enumerate() {
                let (s, e) = (range_start(idx, c0), range_start(idx, c1));
                for (&c, &v) in idx[s..e].iter().zip(&val[s..e]) {
                    let c = c as usize;
                    if colptr[c + 1] - colptr[c] >= 2 {
                        let p = &mut cursor[c - c0];
                        part[*p as usize] = (i as u32, v);
                        *p += 1;
                    }
                }
            }
        });
        SharedPostings { colptr, entries }
    }
}

/// A range of columns `(c0, c1)` and its region of [`SharedPostings::entries`].
type PostingRange<'a> = (&'a mut [(u32, f32)], (usize, usize));

/// The position of the first entry of the sorted column list `idx` at or beyond column `c`.
fn range_start(idx: &[u32], c: usize) -> usize {
    idx.partition_point(|&j| (j as usize) < c)
}

/// Copies the lower triangle of the `n x n` matrix `k` onto its upper triangle, in tiles
/// (each tile of the upper triangle read from its mirror image, in parallel over row bands).
fn mirror(k: &mut [f32], n: usize) {
    const TILE: usize = 64;
    // Row band `b` (rows `b*TILE..`) receives, for every column `j` beyond its rows, the
    // entries `k[j][i]` of the rows below it. Bands only read rows of later bands, and only
    // their lower-triangle part, which no band writes.
    let ptr = SyncPtr(k.as_mut_ptr());
    (0..n.div_ceil(TILE)).into_par_iter().for_each(|b| {
        let p = ptr;
        let (r0, r1) = (b * TILE, ((b + 1) * TILE).min(n));
        for j0 in (r0..n).step_by(TILE) {
            let j1 = (j0 + TILE).min(n);
            for i in r0..r1 {
                for j in j0.max(i + 1)..j1 {
                    // SAFETY: i < j < n, so both indices lie inside `k`; `[i][j]` (upper
                    // triangle, row i of band b) is written by band b only, and `[j][i]` (lower
                    // triangle) is never written here.
                    unsafe { *p.0.add(i * n + j) = *p.0.add(j * n + i) };
                }
            }
        }
    });
}

/// A raw pointer the tiles of [`mirror`] share; they touch disjoint entries.
#[derive(Clone, Copy)]
struct SyncPtr(*mut f32);
// SAFETY: see `mirror`: concurrent tasks write disjoint entries and read entries no task writes.
unsafe impl Send for SyncPtr {}
unsafe impl Sync for SyncPtr {}

/// Upper bound on the Gram matrix size (1 GiB of f32, about 16,000 documents).
const GRAM_MAX_BYTES: u128 = 1 << 30;

/// Updates of `u` batched by [`GramState`]: `u` is read and written once per batch.
const PENDING: usize = 16;

/// Columns of K converted to f64 at a time by [`Batch::apply`] (a batch's [`PENDING`] rows of
/// 256 f64, 32 KB, stay in the L1 cache while every problem's margins of those columns are
/// updated).
const CHUNK: usize = 256;

/// A batch of updates `u_b += d_qb K_{p_q}` (problem-major deltas), applied in order.
#[derive(Default)]
struct Batch {
    /// The rows `p_q` of K, oldest first.
    rows: Vec<usize>,
    /// `deltas[q * nb + b]`: problem `b`'s delta of the `q`-th update.
    deltas: Vec<f64>,
    /// The rows' current columns as f64, `CHUNK` per row.
    buf: Vec<f64>,
}

impl Batch {
    fn len(&self) -> usize {
        self.rows.len()
    }

    fn push(&mut self, p: usize, delta: &[f64]) {
        self.rows.push(p);
        self.deltas.extend_from_slice(delta);
    }

    fn clear(&mut self) {
        self.rows.clear();
        self.deltas.clear();
    }

    /// `u[b * n + j] += K_pj * d` for every update `(p, d)` of problem `b`, in order; zero
    /// deltas are skipped (see the module notes), so a problem without any is not touched.
    fn apply(&mut self, k: &Gram, u: &mut [f64], nb: usize) {
        if self.rows.is_empty() {
            return;
        }
        let lists: Vec<Lane> = (0..nb)
            .filter_map(|b| Lane::of(b, &self.deltas, nb))
            .collect();
        if !lists.is_empty() {
            self.buf.resize(self.rows.len() * CHUNK, 0.0);
            apply_lanes(k, &self.rows, &lists, u, &mut self.buf);
        }
        self.clear();
    }
}

/// One problem's nonzero deltas of a batch: `(q, d)`, `q` increasing.
struct Lane {
    b: usize,
    len: usize,
    upd: [(usize, f64); PENDING],
}

impl Lane {
    fn of(b: usize, deltas: &[f64], nb: usize) -> Option<Lane> {
        let mut lane = Lane {
            b,
            len: 0,
            upd: [(0, 0.0); PENDING],
        };
        for (q, d) in deltas.chunks_exact(nb).map(|r| r[b]).enumerate() {
            if d != 0.0 {
                lane.upd[lane.len] = (q, d);
                lane.len += 1;
            }
        }
        (lane.len > 0).then_some(lane)
    }
}

/// [`Batch::apply`]'s work, with the widest vectors the CPU has (the same operations in the
/// same order whichever is taken).
fn apply_lanes(k: &Gram, rows: &[usize], lanes: &[Lane], u: &mut [f64], buf: &mut [f64]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F, checked just above.
            unsafe { apply_lanes_avx512(k, rows, lanes, u, buf) };
            return;
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            unsafe { apply_lanes_avx2(k, rows, lanes, u, buf) };
            return;
        }
    }
    apply_lanes_plain(k, rows, lanes, u, buf);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn apply_lanes_avx512(
    k: &Gram,
    rows: &[usize],
    lanes: &[Lane],
    u: &mut [f64],
    buf: &mut [f64],
) {
    apply_lanes_plain(k, rows, lanes, u, buf);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn apply_lanes_avx2(
    k: &Gram,
    rows: &[usize],
    lanes: &[Lane],
    u: &mut [f64],
    buf: &mut [f64],
) {
    apply_lanes_plain(k, rows, lanes, u, buf);
}

/// Column chunk by column chunk: the batch's rows of K converted to f64 once, then every
/// problem's margins of those columns updated from registers.
#[inline(always)]
fn apply_lanes_plain(k: &Gram, rows: &[usize], lanes: &[Lane], u: &mut [f64], buf: &mut [f64]) {
    let n = k.n;
    for c0 in (0..n).step_by(CHUNK) {
        let len = CHUNK.min(n - c0);
        for (q, &p) in rows.iter().enumerate() {
            let src = &k.row(p)[c0..c0 + len];
            for (d, &s) in buf[q * CHUNK..q * CHUNK + len].iter_mut().zip(src) {
                *d = s as f64;
            }
        }
        for lane in lanes {
            let ub = &mut u[lane.b * n + c0..lane.b * n + c0 + len];
            lane_axpy(ub, buf, &lane.upd[..lane.len]);
        }
    }
}

/// Margins updated per register block of [`lane_axpy`].
const REG: usize = 32;

/// `u_j += buf[q][j] * d` for each `(q, d)` in order, `REG` margins at a time in registers.
#[inline(always)]
fn lane_axpy(u: &mut [f64], buf: &[f64], upd: &[(usize, f64)]) {
    let len = u.len();
    let mut j = 0;
    while j + REG <= len {
        let mut a = [0f64; REG];
        a.copy_from_slice(&u[j..j + REG]);
        for &(q, d) in upd {
            let kq = &buf[q * CHUNK + j..q * CHUNK + j + REG];
            for t in 0..REG {
                a[t] += kq[t] * d;
            }
        }
        u[j..j + REG].copy_from_slice(&a);
        j += REG;
    }
    for (t, uj) in u.iter_mut().enumerate().skip(j) {
        for &(q, d) in upd {
            *uj += buf[q * CHUNK + t] * d;
        }
    }
}

/// The Gram route's margins of a block of `nb` problems, problem-major (`u[b * n + j]` =
/// `w_b . [x_j, 1]`), updated lazily: updates are applied [`PENDING`] at a time, and a row's
/// margins are completed from the pending updates when it is visited, with the same
/// operations in the same order (see the module notes). A problem that met the stopping rule
/// has zero deltas from then on, so the kernel skips it.
pub(super) struct GramState<'a> {
    pub(super) k: &'a Gram,
    nb: usize,
    u: Vec<f64>,
    batch: Batch,
}

impl<'a> GramState<'a> {
    pub(super) fn new(k: &'a Gram, nb: usize) -> Self {
        GramState {
            k,
            nb,
            u: vec![0f64; k.n * nb],
            batch: Batch::default(),
        }
    }

    /// `dots[b] = w_b . [x_i, 1]` for every problem.
    #[inline]
    pub(super) fn dots(&self, i: usize, dots: &mut [f64]) {
        let (n, nb) = (self.k.n, self.nb);
        for (b, dot) in dots.iter_mut().enumerate() {
            let mut v = self.u[b * n + i];
            for (q, &p) in self.batch.rows.iter().enumerate() {
                v += self.k.k[p * n + i] as f64 * self.batch.deltas[q * nb + b];
            }
            *dot = v;
        }
    }

    /// `w_b += delta[b] * [x_i, 1]` for every problem.
    #[inline]
    pub(super) fn update(&mut self, i: usize, delta: &[f64]) {
        self.batch.push(i, delta);
        if self.batch.len() == PENDING {
            self.flush();
        }
    }

    /// Applies the pending updates.
    pub(super) fn flush(&mut self) {
        self.batch.apply(self.k, &mut self.u, self.nb);
    }

    /// The margins with every update applied, problem-major.
    pub(super) fn final_u(&mut self) -> Vec<f64> {
        self.flush();
        std::mem::take(&mut self.u)
    }
}

/// Relative primal gradient norm and primal objective of each problem through the Gram
/// matrix: margins are the maintained `u` (problem-major), `|w|^2 = sum_i a_i y_i u_i`, and
/// the gradient `sum_i beta_i [x_i, 1]` has squared norm `beta' K beta`, so no pass over the
/// sparse features is needed (two Gram sweeps per block instead).
pub(super) fn gram_diagnostics(
    k: &Gram,
    problems: &[BinaryProblem],
    alpha: &[f64],
    u: &[f64],
) -> Vec<(f64, f64)> {
    let nb = problems.len();
    let l = k.n;
    let mut obj = vec![0f64; nb];
    let mut beta = vec![0f64; l * nb];
    let mut beta0 = vec![0f64; l * nb];
    for i in 0..l {
        for (b, p) in problems.iter().enumerate() {
            let (y, c) = if p.pos[i] { (1.0, p.cp) } else { (-1.0, p.cn) };
            let m = u[b * l + i];
            let a = alpha[(i * nb + b) * 2];
            obj[b] += 0.5 * a * y * m + c * log1p_exp(-y * m);
            beta[b * l + i] = a * y - c * y * sigmoid(-y * m);
            beta0[b * l + i] = -c * y * 0.5;
        }
    }
    let g = quad_norms(k, &beta, nb);
    let g0 = quad_norms(k, &beta0, nb);
    (0..nb)
        .map(|b| (if g0[b] > 0.0 { g[b] / g0[b] } else { g[b] }, obj[b]))
        .collect()
}

/// `sqrt(beta_b' K beta_b)` of each problem's problem-major `beta_b`.
fn quad_norms(k: &Gram, beta: &[f64], nb: usize) -> Vec<f64> {
    let l = k.n;
    let mut kb = vec![0f64; l * nb];
    let mut batch = Batch::default();
    let mut delta = vec![0f64; nb];
    for i in 0..l {
        for (b, d) in delta.iter_mut().enumerate() {
            *d = beta[b * l + i];
        }
        batch.push(i, &delta);
        if batch.len() == PENDING || i + 1 == l {
            batch.apply(k, &mut kb, nb);
        }
    }
    (0..nb)
        .map(|b| {
            (0..l)
                .map(|i| beta[b * l + i] * kb[b * l + i])
                .sum::<f64>()
                .max(0.0)
                .sqrt()
        })
        .collect()
}
