//! The model file's format numbers, and the formats as types for the values whose encoding
//! differs between formats ([`crate::features::tfidf::TfidfParams`]: format 4 adds the analyzer
//! and the vocabulary limits). postcard is not self-describing, so a decoder must know which
//! fields a format has: [`crate::bundle`] encodes and decodes through wrappers that name the
//! format as a type parameter ([`Format2`] or [`Format4`]), down to the vectorizer's
//! parameters. Nothing is kept per thread: parts that check what they decode are decoded
//! unchecked and checked afterwards, so their messages never pass through postcard.
//!
//! It sits at the bottom of the crate, below [`crate::features`] and [`crate::bundle`].

/// The newest format version this build reads: format 6 ([`FORMAT_EXTENDED`]).
pub const FORMAT_VERSION: u32 = 6;
/// Format 5's layout whose settings hold what a format-5 reader would ignore and then predict
/// wrongly without: a union of vectorizer blocks (`--model plus`, `--blocks`) or a CRF's
/// feature templates other than the paper's. Only such files are written as format 6, so
/// older builds refuse them as "newer" and still read every other model file.
pub const FORMAT_EXTENDED: u32 = 6;
/// The format of a model with a union of vectorizer blocks ([`FORMAT_EXTENDED`]).
pub const FORMAT_UNION: u32 = FORMAT_EXTENDED;
/// The format of a CRF with feature templates other than the paper's ([`FORMAT_EXTENDED`]).
pub const FORMAT_CRF_TEMPLATES: u32 = FORMAT_EXTENDED;
/// The self-describing format, the one this build writes for every other model: its settings
/// are a JSON object by name beside the postcard-encoded arrays (see `crate::bundle`'s
/// format-5 module).
pub const FORMAT_SELF_DESCRIBING: u32 = 5;
/// The format that adds the vectorizer's analyzer and vocabulary limits to its parameters
/// (format 3's extension follows the payload as in format 3).
pub const FORMAT_VECTORIZER: u32 = 4;
/// The oldest format this build reads (formats 2 to 4 are read by a legacy decoder; format 2
/// had no [`Extension`](crate::bundle::Extension)).
pub const FORMAT_BASE: u32 = 2;

/// A model-file format, as a type: what differs in the encoding of its values.
pub trait WireFormat: 'static {
    /// Whether the vectorizer's parameters carry the analyzer and the vocabulary limits
    /// (format 4 on).
    const VECTORIZER_EXTENSION: bool;
}

/// Formats 2 and 3 (they encode every value alike; format 3 only appends an extension).
#[derive(Debug)]
pub enum Format2 {}

/// Format 4.
#[derive(Debug)]
pub enum Format4 {}

impl WireFormat for Format2 {
    const VECTORIZER_EXTENSION: bool = false;
}

impl WireFormat for Format4 {
    const VECTORIZER_EXTENSION: bool = true;
}

/// Why postcard stopped, where its generic "Serde Deserialization Error" (a value serde
/// refused: an unknown variant, a wrong length) is said in words. (Parts that check what they
/// decode, the vectorizer and the CRF, are decoded unchecked and checked afterwards, so their
/// own messages never pass through postcard.)
pub(crate) fn decode_reason(e: postcard::Error) -> String {
    match e {
        postcard::Error::SerdeDeCustom => {
            "a value out of its range (an unknown variant tag or a wrong length)".into()
        }
        e => e.to_string(),
    }
}
