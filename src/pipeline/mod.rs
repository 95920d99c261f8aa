//! A trained pipeline: a task definition plus a fitted model, the unit that is trained,
//! predicted with, scored and saved. Adding a model means adding a [`Fitted`] variant.

use std::collections::BTreeSet;

use crate::error::{bail, Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::data::{self, Example, Gold, Input, Split};
use crate::features::analyzer::Analyzer;
use crate::features::limit::DocFreq;
use crate::features::tfidf::TfidfParams;
use crate::models::crf::{is_iob, Crf, CrfParams};
use crate::models::linear::{LogReg, LogRegParams, TrainMatrix};
use crate::models::naive::{NaiveClassifier, NaiveParams, NaiveTagger};
pub use crate::models::prediction::Prediction;
pub use crate::models::text::{rank_row, TextModel};
use crate::models::Model;
use crate::scoring::eval::{Examples, Outcomes, TaskScore};
use crate::scoring::metrics;
use crate::task::{TaskKind, TaskSpec};

mod binary;
mod multi;
pub use binary::{BinaryRule, BINARY_GRID};
pub use multi::{best_threshold, label_sets, MultiLabelRule, THRESHOLD_GRID};

/// Which model family to train.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Label statistics memorised from train.
    Naive,
    /// Char 3–8-gram tf-idf + one-vs-rest logistic regression (text), CRF (tagging).
    Feature,
}

impl ModelKind {
    /// The folder name under `--out` and the model file suffix.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Naive => "naive",
            ModelKind::Feature => "feature",
        }
    }

    /// The row of the paper's Table 3 this kind reproduces (one of [`task::PAPER_SYSTEMS`]).
    ///
    /// [`task::PAPER_SYSTEMS`]: crate::task::PAPER_SYSTEMS
    pub fn paper_system(self) -> &'static str {
        match self {
            ModelKind::Naive => "Naive",
            ModelKind::Feature => "Feature-based",
        }
    }

    /// Fits this kind for a task of kind `task_kind`: the one place a model kind is
    /// registered with its training code.
    fn fit(
        self,
        task: &TaskSpec,
        settings: &FitSettings,
        train: &Split,
        log: &mut dyn FnMut(&str),
    ) -> Result<Fitted> {
        Ok(match (self, task.kind()) {
            (ModelKind::Naive, TaskKind::Tokens) => {
                Fitted::NaiveTagger(NaiveParams.fit_tagger(&train_sentences(task, train)?)?)
            }
            (ModelKind::Naive, _) => Fitted::NaiveClassifier(
                NaiveParams.fit_classifier(&split_labels(task, train, "training")?)?,
            ),
            (ModelKind::Feature, TaskKind::Tokens) => {
                let pairs = train_sentences(task, train)?;
                let sents: Vec<Vec<String>> = pairs.iter().map(|p| p.0.to_vec()).collect();
                let tags: Vec<Vec<String>> = pairs.iter().map(|p| p.1.to_vec()).collect();
                Fitted::Crf(
                    settings
                        .crf
                        .fit(&sents, &tags)
                        .map_err(|e| crate::error::err!("{}: {e}", train.path.display()))?,
                )
            }
            (ModelKind::Feature, _) => {
                Fitted::Text(Box::new(fit_text(task, settings, train, log)?))
            }
        })
    }

    /// The hyperparameters that matter for this kind on a task of kind `task_kind`, for run
    /// records.
    pub fn hyperparameters(self, task_kind: TaskKind, settings: &FitSettings) -> Value {
        match (self, task_kind) {
            (ModelKind::Naive, _) => {
                serde_json::json!({"rule": "most frequent train label, first seen wins ties"})
            }
            (ModelKind::Feature, TaskKind::Tokens) => serde_json::json!({
                "algorithm": "lbfgs",
                "c1": settings.crf.c1,
                "c2": settings.crf.c2,
                "max_iterations": settings.crf.max_iterations,
                "all_possible_transitions": settings.crf.all_possible_transitions,
                "features": "upstream token_classifier.py word2features",
            }),
            (ModelKind::Feature, _) => serde_json::json!({
                "vectorizer": vectorizer_json(&settings.tfidf),
                "classifier": {
                    "type": "one-vs-rest L2 logistic regression, dual coordinate descent",
                    "C": settings.logreg.c,
                    "tol": settings.logreg.tol,
                    "max_iter": settings.logreg.max_iter,
                    "class_weight": if settings.logreg.class_weight_balanced { "balanced" } else { "none" },
                },
                "seed": settings.seed,
            }),
        }
    }
}

/// The vectorizer's settings for run records and model files. The vocabulary limits appear
/// only when set, so the paper's recipe gives the same record (and model file) as before they
/// existed.
fn vectorizer_json(t: &TfidfParams) -> Value {
    let mut v = serde_json::json!({
        "analyzer": t.analyzer.name(),
        "ngram_range": [t.ngram_min, t.ngram_max],
        "lowercase": true,
        "sublinear_tf": t.sublinear_tf,
        "hash_features": t.hash_bits,
        "smooth_idf": true,
        "norm": "l2",
    });
    let defaults = TfidfParams::default();
    if let Some(map) = v.as_object_mut() {
        if t.min_df != defaults.min_df {
            map.insert("min_df".into(), t.min_df.to_json());
        }
        if t.max_df != defaults.max_df {
            map.insert("max_df".into(), t.max_df.to_json());
        }
        if let Some(n) = t.max_features {
            map.insert("max_features".into(), n.into());
        }
    }
    v
}

/// Hyperparameters of every model family, with the paper's values as defaults.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct FitSettings {
    /// Seed for anything randomised (the logistic regression's coordinate order).
    pub seed: u64,
    /// The CRF's trainer settings (tagging tasks).
    pub crf: CrfParams,
    /// The vectorizer of the text model.
    pub tfidf: TfidfParams,
    /// The classifier of the text model (its seed is replaced by `seed`).
    pub logreg: LogRegParams,
    /// Multi-label tasks: how probabilities become a predicted set.
    #[serde(default)]
    pub multi: MultiLabelRule,
}

/// Settings of the recipe a user may change, each `None` when not given: from a task file, then
/// from flags, laid over the paper's defaults by [`FitSettings::apply`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Recipe {
    /// Logistic regression C.
    pub c: Option<f64>,
    /// Dual solver tolerance.
    pub tol: Option<f64>,
    /// Character n-gram range.
    pub ngram_range: Option<(usize, usize)>,
    /// Sublinear tf.
    pub sublinear_tf: Option<bool>,
    /// Balanced class weights.
    pub class_weight_balanced: Option<bool>,
    /// CRF L1 coefficient.
    pub c1: Option<f64>,
    /// CRF L2 coefficient.
    pub c2: Option<f64>,
    /// CRF iterations.
    pub max_iterations: Option<usize>,
    /// Hashed n-gram columns, `2^bits`.
    pub hash_features: Option<u8>,
    /// How documents are cut into terms.
    pub analyzer: Option<Analyzer>,
    /// Vocabulary limit: fewest documents a term is found in.
    pub min_df: Option<DocFreq>,
    /// Vocabulary limit: most documents a term is found in.
    pub max_df: Option<DocFreq>,
    /// Vocabulary limit: the most frequent terms kept.
    pub max_features: Option<usize>,
    /// Multi-label decision threshold.
    pub threshold: Option<f64>,
    /// Multi-label: allow an empty predicted set.
    pub allow_empty: Option<bool>,
}

impl FitSettings {
    /// Sets every setting `r` gives.
    pub fn apply(&mut self, r: &Recipe) {
        if let Some(v) = r.c {
            self.logreg.c = v;
        }
        if let Some(v) = r.tol {
            self.logreg.tol = v;
        }
        if let Some((a, b)) = r.ngram_range {
            self.tfidf.ngram_min = a;
            self.tfidf.ngram_max = b;
        }
        if let Some(v) = r.sublinear_tf {
            self.tfidf.sublinear_tf = v;
        }
        if let Some(v) = r.class_weight_balanced {
            self.logreg.class_weight_balanced = v;
        }
        if let Some(v) = r.c1 {
            self.crf.c1 = v;
        }
        if r.hash_features.is_some() {
            self.tfidf.hash_bits = r.hash_features;
        }
        if let Some(v) = r.c2 {
            self.crf.c2 = v;
        }
        if let Some(v) = r.max_iterations {
            self.crf.max_iterations = v;
        }
        if let Some(v) = r.analyzer {
            self.tfidf.analyzer = v;
        }
        if let Some(v) = r.min_df {
            self.tfidf.min_df = v;
        }
        if let Some(v) = r.max_df {
            self.tfidf.max_df = v;
        }
        if r.max_features.is_some() {
            self.tfidf.max_features = r.max_features;
        }
        if let Some(v) = r.threshold {
            self.multi.threshold = v;
        }
        if let Some(v) = r.allow_empty {
            self.multi.allow_empty = v;
        }
    }
}

/// A fitted model of any family. Externally tagged: postcard (the model file encoding) is not
/// self-describing and cannot read internally tagged enums.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fitted {
    /// Naive classifier.
    NaiveClassifier(NaiveClassifier),
    /// Naive tagger.
    NaiveTagger(NaiveTagger),
    /// Linear-chain CRF tagger (CRFsuite model bytes inside).
    Crf(Crf),
    /// Char n-gram tf-idf + one-vs-rest logistic regression.
    Text(Box<TextModel>),
}

impl Fitted {
    /// The model inside, behind the trait every model implements.
    pub fn model(&self) -> &dyn Model {
        match self {
            Fitted::NaiveClassifier(m) => m,
            Fitted::NaiveTagger(m) => m,
            Fitted::Crf(m) => m,
            Fitted::Text(m) => m.as_ref(),
        }
    }
}

impl crate::task::TaskFile {
    /// The recipe settings this file sets (the rest keep their defaults).
    pub fn recipe(&self) -> Result<crate::pipeline::Recipe> {
        let class_weight_balanced = match self.class_weight.as_deref() {
            None => None,
            Some("none") => Some(false),
            Some("balanced") => Some(true),
            Some(other) => bail!("class_weight: expected \"none\" or \"balanced\", got {other:?}"),
        };
        Ok(crate::pipeline::Recipe {
            c: self.c,
            tol: self.tol,
            ngram_range: self.ngram_range.map(|[a, b]| (a, b)),
            sublinear_tf: self.sublinear_tf,
            class_weight_balanced,
            c1: self.c1,
            c2: self.c2,
            max_iterations: self.max_iterations,
            hash_features: self.hash_features,
            analyzer: self.analyzer,
            min_df: self.min_df.map(|d| d.doc_freq("min_df")).transpose()?,
            max_df: self.max_df.map(|d| d.doc_freq("max_df")).transpose()?,
            max_features: self.max_features,
            threshold: self.threshold,
            allow_empty: self.allow_empty,
        })
    }
}

/// A task and its fitted model.
///
/// Its fields are private so that it keeps its invariants (the model's sizes agree with each
/// other and with the task): a pipeline comes only from [`fit`] or from a model file that
/// [`Bundle::from_bytes`](crate::bundle::Bundle::from_bytes) has checked, so predicting cannot
/// index out of bounds. It is written with `Serialize`; it is read only through the model file.
#[derive(Debug, Serialize)]
pub struct Pipeline {
    /// The task the model was trained for (encoded as model format 2 encodes it: the
    /// multi-label fields travel in the model file's extension).
    #[serde(with = "crate::task::wire")]
    pub(crate) task: TaskSpec,
    /// Which family was trained.
    pub(crate) kind: ModelKind,
    /// The fitted model.
    pub(crate) model: Fitted,
    /// Multi-label tasks: the decision rule (set exactly when `task.multi_label`).
    #[serde(skip)]
    pub(crate) multi_label: Option<MultiLabelRule>,
    /// Single-label binary tasks: the positive label's threshold, when one was set.
    #[serde(skip)]
    pub(crate) binary: Option<BinaryRule>,
}

impl Pipeline {
    /// The task the model was trained for.
    pub fn task(&self) -> &TaskSpec {
        &self.task
    }

    /// Which family was trained.
    pub fn kind(&self) -> ModelKind {
        self.kind
    }

    /// The fitted model.
    pub fn model(&self) -> &Fitted {
        &self.model
    }

    /// Multi-label tasks: the decision rule.
    pub fn multi_label(&self) -> Option<MultiLabelRule> {
        self.multi_label
    }
}

/// The gold label of every example of `split`; `purpose` ("training", "tuning") names
/// what needs them in the error for an example without one.
pub fn split_labels<'a>(task: &TaskSpec, split: &'a Split, purpose: &str) -> Result<Vec<&'a str>> {
    split
        .examples
        .iter()
        .map(|e| match &e.gold {
            Some(Gold::Label(l)) => Ok(l.as_str()),
            _ => Err(Error::input(
                &split.path,
                e.line,
                Some(&task.label_field),
                format!("a label is required for {purpose}"),
            )),
        })
        .collect()
}

fn train_sentences<'a>(
    task: &TaskSpec,
    train: &'a Split,
) -> Result<Vec<(&'a [String], &'a [String])>> {
    train
        .examples
        .iter()
        .map(|e| match (&e.input, &e.gold) {
            (Input::Tokens(t), Some(Gold::Tags(g))) => {
                // Both taggers (naive and CRF) take IOB2 tags only, checked here with the line.
                if let Some((i, tag)) = g.iter().enumerate().find(|(_, t)| !is_iob(t)) {
                    return Err(Error::input(
                        &train.path,
                        e.line,
                        Some(&task.label_field),
                        format!(
                            "token {}: tag {tag:?} is not IOB2 (O, B-<type> or I-<type>)",
                            i + 1
                        ),
                    ));
                }
                Ok((t.as_slice(), g.as_slice()))
            }
            _ => Err(Error::input(
                &train.path,
                e.line,
                Some(&task.label_field),
                "tags are required for training",
            )),
        })
        .collect()
}

/// Fits `kind` for `task` on a train split.
pub fn fit(
    task: &TaskSpec,
    kind: ModelKind,
    settings: &FitSettings,
    train: &Split,
) -> Result<Pipeline> {
    fit_logged(task, kind, settings, train, &mut |_| {})
}

/// [`fit`], handing its notes (the text model's sizes and times: `note: RuMedTop3: 4690 rows x
/// 759783 features, ...`) to `log`; the library itself prints nothing.
pub fn fit_logged(
    task: &TaskSpec,
    kind: ModelKind,
    settings: &FitSettings,
    train: &Split,
    log: &mut dyn FnMut(&str),
) -> Result<Pipeline> {
    if task.multi_label {
        if kind != ModelKind::Feature {
            bail!(
                "{}: the naive baseline does not take multi-label tasks; use --model feature",
                task.name
            );
        }
        settings.multi.check()?;
        let (labels, sets) = label_sets(task, train)?;
        let model = fit_text_with(
            task,
            settings,
            train,
            labels,
            |params, x, n| params.fit_sets_owned(x, &sets, n),
            log,
        )?;
        return Ok(Pipeline {
            task: task.clone(),
            kind,
            model: Fitted::Text(Box::new(model)),
            multi_label: Some(settings.multi),
            binary: None,
        });
    }
    let model = kind.fit(task, settings, train, log)?;
    Ok(Pipeline {
        task: task.clone(),
        kind,
        model,
        multi_label: None,
        binary: None,
    })
}

/// The class order: the task's fixed order (upstream's `l2i`) or sorted train labels.
fn class_labels(task: &TaskSpec, train: &Split, labels: &[&str]) -> Result<Vec<String>> {
    let order: Vec<String> = match &task.label_order {
        Some(fixed) => {
            for (e, l) in train.examples.iter().zip(labels) {
                if !fixed.iter().any(|f| f == l) {
                    return Err(Error::input(
                        &train.path,
                        e.line,
                        Some(&task.label_field),
                        format!("label {l:?} is not one of {}", fixed.join(", ")),
                    ));
                }
            }
            fixed.clone()
        }
        None => labels
            .iter()
            .map(|l| l.to_string())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
    };
    if order.len() < 2 {
        return Err(Error::input(
            &train.path,
            None,
            Some(&task.label_field),
            format!(
                "a classifier needs at least two classes, found {}",
                order.len()
            ),
        ));
    }
    Ok(order)
}

/// The text model's class list and each train example's class index. Public so the tuner can
/// refit only the classifier on a cached matrix and still see exactly the classes `fit` would.
pub fn text_targets(task: &TaskSpec, train: &Split) -> Result<(Vec<String>, Vec<usize>)> {
    let labels = split_labels(task, train, "training")?;
    let classes = class_labels(task, train, &labels)?;
    let y: Vec<usize> = labels
        .iter()
        .map(|l| {
            classes
                .iter()
                .position(|c| c == l)
                .expect("label in class list")
        })
        .collect();
    Ok((classes, y))
}

fn fit_text(
    task: &TaskSpec,
    settings: &FitSettings,
    train: &Split,
    log: &mut dyn FnMut(&str),
) -> Result<TextModel> {
    let (classes, y) = text_targets(task, train)?;
    fit_text_with(
        task,
        settings,
        train,
        classes,
        |params, x, n| params.fit_owned(x, &y, n),
        log,
    )
}

/// Vectorizes train and fits the classifier `fit` gives (`n` = the number of classes), with
/// the note on sizes and times and the check of the fitted weights.
fn fit_text_with(
    task: &TaskSpec,
    settings: &FitSettings,
    train: &Split,
    classes: Vec<String>,
    fit: impl FnOnce(&LogRegParams, TrainMatrix, usize) -> Result<LogReg>,
    log: &mut dyn FnMut(&str),
) -> Result<TextModel> {
    let texts = data::joined_texts(&train.examples);
    let docs: Vec<&str> = texts.iter().map(|t| t.as_ref()).collect();
    let t0 = std::time::Instant::now();
    let (tfidf, x): (_, TrainMatrix) = if settings.tfidf.hash_bits.is_some() {
        // Hashed features stay counts until the solver reads them (4 bytes per entry, not 8).
        let (tfidf, m) = settings.tfidf.fit_counts(&docs)?;
        (tfidf, m.into())
    } else {
        let (tfidf, x) = settings.tfidf.fit(&docs)?;
        (tfidf, x.into())
    };
    drop(docs);
    drop(texts);
    let t_vec = t0.elapsed().as_secs_f64();
    let params = LogRegParams {
        seed: settings.seed,
        ..settings.logreg
    };
    let (rows, cols, nnz) = (x.n_rows(), x.n_cols(), x.nnz());
    let clf = fit(&params, x, classes.len())?;
    log(&format!(
        "note: {}: {rows} rows x {cols} features, {nnz} non-zeros; vectorized in {t_vec:.2} s, \
         fitted in {:.2} s",
        task.name,
        t0.elapsed().as_secs_f64() - t_vec
    ));
    // Extreme settings (C = 1e300) overflow to NaN or infinite weights: an error, not a model.
    clf.validate().map_err(|e| {
        Error::Invalid(format!(
            "the fitted classifier is unusable ({e}); C = {} is too large",
            params.c
        ))
    })?;
    Ok(TextModel {
        tfidf,
        clf,
        labels: classes,
    })
}

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
                _ => bail!(
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

/// Marks `h` (a [`ModelKind::hyperparameters`] value) as a multi-label text model's, with the
/// decision rule when it is known (`None`: chosen after fitting, by `--tune-threshold`).
pub fn multi_label_hyperparameters(h: &mut Value, rule: Option<&MultiLabelRule>) {
    if let Some(c) = h.get_mut("classifier") {
        c["type"] = Value::from(
            "multi-label: one independent L2 logistic regression per label (one-vs-rest), \
             dual coordinate descent",
        );
        if let Some(rule) = rule {
            c["multi_label"] = serde_json::json!({
                "threshold": rule.threshold,
                "allow_empty": rule.allow_empty,
            });
        }
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

/// Sets the pipeline's threshold to the one of [`THRESHOLD_GRID`] with the best micro-F1 on
/// `dev` (the probabilities are computed once), and returns every tried threshold with its
/// dev micro-F1 (percent).
pub fn tune_threshold(p: &mut Pipeline, dev: &Split) -> Result<Vec<(f64, f64)>> {
    let (Some(rule), Fitted::Text(m)) = (p.multi_label, &p.model) else {
        crate::error::bail!("--tune-threshold needs a multi-label task");
    };
    let proba = multi::probabilities(m, &dev.examples);
    let (best, _, tried) = multi::best_threshold(&p.task, &m.labels, rule, &proba, dev)?;
    if let Some(r) = p.multi_label.as_mut() {
        r.threshold = best;
    }
    Ok(tried)
}
