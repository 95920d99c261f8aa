//! A union of vectorizer blocks, as scikit-learn's `FeatureUnion` of `TfidfVectorizer`s: each
//! block reads one view of the record ([`Field`]: the joined pair, one text of a pair, or the
//! words the two texts share), vectorizes it with its own analyzer, n-gram range and tf
//! (each block's rows at unit L2 norm, as `TfidfVectorizer` gives them), multiplies it by its
//! weight (`transformer_weights`), and the blocks' columns are laid side by side in block
//! order (`hstack`). With `row_norm` the joined row is then scaled to unit L2 norm again
//! (`Normalizer()` after the union).
//!
//! The logistic regression's bounds rely on rows of norm at most 1, so without `row_norm` the
//! weights are divided by `√(Σ weight²)` when that exceeds 1 (the largest norm a row can
//! have): the union is scikit-learn's with `transformer_weights = weight / √(Σ weight²)`.
//!
//! A [`BlockParams::Cross`] block adds a few dense pair features that need no fitting (see
//! [`super::pair`]).

use std::borrow::Cow;

use rayon::prelude::*;

use super::pair::{cross_features, shared_words, CROSS_NAMES};
use super::sparse::CsrMatrix;
use super::tfidf::{Tfidf, TfidfParams};
use crate::error::{bail, Result};

/// Which view of a record a block reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// The record's text; a pair's two texts joined with one space (the paper's input).
    #[default]
    Joined,
    /// A pair's first text (a single-text record's text).
    First,
    /// A pair's second text (pairs only).
    Second,
    /// The distinct `(?u)\b\w\w+\b` words (lower-cased) of a pair's second text that also occur
    /// in its first, in their order in the second text, joined by a space (pairs only).
    Shared,
}

impl Field {
    /// The name the recipe uses.
    pub fn name(self) -> &'static str {
        match self {
            Field::Joined => "joined",
            Field::First => "first",
            Field::Second => "second",
            Field::Shared => "shared",
        }
    }

    /// Whether the view exists only for text pairs.
    pub fn needs_pair(self) -> bool {
        matches!(self, Field::Second | Field::Shared)
    }
}

impl std::str::FromStr for Field {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "joined" => Ok(Field::Joined),
            "first" => Ok(Field::First),
            "second" => Ok(Field::Second),
            "shared" => Ok(Field::Shared),
            _ => Err(format!(
                "a field is one of joined, first, second, shared; got {s:?}"
            )),
        }
    }
}

/// A pair's two texts as one, joined with one space as upstream does: the one definition of
/// the `joined` view and of the paper's model's input (`Input::joined_text`).
pub fn join_pair(a: &str, b: &str) -> String {
    format!("{a} {b}")
}

/// One record as the union reads it: a text, or the two texts of a pair.
#[derive(Debug, Clone, Copy)]
pub struct Doc<'a> {
    /// The text (a pair's first text).
    pub first: &'a str,
    /// A pair's second text.
    pub second: Option<&'a str>,
}

impl<'a> Doc<'a> {
    /// A single text.
    pub fn text(t: &'a str) -> Self {
        Doc {
            first: t,
            second: None,
        }
    }

    /// The view `f` of the record (an absent second text reads as empty).
    pub fn view(&self, f: Field) -> Cow<'a, str> {
        match (f, self.second) {
            (Field::Joined, Some(b)) => Cow::Owned(join_pair(self.first, b)),
            (Field::Joined | Field::First, _) => Cow::Borrowed(self.first),
            (Field::Second, b) => Cow::Borrowed(b.unwrap_or("")),
            (Field::Shared, b) => Cow::Owned(shared_words(self.first, b.unwrap_or(""))),
        }
    }
}

/// One block's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BlockParams {
    /// A tf-idf vectorizer over one view of the record.
    Ngrams {
        /// The view it reads.
        field: Field,
        /// The factor its (unit-norm) rows are multiplied by.
        weight: f32,
        /// The vectorizer.
        tfidf: TfidfParams,
    },
    /// The dense pair features of [`super::pair::cross_features`] (pairs only), at unit L2
    /// norm as the other blocks' rows are.
    Cross {
        /// The factor the features are multiplied by.
        weight: f32,
    },
}

impl BlockParams {
    /// The block's name: `char_wb:2-5:sub@second*0.5`, `cross`.
    pub fn name(&self) -> String {
        match self {
            BlockParams::Ngrams {
                field,
                weight,
                tfidf: t,
            } => {
                let mut s = format!("{}:{}-{}", t.analyzer.name(), t.ngram_min, t.ngram_max);
                if t.sublinear_tf {
                    s.push_str(":sub");
                }
                if *field != Field::Joined {
                    s.push('@');
                    s.push_str(field.name());
                }
                if *weight != 1.0 {
                    s.push_str(&format!("*{weight}"));
                }
                s
            }
            BlockParams::Cross { weight } if *weight != 1.0 => format!("cross*{weight}"),
            BlockParams::Cross { .. } => "cross".into(),
        }
    }

    /// Whether the block reads a view that exists only for pairs.
    pub fn needs_pair(&self) -> bool {
        match self {
            BlockParams::Ngrams { field, .. } => field.needs_pair(),
            BlockParams::Cross { .. } => true,
        }
    }
}

/// The union's settings: its blocks in column order, and the whole-row normalisation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UnionParams {
    /// The blocks, in column order.
    pub blocks: Vec<BlockParams>,
    /// Scale each joined row to unit L2 norm.
    pub row_norm: bool,
}

/// A fitted block.
#[derive(Debug, Clone)]
#[allow(clippy::large_enum_variant)] // a handful per model
pub enum FittedBlock {
    /// A fitted tf-idf vectorizer over one view.
    Ngrams {
        /// The view it reads.
        field: Field,
        /// Its weight.
        weight: f32,
        /// The fitted vectorizer.
        tfidf: Tfidf,
    },
    /// The dense pair features.
    Cross {
        /// Their weight.
        weight: f32,
    },
}

impl FittedBlock {
    /// The block's settings.
    pub fn params(&self) -> BlockParams {
        match self {
            FittedBlock::Ngrams {
                field,
                weight,
                tfidf,
            } => BlockParams::Ngrams {
                field: *field,
                weight: *weight,
                tfidf: *tfidf.params(),
            },
            FittedBlock::Cross { weight } => BlockParams::Cross { weight: *weight },
        }
    }

    /// Number of columns.
    pub fn n_features(&self) -> usize {
        match self {
            FittedBlock::Ngrams { tfidf, .. } => tfidf.n_features(),
            FittedBlock::Cross { .. } => CROSS_NAMES.len(),
        }
    }

    /// The feature behind column `i` of the block.
    pub fn feature_name(&self, i: usize) -> Option<String> {
        match self {
            FittedBlock::Ngrams { tfidf, .. } => tfidf.feature_name(i),
            FittedBlock::Cross { .. } => CROSS_NAMES.get(i).map(|s| s.to_string()),
        }
    }

    /// The block's rows for `docs`, times its weight divided by `div`.
    fn transform(&self, docs: &[Doc<'_>], div: f32) -> CsrMatrix {
        match self {
            FittedBlock::Ngrams {
                field,
                weight,
                tfidf,
            } => {
                let views: Vec<Cow<'_, str>> = docs.par_iter().map(|d| d.view(*field)).collect();
                let v: Vec<&str> = views.iter().map(|s| s.as_ref()).collect();
                let mut m = tfidf.transform(&v);
                scale(&mut m, *weight / div);
                m
            }
            FittedBlock::Cross { weight } => cross_matrix(docs, *weight / div),
        }
    }
}

/// A fitted union of blocks.
#[derive(Debug, Clone)]
pub struct Union {
    blocks: Vec<FittedBlock>,
    row_norm: bool,
}

impl UnionParams {
    /// Checks the blocks: at least one, finite positive weights, valid vectorizers.
    pub fn check(&self) -> Result<()> {
        if self.blocks.is_empty() {
            bail!("a union needs at least one block");
        }
        for b in &self.blocks {
            let w = match b {
                BlockParams::Ngrams { weight, tfidf, .. } => {
                    tfidf.check()?;
                    if tfidf.hash_bits.is_some() {
                        bail!(
                            "block {}: hashed features are not available in blocks",
                            b.name()
                        );
                    }
                    *weight
                }
                BlockParams::Cross { weight } => *weight,
            };
            if !(w.is_finite() && w > 0.0) {
                bail!("block {}: the weight must be a finite number > 0", b.name());
            }
        }
        Ok(())
    }

    /// Whether a block reads a view that exists only for pairs.
    pub fn needs_pair(&self) -> bool {
        self.blocks.iter().any(BlockParams::needs_pair)
    }

    /// What every weight is divided by: `√(Σ weight²)` when above 1 and rows are not
    /// normalised as a whole, else 1 (see the module docs).
    pub fn weight_scale(&self) -> f32 {
        let w = |b: &BlockParams| match b {
            BlockParams::Ngrams { weight, .. } | BlockParams::Cross { weight } => *weight as f64,
        };
        let sq: f64 = self.blocks.iter().map(|b| w(b) * w(b)).sum();
        if self.row_norm || sq <= 1.0 {
            1.0
        } else {
            sq.sqrt() as f32
        }
    }

    /// Fits every block on `docs` and returns the union with the training matrix.
    pub fn fit(&self, docs: &[Doc<'_>]) -> Result<(Union, CsrMatrix)> {
        self.check()?;
        let div = self.weight_scale();
        let mut blocks = Vec::with_capacity(self.blocks.len());
        let mut mats = Vec::with_capacity(self.blocks.len());
        for b in &self.blocks {
            match *b {
                BlockParams::Ngrams {
                    field,
                    weight,
                    tfidf,
                } => {
                    let views: Vec<Cow<'_, str>> = docs.par_iter().map(|d| d.view(field)).collect();
                    let v: Vec<&str> = views.iter().map(|s| s.as_ref()).collect();
                    let (t, mut m) = tfidf.fit(&v)?;
                    scale(&mut m, weight / div);
                    mats.push(m);
                    blocks.push(FittedBlock::Ngrams {
                        field,
                        weight,
                        tfidf: t,
                    });
                }
                BlockParams::Cross { weight } => {
                    mats.push(cross_matrix(docs, weight / div));
                    blocks.push(FittedBlock::Cross { weight });
                }
            }
        }
        let x = hstack(mats, self.row_norm);
        Ok((
            Union {
                blocks,
                row_norm: self.row_norm,
            },
            x,
        ))
    }
}

impl Union {
    /// A union of fitted blocks (as a model file holds them).
    pub fn from_blocks(blocks: Vec<FittedBlock>, row_norm: bool) -> Result<Self> {
        let u = Union { blocks, row_norm };
        u.params().check()?;
        Ok(u)
    }

    /// The settings the union was fitted with.
    pub fn params(&self) -> UnionParams {
        UnionParams {
            blocks: self.blocks.iter().map(FittedBlock::params).collect(),
            row_norm: self.row_norm,
        }
    }

    /// The fitted blocks, in column order.
    pub fn blocks(&self) -> &[FittedBlock] {
        &self.blocks
    }

    /// Whether rows are scaled to unit norm after the blocks are joined.
    pub fn row_norm(&self) -> bool {
        self.row_norm
    }

    /// Total number of columns.
    pub fn n_features(&self) -> usize {
        self.blocks.iter().map(FittedBlock::n_features).sum()
    }

    /// The block (its index) and the feature name behind column `col`.
    pub fn locate(&self, col: usize) -> Option<(usize, String)> {
        let mut start = 0;
        for (i, b) in self.blocks.iter().enumerate() {
            let n = b.n_features();
            if col < start + n {
                return Some((i, b.feature_name(col - start)?));
            }
            start += n;
        }
        None
    }

    /// The union's rows for `docs`.
    pub fn transform(&self, docs: &[Doc<'_>]) -> CsrMatrix {
        let div = self.params().weight_scale();
        let mats = self.blocks.iter().map(|b| b.transform(docs, div)).collect();
        hstack(mats, self.row_norm)
    }
}

/// Multiplies every stored value by `w`.
fn scale(m: &mut CsrMatrix, w: f32) {
    if w != 1.0 {
        m.data.iter_mut().for_each(|v| *v *= w);
    }
}

/// The cross block's dense rows (zeros are not stored).
fn cross_matrix(docs: &[Doc<'_>], weight: f32) -> CsrMatrix {
    let rows: Vec<(Vec<u32>, Vec<f32>)> = docs
        .par_iter()
        .map(|d| {
            let f = cross_features(d.first, d.second.unwrap_or(""));
            let norm = f.iter().map(|v| v * v).sum::<f32>().sqrt();
            let (mut idx, mut val) = (Vec::new(), Vec::new());
            for (i, v) in f.iter().enumerate() {
                if *v != 0.0 {
                    idx.push(i as u32);
                    val.push(*v / norm * weight);
                }
            }
            (idx, val)
        })
        .collect();
    CsrMatrix::from_rows(CROSS_NAMES.len(), rows)
}

/// The blocks' columns side by side (sklearn's `hstack`), rows rescaled to unit L2 norm when
/// `row_norm` (all-zero rows stay zero).
pub fn hstack(mats: Vec<CsrMatrix>, row_norm: bool) -> CsrMatrix {
    let n_rows = mats.first().map_or(0, |m| m.n_rows);
    debug_assert!(mats.iter().all(|m| m.n_rows == n_rows));
    let n_cols: usize = mats.iter().map(|m| m.n_cols).sum();
    let nnz: usize = mats.iter().map(|m| m.nnz()).sum();
    let mut indptr = Vec::with_capacity(n_rows + 1);
    let mut indices = Vec::with_capacity(nnz);
    let mut data = Vec::with_capacity(nnz);
    indptr.push(0);
    for r in 0..n_rows {
        let start = data.len();
        let mut offset = 0u32;
        for m in &mats {
            let (i, v) = m.row(r);
            indices.extend(i.iter().map(|c| c + offset));
            data.extend_from_slice(v);
            offset += m.n_cols as u32;
        }
        if row_norm {
            let row = &mut data[start..];
            let norm = row
                .iter()
                .map(|v| (*v as f64) * (*v as f64))
                .sum::<f64>()
                .sqrt();
            if norm > 0.0 {
                row.iter_mut().for_each(|v| *v = (*v as f64 / norm) as f32);
            }
        }
        indptr.push(indices.len());
    }
    CsrMatrix::from_parts_unchecked(n_rows, n_cols, indptr, indices, data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::analyzer::Analyzer;

    fn pair<'a>(a: &'a str, b: &'a str) -> Doc<'a> {
        Doc {
            first: a,
            second: Some(b),
        }
    }

    #[test]
    fn blocks_are_side_by_side_each_at_unit_norm_times_weight() {
        let docs = [
            pair("боль в груди", "есть ли боль?"),
            pair("кашель три дня", "кашель есть"),
        ];
        let p = UnionParams {
            blocks: vec![
                BlockParams::Ngrams {
                    field: Field::Joined,
                    weight: 1.0,
                    tfidf: TfidfParams {
                        ngram_min: 2,
                        ngram_max: 3,
                        ..TfidfParams::default()
                    },
                },
                BlockParams::Ngrams {
                    field: Field::Shared,
                    weight: 0.5,
                    tfidf: TfidfParams {
                        analyzer: Analyzer::Word,
                        ngram_min: 1,
                        ngram_max: 1,
                        ..TfidfParams::default()
                    },
                },
                BlockParams::Cross { weight: 1.0 },
            ],
            row_norm: false,
        };
        let (u, x) = p.fit(&docs).unwrap();
        assert_eq!(x.n_cols(), u.n_features());
        let n0 = u.blocks()[0].n_features();
        let n1 = u.blocks()[1].n_features();
        assert_eq!(n1, 2, "shared words: боль, кашель");
        for r in 0..2 {
            let (i, v) = x.row(r);
            let sq = |lo: usize, hi: usize| -> f32 {
                i.iter()
                    .zip(v)
                    .filter(|(c, _)| (lo..hi).contains(&(**c as usize)))
                    .map(|(_, v)| v * v)
                    .sum()
            };
            // Weights 1, 0.5 and 1 (Σ w² = 2.25) are divided by 1.5.
            assert!((sq(0, n0) - 1.0 / 2.25).abs() < 1e-5);
            assert!((sq(n0, n0 + n1) - 0.25 / 2.25).abs() < 1e-5);
            assert!(sq(0, x.n_cols()) <= 1.0 + 1e-5);
        }
        assert_eq!(u.transform(&docs), x);
        assert_eq!(u.locate(n0).unwrap(), (1, "боль".to_string()));
        assert_eq!(u.locate(n0 + n1).unwrap().0, 2);
        let normed = UnionParams {
            row_norm: true,
            ..p.clone()
        };
        let (_, y) = normed.fit(&docs).unwrap();
        let sq: f32 = y.row(0).1.iter().map(|v| v * v).sum();
        assert!((sq - 1.0).abs() < 1e-5);
    }
}
