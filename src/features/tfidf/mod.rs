//! Character n-gram tf-idf, bit-for-bit in its semantics with scikit-learn
//! 1.3.2's `TfidfVectorizer(analyzer='char', ngram_range=(min, max))` under
//! default settings (`lowercase=True`, `norm='l2'`, `use_idf=True`,
//! `smooth_idf=True`, `min_df=1`, `max_df=1.0`, no `max_features`); the other
//! analyzers (`char_wb`, `word`: see [`super::analyzer`]) and the vocabulary
//! limits (`min_df`, `max_df`, `max_features`: see [`super::limit`]) follow
//! scikit-learn too.
//!
//! Pipeline per document, as sklearn does it:
//! 1. `str.lower()` (see [`normalize`] for how Rust's lower-casing compares);
//! 2. `re.sub(r"\s\s+", " ", doc)`: every run of two or more whitespace
//!    characters (Python's `str.isspace()` set) becomes one space, while a
//!    lone tab or newline is kept as is;
//! 3. every window of `n` code points for `n` in `min..=max` is a term;
//!    raw counts per document are the term frequencies.
//!
//! The vocabulary is sorted in code point order (sklearn sorts the Python
//! strings; Rust's `str` ordering on UTF-8 is the same order), so a feature
//! index is the term's rank in the sorted training vocabulary.
//! `idf = ln((1 + n_docs) / (1 + df)) + 1`; a row is `tf * idf`, optionally
//! with `tf -> 1 + ln(tf)` (`sublinear_tf`), then scaled to unit L2 norm.
//!
//! # Why n-grams are packed into integers
//! A corpus uses few distinct characters (RuMedDaNet: under 200), so each
//! character gets a small id in code point order and an n-gram of up to
//! `ngram_max` characters becomes one `u64`: ids left-aligned, `bits` bits
//! each, zero-padded. Comparing two such keys compares the n-grams in code
//! point order (a proper prefix sorts first because padding is zero and ids
//! start at 1), so the sorted keys *are* the sorted vocabulary. Hashing,
//! sorting and storing 8-byte integers instead of string slices is what makes
//! fitting RuMedDaNet's 845k-term vocabulary take a fraction of a second and
//! a few MB. When the characters do not fit (`bits * ngram_max > 64`, e.g.
//! more than 255 distinct characters with 8-grams) the vectorizer falls back
//! to string keys; both paths give identical results (tested). Word n-grams
//! always take the string path (their terms are few and a slice of the
//! analysed text each).
//!
//! # Hashed features (`hash_bits`)
//! With `hash_bits = Some(B)` there is no vocabulary: n-gram `g` counts towards column
//! `|murmurhash3_32(utf8(g), seed 0)| mod 2^B` (the signed 32-bit MurmurHash3 x86 result, as
//! scikit-learn's `HashingVectorizer(analyzer='char', n_features=2**B, alternate_sign=False,
//! norm=None)` computes it, `abs(-2^31)` taken as `2^31`), colliding n-grams adding up. Then the
//! same smoothed idf (over the `2^B` columns; a column no document hits gets
//! `ln(1 + n_docs) + 1`) and L2 steps follow, as `TfidfTransformer()` does. Memory is then
//! bounded by `2^B` whatever the corpus, at the price of collisions.
//!
//! # In the model file
//! The parameters are written as the four fields of model format 2 (n-gram range, sublinear
//! tf, hashing), followed, in format 4 (see [`crate::bundle`]) only, by the analyzer and the vocabulary limits. A model
//! whose analyzer and limits are the defaults is written in format 2, byte for byte as before
//! they existed (see [`crate::bundle`]).

mod count;
mod docfreq;
mod encoding;
mod fit;
mod hashing;
mod model;
mod normalize;
mod packed;
#[cfg(test)]
mod packed_tests;
mod params;
mod table;
mod terms;
#[cfg(test)]
mod tests;

pub use crate::features::limit::DocFreq;
pub use docfreq::HashedDocFreq;
pub use encoding::{TfidfArrays, TfidfArraysIn, TfidfIn, TfidfOut};
pub use hashing::{hash_column, murmurhash3_32, tf_idf_raw, HashedCounts};
pub use model::Tfidf;
pub use normalize::{is_py_space, normalize};
pub use params::{TfidfParams, MAX_HASH_BITS};
