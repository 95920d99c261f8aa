//! The search: the grid of settings, fitting each point on train and scoring it on dev, and the\n//! selection rule.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use indicatif::ProgressBar;
use rayon::prelude::*;
use serde_json::{json, Value};

use crate::data::{self, Split};
use crate::features::sparse::CsrMatrix;
use crate::features::tfidf::TfidfParams;
use crate::features::union::UnionParams;
use crate::models::crf::CrfParams;
use crate::models::linear::LogRegParams;
use crate::models::union::{docs_of, union_docs};
use crate::pipeline::{self, FitSettings, ModelKind};
use crate::scoring::eval::{Outcomes, TaskScore};
use crate::scoring::metrics;
use crate::task::{Metric, TaskKind, TaskSpec};

use super::select::{GridValues, SelectBy};

/// Text model: values of logistic regression's `C`, the paper's 10 first.
pub const TEXT_C: [f64; 3] = [10.0, 1.0, 100.0];

/// Text model: char n-gram ranges, the paper's (3, 8) first.
pub const TEXT_NGRAMS: [(usize, usize); 2] = [(3, 8), (2, 5)];

/// Text model with the `word` analyzer (from a task file): word n-gram ranges.
pub const WORD_NGRAMS: [(usize, usize); 2] = [(1, 1), (1, 2)];

/// Text model: sublinear tf off (the paper's) or on.
pub const TEXT_SUBLINEAR: [bool; 2] = [false, true];

/// Text model: class weighting none (the paper's) or balanced.
pub const TEXT_BALANCED: [bool; 2] = [false, true];

/// CRF: L1 coefficients, the paper's 0.1 first.
pub const CRF_C1: [f64; 3] = [0.1, 0.05, 0.2];

/// CRF: L2 coefficients, the paper's 0.01 first.
pub const CRF_C2: [f64; 2] = [0.01, 0.05];

/// CRF fits run at most this many at a time: CRFsuite is single-threaded, and the machine this
/// was sized for has two cores.
pub const CRF_PARALLEL: usize = 2;

/// The folder under `--out` that tuned results go to.
pub const OUT_SUBDIR: &str = "tuned";

/// The grid for a task kind, in search order. The paper's setting is always point 0, so a tie
/// on dev keeps it. Text points are ordered n-gram range, sublinear tf, class weight, C
/// (outermost first), which keeps points sharing a vectorizer next to each other.
pub fn grid(kind: TaskKind, seed: u64) -> Vec<FitSettings> {
    grid_with(kind, seed, &TfidfParams::default())
}

/// [`grid`] around a task file's vectorizer: its analyzer, vocabulary limits and hashing are
/// kept at every point (with the `word` analyzer the n-gram ranges are [`WORD_NGRAMS`]).
pub fn grid_with(kind: TaskKind, seed: u64, vectorizer: &TfidfParams) -> Vec<FitSettings> {
    let base = FitSettings {
        seed,
        tfidf: *vectorizer,
        ..FitSettings::default()
    };
    grid_from(kind, &base, &GridValues::default())
}

/// The grid around `base` (a task file's settings: every key it sets that the grid does not
/// vary is kept at every point), each knob taking the values `values` gives it, else the
/// built-in ones. Point 0 takes each knob's first value. A text `base` with a union of blocks
/// (`--model plus`, `[[blocks]]`) keeps its blocks: its grid varies class weight and `C` only.
pub fn grid_from(kind: TaskKind, base: &FitSettings, values: &GridValues) -> Vec<FitSettings> {
    let base = base.clone();
    let ngrams = match base.tfidf.analyzer {
        crate::features::analyzer::Analyzer::Word | crate::features::analyzer::Analyzer::Stem => {
            WORD_NGRAMS
        }
        _ => TEXT_NGRAMS,
    };
    let ngrams = values.ngram_range.clone().unwrap_or(ngrams.to_vec());
    let sublinear = (values.sublinear_tf.clone()).unwrap_or(TEXT_SUBLINEAR.to_vec());
    let balanced = (values.class_weight_balanced.clone()).unwrap_or(TEXT_BALANCED.to_vec());
    let cs = values.c.clone().unwrap_or(TEXT_C.to_vec());
    let c1s = values.c1.clone().unwrap_or(CRF_C1.to_vec());
    let c2s = values.c2.clone().unwrap_or(CRF_C2.to_vec());
    let mut points = Vec::new();
    match kind {
        TaskKind::Tokens => {
            for &c1 in &c1s {
                for &c2 in &c2s {
                    points.push(FitSettings {
                        crf: CrfParams {
                            c1,
                            c2,
                            ..base.crf.clone()
                        },
                        ..base.clone()
                    });
                }
            }
        }
        TaskKind::Single | TaskKind::Pair if base.union.is_some() => {
            for &class_weight_balanced in &balanced {
                for &c in &cs {
                    points.push(FitSettings {
                        logreg: LogRegParams {
                            c,
                            class_weight_balanced,
                            ..base.logreg
                        },
                        ..base.clone()
                    });
                }
            }
        }
        TaskKind::Single | TaskKind::Pair => {
            for &(ngram_min, ngram_max) in &ngrams {
                for &sublinear_tf in &sublinear {
                    for &class_weight_balanced in &balanced {
                        for &c in &cs {
                            points.push(FitSettings {
                                tfidf: TfidfParams {
                                    ngram_min,
                                    ngram_max,
                                    sublinear_tf,
                                    ..base.tfidf
                                },
                                logreg: LogRegParams {
                                    c,
                                    class_weight_balanced,
                                    ..base.logreg
                                },
                                ..base.clone()
                            });
                        }
                    }
                }
            }
        }
    }
    // A value given twice would repeat a point.
    let mut unique: Vec<FitSettings> = Vec::with_capacity(points.len());
    for p in points {
        if !unique.contains(&p) {
            unique.push(p);
        }
    }
    unique
}

/// `values` around a preset's settings `base` (`tune --model plus`): a knob `values` does not
/// give takes the preset's value first (so point 0 is the preset), then the built-in values.
/// A union's grid has no n-gram range or tf to vary: `--grid ngram_range` or `sublinear_tf`
/// with one is refused.
pub fn grid_around(kind: TaskKind, base: &FitSettings, values: &GridValues) -> Result<GridValues> {
    if base.union.is_some() && kind != TaskKind::Tokens {
        for (knob, given) in [
            ("ngram_range", values.ngram_range.is_some()),
            ("sublinear_tf", values.sublinear_tf.is_some()),
        ] {
            if given {
                bail!(
                    "--grid {knob} sets the single vectorizer; a union of blocks (--model plus, or a task \
                     file's blocks) \
                     keeps each block's own n-gram range and tf, and its grid varies C and \
                     class_weight"
                );
            }
        }
    }
    fn first<T: Copy + PartialEq>(v: T, rest: &[T]) -> Vec<T> {
        std::iter::once(v)
            .chain(rest.iter().copied().filter(|r| *r != v))
            .collect()
    }
    let l = &base.logreg;
    Ok(GridValues {
        c: values.c.clone().or_else(|| Some(first(l.c, &TEXT_C))),
        class_weight_balanced: (values.class_weight_balanced.clone())
            .or_else(|| Some(first(l.class_weight_balanced, &TEXT_BALANCED))),
        c1: values
            .c1
            .clone()
            .or_else(|| Some(first(base.crf.c1, &CRF_C1))),
        c2: values
            .c2
            .clone()
            .or_else(|| Some(first(base.crf.c2, &CRF_C2))),
        ..values.clone()
    })
}

/// The figure the search maximises: accuracy for classification (Hit@3 is not used); for
/// tagging the mean of token accuracy and entity F1, the task's contribution to Overall,
/// because token accuracy alone is dominated by `O` tags.
pub fn selection_score(s: &TaskScore) -> f64 {
    if s.task.multi_label {
        s.get(Metric::MicroF1).unwrap_or(0.0)
    } else if s.task.kind() == TaskKind::Tokens {
        s.primary()
    } else {
        s.get(Metric::Acc).unwrap_or(0.0)
    }
}

/// What [`selection_score`] measures, in words, for the tune record.
pub fn selection_rule(kind: TaskKind) -> &'static str {
    match kind {
        TaskKind::Tokens => "mean of dev token accuracy and dev entity F1",
        _ => "dev accuracy",
    }
}

/// The index of the best score; only a strictly higher score displaces an earlier one, so
/// ties keep the earlier grid point (the paper's setting is point 0).
pub fn pick_best(scores: &[f64]) -> Option<usize> {
    let mut best: Option<usize> = None;
    for (i, &s) in scores.iter().enumerate() {
        match best {
            Some(b) if s <= scores[b] => {}
            _ => best = Some(i),
        }
    }
    best
}

/// One grid point's outcome on dev.
#[derive(Debug, Clone)]
pub struct PointResult {
    /// The point's index in the grid.
    pub index: usize,
    /// The settings fitted.
    pub settings: FitSettings,
    /// Its dev scores.
    pub dev: TaskScore,
    /// The figure compared across points ([`selection_score`] of `dev`).
    pub selection: f64,
    /// Seconds spent fitting the classifier (text: plus this point's share of its vectorizer)
    /// and predicting dev.
    pub seconds: f64,
    /// The fitted pipeline, when the search kept it ([`Search::keep_models`]).
    pub model: Option<std::sync::Arc<crate::pipeline::Pipeline>>,
}

/// Every grid point's dev result and the chosen one.
#[derive(Debug, Clone)]
pub struct SearchResult {
    /// Results of the points tried, in grid order (all of them unless a budget ran out).
    pub points: Vec<PointResult>,
    /// How many points the grid has.
    pub grid_size: usize,
    /// Index of the chosen point.
    pub best: usize,
}

impl SearchResult {
    /// The chosen point.
    pub fn chosen(&self) -> &PointResult {
        &self.points[self.best]
    }
}

/// Fits every grid point on `train`, scores it on `dev`, and picks the best by
/// [`selection_score`], ties going to the earlier point. It is given no test split, so test
/// labels cannot influence the choice. `progress` advances once per point. A point whose turn
/// comes after `deadline` is not tried (as fastText's autotune duration); point 0, the paper's
/// setting, always is.
pub fn search(
    task: &TaskSpec,
    train: &Split,
    dev: &Split,
    grid: &[FitSettings],
    progress: &ProgressBar,
    deadline: Option<Instant>,
) -> Result<SearchResult> {
    let open = |i: usize, _: f64| i == 0 || deadline.is_none_or(|d| Instant::now() < d);
    let how = Search {
        select: None,
        open: &open,
        keep_models: false,
        longest: Default::default(),
    };
    search_with(task, (train, dev), grid, progress, &how)
}

/// How a search runs: the figure it maximises ([`selection_score`] when `None`), which points
/// it still starts, and whether a tagging point keeps its fitted model (so the chosen one need
/// not be refitted).
pub struct Search<'a> {
    /// The figure maximised; `None` for [`selection_score`].
    pub select: Option<&'a SelectBy>,
    /// Whether point `i` may still start, given the seconds of the slowest point so far
    /// (point 0 always starts).
    pub open: &'a (dyn Fn(usize, f64) -> bool + Sync),
    /// Tagging: keep each point's fitted pipeline.
    pub keep_models: bool,
    /// The seconds of the slowest point so far (an `f64`'s bits).
    pub longest: std::sync::atomic::AtomicU64,
}

impl Search<'_> {
    fn is_open(&self, i: usize) -> bool {
        let longest = f64::from_bits(self.longest.load(std::sync::atomic::Ordering::Relaxed));
        i == 0 || (self.open)(i, longest)
    }

    fn finished(&self, seconds: f64) {
        use std::sync::atomic::Ordering;
        let _ = self
            .longest
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |b| {
                (seconds > f64::from_bits(b)).then_some(seconds.to_bits())
            });
    }

    fn score(&self, s: &TaskScore) -> f64 {
        match self.select {
            Some(rule) => rule.score(s),
            None => selection_score(s),
        }
    }
}

/// [`search`] as `how` says.
pub fn search_with(
    task: &TaskSpec,
    (train, dev): (&Split, &Split),
    grid: &[FitSettings],
    progress: &ProgressBar,
    how: &Search,
) -> Result<SearchResult> {
    if grid.is_empty() {
        bail!("the tuning grid is empty");
    }
    let points: Vec<PointResult> = match task.kind() {
        TaskKind::Tokens => search_tagger(task, train, dev, grid, progress, how)?,
        _ => search_text(task, train, dev, grid, progress, how)?,
    }
    .into_iter()
    .flatten()
    .collect();
    let scores: Vec<f64> = points.iter().map(|p| p.selection).collect();
    let best = pick_best(&scores).expect("point 0 is always tried");
    Ok(SearchResult {
        points,
        grid_size: grid.len(),
        best,
    })
}

pub(super) fn search_tagger(
    task: &TaskSpec,
    train: &Split,
    dev: &Split,
    grid: &[FitSettings],
    progress: &ProgressBar,
    how: &Search,
) -> Result<Vec<Option<PointResult>>> {
    let open = |i: usize| how.is_open(i);
    // A private pool caps concurrent CRF fits (each holds its own copy of the features) even
    // on machines with many cores.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(CRF_PARALLEL)
        .build()
        .context("starting the CRF worker threads")?;
    pool.install(|| {
        grid.par_iter()
            .enumerate()
            .map(|(index, settings)| {
                if !open(index) {
                    return Ok(None);
                }
                let t = Instant::now();
                let p =
                    pipeline::fit_logged(task, ModelKind::Feature, settings, train, &mut |n| {
                        crate::commands::note(n)
                    })?;
                let preds = p.predict(&dev.examples, 1)?;
                let (score, _) = p.score(&dev.examples, &preds)?;
                progress.inc(1);
                Ok(Some(PointResult {
                    index,
                    settings: settings.clone(),
                    selection: how.score(&score),
                    dev: score,
                    seconds: {
                        let secs = t.elapsed().as_secs_f64();
                        how.finished(secs);
                        secs
                    },
                    model: how.keep_models.then(|| std::sync::Arc::new(p)),
                }))
            })
            .collect()
    })
}

/// The grid's points grouped by vectorizer settings, groups and members in grid order.
pub(super) fn vectorizer_groups(grid: &[FitSettings]) -> Vec<(TfidfParams, Vec<usize>)> {
    let mut groups: Vec<(TfidfParams, Vec<usize>)> = Vec::new();
    for (i, s) in grid.iter().enumerate() {
        match groups.iter_mut().find(|g| g.0 == s.tfidf) {
            Some(g) => g.1.push(i),
            None => groups.push((s.tfidf, vec![i])),
        }
    }
    groups
}

/// What every text grid point is fitted to and scored against: the train targets and the dev
/// gold labels.
pub(super) struct TextProblem<'a> {
    pub(super) task: &'a TaskSpec,
    pub(super) classes: Vec<String>,
    pub(super) y: Vec<usize>,
    pub(super) gold: Vec<&'a str>,
    pub(super) k: usize,
    /// Multi-label: train's label sets and the dev split (each point also picks its threshold).
    pub(super) multi: Option<(Vec<Vec<u32>>, &'a Split)>,
}

impl TextProblem<'_> {
    /// Fits the classifier of `settings` on the vectorized train split `x` and scores its
    /// ranking of the vectorized dev split `x_dev`.
    pub(super) fn fit_and_score(
        &self,
        settings: &FitSettings,
        x: &CsrMatrix,
        x_dev: &CsrMatrix,
    ) -> Result<(TaskScore, FitSettings)> {
        let params = LogRegParams {
            seed: settings.seed,
            ..settings.logreg
        };
        if let Some((sets, dev)) = &self.multi {
            // Multi-label: the threshold is searched on the point's dev probabilities.
            let clf = params.fit_sets_owned(x.clone(), sets, self.classes.len())?;
            let proba = clf.predict_proba_independent(x_dev);
            let (t, score, _) =
                pipeline::best_threshold(self.task, &self.classes, settings.multi, &proba, dev)?;
            let mut chosen = settings.clone();
            chosen.multi.threshold = t;
            return Ok((score, chosen));
        }
        let clf = params.fit(x, &self.y, self.classes.len())?;
        let proba = clf.predict_proba(x_dev);
        let mut labels = Vec::with_capacity(self.gold.len());
        let outcomes = proba
            .chunks(self.classes.len())
            .zip(&self.gold)
            .map(|(row, g)| {
                let ranked: Vec<String> = pipeline::rank_row(row, &self.classes, self.k)
                    .into_iter()
                    .map(|r| r.0)
                    .collect();
                let top = ranked.first().cloned().unwrap_or_default();
                labels.push((g.to_string(), top));
                metrics::class_outcome(g, &ranked)
            })
            .collect();
        let mut score = TaskScore::from_outcomes(self.task.clone(), Outcomes::Class(outcomes));
        // Gold and top-1 labels, so per-label figures (macro-F1, one label's F1) can select.
        score.examples.labels = labels;
        Ok((score, settings.clone()))
    }
}

/// The targets of the text search: train's classes (or label sets) and dev's gold labels.
pub(super) fn text_problem<'a>(
    task: &'a TaskSpec,
    train: &Split,
    dev: &'a Split,
) -> Result<TextProblem<'a>> {
    let k = task.top_k.max(3);
    if task.multi_label {
        let (classes, sets) = pipeline::label_sets(task, train)?;
        return Ok(TextProblem {
            task,
            classes,
            y: Vec::new(),
            gold: Vec::new(),
            k,
            multi: Some((sets, dev)),
        });
    }
    let (classes, y) = pipeline::text_targets(task, train)?;
    Ok(TextProblem {
        task,
        classes,
        y,
        gold: pipeline::split_labels(task, dev, "tuning")?,
        k,
        multi: None,
    })
}

/// The text search vectorizes train and dev once per n-gram setting and refits only the
/// classifier for each C and class weight; the vectorizer is deterministic, so this scores
/// exactly what `pipeline::fit` would (a test checks it).
pub(super) fn search_text(
    task: &TaskSpec,
    train: &Split,
    dev: &Split,
    grid: &[FitSettings],
    progress: &ProgressBar,
    how: &Search,
) -> Result<Vec<Option<PointResult>>> {
    let open = |i: usize| how.is_open(i);
    let problem = text_problem(task, train, dev)?;
    if let Some(union) = grid.first().and_then(|p| p.union.as_ref()) {
        return search_union(&problem, (train, dev), (union, grid), progress, how);
    }
    let train_texts = data::joined_texts(&train.examples);
    let train_docs: Vec<&str> = train_texts.iter().map(|t| t.as_ref()).collect();
    let dev_texts = data::joined_texts(&dev.examples);
    let dev_docs: Vec<&str> = dev_texts.iter().map(|t| t.as_ref()).collect();

    let mut results: Vec<Option<PointResult>> = vec![None; grid.len()];
    // Groups run in grid order; a group none of whose points is open is not vectorized.
    for (params, members) in vectorizer_groups(grid) {
        if !members.iter().any(|&i| open(i)) {
            continue;
        }
        let t = Instant::now();
        let (tfidf, x) = params
            .fit(&train_docs)
            .with_context(|| format!("vectorizing {}", train.path.display()))?;
        let x_dev = tfidf.transform(&dev_docs);
        // The vocabulary is the bulk of the vectorizer's memory and is not needed again.
        drop(tfidf);
        let vectorize = t.elapsed().as_secs_f64() / members.len() as f64;
        // Points run in parallel because a binary task's classifier is one problem, which the
        // solver cannot spread over cores.
        let fitted: Vec<Result<Option<PointResult>>> = members
            .par_iter()
            .map(|&i| {
                fit_point(
                    &problem,
                    (i, &grid[i]),
                    (&x, &x_dev),
                    vectorize,
                    progress,
                    how,
                )
            })
            .collect();
        for (&i, r) in members.iter().zip(fitted) {
            results[i] = r?;
        }
    }
    Ok(results)
}

/// The text search over a union of blocks (every point shares it: the grid varies the
/// classifier only): train and dev are vectorized once, as `pipeline::fit` vectorizes them.
fn search_union(
    problem: &TextProblem<'_>,
    (train, dev): (&Split, &Split),
    (union, grid): (&UnionParams, &[FitSettings]),
    progress: &ProgressBar,
    how: &Search,
) -> Result<Vec<Option<PointResult>>> {
    if grid.iter().any(|p| p.union.as_ref() != Some(union)) {
        bail!("the points of a union's grid must share its blocks");
    }
    if union.needs_pair() && problem.task.kind() != TaskKind::Pair {
        bail!(
            "blocks: a block reads the second text or the shared words of a pair, and task {} \
             is not a text-pair task",
            problem.task.name
        );
    }
    let t = Instant::now();
    let train_texts = union_docs(&train.examples);
    let (fitted, x) = union
        .fit(&docs_of(&train.examples, &train_texts))
        .with_context(|| format!("vectorizing {}", train.path.display()))?;
    let dev_texts = union_docs(&dev.examples);
    let x_dev = fitted.transform(&docs_of(&dev.examples, &dev_texts));
    drop(fitted);
    let vectorize = t.elapsed().as_secs_f64() / grid.len() as f64;
    grid.par_iter()
        .enumerate()
        .map(|(i, settings)| {
            fit_point(
                problem,
                (i, settings),
                (&x, &x_dev),
                vectorize,
                progress,
                how,
            )
        })
        .collect()
}

/// Fits and scores grid point `i` on vectorized train and dev (`None` when the search has
/// closed it); its time is its own plus its share of the vectorizing, `vectorize`.
fn fit_point(
    problem: &TextProblem<'_>,
    (i, settings): (usize, &FitSettings),
    (x, x_dev): (&CsrMatrix, &CsrMatrix),
    vectorize: f64,
    progress: &ProgressBar,
    how: &Search,
) -> Result<Option<PointResult>> {
    if !how.is_open(i) {
        return Ok(None);
    }
    let t = Instant::now();
    let (score, settings) = problem.fit_and_score(settings, x, x_dev)?;
    progress.inc(1);
    let seconds = vectorize + t.elapsed().as_secs_f64();
    how.finished(seconds);
    Ok(Some(PointResult {
        index: i,
        settings,
        selection: how.score(&score),
        dev: score,
        seconds,
        model: None,
    }))
}

/// [`point_json`], with the threshold of a multi-label task.
pub(super) fn point_settings(kind: TaskKind, multi: bool, s: &FitSettings) -> Value {
    let mut v = point_json(kind, s);
    if multi {
        v["threshold"] = json!(s.multi.threshold);
    }
    v
}

/// The settings of one grid point that the grid varies, for the tune record and the log.
pub fn point_json(kind: TaskKind, s: &FitSettings) -> Value {
    let class_weight = if s.logreg.class_weight_balanced {
        "balanced"
    } else {
        "none"
    };
    match kind {
        TaskKind::Tokens => json!({"c1": s.crf.c1, "c2": s.crf.c2}),
        _ if s.union.is_some() => json!({
            "C": s.logreg.c,
            "class_weight": class_weight,
            "blocks": block_names(s),
        }),
        _ => json!({
            "C": s.logreg.c,
            "analyzer": s.tfidf.analyzer.name(),
            "ngram_range": [s.tfidf.ngram_min, s.tfidf.ngram_max],
            "sublinear_tf": s.tfidf.sublinear_tf,
            "class_weight": if s.logreg.class_weight_balanced { "balanced" } else { "none" },
        }),
    }
}

/// `C=10 ngram=(3,8) sublinear=false class_weight=none`.
pub fn describe_point(kind: TaskKind, s: &FitSettings) -> String {
    match kind {
        TaskKind::Tokens => format!("c1={} c2={}", s.crf.c1, s.crf.c2),
        _ if s.union.is_some() => format!(
            "C={} class_weight={} blocks={}",
            s.logreg.c,
            if s.logreg.class_weight_balanced {
                "balanced"
            } else {
                "none"
            },
            block_names(s).join(",")
        ),
        _ => format!(
            "C={} ngram=({},{}) sublinear_tf={} class_weight={}",
            s.logreg.c,
            s.tfidf.ngram_min,
            s.tfidf.ngram_max,
            s.tfidf.sublinear_tf,
            if s.logreg.class_weight_balanced {
                "balanced"
            } else {
                "none"
            }
        ),
    }
}

/// A union's blocks by name (`--blocks`' form), in column order; empty without one.
fn block_names(s: &FitSettings) -> Vec<String> {
    s.union
        .as_ref()
        .map(|u| u.blocks.iter().map(|b| b.name()).collect())
        .unwrap_or_default()
}
