//! Intervals and paired differences: the percentile interval of bootstrap replicates, a
//! metric's paired difference, and the paired bootstrap p-value (used by [`super::bootstrap`]
//! and [`super::paired`]).

use serde_json::{json, Value};

use crate::task::Metric;

/// The `q`-quantile of ascending `sorted` values with linear interpolation between order
/// statistics, numpy's default (`method="linear"`): with `h = (n - 1) q`, the value is
/// `x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h])`. 0 for no values.
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// A 95% interval `[lo, hi]`, in percent (points for differences).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// The 2.5% quantile of the replicates.
    pub lo: f64,
    /// The 97.5% quantile of the replicates.
    pub hi: f64,
}

impl Interval {
    /// The percentile interval of some replicate values (sorted in place).
    pub fn percentile(values: &mut [f64]) -> Self {
        values.sort_by(f64::total_cmp);
        Self {
            lo: quantile_sorted(values, 0.025),
            hi: quantile_sorted(values, 0.975),
        }
    }

    /// Whether `x` lies within the interval (inclusive).
    pub fn contains(&self, x: f64) -> bool {
        self.lo <= x && x <= self.hi
    }

    /// `[lo, hi]` as JSON.
    pub fn to_json(self) -> Value {
        json!([self.lo, self.hi])
    }
}

/// One metric's paired comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    /// The metric (`None` for a task's primary figure or Overall).
    pub metric: Option<Metric>,
    /// A's value.
    pub a: f64,
    /// B's value.
    pub b: f64,
    /// A − B.
    pub diff: f64,
    /// 95% paired bootstrap interval of A − B.
    pub ci: Interval,
    /// Two-sided paired bootstrap p-value of A − B = 0.
    pub p: f64,
}

/// The two-sided paired bootstrap p-value: the share of replicates whose centred difference
/// is at least as far from 0 as the observed one, `(1 + #{|d*_b − d̂| ≥ |d̂|}) / (N + 1)`.
/// Differences within 1e-9 points count as ties (as extreme), so identical systems get 1.
pub fn bootstrap_p(observed: f64, replicates: &[f64]) -> f64 {
    let extreme = replicates
        .iter()
        .filter(|&&d| (d - observed).abs() >= observed.abs() - 1e-9)
        .count();
    (1 + extreme) as f64 / (replicates.len() + 1) as f64
}
