//! The naive baseline: label statistics memorised from train.
//!
//! Classification: every example gets the train labels ranked by frequency. Tagging: each
//! token form gets the tag it carried most often in train, `O` when unseen. Ties go to the
//! label seen first in train: that rule reproduces upstream's released naive predictions for
//! Top3, SymptomRec and DaNet line for line (DaNet's train split is 526/526, and upstream
//! answers "да", the first answer in train).

use std::collections::{BTreeMap, HashMap};

use crate::data::Example;
use crate::error::{bail, Result};
use crate::models::Prediction;
use crate::models::{token_inputs, Model};
use crate::task::TaskSpec;
use serde::{Deserialize, Serialize};

/// Hyperparameters of the naive baseline (there are none; kept for the params/model split).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NaiveParams;

/// A fitted naive classifier: train labels ranked by frequency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NaiveClassifier {
    /// Labels, most frequent first, ties in first-seen order.
    pub ranked: Vec<String>,
    /// Each ranked label's share of the train examples.
    pub share: Vec<f32>,
}

/// A fitted naive tagger: the most frequent train tag of each token form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NaiveTagger {
    /// Token form (exact, case-sensitive) to tag.
    pub tag_of: BTreeMap<String, String>,
}

/// Counts items, remembering first-seen order, and returns them most frequent first.
fn rank_first_seen<'a>(items: impl Iterator<Item = &'a str>) -> Vec<(&'a str, usize)> {
    let mut order: Vec<(&str, usize)> = Vec::new();
    let mut pos: HashMap<&str, usize> = HashMap::new();
    for it in items {
        match pos.get(it) {
            Some(&i) => order[i].1 += 1,
            None => {
                pos.insert(it, order.len());
                order.push((it, 1));
            }
        }
    }
    // A stable sort keeps first-seen order among equal counts.
    order.sort_by_key(|o| std::cmp::Reverse(o.1));
    order
}

impl NaiveParams {
    /// Fits the classifier on train labels.
    pub fn fit_classifier(&self, labels: &[&str]) -> Result<NaiveClassifier> {
        if labels.is_empty() {
            bail!("cannot fit the naive baseline on zero examples");
        }
        let ranked = rank_first_seen(labels.iter().copied());
        let n = labels.len() as f32;
        Ok(NaiveClassifier {
            share: ranked.iter().map(|(_, c)| *c as f32 / n).collect(),
            ranked: ranked.into_iter().map(|(l, _)| l.to_string()).collect(),
        })
    }

    /// Fits the tagger on train sentences (tokens and tags of equal length).
    pub fn fit_tagger(&self, sents: &[(&[String], &[String])]) -> Result<NaiveTagger> {
        if sents.is_empty() {
            bail!("cannot fit the naive baseline on zero sentences");
        }
        let mut by_token: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut first: Vec<&str> = Vec::new();
        for (toks, tags) in sents {
            for (tok, tag) in toks.iter().zip(tags.iter()) {
                by_token
                    .entry(tok.as_str())
                    .or_insert_with(|| {
                        first.push(tok.as_str());
                        Vec::new()
                    })
                    .push(tag.as_str());
            }
        }
        let tag_of = first
            .into_iter()
            .map(|tok| {
                let best = rank_first_seen(by_token[tok].iter().copied())[0].0;
                (tok.to_string(), best.to_string())
            })
            .collect();
        Ok(NaiveTagger { tag_of })
    }
}

impl NaiveClassifier {
    /// The `k` best labels with their train shares (the same for every input).
    pub fn top(&self, k: usize) -> Vec<(String, f32)> {
        self.ranked
            .iter()
            .cloned()
            .zip(self.share.iter().copied())
            .take(k)
            .collect()
    }
}

impl NaiveTagger {
    /// Tags a sentence: the memorised tag of each token, `O` for unseen forms.
    pub fn tag(&self, tokens: &[String]) -> Vec<String> {
        tokens
            .iter()
            .map(|t| self.tag_of.get(t).cloned().unwrap_or_else(|| "O".into()))
            .collect()
    }
}

impl Model for NaiveClassifier {
    fn validate(&self, task: &TaskSpec, multi_label: bool) -> Result<()> {
        super::expect_classification(task)?;
        if multi_label {
            bail!("a multi-label task whose model is not the text model");
        }
        if self.ranked.len() != self.share.len() {
            bail!(
                "{} labels with {} shares",
                self.ranked.len(),
                self.share.len()
            );
        }
        // Shares are the predicted probabilities: each in [0, 1].
        if let Some(i) = self.share.iter().position(|s| !(0.0..=1.0).contains(s)) {
            bail!(
                "the naive classifier's share of label {i} is {}, not a share in [0, 1]",
                self.share[i]
            );
        }
        Ok(())
    }

    fn describe(&self) -> &'static str {
        "a naive classifier"
    }

    fn predict(&self, examples: &[Example], k: usize) -> Result<Vec<Prediction>> {
        let row = self.top(k);
        Ok(vec![Prediction::Ranked(row); examples.len()])
    }

    fn labels(&self) -> Option<std::collections::BTreeSet<String>> {
        Some(self.ranked.iter().cloned().collect())
    }
}

impl Model for NaiveTagger {
    fn validate(&self, task: &TaskSpec, multi_label: bool) -> Result<()> {
        super::expect_tagging(task, multi_label)
    }

    fn describe(&self) -> &'static str {
        "a naive tagger"
    }

    fn predict(&self, examples: &[Example], _k: usize) -> Result<Vec<Prediction>> {
        Ok(token_inputs(examples)?
            .into_iter()
            .map(|t| Prediction::Tags(self.tag(t)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_by_frequency_with_first_seen_ties() {
        let m = NaiveParams
            .fit_classifier(&["b", "a", "c", "a", "c", "d"])
            .unwrap();
        // a and c both twice; a was seen first. b and d once; b first.
        assert_eq!(m.ranked, vec!["a", "c", "b", "d"]);
        assert_eq!(m.top(3).len(), 3);
        assert!((m.share[0] - 2.0 / 6.0).abs() < 1e-6);
    }

    #[test]
    fn tagger_takes_the_most_frequent_tag_and_o_for_unseen() {
        let s = |x: &str| x.split(' ').map(String::from).collect::<Vec<_>>();
        let (t1, g1) = (s("Аспирин помог"), s("B-Drugname O"));
        let (t2, g2) = (s("аспирин Аспирин"), s("O O"));
        let (t3, g3) = (s("Аспирин"), s("B-Drugname"));
        let m = NaiveParams
            .fit_tagger(&[(&t1, &g1), (&t2, &g2), (&t3, &g3)])
            .unwrap();
        assert_eq!(m.tag(&s("Аспирин аспирин новое")), s("B-Drugname O O"));
        // Tie (one each) goes to the first-seen tag.
        let (t4, g4) = (s("x x"), s("B-ADR O"));
        let m = NaiveParams.fit_tagger(&[(&t4, &g4)]).unwrap();
        assert_eq!(m.tag(&s("x")), s("B-ADR"));
    }

    #[test]
    fn empty_training_data_is_an_error() {
        assert!(NaiveParams.fit_classifier(&[]).is_err());
        assert!(NaiveParams.fit_tagger(&[]).is_err());
    }
}
