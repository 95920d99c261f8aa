//! The one-problem dual coordinate descent solver and the primal objective, kept for tests:
//! the other routes are checked against them.

use super::kernels::{axpy_row, log1p_exp, sigmoid, DualSolution};
use super::lockstep::CoordinateStep;
use crate::features::sparse::CsrMatrix;
use crate::rng::SplitMix64;

/// `sum_i a_i b_i` with four independent accumulators, a fixed summation order that the
/// compiler can vectorise (a single running sum is bound by the add latency). Prediction
/// computes it through [`dot4_rows`]; this one-vector form is the reference the tests hold it to.
#[cfg(test)]
pub(super) fn dot4(a: &[f32], b: &[f64]) -> f64 {
    let mut acc = [0f64; 4];
    let mut ca = a.chunks_exact(4);
    let mut cb = b.chunks_exact(4);
    for (x, y) in (&mut ca).zip(&mut cb) {
        for l in 0..4 {
            acc[l] += x[l] as f64 * y[l];
        }
    }
    let mut s = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    for (x, y) in ca.remainder().iter().zip(cb.remainder()) {
        s += *x as f64 * y;
    }
    s
}

/// `w . [x_i, 1]`: the row's dot product plus the bias weight.
#[cfg(test)]
#[inline]
pub(super) fn dot_row(w: &[f64], idx: &[u32], val: &[f32]) -> f64 {
    let mut s = w[w.len() - 1];
    for (&c, &v) in idx.iter().zip(val) {
        s += w[c as usize] * v as f64;
    }
    s
}

/// Dual coordinate descent for L2-regularised logistic regression
/// (liblinear's `solve_l2r_lr_dual`, solver type 7; Algorithm 5 of Yu, Huang
/// & Lin 2011, "Dual coordinate descent methods for logistic regression and
/// maximum entropy models", Machine Learning 85:41-75).
///
/// Primal: `min_w 0.5 |w|^2 + sum_i C_i log(1 + exp(-y_i w.x_i))` with `x_i`
/// extended by a constant 1 (regularised intercept). Dual:
/// `min_a 0.5 a'Qa + sum_i a_i log a_i + (C_i - a_i) log(C_i - a_i)`
/// subject to `0 < a_i < C_i`, `Q_ij = y_i y_j x_i.x_j`, and at the optimum
/// `w = sum_i a_i y_i x_i`.
///
/// Inputs: `x` (rows = documents), `pos` (true = +1), `cp`/`cn` the `C_i`
/// of positive/negative rows, `eps` the tolerance, `max_iter` epochs, `seed`
/// for the per-epoch random permutation of coordinates.
/// Each coordinate is minimised by a safeguarded Newton method on
/// `g(z) = z log z + (C - z) log(C - z) + 0.5 a (z - a_old)^2 + s b (z - a_old)`.
/// Stopping rule (liblinear's): the largest `|g'(a_i)|` seen during an epoch
/// is below `eps`. Output: `w` (f64, intercept last), epochs used, whether
/// the rule was met, and the relative primal gradient norm at `w`.
///
/// This one-problem form is the plain transcription of liblinear, kept as
/// the reference that [`solve_l2r_lr_dual_block`] must reproduce exactly. It
/// takes its coordinate steps through the Newton step every route shares
/// (`super::lockstep::CoordinateStep`) but spells out liblinear's epoch itself, so the
/// tests that compare the routes with it check the shared epoch bookkeeping
/// (`super::lockstep::LockStep`), the Gram matrix and the folding; the step itself is
/// checked against the optimum (primal gradient) and linfa-logistic's weights.
#[cfg(test)]
pub(super) fn solve_l2r_lr_dual(
    x: &CsrMatrix,
    pos: &[bool],
    cp: f64,
    cn: f64,
    eps: f64,
    max_iter: usize,
    seed: u64,
) -> DualSolution {
    let l = x.n_rows();
    let mut w = vec![0f64; x.n_cols() + 1];
    let upper = |i: usize| if pos[i] { cp } else { cn };
    let sign_y = |i: usize| if pos[i] { 1.0 } else { -1.0 };
    // alpha[2i] = a_i and alpha[2i+1] = C_i - a_i, kept separately so that
    // both logs stay accurate when a_i is close to either bound.
    let mut alpha = vec![0f64; 2 * l];
    let mut xtx = vec![0f64; l];
    for i in 0..l {
        let c = upper(i);
        alpha[2 * i] = (0.001 * c).min(1e-8);
        alpha[2 * i + 1] = c - alpha[2 * i];
        let (idx, val) = x.row(i);
        xtx[i] = 1.0 + val.iter().map(|&v| v as f64 * v as f64).sum::<f64>();
        axpy_row(sign_y(i) * alpha[2 * i], idx, val, &mut w);
    }

    let mut index: Vec<usize> = (0..l).collect();
    let mut rng = SplitMix64::new(seed);
    let innereps_min = eps.min(1e-8);
    let mut innereps = 1e-2;
    let mut iter = 0;
    let mut converged = false;
    while iter < max_iter {
        for i in 0..l {
            let j = i + rng.below_modulo(l - i);
            index.swap(i, j);
        }
        let mut newton_iter = 0usize;
        let mut gmax = 0f64;
        for &i in &index {
            let yi = sign_y(i);
            let (idx, val) = x.row(i);
            let step = CoordinateStep {
                a: xtx[i],
                c: upper(i),
                bb: yi * dot_row(&w, idx, val),
                innereps,
            };
            let pair: &mut [f64; 2] = (&mut alpha[2 * i..2 * i + 2]).try_into().expect("2");
            if let Some(change) = step.run(pair, &mut gmax, &mut newton_iter) {
                axpy_row(change * yi, idx, val, &mut w);
            }
        }
        iter += 1;
        if gmax < eps {
            converged = true;
            break;
        }
        if newton_iter <= l / 10 {
            innereps = innereps_min.max(0.1 * innereps);
        }
    }

    let g0 = norm(&primal_gradient(x, pos, cp, cn, &vec![0.0; w.len()]));
    let g = norm(&primal_gradient(x, pos, cp, cn, &w));
    let objective = primal_objective(x, pos, cp, cn, &w);
    DualSolution {
        w,
        alpha: (0..l).map(|i| alpha[2 * i]).collect(),
        objective,
        iterations: iter,
        converged,
        relative_grad_norm: if g0 > 0.0 { g / g0 } else { g },
    }
}

#[cfg(test)]
pub(super) fn norm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}

/// Primal objective `0.5 |w|^2 + sum_i C_i log(1 + exp(-y_i w.[x_i, 1]))`.
#[cfg(test)]
pub(super) fn primal_objective(x: &CsrMatrix, pos: &[bool], cp: f64, cn: f64, w: &[f64]) -> f64 {
    let reg = 0.5 * w.iter().map(|v| v * v).sum::<f64>();
    let loss: f64 = (0..x.n_rows())
        .map(|i| {
            let (idx, val) = x.row(i);
            let (y, c) = if pos[i] { (1.0, cp) } else { (-1.0, cn) };
            c * log1p_exp(-y * dot_row(w, idx, val))
        })
        .sum();
    reg + loss
}

/// Gradient of [`primal_objective`]:
/// `w - sum_i C_i y_i sigmoid(-y_i w.x_i) [x_i, 1]`.
#[cfg(test)]
pub(super) fn primal_gradient(
    x: &CsrMatrix,
    pos: &[bool],
    cp: f64,
    cn: f64,
    w: &[f64],
) -> Vec<f64> {
    let mut g = w.to_vec();
    for ((idx, val), &p) in x.rows().zip(pos) {
        let (y, c) = if p { (1.0, cp) } else { (-1.0, cn) };
        let coef = -c * y * sigmoid(-y * dot_row(w, idx, val));
        axpy_row(coef, idx, val, &mut g);
    }
    g
}
