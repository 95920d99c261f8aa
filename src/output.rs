//! Writing results: JSON lines formatted byte-for-byte like Python's
//! `json.dump(rec, f, ensure_ascii=False)`, and atomic file replacement so a failed run never
//! leaves a half-written file or destroys an earlier result.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

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

/// Writes a run record (`.run.json`, `.tune.json`): pretty JSON and a final newline,
/// atomically (see [`write_atomic`]).
pub fn write_record(path: &Path, record: &serde_json::Value) -> Result<()> {
    write_atomic(path, |w| {
        serde_json::to_writer_pretty(&mut *w, record)?;
        Ok(w.write_all(b"\n")?)
    })
}

/// Writes a file atomically: the content goes to a temporary file in the same directory,
/// which replaces `path` only when `fill` succeeded and the data is flushed.
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

/// Temporary files of this process that a signal handler must remove before exiting. A set
/// being committed holds the lock, so a handler waits until the set is whole.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn pending() -> MutexGuard<'static, Vec<PathBuf>> {
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes this process's temporary files (waiting for a set being committed) and exits with
/// `code`: what Ctrl-C, SIGTERM and SIGHUP do in the command-line tool.
pub fn clean_up_and_exit(code: i32) -> ! {
    let files = pending();
    for f in files.iter() {
        let _ = fs::remove_file(f);
    }
    std::process::exit(code)
}

/// The outputs of one run (predictions, run record, model), replaced together or not at all.
///
/// [`OutputSet::stage`] writes each file to a hidden temporary file beside its target;
/// [`OutputSet::commit`] then keeps a hard-linked backup of each existing target, renames the
/// new files into place in order, and on any failure puts the backups back. A set dropped
/// uncommitted (an error on the way) removes its temporary files; a signal removes them too
/// ([`clean_up_and_exit`]).
#[derive(Debug, Default)]
pub struct OutputSet {
    staged: Vec<(PathBuf, PathBuf)>,
}

fn temp_beside(path: &Path, what: &str) -> Result<PathBuf> {
    let dir = parent_dir(path);
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let name =
        name.ok_or_else(|| crate::Error::Invalid(format!("{} names no file", path.display())))?;
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".rumedbench-{name}."))
        .suffix(what)
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    let (_, p) = tmp.keep().map_err(|e| crate::Error::Stream(e.error))?;
    Ok(p)
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

impl OutputSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes `path`'s new content to a temporary file beside it.
    pub fn stage<F>(&mut self, path: &Path, fill: F) -> Result<()>
    where
        F: FnOnce(&mut dyn Write) -> Result<()>,
    {
        let tmp = {
            let mut files = pending();
            let tmp = temp_beside(path, ".tmp")?;
            files.push(tmp.clone());
            tmp
        };
        self.staged.push((tmp.clone(), path.to_path_buf()));
        let file =
            fs::File::create(&tmp).with_context(|| format!("cannot write {}", tmp.display()))?;
        let mut w = BufWriter::new(&file);
        fill(&mut w).with_context(|| format!("while writing {}", path.display()))?;
        w.flush()
            .with_context(|| format!("cannot write {}", path.display()))?;
        drop(w);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = file.set_permissions(fs::Permissions::from_mode(0o644));
        }
        file.sync_all()
            .with_context(|| format!("cannot flush {}", path.display()))
    }

    /// Replaces every target with its staged file, all or none.
    pub fn commit(mut self) -> Result<()> {
        let staged = std::mem::take(&mut self.staged);
        let mut files = pending();
        let mut backups: Vec<Option<PathBuf>> = Vec::new();
        let mut result = Ok(());
        for (_, target) in &staged {
            match backup(target) {
                Ok(b) => {
                    if let Some(b) = &b {
                        files.push(b.clone());
                    }
                    backups.push(b);
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        let mut done = 0;
        if result.is_ok() {
            for (tmp, target) in &staged {
                if let Err(e) = fs::rename(tmp, target) {
                    result = Err(e).with_context(|| format!("cannot replace {}", target.display()));
                    break;
                }
                done += 1;
            }
        }
        if result.is_err() {
            // Put the earlier set back.
            for ((_, target), b) in staged.iter().zip(&backups).take(done) {
                let _ = match b {
                    Some(b) => fs::rename(b, target),
                    None => fs::remove_file(target),
                };
            }
        }
        for (tmp, _) in &staged {
            let _ = fs::remove_file(tmp);
        }
        for b in backups.iter().flatten() {
            let _ = fs::remove_file(b);
        }
        let ours: Vec<&PathBuf> = staged
            .iter()
            .map(|s| &s.0)
            .chain(backups.iter().flatten())
            .collect();
        files.retain(|f| !ours.contains(&f));
        result
    }
}

/// A hard link to `target` under a temporary name (copied where links are not possible), or
/// `None` when there is no earlier file.
fn backup(target: &Path) -> Result<Option<PathBuf>> {
    if fs::symlink_metadata(target).is_err() {
        return Ok(None);
    }
    if target.is_dir() {
        return Err(crate::Error::Invalid(format!(
            "{} is a folder, not a file that can be replaced",
            target.display()
        )));
    }
    let b = temp_beside(target, ".bak")?;
    fs::remove_file(&b).with_context(|| format!("cannot prepare {}", b.display()))?;
    if fs::hard_link(target, &b).is_err() {
        fs::copy(target, &b).with_context(|| format!("cannot back up {}", target.display()))?;
    }
    Ok(Some(b))
}

impl Drop for OutputSet {
    fn drop(&mut self) {
        if self.staged.is_empty() {
            return;
        }
        let mut files = pending();
        for (tmp, _) in self.staged.drain(..) {
            let _ = fs::remove_file(&tmp);
            files.retain(|f| f != &tmp);
        }
    }
}

/// Checks before any work that `dir` is (or can be made) a folder this process can write in:
/// a path through a file, a read-only folder or a full disk is an error naming the folder.
pub fn check_output_dir(dir: &Path, what: &str) -> Result<()> {
    for a in dir.ancestors().filter(|a| !a.as_os_str().is_empty()) {
        if fs::metadata(a).is_ok_and(|m| !m.is_dir()) {
            return Err(crate::Error::Invalid(format!(
                "{what} {}: {} is a file, not a folder",
                dir.display(),
                a.display()
            )));
        }
    }
    fs::create_dir_all(dir)
        .with_context(|| format!("{what} {}: cannot create it", dir.display()))?;
    tempfile::Builder::new()
        .prefix(".rumedbench-check.")
        .tempfile_in(dir)
        .map(drop)
        .with_context(|| format!("{what} {}: cannot write in it", dir.display()))
}

/// An exclusive lock on a folder's outputs (`.rumedbench.lock` in it), held until dropped.
#[derive(Debug)]
pub struct RunLock {
    _file: fs::File,
}

impl RunLock {
    /// Takes the lock, or fails at once with a message naming the folder when another run
    /// holds it.
    pub fn acquire(dir: &Path) -> Result<RunLock> {
        let path = dir.join(".rumedbench.lock");
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => Ok(RunLock { _file: file }),
            Err(fs::TryLockError::WouldBlock) => Err(crate::Error::Invalid(format!(
                "another rumedbench run is writing to {} (it holds {}); wait for it to \
                 finish, or choose other output folders",
                dir.display(),
                path.display()
            ))),
            Err(fs::TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
    }
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
