//! Model format 5, self-describing: after the header, the payload is
//!
//! | size | content |
//! |---|---|
//! | 4 | length `n` of the settings (`u32`, little-endian) |
//! | n | the settings: a JSON object, every value by name (see [`Settings`]) |
//! | rest | the fitted model's arrays: the postcard encoding of the type the settings' `fitted` names |
//!
//! The settings hold the provenance, the task definition, the model kind, the multi-label
//! rule and the vectorizer's recipe keys; the postcard part only arrays (vocabulary, idf,
//! weights, CRFsuite bytes, naive tables). A setting added later with a default is read from
//! older format-5 files as its default: no new format.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::meta::{BundleMeta, FileDigest};
use crate::error::{bail, Context, Result};
use crate::features::crf_templates::Templates;
use crate::features::tfidf::{TfidfArrays, TfidfArraysIn};
use crate::features::union::{BlockParams, FittedBlock, Union};
use crate::models::crf::{Crf, CrfBytes};
use crate::models::linear::{LogReg, LogRegOut};
use crate::models::naive::{NaiveClassifier, NaiveTagger};
use crate::pipeline::{
    BinaryRule, Fitted, ModelKind, MultiLabelRule, Pipeline, TextModel, UnionModel,
};
use crate::recipe::text::{vectorizer_from, vectorizer_map};
use crate::recipe::Block;
use crate::task::TaskSpec;
use crate::wire::{self, FORMAT_EXTENDED, FORMAT_SELF_DESCRIBING};

/// Which fitted model the arrays are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum FittedKind {
    NaiveClassifier,
    NaiveTagger,
    Crf,
    Text,
    /// A union of vectorizer blocks (format 6 only).
    Union,
}

/// The JSON settings of a format-5 file.
#[derive(Serialize, Deserialize)]
pub(super) struct Settings {
    /// `rumedbench` version that trained the model.
    tool_version: String,
    /// The run record's hyperparameters.
    hyperparameters: Value,
    /// The files the model was trained on.
    #[serde(default)]
    train_files: Vec<FileDigest>,
    /// The task definition, every field by name.
    task: TaskSpec,
    /// The model family (`feature`, `naive`).
    model: ModelKind,
    /// Which fitted model the arrays hold.
    fitted: FittedKind,
    /// Text model: the vectorizer's recipe keys (missing keys: their defaults).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vectorizer: Option<Map<String, Value>>,
    /// Union text model (format 6): its blocks by their recipe keys, in column order, and the
    /// whole-row normalisation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) union: Option<UnionSettings>,
    /// Multi-label text model: the decision rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    multi_label: Option<MultiLabelRule>,
    /// Single-label binary model: the positive label and its threshold, when one was set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    binary: Option<BinaryRule>,
    /// CRF: the feature templates by name, when they are not the paper's features (format 6).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    crf_templates: Option<Vec<String>>,
}

impl Settings {
    /// The provenance these settings hold.
    pub(super) fn meta(&self) -> BundleMeta {
        BundleMeta {
            tool_version: self.tool_version.clone(),
            hyperparameters: match &self.hyperparameters {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            },
            train_files: self.train_files.clone(),
        }
    }

    pub(super) fn task(&self) -> &TaskSpec {
        &self.task
    }

    pub(super) fn kind(&self) -> ModelKind {
        self.model
    }
}

/// A union's settings by name.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UnionSettings {
    pub(super) blocks: Vec<Block>,
    row_norm: bool,
}

/// A union model's arrays: one vectorizer per n-gram block, in block order.
#[derive(Serialize)]
struct UnionArraysIn<'a> {
    tfidf: Vec<TfidfArraysIn<'a>>,
    clf: &'a LogReg,
    labels: &'a [String],
}

#[derive(Deserialize)]
struct UnionArraysOut {
    tfidf: Vec<TfidfArrays>,
    clf: LogRegOut,
    labels: Vec<String>,
}

/// The fitted model's arrays, encoded.
#[derive(Serialize)]
struct TextArraysIn<'a> {
    tfidf: TfidfArraysIn<'a>,
    clf: &'a LogReg,
    labels: &'a [String],
}

#[derive(Deserialize)]
struct TextArraysOut {
    tfidf: TfidfArrays,
    clf: LogRegOut,
    labels: Vec<String>,
}

/// The CRF's feature templates, when a format-5 reader could not do without them.
fn crf_templates(p: &Pipeline) -> Option<Vec<String>> {
    match &p.model {
        Fitted::Crf(m) if !m.templates().is_paper() => Some(m.templates().names()),
        _ => None,
    }
}

/// The format `p` is written in: [`FORMAT_EXTENDED`] when its settings hold a union of
/// vectorizer blocks or feature templates, else [`FORMAT_SELF_DESCRIBING`].
pub(super) fn format_of(p: &Pipeline) -> u32 {
    if crf_templates(p).is_some() || matches!(p.model, Fitted::Union(_)) {
        FORMAT_EXTENDED
    } else {
        FORMAT_SELF_DESCRIBING
    }
}

/// The settings of `b` (`meta`, `p`).
fn settings(meta: &BundleMeta, p: &Pipeline) -> Settings {
    let (fitted, vectorizer) = match &p.model {
        Fitted::NaiveClassifier(_) => (FittedKind::NaiveClassifier, None),
        Fitted::NaiveTagger(_) => (FittedKind::NaiveTagger, None),
        Fitted::Crf(_) => (FittedKind::Crf, None),
        Fitted::Text(m) => (FittedKind::Text, Some(vectorizer_map(m.tfidf.params()))),
        Fitted::Union(_) => (FittedKind::Union, None),
    };
    let union = match &p.model {
        Fitted::Union(m) => Some(UnionSettings {
            blocks: m.union.params().blocks.iter().map(Block::of).collect(),
            row_norm: m.union.row_norm(),
        }),
        _ => None,
    };
    Settings {
        tool_version: meta.tool_version.clone(),
        hyperparameters: serde_json::from_str(&meta.hyperparameters)
            .unwrap_or_else(|_| Value::String(meta.hyperparameters.clone())),
        train_files: meta.train_files.clone(),
        task: p.task.clone(),
        model: p.kind,
        fitted,
        vectorizer,
        union,
        multi_label: p.multi_label,
        binary: p.binary.clone(),
        crf_templates: crf_templates(p),
    }
}

/// Writes the payload of `meta` and `p` in format 5 to `w`.
pub(super) fn encode(meta: &BundleMeta, p: &Pipeline, w: &mut dyn std::io::Write) -> Result<()> {
    let json = serde_json::to_vec(&settings(meta, p)).context("cannot encode the model")?;
    let n = u32::try_from(json.len())
        .map_err(|_| crate::error::err!("the model's settings exceed 4 GiB"))?;
    w.write_all(&n.to_le_bytes())?;
    w.write_all(&json)?;
    match &p.model {
        Fitted::NaiveClassifier(m) => postcard::to_io(m, w).map(drop),
        Fitted::NaiveTagger(m) => postcard::to_io(m, w).map(drop),
        Fitted::Crf(m) => postcard::to_io(m, w).map(drop),
        Fitted::Text(m) => postcard::to_io(
            &TextArraysIn {
                tfidf: TfidfArraysIn::new(&m.tfidf),
                clf: &m.clf,
                labels: &m.labels,
            },
            w,
        )
        .map(drop),
        Fitted::Union(m) => postcard::to_io(
            &UnionArraysIn {
                tfidf: m
                    .union
                    .blocks()
                    .iter()
                    .filter_map(|b| match b {
                        FittedBlock::Ngrams { tfidf, .. } => Some(TfidfArraysIn::new(tfidf)),
                        FittedBlock::Cross { .. } => None,
                    })
                    .collect(),
                clf: &m.clf,
                labels: &m.labels,
            },
            w,
        )
        .map(drop),
    }
    .context("cannot encode the model")
}

/// Splits a format-5 payload into its settings and its arrays.
pub(super) fn read_settings(payload: &[u8]) -> Result<(Settings, &[u8])> {
    if payload.len() < 4 {
        bail!(
            "corrupted model file: a format-5 payload of {} bytes has no settings length",
            payload.len()
        );
    }
    let n = u32::from_le_bytes(payload[..4].try_into().expect("4 bytes")) as usize;
    let rest = &payload[4..];
    if n > rest.len() {
        bail!(
            "corrupted model file: the settings claim {n} bytes, {} follow",
            rest.len()
        );
    }
    let settings: Settings = serde_json::from_slice(&rest[..n])
        .map_err(|e| crate::error::err!("corrupted model file: cannot decode the settings: {e}"))?;
    Ok((settings, &rest[n..]))
}

/// Decodes `T` from `bytes`, which it must fill exactly; the error names `section`.
fn arrays<T: serde::de::DeserializeOwned>(bytes: &[u8], section: &str) -> Result<T> {
    match postcard::take_from_bytes::<T>(bytes) {
        Ok((v, [])) => Ok(v),
        Ok((_, rest)) => bail!(
            "corrupted model file: {} bytes follow {section}",
            rest.len()
        ),
        Err(e) => bail!(
            "corrupted model file: cannot decode {section}: {}",
            wire::decode_reason(e)
        ),
    }
}

/// The union model of settings `s` and arrays `rest`.
fn union_model(s: &Settings, rest: &[u8]) -> Result<UnionModel> {
    let corrupted =
        |e: crate::error::Error| crate::error::err!("corrupted model file: the blocks: {e}");
    let Some(u) = &s.union else {
        bail!("corrupted model file: a union model without its blocks");
    };
    let a: UnionArraysOut = arrays(rest, "the union model (vocabularies, idf, classifier)")?;
    let mut tfidf = a.tfidf.into_iter();
    let mut blocks = Vec::with_capacity(u.blocks.len());
    for (i, b) in u.blocks.iter().enumerate() {
        blocks.push(match b.params(i).map_err(corrupted)? {
            BlockParams::Ngrams {
                field,
                weight,
                tfidf: params,
            } => {
                let Some(t) = tfidf.next() else {
                    bail!("corrupted model file: fewer vectorizers than n-gram blocks");
                };
                FittedBlock::Ngrams {
                    field,
                    weight,
                    tfidf: t.with_params(params).map_err(corrupted)?,
                }
            }
            BlockParams::Cross { weight } => FittedBlock::Cross { weight },
        });
    }
    if tfidf.next().is_some() {
        bail!("corrupted model file: more vectorizers than n-gram blocks");
    }
    Ok(UnionModel {
        union: Union::from_blocks(blocks, u.row_norm).map_err(corrupted)?,
        clf: a.clf.into_inner().map_err(corrupted)?,
        labels: a.labels,
    })
}

/// Decodes a format-5 payload into a pipeline and its provenance (not yet validated).
pub(super) fn decode(payload: &[u8], version: u32) -> Result<(BundleMeta, Pipeline)> {
    let (s, rest) = read_settings(payload)?;
    // Format 6 holds exactly the models a format-5 reader could not predict with.
    let extended = s.fitted == FittedKind::Union || s.crf_templates.is_some();
    if extended != (version == FORMAT_EXTENDED) {
        bail!(
            "corrupted model file: format {version} with a fitted model of type {:?}{}",
            s.fitted,
            if s.crf_templates.is_some() {
                " and CRF feature templates"
            } else {
                ""
            }
        );
    }
    let model = match s.fitted {
        FittedKind::NaiveClassifier => {
            Fitted::NaiveClassifier(arrays::<NaiveClassifier>(rest, "the naive classifier")?)
        }
        FittedKind::NaiveTagger => {
            Fitted::NaiveTagger(arrays::<NaiveTagger>(rest, "the naive tagger")?)
        }
        FittedKind::Crf => {
            let bytes = arrays::<CrfBytes>(rest, "the CRF model")?;
            let crf = Crf::from_bytes(bytes.0).map_err(|e| {
                crate::error::err!("corrupted model file: cannot decode the CRF model: {e}")
            })?;
            match &s.crf_templates {
                None => Fitted::Crf(crf),
                Some(names) => {
                    let t = Templates::from_names(names).map_err(|e| {
                        crate::error::err!(
                            "the model's CRF feature templates cannot be read: {e}; it was made \
                             by rumedbench {} (this is {})",
                            s.tool_version,
                            env!("CARGO_PKG_VERSION")
                        )
                    })?;
                    Fitted::Crf(crf.with_templates(t))
                }
            }
        }
        FittedKind::Text => {
            let params = vectorizer_from(&s.vectorizer.clone().unwrap_or_default())
                .map_err(|e| crate::error::err!("corrupted model file: the vectorizer: {e}"))?;
            let a: TextArraysOut = arrays(rest, "the text model (vocabulary, idf, classifier)")?;
            let tfidf = a
                .tfidf
                .with_params(params)
                .map_err(|e| crate::error::err!("corrupted model file: the vectorizer: {e}"))?;
            let clf = a
                .clf
                .into_inner()
                .map_err(|e| crate::error::err!("corrupted model file: the classifier: {e}"))?;
            Fitted::Text(Box::new(TextModel {
                tfidf,
                clf,
                labels: a.labels,
            }))
        }
        FittedKind::Union => Fitted::Union(Box::new(union_model(&s, rest)?)),
    };
    if s.crf_templates.is_some() && s.fitted != FittedKind::Crf {
        bail!("corrupted model file: CRF feature templates in the settings of a model that is not a CRF");
    }
    if let Some(rule) = &s.multi_label {
        rule.check()
            .context("corrupted model file: the multi-label rule is invalid")?;
    }
    if s.task.multi_label != s.multi_label.is_some() {
        bail!("corrupted model file: the task's multi-label flag disagrees with its rule");
    }
    let meta = s.meta();
    let binary = s.binary.clone();
    let mut pipeline = Pipeline {
        task: s.task,
        kind: s.model,
        model,
        multi_label: s.multi_label,
        binary: None,
    };
    if binary.is_some() {
        pipeline
            .set_binary_rule(binary)
            .context("corrupted model file: the binary threshold is invalid")?;
    }
    Ok((meta, pipeline))
}
