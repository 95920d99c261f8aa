//! The high-level API: a text classifier and a sequence tagger that fit on in-memory data,
//! return `ndarray` arrays, and save and load exactly the model file the command line writes
//! (`rumedbench train` writes it, `rumedbench predict --model` reads it).
//!
//! Parameters and fitted models are separate types, as in linfa: a [`TextClassifierParams`]
//! fits a [`TextClassifier`], a [`TaggerParams`] fits a [`Tagger`]. The classifier also
//! implements linfa's [`Fit`](::linfa::traits::Fit) and
//! [`PredictInplace`](::linfa::traits::PredictInplace) on a `DatasetBase` whose records are an
//! `Array2<String>` with one column (single texts) or two (text pairs).
//! Because the inherent `fit` and `predict` take slices, linfa's traits are called by their
//! path:
//!
//! ```
//! use linfa::prelude::*;
//! use ndarray::{array, Array1, Array2};
//! use rumedbench::TextClassifierParams;
//!
//! let texts = ["кашель и насморк", "боль в горле, кашель", "изжога после еды", "тошнота, изжога"];
//! let records = Array2::from_shape_fn((4, 1), |(i, _)| texts[i].to_string());
//! let dataset = Dataset::new(records, array![0usize, 0, 1, 1]);
//! let model = Fit::fit(&TextClassifierParams::default(), &dataset)?;
//! let predicted: Array1<usize> = Predict::predict(&model, dataset.records());
//! assert_eq!(predicted, array![0, 0, 1, 1]);
//! # Ok::<(), rumedbench::Error>(())
//! ```

mod classifier;
mod linfa;
pub mod scoring;
mod tagger;

pub use crate::features::analyzer::Analyzer;
pub use crate::features::limit::DocFreq;
pub use classifier::{TextClassifier, TextClassifierParams};
pub use scoring::{evaluate, score_ranked, score_tags};
pub use tagger::{Tagger, TaggerKind, TaggerParams};

use crate::bundle::{Bundle, BundleMeta};
use crate::data::{Example, Gold, Input, Split};
use crate::error::Result;
use crate::pipeline::{self, FitSettings, ModelKind, Pipeline};
use crate::task::TaskSpec;

/// The model-file methods of an API model that holds a [`Bundle`] in its field `bundle` and
/// checks the bundle's model kind in its own `from_bundle`: `load`, `save`, `to_bytes` and
/// `from_bytes`, one definition for the classifier and the tagger.
macro_rules! model_file_methods {
    ($model:ident) => {
        impl $model {
            #[doc = concat!("Reads a model file written by `rumedbench train` or [`", stringify!($model), "::save`] (errors name the path; a read failure carries its I/O kind).")]
            pub fn load(path: impl AsRef<std::path::Path>) -> $crate::error::Result<Self> {
                Self::from_bundle($crate::bundle::Bundle::load(path.as_ref())?)
            }

            /// Writes the model file `rumedbench predict --model` reads (atomically).
            pub fn save(&self, path: impl AsRef<std::path::Path>) -> $crate::error::Result<()> {
                self.bundle.save(path.as_ref())
            }

            /// The model file's bytes.
            pub fn to_bytes(&self) -> $crate::error::Result<Vec<u8>> {
                self.bundle.to_bytes()
            }

            #[doc = concat!("Reads a model from the bytes [`", stringify!($model), "::to_bytes`] returns.")]
            pub fn from_bytes(bytes: &[u8]) -> $crate::error::Result<Self> {
                Self::from_bundle($crate::bundle::Bundle::from_bytes(bytes)?)
            }
        }
    };
}
pub(crate) use model_file_methods;

/// The name given to in-memory training data in error messages (`input:3: ...` is row 3).
const MEMORY_SOURCE: &str = "input";

/// Builds a split from in-memory inputs and gold values, numbering rows from 1.
fn memory_split(inputs: Vec<Input>, gold: Vec<Gold>) -> Split {
    let examples = inputs
        .into_iter()
        .zip(gold)
        .enumerate()
        .map(|(i, (input, gold))| Example {
            id: (i as u64 + 1).into(),
            line: i + 1,
            input,
            gold: Some(gold),
        })
        .collect();
    Split {
        path: MEMORY_SOURCE.into(),
        examples,
    }
}

/// Fits a pipeline on in-memory data and wraps it with this build's provenance, as `train`
/// does for a file (the train-file list is empty: the data never was a file).
fn fit_bundle(
    task: &TaskSpec,
    kind: ModelKind,
    settings: &FitSettings,
    split: &Split,
) -> Result<Bundle> {
    let pipeline = pipeline::fit(task, kind, settings, split)?;
    let hyperparameters = pipeline.hyperparameters(settings).to_string();
    Ok(Bundle {
        meta: BundleMeta {
            tool_version: env!("CARGO_PKG_VERSION").into(),
            hyperparameters,
            train_files: vec![],
        },
        pipeline,
    })
}

/// The pipeline of a bundle, for callers that only need to predict.
fn pipeline_of(bundle: &Bundle) -> &Pipeline {
    &bundle.pipeline
}
