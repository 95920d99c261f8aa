//! [`TextRecipe`]: the text model's settings (vectorizer, classifier, multi-label rule, seed).
//!
//! The doc comments of the fields are the command line's help texts, where `<DIR>`-style
//! placeholders are the command-line convention.
#![allow(rustdoc::invalid_html_tags)]

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::features::analyzer::Analyzer;
use crate::features::limit::{DocFreq, MAX_DF, MIN_DF};
use crate::features::tfidf::{TfidfParams, MAX_HASH_BITS};
use crate::features::union::UnionParams;
use crate::models::linear::LogRegParams;

use super::blocks::Blocks;

/// Largest `C` accepted: beyond it the solver's weights overflow long before they help.
pub const MAX_C: f64 = 1e6;

pub use super::blocks::NgramRange;

/// Class weights of the logistic regression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum ClassWeight {
    /// Every example weighs the same.
    #[default]
    None,
    /// n / (classes × class count), scikit-learn's `balanced`.
    Balanced,
}

impl ClassWeight {
    /// The name the command line and task files use.
    pub fn name(self) -> &'static str {
        match self {
            ClassWeight::None => "none",
            ClassWeight::Balanced => "balanced",
        }
    }
}

/// The text model's settings (char n-gram tf-idf + one-vs-rest logistic regression), with the
/// paper's recipe as defaults. Unchecked: [`TextRecipe::check`] gives the
/// [`CheckedTextRecipe`] the fitting code takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(default, deny_unknown_fields)]
pub struct TextRecipe {
    /// Text model: how texts are cut into terms, as scikit-learn's analyzer: `char` (character
    /// n-grams), `char_wb` (character n-grams inside space-padded words), `word` (n-grams of
    /// `(?u)\b\w\w+\b` tokens, joined by a space) or `stem` (n-grams of the same tokens, each
    /// stemmed by Snowball's Russian stemmer).
    #[cfg_attr(feature = "cli", arg(long, value_name = "char|char_wb|word|stem", default_value_t = Analyzer::Char, help_heading = "Recipe"))]
    pub analyzer: Analyzer,
    /// Text model: shortest and longest character n-gram.
    #[cfg_attr(feature = "cli", arg(long, value_name = "MIN,MAX", value_parser = parse_range, default_value = "3,8", help_heading = "Recipe"))]
    pub ngram_range: NgramRange,
    /// Text model: term frequency 1 + ln(tf) instead of raw counts.
    #[cfg_attr(feature = "cli", arg(long, help_heading = "Recipe"))]
    pub sublinear_tf: bool,
    /// Text model: hash n-grams into 2^BITS columns (scikit-learn's HashingVectorizer,
    /// alternate_sign=False) instead of learning a vocabulary, so memory stops growing with
    /// the vocabulary; 1..=31.
    #[cfg_attr(feature = "cli", arg(long, value_name = "BITS", value_parser = clap::value_parser!(u8).range(1..=31), help_heading = "Recipe"))]
    pub hash_features: Option<u8>,
    /// Text model: drop terms found in fewer training documents: an integer is a number of
    /// documents, a number with a point (0.01) a fraction of them.
    #[serde(with = "crate::recipe::layers::doc_freq")]
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            value_name = "N|FRACTION",
            default_value = "1",
            help_heading = "Recipe"
        )
    )]
    pub min_df: DocFreq,
    /// Text model: drop terms found in more training documents: an integer is a number of
    /// documents, a number with a point (0.9) a fraction of them.
    #[serde(with = "crate::recipe::layers::doc_freq")]
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            value_name = "N|FRACTION",
            default_value = "1.0",
            help_heading = "Recipe"
        )
    )]
    pub max_df: DocFreq,
    /// Text model: keep only the N terms with the highest term frequency over the training
    /// documents (ties: the earlier term in code point order) [default: all].
    #[cfg_attr(feature = "cli", arg(long, value_name = "N", value_parser = parse_max_features, help_heading = "Recipe"))]
    pub max_features: Option<usize>,
    /// Text model: a union of vectorizer blocks instead of the single one above, comma-separated,
    /// each `ANALYZER:MIN-MAX[:sub][@FIELD][*WEIGHT]` or `cross[*WEIGHT]`: ANALYZER char,
    /// char_wb, word or stem (word n-grams of Snowball-Russian-stemmed words); `:sub` sublinear tf; FIELD the view it reads (joined: the text or the
    /// joined pair, first, second: one text of a pair, shared: the words both texts of a pair
    /// hold); WEIGHT multiplies its unit-norm rows; `cross` adds dense pair features (overlap
    /// ratios, negation and question cues). E.g. `char:3-8,char_wb:2-5@second,word:1-1@shared`.
    /// A task file gives `[[blocks]]` tables (keys analyzer, ngram_range, sublinear_tf, field,
    /// weight, min_df).
    #[serde(default)]
    #[cfg_attr(feature = "cli", arg(long, value_name = "BLOCK,...", value_parser = super::blocks::parse_blocks, default_value = "", hide_default_value = true, help_heading = "Recipe"))]
    pub blocks: Blocks,
    /// Text model (with --blocks): scale each row to unit L2 norm again after joining the
    /// blocks.
    #[serde(default)]
    #[cfg_attr(feature = "cli", arg(long, help_heading = "Recipe"))]
    pub row_norm: bool,
    /// Text model: inverse regularisation strength C of the logistic regression.
    #[serde(rename = "C")]
    #[cfg_attr(feature = "cli", arg(id = "C", long = "C", value_name = "C", default_value = "10", value_parser = parse_c, help_heading = "Recipe"))]
    pub c: f64,
    /// Text model: the dual solver's stopping tolerance (largest dual gradient of an epoch).
    #[cfg_attr(feature = "cli", arg(long, default_value = "0.1", value_parser = parse_tol, help_heading = "Recipe"))]
    pub tol: f64,
    /// Text model: most solver epochs per binary problem.
    #[cfg_attr(
        feature = "cli",
        arg(
            long,
            value_name = "N",
            default_value = "1000",
            help_heading = "Recipe"
        )
    )]
    pub max_iter: usize,
    /// Text model: class weights, `none` or `balanced` (n / (classes × class count)).
    #[cfg_attr(feature = "cli", arg(long, value_name = "none|balanced", value_enum, default_value_t = ClassWeight::None, help_heading = "Recipe"))]
    pub class_weight: ClassWeight,
    /// Multi-label: predict the labels whose probability is at least T, in (0, 1).
    #[cfg_attr(feature = "cli", arg(long, value_name = "T", default_value = "0.5", value_parser = parse_threshold, help_heading = "Multi-label"))]
    pub threshold: f64,
    /// Multi-label: allow an empty predicted set (otherwise the most probable label is always
    /// predicted).
    #[cfg_attr(feature = "cli", arg(long, help_heading = "Multi-label"))]
    pub allow_empty: bool,
    /// Seed for randomised steps (the solver's coordinate order).
    #[cfg_attr(feature = "cli", arg(long, default_value = "0"))]
    pub seed: u64,
}

impl Default for TextRecipe {
    /// The paper's recipe: char 3–8-grams, raw counts, every term kept, `C = 10`, `tol = 0.1`
    /// (liblinear's own default for this solver), at most 1000 epochs, no class weights;
    /// multi-label threshold 0.5 without empty sets; seed 0.
    fn default() -> Self {
        let (t, l) = (TfidfParams::default(), LogRegParams::default());
        TextRecipe {
            analyzer: t.analyzer,
            ngram_range: NgramRange(t.ngram_min, t.ngram_max),
            sublinear_tf: t.sublinear_tf,
            hash_features: t.hash_bits,
            min_df: MIN_DF,
            max_df: MAX_DF,
            max_features: t.max_features,
            blocks: Blocks::default(),
            row_norm: false,
            c: l.c,
            tol: l.tol,
            max_iter: l.max_iter,
            class_weight: ClassWeight::None,
            threshold: 0.5,
            allow_empty: false,
            seed: l.seed,
        }
    }
}

/// A [`TextRecipe`] whose every setting was checked: the form the fitting code takes.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedTextRecipe(TextRecipe);

impl TextRecipe {
    /// Checks every setting, the error naming the bad one by its key (its flag without `--`).
    pub fn check(&self) -> Result<CheckedTextRecipe> {
        let NgramRange(a, b) = self.ngram_range;
        if a == 0 || a > b {
            return Err(Error::param(
                "ngram_range",
                format!("expected MIN,MAX with 1 <= MIN <= MAX, got {a},{b}"),
            ));
        }
        if let Some(bits) = self.hash_features {
            if !(1..=MAX_HASH_BITS).contains(&bits) {
                return Err(Error::param(
                    "hash_features",
                    format!("must be between 1 and {MAX_HASH_BITS} bits, got {bits}"),
                ));
            }
        }
        self.min_df.check("min_df")?;
        self.max_df.check("max_df")?;
        if self.max_features == Some(0) {
            return Err(Error::param("max_features", "must be at least 1, got 0"));
        }
        if !(self.c.is_finite() && self.c > 0.0 && self.c <= MAX_C) {
            return Err(Error::param(
                "C",
                format!("must be > 0 and <= {MAX_C:e}, got {}", show(self.c)),
            ));
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(Error::param(
                "tol",
                format!("must be a finite number > 0, got {}", self.tol),
            ));
        }
        if self.max_iter == 0 {
            return Err(Error::param("max_iter", "must be at least 1, got 0"));
        }
        if !(self.threshold > 0.0 && self.threshold < 1.0) {
            return Err(Error::param(
                "threshold",
                format!("must be in (0, 1), got {}", self.threshold),
            ));
        }
        // What the vectorizer checks beyond each key alone (limits with hashing).
        self.tfidf_params().check()?;
        if !self.blocks.0.is_empty() && self.hash_features.is_some() {
            return Err(Error::param(
                "blocks",
                "hashed features (hash_features) are not available with blocks",
            ));
        }
        self.blocks.union(self.row_norm)?;
        Ok(CheckedTextRecipe(self.clone()))
    }

    fn tfidf_params(&self) -> TfidfParams {
        TfidfParams {
            ngram_min: self.ngram_range.0,
            ngram_max: self.ngram_range.1,
            sublinear_tf: self.sublinear_tf,
            hash_bits: self.hash_features,
            analyzer: self.analyzer,
            min_df: self.min_df,
            max_df: self.max_df,
            max_features: self.max_features,
        }
    }
}

impl CheckedTextRecipe {
    /// The recipe, as it was given.
    pub fn recipe(&self) -> &TextRecipe {
        &self.0
    }

    /// The vectorizer's parameters.
    pub fn tfidf(&self) -> TfidfParams {
        self.0.tfidf_params()
    }

    /// The union of vectorizer blocks, when the recipe has blocks.
    pub fn union(&self) -> Option<UnionParams> {
        self.0.blocks.union(self.0.row_norm).ok().flatten()
    }

    /// The classifier's parameters, the recipe's seed included.
    pub fn logreg(&self) -> LogRegParams {
        LogRegParams {
            c: self.0.c,
            tol: self.0.tol,
            max_iter: self.0.max_iter,
            class_weight_balanced: self.0.class_weight == ClassWeight::Balanced,
            seed: self.0.seed,
        }
    }
}

impl Default for CheckedTextRecipe {
    /// The paper's recipe (checked by construction).
    fn default() -> Self {
        CheckedTextRecipe(TextRecipe::default())
    }
}

/// `--C`: a finite number in (0, [`MAX_C`]].
pub fn parse_c(s: &str) -> std::result::Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if !(v.is_finite() && v > 0.0 && v <= MAX_C) {
        return Err(format!("C must be > 0 and <= {MAX_C:e}, got {s}"));
    }
    Ok(v)
}

/// `--tol`: a finite number > 0.
pub fn parse_tol(s: &str) -> std::result::Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if !(v.is_finite() && v > 0.0) {
        return Err(format!("tol must be a finite number > 0, got {s}"));
    }
    Ok(v)
}

/// `--threshold`: a number in (0, 1).
pub fn parse_threshold(s: &str) -> std::result::Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if !(v > 0.0 && v < 1.0) {
        return Err(format!("the threshold must be in (0, 1), got {s}"));
    }
    Ok(v)
}

/// `--ngram-range MIN,MAX`.
pub fn parse_range(s: &str) -> std::result::Result<NgramRange, String> {
    let parsed = s
        .split_once(',')
        .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)));
    match parsed {
        Some((a, b)) if a >= 1 && a <= b => Ok(NgramRange(a, b)),
        _ => Err(format!(
            "expected MIN,MAX with 1 <= MIN <= MAX (e.g. 3,8), got {s:?}"
        )),
    }
}

/// `--max-features N`: at least 1.
#[cfg(feature = "cli")]
fn parse_max_features(s: &str) -> std::result::Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("expected a number of terms >= 1, got {s:?}")),
    }
}

/// The keys of a [`TextRecipe`] that set the vectorizer (what a model file keeps of the recipe:
/// predicting needs the vectorizer, not the classifier's training settings).
pub const VECTORIZER_KEYS: &[&str] = &[
    "analyzer",
    "ngram_range",
    "sublinear_tf",
    "hash_features",
    "min_df",
    "max_df",
    "max_features",
];

/// The keys of a [`TextRecipe`] that set the logistic regression (the run record's
/// `classifier` section).
pub const CLASSIFIER_KEYS: &[&str] = &["C", "tol", "max_iter", "class_weight"];

/// A classifier's parameters as recipe keys ([`CLASSIFIER_KEYS`]), in the recipe's serde form.
pub fn classifier_map(l: &LogRegParams) -> serde_json::Map<String, serde_json::Value> {
    let recipe = TextRecipe {
        c: l.c,
        tol: l.tol,
        max_iter: l.max_iter,
        class_weight: if l.class_weight_balanced {
            ClassWeight::Balanced
        } else {
            ClassWeight::None
        },
        ..TextRecipe::default()
    };
    let mut m = super::layers::to_map(&recipe);
    m.retain(|k, _| CLASSIFIER_KEYS.contains(&k.as_str()));
    m
}

/// A fitted vectorizer's parameters as recipe keys ([`VECTORIZER_KEYS`]), in the recipe's serde
/// form.
pub fn vectorizer_map(t: &TfidfParams) -> serde_json::Map<String, serde_json::Value> {
    let recipe = TextRecipe {
        analyzer: t.analyzer,
        ngram_range: NgramRange(t.ngram_min, t.ngram_max),
        sublinear_tf: t.sublinear_tf,
        hash_features: t.hash_bits,
        min_df: t.min_df,
        max_df: t.max_df,
        max_features: t.max_features,
        ..TextRecipe::default()
    };
    let mut m = super::layers::to_map(&recipe);
    m.retain(|k, _| VECTORIZER_KEYS.contains(&k.as_str()));
    m
}

/// The vectorizer's parameters from recipe keys (missing keys keep their defaults; other
/// keys are refused), checked as a recipe is.
pub fn vectorizer_from(map: &serde_json::Map<String, serde_json::Value>) -> Result<TfidfParams> {
    if let Some(k) = map.keys().find(|k| !VECTORIZER_KEYS.contains(&k.as_str())) {
        return Err(Error::param(
            k,
            format!(
                "not a vectorizer setting (one of {})",
                VECTORIZER_KEYS.join(", ")
            ),
        ));
    }
    let recipe: TextRecipe = super::layers::layered(&[map])?;
    Ok(recipe.check()?.tfidf())
}

/// A number as an error message shows it: huge ones in exponent form.
pub(crate) fn show(v: f64) -> String {
    if v.abs() >= 1e6 {
        format!("{v:e}")
    } else {
        v.to_string()
    }
}
