//! Bounds that keep a decoded model's scores and probabilities finite.
//!
//! Every input row is L2-normalised by the vectorizer (each value at most 1 in magnitude), so
//! a problem's score is at most the sum of the magnitudes of its weights and intercept (dense
//! and primal forms), or twice the sum of its dual coefficients' magnitudes when the support
//! rows have norm at most 1 (`|x_i . x + 1| <= 2`). A loaded model whose sums stay below
//! [`MAX_SCORE_MASS`] therefore never scores past `f32::MAX`, and a finite score gives a
//! finite probability ([`ovr_normalise`]). A model fitted here stays far below the bound
//! (its dual coefficients are at most C times a class weight, C at most 1e6).

use super::kernels::{log1p_exp, sigmoid};
use super::model::{FoldedModel, LogReg, Weights};
use crate::error::{bail, Result};

/// Largest sum of weight magnitudes a problem may have (`f32::MAX` is about 3.4e38).
pub(super) const MAX_SCORE_MASS: f64 = 1e30;

/// How far past 1 a support row's norm may be (f32 rounding of normalised values).
const NORM_SLACK: f64 = 1e-3;

impl LogReg {
    /// Refuses a model one of whose problems could score past `f32::MAX` (see the module
    /// docs), naming the problem and its sum.
    pub(super) fn check_score_bound(&self) -> Result<()> {
        let p = self.n_problems;
        let mut mass = vec![0f64; p];
        match &self.weights {
            Weights::Folded(m) => folded_mass(m, &mut mass)?,
            Weights::Dense(dense) => {
                for (k, w) in dense.chunks_exact(self.n_features + 1).enumerate() {
                    mass[k] = w.iter().map(|v| (*v as f64).abs()).sum();
                }
            }
            Weights::Dual(m) => {
                let x = &m.support;
                for i in 0..x.n_rows() {
                    let sq: f64 = x.row(i).1.iter().map(|&v| v as f64 * v as f64).sum();
                    if sq > 1.0 + NORM_SLACK {
                        bail!(
                            "support vector {i} has norm {:e}, not at most 1 as every \
                         vectorized row",
                            sq.sqrt()
                        );
                    }
                }
                let n = x.n_rows();
                for (k, c) in m.coef.chunks(n.max(1)).enumerate().take(p) {
                    mass[k] = 2.0 * c.iter().map(|v| (*v as f64).abs()).sum::<f64>();
                }
            }
        }
        if let Some((k, m)) = mass
            .iter()
            .enumerate()
            .find(|(_, m)| m.is_nan() || **m > MAX_SCORE_MASS)
        {
            bail!(
                "the weights of binary problem {k} add up to {m:e} in magnitude, past the \
                 {MAX_SCORE_MASS:e} that keeps every score finite"
            );
        }
        Ok(())
    }
}

/// Per problem, the primal form's sum of weight magnitudes: shared weights and intercept,
/// plus each single-row feature's coefficient times its value (at most 1).
fn folded_mass(m: &FoldedModel, mass: &mut [f64]) -> Result<()> {
    let np = mass.len();
    let mut p0 = 0;
    for b in &m.blocks {
        for s in 0..=m.n_shared {
            let w = &b.w[s * b.stride..s * b.stride + b.lanes];
            for (acc, v) in mass[p0..p0 + b.lanes].iter_mut().zip(w) {
                *acc += (*v as f64).abs();
            }
        }
        p0 += b.lanes;
    }
    if let Some(j) = m.single_val.iter().position(|v| v.abs() > 1.0) {
        bail!(
            "single-row feature {j} has the value {}, past the 1 of a normalised row",
            m.single_val[j]
        );
    }
    for (&row, &v) in m.single_row.iter().zip(&m.single_val) {
        let c = &m.coef[row as usize * np..(row as usize + 1) * np];
        for (acc, c) in mass.iter_mut().zip(c) {
            *acc += (*c as f64 * v as f64).abs();
        }
    }
    Ok(())
}

/// One-vs-rest probabilities of one row of scores, in place: each class's sigmoid divided by
/// the row's sum. When every sigmoid underflows to 0 (all scores below about -745), the same
/// ratios are taken in log space, so a row never becomes 0/0.
pub(super) fn ovr_normalise(row: &mut [f32]) {
    let probs: Vec<f64> = row.iter().map(|&s| sigmoid(s as f64)).collect();
    let sum: f64 = probs.iter().sum();
    if sum > 0.0 {
        for (o, p) in row.iter_mut().zip(probs) {
            *o = (p / sum) as f32;
        }
        return;
    }
    // log sigmoid(s) = -log(1 + exp(-s)).
    let logs: Vec<f64> = row.iter().map(|&s| -log1p_exp(-(s as f64))).collect();
    let top = logs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if !top.is_finite() {
        let even = 1.0 / row.len().max(1) as f64;
        row.iter_mut().for_each(|o| *o = even as f32);
        return;
    }
    let exps: Vec<f64> = logs.iter().map(|l| (l - top).exp()).collect();
    let total: f64 = exps.iter().sum();
    for (o, e) in row.iter_mut().zip(exps) {
        *o = (e / total) as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_of_very_low_scores_still_sum_to_one() {
        // Every sigmoid underflows to 0 here: the plain ratio would be 0/0.
        let mut row = [-3.0e38f32, -2000.0, -1000.0];
        ovr_normalise(&mut row);
        assert!(row.iter().all(|p| p.is_finite()), "{row:?}");
        assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6, "{row:?}");
        assert_eq!(row[2], 1.0);
        let mut row = [f32::NEG_INFINITY; 4];
        ovr_normalise(&mut row);
        assert_eq!(row, [0.25; 4]);
        // Ordinary rows are the plain ratio, bit for bit.
        let mut row = [0.5f32, -1.0, 2.0];
        let s: Vec<f64> = row.iter().map(|&v| sigmoid(v as f64)).collect();
        let t: f64 = s.iter().sum();
        ovr_normalise(&mut row);
        for (p, q) in row.iter().zip(&s) {
            assert_eq!(*p, (q / t) as f32);
        }
    }
}
