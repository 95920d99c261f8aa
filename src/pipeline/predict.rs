//! Predicting with a pipeline, scoring its predictions and writing them as output records.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::{multi, multi_label_hyperparameters, FitSettings, Fitted, Pipeline, Prediction};
use crate::data::{Example, Gold};
use crate::error::{bail, Result};
use crate::scoring::eval::{Examples, Outcomes, TaskScore};
use crate::scoring::metrics;
use crate::task::{TaskKind, TaskSpec};

use super::BinaryRule;

impl Pipeline {
    /// Predicts every example, keeping `k` ranked labels for classification.
    pub fn predict(&self, examples: &[Example], k: usize) -> Result<Vec<Prediction>> {
        if let (Some(rule), Fitted::Text(m)) = (&self.multi_label, &self.model) {
            return Ok(multi::predict(m, rule, examples, k));
        }
        if let Some(rule) = &self.binary {
            // Both labels are ranked so the positive one's probability is known.
            let preds = self.model.model().predict(examples, k.max(2))?;
            return Ok(preds.into_iter().map(|p| rule.apply(p, k)).collect());
        }
        self.model.model().predict(examples, k)
    }

    /// The positive label's threshold of a binary task, when one was set.
    pub fn binary_rule(&self) -> Option<&BinaryRule> {
        self.binary.as_ref()
    }

    /// Sets (or clears) the positive label's threshold: only for the text model of a
    /// single-label task with two labels, one of them `rule.positive`.
    pub fn set_binary_rule(&mut self, rule: Option<BinaryRule>) -> Result<()> {
        if let Some(r) = &rule {
            let labels = match (&self.model, self.multi_label.is_some()) {
                (Fitted::Text(m), false) => m.labels.clone(),
                _ => crate::error::bail!(
                    "a threshold on the positive label applies to the feature model of a \
                     single-label classification task"
                ),
            };
            r.check(&labels)?;
        }
        self.binary = rule;
        Ok(())
    }

    /// Scores predictions against the examples' gold labels. Labels never seen in training
    /// simply count as wrong; the second value lists them so the caller can warn.
    pub fn score(
        &self,
        examples: &[Example],
        preds: &[Prediction],
    ) -> Result<(TaskScore, BTreeSet<String>)> {
        if self.multi_label.is_some() {
            return multi_score(self, examples, preds);
        }
        let mut unseen = BTreeSet::new();
        let known = self.labels();
        let outcomes = match self.task.kind() {
            TaskKind::Tokens => {
                let mut v = Vec::with_capacity(examples.len());
                for (e, p) in examples.iter().zip(preds) {
                    match (&e.gold, p) {
                        (Some(Gold::Tags(g)), Prediction::Tags(t)) => {
                            v.push(metrics::sentence_counts(g, t))
                        }
                        _ => bail!("line {}: no gold tags to score against", e.line),
                    }
                }
                Outcomes::Tagging(v)
            }
            _ => {
                let mut v = Vec::with_capacity(examples.len());
                for (e, p) in examples.iter().zip(preds) {
                    match (&e.gold, p) {
                        (Some(Gold::Label(g)), Prediction::Ranked(r)) => {
                            if let Some(k) = &known {
                                if !k.contains(g) {
                                    unseen.insert(g.clone());
                                }
                            }
                            let labels: Vec<String> = r.iter().map(|x| x.0.clone()).collect();
                            v.push(metrics::class_outcome(g, &labels));
                        }
                        _ => bail!("line {}: no gold label to score against", e.line),
                    }
                }
                Outcomes::Class(v)
            }
        };
        let mut score = TaskScore::from_outcomes(self.task.clone(), outcomes);
        score.examples = Examples {
            ids: examples.iter().map(Example::id_key).collect(),
            lines: examples.iter().map(|e| e.line).collect(),
            labels: examples
                .iter()
                .zip(preds)
                .filter_map(|(e, p)| match (&e.gold, p) {
                    (Some(Gold::Label(g)), Prediction::Ranked(r)) => Some((
                        g.clone(),
                        r.first().map(|x| x.0.clone()).unwrap_or_default(),
                    )),
                    _ => None,
                })
                .collect(),
        };
        Ok((score, unseen))
    }

    /// The labels the classifier can predict (`None` for taggers).
    pub fn labels(&self) -> Option<BTreeSet<String>> {
        self.model.model().labels()
    }

    /// The hyperparameters that matter for this pipeline, for run records and model files.
    pub fn hyperparameters(&self, settings: &FitSettings) -> Value {
        let mut h = self.kind.hyperparameters(self.task.kind(), settings);
        if let Some(rule) = &self.multi_label {
            multi_label_hyperparameters(&mut h, Some(rule));
        }
        if let (Some(r), Some(c)) = (&self.binary, h.get_mut("classifier")) {
            c["positive_label"] = serde_json::json!(r.positive);
            c["threshold"] = serde_json::json!(r.threshold);
        }
        h
    }

    /// What the solver reported (epochs, convergence), for run records.
    pub fn fit_summary(&self) -> Value {
        self.model.model().fit_summary()
    }

    /// One output record in upstream's schema: id, gold label (when known), prediction.
    pub fn output_record(&self, e: &Example, p: &Prediction) -> Value {
        self.output_record_as(&self.task, e, p)
    }

    /// [`Self::output_record`] with the id and label fields named as `names` names them (a
    /// test file whose columns were remapped).
    pub fn output_record_as(&self, names: &TaskSpec, e: &Example, p: &Prediction) -> Value {
        let mut m = Map::new();
        let id_key = if names.id_field.is_empty() {
            "id".to_string()
        } else {
            names.id_field.clone()
        };
        m.insert(id_key, e.id.clone());
        match &e.gold {
            Some(Gold::Label(l)) => {
                m.insert(names.label_field.clone(), Value::String(l.clone()));
            }
            Some(Gold::Tags(t)) | Some(Gold::Labels(t)) => {
                m.insert(names.label_field.clone(), Value::from(t.clone()));
            }
            None => {}
        }
        if let Prediction::Set { ranked, .. } = p {
            m.insert("prediction".into(), Value::from(p.set()));
            let k = self.task.top_k.max(1);
            let top: Vec<&str> = ranked.iter().take(k).map(|x| x.0.as_str()).collect();
            m.insert("ranked".into(), Value::from(top));
            return Value::Object(m);
        }
        let pred = match p {
            Prediction::Tags(t) => Value::from(t.clone()),
            Prediction::Ranked(r) if self.task.ranked_output() => Value::from(
                r.iter()
                    .take(self.task.top_k)
                    .map(|x| x.0.clone())
                    .collect::<Vec<_>>(),
            ),
            Prediction::Ranked(r) | Prediction::Set { ranked: r, .. } => {
                Value::String(r.first().map(|x| x.0.clone()).unwrap_or_default())
            }
        };
        m.insert("prediction".into(), pred);
        Value::Object(m)
    }
}

/// Scores multi-label predictions against the examples' gold sets; the second value lists
/// gold labels the model never saw (they can never be predicted).
fn multi_score(
    p: &Pipeline,
    examples: &[Example],
    preds: &[Prediction],
) -> Result<(TaskScore, BTreeSet<String>)> {
    multi::score_sets(&p.task, &p.labels().unwrap_or_default(), examples, preds)
}
