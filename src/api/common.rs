//! What the classifier and the tagger share: building a task and split from memory, fitting a
//! bundle, and the model-file methods.

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
pub(super) const MEMORY_SOURCE: &str = "input";

/// Builds a split from in-memory inputs and gold values, numbering rows from 1.
pub(super) fn memory_split(inputs: Vec<Input>, gold: Vec<Gold>) -> Split {
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
pub(super) fn fit_bundle(
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
pub(super) fn pipeline_of(bundle: &Bundle) -> &Pipeline {
    &bundle.pipeline
}
