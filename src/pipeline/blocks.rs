//! Class-partitioned training of the hashed text model: one block of the one-vs-rest problems
//! fitted against document frequencies counted elsewhere ([`fit_text_block`]), and the blocks
//! joined into the pipeline [`fit_text`](super::fit_text) gives ([`assemble_text`]). The blocks
//! are independent, so they can be fitted on different machines; each reads the whole training
//! set (every problem's rows are all rows).

use std::ops::Range;

use serde::{Deserialize, Serialize};

use super::targets::{class_targets, label_table};
use super::{FitSettings, Fitted, Labels, ModelKind, Pipeline, Rows, TextModel};
use crate::error::{bail, Error, Result};
use crate::features::tfidf::HashedDocFreq;
use crate::models::linear::{LogReg, LogRegOut, LogRegParams};
use crate::task::{TaskKind, TaskSpec};

/// One fitted block of classes: its problems' part of the one-vs-rest model, and what
/// assembling checks (the class table, the block's place).
#[derive(Debug, Serialize, Deserialize)]
pub struct TextBlock {
    /// The whole class table, in column order.
    pub(crate) classes: Vec<String>,
    /// Whether the model is multi-label.
    pub(crate) multi_label: bool,
    /// This block's index among `n_blocks`.
    pub(crate) block: usize,
    /// How many blocks the problems were split into.
    pub(crate) n_blocks: usize,
    /// The block's problems, fitted (decoded as a model file's classifier is: unchecked, one
    /// weight form; [`assemble_text`] validates the assembled model).
    #[serde(deserialize_with = "part_from_wire")]
    pub(crate) part: LogReg,
}

fn part_from_wire<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<LogReg, D::Error> {
    LogRegOut::deserialize(d)?
        .into_inner()
        .map_err(serde::de::Error::custom)
}

impl TextBlock {
    /// The whole class table, in column order.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// This block's index and the number of blocks.
    pub fn position(&self) -> (usize, usize) {
        (self.block, self.n_blocks)
    }
}

/// Problems `block` of `n_blocks` among `n_problems`: contiguous, sizes differing by at most
/// one, earlier blocks the larger.
pub fn block_range(n_problems: usize, block: usize, n_blocks: usize) -> Result<Range<usize>> {
    if n_blocks == 0 || n_blocks > n_problems {
        return Err(Error::param(
            "class_blocks",
            format!(
                "{n_blocks} blocks for {n_problems} one-vs-rest problems: give 1 to \
                 {n_problems} blocks"
            ),
        ));
    }
    if block >= n_blocks {
        bail!("block {block} is not one of blocks 0..{n_blocks}");
    }
    let (q, r) = (n_problems / n_blocks, n_problems % n_blocks);
    let start = block * q + block.min(r);
    Ok(start..start + q + usize::from(block < r))
}

/// Fits block `block` of `n_blocks` of the hashed text model of `task` on the whole training
/// set `docs` and `labels`, with the idf of `df` (the document frequencies of `docs`, counted
/// anywhere). The class table is the one [`fit_text`](super::fit_text) forms from `labels`.
#[allow(clippy::too_many_arguments)]
pub fn fit_text_block(
    task: &TaskSpec,
    settings: &FitSettings,
    docs: &[&str],
    labels: Labels<'_>,
    df: &HashedDocFreq,
    rows: &Rows<'_>,
    block: usize,
    n_blocks: usize,
) -> Result<TextBlock> {
    if task.kind() == TaskKind::Tokens {
        bail!(
            "{}: a tagging task is not fitted by class blocks",
            task.name
        );
    }
    if docs.len() != labels.len() {
        bail!(
            "{} texts but {} labels: give one label per text",
            docs.len(),
            labels.len()
        );
    }
    if matches!(labels, Labels::Multi(_)) != task.multi_label {
        bail!(
            "{}: give a set of labels per text for a multi-label task, one label otherwise",
            task.name
        );
    }
    let (_, counts) = settings.tfidf.fit_counts_with(docs, df)?;
    let params = LogRegParams {
        seed: settings.seed,
        ..settings.logreg
    };
    let (classes, part) = match labels {
        Labels::Single(labels) => {
            let (classes, y) = class_targets(task, labels, rows)?;
            let n = LogRegParams::n_problems(classes.len(), false);
            let range = block_range(n, block, n_blocks)?;
            let part = params.fit_part(counts, &y, classes.len(), range)?;
            (classes, part)
        }
        Labels::Multi(sets) => {
            settings.multi.check()?;
            let (classes, sets) = label_table(task, sets, rows)?;
            let n = LogRegParams::n_problems(classes.len(), true);
            let range = block_range(n, block, n_blocks)?;
            let part = params.fit_sets_part(counts, &sets, classes.len(), range)?;
            (classes, part)
        }
    };
    Ok(TextBlock {
        classes,
        multi_label: task.multi_label,
        block,
        n_blocks,
        part,
    })
}

/// Joins the blocks of every index (in any order) into the pipeline of `task`: the model
/// [`fit_text`](super::fit_text) fits on the same data and settings.
pub fn assemble_text(
    task: &TaskSpec,
    settings: &FitSettings,
    df: &HashedDocFreq,
    mut blocks: Vec<TextBlock>,
) -> Result<Pipeline> {
    blocks.sort_by_key(|b| b.block);
    let Some(first) = blocks.first() else {
        bail!("no class blocks to assemble");
    };
    let n = first.n_blocks;
    for (i, b) in blocks.iter().enumerate() {
        if b.n_blocks != n || b.block != i || b.classes != first.classes {
            bail!(
                "class block {} of {} does not fit blocks 0..{n} of one fit (a block is missing, \
                 repeated or from another fit)",
                b.block,
                b.n_blocks
            );
        }
    }
    if blocks.len() != n {
        bail!("{} of {n} class blocks given", blocks.len());
    }
    if first.multi_label != task.multi_label {
        bail!(
            "{}: the blocks' multi-label setting is not the task's",
            task.name
        );
    }
    let classes = first.classes.clone();
    let clf = LogReg::assemble(blocks.into_iter().map(|b| b.part).collect())?;
    let tfidf = settings.tfidf.hashed_vectorizer(df)?;
    if tfidf.n_features() != clf.n_features() {
        bail!(
            "the blocks were fitted over {} columns, the document frequencies give {}",
            clf.n_features(),
            tfidf.n_features()
        );
    }
    Ok(Pipeline {
        task: task.clone(),
        kind: ModelKind::Feature,
        model: Fitted::Text(Box::new(TextModel {
            tfidf,
            clf,
            labels: classes,
        })),
        multi_label: task.multi_label.then_some(settings.multi),
        binary: None,
    })
}
