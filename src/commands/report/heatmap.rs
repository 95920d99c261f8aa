//! `report --confusion`: a heat-map of each single-label classification task's confusion
//! matrix, one file per folder and task beside the bar chart: rows gold, columns predicted,
//! each cell shaded by its share of the gold row (the row's recall spread) and labelled with
//! its count when the cell is large enough to hold it.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::{register_font, ChartStyle, Look, FONT, MAX_PIXELS};
use super::png;
use crate::commands::output_set;
use crate::scoring::confusion::Confusion;

/// The most labels a heat-map draws; a task with more is refused with a pointer to the table.
pub const MAX_LABELS: usize = 60;

/// Labels longer than this are cut with an ellipsis on the axes.
const LABEL_CHARS: usize = 16;

/// One heat-map to draw: the folder's legend name, the task, its matrix and the file.
pub struct Heatmap {
    /// The task's name.
    pub task: String,
    /// The folder's name in the chart's legend.
    pub system: String,
    /// The matrix.
    pub confusion: Confusion,
    /// Where it goes.
    pub out: PathBuf,
}

/// One charted folder: its directory, its name, and its single-label classification tasks'
/// confusion matrices (scored once, for the chart).
pub type Folder<'a> = (&'a Path, &'a str, &'a [(String, Confusion)]);

/// The heat-maps of a folder's single-label classification tasks, written beside `out` as
/// `<stem>-confusion-<Task>[-<n>].<ext>` (`-<n>`, the folder's position from 1, when several
/// folders are charted). A task of more than [`MAX_LABELS`] labels gets a note in `log` instead.
fn of_folder(
    (dir, name, confusions): Folder<'_>,
    (out, folder, folders): (&Path, usize, usize),
    log: &mut dyn std::io::Write,
) -> Result<Vec<Heatmap>> {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = out
        .extension()
        .map(|e| e.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut maps = Vec::new();
    for (task, confusion) in confusions {
        if confusion.labels.len() > MAX_LABELS {
            writeln!(
                log,
                "note: no heat-map for {task} in {}: {} labels, over the {MAX_LABELS} a heat-map \
                 draws (its table: rumedbench eval {} --confusion)",
                dir.display(),
                confusion.labels.len(),
                dir.display()
            )?;
            continue;
        }
        let suffix = if folders > 1 {
            format!("-{folder}")
        } else {
            String::new()
        };
        maps.push(Heatmap {
            task: task.clone(),
            system: name.to_string(),
            confusion: confusion.clone(),
            out: out.with_file_name(format!("{stem}-confusion-{task}{suffix}.{ext}")),
        });
    }
    Ok(maps)
}

/// The geometry of a heat-map of `labels`, in 96-dpi pixels: cell side, left and top
/// margins, the room under the cells for the rotated column labels, and the whole size.
fn geometry(labels: &[String]) -> (u32, u32, u32, u32, (u32, u32)) {
    let n = labels.len().max(1) as u32;
    let cell = (480 / n).clamp(12, 110);
    // About 7 px per character of an 11 px label.
    let longest = labels
        .iter()
        .map(|l| l.chars().count().min(LABEL_CHARS))
        .max()
        .unwrap_or(1) as u32;
    let label_px = 7 * longest + 12;
    let (left, top, right) = (label_px.max(60) + 10, 70, 40);
    let under = label_px + 30;
    (
        cell,
        left,
        top,
        under,
        (left + n * cell + right, top + n * cell + under),
    )
}

fn cut(label: &str) -> String {
    if label.chars().count() > LABEL_CHARS {
        let head: String = label.chars().take(LABEL_CHARS - 1).collect();
        format!("{head}…")
    } else {
        label.to_string()
    }
}

/// The shade of a cell holding `share` (0..=1) of its gold row: white to the charts' blue.
fn shade(share: f64) -> RGBColor {
    let s = share.clamp(0.0, 1.0);
    let mix = |from: f64, to: f64| (from + (to - from) * s).round() as u8;
    RGBColor(mix(255.0, 31.0), mix(255.0, 119.0), mix(255.0, 180.0))
}

fn draw<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, look: &Look, map: &Heatmap) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let e = |err: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("cannot draw the heat-map: {err}");
    let c = &map.confusion;
    let n = c.labels.len();
    let (cell, left, top, under, _) = geometry(&c.labels);
    let px = |v: u32| look.px(f64::from(v)) as i32;
    root.fill(&WHITE).map_err(e)?;
    let font = |size: f64| ("sans-serif", look.px(size)).into_font();
    root.draw(&Text::new(
        look.title.to_string(),
        (px(left), px(18)),
        font(16.0).color(&BLACK),
    ))
    .map_err(e)?;
    let small = look.px(11.0);
    for (i, row) in c.matrix.iter().enumerate() {
        let total: usize = row.iter().sum();
        for (j, &count) in row.iter().enumerate() {
            let share = if total == 0 {
                0.0
            } else {
                count as f64 / total as f64
            };
            let (x0, y0) = (px(left + j as u32 * cell), px(top + i as u32 * cell));
            let (x1, y1) = (
                px(left + (j as u32 + 1) * cell),
                px(top + (i as u32 + 1) * cell),
            );
            root.draw(&Rectangle::new([(x0, y0), (x1, y1)], shade(share).filled()))
                .map_err(e)?;
            root.draw(&Rectangle::new(
                [(x0, y0), (x1, y1)],
                RGBColor(220, 220, 220).stroke_width(1),
            ))
            .map_err(e)?;
            if cell >= 24 {
                let colour = if share > 0.5 { &WHITE } else { &BLACK };
                let style = ("sans-serif", small)
                    .into_font()
                    .color(colour)
                    .pos(Pos::new(HPos::Center, VPos::Center));
                root.draw(&Text::new(
                    count.to_string(),
                    ((x0 + x1) / 2, (y0 + y1) / 2),
                    style,
                ))
                .map_err(e)?;
            }
        }
    }
    let axis = ("sans-serif", small).into_font().color(&BLACK);
    for (i, l) in c.labels.iter().enumerate() {
        let mid = (i as u32 * cell + cell / 2) as f64;
        root.draw(&Text::new(
            cut(l),
            (
                px(left) - look.px(6.0) as i32,
                px(top) + look.px(mid) as i32,
            ),
            axis.clone().pos(Pos::new(HPos::Right, VPos::Center)),
        ))
        .map_err(e)?;
        root.draw(&Text::new(
            cut(l),
            (
                px(left) + look.px(mid) as i32,
                px(top + n as u32 * cell + 6),
            ),
            axis.clone()
                .transform(FontTransform::Rotate90)
                .pos(Pos::new(HPos::Left, VPos::Center)),
        ))
        .map_err(e)?;
    }
    let titles = font(13.0).color(&BLACK);
    root.draw(&Text::new(
        "gold",
        (
            px(left) - look.px(6.0) as i32,
            px(top) - look.px(6.0) as i32,
        ),
        titles.clone().pos(Pos::new(HPos::Right, VPos::Bottom)),
    ))
    .map_err(e)?;
    root.draw(&Text::new(
        "predicted",
        (px(left), px(top + n as u32 * cell + under - 8)),
        titles.pos(Pos::new(HPos::Left, VPos::Bottom)),
    ))
    .map_err(e)?;
    Ok(())
}

/// The heat-map's bytes, SVG or PNG by `out`'s extension, at `style`'s DPI (PNG).
pub fn render(map: &Heatmap, style: &ChartStyle) -> Result<Vec<u8>> {
    register_font()?;
    let title = format!("{}: confusion matrix, {}", map.task, map.system);
    let (_, left, _, _, (w, h)) = geometry(&map.confusion.labels);
    // Room for the title (about 9 px per character at 16 px).
    let w = w.max(left + 9 * title.chars().count() as u32 + 20);
    let ext = map
        .out
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if ext == "svg" {
        let look = Look {
            style,
            title: &title,
            scale: 1.0,
        };
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
            draw(&root, &look, map)?;
        }
        return Ok(svg.into_bytes());
    }
    let scale = f64::from(style.dpi) / 96.0;
    let (pw, ph) = (
        (f64::from(w) * scale).round() as u32,
        (f64::from(h) * scale).round() as u32,
    );
    if u64::from(pw) * u64::from(ph) > MAX_PIXELS {
        bail!("a {pw} x {ph} pixel heat-map is over the {MAX_PIXELS} pixels charts are drawn with: lower --dpi");
    }
    let look = Look {
        style,
        title: &title,
        scale,
    };
    let mut rgb = vec![0u8; pw as usize * ph as usize * 3];
    {
        let bitmap = BitMapBackend::with_buffer(&mut rgb, (pw, ph));
        let root = png::Kerned::new(bitmap, FONT)?.into_drawing_area();
        draw(&root, &look, map)?;
    }
    png::encode(&rgb, (pw, ph), style.dpi)
}

/// Writes the chart (`chart`, its bytes) and the heat-maps of every folder as one output set:
/// replaced together or not at all. Errors when no folder holds a single-label classification
/// task.
pub fn write_with_chart(
    folders: &[Folder<'_>],
    (out, style): (&Path, &ChartStyle),
    chart: &[u8],
    log: &mut dyn std::io::Write,
) -> Result<()> {
    let mut maps = Vec::new();
    for (i, f) in folders.iter().enumerate() {
        maps.extend(of_folder(*f, (out, i + 1, folders.len()), log)?);
    }
    if maps.is_empty() {
        bail!(
            "--confusion: no folder holds a single-label classification task of at most \
             {MAX_LABELS} labels (tagging and multi-label tasks have no confusion matrix)"
        );
    }
    let mut set = output_set::OutputSet::new();
    set.stage(out, |w| Ok(w.write_all(chart)?))?;
    for m in &maps {
        let bytes = render(m, style)?;
        set.stage(&m.out, |w| Ok(w.write_all(&bytes)?))?;
        writeln!(log, "wrote {}", m.out.display())?;
    }
    set.commit()
}
