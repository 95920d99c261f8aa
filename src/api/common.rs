//! What the classifier and the tagger share: a task for data in memory, a bundle around a
//! fitted pipeline, and the model-file methods.

use crate::bundle::{Bundle, BundleMeta};
use crate::error::Result;
use crate::pipeline::{FitSettings, Pipeline};
use crate::task::{multi_label_metrics, InputFields, Metric, TaskSpec};

/// The model-file methods of an API model that holds a [`Bundle`] in its field `bundle` and
/// checks the bundle's model kind in its own `from_bundle`: `load`, `save`, `to_bytes` and
/// `from_bytes`, one definition for the classifier and the tagger.
macro_rules! model_file_methods {
    ($model:ident) => {
        impl $model {
            #[doc = concat!("Reads a model file written by `rumedbench train` or [`", stringify!($model), "::save`] (errors name the path; a read failure carries its I/O kind).")]
            pub fn load(path: impl AsRef<std::path::Path>) -> $crate::error::Result<Self> {
                let path = path.as_ref();
                Self::from_bundle($crate::bundle::Bundle::load(path)?)
                    .map_err(|e| $crate::api::common::wrong_kind(path, e))
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
                Self::from_bundle($crate::bundle::Bundle::from_bytes(bytes)?).map_err(|e| {
                    $crate::api::common::wrong_kind(std::path::Path::new("model bytes"), e)
                })
            }
        }
    };
}
pub(crate) use model_file_methods;

/// A model file of the wrong kind (a tagger loaded as a classifier, or the reverse) is a
/// [`Error::Model`](crate::error::Error::Model) naming the file.
pub(crate) fn wrong_kind(path: &std::path::Path, e: crate::error::Error) -> crate::error::Error {
    match e {
        crate::error::Error::Invalid(message) => crate::error::Error::Model {
            path: path.to_path_buf(),
            message,
        },
        other => other,
    }
}

/// A task definition for data in memory, built directly: task `name` (trimmed, checked as a
/// task file's is), inputs `inputs`, label field `label_field`; records are numbered from 1.
pub(super) fn in_memory_task(
    name: &str,
    inputs: InputFields,
    label_field: &str,
    multi_label: bool,
) -> Result<TaskSpec> {
    let name = name.trim().to_string();
    crate::task::check_name(&name)?;
    let metrics = match (&inputs, multi_label) {
        (InputFields::Tokens { .. }, _) => vec![Metric::Acc, Metric::F1],
        (_, true) => multi_label_metrics(false),
        (_, false) => vec![Metric::Acc],
    };
    Ok(TaskSpec {
        alias: name.to_lowercase(),
        name,
        id_field: String::new(),
        inputs,
        label_field: label_field.to_string(),
        metrics,
        label_order: None,
        top_k: 1,
        train_notice: None,
        multi_label,
        label_separator: None,
    })
}

/// Wraps a fitted pipeline with this build's provenance, as `train` does for a file (the
/// train-file list is empty: the data never was a file).
pub(super) fn bundle_of(pipeline: Pipeline, settings: &FitSettings) -> Bundle {
    let hyperparameters = pipeline.hyperparameters(settings).to_string();
    Bundle {
        meta: BundleMeta {
            tool_version: env!("CARGO_PKG_VERSION").into(),
            hyperparameters,
            train_files: vec![],
        },
        pipeline,
    }
}

/// The pipeline of a bundle, for callers that only need to predict.
pub(super) fn pipeline_of(bundle: &Bundle) -> &Pipeline {
    &bundle.pipeline
}
