//! What the bar chart and the confusion heat-maps share: the bundled font, the style a chart is
//! drawn in, its limits, and the scale every length is drawn at.

use anyhow::{bail, Result};
use plotters::prelude::FontStyle;
use std::sync::Once;

pub(super) const FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-LatinCyrillic.ttf");

/// How a chart looks: its title, axis titles, size, resolution and value labels.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartStyle {
    /// The title (default: the report's `DEFAULT_TITLE` when a RuMedBench task is charted,
    /// else its `OWN_TITLE`).
    pub title: Option<String>,
    /// The x axis's title.
    pub x_title: String,
    /// The y axis's title.
    pub y_title: String,
    /// Width in CSS pixels (1/96 inch): the SVG's size, and the PNG's at 96 DPI.
    pub width: u32,
    /// Height in CSS pixels.
    pub height: u32,
    /// PNG resolution: the PNG is `width × dpi / 96` pixels wide (text, lines and margins
    /// scaled alike) and records the DPI; SVG ignores it.
    pub dpi: u32,
    /// Write each bar's figure above it.
    pub values: bool,
}

impl Default for ChartStyle {
    fn default() -> Self {
        ChartStyle {
            title: None,
            x_title: DEFAULT_X_TITLE.into(),
            y_title: DEFAULT_Y_TITLE.into(),
            width: DEFAULT_SIZE.0,
            height: DEFAULT_SIZE.1,
            dpi: 96,
            values: true,
        }
    }
}

/// The chart's size in CSS pixels when `--width`/`--height` are not given.
pub const DEFAULT_SIZE: (u32, u32) = (1100, 560);
/// The x axis's title when `--x-title` is not given.
pub const DEFAULT_X_TITLE: &str = "Task";
/// The y axis's title when `--y-title` is not given.
pub const DEFAULT_Y_TITLE: &str = "Score, %";
/// Smallest and largest `--width`/`--height` (CSS pixels), and largest `--dpi`: a chart of at
/// most 8000 × 8000 × (1200 / 96)² pixels is still drawn in memory.
pub const SIZE_RANGE: (u32, u32) = (200, 8000);
/// Largest `--dpi`.
pub const MAX_DPI: u32 = 1200;
/// Most pixels a PNG may have (about 200 MB of RGB).
pub(super) const MAX_PIXELS: u64 = 64_000_000;

/// Registers the bundled font for the families charts name (once per process).
pub(super) fn register_font() -> Result<()> {
    static ONCE: Once = Once::new();
    let mut ok = true;
    ONCE.call_once(|| {
        for family in ["sans-serif", "serif", "monospace"] {
            ok &= plotters::style::register_font(family, FontStyle::Normal, FONT).is_ok();
        }
    });
    if ok {
        Ok(())
    } else {
        bail!("the bundled chart font is not a valid TrueType font")
    }
}

/// What one drawing needs besides its groups and series: the style, the title it resolved to,
/// and the scale of every length (PNG: dpi / 96).
pub(super) struct Look<'s> {
    pub(super) style: &'s ChartStyle,
    pub(super) title: &'s str,
    pub(super) scale: f64,
}

impl Look<'_> {
    /// A length (a font size, a margin) at this scale.
    pub(super) fn px(&self, v: f64) -> u32 {
        (v * self.scale).round().max(1.0) as u32
    }
}
