//! rumedbench: train, score and serve the classical baselines of RuMedBench, the Russian
//! medical language-understanding benchmark (Blinov et al., AIME 2022), and a fast CPU
//! baseline for any text classification or tagging task.
//!
//! The library is what the `rumedbench` command line is built on; it builds without the
//! command-line parts (`default-features = false` drops the `cli` feature: clap, progress bars,
//! charts, zips). Data flows through one module per stage:
//!
//! | stage | module |
//! |---|---|
//! | tasks: files, fields, metrics; the built-in registry | [`task`] |
//! | load JSONL/CSV records with located errors | [`data`] |
//! | features: char n-gram tf-idf, CRF token features, CSR matrices | [`features`] |
//! | fit: naive baseline, one-vs-rest logistic regression, CRF; the [`Model`] trait | [`models`] |
//! | a task plus its fitted model: fit, predict, score | [`pipeline`] |
//! | the model file (versioned, checksummed) | [`bundle`] |
//! | write upstream's JSON lines, atomically | [`output`] |
//! | score: metrics, prediction folders, Overall, bootstrap | [`scoring`] |
//!
//! Errors are one typed [`Error`]; an error about a user's file names path, line and field.
//!
//! ```
//! use rumedbench::{data, pipeline, task, Labels, ModelKind};
//! # fn main() -> rumedbench::Result<()> {
//! # let dir = std::env::temp_dir().join(format!("rumedbench-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir).unwrap();
//! # let path = dir.join("train.jsonl");
//! # std::fs::write(&path, concat!(
//! #     "{\"idx\": 1, \"symptoms\": \"болит голова\", \"code\": \"G43\"}\n",
//! #     "{\"idx\": 2, \"symptoms\": \"кашель и насморк\", \"code\": \"J06\"}\n",
//! #     "{\"idx\": 3, \"symptoms\": \"голова болит третий день\", \"code\": \"G43\"}\n",
//! #     "{\"idx\": 4, \"symptoms\": \"насморк, кашель\", \"code\": \"J06\"}\n",
//! # )).unwrap();
//! // RuMedTop3's fields; its splits are JSONL files with `idx`, `symptoms` and `code`.
//! let top3 = task::find("top3")?;
//! let train = data::load_split(&top3, &path, Labels::Required)?;
//! let model = pipeline::fit(&top3, ModelKind::Feature, &Default::default(), &train)?;
//! let preds = model.predict(&train.examples, 1)?;
//! let (score, _unseen) = model.score(&train.examples, &preds)?;
//! assert_eq!(score.values[0].1, 100.0); // train accuracy, %
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok(())
//! # }
//! ```
//!
//! # The high-level API
//!
//! Fit the paper's text classifier (char 3–8-gram tf-idf + one-vs-rest logistic regression,
//! `C = 10`) on texts in memory, read class probabilities as an `ndarray`, and save the model
//! file that `rumedbench predict --model` reads:
//!
//! ```
//! use rumedbench::{TextClassifier, TextClassifierParams};
//!
//! let texts = ["кашель и насморк", "боль в горле, кашель", "изжога после еды", "тошнота, изжога"];
//! let labels = ["J06", "J06", "K29", "K29"];
//! let model = TextClassifierParams::default().fit(&texts, &labels)?;
//! let proba = model.predict_proba(&["сильный кашель"])?;
//! assert_eq!(model.classes(), ["J06", "K29"]);
//! assert!(proba[[0, 0]] > proba[[0, 1]]);
//!
//! let path = std::env::temp_dir().join("rumedbench-doc-example.rmb");
//! model.save(&path)?;
//! assert_eq!(TextClassifier::load(&path)?.predict_proba(&["сильный кашель"])?, proba);
//! # std::fs::remove_file(&path).ok();
//! # Ok::<(), rumedbench::Error>(())
//! ```
//!
//! [`TaggerParams`] fits the paper's CRF tagger the same way, and [`api`] explains how the
//! classifier plugs into linfa.

pub mod api;
pub mod bundle;
pub mod caps;
#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "cli")]
pub mod commands;
pub mod data;
pub mod error;
pub mod features;
pub mod models;
pub mod output;
pub mod pipeline;
pub mod recipe;
pub(crate) mod rng;
pub mod scoring;
pub mod task;
pub mod wire;

pub use api::{Tagger, TaggerKind, TaggerParams, TextClassifier, TextClassifierParams};
pub use bundle::Bundle;
pub use data::{Example, Labels, Split};
pub use error::{Error, Result};
pub use features::analyzer::Analyzer;
pub use features::crf_templates::{Template, Templates};
pub use features::limit::DocFreq;
pub use features::tfidf::TfidfParams;
pub use models::crf::CrfParams;
pub use models::linear::LogRegParams;
pub use models::Model;
pub use pipeline::{FitSettings, ModelKind, Pipeline, Prediction};
pub use recipe::{CrfRecipe, TextRecipe};
pub use scoring::eval::{Report, TaskScore};
pub use task::TaskSpec;
