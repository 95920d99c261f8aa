//! The block dual coordinate descent solver (several binary problems per pass over the rows).

use super::gram::{gram_diagnostics, Gram, GramState};
use super::kernels::{log1p_exp, sigmoid, BinaryProblem, DualSolution};
use super::lockstep::LockStep;
use crate::features::sparse::CsrMatrix;

/// The dual coordinate descent of `solve_l2r_lr_dual` (liblinear solver 7,
/// Yu, Huang & Lin 2011, Algorithm 5; objective, dual, Newton sub-steps and
/// stopping rule exactly as documented there) run on several binary
/// problems over the same `x` in lock-step.
///
/// Why: every problem of a one-vs-rest fit visits the same rows, and the
/// cost of an epoch is dominated by fetching scattered weights of each row's
/// features. Storing the weights feature-major (`w[c * B + b]` for problem
/// `b` of `B`) turns B scattered reads into one contiguous run, which is
/// several times faster than solving the problems one by one.
///
/// All problems share the row permutation of each epoch (drawn from `seed`);
/// a problem that has met the stopping rule is frozen. Each problem's
/// arithmetic is therefore identical to the one-problem solver with the same
/// seed, whatever the grouping of problems into blocks or threads.
pub(super) fn solve_l2r_lr_dual_block(
    x: &CsrMatrix,
    gram: Option<&Gram>,
    problems: &[BinaryProblem],
    eps: f64,
    max_iter: usize,
    seed: u64,
) -> Vec<DualSolution> {
    let l = x.n_rows();
    let nb = problems.len();
    let d = x.n_cols();
    let mut state = match gram {
        Some(k) => BlockState::Gram(GramState::new(k, nb)),
        None => BlockState::Primal {
            w: vec![0f64; (d + 1) * nb],
        },
    };
    let mut ls = LockStep::new(problems, l, eps, seed);
    let mut xtx = vec![0f64; l];
    let mut delta = vec![0f64; nb];
    for (i, q) in xtx.iter_mut().enumerate() {
        let (_, val) = x.row(i);
        *q = 1.0 + val.iter().map(|&v| v as f64 * v as f64).sum::<f64>();
        for (b, slot) in delta.iter_mut().enumerate() {
            *slot = ls.weight(i, b);
        }
        state.update(x, i, &delta);
    }

    let mut dots = vec![0f64; nb];
    for _ in 0..max_iter {
        if !ls.start_epoch() {
            break;
        }
        for k in 0..l {
            let i = ls.row_at(k).expect("k < l");
            state.dots(x, i, &mut dots);
            delta.fill(0.0);
            if ls.step_row(i, xtx[i], |b, _, _| dots[b], |b, d| delta[b] = d) {
                state.update(x, i, &delta);
            }
        }
        let before: Vec<bool> = (0..nb).map(|b| ls.is_active(b)).collect();
        ls.end_epoch();
        // A problem that met the stopping rule this epoch drops out of the Gram kernel.
        for (b, &was) in before.iter().enumerate() {
            if was && !ls.is_active(b) {
                state.freeze(b);
            }
        }
    }

    let u_final = state.final_u();
    // The Gram route never forms the primal weights: the model is kept in the dual.
    let (diag, w) = match state {
        BlockState::Gram(g) => (
            gram_diagnostics(g.k, problems, &ls.alpha, &u_final),
            Vec::new(),
        ),
        BlockState::Primal { w } => (block_diagnostics(x, problems, &w), w),
    };
    ls.into_solutions(&diag, |b| {
        if w.is_empty() {
            Vec::new()
        } else {
            (0..=d).map(|c| w[c * nb + b]).collect()
        }
    })
}

/// Relative primal gradient norm and primal objective of each problem of a
/// feature-major weight block, in three passes over `x` for the whole block
/// (the per-problem [`primal_gradient`] would take three per problem).
pub(super) fn block_diagnostics(
    x: &CsrMatrix,
    problems: &[BinaryProblem],
    w: &[f64],
) -> Vec<(f64, f64)> {
    let nb = problems.len();
    let mut obj: Vec<f64> = (0..nb)
        .map(|b| 0.5 * w.iter().skip(b).step_by(nb).map(|v| v * v).sum::<f64>())
        .collect();
    let mut grad = w.to_vec();
    let mut grad0 = vec![0f64; w.len()];
    let mut dots = vec![0f64; nb];
    let mut coef = vec![0f64; nb];
    let mut coef0 = vec![0f64; nb];
    for (i, (idx, val)) in x.rows().enumerate() {
        dot_block(w, idx, val, &mut dots);
        for b in 0..nb {
            let p = &problems[b];
            let (y, c) = if p.pos[i] { (1.0, p.cp) } else { (-1.0, p.cn) };
            obj[b] += c * log1p_exp(-y * dots[b]);
            coef[b] = -c * y * sigmoid(-y * dots[b]);
            coef0[b] = -c * y * 0.5;
        }
        axpy_block(&coef, idx, val, &mut grad);
        axpy_block(&coef0, idx, val, &mut grad0);
    }
    (0..nb)
        .map(|b| {
            let g = grad
                .iter()
                .skip(b)
                .step_by(nb)
                .map(|v| v * v)
                .sum::<f64>()
                .sqrt();
            let g0 = grad0
                .iter()
                .skip(b)
                .step_by(nb)
                .map(|v| v * v)
                .sum::<f64>()
                .sqrt();
            (if g0 > 0.0 { g / g0 } else { g }, obj[b])
        })
        .collect()
}

/// The running dual-to-primal map of a block of problems.
pub(super) enum BlockState<'a> {
    /// Feature-major weights, `w[c * nb + b]` (intercept row last).
    Primal { w: Vec<f64> },
    /// The margins `u = K (a y)` of the block, maintained through the Gram matrix.
    Gram(GramState<'a>),
}

impl BlockState<'_> {
    /// `dots[b] = w_b . [x_i, 1]`.
    #[inline]
    pub(super) fn dots(&self, x: &CsrMatrix, i: usize, dots: &mut [f64]) {
        match self {
            BlockState::Primal { w } => {
                let (idx, val) = x.row(i);
                dot_block(w, idx, val, dots);
            }
            BlockState::Gram(g) => g.dots(i, dots),
        }
    }

    /// `w_b += delta[b] * [x_i, 1]` (`delta` is zero for frozen problems).
    #[inline]
    pub(super) fn update(&mut self, x: &CsrMatrix, i: usize, delta: &[f64]) {
        match self {
            BlockState::Primal { w } => {
                let (idx, val) = x.row(i);
                axpy_block(delta, idx, val, w);
            }
            BlockState::Gram(g) => g.update(i, delta),
        }
    }

    /// Problem `b` met the stopping rule: its margins stop changing (its deltas are zero
    /// from now on), so the pending updates, which may still hold some of its, are applied.
    pub(super) fn freeze(&mut self, _b: usize) {
        if let BlockState::Gram(g) = self {
            g.flush();
        }
    }

    /// The Gram route's margins with every update applied, problem-major.
    pub(super) fn final_u(&mut self) -> Vec<f64> {
        match self {
            BlockState::Gram(g) => g.final_u(),
            BlockState::Primal { .. } => Vec::new(),
        }
    }
}

/// `dots[b] = w_b . [x_i, 1]` for every problem of a feature-major block,
/// summed in the same order as [`dot_row`] (bias first).
#[inline]
pub(super) fn dot_block(w: &[f64], idx: &[u32], val: &[f32], dots: &mut [f64]) {
    let nb = dots.len();
    let bias = w.len() - nb;
    dots.copy_from_slice(&w[bias..]);
    for (&c, &v) in idx.iter().zip(val) {
        let v = v as f64;
        let row = &w[c as usize * nb..c as usize * nb + nb];
        for (s, &wc) in dots.iter_mut().zip(row) {
            *s += wc * v;
        }
    }
}

/// `w_b += delta[b] * [x_i, 1]` for every problem of a feature-major block.
#[inline]
pub(super) fn axpy_block(delta: &[f64], idx: &[u32], val: &[f32], w: &mut [f64]) {
    let nb = delta.len();
    for (&c, &v) in idx.iter().zip(val) {
        let v = v as f64;
        let row = &mut w[c as usize * nb..c as usize * nb + nb];
        for (wc, &dl) in row.iter_mut().zip(delta) {
            *wc += dl * v;
        }
    }
    let bias = w.len() - nb;
    for (wc, &dl) in w[bias..].iter_mut().zip(delta) {
        *wc += dl;
    }
}
