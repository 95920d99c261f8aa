//! The model file's encoding of a [`TaskSpec`] (`#[serde(with = "task::wire")]`): the fields
//! of format 2, without the multi-label ones, which a format-3 file carries in its extension
//! (see [`crate::bundle`]). So a single-label model file is byte-identical to format 2's and
//! older builds still read it.

use super::spec::{InputFields, Metric, TaskSpec};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Serialize, Deserialize)]
struct Format2 {
    name: String,
    alias: String,
    id_field: String,
    inputs: InputFields,
    label_field: String,
    metrics: Vec<Metric>,
    label_order: Option<Vec<String>>,
    top_k: usize,
    train_notice: Option<String>,
}

/// Writes format 2's fields.
pub fn serialize<S: Serializer>(t: &TaskSpec, s: S) -> Result<S::Ok, S::Error> {
    Format2 {
        name: t.name.clone(),
        alias: t.alias.clone(),
        id_field: t.id_field.clone(),
        inputs: t.inputs.clone(),
        label_field: t.label_field.clone(),
        metrics: t.metrics.clone(),
        label_order: t.label_order.clone(),
        top_k: t.top_k,
        train_notice: t.train_notice.clone(),
    }
    .serialize(s)
}

/// Reads format 2's fields; the task is single-label until an extension says otherwise.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<TaskSpec, D::Error> {
    let f = Format2::deserialize(d)?;
    Ok(TaskSpec {
        name: f.name,
        alias: f.alias,
        id_field: f.id_field,
        inputs: f.inputs,
        label_field: f.label_field,
        metrics: f.metrics,
        label_order: f.label_order,
        top_k: f.top_k,
        train_notice: f.train_notice,
        multi_label: false,
        label_separator: None,
    })
}
