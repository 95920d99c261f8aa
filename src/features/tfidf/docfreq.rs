//! Document frequencies of hashed columns counted batch by batch and merged: what a
//! distributed fit needs to form the idf without a vocabulary (nor the texts) in one place.

use super::count::idf_from_df;
use super::hashing::{hashed_counts, HashedCounts};
use super::model::Tfidf;
use super::params::TfidfParams;
use crate::error::{bail, Error, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// How many documents of a batch hit each hashed column, and the batch's size. Counts of
/// disjoint batches add up ([`HashedDocFreq::merge`]) to the counts of their union, in any
/// order, so the idf of the union is known from the merged counts alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HashedDocFreq {
    /// `hash_features`: the columns are `2^bits`.
    pub bits: u8,
    /// Number of documents counted.
    pub n_docs: u64,
    /// `(column, documents)` of every column some document hits, by column.
    pub df: Vec<(u32, u64)>,
}

impl TfidfParams {
    /// The hashed document frequencies of `docs`. Only with `hash_bits` (a vocabulary needs
    /// every document in one place).
    pub fn hashed_doc_freq(&self, docs: &[&str]) -> Result<HashedDocFreq> {
        self.check()?;
        let Some(bits) = self.hash_bits else {
            return Err(unhashed());
        };
        let mut df = vec![0u64; 1usize << bits];
        for chunk in docs.chunks(super::hashing::HASH_CHUNK) {
            let cols: Vec<Vec<u32>> = chunk
                .par_iter()
                .map_init(Vec::new, |bounds, d| hashed_counts(self, d, bits, bounds).0)
                .collect();
            for c in cols.iter().flatten() {
                df[*c as usize] += 1;
            }
        }
        Ok(HashedDocFreq {
            bits,
            n_docs: docs.len() as u64,
            df: df
                .into_iter()
                .enumerate()
                .filter(|(_, n)| *n > 0)
                .map(|(c, n)| (c as u32, n))
                .collect(),
        })
    }

    /// The vectorizer whose idf the counts `df` give (the vectorizer [`TfidfParams::fit`]
    /// returns on the documents counted).
    pub fn hashed_vectorizer(&self, df: &HashedDocFreq) -> Result<Tfidf> {
        Tfidf::from_parts(*self, Vec::new(), self.idf_of(df)?)
    }

    /// [`TfidfParams::fit_counts`] with the idf of `df` (counted on the same documents,
    /// possibly batch by batch elsewhere), which must have as many documents as `docs`.
    pub fn fit_counts_with(
        &self,
        docs: &[&str],
        df: &HashedDocFreq,
    ) -> Result<(Tfidf, HashedCounts)> {
        let idf = self.idf_of(df)?;
        if df.n_docs != docs.len() as u64 {
            bail!(
                "the document frequencies count {} documents, the training set has {}",
                df.n_docs,
                docs.len()
            );
        }
        let (_, mut counts) = self.fit_counts(docs)?;
        counts.idf = idf.clone();
        Ok((Tfidf::from_parts(*self, Vec::new(), idf)?, counts))
    }

    fn idf_of(&self, df: &HashedDocFreq) -> Result<Vec<f32>> {
        self.check()?;
        let Some(bits) = self.hash_bits else {
            return Err(unhashed());
        };
        if df.bits != bits {
            bail!(
                "the document frequencies were counted over 2^{} columns, the recipe hashes into \
                 2^{bits}",
                df.bits
            );
        }
        let n_cols = 1usize << bits;
        let mut dense = vec![0u32; n_cols];
        for &(c, n) in &df.df {
            if c as usize >= n_cols || n > df.n_docs {
                bail!("document frequency {n} of column {c} is not one of 2^{bits} columns' over {} documents", df.n_docs);
            }
            dense[c as usize] = u32::try_from(n)
                .map_err(|_| Error::Invalid(format!("{n} documents overflow a count")))?;
        }
        let n_docs = usize::try_from(df.n_docs)
            .map_err(|_| Error::Invalid(format!("{} documents overflow a count", df.n_docs)))?;
        Ok(idf_from_df(dense.into_iter(), n_docs))
    }
}

fn unhashed() -> Error {
    Error::param(
        "hash_features",
        "document frequencies merge only over hashed columns: set hash_features (a vocabulary \
         needs every document in one place)",
    )
}

impl HashedDocFreq {
    /// No documents over `2^bits` columns.
    pub fn empty(bits: u8) -> Self {
        HashedDocFreq {
            bits,
            n_docs: 0,
            df: Vec::new(),
        }
    }

    /// Adds the counts of another batch of documents (over the same columns).
    pub fn merge(&mut self, other: &HashedDocFreq) -> Result<()> {
        if other.bits != self.bits {
            bail!(
                "document frequencies over 2^{} and 2^{} columns do not merge",
                self.bits,
                other.bits
            );
        }
        let (a, b) = (&self.df, &other.df);
        let mut out = Vec::with_capacity(a.len().max(b.len()));
        let (mut i, mut j) = (0, 0);
        while i < a.len() || j < b.len() {
            match (a.get(i), b.get(j)) {
                (Some(&(ca, na)), Some(&(cb, nb))) if ca == cb => {
                    out.push((ca, na + nb));
                    i += 1;
                    j += 1;
                }
                (Some(&x), Some(&(cb, _))) if x.0 < cb => {
                    out.push(x);
                    i += 1;
                }
                (Some(_), Some(&y)) | (None, Some(&y)) => {
                    out.push(y);
                    j += 1;
                }
                (Some(&x), None) => {
                    out.push(x);
                    i += 1;
                }
                (None, None) => unreachable!("loop condition"),
            }
        }
        self.df = out;
        self.n_docs += other.n_docs;
        Ok(())
    }
}
