//! The results table: one row per scored directory, one cell per task, with the paper's rows.

use crate::scoring::eval::{overall_of, Report, TaskScore};
use crate::task;

/// Formats one task's cell as the paper does: `49.76 / 72.75`, or `51.95`.
pub fn cell(score: Option<&TaskScore>) -> String {
    match score {
        None => "—".into(),
        Some(s) => s
            .values
            .iter()
            .map(|(_, v)| format!("{v:.2}"))
            .collect::<Vec<_>>()
            .join(" / "),
    }
}

/// The Table 3 header row.
pub fn table_header() -> String {
    let names: Vec<String> = task::builtin().into_iter().map(|t| t.name).collect();
    format!(
        "| system | {} | Overall |\n|---|{}---|",
        names.join(" | "),
        "---|".repeat(names.len())
    )
}

/// One Table 3 row for `label`.
pub fn table_row(label: &str, scores: &[TaskScore]) -> String {
    let cells: Vec<String> = task::builtin()
        .iter()
        .map(|b| cell(scores.iter().find(|s| s.task.name == b.name)))
        .collect();
    format!(
        "| {label} | {} | {:.2} |",
        cells.join(" | "),
        overall_of(scores)
    )
}

/// The paper's row for a system name (case-insensitive, one of [`task::PAPER_SYSTEMS`]),
/// formatted as a table row, from the task registry.
pub fn paper_row(system: &str) -> Option<String> {
    let i = task::PAPER_SYSTEMS
        .iter()
        .position(|s| s.eq_ignore_ascii_case(system))?;
    let cells: Vec<&str> = task::registry()
        .iter()
        .map(|b| b.paper.map_or("—", |p| p[i]))
        .collect();
    Some(format!(
        "| paper: {} | {} | {} |",
        task::PAPER_SYSTEMS[i],
        cells.join(" | "),
        task::PAPER_OVERALL[i]
    ))
}

/// The Table 3 style text report.
pub fn render_table(label: &str, report: &Report) -> String {
    let cell = |s: &TaskScore| cell(Some(s));
    render_with(label, report, &cell, &format!("{:.2}", report.overall()))
}

/// The report as Markdown: the Table 3 layout with `overall` when any of the paper's tasks was
/// scored, then a table of the other tasks; `cell` formats one task's figures.
pub fn render_with(
    label: &str,
    report: &Report,
    cell: &dyn Fn(&TaskScore) -> String,
    overall: &str,
) -> String {
    let mut s = String::new();
    if report.has_benchmark() {
        let cells: Vec<String> = task::builtin()
            .iter()
            .map(|b| {
                report
                    .tasks
                    .iter()
                    .find(|t| t.task.name == b.name)
                    .map_or("—".into(), cell)
            })
            .collect();
        s.push_str(&format!(
            "{}\n| {label} | {} | {overall} |\n",
            table_header(),
            cells.join(" | ")
        ));
    }
    let builtin: Vec<String> = task::builtin().into_iter().map(|t| t.name).collect();
    let others: Vec<&TaskScore> = report
        .tasks
        .iter()
        .filter(|t| !builtin.contains(&t.task.name))
        .collect();
    if !others.is_empty() {
        if !s.is_empty() {
            s.push('\n');
        }
        let names: Vec<String> = others
            .iter()
            .map(|t| {
                let keys: Vec<&str> = t.values.iter().map(|v| v.0.key()).collect();
                format!("{} ({})", t.task.name, keys.join(" / "))
            })
            .collect();
        let cells: Vec<String> = others.iter().map(|t| cell(t)).collect();
        s.push_str(&format!(
            "| system | {} |\n|---|{}\n| {label} | {} |\n",
            names.join(" | "),
            "---|".repeat(names.len()),
            cells.join(" | ")
        ));
    }
    if !report.missing.is_empty() {
        s.push_str(&format!(
            "\nmissing (counted as 0 in Overall, as upstream eval.py does): {}\n",
            report.missing.join(", ")
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paper_rows_come_from_the_registry() {
        assert_eq!(
            paper_row("feature-based").unwrap(),
            "| paper: Feature-based | 49.76 / 72.75 | 32.05 / 49.40 | 51.95 | 59.70 | \
             94.40 / 62.89 | 58.46 |"
        );
        assert!(paper_row("gpt").is_none());
    }
}
