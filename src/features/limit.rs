//! scikit-learn's vocabulary limits (`min_df`, `max_df`, `max_features`), applied by the
//! vectorizer after counting and before weighting, as `CountVectorizer._limit_features` does:
//! terms whose document frequency falls outside `[min_df, max_df]` are dropped, then, when more
//! than `max_features` remain, the `max_features` terms with the highest corpus term frequency
//! (the sum of their counts over the training documents) are kept. idf is computed from the
//! document frequencies of the kept terms (which pruning does not change) and rows are
//! normalised over the kept terms.
//!
//! Ties at the `max_features` cut: scikit-learn ranks with numpy's `argsort` of `-tf`, which is
//! not stable, and which of the tied terms it keeps depends on numpy's sort kernel (introsort,
//! or the AVX-512 `x86-simd-sort` kernel numpy ≥ 1.25 uses on CPUs that have it), so it differs
//! between machines. Here ties are broken by vocabulary order (code point order): the result of
//! `argsort(kind="stable")`, the same on every machine. Without a tie at the cut the kept set is
//! scikit-learn's on any machine.

use serde::{Deserialize, Serialize};

use crate::error::{bail, Result};

/// A document-frequency bound, as scikit-learn's `min_df`/`max_df` take it: a number of
/// documents (an int), or a fraction of the training documents (a float).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum DocFreq {
    /// At least / at most this many documents (scikit-learn: an int ≥ 1).
    Count(usize),
    /// At least / at most this fraction of the documents (scikit-learn: a float in [0, 1]).
    Fraction(f64),
}

impl Eq for DocFreq {}

impl DocFreq {
    /// The bound in documents for a corpus of `n` documents (a float, as scikit-learn compares).
    pub fn docs(self, n: usize) -> f64 {
        match self {
            DocFreq::Count(c) => c as f64,
            DocFreq::Fraction(f) => f * n as f64,
        }
    }

    /// scikit-learn's constraint: a float in `[0.0, 1.0]` or an int `>= 1`.
    pub fn check(self, name: &str) -> Result<()> {
        match self {
            DocFreq::Fraction(f) if !(0.0..=1.0).contains(&f) => {
                bail!("{name}: a fraction of the documents must be in [0, 1], got {f}")
            }
            DocFreq::Count(0) => bail!(
                "{name}: a number of documents must be at least 1, got 0 (0.0 is the fraction)"
            ),
            _ => Ok(()),
        }
    }

    /// The JSON form: an integer for a count, a float for a fraction.
    pub fn to_json(self) -> serde_json::Value {
        match self {
            DocFreq::Count(c) => serde_json::json!(c),
            DocFreq::Fraction(f) => serde_json::json!(f),
        }
    }
}

impl std::str::FromStr for DocFreq {
    type Err = String;
    /// `2` is a count, `0.5` or `1.0` (anything with a `.` or an exponent) a fraction, as
    /// Python tells an int from a float.
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let t = s.trim();
        let d = if t.contains(['.', 'e', 'E']) {
            let f: f64 = t
                .parse()
                .map_err(|_| format!("{s:?} is not a number of documents or a fraction"))?;
            DocFreq::Fraction(f)
        } else {
            let c: usize = t
                .parse()
                .map_err(|_| format!("{s:?} is not a number of documents or a fraction"))?;
            DocFreq::Count(c)
        };
        d.check("document frequency").map_err(|e| e.to_string())?;
        Ok(d)
    }
}

impl std::fmt::Display for DocFreq {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        match self {
            DocFreq::Count(c) => write!(f, "{c}"),
            DocFreq::Fraction(x) => write!(f, "{x:?}"),
        }
    }
}

/// The limits of one vectorizer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Limits {
    pub min_df: DocFreq,
    pub max_df: DocFreq,
    pub max_features: Option<usize>,
}

/// The defaults, which keep every term.
pub const MIN_DF: DocFreq = DocFreq::Count(1);
/// The default `max_df`: every document.
pub const MAX_DF: DocFreq = DocFreq::Fraction(1.0);

impl Limits {
    /// Whether these limits can drop a term at all.
    pub fn active(&self) -> bool {
        (self.min_df, self.max_df, self.max_features) != (MIN_DF, MAX_DF, None)
    }

    /// The new id of every term (`None`: dropped), given each term's document frequency and,
    /// when asked for (only if `max_features` must cut), each term's corpus term frequency.
    /// `None` when nothing is dropped.
    pub fn remap(
        &self,
        df: &[u32],
        n_docs: usize,
        corpus_tf: impl FnOnce() -> Vec<u64>,
    ) -> Result<Option<Vec<Option<u32>>>> {
        if !self.active() {
            return Ok(None);
        }
        let (lo, hi) = (self.min_df.docs(n_docs), self.max_df.docs(n_docs));
        if hi < lo {
            bail!(
                "max_df ({} = {hi} documents) corresponds to fewer documents than min_df ({} = \
                 {lo} documents)",
                self.max_df,
                self.min_df
            );
        }
        let mut keep: Vec<bool> = df
            .iter()
            .map(|&d| lo <= d as f64 && d as f64 <= hi)
            .collect();
        let kept = keep.iter().filter(|&&k| k).count();
        if let Some(limit) = self.max_features.filter(|&l| kept > l) {
            let tf = corpus_tf();
            let mut order: Vec<usize> = (0..df.len()).filter(|&i| keep[i]).collect();
            // Highest tf first; ties in vocabulary order (stable).
            order.sort_by(|&a, &b| tf[b].cmp(&tf[a]).then(a.cmp(&b)));
            keep.iter_mut().for_each(|k| *k = false);
            for &i in &order[..limit] {
                keep[i] = true;
            }
        }
        let mut next = 0u32;
        let map: Vec<Option<u32>> = keep
            .iter()
            .map(|&k| {
                k.then(|| {
                    next += 1;
                    next - 1
                })
            })
            .collect();
        if next == 0 {
            bail!("after pruning, no terms remain; try a lower min_df or a higher max_df");
        }
        Ok(Some(map))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(min_df: DocFreq, max_df: DocFreq, max_features: Option<usize>) -> Limits {
        Limits {
            min_df,
            max_df,
            max_features,
        }
    }

    #[test]
    fn parses_counts_and_fractions_as_python_types_them() {
        assert_eq!("2".parse::<DocFreq>(), Ok(DocFreq::Count(2)));
        assert_eq!("1.0".parse::<DocFreq>(), Ok(DocFreq::Fraction(1.0)));
        assert_eq!("0.5".parse::<DocFreq>(), Ok(DocFreq::Fraction(0.5)));
        assert_eq!("1e-1".parse::<DocFreq>(), Ok(DocFreq::Fraction(0.1)));
        for bad in ["0", "1.5", "-1", "x", ""] {
            assert!(bad.parse::<DocFreq>().is_err(), "{bad}");
        }
    }

    #[test]
    fn document_bounds_then_the_most_frequent_terms() {
        let df = [1, 2, 3, 4, 2];
        let tf = || vec![9, 5, 7, 4, 5];
        let l = limits(MIN_DF, MAX_DF, None);
        assert_eq!(l.remap(&df, 4, tf).unwrap(), None);
        let l = limits(DocFreq::Count(2), DocFreq::Fraction(0.75), None);
        let m = l.remap(&df, 4, tf).unwrap().unwrap();
        assert_eq!(m, [None, Some(0), Some(1), None, Some(2)]);
        // max_features 2 among terms 1, 2, 4 (tf 5, 7, 5): 2, then the tie 1 vs 4 goes to 1.
        let l = limits(DocFreq::Count(2), DocFreq::Fraction(0.75), Some(2));
        let m = l.remap(&df, 4, tf).unwrap().unwrap();
        assert_eq!(m, [None, Some(0), Some(1), None, None]);
        let e = limits(DocFreq::Count(3), DocFreq::Count(2), None)
            .remap(&df, 4, tf)
            .unwrap_err()
            .to_string();
        assert!(e.contains("fewer documents than min_df"), "{e}");
        let e = limits(DocFreq::Count(5), DocFreq::Count(9), None)
            .remap(&df, 4, tf)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no terms remain"), "{e}");
    }
}
