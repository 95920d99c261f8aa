//! Why the CRF tagged a sentence the way it did.
//!
//! A linear-chain CRF scores a tag path `y` of a sentence as the sum over tokens `t` of a state
//! score and a transition score:
//!
//! ```text
//! score(y) = Σ_t [ state(t, y_t) + trans(y_{t-1}, y_t) ]      (no transition into t = 0)
//! state(t, y) = Σ_a value(t, a) · weight(a, y)                (a: the attributes of token t)
//! ```
//!
//! and predicts the path of highest score (Viterbi). Each token's part of the predicted path's
//! score therefore splits exactly into one term per attribute of the token (which the feature
//! templates name) plus one transition weight. [`Crf::explain`] gives those terms for every
//! token, the tags [`Crf::predict`] gives (the same Viterbi over the same tables), and, per
//! token, the runner-up tag: the one whose swap into the predicted path at that token alone
//! lowers the path's score least, with that loss as the margin.

use super::{Crf, Result};

/// One attribute of a token and its part of a tag's state score.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeScore {
    /// What emitted the attribute: a template (`lower`, `affix:2-4`), a window's offset and
    /// token template (`window:-1 lower`) or the paper's dict key (`paper word.lower()`).
    pub template: String,
    /// The attribute as CRFsuite sees it (`lower:аспирин`, `-1:istitle`).
    pub name: String,
    /// Its value (1 for a string feature or a true predicate, 0 for a false one).
    pub value: f64,
    /// Whether the model has any weight for the attribute (it was seen in training and
    /// regularisation kept a weight for some tag).
    pub known: bool,
    /// Its weight for the tag (0 when the model has none for that pair).
    pub weight: f64,
    /// `value · weight`.
    pub contribution: f64,
}

/// A tag's score at one token of the predicted path.
#[derive(Debug, Clone, PartialEq)]
pub struct TagScore {
    /// The tag.
    pub tag: String,
    /// The state score: the attributes' contributions summed, in attribute order.
    pub state: f64,
    /// The transition weight from the previous token's predicted tag (0 at the first token).
    pub transition: f64,
    /// The transition weight to the next token's predicted tag (0 at the last token).
    pub transition_out: f64,
    /// The tag's marginal probability at the token (forward-backward over all paths).
    pub marginal: f64,
    /// Every attribute of the token, in the order the templates emit them.
    pub attributes: Vec<AttributeScore>,
}

impl TagScore {
    /// The token's part of the path score: `state + transition`.
    pub fn score(&self) -> f64 {
        self.state + self.transition
    }
}

/// One token's explanation.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenExplanation {
    /// The token.
    pub token: String,
    /// The predicted tag and its score.
    pub predicted: TagScore,
    /// The runner-up tag (none for a one-label model): the tag whose swap into the predicted
    /// path at this token alone costs the least.
    pub runner_up: Option<TagScore>,
}

impl TokenExplanation {
    /// What swapping the runner-up in at this token alone takes from the path's score:
    /// `(state + transition + transition_out)` of the predicted tag minus the runner-up's.
    /// Never negative (up to rounding), as the predicted path is the best one.
    pub fn margin(&self) -> Option<f64> {
        let local = |s: &TagScore| s.state + s.transition + s.transition_out;
        self.runner_up
            .as_ref()
            .map(|r| local(&self.predicted) - local(r))
    }
}

/// The explanation of one sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct SentenceExplanation {
    /// One entry per token.
    pub tokens: Vec<TokenExplanation>,
}

impl SentenceExplanation {
    /// The predicted tags, one per token (those of [`Crf::predict`]).
    pub fn tags(&self) -> Vec<&str> {
        self.tokens
            .iter()
            .map(|t| t.predicted.tag.as_str())
            .collect()
    }

    /// The predicted path's score: every token's `state + transition`, summed.
    pub fn path_score(&self) -> f64 {
        self.tokens.iter().fold(0.0, |s, t| s + t.predicted.score())
    }
}

impl Crf {
    /// Explains the tags of `tokens` (see the [module](self)); an empty sentence gives no
    /// tokens.
    pub fn explain<S: AsRef<str>>(&self, tokens: &[S]) -> Result<SentenceExplanation> {
        let sourced = self.templates.sent_features_sourced(tokens);
        let items: Vec<Vec<_>> = sourced
            .iter()
            .map(|item| item.iter().map(|(_, f)| f.clone()).collect())
            .collect();
        let path = self.tables.tag(&items);
        let marginals = self.tables.marginals(&items);
        let n_labels = self.tables.labels.len() as u32;
        let t_len = tokens.len();
        let tag_score = |t: usize, y: u32| -> TagScore {
            let attributes: Vec<AttributeScore> = sourced[t]
                .iter()
                .map(|(template, f)| {
                    let weights = self.tables.attribute(&f.name);
                    let weight = weights
                        .and_then(|w| w.iter().find(|(j, _)| *j == y))
                        .map_or(0.0, |&(_, w)| w);
                    AttributeScore {
                        template: template.clone(),
                        name: f.name.clone(),
                        value: f.value,
                        known: weights.is_some(),
                        weight,
                        contribution: weight * f.value,
                    }
                })
                .collect();
            // Summed in attribute order from 0, as the tagger sums its state scores.
            let state = attributes.iter().fold(0.0, |s, a| s + a.contribution);
            TagScore {
                tag: self.tables.labels[y as usize].clone(),
                state,
                transition: if t > 0 {
                    self.tables.transition(path[t - 1], y)
                } else {
                    0.0
                },
                transition_out: if t + 1 < t_len {
                    self.tables.transition(y, path[t + 1])
                } else {
                    0.0
                },
                marginal: marginals[t][y as usize],
                attributes,
            }
        };
        let mut out = Vec::with_capacity(t_len);
        for (t, token) in tokens.iter().enumerate() {
            // Every label's state score, summed in attribute order as `tag_score` sums it (a
            // pair without a weight adds nothing), to pick the runner-up without listing
            // every label's attributes.
            let mut states = vec![0.0; n_labels as usize];
            for (_, f) in &sourced[t] {
                for &(j, w) in self.tables.attribute(&f.name).unwrap_or_default() {
                    states[j as usize] += w * f.value;
                }
            }
            let local = |y: u32| {
                let (into, out_of) = (
                    if t > 0 {
                        self.tables.transition(path[t - 1], y)
                    } else {
                        0.0
                    },
                    if t + 1 < t_len {
                        self.tables.transition(y, path[t + 1])
                    } else {
                        0.0
                    },
                );
                states[y as usize] + into + out_of
            };
            // The cheapest swap; ties keep the lower label id.
            let mut best: Option<(u32, f64)> = None;
            for y in (0..n_labels).filter(|&y| y != path[t]) {
                let s = local(y);
                if best.is_none_or(|(_, b)| s > b) {
                    best = Some((y, s));
                }
            }
            out.push(TokenExplanation {
                token: token.as_ref().to_string(),
                predicted: tag_score(t, path[t]),
                runner_up: best.map(|(y, _)| tag_score(t, y)),
            });
        }
        Ok(SentenceExplanation { tokens: out })
    }
}
