//! The flags of every command, their parsers and help texts.
//!
//! The doc comments below are clap's help texts, where `<DIR>`-style placeholders are the
//! command-line convention; rustdoc would read them as HTML tags.
#![allow(rustdoc::invalid_html_tags)]

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Result};
use clap::ValueEnum;

use crate::commands::predict::PredictFormat;
use crate::commands::report;
use crate::commands::train::TaskSource;
use crate::data;
use crate::pipeline::{FitSettings, ModelKind};
use crate::recipe::{self, CrfRecipe, TextRecipe};
use crate::scoring::bootstrap;
use crate::task;

/// Output format of `test`, `eval` and `compare`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A Markdown table (eval: in the layout of the paper's Table 3).
    Table,
    /// Full-precision JSON; every command keys its figures by task under `"tasks"`, each by
    /// metric (`acc`, `hit3`, `f1`, `macro_f1`, `micro_f1`, ...): eval adds "overall" and
    /// "missing"; compare gives each metric as {"a", "b", "diff", "diff_ci95", "p"}; test also
    /// keeps its flat figures (`accuracy`, ...).
    Json,
}

/// `--task`'s help, from the task registry.
pub(super) fn task_help() -> String {
    format!("Built-in task: {}, or `all`", task::builtin_list())
}

/// The help of `eval`'s directory, from the task registry.
pub(super) fn eval_dir_help() -> String {
    let files: Vec<String> = task::builtin()
        .iter()
        .map(|t| format!("{}.jsonl", t.name))
        .collect();
    format!("Directory holding {} (any subset)", files.join(", "))
}

/// `--paper`'s help, from the paper's systems.
pub(super) fn paper_help() -> String {
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
    /// The input's text encoding: `utf-8`, `cp1251` (what Russian Excel exports), `koi8-r`,
    /// `cp866`, `utf-16le`, or any WHATWG label [default: UTF-8; a byte-order mark decides
    /// first].
    #[arg(long, value_name = "ENC", value_parser = data::parse_encoding)]
    pub encoding: Option<&'static data::Encoding>,
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
    /// The input's text encoding: `utf-8`, `cp1251` (what Russian Excel exports), `koi8-r`,
    /// `cp866`, `utf-16le`, or any WHATWG label [default: UTF-8; a byte-order mark decides
    /// first].
    #[arg(long, value_name = "ENC", value_parser = data::parse_encoding)]
    pub encoding: Option<&'static data::Encoding>,
    /// Add this label's precision, recall and F1 (the positive class of a binary task).
    #[arg(long, value_name = "LABEL")]
    pub positive_label: Option<String>,
    /// Add the confusion matrix (rows gold, columns predicted).
    #[arg(long)]
    pub confusion: bool,
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
    /// every classification task that has it (with --bootstrap, with intervals).
    #[arg(long, value_name = "LABEL")]
    pub positive_label: Option<String>,
    /// Add each classification task's confusion matrix (rows gold, columns predicted;
    /// JSON: "confusion": {"labels", "matrix"}).
    #[arg(long)]
    pub confusion: bool,
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
    /// Your own task's TOML file: compare its <name>.jsonl in both folders (repeatable;
    /// not needed where a run record lies beside the predictions).
    #[arg(long, value_name = "FILE")]
    pub task_file: Vec<PathBuf>,
    /// Also compare this label's precision, recall and F1 (the positive class of a binary
    /// task), with paired intervals and p-values.
    #[arg(long, value_name = "LABEL")]
    pub positive_label: Option<String>,
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
    /// The chart's title [default: "RuMedBench test scores, % (…)" when a RuMedBench task is
    /// charted, else "Test scores, % (…)"].
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    /// The x axis's title.
    #[arg(long, value_name = "TEXT", default_value = report::DEFAULT_X_TITLE)]
    pub x_title: String,
    /// The y axis's title.
    #[arg(long, value_name = "TEXT", default_value = report::DEFAULT_Y_TITLE)]
    pub y_title: String,
    /// Chart width in CSS pixels (1/96 inch), 200 to 8000.
    #[arg(long, value_name = "PX", default_value_t = report::DEFAULT_SIZE.0,
          value_parser = clap::value_parser!(u32).range(report::SIZE_RANGE.0 as i64..=report::SIZE_RANGE.1 as i64))]
    pub width: u32,
    /// Chart height in CSS pixels, 200 to 8000.
    #[arg(long, value_name = "PX", default_value_t = report::DEFAULT_SIZE.1,
          value_parser = clap::value_parser!(u32).range(report::SIZE_RANGE.0 as i64..=report::SIZE_RANGE.1 as i64))]
    pub height: u32,
    /// PNG resolution, 72 to 1200: the PNG is width × DPI / 96 pixels wide, everything scaled
    /// alike, and records the DPI (300 for print). SVG is resolution-free.
    #[arg(long, value_name = "DPI", default_value_t = 96,
          value_parser = clap::value_parser!(u32).range(72..=report::MAX_DPI as i64))]
    pub dpi: u32,
    /// Do not write each bar's figure above it.
    #[arg(long)]
    pub no_values: bool,
    /// Also chart <DIR>/<name>.jsonl of the task this task file defines, in every folder
    /// that holds it (tasks whose run record lies beside their predictions need none).
    #[arg(long, value_name = "FILE")]
    pub task_file: Vec<PathBuf>,
    /// The figure each bar shows: a metric key (acc, hit3, f1, micro_f1, macro_f1, p_at_1,
    /// ...) or `mean` (the mean of a task's metrics, which Overall averages; Overall is drawn
    /// with it only) [default: the benchmark's tasks their mean, your own tasks their primary
    /// metric: accuracy, entity F1 for tagging, micro-F1 for multi-label].
    #[arg(long, value_name = "KEY")]
    pub metric: Option<String>,
    /// Also draw a heat-map of each single-label classification task's confusion matrix (rows
    /// gold, columns predicted, shaded by the share of the gold row, counts in the cells), one
    /// file per folder and task beside --out: <stem>-confusion-<Task>[-<n>].<ext>, written
    /// together with the chart.
    #[arg(long)]
    pub confusion: bool,
}

/// Parses `--label DIR=NAME`.
pub(super) fn parse_label(s: &str) -> std::result::Result<(PathBuf, String), String> {
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

/// Flags of `train`.
#[derive(Debug, Clone, clap::Args)]
pub struct TrainArgs {
    #[arg(long, short, help = task_help())]
    pub task: Option<String>,
    /// Model: `feature` (tf-idf + logistic regression; CRF for tagging), `plus` (the stronger
    /// preset chosen on dev: blocks of character and stemmed-word n-grams, pair features) or
    /// `naive`.
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
    /// Replace predictions, run record and model file even when they were written for another
    /// task, other data or other settings (without it, such files are refused).
    #[arg(long)]
    pub force: bool,
    /// Text model: refuse settings whose estimated peak memory (from the train split's size,
    /// the n-gram range and --hash-features) exceeds SIZE (bytes, or 512M, 4G) [default: the
    /// memory available, MemAvailable].
    #[arg(long, value_name = "SIZE", value_parser = crate::features::cost::parse_size)]
    pub max_memory: Option<u64>,
    /// The text model's recipe.
    #[command(flatten)]
    pub text: TextRecipe,
    /// The CRF's recipe.
    #[command(flatten)]
    pub crf: CrfRecipe,
    /// The ids of the recipe flags given on the command line (set by
    /// [`Cli::parse_args`](super::Cli::parse_args)); the others keep the task file's value or
    /// the default.
    #[arg(skip)]
    pub given: Vec<String>,

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
    /// New task: the text encoding of the train, dev and test files: `utf-8`, `cp1251` (what
    /// Russian Excel exports), `koi8-r`, `cp866`, `utf-16le`, or any WHATWG label
    /// [default: UTF-8; a byte-order mark decides first].
    #[arg(long, value_name = "ENC", value_parser = check_encoding, help_heading = "Your own task")]
    pub encoding: Option<String>,
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
    /// Multi-label: choose the threshold with the best dev micro-F1 among 0.1, 0.2, ..., 0.9
    /// (ties keep 0.5) and keep it in the model; needs a dev file. Binary (with
    /// --positive-label): the best dev F1 of the positive label among 0.05, 0.1, ..., 0.95.
    #[arg(long, help_heading = "Multi-label")]
    pub tune_threshold: bool,
    /// Binary task: the positive label; with --threshold T it is predicted when its
    /// probability is at least T (default 0.5, scikit-learn's predict), or --tune-threshold
    /// picks T on dev. Kept in the model file and used by predict, test and Python.
    #[arg(long, value_name = "LABEL", help_heading = "Binary")]
    pub positive_label: Option<String>,
}

pub use crate::recipe::text::MAX_C;

/// Most bootstrap replicates `--bootstrap` accepts: every replicate's values are kept for
/// exact quantiles (8 bytes per metric and replicate), so memory stays under ~10 MB.
pub const MAX_REPLICATES: u32 = 100_000;

/// `train --delimiter`: checked when parsed, kept as written (the task file's form).
pub(super) fn check_delimiter(s: &str) -> std::result::Result<String, String> {
    data::parse_delimiter(s).map(|_| s.to_string())
}

/// `train --encoding`: checked when parsed, kept as written (the task file's form).
pub(super) fn check_encoding(s: &str) -> std::result::Result<String, String> {
    data::parse_encoding(s).map(|_| s.to_string())
}

/// `--name`: it names output files, so it is a plain file-name stem.
pub(super) fn parse_name(s: &str) -> std::result::Result<String, String> {
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
pub(super) fn check_text_flags(args: &TrainArgs, tasks: &[TaskSource]) -> Result<()> {
    let flag = |k: &str| {
        if k == "C" {
            "--C".to_string()
        } else if k == "templates" {
            "--crf-templates".to_string()
        } else {
            format!("--{}", k.replace('_', "-"))
        }
    };
    // Settings of no model in particular stay allowed everywhere.
    let general = ["seed", "threshold", "allow_empty", "hash_features"];
    let given = |keys: Vec<String>| -> Vec<String> {
        keys.into_iter()
            .filter(|k| args.given.contains(k) && !general.contains(&k.as_str()))
            .map(|k| flag(&k))
            .collect()
    };
    // --model plus takes only the keys the preset leaves free (one list, the API's too).
    if args.model == ModelKind::Plus {
        let mut fixed = recipe::keys::<TextRecipe>();
        fixed.extend(recipe::keys::<CrfRecipe>());
        let free = crate::pipeline::PLUS_FREE_KEYS;
        if let Some(k) = fixed
            .iter()
            .find(|k| args.given.contains(k) && !free.contains(&k.as_str()))
        {
            anyhow::bail!(
                "{} sets the recipe; --model plus is a fixed preset per task type (only {} may \
                 be given with it; see the README): to vary it, give its settings to --model \
                 feature (--blocks ...), or tune around it (tune --model plus)",
                flag(k),
                free.iter().map(|k| flag(k)).collect::<Vec<_>>().join(", ")
            );
        }
    }
    let text = given(recipe::keys::<TextRecipe>());
    let crf = given(recipe::keys::<CrfRecipe>());
    let tagging = |t: &&TaskSource| t.spec.kind() == crate::task::TaskKind::Tokens;
    for (flags, model, wrong_task) in [
        (
            &text[..],
            "the text model (tf-idf + logistic regression)",
            tasks.iter().find(tagging),
        ),
        (&crf[..], "the CRF", tasks.iter().find(|t| !tagging(t))),
    ] {
        let Some(flag) = flags.first() else {
            continue;
        };
        if args.model == ModelKind::Naive {
            anyhow::bail!("{flag} sets {model}; it does not apply to --model naive");
        }
        if args.model == ModelKind::Plus {
            anyhow::bail!(
                "{flag} sets {model}; --model plus is a fixed preset per task type (see the \
                 README): to vary it, give its settings to --model feature (--blocks ...)"
            );
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
    #[arg(long, short, help = task_help(), required_unless_present_any = ["task_file", "train"],
          conflicts_with_all = ["task_file", "train"])]
    pub task: Option<String>,
    /// Your own task: a TOML task file with train, dev and test files (flags below override
    /// its keys).
    #[arg(long, value_name = "FILE")]
    pub task_file: Option<PathBuf>,
    /// Seconds the whole run of a task may take, the final fit and test included (as
    /// fastText's autotune duration): a grid point is not started when the time left would not
    /// cover it and the final fit (estimated from the slowest point so far); the record says
    /// how many were tried. The grid's point 0 (the paper's setting) is always tried.
    #[arg(long, value_name = "SECONDS", value_parser = parse_budget)]
    pub budget: Option<f64>,
    /// The dev figure the search maximises: acc, macro_f1, micro_f1 or f1:LABEL (one label's
    /// or entity type's F1) [default: accuracy; tagging: mean of token accuracy and entity
    /// F1; multi-label: micro-F1].
    #[arg(long, value_name = "METRIC", value_parser = crate::commands::tune::SelectBy::parse)]
    pub select_by: Option<crate::commands::tune::SelectBy>,
    /// Your own values for one knob, KNOB=V1,V2,... (repeatable): C, ngram_range (MIN-MAX),
    /// sublinear_tf (true/false), class_weight (none/balanced); c1, c2 for a tagger. Knobs
    /// not given keep the built-in grid's values; each knob's first value is point 0.
    #[arg(long, value_name = "KNOB=VALUES")]
    pub grid: Vec<String>,
    /// Binary task: after the search, choose the tuned model's threshold on this label among
    /// 0.05, 0.10, ..., 0.95 by its dev F1 (as `train --positive-label L --tune-threshold`),
    /// kept in the model file.
    #[arg(long, value_name = "LABEL")]
    pub positive_label: Option<String>,
    /// New task: the train file (JSONL, CSV or TSV), with --dev and --test and the field flags
    /// as `train` takes them.
    #[arg(long, value_name = "FILE", help_heading = "New task")]
    pub train: Option<PathBuf>,
    /// New task: the dev file the grid is scored on.
    #[arg(long, value_name = "FILE", help_heading = "New task")]
    pub dev: Option<PathBuf>,
    /// New task: the test file.
    #[arg(long, value_name = "FILE", help_heading = "New task")]
    pub test: Option<PathBuf>,
    /// New task: the text field (twice for a text pair).
    #[arg(long, value_name = "NAME", help_heading = "New task")]
    pub text_field: Vec<String>,
    /// New task: the label field.
    #[arg(long, value_name = "NAME", help_heading = "New task")]
    pub label_field: Option<String>,
    /// New task: the token-list field (tagging).
    #[arg(long, value_name = "NAME", help_heading = "New task")]
    pub tokens_field: Option<String>,
    /// New task: the tag-list field (tagging).
    #[arg(long, value_name = "NAME", help_heading = "New task")]
    pub tags_field: Option<String>,
    /// New task: the id field.
    #[arg(long, value_name = "NAME", help_heading = "New task")]
    pub id_field: Option<String>,
    /// New task: CSV-like field delimiter.
    #[arg(long, value_name = "C", value_parser = check_delimiter, help_heading = "New task")]
    pub delimiter: Option<String>,
    /// New task: its name (names the output files).
    #[arg(long, value_name = "NAME", value_parser = parse_name, help_heading = "New task")]
    pub name: Option<String>,
    /// New task: multi-label.
    #[arg(long, help_heading = "New task")]
    pub multi_label: bool,
    /// New task: split text labels at this string (makes the task multi-label).
    #[arg(long, value_name = "S", help_heading = "New task")]
    pub label_separator: Option<String>,
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
    /// The model tuned: `feature` (the paper's recipe, or the task file's), or `plus` (around
    /// the plus preset of each task's type: its blocks or CRF templates kept, point 0 the
    /// preset, the grid varying C and class_weight, or c1 and c2; results in <out>/tuned-plus/
    /// and <models-dir>/<Task>-tuned-plus.rmb).
    #[arg(long, value_name = "feature|plus", value_enum, default_value_t = ModelKind::Feature)]
    pub model: ModelKind,
    /// Replace results written for another task, other data or another seed (without it,
    /// such files are refused).
    #[arg(long)]
    pub force: bool,
    /// Refuse a grid whose estimated peak memory (from the train split's size, the n-gram
    /// ranges and the hashing) exceeds SIZE (bytes, or 512M, 4G) [default: the memory
    /// available, MemAvailable].
    #[arg(long, value_name = "SIZE", value_parser = crate::features::cost::parse_size)]
    pub max_memory: Option<u64>,
}

impl TuneArgs {
    /// The task the field flags define (empty when none is given).
    pub(super) fn custom_flags(&self) -> task::TaskFile {
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
}

/// Parses `--budget SECONDS`: a positive, finite number.
pub(super) fn parse_budget(s: &str) -> std::result::Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 => Ok(v),
        _ => Err(format!("expected a positive number of seconds, got {s:?}")),
    }
}

impl TrainArgs {
    /// The settings: the paper's recipe, then the task file's keys, then the flags given on
    /// the command line, each recipe built once from these layers and checked.
    pub(super) fn settings(&self) -> Result<FitSettings> {
        let file = match &self.task_file {
            Some(p) => task::TaskFile::load(p, &crate::recipe::all_keys())?.recipe,
            None => serde_json::Map::new(),
        };
        if let (ModelKind::Plus, Some(p), Some(k)) = (
            self.model,
            &self.task_file,
            file.keys().find(|k| *k != "seed"),
        ) {
            bail!(
                "{}: `{k}` sets the recipe; --model plus is a fixed preset per task type: to \
                 vary it, train with --model feature (`[[blocks]]` tables and the other keys)",
                p.display()
            );
        }
        let mut flags = recipe::to_map(&self.text);
        flags.extend(recipe::to_map(&self.crf));
        flags.retain(|k, _| self.given.contains(k));
        let located = |e: crate::error::Error| -> anyhow::Error {
            let from_flag =
                matches!(&e, crate::error::Error::Param { name, .. } if flags.contains_key(name));
            match &self.task_file {
                Some(p) if !from_flag => anyhow::anyhow!("{}: {e}", p.display()),
                _ => e.into(),
            }
        };
        let text: TextRecipe = recipe::layered(&[&file, &flags]).map_err(located)?;
        let crf: CrfRecipe = recipe::layered(&[&file, &flags]).map_err(located)?;
        Ok(FitSettings::new(
            &text.check().map_err(located)?,
            &crf.check().map_err(located)?,
        ))
    }

    pub(super) fn custom_flags(&self) -> task::TaskFile {
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
            encoding: self.encoding.clone(),
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
                    Some(p) => flags.or(task::TaskFile::load(p, &crate::recipe::all_keys())?),
                    None => flags,
                };
                Ok(vec![TaskSource::from_task_file(&tf)?])
            }
        }
    }
}
