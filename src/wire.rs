//! The model file's format numbers, and the format being encoded or decoded on this thread,
//! for the types whose encoding differs between formats ([`crate::features::tfidf::TfidfParams`]). postcard is not self-describing,
//! so a decoder must know which fields a format has.
//!
//! It sits at the bottom of the crate, below [`crate::features`] (whose vectorizer parameters
//! encode differently in format 4) and [`crate::bundle`] (which writes and reads the formats and
//! sets the format for the duration of one encoding or decoding, see [`with`]).

use std::cell::Cell;

/// The newest format version this build writes and reads (single-label models are written as
/// [`FORMAT_BASE`]).
pub const FORMAT_VERSION: u32 = 5;
/// The format that adds a single-label binary model's positive label and threshold after
/// format 3's extension (written only for such a model).
pub const FORMAT_BINARY: u32 = 5;
/// The format that adds the vectorizer's analyzer and vocabulary limits to its parameters
/// (format 3's extension follows the payload as in format 3).
pub const FORMAT_VECTORIZER: u32 = 4;
/// The oldest format this build reads, and the one it writes when there is no [`Extension`](crate::bundle::Extension).
pub const FORMAT_BASE: u32 = 2;

thread_local! {
    static FORMAT: Cell<u32> = const { Cell::new(FORMAT_VERSION) };
    static NEEDED: Cell<u32> = const { Cell::new(0) };
    static DECODE_ERROR: std::cell::RefCell<Option<String>> =
        const { std::cell::RefCell::new(None) };
}

/// A decoder's own error, kept for the model file's message: postcard replaces every
/// custom serde error by its generic "Serde Deserialization Error", so a type that checks
/// what it decodes (the vectorizer, the CRF reader) reports through here.
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

/// The format being encoded or decoded (outside a model file: the newest).
pub(crate) fn format() -> u32 {
    FORMAT.with(Cell::get)
}

/// Records that the value being encoded needs at least `version`.
pub(crate) fn needs(version: u32) {
    NEEDED.with(|n| n.set(n.get().max(version)));
}

/// Runs `f` encoding or decoding `version`; returns its result and the newest format a
/// value met on the way needed (0 if none asked).
pub(crate) fn with<R>(version: u32, f: impl FnOnce() -> R) -> (R, u32) {
    let old_format = FORMAT.with(|c| c.replace(version));
    let old_needed = NEEDED.with(|c| c.replace(0));
    let r = f();
    let needed = NEEDED.with(|c| c.replace(old_needed));
    FORMAT.with(|c| c.set(old_format));
    (r, needed)
}
