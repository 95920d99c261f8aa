//! What a fit takes: the training matrix (tf-idf rows or hashed counts) and the targets.

use crate::features::sparse::CsrMatrix;
use crate::features::tfidf::HashedCounts;

/// A training matrix as [`LogRegParams::fit_owned`](crate::models::linear::LogRegParams::fit_owned) takes it.
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
pub(super) enum Targets<'a> {
    Classes(&'a [usize]),
    Sets(&'a [Vec<u32>]),
}

impl Targets<'_> {
    pub(super) fn len(&self) -> usize {
        match self {
            Targets::Classes(y) => y.len(),
            Targets::Sets(y) => y.len(),
        }
    }

    /// Whether row `i` is a positive of class (label) `k`'s problem.
    #[inline]
    pub(super) fn is_positive(&self, i: usize, k: usize) -> bool {
        match self {
            Targets::Classes(y) => y[i] == k,
            Targets::Sets(y) => y[i].contains(&(k as u32)),
        }
    }

    /// Every row's membership in problem `k`'s positives.
    pub(super) fn positives(&self, k: usize) -> Vec<bool> {
        (0..self.len()).map(|i| self.is_positive(i, k)).collect()
    }

    pub(super) fn for_each_positive(&self, i: usize, mut f: impl FnMut(usize)) {
        match self {
            Targets::Classes(y) => f(y[i]),
            Targets::Sets(y) => y[i].iter().for_each(|&l| f(l as usize)),
        }
    }

    /// The first (row, label) whose label is not below `n`.
    pub(super) fn first_out_of_range(&self, n: usize) -> Option<(usize, usize)> {
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
