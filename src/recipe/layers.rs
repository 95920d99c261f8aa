//! A recipe's serde form as JSON maps: its keys, and a recipe built from layers of keys.

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::error::{err, Result};

/// The keys of a recipe type, as its serde form (and its flags' ids) spells them.
pub fn keys<T: Serialize + Default>() -> Vec<String> {
    match serde_json::to_value(T::default()) {
        Ok(Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// Builds a recipe from layers of settings, later layers winning: each layer is a map of
/// recipe keys (others are ignored) to values in the recipe's serde form; keys set by no
/// layer keep their defaults. A value of the wrong type is an error naming its key.
pub fn layered<T: Serialize + DeserializeOwned + Default>(
    layers: &[&Map<String, Value>],
) -> Result<T> {
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

/// A recipe from one map of its keys (what Python's keyword arguments become): every key must
/// be one of the recipe's, so a misspelt setting is an error naming it, not a silent default;
/// a value of the wrong type is an error naming its key.
pub fn from_map<T: Serialize + DeserializeOwned + Default>(map: &Map<String, Value>) -> Result<T> {
    let known = keys::<T>();
    if let Some(k) = map.keys().find(|k| !known.contains(k)) {
        return Err(crate::error::Error::param(
            k,
            format!("not a setting of this model (one of {})", known.join(", ")),
        ));
    }
    layered(&[map])
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
pub mod doc_freq {
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
        match Form::deserialize(d) {
            Ok(Form::Count(c)) => Ok(DocFreq::Count(c)),
            Ok(Form::Fraction(f)) => Ok(DocFreq::Fraction(f)),
            Err(_) => Err(serde::de::Error::custom(
                "expected a number of documents (an integer >= 0) or a fraction of them (a \
                 number with a point)",
            )),
        }
    }
}
