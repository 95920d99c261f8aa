//! linfa's learning traits for the text classifier, so linfa's dataset tools (folds,
//! cross-validation, shuffling, ratio splits) apply to texts.
//!
//! Records are an `n x 1` array of texts, or `n x 2` for text pairs (the two columns are joined
//! with one space, as upstream does); targets are any single-target array whose labels print
//! with `ToString` (`String`, `usize`, `bool`, ...). The fitted model predicts into an
//! `Array1<L>` of any label type that parses back from those strings.

use linfa::dataset::{AsSingleTargets, DatasetBase};
use linfa::traits::{Fit, PredictInplace};
use ndarray::{Array1, ArrayBase, Data, Ix2};

use super::{TextClassifier, TextClassifierParams};
use crate::error::{Error, Result};
use crate::features::union::Doc;

/// The texts of each record: the single column, or both columns joined with one space.
/// The records' documents: one column is a text, two a text pair's texts.
fn record_docs<'a, D, S>(records: &'a ArrayBase<D, Ix2>) -> Vec<Doc<'a>>
where
    D: Data<Elem = S>,
    S: AsRef<str> + 'a,
{
    records
        .rows()
        .into_iter()
        .map(|row| {
            let mut cells = row.into_iter();
            let first = cells.next().map_or("", |t| t.as_ref());
            Doc {
                first,
                second: cells.next().map(|t| t.as_ref()),
            }
        })
        .collect()
}

/// linfa's dataset errors (from its cross-validation helpers) as the library's error.
impl From<linfa::error::Error> for Error {
    fn from(e: linfa::error::Error) -> Self {
        Error::Context {
            context: "linfa".into(),
            source: Box::new(e),
        }
    }
}

/// A text classifier fitted through linfa's [`Fit`]: the classifier, and the dataset's target
/// value of each class, so that predictions come back as the dataset's own target type without
/// parsing labels (a prediction into another type does not compile, instead of failing at run
/// time). It dereferences to the [`TextClassifier`] (probabilities, classes, saving).
#[derive(Debug)]
pub struct LinfaClassifier<L> {
    model: TextClassifier,
    targets: Vec<L>,
}

impl<L> LinfaClassifier<L> {
    /// The fitted classifier.
    pub fn classifier(&self) -> &TextClassifier {
        &self.model
    }

    /// The fitted classifier, without the target values.
    pub fn into_classifier(self) -> TextClassifier {
        self.model
    }

    /// The target value of each class, in the order of [`TextClassifier::classes`].
    pub fn targets(&self) -> &[L] {
        &self.targets
    }
}

impl<L> std::ops::Deref for LinfaClassifier<L> {
    type Target = TextClassifier;
    fn deref(&self) -> &TextClassifier {
        &self.model
    }
}

impl<D, S, T, L> Fit<ArrayBase<D, Ix2>, T, Error> for TextClassifierParams
where
    D: Data<Elem = S>,
    S: AsRef<str>,
    T: AsSingleTargets<Elem = L>,
    L: ToString + Clone,
{
    type Object = LinfaClassifier<L>;

    /// Fits on one text column (single texts) or two (text pairs). Sample weights are not
    /// supported and are an error when given.
    fn fit(&self, dataset: &DatasetBase<ArrayBase<D, Ix2>, T>) -> Result<LinfaClassifier<L>> {
        let model = self.fit_classifier(dataset)?;
        let targets = dataset.as_single_targets();
        let values: Vec<L> = model
            .classes()
            .iter()
            .map(|c| {
                targets
                    .iter()
                    .find(|l| l.to_string() == *c)
                    .cloned()
                    .ok_or_else(|| Error::Invalid(format!("class {c:?} has no target value")))
            })
            .collect::<Result<_>>()?;
        Ok(LinfaClassifier {
            model,
            targets: values,
        })
    }
}

impl TextClassifierParams {
    /// [`Fit::fit`]'s classifier.
    fn fit_classifier<D, S, T, L>(
        &self,
        dataset: &DatasetBase<ArrayBase<D, Ix2>, T>,
    ) -> Result<TextClassifier>
    where
        D: Data<Elem = S>,
        S: AsRef<str>,
        T: AsSingleTargets<Elem = L>,
        L: ToString,
    {
        if !dataset.weights.is_empty() {
            return Err(Error::Invalid(
                "the text classifier does not take sample weights".into(),
            ));
        }
        let labels: Vec<String> = dataset
            .as_single_targets()
            .iter()
            .map(|l| l.to_string())
            .collect();
        let x = &dataset.records;
        let col = |j: usize| -> Vec<String> {
            x.column(j).iter().map(|t| t.as_ref().to_string()).collect()
        };
        match x.ncols() {
            1 => TextClassifierParams::fit(self, &col(0), &labels),
            2 => {
                let pairs: Vec<(String, String)> = col(0).into_iter().zip(col(1)).collect();
                self.fit_pairs(&pairs, &labels)
            }
            n => Err(Error::Invalid(format!(
                "records must have one column (texts) or two (text pairs), got {n}"
            ))),
        }
    }
}

impl<D, S, L> PredictInplace<ArrayBase<D, Ix2>, Array1<L>> for LinfaClassifier<L>
where
    D: Data<Elem = S>,
    S: AsRef<str>,
    L: Clone + Default,
{
    /// The most probable class of each record, as the dataset's target value. A `y` of
    /// another length than the records is replaced by one of the right length.
    fn predict_inplace<'a>(&'a self, x: &'a ArrayBase<D, Ix2>, y: &mut Array1<L>) {
        let docs = record_docs(x);
        let classes = self.model.classes();
        let labels = self.model.argmax(&self.model.proba_of(&docs));
        let predicted: Array1<L> = labels
            .iter()
            .map(|label| {
                // `argmax` returns one of `classes`, each of which has its target value.
                let k = classes.iter().position(|c| c == label).unwrap_or(0);
                self.targets[k].clone()
            })
            .collect();
        *y = predicted;
    }

    fn default_target(&self, x: &ArrayBase<D, Ix2>) -> Array1<L> {
        Array1::from_shape_fn(x.nrows(), |_| L::default())
    }
}

impl<D, S> PredictInplace<ArrayBase<D, Ix2>, Array1<String>> for TextClassifier
where
    D: Data<Elem = S>,
    S: AsRef<str>,
{
    /// The most probable class label of each record (a loaded model, whose target values are
    /// its class labels). A `y` of another length than the records is replaced by one of the
    /// right length.
    fn predict_inplace<'a>(&'a self, x: &'a ArrayBase<D, Ix2>, y: &mut Array1<String>) {
        *y = Array1::from(self.argmax(&self.proba_of(&record_docs(x))));
    }

    fn default_target(&self, x: &ArrayBase<D, Ix2>) -> Array1<String> {
        Array1::from_shape_fn(x.nrows(), |_| String::new())
    }
}

#[cfg(test)]
mod tests {
    use linfa::prelude::*;
    use ndarray::{Array1, Array2};

    use super::*;

    const TEXTS: [&str; 12] = [
        "кашель и насморк, температура",
        "насморк, чихание, слабость",
        "боль в горле, кашель",
        "сухой кашель ночью",
        "изжога после еды",
        "тошнота и изжога",
        "боль в животе после еды",
        "отрыжка, изжога, тошнота",
        "головная боль, светобоязнь",
        "боль в виске, тошнота от света",
        "мигрень с аурой",
        "пульсирующая головная боль",
    ];

    fn dataset() -> DatasetBase<Array2<String>, Array1<usize>> {
        let records = Array2::from_shape_fn((TEXTS.len(), 1), |(i, _)| TEXTS[i].to_string());
        let targets = Array1::from_shape_fn(TEXTS.len(), |i| i / 4);
        Dataset::new(records, targets)
    }

    #[test]
    fn fitting_through_the_trait_gives_the_direct_probabilities() {
        let params = TextClassifierParams::default().ngram_range(2, 4);
        let through_linfa = Fit::fit(&params, &dataset()).unwrap();
        let labels: Vec<usize> = (0..TEXTS.len()).map(|i| i / 4).collect();
        let direct = params.fit(&TEXTS, &labels).unwrap();
        let a = through_linfa.predict_proba(&TEXTS).unwrap();
        let b = direct.predict_proba(&TEXTS).unwrap();
        assert_eq!(a.dim(), (12, 3));
        assert_eq!(a, b);
        assert_eq!(through_linfa.classes(), ["0", "1", "2"]);
        let predicted: Array1<usize> = Predict::predict(&through_linfa, &dataset());
        assert_eq!(predicted, dataset().targets);
    }

    #[test]
    fn predicting_never_parses_labels_nor_panics_on_a_wrong_length_target() {
        let model = Fit::fit(
            &TextClassifierParams::default().ngram_range(2, 4),
            &dataset(),
        )
        .unwrap();
        assert_eq!(model.targets(), [0, 1, 2]);
        // A target array of the wrong length is replaced, not a panic.
        let mut y = Array1::from(vec![9usize; 2]);
        model.predict_inplace(dataset().records(), &mut y);
        assert_eq!(y, dataset().targets);
        // A model read back from its bytes predicts its class labels as strings.
        let loaded = TextClassifier::from_bytes(&model.to_bytes().unwrap()).unwrap();
        let labels: Array1<String> = Predict::predict(&loaded, dataset().records());
        let want: Vec<String> = dataset().targets.iter().map(|t| t.to_string()).collect();
        assert_eq!(labels.to_vec(), want);
    }

    #[test]
    fn two_record_columns_are_a_text_pair() {
        let records = Array2::from_shape_fn((8, 2), |(i, j)| TEXTS[i + 4 * j].to_string());
        let ds = Dataset::new(records, Array1::from_shape_fn(8, |i| i % 2 == 0));
        let params = TextClassifierParams::default();
        let model = Fit::fit(&params, &ds).unwrap();
        let pairs: Vec<(&str, &str)> = (0..8).map(|i| (TEXTS[i], TEXTS[i + 4])).collect();
        let labels: Vec<bool> = (0..8).map(|i| i % 2 == 0).collect();
        let direct = params.fit_pairs(&pairs, &labels).unwrap();
        assert!(model.is_pair());
        assert_eq!(
            model.predict_proba_pairs(&pairs).unwrap(),
            direct.predict_proba_pairs(&pairs).unwrap()
        );
        let bad = Dataset::new(
            Array2::from_elem((2, 3), "x".to_string()),
            Array1::from(vec![0, 1]),
        );
        let err = Fit::fit(&params, &bad).unwrap_err().to_string();
        assert!(err.contains("got 3"), "{err}");
    }

    #[test]
    fn linfa_cross_validation_runs_on_texts() {
        // Interleaved classes, so every fold trains on all three.
        let order: Vec<usize> = (0..12).map(|i| (i % 3) * 4 + i / 3).collect();
        let records = Array2::from_shape_fn((12, 1), |(i, _)| TEXTS[order[i]].to_string());
        let mut ds = Dataset::new(records, Array1::from_shape_fn(12, |i| order[i] / 4));
        let params = [
            TextClassifierParams::default(),
            TextClassifierParams::default().c(0.1),
        ];
        let acc = ds
            .cross_validate_single(3, &params, |pred, truth| {
                let hits = pred
                    .iter()
                    .zip(truth.iter())
                    .filter(|(a, b)| a == b)
                    .count();
                Ok(hits as f32 / truth.len() as f32)
            })
            .unwrap();
        assert_eq!(acc.len(), 2);
        assert!(acc.iter().all(|a| (0.0..=1.0).contains(a)), "{acc}");
    }
}

/// linfa-logistic as an independent oracle for our dual coordinate descent: on small dense
/// problems both minimise the same objective, so both reach the same weights.
///
/// Ours: `0.5 |[w, b]|^2 + C sum_i log(1 + exp(-y_i ([w, b] . [x_i, 1])))`, the intercept `b`
/// being the weight of a constant feature and regularised with the others (liblinear's rule).
/// linfa-logistic: `sum_i log(1 + exp(-y_i (v . z_i))) + alpha/2 |v|^2`, which is ours divided
/// by `C` when `alpha = 1/C`, its own (unregularised) intercept is off and `z_i = [x_i, 1]`
/// carries the intercept as a constant column.
#[cfg(test)]
mod oracle {
    use linfa::prelude::*;
    use linfa_logistic::LogisticRegression;
    use ndarray::{Array1, Array2};

    use crate::features::sparse::CsrMatrix;
    use crate::models::linear::LogRegParams;

    /// A deterministic, not linearly separable problem: features are multiples of 1/16 (exact
    /// in f32), labels come from a linear rule with every seventh label flipped.
    fn problem(n: usize, d: usize, classes: usize) -> (Array2<f64>, Vec<usize>) {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % 33) as f64 / 16.0 - 1.0
        };
        let x = Array2::from_shape_fn((n, d), |_| next());
        let y = (0..n)
            .map(|i| {
                let s: f64 = (0..d).map(|j| x[[i, j]] * (j as f64 - 1.5)).sum();
                let k = ((s + 3.0).max(0.0) as usize * classes / 6).min(classes - 1);
                if i % 7 == 3 {
                    (k + 1) % classes
                } else {
                    k
                }
            })
            .collect();
        (x, y)
    }

    /// Our weights of binary problem `k`, intercept last.
    fn ours(x: &Array2<f64>, y: &[usize], classes: usize, c: f64, k: usize) -> Vec<f64> {
        let d = x.ncols();
        let rows = x
            .rows()
            .into_iter()
            .map(|r| {
                (
                    (0..d as u32).collect(),
                    r.iter().map(|&v| v as f32).collect(),
                )
            })
            .collect();
        let csr = CsrMatrix::from_rows(d, rows);
        let params = LogRegParams {
            c,
            tol: 1e-9,
            max_iter: 100_000,
            ..LogRegParams::default()
        };
        let model = params.fit(&csr, y, classes).unwrap();
        assert!(model.report().all_converged(), "{:?}", model.report());
        let all: Vec<u32> = (0..d as u32).collect();
        let (mut w, b) = model.weights_for(k, &all).unwrap();
        w.push(b);
        w
    }

    /// linfa-logistic's weights for "class `positive` vs the rest", constant column last.
    fn oracle(x: &Array2<f64>, y: &[usize], c: f64, positive: usize) -> Vec<f64> {
        let (n, d) = x.dim();
        let z = Array2::from_shape_fn((n, d + 1), |(i, j)| if j < d { x[[i, j]] } else { 1.0 });
        let t = Array1::from_iter(y.iter().map(|&l| usize::from(l == positive)));
        let model = LogisticRegression::default()
            .alpha(1.0 / c)
            .with_intercept(false)
            .gradient_tolerance(1e-12)
            .max_iterations(10_000)
            .fit(&Dataset::new(z, t))
            .unwrap();
        assert_eq!(model.intercept(), 0.0);
        // linfa-logistic picks its positive class by count, not by order: align the sign.
        let sign = if model.labels().pos.class == 1 {
            1.0
        } else {
            -1.0
        };
        model.params().iter().map(|w| sign * w).collect()
    }

    fn assert_close(a: &[f64], b: &[f64], what: &str) {
        assert_eq!(a.len(), b.len());
        let worst = a
            .iter()
            .zip(b)
            .map(|(p, q)| (p - q).abs())
            .fold(0.0, f64::max);
        assert!(
            worst < 1e-4,
            "{what}: max |ours - linfa| = {worst:e}\nours  {a:?}\nlinfa {b:?}"
        );
    }

    #[test]
    fn binary_weights_match_linfa_logistic() {
        for (c, n, d) in [(1.0, 60, 4), (10.0, 80, 6), (0.1, 40, 3)] {
            let (x, y) = problem(n, d, 2);
            assert!(y.contains(&0) && y.contains(&1));
            let w = ours(&x, &y, 2, c, 0);
            assert!(w.iter().any(|v| v.abs() > 0.05), "trivial problem: {w:?}");
            assert_close(&w, &oracle(&x, &y, c, 1), &format!("C={c} n={n} d={d}"));
        }
    }

    #[test]
    fn one_vs_rest_weights_match_linfa_logistic_per_class() {
        let (x, y) = problem(90, 5, 3);
        for k in 0..3 {
            assert!(y.contains(&k));
            let w = ours(&x, &y, 3, 2.0, k);
            assert_close(&w, &oracle(&x, &y, 2.0, k), &format!("class {k}"));
        }
    }
}
