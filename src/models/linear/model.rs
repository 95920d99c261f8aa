//! The fitted one-vs-rest model: its weights (dense, folded or from the Gram route) and
//! their checks.

use super::folded::BlockWeights;
use super::folded_rows::UNSEEN;
use super::params::FitReport;
use crate::error::bail;
use crate::error::Result;
use crate::features::sparse::CsrMatrix;
use serde::Deserialize;
use serde::Serialize;
use std::sync::OnceLock;

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
#[derive(Debug)]
pub struct LogReg {
    pub(super) n_features: usize,
    pub(super) n_classes: usize,
    pub(super) n_problems: usize,
    /// The weights, in one of their three forms.
    pub(super) weights: Weights,
    pub(super) report: FitReport,
}

/// The three forms of a fitted model's weights: each predicts the same scores up to rounding,
/// and the fit keeps the smallest for its data.
#[derive(Debug)]
pub(super) enum Weights {
    /// Dense weights, `w[k * (n_features + 1) + j]`, intercept last (few problems, many
    /// non-zeros: RuMedDaNet's single binary problem).
    Dense(Vec<f32>),
    /// The dual form: coefficients over the training rows.
    Dual(DualModel),
    /// The primal route's form (large corpora).
    Folded(FoldedModel),
}

/// The dual form: `score_k(x) = sum_i c_ki (x_i . x + 1)`.
#[derive(Debug)]
pub(super) struct DualModel {
    /// `c[k * n_rows + i] = a_ki y_ki`: one row per binary problem (one in total for two
    /// classes, else one per class), stored as f32 so the file is compact.
    pub(super) coef: Vec<f32>,
    /// The training rows the coefficients weigh (tf-idf vectors); checked by
    /// [`LogReg::validate`] when decoded.
    pub(super) support: CsrMatrix,
    /// Column (posting) lists of `support`, built on first use.
    pub(super) postings: OnceLock<Postings>,
}

impl DualModel {
    /// The dual form of coefficients `coef` over rows `support`.
    pub(super) fn new(coef: Vec<f32>, support: CsrMatrix) -> Self {
        DualModel {
            coef,
            support,
            postings: OnceLock::new(),
        }
    }

    /// The column (posting) lists of the support rows.
    pub(super) fn postings(&self) -> &Postings {
        self.postings.get_or_init(|| Postings::new(&self.support))
    }
}

/// The model's encoding in every model-file format (2 to 5 alike): the three forms as optional
/// fields, the unused ones empty. Written from a borrowed model.
#[derive(Serialize)]
struct WireRef<'a> {
    n_features: usize,
    n_classes: usize,
    n_problems: usize,
    dense: Option<&'a [f32]>,
    dual: &'a [f32],
    #[serde(serialize_with = "support_ref")]
    support: &'a CsrMatrix,
    folded: Option<&'a FoldedModel>,
    report: &'a FitReport,
}

fn support_ref<S: serde::Serializer>(x: &&CsrMatrix, s: S) -> std::result::Result<S::Ok, S::Error> {
    crate::features::sparse::unchecked_serde::serialize(x, s)
}

impl Serialize for LogReg {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let empty = CsrMatrix::zeros(0, self.n_features);
        let (dense, dual, support, folded) = match &self.weights {
            Weights::Dense(w) => (Some(w.as_slice()), &[][..], &empty, None),
            Weights::Dual(m) => (None, m.coef.as_slice(), &m.support, None),
            Weights::Folded(m) => (None, &[][..], &empty, Some(m)),
        };
        WireRef {
            n_features: self.n_features,
            n_classes: self.n_classes,
            n_problems: self.n_problems,
            dense,
            dual,
            support,
            folded,
            report: &self.report,
        }
        .serialize(s)
    }
}

/// A model as a model file encodes it, not yet checked: [`LogRegOut::into_inner`] picks its
/// form and [`LogReg::validate`] checks it, with their own messages (postcard keeps no custom
/// error text). Its encoding is the model's (it serialises as [`LogReg`] does).
#[derive(Serialize, Deserialize)]
pub struct LogRegOut {
    n_features: usize,
    n_classes: usize,
    n_problems: usize,
    dense: Option<Vec<f32>>,
    dual: Vec<f32>,
    #[serde(with = "crate::features::sparse::unchecked_serde")]
    support: CsrMatrix,
    folded: Option<FoldedModel>,
    #[serde(default)]
    report: FitReport,
}

impl LogRegOut {
    /// The model in the one form its fields hold (not yet validated: see
    /// [`LogReg::validate`]); more than one form is an error.
    pub fn into_inner(self) -> Result<LogReg> {
        let dual_set = !self.dual.is_empty() || self.support.n_rows() > 0;
        let weights = match (self.dense, self.folded) {
            (Some(_), Some(_)) => bail!("the classifier holds both dense and folded weights"),
            (Some(_), None) | (None, Some(_)) if dual_set => {
                bail!("the classifier holds dual coefficients beside its primal weights")
            }
            (Some(w), None) => Weights::Dense(w),
            (None, Some(m)) => Weights::Folded(m),
            (None, None) => Weights::Dual(DualModel::new(self.dual, self.support)),
        };
        Ok(LogReg {
            n_features: self.n_features,
            n_classes: self.n_classes,
            n_problems: self.n_problems,
            weights,
            report: self.report,
        })
    }
}

/// A model fitted on the primal route: primal weights of the features held by two or more
/// training rows, and for a feature held by one row `i` that row's value, since its weight is
/// `c_ki x_ij` (the dual coefficient times the value).
#[derive(Debug, Serialize, Deserialize)]
pub(super) struct FoldedModel {
    /// Per input column: `< n_shared` a slot of the block weights, `n_shared + j` the `j`-th
    /// single-row feature, [`UNSEEN`] a column no training row holds.
    pub(super) slot: Vec<u32>,
    pub(super) n_shared: usize,
    /// Problems in order, block by block (see [`BlockWeights`]; intercept at slot `n_shared`).
    pub(super) blocks: Vec<BlockWeights>,
    /// Training row of each single-row feature.
    pub(super) single_row: Vec<u32>,
    /// Its value in that row.
    pub(super) single_val: Vec<f32>,
    /// `coef[i * n_problems + k] = a_ki y_ki`, row-major.
    pub(super) coef: Vec<f32>,
}

impl FoldedModel {
    /// Checks a decoded primal-route model: every slot, row and lane index within its array,
    /// the blocks covering the problems once, values finite.
    pub(super) fn validate(&self, n_features: usize, n_problems: usize) -> Result<()> {
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
    pub(super) fn add_feature(&self, c: usize, v: f64, acc: &mut [f64]) {
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
    pub(super) fn biases(&self) -> Vec<f64> {
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
    /// prediction cannot index out of bounds or produce NaN from stored values: values
    /// finite, and each problem's weights bounded so that no score can pass `f32::MAX`
    /// (`linear/bounds.rs`). `n_features` itself is bounded by the caller (the vectorizer's
    /// vocabulary).
    pub fn validate(&self) -> Result<()> {
        self.validate_layout()?;
        self.check_score_bound()
    }

    /// [`LogReg::validate`]'s checks of sizes, indices and finiteness.
    fn validate_layout(&self) -> Result<()> {
        let (k, p, d) = (self.n_classes, self.n_problems, self.n_features);
        // One problem per class (multi-label: always), or one for two classes.
        if k < 2 || (p != k && !(k == 2 && p == 1)) {
            bail!("{k} classes with {p} binary problems is not a one-vs-rest model");
        }
        let finite = |v: &[f32]| v.iter().all(|x| x.is_finite());
        let m = match &self.weights {
            Weights::Folded(m) => return m.validate(d, p),
            Weights::Dense(dense) => {
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
            Weights::Dual(m) => m,
        };
        let x = &m.support;
        if x.n_cols() != d {
            bail!(
                "support vectors have {} columns, the model {d} features",
                x.n_cols()
            );
        }
        if !finite(&m.coef) {
            bail!("the dual coefficients hold a non-finite value");
        }
        if Some(m.coef.len()) != x.n_rows().checked_mul(p) {
            bail!(
                "{} dual coefficients for {p} problems of {} rows",
                m.coef.len(),
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
pub(super) struct Postings {
    pub(super) colptr: Vec<usize>,
    pub(super) rows: Vec<u32>,
    pub(super) vals: Vec<f32>,
}

impl Postings {
    pub(super) fn new(x: &CsrMatrix) -> Self {
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

    pub(super) fn column(&self, c: usize) -> (&[u32], &[f32]) {
        let (s, e) = (self.colptr[c], self.colptr[c + 1]);
        (&self.rows[s..e], &self.vals[s..e])
    }
}
