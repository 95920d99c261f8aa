//! Feature extraction: char n-gram tf-idf for text, token features for the CRF.

pub mod analyzer;
pub mod cost;
pub mod crf_templates;
pub mod limit;
pub mod pair;
pub mod sparse;
pub mod tfidf;
pub mod token;
pub mod union;
mod word_chars;

/// Hands memory that was freed back to the operating system (glibc keeps freed blocks of its
/// thread arenas mapped; a fit's large transient buffers would otherwise stay resident and add
/// to the next stage's peak). Called between the stages of a fit; a no-op elsewhere.
pub(crate) fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap memory to the system; it is thread-safe.
    unsafe {
        libc::malloc_trim(0);
    }
}
