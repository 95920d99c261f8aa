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
pub const FORMAT_VERSION: u32 = 4;
/// The format that adds the vectorizer's analyzer and vocabulary limits to its parameters
/// (format 3's extension follows the payload as in format 3).
pub const FORMAT_VECTORIZER: u32 = 4;
/// The oldest format this build reads, and the one it writes when there is no [`Extension`](crate::bundle::Extension).
pub const FORMAT_BASE: u32 = 2;

thread_local! {
    static FORMAT: Cell<u32> = const { Cell::new(FORMAT_VERSION) };
    static NEEDED: Cell<u32> = const { Cell::new(0) };
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
