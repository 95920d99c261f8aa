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
        let bytes: Vec<u8> = serde::de::Deserialize::deserialize(d).map(|b: ByteBuf| b.0)?;
        Crf::from_bytes(bytes).map_err(crate::wire::custom)
    }
}

/// Accepts bytes however the format encodes them (postcard: a byte string).
struct ByteBuf(Vec<u8>);

impl<'de> serde::Deserialize<'de> for ByteBuf {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ByteBuf;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("CRFsuite model bytes")
            }
            fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> std::result::Result<ByteBuf, E> {
                Ok(ByteBuf(v.to_vec()))
            }
            fn visit_byte_buf<E: serde::de::Error>(
                self,
                v: Vec<u8>,
            ) -> std::result::Result<ByteBuf, E> {
                Ok(ByteBuf(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<ByteBuf, A::Error> {
                let mut v = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 24));
                while let Some(b) = seq.next_element()? {
                    v.push(b);
                }
                Ok(ByteBuf(v))
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
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        s.split(' ').map(str::to_string).collect()
    }

    /// Tiny review-like sentences: drug names are capitalised and precede
    /// "помог"/"принимал"; ADRs are "тошнота"/"головная боль".
    fn fixture() -> (Vec<Vec<String>>, Vec<Vec<String>>) {
        let data = [
            ("Принимал Арбидол три дня", "O B-Drugname O O"),
            ("Арбидол помог быстро", "B-Drugname O O"),
            ("После Нурофена началась тошнота", "O B-Drugname O B-ADR"),
            ("Была тошнота и головная боль", "O B-ADR O B-ADR I-ADR"),
            ("Принимал Ингавирин неделю", "O B-Drugname O"),
            ("Ингавирин не помог", "B-Drugname O O"),
            ("От Кагоцела головная боль", "O B-Drugname B-ADR I-ADR"),
            ("Сильная тошнота после таблеток", "O B-ADR O O"),
            ("Принимал Анаферон и Арбидол", "O B-Drugname O B-Drugname"),
            ("Врач выписал Анаферон", "O O B-Drugname"),
        ];
        data.iter().map(|(s, t)| (toks(s), toks(t))).unzip()
    }

    /// The issue's `--c1 1e300` ended in "attributes dictionary does not name all 0 ids":
    /// out of range it is refused up front, and a penalty in range that still removes every
    /// weight says so.
    #[test]
    fn penalties_out_of_range_or_emptying_the_model_are_clear_errors() {
        let (x, y) = fixture();
        let huge = CrfParams {
            c1: 1e300,
            ..quick()
        };
        let e = huge.fit(&x, &y).unwrap_err().to_string();
        assert!(e.contains("c1 must be between 0 and 1e4, got 1e300"), "{e}");
        let strong = CrfParams {
            c1: MAX_COEFFICIENT,
            ..quick()
        };
        let e = strong.fit(&x, &y).unwrap_err().to_string();
        assert!(
            e.contains("training kept no feature weight") && e.contains("lower c1"),
            "{e}"
        );
        assert!(!e.contains("dictionary"), "{e}");
    }

    fn quick() -> CrfParams {
        CrfParams {
            max_iterations: 50,
            ..CrfParams::default()
        }
    }

    #[test]
    fn default_is_paper_recipe_and_check_names_bad_values() {
        let p = CrfParams::default();
        assert_eq!((p.c1, p.c2, p.max_iterations), (0.1, 0.01, 200));
        assert!(p.all_possible_transitions);
        assert!(p.check().is_ok());
        let e = CrfParams {
            c1: -1.0,
            ..p.clone()
        }
        .check()
        .unwrap_err()
        .to_string();
        assert!(e.contains("c1") && e.contains("-1"), "{e}");
        let e = CrfParams {
            c2: f64::NAN,
            ..p.clone()
        }
        .check()
        .unwrap_err()
        .to_string();
        assert!(e.contains("c2") && e.contains("NaN"), "{e}");
        let e = CrfParams {
            max_iterations: 0,
            ..p.clone()
        }
        .check()
        .unwrap_err()
        .to_string();
        assert!(e.contains("max_iterations"), "{e}");
    }

    #[test]
    fn learns_an_obvious_pattern() {
        let (x, y) = fixture();
        let crf = quick().fit(&x, &y).unwrap();
        let mut labels = crf.labels().to_vec();
        labels.sort();
        assert_eq!(labels, ["B-ADR", "B-Drugname", "I-ADR", "O"]);
        // Training sentences are reproduced.
        for (s, t) in x.iter().zip(&y) {
            assert_eq!(&crf.predict(s).unwrap(), t, "{s:?}");
        }
        // An unseen capitalised word after "Принимал" is a drug.
        assert_eq!(
            crf.predict(&toks("Принимал Називин два дня")).unwrap(),
            ["O", "B-Drugname", "O", "O"]
        );
        assert_eq!(crf.predict(&toks("Снова тошнота")).unwrap(), ["O", "B-ADR"]);
    }

    #[test]
    fn training_is_deterministic() {
        let (x, y) = fixture();
        let a = quick().fit(&x, &y).unwrap();
        let b = quick().fit(&x, &y).unwrap();
        assert_eq!(a.to_bytes(), b.to_bytes());
    }

    #[test]
    fn bytes_and_file_round_trips_keep_predictions() {
        let (x, y) = fixture();
        let crf = quick().fit(&x, &y).unwrap();
        let probe: Vec<Vec<String>> = [
            "Принимал Називин два дня",
            "головная боль и тошнота",
            "Арбидол",
        ]
        .iter()
        .map(|s| toks(s))
        .collect();
        let want = crf.predict_batch(&probe).unwrap();

        let again = Crf::from_bytes(crf.to_bytes().to_vec()).unwrap();
        assert_eq!(again.predict_batch(&probe).unwrap(), want);
        assert_eq!(again.labels(), crf.labels());

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ner.crfsuite");
        crf.save(&path).unwrap();
        // Saving over an existing file replaces it.
        crf.save(&path).unwrap();
        let loaded = Crf::load(&path).unwrap();
        assert_eq!(loaded.to_bytes(), crf.to_bytes());
        assert_eq!(loaded.predict_batch(&probe).unwrap(), want);
        // Only the model is left in the directory: no stray temp files.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn corrupt_model_bytes_are_rejected() {
        let (x, y) = fixture();
        let good = quick().fit(&x, &y).unwrap().to_bytes().to_vec();
        assert!(Crf::from_bytes(Vec::new()).is_err());
        assert!(
            Crf::from_bytes(b"not a model at all, just some bytes here......!!".to_vec()).is_err()
        );
        assert!(Crf::from_bytes(good[..good.len() / 2].to_vec()).is_err());
        let mut bad_offset = good.clone();
        bad_offset[32..36].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(Crf::from_bytes(bad_offset).is_err());
        assert!(Crf::load("/nonexistent/dir/model.crfsuite").is_err());
    }

    /// Crafted headers that made CRFsuite's C reader allocate without limit, read out of
    /// bounds or loop are errors.
    #[test]
    fn crafted_models_are_errors() {
        let (x, y) = fixture();
        let good = quick().fit(&x, &y).unwrap().to_bytes().to_vec();
        let set = |at: usize, v: u32| {
            let mut b = good.clone();
            b[at..at + 4].copy_from_slice(&v.to_le_bytes());
            Crf::from_bytes(b).unwrap_err().to_string()
        };
        // Label count (header field 1) huge or zero.
        assert!(
            set(20, u32::MAX).contains("labels"),
            "{}",
            set(20, u32::MAX)
        );
        assert!(set(20, 0).contains("labels"));
        // More attributes than the dictionary names.
        assert!(
            set(24, u32::MAX / 2).contains("attribute"),
            "{}",
            set(24, u32::MAX / 2)
        );
        // Every offset pointing past the end.
        for field in 3..8 {
            let e = set(16 + 4 * field, good.len() as u32 + 9);
            assert!(e.contains("outside"), "{e}");
        }
        // A feature count larger than the file.
        let feat = u32::from_le_bytes(good[28..32].try_into().unwrap()) as usize;
        assert!(set(feat + 8, u32::MAX).contains("features do not fit"));
        // Any single byte set to 0xff: a model or an error, never a panic.
        for at in 0..good.len() {
            let mut b = good.clone();
            b[at] = 0xff;
            if let Ok(m) = Crf::from_bytes(b) {
                m.predict_batch(&x).unwrap();
            }
        }
    }

    /// `Crf::load` reads within the model-file cap: a larger file is refused before a byte
    /// of it is read.
    #[test]
    fn load_is_capped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big.crfsuite");
        std::fs::File::create(&p)
            .unwrap()
            .set_len(crate::caps::MAX_MODEL_BYTES + 1)
            .unwrap();
        let e = Crf::load(&p).unwrap_err().to_string();
        assert!(e.contains("over the 4 GiB cap for a model file"), "{e}");
    }

    #[test]
    fn empty_sentences() {
        let (mut x, mut y) = fixture();
        let crf = quick().fit(&x, &y).unwrap();
        assert!(crf.predict::<String>(&[]).unwrap().is_empty());
        let batch = crf.predict_batch(&[vec![], toks("Арбидол")]).unwrap();
        assert!(batch[0].is_empty() && batch[1].len() == 1);

        // An empty training sentence is skipped: the model is the one trained without it.
        x.insert(3, vec![]);
        y.insert(3, vec![]);
        let with_empty = quick().fit(&x, &y).unwrap();
        assert_eq!(with_empty.to_bytes(), crf.to_bytes());
        let e = quick()
            .fit(&[vec![], vec![]], &[vec![], vec![]])
            .unwrap_err()
            .to_string();
        assert!(e.contains("no training sentence has a token"), "{e}");
        let e = quick().fit(&[], &[]).unwrap_err().to_string();
        assert!(e.contains("no training sentences"), "{e}");
    }

    #[test]
    fn non_iob_tags_are_rejected_with_position() {
        let (x, mut y) = fixture();
        for bad in ["Drugname", "B-", "X-ADR", "b-ADR", "", "B-AD\0R", "I"] {
            y[2][1] = bad.to_string();
            let e = quick().fit(&x, &y).unwrap_err().to_string();
            assert!(
                e.contains("sentence 2") && e.contains("token 1") && e.contains("not IOB"),
                "{bad:?}: {e}"
            );
            assert!(e.contains(&format!("{bad:?}")), "{e}");
        }
    }

    #[test]
    fn mismatched_lengths_are_rejected() {
        let (x, mut y) = fixture();
        y[4].pop();
        let e = quick().fit(&x, &y).unwrap_err().to_string();
        assert!(
            e.contains("sentence 4") && e.contains("3 tokens but 2 tags"),
            "{e}"
        );
        let (x, y) = fixture();
        let e = quick().fit(&x, &y[..5]).unwrap_err().to_string();
        assert!(e.contains("10 sentences but 5"), "{e}");
    }

    #[test]
    fn odd_tokens_train_and_predict_without_panicking() {
        let (mut x, mut y) = fixture();
        // Spaces, tabs and colons go into attribute names verbatim, as in
        // python-crfsuite; a NUL ends the name as a C string would.
        x.push(vec![
            "Доза:".into(),
            "2 мг".into(),
            "a\tb".into(),
            "x\0y".into(),
            "Аспирин".into(),
        ]);
        y.push(toks("O O O O B-Drugname"));
        let crf = quick().fit(&x, &y).unwrap();
        let got = crf
            .predict(&[
                "Доза:",
                "2 мг",
                "a\tb",
                "x\0y",
                "Аспирин",
                ":",
                " ",
                "\0",
                "",
            ])
            .unwrap();
        assert_eq!(got.len(), 9);
        assert_eq!(got[4], "B-Drugname");
    }

    #[test]
    fn colon_attributes_are_distinct_from_split_ones() {
        // "word.lower():a:b" is one attribute name; no parsing splits it.
        let paper = Templates::default();
        let items = train_items(&paper, &["a:b"]);
        assert_eq!(items[0][1].name, "word.lower():a:b");
        assert_eq!(items[0][1].value, 1.0);
        let items = train_items(&paper, &["x\0y"]);
        assert_eq!(items[0][1].name, "word.lower():x");
    }

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    /// A small trained model's bytes, with every feature weight multiplied by `factor`.
    fn scaled_model(factor: f64) -> Vec<u8> {
        let sents = [
            ("Принимал Арбидол три дня", "O B-Drug O O"),
            ("После Нурофена началась тошнота", "O B-Drug O B-ADR"),
            ("Была тошнота и головная боль", "O B-ADR O B-ADR I-ADR"),
            ("Врач выписал Анаферон", "O O B-Drug"),
        ];
        let (x, y): (Vec<_>, Vec<_>) = sents.iter().map(|(s, t)| (words(s), words(t))).unzip();
        let params = CrfParams {
            max_iterations: 30,
            ..CrfParams::default()
        };
        let mut bytes = params.fit(&x, &y).unwrap().to_bytes().to_vec();
        let h = reader::header(&bytes).unwrap();
        for fid in 0..h.num_features as usize {
            let at = h.off_features + reader::CHUNK_LEN + reader::FEATURE_LEN * fid + 12;
            let w = f64::from_le_bytes(bytes[at..at + 8].try_into().unwrap());
            bytes[at..at + 8].copy_from_slice(&(w * factor).to_le_bytes());
        }
        bytes
    }

    /// Weights far past what `exp` takes (but under the bound) load, and the marginals stay
    /// finite, summing to 1 with the Viterbi tags most probable: the scaled recursion would
    /// give NaN here, the log-space one takes over. Past the bound a model is refused.
    #[test]
    fn huge_weights_give_finite_marginals_or_are_refused() {
        let crf = Crf::from_bytes(scaled_model(1e60)).unwrap();
        let sent = words("После Арбидола головная боль");
        let items = crate::features::token::sent2features(&sent);
        let scaled = crf.tables.marginals_scaled(&items);
        assert!(
            scaled.iter().flatten().any(|p| !p.is_finite()),
            "the scaled recursion stayed finite: the test does not reach the fallback"
        );
        let m = crf.marginals(&sent).unwrap();
        let tags = crf.predict(&sent).unwrap();
        for (row, tag) in m.iter().zip(&tags) {
            assert!(row.iter().all(|p| p.is_finite()), "{row:?}");
            assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-9, "{row:?}");
            let best = (0..row.len())
                .max_by(|&a, &b| row[a].total_cmp(&row[b]))
                .unwrap();
            assert_eq!(&crf.labels()[best], tag);
        }
        // Ordinary weights: the log-space marginals equal the scaled ones.
        let plain = Crf::from_bytes(scaled_model(1.0)).unwrap();
        let a = plain.tables.marginals_scaled(&items);
        let b = plain.tables.marginals_log(&items);
        for (x, y) in a.iter().flatten().zip(b.iter().flatten()) {
            assert!((x - y).abs() < 1e-9, "{x} vs {y}");
        }
        let err = Crf::from_bytes(scaled_model(1e200))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("keeps every score and probability finite"),
            "{err}"
        );
    }
}
