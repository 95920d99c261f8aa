//! [`TextClassifierParams`] and the fitted [`TextClassifier`]: the paper's char n-gram tf-idf +
//! one-vs-rest logistic regression on in-memory texts or text pairs.

use ndarray::Array2;

use super::common::{bundle_of, in_memory_task, model_file_methods};
use crate::bundle::Bundle;
use crate::error::{Error, Result};
use crate::features::analyzer::Analyzer;
use crate::features::limit::DocFreq;
use crate::features::sparse::CsrMatrix;
use crate::features::union::Doc;
use crate::models::linear::LogReg;
use crate::pipeline::{
    self, BinaryRule, FitSettings, Fitted, Labels, ModelKind, MultiLabelRule, Pipeline, Rows,
};
use crate::recipe::{ClassWeight, NgramRange, TextRecipe};
use crate::task::{InputFields, TaskKind, TaskSpec};

/// Hyperparameters of the text classifier, defaulting to the paper's recipe: char 3–8-grams,
/// raw tf, `C = 10`, tolerance 0.1, no class weights, seed 0.
///
/// ```
/// use rumedbench::TextClassifierParams;
/// let params = TextClassifierParams::default().c(1.0).ngram_range(2, 5).sublinear_tf(true);
/// assert_eq!(params.recipe().c, 1.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TextClassifierParams {
    recipe: TextRecipe,
    name: String,
    fields: Option<(Vec<String>, String)>,
    classes: Option<Vec<String>>,
    positive: Option<String>,
    kind: ModelKind,
}

impl Default for TextClassifierParams {
    fn default() -> Self {
        TextClassifierParams {
            kind: ModelKind::Feature,
            recipe: TextRecipe::default(),
            name: "model".into(),
            fields: None,
            classes: None,
            positive: None,
        }
    }
}

impl TextClassifierParams {
    /// The paper's recipe (same as `default()`).
    pub fn new() -> Self {
        Self::default()
    }

    /// The n-gram lengths in code points, `min..=max` (sklearn `ngram_range`).
    pub fn ngram_range(mut self, min: usize, max: usize) -> Self {
        self.recipe.ngram_range = NgramRange(min, max);
        self
    }

    /// Replace a raw count `tf` by `1 + ln(tf)` (sklearn `sublinear_tf`).
    pub fn sublinear_tf(mut self, on: bool) -> Self {
        self.recipe.sublinear_tf = on;
        self
    }

    /// Inverse regularisation strength (sklearn `C`).
    pub fn c(mut self, c: f64) -> Self {
        self.recipe.c = c;
        self
    }

    /// The dual solver's stopping tolerance (liblinear's rule; default 0.1).
    pub fn tol(mut self, tol: f64) -> Self {
        self.recipe.tol = tol;
        self
    }

    /// Upper bound on solver epochs per binary problem.
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.recipe.max_iter = max_iter;
        self
    }

    /// sklearn's `class_weight='balanced'` when `true`.
    pub fn class_weight_balanced(mut self, on: bool) -> Self {
        self.recipe.class_weight = if on {
            ClassWeight::Balanced
        } else {
            ClassWeight::None
        };
        self
    }

    /// Seed of the solver's coordinate order.
    pub fn seed(mut self, seed: u64) -> Self {
        self.recipe.seed = seed;
        self
    }

    /// Drop n-grams found in fewer training documents (scikit-learn's `min_df`; default 1).
    pub fn min_df(mut self, min_df: DocFreq) -> Self {
        self.recipe.min_df = min_df;
        self
    }

    /// Drop n-grams found in more training documents (scikit-learn's `max_df`; default all).
    pub fn max_df(mut self, max_df: DocFreq) -> Self {
        self.recipe.max_df = max_df;
        self
    }

    /// Keep only the `n` n-grams with the highest term frequency over the training documents
    /// (scikit-learn's `max_features`; default all).
    pub fn max_features(mut self, n: Option<usize>) -> Self {
        self.recipe.max_features = n;
        self
    }

    /// How texts are cut into terms (scikit-learn's `analyzer`: `char`, `char_wb`, `word`; or
    /// `stem`, word n-grams over Snowball-Russian-stemmed words).
    pub fn analyzer(mut self, analyzer: Analyzer) -> Self {
        self.recipe.analyzer = analyzer;
        self
    }

    /// Multi-label models: a label is predicted when its probability is at least `threshold`,
    /// in (0, 1) (default 0.5).
    pub fn threshold(mut self, threshold: f64) -> Self {
        self.recipe.threshold = threshold;
        self
    }

    /// Multi-label models: whether a prediction may be the empty set (default `false`: the
    /// most probable label when none reaches the threshold).
    pub fn allow_empty(mut self, on: bool) -> Self {
        self.recipe.allow_empty = on;
        self
    }

    /// The record fields the model file names: the text field (two for pairs) and the label
    /// field, so that `rumedbench predict --model` reads JSONL or CSV records with those fields.
    /// Default `text` (pairs: `text`, `text_pair`) and `label`.
    pub fn fields(mut self, text_fields: &[&str], label_field: &str) -> Self {
        let texts = text_fields.iter().map(|f| f.to_string()).collect();
        self.fields = Some((texts, label_field.to_string()));
        self
    }

    /// Hashed n-gram columns, `2^bits` (scikit-learn's `HashingVectorizer`; default: none,
    /// a vocabulary).
    pub fn hash_features(mut self, bits: Option<u8>) -> Self {
        self.recipe.hash_features = bits;
        self
    }

    /// A single-label binary task's positive label: the fitted model predicts it when its
    /// probability is at least the recipe's `threshold` (as `rumedbench train
    /// --positive-label L --threshold T`), kept in the model file. Fitting errors unless the
    /// labels are two, one of them `label`.
    pub fn positive_label(mut self, label: Option<String>) -> Self {
        self.positive = label;
        self
    }

    /// The class order of the fitted model (its probability and indicator columns) instead of
    /// the labels sorted as strings; every training label must be one of `classes`, which
    /// must be distinct.
    pub fn classes(mut self, classes: Vec<String>) -> Self {
        self.classes = Some(classes);
        self
    }

    /// The task name written into the model file (and used by `rumedbench predict`).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Sets the whole recipe at once (every knob, as `rumedbench train` and task files take
    /// them).
    pub fn with_recipe(mut self, recipe: TextRecipe) -> Self {
        self.recipe = recipe;
        self
    }

    /// Which model to fit: [`ModelKind::Feature`] (the default: the recipe as set) or
    /// [`ModelKind::Plus`] (`train --model plus`: the preset of the input's type, texts or
    /// pairs, defined once in [`pipeline::plus_recipe`]; the recipe must then keep every key
    /// but [`pipeline::PLUS_FREE_KEYS`] at its default, see [`pipeline::check_plus_recipe`]).
    ///
    /// ```
    /// use rumedbench::{pipeline::ModelKind, TextClassifierParams};
    /// let texts = ["боль в груди", "кашель и жар", "боль в спине", "сухой кашель"];
    /// let labels = ["pain", "cough", "pain", "cough"];
    /// let plus = TextClassifierParams::default().model(ModelKind::Plus);
    /// assert_eq!(plus.fit(&texts, &labels).unwrap().predict(&["боль"]).unwrap(), ["pain"]);
    /// let e = plus.c(3.0).fit(&texts, &labels).unwrap_err().to_string();
    /// assert!(e.starts_with("C: "), "{e}");
    /// ```
    pub fn model(mut self, kind: ModelKind) -> Self {
        self.kind = kind;
        self
    }

    /// The recipe, as `rumedbench train` takes it.
    pub fn recipe(&self) -> &TextRecipe {
        &self.recipe
    }

    /// All settings, checked, as the fitting code takes them.
    pub fn settings(&self) -> Result<FitSettings> {
        FitSettings::from_text(&self.recipe)
    }

    /// Checks every setting, naming the bad one.
    pub fn check(&self) -> Result<()> {
        self.recipe.check().map(|_| ())
    }

    /// Fits on single texts. Classes are the distinct labels, sorted as strings.
    pub fn fit<S: AsRef<str>, L: ToString>(
        &self,
        texts: &[S],
        labels: &[L],
    ) -> Result<TextClassifier> {
        let docs = text_docs(texts);
        let labels: Vec<String> = labels.iter().map(|l| l.to_string()).collect();
        self.fit_docs(false, &docs, Labels::Single(&labels))
    }

    /// Fits on text pairs; the two texts are joined with one space, as upstream does.
    pub fn fit_pairs<A: AsRef<str>, B: AsRef<str>, L: ToString>(
        &self,
        pairs: &[(A, B)],
        labels: &[L],
    ) -> Result<TextClassifier> {
        let docs = pair_docs(pairs);
        let labels: Vec<String> = labels.iter().map(|l| l.to_string()).collect();
        self.fit_docs(true, &docs, Labels::Single(&labels))
    }

    /// Fits a multi-label model on single texts, each with its set of labels (order and
    /// repeats do not matter; a set may be empty). Classes are the distinct labels, sorted as
    /// strings; one independent logistic regression per class.
    pub fn fit_multi<S: AsRef<str>, L: ToString>(
        &self,
        texts: &[S],
        label_sets: &[Vec<L>],
    ) -> Result<TextClassifier> {
        let docs = text_docs(texts);
        self.fit_docs(false, &docs, Labels::Multi(&owned_sets(label_sets)))
    }

    /// Fits a multi-label model on text pairs (joined with one space).
    pub fn fit_multi_pairs<A: AsRef<str>, B: AsRef<str>, L: ToString>(
        &self,
        pairs: &[(A, B)],
        label_sets: &[Vec<L>],
    ) -> Result<TextClassifier> {
        let docs = pair_docs(pairs);
        self.fit_docs(true, &docs, Labels::Multi(&owned_sets(label_sets)))
    }

    /// The in-memory task of these settings: single texts or pairs, single- or multi-label.
    pub(super) fn task(&self, pair: bool, multi_label: bool) -> Result<TaskSpec> {
        let n = if pair { 2 } else { 1 };
        let (texts, label): (Vec<&str>, &str) = match &self.fields {
            None if pair => (vec!["text", "text_pair"], "label"),
            None => (vec!["text"], "label"),
            Some((texts, label)) => {
                if texts.len() != n {
                    return Err(Error::param(
                        "fields",
                        format!(
                            "{} text field(s) named for {n} text(s) per input",
                            texts.len()
                        ),
                    ));
                }
                (texts.iter().map(|t| t.as_str()).collect(), label.as_str())
            }
        };
        let inputs = match texts.as_slice() {
            [a, b] => InputFields::Pair {
                first: a.to_string(),
                second: b.to_string(),
            },
            _ => InputFields::Single {
                text: texts[0].to_string(),
            },
        };
        let mut task = in_memory_task(&self.name, inputs, label, multi_label)?;
        if let Some(order) = &self.classes {
            let distinct: std::collections::BTreeSet<&String> = order.iter().collect();
            if distinct.len() != order.len() {
                return Err(Error::param("classes", "the class order repeats a class"));
            }
            task.label_order = Some(order.clone());
        }
        Ok(task)
    }

    fn fit_docs(&self, pair: bool, docs: &[Doc<'_>], labels: Labels<'_>) -> Result<TextClassifier> {
        if docs.len() != labels.len() {
            return Err(Error::Invalid(format!(
                "{} inputs but {} labels: give one label per input",
                docs.len(),
                labels.len()
            )));
        }
        match self.kind {
            ModelKind::Feature => {}
            ModelKind::Plus => pipeline::check_plus_recipe(&self.recipe)?,
            ModelKind::Naive => {
                return Err(Error::param(
                    "model",
                    "the text classifier fits the feature or the plus model, not the naive one",
                ))
            }
        }
        let settings = self.settings()?;
        let multi = matches!(labels, Labels::Multi(_));
        if multi {
            settings.multi.check()?;
        }
        let mut task = self.task(pair, multi)?;
        let n_classes = match labels {
            Labels::Single(l) => l.iter().collect::<std::collections::BTreeSet<_>>().len(),
            Labels::Multi(l) => l
                .iter()
                .flatten()
                .collect::<std::collections::BTreeSet<_>>()
                .len(),
        };
        task.settle_metrics(n_classes);
        let pipeline = pipeline::fit_text(
            &task,
            self.kind,
            docs,
            labels,
            &settings,
            &Rows::memory(),
            &mut |_| {},
        )?;
        let mut pipeline = pipeline;
        if let Some(positive) = &self.positive {
            if multi {
                return Err(Error::param(
                    "positive_label",
                    "a positive label's threshold is for single-label tasks; a multi-label \
                     model's threshold applies to every class",
                ));
            }
            pipeline
                .set_binary_rule(Some(BinaryRule {
                    positive: positive.clone(),
                    threshold: self.recipe.threshold,
                }))
                .map_err(|e| Error::param("positive_label", e.to_string()))?;
        }
        TextClassifier::from_bundle(bundle_of(pipeline, &settings))
    }
}

fn owned_sets<L: ToString>(sets: &[Vec<L>]) -> Vec<Vec<String>> {
    sets.iter()
        .map(|s| s.iter().map(|l| l.to_string()).collect())
        .collect()
}

/// A fitted text classifier: a pipeline of the model file's format.
#[derive(Debug)]
pub struct TextClassifier {
    bundle: Bundle,
}

model_file_methods!(TextClassifier);

impl TextClassifier {
    /// Wraps a model file's content; errors unless it holds a text classifier.
    pub fn from_bundle(bundle: Bundle) -> Result<Self> {
        match &bundle.pipeline.model {
            Fitted::Text(_) | Fitted::Union(_) => Ok(TextClassifier { bundle }),
            _ => Err(Error::Invalid(format!(
                "the model of task {} is not a text classifier (char n-gram tf-idf + logistic \
                 regression); a tagger loads with Tagger::load",
                bundle.pipeline.task.name
            ))),
        }
    }

    /// The vectorizer's rows of `docs` and the classifier: the paper's model reads each pair
    /// joined with one space, a union of blocks reads its texts apart.
    fn rows_and_classifier(&self, docs: &[Doc<'_>]) -> (CsrMatrix, &LogReg) {
        match &self.bundle.pipeline.model {
            Fitted::Union(u) => (u.union.transform(docs), &u.clf),
            Fitted::Text(m) => {
                let joined = pipeline::joined(docs);
                let docs: Vec<&str> = joined.iter().map(|d| d.as_ref()).collect();
                (m.tfidf.transform(&docs), &m.clf)
            }
            _ => unreachable!("checked in from_bundle"),
        }
    }

    /// The class labels, in the order of the probability columns.
    pub fn classes(&self) -> &[String] {
        match &self.bundle.pipeline.model {
            Fitted::Union(u) => &u.labels,
            Fitted::Text(m) => &m.labels,
            _ => unreachable!("checked in from_bundle"),
        }
    }

    /// The number of n-gram features of the vocabulary.
    pub fn n_features(&self) -> usize {
        match &self.bundle.pipeline.model {
            Fitted::Union(u) => u.union.n_features(),
            Fitted::Text(m) => m.tfidf.n_features(),
            _ => unreachable!("checked in from_bundle"),
        }
    }

    /// Whether the model was fitted on text pairs.
    pub fn is_pair(&self) -> bool {
        self.bundle.pipeline.task.kind() == TaskKind::Pair
    }

    /// The task definition stored in the model file.
    pub fn task(&self) -> &TaskSpec {
        &self.bundle.pipeline.task
    }

    /// The whole pipeline, as the command line uses it.
    pub fn pipeline(&self) -> &Pipeline {
        super::common::pipeline_of(&self.bundle)
    }

    /// The hyperparameters the model was trained with, as the JSON text the model file keeps.
    pub fn hyperparameters(&self) -> &str {
        &self.bundle.meta.hyperparameters
    }

    fn expect_pairs(&self, pairs: bool) -> Result<()> {
        match (self.is_pair(), pairs) {
            (true, false) => Err(Error::Invalid(
                "this model was fitted on text pairs: give (text, text_pair) pairs".into(),
            )),
            (false, true) => Err(Error::Invalid(
                "this model was fitted on single texts, not text pairs".into(),
            )),
            _ => Ok(()),
        }
    }

    /// Class probabilities (sklearn's one-vs-rest normalisation; a multi-label model: each
    /// class's own probability), `texts x classes`.
    pub fn predict_proba<S: AsRef<str>>(&self, texts: &[S]) -> Result<Array2<f32>> {
        self.expect_pairs(false)?;
        Ok(self.proba_of(&text_docs(texts)))
    }

    /// Class probabilities of text pairs, `pairs x classes`.
    pub fn predict_proba_pairs<A: AsRef<str>, B: AsRef<str>>(
        &self,
        pairs: &[(A, B)],
    ) -> Result<Array2<f32>> {
        self.expect_pairs(true)?;
        Ok(self.proba_of(&pair_docs(pairs)))
    }

    /// Decision scores `w_k . x + b_k`, `texts x classes` (two classes: `[-s, s]`).
    pub fn decision_function<S: AsRef<str>>(&self, texts: &[S]) -> Result<Array2<f32>> {
        self.expect_pairs(false)?;
        Ok(self.decision_of(&text_docs(texts)))
    }

    /// Decision scores of text pairs.
    pub fn decision_function_pairs<A: AsRef<str>, B: AsRef<str>>(
        &self,
        pairs: &[(A, B)],
    ) -> Result<Array2<f32>> {
        self.expect_pairs(true)?;
        Ok(self.decision_of(&pair_docs(pairs)))
    }

    /// The most probable class of each text (ties: the earlier class). A multi-label model
    /// predicts sets: see [`TextClassifier::predict_sets`].
    pub fn predict<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<String>> {
        self.expect_single_label()?;
        Ok(self.argmax(&self.predict_proba(texts)?))
    }

    /// The most probable class of each text pair.
    pub fn predict_pairs<A: AsRef<str>, B: AsRef<str>>(
        &self,
        pairs: &[(A, B)],
    ) -> Result<Vec<String>> {
        self.expect_single_label()?;
        Ok(self.argmax(&self.predict_proba_pairs(pairs)?))
    }

    /// Whether the model is multi-label (one set of labels per text).
    pub fn is_multi_label(&self) -> bool {
        self.bundle.pipeline.multi_label.is_some()
    }

    /// A multi-label model's decision rule (threshold and whether a set may be empty).
    pub fn multi_label_rule(&self) -> Option<MultiLabelRule> {
        self.bundle.pipeline.multi_label
    }

    fn expect_single_label(&self) -> Result<()> {
        if self.is_multi_label() {
            return Err(Error::Invalid(
                "this model is multi-label: predict_sets or predict_indicator give its label \
                 sets"
                    .into(),
            ));
        }
        Ok(())
    }

    /// A multi-label model's predicted set of each text, each in [`TextClassifier::classes`]
    /// order: the classes whose probability reaches the threshold (unless empty sets are
    /// allowed, the most probable class when none does). Errors for a single-label model.
    pub fn predict_sets<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<Vec<String>>> {
        Ok(self.sets(&self.predict_indicator(texts)?))
    }

    /// [`TextClassifier::predict_sets`] of text pairs.
    pub fn predict_sets_pairs<A: AsRef<str>, B: AsRef<str>>(
        &self,
        pairs: &[(A, B)],
    ) -> Result<Vec<Vec<String>>> {
        Ok(self.sets(&self.predict_indicator_pairs(pairs)?))
    }

    /// A multi-label model's predictions as an indicator matrix, `texts x classes`: 1 where
    /// the class is in the text's predicted set (scikit-learn's multi-label convention).
    pub fn predict_indicator<S: AsRef<str>>(&self, texts: &[S]) -> Result<Array2<u8>> {
        let rule = self.rule()?;
        Ok(indicator(&self.predict_proba(texts)?, rule))
    }

    /// [`TextClassifier::predict_indicator`] of text pairs.
    pub fn predict_indicator_pairs<A: AsRef<str>, B: AsRef<str>>(
        &self,
        pairs: &[(A, B)],
    ) -> Result<Array2<u8>> {
        let rule = self.rule()?;
        Ok(indicator(&self.predict_proba_pairs(pairs)?, rule))
    }

    fn rule(&self) -> Result<MultiLabelRule> {
        self.multi_label_rule().ok_or_else(|| {
            Error::Invalid(
                "this model is single-label: predict gives one class per text, not sets".into(),
            )
        })
    }

    fn sets(&self, indicator: &Array2<u8>) -> Vec<Vec<String>> {
        let classes = self.classes();
        indicator
            .rows()
            .into_iter()
            .map(|row| {
                row.iter()
                    .zip(classes)
                    .filter(|(&v, _)| v == 1)
                    .map(|(_, c)| c.clone())
                    .collect()
            })
            .collect()
    }

    /// Probabilities of documents (texts, or pairs' two texts): normalised over classes, or
    /// each class's own for a multi-label model.
    pub(crate) fn proba_of(&self, docs: &[Doc<'_>]) -> Array2<f32> {
        let (x, clf) = self.rows_and_classifier(docs);
        let flat = if self.is_multi_label() {
            clf.predict_proba_independent(&x)
        } else {
            clf.predict_proba(&x)
        };
        Array2::from_shape_vec((docs.len(), self.classes().len()), flat).expect("rows x classes")
    }

    fn decision_of(&self, docs: &[Doc<'_>]) -> Array2<f32> {
        let (x, clf) = self.rows_and_classifier(docs);
        let flat = clf.decision_function(&x);
        Array2::from_shape_vec((docs.len(), self.classes().len()), flat).expect("rows x classes")
    }

    /// A single-label binary model's positive label and threshold, when it was fitted with
    /// one (`positive_label`, or `rumedbench train --positive-label L --threshold T`).
    pub fn binary_rule(&self) -> Option<&BinaryRule> {
        self.bundle.pipeline.binary_rule()
    }

    /// The predicted class of each row of `proba`: the most probable (ties: the earlier class),
    /// or, under a binary rule, the positive label when its probability reaches the threshold.
    pub(crate) fn argmax(&self, proba: &Array2<f32>) -> Vec<String> {
        let classes = self.classes();
        let positive = self.binary_rule().and_then(|r| {
            let at = classes.iter().position(|c| *c == r.positive)?;
            Some((at, r.threshold))
        });
        proba
            .rows()
            .into_iter()
            .map(|row| {
                if let Some((at, threshold)) = positive {
                    let best = if f64::from(row[at]) >= threshold {
                        at
                    } else {
                        1 - at
                    };
                    return classes[best].clone();
                }
                let mut best = 0;
                for (i, &p) in row.iter().enumerate() {
                    if p > row[best] {
                        best = i;
                    }
                }
                classes[best].clone()
            })
            .collect()
    }
}

/// The indicator matrix of multi-label probabilities `proba` under `rule`: as the command line
/// decides (the labels ranked by probability, the first `rule.set_size` of them predicted).
fn indicator(proba: &Array2<f32>, rule: MultiLabelRule) -> Array2<u8> {
    let mut out = Array2::zeros(proba.raw_dim());
    for (row, mut dst) in proba.rows().into_iter().zip(out.rows_mut()) {
        let mut order: Vec<usize> = (0..row.len()).collect();
        // The command line's ranking: by decreasing probability, ties in class order.
        order.sort_by(|&a, &b| row[b].total_cmp(&row[a]).then(a.cmp(&b)));
        let ranked: Vec<f32> = order.iter().map(|&k| row[k]).collect();
        for &k in &order[..rule.set_size(&ranked)] {
            dst[k] = 1;
        }
    }
    out
}

/// Single texts as the fitting core's documents.
pub(crate) fn text_docs<S: AsRef<str>>(texts: &[S]) -> Vec<Doc<'_>> {
    texts.iter().map(|t| Doc::text(t.as_ref())).collect()
}

/// Text pairs as the fitting core's documents: the two texts apart (the paper's text model
/// joins them with one space, a union of blocks reads them apart).
pub(crate) fn pair_docs<A: AsRef<str>, B: AsRef<str>>(pairs: &[(A, B)]) -> Vec<Doc<'_>> {
    pairs
        .iter()
        .map(|(a, b)| Doc {
            first: a.as_ref(),
            second: Some(b.as_ref()),
        })
        .collect()
}

pub(crate) fn join_pairs<A: AsRef<str>, B: AsRef<str>>(pairs: &[(A, B)]) -> Vec<String> {
    pairs
        .iter()
        .map(|(a, b)| format!("{} {}", a.as_ref(), b.as_ref()))
        .collect()
}

#[cfg(test)]
mod limit_tests {
    use super::*;

    const TEXTS: [&str; 6] = [
        "кашель и насморк",
        "насморк, чихание",
        "боль в горле, кашель",
        "изжога после еды",
        "тошнота и изжога",
        "боль в животе после еды",
    ];
    const LABELS: [&str; 6] = ["J06", "J06", "J06", "K29", "K29", "K29"];

    #[test]
    fn bounds_that_keep_every_term_give_the_unpruned_model() {
        let plain = TextClassifierParams::default()
            .fit(&TEXTS, &LABELS)
            .unwrap();
        let bounds = TextClassifierParams::default()
            .min_df(DocFreq::Fraction(0.0))
            .max_df(DocFreq::Count(6));
        let same = bounds.fit(&TEXTS, &LABELS).unwrap();
        assert_eq!(same.n_features(), plain.n_features());
        assert_eq!(
            same.predict_proba(&TEXTS).unwrap(),
            plain.predict_proba(&TEXTS).unwrap()
        );
    }

    #[test]
    fn pruning_drops_rare_and_common_terms_and_checks_its_bounds() {
        let plain = TextClassifierParams::default()
            .fit(&TEXTS, &LABELS)
            .unwrap();
        let pruned = TextClassifierParams::default()
            .min_df(DocFreq::Count(2))
            .fit(&TEXTS, &LABELS)
            .unwrap();
        assert!(0 < pruned.n_features() && pruned.n_features() < plain.n_features());
        assert!(pruned.hyperparameters().contains("\"min_df\":2"));
        let few = TextClassifierParams::default()
            .analyzer(Analyzer::Word)
            .ngram_range(1, 2)
            .max_features(Some(5))
            .fit(&TEXTS, &LABELS)
            .unwrap();
        assert_eq!(few.n_features(), 5);
        assert!(few.hyperparameters().contains("\"analyzer\":\"word\""));
        assert!(few.hyperparameters().contains("\"max_features\":5"));
        let e = TextClassifierParams::default()
            .min_df(DocFreq::Count(4))
            .max_df(DocFreq::Fraction(0.5))
            .fit(&TEXTS, &LABELS)
            .unwrap_err()
            .to_string();
        assert!(e.contains("fewer documents than min_df"), "{e}");
        let e = TextClassifierParams::default()
            .max_df(DocFreq::Fraction(1.5))
            .fit(&TEXTS, &LABELS)
            .unwrap_err()
            .to_string();
        assert!(e.contains("[0, 1]"), "{e}");
    }
}
