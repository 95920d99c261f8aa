//! [`CrfRecipe`]: the CRF tagger's settings.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::models::crf::{CrfParams, MAX_COEFFICIENT};

/// The CRF trainer's settings, with the paper's recipe as defaults (c1 = 0.1, c2 = 0.01, 200
/// L-BFGS iterations, every possible transition). Unchecked: [`CrfRecipe::check`] gives the
/// [`CheckedCrfRecipe`] the fitting code takes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
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
}

impl Default for CrfRecipe {
    fn default() -> Self {
        let p = CrfParams::default();
        CrfRecipe {
            c1: p.c1,
            c2: p.c2,
            max_iterations: p.max_iterations,
            all_possible_transitions: p.all_possible_transitions,
        }
    }
}

/// A [`CrfRecipe`] whose every setting was checked: the form the fitting code takes.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct CheckedCrfRecipe(CrfRecipe);

impl CrfRecipe {
    /// The `--model plus` preset of the CRF (placeholder: the paper's recipe until the
    /// feature templates land).
    pub fn plus() -> Self {
        Self::default()
    }

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
        Ok(CheckedCrfRecipe(*self))
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
        }
    }
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
