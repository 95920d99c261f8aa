//! The model file: one versioned file holding a whole trained pipeline.
//!
//! Layout (all integers little-endian):
//!
//! | offset | size | content |
//! |---|---|---|
//! | 0 | 8 | magic `RMDBENCH` |
//! | 8 | 4 | format version (`u32`) |
//! | 12 | 8 | payload length in bytes (`u64`) |
//! | 20 | 32 | SHA-256 of the payload |
//! | 52 | n | payload: format 5, the settings as JSON and the arrays (see below); formats 2–4, postcard encoding of [`Bundle`] (format 3 appends an [`Extension`]) |
//!
//! This build writes format 5, self-describing: the payload starts with a length-prefixed JSON
//! object holding the provenance, the task, the model kind, the multi-label rule and the
//! vectorizer's recipe keys, all by name, followed by the postcard encoding of the fitted
//! model's arrays (layout in the `v5` module). A setting added with a default needs no new
//! format. A file whose settings hold what a format-5 reader would ignore and then predict
//! wrongly without (a CRF's feature templates other than the paper's) is written as format 6,
//! the same layout, so that older builds refuse it as newer. Formats 2 to 4 (below) are still
//! read, by the legacy decoder.
//!
//! Format 3 extends format 2 compatibly: its payload is format 2's followed by the postcard
//! encoding of an [`Extension`] (today: a multi-label task's decision rule and label
//! separator). A model without anything to put there (every single-label model) is written as
//! format 2, byte for byte as before, so older builds still read it; this build reads both.
//!
//! The header lets a loader tell a foreign file (magic), a file from a newer tool (version), a
//! truncated file (length) and a corrupted one (checksum) apart before decoding anything, so a
//! bad file is a clear error and never a panic. postcard stores `Vec<f32>` weights as contiguous
//! little-endian floats; feature indices come from the sorted vocabulary, never from a hasher.

use std::path::Path;

use crate::error::{bail, Context, Result};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::output;
use crate::pipeline::{FittedOut, MultiLabelRule, Pipeline};
use crate::wire::{self, Format2, Format4, WireFormat};
pub use crate::wire::{
    FORMAT_BASE, FORMAT_CRF_TEMPLATES, FORMAT_EXTENDED, FORMAT_SELF_DESCRIBING, FORMAT_UNION,
    FORMAT_VECTORIZER, FORMAT_VERSION,
};

/// The file's first eight bytes.
pub const MAGIC: &[u8; 8] = b"RMDBENCH";
const HEADER_LEN: usize = 8 + 4 + 8 + 32;
/// Format numbers up to this far past ours are read as "newer"; larger ones as corruption.
const PLAUSIBLE_NEWER: u32 = 100;

pub use meta::{BundleMeta, FileDigest};

/// What format 3 adds after format 2's payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Extension {
    /// A multi-label task's settings (the task is multi-label exactly when this is set).
    pub multi_label: Option<MultiLabelExtension>,
}

/// A multi-label model's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MultiLabelExtension {
    /// How probabilities become a predicted set.
    pub rule: MultiLabelRule,
    /// The task's label separator for text labels.
    pub label_separator: Option<String>,
}

/// Everything a model file holds. Read only through [`Bundle::from_bytes`] (or
/// [`Bundle::load`]), which checks it.
#[derive(Debug, Serialize)]
pub struct Bundle {
    /// Provenance.
    pub meta: BundleMeta,
    /// The trained pipeline: task definition and fitted model.
    pub pipeline: Pipeline,
}

impl Bundle {
    /// Wraps a freshly trained pipeline with this build's provenance.
    pub fn trained(
        pipeline: Pipeline,
        hyperparameters: &serde_json::Value,
        train_file: FileDigest,
    ) -> Self {
        Bundle {
            meta: BundleMeta {
                tool_version: env!("CARGO_PKG_VERSION").into(),
                hyperparameters: hyperparameters.to_string(),
                train_files: vec![train_file],
            },
            pipeline,
        }
    }

    /// Wraps a freshly trained pipeline with this build's provenance and saves it atomically,
    /// returning the bundle so the caller can keep using the pipeline.
    pub fn save_trained(
        pipeline: Pipeline,
        hyperparameters: &serde_json::Value,
        train_file: FileDigest,
        path: &Path,
    ) -> Result<Self> {
        let bundle = Bundle {
            meta: BundleMeta {
                tool_version: env!("CARGO_PKG_VERSION").into(),
                hyperparameters: hyperparameters.to_string(),
                train_files: vec![train_file],
            },
            pipeline,
        };
        bundle.save(path)?;
        Ok(bundle)
    }

    /// Applies a decoded extension to the pipeline.
    fn extend(&mut self, ext: Extension) -> Result<()> {
        if let Some(m) = ext.multi_label {
            m.rule.check()?;
            let p = &mut self.pipeline;
            p.multi_label = Some(m.rule);
            p.task.multi_label = true;
            p.task.label_separator = m.label_separator;
        }
        Ok(())
    }

    /// Encodes the bundle with its header (format 5).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        self.write_to(&mut out)?;
        Ok(out)
    }

    /// Decodes a bundle, checking magic, version, length and checksum first; an error is an
    /// [`Error::Model`](crate::error::Error::Model) of the path `model bytes`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        Self::decode(bytes).map_err(|e| crate::error::Error::model(Path::new("model bytes"), &e))
    }

    /// [`Bundle::from_bytes`] before its errors are model-file errors.
    fn decode(bytes: &[u8]) -> Result<Self> {
        let (version, payload) = check_header(bytes)?;
        if version >= FORMAT_SELF_DESCRIBING {
            let (meta, pipeline) = v5::decode(payload, version)?;
            let bundle = Bundle { meta, pipeline };
            bundle
                .validate()
                .context("corrupted model file: the decoded model is inconsistent")?;
            return Ok(bundle);
        }
        let decoded = if version >= FORMAT_VECTORIZER {
            postcard::take_from_bytes::<BundleOut<Format4>>(payload).map(|(b, r)| (b.bundle(), r))
        } else {
            postcard::take_from_bytes::<BundleOut<Format2>>(payload).map(|(b, r)| (b.bundle(), r))
        };
        let (mut bundle, rest): (Bundle, &[u8]) = match decoded {
            Ok((Ok(b), rest)) => (b, rest),
            Ok((Err(e), _)) => bail!("corrupted model file: {e}"),
            Err(e) => {
                bail!(
                    "corrupted model file: cannot decode {}",
                    locate_decode_error(payload, version)
                        .unwrap_or_else(|| format!("the payload: {}", wire::decode_reason(e)))
                )
            }
        };
        if version > FORMAT_BASE {
            let (ext, rest): (Extension, &[u8]) = postcard::take_from_bytes(rest)
                .context("corrupted model file: cannot decode the format-3 extension")?;
            if !rest.is_empty() {
                bail!(
                    "corrupted model file: {} bytes follow the extension",
                    rest.len()
                );
            }
            bundle
                .extend(ext)
                .context("corrupted model file: the extension is invalid")?;
        }
        bundle
            .validate()
            .context("corrupted model file: the decoded model is inconsistent")?;
        Ok(bundle)
    }

    /// Checks what decoding cannot: that the sizes and indices of the fitted model agree with
    /// each other and with the task, so that predicting can neither index out of bounds nor
    /// allocate without limit. Each model kind checks itself ([`Model::validate`]).
    ///
    /// [`Model::validate`]: crate::models::Model::validate
    pub fn validate(&self) -> Result<()> {
        let p = &self.pipeline;
        p.model.model().validate(&p.task, p.multi_label.is_some())
    }

    /// Writes the model atomically, streaming the payload: one encoding pass measures and
    /// hashes it, a second writes it after the header, so the file is never held in memory
    /// (models of large corpora reach hundreds of MB). The bytes equal [`Bundle::to_bytes`].
    pub fn save(&self, path: &Path) -> Result<()> {
        output::write_atomic(path, |w| self.write_to(w))
    }

    /// Streams the model file's bytes (header, then payload) to `w`, in two encoding passes
    /// (see [`Bundle::save`]); the bytes equal [`Bundle::to_bytes`].
    pub fn write_to(&self, w: &mut dyn std::io::Write) -> Result<()> {
        let version = v5::format_of(&self.pipeline);
        let mut sink = Digesting {
            sha: Sha256::new(),
            len: 0,
        };
        v5::encode(&self.meta, &self.pipeline, &mut sink)?;
        let digest = sink.sha.finalize();
        w.write_all(MAGIC)?;
        w.write_all(&version.to_le_bytes())?;
        w.write_all(&sink.len.to_le_bytes())?;
        w.write_all(&digest)?;
        // postcard reports any failed write as "The serialize buffer is full": the writer
        // keeps the operating system's error (a full disk, a closed pipe) to report instead.
        let mut w = KeepIoError {
            inner: w,
            error: None,
        };
        let written = v5::encode(&self.meta, &self.pipeline, &mut w);
        match (written, w.error) {
            (Ok(()), _) => Ok(()),
            (Err(_), Some(io)) => Err(io.into()),
            (Err(e), None) => Err(e),
        }
    }

    /// Reads a model file.
    ///
    /// At most [`crate::caps::MAX_MODEL_BYTES`] are read: a regular file is measured first, and
    /// anything else (a FIFO, `/dev/zero`) is read header first, then only the payload length
    /// the header states, which must be within the cap.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = Self::read_capped(path)?;
        Self::decode(&bytes).map_err(|e| crate::error::Error::model(path, &e))
    }

    /// The bytes of a model file, within [`crate::caps::MAX_MODEL_BYTES`].
    fn read_capped(path: &Path) -> Result<Vec<u8>> {
        use crate::caps::{over_cap, MAX_MODEL_BYTES};
        use std::io::Read;
        let what = "a model file";
        let io = |e| crate::error::Error::io("cannot read model file", path, e);
        let f = std::fs::File::open(path).map_err(io)?;
        if f.metadata().map_err(io)?.is_file() {
            return crate::caps::read_capped_from(f, path, MAX_MODEL_BYTES, what);
        }
        // Not a regular file: its size is unknown until read, so the header says how much
        // follows (a file that is not a model stops at its first bytes).
        let mut f = f;
        let mut bytes = Vec::new();
        (&mut f)
            .take(HEADER_LEN as u64)
            .read_to_end(&mut bytes)
            .map_err(io)?;
        if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC {
            return Ok(bytes);
        }
        let mut len = [0u8; 8];
        len.copy_from_slice(&bytes[12..20]);
        let len = u64::from_le_bytes(len);
        if len > MAX_MODEL_BYTES - HEADER_LEN as u64 {
            return Err(over_cap(
                path,
                len.checked_add(HEADER_LEN as u64),
                MAX_MODEL_BYTES,
                what,
            ));
        }
        // One byte more than promised shows bytes past the payload as corruption.
        f.take(len + 1).read_to_end(&mut bytes).map_err(io)?;
        Ok(bytes)
    }

    /// What a model file says about itself (provenance, task, model kind) without reading or
    /// checking the fitted model: the payload's first fields, from its first 1 MiB at most.
    /// For deciding whether a file may be replaced, not for trusting the model.
    pub fn read_identity(path: &Path) -> Result<ModelIdentity> {
        use std::io::Read;
        let f = std::fs::File::open(path)
            .with_context(|| format!("cannot read model file {}", path.display()))?;
        let mut bytes = Vec::new();
        f.take((HEADER_LEN + (1 << 20)) as u64)
            .read_to_end(&mut bytes)
            .with_context(|| format!("cannot read model file {}", path.display()))?;
        if bytes.len() < HEADER_LEN || &bytes[..8] != MAGIC {
            bail!("{} is not a rumedbench model file", path.display());
        }
        let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
        if version >= FORMAT_SELF_DESCRIBING {
            let (s, _) = v5::read_settings(&bytes[HEADER_LEN..])
                .with_context(|| format!("{}: cannot decode its task", path.display()))?;
            return Ok(ModelIdentity {
                meta: s.meta(),
                task: s.task().clone(),
                kind: s.kind(),
            });
        }
        // Formats 2 to 4: the payload's first fields, encoded as the payload encodes them (the task through
        // `task::wire`, as `Pipeline` writes it).
        #[derive(Deserialize)]
        struct Prefix {
            meta: BundleMeta,
            #[serde(with = "crate::task::wire")]
            task: crate::task::TaskSpec,
            kind: crate::pipeline::ModelKind,
        }
        let Prefix { meta, task, kind } = postcard::take_from_bytes(&bytes[HEADER_LEN..])
            .map(|(v, _)| v)
            .with_context(|| format!("{}: cannot decode its task", path.display()))?;
        Ok(ModelIdentity { meta, task, kind })
    }
}

/// After the payload failed to decode: decodes it again section by section (provenance, task,
/// model kind, then the fitted model's parts) and names the first section that fails, with
/// its reason: "the classifier (logistic regression): ...". `None` when every section decodes
/// (the failure was elsewhere).
fn locate_decode_error(payload: &[u8], version: u32) -> Option<String> {
    if version >= FORMAT_VECTORIZER {
        locate_in::<Format4>(payload)
    } else {
        locate_in::<Format2>(payload)
    }
}

/// [`locate_decode_error`] in format `F`.
fn locate_in<F: WireFormat>(payload: &[u8]) -> Option<String> {
    use crate::models::crf::CrfBytes;
    use crate::models::naive::{NaiveClassifier, NaiveTagger};
    #[derive(Deserialize)]
    #[allow(dead_code)] // decoded only to find where decoding fails
    struct Task(#[serde(with = "crate::task::wire")] crate::task::TaskSpec);

    /// Decodes a `T` from the front of `bytes`, returning the rest, or the section's error.
    fn take<'a, T: serde::de::DeserializeOwned>(
        bytes: &'a [u8],
        section: &str,
    ) -> std::result::Result<&'a [u8], String> {
        match postcard::take_from_bytes::<T>(bytes) {
            Ok((_, rest)) => Ok(rest),
            Err(e) => Err(format!("{section}: {}", wire::decode_reason(e))),
        }
    }
    let walk = || -> std::result::Result<(), String> {
        let rest = take::<BundleMeta>(payload, "the provenance (tool, settings, files)")?;
        let rest = take::<Task>(rest, "the task definition")?;
        let rest = take::<crate::pipeline::ModelKind>(rest, "the model kind")?;
        let (variant, rest): (u32, &[u8]) =
            postcard::take_from_bytes(rest).map_err(|e| format!("the fitted model's type: {e}"))?;
        match variant {
            0 => take::<NaiveClassifier>(rest, "the naive classifier").map(drop),
            1 => take::<NaiveTagger>(rest, "the naive tagger").map(drop),
            2 => take::<CrfBytes>(rest, "the CRF model").map(drop),
            3 => {
                let rest = take::<crate::features::tfidf::TfidfOut<F>>(rest, "the vectorizer")?;
                let rest = take::<crate::models::linear::LogRegOut>(
                    rest,
                    "the classifier (logistic regression)",
                )?;
                take::<Vec<String>>(rest, "the class labels").map(drop)
            }
            v => Err(format!(
                "the fitted model: its type tag is {v}, not one of the 4 model types"
            )),
        }
    };
    walk().err()
}

/// The payload as it is decoded from format `F`, before [`Bundle::from_bytes`] adds the
/// extension and checks the whole. The public types do not implement `Deserialize`, so an
/// unchecked pipeline cannot be made from outside.
#[derive(Deserialize)]
#[serde(bound = "")]
struct BundleOut<F: WireFormat> {
    meta: BundleMeta,
    pipeline: PipelineOut<F>,
}

#[derive(Deserialize)]
#[serde(bound = "")]
struct PipelineOut<F: WireFormat> {
    #[serde(with = "crate::task::wire")]
    task: crate::task::TaskSpec,
    kind: crate::pipeline::ModelKind,
    model: FittedOut<F>,
}

impl<F: WireFormat> BundleOut<F> {
    /// The bundle, its fitted model's parts checked.
    fn bundle(self) -> Result<Bundle> {
        let PipelineOut { task, kind, model } = self.pipeline;
        Ok(Bundle {
            meta: self.meta,
            pipeline: Pipeline {
                task,
                kind,
                model: model.into_inner()?,
                multi_label: None,
                binary: None,
            },
        })
    }
}

/// The header checks of [`Bundle::from_bytes`]: magic, a format version this build reads, the
/// payload's length and checksum. Returns the version and the payload.
fn check_header(bytes: &[u8]) -> Result<(u32, &[u8])> {
    if bytes.len() < 8 && !bytes.is_empty() && MAGIC.starts_with(bytes) {
        bail!(
            "truncated model file: {} bytes, shorter than the {HEADER_LEN}-byte header",
            bytes.len()
        );
    }
    if bytes.len() < 8 || &bytes[..8] != MAGIC {
        bail!(
            "not a rumedbench model file (it does not start with {:?})",
            "RMDBENCH"
        );
    }
    if bytes.len() < HEADER_LEN {
        bail!(
            "truncated model file: {} bytes, shorter than the {HEADER_LEN}-byte header",
            bytes.len()
        );
    }
    let version = u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes"));
    if version > FORMAT_VERSION + PLAUSIBLE_NEWER {
        bail!(
            "corrupted model file: its format field holds {version}, not a format version \
                 (this rumedbench writes up to {FORMAT_VERSION})"
        );
    }
    if version > FORMAT_VERSION {
        bail!(
            "model file format {version} is newer than this rumedbench reads (up to \
                 {FORMAT_VERSION}); upgrade rumedbench"
        );
    }
    if version == 0 {
        bail!("model file format 0 is not a valid version");
    }
    if version < FORMAT_BASE {
        bail!(
            "model file format {version} was written by an older rumedbench; this one reads \
                 formats {FORMAT_BASE} to {FORMAT_VERSION} only (format 2 added hashed features \
                 and the primal route's model form): retrain the model"
        );
    }
    let len = u64::from_le_bytes(bytes[12..20].try_into().expect("8 bytes"));
    let payload = &bytes[HEADER_LEN..];
    if (payload.len() as u64) < len {
        bail!(
            "truncated model file: the header promises {len} payload bytes, {} are present",
            payload.len()
        );
    }
    if payload.len() as u64 > len {
        bail!(
            "corrupted model file: {} bytes follow the {len}-byte payload",
            payload.len() as u64 - len
        );
    }
    if Sha256::digest(payload).as_slice() != &bytes[20..52] {
        bail!("corrupted model file: the payload checksum does not match");
    }
    Ok((version, payload))
}

/// A model file's provenance, task and model kind ([`Bundle::read_identity`]).
#[derive(Debug, Clone)]
pub struct ModelIdentity {
    /// Provenance: hyperparameters and train file.
    pub meta: BundleMeta,
    /// The task the model was trained for.
    pub task: crate::task::TaskSpec,
    /// The model family.
    pub kind: crate::pipeline::ModelKind,
}

/// A writer that keeps the first I/O error of the writer it wraps.
struct KeepIoError<'a> {
    inner: &'a mut dyn std::io::Write,
    error: Option<std::io::Error>,
}

impl std::io::Write for KeepIoError<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.inner.write(buf).inspect_err(|e| self.keep(e))
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.inner.write_all(buf).inspect_err(|e| self.keep(e))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush().inspect_err(|e| self.keep(e))
    }
}

impl KeepIoError<'_> {
    fn keep(&mut self, e: &std::io::Error) {
        if self.error.is_none() {
            self.error = Some(match e.raw_os_error() {
                Some(code) => std::io::Error::from_raw_os_error(code),
                None => std::io::Error::new(e.kind(), e.to_string()),
            });
        }
    }
}

/// A writer that only hashes and counts what it is given.
struct Digesting {
    sha: Sha256,
    len: u64,
}

impl std::io::Write for Digesting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.sha.update(buf);
        self.len += buf.len() as u64;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

mod meta;
#[cfg(test)]
mod tests;
mod v5;
