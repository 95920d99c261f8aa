//! Fitting: the route choice (Gram, folded blocks, plain block solver) and the fit entry points.

use super::block::solve_l2r_lr_dual_block;
use super::folded::BlockWeights;
use super::folded_rows::FoldedRows;
use super::gram::Gram;
use super::kernels::{axpy_row, BinaryProblem, DualSolution};
use super::matrix::{Targets, TrainMatrix};
use super::model::{DualModel, FoldedModel, LogReg, Weights};
use super::params::{FitReport, LogRegParams};
use crate::error::bail;
use crate::error::Result;
use crate::features::sparse::CsrMatrix;
use rayon::prelude::*;
use std::borrow::Cow;

impl LogRegParams {
    /// Rejects values sklearn/liblinear would reject, naming the bad one.
    pub fn check(&self) -> Result<()> {
        if !(self.c.is_finite() && self.c > 0.0) {
            bail!("C must be positive and finite, got {}", self.c);
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            bail!("tol must be positive and finite, got {}", self.tol);
        }
        if self.max_iter == 0 {
            bail!("max_iter must be at least 1, got {}", self.max_iter);
        }
        Ok(())
    }

    /// Validates the parameters and the inputs of a fit on a matrix of `n_rows` rows.
    pub(super) fn fit_checked(
        &self,
        n_rows: usize,
        y: Targets<'_>,
        n_classes: usize,
    ) -> Result<()> {
        self.check()?;
        if n_rows != y.len() {
            bail!("x has {} rows but y has {} labels", n_rows, y.len());
        }
        if n_rows == 0 {
            bail!("cannot fit on zero documents");
        }
        if n_classes < 2 {
            bail!("need at least 2 classes, got {}", n_classes);
        }
        if let Some((i, lab)) = y.first_out_of_range(n_classes) {
            bail!(
                "label {} of row {} is not below n_classes = {}",
                lab,
                i,
                n_classes
            );
        }
        Ok(())
    }

    /// The binary problems `(positive class, C of positives, C of negatives)`: one per class,
    /// or one in total (positive = class 1) for two classes; one per label for label sets.
    pub(super) fn problems(&self, y: Targets<'_>, n_classes: usize) -> Vec<(usize, f64, f64)> {
        let mut counts = vec![0usize; n_classes];
        for i in 0..y.len() {
            y.for_each_positive(i, |l| counts[l] += 1);
        }
        let n = y.len() as f64;
        if let Targets::Sets(_) = y {
            // Each label is its own binary problem (scikit-learn's OneVsRestClassifier):
            // 'balanced' weighs its positives and negatives by n / (2 * count).
            return counts
                .iter()
                .enumerate()
                .map(|(k, &np)| {
                    let nn = y.len() - np;
                    if self.class_weight_balanced && np > 0 && nn > 0 {
                        let w = |m: usize| n / (2.0 * m as f64);
                        (k, self.c * w(np), self.c * w(nn))
                    } else {
                        (k, self.c, self.c)
                    }
                })
                .collect();
        }
        // sklearn's compute_class_weight('balanced'); an absent class has no
        // positive examples, so its weight never enters the objective.
        let cw: Vec<f64> = counts
            .iter()
            .map(|&m| {
                if self.class_weight_balanced && m > 0 {
                    n / (n_classes as f64 * m as f64)
                } else {
                    1.0
                }
            })
            .collect();
        if n_classes == 2 {
            vec![(1, self.c * cw[1], self.c * cw[0])]
        } else {
            (0..n_classes)
                .map(|k| (k, self.c * cw[k], self.c))
                .collect()
        }
    }

    /// Multi-label: one independent binary problem per label ("label k is in the row's set"),
    /// over the same matrix; `sets[i]` holds row i's label indices. Two labels make two
    /// problems, not one. Probabilities come from [`LogReg::predict_proba_independent`].
    pub fn fit_sets_owned(
        &self,
        x: impl Into<TrainMatrix>,
        sets: &[Vec<u32>],
        n_labels: usize,
    ) -> Result<LogReg> {
        self.fit_targets(x.into(), Targets::Sets(sets), n_labels)
    }

    /// [`LogRegParams::fit`] taking the matrix by value: on the primal route its arrays are
    /// reused for the solver's copy, so a large corpus is held once, not twice. A hashed
    /// matrix kept as counts ([`TrainMatrix::Counts`]) gives the same model as its formed
    /// values, in half the memory on the primal route.
    pub fn fit_owned(
        &self,
        x: impl Into<TrainMatrix>,
        y: &[usize],
        n_classes: usize,
    ) -> Result<LogReg> {
        self.fit_targets(x.into(), Targets::Classes(y), n_classes)
    }

    /// [`LogRegParams::fit_owned`] and [`LogRegParams::fit_sets_owned`]: checks, then the
    /// Gram route (on the formed matrix) or the primal route.
    pub(super) fn fit_targets(
        &self,
        x: TrainMatrix,
        y: Targets<'_>,
        n_classes: usize,
    ) -> Result<LogReg> {
        self.fit_checked(x.n_rows(), y, n_classes)?;
        let problems = self.problems(y, n_classes);
        if Gram::pays_off_dims(x.n_rows(), x.nnz()) {
            let x = Cow::Owned(x.into_csr());
            return Ok(self.fit_gram(x, y, n_classes, &problems));
        }
        Ok(self.fit_folded(x, y, n_classes, &problems))
    }

    /// Fits one binary problem per class (one in total for two classes) in
    /// parallel over classes. Results are identical for any thread count:
    /// each problem is independent and seeded by its class index.
    pub fn fit(&self, x: &CsrMatrix, y: &[usize], n_classes: usize) -> Result<LogReg> {
        let y = Targets::Classes(y);
        self.fit_checked(x.n_rows(), y, n_classes)?;
        let problems = self.problems(y, n_classes);
        if !Gram::pays_off(x) {
            return Ok(self.fit_folded(x.clone(), y, n_classes, &problems));
        }
        Ok(self.fit_gram(Cow::Borrowed(x), y, n_classes, &problems))
    }

    /// The Gram route: blocks of problems ([`gram_block_size`]) on the kernel matrix, in
    /// parallel.
    /// An owned `x` becomes the dual model's support rows without a copy.
    pub(super) fn fit_gram(
        &self,
        x: Cow<'_, CsrMatrix>,
        y: Targets<'_>,
        n_classes: usize,
        problems: &[(usize, f64, f64)],
    ) -> LogReg {
        let (dual, report) = self.gram_duals(&x, y, problems);
        gram_model(x, dual, report, n_classes, problems.len())
    }

    /// The Gram route's solves: every problem's signed dual coefficients, problem after
    /// problem, and the fit report.
    pub(super) fn gram_duals(
        &self,
        x: &CsrMatrix,
        y: Targets<'_>,
        problems: &[(usize, f64, f64)],
    ) -> (Vec<f32>, FitReport) {
        let blocks: Vec<Vec<BinaryProblem>> = problems
            .chunks(gram_block_size(problems.len()))
            .map(|chunk| {
                chunk
                    .iter()
                    .map(|&(k, cp, cn)| BinaryProblem {
                        pos: y.positives(k),
                        cp,
                        cn,
                    })
                    .collect()
            })
            .collect();
        crate::features::release_free_memory();
        let gram = Some(Gram::new(x));
        let sols: Vec<DualSolution> = blocks
            .par_iter()
            .map(|block| {
                solve_l2r_lr_dual_block(x, gram.as_ref(), block, self.tol, self.max_iter, self.seed)
            })
            .collect::<Vec<_>>()
            .into_iter()
            .flatten()
            .collect();
        signed_duals(&sols, problems, y, x.n_rows())
    }
}

/// The Gram route's model from every problem's signed dual coefficients: dense weights or the
/// dual form, whichever is smaller (both predict the same scores up to rounding).
/// An owned `x` becomes the dual model's support rows without a copy.
pub(super) fn gram_model(
    x: Cow<'_, CsrMatrix>,
    dual: Vec<f32>,
    report: FitReport,
    n_classes: usize,
    n_problems: usize,
) -> LogReg {
    let d = x.n_cols();
    if n_problems * (d + 1) <= x.nnz() + dual.len() {
        let dense = dense_from_dual(&x, &dual, n_problems);
        return LogReg {
            n_features: d,
            n_classes,
            n_problems,
            weights: Weights::Dense(dense),
            report,
        };
    }
    debug_assert_eq!(dual.len(), n_problems * x.n_rows());
    LogReg {
        n_features: d,
        n_classes,
        n_problems,
        weights: Weights::Dual(DualModel::new(dual, x.into_owned())),
        report,
    }
}

/// Problems per block of the Gram route: as few blocks as there are threads (each row of K
/// read from memory then serves every problem of the block, and K is read once per block),
/// or a multiple of that number so that every thread gets as many blocks, with at most
/// [`GRAM_BLOCK_MAX`] problems each (the block's margins are `n` f64 per problem). A problem's
/// arithmetic does not depend on its block, so neither do the results.
pub(super) fn gram_block_size(n_problems: usize) -> usize {
    let threads = rayon::current_num_threads().max(1);
    let blocks = n_problems.div_ceil(GRAM_BLOCK_MAX).div_ceil(threads) * threads;
    n_problems.div_ceil(blocks.max(1)).max(1)
}

/// Upper bound on the problems of one Gram-route block.
pub(super) const GRAM_BLOCK_MAX: usize = 64;

/// The Gram route's dual model: every problem's coefficients `c_ki = ±a_ki` (the sign of
/// row i's label in problem k), problem after problem, and the fit report.
pub(super) fn signed_duals(
    sols: &[DualSolution],
    problems: &[(usize, f64, f64)],
    y: Targets<'_>,
    n_rows: usize,
) -> (Vec<f32>, FitReport) {
    let mut dual = Vec::with_capacity(sols.len() * n_rows);
    let mut report = FitReport::default();
    for (s, &(k, _, _)) in sols.iter().zip(problems) {
        dual.extend(s.alpha.iter().enumerate().map(|(i, &a)| {
            if y.is_positive(i, k) {
                a as f32
            } else {
                -a as f32
            }
        }));
        report.iterations.push(s.iterations);
        report.converged.push(s.converged);
        report.relative_grad_norm.push(s.relative_grad_norm);
        report.objective.push(s.objective);
    }
    (dual, report)
}

/// Dense weights `w_k = sum_i c_ki [x_i, 1]` of every problem from its dual coefficients,
/// `w[k * (d + 1) + j]`, the intercept last.
pub(super) fn dense_from_dual(x: &CsrMatrix, dual: &[f32], n_problems: usize) -> Vec<f32> {
    let d = x.n_cols();
    let mut dense = Vec::with_capacity(n_problems * (d + 1));
    for c in dual.chunks_exact(x.n_rows()) {
        let mut w = vec![0f64; d + 1];
        for ((idx, val), &ci) in x.rows().zip(c) {
            axpy_row(ci as f64, idx, val, &mut w);
        }
        dense.extend(w.iter().map(|&v| v as f32));
    }
    dense
}

impl LogRegParams {
    /// The primal route (see the `folded` module): problems in blocks of
    /// [`super::folded::block_sizes`], one block per task, the model kept as [`FoldedModel`].
    pub(super) fn fit_folded(
        &self,
        x: impl Into<TrainMatrix>,
        y: Targets<'_>,
        n_classes: usize,
        problems: &[(usize, f64, f64)],
    ) -> LogReg {
        let x = x.into();
        let (n, d) = (x.n_rows(), x.n_cols());
        let f = match x {
            TrainMatrix::Formed(x) => FoldedRows::new(x),
            TrainMatrix::Counts(m) => FoldedRows::from_counts(m),
        };
        let mut groups = Vec::new();
        let mut start = 0;
        for size in super::folded::block_sizes(problems.len()) {
            groups.push(&problems[start..start + size]);
            start += size;
        }
        let results: Vec<(Vec<DualSolution>, BlockWeights)> = groups
            .par_iter()
            .map(|group| {
                let block: Vec<BinaryProblem> = group
                    .iter()
                    .map(|&(k, cp, cn)| BinaryProblem {
                        pos: y.positives(k),
                        cp,
                        cn,
                    })
                    .collect();
                super::folded::solve_folded_block(&f, &block, self.tol, self.max_iter, self.seed)
            })
            .collect();
        let np = problems.len();
        drop(groups);
        let mut coef = vec![0f32; n * np];
        let mut report = FitReport::default();
        let mut blocks = Vec::with_capacity(results.len());
        let mut p = 0;
        for (sols, bw) in results {
            for s in sols {
                let k = problems[p].0;
                for (i, &a) in s.alpha.iter().enumerate() {
                    coef[i * np + p] = if y.is_positive(i, k) {
                        a as f32
                    } else {
                        -a as f32
                    };
                }
                report.iterations.push(s.iterations);
                report.converged.push(s.converged);
                report.relative_grad_norm.push(s.relative_grad_norm);
                report.objective.push(s.objective);
                p += 1;
            }
            blocks.push(bw);
        }
        LogReg {
            n_features: d,
            n_classes,
            n_problems: np,
            weights: Weights::Folded(FoldedModel {
                slot: f.slot,
                n_shared: f.n_shared,
                blocks,
                single_row: f.single_row,
                single_val: f.single_val,
                coef,
            }),
            report,
        }
    }
}
