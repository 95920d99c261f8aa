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
//! | 52 | n | payload: postcard encoding of [`Bundle`] |
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
use crate::pipeline::{Fitted, Pipeline};
use crate::task::TaskKind;

/// The file's first eight bytes.
pub const MAGIC: &[u8; 8] = b"RMDBENCH";
/// The newest format version this build writes and reads. Format 3 adds the vectorizer's
/// analyzer and vocabulary limits; a model that uses neither is written in format 2, so it is
/// byte-identical to what earlier builds wrote and they can read it.
pub const FORMAT_VERSION: u32 = 3;
/// The oldest format version this build reads.
pub const OLDEST_FORMAT: u32 = 2;
const HEADER_LEN: usize = 8 + 4 + 8 + 32;
/// Format numbers up to this far past ours are read as "newer"; larger ones as corruption.
const PLAUSIBLE_NEWER: u32 = 100;

/// The format being encoded or decoded on this thread, for the types whose encoding differs
/// between formats ([`crate::features::tfidf::TfidfParams`]). postcard is not self-describing,
/// so a decoder must know which fields a format has.
pub(crate) mod wire {
    use std::cell::Cell;

    thread_local! {
        static FORMAT: Cell<u32> = const { Cell::new(super::FORMAT_VERSION) };
        static NEEDED: Cell<u32> = const { Cell::new(0) };
    }

    /// The format being encoded or decoded (outside a model file: the newest).
    pub(crate) fn format() -> u32 {
        FORMAT.with(Cell::get)
    }

    /// Records that the value being encoded needs at least `version`.
    pub(crate) fn needs(version: u32) {
        NEEDED.with(|n| n.set(n.get().max(version)));
    }

    /// Runs `f` encoding or decoding `version`; returns its result and the newest format a
    /// value met on the way needed (0 if none asked).
    pub(crate) fn with<R>(version: u32, f: impl FnOnce() -> R) -> (R, u32) {
        let (old_format, old_needed) = (
            FORMAT.with(|c| c.replace(version)),
            NEEDED.with(|c| c.replace(0)),
        );
        let r = f();
        let needed = NEEDED.with(|c| c.replace(old_needed));
        FORMAT.with(|c| c.set(old_format));
        (r, needed)
    }
}

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

/// Everything a model file holds.
#[derive(Debug, Serialize, Deserialize)]
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

    /// Encodes the bundle with its header, in the oldest format that holds it.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        // The payload is encoded straight after a placeholder header, then the header is
        // filled in: one buffer, not a payload plus a copy (models reach hundreds of MB).
        let encode = |version: u32| {
            let mut out = Vec::with_capacity(HEADER_LEN);
            out.extend_from_slice(MAGIC);
            out.extend_from_slice(&version.to_le_bytes());
            out.resize(HEADER_LEN, 0);
            wire::with(version, || postcard::to_extend(self, out))
        };
        let (mut out, needed) = encode(OLDEST_FORMAT);
        if needed > OLDEST_FORMAT {
            out = encode(needed).0;
        }
        let mut out = out.context("cannot encode the model")?;
        let len = (out.len() - HEADER_LEN) as u64;
        let digest = Sha256::digest(&out[HEADER_LEN..]);
        out[12..20].copy_from_slice(&len.to_le_bytes());
        out[20..HEADER_LEN].copy_from_slice(&digest);
        Ok(out)
    }

    /// Decodes a bundle, checking magic, version, length and checksum first.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
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
                 (this rumedbench writes {FORMAT_VERSION})"
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
        if version < OLDEST_FORMAT {
            bail!(
                "model file format {version} was written by an older rumedbench; this one reads \
                 formats {OLDEST_FORMAT} to {FORMAT_VERSION} (format 2 added hashed features and \
                 the primal route's model form): retrain the model"
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
        let (bundle, _) = wire::with(version, || postcard::from_bytes::<Bundle>(payload));
        let bundle = bundle.context("corrupted model file: cannot decode the payload")?;
        bundle
            .validate()
            .context("corrupted model file: the decoded model is inconsistent")?;
        Ok(bundle)
    }

    /// Checks what decoding cannot: that the sizes and indices of the fitted model agree with
    /// each other and with the task, so that predicting can neither index out of bounds nor
    /// allocate without limit. (The CRF checks its own bytes when it is decoded.)
    pub fn validate(&self) -> Result<()> {
        let p = &self.pipeline;
        let tagging = p.task.kind() == TaskKind::Tokens;
        match &p.model {
            Fitted::NaiveTagger(_) | Fitted::Crf(_) if !tagging => {
                bail!(
                    "a tagger for task {}, which is not a tagging task",
                    p.task.name
                )
            }
            Fitted::NaiveClassifier(_) | Fitted::Text(_) if tagging => {
                bail!("a classifier for the tagging task {}", p.task.name)
            }
            Fitted::NaiveClassifier(m) if m.ranked.len() != m.share.len() => {
                bail!("{} labels with {} shares", m.ranked.len(), m.share.len())
            }
            Fitted::Text(m) => {
                m.clf.validate()?;
                let (vocab, idf) = (m.tfidf.n_features(), m.tfidf.idf().len());
                if vocab != idf || vocab != m.clf.n_features() {
                    bail!(
                        "vocabulary of {vocab} terms, {idf} idf values, classifier of {} features",
                        m.clf.n_features()
                    );
                }
                if m.labels.len() != m.clf.n_classes() {
                    bail!(
                        "{} labels for {} classes",
                        m.labels.len(),
                        m.clf.n_classes()
                    );
                }
            }
            _ => {}
        }
        Ok(())
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
        let measure = |version: u32| {
            let mut sink = Digesting {
                sha: Sha256::new(),
                len: 0,
            };
            let (r, needed) = wire::with(version, || postcard::to_io(self, &mut sink).map(|_| ()));
            (r.map(|_| sink), needed)
        };
        let (mut sink, mut version) = (measure(OLDEST_FORMAT), OLDEST_FORMAT);
        if sink.1 > OLDEST_FORMAT {
            version = sink.1;
            sink = measure(version);
        }
        let sink = sink.0.context("cannot encode the model")?;
        let digest = sink.sha.finalize();
        w.write_all(MAGIC)?;
        w.write_all(&version.to_le_bytes())?;
        w.write_all(&sink.len.to_le_bytes())?;
        w.write_all(&digest)?;
        wire::with(version, || postcard::to_io(self, w).map(|_| ()))
            .0
            .context("cannot encode the model")?;
        Ok(())
    }

    /// Reads a model file.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path)
            .with_context(|| format!("cannot read model file {}", path.display()))?;
        Self::from_bytes(&bytes).with_context(|| format!("{}", path.display()))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Example, Gold, Input};
    use crate::pipeline::{self, ModelKind};
    use crate::task;

    fn bundle() -> Bundle {
        let t = task::find("top3").unwrap();
        let examples: Vec<Example> = ["A", "B", "A"]
            .iter()
            .enumerate()
            .map(|(i, l)| Example {
                id: (i as u64).into(),
                line: i + 1,
                input: Input::Text("x".into()),
                gold: Some(Gold::Label(l.to_string())),
            })
            .collect();
        let split = crate::data::Split {
            path: "t.jsonl".into(),
            examples,
        };
        Bundle {
            meta: BundleMeta {
                tool_version: "0".into(),
                hyperparameters: "{}".into(),
                train_files: vec![],
            },
            pipeline: pipeline::fit(&t, ModelKind::Naive, &Default::default(), &split).unwrap(),
        }
    }

    #[test]
    fn round_trip() {
        let b = bundle();
        let back = Bundle::from_bytes(&b.to_bytes().unwrap()).unwrap();
        assert_eq!(back.meta, b.meta);
        assert_eq!(back.pipeline.task, b.pipeline.task);
        // The streamed file holds exactly the in-memory encoding.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.rmb");
        b.save(&path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b.to_bytes().unwrap());
    }

    #[test]
    fn format_3_only_for_the_new_vectorizer_settings() {
        use crate::features::analyzer::Analyzer;
        use crate::pipeline::FitSettings;
        let t = task::find("top3").unwrap();
        let examples: Vec<Example> = ["боль в груди", "кашель и насморк", "боль в горле"]
            .iter()
            .zip(["A", "B", "A"])
            .enumerate()
            .map(|(i, (x, l))| Example {
                id: (i as u64).into(),
                line: i + 1,
                input: Input::Text(x.to_string()),
                gold: Some(Gold::Label(l.to_string())),
            })
            .collect();
        let split = crate::data::Split {
            path: "t.jsonl".into(),
            examples,
        };
        let bundle = |settings: &FitSettings| Bundle {
            meta: BundleMeta {
                tool_version: "0".into(),
                hyperparameters: "{}".into(),
                train_files: vec![],
            },
            pipeline: pipeline::fit(&t, ModelKind::Feature, settings, &split).unwrap(),
        };
        let version = |b: &[u8]| u32::from_le_bytes(b[8..12].try_into().unwrap());
        let plain = bundle(&FitSettings::default()).to_bytes().unwrap();
        assert_eq!(version(&plain), OLDEST_FORMAT);
        let mut word = FitSettings::default();
        word.tfidf.analyzer = Analyzer::Word;
        word.tfidf.ngram_min = 1;
        word.tfidf.max_features = Some(4);
        let b = bundle(&word);
        let bytes = b.to_bytes().unwrap();
        assert_eq!(version(&bytes), 3);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.rmb");
        b.save(&path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        let back = Bundle::from_bytes(&bytes).unwrap();
        let Fitted::Text(m) = &back.pipeline.model else {
            panic!("not a text model")
        };
        assert_eq!(m.tfidf.params(), &word.tfidf);
        assert_eq!(m.tfidf.n_features(), 4);
        // The format 2 file still loads, with the default vectorizer.
        let Fitted::Text(m) = Bundle::from_bytes(&plain).unwrap().pipeline.model else {
            panic!("not a text model")
        };
        assert_eq!(m.tfidf.params(), &FitSettings::default().tfidf);
    }

    #[test]
    fn bad_files_are_errors_not_panics() {
        let bytes = bundle().to_bytes().unwrap();
        let err = |b: &[u8]| Bundle::from_bytes(b).unwrap_err().to_string();
        assert!(err(b"{\"json\": true}").contains("not a rumedbench model"));
        assert!(err(&bytes[..30]).contains("truncated"));
        assert!(err(&bytes[..bytes.len() - 1]).contains("truncated"));
        let mut newer = bytes.clone();
        newer[8..12].copy_from_slice(&(FORMAT_VERSION + 1).to_le_bytes());
        assert!(err(&newer).contains("newer"));
        // Random bytes after the magic are corruption, not a newer format.
        let mut random = bytes.clone();
        random[8..12].copy_from_slice(&3_866_676_785u32.to_le_bytes());
        let e = err(&random);
        assert!(e.contains("corrupted") && !e.contains("upgrade"), "{e}");
        // A file cut inside the magic is truncated, not foreign.
        assert!(
            err(&bytes[..4]).contains("truncated"),
            "{}",
            err(&bytes[..4])
        );
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0xff;
        assert!(err(&flipped).contains("checksum"));
        // Every truncation point is handled without a panic.
        for cut in 0..bytes.len() {
            assert!(Bundle::from_bytes(&bytes[..cut]).is_err());
        }
    }
}
