//! `NativeClassifier`: the text classifier (tf-idf, or a union of blocks, + one-vs-rest logistic
//! regression) over `rumedbench::TextClassifier`.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rumedbench::TextClassifier;

use crate::common::{matrix_out, ndarray_compat, text_params, to_py, Docs, Targets};

/// The text classifier: char n-gram tf-idf + one-vs-rest logistic regression.
#[pyclass(frozen, module = "rumedbench._native")]
pub(crate) struct NativeClassifier {
    pub(crate) inner: TextClassifier,
}

#[pymethods]
impl NativeClassifier {
    /// Fits on texts (a list of str) or pairs (a list of 2-tuples of str); `recipe` is the JSON
    /// object of the recipe's settings by name (`TextRecipe`'s keys); `kind` is `feature` (that
    /// recipe) or `plus` (the `--model plus` preset of the input's type, the recipe's keys then
    /// at their defaults but the free ones).
    #[staticmethod]
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (docs, labels, recipe, name, text_fields=None, label_field=None, classes=None, positive_label=None, kind="feature"))]
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
        kind: &str,
    ) -> PyResult<Self> {
        let params = text_params(recipe, kind, &name, text_fields, label_field, classes)?
            .positive_label(positive_label);
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
