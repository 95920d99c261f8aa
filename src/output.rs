//! Writing results: JSON lines formatted byte-for-byte like Python's
//! `json.dump(rec, f, ensure_ascii=False)`, and atomic file replacement so a failed write never
//! leaves a half-written file or destroys an earlier one ([`write_atomic`], which
//! [`crate::Bundle::save`] uses).
//!
//! The library neither installs signal handlers nor exits the process: the command line's
//! output sets, run locks, crash recovery and signal clean-up live on its side
//! (`rumedbench::commands::output_set`, feature `cli`).

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::error::{Context, Result};
use serde::Serialize;
use serde_json::ser::Formatter;

/// serde_json's compact output with Python's default separators (`", "` and `": "`), so our
/// prediction files look exactly like upstream's. serde_json already leaves non-ASCII
/// unescaped, like `ensure_ascii=False`.
#[derive(Debug, Default, Clone, Copy)]
pub struct PythonFormatter;

impl Formatter for PythonFormatter {
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            w.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            w.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }
}

/// Writes `value` as one Python-style JSON line.
pub fn write_json_line<W: Write + ?Sized, T: Serialize + ?Sized>(
    w: &mut W,
    value: &T,
) -> Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(&mut *w, PythonFormatter);
    value
        .serialize(&mut ser)
        .context("cannot serialise a record")?;
    w.write_all(b"\n")?;
    Ok(())
}

/// Writes a file atomically: the content goes to a temporary file in the same directory,
/// which replaces `path` only when `fill` succeeded and the data is flushed. The temporary
/// file carries an advisory lock while it is written, so the command line's recovery of a
/// folder (which removes temporary files of dead processes) leaves it alone.
pub fn write_atomic<F>(path: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> Result<()>,
{
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = tempfile::Builder::new()
        .prefix(".rumedbench-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    let _ = tmp.as_file().try_lock();
    {
        let mut w = BufWriter::new(tmp.as_file());
        fill(&mut w).with_context(|| format!("while writing {}", path.display()))?;
        w.flush()
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    // tempfile creates files readable by the owner only; results are ordinary files.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = tmp
            .as_file()
            .set_permissions(fs::Permissions::from_mode(0o644));
    }
    tmp.as_file()
        .sync_all()
        .with_context(|| format!("cannot flush {}", path.display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot replace {}", path.display()))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn matches_python_json_dump() {
        let mut buf = Vec::new();
        // Python: json.dumps({"idx": "q1", "code": "I11", "prediction": ["M54", "Ж\"\n"]},
        //                     ensure_ascii=False)
        let v = json!({"idx": "q1", "code": "I11", "prediction": ["M54", "Ж\"\n"]});
        write_json_line(&mut buf, &v).unwrap();
        assert_eq!(
            String::from_utf8(buf).unwrap(),
            "{\"idx\": \"q1\", \"code\": \"I11\", \"prediction\": [\"M54\", \"Ж\\\"\\n\"]}\n"
        );
    }

    #[test]
    fn failed_write_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.jsonl");
        write_atomic(&p, |w| Ok(w.write_all(b"old\n")?)).unwrap();
        let err = write_atomic(&p, |w| {
            w.write_all(b"half")?;
            crate::error::bail!("boom")
        });
        assert!(err.is_err());
        assert_eq!(fs::read_to_string(&p).unwrap(), "old\n");
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "temporary file left behind");
    }
}
