//! Class-partitioned fitting: a contiguous range of the one-vs-rest problems fitted on its
//! own (on another machine, say), and the parts assembled into the model one whole fit gives.
//!
//! Why this is exact: every binary problem's arithmetic depends only on its own targets, its
//! own C and the seed (see the `lockstep` module), never on the other problems of its block or
//! thread, and the route (Gram or primal) depends only on the matrix. So a part holds, for
//! each of its problems, the very dual coefficients and weights a whole fit computes, and
//! [`LogReg::assemble`] lays them out as the whole fit would: the dual-or-dense choice of the
//! Gram route is made with the total number of problems, and the primal route's weights are
//! regrouped into [`block_sizes`] of that total. The assembled model is then the same model,
//! byte for byte (tested).

use std::borrow::Cow;
use std::ops::Range;

use super::folded::{block_sizes, BlockWeights};
use super::gram::Gram;
use super::matrix::{Targets, TrainMatrix};
use super::model::{DualModel, FoldedModel, LogReg, Weights};
use super::params::{FitReport, LogRegParams};
use super::route::gram_model;
use crate::error::{bail, Result};

impl LogRegParams {
    /// The number of binary problems a fit of `n_classes` classes solves: one per class, but
    /// one in total for two classes of a single-label fit (as sklearn does).
    pub fn n_problems(n_classes: usize, multi_label: bool) -> usize {
        if !multi_label && n_classes == 2 {
            1
        } else {
            n_classes
        }
    }

    /// Fits problems `range` (indices among [`LogRegParams::n_problems`]) of the one-vs-rest
    /// fit [`LogRegParams::fit_owned`] makes; the part is a model only once
    /// [`LogReg::assemble`] has joined every part.
    pub fn fit_part(
        &self,
        x: impl Into<TrainMatrix>,
        y: &[usize],
        n_classes: usize,
        range: Range<usize>,
    ) -> Result<LogReg> {
        self.fit_targets_part(x.into(), Targets::Classes(y), n_classes, range)
    }

    /// [`LogRegParams::fit_part`] of the multi-label fit [`LogRegParams::fit_sets_owned`].
    pub fn fit_sets_part(
        &self,
        x: impl Into<TrainMatrix>,
        sets: &[Vec<u32>],
        n_labels: usize,
        range: Range<usize>,
    ) -> Result<LogReg> {
        self.fit_targets_part(x.into(), Targets::Sets(sets), n_labels, range)
    }

    fn fit_targets_part(
        &self,
        x: TrainMatrix,
        y: Targets<'_>,
        n_classes: usize,
        range: Range<usize>,
    ) -> Result<LogReg> {
        self.fit_checked(x.n_rows(), y, n_classes)?;
        let problems = self.problems(y, n_classes);
        if range.start >= range.end || range.end > problems.len() {
            bail!(
                "problems {}..{} are not a non-empty range of the fit's {} problems",
                range.start,
                range.end,
                problems.len()
            );
        }
        let problems = &problems[range];
        if Gram::pays_off_dims(x.n_rows(), x.nnz()) {
            // Kept in dual form: the dual-or-dense choice is the assembled model's.
            let x = x.into_csr();
            let (dual, report) = self.gram_duals(&x, y, problems);
            let d = x.n_cols();
            return Ok(LogReg {
                n_features: d,
                n_classes,
                n_problems: problems.len(),
                weights: Weights::Dual(DualModel::new(dual, x)),
                report,
            });
        }
        Ok(self.fit_folded(x, y, n_classes, problems))
    }
}

impl LogReg {
    fn is_folded(&self) -> bool {
        matches!(self.weights, Weights::Folded(_))
    }

    /// A part's dual form (a Gram-route part is kept in it).
    fn into_dual(self) -> Result<DualModel> {
        match self.weights {
            Weights::Dual(m) => Ok(m),
            _ => bail!("a part is not in dual form"),
        }
    }

    /// Joins parts fitted by [`LogRegParams::fit_part`] (or `fit_sets_part`), given in problem
    /// order and covering every problem once, into the model the whole fit gives. Errors when
    /// the parts were fitted on different matrices or do not add up to one model.
    pub fn assemble(parts: Vec<LogReg>) -> Result<LogReg> {
        let Some(first) = parts.first() else {
            bail!("no parts to assemble");
        };
        let (n_classes, d) = (first.n_classes, first.n_features);
        let n_problems: usize = parts.iter().map(|p| p.n_problems).sum();
        if let Some(p) = parts.iter().find(|p| {
            p.n_classes != n_classes || p.n_features != d || matches!(p.weights, Weights::Dense(_))
        }) {
            bail!(
                "a part of {} classes and {} features does not belong with one of {n_classes} \
                 classes and {d} features, or is not a part",
                p.n_classes,
                p.n_features
            );
        }
        if parts.iter().any(|p| p.is_folded() != first.is_folded()) {
            bail!("the parts were fitted on different routes (different training matrices)");
        }
        let mut report = FitReport::default();
        for p in &parts {
            report.iterations.extend(&p.report.iterations);
            report.converged.extend(&p.report.converged);
            report
                .relative_grad_norm
                .extend(&p.report.relative_grad_norm);
            report.objective.extend(&p.report.objective);
        }
        let model = if first.is_folded() {
            assemble_folded(parts, n_classes, d, n_problems, report)?
        } else {
            let mut parts = parts.into_iter();
            let first = parts.next().expect("checked non-empty").into_dual()?;
            let mut dual = first.coef;
            for p in parts {
                let p = p.into_dual()?;
                if p.support != first.support {
                    bail!("the parts were fitted on different training matrices");
                }
                dual.extend_from_slice(&p.coef);
            }
            gram_model(
                Cow::Owned(first.support),
                dual,
                report,
                n_classes,
                n_problems,
            )
        };
        model.validate()?;
        Ok(model)
    }
}

/// The primal route's parts joined: the shared layout checked equal, each problem's weights
/// regrouped into the whole fit's blocks, the dual coefficients interleaved row by row.
fn assemble_folded(
    parts: Vec<LogReg>,
    n_classes: usize,
    d: usize,
    n_problems: usize,
    report: FitReport,
) -> Result<LogReg> {
    let folded: Vec<FoldedModel> = parts
        .into_iter()
        .filter_map(|p| match p.weights {
            Weights::Folded(f) => Some(f),
            _ => None,
        })
        .collect();
    let f0 = &folded[0];
    for f in &folded[1..] {
        if f.slot != f0.slot
            || f.n_shared != f0.n_shared
            || f.single_row != f0.single_row
            || f.single_val != f0.single_val
        {
            bail!("the parts were fitted on different training matrices");
        }
    }
    let ns = f0.n_shared;
    // Every problem's weights over the shared slots and the intercept, in problem order.
    let mut per_problem: Vec<Vec<f32>> = Vec::with_capacity(n_problems);
    for f in &folded {
        for bw in &f.blocks {
            for b in 0..bw.lanes {
                per_problem.push((0..=ns).map(|s| bw.w[s * bw.stride + b]).collect());
            }
        }
    }
    if per_problem.len() != n_problems {
        bail!(
            "the parts' weight blocks hold {} problems, their counts {n_problems}",
            per_problem.len()
        );
    }
    let mut blocks = Vec::new();
    let mut start = 0;
    for nb in block_sizes(n_problems) {
        let stride = nb.div_ceil(8) * 8;
        let mut w = vec![0f32; (ns + 1) * stride];
        for (b, pw) in per_problem[start..start + nb].iter().enumerate() {
            for (s, &v) in pw.iter().enumerate() {
                w[s * stride + b] = v;
            }
        }
        blocks.push(BlockWeights {
            lanes: nb,
            stride,
            w,
        });
        start += nb;
    }
    let part_np: Vec<usize> = folded
        .iter()
        .map(|f| f.blocks.iter().map(|b| b.lanes).sum())
        .collect();
    let n_rows = f0.coef.len() / part_np[0].max(1);
    let mut coef = vec![0f32; n_rows * n_problems];
    let mut off = 0;
    for (f, &np) in folded.iter().zip(&part_np) {
        if f.coef.len() != n_rows * np {
            bail!("the parts were fitted on different numbers of rows");
        }
        for (i, row) in f.coef.chunks_exact(np).enumerate() {
            coef[i * n_problems + off..i * n_problems + off + np].copy_from_slice(row);
        }
        off += np;
    }
    let mut folded = folded;
    let f0 = folded.swap_remove(0);
    Ok(LogReg {
        n_features: d,
        n_classes,
        n_problems,
        weights: Weights::Folded(FoldedModel {
            slot: f0.slot,
            n_shared: ns,
            blocks,
            single_row: f0.single_row,
            single_val: f0.single_val,
            coef,
        }),
        report,
    })
}
