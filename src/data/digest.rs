//! The SHA-256 of a data file, computed while it is read (so a FIFO or `<(cat f)` works).

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// SHA-256 of every file read to its end by [`records`], by path.
pub(super) static DIGESTS: std::sync::Mutex<Option<std::collections::HashMap<PathBuf, String>>> =
    std::sync::Mutex::new(None);

pub(super) fn digests() -> std::collections::HashMap<PathBuf, String> {
    let g = DIGESTS.lock().unwrap_or_else(|e| e.into_inner());
    g.clone().unwrap_or_default()
}

/// A reader that hashes the bytes passing through and records the digest at the end.
pub(super) struct HashingReader {
    pub(super) inner: File,
    pub(super) path: PathBuf,
    pub(super) hasher: Option<Sha256>,
}

impl HashingReader {
    pub(super) fn new(inner: File, path: &Path) -> Self {
        HashingReader {
            inner,
            path: path.to_path_buf(),
            hasher: Some(Sha256::new()),
        }
    }
}

impl Read for HashingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n > 0 {
            if let Some(h) = &mut self.hasher {
                h.update(&buf[..n]);
            }
        } else if let Some(h) = self.hasher.take() {
            let mut g = DIGESTS.lock().unwrap_or_else(|e| e.into_inner());
            g.get_or_insert_with(Default::default)
                .insert(self.path.clone(), hex::encode(h.finalize()));
        }
        Ok(n)
    }
}
