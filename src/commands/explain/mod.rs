//! The `explain` workflow: why the text model suggested a label, or why the tagger gave each
//! token its tag ([`tagger`]).
//!
//! The text model scores class `k` as `w_k . x + b_k`, where `x` is the input's tf-idf vector.
//! That sum splits exactly into one term per character n-gram of the input (`w_kj * x_j`, its
//! contribution) plus the intercept, so the n-grams with the largest terms are the ones that
//! pushed the score up or down. Weights are recovered per n-gram from the dual form
//! ([`LogReg::weights_for`]), so no dense weight matrix is built.
//!
//! For two classes the model holds one binary problem whose positive class is class 1: class 1
//! scores `+s` and class 0 scores `-s`, so contributions and intercept are negated for class 0.

pub mod tagger;
mod visible;

pub use visible::visible;

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use serde_json::{json, Value};

use crate::bundle::Bundle;
use crate::features::union::Doc;
use crate::models::linear::LogReg;
use crate::pipeline::{rank_row, Fitted, Pipeline};
use crate::task::InputFields;

/// Output format of `explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExplainFormat {
    /// A readable listing per class (a tagger: per token), with visible spaces (`␣`).
    Table,
    /// One JSON object with every figure at full precision (a tagger: one line per sentence).
    Json,
}

/// Flags of `explain`.
#[derive(Debug, Clone, clap::Args)]
pub struct ExplainArgs {
    /// Model file written by `train` (feature or plus model: a text classifier or a CRF tagger).
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// The text to explain (a pair task's first text; a tagger splits it into words as
    /// `predict` does).
    #[arg(long, value_name = "TEXT", required_unless_present = "input")]
    pub text: Option<String>,
    /// A pair task's second text; the two are joined with one space, as in training.
    #[arg(long, value_name = "TEXT")]
    pub text2: Option<String>,
    /// Taggers: explain every record of this file instead of --text (JSONL with the task's
    /// tokens field or raw text in `text`, a CSV/TSV file with a header, or plain text lines,
    /// read as `predict` reads them; `-` reads standard input).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["text", "text2"])]
    pub input: Option<PathBuf>,
    /// Text models: how many of the best-ranked classes to explain [default: 3].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub classes: Option<u64>,
    /// Text models: how many n-grams to show on each side (pushing the score up, pushing it
    /// down) [default: 10].
    #[arg(long, value_name = "M")]
    pub ngrams: Option<usize>,
    /// Taggers: how many attributes to show per token on each side (raising the tag's score,
    /// lowering it) [default: 5].
    #[arg(long, value_name = "M")]
    pub attributes: Option<usize>,
    /// Taggers: also show each token's runner-up tag and the margin to it.
    #[arg(long)]
    pub runner_up: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExplainFormat::Table)]
    pub format: ExplainFormat,
}

/// One n-gram's share of a class score.
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    /// The (lower-cased) character n-gram.
    pub ngram: String,
    /// Its tf-idf value in the input.
    pub tfidf: f64,
    /// Its weight for the class (sign-adjusted for class 0 of a binary model).
    pub weight: f64,
    /// `weight * tfidf`.
    pub contribution: f64,
}

/// Why one class got its score.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassExplanation {
    /// Class label.
    pub label: String,
    /// The probability `predict` reports for it.
    pub probability: f64,
    /// The class score: `intercept` plus every n-gram's contribution.
    pub score: f64,
    /// The class intercept.
    pub intercept: f64,
    /// Up to M n-grams with the largest positive contributions, largest first.
    pub up: Vec<Contribution>,
    /// Up to M n-grams with the most negative contributions, most negative first.
    pub down: Vec<Contribution>,
    /// The summed contribution of the n-grams in neither list, so the parts add up to `score`.
    pub rest: f64,
    /// How many n-grams are in neither list.
    pub rest_count: usize,
}

/// The explanation of one input.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// Task name.
    pub task: String,
    /// The text as the model saw it (pair texts joined with one space).
    pub text: String,
    /// How many distinct n-grams of the input are in the model's vocabulary.
    pub known_ngrams: usize,
    /// The best-ranked classes, best first.
    pub classes: Vec<ClassExplanation>,
}

/// The name of a feature column, for the listing.
type FeatureNames<'a> = Box<dyn Fn(usize) -> String + 'a>;

/// The text the model reads, checked against the task's inputs.
fn input_text(pipeline: &Pipeline, text: &str, text2: Option<&str>) -> Result<String> {
    match (&pipeline.task.inputs, text2) {
        (InputFields::Pair { .. }, Some(b)) => Ok(format!("{text} {b}")),
        (InputFields::Pair { first, second }, None) => bail!(
            "{} is a text-pair task (`{first}` + `{second}`): give the second text with --text2",
            pipeline.task.name
        ),
        (InputFields::Single { .. }, Some(_)) => bail!(
            "{} is a single-text task: --text2 is only for text-pair tasks",
            pipeline.task.name
        ),
        _ => Ok(text.to_string()),
    }
}

/// Explains the `classes` best-ranked classes of the model for one input, keeping `ngrams`
/// n-grams on each side. Only the feature text model can be explained.
pub fn explain(
    pipeline: &Pipeline,
    text: &str,
    text2: Option<&str>,
    classes: usize,
    ngrams: usize,
) -> Result<Explanation> {
    let joined = input_text(pipeline, text, text2)?;
    // A union model names each feature with its block: `[char_wb:2-5@second] ли`.
    let (x, labels, clf, name): (_, &[String], &LogReg, FeatureNames<'_>) = match &pipeline.model {
        Fitted::Text(m) => (
            m.tfidf.transform(&[joined.as_str()]),
            &m.labels,
            &m.clf,
            Box::new(|j| m.tfidf.feature_name(j).unwrap_or_else(|| "?".into())),
        ),
        Fitted::Union(m) => (
            m.union.transform(&[Doc {
                first: text,
                second: text2,
            }]),
            &m.labels,
            &m.clf,
            Box::new(|j| match m.union.locate(j) {
                Some((b, f)) => format!("[{}] {f}", m.union.blocks()[b].params().name()),
                None => "?".into(),
            }),
        ),
        other => bail!(
            "explain supports the feature and plus models only (a text classifier: tf-idf or \
             blocks + logistic regression; a tagger: the CRF); this model file holds {} for {}",
            other.model().describe(),
            pipeline.task.name
        ),
    };
    let text = joined;
    let proba = clf.predict_proba(&x);
    let (idx, vals) = x.row(0);
    let ranked = rank_row(&proba, labels, classes);
    let mut out = Vec::with_capacity(ranked.len());
    for (label, p) in ranked {
        let c = labels
            .iter()
            .position(|l| *l == label)
            .expect("ranked labels come from the label list");
        out.push(explain_class(
            (labels, &*name),
            clf,
            c,
            idx,
            vals,
            p as f64,
            ngrams,
        )?);
    }
    Ok(Explanation {
        task: pipeline.task.name.clone(),
        text,
        known_ngrams: idx.len(),
        classes: out,
    })
}

fn explain_class(
    (labels, name): (&[String], &dyn Fn(usize) -> String),
    clf: &LogReg,
    class: usize,
    idx: &[u32],
    vals: &[f32],
    probability: f64,
    ngrams: usize,
) -> Result<ClassExplanation> {
    // A binary model stores only class 1's problem; class 0's score is its negation.
    let (problem, sign) = if clf.n_problems() == 1 {
        (0, if class == 0 { -1.0 } else { 1.0 })
    } else {
        (class, 1.0)
    };
    let Some((w, b)) = clf.weights_for(problem, idx) else {
        bail!("the model file holds no weights for class {class}; it may be damaged");
    };
    let mut parts: Vec<Contribution> = idx
        .iter()
        .zip(vals)
        .zip(&w)
        .map(|((&j, &v), &wj)| Contribution {
            ngram: name(j as usize),
            tfidf: v as f64,
            weight: sign * wj,
            contribution: sign * wj * v as f64,
        })
        .collect();
    let intercept = sign * b;
    let score = intercept + parts.iter().map(|c| c.contribution).sum::<f64>();
    // Ties go to the n-gram that sorts first, so the listing is stable.
    parts.sort_by(|a, b| {
        b.contribution
            .total_cmp(&a.contribution)
            .then_with(|| a.ngram.cmp(&b.ngram))
    });
    let n_up = parts
        .iter()
        .take(ngrams)
        .take_while(|c| c.contribution > 0.0)
        .count();
    let n_down = parts[n_up..]
        .iter()
        .rev()
        .take(ngrams)
        .take_while(|c| c.contribution < 0.0)
        .count();
    let down: Vec<Contribution> = parts[parts.len() - n_down..]
        .iter()
        .rev()
        .cloned()
        .collect();
    let up: Vec<Contribution> = parts[..n_up].to_vec();
    let middle = &parts[n_up..parts.len() - n_down];
    Ok(ClassExplanation {
        label: labels[class].clone(),
        probability,
        score,
        intercept,
        up,
        down,
        rest: middle.iter().map(|c| c.contribution).sum(),
        rest_count: middle.len(),
    })
}

impl Explanation {
    /// The readable form: per class its probability, score, intercept and n-gram list.
    pub fn render_table(&self) -> String {
        let mut s = format!(
            "{}: {} n-grams of the input are in the model's vocabulary\n",
            self.task, self.known_ngrams
        );
        if self.known_ngrams == 0 {
            s.push_str("no n-gram of the input was seen in training: scores are intercepts only\n");
        }
        for (rank, c) in self.classes.iter().enumerate() {
            s.push_str(&format!(
                "\n{}. {}  probability {:.3}  score {:+.4} = intercept {:+.4} + n-grams {:+.4}\n",
                rank + 1,
                c.label,
                c.probability,
                c.score,
                c.intercept,
                c.score - c.intercept
            ));
            if c.up.is_empty() && c.down.is_empty() {
                continue;
            }
            s.push_str("   contribution   weight  tf-idf  n-gram\n");
            let line = |x: &Contribution| {
                format!(
                    "   {:>+12.4} {:>+8.3} {:>7.4}  {}\n",
                    x.contribution,
                    x.weight,
                    x.tfidf,
                    visible(&x.ngram)
                )
            };
            for x in &c.up {
                s.push_str(&line(x));
            }
            if c.rest_count > 0 {
                s.push_str(&format!(
                    "   {:>+12.4}  ({} other n-grams, summed)\n",
                    c.rest, c.rest_count
                ));
            }
            for x in c.down.iter().rev() {
                s.push_str(&line(x));
            }
        }
        s
    }

    /// The JSON form: `{"task", "text", "known_ngrams", "classes": [{"label", "probability",
    /// "score", "intercept", "up": [{"ngram", "tfidf", "weight", "contribution"}], "down",
    /// "rest", "rest_count"}]}`.
    pub fn to_json(&self) -> Value {
        let list = |v: &[Contribution]| -> Vec<Value> {
            v.iter()
                .map(|x| {
                    json!({"ngram": x.ngram, "tfidf": x.tfidf, "weight": x.weight,
                           "contribution": x.contribution})
                })
                .collect()
        };
        json!({
            "task": self.task,
            "text": self.text,
            "known_ngrams": self.known_ngrams,
            "classes": self.classes.iter().map(|c| json!({
                "label": c.label,
                "probability": c.probability,
                "score": c.score,
                "intercept": c.intercept,
                "up": list(&c.up),
                "down": list(&c.down),
                "rest": c.rest,
                "rest_count": c.rest_count,
            })).collect::<Vec<_>>(),
        })
    }
}

/// Runs `explain` from its flags, writing to `out`.
pub fn run(args: &ExplainArgs, out: &mut dyn Write) -> Result<()> {
    let bundle = Bundle::load(&args.model)?;
    if let Fitted::Crf(crf) = &bundle.pipeline.model {
        return run_tagger(args, &bundle.pipeline, crf, out);
    }
    let tagger_flags = [
        ("--input", args.input.is_some()),
        ("--attributes", args.attributes.is_some()),
        ("--runner-up", args.runner_up),
    ];
    if let Some((flag, _)) = tagger_flags.iter().find(|(_, given)| *given) {
        bail!(
            "{flag} is for a CRF tagger; {} holds {} for {} (text models take --text, --text2, \
             --classes and --ngrams)",
            args.model.display(),
            bundle.pipeline.model.model().describe(),
            bundle.pipeline.task.name
        );
    }
    let Some(text) = args.text.as_deref() else {
        bail!("give the text to explain with --text");
    };
    let classes = usize::try_from(args.classes.unwrap_or(3)).unwrap_or(usize::MAX);
    let e = explain(
        &bundle.pipeline,
        text,
        args.text2.as_deref(),
        classes,
        args.ngrams.unwrap_or(10),
    )?;
    match args.format {
        ExplainFormat::Table => write!(out, "{}", e.render_table())?,
        ExplainFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&e.to_json())?)?,
    }
    Ok(())
}

/// `explain` for a CRF tagger: `--text` (split into words) or every record of `--input`.
fn run_tagger(
    args: &ExplainArgs,
    pipeline: &Pipeline,
    crf: &crate::models::crf::Crf,
    out: &mut dyn Write,
) -> Result<()> {
    for (flag, given) in [
        ("--text2", args.text2.is_some()),
        ("--classes", args.classes.is_some()),
        ("--ngrams", args.ngrams.is_some()),
    ] {
        if given {
            bail!(
                "{flag} is for text models; {} holds a CRF tagger for {} (taggers take --text or \
                 --input, --attributes and --runner-up)",
                args.model.display(),
                pipeline.task.name
            );
        }
    }
    let view = tagger::TaggerView {
        attributes: args.attributes.unwrap_or(5),
        runner_up: args.runner_up,
    };
    let task = pipeline.task.name.as_str();
    let emit = |e: &tagger::TaggedExplanation, out: &mut dyn Write| -> Result<()> {
        match args.format {
            ExplainFormat::Table => write!(out, "{}", e.render_table())?,
            ExplainFormat::Json => crate::output::write_json_line(out, &e.to_json())?,
        }
        Ok(())
    };
    let Some(path) = args.input.as_deref() else {
        let tokens = super::predict::tokenize(args.text.as_deref().unwrap_or_default());
        let e = tagger::explain(crf, task, None, &tokens, view)?;
        return emit(&e, out);
    };
    let stdin = path == Path::new("-");
    let source = if stdin { Path::new("<stdin>") } else { path };
    let input: Box<dyn std::io::BufRead> = if stdin {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(
            crate::data::decoded(crate::data::open(path)?, None)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?,
        )
    };
    let mut first = true;
    let lists = crate::data::list_fields(&pipeline.task);
    for entry in super::predict::records(&pipeline.task, &lists, source, input, None)? {
        let (id, tokens) = match entry? {
            super::predict::Entry::Record(e) => {
                let tokens = match e.input {
                    crate::data::Input::Tokens(t) => t,
                    _ => bail!(
                        "{}, line {}: the tagger needs tokens",
                        source.display(),
                        e.line
                    ),
                };
                (e.id, tokens)
            }
            super::predict::Entry::Blank(line) => (serde_json::Value::from(line), Vec::new()),
        };
        if !first && args.format == ExplainFormat::Table {
            writeln!(out)?;
        }
        first = false;
        emit(&tagger::explain(crf, task, Some(id), &tokens, view)?, out)?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Example, Gold, Input, Split};
    use crate::pipeline::{self, FitSettings, ModelKind};
    use crate::task::TaskFile;

    fn fit(rows: &[(&str, &str)], kind: ModelKind) -> Pipeline {
        let spec = TaskFile {
            name: Some("t".into()),
            text_fields: vec!["text".into()],
            label_field: Some("y".into()),
            train: Some("t.jsonl".into()),
            ..Default::default()
        }
        .spec()
        .unwrap();
        let split = Split {
            path: "t.jsonl".into(),
            examples: rows
                .iter()
                .enumerate()
                .map(|(i, (t, l))| Example {
                    id: (i as u64).into(),
                    line: i + 1,
                    input: Input::Text(t.to_string()),
                    gold: Some(Gold::Label(l.to_string())),
                })
                .collect(),
        };
        pipeline::fit(&spec, kind, &FitSettings::default(), &split).unwrap()
    }

    const ROWS: &[(&str, &str)] = &[
        ("сильный кашель", "cough"),
        ("кашель ночью", "cough"),
        ("сухой кашель", "cough"),
        ("болит голова", "head"),
        ("голова кружится", "head"),
        ("головная боль", "head"),
        ("болит живот", "belly"),
        ("живот вздут", "belly"),
        ("тошнота и живот", "belly"),
    ];

    fn decision(p: &Pipeline, text: &str) -> Vec<f32> {
        match &p.model {
            Fitted::Text(m) => m.clf.decision_function(&m.tfidf.transform(&[text])),
            Fitted::Union(m) => m
                .clf
                .decision_function(&m.union.transform(&[Doc::text(text)])),
            _ => unreachable!(),
        }
    }

    #[test]
    fn a_union_models_parts_name_their_block_and_add_up() {
        let p = fit(ROWS, ModelKind::Plus);
        let text = "Кашель и болит голова";
        let e = explain(&p, text, None, 2, 3).unwrap();
        let d = decision(&p, text);
        let Fitted::Union(m) = &p.model else {
            unreachable!()
        };
        for c in &e.classes {
            let k = m.labels.iter().position(|l| *l == c.label).unwrap();
            assert!(
                (c.score - d[k] as f64).abs() < 1e-4,
                "{} vs {}",
                c.score,
                d[k]
            );
            let listed: f64 = c.up.iter().chain(&c.down).map(|x| x.contribution).sum();
            assert!((c.intercept + listed + c.rest - c.score).abs() < 1e-9);
        }
        let names: Vec<&str> = e.classes[0].up.iter().map(|x| x.ngram.as_str()).collect();
        assert!(
            names
                .iter()
                .all(|n| n.starts_with("[char:3-8:sub] ") || n.starts_with("[stem:1-2:sub] ")),
            "{names:?}"
        );
    }

    #[test]
    fn parts_add_up_to_the_model_score_and_probability() {
        let p = fit(ROWS, ModelKind::Feature);
        let text = "Кашель и болит голова";
        let e = explain(&p, text, None, 3, 2).unwrap();
        let d = decision(&p, text);
        let Fitted::Text(m) = &p.model else {
            unreachable!()
        };
        let proba = m.proba(&[text]);
        assert_eq!(e.classes.len(), 3);
        for c in &e.classes {
            let k = m.labels.iter().position(|l| *l == c.label).unwrap();
            assert!(
                (c.score - d[k] as f64).abs() < 1e-4,
                "{} vs {}",
                c.score,
                d[k]
            );
            assert_eq!(c.probability, proba[k] as f64);
            let listed: f64 = c.up.iter().chain(&c.down).map(|x| x.contribution).sum();
            assert!((c.intercept + listed + c.rest - c.score).abs() < 1e-9);
            assert!(c.up.len() <= 2 && c.down.len() <= 2);
            assert!(c
                .up
                .windows(2)
                .all(|w| w[0].contribution >= w[1].contribution));
            assert!(c
                .down
                .windows(2)
                .all(|w| w[0].contribution <= w[1].contribution));
            for x in c.up.iter().chain(&c.down) {
                assert!((x.contribution - x.weight * x.tfidf).abs() < 1e-12);
            }
        }
        // Classes come in probability order.
        assert!(e.classes[0].probability >= e.classes[1].probability);
        // "кашель" n-grams push the cough class up.
        let cough = e.classes.iter().find(|c| c.label == "cough").unwrap();
        assert!(
            cough.up.iter().any(|x| "кашель".contains(x.ngram.as_str())),
            "{cough:?}"
        );
    }

    #[test]
    fn a_binary_model_negates_class_zero() {
        let rows: Vec<(&str, &str)> = ROWS
            .iter()
            .map(|(t, l)| (*t, if *l == "cough" { "cough" } else { "other" }))
            .collect();
        let p = fit(&rows, ModelKind::Feature);
        let text = "ночной кашель";
        let e = explain(&p, text, None, 2, 100).unwrap();
        let d = decision(&p, text);
        let (a, b) = (&e.classes[0], &e.classes[1]);
        assert_eq!(a.label, "cough");
        assert!((a.score - d[0] as f64).abs() < 1e-4 && (a.score + b.score).abs() < 1e-9);
        assert!((a.intercept + b.intercept).abs() < 1e-12);
        // Every n-gram is listed on one side, mirrored for the other class.
        assert_eq!(a.rest_count, 0);
        assert_eq!(a.up.len(), b.down.len());
        let mut mine: Vec<(String, f64)> =
            a.up.iter()
                .map(|x| (x.ngram.clone(), x.contribution))
                .collect();
        let mut mirrored: Vec<(String, f64)> = b
            .down
            .iter()
            .map(|x| (x.ngram.clone(), -x.contribution))
            .collect();
        mine.sort_by(|x, y| x.0.cmp(&y.0));
        mirrored.sort_by(|x, y| x.0.cmp(&y.0));
        assert_eq!(mine, mirrored);
    }

    #[test]
    fn other_models_and_wrong_inputs_are_one_line_errors() {
        let p = fit(ROWS, ModelKind::Naive);
        let e = explain(&p, "кашель", None, 3, 10).unwrap_err().to_string();
        assert!(
            e.contains("feature and plus models only") && !e.contains('\n'),
            "{e}"
        );
        let p = fit(ROWS, ModelKind::Feature);
        let e = explain(&p, "a", Some("b"), 3, 10).unwrap_err().to_string();
        assert!(e.contains("--text2"), "{e}");
    }

    #[test]
    fn unknown_text_gives_intercepts_only() {
        let p = fit(ROWS, ModelKind::Feature);
        let e = explain(&p, "xyz", None, 1, 10).unwrap();
        assert_eq!(e.known_ngrams, 0);
        assert_eq!(e.classes[0].score, e.classes[0].intercept);
        assert!(e.render_table().contains("intercepts only"));
    }

    #[test]
    fn spaces_are_visible() {
        assert_eq!(visible("т г"), "т␣г");
        assert_eq!(visible("a\tb"), "a\\tb");
    }
}
