//! `NativeTagger`: the CRF or the naive tagger over `rumedbench::Tagger`.

use std::path::PathBuf;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rumedbench::api::TaggerKind;
use rumedbench::pipeline::ModelKind;
use rumedbench::{Tagger, TaggerParams};

use crate::common::{matrix_out, ndarray_compat, recipe_kind, recipe_of, to_py};

/// The sequence tagger: the paper's CRF or the naive tagger.
#[pyclass(frozen, module = "rumedbench._native")]
pub(crate) struct NativeTagger {
    inner: Tagger,
}

#[pymethods]
impl NativeTagger {
    /// Fits on token lists and their IOB2 tag lists; `recipe` is the JSON object of the CRF's
    /// settings by name (`CrfRecipe`'s keys); `kind` is `feature` (that recipe) or `plus` (the
    /// `--model plus` CRF preset, the recipe's keys then at their defaults).
    #[staticmethod]
    #[allow(clippy::too_many_arguments)]
    #[pyo3(signature = (sents, tags, recipe, naive, name, tokens_field=None, tags_field=None, kind="feature"))]
    fn fit(
        py: Python<'_>,
        sents: Vec<Vec<String>>,
        tags: Vec<Vec<String>>,
        recipe: &str,
        naive: bool,
        name: String,
        tokens_field: Option<String>,
        tags_field: Option<String>,
        kind: &str,
    ) -> PyResult<Self> {
        let kind = match (naive, recipe_kind(kind)?) {
            (false, ModelKind::Plus) => TaggerKind::Plus,
            (true, ModelKind::Plus) => {
                return Err(PyValueError::new_err(
                    "recipe: \"plus\" is a CRF preset; the naive tagger takes no recipe",
                ))
            }
            (false, _) => TaggerKind::Crf,
            (true, _) => TaggerKind::Naive,
        };
        let mut params = TaggerParams::default()
            .kind(kind)
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
