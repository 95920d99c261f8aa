//! `--model plus`: the fixed preset per task type (defined once, in [`plus_recipe`] and
//! [`plus_crf`]), and the fitting of a union of vectorizer blocks.

use crate::error::{bail, Error, Result};
use crate::features::union::{Doc, UnionParams};
use crate::models::linear::{LogReg, LogRegParams, TrainMatrix};
use crate::models::union::UnionModel;
use crate::recipe::blocks::parse_blocks;
use crate::recipe::{ClassWeight, CrfRecipe, TextRecipe};
use crate::task::{TaskKind, TaskSpec};

/// The `--model plus` text recipe of a task of kind `kind` (a tagging task's text recipe is
/// unused): chosen on the dev splits by `scripts/search-plus.py` (its output:
/// `scripts/search-plus.out.tsv`), never on a test split.
pub fn plus_recipe(kind: TaskKind) -> TextRecipe {
    let (blocks, c, class_weight) = match kind {
        // Dev: DaNet 60.55, NLI 62.08 (2-fold cross-validation inside its dev split): mean
        // 61.31, against 61.15 without the stem block (DaNet 60.94, NLI 61.36).
        TaskKind::Pair => (
            "char_wb:2-5@second,word:1-1:sub@shared,stem:1-1:sub@second,cross",
            3.0,
            ClassWeight::None,
        ),
        // Dev: Top3 50.00 / 72.76, SymptomRec 30.84 / 45.06 (the rule's mean of (acc + hit3)
        // / 2: 49.67; the earlier char:3-8:sub,char_wb:2-5:sub at C = 10: 48.81).
        TaskKind::Single | TaskKind::Tokens => {
            ("char:3-8:sub,stem:1-2:sub", 30.0, ClassWeight::Balanced)
        }
    };
    TextRecipe {
        blocks: parse_blocks(blocks).expect("the plus preset's blocks parse"),
        c,
        class_weight,
        ..TextRecipe::default()
    }
}

/// The `--model plus` CRF recipe.
pub fn plus_crf() -> CrfRecipe {
    CrfRecipe::plus()
}

/// The recipe keys the plus preset leaves to the caller (`train --model plus --seed 3`,
/// Python's `random_state`): the seed, and the decision rules' threshold and empty sets. The
/// preset fixes every other key.
pub const PLUS_FREE_KEYS: &[&str] = &["seed", "threshold", "allow_empty"];

/// Refuses a recipe (text or CRF) that sets a key the plus preset fixes: every key but
/// [`PLUS_FREE_KEYS`] must hold its default value, else the error names the first key that
/// does not. What the command line refuses for `--model plus` beside a recipe flag, for
/// callers that hand a whole recipe (the API, Python's `recipe="plus"`).
pub fn check_plus_recipe<T: serde::Serialize + Default>(recipe: &T) -> Result<()> {
    let (given, default) = (
        crate::recipe::to_map(recipe),
        crate::recipe::to_map(&T::default()),
    );
    match given
        .iter()
        .find(|(k, v)| !PLUS_FREE_KEYS.contains(&k.as_str()) && default.get(*k) != Some(*v))
    {
        Some((k, v)) => Err(Error::param(
            k,
            format!(
                "{v} sets the recipe, and the plus preset is fixed per task type (only {} \
                 may be set with it): to vary it, fit the feature model with its settings \
                 (blocks, templates, ...)",
                PLUS_FREE_KEYS.join(", ")
            ),
        )),
        None => Ok(()),
    }
}

/// Vectorizes `docs` with the settings' union of blocks and fits the classifier `fit` gives
/// (`n` = the number of classes), with the note on sizes and times.
pub(super) fn fit_union_model(
    task: &TaskSpec,
    (union, lr): (Option<&UnionParams>, LogRegParams),
    docs: &[Doc<'_>],
    classes: Vec<String>,
    fit: impl FnOnce(&LogRegParams, TrainMatrix, usize) -> Result<LogReg>,
    log: &mut dyn FnMut(&str),
) -> Result<UnionModel> {
    let Some(params) = union else {
        bail!("{}: no blocks to fit", task.name);
    };
    if params.needs_pair() && task.kind() != TaskKind::Pair {
        return Err(Error::param(
            "blocks",
            format!(
                "a block reads the second text or the shared words of a pair (field second or \
                 shared, or a cross block), and task {} is not a text-pair task",
                task.name
            ),
        ));
    }
    let t0 = std::time::Instant::now();
    let (union, x) = params.fit(docs)?;
    let t_vec = t0.elapsed().as_secs_f64();
    let (rows, cols, nnz) = (x.n_rows(), x.n_cols(), x.nnz());
    let clf = fit(&lr, x.into(), classes.len())?;
    log(&format!(
        "note: {}: {rows} rows x {cols} features in {} blocks, {nnz} non-zeros; vectorized in \
         {t_vec:.2} s, fitted in {:.2} s",
        task.name,
        union.blocks().len(),
        t0.elapsed().as_secs_f64() - t_vec
    ));
    clf.validate().map_err(|e| {
        Error::Invalid(format!(
            "the fitted classifier is unusable ({e}); C = {} is too large",
            lr.c
        ))
    })?;
    Ok(UnionModel {
        union,
        clf,
        labels: classes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_a_valid_recipe_with_blocks() {
        let union = |kind| plus_recipe(kind).check().unwrap().union().unwrap();
        assert!(!union(TaskKind::Single).needs_pair());
        assert!(union(TaskKind::Pair).needs_pair());
        plus_crf().check().unwrap();
    }

    #[test]
    fn the_plus_rule_names_a_fixed_key_and_leaves_the_free_ones() {
        assert!(check_plus_recipe(&TextRecipe {
            seed: 4,
            threshold: 0.3,
            ..TextRecipe::default()
        })
        .is_ok());
        let e = check_plus_recipe(&TextRecipe {
            c: 3.0,
            ..TextRecipe::default()
        })
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("C: 3.0 sets the recipe"), "{e}");
        let e = check_plus_recipe(&plus_crf()).unwrap_err().to_string();
        assert!(e.starts_with("c1:"), "{e}");
    }
}
