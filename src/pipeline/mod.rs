//! A trained pipeline: a task definition plus a fitted model, the unit that is trained,
//! predicted with, scored and saved. Adding a model means adding a [`Fitted`] variant.

use crate::error::{bail, Error, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::data::Split;
use crate::features::tfidf::TfidfParams;
use crate::features::union::{Doc, UnionParams};
use crate::models::crf::{is_iob, Crf, CrfBytes, CrfParams};
use crate::models::linear::{LogReg, LogRegParams, TrainMatrix};
use crate::models::naive::{NaiveClassifier, NaiveParams, NaiveTagger};
pub use crate::models::prediction::Prediction;
use crate::models::text::TextModelOut;
pub use crate::models::text::{rank_row, TextModel};
pub use crate::models::union::UnionModel;
use crate::models::union::{docs_of, union_docs};
use crate::models::Model;
use crate::recipe::text::{classifier_map, vectorizer_map};
use crate::recipe::{CheckedCrfRecipe, CheckedTextRecipe, TextRecipe};
use crate::task::{TaskKind, TaskSpec};
use crate::wire::WireFormat;

mod binary;
pub mod blocks;
mod multi;
mod plus;
pub use plus::{check_plus_recipe, plus_crf, plus_recipe, PLUS_FREE_KEYS};
mod predict;
mod targets;
pub use binary::{BinaryRule, BINARY_GRID};
pub use multi::{best_threshold, MultiLabelRule, THRESHOLD_GRID};
use targets::{class_targets, label_table, split_label_sets, train_sentences};
pub use targets::{label_sets, split_labels, text_targets, Labels, Rows};

/// Which model family to train.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    /// Label statistics memorised from train.
    Naive,
    /// Char 3–8-gram tf-idf + one-vs-rest logistic regression (text), CRF (tagging).
    Feature,
    /// The stronger preset per task type, chosen on dev ([`plus_recipe`], [`plus_crf`]): a
    /// union of vectorizer blocks (pairs: also per-text blocks and cross-field features) +
    /// the logistic regression, the CRF with its feature templates.
    Plus,
}

impl ModelKind {
    /// The folder name under `--out` and the model file suffix.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::Naive => "naive",
            ModelKind::Feature => "feature",
            ModelKind::Plus => "plus",
        }
    }

    /// The settings a fit of this kind uses: `--model plus` has its own preset per task type
    /// (keeping `settings`' seed), every other kind `settings` as given.
    pub fn settings_for(
        self,
        task_kind: TaskKind,
        settings: &FitSettings,
    ) -> std::borrow::Cow<'_, FitSettings> {
        if self == ModelKind::Plus {
            std::borrow::Cow::Owned(plus_settings(task_kind, settings.seed))
        } else {
            std::borrow::Cow::Borrowed(settings)
        }
    }

    /// The row of the paper's Table 3 this kind reproduces (one of [`task::PAPER_SYSTEMS`]).
    ///
    /// [`task::PAPER_SYSTEMS`]: crate::task::PAPER_SYSTEMS
    pub fn paper_system(self) -> &'static str {
        match self {
            ModelKind::Naive => "Naive",
            ModelKind::Feature | ModelKind::Plus => "Feature-based",
        }
    }

    /// The hyperparameters that matter for this kind on a task of kind `task_kind`, for run
    /// records.
    pub fn hyperparameters(self, task_kind: TaskKind, settings: &FitSettings) -> Value {
        if self == ModelKind::Plus {
            let preset = plus_settings(task_kind, settings.seed);
            let mut h = ModelKind::Feature.hyperparameters(task_kind, &preset);
            if let (Some(u), Some(m)) = (&preset.union, h.as_object_mut()) {
                m.insert("preset".into(), "plus".into());
                m.insert("vectorizer".into(), union_json(u));
            }
            return h;
        }
        if let (Some(u), TaskKind::Single | TaskKind::Pair) = (&settings.union, task_kind) {
            let mut h = self.hyperparameters_of(task_kind, settings);
            if let Some(m) = h.as_object_mut().filter(|_| self == ModelKind::Feature) {
                m.insert("vectorizer".into(), union_json(u));
            }
            return h;
        }
        self.hyperparameters_of(task_kind, settings)
    }

    fn hyperparameters_of(self, task_kind: TaskKind, settings: &FitSettings) -> Value {
        match (self, task_kind) {
            (ModelKind::Naive, _) => {
                serde_json::json!({"rule": "most frequent train label, first seen wins ties"})
            }
            (ModelKind::Feature | ModelKind::Plus, TaskKind::Tokens) => crf_json(&settings.crf),
            (ModelKind::Feature | ModelKind::Plus, _) => {
                // The recipe's own keys and values (what a task file or the flags set), in a
                // vectorizer and a classifier section, with the fixed parts of the recipe.
                let mut vectorizer = vectorizer_map(&settings.tfidf);
                for (k, v) in [
                    ("lowercase", true.into()),
                    ("smooth_idf", true.into()),
                    ("norm", "l2".into()),
                ] {
                    vectorizer.insert(k.into(), v);
                }
                let mut classifier = classifier_map(&settings.logreg);
                classifier.insert(
                    "type".into(),
                    "one-vs-rest L2 logistic regression, dual coordinate descent".into(),
                );
                serde_json::json!({
                    "vectorizer": vectorizer,
                    "classifier": classifier,
                    "seed": settings.seed,
                })
            }
        }
    }
}

/// The CRF's settings for run records: the recipe's keys and values (templates included), the
/// algorithm, and what the features are.
pub fn crf_json(crf: &CrfParams) -> Value {
    let mut h = crate::recipe::crf::crf_map(crf);
    h.insert("algorithm".into(), "lbfgs".into());
    let features = if crf.templates.is_paper() {
        "upstream token_classifier.py word2features"
    } else {
        "feature templates"
    };
    h.insert("features".into(), features.into());
    Value::Object(h)
}

/// The settings `--model plus` fits a task of kind `kind` with (the seed is `seed`).
pub fn plus_settings(kind: TaskKind, seed: u64) -> FitSettings {
    let text = TextRecipe {
        seed,
        ..plus_recipe(kind)
    };
    let text = text.check().expect("the plus preset is a valid recipe");
    let crf = plus_crf()
        .check()
        .expect("the plus preset is a valid recipe");
    FitSettings::new(&text, &crf)
}

/// The union and classifier settings [`plus::fit_union_model`] takes.
fn union_fit(settings: &FitSettings) -> (Option<&UnionParams>, LogRegParams) {
    let lr = LogRegParams {
        seed: settings.seed,
        ..settings.logreg
    };
    (settings.union.as_ref(), lr)
}

/// A union of blocks for run records: each block by its name, in column order.
fn union_json(u: &UnionParams) -> Value {
    let blocks: Vec<String> = u.blocks.iter().map(|b| b.name()).collect();
    serde_json::json!({"blocks": blocks, "row_norm": u.row_norm, "lowercase": true, "smooth_idf": true, "norm": "l2 per block"})
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
    /// The text model's union of vectorizer blocks, which replaces `tfidf` when set.
    #[serde(skip)]
    pub union: Option<UnionParams>,
}

impl FitSettings {
    /// The settings of checked recipes: the only way from a recipe to the fitting code.
    pub fn new(text: &CheckedTextRecipe, crf: &CheckedCrfRecipe) -> FitSettings {
        let r = text.recipe();
        FitSettings {
            seed: r.seed,
            crf: crf.params(),
            tfidf: text.tfidf(),
            logreg: text.logreg(),
            multi: MultiLabelRule {
                threshold: r.threshold,
                allow_empty: r.allow_empty,
            },
            union: text.union(),
        }
    }

    /// The paper's recipes with `text`'s settings, checked.
    pub fn from_text(text: &TextRecipe) -> Result<FitSettings> {
        Ok(FitSettings::new(
            &text.check()?,
            &CheckedCrfRecipe::default(),
        ))
    }
}

/// A fitted model of any family. Externally tagged: postcard (the model file encoding) is not
/// self-describing and cannot read internally tagged enums.
#[derive(Debug, Serialize)]
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
    /// A union of vectorizer blocks + one-vs-rest logistic regression (model format 6, read
    /// and written by the model file's own code only).
    #[serde(skip)]
    Union(Box<UnionModel>),
}

/// A fitted model decoded from model format `F`.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case", bound = "")]
pub(crate) enum FittedOut<F: WireFormat> {
    NaiveClassifier(NaiveClassifier),
    NaiveTagger(NaiveTagger),
    Crf(CrfBytes),
    Text(Box<TextModelOut<F>>),
}

impl<F: WireFormat> FittedOut<F> {
    /// The fitted model, its parts checked (the CRF's bytes read, the vectorizer checked).
    pub(crate) fn into_inner(self) -> Result<Fitted> {
        Ok(match self {
            FittedOut::NaiveClassifier(m) => Fitted::NaiveClassifier(m),
            FittedOut::NaiveTagger(m) => Fitted::NaiveTagger(m),
            FittedOut::Crf(b) => Fitted::Crf(
                Crf::from_bytes(b.0)
                    .map_err(|e| crate::error::err!("cannot decode the CRF model: {e}"))?,
            ),
            FittedOut::Text(m) => {
                Fitted::Text(Box::new(m.into_inner().map_err(|e| {
                    crate::error::err!("cannot decode the vectorizer: {e}")
                })?))
            }
        })
    }
}

impl Fitted {
    /// The model inside, behind the trait every model implements.
    pub fn model(&self) -> &dyn Model {
        match self {
            Fitted::NaiveClassifier(m) => m,
            Fitted::NaiveTagger(m) => m,
            Fitted::Crf(m) => m,
            Fitted::Text(m) => m.as_ref(),
            Fitted::Union(m) => m.as_ref(),
        }
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

impl ModelKind {
    /// The one place a model kind is registered with its training code for a classification
    /// task (single-label: multi-label tasks take the text model only).
    fn fit_classifier(
        self,
        task: &TaskSpec,
        settings: &FitSettings,
        docs: &[Doc<'_>],
        labels: &[String],
        rows: &Rows<'_>,
        log: &mut dyn FnMut(&str),
    ) -> Result<Fitted> {
        Ok(match self {
            ModelKind::Naive => {
                let l: Vec<&str> = labels.iter().map(String::as_str).collect();
                Fitted::NaiveClassifier(NaiveParams.fit_classifier(&l)?)
            }
            ModelKind::Feature | ModelKind::Plus if settings.union.is_some() => {
                let (classes, y) = class_targets(task, labels, rows)?;
                Fitted::Union(Box::new(plus::fit_union_model(
                    task,
                    union_fit(settings),
                    docs,
                    classes,
                    |params, x, n| params.fit_owned(x, &y, n),
                    log,
                )?))
            }
            ModelKind::Feature | ModelKind::Plus => {
                let (classes, y) = class_targets(task, labels, rows)?;
                let joined = joined(docs);
                let docs: Vec<&str> = joined.iter().map(|d| d.as_ref()).collect();
                Fitted::Text(Box::new(fit_text_model(
                    task,
                    settings,
                    &docs,
                    classes,
                    |params, x, n| params.fit_owned(x, &y, n),
                    log,
                )?))
            }
        })
    }

    /// The one place a model kind is registered with its training code for a tagging task.
    fn fit_tags(
        self,
        settings: &FitSettings,
        sents: &[Vec<String>],
        tags: &[Vec<String>],
        rows: &Rows<'_>,
    ) -> Result<Fitted> {
        Ok(match self {
            ModelKind::Naive => {
                let pairs: Vec<(&[String], &[String])> = sents
                    .iter()
                    .zip(tags)
                    .map(|(s, t)| (s.as_slice(), t.as_slice()))
                    .collect();
                Fitted::NaiveTagger(NaiveParams.fit_tagger(&pairs)?)
            }
            ModelKind::Feature | ModelKind::Plus => Fitted::Crf(
                settings
                    .crf
                    .fit(sents, tags)
                    .map_err(|e| crate::error::err!("{}: {e}", rows.path().display()))?,
            ),
        })
    }
}

/// Fits a classifier of kind `kind` for the classification task `task` on documents `docs`
/// (texts, or pairs' two texts: the paper's text model joins a pair with one space, a union of
/// blocks reads them apart) and their `labels`: single labels for a
/// single-label task, label sets for a multi-label one. Errors about a row name it as `rows`
/// says; notes (sizes and times) go to `log`.
pub fn fit_text(
    task: &TaskSpec,
    kind: ModelKind,
    docs: &[Doc<'_>],
    labels: Labels<'_>,
    settings: &FitSettings,
    rows: &Rows<'_>,
    log: &mut dyn FnMut(&str),
) -> Result<Pipeline> {
    if task.kind() == TaskKind::Tokens {
        bail!("{}: a tagging task is fitted with fit_tagger", task.name);
    }
    let settings = kind.settings_for(task.kind(), settings);
    let settings = settings.as_ref();
    if docs.len() != labels.len() {
        bail!(
            "{} texts but {} labels: give one label per text",
            docs.len(),
            labels.len()
        );
    }
    match labels {
        Labels::Multi(sets) => {
            if !task.multi_label {
                bail!(
                    "{}: label sets were given for a single-label task",
                    task.name
                );
            }
            check_multi_label(task, kind, settings)?;
            settings.multi.check()?;
            let (classes, sets) = label_table(task, sets, rows)?;
            let joined = joined(docs);
            let docs: Vec<&str> = joined.iter().map(|d| d.as_ref()).collect();
            let model = fit_text_model(
                task,
                settings,
                &docs,
                classes,
                |params, x, n| params.fit_sets_owned(x, &sets, n),
                log,
            )?;
            Ok(Pipeline {
                task: task.clone(),
                kind,
                model: Fitted::Text(Box::new(model)),
                multi_label: Some(settings.multi),
                binary: None,
            })
        }
        Labels::Single(labels) => {
            if task.multi_label {
                bail!(
                    "{}: the task is multi-label: give a set of labels per text",
                    task.name
                );
            }
            let model = kind.fit_classifier(task, settings, docs, labels, rows, log)?;
            Ok(Pipeline {
                task: task.clone(),
                kind,
                model,
                multi_label: None,
                binary: None,
            })
        }
    }
}

/// Fits a tagger of kind `kind` for the tagging task `task` on sentences `sents` and their
/// IOB2 tags, one per token. Errors about a row name it as `rows` says.
pub fn fit_tagger(
    task: &TaskSpec,
    kind: ModelKind,
    sents: &[Vec<String>],
    tags: &[Vec<String>],
    settings: &FitSettings,
    rows: &Rows<'_>,
) -> Result<Pipeline> {
    if task.kind() != TaskKind::Tokens {
        bail!(
            "{}: a classification task is fitted with fit_text",
            task.name
        );
    }
    if sents.len() != tags.len() {
        bail!(
            "{} sentences but {} tag sequences: give one tag list per sentence",
            sents.len(),
            tags.len()
        );
    }
    for (i, g) in tags.iter().enumerate() {
        // Both taggers (naive and CRF) take IOB2 tags only, checked here with the line.
        if let Some((j, tag)) = g.iter().enumerate().find(|(_, t)| !is_iob(t)) {
            return Err(Error::input(
                rows.path(),
                rows.line(i),
                Some(&task.label_field),
                format!(
                    "token {}: tag {tag:?} is not IOB2 (O, B-<type> or I-<type>)",
                    j + 1
                ),
            ));
        }
    }
    let settings = kind.settings_for(task.kind(), settings);
    let settings = settings.as_ref();
    let model = kind.fit_tags(settings, sents, tags, rows)?;
    Ok(Pipeline {
        task: task.clone(),
        kind,
        model,
        multi_label: None,
        binary: None,
    })
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
/// 759783 features, ...`) to `log`; the library itself prints nothing. It reads the split's
/// rows and hands them to [`fit_text`] or [`fit_tagger`].
pub fn fit_logged(
    task: &TaskSpec,
    kind: ModelKind,
    settings: &FitSettings,
    train: &Split,
    log: &mut dyn FnMut(&str),
) -> Result<Pipeline> {
    let lines: Vec<usize> = train.examples.iter().map(|e| e.line).collect();
    let rows = Rows::file(&train.path, &lines);
    if task.kind() == TaskKind::Tokens {
        let (sents, tags) = train_sentences(task, train)?;
        return fit_tagger(task, kind, &sents, &tags, settings, &rows);
    }
    if task.multi_label {
        check_multi_label(task, kind, settings)?;
    }
    let texts = union_docs(&train.examples);
    let docs = docs_of(&train.examples, &texts);
    if task.multi_label {
        let sets = split_label_sets(task, train)?;
        return fit_text(
            task,
            kind,
            &docs,
            Labels::Multi(&sets),
            settings,
            &rows,
            log,
        );
    }
    let labels: Vec<String> = split_labels(task, train, "training")?
        .into_iter()
        .map(str::to_string)
        .collect();
    fit_text(
        task,
        kind,
        &docs,
        Labels::Single(&labels),
        settings,
        &rows,
        log,
    )
}

/// The text each document's classifier sees when the model is one vectorizer: a pair's two
/// texts joined with one space, as upstream does.
pub fn joined<'a>(docs: &[Doc<'a>]) -> Vec<std::borrow::Cow<'a, str>> {
    docs.iter()
        .map(|d| d.view(crate::features::union::Field::Joined))
        .collect()
}

/// Refuses a multi-label fit that only the paper's single vectorizer takes.
fn check_multi_label(task: &TaskSpec, kind: ModelKind, settings: &FitSettings) -> Result<()> {
    match kind {
        ModelKind::Naive => bail!(
            "{}: the naive baseline does not take multi-label tasks; use --model feature",
            task.name
        ),
        ModelKind::Plus => bail!(
            "{}: --model plus does not take multi-label tasks yet; use --model feature",
            task.name
        ),
        ModelKind::Feature if settings.union.is_some() => Err(Error::param(
            "blocks",
            format!(
                "{}: blocks do not take multi-label tasks yet; give a single vectorizer",
                task.name
            ),
        )),
        ModelKind::Feature => Ok(()),
    }
}

/// Vectorizes `docs` and fits the classifier `fit` gives (`n` = the number of classes), with
/// the note on sizes and times and the check of the fitted weights.
fn fit_text_model(
    task: &TaskSpec,
    settings: &FitSettings,
    docs: &[&str],
    classes: Vec<String>,
    fit: impl FnOnce(&LogRegParams, TrainMatrix, usize) -> Result<LogReg>,
    log: &mut dyn FnMut(&str),
) -> Result<TextModel> {
    let t0 = std::time::Instant::now();
    let (tfidf, x): (_, TrainMatrix) = if settings.tfidf.hash_bits.is_some() {
        // Hashed features stay counts until the solver reads them (4 bytes per entry, not 8).
        let (tfidf, m) = settings.tfidf.fit_counts(docs)?;
        (tfidf, m.into())
    } else {
        let (tfidf, x) = settings.tfidf.fit(docs)?;
        (tfidf, x.into())
    };
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
