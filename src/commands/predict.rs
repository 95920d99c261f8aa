//! The `predict` workflow: apply a saved model to records streamed from a file or stdin.
//!
//! Input is a CSV file with a header (by extension, read like a train file), or lines that are
//! JSON objects with the task's fields, or (single-text and tagging tasks) plain text; tagging
//! tasks also accept raw text, split into words at Unicode word boundaries. Output keeps input order and is written batch by batch, so memory does not
//! grow with the input. A blank line of a JSONL or text input gets an output record of its own (its
//! line number as id, an empty prediction), so output line N answers input line N.

use std::io::{BufRead, Write};
use std::path::Path;

use anyhow::{bail, Result};
use serde_json::{json, Map, Value};
use unicode_segmentation::UnicodeSegmentation;

use crate::data::{self, Example, Input, Labels, RecordReader};
use crate::output;
use crate::pipeline::{Pipeline, Prediction};
use crate::scoring::metrics;
use crate::task::{InputFields, TaskKind, TaskSpec};

/// Records per batch: large enough to amortise the model's per-call work, small enough to
/// keep memory flat.
const BATCH: usize = 512;

/// Output format of `predict`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PredictFormat {
    /// One JSON object per input record.
    Jsonl,
    /// One human-readable line per record.
    Table,
}

/// Splits raw text into word tokens at Unicode word boundaries (UAX #29), dropping
/// white space; punctuation marks become tokens of their own, as in RuMedNER.
pub fn tokenize(text: &str) -> Vec<String> {
    text.split_word_bounds()
        .filter(|w| !w.trim().is_empty())
        .map(String::from)
        .collect()
}

/// One record from a JSON object (a JSONL line or a CSV row) with the task's fields.
fn example_from_object(
    task: &TaskSpec,
    source: &Path,
    line_no: usize,
    obj: &Map<String, Value>,
) -> Result<Example> {
    let rec = RecordReader::new(source, line_no, obj);
    let id = if !task.id_field.is_empty() && obj.contains_key(&task.id_field) {
        rec.id(&task.id_field)?
    } else {
        Value::from(line_no)
    };
    let input = match &task.inputs {
        InputFields::Tokens { tokens } => match obj.get(tokens) {
            Some(Value::Array(_)) => Input::Tokens(rec.strings(tokens)?),
            Some(Value::String(s)) => Input::Tokens(tokenize(s)),
            _ => match obj.get("text") {
                Some(Value::String(s)) => Input::Tokens(tokenize(s)),
                _ => {
                    return Err(rec
                        .err(tokens, "missing (give a token list, or raw text in `text`)")
                        .into())
                }
            },
        },
        _ => {
            let mut no_id = task.clone();
            no_id.id_field = String::new();
            data::parse_record(&no_id, &rec, line_no, Labels::Absent)?.input
        }
    };
    Ok(Example {
        id,
        line: line_no,
        input,
        gold: None,
    })
}

fn example_from_line(
    task: &TaskSpec,
    source: &Path,
    line_no: usize,
    line: &str,
) -> Result<Example> {
    let trimmed = line.trim_start_matches('\u{feff}').trim();
    if trimmed.starts_with('{') {
        let obj: Map<String, Value> = serde_json::from_str(trimmed)
            .map_err(|e| data::located(source, line_no, None, format!("invalid JSON: {e}")))?;
        return example_from_object(task, source, line_no, &obj);
    }
    let input = match task.kind() {
        TaskKind::Single => Input::Text(line.to_string()),
        TaskKind::Tokens => Input::Tokens(tokenize(line)),
        TaskKind::Pair => {
            return Err(data::located(
                source,
                line_no,
                None,
                "a text-pair task needs JSON records with both text fields",
            )
            .into())
        }
    };
    Ok(Example {
        id: Value::from(line_no),
        line: line_no,
        input,
        gold: None,
    })
}

fn render(e: &Example, p: &Prediction, k: usize) -> Value {
    match (p, &e.input) {
        (Prediction::Ranked(r), _) => json!({
            "id": e.id,
            "prediction": r.iter().take(k).map(|(l, s)| json!({"label": l, "prob": s})).collect::<Vec<_>>(),
        }),
        (Prediction::Tags(tags), Input::Tokens(toks)) => {
            let ents: Vec<Value> = metrics::entities(tags)
                .into_iter()
                .map(|en| {
                    json!({
                        "type": en.kind,
                        "start": en.start,
                        "end": en.end + 1,
                        "text": toks[en.start..=en.end].join(" "),
                    })
                })
                .collect();
            json!({"id": e.id, "tokens": toks, "tags": tags, "entities": ents})
        }
        (Prediction::Tags(tags), _) => json!({"id": e.id, "tags": tags}),
        (Prediction::Set { ranked, size }, _) => json!({
            "id": e.id,
            "labels": p.set(),
            "prediction": ranked.iter().take(k.max(*size)).map(|(l, s)| json!({"label": l, "prob": s})).collect::<Vec<_>>(),
        }),
    }
}

fn render_table(e: &Example, p: &Prediction, k: usize) -> String {
    let id = data::id_key(&e.id);
    match (p, &e.input) {
        (Prediction::Ranked(r), _) => {
            let cells: Vec<String> = r
                .iter()
                .take(k)
                .map(|(l, s)| format!("{l} ({s:.3})"))
                .collect();
            format!("{id}\t{}", cells.join("\t"))
        }
        (Prediction::Tags(tags), Input::Tokens(toks)) => {
            let cells: Vec<String> = toks
                .iter()
                .zip(tags)
                .map(|(t, g)| {
                    if g == "O" {
                        t.clone()
                    } else {
                        format!("{t}/{g}")
                    }
                })
                .collect();
            format!("{id}\t{}", cells.join(" "))
        }
        (Prediction::Tags(tags), _) => format!("{id}\t{}", tags.join(" ")),
        (Prediction::Set { ranked, size }, _) => {
            let cells: Vec<String> = ranked
                .iter()
                .take(k.max(*size))
                .map(|(l, s)| format!("{l} ({s:.3})"))
                .collect();
            format!("{id}\t[{}]\t{}", p.set().join(" "), cells.join("\t"))
        }
    }
}

/// Streams records from `input` through the model into `out`. A `.csv`/`.tsv` source, or any
/// source when `delimiter` is given, is read as CSV-like with a header.
#[allow(clippy::too_many_arguments)]
pub fn run<R: BufRead>(
    pipeline: &Pipeline,
    source: &Path,
    input: R,
    top_k: usize,
    format: PredictFormat,
    delimiter: Option<u8>,
    out: &mut dyn Write,
) -> Result<usize> {
    if top_k == 0 {
        bail!("--top-k must be at least 1");
    }
    // A blank line of a JSONL or text input is kept as an entry of its own: it gets an output
    // record with its line number as id and no prediction, so output line N answers input
    // line N (and ids do not jump).
    let mut batch: Vec<Option<Example>> = Vec::with_capacity(BATCH);
    let mut blank_ids: Vec<usize> = Vec::new();
    let mut n = 0usize;
    let flush = |batch: &mut Vec<Option<Example>>,
                 blank_ids: &mut Vec<usize>,
                 out: &mut dyn Write|
     -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let examples: Vec<Example> = batch.iter().flatten().cloned().collect();
        let preds = if examples.is_empty() {
            Vec::new()
        } else {
            pipeline.predict(&examples, top_k)?
        };
        let mut done = examples.iter().zip(&preds);
        let mut blanks = blank_ids.iter();
        for entry in batch.iter() {
            match entry {
                Some(_) => {
                    let (e, p) = done.next().expect("one prediction per record");
                    match format {
                        PredictFormat::Jsonl => output::write_json_line(out, &render(e, p, top_k))?,
                        PredictFormat::Table => writeln!(out, "{}", render_table(e, p, top_k))?,
                    }
                }
                None => {
                    let id = blanks.next().expect("one id per blank line");
                    match format {
                        PredictFormat::Jsonl => {
                            output::write_json_line(out, &render_blank(&pipeline.task, *id))?
                        }
                        PredictFormat::Table => writeln!(out, "{id}\t")?,
                    }
                }
            }
        }
        batch.clear();
        blank_ids.clear();
        Ok(())
    };
    let lists = data::list_fields(&pipeline.task);
    for entry in records(&pipeline.task, &lists, source, input, delimiter)? {
        match entry? {
            Entry::Record(e) => batch.push(Some(e)),
            Entry::Blank(line) => {
                batch.push(None);
                blank_ids.push(line);
            }
        }
        n += 1;
        if batch.len() == BATCH {
            flush(&mut batch, &mut blank_ids, out)?;
        }
    }
    flush(&mut batch, &mut blank_ids, out)?;
    out.flush()?;
    Ok(n)
}

/// The records of `input` (read from `source`, for messages), as `predict` reads them: a CSV-like
/// file with a header (a `.csv`/`.tsv` source, or any source when `delimiter` is given), else
/// JSONL or plain text, one record per line, blank lines kept as [`Entry::Blank`]. `lists` are
/// the task's list fields ([`data::list_fields`]).
pub(crate) fn records<'a, R: BufRead + 'a>(
    task: &'a TaskSpec,
    lists: &'a [&'a str],
    source: &'a Path,
    input: R,
    delimiter: Option<u8>,
) -> Result<Box<dyn Iterator<Item = Result<Entry>> + 'a>> {
    Ok(if let Some(d) = data::delimiter_for(source, delimiter) {
        Box::new(data::csv_objects_with(source, input, lists, d)?.map(|row| {
            let (line_no, obj) = row?;
            example_from_object(task, source, line_no, &obj).map(Entry::Record)
        }))
    } else {
        // Lines are capped as in every other line reader ([`data::MAX_LINE_BYTES`]): stdin
        // or `/dev/zero` without a newline is an error naming the line, not a 2 GB buffer.
        Box::new(
            data::capped_lines(source, input)
                .enumerate()
                .map(|(i, line)| {
                    let line_no = i + 1;
                    match line {
                        Err(e) => Err(e.into()),
                        Ok(l) if l.trim_start_matches('\u{feff}').trim().is_empty() => {
                            Ok(Entry::Blank(line_no))
                        }
                        Ok(l) => example_from_line(task, source, line_no, &l).map(Entry::Record),
                    }
                }),
        )
    })
}

/// One input line: a record, or a blank line (its line number).
pub(crate) enum Entry {
    /// A record.
    Record(Example),
    /// A blank line, by its number.
    Blank(usize),
}

/// The output record of a blank input line: its line number as id and an empty prediction in
/// the task's schema.
fn render_blank(task: &TaskSpec, line: usize) -> Value {
    match (task.kind(), task.multi_label) {
        (TaskKind::Tokens, _) => json!({"id": line, "tokens": [], "tags": [], "entities": []}),
        (_, true) => json!({"id": line, "labels": [], "prediction": []}),
        _ => json!({"id": line, "prediction": []}),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizes_at_word_boundaries() {
        assert_eq!(
            tokenize("После приёма Арбидола, болит голова."),
            vec!["После", "приёма", "Арбидола", ",", "болит", "голова", "."]
        );
        assert!(tokenize("   ").is_empty());
    }
}
