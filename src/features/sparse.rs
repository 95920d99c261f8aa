//! A minimal compressed-sparse-row matrix, the common currency between the
//! text vectorizers and the linear models.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// Row-major sparse matrix in CSR layout.
///
/// Row `r` owns the entries `indptr[r]..indptr[r + 1]` of `indices` (column
/// ids, strictly increasing within a row) and `data` (the values). Values are
/// `f32` because the matrices are large and the models only need single
/// precision inputs; column ids are `u32` since vocabularies stay far below
/// 4 billion features and it halves the index memory.
///
/// The layout is checked when a matrix is built from outside the crate
/// ([`CsrMatrix::new`]), so every matrix a user holds is well formed and the
/// models can index it without checks. The fields are visible to the
/// vectorizers of [`crate::features`] only, which build them in place; the rest of the crate
/// reads through the accessors.
#[derive(Debug, Clone, PartialEq)]
pub struct CsrMatrix {
    /// Number of rows (documents).
    pub(in crate::features) n_rows: usize,
    /// Number of columns (features).
    pub(in crate::features) n_cols: usize,
    /// Row start offsets into `indices`/`data`; length `n_rows + 1`.
    pub(in crate::features) indptr: Vec<usize>,
    /// Column index of each stored entry.
    pub(in crate::features) indices: Vec<u32>,
    /// Value of each stored entry.
    pub(in crate::features) data: Vec<f32>,
}

impl CsrMatrix {
    /// An `n_rows x n_cols` matrix from its CSR arrays, checked: `indptr` holds `n_rows + 1`
    /// non-decreasing offsets from 0 to the number of entries, `indices` and `data` hold that
    /// many entries, and the column indices of each row are increasing and below `n_cols`.
    ///
    /// ```
    /// use rumedbench::features::sparse::CsrMatrix;
    /// let m = CsrMatrix::new(2, 3, vec![0, 2, 3], vec![0, 2, 1], vec![1.0, 2.0, 3.0])?;
    /// assert_eq!(m.row(1), (&[1u32][..], &[3.0f32][..]));
    /// assert!(CsrMatrix::new(2, 3, vec![0, 2, 3], vec![2, 0, 1], vec![1.0, 2.0, 3.0]).is_err());
    /// # Ok::<(), rumedbench::Error>(())
    /// ```
    pub fn new(
        n_rows: usize,
        n_cols: usize,
        indptr: Vec<usize>,
        indices: Vec<u32>,
        data: Vec<f32>,
    ) -> Result<Self> {
        let m = Self::from_parts_unchecked(n_rows, n_cols, indptr, indices, data);
        m.check_invariants()
            .map_err(|e| Error::Invalid(format!("not a CSR matrix: {e}")))?;
        Ok(m)
    }

    /// A matrix from CSR arrays its builder made well formed (see [`CsrMatrix::new`] for what
    /// that means); checked in debug builds only.
    pub(crate) fn from_parts_unchecked(
        n_rows: usize,
        n_cols: usize,
        indptr: Vec<usize>,
        indices: Vec<u32>,
        data: Vec<f32>,
    ) -> Self {
        CsrMatrix {
            n_rows,
            n_cols,
            indptr,
            indices,
            data,
        }
    }

    /// The CSR arrays `(n_rows, n_cols, indptr, indices, data)`, giving up the matrix.
    pub fn into_parts(self) -> (usize, usize, Vec<usize>, Vec<u32>, Vec<f32>) {
        (
            self.n_rows,
            self.n_cols,
            self.indptr,
            self.indices,
            self.data,
        )
    }

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
    pub(crate) fn from_rows(n_cols: usize, rows: Vec<(Vec<u32>, Vec<f32>)>) -> Self {
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
    pub(crate) fn with_row_lengths(n_cols: usize, lens: &[usize]) -> Self {
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
    pub(crate) fn rows_mut(&mut self) -> Vec<(&mut [u32], &mut [f32])> {
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

    /// Checks the CSR invariants (of a matrix that was decoded rather than built): `indptr`
    /// has `n_rows + 1` non-decreasing offsets from 0 to `nnz`, `indices` and `data` have
    /// `nnz` entries, and every column index is below `n_cols` and increasing within a row.
    pub(crate) fn check_invariants(&self) -> std::result::Result<(), String> {
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

    /// Number of rows.
    pub fn n_rows(&self) -> usize {
        self.n_rows
    }

    /// Number of columns.
    pub fn n_cols(&self) -> usize {
        self.n_cols
    }

    /// Number of stored entries.
    pub fn nnz(&self) -> usize {
        self.indices.len()
    }

    /// Row start offsets into [`Self::indices`] and [`Self::data`]; `n_rows + 1` of them.
    pub fn indptr(&self) -> &[usize] {
        &self.indptr
    }

    /// Column index of each stored entry, row after row.
    pub fn indices(&self) -> &[u32] {
        &self.indices
    }

    /// Value of each stored entry, row after row.
    pub fn data(&self) -> &[f32] {
        &self.data
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

/// (De)serialisation of a matrix inside a model file (`#[serde(with = ...)]`), in the layout
/// of a struct of the five fields. Decoding does not check the layout: the owner does, with
/// [`CsrMatrix::check_invariants`], before the matrix is used (`LogReg::validate`, which a
/// model file passes when it is loaded), so its error can say which matrix is wrong.
pub(crate) mod unchecked_serde {
    use super::*;

    #[derive(Serialize)]
    struct PartsRef<'a> {
        n_rows: usize,
        n_cols: usize,
        indptr: &'a [usize],
        indices: &'a [u32],
        data: &'a [f32],
    }

    #[derive(Deserialize)]
    struct Parts {
        n_rows: usize,
        n_cols: usize,
        indptr: Vec<usize>,
        indices: Vec<u32>,
        data: Vec<f32>,
    }

    pub(crate) fn serialize<S: Serializer>(
        m: &CsrMatrix,
        s: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        PartsRef {
            n_rows: m.n_rows,
            n_cols: m.n_cols,
            indptr: &m.indptr,
            indices: &m.indices,
            data: &m.data,
        }
        .serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<CsrMatrix, D::Error> {
        let p = Parts::deserialize(d)?;
        Ok(CsrMatrix::from_parts_unchecked(
            p.n_rows, p.n_cols, p.indptr, p.indices, p.data,
        ))
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

    #[test]
    fn the_checked_constructor_refuses_a_bad_layout() {
        let ok =
            CsrMatrix::new(3, 4, vec![0, 2, 2, 3], vec![0, 3, 2], vec![1.0, 2.0, 5.0]).unwrap();
        assert_eq!(
            ok,
            CsrMatrix::from_rows(
                4,
                vec![
                    (vec![0, 3], vec![1.0, 2.0]),
                    (vec![], vec![]),
                    (vec![2], vec![5.0])
                ]
            )
        );
        let bad =
            |n_rows, indptr: Vec<usize>, indices: Vec<u32>, data: Vec<f32>| match CsrMatrix::new(
                n_rows, 4, indptr, indices, data,
            ) {
                Err(Error::Invalid(m)) => m,
                other => panic!("accepted or wrong error: {other:?}"),
            };
        let msg = bad(3, vec![0, 2, 3], vec![0, 3, 2], vec![1.0, 2.0, 5.0]);
        assert!(msg.contains("row offsets or values"), "{msg}");
        let msg = bad(2, vec![0, 2, 3], vec![0, 3, 2], vec![1.0, 2.0]);
        assert!(msg.contains("row offsets or values"), "{msg}");
        let msg = bad(2, vec![1, 2, 3], vec![0, 3, 2], vec![1.0, 2.0, 5.0]);
        assert!(msg.contains("do not span"), "{msg}");
        let msg = bad(3, vec![0, 3, 2, 3], vec![0, 1, 2], vec![1.0, 2.0, 5.0]);
        assert!(msg.contains("decrease"), "{msg}");
        let msg = bad(2, vec![0, 2, 3], vec![3, 0, 2], vec![1.0, 2.0, 5.0]);
        assert!(msg.contains("not increasing"), "{msg}");
        let msg = bad(2, vec![0, 2, 3], vec![1, 1, 2], vec![1.0, 2.0, 5.0]);
        assert!(msg.contains("not increasing"), "{msg}");
        let msg = bad(2, vec![0, 2, 3], vec![0, 3, 4], vec![1.0, 2.0, 5.0]);
        assert!(msg.contains("not below 4"), "{msg}");
        assert!(CsrMatrix::new(usize::MAX, 4, vec![0], vec![], vec![]).is_err());
    }

    #[test]
    fn a_model_file_layout_round_trips() {
        #[derive(Serialize, Deserialize)]
        struct Holder {
            #[serde(with = "unchecked_serde")]
            m: CsrMatrix,
        }
        let m = CsrMatrix::from_rows(4, vec![(vec![0, 3], vec![1.0, 2.0]), (vec![2], vec![5.0])]);
        let json = serde_json::to_value(Holder { m: m.clone() }).unwrap();
        assert_eq!(json["m"]["indptr"], serde_json::json!([0, 2, 3]));
        assert_eq!(json["m"]["n_cols"], serde_json::json!(4));
        let back: Holder = serde_json::from_value(json).unwrap();
        assert_eq!(back.m, m);
        let (rows, cols, indptr, indices, data) = m.into_parts();
        assert_eq!(
            (rows, cols, indptr, indices, data),
            (2, 4, vec![0, 2, 3], vec![0, 3, 2], vec![1.0, 2.0, 5.0])
        );
    }
}
