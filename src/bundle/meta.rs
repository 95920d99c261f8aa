//! A model file's provenance: who trained it, with what settings, on which files.

use serde::{Deserialize, Serialize};

/// A training file and its checksum, so a model can be traced to its data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDigest {
    /// The path as given at training time.
    pub path: String,
    /// Hex SHA-256 of its bytes.
    pub sha256: String,
}

/// Facts about how a model was made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleMeta {
    /// `rumedbench` version that trained the model.
    pub tool_version: String,
    /// Hyperparameters as a JSON string (kept as text so the binary format stays simple).
    pub hyperparameters: String,
    /// The files the model was trained on.
    pub train_files: Vec<FileDigest>,
}
