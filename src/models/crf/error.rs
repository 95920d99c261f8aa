//! The CRF's own error, and its conversion to the crate's [`crate::Error`] (made here, at the
//! CRF boundary, so the crate's error type does not name the CRF).

/// Errors of CRF training, prediction and model I/O.
#[derive(Debug, thiserror::Error)]
pub enum CrfError {
    /// Hyper-parameters out of range.
    #[error("invalid CRF parameters: {0}")]
    InvalidParams(String),
    /// Training or prediction input that the model cannot take.
    #[error("invalid CRF input: {0}")]
    InvalidInput(String),
    /// Bytes that are not a usable CRFsuite model.
    #[error("invalid CRFsuite model: {0}")]
    InvalidModel(String),
    /// CRFsuite reported an error.
    #[error("CRFsuite: {0}")]
    Backend(String),
    /// Reading or writing a model file failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done, with the path.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

/// Result of CRF operations.
pub type Result<T> = std::result::Result<T, CrfError>;

pub(super) fn backend(err: crfsuite::CrfError) -> CrfError {
    CrfError::Backend(err.to_string())
}

pub(super) fn io_err(context: String) -> impl FnOnce(std::io::Error) -> CrfError {
    move |source| CrfError::Io { context, source }
}

impl From<CrfError> for crate::error::Error {
    fn from(e: CrfError) -> Self {
        crate::error::Error::Crf(Box::new(e))
    }
}
