//! Class-partitioned training (`rumedbench::api::distributed`) for `rumedbench.spark`: the
//! recipe travels as JSON of its keys (the `TextRecipe` serde form), counts and blocks as
//! bytes, so Spark moves plain values between the driver and the workers.

use pyo3::prelude::*;
use pyo3::types::PyBytes;
use rumedbench::api::{self, ClassBlock, HashedDocFreq};

use crate::classifier::NativeClassifier;
use crate::common::{text_params, to_py, Docs, Targets};

fn df_of(bytes: &[u8]) -> PyResult<HashedDocFreq> {
    HashedDocFreq::from_bytes(bytes).map_err(to_py)
}

/// The hashed document frequencies of a batch of texts or pairs, as bytes.
#[pyfunction]
fn doc_freq<'py>(py: Python<'py>, recipe: &str, docs: Docs) -> PyResult<Bound<'py, PyBytes>> {
    let params = text_params(recipe, "feature", "model", None, None, None)?;
    let b = py
        .detach(|| {
            match &docs {
                Docs::Texts(t) => params.doc_freq(t),
                Docs::Pairs(p) => params.doc_freq_pairs(p),
            }?
            .to_bytes()
        })
        .map_err(to_py)?;
    Ok(PyBytes::new(py, &b))
}

/// Two batches' counts added up, as bytes.
#[pyfunction]
fn merge_doc_freq<'py>(py: Python<'py>, a: &[u8], b: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
    let mut a = df_of(a)?;
    a.merge(&df_of(b)?).map_err(to_py)?;
    Ok(PyBytes::new(py, &a.to_bytes().map_err(to_py)?))
}

/// `(hash bits, documents counted, columns hit)` of counts given as bytes.
#[pyfunction]
fn doc_freq_info(df: &[u8]) -> PyResult<(u8, u64, usize)> {
    let df = df_of(df)?;
    Ok((df.bits, df.n_docs, df.df.len()))
}

/// The number of one-vs-rest problems (the most class blocks) of a fit.
#[pyfunction]
fn n_problems(n_classes: usize, multi_label: bool) -> usize {
    api::n_problems(n_classes, multi_label)
}

/// Fits class block `block` of `n_blocks` on the whole training set; the block as bytes.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
#[pyo3(signature = (recipe, docs, labels, df, block, n_blocks, name, text_fields=None, label_field=None, classes=None))]
fn fit_block<'py>(
    py: Python<'py>,
    recipe: &str,
    docs: Docs,
    labels: Targets,
    df: &[u8],
    block: usize,
    n_blocks: usize,
    name: &str,
    text_fields: Option<Vec<String>>,
    label_field: Option<String>,
    classes: Option<Vec<String>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let params = text_params(recipe, "feature", name, text_fields, label_field, classes)?;
    let df = df_of(df)?;
    let b = py
        .detach(|| {
            match (&docs, &labels) {
                (Docs::Texts(t), Targets::Labels(l)) => {
                    params.fit_block(t, l, &df, block, n_blocks)
                }
                (Docs::Pairs(p), Targets::Labels(l)) => {
                    params.fit_block_pairs(p, l, &df, block, n_blocks)
                }
                (Docs::Texts(t), Targets::Sets(l)) => {
                    params.fit_multi_block(t, l, &df, block, n_blocks)
                }
                (Docs::Pairs(p), Targets::Sets(l)) => {
                    params.fit_multi_block_pairs(p, l, &df, block, n_blocks)
                }
            }?
            .to_bytes()
        })
        .map_err(to_py)?;
    Ok(PyBytes::new(py, &b))
}

/// Joins the blocks (bytes, any order) into one classifier.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
#[pyo3(signature = (recipe, df, blocks, name, text_fields=None, label_field=None, classes=None))]
fn assemble_blocks(
    py: Python<'_>,
    recipe: &str,
    df: &[u8],
    blocks: Vec<Vec<u8>>,
    name: &str,
    text_fields: Option<Vec<String>>,
    label_field: Option<String>,
    classes: Option<Vec<String>>,
) -> PyResult<NativeClassifier> {
    let params = text_params(recipe, "feature", name, text_fields, label_field, classes)?;
    let df = df_of(df)?;
    let inner = py
        .detach(|| {
            let blocks = blocks
                .iter()
                .map(|b| ClassBlock::from_bytes(b))
                .collect::<rumedbench::Result<Vec<_>>>()?;
            params.assemble(&df, blocks)
        })
        .map_err(to_py)?;
    Ok(NativeClassifier { inner })
}

/// Adds the functions above to the native module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(doc_freq, m)?)?;
    m.add_function(wrap_pyfunction!(merge_doc_freq, m)?)?;
    m.add_function(wrap_pyfunction!(doc_freq_info, m)?)?;
    m.add_function(wrap_pyfunction!(n_problems, m)?)?;
    m.add_function(wrap_pyfunction!(fit_block, m)?)?;
    m.add_function(wrap_pyfunction!(assemble_blocks, m)?)?;
    Ok(())
}
