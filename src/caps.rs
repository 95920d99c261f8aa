//! Size caps of every read of a whole file, checked before reading: a regular file by its size,
//! anything else (a FIFO, `/dev/zero`) by reading at most one byte past the cap. It sits at the
//! bottom of the crate (it needs only [`crate::error`]) so the task file, the data readers and
//! the model file all use it.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// The most bytes a file read whole may have (64 MiB): a task file, a run record, a submission
/// zip and each of its members, a prediction file compared whole. Checked before reading (a
/// regular file by its size, a FIFO or device such as `/dev/zero` by reading at most one byte
/// past it), so such a file is an error naming the cap, never unbounded memory.
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// The most bytes a model file may have (4 GiB; models of large corpora reach hundreds of MB).
pub const MAX_MODEL_BYTES: u64 = 4 << 30;

/// A cap as people say it: `64 MiB`, `4 GiB`.
pub fn cap_text(cap: u64) -> String {
    if cap >= 1 << 30 && cap.is_multiple_of(1 << 30) {
        format!("{} GiB", cap >> 30)
    } else if cap >= 1 << 20 && cap.is_multiple_of(1 << 20) {
        format!("{} MiB", cap >> 20)
    } else {
        format!("{cap} bytes")
    }
}

/// The error for a file over `cap`: "... is over the 64 MiB cap for a task file".
pub fn over_cap(path: &Path, size: Option<u64>, cap: u64, what: &str) -> Error {
    let size = match size {
        Some(n) => format!("{n} bytes"),
        None => format!("more than {}", cap_text(cap)),
    };
    Error::input(
        path,
        None,
        None,
        format!(
            "the file ({size}) is over the {} cap for {what}",
            cap_text(cap)
        ),
    )
}

/// Reads a whole file of at most `cap` bytes; `what` names the kind of file in the error
/// (`"a task file"`). A regular file is measured before a byte is read; anything else (a FIFO,
/// `/dev/zero`) is read up to one byte past the cap and refused there.
pub fn read_capped(path: &Path, cap: u64, what: &str) -> Result<Vec<u8>> {
    let f = File::open(path).map_err(|e| Error::io("cannot open", path, e))?;
    read_capped_from(f, path, cap, what)
}

/// [`read_capped`] on a file already open.
pub fn read_capped_from(f: File, path: &Path, cap: u64, what: &str) -> Result<Vec<u8>> {
    let meta = f
        .metadata()
        .map_err(|e| Error::io("cannot read", path, e))?;
    if meta.is_file() && meta.len() > cap {
        return Err(over_cap(path, Some(meta.len()), cap, what));
    }
    let mut bytes = Vec::new();
    f.take(cap.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io("cannot read", path, e))?;
    if bytes.len() as u64 > cap {
        return Err(over_cap(path, None, cap, what));
    }
    Ok(bytes)
}

/// [`read_capped`] as UTF-8 text; invalid UTF-8 is an error naming the file.
pub fn read_capped_string(path: &Path, cap: u64, what: &str) -> Result<String> {
    String::from_utf8(read_capped(path, cap, what)?).map_err(|e| {
        Error::input(
            path,
            None,
            None,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}
