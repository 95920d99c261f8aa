//! The targets of training rows: where rows come from (for errors), their labels, and the
//! class tables and indices the models fit; read from a split or given in memory.

use std::collections::BTreeSet;
use std::path::Path;

use crate::data::{Gold, Input, Split};
use crate::error::{Error, Result};
use crate::task::TaskSpec;

/// Where training rows come from, for error messages: a file and each row's line in it, or
/// data in memory (named `input`, rows numbered from 1: `input:3: ...` is the third row).
#[derive(Debug, Clone, Copy)]
pub struct Rows<'a> {
    path: &'a Path,
    lines: Option<&'a [usize]>,
}

impl<'a> Rows<'a> {
    /// Rows of the file `path`, row `i` on line `lines[i]`.
    pub fn file(path: &'a Path, lines: &'a [usize]) -> Self {
        Rows {
            path,
            lines: Some(lines),
        }
    }

    /// Rows given in memory.
    pub fn memory() -> Rows<'static> {
        Rows {
            path: Path::new("input"),
            lines: None,
        }
    }

    /// The file (or `input`) errors name.
    pub fn path(&self) -> &'a Path {
        self.path
    }

    /// The 1-based line of row `i`.
    pub fn line(&self, i: usize) -> usize {
        match self.lines {
            Some(l) => l.get(i).copied().unwrap_or(i + 1),
            None => i + 1,
        }
    }
}

/// The targets of a text classifier's training rows.
#[derive(Debug, Clone, Copy)]
pub enum Labels<'a> {
    /// One label per row (a single-label task).
    Single(&'a [String]),
    /// A set of labels per row (a multi-label task); order and repeats do not matter.
    Multi(&'a [Vec<String>]),
}

impl Labels<'_> {
    /// The number of rows labelled.
    pub fn len(&self) -> usize {
        match self {
            Labels::Single(l) => l.len(),
            Labels::Multi(l) => l.len(),
        }
    }

    /// Whether no row is labelled.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The gold label of every example of `split`; `purpose` ("training", "tuning") names
/// what needs them in the error for an example without one.
pub fn split_labels<'a>(task: &TaskSpec, split: &'a Split, purpose: &str) -> Result<Vec<&'a str>> {
    split
        .examples
        .iter()
        .map(|e| match &e.gold {
            Some(Gold::Label(l)) => Ok(l.as_str()),
            _ => Err(Error::input(
                &split.path,
                e.line,
                Some(&task.label_field),
                format!("a label is required for {purpose}"),
            )),
        })
        .collect()
}

/// The gold label set of every example of a multi-label task's train split.
pub(super) fn split_label_sets(task: &TaskSpec, train: &Split) -> Result<Vec<Vec<String>>> {
    train
        .examples
        .iter()
        .map(|e| match &e.gold {
            Some(Gold::Labels(l)) => Ok(l.clone()),
            _ => Err(Error::input(
                &train.path,
                e.line,
                Some(&task.label_field),
                "a list of labels is required for training a multi-label task",
            )),
        })
        .collect()
}

/// The label table (sorted) and each train record's label indices, for a multi-label task.
pub fn label_sets(task: &TaskSpec, train: &Split) -> Result<(Vec<String>, Vec<Vec<u32>>)> {
    let golds = split_label_sets(task, train)?;
    let lines: Vec<usize> = train.examples.iter().map(|e| e.line).collect();
    label_table(task, &golds, &Rows::file(&train.path, &lines))
}

/// Each sentence's tokens and tags of a tagging task's train split.
pub(super) type Sentences = (Vec<Vec<String>>, Vec<Vec<String>>);

pub(super) fn train_sentences(task: &TaskSpec, train: &Split) -> Result<Sentences> {
    let mut sents = Vec::with_capacity(train.examples.len());
    let mut tags = Vec::with_capacity(train.examples.len());
    for e in &train.examples {
        match (&e.input, &e.gold) {
            (Input::Tokens(t), Some(Gold::Tags(g))) => {
                sents.push(t.clone());
                tags.push(g.clone());
            }
            _ => {
                return Err(Error::input(
                    &train.path,
                    e.line,
                    Some(&task.label_field),
                    "tags are required for training",
                ))
            }
        }
    }
    Ok((sents, tags))
}

/// The label table (sorted) and each train record's label indices, from each record's label
/// set `golds`. A multi-label task needs at least two distinct labels in train.
pub(super) fn label_table(
    task: &TaskSpec,
    golds: &[Vec<String>],
    rows: &Rows<'_>,
) -> Result<(Vec<String>, Vec<Vec<u32>>)> {
    let labels: Vec<String> = match &task.label_order {
        Some(fixed) => {
            for (i, l) in golds.iter().enumerate() {
                if let Some(x) = l.iter().find(|x| !fixed.contains(x)) {
                    return Err(Error::input(
                        rows.path(),
                        rows.line(i),
                        Some(&task.label_field),
                        format!("label {x:?} is not one of {}", fixed.join(", ")),
                    ));
                }
            }
            fixed.clone()
        }
        None => golds
            .iter()
            .flat_map(|l| l.iter().cloned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
    };
    if labels.len() < 2 {
        return Err(Error::input(
            rows.path(),
            None,
            Some(&task.label_field),
            format!(
                "a multi-label classifier needs at least two distinct labels, found {}",
                labels.len()
            ),
        ));
    }
    let index: std::collections::BTreeMap<&str, u32> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| (l.as_str(), i as u32))
        .collect();
    let sets = golds
        .iter()
        .map(|l| {
            // Every label of `golds` is in the table (checked or built from them).
            let mut v: Vec<u32> = l
                .iter()
                .filter_map(|x| index.get(x.as_str()).copied())
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        })
        .collect();
    Ok((labels, sets))
}

/// The class order of a single-label task and each row's class index: the task's fixed order
/// (upstream's `l2i`) or the sorted labels; at least two classes.
pub(super) fn class_targets(
    task: &TaskSpec,
    labels: &[String],
    rows: &Rows<'_>,
) -> Result<(Vec<String>, Vec<usize>)> {
    let classes: Vec<String> = match &task.label_order {
        Some(fixed) => fixed.clone(),
        None => labels
            .iter()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
    };
    let mut y = Vec::with_capacity(labels.len());
    for (i, l) in labels.iter().enumerate() {
        match classes.iter().position(|c| c == l) {
            Some(k) => y.push(k),
            None => {
                return Err(Error::input(
                    rows.path(),
                    rows.line(i),
                    Some(&task.label_field),
                    format!("label {l:?} is not one of {}", classes.join(", ")),
                ))
            }
        }
    }
    if classes.len() < 2 {
        return Err(Error::input(
            rows.path(),
            None,
            Some(&task.label_field),
            format!(
                "a classifier needs at least two classes, found {}",
                classes.len()
            ),
        ));
    }
    Ok((classes, y))
}

/// The text model's class list and each train example's class index. Public so the tuner can
/// refit only the classifier on a cached matrix and still see exactly the classes `fit` would.
pub fn text_targets(task: &TaskSpec, train: &Split) -> Result<(Vec<String>, Vec<usize>)> {
    let labels: Vec<String> = split_labels(task, train, "training")?
        .into_iter()
        .map(str::to_string)
        .collect();
    let lines: Vec<usize> = train.examples.iter().map(|e| e.line).collect();
    class_targets(task, &labels, &Rows::file(&train.path, &lines))
}
