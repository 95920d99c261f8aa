//! Class-partitioned training of a hashed text classifier, for engines that spread work over
//! machines (Apache Spark through the Python package's `rumedbench.spark`):
//! 1. [`TextClassifierParams::doc_freq`] counts, per batch of texts, how many texts hit each
//!    hashed column; [`HashedDocFreq::merge`] adds batches up (a reduce: no vocabulary, no
//!    text leaves its batch);
//! 2. [`TextClassifierParams::fit_block`] fits one block of the one-vs-rest classes on the
//!    whole training set with the idf of the merged counts; blocks are independent problems;
//! 3. [`TextClassifierParams::assemble`] joins every block into one ordinary model.
//!
//! The assembled model is the one [`TextClassifierParams::fit`] gives on the same data and
//! recipe, byte for byte (each binary problem's arithmetic is the same whatever the other
//! problems of its block):
//!
//! ```
//! use rumedbench::TextClassifierParams;
//! let texts = ["кашель и насморк", "изжога после еды", "боль в горле", "тошнота", "насморк"];
//! let labels = ["J06", "K29", "J02", "K30", "J06"];
//! let params = TextClassifierParams::default().hash_features(Some(12));
//! // Document frequencies of two batches, merged.
//! let mut df = params.doc_freq(&texts[..2])?;
//! df.merge(&params.doc_freq(&texts[2..])?)?;
//! // Three blocks of the four classes, fitted anywhere, then joined.
//! let blocks = (0..3)
//!     .map(|b| params.fit_block(&texts, &labels, &df, b, 3))
//!     .collect::<Result<Vec<_>, _>>()?;
//! let model = params.assemble(&df, blocks)?;
//! assert_eq!(model.to_bytes()?, params.fit(&texts, &labels)?.to_bytes()?);
//! # Ok::<(), rumedbench::Error>(())
//! ```

use serde::{Deserialize, Serialize};

use super::classifier::{join_pairs, TextClassifier, TextClassifierParams};
use super::common::bundle_of;
use crate::error::{Error, Result};
pub use crate::features::tfidf::HashedDocFreq;
use crate::models::linear::LogRegParams;
use crate::pipeline::blocks::{assemble_text, fit_text_block, TextBlock};
use crate::pipeline::{Labels, Rows};

/// The first bytes of [`HashedDocFreq::to_bytes`].
const DF_MAGIC: &[u8] = b"rumedbench-df-1\n";
/// The first bytes of [`ClassBlock::to_bytes`].
const BLOCK_MAGIC: &[u8] = b"rumedbench-block-1\n";

impl HashedDocFreq {
    /// The counts as bytes (to move them between processes).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        encode(DF_MAGIC, self)
    }

    /// Reads counts from [`HashedDocFreq::to_bytes`]'s bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        decode(DF_MAGIC, bytes, "document frequencies")
    }
}

/// One fitted block of classes ([`TextClassifierParams::fit_block`]).
#[derive(Debug, Serialize, Deserialize)]
pub struct ClassBlock {
    inner: TextBlock,
    pair: bool,
    /// Distinct labels of the training set (the in-memory task's metrics depend on it).
    n_labels: usize,
}

impl ClassBlock {
    /// The block as bytes (to move it between processes).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        encode(BLOCK_MAGIC, self)
    }

    /// Reads a block from [`ClassBlock::to_bytes`]'s bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        decode(BLOCK_MAGIC, bytes, "class block")
    }

    /// This block's index and the number of blocks.
    pub fn position(&self) -> (usize, usize) {
        self.inner.position()
    }

    /// The whole class table, in column order.
    pub fn classes(&self) -> &[String] {
        self.inner.classes()
    }
}

fn encode<T: Serialize>(magic: &[u8], v: &T) -> Result<Vec<u8>> {
    let mut out = magic.to_vec();
    postcard::to_io(v, &mut out).map_err(|e| Error::Invalid(format!("cannot encode: {e}")))?;
    Ok(out)
}

fn decode<T: for<'de> Deserialize<'de>>(magic: &[u8], bytes: &[u8], what: &str) -> Result<T> {
    let Some(body) = bytes.strip_prefix(magic) else {
        return Err(Error::Invalid(format!(
            "not {what} bytes of this rumedbench (they start {:?})",
            String::from_utf8_lossy(&bytes[..bytes.len().min(magic.len())])
        )));
    };
    postcard::from_bytes(body).map_err(|e| Error::Invalid(format!("corrupt {what} bytes: {e}")))
}

/// The number of one-vs-rest problems (the most blocks) of a fit of `n_classes` classes:
/// one per class, but one in total for two classes of a single-label fit.
pub fn n_problems(n_classes: usize, multi_label: bool) -> usize {
    LogRegParams::n_problems(n_classes, multi_label)
}

fn distinct<'a>(labels: impl Iterator<Item = &'a String>) -> usize {
    labels.collect::<std::collections::BTreeSet<_>>().len()
}

impl TextClassifierParams {
    /// The hashed document frequencies of a batch of texts (a Param error unless the recipe
    /// hashes its features: a vocabulary needs every text in one place).
    pub fn doc_freq<S: AsRef<str>>(&self, texts: &[S]) -> Result<HashedDocFreq> {
        let docs: Vec<&str> = texts.iter().map(|t| t.as_ref()).collect();
        self.settings()?.tfidf.hashed_doc_freq(&docs)
    }

    /// [`TextClassifierParams::doc_freq`] of text pairs (joined with one space).
    pub fn doc_freq_pairs<A: AsRef<str>, B: AsRef<str>>(
        &self,
        pairs: &[(A, B)],
    ) -> Result<HashedDocFreq> {
        self.doc_freq(&join_pairs(pairs))
    }

    /// Fits block `block` of `n_blocks` of the classes (see [`n_problems`]) on the whole
    /// training set, with the idf of `df` (the merged counts of the same texts).
    pub fn fit_block<S: AsRef<str>, L: ToString>(
        &self,
        texts: &[S],
        labels: &[L],
        df: &HashedDocFreq,
        block: usize,
        n_blocks: usize,
    ) -> Result<ClassBlock> {
        let labels: Vec<String> = labels.iter().map(|l| l.to_string()).collect();
        self.block_of(false, texts, Labels::Single(&labels), df, block, n_blocks)
    }

    /// [`TextClassifierParams::fit_block`] of text pairs.
    pub fn fit_block_pairs<A: AsRef<str>, B: AsRef<str>, L: ToString>(
        &self,
        pairs: &[(A, B)],
        labels: &[L],
        df: &HashedDocFreq,
        block: usize,
        n_blocks: usize,
    ) -> Result<ClassBlock> {
        let labels: Vec<String> = labels.iter().map(|l| l.to_string()).collect();
        let joined = join_pairs(pairs);
        self.block_of(true, &joined, Labels::Single(&labels), df, block, n_blocks)
    }

    /// [`TextClassifierParams::fit_block`] of a multi-label model (a set of labels per text).
    pub fn fit_multi_block<S: AsRef<str>, L: ToString>(
        &self,
        texts: &[S],
        label_sets: &[Vec<L>],
        df: &HashedDocFreq,
        block: usize,
        n_blocks: usize,
    ) -> Result<ClassBlock> {
        let sets = owned_sets(label_sets);
        self.block_of(false, texts, Labels::Multi(&sets), df, block, n_blocks)
    }

    /// [`TextClassifierParams::fit_multi_block`] of text pairs.
    pub fn fit_multi_block_pairs<A: AsRef<str>, B: AsRef<str>, L: ToString>(
        &self,
        pairs: &[(A, B)],
        label_sets: &[Vec<L>],
        df: &HashedDocFreq,
        block: usize,
        n_blocks: usize,
    ) -> Result<ClassBlock> {
        let sets = owned_sets(label_sets);
        let joined = join_pairs(pairs);
        self.block_of(true, &joined, Labels::Multi(&sets), df, block, n_blocks)
    }

    fn block_of<S: AsRef<str>>(
        &self,
        pair: bool,
        texts: &[S],
        labels: Labels<'_>,
        df: &HashedDocFreq,
        block: usize,
        n_blocks: usize,
    ) -> Result<ClassBlock> {
        let settings = self.settings()?;
        if settings.tfidf.hash_bits.is_none() {
            return Err(Error::param(
                "hash_features",
                "class blocks are fitted over hashed features only: set hash_features",
            ));
        }
        let multi = matches!(labels, Labels::Multi(_));
        let task = self.task(pair, multi)?;
        let docs: Vec<&str> = texts.iter().map(|t| t.as_ref()).collect();
        let n_labels = match labels {
            Labels::Single(l) => distinct(l.iter()),
            Labels::Multi(l) => distinct(l.iter().flatten()),
        };
        let inner = fit_text_block(
            &task,
            &settings,
            &docs,
            labels,
            df,
            &Rows::memory(),
            block,
            n_blocks,
        )?;
        Ok(ClassBlock {
            inner,
            pair,
            n_labels,
        })
    }

    /// Joins every block of one fit (in any order) into the model
    /// [`TextClassifierParams::fit`] gives on the same data and recipe.
    pub fn assemble(&self, df: &HashedDocFreq, blocks: Vec<ClassBlock>) -> Result<TextClassifier> {
        let settings = self.settings()?;
        let Some(first) = blocks.first() else {
            return Err(Error::Invalid("no class blocks to assemble".into()));
        };
        let (pair, n_labels) = (first.pair, first.n_labels);
        let multi = first.inner.multi_label;
        if blocks
            .iter()
            .any(|b| b.pair != pair || b.n_labels != n_labels)
        {
            return Err(Error::Invalid(
                "the class blocks come from different fits (texts and pairs, or other labels)"
                    .into(),
            ));
        }
        let mut task = self.task(pair, multi)?;
        task.settle_metrics(n_labels);
        let pipeline = assemble_text(
            &task,
            &settings,
            df,
            blocks.into_iter().map(|b| b.inner).collect(),
        )?;
        TextClassifier::from_bundle(bundle_of(pipeline, &settings))
    }
}

fn owned_sets<L: ToString>(sets: &[Vec<L>]) -> Vec<Vec<String>> {
    sets.iter()
        .map(|s| s.iter().map(|l| l.to_string()).collect())
        .collect()
}
