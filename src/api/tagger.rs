//! [`TaggerParams`] and the fitted [`Tagger`]: the paper's CRF (upstream's token features,
//! CRFsuite's L-BFGS) or the naive most-frequent-tag tagger, on in-memory token lists.

use ndarray::Array2;

use super::common::{bundle_of, in_memory_task, model_file_methods};
use crate::bundle::Bundle;
use crate::error::{Error, Result};
use crate::pipeline::{self, FitSettings, Fitted, ModelKind, Pipeline, Rows};
use crate::recipe::CrfRecipe;
use crate::task::InputFields;

/// Which tagger to fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TaggerKind {
    /// Linear-chain CRF with upstream's `token_classifier.py` features (the paper's model).
    #[default]
    Crf,
    /// The most frequent train tag of each exact token form (unseen forms get `O`).
    Naive,
    /// The CRF of `train --model plus` (its preset, [`pipeline::plus_crf`], defined once):
    /// the CRF recipe must keep every key at its default ([`pipeline::check_plus_recipe`]).
    Plus,
}

/// Hyperparameters of the tagger, defaulting to the paper's CRF: c1 = 0.1, c2 = 0.01,
/// 200 L-BFGS iterations, all possible transitions.
#[derive(Debug, Clone, PartialEq)]
pub struct TaggerParams {
    kind: TaggerKind,
    crf: CrfRecipe,
    name: String,
    fields: Option<(String, String)>,
}

impl Default for TaggerParams {
    fn default() -> Self {
        TaggerParams {
            kind: TaggerKind::Crf,
            crf: CrfRecipe::default(),
            name: "tagger".into(),
            fields: None,
        }
    }
}

impl TaggerParams {
    /// The paper's CRF (same as `default()`).
    pub fn new() -> Self {
        Self::default()
    }

    /// CRF or naive.
    pub fn kind(mut self, kind: TaggerKind) -> Self {
        self.kind = kind;
        self
    }

    /// L1 regularisation coefficient of the CRF.
    pub fn c1(mut self, c1: f64) -> Self {
        self.crf.c1 = c1;
        self
    }

    /// L2 regularisation coefficient of the CRF.
    pub fn c2(mut self, c2: f64) -> Self {
        self.crf.c2 = c2;
        self
    }

    /// Maximum number of L-BFGS iterations.
    pub fn max_iterations(mut self, n: usize) -> Self {
        self.crf.max_iterations = n;
        self
    }

    /// The CRF's feature templates (default: the paper's features), e.g.
    /// `Templates::parse_list("lower,affix:2-4,shape,window:1,bigram")`.
    pub fn templates(mut self, templates: crate::features::crf_templates::Templates) -> Self {
        self.crf.templates = templates;
        self
    }

    /// Transition features for every tag pair, seen in training or not.
    pub fn all_possible_transitions(mut self, on: bool) -> Self {
        self.crf.all_possible_transitions = on;
        self
    }

    /// The task name written into the model file.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// The record fields the model file names: the token-list field and the tag-list field,
    /// so that `rumedbench predict`/`test` read JSONL or CSV records with those fields.
    /// Default `tokens` and `tags`.
    pub fn fields(mut self, tokens_field: &str, tags_field: &str) -> Self {
        self.fields = Some((tokens_field.to_string(), tags_field.to_string()));
        self
    }

    /// Sets the whole CRF recipe at once (as `rumedbench train` and task files take it).
    pub fn with_recipe(mut self, recipe: CrfRecipe) -> Self {
        self.crf = recipe;
        self
    }

    /// The CRF settings.
    pub fn crf(&self) -> &CrfRecipe {
        &self.crf
    }

    /// Fits on sentences (token lists) and their IOB2 tags, one tag per token.
    pub fn fit<S: AsRef<str>, T: AsRef<str>>(
        &self,
        sents: &[Vec<S>],
        tags: &[Vec<T>],
    ) -> Result<Tagger> {
        if sents.len() != tags.len() {
            return Err(Error::Invalid(format!(
                "{} sentences but {} tag sequences: give one tag list per sentence",
                sents.len(),
                tags.len()
            )));
        }
        if self.kind == TaggerKind::Plus {
            pipeline::check_plus_recipe(&self.crf)?;
        }
        let crf = self.crf.check()?;
        let owned = |v: &[S]| v.iter().map(|t| t.as_ref().to_string()).collect();
        let sents: Vec<Vec<String>> = sents.iter().map(|s| owned(s)).collect();
        let tags: Vec<Vec<String>> = tags
            .iter()
            .map(|t| t.iter().map(|x| x.as_ref().to_string()).collect())
            .collect();
        let (tokens_field, tags_field) = match &self.fields {
            None => ("tokens".to_string(), "tags".to_string()),
            Some((tokens, tags)) => (tokens.clone(), tags.clone()),
        };
        let tokens = InputFields::Tokens {
            tokens: tokens_field,
        };
        let task = in_memory_task(&self.name, tokens, &tags_field, false)?;
        let kind = match self.kind {
            TaggerKind::Crf => ModelKind::Feature,
            TaggerKind::Naive => ModelKind::Naive,
            TaggerKind::Plus => ModelKind::Plus,
        };
        let settings = FitSettings::new(&Default::default(), &crf);
        let pipeline =
            pipeline::fit_tagger(&task, kind, &sents, &tags, &settings, &Rows::memory())?;
        let bundle = bundle_of(pipeline, &settings);
        Tagger::from_bundle(bundle)
    }
}

/// A fitted tagger: a pipeline of the model file's format.
#[derive(Debug)]
pub struct Tagger {
    bundle: Bundle,
}

model_file_methods!(Tagger);

impl Tagger {
    /// Wraps a model file's content; errors unless it holds a tagger.
    pub fn from_bundle(bundle: Bundle) -> Result<Self> {
        match &bundle.pipeline.model {
            Fitted::Crf(_) | Fitted::NaiveTagger(_) => Ok(Tagger { bundle }),
            _ => Err(Error::Invalid(format!(
                "the model of task {} is not a tagger; a text classifier loads with \
                 TextClassifier::load",
                bundle.pipeline.task.name
            ))),
        }
    }

    /// The whole pipeline, as the command line uses it.
    pub fn pipeline(&self) -> &Pipeline {
        super::common::pipeline_of(&self.bundle)
    }

    /// The hyperparameters the model was trained with, as the JSON text the model file keeps.
    pub fn hyperparameters(&self) -> &str {
        &self.bundle.meta.hyperparameters
    }

    /// Whether this is the naive tagger (no probabilities).
    pub fn is_naive(&self) -> bool {
        matches!(self.bundle.pipeline.model, Fitted::NaiveTagger(_))
    }

    /// The tags the model can predict (CRF: CRFsuite's label order; naive: sorted).
    pub fn classes(&self) -> Vec<String> {
        match &self.bundle.pipeline.model {
            Fitted::Crf(m) => m.labels().to_vec(),
            Fitted::NaiveTagger(m) => {
                let mut tags: Vec<String> = m.tag_of.values().cloned().collect();
                tags.push("O".into());
                tags.sort();
                tags.dedup();
                tags
            }
            _ => unreachable!("checked in from_bundle"),
        }
    }

    /// One tag per token of each sentence.
    pub fn predict<S: AsRef<str>>(&self, sents: &[Vec<S>]) -> Result<Vec<Vec<String>>> {
        match &self.bundle.pipeline.model {
            Fitted::Crf(m) => Ok(m.predict_batch(sents)?),
            Fitted::NaiveTagger(m) => Ok(sents
                .iter()
                .map(|s| m.tag(&s.iter().map(|t| t.as_ref().into()).collect::<Vec<_>>()))
                .collect()),
            _ => unreachable!("checked in from_bundle"),
        }
    }

    /// The marginal probability of each tag at each token, one `tokens x classes()` array per
    /// sentence (CRF only: the naive tagger has no probabilities).
    pub fn predict_marginals<S: AsRef<str>>(&self, sents: &[Vec<S>]) -> Result<Vec<Array2<f64>>> {
        let Fitted::Crf(m) = &self.bundle.pipeline.model else {
            return Err(Error::Invalid(
                "the naive tagger has no marginal probabilities".into(),
            ));
        };
        let n = m.labels().len();
        sents
            .iter()
            .map(|s| {
                let rows = m.marginals(s)?;
                let flat: Vec<f64> = rows.into_iter().flatten().collect();
                Ok(Array2::from_shape_vec((s.len(), n), flat).expect("tokens x labels"))
            })
            .collect()
    }
}

impl Tagger {
    /// Token accuracy (a fraction) of the tags predicted for `sents` against gold `tags`, as
    /// sklearn-crfsuite's `score`; counted by the scorer `eval` uses. Errors when the numbers
    /// of sentences or of tags per sentence differ.
    pub fn score<S: AsRef<str>, T: AsRef<str>>(
        &self,
        sents: &[Vec<S>],
        tags: &[Vec<T>],
    ) -> Result<f64> {
        if sents.len() != tags.len() {
            return Err(Error::Invalid(format!(
                "{} sentences but {} tag sequences: give one tag list per sentence",
                sents.len(),
                tags.len()
            )));
        }
        let pred = self.predict(sents)?;
        let mut gold = Vec::with_capacity(tags.len());
        for (i, (g, p)) in tags.iter().zip(&pred).enumerate() {
            if g.len() != p.len() {
                return Err(Error::Invalid(format!(
                    "y[{i}] has {} tags for {} tokens",
                    g.len(),
                    p.len()
                )));
            }
            gold.push(g.iter().map(|t| t.as_ref().to_string()).collect::<Vec<_>>());
        }
        let (mut right, mut total) = (0, 0);
        for c in crate::scoring::metrics::corpus_sentence_counts(&gold, &pred) {
            right += c.tokens_correct;
            total += c.tokens;
        }
        Ok(if total == 0 {
            0.0
        } else {
            right as f64 / total as f64
        })
    }
}
