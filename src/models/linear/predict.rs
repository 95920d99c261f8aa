//! Prediction: decision values, probabilities and the dot-product kernels behind them.

use super::kernels::sigmoid;
use super::model::{DualModel, FoldedModel, LogReg, Weights};
use super::params::FitReport;
use crate::features::sparse::CsrMatrix;
use rayon::prelude::*;

impl LogReg {
    /// Number of input features (excluding the intercept).
    pub fn n_features(&self) -> usize {
        self.n_features
    }

    /// Number of classes.
    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    /// Solver diagnostics of the fit.
    pub fn report(&self) -> &FitReport {
        &self.report
    }

    /// Number of stored binary problems (1 for two classes).
    pub fn n_problems(&self) -> usize {
        self.n_problems
    }

    /// Primal weights of binary problem `k` for the given features, and its intercept:
    /// `w_k[j] = sum_i c_ki x_ij` over the training rows holding feature `j`. For two classes
    /// there is a single problem, `k = 0`, whose positive class is class 1. Used to explain
    /// predictions without materialising dense weights.
    pub fn weights_for(&self, k: usize, features: &[u32]) -> Option<(Vec<f64>, f64)> {
        let m = match &self.weights {
            Weights::Folded(m) => m,
            Weights::Dense(dense) => return self.dense_weights_for(dense, k, features),
            Weights::Dual(m) => return self.dual_weights_for(m, k, features),
        };
        {
            if k >= self.n_problems {
                return None;
            }
            let mut acc = vec![0f64; self.n_problems];
            let w = features
                .iter()
                .map(|&j| {
                    if (j as usize) >= self.n_features {
                        return 0.0;
                    }
                    acc.fill(0.0);
                    m.add_feature(j as usize, 1.0, &mut acc);
                    acc[k]
                })
                .collect();
            Some((w, m.biases()[k]))
        }
    }

    fn dense_weights_for(
        &self,
        dense: &[f32],
        k: usize,
        features: &[u32],
    ) -> Option<(Vec<f64>, f64)> {
        {
            let stride = self.n_features + 1;
            let w = dense.get(k * stride..(k + 1) * stride)?;
            let picked = features
                .iter()
                .map(|&j| {
                    w.get(j as usize)
                        .filter(|_| (j as usize) < self.n_features)
                        .map_or(0.0, |&v| v as f64)
                })
                .collect();
            Some((picked, w[self.n_features] as f64))
        }
    }

    fn dual_weights_for(
        &self,
        m: &DualModel,
        k: usize,
        features: &[u32],
    ) -> Option<(Vec<f64>, f64)> {
        let n = m.support.n_rows();
        let c = m.coef.get(k * n..(k + 1) * n)?;
        let post = m.postings();
        let w = features
            .iter()
            .map(|&j| {
                if (j as usize) >= self.n_features {
                    return 0.0;
                }
                let (rows, vals) = post.column(j as usize);
                rows.iter()
                    .zip(vals)
                    .map(|(&i, &v)| c[i as usize] as f64 * v as f64)
                    .sum()
            })
            .collect();
        let bias = c.iter().map(|&v| v as f64).sum();
        Some((w, bias))
    }

    /// Scores `w_k . x + b_k`, row-major `n_rows x n_classes`, computed in the dual:
    /// `sum_i c_ki (x_i . x + 1)`. For two classes the single score s gives `[-s, s]`, so
    /// class 1 ranks first exactly when sklearn's `decision_function` is positive. Columns of
    /// `x` beyond the fitted width are ignored. Rows are independent, so the result does not
    /// depend on the thread count.
    pub fn decision_function(&self, x: &CsrMatrix) -> Vec<f32> {
        let m = match &self.weights {
            Weights::Dense(dense) => return self.decision_dense(dense, x),
            Weights::Folded(m) => return self.decision_folded(m, x),
            Weights::Dual(m) => m,
        };
        let k = self.n_classes;
        let n = m.support.n_rows();
        let problems = self.n_problems();
        let post = m.postings();
        let mut out = vec![0f32; x.n_rows() * k];
        // Rows go in groups so that each problem's coefficients are streamed from memory once
        // per group rather than once per row; a row's arithmetic does not depend on its group.
        out.par_chunks_mut(k * ROW_GROUP).enumerate().for_each_init(
            || vec![0f64; n * ROW_GROUP],
            |kernels, (g, scores)| {
                let rows = scores.len() / k;
                for d in 0..rows {
                    let kernel = &mut kernels[d * n..(d + 1) * n];
                    kernel.fill(1.0);
                    let (idx, val) = x.row(g * ROW_GROUP + d);
                    for (&c, &v) in idx.iter().zip(val) {
                        if (c as usize) >= self.n_features {
                            continue;
                        }
                        let v = v as f64;
                        let (prow, pval) = post.column(c as usize);
                        for (&i, &xv) in prow.iter().zip(pval) {
                            kernel[i as usize] += v * xv as f64;
                        }
                    }
                }
                for p in 0..problems {
                    let coef = &m.coef[p * n..(p + 1) * n];
                    let s = dot4_rows(coef, kernels);
                    for d in 0..rows {
                        scores[d * k + p] = s[d] as f32;
                    }
                }
                if problems == 1 {
                    for row in scores.chunks_mut(k) {
                        row[1] = row[0];
                        row[0] = -row[1];
                    }
                }
            },
        );
        out
    }

    /// Scores from a [`FoldedModel`]: intercept, then the row's features in column order.
    pub(super) fn decision_folded(&self, m: &FoldedModel, x: &CsrMatrix) -> Vec<f32> {
        let k = self.n_classes;
        let bias = m.biases();
        let mut out = vec![0f32; x.n_rows() * k];
        out.par_chunks_mut(k).enumerate().for_each_init(
            || vec![0f64; self.n_problems],
            |acc, (r, scores)| {
                acc.copy_from_slice(&bias);
                let (idx, val) = x.row(r);
                for (&c, &v) in idx.iter().zip(val) {
                    if (c as usize) < self.n_features {
                        m.add_feature(c as usize, v as f64, acc);
                    }
                }
                for (s, &a) in scores.iter_mut().zip(acc.iter()) {
                    *s = a as f32;
                }
                if self.n_problems == 1 {
                    scores[1] = scores[0];
                    scores[0] = -scores[1];
                }
            },
        );
        out
    }

    /// Scores from dense weights: `w_k . x + b_k`, summed in column order.
    pub(super) fn decision_dense(&self, dense: &[f32], x: &CsrMatrix) -> Vec<f32> {
        let k = self.n_classes;
        let stride = self.n_features + 1;
        let mut out = vec![0f32; x.n_rows() * k];
        out.par_chunks_mut(k).enumerate().for_each(|(r, scores)| {
            let (idx, val) = x.row(r);
            for (w, score) in dense.chunks_exact(stride).zip(scores.iter_mut()) {
                let mut s = w[self.n_features] as f64;
                for (&c, &v) in idx.iter().zip(val) {
                    if (c as usize) < self.n_features {
                        s += w[c as usize] as f64 * v as f64;
                    }
                }
                *score = s as f32;
            }
            if self.n_problems == 1 {
                scores[1] = scores[0];
                scores[0] = -scores[1];
            }
        });
        out
    }

    /// sklearn's one-vs-rest probabilities: a sigmoid per class, each row
    /// then divided by its sum; for two classes `[1 - p, p]`.
    pub fn predict_proba(&self, x: &CsrMatrix) -> Vec<f32> {
        let mut d = self.decision_function(x);
        let k = self.n_classes;
        for row in d.chunks_mut(k) {
            if self.n_problems() == 1 {
                let p = sigmoid(row[1] as f64);
                row[0] = (1.0 - p) as f32;
                row[1] = p as f32;
            } else {
                super::bounds::ovr_normalise(row);
            }
        }
        d
    }

    /// Multi-label probabilities: each label's own sigmoid, not normalised (the labels are
    /// independent problems), row-major `n_rows x n_classes`.
    pub fn predict_proba_independent(&self, x: &CsrMatrix) -> Vec<f32> {
        let mut d = self.decision_function(x);
        for v in d.iter_mut() {
            *v = sigmoid(*v as f64) as f32;
        }
        d
    }

    /// Index of the highest-scoring class for each row (ties: lowest index,
    /// like numpy's argmax).
    pub fn predict(&self, x: &CsrMatrix) -> Vec<usize> {
        self.decision_function(x)
            .chunks(self.n_classes)
            .map(argmax)
            .collect()
    }
}

/// Rows scored together in [`LogReg::decision_function`].
pub(super) const ROW_GROUP: usize = 8;

/// [`dot4`] of `a` with each of the [`ROW_GROUP`] vectors of `kernels` (each `a.len()` long),
/// the groups' sums interleaved: each is computed exactly as `dot4` computes it, and the rows'
/// independent accumulators keep the adders busy (one dot product alone waits on its adds).
pub(super) fn dot4_rows(a: &[f32], kernels: &[f64]) -> [f64; ROW_GROUP] {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, checked just above.
            return unsafe { dot4_rows_avx2(a, kernels) };
        }
    }
    dot4_rows_plain(a, kernels)
}

/// [`dot4_rows`] compiled with AVX2 (multiplies and adds only, never fused).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn dot4_rows_avx2(a: &[f32], kernels: &[f64]) -> [f64; ROW_GROUP] {
    dot4_rows_plain(a, kernels)
}

#[inline(always)]
pub(super) fn dot4_rows_plain(a: &[f32], kernels: &[f64]) -> [f64; ROW_GROUP] {
    let n = a.len();
    let full = n / 4 * 4;
    let mut acc = [[0f64; 4]; ROW_GROUP];
    for m in (0..full).step_by(4) {
        let x = [
            a[m] as f64,
            a[m + 1] as f64,
            a[m + 2] as f64,
            a[m + 3] as f64,
        ];
        for (d, ad) in acc.iter_mut().enumerate() {
            let b = &kernels[d * n + m..d * n + m + 4];
            for l in 0..4 {
                ad[l] += x[l] * b[l];
            }
        }
    }
    let mut out = [0f64; ROW_GROUP];
    for (d, (o, ad)) in out.iter_mut().zip(&acc).enumerate() {
        let mut s = (ad[0] + ad[1]) + (ad[2] + ad[3]);
        for m in full..n {
            s += a[m] as f64 * kernels[d * n + m];
        }
        *o = s;
    }
    out
}

pub(super) fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = i;
        }
    }
    best
}
