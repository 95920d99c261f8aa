//! Every command-line flag and its help text, in one place, and the dispatch to the
//! workflows. `main` only parses, calls [`run`], and reports the error chain.
//!
//! The doc comments below are clap's help texts, where `<DIR>`-style placeholders are the
//! command-line convention; rustdoc would read them as HTML tags.
#![allow(rustdoc::invalid_html_tags)]

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::{Parser, Subcommand};

use crate::commands::output_set;
use crate::commands::submit;
use crate::commands::train::{self, TrainRequest};
use crate::commands::tune;
use crate::data;
use crate::pipeline::{FitSettings, ModelKind};
use crate::task;

mod args;

use args::*;
pub use args::{
    CompareArgs, EvalArgs, Format, PredictArgs, ReportArgs, SubmitArgs, TestArgs, TrainArgs,
    TuneArgs, MAX_C, MAX_REPLICATES,
};

/// Train, score and serve the classical baselines of RuMedBench.
#[derive(Debug, Parser)]
#[command(name = "rumedbench", version, about, long_about = None)]
pub struct Cli {
    /// Print results only: no notes, warnings or progress on stderr (errors still are).
    #[arg(long, short = 'q', global = true)]
    pub quiet: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train a model, print dev and test metrics, write test predictions, the model file and a
    /// run record. A built-in task (--task) or a new one (--train with field flags, or
    /// --task-file).
    Train(Box<TrainArgs>),
    /// Tune the feature model on dev over a small fixed grid, retrain the best setting on
    /// train, and write its test predictions to <out>/tuned/<Task>.jsonl beside
    /// <Task>.tune.json (every grid point's dev scores and the choice), ending with a Table 3 row
    /// next to the paper's feature-based one.
    ///
    /// Grid, the paper's setting first. Text tasks (24 points): C in {10, 1, 100} x char
    /// n-gram range in {(3,8), (2,5)} x sublinear tf in {false, true} x class weight in {none,
    /// balanced}; train and dev are vectorized once per n-gram setting and only the classifier is
    /// refit. NER (6 points): CRF c1 in {0.1, 0.05, 0.2} x c2 in {0.01, 0.05}, two fits at a
    /// time. Selection: dev accuracy (NER: mean of dev token accuracy and entity F1); ties keep
    /// the earlier point, so the paper's setting wins ties. The search reads train and dev only;
    /// the chosen setting is retrained on train alone, and only then is test read. RuMedNLI
    /// needs its credentialed train split (dev is the selection set) and is skipped by `all`
    /// without it.
    Tune(Box<TuneArgs>),
    /// Apply a saved model to records (JSONL with the task's fields, or plain text lines),
    /// writing the top-k labels with probabilities (or tags and entity spans) per record.
    Predict(PredictArgs),
    /// Score a saved model on labelled records (JSONL, CSV or TSV with the task's fields, or
    /// others named by the field flags): accuracy, Hit@3 where the task has it, macro and
    /// weighted F1 (taggers: token accuracy and entity precision, recall, F1), and with
    /// --per-label each label's precision, recall, F1 and support, as scikit-learn's
    /// classification_report computes them (a zero denominator gives 0).
    Test(TestArgs),
    /// Show which character n-grams of a text pushed the feature model's top classes up or
    /// down (contribution = weight × tf-idf), with each class's intercept and probability; for
    /// a CRF tagger, each token's tag, its score split into attribute contributions (grouped by
    /// feature template) plus the transition from the previous tag, and the runner-up tag.
    Explain(crate::commands::explain::ExplainArgs),
    /// Score a directory of RuMed*.jsonl prediction files as upstream's eval.py does.
    Eval(EvalArgs),
    /// Compare two directories of prediction files with a paired bootstrap: per task and
    /// Overall, A − B of each metric, its 95% interval and a two-sided p-value.
    ///
    /// Each replicate draws one sample (with replacement) of a task's example ids and applies
    /// it to both A and B, so the interval accounts for the pairing. The interval is the 2.5%
    /// and 97.5% percentiles of the replicate differences (numpy's linear interpolation); the
    /// p-value is the paired bootstrap one, p = (1 + #{|d*_b − d| ≥ |d|}) / (N + 1), the share
    /// of centred replicate differences at least as extreme as the observed d. The two files of a
    /// task must hold the same ids. Only tasks present in both directories are compared (the
    /// others are listed as skipped and count 0 on both sides of Overall).
    Compare(CompareArgs),
    /// Draw a grouped bar chart (SVG or PNG, by the extension of --out) of each system's
    /// per-task primary figure (the mean of the task's metrics) and Overall, with 95%
    /// percentile bootstrap intervals as error bars, beside rows of the paper's Table 3.
    ///
    /// One group per built-in task (its short name) and Overall, when any directory holds a
    /// RuMedBench task; then one group per other task (its name) found in a directory (by the
    /// run record beside its predictions, or --task-file), with no Overall of its own. Each
    /// directory is one series, named after the directory or by --label. A directory missing
    /// some RuMedBench tasks has its Overall drawn pale and its legend says how many tasks
    /// Overall counts as 0. Each bar has its figure written above it (--no-values: not), and a
    /// task a directory has no predictions for is marked n/a in its slot and named in its
    /// legend. The title is neutral when no RuMedBench task is charted; --title, --x-title and
    /// --y-title replace the texts, --width/--height set the size (CSS pixels) and --dpi the
    /// PNG's resolution (recorded in the file). Text uses a bundled Latin and Cyrillic subset
    /// of DejaVu Sans, laid out with its side bearings and kerning, so no system font is
    /// needed.
    Report(ReportArgs),
    /// Make a MedBench leaderboard submission (medbench.ru): a zip of RuMedDaNet.jsonl,
    /// RuMedNLI.jsonl and RuMedTest.jsonl answering every record of each private test.
    ///
    /// DaNet and NLI are answered by the chosen model trained on the task's train split (NLI:
    /// on its dev split when the credentialed train split is absent, or on --nli-train);
    /// RuMedTest by upstream's TF-IDF solver (feature) or option 1 (naive). The answers are
    /// validated before the zip is written; a submission the leaderboard would reject is not
    /// written. The zip is deterministic.
    Submit(Box<SubmitArgs>),
}

impl Cli {
    /// Parses a command line, noting which recipe flags `train` was given on it (so that they,
    /// and only they, override the task file's keys).
    pub fn parse_args<I, T>(args: I) -> std::result::Result<Cli, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        use clap::parser::ValueSource;
        use clap::{CommandFactory, FromArgMatches};
        let mut cmd = Cli::command();
        let matches = cmd.try_get_matches_from_mut(args)?;
        let mut cli = Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut cmd))?;
        if let (Command::Train(t), Some(("train", sub))) = (&mut cli.command, matches.subcommand())
        {
            t.given = sub
                .ids()
                .map(|id| id.as_str().to_string())
                .filter(|id| sub.value_source(id) == Some(ValueSource::CommandLine))
                .collect();
        }
        Ok(cli)
    }
}

/// Runs a parsed command line, writing results to `out` and notes to `err`.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> Result<()> {
    crate::commands::set_quiet(cli.quiet);
    let mut sink = std::io::sink();
    let err: &mut dyn Write = if cli.quiet { &mut sink } else { err };
    // A set that a killed run left half-replaced in a folder this command reads (or writes a
    // single file into) is put back first; train and tune do it under their locks.
    for dir in folders_read(&cli.command) {
        output_set::recover_for_read(&dir, err);
    }
    match cli.command {
        Command::Train(args) => {
            let tasks = args.sources(err)?;
            check_text_flags(&args, &tasks)?;
            let req = TrainRequest {
                tasks,
                kind: args.model,
                settings: args.settings()?,
                out: args.out.clone(),
                models_dir: args.models_dir.clone(),
                model_out: args.model_out.clone(),
                tune_threshold: args.tune_threshold,
                positive_label: args.positive_label.clone(),
                force: args.force,
                max_memory: args.max_memory,
            };
            train::run(&req, out)?;
        }
        Command::Tune(args) => {
            let data_dir = data::resolve_data_dir(args.data_dir.as_deref());
            let flags = args.custom_flags();
            let custom = args.task_file.is_some() || flags != task::TaskFile::default();
            let tasks = match (&args.task, custom) {
                (Some(_), true) => bail!(
                    "--task tunes a built-in task; --train/--task-file and the field flags define \
                     a new one: use one or the other"
                ),
                (Some(t), false) => tune::sources(t, &data_dir, err)?,
                (None, true) => tune::flag_sources(args.task_file.as_deref(), flags)?,
                (None, false) => bail!("tune needs --task, --task-file or --train"),
            };
            if args.model == ModelKind::Naive {
                bail!("--model naive has nothing to tune: tune takes --model feature or plus");
            }
            // Every key of a task file is kept at every grid point, as `train` keeps it.
            let mut base = FitSettings::default();
            if let Some(p) = &args.task_file {
                let file = task::TaskFile::load(p, &crate::recipe::all_keys())?.recipe;
                if let (ModelKind::Plus, Some(k)) = (args.model, file.keys().find(|k| *k != "seed"))
                {
                    bail!(
                        "{}: `{k}` sets the recipe; tune --model plus tunes around the fixed \
                         plus preset: to tune other settings, use --model feature (the task \
                         file's keys, `[[blocks]]` tables included, are kept at every point)",
                        p.display()
                    );
                }
                let text: crate::recipe::TextRecipe = crate::recipe::layered(&[&file])
                    .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
                let crf: crate::recipe::CrfRecipe = crate::recipe::layered(&[&file])
                    .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
                let (text, crf) = (text.check(), crf.check());
                base = FitSettings::new(
                    &text.map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
                    &crf.map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
                );
            }
            let kind = tasks.first().map(|t| t.spec.kind());
            let grid = tune::GridValues::parse(&args.grid, kind.unwrap_or(task::TaskKind::Single))?;
            let req = tune::TuneRequest {
                tasks,
                seed: args.seed,
                out: args.out.clone(),
                models_dir: args.models_dir.clone(),
                budget: args.budget,
                force: args.force,
                max_memory: args.max_memory,
                base,
                select_by: args.select_by.clone(),
                grid,
                positive_label: args.positive_label.clone(),
                model: args.model,
            };
            tune::run(&req, out)?;
        }
        Command::Predict(args) => args.run(out)?,
        Command::Test(args) => args.run(out, err)?,
        Command::Explain(args) => crate::commands::explain::run(&args, out)?,
        Command::Eval(args) => args.run(out)?,
        Command::Compare(args) => args.run(out)?,
        Command::Report(args) => args.run(out, err)?,
        Command::Submit(args) => args.run(out, err)?,
    }
    Ok(())
}

/// The output folders `command` reads, or writes a single file into.
fn folders_read(command: &Command) -> Vec<PathBuf> {
    let parent = |p: &Path| match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    match command {
        Command::Train(_) | Command::Tune(_) => Vec::new(),
        Command::Predict(a) => vec![parent(&a.model)],
        Command::Explain(a) => vec![parent(&a.model)],
        Command::Test(a) => std::iter::once(parent(&a.model))
            .chain(a.out.as_deref().map(parent))
            .collect(),
        Command::Eval(a) => vec![a.dir.clone()],
        Command::Compare(a) => vec![a.dir_a.clone(), a.dir_b.clone()],
        Command::Report(a) => a.dirs.iter().cloned().chain([parent(&a.out)]).collect(),
        Command::Submit(a) => {
            let zip = a.check.clone().or_else(|| a.out.clone());
            let zip = zip.unwrap_or_else(|| submit::default_out(a.model));
            std::iter::once(parent(&zip))
                .chain(a.compare_with.clone())
                .collect()
        }
    }
}

/// For an unknown `--flag`, the known long flag it most likely meant: the same letters in
/// another case (`--c` for `--C`), or one edit away. Clap's own suggestions miss case-only
/// differences.
pub fn near_miss(err: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if err.kind() != ErrorKind::UnknownArgument {
        return None;
    }
    let Some(ContextValue::String(given)) = err.get(ContextKind::InvalidArg) else {
        return None;
    };
    let given = given.split('=').next()?.trim_start_matches('-').to_string();
    let cmd = <Cli as clap::CommandFactory>::command();
    let mut best: Option<(usize, String)> = None;
    for sub in cmd.get_subcommands() {
        for arg in sub.get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            let d = if long.eq_ignore_ascii_case(&given) {
                0
            } else {
                edit_distance(long, &given)
            };
            if d <= 1 && best.as_ref().is_none_or(|b| d < b.0) {
                best = Some((d, long.to_string()));
            }
        }
    }
    best.map(|b| format!("--{}", b.1))
}

/// Levenshtein distance of two short strings.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}
