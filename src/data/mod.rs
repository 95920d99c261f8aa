//! Loading task records from JSONL (and CSV) files, with errors that name file, line and field.
//!
//! Also finds the data directory (`--data-dir`, `$RUMEDBENCH_DATA`, `./data`) and says how to
//! fetch the files when they are missing.

use std::borrow::Cow;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::task::{InputFields, TaskSpec};

mod digest;
use digest::{digests, HashingReader};

mod encoding;
mod label_kinds;
use label_kinds::{type_name, LabelKinds};
mod paths;
pub use crate::caps::{
    cap_text, over_cap, read_capped, read_capped_from, read_capped_string, MAX_FILE_BYTES,
    MAX_MODEL_BYTES,
};
pub use encoding::{decoded, parse_encoding, UTF8_HINT};
pub use encoding_rs::Encoding;
pub use paths::{resolve_data_dir, split_path, SplitName, FETCH_HINT};

/// What a model reads from one record.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// One text.
    Text(String),
    /// Two texts.
    Pair(String, String),
    /// A token sequence.
    Tokens(Vec<String>),
}

impl Input {
    /// The text a text classifier sees: pairs are joined with one space, as upstream does.
    pub fn joined_text(&self) -> Cow<'_, str> {
        match self {
            Input::Text(t) => Cow::Borrowed(t),
            Input::Pair(a, b) => Cow::Owned(crate::features::union::join_pair(a, b)),
            Input::Tokens(t) => Cow::Owned(t.join(" ")),
        }
    }
}

/// The text each example's classifier sees (pairs joined with one space), in order.
pub fn joined_texts(examples: &[Example]) -> Vec<Cow<'_, str>> {
    examples.iter().map(|e| e.input.joined_text()).collect()
}

/// A gold label: one class, a set of classes, or one tag per token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gold {
    /// A class label.
    Label(String),
    /// IOB tags, one per token.
    Tags(Vec<String>),
    /// A multi-label task's label set, in the order given, without repeats (may be empty).
    Labels(Vec<String>),
}

/// One record of a split.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    /// The record id exactly as it appeared (string or number), written back unchanged.
    pub id: Value,
    /// 1-based line (JSONL) or record (CSV) number, for error messages.
    pub line: usize,
    /// The model input.
    pub input: Input,
    /// The gold label, when the split has one.
    pub gold: Option<Gold>,
}

impl Example {
    /// The id as a string key for matching predictions to gold.
    pub fn id_key(&self) -> String {
        id_key(&self.id)
    }
}

/// The matching key of an id value: strings as they are, anything else as its JSON text.
pub fn id_key(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Whether a split must carry gold labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Labels {
    /// Every record must have a label (train, dev, test).
    Required,
    /// Records have no label (private test, raw prediction input).
    Absent,
}

/// A loaded split: the file it came from and its records.
#[derive(Debug, Clone)]
pub struct Split {
    /// Where the records were read from.
    pub path: PathBuf,
    /// Records in file order.
    pub examples: Vec<Example>,
}

/// Builds an error located at `file:line`, naming the field when there is one.
pub fn located(
    path: &Path,
    line: usize,
    field: Option<&str>,
    msg: impl std::fmt::Display,
) -> crate::error::Error {
    crate::error::Error::input(path, line, field, msg)
}

/// Reads one record's fields with located errors.
pub struct RecordReader<'a> {
    path: &'a Path,
    line: usize,
    obj: &'a Map<String, Value>,
}

impl<'a> RecordReader<'a> {
    /// Wraps one parsed record.
    pub fn new(path: &'a Path, line: usize, obj: &'a Map<String, Value>) -> Self {
        Self { path, line, obj }
    }

    /// The error for a problem with `field` of this record.
    pub fn err(&self, field: &str, msg: impl std::fmt::Display) -> crate::error::Error {
        located(self.path, self.line, Some(field), msg)
    }

    /// A required field of any type; when it is missing, the error lists the fields the record
    /// has.
    pub fn value(&self, field: &str) -> Result<&'a Value> {
        self.obj.get(field).ok_or_else(|| {
            let present: Vec<String> = self.obj.keys().map(|k| format!("`{k}`")).collect();
            let has = if present.is_empty() {
                "the record has no fields".to_string()
            } else {
                format!("the record has {}", present.join(", "))
            };
            self.err(field, format!("missing ({has})"))
        })
    }

    /// A required label: a string, or a number or boolean taken as its JSON text (`3`, `true`).
    pub fn label(&self, field: &str) -> Result<String> {
        match self.value(field)? {
            Value::String(s) => Ok(s.clone()),
            v @ (Value::Number(_) | Value::Bool(_)) => Ok(v.to_string()),
            other => Err(self.err(
                field,
                format!(
                    "expected a label (string, number or boolean), found {}",
                    type_name(other)
                ),
            )),
        }
    }

    /// A required label set: a JSON list of labels (strings, or numbers and booleans taken as
    /// their JSON text), or with `separator` a string split at it (items trimmed, empty items
    /// dropped). Repeats are dropped, keeping the first.
    pub fn label_set(&self, field: &str, separator: Option<&str>) -> Result<Vec<String>> {
        let items: Vec<String> = match (self.value(field)?, separator) {
            (Value::Array(items), _) => items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::String(s) => Ok(s.clone()),
                    v @ (Value::Number(_) | Value::Bool(_)) => Ok(v.to_string()),
                    other => Err(self.err(
                        field,
                        format!("item {i} should be a label, found {}", type_name(other)),
                    )),
                })
                .collect::<Result<_>>()?,
            (Value::String(s), Some(sep)) => s
                .split(sep)
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(String::from)
                .collect(),
            (other, _) => {
                return Err(self.err(
                    field,
                    format!(
                        "expected a list of labels (the task is multi-label: declared so, or its \
                         train split's first label is a list), found {}{}",
                        type_name(other),
                        if separator.is_none() && matches!(other, Value::String(_)) {
                            " (a text cell of a CSV/TSV file is split by --label-separator)"
                        } else {
                            ""
                        }
                    ),
                ))
            }
        };
        let mut seen = std::collections::HashSet::new();
        Ok(items
            .into_iter()
            .filter(|l| seen.insert(l.clone()))
            .collect())
    }

    /// A required string field.
    pub fn string(&self, field: &str) -> Result<String> {
        match self.value(field)? {
            Value::String(s) => Ok(s.clone()),
            other => Err(self.err(
                field,
                format!("expected a string, found {}", type_name(other)),
            )),
        }
    }

    /// A required list of strings.
    pub fn strings(&self, field: &str) -> Result<Vec<String>> {
        match self.value(field)? {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::String(s) => Ok(s.clone()),
                    other => Err(self.err(
                        field,
                        format!("item {i} should be a string, found {}", type_name(other)),
                    )),
                })
                .collect(),
            other => Err(self.err(
                field,
                format!("expected a list of strings, found {}", type_name(other)),
            )),
        }
    }

    /// A required id: a string or a number.
    pub fn id(&self, field: &str) -> Result<Value> {
        match self.value(field)? {
            v @ (Value::String(_) | Value::Number(_)) => Ok(v.clone()),
            other => Err(self.err(
                field,
                format!("expected a string or number id, found {}", type_name(other)),
            )),
        }
    }
}

/// Parses one record of `task` from a JSON object.
pub fn parse_record(
    task: &TaskSpec,
    rec: &RecordReader<'_>,
    line: usize,
    labels: Labels,
) -> Result<Example> {
    // Tasks without an id field number their records.
    let id = if task.id_field.is_empty() {
        Value::from(line)
    } else {
        rec.id(&task.id_field)?
    };
    let input = match &task.inputs {
        InputFields::Single { text } => Input::Text(rec.string(text)?),
        InputFields::Pair { first, second } => Input::Pair(rec.string(first)?, rec.string(second)?),
        InputFields::Tokens { tokens } => {
            // An empty sentence is a sentence: taggers predict `[]` for it and training skips
            // it, as sklearn-crfsuite does.
            Input::Tokens(rec.strings(tokens)?)
        }
    };
    let gold = match labels {
        Labels::Absent => None,
        Labels::Required => Some(match &input {
            Input::Tokens(toks) => {
                let tags = rec.strings(&task.label_field)?;
                if tags.len() != toks.len() {
                    return Err(rec.err(
                        &task.label_field,
                        format!(
                            "has {} tags but `{}` has {} tokens",
                            tags.len(),
                            tokens_field(task),
                            toks.len()
                        ),
                    ));
                }
                Gold::Tags(tags)
            }
            _ if task.multi_label => {
                Gold::Labels(rec.label_set(&task.label_field, task.label_separator.as_deref())?)
            }
            _ => match rec.value(&task.label_field)? {
                Value::Array(_) => return Err(rec.err(&task.label_field, SINGLE_LABEL_LIST)),
                _ => Gold::Label(rec.label(&task.label_field)?),
            },
        }),
    };
    Ok(Example {
        id,
        line,
        input,
        gold,
    })
}

/// Why a list is refused as the label of a single-label task.
const SINGLE_LABEL_LIST: &str = "a list of labels, but the task is single-label: a task is \
    multi-label when its task file says `multi_label = true` (or --multi-label, \
    --label-separator) or when its train split's first label is a list, and then every label \
    of every split is a list";

fn tokens_field(task: &TaskSpec) -> &str {
    match &task.inputs {
        InputFields::Tokens { tokens } => tokens,
        _ => "tokens",
    }
}

/// Iterates the JSON objects of a JSONL reader as `(line number, object)`, skipping blank
/// lines; a line that is not a JSON object is an error naming file and line.
pub fn jsonl_objects<'a, R: BufRead + 'a>(
    path: &'a Path,
    reader: R,
) -> impl Iterator<Item = Result<(usize, Map<String, Value>)>> + 'a {
    capped_lines(path, reader)
        .enumerate()
        .filter_map(move |(i, line)| {
            let n = i + 1;
            let line = match line {
                Ok(l) => l,
                Err(e) => return Some(Err(e)),
            };
            let trimmed = line.trim_start_matches('\u{feff}').trim();
            if trimmed.is_empty() {
                return None;
            }
            Some(match serde_json::from_str::<Value>(trimmed) {
                Ok(Value::Object(obj)) => Ok((n, obj)),
                Ok(other) => Err(located(
                    path,
                    n,
                    None,
                    format!("expected a JSON object, found {}", type_name(&other)),
                )),
                Err(e) => Err(located(path, n, None, format!("invalid JSON: {e}"))),
            })
        })
}

/// Opens a file for reading, saying which path could not be opened.
pub fn open(path: &Path) -> Result<BufReader<File>> {
    let f = File::open(path).map_err(|e| Error::io("cannot open", path, e))?;
    Ok(BufReader::new(f))
}

/// Whether a path names a delimited file (`.csv`, `.tsv`, by extension); anything else is read
/// as JSONL.
pub fn is_csv(path: &Path) -> bool {
    delimiter(path).is_some()
}

/// The field delimiter of a delimited file, by extension: `,` for `.csv`, a tab for `.tsv`.
pub fn delimiter(path: &Path) -> Option<u8> {
    let ext = path.extension()?.to_string_lossy().to_ascii_lowercase();
    match ext.as_str() {
        "csv" => Some(b','),
        "tsv" => Some(b'\t'),
        _ => None,
    }
}

pub use crate::task::parse_delimiter;

/// The delimiter a file is read with: the one given, else by extension (`None`: JSONL).
pub fn delimiter_for(path: &Path, given: Option<u8>) -> Option<u8> {
    given.or_else(|| delimiter(path))
}

/// Iterates the rows of a CSV file with a header as JSON objects keyed by column name, with
/// their line numbers. Token and tag columns (`list_fields`) hold a JSON list (`["a", "b"]`)
/// or space-separated items, and become JSON arrays. The delimiter follows the extension.
pub fn csv_objects<'a, R: Read + 'a>(
    path: &'a Path,
    reader: R,
    list_fields: &'a [&'a str],
) -> Result<impl Iterator<Item = Result<(usize, Map<String, Value>)>> + 'a> {
    csv_objects_with(path, reader, list_fields, delimiter(path).unwrap_or(b','))
}

/// [`csv_objects`] with the given field delimiter.
pub fn csv_objects_with<'a, R: Read + 'a>(
    path: &'a Path,
    reader: R,
    list_fields: &'a [&'a str],
    delimiter: u8,
) -> Result<impl Iterator<Item = Result<(usize, Map<String, Value>)>> + 'a> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(false)
        .delimiter(delimiter)
        .from_reader(reader);
    let headers = rdr
        .headers()
        .map_err(|e| {
            let hint = if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                format!(" ({UTF8_HINT})")
            } else {
                String::new()
            };
            located(
                path,
                1,
                None,
                format!("cannot read the CSV header: {e}{hint}"),
            )
        })?
        .clone();
    Ok(rdr.into_records().map(move |row| {
        let row = row.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            let hint = if matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                format!(" ({UTF8_HINT})")
            } else {
                String::new()
            };
            located(path, line, None, format!("invalid CSV: {e}{hint}"))
        })?;
        let line = row.position().map_or(0, |p| p.line() as usize);
        let mut obj = Map::new();
        for (name, cell) in headers.iter().zip(row.iter()) {
            let v = if list_fields.contains(&name) {
                let cell = cell.trim();
                if cell.starts_with('[') {
                    serde_json::from_str(cell).map_err(|e| {
                        located(path, line, Some(name), format!("invalid JSON list: {e}"))
                    })?
                } else {
                    Value::from(cell.split_whitespace().collect::<Vec<_>>())
                }
            } else {
                Value::String(cell.to_string())
            };
            obj.insert(name.to_string(), v);
        }
        Ok((line, obj))
    }))
}

/// Records as `(line number, JSON object)`, from JSONL or CSV.
pub type Records<'a> = Box<dyn Iterator<Item = Result<(usize, Map<String, Value>)>> + 'a>;

/// Iterates the records of a JSONL or CSV file. The file is read once: the SHA-256 of the
/// bytes read is kept for [`sha256_file`], so a FIFO or `<(cat f)` works and the run record
/// hashes what was actually read.
pub fn records<'a>(path: &'a Path, list_fields: &'a [&'a str]) -> Result<Records<'a>> {
    records_with(path, list_fields, None, None)
}

/// [`records`], read as delimited with `delimiter` when it is given (whatever the extension),
/// decoded from `encoding` (see [`decoded`]: a BOM decides first; default UTF-8).
pub fn records_with<'a>(
    path: &'a Path,
    list_fields: &'a [&'a str],
    delimiter: Option<u8>,
    encoding: Option<&'static Encoding>,
) -> Result<Records<'a>> {
    let f = File::open(path).map_err(|e| Error::io("cannot open", path, e))?;
    let reader = decoded(HashingReader::new(f, path), encoding)
        .map_err(|e| Error::io("cannot read", path, e))?;
    match delimiter_for(path, delimiter) {
        Some(d) => Ok(Box::new(csv_objects_with(path, reader, list_fields, d)?)),
        None => Ok(Box::new(jsonl_objects(path, reader))),
    }
}

/// The fields of `task` that hold lists (tokens and tags).
pub fn list_fields(task: &TaskSpec) -> Vec<&str> {
    match &task.inputs {
        InputFields::Tokens { tokens } => vec![tokens.as_str(), task.label_field.as_str()],
        _ => vec![],
    }
}

/// Loads every record of a split of `task` (JSONL, or CSV by extension). An empty file is an
/// error.
pub fn load_split(task: &TaskSpec, path: &Path, labels: Labels) -> Result<Split> {
    Ok(load_with(task, path, labels, false, None, None)?.0)
}

/// [`load_split`], read as delimited with `delimiter` when it is given (whatever the extension)
/// and decoded from `encoding` (a BOM decides first; default UTF-8).
pub fn load_split_with(
    task: &TaskSpec,
    path: &Path,
    labels: Labels,
    delimiter: Option<u8>,
    encoding: Option<&'static Encoding>,
) -> Result<Split> {
    Ok(load_with(task, path, labels, false, delimiter, encoding)?.0)
}

/// [`load_split`] for the train split of a user's classification task, which is multi-label
/// when it is declared so or when its first record's label is a JSON list: returns the split
/// and whether the task is multi-label. Inferring while reading keeps the file read once.
/// `delimiter` and `encoding` as for [`load_split_with`].
pub fn load_train_split(
    task: &TaskSpec,
    path: &Path,
    delimiter: Option<u8>,
    encoding: Option<&'static Encoding>,
) -> Result<(Split, bool)> {
    let infer = !task.multi_label && task.kind() != crate::task::TaskKind::Tokens;
    load_with(task, path, Labels::Required, infer, delimiter, encoding)
}

fn load_with(
    task: &TaskSpec,
    path: &Path,
    labels: Labels,
    infer: bool,
    delimiter: Option<u8>,
    encoding: Option<&'static Encoding>,
) -> Result<(Split, bool)> {
    let lists = list_fields(task);
    let mut examples = Vec::new();
    let mut inferred: Option<TaskSpec> = None;
    // Ids are matched as text (`1` and `"1"` are the same id), so each may appear once.
    let mut first_line = std::collections::HashMap::new();
    let mut label_kinds = LabelKinds::default();
    for item in records_with(path, &lists, delimiter, encoding)? {
        let (line, obj) = item?;
        if infer
            && examples.is_empty()
            && matches!(obj.get(&task.label_field), Some(Value::Array(_)))
        {
            let mut t = task.clone();
            t.multi_label = true;
            inferred = Some(t);
        }
        let task = inferred.as_ref().unwrap_or(task);
        if task.kind() != crate::task::TaskKind::Tokens {
            if let Some(v) = obj.get(&task.label_field) {
                label_kinds.check(path, line, &task.label_field, v)?;
            }
        }
        let rec = RecordReader::new(path, line, &obj);
        let example = parse_record(task, &rec, line, labels)?;
        if let Some(first) = first_line.insert(example.id_key(), line) {
            return Err(rec.err(
                &task.id_field,
                format!(
                    "duplicate id {:?} (first on line {first})",
                    example.id_key()
                ),
            ));
        }
        examples.push(example);
    }
    if examples.is_empty() {
        return Err(Error::input(path, None, None, "the split has no records"));
    }
    let multi = task.multi_label || inferred.is_some();
    Ok((
        Split {
            path: path.to_path_buf(),
            examples,
        },
        multi,
    ))
}

/// SHA-256 of a file, hex-encoded.
pub fn sha256_file(path: &Path) -> Result<String> {
    if let Some(d) = digests().get(path) {
        return Ok(d.clone());
    }
    let mut f = open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| Error::io("cannot read", path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Longest line a JSONL file may have (64 MiB): a file without newlines (`/dev/zero`) is an
/// error naming its line instead of filling memory.
pub const MAX_LINE_BYTES: usize = 64 << 20;

/// Lines of `reader` (without their end), each at most [`MAX_LINE_BYTES`]; a longer line, an
/// I/O error or invalid UTF-8 is an error naming file and line, and ends the iteration.
pub fn capped_lines<'a, R: BufRead + 'a>(
    path: &'a Path,
    mut reader: R,
) -> impl Iterator<Item = Result<String>> + 'a {
    let mut n = 0usize;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        n += 1;
        let mut buf = Vec::new();
        let limit = (MAX_LINE_BYTES + 1) as u64;
        let got = match reader.by_ref().take(limit).read_until(b'\n', &mut buf) {
            Ok(0) => return None,
            Ok(k) => k,
            Err(e) => {
                done = true;
                return Some(Err(located(path, n, None, format!("cannot read: {e}"))));
            }
        };
        if got > MAX_LINE_BYTES && buf.last() != Some(&b'\n') {
            done = true;
            return Some(Err(located(
                path,
                n,
                None,
                format!("the line is longer than {} MiB", MAX_LINE_BYTES >> 20),
            )));
        }
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        Some(String::from_utf8(buf).map_err(|_| {
            done = true;
            located(
                path,
                n,
                None,
                format!("the line is not valid UTF-8 ({UTF8_HINT})"),
            )
        }))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task;
    use std::io::Write;

    #[test]
    fn numeric_and_boolean_labels_are_their_json_text_and_tsv_reads_by_extension() {
        let dir = tempfile::tempdir().unwrap();
        let t = task::find("top3").unwrap();
        let p = write(
            dir.path(),
            "n.jsonl",
            "{\"idx\": 1, \"symptoms\": \"a\", \"code\": 3}\n{\"idx\": 2, \"symptoms\": \"b\", \"code\": 4}\n",
        );
        let s = load_split(&t, &p, Labels::Required).unwrap();
        assert_eq!(s.examples[0].gold, Some(Gold::Label("3".into())));
        let p = write(
            dir.path(),
            "b.jsonl",
            "{\"idx\": 1, \"symptoms\": \"a\", \"code\": true}\n",
        );
        let s = load_split(&t, &p, Labels::Required).unwrap();
        assert_eq!(s.examples[0].gold, Some(Gold::Label("true".into())));
        // A file mixing label types is refused at the first disagreement.
        let p = write(
            dir.path(),
            "m.jsonl",
            "{\"idx\": 1, \"symptoms\": \"a\", \"code\": 3}\n{\"idx\": 2, \"symptoms\": \"b\", \"code\": true}\n",
        );
        let e = load_split(&t, &p, Labels::Required)
            .unwrap_err()
            .to_string();
        assert!(e.contains("m.jsonl:2: field `code`: the label true is a boolean, but the label on line 1 is a number"), "{e}");
        let p = write(
            dir.path(),
            "n.tsv",
            "idx\tsymptoms\tcode\n1\tболит, голова\tG43\n",
        );
        let s = load_split(&t, &p, Labels::Required).unwrap();
        assert_eq!(s.examples[0].input, Input::Text("болит, голова".into()));
        let p = write(
            dir.path(),
            "bad.jsonl",
            "{\"idx\": 1, \"symptoms\": \"a\", \"code\": null}\n",
        );
        let e = load_split(&t, &p, Labels::Required)
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with("field `code`: expected a label (string, number or boolean), found null"),
            "{e}"
        );
    }

    fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
        let p = dir.join(name);
        let mut f = File::create(&p).unwrap();
        f.write_all(body.as_bytes()).unwrap();
        p
    }

    #[test]
    fn loads_pairs_and_skips_blank_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "d.jsonl",
            "{\"pairID\": \"a\", \"context\": \"Кот\", \"question\": \"ест?\", \"answer\": \"да\"}\n\n",
        );
        let split = load_split(&task::find("danet").unwrap(), &p, Labels::Required).unwrap();
        assert_eq!(split.examples.len(), 1);
        assert_eq!(split.examples[0].input.joined_text(), "Кот ест?");
        assert_eq!(split.examples[0].gold, Some(Gold::Label("да".into())));
    }

    #[test]
    fn errors_name_file_line_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let t = task::find("top3").unwrap();
        let cases = [
            (
                "{\"idx\": \"a\", \"code\": \"X\"}",
                "field `symptoms`: missing",
            ),
            (
                "{\"idx\": \"a\", \"symptoms\": 3, \"code\": \"X\"}",
                "field `symptoms`: expected a string",
            ),
            ("{\"idx\": \"a\", \"symptoms\": \"s\"", "invalid JSON"),
            ("[1, 2]", "expected a JSON object"),
        ];
        for (body, want) in cases {
            let p = write(
                dir.path(),
                "t.jsonl",
                &format!("{{\"idx\": \"ok\", \"symptoms\": \"s\", \"code\": \"X\"}}\n{body}\n"),
            );
            let err = load_split(&t, &p, Labels::Required)
                .unwrap_err()
                .to_string();
            assert!(err.contains("t.jsonl:2:"), "{err}");
            assert!(err.contains(want), "{err} should contain {want}");
        }
    }

    #[test]
    fn token_tag_length_mismatch_and_empty_split_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let t = task::find("ner").unwrap();
        let p = write(
            dir.path(),
            "n.jsonl",
            "{\"idx\": \"s\", \"tokens\": [\"a\", \"b\"], \"ner_tags\": [\"O\"]}\n",
        );
        let err = load_split(&t, &p, Labels::Required)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("n.jsonl:1: field `ner_tags`: has 1 tags but `tokens` has 2 tokens"),
            "{err}"
        );
        let p = write(dir.path(), "e.jsonl", "\n");
        let err = load_split(&t, &p, Labels::Required)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no records"), "{err}");
    }

    #[test]
    fn missing_split_says_where_it_looked_and_how_to_fetch() {
        let dir = tempfile::tempdir().unwrap();
        let err = split_path(dir.path(), &task::find("top3").unwrap(), SplitName::Train)
            .unwrap_err()
            .to_string();
        assert!(err.contains("RuMedTop3/train_v1.jsonl"), "{err}");
        assert!(err.contains(FETCH_HINT), "{err}");
        let err = split_path(dir.path(), &task::find("nli").unwrap(), SplitName::Train)
            .unwrap_err()
            .to_string();
        assert!(err.contains("physionet.org"), "{err}");
        assert!(err.contains("--train-file"), "{err}");
    }
}
