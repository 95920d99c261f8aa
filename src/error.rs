//! The library's typed error.
//!
//! Every fallible library function returns [`Result`]. An error about a user's file says where:
//! [`Error::Input`] carries the path, the 1-based line (or record) and the field, and displays as
//! `path:line: field `name`: what is wrong`, the form editors jump to. The command-line tool wraps
//! these in `anyhow` only at its edge (`src/commands`), so a Rust user can match on the variant.

use std::fmt::Display;
use std::path::{Path, PathBuf};

/// `Result` with [`Error`] as the default error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A record or file the user gave is wrong: where, and what.
    #[error("{}", located_text(path, *line, field.as_deref(), message))]
    Input {
        /// The file.
        path: PathBuf,
        /// The 1-based line (JSONL) or record (CSV), when the fault is in one.
        line: Option<usize>,
        /// The field, when the fault is in one.
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// Reading or writing a file failed.
    #[error("{action} {}", path.display())]
    Io {
        /// What was being done: "cannot open", "cannot read", ...
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A model file that cannot be used: not a model file, corrupted, crafted or too new.
    #[error("{}: {message}", path.display())]
    Model {
        /// The model file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// A hyperparameter outside its range.
    #[error("{name}: {message}")]
    Param {
        /// The parameter's name, as the command line spells it.
        name: String,
        /// Its range and the value given.
        message: String,
    },
    /// Anything else the library refuses, with its reason.
    #[error("{0}")]
    Invalid(String),
    /// An I/O error inside a step whose caller adds the path (see [`Context`]).
    #[error(transparent)]
    Stream(#[from] std::io::Error),
    /// A JSON (de)serialisation error inside a step whose caller adds the path.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// The CRF trainer or tagger refused its input or model (a
    /// [`CrfError`](crate::models::crf::CrfError), converted where the CRF is called).
    #[error(transparent)]
    Crf(Box<dyn std::error::Error + Send + Sync + 'static>),
    /// A message with the error that caused it (shown after it in the chain).
    #[error("{context}")]
    Context {
        /// What was being done.
        context: String,
        /// Why it failed.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
    },
}

fn located_text(path: &Path, line: Option<usize>, field: Option<&str>, message: &str) -> String {
    let mut s = path.display().to_string();
    if let Some(l) = line {
        s.push_str(&format!(":{l}"));
    }
    if let Some(f) = field {
        s.push_str(&format!(": field `{f}`"));
    }
    s.push_str(": ");
    s.push_str(message);
    s
}

impl Error {
    /// An input error at `path:line`, naming the field when there is one.
    pub fn input(
        path: &Path,
        line: impl Into<Option<usize>>,
        field: Option<&str>,
        message: impl Display,
    ) -> Self {
        Error::Input {
            path: path.to_path_buf(),
            line: line.into(),
            field: field.map(str::to_string),
            message: message.to_string(),
        }
    }

    /// An I/O error on `path` while doing `action` ("cannot open", ...).
    pub fn io(action: &'static str, path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    }

    /// A model file (at `path`; `model bytes` for bytes in memory) that cannot be used, with
    /// why: `cause` and its causes, on one line.
    pub fn model(path: &Path, cause: &dyn std::error::Error) -> Self {
        let mut message = cause.to_string();
        let mut cur = cause.source();
        while let Some(c) = cur {
            let next = c.to_string();
            if !message.ends_with(&next) {
                message.push_str(": ");
                message.push_str(&next);
            }
            cur = c.source();
        }
        Error::Model {
            path: path.to_path_buf(),
            message,
        }
    }

    /// A hyperparameter out of range.
    pub fn param(name: &str, message: impl Display) -> Self {
        Error::Param {
            name: name.to_string(),
            message: message.to_string(),
        }
    }

    /// The I/O error underneath, if this is (or wraps) one: lets the binary treat a closed pipe
    /// as success.
    pub fn io_kind(&self) -> Option<std::io::ErrorKind> {
        match self {
            Error::Io { source, .. } | Error::Stream(source) => Some(source.kind()),
            Error::Context { source, .. } => source
                .downcast_ref::<Error>()
                .and_then(Error::io_kind)
                .or_else(|| source.downcast_ref::<std::io::Error>().map(|e| e.kind())),
            _ => None,
        }
    }
}

/// Adds a message to an error, keeping it as the cause (as `anyhow::Context` does).
pub trait Context<T> {
    /// Wraps the error with `context`.
    fn context(self, context: impl Display) -> Result<T>;
    /// Wraps the error with the message `f` builds, only on failure.
    fn with_context<C: Display, F: FnOnce() -> C>(self, f: F) -> Result<T>;
}

impl<T, E> Context<T> for std::result::Result<T, E>
where
    E: std::error::Error + Send + Sync + 'static,
{
    fn context(self, context: impl Display) -> Result<T> {
        self.map_err(|e| Error::Context {
            context: context.to_string(),
            source: Box::new(e),
        })
    }

    fn with_context<C: Display, F: FnOnce() -> C>(self, f: F) -> Result<T> {
        self.map_err(|e| Error::Context {
            context: f().to_string(),
            source: Box::new(e),
        })
    }
}

/// `Error::Invalid` from a format string.
macro_rules! err {
    ($($arg:tt)*) => { $crate::error::Error::Invalid(format!($($arg)*)) };
}

/// Returns `Err(Error::Invalid(..))` from a format string.
macro_rules! bail {
    ($($arg:tt)*) => { return Err($crate::error::err!($($arg)*)) };
}

pub(crate) use {bail, err};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_errors_read_file_line_field() {
        let e = Error::input(Path::new("a/train.jsonl"), 7, Some("code"), "missing");
        assert_eq!(e.to_string(), "a/train.jsonl:7: field `code`: missing");
        let e = Error::input(Path::new("t.csv"), None, None, "empty");
        assert_eq!(e.to_string(), "t.csv: empty");
    }

    #[test]
    fn context_keeps_the_cause() {
        let r: std::result::Result<(), std::io::Error> = Err(std::io::Error::new(
            std::io::ErrorKind::BrokenPipe,
            "closed",
        ));
        let e = r.context("writing").unwrap_err();
        assert_eq!(e.to_string(), "writing");
        assert_eq!(e.io_kind(), Some(std::io::ErrorKind::BrokenPipe));
        let cause = std::error::Error::source(&e).unwrap().to_string();
        assert_eq!(cause, "closed");
    }
}
