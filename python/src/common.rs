//! What the native classes share: errors as Python exceptions, matrices as bytes, the inputs
//! Python gives, a recipe from its keys, and the text classifier's parameters.

use ndarray_compat::Matrix;
use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyPermissionError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rumedbench::pipeline::ModelKind;
use rumedbench::TextClassifierParams;

/// The error and its causes on one line, as the command line prints them.
pub(crate) fn chain(e: &dyn std::error::Error) -> String {
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

pub(crate) fn to_py(e: rumedbench::Error) -> PyErr {
    let msg = chain(&e);
    match e.io_kind() {
        Some(std::io::ErrorKind::NotFound) => PyFileNotFoundError::new_err(msg),
        Some(std::io::ErrorKind::PermissionDenied) => PyPermissionError::new_err(msg),
        Some(_) => PyOSError::new_err(msg),
        None => PyValueError::new_err(msg),
    }
}

pub(crate) mod ndarray_compat {
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

pub(crate) fn matrix_out<'py>(py: Python<'py>, m: Matrix) -> (Bound<'py, PyBytes>, usize, usize) {
    (PyBytes::new(py, &m.0), m.1, m.2)
}

/// Texts or text pairs, whichever the caller gave.
#[derive(FromPyObject)]
pub(crate) enum Docs {
    /// Single texts.
    Texts(Vec<String>),
    /// Text pairs.
    Pairs(Vec<(String, String)>),
}

/// One label per text, or a set of labels per text (multi-label).
#[derive(FromPyObject)]
pub(crate) enum Targets {
    /// One label per text.
    Labels(Vec<String>),
    /// A set of labels per text.
    Sets(Vec<Vec<String>>),
}

/// A recipe from the JSON object of its settings by name (the estimators' keyword
/// arguments): every key must be the recipe's, every value is checked by the recipe, and a
/// bad one is a `ValueError` naming its key.
pub(crate) fn recipe_of<T>(json: &str) -> PyResult<T>
where
    T: serde::Serialize + serde::de::DeserializeOwned + Default,
{
    let map: serde_json::Map<String, serde_json::Value> = serde_json::from_str(json)
        .map_err(|e| PyValueError::new_err(format!("the settings are not a JSON object: {e}")))?;
    rumedbench::recipe::from_map(&map).map_err(to_py)
}

/// The text classifier's parameters: a recipe given as JSON of its keys ([`recipe_of`]), with
/// the model file's task name, fields and class order.
pub(crate) fn text_params(
    recipe: &str,
    kind: &str,
    name: &str,
    text_fields: Option<Vec<String>>,
    label_field: Option<String>,
    classes: Option<Vec<String>>,
) -> PyResult<TextClassifierParams> {
    let mut params = TextClassifierParams::default()
        .with_recipe(recipe_of(recipe)?)
        .model(recipe_kind(kind)?)
        .name(name);
    if let Some(order) = classes {
        params = params.classes(order);
    }
    if let Some(texts) = &text_fields {
        let texts: Vec<&str> = texts.iter().map(|t| t.as_str()).collect();
        params = params.fields(&texts, label_field.as_deref().unwrap_or("label"));
    }
    Ok(params)
}

/// The model a `recipe` name asks for (the estimators' `recipe=`): `feature` (the settings
/// given) or `plus` (the command line's `--model plus` preset, defined once in Rust).
pub(crate) fn recipe_kind(name: &str) -> PyResult<ModelKind> {
    [ModelKind::Feature, ModelKind::Plus]
        .into_iter()
        .find(|k| k.name() == name)
        .ok_or_else(|| {
            PyValueError::new_err(format!(
                "recipe: {name:?} is not a recipe: give \"feature\" (the settings given) or \
                 \"plus\" (the preset of `rumedbench train --model plus`)"
            ))
        })
}
