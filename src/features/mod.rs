//! Feature extractors that turn raw texts into model inputs.

pub mod tfidf;
