//! The vectorizer's hyper-parameters and their checks.

use crate::error::bail;
use crate::error::Result;
use crate::features::analyzer::Analyzer;
use crate::features::limit::DocFreq;
use crate::features::limit::Limits;
use crate::features::limit::MAX_DF;
use crate::features::limit::MIN_DF;
use crate::wire::FORMAT_BASE;
use crate::wire::FORMAT_VECTORIZER;
use serde::Deserialize;
use serde::Serialize;

/// Largest `hash_bits` (scikit-learn's column index is below `2^31`).
pub const MAX_HASH_BITS: u8 = 31;

/// Hyper-parameters of the n-gram vectorizer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TfidfParams {
    /// Shortest n-gram length in code points (sklearn `ngram_range[0]`; tokens for `word`).
    pub ngram_min: usize,
    /// Longest n-gram length in code points (sklearn `ngram_range[1]`; tokens for `word`).
    pub ngram_max: usize,
    /// Replace a raw count `tf` by `1 + ln(tf)` (sklearn `sublinear_tf`).
    pub sublinear_tf: bool,
    /// Hash n-grams into `2^bits` columns instead of learning a vocabulary (see the module
    /// docs); `None` keeps the vocabulary.
    pub hash_bits: Option<u8>,
    /// How documents are cut into terms (sklearn `analyzer`).
    pub analyzer: Analyzer,
    /// Drop terms found in fewer training documents (sklearn `min_df`; default 1).
    pub min_df: DocFreq,
    /// Drop terms found in more training documents (sklearn `max_df`; default 1.0).
    pub max_df: DocFreq,
    /// Keep only the terms with the highest corpus term frequency (sklearn `max_features`).
    pub max_features: Option<usize>,
}

impl Default for TfidfParams {
    /// The RuMedBench baseline setting: `analyzer='char'`, `ngram_range=(3, 8)`, raw counts,
    /// every term kept.
    fn default() -> Self {
        TfidfParams {
            ngram_min: 3,
            ngram_max: 8,
            sublinear_tf: false,
            hash_bits: None,
            analyzer: Analyzer::Char,
            min_df: MIN_DF,
            max_df: MAX_DF,
            max_features: None,
        }
    }
}

/// What model format 4 adds to the parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub(super) struct Extension {
    pub(super) analyzer: Analyzer,
    pub(super) min_df: DocFreq,
    pub(super) max_df: DocFreq,
    pub(super) max_features: Option<usize>,
}

impl TfidfParams {
    /// The oldest model format that holds these parameters: format 2 unless the analyzer or a
    /// vocabulary limit differs from the default.
    pub fn needs_format(&self) -> u32 {
        if self.extension() == TfidfParams::default().extension() {
            FORMAT_BASE
        } else {
            FORMAT_VECTORIZER
        }
    }

    pub(super) fn extension(&self) -> Extension {
        Extension {
            analyzer: self.analyzer,
            min_df: self.min_df,
            max_df: self.max_df,
            max_features: self.max_features,
        }
    }

    pub(super) fn limits(&self) -> Limits {
        Limits {
            min_df: self.min_df,
            max_df: self.max_df,
            max_features: self.max_features,
        }
    }
}

impl TfidfParams {
    pub(super) fn with_extension(self, e: Extension) -> TfidfParams {
        TfidfParams {
            analyzer: e.analyzer,
            min_df: e.min_df,
            max_df: e.max_df,
            max_features: e.max_features,
            ..self
        }
    }
}

impl TfidfParams {
    /// Rejects n-gram ranges sklearn would reject (`min == 0` or `min > max`).
    pub fn check(&self) -> Result<()> {
        if self.ngram_min == 0 {
            bail!(
                "ngram_min must be at least 1, got {} (ngram range {}..={})",
                self.ngram_min,
                self.ngram_min,
                self.ngram_max
            );
        }
        if self.ngram_min > self.ngram_max {
            bail!(
                "ngram_min ({}) must not exceed ngram_max ({})",
                self.ngram_min,
                self.ngram_max
            );
        }
        if let Some(b) = self.hash_bits {
            if !(1..=MAX_HASH_BITS).contains(&b) {
                bail!("hash_features must be between 1 and {MAX_HASH_BITS} bits, got {b}");
            }
            if self.limits().active() {
                bail!(
                    "min_df, max_df and max_features limit a vocabulary; hashed features \
                     (hash_features) have none"
                );
            }
        }
        self.min_df.check("min_df")?;
        self.max_df.check("max_df")?;
        if self.max_features == Some(0) {
            bail!("max_features must be at least 1, got 0");
        }
        Ok(())
    }
}
