//! The settings of each model family, defined once: [`TextRecipe`] (the tf-idf vectorizer, the
//! logistic regression, the multi-label rule and the seed) and [`CrfRecipe`] (the CRF trainer).
//!
//! Each recipe is one serde struct with the paper's values as defaults. The same struct is the
//! command line's flags (`clap::Args`, under the `cli` feature), the task file's keys, the run
//! record's hyperparameters, the model file's settings and what the API builders set. It is
//! checked once, in linfa's `ParamGuard` shape: [`TextRecipe::check`] gives a
//! [`CheckedTextRecipe`], the only form the fitting code takes; a bad setting is an
//! [`Error::Param`](crate::error::Error::Param) naming its key.
//!
//! Adding a knob means adding a field to a recipe, its check, and its use.

pub mod blocks;
pub mod crf;
mod layers;
pub mod text;

pub use layers::{from_map, keys, layered, to_map};

pub use blocks::{Block, BlockKind, Blocks};
pub use crf::{CheckedCrfRecipe, CrfRecipe};
pub use text::{CheckedTextRecipe, ClassWeight, NgramRange, TextRecipe};

/// Every recipe key a task file may hold at its top level.
pub fn all_keys() -> Vec<String> {
    let mut k = keys::<TextRecipe>();
    k.extend(keys::<CrfRecipe>());
    k
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, Value};

    #[test]
    fn layers_override_in_order_and_a_bad_value_names_its_key() {
        let file: Map<String, Value> =
            serde_json::from_str(r#"{"C": 3.0, "max_features": 30, "c1": 0.5}"#).unwrap();
        let flags: Map<String, Value> = serde_json::from_str(r#"{"C": 1.0}"#).unwrap();
        let r: TextRecipe = layered(&[&file, &flags]).unwrap();
        assert_eq!((r.c, r.max_features), (1.0, Some(30)));
        let crf: CrfRecipe = layered(&[&file]).unwrap();
        assert_eq!(crf.c1, 0.5);
        let bad: Map<String, Value> = serde_json::from_str(r#"{"tol": "x"}"#).unwrap();
        let e = layered::<TextRecipe>(&[&bad]).unwrap_err().to_string();
        assert!(e.starts_with("tol:"), "{e}");
    }

    #[test]
    fn doc_freqs_serialize_as_int_count_or_float_fraction() {
        let r = TextRecipe {
            min_df: crate::features::limit::DocFreq::Count(2),
            max_df: crate::features::limit::DocFreq::Fraction(0.5),
            ..TextRecipe::default()
        };
        let m = to_map(&r);
        assert_eq!(
            (m["min_df"].to_string(), m["max_df"].to_string()),
            ("2".into(), "0.5".into())
        );
        let back: TextRecipe = layered(&[&m]).unwrap();
        assert_eq!(back, r);
    }
}
