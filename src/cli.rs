//! Every command-line flag and its help text, in one place, and the dispatch to the
//! workflows. `main` only parses, calls [`run`], and reports the error chain.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};

use crate::data;
use crate::eval;
use crate::pipeline::ModelKind;
use crate::task;
use crate::train::{self, TrainRequest};

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
    /// Train a model on a task's train split, print dev and test metrics, write test predictions.
    Train {
        /// Task: top3, symptomrec, danet, nli, ner (or RuMedTop3, ...), or `all`.
        #[arg(long, short)]
        task: String,
        /// Model: `feature` (tf-idf + logistic regression; CRF for NER) or `naive`.
        #[arg(long, short, value_enum, default_value_t = ModelKind::Feature)]
        model: ModelKind,
        /// Folder holding <Task>/{train,dev,test}_v1.jsonl [default: $RUMEDBENCH_DATA, else ./data].
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// Output root: predictions go to <out>/<model>/<Task>.jsonl.
        #[arg(long, value_name = "DIR", default_value = "out")]
        out: PathBuf,
        /// Train on this file instead of the task's train split (e.g. RuMedNLI, whose train
        /// split is credentialed).
        #[arg(long, value_name = "FILE")]
        train_file: Option<PathBuf>,
    },
    /// Score a directory of RuMed*.jsonl prediction files as upstream's eval.py does.
    Eval {
        /// Directory holding RuMedTop3.jsonl, RuMedSymptomRec.jsonl, ... (any subset).
        dir: PathBuf,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Check ids against <DIR>/<Task>/test_v1.jsonl and take the gold labels from there,
        /// instead of the labels the prediction files carry.
        #[arg(long, value_name = "DATA_DIR")]
        gold: Option<PathBuf>,
    },
}

/// Runs a parsed command line, writing results to `out`.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<()> {
    match cli.command {
        Command::Train {
            task,
            model,
            data_dir,
            out: out_dir,
            train_file,
        } => {
            let req = TrainRequest {
                dev_fallback: task.trim().eq_ignore_ascii_case("all"),
                tasks: task::resolve(&task)?,
                kind: model,
                data_dir: data::resolve_data_dir(data_dir.as_deref()),
                out: out_dir,
                train_file,
            };
            train::run(&req, out)?;
        }
        Command::Eval { dir, format, gold } => {
            let report = eval::score_dir(&dir, gold.as_deref())?;
            match format {
                Format::Json => {
                    writeln!(out, "{}", serde_json::to_string_pretty(&report.to_json())?)?
                }
                Format::Table => write!(
                    out,
                    "{}",
                    eval::render_table(&dir.display().to_string(), &report)
                )?,
            }
        }
    }
    Ok(())
}
