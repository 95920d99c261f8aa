//! Feature extraction: char n-gram tf-idf for text, token features for the CRF.

pub mod analyzer;
pub mod limit;
pub mod sparse;
pub mod tfidf;
pub mod token;
mod word_chars;
