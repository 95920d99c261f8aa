//! Text helpers of the chart: which characters the bundled font draws, labels as drawn, and
//! the paper's cells read as numbers.

use anyhow::{anyhow, Result};

use crate::scoring::eval;

/// Whether the bundled font draws `c`: printable Latin-1, Cyrillic and common punctuation
/// (the ranges `assets/fonts/LICENSE-DejaVu.txt` lists).
pub(super) fn drawable(c: char) -> bool {
    matches!(c as u32,
        0x20..=0x7e | 0xa0..=0xff | 0x400..=0x45f | 0x490..=0x491 | 0x2010..=0x2014
        | 0x2018..=0x201e | 0x2026 | 0x2116 | 0x2212)
}

/// The label as drawn: characters the bundled font lacks become `?` (SVG output escapes
/// `<`, `>` and `&` itself).
pub(super) fn chart_label(s: &str) -> String {
    s.chars()
        .map(|c| if drawable(c) { c } else { '?' })
        .collect()
}

pub(super) fn norm(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The mean of the numbers of a paper cell such as `49.76 / 72.75`.
pub(super) fn parse_cell(cell: &str) -> Result<f64> {
    let nums: Vec<f64> = cell
        .split('/')
        .map(|p| {
            p.trim()
                .parse::<f64>()
                .map_err(|e| anyhow!("paper cell {cell:?}: {e}"))
        })
        .collect::<Result<_>>()?;
    Ok(eval::mean(nums.into_iter()))
}
