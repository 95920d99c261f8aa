//! The model file's format numbers, and the formats as types for the values whose encoding
//! differs between formats ([`crate::features::tfidf::TfidfParams`]: format 4 adds the analyzer
//! and the vocabulary limits). postcard is not self-describing, so a decoder must know which
//! fields a format has: [`crate::bundle`] encodes and decodes through wrappers that name the
//! format as a type parameter ([`Format2`] or [`Format4`]), down to the vectorizer's
//! parameters. Nothing is kept per thread.
//!
//! It sits at the bottom of the crate, below [`crate::features`] and [`crate::bundle`].

/// The newest format version this build reads: format 6, format 5's layout with a union of
/// vectorizer blocks (written only for such models, so that an older build refuses them as
/// a newer format; every other model is written in format 5).
pub const FORMAT_VERSION: u32 = 6;
/// The format of a model with a union of vectorizer blocks (`--model plus`, `--blocks`).
pub const FORMAT_UNION: u32 = 6;
/// The self-describing format.
pub const FORMAT_SELF_DESCRIBING: u32 = 5;
/// The format that adds the vectorizer's analyzer and vocabulary limits to its parameters
/// (format 3's extension follows the payload as in format 3).
pub const FORMAT_VECTORIZER: u32 = 4;
/// The oldest format this build reads (formats 2 to 4 are read by a legacy decoder; format 2
/// had no [`Extension`](crate::bundle::Extension)).
pub const FORMAT_BASE: u32 = 2;

thread_local! {
    static DECODE_ERROR: std::cell::RefCell<Option<String>> =
        const { std::cell::RefCell::new(None) };
}

/// A decoder's own error, kept for the model file's message: postcard replaces every
/// custom serde error by its generic "Serde Deserialization Error", so a type that checks
/// what it decodes (the vectorizer, the CRF reader) reports through here. (An error side
/// channel only: the format itself is passed as a type, [`WireFormat`].)
pub(crate) fn custom<E: serde::de::Error>(msg: impl std::fmt::Display) -> E {
    let msg = msg.to_string();
    let e = E::custom(&msg);
    DECODE_ERROR.with(|d| *d.borrow_mut() = Some(msg));
    e
}

/// Takes the message the last failed decoder left ([`custom`]), if any.
pub(crate) fn take_decode_error() -> Option<String> {
    DECODE_ERROR.with(|d| d.borrow_mut().take())
}

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

/// Why postcard stopped: the decoder's own message when it left one ([`custom`]), else
/// postcard's, where its generic "Serde Deserialization Error" (a value serde refused: an
/// unknown variant, a wrong length) is said in words.
pub(crate) fn decode_reason(e: postcard::Error, kept: Option<String>) -> String {
    match (e, kept) {
        (postcard::Error::SerdeDeCustom, Some(msg)) => msg,
        (postcard::Error::SerdeDeCustom, None) => {
            "a value out of its range (an unknown variant tag or a wrong length)".into()
        }
        (e, _) => e.to_string(),
    }
}
