//! Every command-line flag and its help text, in one place, and the dispatch to the
//! workflows. `main` only parses, calls [`run`], and reports the error chain.
//!
//! The doc comments below are clap's help texts, where `<DIR>`-style placeholders are the
//! command-line convention; rustdoc would read them as HTML tags.
#![allow(rustdoc::invalid_html_tags)]

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use clap::{Parser, Subcommand, ValueEnum};

use crate::bundle::Bundle;
use crate::commands::predict::{self, PredictFormat};
use crate::commands::report;
use crate::commands::submit;
use crate::commands::test;
use crate::commands::train::{self, TaskSource, TrainRequest};
use crate::commands::tune;
use crate::data;
use crate::features::analyzer::Analyzer;
use crate::features::limit::DocFreq;
use crate::pipeline::{FitSettings, ModelKind};
use crate::scoring::bootstrap;
use crate::scoring::eval;
use crate::scoring::per_label;
use crate::task;

/// Train, score and serve the classical baselines of RuMedBench.
#[derive(Debug, Parser)]
#[command(name = "rumedbench", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Output format of `eval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A Markdown table in the layout of the paper's Table 3.
    Table,
    /// `{"tasks": {...}, "overall": x, "missing": [...]}` with full-precision floats.
    Json,
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
    /// down (contribution = weight × tf-idf), with each class's intercept and probability.
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
    /// Overall counts as 0. Text uses a bundled Latin and Cyrillic subset of DejaVu Sans, so no
    /// system font is needed.
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

/// `--task`'s help, from the task registry.
fn task_help() -> String {
    format!("Built-in task: {}, or `all`", task::builtin_list())
}

/// The help of `eval`'s directory, from the task registry.
fn eval_dir_help() -> String {
    let files: Vec<String> = task::builtin()
        .iter()
        .map(|t| format!("{}.jsonl", t.name))
        .collect();
    format!("Directory holding {} (any subset)", files.join(", "))
}

/// `--paper`'s help, from the paper's systems.
fn paper_help() -> String {
    let rows: Vec<String> = task::PAPER_SYSTEMS
        .iter()
        .map(|s| s.to_lowercase())
        .collect();
    format!(
        "Paper rows to draw, comma-separated, from {}; or `none`",
        rows.join(", ")
    )
}

/// Flags of `predict`.
#[derive(Debug, Clone, clap::Args)]
pub struct PredictArgs {
    /// Model file written by `train` (models/<Task>-<model>.rmb).
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// Input file; `-` or absent reads standard input.
    #[arg(long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// How many labels to keep per record.
    #[arg(long, default_value_t = 3)]
    pub top_k: usize,
    /// Output format.
    #[arg(long, value_enum, default_value_t = PredictFormat::Jsonl)]
    pub format: PredictFormat,
    /// Read the input as CSV-like with a header and this field delimiter, whatever its
    /// extension: one character, or `\t`, `tab`, `comma`, `semicolon`, `pipe`, `space`
    /// [default: by extension, `.csv` comma, `.tsv` tab; other files are JSONL or text lines].
    #[arg(long, value_name = "C", value_parser = data::parse_delimiter)]
    pub delimiter: Option<u8>,
    /// The input's id field [default: the task's].
    #[arg(long, value_name = "NAME")]
    pub id_field: Option<String>,
    /// The input's text field (twice for a text-pair task) [default: the task's].
    #[arg(long, value_name = "NAME")]
    pub text_field: Vec<String>,
    /// The input's token-list field (taggers) [default: the task's].
    #[arg(long, value_name = "NAME")]
    pub tokens_field: Option<String>,
}

/// Flags of `test`.
#[derive(Debug, Clone, clap::Args)]
pub struct TestArgs {
    /// Model file written by `train`.
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// Labelled records to score.
    #[arg(long, value_name = "FILE")]
    pub input: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Add each label's precision, recall, F1 and support, and their averages.
    #[arg(long)]
    pub per_label: bool,
    /// Also write the predictions, in the schema `train` writes, to this file.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The input's id field [default: the task's].
    #[arg(long, value_name = "NAME")]
    pub id_field: Option<String>,
    /// The input's text field (twice for a text-pair task) [default: the task's].
    #[arg(long, value_name = "NAME")]
    pub text_field: Vec<String>,
    /// The input's label field [default: the task's].
    #[arg(long, value_name = "NAME")]
    pub label_field: Option<String>,
    /// The input's token-list field (taggers) [default: the task's].
    #[arg(long, value_name = "NAME")]
    pub tokens_field: Option<String>,
    /// The input's tag-list field (taggers) [default: the task's].
    #[arg(long, value_name = "NAME")]
    pub tags_field: Option<String>,
    /// Read the input as CSV-like with a header and this field delimiter, whatever its
    /// extension: one character, or `\t`, `tab`, `comma`, `semicolon`, `pipe`, `space`.
    #[arg(long, value_name = "C", value_parser = data::parse_delimiter)]
    pub delimiter: Option<u8>,
}

impl TestArgs {
    fn run(&self, out: &mut dyn Write, err: &mut dyn Write) -> Result<()> {
        let req = test::TestRequest {
            model: self.model.clone(),
            input: self.input.clone(),
            fields: test::FieldMap {
                id: self.id_field.clone(),
                text: self.text_field.clone(),
                label: self.label_field.clone(),
                tokens: self.tokens_field.clone(),
                tags: self.tags_field.clone(),
            },
            per_label: self.per_label,
            out: self.out.clone(),
            delimiter: self.delimiter,
        };
        test::print(&req, self.format == Format::Json, out, err)
    }
}

/// Flags of `eval`.
#[derive(Debug, Clone, clap::Args)]
pub struct EvalArgs {
    #[arg(help = eval_dir_help())]
    pub dir: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Check ids against <DIR>/<Task>/test_v1.jsonl and take the gold labels from there,
    /// instead of the labels the prediction files carry.
    #[arg(long, value_name = "DATA_DIR")]
    pub gold: Option<PathBuf>,
    /// Add a 95% percentile bootstrap interval to every metric and to Overall, from N
    /// replicates that resample each task's test examples (NER: sentences) with
    /// replacement, independently per task. The interval is the 2.5% and 97.5% quantiles
    /// of the replicates, interpolated linearly as numpy's default. JSON gains
    /// `"acc_ci95": [lo, hi]` beside `"acc"` (likewise hit3, f1) and `"overall_ci95"`.
    /// N is at most 100000 (the replicates' values are kept for exact quantiles: 8 bytes
    /// per metric and replicate, under 10 MB).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=MAX_REPLICATES as i64))]
    pub bootstrap: Option<u32>,
    /// Seed of the bootstrap; the same seed gives the same intervals on any machine and
    /// any number of threads.
    #[arg(long, value_name = "S", default_value_t = bootstrap::DEFAULT_SEED)]
    pub seed: u64,
    /// Add precision, recall, F1 and support for each label (classification: top-1
    /// prediction against gold, support = gold count; NER: each entity type, counted as
    /// seqeval does), plus their "macro avg" (unweighted mean of the labels' figures) and
    /// "micro avg" (figures of the summed counts). Labels are those seen in gold or
    /// prediction; a zero denominator gives 0. JSON: `"per_label"` under each task.
    #[arg(long)]
    pub per_label: bool,
    /// The system's name in the table [default: the directory as given].
    #[arg(long, value_name = "NAME")]
    pub label: Option<String>,
    /// Also score <DIR>/<name>.jsonl of the task this task file defines (tasks whose run
    /// record lies beside their predictions are found without it).
    #[arg(long, value_name = "FILE")]
    pub task_file: Vec<PathBuf>,
    /// Add this label's precision, recall and F1 (the positive class of a binary task) to
    /// every classification task that has it.
    #[arg(long, value_name = "LABEL")]
    pub positive_label: Option<String>,
}

/// Flags of `compare`.
#[derive(Debug, Clone, clap::Args)]
pub struct CompareArgs {
    /// System A's directory of RuMed*.jsonl files.
    pub dir_a: PathBuf,
    /// System B's directory.
    pub dir_b: PathBuf,
    /// Number of bootstrap replicates.
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(1..=MAX_REPLICATES as i64))]
    pub bootstrap: u32,
    /// Seed of the bootstrap.
    #[arg(long, value_name = "S", default_value_t = bootstrap::DEFAULT_SEED)]
    pub seed: u64,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Flags of `report`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportArgs {
    /// Directories of RuMed*.jsonl prediction files, one series each.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// The chart file to write (`.svg` or `.png`), replaced atomically.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    #[arg(long, value_name = "ROWS", default_value = report::DEFAULT_PAPER_ROWS,
          help = paper_help())]
    pub paper: String,
    /// Bootstrap replicates for the error bars.
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(1..=MAX_REPLICATES as i64))]
    pub bootstrap: u32,
    /// Seed of the bootstrap.
    #[arg(long, value_name = "S", default_value_t = bootstrap::DEFAULT_SEED)]
    pub seed: u64,
    /// Name a directory's series (any Unicode the bundled font covers: Latin, Cyrillic);
    /// repeatable.
    #[arg(long, value_name = "DIR=NAME", value_parser = parse_label)]
    pub label: Vec<(PathBuf, String)>,
    /// The chart's title.
    #[arg(long, default_value = report::DEFAULT_TITLE)]
    pub title: String,
    /// Also chart <DIR>/<name>.jsonl of the task this task file defines, in every folder
    /// that holds it (tasks whose run record lies beside their predictions need none).
    #[arg(long, value_name = "FILE")]
    pub task_file: Vec<PathBuf>,
}

/// Parses `--label DIR=NAME`.
fn parse_label(s: &str) -> std::result::Result<(PathBuf, String), String> {
    match s.rsplit_once('=') {
        Some((d, n)) if !d.is_empty() && !n.trim().is_empty() => {
            Ok((PathBuf::from(d), n.trim().to_string()))
        }
        _ => Err(format!("expected DIR=NAME, got {s:?}")),
    }
}

/// Flags of `submit`.
#[derive(Debug, Clone, clap::Args)]
pub struct SubmitArgs {
    /// Model answering DaNet and NLI (and choosing the RuMedTest solver).
    #[arg(long, short, value_enum, default_value_t = ModelKind::Feature)]
    pub model: ModelKind,
    /// The zip to write (replaced atomically) [default: out/submission-<model>.zip].
    #[arg(long, value_name = "FILE.zip")]
    pub out: Option<PathBuf>,
    /// Folder holding <Task>/{train,dev,private_test}_v1.jsonl [default: $RUMEDBENCH_DATA,
    /// else ./data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Train NLI on this file instead of its (credentialed) train split.
    #[arg(long, value_name = "FILE")]
    pub nli_train: Option<PathBuf>,
    /// Print the share of answers equal to those of a folder of RuMed*.jsonl submission files
    /// (e.g. upstream's reference TF-IDF submission), matched by id.
    #[arg(long, value_name = "DIR")]
    pub compare_with: Option<PathBuf>,
    /// Only validate an existing submission zip against the private tests, writing nothing.
    #[arg(long, value_name = "FILE.zip", conflicts_with_all = ["out", "nli_train", "compare_with"])]
    pub check: Option<PathBuf>,
}

impl SubmitArgs {
    fn run(&self, out: &mut dyn Write, err: &mut dyn Write) -> Result<()> {
        let data_dir = data::resolve_data_dir(self.data_dir.as_deref());
        if let Some(zip) = &self.check {
            let counts = submit::check_zip(zip, &data_dir)?;
            let parts: Vec<String> = counts.iter().map(|(f, n)| format!("{f} {n}")).collect();
            writeln!(out, "{}: valid ({})", zip.display(), parts.join(", "))?;
            return Ok(());
        }
        let req = submit::SubmitRequest {
            kind: self.model,
            out: self
                .out
                .clone()
                .unwrap_or_else(|| submit::default_out(self.model)),
            data_dir,
            nli_train: self.nli_train.clone(),
            compare_with: self.compare_with.clone(),
            settings: FitSettings::default(),
        };
        submit::run(&req, out, err)?;
        Ok(())
    }
}

/// Flags of `train`.
#[derive(Debug, Clone, clap::Args)]
pub struct TrainArgs {
    #[arg(long, short, help = task_help())]
    pub task: Option<String>,
    /// Model: `feature` (tf-idf + logistic regression; CRF for tagging) or `naive`.
    #[arg(long, short, value_enum, default_value_t = ModelKind::Feature)]
    pub model: ModelKind,
    /// Folder holding <Task>/{train,dev,test}_v1.jsonl [default: $RUMEDBENCH_DATA, else ./data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Output root: predictions go to <out>/<model>/<Task>.jsonl, beside <Task>.run.json.
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,
    /// Where model files go: <models-dir>/<Task>-<model>.rmb.
    #[arg(long, value_name = "DIR", default_value = "models")]
    pub models_dir: PathBuf,
    /// Save the model to exactly this path (single task).
    #[arg(long, value_name = "PATH")]
    pub model_out: Option<PathBuf>,
    /// Built-in task: train on this file instead of its train split (e.g. RuMedNLI, whose
    /// train split is credentialed).
    #[arg(long, value_name = "FILE")]
    pub train_file: Option<PathBuf>,
    /// Seed for randomised steps (the solver's coordinate order).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Replace predictions, run record and model file even when they were written for another
    /// task, other data or other settings (without it, such files are refused).
    #[arg(long)]
    pub force: bool,
    /// Text model: inverse regularisation strength C of the logistic regression [default: 10].
    #[arg(long = "C", value_name = "C", help_heading = "Recipe", value_parser = parse_c)]
    pub c: Option<f64>,
    /// Text model: the dual solver's stopping tolerance (largest dual gradient of an epoch)
    /// [default: 0.1].
    #[arg(long, help_heading = "Recipe", value_parser = parse_tol)]
    pub tol: Option<f64>,
    /// Text model: shortest and longest character n-gram [default: 3,8].
    #[arg(long, value_name = "MIN,MAX", value_parser = parse_range, help_heading = "Recipe")]
    pub ngram_range: Option<(usize, usize)>,
    /// Text model: term frequency 1 + ln(tf) instead of raw counts.
    #[arg(long, help_heading = "Recipe")]
    pub sublinear_tf: bool,
    /// Text model: class weights, `none` or `balanced` (n / (classes × class count)).
    #[arg(long, value_name = "none|balanced", value_parser = ["none", "balanced"], help_heading = "Recipe")]
    pub class_weight: Option<String>,
    /// CRF: L1 regularisation coefficient [default: 0.1].
    #[arg(long, help_heading = "Recipe")]
    pub c1: Option<f64>,
    /// CRF: L2 regularisation coefficient [default: 0.01].
    #[arg(long, help_heading = "Recipe")]
    pub c2: Option<f64>,
    /// CRF: L-BFGS iterations [default: 200].
    #[arg(long, help_heading = "Recipe")]
    pub max_iterations: Option<usize>,
    /// Text model: hash n-grams into 2^BITS columns (scikit-learn's HashingVectorizer,
    /// alternate_sign=False) instead of learning a vocabulary, so memory stops growing with
    /// the vocabulary; 1..=31.
    #[arg(long, value_name = "BITS", value_parser = clap::value_parser!(u8).range(1..=31), help_heading = "Recipe")]
    pub hash_features: Option<u8>,
    /// Text model: how texts are cut into terms, as scikit-learn's analyzer: `char` (character
    /// n-grams), `char_wb` (character n-grams inside space-padded words) or `word` (n-grams of
    /// `(?u)\b\w\w+\b` tokens, joined by a space) [default: char].
    #[arg(long, value_name = "char|char_wb|word", help_heading = "Recipe")]
    pub analyzer: Option<Analyzer>,
    /// Text model: drop terms found in fewer training documents: an integer is a number of
    /// documents, a number with a point (0.01) a fraction of them [default: 1].
    #[arg(long, value_name = "N|FRACTION", help_heading = "Recipe")]
    pub min_df: Option<DocFreq>,
    /// Text model: drop terms found in more training documents: an integer is a number of
    /// documents, a number with a point (0.9) a fraction of them [default: 1.0].
    #[arg(long, value_name = "N|FRACTION", help_heading = "Recipe")]
    pub max_df: Option<DocFreq>,
    /// Text model: keep only the N terms with the highest term frequency over the training
    /// documents (ties: the earlier term in code point order) [default: all].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..), help_heading = "Recipe")]
    pub max_features: Option<u64>,

    /// New task: a TOML task file naming the fields and files (flags below override it).
    #[arg(long, value_name = "FILE", help_heading = "Your own task")]
    pub task_file: Option<PathBuf>,
    /// New task: train file, JSONL or CSV with a header (by extension).
    #[arg(long, value_name = "FILE", help_heading = "Your own task")]
    pub train: Option<PathBuf>,
    /// New task: dev file.
    #[arg(long, value_name = "FILE", help_heading = "Your own task")]
    pub dev: Option<PathBuf>,
    /// New task: test file (its predictions are written).
    #[arg(long, value_name = "FILE", help_heading = "Your own task")]
    pub test: Option<PathBuf>,
    /// New task: the text field; give it twice for a text-pair task.
    #[arg(long, value_name = "NAME", help_heading = "Your own task")]
    pub text_field: Vec<String>,
    /// New task: the label field.
    #[arg(long, value_name = "NAME", help_heading = "Your own task")]
    pub label_field: Option<String>,
    /// New tagging task: the token-list field (CSV: a JSON list or space-separated tokens).
    #[arg(long, value_name = "NAME", help_heading = "Your own task")]
    pub tokens_field: Option<String>,
    /// New tagging task: the IOB tag-list field.
    #[arg(long, value_name = "NAME", help_heading = "Your own task")]
    pub tags_field: Option<String>,
    /// New task: the id field [default: records are numbered from 1].
    #[arg(long, value_name = "NAME", help_heading = "Your own task")]
    pub id_field: Option<String>,
    /// New task: read the train, dev and test files as CSV-like with a header and this field
    /// delimiter, whatever their extension: one character, or `\t`, `tab`, `comma`,
    /// `semicolon`, `pipe`, `space` [default: by extension, `.csv` comma, `.tsv` tab, else
    /// JSONL].
    #[arg(long, value_name = "C", value_parser = check_delimiter, help_heading = "Your own task")]
    pub delimiter: Option<String>,
    /// New task: its name [default: the task file's name, else the train file's stem, or its
    /// folder's name for `train.jsonl`].
    #[arg(long, value_name = "NAME", help_heading = "Your own task", value_parser = parse_name)]
    pub name: Option<String>,
    /// New task: multi-label, each label field a set of labels (a JSON list, or a CSV/TSV cell
    /// split by --label-separator) [default: inferred: multi-label when train's first label is a
    /// JSON list].
    #[arg(long, help_heading = "Multi-label")]
    pub multi_label: bool,
    /// Multi-label: split text labels (CSV/TSV cells) at this string; makes the task
    /// multi-label.
    #[arg(long, value_name = "S", help_heading = "Multi-label")]
    pub label_separator: Option<String>,
    /// Multi-label: predict the labels whose probability is at least T, in (0, 1)
    /// [default: 0.5].
    #[arg(long, value_name = "T", value_parser = parse_threshold, help_heading = "Multi-label")]
    pub threshold: Option<f64>,
    /// Multi-label: allow an empty predicted set (otherwise the most probable label is always
    /// predicted).
    #[arg(long, help_heading = "Multi-label")]
    pub allow_empty: bool,
    /// Multi-label: choose the threshold with the best dev micro-F1 among 0.1, 0.2, ..., 0.9
    /// (ties keep 0.5) and keep it in the model; needs a dev file.
    #[arg(long, help_heading = "Multi-label")]
    pub tune_threshold: bool,
}

/// `--threshold`: a number in (0, 1).
fn parse_threshold(s: &str) -> std::result::Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if !(v > 0.0 && v < 1.0) {
        return Err(format!("the threshold must be in (0, 1), got {s}"));
    }
    Ok(v)
}

/// Most bootstrap replicates `--bootstrap` accepts: every replicate's values are kept for
/// exact quantiles (8 bytes per metric and replicate), so memory stays under ~10 MB.
pub const MAX_REPLICATES: u32 = 100_000;

/// Largest `--C` accepted: beyond it the solver's weights overflow long before they help.
pub const MAX_C: f64 = 1e6;

/// `--C`: a finite number in (0, [`MAX_C`]].
fn parse_c(s: &str) -> std::result::Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if !(v.is_finite() && v > 0.0 && v <= MAX_C) {
        return Err(format!("C must be > 0 and <= {MAX_C:e}, got {s}"));
    }
    Ok(v)
}

/// `--tol`: a finite number > 0.
fn parse_tol(s: &str) -> std::result::Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not a number"))?;
    if !(v.is_finite() && v > 0.0) {
        return Err(format!("tol must be a finite number > 0, got {s}"));
    }
    Ok(v)
}

/// `train --delimiter`: checked when parsed, kept as written (the task file's form).
fn check_delimiter(s: &str) -> std::result::Result<String, String> {
    data::parse_delimiter(s).map(|_| s.to_string())
}

/// `--name`: it names output files, so it is a plain file-name stem.
fn parse_name(s: &str) -> std::result::Result<String, String> {
    if s.is_empty()
        || s.starts_with('.')
        || s.contains(['/', '\\'])
        || s.chars().any(char::is_control)
    {
        return Err(format!(
            "{s:?} cannot name output files: give a non-empty name without '/', '\\', control \
             characters or a leading '.'"
        ));
    }
    Ok(s.to_string())
}

/// Recipe flags of one model refused where that model is not trained: the text model's
/// (`--C`, `--tol`, `--ngram-range`, `--sublinear-tf`, `--class-weight`) for the naive model
/// and tagging tasks, the CRF's (`--c1`, `--c2`, `--max-iterations`) for the naive model and
/// text tasks.
fn check_text_flags(args: &TrainArgs, tasks: &[TaskSource]) -> Result<()> {
    let text = [
        ("--C", args.c.is_some()),
        ("--tol", args.tol.is_some()),
        ("--ngram-range", args.ngram_range.is_some()),
        ("--sublinear-tf", args.sublinear_tf),
        ("--class-weight", args.class_weight.is_some()),
        ("--analyzer", args.analyzer.is_some()),
        ("--min-df", args.min_df.is_some()),
        ("--max-df", args.max_df.is_some()),
        ("--max-features", args.max_features.is_some()),
    ];
    let crf = [
        ("--c1", args.c1.is_some()),
        ("--c2", args.c2.is_some()),
        ("--max-iterations", args.max_iterations.is_some()),
    ];
    let tagging = |t: &&TaskSource| t.spec.kind() == crate::task::TaskKind::Tokens;
    for (flags, model, wrong_task) in [
        (
            &text[..],
            "the text model (tf-idf + logistic regression)",
            tasks.iter().find(tagging),
        ),
        (&crf[..], "the CRF", tasks.iter().find(|t| !tagging(t))),
    ] {
        let Some((flag, _)) = flags.iter().find(|f| f.1) else {
            continue;
        };
        if args.model == ModelKind::Naive {
            anyhow::bail!("{flag} sets {model}; it does not apply to --model naive");
        }
        if let Some(t) = wrong_task {
            anyhow::bail!(
                "{flag} sets {model}, which task {} does not use",
                t.spec.name
            );
        }
    }
    Ok(())
}

/// Flags of `tune`.
#[derive(Debug, Clone, clap::Args)]
pub struct TuneArgs {
    #[arg(long, short, help = task_help(), required_unless_present = "task_file",
          conflicts_with = "task_file")]
    pub task: Option<String>,
    /// Your own task: a TOML task file with train, dev and test files.
    #[arg(long, value_name = "FILE")]
    pub task_file: Option<PathBuf>,
    /// Seconds the search on dev may take per task (as fastText's autotune duration): grid
    /// points whose turn comes later are not tried, and the record says how many were. The
    /// paper's setting is always tried.
    #[arg(long, value_name = "SECONDS", value_parser = parse_budget)]
    pub budget: Option<f64>,
    /// Folder holding <Task>/{train,dev,test}_v1.jsonl [default: $RUMEDBENCH_DATA, else ./data].
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Output root: results go to <out>/tuned/<Task>.jsonl and <Task>.tune.json.
    #[arg(long, value_name = "DIR", default_value = "out")]
    pub out: PathBuf,
    /// Where the retrained models go: <models-dir>/<Task>-tuned.rmb.
    #[arg(long, value_name = "DIR", default_value = "models")]
    pub models_dir: PathBuf,
    /// Seed for randomised steps (the solver's coordinate order), the same at every point.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Replace results written for another task, other data or another seed (without it,
    /// such files are refused).
    #[arg(long)]
    pub force: bool,
}

/// Parses `--budget SECONDS`: a positive, finite number.
fn parse_budget(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("expected a positive number of seconds, got {s:?}")),
    }
}

/// Parses `--ngram-range MIN,MAX`.
fn parse_range(s: &str) -> std::result::Result<(usize, usize), String> {
    let parsed = s
        .split_once(',')
        .and_then(|(a, b)| Some((a.trim().parse().ok()?, b.trim().parse().ok()?)));
    match parsed {
        Some((a, b)) if a >= 1 && a <= b => Ok((a, b)),
        _ => Err(format!(
            "expected MIN,MAX with 1 <= MIN <= MAX (e.g. 3,8), got {s:?}"
        )),
    }
}

impl TrainArgs {
    /// The recipe the flags set.
    fn recipe(&self) -> crate::pipeline::Recipe {
        crate::pipeline::Recipe {
            c: self.c,
            tol: self.tol,
            ngram_range: self.ngram_range,
            sublinear_tf: self.sublinear_tf.then_some(true),
            class_weight_balanced: self.class_weight.as_deref().map(|w| w == "balanced"),
            c1: self.c1,
            c2: self.c2,
            max_iterations: self.max_iterations,
            hash_features: self.hash_features,
            analyzer: self.analyzer,
            min_df: self.min_df,
            max_df: self.max_df,
            max_features: self.max_features.map(|n| n as usize),
            threshold: self.threshold,
            allow_empty: self.allow_empty.then_some(true),
        }
    }

    /// The settings: the paper's recipe, then the task file's settings, then the flags'.
    fn settings(&self) -> Result<FitSettings> {
        let mut s = FitSettings {
            seed: self.seed,
            ..FitSettings::default()
        };
        if let Some(p) = &self.task_file {
            let recipe = task::TaskFile::load(p)?
                .recipe()
                .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
            s.apply(&recipe);
        }
        s.apply(&self.recipe());
        Ok(s)
    }

    fn custom_flags(&self) -> task::TaskFile {
        task::TaskFile {
            name: self.name.clone(),
            id_field: self.id_field.clone(),
            text_fields: self.text_field.clone(),
            label_field: self.label_field.clone(),
            tokens_field: self.tokens_field.clone(),
            tags_field: self.tags_field.clone(),
            train: self.train.clone(),
            dev: self.dev.clone(),
            test: self.test.clone(),
            delimiter: self.delimiter.clone(),
            multi_label: self.multi_label.then_some(true),
            label_separator: self.label_separator.clone(),
            ..task::TaskFile::default()
        }
    }

    /// Resolves the tasks and files to train on.
    pub fn sources(&self, log: &mut dyn Write) -> Result<Vec<TaskSource>> {
        let flags = self.custom_flags();
        let custom = self.task_file.is_some() || flags != task::TaskFile::default();
        match (&self.task, custom) {
            (Some(_), true) => bail!(
                "--task trains a built-in task; --train/--task-file and the field flags define \
                 a new one: use one or the other (--train-file replaces a built-in task's train split)"
            ),
            (None, false) => bail!(
                "nothing to train: give --task <top3|symptomrec|danet|nli|ner|all>, or a new task \
                 with --train FILE and its fields (see `rumedbench train --help`)"
            ),
            (Some(name), false) => {
                let specs = task::resolve(name)?;
                if self.train_file.is_some() && specs.len() != 1 {
                    bail!("--train-file needs a single --task, not `all`");
                }
                let data_dir = data::resolve_data_dir(self.data_dir.as_deref());
                let all = specs.len() > 1;
                specs
                    .into_iter()
                    .map(|s| {
                        TaskSource::builtin(s, &data_dir, self.train_file.as_deref(), all, log)
                    })
                    .collect()
            }
            (None, true) => {
                if self.train_file.is_some() {
                    bail!("--train-file is for built-in tasks; a new task takes --train FILE");
                }
                let tf = match &self.task_file {
                    Some(p) => flags.or(task::TaskFile::load(p)?),
                    None => flags,
                };
                Ok(vec![TaskSource::from_task_file(&tf)?])
            }
        }
    }
}

/// Runs a parsed command line, writing results to `out` and notes to `err`.
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> Result<()> {
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
                force: args.force,
            };
            train::run(&req, out)?;
        }
        Command::Tune(args) => {
            let data_dir = data::resolve_data_dir(args.data_dir.as_deref());
            let tasks = match (&args.task, &args.task_file) {
                (_, Some(f)) => tune::file_sources(f)?,
                (Some(t), None) => tune::sources(t, &data_dir, err)?,
                (None, None) => bail!("tune needs --task or --task-file"),
            };
            let mut vectorizer = FitSettings::default();
            if let Some(p) = &args.task_file {
                let recipe = task::TaskFile::load(p)?
                    .recipe()
                    .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
                vectorizer.apply(&recipe);
            }
            let req = tune::TuneRequest {
                tasks,
                seed: args.seed,
                out: args.out.clone(),
                models_dir: args.models_dir.clone(),
                budget: args.budget,
                force: args.force,
                vectorizer: vectorizer.tfidf,
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

impl PredictArgs {
    fn run(&self, out: &mut dyn Write) -> Result<()> {
        let mut bundle = Bundle::load(&self.model)?;
        // The input's field names, where they differ from the training data's.
        let fields = test::FieldMap {
            id: self.id_field.clone(),
            text: self.text_field.clone(),
            tokens: self.tokens_field.clone(),
            ..Default::default()
        };
        bundle.pipeline.task = fields.apply(&bundle.pipeline.task)?;
        let (p, k, f, d) = (&bundle.pipeline, self.top_k, self.format, self.delimiter);
        match self.input.as_deref() {
            Some(path) if path != Path::new("-") => {
                predict::run(p, path, data::open(path)?, k, f, d, out)?
            }
            _ => predict::run(
                p,
                Path::new("<stdin>"),
                std::io::stdin().lock(),
                k,
                f,
                d,
                out,
            )?,
        };
        Ok(())
    }
}

impl EvalArgs {
    fn run(&self, out: &mut dyn Write) -> Result<()> {
        let own: Vec<task::TaskSpec> = self
            .task_file
            .iter()
            .map(|p| task::TaskFile::load(p)?.spec())
            .collect::<crate::Result<_>>()?;
        let report = eval::score_dir_with(&self.dir, self.gold.as_deref(), &own)?;
        let boot = self
            .bootstrap
            .map(|n| bootstrap::bootstrap(&report.tasks, n as usize, self.seed));
        let positive = self.positive_figures(&report)?;
        let labels: Vec<(String, per_label::PerLabel)> = if self.per_label {
            report
                .tasks
                .iter()
                .filter_map(|t| per_label::per_label(t).map(|p| (t.task.name.clone(), p)))
                .collect()
        } else {
            Vec::new()
        };
        match self.format {
            Format::Json => {
                let mut j = match &boot {
                    Some(b) => bootstrap::json_with_intervals(&report, b),
                    None => report.to_json(),
                };
                for (name, p) in &labels {
                    if let Some(t) = j["tasks"].get_mut(name).and_then(|t| t.as_object_mut()) {
                        t.insert("per_label".into(), p.to_json());
                    }
                }
                for (name, label, s) in &positive {
                    if let Some(t) = j["tasks"].get_mut(name).and_then(|t| t.as_object_mut()) {
                        t.insert(
                            "positive".into(),
                            serde_json::json!({"label": label, "precision": s.precision,
                                "recall": s.recall, "f1": s.f1, "support": s.support}),
                        );
                    }
                }
                writeln!(out, "{}", serde_json::to_string_pretty(&j)?)?
            }
            Format::Table => {
                let label = (self.label.clone()).unwrap_or_else(|| self.dir.display().to_string());
                let table = match &boot {
                    Some(b) => bootstrap::render_table_with_intervals(&label, &report, b),
                    None => eval::render_table(&label, &report),
                };
                write!(out, "{table}")?;
                for (name, label, s) in &positive {
                    writeln!(
                        out,
                        "\n{name}, positive label {label}: precision {:.2}, recall {:.2}, f1 {:.2} (support {})",
                        s.precision, s.recall, s.f1, s.support
                    )?;
                }
                for (name, p) in &labels {
                    write!(out, "{}", p.render_table(name))?;
                }
            }
        }
        Ok(())
    }
}

impl EvalArgs {
    /// `--positive-label`'s figures for each classification task whose labels include it; an
    /// error when no task has it.
    fn positive_figures(
        &self,
        report: &eval::Report,
    ) -> Result<Vec<(String, String, per_label::LabelStats)>> {
        let Some(label) = &self.positive_label else {
            return Ok(Vec::new());
        };
        let found: Vec<_> = report
            .tasks
            .iter()
            .filter(|t| t.task.kind() != task::TaskKind::Tokens)
            .filter_map(|t| {
                let p = per_label::per_label(t)?;
                let s = p.labels.iter().find(|(l, _)| l == label)?.1;
                Some((t.task.name.clone(), label.clone(), s))
            })
            .collect();
        if found.is_empty() {
            bail!("--positive-label {label:?}: no scored task has that label");
        }
        Ok(found)
    }
}

impl CompareArgs {
    fn run(&self, out: &mut dyn Write) -> Result<()> {
        let (a, b) = (&self.dir_a, &self.dir_b);
        let c = bootstrap::compare(a, b, self.bootstrap as usize, self.seed)?;
        match self.format {
            Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&c.to_json(a, b))?)?,
            Format::Table => write!(out, "{}", c.render_table(a, b))?,
        }
        Ok(())
    }
}

impl ReportArgs {
    fn run(&self, _out: &mut dyn Write, err: &mut dyn Write) -> Result<()> {
        let req = report::ChartRequest {
            dirs: self.dirs.clone(),
            out: self.out.clone(),
            paper: report::parse_paper_list(&self.paper),
            replicates: self.bootstrap as usize,
            seed: self.seed,
            labels: self.label.clone(),
            title: self.title.clone(),
            own: self
                .task_file
                .iter()
                .map(|p| task::TaskFile::load(p)?.spec())
                .collect::<crate::Result<_>>()?,
        };
        let (_, series) = report::run(&req, err)?;
        writeln!(err, "wrote {} ({} series)", req.out.display(), series.len())?;
        Ok(())
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
