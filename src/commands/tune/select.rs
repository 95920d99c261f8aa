//! What the user may choose about the search: the figure it maximises (`--select-by`) and the
//! values each knob takes (`--grid KNOB=V1,V2,...`).

use anyhow::{bail, Result};

use crate::scoring::eval::TaskScore;
use crate::scoring::per_label;
use crate::task::{Metric, TaskKind};

/// The dev figure the search maximises (`--select-by`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectBy {
    /// Accuracy (token accuracy for tagging).
    Acc,
    /// The unweighted mean of the labels' F1 (tagging: of the entity types').
    MacroF1,
    /// One label's F1 (tagging: one entity type's).
    F1(String),
    /// Micro-averaged F1: multi-label micro-F1, tagging entity F1, single-label accuracy (they
    /// are the same figure when every example has one label).
    MicroF1,
}

impl SelectBy {
    /// Parses `acc`, `macro_f1`, `f1:LABEL` or `micro_f1`.
    pub fn parse(s: &str) -> std::result::Result<Self, String> {
        match s {
            "acc" | "accuracy" => Ok(Self::Acc),
            "macro_f1" => Ok(Self::MacroF1),
            "micro_f1" => Ok(Self::MicroF1),
            _ => match s.strip_prefix("f1:") {
                Some(l) if !l.is_empty() => Ok(Self::F1(l.to_string())),
                _ => Err(format!(
                    "expected acc, macro_f1, micro_f1 or f1:LABEL (one label's F1), got {s:?}"
                )),
            },
        }
    }

    /// The rule in words, for the tune record.
    pub fn describe(&self) -> String {
        match self {
            Self::Acc => "dev accuracy".into(),
            Self::MacroF1 => "dev macro-F1".into(),
            Self::F1(l) => format!("dev F1 of label {l}"),
            Self::MicroF1 => "dev micro-F1".into(),
        }
    }

    /// The figure, in percent, of a dev score. A label that dev neither holds nor predicts
    /// has F1 0.
    pub fn score(&self, s: &TaskScore) -> f64 {
        let labels = || per_label::per_label(s);
        match self {
            Self::Acc => s.get(Metric::Acc).unwrap_or_else(|| {
                // Multi-label reports subset accuracy.
                s.get(Metric::SubsetAcc).unwrap_or(0.0)
            }),
            Self::MicroF1 => {
                if s.task.multi_label {
                    s.get(Metric::MicroF1).unwrap_or(0.0)
                } else if s.task.kind() == TaskKind::Tokens {
                    s.get(Metric::F1).unwrap_or(0.0)
                } else {
                    s.get(Metric::Acc).unwrap_or(0.0)
                }
            }
            Self::MacroF1 => match s.get(Metric::MacroF1) {
                Some(v) => v,
                None => labels().map_or(0.0, |p| p.macro_avg.f1),
            },
            Self::F1(l) => labels()
                .and_then(|p| p.labels.iter().find(|x| &x.0 == l).map(|x| x.1.f1))
                .unwrap_or(0.0),
        }
    }
}

/// The values `--grid` gives some knobs; a knob not given keeps the built-in grid's values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GridValues {
    /// Logistic regression's C.
    pub c: Option<Vec<f64>>,
    /// The n-gram ranges.
    pub ngram_range: Option<Vec<(usize, usize)>>,
    /// Sublinear tf off/on.
    pub sublinear_tf: Option<Vec<bool>>,
    /// Class weighting: `false` none, `true` balanced.
    pub class_weight_balanced: Option<Vec<bool>>,
    /// CRF L1 coefficients.
    pub c1: Option<Vec<f64>>,
    /// CRF L2 coefficients.
    pub c2: Option<Vec<f64>>,
}

/// The knobs `--grid` knows, for error messages.
pub const GRID_KNOBS: &str =
    "C, ngram_range, sublinear_tf, class_weight (text model); c1, c2 (CRF)";

impl GridValues {
    /// Parses `--grid` arguments, each `KNOB=V1,V2,...` (an n-gram range is `MIN-MAX`), for a
    /// task of `kind`. The first value of each knob is the grid's point 0.
    pub fn parse(args: &[String], kind: TaskKind) -> Result<Self> {
        let mut g = GridValues::default();
        for a in args {
            let Some((knob, values)) = a.split_once('=') else {
                bail!("--grid {a:?}: expected KNOB=V1,V2,... (knobs: {GRID_KNOBS})");
            };
            let values: Vec<&str> = values.split(',').map(str::trim).collect();
            if values.iter().any(|v| v.is_empty()) {
                bail!("--grid {a:?}: an empty value");
            }
            let bad = |v: &str, what: &str| anyhow::anyhow!("--grid {knob}: {v:?} is not {what}");
            let tagging = kind == TaskKind::Tokens;
            let text_knob = matches!(knob, "C" | "ngram_range" | "sublinear_tf" | "class_weight");
            if text_knob && tagging {
                bail!("--grid {knob} sets the text model; a tagging task tunes c1 and c2");
            }
            if matches!(knob, "c1" | "c2") && !tagging {
                bail!("--grid {knob} sets the CRF; a text task tunes C, ngram_range, sublinear_tf and class_weight");
            }
            let numbers = |check: fn(&str) -> std::result::Result<f64, String>| {
                values
                    .iter()
                    .map(|v| check(v).map_err(|e| anyhow::anyhow!("--grid {knob}: {e}")))
                    .collect::<Result<Vec<f64>>>()
            };
            let slot_taken = match knob {
                "C" => g.c.replace(numbers(check_c)?).is_some(),
                "c1" => g.c1.replace(numbers(check_crf)?).is_some(),
                "c2" => g.c2.replace(numbers(check_crf)?).is_some(),
                "ngram_range" => {
                    let r = values
                        .iter()
                        .map(|v| {
                            let (a, b) =
                                v.split_once(['-', ':']).ok_or_else(|| bad(v, "MIN-MAX"))?;
                            match (a.parse::<usize>(), b.parse::<usize>()) {
                                (Ok(a), Ok(b)) if a >= 1 && a <= b => Ok((a, b)),
                                _ => Err(bad(v, "MIN-MAX with 1 <= MIN <= MAX")),
                            }
                        })
                        .collect::<Result<Vec<_>>>()?;
                    g.ngram_range.replace(r).is_some()
                }
                "sublinear_tf" => {
                    let r = values
                        .iter()
                        .map(|v| v.parse::<bool>().map_err(|_| bad(v, "true or false")))
                        .collect::<Result<Vec<_>>>()?;
                    g.sublinear_tf.replace(r).is_some()
                }
                "class_weight" => {
                    let r = values
                        .iter()
                        .map(|v| match *v {
                            "none" => Ok(false),
                            "balanced" => Ok(true),
                            _ => Err(bad(v, "none or balanced")),
                        })
                        .collect::<Result<Vec<_>>>()?;
                    g.class_weight_balanced.replace(r).is_some()
                }
                _ => bail!("--grid: unknown knob {knob:?} (knobs: {GRID_KNOBS})"),
            };
            if slot_taken {
                bail!("--grid {knob} is given twice");
            }
        }
        Ok(g)
    }
}

/// The largest grid value of `C`, as `train --C`'s cap (`cli::MAX_C`): beyond it the solver's
/// weights overflow long before they help.
const MAX_C: f64 = 1e6;

/// A grid value of `C`: finite, > 0 and at most [`MAX_C`].
fn check_c(s: &str) -> std::result::Result<f64, String> {
    let max = MAX_C;
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v <= max => Ok(v),
        _ => Err(format!("C must be a number > 0 and <= {max:e}, got {s:?}")),
    }
}

/// A grid value of a CRF penalty: between 0 and the CRF's cap.
fn check_crf(s: &str) -> std::result::Result<f64, String> {
    let max = crate::models::crf::MAX_COEFFICIENT;
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && (0.0..=max).contains(&v) => Ok(v),
        _ => Err(format!(
            "a CRF penalty must be a number between 0 and {max:e}, got {s:?}"
        )),
    }
}
