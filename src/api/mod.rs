//! The high-level API: a text classifier and a sequence tagger that fit on in-memory data,
//! return `ndarray` arrays, and save and load exactly the model file the command line writes
//! (`rumedbench train` writes it, `rumedbench predict --model` reads it).
//!
//! Parameters and fitted models are separate types, as in linfa: a [`TextClassifierParams`]
//! fits a [`TextClassifier`], a [`TaggerParams`] fits a [`Tagger`]. The classifier's parameters
//! also implement linfa's [`Fit`](::linfa::traits::Fit) on a `DatasetBase` whose records are an
//! `Array2<String>` with one column (single texts) or two (text pairs); the fitted
//! [`LinfaClassifier`] implements [`PredictInplace`](::linfa::traits::PredictInplace) into the
//! dataset's own target type (and a loaded [`TextClassifier`] into `Array1<String>`), so
//! predicting neither parses labels nor panics.
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
mod common;
mod distributed;
mod linfa;
pub mod scoring;
mod tagger;

pub use crate::features::analyzer::Analyzer;
pub use crate::features::limit::DocFreq;
pub use classifier::{TextClassifier, TextClassifierParams};
pub use distributed::{n_problems, ClassBlock, HashedDocFreq};
pub use linfa::LinfaClassifier;
pub use scoring::{compare, evaluate, evaluate_with, score_ranked, score_tags};
pub use tagger::{Tagger, TaggerKind, TaggerParams};
