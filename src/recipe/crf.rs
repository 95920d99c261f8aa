//! [`CrfRecipe`]: the CRF tagger's settings.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::features::crf_templates::Templates;
use crate::models::crf::{CrfParams, MAX_COEFFICIENT};

/// The CRF trainer's settings, with the paper's recipe as defaults (the paper's token features,
/// c1 = 0.1, c2 = 0.01, 200 L-BFGS iterations, every possible transition). Unchecked:
/// [`CrfRecipe::check`] gives the [`CheckedCrfRecipe`] the fitting code takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(default, deny_unknown_fields)]
pub struct CrfRecipe {
    /// CRF: L1 regularisation coefficient, 0 to 1e4.
    #[cfg_attr(feature = "cli", arg(long, default_value = "0.1", value_parser = parse_coefficient, help_heading = "Recipe"))]
    pub c1: f64,
    /// CRF: L2 regularisation coefficient, 0 to 1e4.
    #[cfg_attr(feature = "cli", arg(long, default_value = "0.01", value_parser = parse_coefficient, help_heading = "Recipe"))]
    pub c2: f64,
    /// CRF: L-BFGS iterations.
    #[cfg_attr(
        feature = "cli",
        arg(long, default_value = "200", help_heading = "Recipe")
    )]
    pub max_iterations: usize,
    /// CRF: transition features for every label pair, also pairs never seen in training
    /// (task file only).
    #[cfg_attr(feature = "cli", arg(skip = true))]
    pub all_possible_transitions: bool,
    /// CRF: the token feature templates, comma-separated, in order: `paper` (the paper's
    /// features: word, suffixes 2-3, case and digit flags, the neighbours' words and flags,
    /// BOS/EOS), or any of `bias`, `word`, `lower`, `prefix:A-B`, `suffix:A-B`, `affix:A-B`,
    /// `shape` (Xx, d.d, Cyrillic/Latin), `flags` (isupper, istitle, isdigit), `window:K` (the
    /// token templates listed before it, on the neighbours up to K tokens away), `bigram` (neighbour
    /// word pairs), `bos_eos`. Task file: `templates = ["lower", "affix:2-4", ...]`.
    #[cfg_attr(feature = "cli", arg(long = "crf-templates", value_name = "LIST", default_value = "paper", value_parser = parse_templates, help_heading = "Recipe"))]
    pub templates: Templates,
}

impl Default for CrfRecipe {
    fn default() -> Self {
        let p = CrfParams::default();
        CrfRecipe {
            c1: p.c1,
            c2: p.c2,
            max_iterations: p.max_iterations,
            all_possible_transitions: p.all_possible_transitions,
            templates: p.templates,
        }
    }
}

impl CrfRecipe {
    /// The `plus` preset for tagging: feature templates and penalties chosen on RuMedNER dev
    /// only by `scripts/search-crf.py` (its output: `scripts/search-crf.out.tsv`): the
    /// lower-cased word, its shape and script, the neighbours' (±1) lower-cased words and
    /// shapes, prefixes and suffixes of 2 to 4 characters, case and digit flags, neighbour
    /// bigrams, BOS/EOS; c1 = 0.05, c2 = 0.01. Dev entity F1 72.44 against the paper's
    /// features' 67.25, at 1.3 times their training CPU time.
    pub fn plus() -> CrfRecipe {
        CrfRecipe {
            c1: 0.05,
            c2: 0.01,
            templates: Templates::parse_list(PLUS_TEMPLATES).expect("a valid list"),
            ..CrfRecipe::default()
        }
    }
}

/// The `plus` preset's feature templates ([`CrfRecipe::plus`]).
pub const PLUS_TEMPLATES: &str = "bias,lower,shape,window:1,affix:2-4,flags,bigram,bos_eos";

/// A [`CrfRecipe`] whose every setting was checked: the form the fitting code takes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CheckedCrfRecipe(CrfRecipe);

impl CrfRecipe {
    /// Checks every setting, the error naming the bad one by its key.
    pub fn check(&self) -> Result<CheckedCrfRecipe> {
        for (name, v) in [("c1", self.c1), ("c2", self.c2)] {
            if !(v.is_finite() && (0.0..=MAX_COEFFICIENT).contains(&v)) {
                return Err(Error::param(
                    name,
                    format!(
                        "must be between 0 and {MAX_COEFFICIENT:e}, got {}",
                        super::text::show(v)
                    ),
                ));
            }
        }
        if self.max_iterations == 0 || self.max_iterations > i32::MAX as usize {
            return Err(Error::param(
                "max_iterations",
                format!(
                    "must be between 1 and {}, got {}",
                    i32::MAX,
                    self.max_iterations
                ),
            ));
        }
        // Templates are checked when built (a list that parsed is a valid list).
        Ok(CheckedCrfRecipe(self.clone()))
    }
}

impl CheckedCrfRecipe {
    /// The recipe, as it was given.
    pub fn recipe(&self) -> &CrfRecipe {
        &self.0
    }

    /// The trainer's parameters.
    pub fn params(&self) -> CrfParams {
        CrfParams {
            c1: self.0.c1,
            c2: self.0.c2,
            max_iterations: self.0.max_iterations,
            all_possible_transitions: self.0.all_possible_transitions,
            templates: self.0.templates.clone(),
        }
    }
}

/// A CRF trainer's parameters as the recipe's keys, in its serde form (the run record's
/// hyperparameters).
pub fn crf_map(p: &CrfParams) -> serde_json::Map<String, serde_json::Value> {
    super::layers::to_map(&CrfRecipe {
        c1: p.c1,
        c2: p.c2,
        max_iterations: p.max_iterations,
        all_possible_transitions: p.all_possible_transitions,
        templates: p.templates.clone(),
    })
}

/// `--crf-templates`: a comma-separated list of template names.
pub fn parse_templates(s: &str) -> std::result::Result<Templates, String> {
    Templates::parse_list(s)
}

/// `--c1`, `--c2`: a number in [0, [`MAX_COEFFICIENT`]].
pub fn parse_coefficient(s: &str) -> std::result::Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if !(v.is_finite() && (0.0..=MAX_COEFFICIENT).contains(&v)) {
        return Err(format!(
            "a CRF penalty must be between 0 and {MAX_COEFFICIENT:e}, got {s} (the paper's c1 is 0.1, c2 0.01)"
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_default_and_plus_templates() {
        assert!(CrfRecipe::default().templates.is_paper());
        let plus = CrfRecipe::plus();
        assert_eq!(plus.templates.to_string(), PLUS_TEMPLATES);
        assert!(plus.check().is_ok());
        // The task file's list and the flag's comma-separated form give the same recipe.
        let file: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(r#"{"templates": ["lower", "window:1"], "c1": 0.3}"#).unwrap();
        let r: CrfRecipe = crate::recipe::layered(&[&file]).unwrap();
        assert_eq!(r.templates, parse_templates("lower,window:1").unwrap());
        let bad: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(r#"{"templates": ["lower", "suffixes:2"]}"#).unwrap();
        let e = crate::recipe::layered::<CrfRecipe>(&[&bad])
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("templates:") && e.contains("suffixes:2"),
            "{e}"
        );
    }
}
