//! Linear-chain CRF tagger of RuMedNER, trained through CRFsuite (the C
//! library behind python-crfsuite / sklearn-crfsuite) with the paper's token
//! features, so that the model is the one of
//! `sklearn_crfsuite.CRF(algorithm='lbfgs', c1=0.1, c2=0.01,
//! max_iterations=200, all_possible_transitions=True)`.
//!
//! The trained model is kept as CRFsuite's own model bytes, so it can be
//! embedded in other model files and re-opened from memory.
//!
//! CRFsuite's C code only trains. Models are read and tagged by [`reader`], in
//! safe Rust, checking every size, offset and index: a crafted model file is an
//! error, never a crash, an abort or a hang. `tests/crf_parity.rs` shows that
//! it gives CRFsuite's tags on every RuMedNER test token.

mod error;
pub mod explain;
pub mod reader;

use error::{backend, io_err};
pub use error::{CrfError, Result};

use std::fmt;
use std::io::Write;
use std::path::Path;

use crate::features::crf_templates::Templates;
use crate::features::token::Feature;

/// Largest `c1` or `c2` accepted: a penalty this strong already sets every weight of any
/// realistic training set to zero (the paper's are 0.1 and 0.01).
pub const MAX_COEFFICIENT: f64 = 1e4;

/// Hyper-parameters of CRFsuite's L-BFGS trainer; every other CRFsuite
/// parameter keeps its default, as sklearn-crfsuite leaves unset (`None`)
/// parameters out.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CrfParams {
    /// L1 regularisation coefficient (CRFsuite `c1`).
    pub c1: f64,
    /// L2 regularisation coefficient (CRFsuite `c2`).
    pub c2: f64,
    /// Maximum number of L-BFGS iterations (CRFsuite `max_iterations`).
    pub max_iterations: usize,
    /// Generate transition features for every label pair, including pairs
    /// never seen in training (CRFsuite `feature.possible_transitions`).
    pub all_possible_transitions: bool,
    /// The feature templates (default: the paper's features).
    #[serde(default)]
    pub templates: Templates,
}

impl Default for CrfParams {
    /// The paper's recipe: c1=0.1, c2=0.01, max_iterations=200,
    /// all_possible_transitions=True.
    fn default() -> Self {
        CrfParams {
            c1: 0.1,
            c2: 0.01,
            max_iterations: 200,
            all_possible_transitions: true,
            templates: Templates::default(),
        }
    }
}

impl CrfParams {
    /// Check that the parameters are usable by CRFsuite.
    pub fn check(&self) -> Result<()> {
        for (name, v) in [("c1", self.c1), ("c2", self.c2)] {
            if !(v.is_finite() && (0.0..=MAX_COEFFICIENT).contains(&v)) {
                let v = if v.abs() >= 1e6 {
                    format!("{v:e}")
                } else {
                    v.to_string()
                };
                return Err(CrfError::InvalidParams(format!(
                    "{name} must be between 0 and {MAX_COEFFICIENT:e}, got {v}"
                )));
            }
        }
        if self.max_iterations == 0 {
            return Err(CrfError::InvalidParams(
                "max_iterations must be > 0, got 0".to_string(),
            ));
        }
        // CRFsuite reads the value into a C int.
        if self.max_iterations > i32::MAX as usize {
            return Err(CrfError::InvalidParams(format!(
                "max_iterations must be <= {}, got {}",
                i32::MAX,
                self.max_iterations
            )));
        }
        Ok(())
    }

    /// Train a CRF on tokenised sentences and their IOB tags.
    ///
    /// Every sentence must have exactly one tag per token; tags must be `O`,
    /// `B-<type>` or `I-<type>`. An empty sentence is skipped, as
    /// sklearn-crfsuite's training skips it (it adds nothing to the objective);
    /// at least one sentence must have a token.
    pub fn fit(&self, sents: &[Vec<String>], tags: &[Vec<String>]) -> Result<Crf> {
        self.check()?;
        validate_training_data(sents, tags)?;

        // The crate registers a pointer to this `Trainer` value as CRFsuite's
        // logging callback data on the first `append`, so it must stay at
        // this stack slot (never moved) until it is dropped.
        let mut trainer = crfsuite::Trainer::new(false);
        // `select` before `append`: the crate's first `append` installs the
        // callback on the selected trainer and dereferences it.
        trainer
            .select(crfsuite::Algorithm::LBFGS, crfsuite::GraphicalModel::CRF1D)
            .map_err(backend)?;
        // Values are formatted as Python's `str()` would (shortest
        // round-trip decimal), so CRFsuite's `atof` reads the same doubles.
        let settings = [
            ("c1", format!("{}", self.c1)),
            ("c2", format!("{}", self.c2)),
            ("max_iterations", self.max_iterations.to_string()),
            (
                "feature.possible_transitions",
                if self.all_possible_transitions {
                    "1"
                } else {
                    "0"
                }
                .to_string(),
            ),
        ];
        for (name, value) in &settings {
            trainer.set(name, value).map_err(backend)?;
        }

        for (sent, sent_tags) in sents.iter().zip(tags).filter(|(s, _)| !s.is_empty()) {
            let xseq = train_items(&self.templates, sent);
            trainer.append(&xseq, sent_tags, 0).map_err(backend)?;
        }

        // CRFsuite only writes models to a named file, and its `train`
        // returns 0 even when saving fails, so the file is checked by
        // re-reading and opening it.
        let dir = tempfile::tempdir()
            .map_err(io_err("creating a temporary directory for CRFsuite".into()))?;
        let model_path = dir.path().join("model.crfsuite");
        let model_path_str = model_path.to_str().ok_or_else(|| {
            CrfError::Backend(format!(
                "temporary path {} is not UTF-8",
                model_path.display()
            ))
        })?;
        if model_path_str.contains('\0') {
            return Err(CrfError::Backend(
                "temporary path contains a NUL byte".into(),
            ));
        }
        trainer.train(model_path_str, -1).map_err(backend)?;
        drop(trainer);
        let bytes = std::fs::read(&model_path).map_err(io_err(format!(
            "reading the model CRFsuite wrote to {}",
            model_path.display()
        )))?;
        if reader::is_empty_model(&bytes) {
            return Err(CrfError::InvalidParams(format!(
                "training kept no feature weight (c1 = {}, c2 = {}): the penalties set every \
                 weight to zero, so the model could only ever predict one tag; lower c1 (the \
                 paper's is 0.1) or c2 (0.01)",
                self.c1, self.c2
            )));
        }
        Ok(Crf::from_bytes(bytes)?.with_templates(self.templates.clone()))
    }
}

/// Whether `tag` is an IOB2 tag the taggers accept: `O`, `B-<type>` or `I-<type>`.
pub fn is_iob(tag: &str) -> bool {
    if tag == "O" {
        return true;
    }
    match tag.strip_prefix("B-").or_else(|| tag.strip_prefix("I-")) {
        // Control characters (NUL in particular) cannot round-trip through
        // CRFsuite's C strings and never name an entity type.
        Some(kind) => !kind.is_empty() && !kind.chars().any(char::is_control),
        None => false,
    }
}

fn validate_training_data(sents: &[Vec<String>], tags: &[Vec<String>]) -> Result<()> {
    if sents.len() != tags.len() {
        return Err(CrfError::InvalidInput(format!(
            "{} sentences but {} tag sequences",
            sents.len(),
            tags.len()
        )));
    }
    if sents.is_empty() {
        return Err(CrfError::InvalidInput("no training sentences".into()));
    }
    if sents.iter().all(Vec::is_empty) {
        return Err(CrfError::InvalidInput(
            "no training sentence has a token".into(),
        ));
    }
    for (s, (sent, sent_tags)) in sents.iter().zip(tags).enumerate() {
        if sent.len() != sent_tags.len() {
            return Err(CrfError::InvalidInput(format!(
                "sentence {s} has {} tokens but {} tags",
                sent.len(),
                sent_tags.len()
            )));
        }
        for (t, tag) in sent_tags.iter().enumerate() {
            if !is_iob(tag) {
                return Err(CrfError::InvalidInput(format!(
                    "sentence {s}, token {t}: tag {tag:?} is not IOB (O, B-<type> or I-<type>)"
                )));
            }
        }
    }
    Ok(())
}

/// CRFsuite receives attribute names as C strings; python-crfsuite passes
/// `std::string::c_str()`, which silently ends the name at the first NUL.
/// Cutting there too keeps the same attributes and avoids the crate's panic
/// on interior NULs.
fn c_name(name: String) -> String {
    match name.find('\0') {
        Some(at) => {
            let mut name = name;
            name.truncate(at);
            name
        }
        None => name,
    }
}

fn train_items<S: AsRef<str>>(templates: &Templates, sent: &[S]) -> Vec<crfsuite::Item> {
    templates
        .sent_features(sent)
        .into_iter()
        .map(|item| {
            item.into_iter()
                .map(|Feature { name, value }| crfsuite::Attribute::new(c_name(name), value))
                .collect()
        })
        .collect()
}

/// A trained CRF tagger.
pub struct Crf {
    tables: reader::Tables,
    /// The feature templates the model was trained with.
    templates: Templates,
    /// CRFsuite model bytes.
    model_bytes: Box<[u8]>,
}

impl fmt::Debug for Crf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Crf")
            .field("labels", &self.tables.labels)
            .field("templates", &self.templates.to_string())
            .field("model_bytes", &self.model_bytes.len())
            .finish()
    }
}

impl Crf {
    /// Open a model from CRFsuite's model format (what `to_bytes` returns or
    /// what CRFsuite/python-crfsuite write to disk).
    ///
    /// Every part is checked ([`reader`]), so bytes from anywhere give a model
    /// or an error. The model tags with the paper's features until
    /// [`Crf::with_templates`] says otherwise (CRFsuite's bytes do not name them).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Crf> {
        let tables = reader::Tables::read(&bytes)?;
        Ok(Crf {
            tables,
            templates: Templates::default(),
            model_bytes: bytes.into_boxed_slice(),
        })
    }

    /// The model, tagging with the features of `templates` (those it was trained with).
    pub fn with_templates(mut self, templates: Templates) -> Crf {
        self.templates = templates;
        self
    }

    /// The feature templates the model tags with.
    pub fn templates(&self) -> &Templates {
        &self.templates
    }

    /// The attributes the model sees for every token of `tokens`.
    pub fn features<S: AsRef<str>>(&self, tokens: &[S]) -> Vec<Vec<Feature>> {
        self.templates.sent_features(tokens)
    }

    /// The model in CRFsuite's own format.
    pub fn to_bytes(&self) -> &[u8] {
        &self.model_bytes
    }

    /// Labels the model can predict, in CRFsuite's label-id order.
    pub fn labels(&self) -> &[String] {
        &self.tables.labels
    }

    /// Predict one tag per token; an empty sentence gives an empty vector.
    ///
    /// Tokens are taken verbatim (spaces, tabs and colons included), exactly
    /// as python-crfsuite would pass them.
    pub fn predict<S: AsRef<str>>(&self, tokens: &[S]) -> Result<Vec<String>> {
        Ok(self.predict_batch(std::slice::from_ref(&tokens))?.remove(0))
    }

    /// Predict many sentences.
    pub fn predict_batch<T: AsRef<[S]>, S: AsRef<str>>(
        &self,
        sents: &[T],
    ) -> Result<Vec<Vec<String>>> {
        Ok(sents
            .iter()
            .map(|sent| {
                let ids = self.tables.tag(&self.features(sent.as_ref()));
                ids.into_iter()
                    .map(|id| self.tables.labels[id as usize].clone())
                    .collect()
            })
            .collect())
    }

    /// The marginal probability of every label at every token, `tokens x labels` in
    /// [`Crf::labels`] order (CRFsuite's scaled forward-backward, as python-crfsuite's
    /// `marginal`); an empty sentence gives no rows.
    pub fn marginals<S: AsRef<str>>(&self, tokens: &[S]) -> Result<Vec<Vec<f64>>> {
        Ok(self.tables.marginals(&self.features(tokens)))
    }

    /// Write the model (CRFsuite format) to `path` atomically: a temporary
    /// file in the same directory is synced and then renamed over `path`.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let ctx = |what: &str| format!("{what} {}", path.display());
        let mut tmp = tempfile::NamedTempFile::new_in(dir)
            .map_err(io_err(ctx("creating a temporary file next to")))?;
        tmp.write_all(&self.model_bytes)
            .map_err(io_err(ctx("writing the model for")))?;
        tmp.as_file()
            .sync_all()
            .map_err(io_err(ctx("syncing the model for")))?;
        tmp.persist(path)
            .map_err(|e| io_err(ctx("renaming the model onto"))(e.error))?;
        Ok(())
    }

    /// Read a model written by [`Crf::save`] (or by CRFsuite itself).
    pub fn load(path: impl AsRef<Path>) -> Result<Crf> {
        let path = path.as_ref();
        // Capped like every model file read (a FIFO or `/dev/zero` stops at the cap).
        let cap = crate::caps::MAX_MODEL_BYTES;
        let bytes = crate::caps::read_capped(path, cap, "a model file").map_err(|e| match e {
            crate::error::Error::Io { source, .. } => {
                io_err(format!("reading the model {}", path.display()))(source)
            }
            other => CrfError::InvalidInput(other.to_string()),
        })?;
        Crf::from_bytes(bytes)
    }
}

/// A CRF serialises as CRFsuite's own model bytes, so it can live inside our model file.
impl serde::Serialize for Crf {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_bytes(self.to_bytes())
    }
}

impl<'de> serde::Deserialize<'de> for Crf {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let bytes: Vec<u8> = serde::de::Deserialize::deserialize(d).map(|b: CrfBytes| b.0)?;
        Crf::from_bytes(bytes).map_err(serde::de::Error::custom)
    }
}

/// A CRF's model bytes as a model file holds them, not yet read: the model file decodes these
/// and then [`Crf::from_bytes`] checks them, so its error reaches the message whole (postcard
/// keeps no custom error text). Accepts bytes however the format encodes them (postcard: a
/// byte string).
pub struct CrfBytes(pub Vec<u8>);

impl<'de> serde::Deserialize<'de> for CrfBytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = CrfBytes;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("CRFsuite model bytes")
            }
            fn visit_bytes<E: serde::de::Error>(
                self,
                v: &[u8],
            ) -> std::result::Result<CrfBytes, E> {
                Ok(CrfBytes(v.to_vec()))
            }
            fn visit_byte_buf<E: serde::de::Error>(
                self,
                v: Vec<u8>,
            ) -> std::result::Result<CrfBytes, E> {
                Ok(CrfBytes(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<CrfBytes, A::Error> {
                let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 24));
                while let Some(b) = seq.next_element()? {
                    v.push(b);
                }
                Ok(CrfBytes(v))
            }
        }
        d.deserialize_byte_buf(V)
    }
}

impl crate::models::Model for Crf {
    /// The CRF checks its own bytes when it is decoded; here only the task.
    fn validate(
        &self,
        task: &crate::task::TaskSpec,
        multi_label: bool,
    ) -> crate::error::Result<()> {
        crate::models::expect_tagging(task, multi_label)
    }

    fn describe(&self) -> &'static str {
        "a CRF tagger"
    }

    fn predict(
        &self,
        examples: &[crate::data::Example],
        _k: usize,
    ) -> crate::error::Result<Vec<crate::models::Prediction>> {
        let sents: Vec<Vec<String>> = crate::models::token_inputs(examples)?
            .into_iter()
            .map(<[String]>::to_vec)
            .collect();
        Ok(self
            .predict_batch(&sents)?
            .into_iter()
            .map(crate::models::Prediction::Tags)
            .collect())
    }
}

#[cfg(test)]
mod tests;
