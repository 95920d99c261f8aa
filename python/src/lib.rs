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

use ndarray_compat::Matrix;
use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyPermissionError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rumedbench::api::{self, TaggerKind};
use rumedbench::{Tagger, TaggerParams, TextClassifier, TextClassifierParams};

/// The error and its causes on one line, as the command line prints them.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let next = c.to_string();
        if !s.ends_with(&next) {
            s.push_str(": ");
            s.push_str(&next);
        }
        cur = c.source();
    }
    s
}

fn to_py(e: rumedbench::Error) -> PyErr {
    let msg = chain(&e);
    match e.io_kind() {
        Some(std::io::ErrorKind::NotFound) => PyFileNotFoundError::new_err(msg),
        Some(std::io::ErrorKind::PermissionDenied) => PyPermissionError::new_err(msg),
        Some(_) => PyOSError::new_err(msg),
        None => PyValueError::new_err(msg),
    }
}

mod ndarray_compat {
    /// A row-major f32 or f64 matrix handed to Python as `(bytes, rows, cols)`, which the
    /// Python side wraps with `numpy.frombuffer` (no copy of the values on that side).
    pub type Matrix = (Vec<u8>, usize, usize);

    pub fn f32s(a: &ndarray::Array2<f32>) -> Matrix {
        let bytes = a.iter().flat_map(|v| v.to_le_bytes()).collect();
        (bytes, a.nrows(), a.ncols())
    }

    pub fn f64s(a: &ndarray::Array2<f64>) -> Matrix {
        let bytes = a.iter().flat_map(|v| v.to_le_bytes()).collect();
        (bytes, a.nrows(), a.ncols())
    }
}

fn matrix_out<'py>(py: Python<'py>, m: Matrix) -> (Bound<'py, PyBytes>, usize, usize) {
    (PyBytes::new(py, &m.0), m.1, m.2)
}

/// Texts or text pairs, whichever the caller gave.
#[derive(FromPyObject)]
enum Docs {
    Texts(Vec<String>),
    Pairs(Vec<(String, String)>),
}

/// One label per text, or a set of labels per text (multi-label).
#[derive(FromPyObject)]
enum Targets {
    Labels(Vec<String>),
    Sets(Vec<Vec<String>>),
}

/// A document-frequency bound: an int is a number of documents, a float a fraction of them
/// (scikit-learn's `min_df`/`max_df` convention).
/// A recipe from the JSON object of its settings by name (the estimators' keyword
/// arguments): every key must be the recipe's, every value is checked by the recipe, and a
/// bad one is a `ValueError` naming its key.
fn recipe_of<T>(json: &str) -> PyResult<T>
where
    T: serde::Serialize + serde::de::DeserializeOwned + Default,
{
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(json)
        .map_err(|e| PyValueError::new_err(format!("the settings are not a JSON object: {e}")))?;
    rumedbench::recipe::from_map(&map).map_err(to_py)
}

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

/// The text classifier: char n-gram tf-idf + one-vs-rest logistic regression.
#[pyclass(frozen, module = "rumedbench._native")]
struct NativeClassifier {
    inner: TextClassifier,
}

#[pymethods]
impl NativeClassifier {
    /// Fits on texts (a list of str) or pairs (a list of 2-tuples of str); `recipe` is the JSON
    /// object of the recipe's settings by name (`TextRecipe`'s keys).
    #[staticmethod]
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (docs, labels, recipe, name, text_fields=None, label_field=None, classes=None, positive_label=None))]
    fn fit(
        py: Python<'_>,
        docs: Docs,
        labels: Targets,
        recipe: &str,
        name: String,
        text_fields: Option<Vec<String>>,
        label_field: Option<String>,
        classes: Option<Vec<String>>,
        positive_label: Option<String>,
    ) -> PyResult<Self> {
        let mut params = TextClassifierParams::default()
            .with_recipe(recipe_of(recipe)?)
            .positive_label(positive_label)
            .name(name);
        if let Some(order) = classes {
            params = params.classes(order);
        }
        if let Some(texts) = &text_fields {
            let texts: Vec<&str> = texts.iter().map(|t| t.as_str()).collect();
            params = params.fields(&texts, label_field.as_deref().unwrap_or("label"));
        }
        let inner = py
            .detach(|| match (&docs, &labels) {
                (Docs::Texts(t), Targets::Labels(l)) => params.fit(t, l),
                (Docs::Pairs(p), Targets::Labels(l)) => params.fit_pairs(p, l),
                (Docs::Texts(t), Targets::Sets(l)) => params.fit_multi(t, l),
                (Docs::Pairs(p), Targets::Sets(l)) => params.fit_multi_pairs(p, l),
            })
            .map_err(to_py)?;
        Ok(NativeClassifier { inner })
    }

    /// Class probabilities as `(bytes of little-endian f32, rows, classes)`.
    fn predict_proba<'py>(
        &self,
        py: Python<'py>,
        docs: Docs,
    ) -> PyResult<(Bound<'py, PyBytes>, usize, usize)> {
        let m = py
            .detach(|| match &docs {
                Docs::Texts(t) => self.inner.predict_proba(t),
                Docs::Pairs(p) => self.inner.predict_proba_pairs(p),
            })
            .map_err(to_py)?;
        Ok(matrix_out(py, ndarray_compat::f32s(&m)))
    }

    /// Decision scores as `(bytes of little-endian f32, rows, classes)`.
    fn decision_function<'py>(
        &self,
        py: Python<'py>,
        docs: Docs,
    ) -> PyResult<(Bound<'py, PyBytes>, usize, usize)> {
        let m = py
            .detach(|| match &docs {
                Docs::Texts(t) => self.inner.decision_function(t),
                Docs::Pairs(p) => self.inner.decision_function_pairs(p),
            })
            .map_err(to_py)?;
        Ok(matrix_out(py, ndarray_compat::f32s(&m)))
    }

    /// A multi-label model's predicted sets as an indicator matrix `(bytes of u8, rows,
    /// classes)`, columns in `classes()` order.
    fn predict_indicator<'py>(
        &self,
        py: Python<'py>,
        docs: Docs,
    ) -> PyResult<(Bound<'py, PyBytes>, usize, usize)> {
        let m = py
            .detach(|| match &docs {
                Docs::Texts(t) => self.inner.predict_indicator(t),
                Docs::Pairs(p) => self.inner.predict_indicator_pairs(p),
            })
            .map_err(to_py)?;
        let bytes: Vec<u8> = m.iter().copied().collect();
        Ok(matrix_out(py, (bytes, m.nrows(), m.ncols())))
    }

    /// The predicted class of each text (a single-label model; under a binary rule, the
    /// positive label when its probability reaches the threshold).
    fn predict(&self, py: Python<'_>, docs: Docs) -> PyResult<Vec<String>> {
        py.detach(|| match &docs {
            Docs::Texts(t) => self.inner.predict(t),
            Docs::Pairs(p) => self.inner.predict_pairs(p),
        })
        .map_err(to_py)
    }

    /// A binary model's `(positive label, threshold)`, else `None`.
    fn binary_rule(&self) -> Option<(String, f64)> {
        self.inner
            .binary_rule()
            .map(|r| (r.positive.clone(), r.threshold))
    }

    /// Whether the model is multi-label.
    fn is_multi_label(&self) -> bool {
        self.inner.is_multi_label()
    }

    /// A multi-label model's `(threshold, allow_empty)`, else `None`.
    fn multi_label_rule(&self) -> Option<(f64, bool)> {
        self.inner
            .multi_label_rule()
            .map(|r| (r.threshold, r.allow_empty))
    }

    /// Class labels in column order.
    fn classes(&self) -> Vec<String> {
        self.inner.classes().to_vec()
    }

    /// Size of the n-gram vocabulary.
    fn n_features(&self) -> usize {
        self.inner.n_features()
    }

    /// Whether the model takes text pairs.
    fn is_pair(&self) -> bool {
        self.inner.is_pair()
    }

    /// The task name stored in the model file.
    fn name(&self) -> String {
        self.inner.task().name.clone()
    }

    /// The training hyperparameters (JSON text).
    fn hyperparameters(&self) -> String {
        self.inner.hyperparameters().to_string()
    }

    /// The model file's bytes.
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let b = py.detach(|| self.inner.to_bytes()).map_err(to_py)?;
        Ok(PyBytes::new(py, &b))
    }

    /// Reads a model from model-file bytes.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: Vec<u8>) -> PyResult<Self> {
        let inner = py
            .detach(|| TextClassifier::from_bytes(&data))
            .map_err(to_py)?;
        Ok(NativeClassifier { inner })
    }

    /// Writes the model file `rumedbench predict --model` reads.
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| self.inner.save(&path)).map_err(to_py)
    }

    /// Reads a model file written by `rumedbench train` or `save`.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let inner = py.detach(|| TextClassifier::load(&path)).map_err(to_py)?;
        Ok(NativeClassifier { inner })
    }
}

/// The sequence tagger: the paper's CRF or the naive tagger.
#[pyclass(frozen, module = "rumedbench._native")]
struct NativeTagger {
    inner: Tagger,
}

#[pymethods]
impl NativeTagger {
    /// Fits on token lists and their IOB2 tag lists; `recipe` is the JSON object of the CRF's
    /// settings by name (`CrfRecipe`'s keys).
    #[staticmethod]
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (sents, tags, recipe, naive, name, tokens_field=None, tags_field=None))]
    fn fit(
        py: Python<'_>,
        sents: Vec<Vec<String>>,
        tags: Vec<Vec<String>>,
        recipe: &str,
        naive: bool,
        name: String,
        tokens_field: Option<String>,
        tags_field: Option<String>,
    ) -> PyResult<Self> {
        let mut params = TaggerParams::default()
            .kind(if naive {
                TaggerKind::Naive
            } else {
                TaggerKind::Crf
            })
            .with_recipe(recipe_of(recipe)?)
            .name(name);
        if tokens_field.is_some() || tags_field.is_some() {
            params = params.fields(
                tokens_field.as_deref().unwrap_or("tokens"),
                tags_field.as_deref().unwrap_or("tags"),
            );
        }
        let inner = py.detach(|| params.fit(&sents, &tags)).map_err(to_py)?;
        Ok(NativeTagger { inner })
    }

    /// One tag list per sentence.
    fn predict(&self, py: Python<'_>, sents: Vec<Vec<String>>) -> PyResult<Vec<Vec<String>>> {
        py.detach(|| self.inner.predict(&sents)).map_err(to_py)
    }

    /// Per sentence, the marginals as `(bytes of little-endian f64, tokens, tags)`.
    fn predict_marginals<'py>(
        &self,
        py: Python<'py>,
        sents: Vec<Vec<String>>,
    ) -> PyResult<Vec<(Bound<'py, PyBytes>, usize, usize)>> {
        let ms = py
            .detach(|| self.inner.predict_marginals(&sents))
            .map_err(to_py)?;
        Ok(ms
            .iter()
            .map(|m| matrix_out(py, ndarray_compat::f64s(m)))
            .collect())
    }

    /// Token accuracy (a fraction) against gold tag lists, scored in Rust.
    fn score(
        &self,
        py: Python<'_>,
        sents: Vec<Vec<String>>,
        tags: Vec<Vec<String>>,
    ) -> PyResult<f64> {
        py.detach(|| self.inner.score(&sents, &tags)).map_err(to_py)
    }

    /// The tags the model can predict, in marginal column order.
    fn classes(&self) -> Vec<String> {
        self.inner.classes()
    }

    /// Whether this is the naive tagger.
    fn is_naive(&self) -> bool {
        self.inner.is_naive()
    }

    /// The training hyperparameters (JSON text).
    fn hyperparameters(&self) -> String {
        self.inner.hyperparameters().to_string()
    }

    /// The model file's bytes.
    fn to_bytes<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let b = py.detach(|| self.inner.to_bytes()).map_err(to_py)?;
        Ok(PyBytes::new(py, &b))
    }

    /// Reads a model from model-file bytes.
    #[staticmethod]
    fn from_bytes(py: Python<'_>, data: Vec<u8>) -> PyResult<Self> {
        let inner = py.detach(|| Tagger::from_bytes(&data)).map_err(to_py)?;
        Ok(NativeTagger { inner })
    }

    /// Writes the model file `rumedbench predict --model` reads.
    fn save(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        py.detach(|| self.inner.save(&path)).map_err(to_py)
    }

    /// Reads a model file written by `rumedbench train` or `save`.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let inner = py.detach(|| Tagger::load(&path)).map_err(to_py)?;
        Ok(NativeTagger { inner })
    }
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
