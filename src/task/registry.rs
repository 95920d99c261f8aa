//! The built-in RuMedBench tasks and the paper's figures.

use super::spec::{InputFields, Metric, TaskSpec};
use crate::error::{bail, Result};

const NLI_NOTICE: &str = "RuMedNLI's train split is PhysioNet credentialed data (derived from MIMIC-III) and is \
not redistributed. Obtain it after credentialing at https://physionet.org/content/rumednli/ and save it as \
<data-dir>/RuMedNLI/train_v1.jsonl, or train on another split with --train-file FILE \
(e.g. --train-file data/RuMedNLI/dev_v1.jsonl).";

fn classification(
    name: &str,
    alias: &str,
    id: &str,
    inputs: InputFields,
    label: &str,
    ranked: bool,
) -> TaskSpec {
    TaskSpec {
        name: name.into(),
        alias: alias.into(),
        id_field: id.into(),
        inputs,
        label_field: label.into(),
        metrics: if ranked {
            vec![Metric::Acc, Metric::Hit3]
        } else {
            vec![Metric::Acc]
        },
        label_order: None,
        top_k: if ranked { 3 } else { 1 },
        train_notice: None,
        multi_label: false,
        label_separator: None,
    }
}

/// The systems of the paper's Table 3, in its row order; [`Builtin::paper`] and
/// [`PAPER_OVERALL`] hold their figures in this order.
pub const PAPER_SYSTEMS: [&str; 6] = [
    "Naive",
    "Feature-based",
    "BiLSTM",
    "RuBERT",
    "RuPoolBERT",
    "Human",
];

/// The paper's Overall column (test, %), in [`PAPER_SYSTEMS`] order.
pub const PAPER_OVERALL: [&str; 6] = ["35.21", "58.46", "53.87", "61.44", "67.20", "61.89"];

/// A built-in task: its [`TaskSpec`] and what only the benchmark knows about it. Adding a
/// task is adding one entry to [`registry`]: `eval`, `report`, the help texts, `submit` and
/// Overall all read it.
#[derive(Debug, Clone)]
pub struct Builtin {
    /// Files, fields, metrics.
    pub spec: TaskSpec,
    /// Short Latin name (chart groups): `Top3`.
    pub short: &'static str,
    /// Whether the task is one of the paper's Overall: the mean over exactly these tasks.
    pub in_overall: bool,
    /// The paper's Table 3 cell of each of [`PAPER_SYSTEMS`] (`None` for a task not in it).
    pub paper: Option<[&'static str; 6]>,
    /// The answers the MedBench leaderboard accepts when the task is part of a submission
    /// (its private test is answered with the task's id and label fields).
    pub leaderboard: Option<&'static [&'static str]>,
}

/// The RuMedBench tasks, in the paper's column order.
pub fn registry() -> Vec<Builtin> {
    let entry = |spec, short, paper, leaderboard| Builtin {
        spec,
        short,
        in_overall: true,
        paper: Some(paper),
        leaderboard,
    };
    vec![
        entry(
            classification("RuMedTop3", "top3", "idx", single("symptoms"), "code", true),
            "Top3",
            [
                "10.58 / 22.02",
                "49.76 / 72.75",
                "40.88 / 63.50",
                "39.54 / 62.29",
                "47.45 / 70.44",
                "25.06 / 48.54",
            ],
            None,
        ),
        entry(
            classification(
                "RuMedSymptomRec",
                "symptomrec",
                "idx",
                single("symptoms"),
                "code",
                true,
            ),
            "SymptomRec",
            [
                "1.93 / 5.30",
                "32.05 / 49.40",
                "20.24 / 31.33",
                "18.55 / 34.22",
                "34.94 / 52.05",
                "7.23 / 12.53",
            ],
            None,
        ),
        entry(
            danet(),
            "DaNet",
            ["50.00", "51.95", "52.34", "67.19", "71.48", "93.36"],
            Some(&["да", "нет"]),
        ),
        entry(
            nli(),
            "NLI",
            ["33.33", "59.70", "60.06", "77.64", "77.29", "83.26"],
            Some(&["entailment", "contradiction", "neutral"]),
        ),
        entry(
            ner(),
            "NER",
            [
                "93.66 / 51.96",
                "94.40 / 62.89",
                "94.74 / 63.26",
                "96.63 / 73.53",
                "96.47 / 73.15",
                "96.09 / 76.18",
            ],
            None,
        ),
    ]
}

fn single(field: &str) -> InputFields {
    InputFields::Single { text: field.into() }
}

fn pair(a: &str, b: &str) -> InputFields {
    InputFields::Pair {
        first: a.into(),
        second: b.into(),
    }
}

/// RuMedDaNet: yes/no answers in upstream's `l2i` order.
fn danet() -> TaskSpec {
    let mut t = classification(
        "RuMedDaNet",
        "danet",
        "pairID",
        pair("context", "question"),
        "answer",
        false,
    );
    t.label_order = Some(vec!["нет".into(), "да".into()]);
    t
}

/// RuMedNLI: three inference labels in upstream's `l2i` order; its train split is credentialed.
fn nli() -> TaskSpec {
    let mut t = classification(
        "RuMedNLI",
        "nli",
        "pairID",
        pair("ru_sentence1", "ru_sentence2"),
        "gold_label",
        false,
    );
    t.label_order = Some(vec![
        "neutral".into(),
        "entailment".into(),
        "contradiction".into(),
    ]);
    t.train_notice = Some(NLI_NOTICE.into());
    t
}

/// RuMedNER: IOB2 tags per token; token accuracy and entity F1.
fn ner() -> TaskSpec {
    TaskSpec {
        name: "RuMedNER".into(),
        alias: "ner".into(),
        id_field: "idx".into(),
        inputs: InputFields::Tokens {
            tokens: "tokens".into(),
        },
        label_field: "ner_tags".into(),
        metrics: vec![Metric::Acc, Metric::F1],
        label_order: None,
        top_k: 1,
        train_notice: None,
        multi_label: false,
        label_separator: None,
    }
}

/// The built-in tasks' specs, in the paper's column order.
pub fn builtin() -> Vec<TaskSpec> {
    registry().into_iter().map(|b| b.spec).collect()
}

/// The tasks the paper's Overall averages over, in order. Overall is their mean, each task
/// contributing the mean of its metrics and a task without predictions contributing 0; a
/// built-in task outside this list (`in_overall: false`) never changes it.
pub fn overall_tasks() -> Vec<String> {
    registry()
        .into_iter()
        .filter(|b| b.in_overall)
        .map(|b| b.spec.name)
        .collect()
}

/// `top3 (RuMedTop3), symptomrec (RuMedSymptomRec), ...`: the built-in tasks for help texts
/// and messages.
pub fn builtin_list() -> String {
    builtin()
        .iter()
        .map(|t| format!("{} ({})", t.alias, t.name))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Looks a built-in task up by alias or full name, case-insensitively.
pub fn find(name: &str) -> Result<TaskSpec> {
    let wanted = name.trim().to_lowercase();
    for task in builtin() {
        if task.alias == wanted || task.name.to_lowercase() == wanted {
            return Ok(task);
        }
    }
    bail!(
        "unknown task `{name}`: expected one of {}, or `all`",
        builtin_list()
    )
}

/// Resolves a `--task` value: `all` gives every built-in task in the paper's order.
pub fn resolve(name: &str) -> Result<Vec<TaskSpec>> {
    if name.trim().eq_ignore_ascii_case("all") {
        Ok(builtin())
    } else {
        Ok(vec![find(name)?])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::TaskKind;

    #[test]
    fn aliases_and_full_names_resolve_case_insensitively() {
        assert_eq!(find("SymptomRec").unwrap().name, "RuMedSymptomRec");
        assert_eq!(find("rumedtop3").unwrap().alias, "top3");
        assert_eq!(find("RuMedNER").unwrap().kind(), TaskKind::Tokens);
        assert_eq!(resolve("ALL").unwrap().len(), 5);
    }

    #[test]
    fn unknown_task_names_the_value_and_the_choices() {
        let err = find("top5").unwrap_err().to_string();
        assert!(err.contains("`top5`"), "{err}");
        assert!(err.contains("symptomrec"), "{err}");
    }

    #[test]
    fn paper_overall_is_the_mean_of_the_registry_cells() {
        // The Overall column is an explicit rule over the tasks marked `in_overall`; checking
        // it against the cells catches a mistyped figure or a task added to the rule by mistake.
        let reg = registry();
        for (i, system) in PAPER_SYSTEMS.iter().enumerate() {
            let primaries: Vec<f64> = reg
                .iter()
                .filter(|b| b.in_overall)
                .map(|b| {
                    let nums: Vec<f64> = b.paper.unwrap()[i]
                        .split('/')
                        .map(|x| x.trim().parse().unwrap())
                        .collect();
                    nums.iter().sum::<f64>() / nums.len() as f64
                })
                .collect();
            let overall = primaries.iter().sum::<f64>() / overall_tasks().len() as f64;
            let paper: f64 = PAPER_OVERALL[i].parse().unwrap();
            assert!(
                (overall - paper).abs() < 0.006,
                "{system}: {overall} vs {paper}"
            );
        }
        assert_eq!(overall_tasks().len(), 5);
    }

    #[test]
    fn ranked_tasks_keep_three_labels() {
        for t in builtin() {
            assert_eq!(t.ranked_output(), t.top_k == 3, "{}", t.name);
        }
    }
}
