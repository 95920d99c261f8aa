//! How the parameters and the fitted vectorizer are written in a model file (format-dependent:
//! format 4 adds the analyzer and the vocabulary limits to the parameters, see [`crate::wire`]):
//! [`TfidfIn`] and [`TfidfOut`] take the format as a type.

use super::model::Tfidf;
use super::params::{Extension, TfidfParams};
use super::terms::{Arena, Terms};
use crate::error::Result;
use crate::wire::FORMAT_BASE;
use crate::wire::FORMAT_VECTORIZER;
use crate::wire::{Format4, WireFormat};
use serde::de::MapAccess;
use serde::de::SeqAccess;
use serde::de::Visitor;
use serde::ser::SerializeSeq;
use serde::ser::SerializeStruct;
use serde::Deserialize;
use serde::Deserializer;
use serde::Serialize;
use serde::Serializer;
use std::marker::PhantomData;

/// The parameters in a model file of the format that `extended` says (format 4 on: with the
/// analyzer and the vocabulary limits).
fn serialize_params<S: Serializer>(
    p: &TfidfParams,
    extended: bool,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    if !extended && p.needs_format() > FORMAT_BASE {
        // An older format cannot say this (the model file picks the format beforehand).
        return Err(serde::ser::Error::custom(format!(
            "the vectorizer's analyzer and vocabulary limits need model format {FORMAT_VECTORIZER}"
        )));
    }
    let mut st = s.serialize_struct("TfidfParams", 4 + extended as usize)?;
    st.serialize_field("ngram_min", &p.ngram_min)?;
    st.serialize_field("ngram_max", &p.ngram_max)?;
    st.serialize_field("sublinear_tf", &p.sublinear_tf)?;
    st.serialize_field("hash_bits", &p.hash_bits)?;
    if extended {
        st.serialize_field("vectorizer", &p.extension())?;
    }
    st.end()
}

/// Outside a model file the parameters are written as the newest format writes them.
impl Serialize for TfidfParams {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        serialize_params(self, Format4::VECTORIZER_EXTENSION, s)
    }
}

/// The named (self-describing) form of [`TfidfParams`], for JSON.
#[derive(Deserialize)]
pub(super) struct NamedParams {
    pub(super) ngram_min: usize,
    pub(super) ngram_max: usize,
    pub(super) sublinear_tf: bool,
    #[serde(default)]
    pub(super) hash_bits: Option<u8>,
    #[serde(default)]
    pub(super) vectorizer: Option<Extension>,
}

impl NamedParams {
    pub(super) fn params(self) -> TfidfParams {
        let base = TfidfParams {
            ngram_min: self.ngram_min,
            ngram_max: self.ngram_max,
            sublinear_tf: self.sublinear_tf,
            hash_bits: self.hash_bits,
            ..TfidfParams::default()
        };
        match self.vectorizer {
            Some(e) => base.with_extension(e),
            None => base,
        }
    }
}

pub(super) const PARAM_FIELDS: &[&str] = &[
    "ngram_min",
    "ngram_max",
    "sublinear_tf",
    "hash_bits",
    "vectorizer",
];

/// The parameters as the format that `extended` says writes them (JSON: by name, any format).
fn deserialize_params<'de, D: Deserializer<'de>>(
    d: D,
    extended: bool,
) -> std::result::Result<TfidfParams, D::Error> {
    struct ParamsVisitor {
        extended: bool,
    }
    impl<'de> Visitor<'de> for ParamsVisitor {
        type Value = TfidfParams;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("vectorizer parameters")
        }
        fn visit_seq<A: SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            let missing = |i| serde::de::Error::invalid_length(i, &self);
            let base = TfidfParams {
                ngram_min: seq.next_element()?.ok_or_else(|| missing(0))?,
                ngram_max: seq.next_element()?.ok_or_else(|| missing(1))?,
                sublinear_tf: seq.next_element()?.ok_or_else(|| missing(2))?,
                hash_bits: seq.next_element()?.ok_or_else(|| missing(3))?,
                ..TfidfParams::default()
            };
            if !self.extended {
                return Ok(base);
            }
            let ext: Extension = seq.next_element()?.ok_or_else(|| missing(4))?;
            Ok(base.with_extension(ext))
        }
        fn visit_map<A: MapAccess<'de>>(
            self,
            map: A,
        ) -> std::result::Result<Self::Value, A::Error> {
            let named =
                NamedParams::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
            Ok(named.params())
        }
    }
    d.deserialize_struct("TfidfParams", PARAM_FIELDS, ParamsVisitor { extended })
}

/// Outside a model file the parameters are read as the newest format writes them.
impl<'de> Deserialize<'de> for TfidfParams {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        deserialize_params(d, Format4::VECTORIZER_EXTENSION)
    }
}

/// A fitted vectorizer as model format `F` encodes it.
pub struct TfidfIn<'a, F>(&'a Tfidf, PhantomData<F>);

impl<'a, F: WireFormat> TfidfIn<'a, F> {
    /// `t` to be encoded in format `F`.
    pub fn new(t: &'a Tfidf) -> Self {
        TfidfIn(t, PhantomData)
    }
}

impl<F: WireFormat> Serialize for TfidfIn<'_, F> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let t = self.0;
        let mut st = s.serialize_struct("Tfidf", 3)?;
        st.serialize_field("params", &ParamsIn::<F>(&t.params, PhantomData))?;
        st.serialize_field("vocabulary", &TermsOut(&t.terms))?;
        st.serialize_field("idf", &t.idf)?;
        st.end()
    }
}

/// Outside a model file the vectorizer is written as the newest format writes it.
impl Serialize for Tfidf {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        TfidfIn::<Format4>::new(self).serialize(s)
    }
}

/// Parameters to encode in format `F`.
struct ParamsIn<'a, F>(&'a TfidfParams, PhantomData<F>);

impl<F: WireFormat> Serialize for ParamsIn<'_, F> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        serialize_params(self.0, F::VECTORIZER_EXTENSION, s)
    }
}

/// Parameters decoded from format `F`.
struct ParamsOut<F>(TfidfParams, PhantomData<F>);

impl<'de, F: WireFormat> Deserialize<'de> for ParamsOut<F> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        deserialize_params(d, F::VECTORIZER_EXTENSION).map(|p| ParamsOut(p, PhantomData))
    }
}

/// The vocabulary written as a sequence of strings, decoded one at a time.
pub(super) struct TermsOut<'a>(&'a Terms);

impl Serialize for TermsOut<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let n = match self.0 {
            Terms::Hashed { .. } => 0,
            t => t.len(),
        };
        let mut seq = s.serialize_seq(Some(n))?;
        let mut buf = String::new();
        for i in 0..n {
            buf.clear();
            self.0.write_term(i, &mut buf);
            seq.serialize_element(buf.as_str())?;
        }
        seq.end()
    }
}

/// Wire form of [`Tfidf`] in format `F`, validated before it becomes one.
#[derive(Deserialize)]
#[serde(bound = "")]
pub(super) struct TfidfParts<F: WireFormat> {
    params: ParamsOut<F>,
    pub(super) vocabulary: Arena,
    pub(super) idf: Vec<f32>,
}

/// A fitted vectorizer decoded from model format `F`, not yet checked: [`TfidfOut::into_inner`]
/// checks it (see [`Tfidf::from_parts`]) after decoding, so its error reaches the model file's
/// message whole (postcard keeps no custom error text).
#[derive(Deserialize)]
#[serde(bound = "")]
pub struct TfidfOut<F: WireFormat>(TfidfParts<F>);

impl<F: WireFormat> TfidfOut<F> {
    /// The vectorizer, checked.
    pub fn into_inner(self) -> Result<Tfidf> {
        Tfidf::try_from(self.0)
    }
}

/// Outside a model file the vectorizer is read as the newest format writes it.
impl<'de> Deserialize<'de> for Tfidf {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        TfidfOut::<Format4>::deserialize(d)?
            .into_inner()
            .map_err(serde::de::Error::custom)
    }
}

impl<F: WireFormat> TryFrom<TfidfParts<F>> for Tfidf {
    type Error = crate::error::Error;
    fn try_from(p: TfidfParts<F>) -> Result<Self> {
        Tfidf::from_arena(p.params.0, p.vocabulary, p.idf)
    }
}

impl<'de> Deserialize<'de> for Arena {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct ArenaVisitor;
        impl<'de> Visitor<'de> for ArenaVisitor {
            type Value = Arena;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a sequence of vocabulary terms")
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<Arena, A::Error> {
                let mut arena = Arena::default();
                // Capacity hints come from the file: trust them only up to a bound.
                arena
                    .ends
                    .reserve(seq.size_hint().unwrap_or(0).min(1 << 20));
                while let Some(term) = seq.next_element::<String>()? {
                    arena.push(&term);
                }
                Ok(arena)
            }
        }
        d.deserialize_seq(ArenaVisitor)
    }
}

/// Model format 5: the fitted vectorizer's arrays (vocabulary and idf) only; its parameters
/// travel by name in the file's JSON settings.
pub struct TfidfArraysIn<'a>(&'a Tfidf);

impl<'a> TfidfArraysIn<'a> {
    /// The arrays of `t`.
    pub fn new(t: &'a Tfidf) -> Self {
        TfidfArraysIn(t)
    }
}

impl Serialize for TfidfArraysIn<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("TfidfArrays", 2)?;
        st.serialize_field("vocabulary", &TermsOut(&self.0.terms))?;
        st.serialize_field("idf", &self.0.idf)?;
        st.end()
    }
}

/// The arrays of a vectorizer decoded from model format 5, to be joined with its parameters
/// (and checked) by [`TfidfArrays::with_params`].
#[derive(Deserialize)]
pub struct TfidfArrays {
    vocabulary: Arena,
    idf: Vec<f32>,
}

impl TfidfArrays {
    /// The vectorizer of these arrays and `params`, checked as [`Tfidf::from_parts`] checks.
    pub fn with_params(self, params: TfidfParams) -> Result<Tfidf> {
        Tfidf::from_arena(params, self.vocabulary, self.idf)
    }
}
