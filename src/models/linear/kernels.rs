//! What every solver route shares: the binary problems, the dual solution, the logistic
//! helpers.

pub(super) fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Outcome of one binary solve.
pub(super) struct DualSolution {
    /// `n_features + 1` weights, the intercept last (empty from the Gram route, which never
    /// needs them).
    #[cfg_attr(not(test), allow(dead_code))]
    pub(super) w: Vec<f64>,
    /// The dual variables `a_i`, one per training row.
    pub(super) alpha: Vec<f64>,
    pub(super) iterations: usize,
    pub(super) converged: bool,
    pub(super) relative_grad_norm: f64,
    pub(super) objective: f64,
}

/// `w += a * [x_i, 1]`.
#[inline]
pub(super) fn axpy_row(a: f64, idx: &[u32], val: &[f32], w: &mut [f64]) {
    for (&c, &v) in idx.iter().zip(val) {
        w[c as usize] += a * v as f64;
    }
    let last = w.len() - 1;
    w[last] += a;
}

/// One binary problem handed to [`solve_l2r_lr_dual_block`]: `pos[i]` says
/// whether row i is positive; `cp`/`cn` are the `C_i` of positive/negative
/// rows.
pub(super) struct BinaryProblem {
    pub(super) pos: Vec<bool>,
    pub(super) cp: f64,
    pub(super) cn: f64,
}

/// `log(1 + exp(t))` without overflow.
pub(super) fn log1p_exp(t: f64) -> f64 {
    if t > 0.0 {
        t + (-t).exp().ln_1p()
    } else {
        t.exp().ln_1p()
    }
}
