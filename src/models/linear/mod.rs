//! L2-regularised logistic regression, one-vs-rest, as scikit-learn's
//! `LogisticRegression(C, multi_class='ovr', solver='liblinear')` fits it.
//!
//! Like liblinear (and therefore sklearn) the intercept is a constant extra
//! feature of value 1 (`intercept_scaling=1`) whose weight is regularised
//! together with the others. With more than two classes one binary problem
//! "class k vs the rest" is solved per class; with exactly two classes a
//! single problem (positive = class 1) is solved, as sklearn does.
//!
//! All problems share one strictly convex objective per class, so any solver
//! run to a tight tolerance reaches the same weights as sklearn (which uses
//! liblinear's primal trust-region Newton by default); only the route
//! differs. We use liblinear's dual coordinate descent because with far more
//! features than documents each step costs one pass over a single row.

use std::borrow::Cow;

use crate::error::{bail, Result};
#[cfg(test)]
use crate::rng::SplitMix64;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::features::sparse::CsrMatrix;
use crate::features::tfidf::HashedCounts;

mod folded;
mod gram;
mod lockstep;
use folded::{BlockWeights, FoldedRows, UNSEEN};
use gram::{gram_diagnostics, prefetch, Gram, GramState};
#[cfg(test)]
use lockstep::CoordinateStep;
use lockstep::LockStep;

/// Hyper-parameters of [`LogReg`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LogRegParams {
    /// Inverse regularisation strength (sklearn `C`): the loss of every
    /// document is multiplied by it.
    pub c: f64,
    /// Stopping tolerance of the dual solver: stop once the largest
    /// projected dual gradient of an epoch falls below it (liblinear's rule).
    pub tol: f64,
    /// Upper bound on solver epochs per binary problem.
    pub max_iter: usize,
    /// sklearn's `class_weight='balanced'`: the positive class of problem k
    /// gets `C * n_samples / (n_classes * count_k)`.
    pub class_weight_balanced: bool,
    /// Seed of the per-epoch row permutation, shared by all classes.
    pub seed: u64,
}

impl Default for LogRegParams {
    /// RuMedBench's baseline: `C=10`; `tol=0.1`, liblinear's own default for this solver
    /// (on RuMedTop3 every problem then stops within 16 epochs with a relative primal gradient
    /// norm below 4e-4, and the test figures equal scikit-learn's liblinear, 49.76 / 72.87;
    /// `tol=0.01` costs 40% more time for 72.99 Hit@3); 1000 epochs at most as in liblinear.
    fn default() -> Self {
        LogRegParams {
            c: 10.0,
            tol: 0.1,
            max_iter: 1000,
            class_weight_balanced: false,
            seed: 0,
        }
    }
}

/// How each binary solve ended, so callers can warn about non-convergence.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// Solver epochs used by each binary problem.
    pub iterations: Vec<usize>,
    /// Whether each binary problem met the tolerance before `max_iter`.
    pub converged: Vec<bool>,
    /// Primal gradient norm at the returned weights divided by its value at
    /// `w = 0`; near zero at the optimum (a KKT check independent of the
    /// dual stopping rule).
    pub relative_grad_norm: Vec<f64>,
    /// Primal objective `0.5 |w|^2 + sum_i C_i log(1 + exp(-y_i w.x_i))`
    /// of each binary problem at the returned weights, comparable with
    /// other solvers of the same problem.
    pub objective: Vec<f64>,
}

impl FitReport {
    /// True when every binary problem converged.
    pub fn all_converged(&self) -> bool {
        self.converged.iter().all(|&c| c)
    }
}

/// A fitted one-vs-rest logistic regression, kept in its dual form.
///
/// Why dual: at the optimum `w_k = sum_i a_ki y_ki [x_i, 1]`, so the model is fully described
/// by one coefficient per (problem, training row) plus the training matrix. For RuMedTop3 that
/// is 105 x 4,690 coefficients and 4.3M non-zeros (about 40 MB) instead of 105 dense rows of
/// 759,784 weights (320 MB), and prediction needs no dense weight matrix in memory either:
/// `score_k(x) = sum_i c_ki (x_i . x + 1)`. When dense weights are the smaller form (few
/// problems, many non-zeros: RuMedDaNet's single binary problem), they are computed once from
/// the dual coefficients and kept instead. Either way the stored form is the model: predictions
/// are computed from it at training time and after loading, so a saved model predicts
/// byte-identically.
#[derive(Debug, Serialize, Deserialize)]
pub struct LogReg {
    n_features: usize,
    n_classes: usize,
    n_problems: usize,
    /// Dense weights, `w[k * (n_features + 1) + j]`, intercept last; when set, `dual` and
    /// `support` are empty.
    dense: Option<Vec<f32>>,
    /// `c[k * n_rows + i] = a_ki y_ki`: one row per binary problem (one in total for two
    /// classes, else one per class), stored as f32 so the file is compact.
    dual: Vec<f32>,
    /// The training rows the dual coefficients weigh (tf-idf vectors); checked by
    /// [`LogReg::validate`] when decoded.
    #[serde(with = "crate::features::sparse::unchecked_serde")]
    support: CsrMatrix,
    /// The primal route's form (large corpora); when set, `dense`, `dual` and `support` are
    /// empty.
    folded: Option<FoldedModel>,
    #[serde(default)]
    report: FitReport,
    /// Column (posting) lists of `support`, built on first use.
    #[serde(skip)]
    postings: std::sync::OnceLock<Postings>,
}

/// A model fitted on the primal route: primal weights of the features held by two or more
/// training rows, and for a feature held by one row `i` that row's value, since its weight is
/// `c_ki x_ij` (the dual coefficient times the value).
#[derive(Debug, Serialize, Deserialize)]
struct FoldedModel {
    /// Per input column: `< n_shared` a slot of the block weights, `n_shared + j` the `j`-th
    /// single-row feature, [`UNSEEN`] a column no training row holds.
    slot: Vec<u32>,
    n_shared: usize,
    /// Problems in order, block by block (see [`BlockWeights`]; intercept at slot `n_shared`).
    blocks: Vec<BlockWeights>,
    /// Training row of each single-row feature.
    single_row: Vec<u32>,
    /// Its value in that row.
    single_val: Vec<f32>,
    /// `coef[i * n_problems + k] = a_ki y_ki`, row-major.
    coef: Vec<f32>,
}

impl FoldedModel {
    /// Checks a decoded primal-route model: every slot, row and lane index within its array,
    /// the blocks covering the problems once, values finite.
    fn validate(&self, n_features: usize, n_problems: usize) -> Result<()> {
        let ns = self.n_shared;
        let singles = self.single_row.len();
        if self.slot.len() != n_features || self.single_val.len() != singles {
            bail!(
                "{} slots for {n_features} features, or single-row lists of unequal length",
                self.slot.len()
            );
        }
        if let Some(s) = self
            .slot
            .iter()
            .find(|&&s| s != UNSEEN && s as usize >= ns + singles)
        {
            bail!("slot {s} is past the {ns} shared and {singles} single-row features");
        }
        let rows = self.coef.len() / n_problems.max(1);
        if !self.coef.len().is_multiple_of(n_problems.max(1))
            || self.single_row.iter().any(|&r| r as usize >= rows)
        {
            bail!("single-row features name rows past the {rows} coefficient rows");
        }
        let mut lanes = 0usize;
        for b in &self.blocks {
            let end = ns
                .checked_mul(b.stride)
                .and_then(|x| x.checked_add(b.lanes));
            if b.lanes > b.stride
                || end.is_none_or(|e| e > b.w.len())
                || !b.w.iter().all(|x| x.is_finite())
            {
                bail!(
                    "a weight block of {} lanes, stride {} and {} weights does not fit {ns} slots",
                    b.lanes,
                    b.stride,
                    b.w.len()
                );
            }
            lanes += b.lanes;
        }
        if lanes != n_problems {
            bail!("weight blocks hold {lanes} problems, the model {n_problems}");
        }
        if !self
            .coef
            .iter()
            .chain(&self.single_val)
            .all(|x| x.is_finite())
        {
            bail!("the coefficients hold a non-finite value");
        }
        Ok(())
    }

    /// Adds `v * w_k[c]` to `acc[k]` for every problem.
    #[inline]
    fn add_feature(&self, c: usize, v: f64, acc: &mut [f64]) {
        let s = self.slot[c];
        if s == UNSEEN {
            return;
        }
        let s = s as usize;
        if s >= self.n_shared {
            let j = s - self.n_shared;
            let xv = self.single_val[j] as f64 * v;
            let np = acc.len();
            let row = self.single_row[j] as usize;
            for (a, &c) in acc.iter_mut().zip(&self.coef[row * np..(row + 1) * np]) {
                *a += c as f64 * xv;
            }
            return;
        }
        let mut p0 = 0;
        for bw in &self.blocks {
            let w = &bw.w[s * bw.stride..s * bw.stride + bw.lanes];
            for (a, &wv) in acc[p0..p0 + bw.lanes].iter_mut().zip(w) {
                *a += wv as f64 * v;
            }
            p0 += bw.lanes;
        }
    }

    /// Intercepts of every problem, in order.
    fn biases(&self) -> Vec<f64> {
        let ns = self.n_shared;
        self.blocks
            .iter()
            .flat_map(|bw| bw.w[ns * bw.stride..ns * bw.stride + bw.lanes].iter())
            .map(|&v| v as f64)
            .collect()
    }
}

/// The transpose of the support matrix: for each feature, the training rows holding it.
/// A decoded model is checked before use: model files come from anywhere.
impl LogReg {
    /// Checks a decoded model's sizes, indices and weights against each other, so that
    /// prediction cannot index out of bounds or produce NaN from stored values. `n_features`
    /// itself is bounded by the caller (the vectorizer's vocabulary).
    pub fn validate(&self) -> Result<()> {
        let (k, p, d) = (self.n_classes, self.n_problems, self.n_features);
        // One problem per class (multi-label: always), or one for two classes.
        if k < 2 || (p != k && !(k == 2 && p == 1)) {
            bail!("{k} classes with {p} binary problems is not a one-vs-rest model");
        }
        let finite = |v: &[f32]| v.iter().all(|x| x.is_finite());
        if let Some(m) = &self.folded {
            return m.validate(d, p);
        }
        if let Some(dense) = &self.dense {
            let want = d.checked_add(1).and_then(|w| w.checked_mul(p));
            if want != Some(dense.len()) {
                bail!(
                    "{} dense weights for {p} problems of {d} features",
                    dense.len()
                );
            }
            if !finite(dense) {
                bail!("the weights hold a non-finite value");
            }
            return Ok(());
        }
        let x = &self.support;
        if x.n_cols() != d {
            bail!(
                "support vectors have {} columns, the model {d} features",
                x.n_cols()
            );
        }
        if !finite(&self.dual) {
            bail!("the dual coefficients hold a non-finite value");
        }
        if Some(self.dual.len()) != x.n_rows().checked_mul(p) {
            bail!(
                "{} dual coefficients for {p} problems of {} rows",
                self.dual.len(),
                x.n_rows()
            );
        }
        x.check_invariants()
            .map_err(|e| crate::Error::Invalid(format!("support vectors: {e}")))?;
        if !finite(x.data()) {
            bail!("the support vectors hold a non-finite value");
        }
        Ok(())
    }
}

#[derive(Debug)]
struct Postings {
    colptr: Vec<usize>,
    rows: Vec<u32>,
    vals: Vec<f32>,
}

impl Postings {
    fn new(x: &CsrMatrix) -> Self {
        let mut colptr = vec![0usize; x.n_cols() + 1];
        for &c in x.indices() {
            colptr[c as usize + 1] += 1;
        }
        for c in 0..x.n_cols() {
            colptr[c + 1] += colptr[c];
        }
        // colptr[c] serves as column c's fill cursor and so ends up at the
        // start of column c + 1; shifting it back afterwards saves a second
        // array of n_cols offsets.
        let mut rows = vec![0u32; x.nnz()];
        let mut vals = vec![0f32; x.nnz()];
        for (i, (idx, val)) in x.rows().enumerate() {
            for (&c, &v) in idx.iter().zip(val) {
                let p = &mut colptr[c as usize];
                rows[*p] = i as u32;
                vals[*p] = v;
                *p += 1;
            }
        }
        colptr.copy_within(0..x.n_cols(), 1);
        colptr[0] = 0;
        Postings { colptr, rows, vals }
    }

    fn column(&self, c: usize) -> (&[u32], &[f32]) {
        let (s, e) = (self.colptr[c], self.colptr[c + 1]);
        (&self.rows[s..e], &self.vals[s..e])
    }
}

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
    fn fit_checked(&self, n_rows: usize, y: Targets<'_>, n_classes: usize) -> Result<()> {
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
    fn problems(&self, y: Targets<'_>, n_classes: usize) -> Vec<(usize, f64, f64)> {
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
    fn fit_targets(&self, x: TrainMatrix, y: Targets<'_>, n_classes: usize) -> Result<LogReg> {
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
    fn fit_gram(
        &self,
        x: Cow<'_, CsrMatrix>,
        y: Targets<'_>,
        n_classes: usize,
        problems: &[(usize, f64, f64)],
    ) -> LogReg {
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
        let gram = Some(Gram::new(&x));
        let y_len = y.len();
        let sols: Vec<DualSolution> = blocks
            .par_iter()
            .map(|block| {
                solve_l2r_lr_dual_block(
                    &x,
                    gram.as_ref(),
                    block,
                    self.tol,
                    self.max_iter,
                    self.seed,
                )
            })
            .collect::<Vec<_>>()
            .into_iter()
            .flatten()
            .collect();
        let n_problems = sols.len();
        let (dual, report) = signed_duals(&sols, problems, y, x.n_rows());
        let d = x.n_cols();
        // Keep whichever form is smaller; both predict the same scores up to rounding.
        if n_problems * (d + 1) <= x.nnz() + dual.len() {
            let dense = dense_from_dual(&x, &dual, n_problems);
            return LogReg {
                n_features: d,
                n_classes,
                n_problems,
                dense: Some(dense),
                dual: Vec::new(),
                support: CsrMatrix::zeros(0, d),
                folded: None,
                report,
                postings: std::sync::OnceLock::new(),
            };
        }
        debug_assert_eq!(dual.len(), n_problems * y_len);
        LogReg {
            n_features: d,
            n_classes,
            n_problems,
            dense: None,
            dual,
            support: x.into_owned(),
            folded: None,
            report,
            postings: std::sync::OnceLock::new(),
        }
    }
}

/// Problems per block of the Gram route: as few blocks as there are threads (each row of K
/// read from memory then serves every problem of the block, and K is read once per block),
/// or a multiple of that number so that every thread gets as many blocks, with at most
/// [`GRAM_BLOCK_MAX`] problems each (the block's margins are `n` f64 per problem). A problem's
/// arithmetic does not depend on its block, so neither do the results.
fn gram_block_size(n_problems: usize) -> usize {
    let threads = rayon::current_num_threads().max(1);
    let blocks = n_problems.div_ceil(GRAM_BLOCK_MAX).div_ceil(threads) * threads;
    n_problems.div_ceil(blocks.max(1)).max(1)
}

/// Upper bound on the problems of one Gram-route block.
const GRAM_BLOCK_MAX: usize = 64;

/// The Gram route's dual model: every problem's coefficients `c_ki = ±a_ki` (the sign of
/// row i's label in problem k), problem after problem, and the fit report.
fn signed_duals(
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
fn dense_from_dual(x: &CsrMatrix, dual: &[f32], n_problems: usize) -> Vec<f32> {
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

/// A training matrix as [`LogRegParams::fit_owned`] takes it.
#[derive(Debug, Clone)]
pub enum TrainMatrix {
    /// The tf-idf values formed.
    Formed(CsrMatrix),
    /// Hashed features kept as counts ([`HashedCounts`]): the same matrix, whose primal route
    /// holds 4 bytes per entry instead of 8; the Gram route forms the values first.
    Counts(HashedCounts),
}

impl From<CsrMatrix> for TrainMatrix {
    fn from(x: CsrMatrix) -> Self {
        TrainMatrix::Formed(x)
    }
}

impl From<HashedCounts> for TrainMatrix {
    fn from(m: HashedCounts) -> Self {
        TrainMatrix::Counts(m)
    }
}

impl TrainMatrix {
    /// Number of rows (documents).
    pub fn n_rows(&self) -> usize {
        match self {
            TrainMatrix::Formed(x) => x.n_rows(),
            TrainMatrix::Counts(m) => m.n_rows,
        }
    }

    /// Number of columns (features).
    pub fn n_cols(&self) -> usize {
        match self {
            TrainMatrix::Formed(x) => x.n_cols(),
            TrainMatrix::Counts(m) => m.n_cols,
        }
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        match self {
            TrainMatrix::Formed(x) => x.nnz(),
            TrainMatrix::Counts(m) => m.nnz(),
        }
    }

    /// The matrix with its values formed.
    pub fn into_csr(self) -> CsrMatrix {
        match self {
            TrainMatrix::Formed(x) => x,
            TrainMatrix::Counts(m) => m.into_csr(),
        }
    }
}

/// What each training row is: one class index, or (multi-label) a set of label indices.
#[derive(Debug, Clone, Copy)]
enum Targets<'a> {
    Classes(&'a [usize]),
    Sets(&'a [Vec<u32>]),
}

impl Targets<'_> {
    fn len(&self) -> usize {
        match self {
            Targets::Classes(y) => y.len(),
            Targets::Sets(y) => y.len(),
        }
    }

    /// Whether row `i` is a positive of class (label) `k`'s problem.
    #[inline]
    fn is_positive(&self, i: usize, k: usize) -> bool {
        match self {
            Targets::Classes(y) => y[i] == k,
            Targets::Sets(y) => y[i].contains(&(k as u32)),
        }
    }

    /// Every row's membership in problem `k`'s positives.
    fn positives(&self, k: usize) -> Vec<bool> {
        (0..self.len()).map(|i| self.is_positive(i, k)).collect()
    }

    fn for_each_positive(&self, i: usize, mut f: impl FnMut(usize)) {
        match self {
            Targets::Classes(y) => f(y[i]),
            Targets::Sets(y) => y[i].iter().for_each(|&l| f(l as usize)),
        }
    }

    /// The first (row, label) whose label is not below `n`.
    fn first_out_of_range(&self, n: usize) -> Option<(usize, usize)> {
        (0..self.len()).find_map(|i| {
            let mut bad = None;
            self.for_each_positive(i, |l| {
                if l >= n && bad.is_none() {
                    bad = Some((i, l));
                }
            });
            bad
        })
    }
}

impl LogRegParams {
    /// The primal route (see the `folded` module): problems in blocks of
    /// [`folded::block_sizes`], one block per task, the model kept as [`FoldedModel`].
    fn fit_folded(
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
        for size in folded::block_sizes(problems.len()) {
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
                folded::solve_folded_block(&f, &block, self.tol, self.max_iter, self.seed)
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
            dense: None,
            dual: Vec::new(),
            support: CsrMatrix::zeros(0, d),
            folded: Some(FoldedModel {
                slot: f.slot,
                n_shared: f.n_shared,
                blocks,
                single_row: f.single_row,
                single_val: f.single_val,
                coef,
            }),
            report,
            postings: std::sync::OnceLock::new(),
        }
    }
}

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

    fn postings(&self) -> &Postings {
        self.postings.get_or_init(|| Postings::new(&self.support))
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
        if let Some(m) = &self.folded {
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
            return Some((w, m.biases()[k]));
        }
        if let Some(dense) = &self.dense {
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
            return Some((picked, w[self.n_features] as f64));
        }
        let n = self.support.n_rows();
        let c = self.dual.get(k * n..(k + 1) * n)?;
        let post = self.postings();
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
        if let Some(dense) = &self.dense {
            return self.decision_dense(dense, x);
        }
        if let Some(m) = &self.folded {
            return self.decision_folded(m, x);
        }
        let k = self.n_classes;
        let n = self.support.n_rows();
        let problems = self.n_problems();
        let post = self.postings();
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
                    let coef = &self.dual[p * n..(p + 1) * n];
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
    fn decision_folded(&self, m: &FoldedModel, x: &CsrMatrix) -> Vec<f32> {
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
    fn decision_dense(&self, dense: &[f32], x: &CsrMatrix) -> Vec<f32> {
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
                let probs: Vec<f64> = row.iter().map(|&s| sigmoid(s as f64)).collect();
                let sum: f64 = probs.iter().sum();
                for (o, p) in row.iter_mut().zip(probs) {
                    *o = (p / sum) as f32;
                }
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
const ROW_GROUP: usize = 8;

/// `sum_i a_i b_i` with four independent accumulators, a fixed summation order that the
/// compiler can vectorise (a single running sum is bound by the add latency). Prediction
/// computes it through [`dot4_rows`]; this one-vector form is the reference the tests hold it to.
#[cfg(test)]
fn dot4(a: &[f32], b: &[f64]) -> f64 {
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

/// [`dot4`] of `a` with each of the [`ROW_GROUP`] vectors of `kernels` (each `a.len()` long),
/// the groups' sums interleaved: each is computed exactly as `dot4` computes it, and the rows'
/// independent accumulators keep the adders busy (one dot product alone waits on its adds).
fn dot4_rows(a: &[f32], kernels: &[f64]) -> [f64; ROW_GROUP] {
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
fn dot4_rows_plain(a: &[f32], kernels: &[f64]) -> [f64; ROW_GROUP] {
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

fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = i;
        }
    }
    best
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 {
        1.0 / (1.0 + (-z).exp())
    } else {
        let e = z.exp();
        e / (1.0 + e)
    }
}

/// Outcome of one binary solve.
struct DualSolution {
    /// `n_features + 1` weights, the intercept last (empty from the Gram route, which never
    /// needs them).
    #[cfg_attr(not(test), allow(dead_code))]
    w: Vec<f64>,
    /// The dual variables `a_i`, one per training row.
    alpha: Vec<f64>,
    iterations: usize,
    converged: bool,
    relative_grad_norm: f64,
    objective: f64,
}

/// `w . [x_i, 1]`: the row's dot product plus the bias weight.
#[cfg(test)]
#[inline]
fn dot_row(w: &[f64], idx: &[u32], val: &[f32]) -> f64 {
    let mut s = w[w.len() - 1];
    for (&c, &v) in idx.iter().zip(val) {
        s += w[c as usize] * v as f64;
    }
    s
}

/// `w += a * [x_i, 1]`.
#[inline]
fn axpy_row(a: f64, idx: &[u32], val: &[f32], w: &mut [f64]) {
    for (&c, &v) in idx.iter().zip(val) {
        w[c as usize] += a * v as f64;
    }
    let last = w.len() - 1;
    w[last] += a;
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
/// (`lockstep::CoordinateStep`) but spells out liblinear's epoch itself, so the
/// tests that compare the routes with it check the shared epoch bookkeeping
/// (`lockstep::LockStep`), the Gram matrix and the folding; the step itself is
/// checked against the optimum (primal gradient) and linfa-logistic's weights.
#[cfg(test)]
fn solve_l2r_lr_dual(
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

/// One binary problem handed to [`solve_l2r_lr_dual_block`]: `pos[i]` says
/// whether row i is positive; `cp`/`cn` are the `C_i` of positive/negative
/// rows.
struct BinaryProblem {
    pos: Vec<bool>,
    cp: f64,
    cn: f64,
}

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
fn solve_l2r_lr_dual_block(
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
fn block_diagnostics(x: &CsrMatrix, problems: &[BinaryProblem], w: &[f64]) -> Vec<(f64, f64)> {
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
enum BlockState<'a> {
    /// Feature-major weights, `w[c * nb + b]` (intercept row last).
    Primal { w: Vec<f64> },
    /// The margins `u = K (a y)` of the block, maintained through the Gram matrix.
    Gram(GramState<'a>),
}

impl BlockState<'_> {
    /// `dots[b] = w_b . [x_i, 1]`.
    #[inline]
    fn dots(&self, x: &CsrMatrix, i: usize, dots: &mut [f64]) {
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
    fn update(&mut self, x: &CsrMatrix, i: usize, delta: &[f64]) {
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
    fn freeze(&mut self, _b: usize) {
        if let BlockState::Gram(g) = self {
            g.flush();
        }
    }

    /// The Gram route's margins with every update applied, problem-major.
    fn final_u(&mut self) -> Vec<f64> {
        match self {
            BlockState::Gram(g) => g.final_u(),
            BlockState::Primal { .. } => Vec::new(),
        }
    }
}

/// `dots[b] = w_b . [x_i, 1]` for every problem of a feature-major block,
/// summed in the same order as [`dot_row`] (bias first).
#[inline]
fn dot_block(w: &[f64], idx: &[u32], val: &[f32], dots: &mut [f64]) {
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
fn axpy_block(delta: &[f64], idx: &[u32], val: &[f32], w: &mut [f64]) {
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

#[cfg(test)]
fn norm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}

/// `log(1 + exp(t))` without overflow.
fn log1p_exp(t: f64) -> f64 {
    if t > 0.0 {
        t + (-t).exp().ln_1p()
    } else {
        t.exp().ln_1p()
    }
}

/// Primal objective `0.5 |w|^2 + sum_i C_i log(1 + exp(-y_i w.[x_i, 1]))`.
#[cfg(test)]
fn primal_objective(x: &CsrMatrix, pos: &[bool], cp: f64, cn: f64, w: &[f64]) -> f64 {
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
fn primal_gradient(x: &CsrMatrix, pos: &[bool], cp: f64, cn: f64, w: &[f64]) -> Vec<f64> {
    let mut g = w.to_vec();
    for ((idx, val), &p) in x.rows().zip(pos) {
        let (y, c) = if p { (1.0, cp) } else { (-1.0, cn) };
        let coef = -c * y * sigmoid(-y * dot_row(w, idx, val));
        axpy_row(coef, idx, val, &mut g);
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Four points in 2-D (plus the implicit bias feature).
    fn toy() -> (CsrMatrix, Vec<bool>) {
        let x = CsrMatrix::from_rows(
            2,
            vec![
                (vec![0], vec![1.0]),
                (vec![1], vec![1.0]),
                (vec![0, 1], vec![-1.0, -1.0]),
                (vec![], vec![]),
            ],
        );
        (x, vec![true, true, false, false])
    }

    #[test]
    fn primal_objective_and_gradient_by_hand() {
        let (x, pos) = toy();
        // w = 0: every margin is 0, loss = C ln 2 per point.
        // C = 1 -> f(0) = 4 ln 2 = 2.7725887.
        let w0 = [0.0, 0.0, 0.0];
        assert!((primal_objective(&x, &pos, 1.0, 1.0, &w0) - 4.0 * 2f64.ln()).abs() < 1e-12);
        // grad(0) = -sum_i C y_i 0.5 [x_i, 1]
        //   = -0.5 * ([1,0,1] + [0,1,1] - [-1,-1,1] - [0,0,1]) = -0.5 * [2, 2, 0]
        //   = [-1, -1, 0].
        let g = primal_gradient(&x, &pos, 1.0, 1.0, &w0);
        assert!((g[0] + 1.0).abs() < 1e-12 && (g[1] + 1.0).abs() < 1e-12 && g[2].abs() < 1e-12);
        // w = [1, 0, 0], Cp = 2, Cn = 1: margins y_i w.x_i = 1, 0, 1, 0.
        // f = 0.5 + 2 ln(1 + e^-1) + 2 ln 2 + ln(1 + e^-1) + ln 2
        //   = 0.5 + 3 * 0.31326169 + 3 * 0.69314718 = 3.51922660.
        let w = [1.0, 0.0, 0.0];
        let f = primal_objective(&x, &pos, 2.0, 1.0, &w);
        assert!((f - 3.519_226_60).abs() < 1e-7, "{f}");
        // grad = w - sum C_i y_i sigma(-m_i) x_i with sigma(-1) = 0.26894142:
        // p1: 2*0.26894*[1,0,1]; p2: 2*0.5*[0,1,1];
        // p3: -1*0.26894*[-1,-1,1]; p4: -1*0.5*[0,0,1]
        // sum = [0.5378828+0.2689414, 1+0.2689414, 0.5378828+1-0.2689414-0.5]
        //     = [0.8068243, 1.2689414, 0.7689414]
        // grad = [1 - 0.8068243, -1.2689414, -0.7689414].
        let g = primal_gradient(&x, &pos, 2.0, 1.0, &w);
        let want = [0.193_175_7, -1.268_941_4, -0.768_941_4];
        for (a, b) in g.iter().zip(want) {
            assert!((a - b).abs() < 1e-6, "{g:?}");
        }
        // Finite differences agree with the analytic gradient.
        for j in 0..3 {
            let mut wp = w;
            wp[j] += 1e-6;
            let mut wm = w;
            wm[j] -= 1e-6;
            let fd = (primal_objective(&x, &pos, 2.0, 1.0, &wp)
                - primal_objective(&x, &pos, 2.0, 1.0, &wm))
                / 2e-6;
            assert!((fd - g[j]).abs() < 1e-5);
        }
    }

    #[test]
    fn interleaved_dot_products_equal_the_single_ones_bit_for_bit() {
        let mut rng = SplitMix64::new(3);
        for n in [1usize, 4, 7, 33] {
            let a: Vec<f32> = (0..n)
                .map(|_| rng.below_modulo(1000) as f32 / 7.0 - 70.0)
                .collect();
            let kernels: Vec<f64> = (0..n * ROW_GROUP)
                .map(|_| rng.below_modulo(1 << 20) as f64 / 3.0)
                .collect();
            let got = dot4_rows(&a, &kernels);
            for (d, &g) in got.iter().enumerate() {
                assert_eq!(
                    g.to_bits(),
                    dot4(&a, &kernels[d * n..(d + 1) * n]).to_bits()
                );
            }
        }
    }

    #[test]
    fn dual_solver_reaches_primal_optimum() {
        let (x, pos) = toy();
        let sol = solve_l2r_lr_dual(&x, &pos, 10.0, 10.0, 1e-6, 1000, 1);
        assert!(sol.converged);
        let g = primal_gradient(&x, &pos, 10.0, 10.0, &sol.w);
        assert!(norm(&g) < 1e-4, "KKT violated: {g:?}");
        // Objective is no worse than nearby points.
        let f = primal_objective(&x, &pos, 10.0, 10.0, &sol.w);
        for j in 0..3 {
            for d in [-1e-3, 1e-3] {
                let mut w2 = sol.w.clone();
                w2[j] += d;
                assert!(primal_objective(&x, &pos, 10.0, 10.0, &w2) >= f);
            }
        }
        assert!(sol.relative_grad_norm < 1e-4);
    }

    #[test]
    fn block_solvers_match_the_reference_solver() {
        let (x, y) = three_class_toy();
        let problems: Vec<BinaryProblem> = (0..3)
            .map(|k| BinaryProblem {
                pos: y.iter().map(|&l| l == k).collect(),
                cp: 10.0 + k as f64,
                cn: 10.0,
            })
            .collect();
        let gram = Gram::new(&x);
        let primal = solve_l2r_lr_dual_block(&x, None, &problems, 1e-3, 1000, 7);
        let dual = solve_l2r_lr_dual_block(&x, Some(&gram), &problems, 1e-3, 1000, 7);
        for (k, p) in problems.iter().enumerate() {
            let r = solve_l2r_lr_dual(&x, &p.pos, p.cp, p.cn, 1e-3, 1000, 7);
            // Same arithmetic in the same order: identical bits.
            assert_eq!(primal[k].w, r.w);
            assert_eq!(primal[k].iterations, r.iterations);
            assert!((primal[k].objective - r.objective).abs() < 1e-12);
            assert!((primal[k].relative_grad_norm - r.relative_grad_norm).abs() < 1e-12);
            // The Gram route sums in another order over an f32 Gram matrix: equal up to
            // f32 rounding of the kernel entries.
            assert!(dual[k].w.is_empty());
            let mut w = vec![0f64; x.n_cols() + 1];
            for i in 0..x.n_rows() {
                let (idx, val) = x.row(i);
                let y = if p.pos[i] { 1.0 } else { -1.0 };
                axpy_row(y * dual[k].alpha[i], idx, val, &mut w);
            }
            for (a, b) in w.iter().zip(&r.w) {
                assert!((a - b).abs() < 1e-5 * (1.0 + b.abs()), "{a} vs {b}");
            }
            assert!((dual[k].objective - r.objective).abs() < 1e-6 * r.objective);
            assert!((dual[k].relative_grad_norm - r.relative_grad_norm).abs() < 1e-5);
            assert!(r.relative_grad_norm < 1e-3);
        }
    }

    fn three_class_toy() -> (CsrMatrix, Vec<usize>) {
        // Feature k marks class k, feature 3 is noise shared by all.
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for k in 0..3u32 {
            for r in 0..4 {
                let noise = 0.1 * r as f32;
                rows.push((vec![k, 3], vec![1.0, noise]));
                y.push(k as usize);
            }
        }
        (CsrMatrix::from_rows(4, rows), y)
    }

    #[test]
    fn ovr_ranks_the_right_class_first() {
        let (x, y) = three_class_toy();
        let m = LogRegParams::default().fit(&x, &y, 3).unwrap();
        assert_eq!(m.n_problems(), 3);
        assert_eq!(m.predict(&x), y);
        assert!(m.report().all_converged());
        let p = m.predict_proba(&x);
        for row in p.chunks(3) {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
        let test = CsrMatrix::from_rows(4, vec![(vec![2], vec![1.0]), (vec![0], vec![1.0])]);
        assert_eq!(m.predict(&test), vec![2, 0]);
    }

    /// `n` rows of `per_row` random features of `d`, and a class of three per row.
    fn random_rows(n: usize, d: u32, per_row: usize, seed: u64) -> (CsrMatrix, Vec<usize>) {
        let mut rng = SplitMix64::new(seed);
        let rows = (0..n)
            .map(|_| {
                let mut idx: Vec<u32> = (0..per_row).map(|_| rng.below(d as u64) as u32).collect();
                idx.sort_unstable();
                idx.dedup();
                let val = idx
                    .iter()
                    .map(|_| 0.1 + rng.below(100) as f32 / 100.0)
                    .collect();
                (idx, val)
            })
            .collect();
        let y = (0..n).map(|_| rng.below(3) as usize).collect();
        (CsrMatrix::from_rows(d as usize, rows), y)
    }

    #[test]
    fn label_sets_of_one_label_each_fit_exactly_the_one_vs_rest_problems() {
        // Multi-label with every set a single class is multi-class one-vs-rest with more than
        // two classes: the same problems, costs and draws, so the same scores bit for bit, on
        // both routes (Gram: few dense rows; folded: many sparse rows).
        for (n, d, per_row) in [(20, 60, 40), (300, 500, 3)] {
            let (x, y) = random_rows(n, d, per_row, 7);
            assert_eq!(Gram::pays_off(&x), n == 20);
            let sets: Vec<Vec<u32>> = y.iter().map(|&c| vec![c as u32]).collect();
            let p = LogRegParams::default();
            let ovr = p.fit_owned(x.clone(), &y, 3).unwrap();
            let ml = p.fit_sets_owned(x.clone(), &sets, 3).unwrap();
            assert_eq!(ml.n_problems(), 3);
            assert_eq!(ovr.decision_function(&x), ml.decision_function(&x));
            // Independent probabilities are each score's sigmoid, not normalised.
            let pi = ml.predict_proba_independent(&x);
            for (s, q) in ml.decision_function(&x).iter().zip(&pi) {
                assert_eq!(*q, sigmoid(*s as f64) as f32);
            }
        }
    }

    #[test]
    fn two_labels_make_two_problems_and_sets_may_overlap_or_be_empty() {
        let (x, _) = random_rows(30, 40, 10, 3);
        // Row i: label 0 when i is even, label 1 when i % 3 == 0, none otherwise.
        let sets: Vec<Vec<u32>> = (0..30u32)
            .map(|i| {
                (0..2)
                    .filter(|&l| if l == 0 { i % 2 == 0 } else { i % 3 == 0 })
                    .collect()
            })
            .collect();
        // A tight tolerance: the comparison is about the problems, not where the solver stops.
        let p = LogRegParams {
            tol: 1e-8,
            ..Default::default()
        };
        let m = p.fit_sets_owned(x.clone(), &sets, 2).unwrap();
        assert_eq!((m.n_classes(), m.n_problems()), (2, 2));
        m.validate().unwrap();
        // Each label's problem alone equals a binary fit on that label's targets.
        for l in 0..2u32 {
            let y: Vec<usize> = sets.iter().map(|s| usize::from(s.contains(&l))).collect();
            let bin = p.fit(&x, &y, 2).unwrap();
            let a = m.decision_function(&x);
            let b = bin.decision_function(&x);
            for (i, row) in b.chunks(2).enumerate() {
                assert!(
                    (a[i * 2 + l as usize] - row[1]).abs() < 1e-5,
                    "label {l} row {i}"
                );
            }
        }
        // Label indices must be below the label count.
        let bad = vec![vec![2u32]; 30];
        assert!(LogRegParams::default().fit_sets_owned(x, &bad, 2).is_err());
    }

    #[test]
    fn binary_fits_one_problem_with_class_one_positive() {
        let x = CsrMatrix::from_rows(
            2,
            vec![
                (vec![0], vec![1.0]),
                (vec![0], vec![0.9]),
                (vec![1], vec![1.0]),
                (vec![1], vec![0.8]),
            ],
        );
        let y = [1, 1, 0, 0];
        let m = LogRegParams::default().fit(&x, &y, 2).unwrap();
        assert_eq!(m.n_problems(), 1);
        // Feature 0 indicates class 1, so its weight must be positive.
        let (w, _) = m.weights_for(0, &[0, 1]).unwrap();
        assert!(w[0] > 0.0);
        assert!(w[1] < 0.0);
        assert!(m.weights_for(1, &[0]).is_none());
        let d = m.decision_function(&x);
        for row in d.chunks(2) {
            assert_eq!(row[0], -row[1]);
        }
        assert_eq!(m.predict(&x), y.to_vec());
        let p = m.predict_proba(&x);
        assert!(p[1] > 0.5 && p[7] < 0.5);
        assert!((p[0] + p[1] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn balanced_weights_raise_the_minority_class() {
        // 1 positive vs 5 negatives of an identical point: balanced weights
        // make both sides weigh the same, so the score moves towards 0.
        let rows = (0..6).map(|_| (vec![0], vec![1.0])).collect();
        let x = CsrMatrix::from_rows(1, rows);
        let y = [1, 0, 0, 0, 0, 0];
        // A tight tolerance: the test is about the weighting, not where the solver stops.
        let tight = LogRegParams {
            tol: 1e-4,
            ..Default::default()
        };
        let plain = tight.fit(&x, &y, 2).unwrap();
        let bal = LogRegParams {
            class_weight_balanced: true,
            ..tight
        }
        .fit(&x, &y, 2)
        .unwrap();
        let s_plain = plain.decision_function(&x)[1];
        let s_bal = bal.decision_function(&x)[1];
        assert!(s_plain < -1.0, "{s_plain}");
        assert!(s_bal.abs() < 1e-2, "{s_bal}");
    }

    #[test]
    fn deterministic_across_thread_counts() {
        // 20 classes: more than one block, so blocks run on both threads.
        let n_classes = 20;
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for k in 0..n_classes as u32 {
            for r in 0..3u32 {
                rows.push((vec![k, 20 + r], vec![1.0, 0.3]));
                y.push(k as usize);
            }
        }
        let x = CsrMatrix::from_rows(23, rows);
        let fit_with = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| LogRegParams::default().fit(&x, &y, n_classes).unwrap())
        };
        assert_eq!(fit_with(2).predict(&x), y);
        let a = serde_json::to_vec(&fit_with(1)).unwrap();
        let b = serde_json::to_vec(&fit_with(2)).unwrap();
        assert_eq!(a, b);
        let (m1, m2) = (fit_with(1), fit_with(2));
        let d1: Vec<u32> = m1
            .decision_function(&x)
            .iter()
            .map(|v| v.to_bits())
            .collect();
        let d2: Vec<u32> = m2
            .decision_function(&x)
            .iter()
            .map(|v| v.to_bits())
            .collect();
        assert_eq!(d1, d2);
    }

    #[test]
    fn params_and_inputs_are_checked() {
        let bad = |p: LogRegParams| p.check().unwrap_err().to_string();
        let d = LogRegParams::default();
        assert!(bad(LogRegParams { c: 0.0, ..d }).contains("C must"));
        assert!(bad(LogRegParams { c: f64::NAN, ..d }).contains("NaN"));
        assert!(bad(LogRegParams { tol: -1.0, ..d }).contains("-1"));
        assert!(bad(LogRegParams { max_iter: 0, ..d }).contains("max_iter"));
        let (x, y) = three_class_toy();
        assert!(d.fit(&x, &y[1..], 3).is_err());
        assert!(d
            .fit(&x, &y, 2)
            .unwrap_err()
            .to_string()
            .contains("label 2"));
        assert!(d.fit(&CsrMatrix::zeros(0, 4), &[], 3).is_err());
    }

    #[test]
    fn max_iter_is_reported_not_panicked() {
        let (x, y) = three_class_toy();
        let p = LogRegParams {
            max_iter: 1,
            tol: 1e-12,
            ..Default::default()
        };
        let m = p.fit(&x, &y, 3).unwrap();
        assert!(!m.report().all_converged());
        assert_eq!(m.report().iterations, vec![1, 1, 1]);
    }

    /// `three_class_toy` plus one feature per row that no other row holds, so the primal
    /// route folds a third of the columns.
    fn singleton_toy() -> (CsrMatrix, Vec<usize>) {
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for k in 0..3u32 {
            for r in 0..4u32 {
                rows.push((vec![k, 3, 4 + k * 4 + r], vec![1.0, 0.1 * r as f32, 0.5]));
                y.push(k as usize);
            }
        }
        (CsrMatrix::from_rows(16, rows), y)
    }

    #[test]
    fn folded_route_reaches_the_reference_optimum() {
        let (x, y) = singleton_toy();
        let params = LogRegParams {
            tol: 1e-5,
            ..Default::default()
        };
        let problems = params.problems(Targets::Classes(&y), 3);
        let m = params.fit_folded(x.clone(), Targets::Classes(&y), 3, &problems);
        assert!(m.folded.is_some() && m.report().all_converged());
        let all: Vec<u32> = (0..16).collect();
        for (k, &(c, cp, cn)) in problems.iter().enumerate() {
            let pos: Vec<bool> = y.iter().map(|&l| l == c).collect();
            let r = solve_l2r_lr_dual(&x, &pos, cp, cn, 1e-5, 1000, 0);
            let (w, b) = m.weights_for(k, &all).unwrap();
            for (j, (a, e)) in w.iter().chain([&b]).zip(&r.w).enumerate() {
                assert!((a - e).abs() < 1e-3 * (1.0 + e.abs()), "w[{j}] {a} vs {e}");
            }
            let rep = m.report();
            assert!((rep.objective[k] - r.objective).abs() < 1e-5 * r.objective);
            assert!((rep.relative_grad_norm[k] - r.relative_grad_norm).abs() < 1e-3);
            // Scores from the stored form equal w . x + b with the weights above.
            let d = m.decision_function(&x);
            for i in 0..x.n_rows() {
                let (idx, val) = x.row(i);
                let s: f64 = b + idx
                    .iter()
                    .zip(val)
                    .map(|(&j, &v)| w[j as usize] * v as f64)
                    .sum::<f64>();
                assert!(
                    (d[i * 3 + k] as f64 - s).abs() < 1e-4,
                    "{} vs {s}",
                    d[i * 3 + k]
                );
            }
        }
        assert_eq!(m.predict(&x), y);
        // Columns beyond the fit and columns no training row holds score nothing.
        let probe = CsrMatrix::from_rows(40, vec![(vec![39], vec![1.0])]);
        let bias: Vec<f32> = (0..3)
            .map(|k| m.weights_for(k, &[]).unwrap().1 as f32)
            .collect();
        assert_eq!(m.decision_function(&probe), bias);
    }

    #[test]
    fn folded_route_is_thread_count_invariant() {
        // 20 classes: two blocks of 10 problems.
        assert_eq!(folded::block_sizes(20), vec![10, 10]);
        assert_eq!(folded::block_sizes(105), vec![53, 52]);
        assert_eq!(folded::block_sizes(3), vec![3]);
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for k in 0..20u32 {
            for r in 0..3u32 {
                rows.push((vec![k, 20 + r, 23 + k * 3 + r], vec![1.0, 0.3, 0.2]));
                y.push(k as usize);
            }
        }
        let x = CsrMatrix::from_rows(83, rows);
        let params = LogRegParams::default();
        let problems = params.problems(Targets::Classes(&y), 20);
        let fit_with = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| params.fit_folded(x.clone(), Targets::Classes(&y), 20, &problems))
        };
        let (a, b) = (fit_with(1), fit_with(2));
        assert_eq!(a.predict(&x), y);
        assert_eq!(
            serde_json::to_vec(&a).unwrap(),
            serde_json::to_vec(&b).unwrap()
        );
    }

    /// Synthetic notes over a small alphabet, so hashed columns are shared by many rows; one
    /// note repeats a trigram more than 255 times when `long` is set.
    fn hashed_corpus(long: bool) -> (Vec<String>, Vec<usize>) {
        let words = [
            "боль",
            "кашель",
            "жар",
            "сыпь",
            "зуд",
            "тошнота",
            "слабость",
            "отёк",
        ];
        let mut rng = SplitMix64::new(7);
        let mut docs = Vec::new();
        let mut y = Vec::new();
        for i in 0..3000usize {
            let k = i % 6;
            let mut d = format!("{} {}", words[k], words[k + 1]);
            for _ in 0..4 {
                d.push(' ');
                d.push_str(words[rng.below_modulo(words.len())]);
            }
            docs.push(d);
            y.push(k);
        }
        if long {
            docs[0] = "а".repeat(300);
        }
        (docs, y)
    }

    #[test]
    fn counts_route_gives_the_same_model_as_the_formed_matrix() {
        for (long, sublinear) in [(false, false), (false, true), (true, false)] {
            let (docs, y) = hashed_corpus(long);
            let docs: Vec<&str> = docs.iter().map(String::as_str).collect();
            let tfidf = crate::features::tfidf::TfidfParams {
                hash_bits: Some(10),
                sublinear_tf: sublinear,
                ..Default::default()
            };
            let (_, m) = tfidf.fit_counts(&docs).unwrap();
            assert_eq!(m.big.is_empty(), !long);
            assert!(
                !Gram::pays_off_dims(m.n_rows, m.nnz()),
                "the primal route is tested"
            );
            let x = m.clone().into_csr();
            assert_eq!(x, tfidf.fit(&docs).unwrap().1);
            let params = LogRegParams::default();
            let a = params.fit_owned(x.clone(), &y, 6).unwrap();
            let b = params.fit_owned(m.clone(), &y, 6).unwrap();
            assert!(b.folded.is_some());
            let what = format!("long {long}, sublinear {sublinear}");
            assert_eq!(
                serde_json::to_vec(&a).unwrap(),
                serde_json::to_vec(&b).unwrap(),
                "{what}"
            );
            assert_eq!(a.decision_function(&x), b.decision_function(&x), "{what}");
            let sets: Vec<Vec<u32>> = y.iter().map(|&k| vec![k as u32, 5 - k as u32]).collect();
            let a = params.fit_sets_owned(x.clone(), &sets, 6).unwrap();
            let b = params.fit_sets_owned(m, &sets, 6).unwrap();
            assert_eq!(
                serde_json::to_vec(&a).unwrap(),
                serde_json::to_vec(&b).unwrap(),
                "sets, {what}"
            );
        }
    }
}
