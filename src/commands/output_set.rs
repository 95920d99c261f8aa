//! How the command line writes its outputs: a run's files (predictions, run record, model) as
//! one crash-consistent set, the run lock on an output folder, recovery of a set that a killed
//! run left half-committed, single files replaced atomically, and the registry of temporary
//! files that Ctrl-C, SIGTERM and SIGHUP remove before the process exits.
//!
//! The library neither installs signal handlers nor exits the process: this module holds the
//! registry and [`clean_up_and_exit`], and `main.rs` installs the handler that calls it.
//!
//! # The commit protocol
//!
//! [`OutputSet::stage`] writes each new file to a hidden temporary file beside its target
//! (`.rumedbench-<name>.<random>.tmp`, flushed and fsynced). [`OutputSet::commit`] then
//!
//! 1. keeps a hard-linked backup of every existing target (`.rumedbench-<name>.<random>.bak`);
//! 2. writes a journal (`.rumedbench-journal.<id>.json`) listing every target, its staged file
//!    and its backup into **each** folder the set touches — the first folder's copy (the
//!    *primary*) first — fsyncing each copy and its folder;
//! 3. renames the staged files over their targets, then fsyncs the folders;
//! 4. deletes the primary journal: the commit point; then the other copies and the backups.
//!
//! A run killed at any point leaves the old set, the new set, or — between steps 2 and 4 — a
//! mix with the primary journal still present. Whoever next touches any folder of the set
//! ([`recover`], called by every command that reads or writes an output folder) rolls it back:
//! if the primary journal exists, every backup is renamed over its target and every target that
//! did not exist before is removed; if it is gone, the commit point was passed and only the
//! leftover backups and journal copies are removed. Temporary files of dead runs are removed
//! too (a live process keeps an advisory lock on each of its temporary files, so a reader never
//! removes a file that is being written).
//!
//! `RUMEDBENCH_FAULT` is a fault-injection hook for tests: `kill-at:commit-step:N` makes the
//! process SIGKILL itself at step N of the writing (every staged write, backup link, journal
//! write, folder fsync, rename and deletion counts one step); `pause-at:temp-written` makes it
//! stop (until a signal ends it) once its first temporary file is written; `trace` lists the
//! steps on stderr.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use anyhow::{anyhow, bail, Context, Result};
use serde::{Deserialize, Serialize};

mod fault;
mod lock;
use fault::{step, temp_written};
use lock::held;
pub use lock::RunLock;

// ---------------------------------------------------------------------------------------------
// The registry of temporary files, for the signal handler.

/// Temporary files of this process that a signal handler must remove before exiting. A set
/// being committed (or recovered) holds the lock, so a handler waits until the set is whole.
static PENDING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn pending() -> MutexGuard<'static, Vec<PathBuf>> {
    PENDING.lock().unwrap_or_else(|e| e.into_inner())
}

/// Removes this process's temporary files (waiting for a set being committed) and exits with
/// `code`: what Ctrl-C, SIGTERM and SIGHUP do in the command-line tool (`main.rs` installs it).
pub fn clean_up_and_exit(code: i32) -> ! {
    let files = pending();
    for f in files.iter() {
        if f.is_dir() {
            let _ = fs::remove_dir_all(f);
        } else {
            let _ = fs::remove_file(f);
        }
    }
    std::process::exit(code)
}

/// The process's scratch folder in the system's temporary folder, where the library's own
/// temporary files go (CRFsuite writes its model to a named file while training): created
/// at start, made `TMPDIR`, registered so that Ctrl-C, SIGTERM and SIGHUP remove it with
/// everything in it, and removed when dropped.
#[derive(Debug)]
pub struct ScratchDir {
    dir: Option<tempfile::TempDir>,
}

impl ScratchDir {
    /// Creates the folder and points `TMPDIR` at it; call it before any thread that reads
    /// the environment starts. Where it cannot be created, temporary files go where they
    /// did (the system's temporary folder) and nothing else changes.
    pub fn enter() -> ScratchDir {
        let dir = tempfile::Builder::new()
            .prefix("rumedbench-scratch-")
            .tempdir()
            .ok();
        if let Some(d) = &dir {
            pending().push(d.path().to_path_buf());
            // Edition 2021: `set_var` is safe to call; no other thread reads the environment
            // yet (the signal handler's thread does not).
            std::env::set_var("TMPDIR", d.path());
        }
        ScratchDir { dir }
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        if let Some(d) = self.dir.take() {
            let path = d.path().to_path_buf();
            let _ = d.close();
            pending().retain(|f| f != &path);
        }
    }
}

fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// fsyncs a folder, so the names created, renamed or removed in it are on disk (best effort:
/// some platforms and file systems cannot sync a folder).
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// A hidden temporary file beside its target, registered for the signal handler and locked
/// (an advisory lock, released when the process dies) so that recovery in another process
/// leaves it alone while this process lives.
#[derive(Debug)]
struct Temp {
    path: PathBuf,
    file: Option<File>,
}

impl Temp {
    /// Creates `.rumedbench-<name>.<random><suffix>` beside `target`.
    fn beside(target: &Path, suffix: &str) -> Result<Temp> {
        let dir = parent_dir(target);
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| anyhow!("{} names no file", target.display()))?;
        // Created and registered under the registry's lock: a signal either comes before the
        // file exists or finds it registered.
        let mut files = pending();
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".rumedbench-{name}."))
            .suffix(suffix)
            .tempfile_in(dir)
            .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
        let (file, path) = tmp.keep().map_err(|e| e.error)?;
        let _ = file.try_lock();
        files.push(path.clone());
        Ok(Temp {
            path,
            file: Some(file),
        })
    }

    /// Writes the content of `target` with `fill`, flushes it to disk and makes the file an
    /// ordinary 0644 one (tempfile creates files readable by the owner only).
    fn fill<F>(&self, target: &Path, fill: F) -> Result<()>
    where
        F: FnOnce(&mut dyn Write) -> crate::Result<()>,
    {
        let file = self.file.as_ref().expect("an open temporary file");
        let mut w = BufWriter::new(file);
        fill(&mut w).with_context(|| format!("while writing {}", target.display()))?;
        w.flush()
            .with_context(|| format!("cannot write {}", target.display()))?;
        drop(w);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = file.set_permissions(fs::Permissions::from_mode(0o644));
        }
        file.sync_all()
            .with_context(|| format!("cannot flush {}", target.display()))?;
        temp_written(&self.path);
        Ok(())
    }

    /// Renames the file over `target` (atomically) and forgets it.
    fn persist(mut self, target: &Path) -> Result<()> {
        let mut files = pending();
        // Windows cannot rename an open file; elsewhere the file stays open (and locked) until
        // it has its final name.
        #[cfg(not(unix))]
        {
            self.file = None;
        }
        fs::rename(&self.path, target)
            .with_context(|| format!("cannot replace {}", target.display()))?;
        self.disarm(&mut files);
        Ok(())
    }

    /// Closes the file (releasing its lock) and takes it off the registry (`files`, the locked
    /// registry) without removing it: it was renamed, or belongs to a journal now.
    fn disarm(&mut self, files: &mut Vec<PathBuf>) {
        self.file = None;
        files.retain(|f| f != &self.path);
        self.path = PathBuf::new();
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if self.path.as_os_str().is_empty() {
            return;
        }
        let mut files = pending();
        let _ = fs::remove_file(&self.path);
        self.disarm(&mut files);
    }
}

/// Writes a file atomically: the content goes to a registered temporary file beside `path`
/// (removed by Ctrl-C, SIGTERM and SIGHUP), which replaces `path` only when `fill` succeeded
/// and the data is on disk.
pub fn write_atomic<F>(path: &Path, fill: F) -> Result<()>
where
    F: FnOnce(&mut dyn Write) -> crate::Result<()>,
{
    let tmp = Temp::beside(path, ".tmp")?;
    tmp.fill(path, fill)?;
    tmp.persist(path)
}

/// Writes a file atomically through a writer that needs a path (a PNG encoder): `draw`
/// writes to a registered temporary path ending in `suffix`, which then replaces `path`.
pub fn write_atomic_via_path<F>(path: &Path, suffix: &str, draw: F) -> Result<()>
where
    F: FnOnce(&Path) -> Result<()>,
{
    let tmp = Temp::beside(path, suffix)?;
    draw(&tmp.path).with_context(|| format!("while writing {}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = fs::set_permissions(&tmp.path, fs::Permissions::from_mode(0o644));
    }
    File::open(&tmp.path)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("cannot flush {}", path.display()))?;
    temp_written(&tmp.path);
    tmp.persist(path)
}

// ---------------------------------------------------------------------------------------------
// The output set.

/// The outputs of one run (predictions, run record, model), replaced together or not at all,
/// even when the process is killed (see the module's documentation).
#[derive(Debug, Default)]
pub struct OutputSet {
    staged: Vec<(Temp, PathBuf)>,
}

impl OutputSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes `path`'s new content to a temporary file beside it.
    pub fn stage<F>(&mut self, path: &Path, fill: F) -> Result<()>
    where
        F: FnOnce(&mut dyn Write) -> crate::Result<()>,
    {
        if path.is_dir() {
            bail!(
                "{} is a folder, not a file that can be replaced",
                path.display()
            );
        }
        let tmp = Temp::beside(path, ".tmp")?;
        tmp.fill(path, fill)?;
        step("write", &tmp.path);
        self.staged.push((tmp, path.to_path_buf()));
        Ok(())
    }

    /// Replaces every target with its staged file, all or none (see the module's
    /// documentation for what happens when the process dies on the way).
    pub fn commit(mut self) -> Result<()> {
        let staged = std::mem::take(&mut self.staged);
        // Held to the end: a signal waits until the set is whole.
        let mut files = pending();
        let mut entries = Vec::new();
        let mut folders: Vec<PathBuf> = Vec::new();
        let mut backups = Vec::new();
        let result = (|| -> Result<()> {
            for (tmp, target) in &staged {
                let dir = fs::canonicalize(parent_dir(target))
                    .with_context(|| format!("cannot find the folder of {}", target.display()))?;
                let folder = match folders.iter().position(|f| f == &dir) {
                    Some(i) => i,
                    None => {
                        folders.push(dir.clone());
                        folders.len() - 1
                    }
                };
                let backup = backup(target)?;
                if let Some(b) = &backup {
                    files.push(b.clone());
                    backups.push(b.clone());
                    step("link", b);
                }
                entries.push(Entry {
                    folder,
                    target: file_name(target)?,
                    staged: file_name(&tmp.path)?,
                    backup: backup.as_deref().map(file_name).transpose()?,
                });
            }
            Ok(())
        })();
        let remove_backups = |files: &mut Vec<PathBuf>| {
            for b in &backups {
                if fs::remove_file(b).is_ok() {
                    step("remove", b);
                }
                files.retain(|f| f != b);
            }
        };
        if let Err(e) = result {
            remove_backups(&mut files);
            drop(files);
            return Err(e);
        }
        let journal = Journal {
            rumedbench_journal: 1,
            this: 0,
            folders,
            entries,
        };
        let name = journal_name();
        if let Err(e) = journal.write_copies(&name) {
            journal.remove_copies(&name, None);
            remove_backups(&mut files);
            drop(files);
            return Err(e);
        }
        for (tmp, target) in &staged {
            if let Err(e) = fs::rename(&tmp.path, target) {
                let err = Err(e).with_context(|| format!("cannot replace {}", target.display()));
                return match journal.roll_back(None) {
                    Ok(()) => {
                        journal.remove_copies(&name, None);
                        remove_backups(&mut files);
                        drop(files);
                        err
                    }
                    Err(e2) => {
                        // The journal stays: the next command on these folders finishes the
                        // roll-back.
                        files.retain(|f| !backups.contains(f));
                        drop(files);
                        err.with_context(|| format!("and putting the earlier files back: {e2:#}"))
                    }
                };
            }
            step("rename", target);
        }
        for f in &journal.folders {
            sync_dir(f);
            step("sync", f);
        }
        // The commit point, then the leftovers.
        journal.remove_copies(&name, None);
        remove_backups(&mut files);
        for (mut tmp, _) in staged {
            // Renamed over its target: nothing left to remove.
            tmp.disarm(&mut files);
        }
        Ok(())
    }
}

fn file_name(path: &Path) -> Result<String> {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| anyhow!("{} names no file", path.display()))
}

/// A hard link to `target` under a temporary name (copied where links are not possible), or
/// `None` when there is no earlier file.
fn backup(target: &Path) -> Result<Option<PathBuf>> {
    if fs::symlink_metadata(target).is_err() {
        return Ok(None);
    }
    if target.is_dir() {
        bail!(
            "{} is a folder, not a file that can be replaced",
            target.display()
        );
    }
    let dir = parent_dir(target);
    let name = file_name(target)?;
    let b = tempfile::Builder::new()
        .prefix(&format!(".rumedbench-{name}."))
        .suffix(".bak")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    let (_, b) = b.keep().map_err(|e| e.error)?;
    fs::remove_file(&b).with_context(|| format!("cannot prepare {}", b.display()))?;
    if fs::hard_link(target, &b).is_err() {
        fs::copy(target, &b).with_context(|| format!("cannot back up {}", target.display()))?;
    }
    Ok(Some(b))
}

impl Drop for OutputSet {
    fn drop(&mut self) {
        // An uncommitted set: each Temp removes its file.
        self.staged.clear();
    }
}

// ---------------------------------------------------------------------------------------------
// The journal.

/// One file of a set being committed.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    /// Index into [`Journal::folders`].
    folder: usize,
    /// The target's file name.
    target: String,
    /// The staged file's name.
    staged: String,
    /// The backup's name; none when the target did not exist.
    backup: Option<String>,
}

/// What a commit is doing, written into every folder of the set before the first rename.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Journal {
    /// The format's version.
    rumedbench_journal: u32,
    /// Which of `folders` this copy lies in (the copy in folder 0 is the primary).
    this: usize,
    /// The set's folders, absolute, as they were when the set was committed.
    folders: Vec<PathBuf>,
    entries: Vec<Entry>,
}

const JOURNAL_PREFIX: &str = ".rumedbench-journal.";

/// A journal name no other commit uses: `.rumedbench-journal.<pid>-<nanos>-<n>.json`.
fn journal_name() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "{JOURNAL_PREFIX}{}-{nanos}-{}.json",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    )
}

impl Journal {
    /// Folder `i` as seen from the copy found in `here` (the copy's own folder is wherever it
    /// is now; the others are where they were).
    fn folder<'a>(&'a self, i: usize, here: Option<&'a Path>) -> &'a Path {
        match here {
            Some(h) if i == self.this => h,
            _ => &self.folders[i],
        }
    }

    /// Writes a copy into every folder, the primary first, each fsynced with its folder.
    fn write_copies(&self, name: &str) -> Result<()> {
        for (i, dir) in self.folders.iter().enumerate() {
            let path = dir.join(name);
            let copy = Journal {
                this: i,
                ..self.clone()
            };
            let mut bytes = serde_json::to_vec_pretty(&copy).with_context(|| {
                format!(
                    "cannot write the journal {} (folder names must be UTF-8)",
                    path.display()
                )
            })?;
            bytes.push(b'\n');
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .with_context(|| format!("cannot write the journal {}", path.display()))?;
            f.write_all(&bytes)
                .and_then(|()| f.sync_all())
                .with_context(|| format!("cannot write the journal {}", path.display()))?;
            step("journal", &path);
            sync_dir(dir);
            step("sync", dir);
        }
        Ok(())
    }

    /// Removes the copies, the primary first (the commit point of a commit, the end of a
    /// roll-back).
    fn remove_copies(&self, name: &str, here: Option<&Path>) {
        for i in 0..self.folders.len() {
            let dir = self.folder(i, here);
            let path = dir.join(name);
            if fs::remove_file(&path).is_ok() {
                step("remove", &path);
                if i == 0 {
                    sync_dir(dir);
                    step("sync", dir);
                }
            }
        }
    }

    /// Puts the earlier set back: each backup over its target, each target that did not exist
    /// before removed, each staged file removed. Repeatable: a roll-back cut short by a kill is
    /// finished by the next.
    fn roll_back(&self, here: Option<&Path>) -> Result<()> {
        for e in &self.entries {
            let dir = self.folder(e.folder, here);
            let target = dir.join(&e.target);
            match &e.backup {
                Some(b) => {
                    let b = dir.join(b);
                    if fs::symlink_metadata(&b).is_ok() {
                        // A backup that is still the target itself (no rename happened)
                        // leaves rename with nothing to do: remove it then.
                        fs::rename(&b, &target).with_context(|| {
                            format!("cannot put {} back from {}", target.display(), b.display())
                        })?;
                        let _ = fs::remove_file(&b);
                    }
                    // No backup: it was put back already.
                }
                None => match fs::remove_file(&target) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(e)
                            .with_context(|| format!("cannot remove {}", target.display()))
                    }
                },
            }
            let staged = dir.join(&e.staged);
            let _ = fs::remove_file(&staged);
        }
        for i in 0..self.folders.len() {
            sync_dir(self.folder(i, here));
        }
        Ok(())
    }

    /// The names this journal's commit created in folder `i` (staged files and backups).
    fn leftovers_in(&self, i: usize) -> impl Iterator<Item = &str> {
        self.entries
            .iter()
            .filter(move |e| e.folder == i)
            .flat_map(|e| std::iter::once(e.staged.as_str()).chain(e.backup.as_deref()))
    }
}

// ---------------------------------------------------------------------------------------------
// Locks and recovery.

/// Checks before any work that `dir` is (or can be made) a folder this process can write in:
/// a path through a file, a read-only folder or a full disk is an error naming the folder.
pub fn check_output_dir(dir: &Path, what: &str) -> Result<()> {
    for a in dir.ancestors().filter(|a| !a.as_os_str().is_empty()) {
        if fs::metadata(a).is_ok_and(|m| !m.is_dir()) {
            bail!(
                "{what} {}: {} is a file, not a folder",
                dir.display(),
                a.display()
            );
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

/// What [`recover`] found and did in a folder.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// Sets put back to their earlier files (a run killed between its first rename and its
    /// commit point).
    pub rolled_back: usize,
    /// Sets whose commit had passed its commit point (only leftovers removed).
    pub completed: usize,
    /// Temporary files, backups and journal copies of dead runs removed.
    pub removed: usize,
}

/// Whether `name` is one of the files this module leaves beside outputs (not the lock).
fn ours(name: &str) -> bool {
    name.starts_with(".rumedbench-")
}

/// Recovers folder `dir`, whose lock this process holds: finishes (rolls back or completes)
/// every set a dead run left half-committed in it, then removes the temporary files and
/// backups of dead runs. Folders of a set other than `dir` are locked for the time of the
/// roll-back; an error when another run holds one.
pub fn recover(dir: &Path) -> Result<Recovery> {
    let mut report = Recovery::default();
    let Ok(listing) = fs::read_dir(dir) else {
        return Ok(report);
    };
    let mut names: Vec<String> = listing
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| ours(n))
        .collect();
    if names.is_empty() {
        return Ok(report);
    }
    names.sort();
    // A signal waits for the recovery to finish.
    let _registry = pending();
    let here = fs::canonicalize(dir).with_context(|| format!("cannot open {}", dir.display()))?;
    for name in names.iter().filter(|n| n.starts_with(JOURNAL_PREFIX)) {
        let path = here.join(name);
        let journal = fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<Journal>(&b).ok())
            .filter(|j| {
                j.this < j.folders.len() && j.entries.iter().all(|e| e.folder < j.folders.len())
            });
        let Some(journal) = journal else {
            // Cut short while being written: no rename had happened yet.
            if fs::remove_file(&path).is_ok() {
                report.removed += 1;
            }
            continue;
        };
        let primary_dir = journal.folder(0, Some(&here)).to_path_buf();
        let primary = primary_dir.join(name);
        if fs::symlink_metadata(&primary).is_ok() {
            // Lock the set's other folders for the roll-back.
            let mut locks = Vec::new();
            for i in 0..journal.folders.len() {
                let d = journal.folder(i, Some(&here));
                let canon = fs::canonicalize(d).unwrap_or_else(|_| d.to_path_buf());
                if canon == here || held().contains(&canon) || !d.is_dir() {
                    continue;
                }
                match RunLock::try_acquire(d)? {
                    Some(l) => locks.push(l),
                    None => bail!(
                        "cannot finish the interrupted run recorded in {}: another rumedbench \
                         run is writing to {}",
                        path.display(),
                        d.display()
                    ),
                }
            }
            journal.roll_back(Some(&here)).with_context(|| {
                format!(
                    "cannot put back the earlier outputs recorded in {}",
                    path.display()
                )
            })?;
            journal.remove_copies(name, Some(&here));
            report.rolled_back += 1;
        } else {
            // The commit point was passed (or the set was already rolled back): only this
            // folder's leftovers remain.
            for n in journal.leftovers_in(journal.this) {
                if fs::remove_file(here.join(n)).is_ok() {
                    report.removed += 1;
                }
            }
            fs::remove_file(&path).with_context(|| format!("cannot remove {}", path.display()))?;
            report.completed += 1;
        }
    }
    // Temporary files and backups of dead runs.
    for name in names.iter().filter(|n| !n.starts_with(JOURNAL_PREFIX)) {
        let path = here.join(name);
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        // Backups are made only by a commit, under the folder lock we hold: dead. Any other
        // file is dead when no process holds its lock.
        let dead = name.ends_with(".bak") || File::open(&path).is_ok_and(|f| f.try_lock().is_ok());
        if dead && fs::remove_file(&path).is_ok() {
            report.removed += 1;
        }
    }
    sync_dir(&here);
    Ok(report)
}

/// Recovers every folder in `dirs` whose lock this process holds (see [`recover`]), noting on
/// `log` what was done.
pub fn recover_locked(dirs: &[&Path], log: &mut dyn Write) -> Result<()> {
    for dir in dirs {
        let r = recover(dir)?;
        note(dir, &r, log);
    }
    Ok(())
}

/// Before a command reads `dir` (or writes a file into it without a set): when it holds
/// leftovers of a dead run, takes the folder's lock and recovers it. A folder another run is
/// writing, or one that cannot be recovered (read-only), is read as it is, with a note on `log`.
pub fn recover_for_read(dir: &Path, log: &mut dyn Write) {
    let has_leftovers = fs::read_dir(dir)
        .is_ok_and(|l| l.flatten().any(|e| ours(&e.file_name().to_string_lossy())));
    if !has_leftovers {
        return;
    }
    let canon = fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
    let already = held().contains(&canon);
    let lock = if already {
        None
    } else {
        match RunLock::try_acquire(dir) {
            Ok(Some(l)) => Some(l),
            Ok(None) => {
                let _ = writeln!(
                    log,
                    "note: {}: another rumedbench run is writing to it; read as it is",
                    dir.display()
                );
                return;
            }
            Err(e) => {
                let _ = writeln!(
                    log,
                    "note: {}: not checked for an interrupted run: {e:#}",
                    dir.display()
                );
                return;
            }
        }
    };
    match recover(dir) {
        Ok(r) => note(dir, &r, log),
        Err(e) => {
            let _ = writeln!(
                log,
                "warning: {}: an interrupted run's outputs could not be put back: {e:#}",
                dir.display()
            );
        }
    }
    drop(lock);
}

fn note(dir: &Path, r: &Recovery, log: &mut dyn Write) {
    if r.rolled_back > 0 {
        let _ = writeln!(
            log,
            "note: {}: a run was killed while replacing its outputs; the earlier outputs were put \
             back",
            dir.display()
        );
    }
    if r.removed > 0 {
        let _ = writeln!(
            log,
            "note: {}: removed {} leftover file(s) of an interrupted run",
            dir.display(),
            r.removed
        );
    }
}

#[cfg(test)]
mod tests;
