//! `explain` for a CRF tagger: per token, the predicted tag (the Viterbi path `predict` gives),
//! its score split into one contribution per attribute (grouped by the feature template that
//! emitted it) plus the transition weight from the previous tag, and optionally the runner-up
//! tag with the margin between them. The arithmetic is [`Crf::explain`]'s; this module lists
//! and renders it.

use std::fmt::Write as _;

use serde_json::{json, Value};

use super::visible::visible;
use crate::models::crf::explain::{AttributeScore, SentenceExplanation, TagScore};
use crate::models::crf::Crf;

/// What to show per token.
#[derive(Debug, Clone, Copy)]
pub struct TaggerView {
    /// Attributes listed on each side (raising the score, lowering it).
    pub attributes: usize,
    /// Whether to show the runner-up tag and the margin.
    pub runner_up: bool,
}

/// A template's summed contribution at one token.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateSum {
    /// The template (as [`AttributeScore::template`]).
    pub template: String,
    /// Its attributes' contributions, summed.
    pub contribution: f64,
    /// How many attributes it emitted for the token.
    pub attributes: usize,
}

/// The listing of one tag's state score at a token.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    /// Per template, in the order the templates first emit, the summed contributions.
    pub templates: Vec<TemplateSum>,
    /// Up to M attributes with the largest positive contributions, largest first.
    pub up: Vec<AttributeScore>,
    /// Up to M attributes with the most negative contributions, most negative first.
    pub down: Vec<AttributeScore>,
    /// The summed contribution of the attributes in neither list.
    pub rest: f64,
    /// How many attributes are in neither list (zero contributions included).
    pub rest_count: usize,
    /// How many of the token's attributes the model has a weight for (for any tag).
    pub known: usize,
}

/// Splits a tag's attributes into the listing: template sums, the top `m` on each side and the
/// rest. The parts add up to `s.state` (up to the order of summation).
pub fn listing(s: &TagScore, m: usize) -> Listing {
    let mut templates: Vec<TemplateSum> = Vec::new();
    for a in &s.attributes {
        match templates.iter_mut().find(|t| t.template == a.template) {
            Some(t) => {
                t.contribution += a.contribution;
                t.attributes += 1;
            }
            None => templates.push(TemplateSum {
                template: a.template.clone(),
                contribution: a.contribution,
                attributes: 1,
            }),
        }
    }
    let mut parts: Vec<&AttributeScore> = s.attributes.iter().collect();
    // Ties go to the attribute that sorts first, so the listing is stable.
    parts.sort_by(|a, b| {
        b.contribution
            .total_cmp(&a.contribution)
            .then_with(|| a.name.cmp(&b.name))
    });
    let n_up = parts
        .iter()
        .take(m)
        .take_while(|a| a.contribution > 0.0)
        .count();
    let n_down = parts[n_up..]
        .iter()
        .rev()
        .take(m)
        .take_while(|a| a.contribution < 0.0)
        .count();
    let middle = &parts[n_up..parts.len() - n_down];
    Listing {
        templates,
        up: parts[..n_up].iter().map(|a| (*a).clone()).collect(),
        down: parts[parts.len() - n_down..]
            .iter()
            .rev()
            .map(|a| (*a).clone())
            .collect(),
        rest: middle.iter().fold(0.0, |s, a| s + a.contribution),
        rest_count: middle.len(),
        known: s.attributes.iter().filter(|a| a.known).count(),
    }
}

/// The explanation of one sentence, ready to render.
#[derive(Debug, Clone)]
pub struct TaggedExplanation {
    /// Task name.
    pub task: String,
    /// The record's id (`--input`), or none (`--text`).
    pub id: Option<Value>,
    /// The model's explanation.
    pub sentence: SentenceExplanation,
    /// What to show.
    pub view: TaggerView,
}

/// Explains `tokens` with `crf`.
pub fn explain(
    crf: &Crf,
    task: &str,
    id: Option<Value>,
    tokens: &[String],
    view: TaggerView,
) -> anyhow::Result<TaggedExplanation> {
    Ok(TaggedExplanation {
        task: task.to_string(),
        id,
        sentence: crf.explain(tokens)?,
        view,
    })
}

fn attribute_line(a: &AttributeScore) -> String {
    format!(
        "   {:>+12.4} {:>+8.3} {:>5}  {}  ({})\n",
        a.contribution,
        a.weight,
        a.value,
        visible(&a.name),
        a.template
    )
}

impl TaggedExplanation {
    /// The readable form: the tagged sentence, then per token its tag, score parts, template
    /// sums and attribute list.
    pub fn render_table(&self) -> String {
        let s = &self.sentence;
        let mut out = match &self.id {
            Some(id) => format!("{} {}:", self.task, crate::data::id_key(id)),
            None => format!("{}:", self.task),
        };
        if s.tokens.is_empty() {
            out.push_str(" no tokens\n");
            return out;
        }
        for t in &s.tokens {
            match t.predicted.tag.as_str() {
                "O" => write!(out, " {}", t.token),
                tag => write!(out, " {}/{tag}", t.token),
            }
            .expect("writing to a String");
        }
        let states = s.tokens.iter().fold(0.0, |a, t| a + t.predicted.state);
        let _ = writeln!(
            out,
            "\npath score {:+.4} = states {:+.4} + transitions {:+.4}",
            s.path_score(),
            states,
            s.path_score() - states
        );
        for (i, t) in s.tokens.iter().enumerate() {
            let p = &t.predicted;
            let l = listing(p, self.view.attributes);
            let _ = write!(
                out,
                "\n{}. {}  {}  marginal {:.3}  score {:+.4} = state {:+.4}",
                i + 1,
                visible(&t.token),
                p.tag,
                p.marginal,
                p.score(),
                p.state
            );
            if i > 0 {
                let prev = &s.tokens[i - 1].predicted.tag;
                let _ = write!(out, " + transition {prev}→{} {:+.4}", p.tag, p.transition);
            }
            let _ = writeln!(
                out,
                "\n   {} of {} attributes known; by template: {}",
                l.known,
                p.attributes.len(),
                template_sums(&l.templates)
            );
            if !(l.up.is_empty() && l.down.is_empty()) {
                out.push_str("   contribution   weight value  attribute  (template)\n");
                l.up.iter().for_each(|a| out.push_str(&attribute_line(a)));
                if l.rest_count > 0 {
                    let _ = writeln!(
                        out,
                        "   {:>+12.4}  ({} other attributes, summed)",
                        l.rest, l.rest_count
                    );
                }
                l.down
                    .iter()
                    .rev()
                    .for_each(|a| out.push_str(&attribute_line(a)));
            }
            if let (true, Some(r), Some(margin)) = (self.view.runner_up, &t.runner_up, t.margin()) {
                let _ = writeln!(
                    out,
                    "   runner-up {}  marginal {:.3}  margin {:+.4} = state {:+.4} + transitions \
                     in {:+.4}, out {:+.4}",
                    r.tag,
                    r.marginal,
                    margin,
                    p.state - r.state,
                    p.transition - r.transition,
                    p.transition_out - r.transition_out
                );
            }
        }
        out
    }

    /// The JSON form (one line per sentence): `{"task", "id"?, "tokens", "tags", "path_score",
    /// "explained": [{"token", "tag", "marginal", "score", "state", "transition",
    /// "transition_out", "known", "attributes", "templates": [{"template", "contribution",
    /// "attributes"}], "up": [{"attribute", "template", "value", "weight", "contribution"}],
    /// "down", "rest", "rest_count", "runner_up"?: {"tag", "marginal", "state", "transition",
    /// "transition_out", "margin", "templates"}}]}`.
    pub fn to_json(&self) -> Value {
        let s = &self.sentence;
        let attrs = |v: &[AttributeScore]| -> Vec<Value> {
            v.iter()
                .map(|a| {
                    json!({"attribute": a.name, "template": a.template, "value": a.value,
                           "weight": a.weight, "contribution": a.contribution})
                })
                .collect()
        };
        let sums = |v: &[TemplateSum]| -> Vec<Value> {
            v.iter()
                .map(|t| {
                    json!({"template": t.template, "contribution": t.contribution,
                           "attributes": t.attributes})
                })
                .collect()
        };
        let explained: Vec<Value> = s
            .tokens
            .iter()
            .map(|t| {
                let p = &t.predicted;
                let l = listing(p, self.view.attributes);
                let mut o = json!({
                    "token": t.token,
                    "tag": p.tag,
                    "marginal": p.marginal,
                    "score": p.score(),
                    "state": p.state,
                    "transition": p.transition,
                    "transition_out": p.transition_out,
                    "known": l.known,
                    "attributes": p.attributes.len(),
                    "templates": sums(&l.templates),
                    "up": attrs(&l.up),
                    "down": attrs(&l.down),
                    "rest": l.rest,
                    "rest_count": l.rest_count,
                });
                if let (true, Some(r), Some(margin)) =
                    (self.view.runner_up, &t.runner_up, t.margin())
                {
                    o["runner_up"] = json!({
                        "tag": r.tag,
                        "marginal": r.marginal,
                        "state": r.state,
                        "transition": r.transition,
                        "transition_out": r.transition_out,
                        "margin": margin,
                        "templates": sums(&listing(r, 0).templates),
                    });
                }
                o
            })
            .collect();
        let mut o = json!({"task": self.task});
        if let Some(id) = &self.id {
            o["id"] = id.clone();
        }
        o["tokens"] = json!(s.tokens.iter().map(|t| &t.token).collect::<Vec<_>>());
        o["tags"] = json!(s.tags());
        o["path_score"] = json!(s.path_score());
        o["explained"] = Value::Array(explained);
        o
    }
}

/// `name +x.xxxx` per template with a non-zero sum, largest magnitude first.
fn template_sums(t: &[TemplateSum]) -> String {
    let mut v: Vec<&TemplateSum> = t.iter().filter(|t| t.contribution != 0.0).collect();
    if v.is_empty() {
        return "all zero".into();
    }
    v.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
    v.iter()
        .map(|t| format!("{} {:+.4}", t.template, t.contribution))
        .collect::<Vec<_>>()
        .join(", ")
}
