//! A minimal compressed-sparse-row matrix, the common currency between the
//! text vectorizers and the linear models.

use serde::{Deserialize, Serialize};

/// Row-major sparse matrix in CSR layout.
///
/// Row `r` owns the entries `indptr[r]..indptr[r + 1]` of `indices` (column
/// ids, strictly increasing within a row) and `data` (the values). Values are
/// `f32` because the matrices are large and the models only need single
/// precision inputs; column ids are `u32` since vocabularies stay far below
/// 4 billion features and it halves the index memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CsrMatrix {
    /// Number of rows (documents).
    pub n_rows: usize,
    /// Number of columns (features).
    pub n_cols: usize,
    /// Row start offsets into `indices`/`data`; length `n_rows + 1`.
    pub indptr: Vec<usize>,
    /// Column index of each stored entry.
    pub indices: Vec<u32>,
    /// Value of each stored entry.
    pub data: Vec<f32>,
}

impl CsrMatrix {
    /// An `n_rows x n_cols` matrix with no stored entries.
    pub fn zeros(n_rows: usize, n_cols: usize) -> Self {
        CsrMatrix {
            n_rows,
            n_cols,
            indptr: vec![0; n_rows + 1],
            indices: Vec::new(),
            data: Vec::new(),
        }
    }

    /// Builds a matrix from per-row `(indices, values)` pairs; each row's
    /// indices must be sorted and below `n_cols` (checked in debug builds).
    pub fn from_rows(n_cols: usize, rows: Vec<(Vec<u32>, Vec<f32>)>) -> Self {
        let nnz = rows.iter().map(|(i, _)| i.len()).sum();
        let mut indptr = Vec::with_capacity(rows.len() + 1);
        let mut indices = Vec::with_capacity(nnz);
        let mut data = Vec::with_capacity(nnz);
        indptr.push(0);
        for (idx, val) in &rows {
            debug_assert_eq!(idx.len(), val.len());
            debug_assert!(idx.windows(2).all(|w| w[0] < w[1]));
            debug_assert!(idx.iter().all(|&c| (c as usize) < n_cols));
            indices.extend_from_slice(idx);
            data.extend_from_slice(val);
            indptr.push(indices.len());
        }
        CsrMatrix {
            n_rows: rows.len(),
            n_cols,
            indptr,
            indices,
            data,
        }
    }

    /// A matrix whose row `r` has `lens[r]` stored entries, all zero, to be
    /// filled in place through [`CsrMatrix::rows_mut`]; a builder that knows
    /// each row's length in advance then needs no second copy of the entries.
    pub fn with_row_lengths(n_cols: usize, lens: &[usize]) -> Self {
        let mut indptr = Vec::with_capacity(lens.len() + 1);
        indptr.push(0);
        let mut total = 0usize;
        for &l in lens {
            total += l;
            indptr.push(total);
        }
        CsrMatrix {
            n_rows: lens.len(),
            n_cols,
            indptr,
            indices: vec![0; total],
            data: vec![0.0; total],
        }
    }

    /// Mutable `(indices, values)` of every row, so rows can be filled in
    /// parallel. The caller keeps each row's indices sorted and below `n_cols`.
    pub fn rows_mut(&mut self) -> Vec<(&mut [u32], &mut [f32])> {
        let mut out = Vec::with_capacity(self.n_rows);
        let (mut idx, mut val) = (&mut self.indices[..], &mut self.data[..]);
        for w in self.indptr.windows(2) {
            let len = w[1] - w[0];
            let (ri, rest_i) = std::mem::take(&mut idx).split_at_mut(len);
            let (rv, rest_v) = std::mem::take(&mut val).split_at_mut(len);
            idx = rest_i;
            val = rest_v;
            out.push((ri, rv));
        }
        out
    }

    /// Checks the CSR invariants of a matrix that was decoded rather than built: `indptr`
    /// has `n_rows + 1` non-decreasing offsets from 0 to `nnz`, `indices` and `data` have
    /// `nnz` entries, and every column index is below `n_cols` and increasing within a row.
    pub fn check_invariants(&self) -> Result<(), String> {
        let nnz = self.indices.len();
        if self.indptr.len() != self.n_rows.saturating_add(1) || self.data.len() != nnz {
            return Err("row offsets or values do not match the row and entry counts".into());
        }
        if self.indptr.first() != Some(&0) || self.indptr.last() != Some(&nnz) {
            return Err("row offsets do not span the entries".into());
        }
        for w in self.indptr.windows(2) {
            if w[0] > w[1] || w[1] > nnz {
                return Err("row offsets decrease or pass the entries".into());
            }
            let row = &self.indices[w[0]..w[1]];
            if row.windows(2).any(|c| c[0] >= c[1]) {
                return Err("column indices within a row are not increasing".into());
            }
            if row.last().is_some_and(|&c| c as usize >= self.n_cols) {
                return Err(format!("a column index is not below {}", self.n_cols));
            }
        }
        Ok(())
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// Column indices and values of row `r`.
    ///
    /// # Panics
    /// If `r >= n_rows`; callers iterate over valid row ids.
    pub fn row(&self, r: usize) -> (&[u32], &[f32]) {
        let (s, e) = (self.indptr[r], self.indptr[r + 1]);
        (&self.indices[s..e], &self.data[s..e])
    }

    /// Iterates over all rows in order as `(indices, values)` pairs.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = (&[u32], &[f32])> + '_ {
        (0..self.n_rows).map(move |r| self.row(r))
    }

    /// Dense row `r` (for tests and debugging small matrices).
    pub fn row_dense(&self, r: usize) -> Vec<f32> {
        let mut out = vec![0.0; self.n_cols];
        let (idx, val) = self.row(r);
        for (&c, &v) in idx.iter().zip(val) {
            out[c as usize] = v;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_rows_and_iterate() {
        let m = CsrMatrix::from_rows(
            4,
            vec![
                (vec![0, 3], vec![1.0, 2.0]),
                (vec![], vec![]),
                (vec![2], vec![5.0]),
            ],
        );
        assert_eq!(m.n_rows, 3);
        assert_eq!(m.nnz(), 3);
        assert_eq!(m.indptr, vec![0, 2, 2, 3]);
        assert_eq!(m.row_dense(0), vec![1.0, 0.0, 0.0, 2.0]);
        assert_eq!(m.row(1).0.len(), 0);
        let collected: Vec<usize> = m.rows().map(|(i, _)| i.len()).collect();
        assert_eq!(collected, vec![2, 0, 1]);
        assert_eq!(CsrMatrix::zeros(2, 5).indptr, vec![0, 0, 0]);
    }

    #[test]
    fn rows_filled_in_place_equal_from_rows() {
        let mut m = CsrMatrix::with_row_lengths(4, &[2, 0, 1]);
        for (r, (idx, val)) in m.rows_mut().into_iter().enumerate() {
            for (k, (i, v)) in idx.iter_mut().zip(val.iter_mut()).enumerate() {
                *i = (r + 2 * k) as u32;
                *v = (r * 10 + k) as f32;
            }
        }
        let want = CsrMatrix::from_rows(
            4,
            vec![
                (vec![0, 2], vec![0.0, 1.0]),
                (vec![], vec![]),
                (vec![2], vec![20.0]),
            ],
        );
        assert_eq!(m, want);
    }
}
