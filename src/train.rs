//! The `train` workflow: load splits, fit, score dev and test, write test predictions.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};

use crate::data::{self, Labels, Split, SplitName};
use crate::eval::{self, TaskScore};
use crate::output;
use crate::pipeline::{self, ModelKind, Pipeline, Prediction};
use crate::task::TaskSpec;

/// What to train and where to put the results.
#[derive(Debug, Clone)]
pub struct TrainRequest {
    /// Tasks to train, in order.
    pub tasks: Vec<TaskSpec>,
    /// Model family.
    pub kind: ModelKind,
    /// Where the task folders are.
    pub data_dir: PathBuf,
    /// Output root; predictions go to `<out>/<model>/<Task>.jsonl`.
    pub out: PathBuf,
    /// Train on this file instead of the task's train split (single task only).
    pub train_file: Option<PathBuf>,
    /// When a task's train split is not redistributable and absent (RuMedNLI), train on its
    /// dev split instead of failing, and say so. Set for `--task all`.
    pub dev_fallback: bool,
}

/// The result of training one task.
#[derive(Debug)]
pub struct TaskRun {
    /// The fitted pipeline.
    pub pipeline: Pipeline,
    /// The train file used.
    pub train_path: PathBuf,
    /// Dev scores.
    pub dev: TaskScore,
    /// Test scores.
    pub test: TaskScore,
    /// Where test predictions were written.
    pub predictions: PathBuf,
    /// Wall time of fitting.
    pub fit_time: Duration,
}

/// A spinner on a terminal, nothing otherwise (indicatif hides itself when stderr is not a
/// TTY, so redirected runs stay clean).
pub fn spinner(msg: String) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} [{elapsed}]")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.enable_steady_tick(Duration::from_millis(120));
    pb.set_message(msg);
    pb
}

fn load(task: &TaskSpec, path: &Path) -> Result<Split> {
    data::load_split(task, path, Labels::Required)
}

/// Writes test predictions in upstream's schema, atomically.
pub fn write_predictions(
    pipeline: &Pipeline,
    split: &Split,
    preds: &[Prediction],
    path: &Path,
) -> Result<()> {
    output::write_atomic(path, |w| {
        for (e, p) in split.examples.iter().zip(preds) {
            output::write_json_line(w, &pipeline.output_record(e, p))?;
        }
        Ok(())
    })
}

/// Trains and evaluates one task.
pub fn run_task(req: &TrainRequest, task: &TaskSpec, log: &mut dyn Write) -> Result<TaskRun> {
    let train_path = match &req.train_file {
        Some(p) => p.clone(),
        None => match data::split_path(&req.data_dir, task, SplitName::Train) {
            Ok(p) => p,
            Err(e) if req.dev_fallback && task.train_notice.is_some() => {
                writeln!(
                    log,
                    "note: {e}\nnote: {} is trained on its dev split instead; its figures are \
                     not comparable to the paper's.",
                    task.name
                )?;
                data::split_path(&req.data_dir, task, SplitName::Dev)?
            }
            Err(e) => return Err(e),
        },
    };
    let dev_path = data::split_path(&req.data_dir, task, SplitName::Dev)?;
    let test_path = data::split_path(&req.data_dir, task, SplitName::Test)?;
    let pb = spinner(format!("{}: loading", task.name));
    let train = load(task, &train_path)?;
    let dev = load(task, &dev_path)?;
    let test = load(task, &test_path)?;
    pb.set_message(format!("{}: fitting {} model", task.name, req.kind.name()));
    let t0 = Instant::now();
    let pipeline = pipeline::fit(task, req.kind, &train)
        .with_context(|| format!("training {} on {}", task.name, train_path.display()))?;
    let fit_time = t0.elapsed();
    pb.set_message(format!("{}: predicting", task.name));
    let k = task.top_k.max(3);
    let dev_pred = pipeline.predict(&dev.examples, k)?;
    let test_pred = pipeline.predict(&test.examples, k)?;
    pb.finish_and_clear();
    let (dev_score, dev_unseen) = pipeline.score(&dev.examples, &dev_pred)?;
    let (test_score, test_unseen) = pipeline.score(&test.examples, &test_pred)?;
    for (name, unseen) in [("dev", &dev_unseen), ("test", &test_unseen)] {
        if !unseen.is_empty() {
            writeln!(
                log,
                "warning: {}: {} {name} label(s) never seen in train are counted wrong: {}",
                task.name,
                unseen.len(),
                unseen
                    .iter()
                    .take(5)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )?;
        }
    }
    let predictions = req
        .out
        .join(req.kind.name())
        .join(format!("{}.jsonl", task.name));
    write_predictions(&pipeline, &test, &test_pred, &predictions)?;
    writeln!(
        log,
        "{} ({}, trained on {} in {:.2}s): dev {} | test {} -> {}",
        task.name,
        req.kind.name(),
        train_path.display(),
        fit_time.as_secs_f64(),
        describe(&dev_score),
        describe(&test_score),
        predictions.display()
    )?;
    Ok(TaskRun {
        pipeline,
        train_path,
        dev: dev_score,
        test: test_score,
        predictions,
        fit_time,
    })
}

/// `acc 49.76, hit3 72.75`.
pub fn describe(s: &TaskScore) -> String {
    s.values
        .iter()
        .map(|(m, v)| format!("{} {v:.2}", m.key()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Runs every requested task; with several tasks, ends with the Table 3 row and the paper's.
pub fn run(req: &TrainRequest, log: &mut dyn Write) -> Result<Vec<TaskRun>> {
    if req.train_file.is_some() && req.tasks.len() != 1 {
        bail!("--train-file needs a single --task, not `all`");
    }
    let mut runs = Vec::new();
    for task in &req.tasks {
        runs.push(run_task(req, task, log)?);
    }
    if req.tasks.len() > 1 {
        let scores: Vec<TaskScore> = runs.iter().map(|r| r.test.clone()).collect();
        writeln!(log, "\nTest, % (Table 3 layout):")?;
        writeln!(log, "{}", eval::table_header())?;
        writeln!(
            log,
            "{}",
            eval::table_row(&format!("rumedbench {}", req.kind.name()), &scores)
        )?;
        let paper = match req.kind {
            ModelKind::Naive => "Naive",
            ModelKind::Feature => "Feature-based",
        };
        if let Some(row) = eval::paper_row(paper) {
            writeln!(log, "{row}")?;
        }
    }
    Ok(runs)
}
