//! The native module of the `rumedbench` Python package: thin wrappers over the library's
//! high-level API (`rumedbench::api`). The estimator classes live in Python
//! (`rumedbench/_estimators.py`); this module only moves data across and releases the GIL
//! while the Rust core works (rayon uses every core meanwhile).
//!
//! Errors: a failed read or write of a file is `OSError` (`FileNotFoundError`,
//! `PermissionError`), anything else the core rejects is `ValueError`, with the core's
//! message and its causes.

use std::path::PathBuf;

// Class-partitioned training for rumedbench.spark (issue 21).
mod distributed;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use rumedbench::api;

mod classifier;
mod common;
mod tagger;

use classifier::NativeClassifier;
use common::to_py;
use tagger::NativeTagger;

/// The default settings of a model family (`"text"` or `"crf"`) as JSON text, by the names the
/// estimators' keyword arguments map onto: the one source of the Python defaults.
#[pyfunction]
fn recipe_defaults(family: &str) -> PyResult<String> {
    let map = match family {
        "text" => rumedbench::recipe::to_map(&rumedbench::TextRecipe::default()),
        "crf" => rumedbench::recipe::to_map(&rumedbench::CrfRecipe::default()),
        other => {
            return Err(PyValueError::new_err(format!(
                "no model family {other:?}: 'text' or 'crf'"
            )))
        }
    };
    Ok(serde_json::Value::Object(map).to_string())
}

/// `rumedbench eval DIR --format json` as JSON text.
#[pyfunction]
#[pyo3(signature = (folder, gold=None))]
fn evaluate(py: Python<'_>, folder: PathBuf, gold: Option<PathBuf>) -> PyResult<String> {
    let v = py
        .detach(|| api::evaluate(&folder, gold.as_deref()))
        .map_err(to_py)?;
    Ok(v.to_string())
}

/// `rumedbench eval DIR --task-file F… [--bootstrap N --seed S] --format json` as JSON text.
#[pyfunction]
#[pyo3(signature = (folder, gold=None, task_files=Vec::new(), replicates=None, seed=None))]
fn evaluate_with(
    py: Python<'_>,
    folder: PathBuf,
    gold: Option<PathBuf>,
    task_files: Vec<PathBuf>,
    replicates: Option<usize>,
    seed: Option<u64>,
) -> PyResult<String> {
    let files: Vec<&std::path::Path> = task_files.iter().map(|p| p.as_path()).collect();
    let v = py
        .detach(|| api::evaluate_with(&folder, gold.as_deref(), &files, replicates, seed))
        .map_err(to_py)?;
    Ok(v.to_string())
}

/// `rumedbench compare A B --bootstrap N --seed S --format json` as JSON text.
#[pyfunction]
#[pyo3(signature = (a, b, replicates, seed=None))]
fn compare(
    py: Python<'_>,
    a: PathBuf,
    b: PathBuf,
    replicates: usize,
    seed: Option<u64>,
) -> PyResult<String> {
    let v = py
        .detach(|| api::compare(&a, &b, replicates, seed))
        .map_err(to_py)?;
    Ok(v.to_string())
}

/// Accuracy and Hit@3 (percent) of ranked predictions.
#[pyfunction]
fn score_ranked(gold: Vec<String>, ranked: Vec<Vec<String>>) -> PyResult<Vec<(String, f64)>> {
    let v = api::score_ranked(&gold, &ranked).map_err(to_py)?;
    Ok(v.into_iter().map(|(k, x)| (k.to_string(), x)).collect())
}

/// Token accuracy and entity F1 (percent) of tag sequences.
#[pyfunction]
fn score_tags(gold: Vec<Vec<String>>, pred: Vec<Vec<String>>) -> PyResult<Vec<(String, f64)>> {
    let v = api::score_tags(&gold, &pred).map_err(to_py)?;
    Ok(v.into_iter().map(|(k, x)| (k.to_string(), x)).collect())
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeClassifier>()?;
    m.add_class::<NativeTagger>()?;
    m.add_function(wrap_pyfunction!(evaluate, m)?)?;
    m.add_function(wrap_pyfunction!(evaluate_with, m)?)?;
    m.add_function(wrap_pyfunction!(compare, m)?)?;
    m.add_function(wrap_pyfunction!(score_ranked, m)?)?;
    m.add_function(wrap_pyfunction!(score_tags, m)?)?;
    m.add_function(wrap_pyfunction!(recipe_defaults, m)?)?;
    distributed::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
