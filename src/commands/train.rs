//! The `train` workflow: load splits, fit, score dev and test, write test predictions, the
//! model file and a run record.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Map, Value};

use super::output_set::{self, OutputSet, RunLock};
use super::record::{self, RunRecord};
use super::replace;
use crate::bundle::{Bundle, FileDigest};
use crate::data::{self, Gold, Labels, Split, SplitName};
use crate::output;
use crate::pipeline::{self, FitSettings, ModelKind, Pipeline, Prediction};
use crate::scoring::eval::TaskScore;
use crate::scoring::table;
use crate::task::{self, TaskKind, TaskSpec};

/// A task and the files to train and evaluate it on.
#[derive(Debug, Clone)]
pub struct TaskSource {
    /// The task definition.
    pub spec: TaskSpec,
    /// Train file.
    pub train: PathBuf,
    /// Dev file, if any.
    pub dev: Option<PathBuf>,
    /// Test file, if any; its predictions are written.
    pub test: Option<PathBuf>,
    /// Whether the task is user-defined (its metrics settle on the train label count).
    pub custom: bool,
    /// The field delimiter of its files when they are CSV-like whatever their extension.
    pub delimiter: Option<u8>,
    /// The text encoding of its files [default: UTF-8; a byte-order mark decides first].
    pub encoding: Option<&'static data::Encoding>,
}

impl TaskSource {
    /// A user-defined task from its task file (or the flags assembled into one).
    pub fn from_task_file(tf: &task::TaskFile) -> Result<Self> {
        let spec = tf.spec()?;
        let delimiter = tf
            .delimiter
            .as_deref()
            .map(data::parse_delimiter)
            .transpose()
            .map_err(|e| anyhow::anyhow!("delimiter: {e}"))?;
        let encoding = tf
            .encoding
            .as_deref()
            .map(data::parse_encoding)
            .transpose()
            .map_err(|e| anyhow::anyhow!("encoding: {e}"))?;
        Ok(TaskSource {
            spec,
            train: tf.train.clone().expect("checked by spec()"),
            dev: tf.dev.clone(),
            test: tf.test.clone(),
            custom: true,
            delimiter,
            encoding,
        })
    }

    /// A built-in task's standard splits under `data_dir`. `train_file` replaces the train
    /// split; with `dev_fallback`, a missing non-redistributable train split (RuMedNLI) is
    /// replaced by dev and the note is written to `log`.
    pub fn builtin(
        spec: TaskSpec,
        data_dir: &Path,
        train_file: Option<&Path>,
        dev_fallback: bool,
        log: &mut dyn Write,
    ) -> Result<Self> {
        let train = match train_file {
            Some(p) => p.to_path_buf(),
            None => match data::split_path(data_dir, &spec, SplitName::Train) {
                Ok(p) => p,
                Err(e) if dev_fallback && spec.train_notice.is_some() => {
                    writeln!(
                        log,
                        "note: {e}\nnote: {} is trained on its dev split instead; its figures \
                         are not comparable to the paper's.",
                        spec.name
                    )?;
                    data::split_path(data_dir, &spec, SplitName::Dev)?
                }
                Err(e) => return Err(e.into()),
            },
        };
        Ok(Self {
            dev: Some(data::split_path(data_dir, &spec, SplitName::Dev)?),
            test: Some(data::split_path(data_dir, &spec, SplitName::Test)?),
            spec,
            train,
            custom: false,
            delimiter: None,
            encoding: None,
        })
    }
}

/// What to train and where to put the results.
#[derive(Debug, Clone)]
pub struct TrainRequest {
    /// Tasks to train, in order.
    pub tasks: Vec<TaskSource>,
    /// Model family.
    pub kind: ModelKind,
    /// Model hyperparameters.
    pub settings: FitSettings,
    /// Output root; predictions go to `<out>/<model>/<Task>.jsonl`.
    pub out: PathBuf,
    /// Folder for model files (`<models>/<Task>-<model>.rmb`).
    pub models_dir: PathBuf,
    /// Exact model file path (single task only); overrides `models_dir`.
    pub model_out: Option<PathBuf>,
    /// Multi-label, or binary with `positive_label`: pick the decision threshold on dev
    /// (`--tune-threshold`).
    pub tune_threshold: bool,
    /// A single-label binary task's positive label, whose probability `--threshold` (or
    /// `--tune-threshold`) compares (`--positive-label`).
    pub positive_label: Option<String>,
    /// Replace outputs written for another task or with other settings (see
    /// [`replace`]).
    pub force: bool,
    /// The most memory the text model's settings may be estimated to need
    /// ([`crate::features::cost`]); `None`: the memory available.
    pub max_memory: Option<u64>,
}

/// The result of training one task.
#[derive(Debug)]
pub struct TaskRun {
    /// The fitted pipeline.
    pub pipeline: Pipeline,
    /// Dev scores, when there is a dev file.
    pub dev: Option<TaskScore>,
    /// Test scores, when there is a test file.
    pub test: Option<TaskScore>,
    /// Where test predictions were written.
    pub predictions: Option<PathBuf>,
    /// Where the model was saved.
    pub model_file: PathBuf,
}

/// A spinner on a terminal, nothing otherwise (indicatif hides itself when stderr is not a
/// TTY, so redirected runs stay clean).
pub fn spinner(msg: String) -> ProgressBar {
    if crate::commands::quiet() {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.enable_steady_tick(Duration::from_millis(120));
    pb.set_message(msg);
    pb
}

/// Writes predictions in upstream's schema, atomically.
pub fn write_predictions(
    pipeline: &Pipeline,
    split: &Split,
    preds: &[Prediction],
    path: &Path,
) -> Result<()> {
    output_set::write_atomic(path, |w| fill_predictions(pipeline, split, preds, w))
}

/// Writes predictions in upstream's schema to `w`.
pub(crate) fn fill_predictions(
    pipeline: &Pipeline,
    split: &Split,
    preds: &[Prediction],
    w: &mut dyn Write,
) -> crate::error::Result<()> {
    for (e, p) in split.examples.iter().zip(preds) {
        output::write_json_line(w, &pipeline.output_record(e, p))?;
    }
    Ok(())
}

/// The model file of a task.
fn model_path(req: &TrainRequest, spec: &TaskSpec) -> PathBuf {
    match &req.model_out {
        Some(p) => p.clone(),
        None => req
            .models_dir
            .join(format!("{}-{}.rmb", spec.name, req.kind.name())),
    }
}

/// Checks the output folders before any training and locks them against a second run.
fn prepare_outputs(req: &TrainRequest, log: &mut dyn Write) -> Result<Vec<RunLock>> {
    let pred_dir = req.out.join(req.kind.name());
    let model_dir = match &req.model_out {
        Some(p) => {
            if p.is_dir() {
                bail!("--model-out {} is a folder; give a file path", p.display());
            }
            p.parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_path_buf()
        }
        None => req.models_dir.clone(),
    };
    check_cost_of_settings(req)?;
    output_set::check_output_dir(&pred_dir, "output folder")?;
    output_set::check_output_dir(&model_dir, "models folder")?;
    let mut locks = vec![RunLock::acquire(&pred_dir)?];
    let same = std::fs::canonicalize(&pred_dir).ok() == std::fs::canonicalize(&model_dir).ok();
    if !same {
        locks.push(RunLock::acquire(&model_dir)?);
    }
    // A set that a killed run left half-replaced is put back before anything is compared.
    output_set::recover_locked(&[&pred_dir, &model_dir], log)?;
    for src in &req.tasks {
        let new = identity(req, src, &src.spec);
        replace::check(&targets(req, src), &new, None, req.force)?;
    }
    Ok(locks)
}

/// Checks the settings against what they cost before any data is read: the parameters'
/// ranges, and hashed features' columns against the memory (see [`crate::features::cost`]).
fn check_cost_of_settings(req: &TrainRequest) -> Result<()> {
    let s = &req.settings;
    let text = req.kind == ModelKind::Feature
        && req.tasks.iter().any(|t| t.spec.kind() != TaskKind::Tokens);
    let tagging = req.kind == ModelKind::Feature
        && req.tasks.iter().any(|t| t.spec.kind() == TaskKind::Tokens);
    if text {
        s.tfidf.check()?;
        s.logreg.check()?;
        if let Some(e) = crate::features::cost::hashed_columns(&s.tfidf) {
            crate::features::cost::check("the text model", &e, req.max_memory)?;
        }
    }
    if tagging {
        s.crf.check()?;
    }
    Ok(())
}

/// Checks the text model's estimated peak memory on the loaded train split before fitting.
fn check_fit_cost(req: &TrainRequest, spec: &TaskSpec, train: &Split) -> Result<()> {
    if req.kind != ModelKind::Feature || spec.kind() == TaskKind::Tokens {
        return Ok(());
    }
    let texts = data::joined_texts(&train.examples);
    let docs: Vec<&str> = texts.iter().map(|t| t.as_ref()).collect();
    let e = crate::features::cost::text_model(&req.settings.tfidf, &docs);
    Ok(crate::features::cost::check(
        &spec.name,
        &e,
        req.max_memory,
    )?)
}

/// The files a run of `src` writes.
fn targets(req: &TrainRequest, src: &TaskSource) -> replace::Targets {
    let dir = out_dir(req);
    replace::Targets {
        predictions: src
            .test
            .as_ref()
            .map(|_| dir.join(format!("{}.jsonl", src.spec.name))),
        record: dir.join(format!("{}.run.json", src.spec.name)),
        model: model_path(req, &src.spec),
    }
}

/// What a run of task `spec` (from `src`) is, to compare with the outputs it would replace.
fn identity<'a>(
    req: &TrainRequest,
    src: &'a TaskSource,
    spec: &'a TaskSpec,
) -> replace::Identity<'a> {
    let mut hyper = req.kind.hyperparameters(spec.kind(), &req.settings);
    if spec.multi_label {
        let rule = Some(&req.settings.multi).filter(|_| !req.tune_threshold);
        pipeline::multi_label_hyperparameters(&mut hyper, rule);
    } else if let (Some(l), Some(c)) = (&req.positive_label, hyper.get_mut("classifier")) {
        c["positive_label"] = json!(l);
        if !req.tune_threshold {
            c["threshold"] = json!(req.settings.multi.threshold);
        }
    }
    replace::Identity {
        spec,
        kind: req.kind,
        seed: hyper.get("seed").map(|_| req.settings.seed),
        hyperparameters: Some(hyper),
        train: &src.train,
    }
}

pub use super::record::peak_memory_mib;

/// How many distinct labels a split's examples carry.
pub(crate) fn number_of_classes(split: &Split) -> usize {
    split
        .examples
        .iter()
        .flat_map(|e| match &e.gold {
            Some(Gold::Label(l)) => vec![l.as_str()],
            Some(Gold::Labels(l)) => l.iter().map(String::as_str).collect(),
            _ => vec![],
        })
        .collect::<BTreeSet<_>>()
        .len()
}

/// Loads the train split; a user's classification task becomes multi-label when its first
/// label is a list. Then the multi-label flags are checked against the task.
fn load_train(req: &TrainRequest, src: &TaskSource, spec: &mut TaskSpec) -> Result<Split> {
    let train = if src.custom {
        let (train, multi) = data::load_train_split(spec, &src.train, src.delimiter, src.encoding)?;
        spec.multi_label = multi;
        train
    } else {
        data::load_split(spec, &src.train, Labels::Required)?
    };
    let rule = req.settings.multi;
    let default = pipeline::MultiLabelRule::default();
    if !spec.multi_label {
        let binary = req.positive_label.is_some();
        let given = [
            (
                "--threshold",
                rule.threshold != default.threshold && !binary,
            ),
            ("--allow-empty", rule.allow_empty),
            ("--tune-threshold", req.tune_threshold && !binary),
        ];
        if let Some((flag, _)) = given.iter().find(|g| g.1) {
            let binary_too = if *flag == "--allow-empty" {
                ""
            } else {
                " (or, with --positive-label LABEL, to a single-label binary task: the label \
                 whose probability it compares)"
            };
            bail!(
                "{flag} applies to multi-label tasks{binary_too}; {} is single-label",
                spec.name
            );
        }
        if binary && req.kind != ModelKind::Feature {
            bail!(
                "--threshold compares the feature model's probabilities; --model {} takes none",
                req.kind.name()
            );
        }
        if binary && req.tune_threshold && src.dev.is_none() {
            bail!(
                "--tune-threshold picks the threshold on dev: {} has no dev file",
                spec.name
            );
        }
    } else if req.positive_label.is_some() {
        bail!("--positive-label is for a single-label binary task; {} is multi-label (its --threshold applies to every label)", spec.name);
    } else if req.tune_threshold && src.dev.is_none() {
        bail!(
            "--tune-threshold picks the threshold on dev: {} has no dev file",
            spec.name
        );
    }
    Ok(train)
}

/// Seconds per stage, in the order run, for the run record's `seconds`.
#[derive(Debug, Default)]
struct StageTimes(Vec<(&'static str, f64)>);

impl StageTimes {
    /// Runs `f` as the stage `name` and records how long it took.
    fn time<T>(&mut self, name: &'static str, f: impl FnOnce() -> T) -> T {
        let t = Instant::now();
        let out = f();
        self.0.push((name, t.elapsed().as_secs_f64()));
        out
    }

    /// Seconds of the stage `name` (0 when it did not run).
    fn seconds(&self, name: &str) -> f64 {
        self.0.iter().find(|(k, _)| *k == name).map_or(0.0, |s| s.1)
    }

    fn json(&self) -> Value {
        self.0
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect::<Map<_, _>>()
            .into()
    }
}

/// A task's splits as loaded, with its definition (a user task's metrics settle on the number of
/// train labels).
struct LoadedSplits {
    spec: TaskSpec,
    train: Split,
    dev: Option<Split>,
    test: Option<Split>,
}

fn load_splits(req: &TrainRequest, src: &TaskSource) -> Result<LoadedSplits> {
    let mut spec = src.spec.clone();
    let train = load_train(req, src, &mut spec)?;
    if src.custom && spec.kind() != TaskKind::Tokens {
        spec.settle_metrics(number_of_classes(&train));
    }
    let load = |p: &Option<PathBuf>| {
        p.as_ref()
            .map(|p| data::load_split_with(&spec, p, Labels::Required, src.delimiter, src.encoding))
            .transpose()
    };
    let (dev, test) = (load(&src.dev)?, load(&src.test)?);
    Ok(LoadedSplits {
        spec,
        train,
        dev,
        test,
    })
}

/// Predicts `split` (the top `k` labels) and scores it; warns on stderr about gold labels
/// the model never saw in train.
fn predict_and_score(
    pipeline: &Pipeline,
    spec: &TaskSpec,
    split: &Split,
    k: usize,
    pb: &ProgressBar,
) -> Result<(TaskScore, Vec<Prediction>)> {
    let preds = pipeline.predict(&split.examples, k)?;
    let (score, unseen) = pipeline.score(&split.examples, &preds)?;
    if !unseen.is_empty() {
        pb.suspend(|| {
            writeln!(
                crate::commands::notes(),
                "warning: {}: {} label(s) of {} never seen in train are counted wrong: {}",
                spec.name,
                unseen.len(),
                split.path.display(),
                unseen
                    .iter()
                    .take(5)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
    }
    Ok((score, preds))
}

/// The written half of a run: test predictions and the model file, staged in `set` to be
/// committed together with the run record.
struct StagedOutputs {
    set: OutputSet,
    predictions: Option<PathBuf>,
    model_file: PathBuf,
    bundle: Bundle,
    hyper: Value,
    digests: Vec<FileDigest>,
}

/// Stages the test predictions (when there is a scored test split) and the model file.
fn stage_outputs(
    req: &TrainRequest,
    src: &TaskSource,
    splits: &LoadedSplits,
    pipeline: Pipeline,
    test_preds: Option<&[Prediction]>,
) -> Result<StagedOutputs> {
    let spec = &splits.spec;
    let mut set = OutputSet::new();
    let predictions = match (&splits.test, test_preds) {
        (Some(split), Some(preds)) => {
            let path = out_dir(req).join(format!("{}.jsonl", spec.name));
            set.stage(&path, |w| fill_predictions(&pipeline, split, preds, w))?;
            Some(path)
        }
        _ => None,
    };
    let read = [Some(&src.train), src.dev.as_ref(), src.test.as_ref()];
    let digests = record::digests(read.into_iter().flatten())?;
    let hyper = pipeline.hyperparameters(&req.settings);
    let model_file = model_path(req, spec);
    let bundle = Bundle::trained(pipeline, &hyper, digests[0].clone());
    set.stage(&model_file, |w| bundle.write_to(w))?;
    Ok(StagedOutputs {
        set,
        predictions,
        model_file,
        bundle,
        hyper,
        digests,
    })
}

/// The run record of a trained task.
fn run_record(
    req: &TrainRequest,
    spec: &TaskSpec,
    staged: &StagedOutputs,
    dev: Option<&TaskScore>,
    test: Option<&TaskScore>,
    times: &StageTimes,
) -> RunRecord {
    let scores = |s: Option<&TaskScore>| s.map_or(Value::Null, record::scores_json);
    RunRecord::new(
        "train",
        spec,
        req.kind.name(),
        &staged.hyper,
        req.settings.seed,
        &staged.digests,
    )
    .with("fit", staged.bundle.pipeline.fit_summary())
    .with("dev", scores(dev))
    .with("test", scores(test))
    .with("seconds", times.json())
    .with(
        "predictions",
        json!(staged.predictions.as_ref().map(|p| p.display().to_string())),
    )
    .with("model_file", json!(staged.model_file.display().to_string()))
}

/// The folder of the run's predictions and run records.
fn out_dir(req: &TrainRequest) -> PathBuf {
    req.out.join(req.kind.name())
}

/// Trains and evaluates one task: load, fit, predict dev and test, then write the test
/// predictions, the model file and the run record as one set.
pub fn run_task(req: &TrainRequest, src: &TaskSource, log: &mut dyn Write) -> Result<TaskRun> {
    let mut times = StageTimes::default();
    let pb = spinner(format!("{}: loading", src.spec.name));
    let splits = times.time("load", || load_splits(req, src))?;
    let spec = &splits.spec;
    // The data read must be the data of the outputs this run replaces.
    let read = [Some(&src.train), src.dev.as_ref(), src.test.as_ref()];
    let digests = record::digests(read.into_iter().flatten())?;
    replace::check(
        &targets(req, src),
        &identity(req, src, spec),
        Some(&digests),
        req.force,
    )?;

    check_fit_cost(req, spec, &splits.train)?;
    pb.set_message(format!(
        "{}: fitting the {} model",
        spec.name,
        req.kind.name()
    ));
    let (pipeline, multi_label) = times.time("fit", || -> Result<_> {
        let mut p = pipeline::fit_logged(spec, req.kind, &req.settings, &splits.train, &mut |n| {
            crate::commands::note(n)
        })
        .with_context(|| format!("training {} on {}", spec.name, src.train.display()))?;
        let mut m = super::threshold::settle_threshold(
            req.tune_threshold,
            &mut p,
            splits.dev.as_ref(),
            &mut crate::commands::notes(),
        )?;
        if m.is_null() {
            let binary = (req.positive_label.as_deref(), req.settings.multi.threshold);
            let dev = splits.dev.as_ref().filter(|_| req.tune_threshold);
            m = super::threshold::settle_binary(
                binary,
                &mut p,
                dev,
                &mut crate::commands::notes(),
            )?;
        }
        Ok((p, m))
    })?;

    pb.set_message(format!("{}: predicting", spec.name));
    let k = spec.top_k.max(3);
    let (dev, test) = times.time("predict", || -> Result<_> {
        let score = |s: &Option<Split>| {
            s.as_ref()
                .map(|s| predict_and_score(&pipeline, spec, s, k, &pb))
                .transpose()
        };
        Ok((score(&splits.dev)?, score(&splits.test)?))
    })?;
    pb.finish_and_clear();
    let dev_score = dev.map(|(s, _)| s);
    let (test_score, test_preds) = test.unzip();

    let staged = times.time("write", || {
        stage_outputs(req, src, &splits, pipeline, test_preds.as_deref())
    })?;
    let record = run_record(
        req,
        spec,
        &staged,
        dev_score.as_ref(),
        test_score.as_ref(),
        &times,
    )
    .with_some(
        if spec.multi_label {
            "multi_label"
        } else {
            "binary"
        },
        multi_label,
    );
    let record_path = out_dir(req).join(format!("{}.run.json", spec.name));
    let StagedOutputs {
        mut set,
        predictions,
        model_file,
        bundle,
        ..
    } = staged;
    record.stage(&mut set, &record_path)?;
    set.commit()?;

    let run = TaskRun {
        pipeline: bundle.pipeline,
        dev: dev_score,
        test: test_score,
        predictions,
        model_file,
    };
    log_summary(log, req, src, spec, &run, times.seconds("fit"))?;
    Ok(run)
}

/// The task's line in the log: dev and test scores, where the predictions went.
fn log_summary(
    log: &mut dyn Write,
    req: &TrainRequest,
    src: &TaskSource,
    spec: &TaskSpec,
    run: &TaskRun,
    fit_secs: f64,
) -> Result<()> {
    let show = |s: &Option<TaskScore>| s.as_ref().map_or("—".to_string(), describe);
    // Scoring the split a model was trained on measures fit, not generalisation: say so.
    let dev_label = if src.dev.as_ref() == Some(&src.train) {
        "dev (= train)"
    } else {
        "dev"
    };
    writeln!(
        log,
        "{} ({}, trained on {} in {:.2}s): {dev_label} {} | test {}{}",
        spec.name,
        req.kind.name(),
        src.train.display(),
        fit_secs,
        show(&run.dev),
        show(&run.test),
        run.predictions
            .as_ref()
            .map_or(String::new(), |p| format!(" -> {}", p.display()))
    )?;
    Ok(())
}

/// `acc 49.76, hit3 72.75`.
pub fn describe(s: &TaskScore) -> String {
    s.values
        .iter()
        .map(|(m, v)| format!("{} {v:.2}", m.key()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs every requested task; with several built-in tasks, ends with the Table 3 row and the
/// paper's. Several tasks overlap: see [`run_overlapped`].
pub fn run(req: &TrainRequest, log: &mut dyn Write) -> Result<Vec<TaskRun>> {
    if req.model_out.is_some() && req.tasks.len() != 1 {
        bail!("--model-out needs a single task, not `all`");
    }
    let _locks = prepare_outputs(req, &mut crate::commands::notes())?;
    let runs = if req.tasks.len() > 1 {
        run_overlapped(req, log)?
    } else {
        let mut runs = Vec::new();
        for task in &req.tasks {
            runs.push(run_task(req, task, log)?);
        }
        runs
    };
    if req.tasks.len() > 1 {
        let scores: Vec<TaskScore> = runs.iter().filter_map(|r| r.test.clone()).collect();
        writeln!(log, "\nTest, % (Table 3 layout):")?;
        writeln!(log, "{}", table::table_header())?;
        writeln!(
            log,
            "{}",
            table::table_row(&format!("rumedbench {}", req.kind.name()), &scores)
        )?;
        if let Some(row) = table::paper_row(req.kind.paper_system()) {
            writeln!(log, "{row}")?;
        }
    }
    Ok(runs)
}

/// Runs the tagging tasks (a single-threaded CRF each) on a thread of their own while the
/// other tasks run in a rayon pool of the remaining threads (at least one), so no core idles
/// through the CRF and the CRF, the longest task, does not share its core: with the text
/// tasks in the whole pool, three busy threads on two cores stretched the CRF by a fifth.
/// Each task writes its log into its own buffer, replayed in task order afterwards; every
/// output file depends on its task alone and none on the thread count, so files are
/// byte-identical to a sequential run's. Every task runs even when one fails; the first
/// failure in task order is returned.
pub fn run_overlapped(req: &TrainRequest, log: &mut dyn Write) -> Result<Vec<TaskRun>> {
    let tagging =
        |src: &TaskSource| req.kind != ModelKind::Naive && src.spec.kind() == TaskKind::Tokens;
    let run_some = |pick: bool| {
        req.tasks
            .iter()
            .enumerate()
            .filter(|(_, src)| tagging(src) == pick)
            .map(|(i, src)| {
                let mut buf = Vec::new();
                let run = run_task(req, src, &mut buf);
                (i, run, buf)
            })
            .collect::<Vec<_>>()
    };
    let taggers = req.tasks.iter().filter(|src| tagging(src)).count();
    let threads = rayon::current_num_threads().saturating_sub(taggers).max(1);
    // A pool that cannot start (no threads left to the process) leaves the text tasks in the
    // global pool, as before.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .ok();
    let mut done = std::thread::scope(|scope| {
        let crf = scope.spawn(|| run_some(true));
        let mut done = match &pool {
            Some(pool) if taggers > 0 => pool.install(|| run_some(false)),
            _ => run_some(false),
        };
        match crf.join() {
            Ok(runs) => done.extend(runs),
            Err(panic) => std::panic::resume_unwind(panic),
        }
        done
    });
    done.sort_by_key(|(i, _, _)| *i);
    let mut runs = Vec::with_capacity(done.len());
    let mut first_error = None;
    for (_, run, buf) in done {
        log.write_all(&buf)?;
        match run {
            Ok(r) => runs.push(r),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(runs),
    }
}
