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

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{err, Result};

pub mod crf;
pub mod text;

pub use crf::{CheckedCrfRecipe, CrfRecipe};
pub use text::{CheckedTextRecipe, ClassWeight, NgramRange, TextRecipe};

/// The keys of a recipe type, as its serde form (and its flags' ids) spells them.
pub fn keys<T: Serialize + Default>() -> Vec<String> {
    match serde_json::to_value(T::default()) {
        Ok(Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// Every recipe key a task file may hold at its top level.
pub fn all_keys() -> Vec<String> {
    let mut k = keys::<TextRecipe>();
    k.extend(keys::<CrfRecipe>());
    k
}

/// Builds a recipe from layers of settings, later layers winning: each layer is a map of
/// recipe keys (others are ignored) to values in the recipe's serde form; keys set by no
/// layer keep their defaults. A value of the wrong type is an error naming its key.
pub fn layered<T: Serialize + DeserializeOwned + Default>(layers: &[&Map<String, Value>]) -> Result<T> {
    let known = keys::<T>();
    let mut map = Map::new();
    for layer in layers {
        for (k, v) in layer.iter() {
            if known.contains(k) {
                map.insert(k.clone(), v.clone());
            }
        }
    }
    serde_json::from_value(Value::Object(map.clone())).map_err(|e| {
        // Name the key whose value does not fit, trying them one at a time.
        let bad = map.iter().find(|(k, v)| {
            let one: Map<String, Value> = [((*k).clone(), (*v).clone())].into_iter().collect();
            serde_json::from_value::<T>(Value::Object(one)).is_err()
        });
        match bad {
            Some((k, v)) => crate::error::Error::param(k, format!("{e} (got {v})")),
            None => err!("{e}"),
        }
    })
}

/// The serde form of a recipe as a JSON map.
pub fn to_map<T: Serialize>(recipe: &T) -> Map<String, Value> {
    match serde_json::to_value(recipe) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// `min_df`/`max_df` in a recipe's serde form: an integer is a number of documents, a float a
/// fraction of them (scikit-learn's convention).
pub(crate) mod doc_freq {
    use crate::features::limit::DocFreq;
    use serde::{Deserialize, Deserializer, Serializer};

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Form {
        Count(usize),
        Fraction(f64),
    }

    pub fn serialize<S: Serializer>(d: &DocFreq, s: S) -> Result<S::Ok, S::Error> {
        match *d {
            DocFreq::Count(c) => s.serialize_u64(c as u64),
            DocFreq::Fraction(f) => s.serialize_f64(f),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DocFreq, D::Error> {
        Ok(match Form::deserialize(d)? {
            Form::Count(c) => DocFreq::Count(c),
            Form::Fraction(f) => DocFreq::Fraction(f),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!((m["min_df"].to_string(), m["max_df"].to_string()), ("2".into(), "0.5".into()));
        let back: TextRecipe = layered(&[&m]).unwrap();
        assert_eq!(back, r);
    }
}
