//! Scoring prediction files: reads `RuMed*.jsonl` in upstream's schema and computes the
//! paper's metrics and Overall exactly as upstream's `code/eval.py` does.
//!
//! By default the gold label is the one each prediction file carries (as `eval.py` reads it);
//! with a gold split the ids are checked against it and its labels are used instead.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use crate::error::{bail, Error, Result};
use serde_json::{json, Map, Value};

use crate::data::{self, Gold, RecordReader};
use crate::scoring::metrics::{self, ClassOutcome, SentenceCounts, SetOutcome};
use crate::task::{self, Metric, TaskKind, TaskSpec};

use super::gold::{json_type, label_value, load_gold, own_gold, LabelKind};

/// Per-example outcomes of one task, from which every metric is a sum.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcomes {
    /// Classification tasks: one outcome per example.
    Class(Vec<ClassOutcome>),
    /// Tagging tasks: counts per sentence.
    Tagging(Vec<SentenceCounts>),
    /// Multi-label tasks: label sets per example.
    Multi(MultiOutcomes),
}

/// Multi-label outcomes: the label table and each example's sets as indices into it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MultiOutcomes {
    /// Every label seen in gold, prediction or the ranked lists, in order of appearance.
    pub labels: Vec<String>,
    /// One outcome per example.
    pub items: Vec<SetOutcome>,
    index: HashMap<String, u32>,
}

impl MultiOutcomes {
    /// Scores and appends one example (see [`metrics::set_outcome`]).
    pub fn push(&mut self, gold: &[String], pred: &[String], ranked: &[String]) {
        let (labels, index) = (&mut self.labels, &mut self.index);
        let mut id = |l: &str| {
            *index.entry(l.to_string()).or_insert_with(|| {
                labels.push(l.to_string());
                (labels.len() - 1) as u32
            })
        };
        let o = metrics::set_outcome(gold, pred, ranked, &mut id);
        self.items.push(o);
    }

    /// Macro-F1 (percent) over the examples picked by `idx` (all when `None`).
    pub fn macro_f1_on(&self, idx: Option<&[usize]>) -> f64 {
        let n = self.labels.len();
        let counts = match idx {
            Some(ix) => metrics::label_counts(ix.iter().map(|&i| &self.items[i]), n),
            None => metrics::label_counts(self.items.iter(), n),
        };
        metrics::macro_f1(&counts)
    }
}

impl Outcomes {
    /// Number of examples (sentences for tagging).
    pub fn len(&self) -> usize {
        match self {
            Outcomes::Class(v) => v.len(),
            Outcomes::Tagging(v) => v.len(),
            Outcomes::Multi(m) => m.items.len(),
        }
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether these are tagging outcomes (token accuracy and entity F1).
    pub fn is_tagging(&self) -> bool {
        matches!(self, Outcomes::Tagging(_))
    }

    /// Example `i`'s counts.
    pub fn tally_at(&self, i: usize) -> Tally {
        match self {
            Outcomes::Class(v) => {
                let o = &v[i];
                Tally([1, u64::from(o.top1), u64::from(o.hit3), 0, 0, 0, 0])
            }
            Outcomes::Multi(m) => {
                let o = &m.items[i];
                Tally([
                    1,
                    u64::from(o.exact()),
                    o.true_positives() as u64,
                    o.pred.len() as u64,
                    o.gold.len() as u64,
                    u64::from(o.hits1),
                    u64::from(o.hits3),
                ])
            }
            Outcomes::Tagging(v) => {
                let c = &v[i];
                let (tp, p, g) = c.micro();
                Tally([
                    c.tokens_correct as u64,
                    c.tokens as u64,
                    tp as u64,
                    p as u64,
                    g as u64,
                    0,
                    0,
                ])
            }
        }
    }

    /// Every example's counts, in order; the bootstrap resamples these.
    pub fn tallies(&self) -> Vec<Tally> {
        (0..self.len()).map(|i| self.tally_at(i)).collect()
    }

    /// Whether `metric` is a ratio of summed counts (see [`Outcomes::metric_from`]); macro-F1
    /// is not, and is computed from the examples themselves ([`Outcomes::metric_on`]).
    pub fn additive(&self, metric: Metric) -> bool {
        metric != Metric::MacroF1
    }

    /// A metric, in percent, from counts summed over some examples of these outcomes.
    /// This is the one place a metric is computed from counts; a metric that is not
    /// [`Outcomes::additive`] gives NaN here.
    pub fn metric_from(&self, metric: Metric, t: &Tally) -> f64 {
        let [a, b, c, d, e, f, g] = t.0.map(|x| x as usize);
        match self {
            Outcomes::Multi(_) => match metric {
                Metric::MicroF1 => metrics::prf(c, d, e).2 * 100.0,
                Metric::P1 => metrics::percent(f, a),
                Metric::P3 => metrics::percent(g, 3 * a),
                Metric::MacroF1 => f64::NAN,
                _ => metrics::percent(b, a),
            },
            Outcomes::Class(_) => match metric {
                Metric::Hit3 => metrics::percent(c, a),
                _ => metrics::percent(b, a),
            },
            Outcomes::Tagging(_) => match metric {
                Metric::F1 => metrics::prf(c, d, e).2 * 100.0,
                _ => metrics::percent(a, b),
            },
        }
    }

    /// A metric over the examples picked by `idx` (all examples when `None`), in percent.
    pub fn metric_on(&self, metric: Metric, idx: Option<&[usize]>) -> f64 {
        if let (Outcomes::Multi(m), false) = (self, self.additive(metric)) {
            return m.macro_f1_on(idx);
        }
        let mut total = Tally::default();
        match idx {
            Some(ix) => ix.iter().for_each(|&i| total.add(&self.tally_at(i))),
            None => (0..self.len()).for_each(|i| total.add(&self.tally_at(i))),
        }
        self.metric_from(metric, &total)
    }
}

/// One example's counts (or a sum of them), from which every additive metric is a ratio: a
/// classification example is `[1, top1, hit3, 0, 0, 0, 0]`, a sentence is `[tokens correct,
/// tokens, entity true positives, predicted entities, gold entities, 0, 0]`, a multi-label
/// example `[1, exact set, true positives, predicted, gold, P@1 hit, P@3 hits]`. Plain
/// integers, so a bootstrap replicate is a sum with no allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally(pub [u64; 7]);

impl Tally {
    /// Adds another tally into this one.
    #[inline]
    pub fn add(&mut self, o: &Tally) {
        for (a, b) in self.0.iter_mut().zip(o.0) {
            *a += b;
        }
    }
}

/// Who each example is, parallel to [`Outcomes`]: what `score_file` knows beyond the counts,
/// kept for per-label reports and paired comparisons. Empty when a score was built from
/// outcomes alone (e.g. by `train`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Examples {
    /// Each example's id key, in file order.
    pub ids: Vec<String>,
    /// Each example's line in the prediction file.
    pub lines: Vec<usize>,
    /// Classification only: each example's (gold label, top-1 prediction); empty for tagging,
    /// whose per-type counts are in [`SentenceCounts`].
    pub labels: Vec<(String, String)>,
}

/// One task's scores.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskScore {
    /// The task scored.
    pub task: TaskSpec,
    /// Metric values in percent, in the task's metric order.
    pub values: Vec<(Metric, f64)>,
    /// The per-example outcomes behind them.
    pub outcomes: Outcomes,
    /// Ids, lines and labels of those examples (empty unless read from a prediction file).
    pub examples: Examples,
}

impl TaskScore {
    /// Builds the score from outcomes.
    pub fn from_outcomes(task: TaskSpec, outcomes: Outcomes) -> Self {
        let values = task
            .metrics
            .iter()
            .map(|&m| (m, outcomes.metric_on(m, None)))
            .collect();
        Self {
            task,
            values,
            outcomes,
            examples: Examples::default(),
        }
    }

    /// The task's contribution to Overall: the mean of its metrics.
    pub fn primary(&self) -> f64 {
        mean(self.values.iter().map(|v| v.1))
    }

    /// A metric's value, if the task reports it.
    pub fn get(&self, m: Metric) -> Option<f64> {
        self.values.iter().find(|v| v.0 == m).map(|v| v.1)
    }
}

/// The mean of some values, 0 when there are none (how a task's primary figure is formed).
pub fn mean(it: impl Iterator<Item = f64>) -> f64 {
    let (s, n) = it.fold((0.0, 0usize), |(s, n), x| (s + x, n + 1));
    if n == 0 {
        0.0
    } else {
        s / n as f64
    }
}

/// Scores of a directory of prediction files.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Scored tasks, in the paper's order.
    pub tasks: Vec<TaskScore>,
    /// Built-in tasks with no prediction file (they count 0 in Overall, as upstream).
    pub missing: Vec<String>,
}

impl Report {
    /// Overall as upstream computes it: the mean over the five tasks of each task's metric
    /// mean, a missing task counting 0.
    pub fn overall(&self) -> f64 {
        overall_of(&self.tasks)
    }

    /// Whether any of the paper's tasks was scored: only then is there an Overall.
    pub fn has_benchmark(&self) -> bool {
        let overall = task::overall_tasks();
        self.tasks.iter().any(|t| overall.contains(&t.task.name))
    }

    /// The JSON form: `{"tasks": {...}, "overall": x, "missing": [...]}` (`overall` is null for
    /// a folder of other tasks only).
    pub fn to_json(&self) -> Value {
        let mut tasks = Map::new();
        for t in &self.tasks {
            let mut m = Map::new();
            for (metric, v) in &t.values {
                m.insert(metric.key().into(), json!(v));
            }
            tasks.insert(t.task.name.clone(), Value::Object(m));
        }
        let overall = if self.has_benchmark() {
            json!(self.overall())
        } else {
            Value::Null
        };
        json!({"tasks": tasks, "overall": overall, "missing": self.missing})
    }
}

/// Overall over whichever built-in tasks are present in `scores`.
pub fn overall_of(scores: &[TaskScore]) -> f64 {
    let names: Vec<&str> = scores.iter().map(|s| s.task.name.as_str()).collect();
    let primaries: Vec<f64> = scores.iter().map(TaskScore::primary).collect();
    OverallRule::new(&names).apply(&primaries)
}

/// Overall's formula for a given list of tasks, prepared once so it can be applied to many
/// bootstrap replicates: the sum of the primary figures of the tasks of the paper's Overall
/// ([`task::overall_tasks`]) present, divided by the number of those tasks (so an absent one
/// counts 0, as upstream). Other tasks never change it.
#[derive(Debug, Clone, PartialEq)]
pub struct OverallRule {
    counted: Vec<bool>,
    divisor: f64,
}

impl OverallRule {
    /// The rule for tasks named `names`, in that order.
    pub fn new(names: &[&str]) -> Self {
        let overall = task::overall_tasks();
        let counted = names
            .iter()
            .enumerate()
            .map(|(i, n)| {
                // A task listed twice would count twice; only its first occurrence counts.
                overall.iter().any(|o| o == n) && !names[..i].contains(n)
            })
            .collect();
        Self {
            counted,
            divisor: overall.len() as f64,
        }
    }

    /// Overall from the primary figures of the tasks, in the order given to [`Self::new`].
    pub fn apply(&self, primaries: &[f64]) -> f64 {
        // A fold from +0.0: `Sum` for floats starts at -0.0, which would print as "-0.00".
        let sum = primaries
            .iter()
            .zip(&self.counted)
            .filter(|(_, &c)| c)
            .fold(0.0, |acc, (p, _)| acc + p);
        sum / self.divisor
    }
}

/// The ranked labels of a classification record with their kinds. A task scored with Hit@3
/// takes a non-empty list, as `eval.py` reads `prediction[0]` and `set(prediction)`: a string
/// there would be read as its characters (`"A01"`: top-1 `"A"`), so it is refused. Any other
/// task also takes one label (a string or a number). With `numbers_as_text` (gold from a
/// split, whose numeric labels are read as their JSON text) numbers are taken as their text.
fn ranked_prediction(
    rec: &RecordReader,
    ranked_task: bool,
    numbers_as_text: bool,
) -> Result<Vec<(String, LabelKind)>> {
    let item = |v: &Value, what: &str| -> Result<(String, LabelKind)> {
        match (v, numbers_as_text) {
            (Value::Number(n), true) => Ok((n.to_string(), LabelKind::String)),
            _ => label_value(v).ok_or_else(|| {
                rec.err(
                    "prediction",
                    format!(
                        "{what} should be a label (string or number), found {}",
                        json_type(v)
                    ),
                )
            }),
        }
    };
    let ranked = match rec.value("prediction")? {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| item(v, &format!("item {i}")))
            .collect::<Result<Vec<_>>>()?,
        Value::String(s) if ranked_task => {
            let first = s.chars().next().map_or(String::new(), String::from);
            return Err(rec.err(
                "prediction",
                format!(
                    "a string, but this task's predictions are ranked lists of labels (eval.py \
                     would read {s:?} as its characters, top-1 {first:?}); write [{s:?}]"
                ),
            ));
        }
        v => vec![item(v, "the prediction")?],
    };
    if ranked.is_empty() {
        return Err(rec.err("prediction", "the list of labels is empty"));
    }
    Ok(ranked)
}

/// What the records of a prediction file add up to, record by record.
#[derive(Default)]
struct FileTally {
    seen: HashSet<String>,
    class: Vec<ClassOutcome>,
    /// Gold and predicted tags, scored together at the end as seqeval scores a corpus.
    gold_tags: Vec<Vec<String>>,
    pred_tags: Vec<Vec<String>>,
    multi: MultiOutcomes,
    examples: Examples,
    /// The kind of the first single label (gold or top-1) of the file, its line, and whether
    /// it was the top-1 prediction.
    first_kind: Option<(LabelKind, usize, bool)>,
}

impl FileTally {
    /// Registers the record's id (a repeated id is an error) and returns its key.
    fn register(&mut self, rec: &RecordReader, task: &TaskSpec, line: usize) -> Result<String> {
        let id = data::id_key(&rec.id(&task.id_field)?);
        if !self.seen.insert(id.clone()) {
            return Err(rec.err(&task.id_field, format!("duplicate id {id:?}")));
        }
        self.examples.ids.push(id.clone());
        self.examples.lines.push(line);
        Ok(id)
    }

    /// Refuses a file that mixes string and number labels among its gold and top-1 labels, as
    /// scikit-learn's `accuracy_score` (in `eval.py`) does.
    fn check_kind(
        &mut self,
        rec: &RecordReader,
        line: usize,
        field: &str,
        kind: LabelKind,
    ) -> Result<()> {
        let is_pred = field == "prediction";
        match self.first_kind {
            None => self.first_kind = Some((kind, line, is_pred)),
            Some((k, first_line, first_pred)) if k != kind => {
                return Err(rec.err(
                    field,
                    format!(
                        "{}, but the {} of line {first_line} is {}: eval.py refuses a file that \
                         mixes string and number labels (scikit-learn's \"Mix of label input \
                         types\")",
                        kind.name(),
                        if first_pred {
                            "top-1 prediction"
                        } else {
                            "gold label"
                        },
                        k.name()
                    ),
                ))
            }
            Some(_) => {}
        }
        Ok(())
    }

    /// Adds the record's prediction against `gold` (`gold_kind`: the kind of a gold label the
    /// record carries itself, `None` when it comes from a split).
    fn add(
        &mut self,
        rec: &RecordReader,
        task: &TaskSpec,
        line: usize,
        gold: Gold,
        gold_kind: Option<LabelKind>,
    ) -> Result<()> {
        match gold {
            Gold::Tags(g) => {
                let p = rec.strings("prediction")?;
                if p.len() != g.len() {
                    return Err(rec.err(
                        "prediction",
                        format!("has {} tags but the gold has {}", p.len(), g.len()),
                    ));
                }
                self.gold_tags.push(g);
                self.pred_tags.push(p);
            }
            Gold::Label(g) => {
                let ranked_task = task.metrics.contains(&Metric::Hit3);
                let ranked = ranked_prediction(rec, ranked_task, gold_kind.is_none())?;
                let gk = gold_kind.unwrap_or(LabelKind::String);
                if gold_kind.is_some() {
                    self.check_kind(rec, line, &task.label_field, gk)?;
                    self.check_kind(rec, line, "prediction", ranked[0].1)?;
                }
                // A string never equals a number (`3 in {"3"}` is False in eval.py).
                let same = |p: &(String, LabelKind)| p.1 == gk && p.0 == g;
                self.class.push(metrics::ClassOutcome {
                    top1: same(&ranked[0]),
                    hit3: ranked.iter().any(same),
                });
                self.examples.labels.push((g, ranked[0].0.clone()));
            }
            Gold::Labels(g) => {
                let pred = rec.label_set("prediction", None)?;
                // P@k reads the most probable labels: `ranked` as train writes it, else the
                // predicted set in its order.
                let ranked = match rec.value("ranked") {
                    Ok(_) => rec.label_set("ranked", None)?,
                    Err(_) => pred.clone(),
                };
                self.multi.push(&g, &pred, &ranked);
            }
        }
        Ok(())
    }

    /// The task's score from what was added.
    fn into_score(self, task: &TaskSpec) -> TaskScore {
        let outcomes = if task.kind() == TaskKind::Tokens {
            Outcomes::Tagging(metrics::corpus_sentence_counts(
                &self.gold_tags,
                &self.pred_tags,
            ))
        } else if task.multi_label {
            Outcomes::Multi(self.multi)
        } else {
            Outcomes::Class(self.class)
        };
        let mut score = TaskScore::from_outcomes(task.clone(), outcomes);
        score.examples = self.examples;
        score
    }
}

/// Scores one prediction file of `task`. With `gold_dir`, ids must match the task's test
/// split there one to one, and its labels are used.
pub fn score_file(task: &TaskSpec, path: &Path, gold_dir: Option<&Path>) -> Result<TaskScore> {
    let gold = gold_dir.map(|d| load_gold(task, d)).transpose()?;
    let reader = data::open(path)?;
    let mut tally = FileTally::default();
    for item in data::jsonl_objects(path, reader) {
        let (line, obj) = item?;
        let rec = RecordReader::new(path, line, &obj);
        let id = tally.register(&rec, task, line)?;
        let (gold_label, gold_kind) = match &gold {
            Some(g) => (g.label(&rec, task, &id)?, None),
            None => own_gold(&rec, task)?,
        };
        tally.add(&rec, task, line, gold_label, gold_kind)?;
    }
    // seqeval's accuracy_score divides by the number of tokens: eval.py fails on a file whose
    // sentences are all empty (empty sentences among others are scored, adding nothing).
    if task.kind() == TaskKind::Tokens && tally.gold_tags.iter().all(Vec::is_empty) {
        if let Some(&line) = tally.examples.lines.first() {
            return Err(Error::input(
                path,
                line,
                Some(&task.label_field),
                "every sentence of the file is empty, so there is no token to score (eval.py \
                 fails here: seqeval's accuracy_score divides by zero)",
            ));
        }
    }
    if tally.seen.is_empty() {
        return Err(Error::input(
            path,
            None,
            None,
            "the prediction file has no records",
        ));
    }
    if let Some(g) = &gold {
        g.check_all_predicted(&tally.seen, task, path)?;
    }
    Ok(tally.into_score(task))
}

/// Scores every `RuMed*.jsonl` of the built-in tasks found in `dir`, and the prediction file of
/// every other task whose run record (`<name>.run.json`, written by `train` and `tune`) lies
/// beside it.
pub fn score_dir(dir: &Path, gold_dir: Option<&Path>) -> Result<Report> {
    score_dir_with(dir, gold_dir, &[])
}

/// [`score_dir`], also scoring `<name>.jsonl` of each of `own` (tasks from task files); a task
/// named there must have its prediction file in `dir`.
pub fn score_dir_with(dir: &Path, gold_dir: Option<&Path>, own: &[TaskSpec]) -> Result<Report> {
    if !dir.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    let mut tasks = Vec::new();
    let mut missing = Vec::new();
    for t in task::builtin() {
        let path = dir.join(format!("{}.jsonl", t.name));
        if present(&path)? {
            tasks.push(score_file(&t, &path, gold_dir)?);
        } else {
            missing.push(t.name.clone());
        }
    }
    if tasks.is_empty() {
        // Not a benchmark folder: there is no Overall, so nothing is missing from it.
        missing.clear();
    }
    let builtin_names: Vec<String> = task::builtin().into_iter().map(|t| t.name).collect();
    let mut others: Vec<(TaskSpec, String)> = Vec::new();
    let own_files = own.iter().map(|s| (s.clone(), s.name.clone()));
    for (spec, stem) in own_files.chain(run_record_tasks(dir)?) {
        if !builtin_names.contains(&spec.name) && !others.iter().any(|o| o.0.name == spec.name) {
            others.push((spec, stem));
        }
    }
    for (spec, stem) in &mut others {
        // Beside its record (`test --out` names both), else named after the task.
        let beside = dir.join(format!("{stem}.jsonl"));
        let path = if present(&beside)? {
            beside
        } else {
            dir.join(format!("{}.jsonl", spec.name))
        };
        if present(&path)? {
            if spec.multi_label {
                // P@3 is reported when train had more than three labels, so three are ranked.
                spec.metrics = task::multi_label_metrics(ranked_len(&path)? >= 3);
            } else if spec.kind() != TaskKind::Tokens && ranked_predictions(&path)? {
                // A task file does not say how many classes the model had; ranked lists
                // (written for more than three classes) are scored with Hit@3 too.
                spec.metrics = vec![Metric::Acc, Metric::Hit3];
            }
            tasks.push(score_file(spec, &path, None)?);
        } else if own.iter().any(|o| o.name == spec.name) {
            bail!(
                "{}: no prediction file for task {}",
                path.display(),
                spec.name
            );
        }
    }
    if tasks.is_empty() {
        let files: Vec<String> = task::builtin()
            .iter()
            .map(|t| format!("{}.jsonl", t.name))
            .collect();
        bail!(
            "{} holds no prediction file (expected some of {}, or <name>.jsonl of your own task \
             beside its <name>.run.json or <name>.tune.json, or named by --task-file)",
            dir.display(),
            files.join(", ")
        );
    }
    Ok(Report { tasks, missing })
}

/// Whether a prediction file is there: `false` when nothing is at `path`, an error naming it
/// when something is but cannot be read as a file (a folder, a dangling link), so it is never
/// silently scored as missing.
fn present(path: &Path) -> Result<bool> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(Error::io("cannot read", path, e)),
        Ok(_) => match std::fs::metadata(path) {
            Ok(m) if m.is_file() => Ok(true),
            Ok(_) => Err(Error::input(path, None, None, "not a file")),
            Err(e) => Err(Error::io("cannot read", path, e)),
        },
    }
}

/// Whether the first record of a prediction file lists more than one label.
fn ranked_predictions(path: &Path) -> Result<bool> {
    let reader = data::open(path)?;
    match data::jsonl_objects(path, reader).next() {
        Some(Ok((_, obj))) => {
            Ok(matches!(obj.get("prediction"), Some(Value::Array(a)) if a.len() > 1))
        }
        Some(Err(e)) => Err(e),
        None => Ok(false),
    }
}

/// How many labels the first record of a multi-label prediction file ranks.
fn ranked_len(path: &Path) -> Result<usize> {
    let reader = data::open(path)?;
    match data::jsonl_objects(path, reader).next() {
        Some(Ok((_, obj))) => Ok(match obj.get("ranked") {
            Some(Value::Array(a)) => a.len(),
            _ => 0,
        }),
        Some(Err(e)) => Err(e),
        None => Ok(0),
    }
}

/// The record suffixes: `train` and `test --out` write `<stem>.run.json`, `tune` writes
/// `<stem>.tune.json`, each beside its predictions `<stem>.jsonl`.
const RECORD_SUFFIXES: [&str; 2] = [".run.json", ".tune.json"];

/// The task definitions recorded in the run records (`*.run.json`, `*.tune.json`, key
/// `task_spec`) of `dir`, in file-name order, each with the stem of its prediction file. Files
/// without that key are passed over; one that cannot be read or parsed is an error naming it.
fn run_record_tasks(dir: &Path) -> Result<Vec<(TaskSpec, String)>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io("cannot list", dir, e))?;
    let mut paths: Vec<(PathBuf, String)> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| {
            let name = p.file_name()?.to_string_lossy().into_owned();
            let stem = RECORD_SUFFIXES
                .iter()
                .find_map(|s| name.strip_suffix(s))?
                .to_string();
            Some((p, stem))
        })
        .collect();
    paths.sort();
    let mut specs = Vec::new();
    for (p, stem) in paths {
        let text = data::read_capped_string(&p, data::MAX_FILE_BYTES, "a run record")?;
        let v: Value = serde_json::from_str(&text)
            .map_err(|e| Error::input(&p, None, None, format!("not a run record: {e}")))?;
        if let Some(spec) = v.get("task_spec") {
            let spec: TaskSpec = serde_json::from_value(spec.clone()).map_err(|e| {
                Error::input(&p, None, Some("task_spec"), format!("not a task: {e}"))
            })?;
            specs.push((spec, stem));
        }
    }
    Ok(specs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overall_counts_only_the_papers_tasks_each_once() {
        let rule = OverallRule::new(&["RuMedTop3", "mytask", "RuMedTop3", "RuMedNER"]);
        // mytask and the repeated RuMedTop3 do not count; the divisor is the paper's five.
        assert!((rule.apply(&[50.0, 100.0, 50.0, 80.0]) - 26.0).abs() < 1e-12);
    }
}
