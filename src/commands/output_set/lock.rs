//! The run lock on an output folder (`.rumedbench.lock`), and the folders this process holds.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use anyhow::{anyhow, Context, Result};

/// Folders whose lock this process holds (canonical paths).
static HELD: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

pub(super) fn held() -> MutexGuard<'static, Vec<PathBuf>> {
    HELD.lock().unwrap_or_else(|e| e.into_inner())
}

/// An exclusive lock on a folder's outputs (`.rumedbench.lock` in it), held until dropped.
#[derive(Debug)]
pub struct RunLock {
    _file: File,
    dir: PathBuf,
}

impl RunLock {
    /// Takes the lock, or fails at once with a message naming the folder when another run
    /// holds it.
    pub fn acquire(dir: &Path) -> Result<RunLock> {
        Self::try_acquire(dir)?.ok_or_else(|| {
            anyhow!(
                "another rumedbench run is writing to {} (it holds {}); wait for it to \
                 finish, or choose other output folders",
                dir.display(),
                dir.join(".rumedbench.lock").display()
            )
        })
    }

    /// Takes the lock, or `None` when another run holds it.
    pub(super) fn try_acquire(dir: &Path) -> Result<Option<RunLock>> {
        let path = dir.join(".rumedbench.lock");
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the lock file {}", path.display()))?;
        match file.try_lock() {
            Ok(()) => {
                let dir = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
                held().push(dir.clone());
                Ok(Some(RunLock { _file: file, dir }))
            }
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(e)) => {
                Err(e).with_context(|| format!("cannot lock {}", path.display()))
            }
        }
    }
}

impl Drop for RunLock {
    fn drop(&mut self) {
        let mut h = held();
        if let Some(i) = h.iter().position(|d| d == &self.dir) {
            h.remove(i);
        }
    }
}
