//! The `tune` workflow: search a small fixed grid of feature-model settings on dev, retrain the
//! best on train, and only then load test, predict it and write the results to `<out>/tuned/`.
//!
//! The test split is kept out of the search by construction: [`search`] takes the train and
//! dev splits and nothing else, and [`run_task`] reads the test file only after the search has
//! returned its choice.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Map, Value};

use super::output_set;
use super::record::{self, RunRecord};
use super::replace;
use crate::bundle::Bundle;
use crate::commands::train::{self, TaskSource};
use crate::data::{self, Labels, Split, SplitName};
use crate::pipeline::{self, FitSettings, ModelKind, Pipeline, Prediction};
use crate::scoring::eval::TaskScore;
use crate::scoring::table;
use crate::task::{self, TaskSpec};

mod search;
mod select;
use search::point_settings;
pub use search::{
    describe_point, grid, grid_around, grid_from, grid_with, pick_best, point_json, search,
    search_with, selection_rule, selection_score, PointResult, Search, SearchResult, CRF_C1,
    CRF_C2, CRF_PARALLEL, OUT_SUBDIR, TEXT_BALANCED, TEXT_C, TEXT_NGRAMS, TEXT_SUBLINEAR,
    WORD_NGRAMS,
};
pub use select::{GridValues, SelectBy, GRID_KNOBS};

/// What to tune and where to put the results.
#[derive(Debug, Clone)]
pub struct TuneRequest {
    /// Tasks to tune, in order; each needs a train, a dev and a test file.
    pub tasks: Vec<TaskSource>,
    /// Seed for randomised steps, the same at every grid point.
    pub seed: u64,
    /// Output root; results go to `<out>/tuned/`.
    pub out: PathBuf,
    /// Folder for model files (`<models>/<Task>-tuned.rmb`).
    pub models_dir: PathBuf,
    /// Seconds the whole run of a task may take (search, final fit, test): a grid point is
    /// not started when the time left would not cover it and the final fit, estimated from
    /// the slowest point so far.
    pub budget: Option<f64>,
    /// Replace results written for another task, other data or another seed.
    pub force: bool,
    /// Refuse a grid whose estimated peak memory exceeds this many bytes (default: the memory
    /// available, MemAvailable).
    pub max_memory: Option<u64>,
    /// The settings every grid point starts from (a task file's: every key the grid does not
    /// vary is kept; the paper's for built-in tasks), with the request's seed.
    pub base: FitSettings,
    /// The dev figure maximised; `None` for the task kind's default ([`selection_score`]).
    pub select_by: Option<SelectBy>,
    /// Values `--grid` gives some knobs.
    pub grid: GridValues,
    /// A binary task's positive label: the tuned model's threshold on it is chosen on dev by
    /// its F1 (`--positive-label`).
    pub positive_label: Option<String>,
    /// What is tuned: [`ModelKind::Feature`] (around `base`) or [`ModelKind::Plus`] (around the
    /// plus preset of each task's type, its blocks or templates kept; `base` is unused).
    pub model: ModelKind,
}

impl TuneRequest {
    /// The settings every grid point of a task of kind `kind` starts from, with the seed.
    pub fn base_for(&self, kind: task::TaskKind) -> FitSettings {
        match self.model {
            ModelKind::Plus => pipeline::plus_settings(kind, self.seed),
            _ => FitSettings {
                seed: self.seed,
                ..self.base.clone()
            },
        }
    }

    /// The grid searched for a task of kind `kind`: around the plus preset each knob not given
    /// starts at the preset's value ([`grid_around`]); a union of blocks varies the classifier
    /// only.
    pub fn grid_for(&self, kind: task::TaskKind) -> Result<Vec<FitSettings>> {
        let base = self.base_for(kind);
        let around = grid_around(kind, &base, &self.grid)?;
        let values = if self.model == ModelKind::Plus {
            &around
        } else {
            &self.grid
        };
        Ok(grid_from(kind, &base, values))
    }

    /// The folder under `out` (and the model file's suffix): `tuned`, or `tuned-plus` around
    /// the plus preset, so that the two tunings of a task do not replace each other.
    pub fn subdir(&self) -> &'static str {
        match self.model {
            ModelKind::Plus => OUT_SUBDIR_PLUS,
            _ => OUT_SUBDIR,
        }
    }
}

/// The folder under `--out` that `tune --model plus` writes to.
pub const OUT_SUBDIR_PLUS: &str = "tuned-plus";

/// The result of tuning one task.
#[derive(Debug)]
pub struct TuneRun {
    /// The search on dev.
    pub search: SearchResult,
    /// Test scores of the chosen setting retrained on train.
    pub test: TaskScore,
    /// Where test predictions were written.
    pub predictions: PathBuf,
    /// Where the tune record was written.
    pub record: PathBuf,
}

/// A task file's task for tuning: it must name a dev file (the selection set) and a test file.
pub fn file_sources(path: &Path) -> Result<Vec<TaskSource>> {
    let tf = task::TaskFile::load(path, &crate::recipe::all_keys())?;
    let src = TaskSource::from_task_file(&tf)?;
    if tf.dev.is_none() || tf.test.is_none() {
        bail!(
            "{}: tuning needs `dev` (where the grid is scored) and `test` files",
            path.display()
        );
    }
    Ok(vec![src])
}

/// A task defined by a task file and/or the field flags (`flags` override the file's keys): it
/// must name a dev file (the selection set) and a test file.
pub fn flag_sources(task_file: Option<&Path>, flags: task::TaskFile) -> Result<Vec<TaskSource>> {
    let (tf, what) = match task_file {
        Some(p) => (
            flags.or(task::TaskFile::load(p, &crate::recipe::all_keys())?),
            p.display().to_string(),
        ),
        None => (flags, "tune".to_string()),
    };
    if tf.dev.is_none() || tf.test.is_none() {
        bail!("{what}: tuning needs `dev` (where the grid is scored) and `test` files (--dev, --test)");
    }
    Ok(vec![TaskSource::from_task_file(&tf)?])
}

/// The built-in tasks named by `--task` with their splits under `data_dir`. With `all`, a task
/// whose train split is not redistributed and absent (RuMedNLI) is skipped with a note: the
/// search selects on dev, so dev cannot stand in for train as it does in `train --task all`.
pub fn sources(task: &str, data_dir: &Path, log: &mut dyn Write) -> Result<Vec<TaskSource>> {
    let specs = task::resolve(task)?;
    let all = specs.len() > 1;
    let mut out = Vec::new();
    for spec in specs {
        if spec.train_notice.is_some()
            && data::split_path(data_dir, &spec, SplitName::Train).is_err()
        {
            let path = data_dir.join(&spec.name).join(SplitName::Train.file_name());
            let why = format!(
                "its train split is not at {} (PhysioNet credentialed data, see the README), \
                 and tuning selects on dev, so dev cannot also be the training data",
                path.display()
            );
            if all {
                writeln!(log, "note: skipping {}: {why}.", spec.name)?;
                continue;
            }
            bail!("cannot tune {}: {why}", spec.name);
        }
        out.push(TaskSource::builtin(spec, data_dir, None, false, log)?);
    }
    Ok(out)
}

fn grid_bar(len: usize, task: &str) -> ProgressBar {
    if crate::commands::quiet() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len as u64);
    pb.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} points [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    pb.enable_steady_tick(Duration::from_millis(200));
    pb.set_message(format!("{task}: grid on dev"));
    pb
}

/// Tunes one task: search on train/dev, then retrain the chosen setting on train, predict
/// test, and write `<Task>.jsonl`, `<Task>.tune.json` and the model file.
pub fn run_task(req: &TuneRequest, src: &TaskSource, log: &mut dyn Write) -> Result<TuneRun> {
    let spec = &src.spec;
    let Some(dev_path) = &src.dev else {
        bail!("{}: tuning needs a dev split", spec.name);
    };
    let Some(test_path) = &src.test else {
        bail!("{}: tuning needs a test split", spec.name);
    };
    let started = Instant::now();
    let (train, spec) = load_train(src)?;
    let spec = &spec;
    if spec.multi_label && req.base_for(spec.kind()).union.is_some() {
        bail!(
            "{}: {} do not take multi-label tasks yet; use --model feature with a single \
             vectorizer",
            spec.name,
            if req.model == ModelKind::Plus {
                "--model plus"
            } else {
                "blocks"
            }
        );
    }
    check_grid_cost(req, spec, &train)?;
    // The train data must be that of the results this run replaces (all data: after test).
    let (targets, identity) = (targets(req, src), identity(req, src));
    let read = record::digests([&src.train])?;
    replace::check(&targets, &identity, Some(&read), req.force)?;
    let result = search_on_dev(
        req,
        spec,
        &train,
        (dev_path, src.delimiter, src.encoding),
        started,
    )?;
    let search_secs = started.elapsed().as_secs_f64();

    // Only now, with the choice fixed, is the test split read.
    let t = Instant::now();
    let mut result = result;
    let chosen = result.chosen().settings.clone();
    // A tagging point's model is the chosen setting fitted on train: it is used, not refitted.
    let kept = result.points[result.best].model.take();
    result.points.iter_mut().for_each(|p| p.model = None);
    let kept = kept.and_then(|m| std::sync::Arc::try_unwrap(m).ok());
    let reused = kept.is_some();
    // A binary task's threshold is chosen on dev for the chosen model, before test is read.
    let mut binary = Value::Null;
    let mut settle = |p: &mut Pipeline| -> Result<()> {
        if let Some(positive) = &req.positive_label {
            let dev = data::load_split_with(
                spec,
                dev_path,
                Labels::Required,
                src.delimiter,
                src.encoding,
            )?;
            binary = super::threshold::settle_binary(
                (Some(positive), 0.5),
                p,
                Some(&dev),
                &mut std::io::stderr(),
            )?;
        }
        Ok(())
    };
    let tested = retrain_and_test(
        spec,
        (&src.train, &train),
        &chosen,
        (kept, &mut settle),
        (test_path, src.delimiter, src.encoding),
    )?;
    let digests = record::digests([&src.train, dev_path, test_path])?;
    replace::check(&targets, &identity, Some(&digests), req.force)?;
    let out_dir = req.out.join(req.subdir());
    let predictions = out_dir.join(format!("{}.jsonl", spec.name));
    // Predictions, model and record are one set, committed together (see train).
    let mut set = output_set::OutputSet::new();
    set.stage(&predictions, |w| {
        train::fill_predictions(&tested.pipeline, &tested.test, &tested.preds, w)
    })?;
    let retrain_secs = t.elapsed().as_secs_f64();

    let hyper = tested.pipeline.hyperparameters(&chosen);
    let model_file = (req.models_dir).join(format!("{}-{}.rmb", spec.name, req.subdir()));
    let bytes = Bundle::trained(tested.pipeline, &hyper, digests[0].clone()).to_bytes()?;
    set.stage(&model_file, |w| Ok(w.write_all(&bytes)?))?;
    drop(bytes);

    let mut record = RunRecord::new("tune", spec, req.subdir(), &hyper, req.seed, &digests);
    record.results = tune_results(
        req,
        spec,
        &result,
        &tested.score,
        (search_secs, retrain_secs),
        &predictions,
        &model_file,
    );
    if !binary.is_null() {
        record.results.insert("binary".into(), binary);
    }
    if reused {
        record.results.insert(
            "retrained_on".into(),
            json!("train (the chosen point's model, fitted on train during the search, is kept)"),
        );
    }
    let record_path = out_dir.join(format!("{}.tune.json", spec.name));
    record.stage(&mut set, &record_path)?;
    set.commit()?;

    log_choice(
        log,
        (spec, req.model),
        &result,
        &tested.score,
        search_secs,
        &predictions,
    )?;
    Ok(TuneRun {
        search: result,
        test: tested.score,
        predictions,
        record: record_path,
    })
}

/// Checks, on the loaded train split and before any fit, the estimated peak memory of every
/// vectorizer the grid will fit (as `train` checks its one), against the memory available.
fn check_grid_cost(req: &TuneRequest, spec: &TaskSpec, train: &Split) -> Result<()> {
    // The plus preset is not estimated, as `train --model plus` does not estimate it.
    if spec.kind() == task::TaskKind::Tokens || req.model == ModelKind::Plus {
        return Ok(());
    }
    let texts = data::joined_texts(&train.examples);
    let docs: Vec<&str> = texts.iter().map(|t| t.as_ref()).collect();
    let mut seen: Vec<(usize, usize)> = Vec::new();
    for point in req.grid_for(spec.kind())? {
        let t = &point.tfidf;
        if seen.contains(&(t.ngram_min, t.ngram_max)) {
            continue;
        }
        seen.push((t.ngram_min, t.ngram_max));
        let e = crate::features::cost::text_model(t, &docs);
        crate::features::cost::check(&spec.name, &e, req.max_memory)?;
    }
    Ok(())
}

/// Loads the train split; a user's task whose first train label is a list is multi-label, and
/// its metrics settle on the number of labels.
fn load_train(src: &TaskSource) -> Result<(Split, TaskSpec)> {
    let mut spec = src.spec.clone();
    if !src.custom {
        return Ok((
            data::load_split_with(
                &spec,
                &src.train,
                Labels::Required,
                src.delimiter,
                src.encoding,
            )?,
            spec,
        ));
    }
    let (train, multi) = data::load_train_split(&spec, &src.train, src.delimiter, src.encoding)?;
    if multi {
        spec.multi_label = true;
        let labels: std::collections::BTreeSet<&str> = train
            .examples
            .iter()
            .flat_map(|e| match &e.gold {
                Some(crate::data::Gold::Labels(l)) => l.iter().map(String::as_str).collect(),
                _ => Vec::new(),
            })
            .collect();
        spec.settle_metrics(labels.len());
    } else if spec.kind() != crate::task::TaskKind::Tokens {
        // As `train`: more than three classes are ranked (top 3) and scored with Hit@3.
        spec.settle_metrics(train::number_of_classes(&train));
    }
    Ok((train, spec))
}

/// Loads dev and searches the grid on it (train fits, dev scores), within the budget counted
/// from `started`.
fn search_on_dev(
    req: &TuneRequest,
    spec: &TaskSpec,
    train: &Split,
    (dev_path, delimiter, encoding): (&Path, Option<u8>, Option<&'static data::Encoding>),
    started: Instant,
) -> Result<SearchResult> {
    let dev = data::load_split_with(spec, dev_path, Labels::Required, delimiter, encoding)?;
    let grid = req.grid_for(spec.kind())?;
    let pb = grid_bar(grid.len(), &spec.name);
    let deadline = req.budget.map(|b| started + Duration::from_secs_f64(b));
    let tagging = spec.kind() == crate::task::TaskKind::Tokens;
    // Seconds a started point may still need, and the final step after the search: a text
    // task refits the chosen point (about one more point); a tagger keeps its model.
    let reserve = if tagging { 1.0 } else { 2.0 };
    let open = |_: usize, longest: f64| {
        deadline.is_none_or(|d| Instant::now() + Duration::from_secs_f64(longest * reserve) < d)
    };
    let how = Search {
        select: req.select_by.as_ref(),
        open: &open,
        keep_models: tagging,
        longest: Default::default(),
    };
    let result = search_with(spec, (train, &dev), &grid, &pb, &how)
        .with_context(|| format!("tuning {} on {}", spec.name, dev_path.display()));
    pb.finish_and_clear();
    result
}

/// The chosen setting retrained on train, with its test predictions and scores.
struct TestedChoice {
    pipeline: Pipeline,
    test: Split,
    preds: Vec<Prediction>,
    score: TaskScore,
}

/// What is done to the final model before test is read (a binary task's threshold).
type Settle<'a> = &'a mut dyn FnMut(&mut Pipeline) -> Result<()>;

/// Retrains the chosen setting on train (unless the search kept its model), then reads test,
/// predicts and scores it.
fn retrain_and_test(
    spec: &TaskSpec,
    (train_path, train): (&Path, &Split),
    chosen: &FitSettings,
    (kept, settle): (Option<Pipeline>, Settle<'_>),
    (test_path, delimiter, encoding): (&Path, Option<u8>, Option<&'static data::Encoding>),
) -> Result<TestedChoice> {
    let mut pipeline = match kept {
        Some(p) => p,
        None => {
            let pb = train::spinner(format!("{}: retraining the chosen setting", spec.name));
            let pipeline =
                pipeline::fit_logged(spec, ModelKind::Feature, chosen, train, &mut |n| {
                    crate::commands::note(n)
                })
                .with_context(|| format!("retraining {} on {}", spec.name, train_path.display()));
            pb.finish_and_clear();
            pipeline?
        }
    };
    settle(&mut pipeline)?;
    let test = data::load_split_with(spec, test_path, Labels::Required, delimiter, encoding)?;
    let preds = pipeline.predict(&test.examples, spec.top_k.max(3))?;
    let (score, _) = pipeline.score(&test.examples, &preds)?;
    Ok(TestedChoice {
        pipeline,
        test,
        preds,
        score,
    })
}

/// What the tune record adds to the run record: the selection rule, every point tried, the
/// choice, its test scores, the seconds of the search and of retraining, the output paths.
fn tune_results(
    req: &TuneRequest,
    spec: &TaskSpec,
    result: &SearchResult,
    test: &TaskScore,
    (search_secs, retrain_secs): (f64, f64),
    predictions: &Path,
    model_file: &Path,
) -> Map<String, Value> {
    let (kind, multi) = (spec.kind(), spec.multi_label);
    let results = json!({
        "selection": {
            "metric": match (&req.select_by, multi) {
                (Some(rule), true) => format!("{}, each point at its dev-best micro-F1 threshold", rule.describe()),
                (Some(rule), false) => rule.describe(),
                (None, true) => "dev micro-F1, each point at its dev-best threshold".into(),
                (None, false) => selection_rule(kind).to_string(),
            },
            "ties": if req.model == ModelKind::Plus {
                "the earlier grid point; point 0 takes each --grid knob's first value, else the plus preset's"
            } else if req.grid == GridValues::default() {
                "the earlier grid point; point 0 is the paper's setting"
            } else {
                "the earlier grid point; point 0 takes each --grid knob's first value"
            },
            "searched_on": ["train (fit)", "dev (score)"],
        },
        "retrained_on": "train",
        "grid_size": result.grid_size,
        "budget_seconds": req.budget,
        "grid": result.points.iter().map(|p| json!({
            "index": p.index,
            "settings": point_settings(kind, multi, &p.settings),
            "dev": record::scores_json(&p.dev),
            "selection_score": p.selection,
            "seconds": p.seconds,
        })).collect::<Vec<_>>(),
        "chosen": result.chosen().index,
        "chosen_settings": point_settings(kind, multi, &result.chosen().settings),
        "paper_setting_dev": record::scores_json(&result.points[0].dev),
        "chosen_dev": record::scores_json(&result.chosen().dev),
        "test": record::scores_json(test),
        "seconds": {"search": search_secs, "retrain_and_test": retrain_secs},
        "predictions": predictions.display().to_string(),
        "model_file": model_file.display().to_string(),
    });
    match results {
        Value::Object(m) => m,
        _ => unreachable!("json! of an object literal is an object"),
    }
}

/// The task's line in the log: the search, the choice against point 0 (the paper's setting,
/// or the plus preset), test.
fn log_choice(
    log: &mut dyn Write,
    (spec, model): (&TaskSpec, ModelKind),
    result: &SearchResult,
    test: &TaskScore,
    search_secs: f64,
    predictions: &Path,
) -> Result<()> {
    writeln!(
        log,
        "{}: {} of {} grid points in {:.0}s; chosen #{} {} (dev {}; {} dev {}) | test {} -> {}",
        spec.name,
        result.points.len(),
        result.grid_size,
        search_secs,
        result.chosen().index,
        describe_point(spec.kind(), &result.chosen().settings)
            + &if spec.multi_label {
                format!(", threshold {}", result.chosen().settings.multi.threshold)
            } else {
                String::new()
            },
        train::describe(&result.chosen().dev),
        if model == ModelKind::Plus {
            "plus preset"
        } else {
            "paper setting"
        },
        train::describe(&result.points[0].dev),
        train::describe(test),
        predictions.display()
    )?;
    Ok(())
}

/// The files tuning `src` writes.
fn targets(req: &TuneRequest, src: &TaskSource) -> replace::Targets {
    let dir = req.out.join(req.subdir());
    replace::Targets {
        predictions: Some(dir.join(format!("{}.jsonl", src.spec.name))),
        record: dir.join(format!("{}.tune.json", src.spec.name)),
        model: (req.models_dir).join(format!("{}-{}.rmb", src.spec.name, req.subdir())),
    }
}

/// What tuning `src` is: the search chooses the hyperparameters, so only the task, the data
/// and the seed are compared.
fn identity<'a>(req: &TuneRequest, src: &'a TaskSource) -> replace::Identity<'a> {
    replace::Identity {
        spec: &src.spec,
        kind: ModelKind::Feature,
        hyperparameters: None,
        seed: Some(req.seed),
        train: &src.train,
    }
}

/// Tunes every requested task and ends with a Table 3 row of the tuned test results next to
/// the paper's feature-based row.
pub fn run(req: &TuneRequest, log: &mut dyn Write) -> Result<Vec<TuneRun>> {
    if req.tasks.is_empty() {
        bail!("no task to tune");
    }
    // Hashed columns cost memory whatever the data: refused before anything is read.
    if let Some(e) = crate::features::cost::hashed_columns(&req.base.tfidf) {
        crate::features::cost::check("the text model", &e, req.max_memory)?;
    }
    // Folders checked and locked before any search: a bad folder costs nothing.
    let pred_dir = req.out.join(req.subdir());
    output_set::check_output_dir(&pred_dir, "output folder")?;
    output_set::check_output_dir(&req.models_dir, "models folder")?;
    let mut _locks = vec![output_set::RunLock::acquire(&pred_dir)?];
    if std::fs::canonicalize(&pred_dir).ok() != std::fs::canonicalize(&req.models_dir).ok() {
        _locks.push(output_set::RunLock::acquire(&req.models_dir)?);
    }
    // A set that a killed run left half-replaced is put back before anything is compared.
    output_set::recover_locked(&[&pred_dir, &req.models_dir], &mut crate::commands::notes())?;
    for src in &req.tasks {
        replace::check(&targets(req, src), &identity(req, src), None, req.force)?;
    }
    let mut runs = Vec::new();
    for src in &req.tasks {
        runs.push(run_task(req, src, log)?);
    }
    let scores: Vec<TaskScore> = runs.iter().map(|r| r.test.clone()).collect();
    if req.tasks.iter().all(|t| t.custom) {
        return Ok(runs);
    }
    writeln!(
        log,
        "\nTest, % (Table 3 layout; a task not tuned counts 0 in Overall):"
    )?;
    writeln!(log, "{}", table::table_header())?;
    let row = format!("rumedbench {}", req.subdir());
    writeln!(log, "{}", table::table_row(&row, &scores))?;
    if let Some(row) = table::paper_row("Feature-based") {
        writeln!(log, "{row}")?;
    }
    Ok(runs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Example, Gold, Input};
    use crate::scoring::eval::Outcomes;
    use crate::task::{Metric, TaskKind};

    #[test]
    fn paper_setting_comes_first_and_the_grid_has_its_documented_size() {
        let text = grid(TaskKind::Single, 7);
        assert_eq!(text.len(), 24);
        assert_eq!(
            text[0],
            FitSettings {
                seed: 7,
                ..FitSettings::default()
            }
        );
        let crf = grid(TaskKind::Tokens, 0);
        assert_eq!(crf.len(), 6);
        assert_eq!(crf[0], FitSettings::default());
        for g in [&text, &crf] {
            for (i, a) in g.iter().enumerate() {
                assert!(g[..i].iter().all(|b| b != a), "point {i} repeats");
            }
        }
    }

    #[test]
    fn the_plus_grid_starts_at_the_preset_and_keeps_its_blocks_or_templates() {
        for kind in [TaskKind::Single, TaskKind::Pair, TaskKind::Tokens] {
            let preset = pipeline::plus_settings(kind, 5);
            let values = grid_around(kind, &preset, &GridValues::default()).unwrap();
            let g = grid_from(kind, &preset, &values);
            assert_eq!(g[0], preset, "{kind:?}");
            // Text: the preset's C (30 single, 3 pairs), then 10, 1, 100, x two class weights;
            // the CRF: c1 in {0.05, 0.1, 0.2} x c2 in {0.01, 0.05}.
            assert_eq!(g.len(), if kind == TaskKind::Tokens { 6 } else { 8 });
            assert!(g
                .iter()
                .all(|p| p.union == preset.union && p.crf.templates == preset.crf.templates));
        }
        let preset = pipeline::plus_settings(TaskKind::Single, 0);
        let given = GridValues {
            sublinear_tf: Some(vec![true]),
            ..GridValues::default()
        };
        let e = grid_around(TaskKind::Single, &preset, &given).unwrap_err();
        assert!(e.to_string().contains("--grid sublinear_tf"), "{e}");
    }

    #[test]
    fn ties_keep_the_earlier_point() {
        assert_eq!(pick_best(&[50.0, 52.0, 52.0, 51.0]), Some(1));
        assert_eq!(pick_best(&[50.0, 50.0]), Some(0));
        assert_eq!(pick_best(&[50.0, 50.5]), Some(1));
        assert_eq!(pick_best(&[]), None);
    }

    #[test]
    fn selection_uses_accuracy_or_the_ner_mean() {
        let tasks = task::builtin();
        let score = |name: &str, values: Vec<(Metric, f64)>| TaskScore {
            task: tasks.iter().find(|t| t.name == name).unwrap().clone(),
            values,
            outcomes: Outcomes::Class(vec![]),
            examples: Default::default(),
        };
        let top3 = score("RuMedTop3", vec![(Metric::Acc, 40.0), (Metric::Hit3, 70.0)]);
        assert_eq!(selection_score(&top3), 40.0);
        let ner = score("RuMedNER", vec![(Metric::Acc, 90.0), (Metric::F1, 60.0)]);
        assert_eq!(selection_score(&ner), 75.0);
    }

    /// A small DaNet-shaped task whose answer depends on words in the question, with noise,
    /// so grid points differ on dev.
    fn synthetic(n: usize, seed: u64) -> Split {
        let yes = ["боль", "кашель", "жар", "сыпь"];
        let no = ["сон", "аппетит", "вес", "зрение"];
        let filler = ["пациент", "жалуется", "утром", "давно", "врач", "снова"];
        let mut state = seed;
        let mut next = move |m: usize| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as usize) % m
        };
        let examples = (0..n)
            .map(|i| {
                let positive = next(2) == 0;
                let words = if positive { &yes } else { &no };
                let mut q: Vec<&str> = (0..3).map(|_| filler[next(filler.len())]).collect();
                q.insert(next(4), words[next(words.len())]);
                let flip = next(5) == 0;
                let label = if positive != flip { "да" } else { "нет" };
                Example {
                    id: json!(format!("p{i}")),
                    line: i + 1,
                    input: Input::Pair(filler[next(filler.len())].into(), q.join(" ")),
                    gold: Some(Gold::Label(label.into())),
                }
            })
            .collect();
        Split {
            path: PathBuf::from("synthetic.jsonl"),
            examples,
        }
    }

    #[test]
    fn cached_text_search_scores_what_pipeline_fit_scores() {
        let danet = task::find("danet").unwrap();
        let (train, dev) = (synthetic(120, 1), synthetic(60, 2));
        let g = grid(danet.kind(), 0);
        let r = search(&danet, &train, &dev, &g, &ProgressBar::hidden(), None).unwrap();
        assert_eq!(r.points.len(), g.len());
        for (i, p) in r.points.iter().enumerate() {
            let fitted = pipeline::fit(&danet, ModelKind::Feature, &g[i], &train).unwrap();
            let preds = fitted.predict(&dev.examples, 3).unwrap();
            let (score, _) = fitted.score(&dev.examples, &preds).unwrap();
            assert_eq!(p.dev.values, score.values, "point {i}");
            assert_eq!(p.settings, g[i]);
        }
        let best = r.chosen().selection;
        assert!(r.points.iter().all(|p| p.selection <= best));
        assert!(r.points[..r.best].iter().all(|p| p.selection < best));
    }
}
