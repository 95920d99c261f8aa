//! Where a task's split files are: the data folder and the split names.

use std::path::{Path, PathBuf};

use crate::error::{bail, Error, Result};

use crate::task::TaskSpec;

/// The standard file names of a task's splits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitName {
    /// `train_v1.jsonl`
    Train,
    /// `dev_v1.jsonl`
    Dev,
    /// `test_v1.jsonl`
    Test,
    /// `private_test_v1.jsonl` (leaderboard, no labels)
    PrivateTest,
}

impl SplitName {
    /// File name inside the task folder.
    pub fn file_name(self) -> &'static str {
        match self {
            SplitName::Train => "train_v1.jsonl",
            SplitName::Dev => "dev_v1.jsonl",
            SplitName::Test => "test_v1.jsonl",
            SplitName::PrivateTest => "private_test_v1.jsonl",
        }
    }

    /// Human name.
    pub fn label(self) -> &'static str {
        match self {
            SplitName::Train => "train",
            SplitName::Dev => "dev",
            SplitName::Test => "test",
            SplitName::PrivateTest => "private test",
        }
    }
}

/// The command that fills the data directory, quoted in error messages.
pub const FETCH_HINT: &str = "scripts/fetch-data.sh";

/// Where the data lives: `--data-dir`, else `$RUMEDBENCH_DATA`, else `./data`.
pub fn resolve_data_dir(flag: Option<&Path>) -> PathBuf {
    if let Some(p) = flag {
        return p.to_path_buf();
    }
    match std::env::var_os("RUMEDBENCH_DATA") {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => PathBuf::from("data"),
    }
}

/// The path of a split, checked to exist; a missing file gets a message with the path looked
/// at and how to get it (or, for non-redistributable splits, where to obtain them).
pub fn split_path(data_dir: &Path, task: &TaskSpec, split: SplitName) -> Result<PathBuf> {
    let path = data_dir.join(&task.name).join(split.file_name());
    if path.is_file() {
        return Ok(path);
    }
    if path.exists() {
        return Err(Error::input(
            &path,
            None,
            None,
            format!("the {} {} split is not a file", task.name, split.label()),
        ));
    }
    if split == SplitName::Train {
        if let Some(notice) = &task.train_notice {
            bail!(
                "{} {} split not found at {}. {notice}",
                task.name,
                split.label(),
                path.display()
            );
        }
    }
    bail!(
        "{} {} split not found: looked at {}. Fetch the data with `{FETCH_HINT}`, \
         or point --data-dir / $RUMEDBENCH_DATA at a folder holding {}/{}",
        task.name,
        split.label(),
        path.display(),
        task.name,
        split.file_name()
    )
}
