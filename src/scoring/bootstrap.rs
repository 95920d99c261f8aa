//! Uncertainty for scores: percentile bootstrap intervals for one system and paired
//! bootstrap comparisons of two, both computed from per-example counts ([`Tally`]).
//!
//! Determinism: every (replicate, task) pair draws from its own SplitMix64 stream, seeded
//! from the user's seed, the replicate index and the task name, so the result does not depend
//! on how rayon splits replicates between threads, nor on which other tasks are present.

use std::collections::HashMap;
use std::path::Path;

use crate::error::Result;
use rayon::prelude::*;
use serde_json::{json, Map, Value};

use crate::data;
use crate::rng::SplitMix64;
use crate::scoring::eval::{self, Outcomes, OverallRule, Report, Tally, TaskScore};
pub use crate::scoring::interval::{bootstrap_p, quantile_sorted, Difference, Interval};
use crate::scoring::paired;
use crate::scoring::table;
use crate::task::{self, Metric, TaskSpec};

/// The default seed of `--seed`.
pub const DEFAULT_SEED: u64 = 42;

/// FNV-1a of a task name: the task's stream key.
fn task_key(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Sums the tallies of `n` indices drawn with replacement: one bootstrap resample of a task.
/// The drawn indices are also kept in `idx` when given, for metrics that are not sums
/// (multi-label macro-F1); the draws are the same either way.
fn resample(tallies: &[Tally], rng: &mut SplitMix64, mut idx: Option<&mut Vec<usize>>) -> Tally {
    let n = tallies.len() as u64;
    let mut sum = Tally::default();
    if let Some(v) = idx.as_deref_mut() {
        v.clear();
    }
    for _ in 0..n {
        let i = rng.below(n) as usize;
        sum.add(&tallies[i]);
        if let Some(v) = idx.as_deref_mut() {
            v.push(i);
        }
    }
    sum
}

/// Like [`resample`] but applies the same indices to two aligned tally lists (B's in A's
/// order); `idx` keeps A's drawn indices and `map` gives B's index of each of A's.
fn resample_paired(
    a: &[Tally],
    b: &[Tally],
    rng: &mut SplitMix64,
    mut idx: Option<&mut Vec<usize>>,
) -> (Tally, Tally) {
    let n = a.len() as u64;
    let (mut sa, mut sb) = (Tally::default(), Tally::default());
    if let Some(v) = idx.as_deref_mut() {
        v.clear();
    }
    for _ in 0..n {
        let i = rng.below(n) as usize;
        sa.add(&a[i]);
        sb.add(&b[i]);
        if let Some(v) = idx.as_deref_mut() {
            v.push(i);
        }
    }
    (sa, sb)
}

/// A metric of a resample: from the summed tallies, or from the drawn examples for a metric
/// that is not a sum.
fn resampled_metric(o: &Outcomes, m: Metric, sum: &Tally, idx: &[usize]) -> f64 {
    if o.additive(m) {
        o.metric_from(m, sum)
    } else {
        o.metric_on(m, Some(idx))
    }
}

/// Whether some metric of `t` needs the drawn indices.
fn needs_indices(t: &TaskScore) -> bool {
    t.values.iter().any(|(m, _)| !t.outcomes.additive(*m))
}

/// Runs `n` replicates in parallel, each filling one row of `width` values, into one flat
/// row-major matrix: rows are independent, so the thread count cannot change the result.
/// `fill` also gets a scratch buffer reused across the replicates of a thread.
fn replicate_rows<F>(n: usize, width: usize, fill: F) -> Vec<f64>
where
    F: Fn(u64, &mut [f64], &mut Vec<f64>) + Sync,
{
    let mut flat = vec![0.0; n * width];
    if width > 0 {
        flat.par_chunks_mut(width)
            .enumerate()
            .for_each_init(Vec::new, |buf, (b, row)| fill(b as u64, row, buf));
    }
    flat
}

/// The interval of column `col` of a replicate matrix of `width` columns.
fn column_interval(flat: &[f64], width: usize, col: usize) -> Interval {
    let mut v: Vec<f64> = flat.iter().skip(col).step_by(width).copied().collect();
    Interval::percentile(&mut v)
}

/// Column layout shared by both bootstraps: the metrics of each task, one column each, then
/// one column for Overall.
struct Layout {
    /// First column of each task.
    starts: Vec<usize>,
    /// The Overall column (= total metric columns).
    overall: usize,
    rule: OverallRule,
}

impl Layout {
    fn new(tasks: &[&TaskScore]) -> Self {
        let mut starts = Vec::with_capacity(tasks.len());
        let mut col = 0;
        for t in tasks {
            starts.push(col);
            col += t.values.len();
        }
        let names: Vec<&str> = tasks.iter().map(|t| t.task.name.as_str()).collect();
        Self {
            starts,
            overall: col,
            rule: OverallRule::new(&names),
        }
    }

    fn width(&self) -> usize {
        self.overall + 1
    }

    /// Fills the Overall column from the metric columns; `primaries` is a reused buffer.
    fn fill_overall(&self, tasks: &[&TaskScore], row: &mut [f64], primaries: &mut Vec<f64>) {
        primaries.clear();
        for (t, &s) in tasks.iter().zip(&self.starts) {
            primaries.push(eval::mean(row[s..s + t.values.len()].iter().copied()));
        }
        row[self.overall] = self.rule.apply(primaries);
    }
}

/// Bootstrap intervals of one task.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskIntervals {
    /// Task name.
    pub task: String,
    /// One interval per metric, in the task's metric order.
    pub metrics: Vec<(Metric, Interval)>,
    /// The interval of the task's primary figure (the mean of its metrics).
    pub primary: Interval,
}

/// Percentile bootstrap intervals of a whole report.
#[derive(Debug, Clone, PartialEq)]
pub struct Bootstrap {
    /// Number of replicates.
    pub replicates: usize,
    /// The seed.
    pub seed: u64,
    /// Per task, in the report's order.
    pub tasks: Vec<TaskIntervals>,
    /// Overall's interval.
    pub overall: Interval,
}

impl Bootstrap {
    /// The intervals of a task, by name.
    pub fn task(&self, name: &str) -> Option<&TaskIntervals> {
        self.tasks.iter().find(|t| t.task == name)
    }
}

/// 95% percentile bootstrap intervals for every metric of `scores`, each task's primary
/// figure and Overall. Each replicate resamples every task's examples (sentences for NER)
/// with replacement, independently per task, and recomputes each metric and Overall from
/// the resampled counts.
pub fn bootstrap(scores: &[TaskScore], replicates: usize, seed: u64) -> Bootstrap {
    let tasks: Vec<&TaskScore> = scores.iter().collect();
    let layout = Layout::new(&tasks);
    let tallies: Vec<Vec<Tally>> = tasks.iter().map(|t| t.outcomes.tallies()).collect();
    let keys: Vec<u64> = tasks.iter().map(|t| task_key(&t.task.name)).collect();
    let width = layout.width();
    // Rows hold each task's metric columns then Overall, plus one primary column per task
    // after that, so primaries get intervals from the same replicates.
    let full = width + tasks.len();
    let flat = replicate_rows(replicates, full, |b, row, primaries| {
        for (ti, t) in tasks.iter().enumerate() {
            let start = layout.starts[ti];
            if tallies[ti].is_empty() {
                continue;
            }
            let mut rng = SplitMix64::stream(seed, b, keys[ti]);
            let mut idx = Vec::new();
            let keep = needs_indices(t).then_some(&mut idx);
            let sum = resample(&tallies[ti], &mut rng, keep);
            for (k, (m, _)) in t.values.iter().enumerate() {
                row[start + k] = resampled_metric(&t.outcomes, *m, &sum, &idx);
            }
        }
        layout.fill_overall(&tasks, &mut row[..width], primaries);
        for (ti, p) in primaries.iter().enumerate() {
            row[width + ti] = *p;
        }
    });
    let tasks_out = tasks
        .iter()
        .enumerate()
        .map(|(ti, t)| TaskIntervals {
            task: t.task.name.clone(),
            metrics: t
                .values
                .iter()
                .enumerate()
                .map(|(k, (m, _))| (*m, column_interval(&flat, full, layout.starts[ti] + k)))
                .collect(),
            primary: column_interval(&flat, full, width + ti),
        })
        .collect();
    Bootstrap {
        replicates,
        seed,
        tasks: tasks_out,
        overall: column_interval(&flat, full, layout.overall),
    }
}

/// A report's JSON with intervals beside each value: `"acc_ci95": [lo, hi]` right after
/// `"acc"`, `"overall_ci95"` after `"overall"`, and `"bootstrap": {"replicates", "seed"}`.
pub fn json_with_intervals(report: &Report, boot: &Bootstrap) -> Value {
    let base = report.to_json();
    let mut out = Map::new();
    if let Value::Object(top) = base {
        for (k, v) in top {
            match (k.as_str(), v) {
                ("tasks", Value::Object(tasks)) => {
                    let mut tm = Map::new();
                    for (name, metrics) in tasks {
                        let ci = boot.task(&name);
                        let mut mm = Map::new();
                        if let Value::Object(metrics) = metrics {
                            for (mk, mv) in metrics {
                                let iv =
                                    ci.and_then(|c| c.metrics.iter().find(|m| m.0.key() == mk));
                                mm.insert(mk.clone(), mv);
                                if let Some((_, iv)) = iv {
                                    mm.insert(format!("{mk}_ci95"), iv.to_json());
                                }
                            }
                        }
                        tm.insert(name, Value::Object(mm));
                    }
                    out.insert(k, Value::Object(tm));
                }
                ("overall", v) => {
                    out.insert(k, v);
                    out.insert("overall_ci95".into(), boot.overall.to_json());
                }
                (_, v) => {
                    out.insert(k, v);
                }
            }
        }
    }
    out.insert(
        "bootstrap".into(),
        json!({"replicates": boot.replicates, "seed": boot.seed}),
    );
    Value::Object(out)
}

fn fmt_ci(v: f64, iv: &Interval) -> String {
    format!("{v:.2} [{:.2}, {:.2}]", iv.lo, iv.hi)
}

/// The Table 3 layout with each value followed by its interval: `49.76 [46.23, 53.28] / ...`.
pub fn render_table_with_intervals(label: &str, report: &Report, boot: &Bootstrap) -> String {
    let cell = |s: &TaskScore| {
        s.values
            .iter()
            .map(|(m, v)| {
                let iv = boot
                    .task(&s.task.name)
                    .and_then(|c| c.metrics.iter().find(|x| x.0 == *m));
                match iv {
                    Some((_, iv)) => fmt_ci(*v, iv),
                    None => format!("{v:.2}"),
                }
            })
            .collect::<Vec<_>>()
            .join(" / ")
    };
    let missing = Report {
        tasks: report.tasks.clone(),
        missing: Vec::new(),
    };
    let mut s = table::render_with(
        label,
        &missing,
        &cell,
        &fmt_ci(report.overall(), &boot.overall),
    );
    s.push_str(&format!(
        "\n95% percentile bootstrap intervals: {} replicates, seed {}, examples (NER: sentences) \
         resampled with replacement per task.\n",
        boot.replicates, boot.seed
    ));
    if !report.missing.is_empty() {
        s.push_str(&format!(
            "\nmissing (counted as 0 in Overall, as upstream eval.py does): {}\n",
            report.missing.join(", ")
        ));
    }
    s
}

/// A task's paired comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskComparison {
    /// Task name.
    pub task: String,
    /// Number of paired examples.
    pub examples: usize,
    /// One comparison per metric.
    pub metrics: Vec<Difference>,
    /// Label figures that are not sums (macro-F1 of a task outside the benchmark; the positive
    /// label's precision, recall and F1), see [`paired::label_differences`].
    pub figures: Vec<(paired::Figure, Difference)>,
}

/// A paired comparison of two prediction directories.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Number of replicates.
    pub replicates: usize,
    /// The seed.
    pub seed: u64,
    /// Tasks present in both, in the paper's order.
    pub tasks: Vec<TaskComparison>,
    /// Overall of each side over the compared tasks only (others count 0 on both sides).
    pub overall: Difference,
    /// Built-in tasks not compared, with the reason.
    pub skipped: Vec<String>,
    /// Whether a task of the paper's Overall was compared: only then is Overall reported.
    pub benchmark: bool,
}

/// B's tallies in A's example order, matching examples by id, and B's index of each of A's
/// examples; a one-line located error for any id in one file but not the other.
fn align(
    a: &TaskScore,
    a_path: &Path,
    b: &TaskScore,
    b_path: &Path,
) -> Result<(Vec<Tally>, Vec<usize>)> {
    let field = &a.task.id_field;
    let b_index: HashMap<&str, usize> = b
        .examples
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut used = vec![false; b.examples.ids.len()];
    let mut out = Vec::with_capacity(a.examples.ids.len());
    let mut map = Vec::with_capacity(a.examples.ids.len());
    for (i, id) in a.examples.ids.iter().enumerate() {
        match b_index.get(id.as_str()) {
            Some(&j) => {
                used[j] = true;
                out.push(b.outcomes.tally_at(j));
                map.push(j);
            }
            None => {
                return Err(data::located(
                    a_path,
                    a.examples.lines[i],
                    Some(field),
                    format!("id {id:?} is not in {}", b_path.display()),
                ))
            }
        }
    }
    if let Some(j) = used.iter().position(|u| !u) {
        return Err(data::located(
            b_path,
            b.examples.lines[j],
            Some(field),
            format!("id {:?} is not in {}", b.examples.ids[j], a_path.display()),
        ));
    }
    Ok((out, map))
}

/// Compares two prediction directories task by task with a paired bootstrap: each replicate
/// draws one set of example indices per task and applies it to both systems (matched by id).
pub fn compare(dir_a: &Path, dir_b: &Path, replicates: usize, seed: u64) -> Result<Comparison> {
    compare_with(dir_a, dir_b, (&[], None), replicates, seed)
}

/// [`compare`], also reading `<name>.jsonl` of each of `own` (tasks from task files) on both
/// sides (see [`eval::score_dir_with`]), and comparing the `positive` label's precision,
/// recall and F1 where a classification task has it.
pub fn compare_with(
    dir_a: &Path,
    dir_b: &Path,
    (own, positive): (&[TaskSpec], Option<&str>),
    replicates: usize,
    seed: u64,
) -> Result<Comparison> {
    let ra = eval::score_dir_with(dir_a, None, own)?;
    let rb = eval::score_dir_with(dir_b, None, own)?;
    let (pairs, skipped) = pair_tasks(&ra, dir_a, &rb, dir_b)?;
    let a_tasks: Vec<&TaskScore> = pairs.iter().map(|p| p.0).collect();
    let b_tasks: Vec<&TaskScore> = pairs.iter().map(|p| p.1).collect();
    let layout = Layout::new(&a_tasks);
    let width = layout.width();
    // Each row: A's metric columns and Overall, then B's, then their difference.
    let full = 3 * width;
    let keys: Vec<u64> = a_tasks.iter().map(|t| task_key(&t.task.name)).collect();
    let flat = replicate_rows(replicates, full, |b, row, primaries| {
        for (ti, (ta, tb, xa, xb, map)) in pairs.iter().enumerate() {
            if xa.is_empty() {
                continue;
            }
            let mut rng = SplitMix64::stream(seed, b, keys[ti]);
            let mut idx = Vec::new();
            let keep = needs_indices(ta).then_some(&mut idx);
            let (sa, sb) = resample_paired(xa, xb, &mut rng, keep);
            let idx_b: Vec<usize> = idx.iter().map(|&i| map[i]).collect();
            let start = layout.starts[ti];
            for (k, (m, _)) in ta.values.iter().enumerate() {
                row[start + k] = resampled_metric(&ta.outcomes, *m, &sa, &idx);
                row[width + start + k] = resampled_metric(&tb.outcomes, *m, &sb, &idx_b);
            }
        }
        layout.fill_overall(&a_tasks, &mut row[..width], primaries);
        layout.fill_overall(&b_tasks, &mut row[width..2 * width], primaries);
        for c in 0..width {
            row[2 * width + c] = row[c] - row[width + c];
        }
    });
    let difference = |metric: Option<Metric>, a: f64, b: f64, col: usize| {
        let mut d: Vec<f64> = flat
            .iter()
            .skip(2 * width + col)
            .step_by(full)
            .copied()
            .collect();
        let diff = a - b;
        let p = bootstrap_p(diff, &d);
        Difference {
            metric,
            a,
            b,
            diff,
            ci: Interval::percentile(&mut d),
            p,
        }
    };
    let tasks = pairs
        .iter()
        .enumerate()
        .map(|(ti, (ta, tb, xa, _, map))| TaskComparison {
            figures: {
                let benchmark = task::builtin().iter().any(|t| t.name == ta.task.name);
                let mut f = paired::label_differences(
                    (ta, tb, map),
                    positive,
                    (replicates, seed, keys[ti]),
                );
                // The benchmark's tasks keep the paper's metrics unless a label is asked.
                f.retain(|(fig, _)| !(benchmark && *fig == paired::Figure::MacroF1));
                f
            },
            task: ta.task.name.clone(),
            examples: xa.len(),
            metrics: ta
                .values
                .iter()
                .enumerate()
                .map(|(k, (m, va))| {
                    let vb = tb.get(*m).unwrap_or(0.0);
                    difference(Some(*m), *va, vb, layout.starts[ti] + k)
                })
                .collect(),
        })
        .collect();
    let prim_a: Vec<f64> = a_tasks.iter().map(|t| t.primary()).collect();
    let prim_b: Vec<f64> = b_tasks.iter().map(|t| t.primary()).collect();
    let (oa, ob) = (layout.rule.apply(&prim_a), layout.rule.apply(&prim_b));
    Ok(Comparison {
        replicates,
        seed,
        tasks,
        overall: difference(None, oa, ob, layout.overall),
        skipped,
        benchmark: ra.has_benchmark() || rb.has_benchmark(),
    })
}

/// A task scored on both sides, with each side's per-example tallies (B's in A's id order)
/// and B's index of each of A's examples.
type Paired<'a> = (
    &'a TaskScore,
    &'a TaskScore,
    Vec<Tally>,
    Vec<Tally>,
    Vec<usize>,
);

/// The tasks both reports scored, aligned by id (the built-in tasks first, then the others in
/// order of appearance), and a note for each task only one side (or neither) has.
fn pair_tasks<'a>(
    ra: &'a Report,
    dir_a: &Path,
    rb: &'a Report,
    dir_b: &Path,
) -> Result<(Vec<Paired<'a>>, Vec<String>)> {
    let mut names: Vec<String> = task::builtin().into_iter().map(|t| t.name).collect();
    for t in ra.tasks.iter().chain(&rb.tasks) {
        if !names.contains(&t.task.name) {
            names.push(t.task.name.clone());
        }
    }
    let (mut pairs, mut skipped) = (Vec::new(), Vec::new());
    for name in names {
        let a = ra.tasks.iter().find(|s| s.task.name == name);
        let b = rb.tasks.iter().find(|s| s.task.name == name);
        match (a, b) {
            (Some(a), Some(b)) => {
                let file = format!("{name}.jsonl");
                let (b_aligned, map) = align(a, &dir_a.join(&file), b, &dir_b.join(&file))?;
                pairs.push((a, b, a.outcomes.tallies(), b_aligned, map));
            }
            // Outside the benchmark, the paper's tasks are not expected.
            (None, None) if !(ra.has_benchmark() || rb.has_benchmark()) => {}
            (None, None) => skipped.push(format!("{name} (in neither)")),
            (None, Some(_)) => skipped.push(format!("{name} (only in {})", dir_b.display())),
            (Some(_), None) => skipped.push(format!("{name} (only in {})", dir_a.display())),
        }
    }
    if pairs.is_empty() {
        crate::error::bail!(
            "{} and {} have no task in common",
            dir_a.display(),
            dir_b.display()
        );
    }
    Ok((pairs, skipped))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::eval::Outcomes;
    use crate::scoring::metrics::ClassOutcome;

    #[test]
    fn splitmix64_matches_the_reference_vector() {
        // Reference splitmix64.c, x = 1234567: the first five outputs.
        let mut r = SplitMix64::new(1_234_567);
        let got: Vec<u64> = (0..5).map(|_| r.next_u64()).collect();
        assert_eq!(
            got,
            vec![
                6457827717110365317,
                3203168211198807973,
                9817491932198370423,
                4593380528125082431,
                16408922859458223821
            ]
        );
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut r = SplitMix64::new(7);
        let mut seen = [0usize; 5];
        for _ in 0..5000 {
            seen[r.below(5) as usize] += 1;
        }
        // Each bucket expects 1000; 800 is > 6 standard deviations below.
        assert!(seen.iter().all(|&c| c > 800), "{seen:?}");
        assert_eq!(SplitMix64::new(1).below(1), 0);
    }

    #[test]
    fn quantiles_match_numpy_linear() {
        let x: Vec<f64> = (1..=10).map(f64::from).collect();
        // numpy.quantile(np.arange(1, 11), [0.025, 0.5, 0.975]) == [1.225, 5.5, 9.775]
        assert!((quantile_sorted(&x, 0.025) - 1.225).abs() < 1e-12);
        assert!((quantile_sorted(&x, 0.5) - 5.5).abs() < 1e-12);
        assert!((quantile_sorted(&x, 0.975) - 9.775).abs() < 1e-12);
        assert_eq!(quantile_sorted(&x, 0.0), 1.0);
        assert_eq!(quantile_sorted(&x, 1.0), 10.0);
        assert_eq!(quantile_sorted(&[3.0], 0.975), 3.0);
        let mut y = vec![5.0, 1.0, 3.0, 2.0, 4.0];
        let iv = Interval::percentile(&mut y);
        // numpy.quantile([1,2,3,4,5], [0.025, 0.975]) == [1.1, 4.9]
        assert!((iv.lo - 1.1).abs() < 1e-12 && (iv.hi - 4.9).abs() < 1e-12);
    }

    fn class_score(name: &str, top1: &[bool]) -> TaskScore {
        let t = task::find(name).unwrap();
        let o = top1
            .iter()
            .map(|&b| ClassOutcome { top1: b, hit3: b })
            .collect();
        TaskScore::from_outcomes(t, Outcomes::Class(o))
    }

    #[test]
    fn bootstrap_is_seeded_and_brackets_the_estimate() {
        let s = vec![
            class_score(
                "danet",
                &[true, false, true, true, false, true, false, true],
            ),
            class_score("nli", &[true; 6]),
        ];
        let a = bootstrap(&s, 300, 42);
        assert_eq!(a, bootstrap(&s, 300, 42));
        assert_ne!(a, bootstrap(&s, 300, 43));
        let danet = a.task("RuMedDaNet").unwrap();
        assert!(danet.metrics[0].1.contains(62.5), "{danet:?}");
        assert!(danet.metrics[0].1.hi - danet.metrics[0].1.lo > 10.0);
        // A task with all examples right has a degenerate interval at 100.
        let nli = a.task("RuMedNLI").unwrap();
        assert_eq!(
            nli.metrics[0].1,
            Interval {
                lo: 100.0,
                hi: 100.0
            }
        );
        // Overall = (DaNet + NLI) / 5 per replicate; NLI is constant, so it shifts by 20.
        assert!((a.overall.lo - (danet.primary.lo / 5.0 + 20.0)).abs() < 1e-9);
        assert!((a.overall.hi - (danet.primary.hi / 5.0 + 20.0)).abs() < 1e-9);
    }

    #[test]
    fn a_task_interval_does_not_depend_on_other_tasks() {
        let danet = class_score("danet", &[true, false, true, true, false]);
        let alone = bootstrap(std::slice::from_ref(&danet), 200, 5);
        let with = bootstrap(&[class_score("top3", &[true, false]), danet], 200, 5);
        assert_eq!(alone.task("RuMedDaNet"), with.task("RuMedDaNet"));
    }

    #[test]
    fn p_value_counts_centred_replicates() {
        assert_eq!(bootstrap_p(0.0, &[0.0, 0.0, 0.0]), 1.0);
        // d = 2; centred |d* - 2| >= 2 for d* in {0, 4, 5}: (1 + 3) / (5 + 1).
        assert!((bootstrap_p(2.0, &[0.0, 1.0, 2.0, 4.0, 5.0]) - 4.0 / 6.0).abs() < 1e-12);
    }
}
