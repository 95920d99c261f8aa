//! How a [`Comparison`] is written: its JSON form and its Markdown table.

use std::path::Path;

use serde_json::{json, Map, Value};

use super::bootstrap::Comparison;
use super::interval::Difference;

impl Difference {
    fn to_json(&self) -> Value {
        json!({
            "a": self.a,
            "b": self.b,
            "diff": self.diff,
            "diff_ci95": self.ci.to_json(),
            "p": self.p,
        })
    }

    fn row(&self, task: &str, metric: &str) -> String {
        format!(
            "| {task} | {metric} | {:.2} | {:.2} | {:+.2} | [{:+.2}, {:+.2}] | {:.4} |",
            self.a, self.b, self.diff, self.ci.lo, self.ci.hi, self.p
        )
    }
}

impl Comparison {
    /// `{"a", "b", "bootstrap": {...}, "tasks": {"RuMedTop3": {"acc": {"a", "b", "diff",
    /// "diff_ci95", "p"}, ...}, ...}, "overall": {...}, "skipped": [...]}`.
    pub fn to_json(&self, dir_a: &Path, dir_b: &Path) -> Value {
        let mut tasks = Map::new();
        for t in &self.tasks {
            let mut m = Map::new();
            m.insert("examples".into(), json!(t.examples));
            for d in &t.metrics {
                let key = d.metric.map_or("primary", |m| m.key());
                m.insert(key.into(), d.to_json());
            }
            for (f, d) in &t.figures {
                m.insert(f.key().into(), d.to_json());
            }
            tasks.insert(t.task.clone(), Value::Object(m));
        }
        json!({
            "a": dir_a.display().to_string(),
            "b": dir_b.display().to_string(),
            "bootstrap": {"replicates": self.replicates, "seed": self.seed, "method": "paired"},
            "tasks": tasks,
            "overall": if self.benchmark { self.overall.to_json() } else { Value::Null },
            "skipped": self.skipped,
        })
    }

    /// A Markdown table: one row per task metric and one for Overall.
    pub fn render_table(&self, dir_a: &Path, dir_b: &Path) -> String {
        let mut s = format!(
            "A = {}, B = {}\n\n| task | metric | A | B | A − B | 95% CI | p |\n|---|---|---|---|---|---|---|\n",
            dir_a.display(),
            dir_b.display()
        );
        for t in &self.tasks {
            for d in &t.metrics {
                let key = d.metric.map_or("primary", |m| m.key());
                s.push_str(&d.row(&t.task, key));
                s.push('\n');
            }
            for (f, d) in &t.figures {
                s.push_str(&d.row(&t.task, f.key()));
                s.push('\n');
            }
        }
        if self.benchmark {
            s.push_str(&self.overall.row("Overall", ""));
            s.push('\n');
        }
        s.push_str(&format!(
            "\nPaired bootstrap: {} replicates, seed {}; the same example ids resampled for A and B; \
             p = (1 + #{{|d* − d| ≥ |d|}}) / (N + 1).\n",
            self.replicates, self.seed
        ));
        if !self.skipped.is_empty() {
            s.push_str(&format!(
                "skipped (not in both directories; Overall counts them 0 on both sides): {}\n",
                self.skipped.join(", ")
            ));
        }
        s
    }
}
