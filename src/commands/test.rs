//! `test`: score a saved model on labelled records, as fastText's `test` and CRFsuite's
//! `tag -qt` do. The records carry the task's fields, or others named by flags.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use serde_json::{json, Map, Value};

use crate::bundle::Bundle;
use crate::data::{self, Labels};
use crate::scoring::confusion::Confusion;
use crate::scoring::eval::TaskScore;
use crate::scoring::per_label::{self, PerLabel};
use crate::task::{InputFields, Metric, TaskKind, TaskSpec};

/// Field names that replace the model's task fields when reading the test file.
#[derive(Debug, Clone, Default)]
pub struct FieldMap {
    /// The id field.
    pub id: Option<String>,
    /// The text field(s): one, or two for a text-pair task.
    pub text: Vec<String>,
    /// The label field (classification).
    pub label: Option<String>,
    /// The token-list field (tagging).
    pub tokens: Option<String>,
    /// The tag-list field (tagging).
    pub tags: Option<String>,
}

impl FieldMap {
    /// The model's task with its fields renamed as given; a flag that does not fit the task's
    /// kind is an error.
    pub fn apply(&self, task: &TaskSpec) -> Result<TaskSpec> {
        let mut t = task.clone();
        if let Some(id) = &self.id {
            t.id_field = id.clone();
        }
        match (&mut t.inputs, self.text.as_slice()) {
            (_, []) => {}
            (InputFields::Single { text }, [a]) => *text = a.clone(),
            (InputFields::Pair { first, second }, [a, b]) => {
                *first = a.clone();
                *second = b.clone();
            }
            (InputFields::Tokens { .. }, _) => {
                bail!(
                    "--text-field: {} is a tagging task; use --tokens-field",
                    task.name
                )
            }
            (inputs, given) => bail!(
                "--text-field given {} time(s), but {} reads {} text field(s)",
                given.len(),
                task.name,
                if matches!(inputs, InputFields::Pair { .. }) {
                    2
                } else {
                    1
                }
            ),
        }
        let tagging = task.kind() == TaskKind::Tokens;
        if tagging && self.label.is_some() {
            bail!(
                "--label-field: {} is a tagging task; use --tags-field",
                task.name
            );
        }
        if !tagging && (self.tokens.is_some() || self.tags.is_some()) {
            bail!(
                "--tokens-field/--tags-field: {} is a classification task",
                task.name
            );
        }
        if let (Some(tok), InputFields::Tokens { tokens }) = (&self.tokens, &mut t.inputs) {
            *tokens = tok.clone();
        }
        if let Some(l) = self.label.as_ref().or(self.tags.as_ref()) {
            t.label_field = l.clone();
        }
        Ok(t)
    }
}

/// What `test` does.
#[derive(Debug, Clone)]
pub struct TestRequest {
    /// The model file.
    pub model: PathBuf,
    /// Labelled records (JSONL, CSV or TSV by extension).
    pub input: PathBuf,
    /// Field renames for the input.
    pub fields: FieldMap,
    /// Add per-label figures.
    pub per_label: bool,
    /// Write the predictions (train's schema) here.
    pub out: Option<PathBuf>,
    /// Read the input as CSV-like with this delimiter, whatever its extension.
    pub delimiter: Option<u8>,
    /// The input's text encoding [default: UTF-8; a byte-order mark decides first].
    pub encoding: Option<&'static data::Encoding>,
    /// Add this label's precision, recall and F1 (the positive class).
    pub positive_label: Option<String>,
    /// Add the confusion matrix.
    pub confusion: bool,
}

/// A saved model's figures on one labelled file.
#[derive(Debug, Clone)]
pub struct TestReport {
    /// The task and model file.
    pub task: String,
    /// The model file scored.
    pub model: PathBuf,
    /// The labelled file.
    pub input: PathBuf,
    /// Records scored.
    pub records: usize,
    /// The task's metrics (accuracy, Hit@3 / entity F1) as `train` reports them.
    pub score: TaskScore,
    /// Per-label precision, recall, F1 and support with macro, micro and weighted averages.
    pub labels: PerLabel,
    /// Gold labels the model never saw in training (counted wrong).
    pub unseen: Vec<String>,
    /// `--positive-label`: the label and its figures.
    pub positive: Option<(String, per_label::LabelStats)>,
    /// `--confusion`: the confusion matrix.
    pub confusion: Option<Confusion>,
}

/// Scores the model of `req` on its input, writing the predictions when asked.
pub fn run(req: &TestRequest) -> Result<TestReport> {
    let bundle = Bundle::load(&req.model)?;
    let pipeline = &bundle.pipeline;
    let spec = req.fields.apply(&pipeline.task)?;
    let split = data::load_split_with(
        &spec,
        &req.input,
        Labels::Required,
        req.delimiter,
        req.encoding,
    )?;
    let k = pipeline.task.top_k.max(1);
    let preds = pipeline.predict(&split.examples, k)?;
    let (score, unseen) = pipeline.score(&split.examples, &preds)?;
    let Some(labels) = per_label::per_label(&score) else {
        bail!("{}: no labels to score", req.input.display());
    };
    if let Some(out) = &req.out {
        super::output_set::write_atomic(out, |w| {
            for (e, p) in split.examples.iter().zip(&preds) {
                crate::output::write_json_line(w, &pipeline.output_record_as(&spec, e, p))?;
            }
            Ok(())
        })?;
        write_record(req, &bundle, (&spec, &score), out)?;
    }
    let positive = match &req.positive_label {
        None => None,
        Some(l) if score.task.kind() == TaskKind::Tokens || score.task.multi_label => bail!(
            "--positive-label applies to a single-label classification task; {} is not one \
             (see --per-label)",
            pipeline.task.name
        ),
        Some(l) => match labels.labels.iter().find(|x| &x.0 == l) {
            Some((_, s)) => Some((l.clone(), *s)),
            None => bail!(
                "--positive-label {l:?} is not a label of {} in {} (labels: {})",
                pipeline.task.name,
                req.input.display(),
                labels
                    .labels
                    .iter()
                    .map(|x| x.0.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
    };
    let confusion = match (req.confusion, Confusion::of(&score)) {
        (false, _) => None,
        (true, Some(c)) => Some(c),
        (true, None) => bail!(
            "--confusion: {} is not a single-label classification task (see --per-label)",
            pipeline.task.name
        ),
    };
    Ok(TestReport {
        positive,
        confusion,
        task: pipeline.task.name.clone(),
        model: req.model.clone(),
        input: req.input.clone(),
        records: split.examples.len(),
        score,
        labels,
        unseen: unseen.into_iter().collect(),
    })
}

/// Where `test --out FILE` writes its run record: `<stem>.run.json` beside `<stem>.jsonl`, so
/// `eval` and `compare` read the folder as one `train` wrote.
pub fn record_path(out: &Path) -> PathBuf {
    let stem = out.file_stem().map_or_else(
        || "predictions".into(),
        |s| s.to_string_lossy().into_owned(),
    );
    out.with_file_name(format!("{stem}.run.json"))
}

/// Writes the run record of `test --out`: the task as the predictions were written (the
/// input's field names), the model's hyperparameters, the input's digest and the scores.
fn write_record(
    req: &TestRequest,
    bundle: &Bundle,
    (spec, score): (&TaskSpec, &TaskScore),
    out: &Path,
) -> Result<()> {
    let pipeline = &bundle.pipeline;
    let hyper: Value = serde_json::from_str(&bundle.meta.hyperparameters).unwrap_or(Value::Null);
    let seed = hyper.get("seed").and_then(Value::as_u64).unwrap_or(0);
    let digests = super::record::digests([&req.input])?;
    let record =
        super::record::RunRecord::new("test", spec, pipeline.kind().name(), &hyper, seed, &digests)
            .with("model_file", json!(req.model.display().to_string()))
            .with("predictions", json!(out.display().to_string()))
            .with("test", super::record::scores_json(score));
    let path = record_path(out);
    super::output_set::write_atomic(&path, |w| {
        serde_json::to_writer_pretty(&mut *w, &record)?;
        Ok(w.write_all(b"\n")?)
    })?;
    Ok(())
}

impl TestReport {
    fn tagging(&self) -> bool {
        self.score.task.kind() == TaskKind::Tokens
    }

    /// The headline figures, in percent: accuracy, Hit@3 where the task has it, macro and
    /// weighted F1 (classification) or entity precision, recall and F1 (tagging).
    pub fn figures(&self) -> Vec<(&'static str, f64)> {
        if self.score.task.multi_label {
            // Multi-label: micro-F1, macro-F1, subset accuracy, P@1 (and P@3), as train
            // reports them.
            return self
                .score
                .values
                .iter()
                .map(|(m, v)| (m.key(), *v))
                .collect();
        }
        let mut v = vec![("accuracy", self.score.get(Metric::Acc).unwrap_or(0.0))];
        if let Some(h) = self.score.get(Metric::Hit3) {
            v.push(("hit3", h));
        }
        if self.tagging() {
            let m = &self.labels.micro_avg;
            v.extend([
                ("entity_precision", m.precision),
                ("entity_recall", m.recall),
                ("entity_f1", m.f1),
            ]);
        } else {
            v.extend([
                ("macro_f1", self.labels.macro_avg.f1),
                ("weighted_f1", self.labels.weighted_avg.f1),
            ]);
        }
        if let Some((_, p)) = &self.positive {
            v.extend([
                ("positive_precision", p.precision),
                ("positive_recall", p.recall),
                ("positive_f1", p.f1),
            ]);
        }
        v
    }

    /// The figures under `eval`'s keys (`acc`, `hit3`, `macro_f1`, ...): the object `eval` and
    /// `compare` key by task name.
    fn task_json(&self) -> Value {
        let mut m = Map::new();
        for (k, v) in self.figures() {
            let k = if k == "accuracy" { "acc" } else { k };
            if !k.starts_with("positive_") {
                m.insert(k.into(), json!(v));
            }
        }
        if let Some((label, p)) = &self.positive {
            m.insert(
                "positive".into(),
                json!({"label": label, "precision": p.precision, "recall": p.recall,
                       "f1": p.f1, "support": p.support}),
            );
        }
        if let Some(c) = &self.confusion {
            m.insert("confusion".into(), c.to_json());
        }
        Value::Object(m)
    }

    /// `{"task", "model", "input", "records", "accuracy", ..., "per_label"?, "unseen_labels"}`.
    pub fn to_json(&self, per_label: bool) -> Value {
        let mut m = Map::new();
        m.insert("task".into(), json!(self.task));
        m.insert("model".into(), json!(self.model.display().to_string()));
        m.insert("input".into(), json!(self.input.display().to_string()));
        m.insert("records".into(), json!(self.records));
        for (k, v) in self.figures() {
            m.insert(k.into(), json!(v));
        }
        if per_label {
            m.insert("per_label".into(), self.labels.to_json());
        }
        m.insert("unseen_labels".into(), json!(self.unseen));
        // The same figures in the schema of `eval --format json`.
        m.insert(
            "tasks".into(),
            json!({ self.task.clone(): self.task_json() }),
        );
        Value::Object(m)
    }

    /// One line of figures, then the per-label table when asked.
    pub fn render(&self, per_label: bool) -> String {
        let figures: Vec<String> = self
            .figures()
            .iter()
            .map(|(k, v)| format!("{} {v:.2}", k.replace('_', " ")))
            .collect();
        let mut s = format!(
            "{} on {} ({} records): {}\n",
            self.task,
            self.input.display(),
            self.records,
            figures.join(", ")
        );
        if per_label {
            s.push_str(&self.labels.render_table(&self.task));
        }
        if let Some(c) = &self.confusion {
            s.push_str(&c.render_table(&self.task));
        }
        s
    }
}

/// Runs `test` and prints the report to `out`, warnings to `err`.
pub fn print(
    req: &TestRequest,
    json: bool,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let report = run(req)?;
    if !report.unseen.is_empty() {
        writeln!(
            err,
            "warning: {} label(s) of {} never seen in training are counted wrong: {}",
            report.unseen.len(),
            report.input.display(),
            report.unseen.join(", ")
        )?;
    }
    if json {
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&report.to_json(req.per_label))?
        )?;
    } else {
        write!(out, "{}", report.render(req.per_label))?;
    }
    if let Some(o) = &req.out {
        writeln!(
            err,
            "wrote {} and {}",
            o.display(),
            record_path(o).display()
        )?;
    }
    Ok(())
}
