//! The confusion matrix of a single-label classification task: rows are gold labels, columns
//! the top-1 predictions, labels sorted by name (scikit-learn's `confusion_matrix` with
//! `labels=sorted(set(gold) | set(pred))`).

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::scoring::eval::TaskScore;

/// Counts of (gold, predicted) label pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confusion {
    /// Every label seen in gold or prediction, sorted.
    pub labels: Vec<String>,
    /// `matrix[i][j]`: examples of gold `labels[i]` predicted `labels[j]`.
    pub matrix: Vec<Vec<usize>>,
}

impl Confusion {
    /// The matrix of a scored classification task, or `None` for a score without labels
    /// (tagging, multi-label, one built from outcomes alone).
    pub fn of(score: &TaskScore) -> Option<Self> {
        let pairs = &score.examples.labels;
        if score.task.multi_label || pairs.is_empty() || pairs.len() != score.outcomes.len() {
            return None;
        }
        let labels: Vec<String> = pairs
            .iter()
            .flat_map(|(g, p)| [g.clone(), p.clone()])
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let at = |l: &str| labels.binary_search_by(|x| x.as_str().cmp(l)).unwrap_or(0);
        let mut matrix = vec![vec![0usize; labels.len()]; labels.len()];
        for (g, p) in pairs {
            matrix[at(g)][at(p)] += 1;
        }
        Some(Confusion { labels, matrix })
    }

    /// `{"labels": [...], "matrix": [[...], ...]}`, rows gold, columns predicted.
    pub fn to_json(&self) -> Value {
        json!({"labels": self.labels, "matrix": self.matrix, "rows": "gold", "columns": "predicted"})
    }

    /// A Markdown table headed by the task's name, rows gold and columns predicted.
    pub fn render_table(&self, task: &str) -> String {
        let mut s = format!("\n{task}: confusion matrix (rows gold, columns predicted)\n\n");
        s.push_str("| gold \\ predicted |");
        for l in &self.labels {
            s.push_str(&format!(" {l} |"));
        }
        s.push_str("\n|---|");
        s.push_str(&"---:|".repeat(self.labels.len()));
        s.push('\n');
        for (l, row) in self.labels.iter().zip(&self.matrix) {
            s.push_str(&format!("| {l} |"));
            for n in row {
                s.push_str(&format!(" {n} |"));
            }
            s.push('\n');
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scoring::eval::Outcomes;
    use crate::scoring::metrics::class_outcome;

    #[test]
    fn rows_are_gold_and_columns_predictions() {
        let task = crate::task::find("danet").unwrap();
        let pairs = [("да", "да"), ("да", "нет"), ("нет", "нет"), ("нет", "нет")];
        let outcomes = pairs
            .iter()
            .map(|(g, p)| class_outcome(g, &[p.to_string()]))
            .collect();
        let mut score = TaskScore::from_outcomes(task, Outcomes::Class(outcomes));
        score.examples.labels = pairs
            .iter()
            .map(|(g, p)| (g.to_string(), p.to_string()))
            .collect();
        let c = Confusion::of(&score).unwrap();
        assert_eq!(c.labels, ["да", "нет"]);
        assert_eq!(c.matrix, vec![vec![1, 1], vec![0, 2]]);
        assert!(c.render_table("t").contains("| да | 1 | 1 |"));
    }
}
