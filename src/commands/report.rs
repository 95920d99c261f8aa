//! `report`: a grouped bar chart of systems' per-task primary figures and Overall, with
//! their bootstrap intervals as error bars, beside rows of the paper's Table 3.
//!
//! SVG text is written as `<text>` elements, which need no font here; layout and PNG
//! rasterising do, so a subset of DejaVu Sans covering Latin-1 and Cyrillic (51 KB, Bitstream
//! Vera licence, `assets/fonts/`) is compiled in and no system font is ever looked up. PNG text
//! is drawn glyph by glyph with side bearings and kerning (`report/png.rs`), and the file
//! records its DPI.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::output_set;

mod canvas;
mod heatmap;
mod png;
mod text;
use crate::scoring::bootstrap::{self, Interval};
use crate::scoring::confusion::Confusion;
use crate::scoring::eval;
use crate::task::{TaskSpec, PAPER_OVERALL, PAPER_SYSTEMS};
use canvas::{register_font, Look, FONT, MAX_PIXELS};
pub use canvas::{ChartStyle, DEFAULT_SIZE, DEFAULT_X_TITLE, DEFAULT_Y_TITLE, MAX_DPI, SIZE_RANGE};
use text::{chart_label, norm, parse_cell};

/// The benchmark's groups: the registry's short task names, in the paper's order, and Overall.
pub fn groups() -> Vec<&'static str> {
    let mut g: Vec<&'static str> = crate::task::registry().iter().map(|b| b.short).collect();
    g.push("Overall");
    g
}

/// One group of bars: a task (keyed by its name) or Overall.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The task's name, or [`OVERALL`].
    pub key: String,
    /// The x-axis label.
    pub label: String,
}

/// The key of the Overall group (no task name can hold a NUL).
pub const OVERALL: &str = "\u{0}overall";

/// The groups of a chart of `systems`: when any system scored a RuMedBench task, the five
/// tasks and Overall (as the paper's table); then every other task some system scored, in the
/// order first met.
pub fn chart_groups(systems: &[System]) -> Vec<Group> {
    let mut out = Vec::new();
    if systems.iter().any(|s| s.benchmark) {
        for b in crate::task::registry() {
            out.push(Group {
                key: b.spec.name.clone(),
                label: b.short.to_string(),
            });
        }
        out.push(Group {
            key: OVERALL.into(),
            label: "Overall".into(),
        });
    }
    for s in systems {
        for (name, _, _) in &s.cells {
            if !out.iter().any(|g| &g.key == name) {
                out.push(Group {
                    key: name.clone(),
                    label: chart_label(name),
                });
            }
        }
    }
    out
}

/// The paper rows drawn by default.
pub const DEFAULT_PAPER_ROWS: &str = "naive,feature-based";

/// What a missing figure is marked with: a task the series has no prediction file for.
pub const MISSING_MARK: &str = "n/a";

/// One bar series: a system or a paper row.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend name.
    pub name: String,
    /// The figure of each group of [`groups`], `None` when the task is missing.
    pub values: Vec<Option<f64>>,
    /// Each figure's 95% interval, when it has one.
    pub intervals: Vec<Option<Interval>>,
    /// Whether this is a paper row (drawn in grey, without intervals).
    pub paper: bool,
    /// Tasks of the paper's Overall with no prediction file: Overall counts them as 0 (as
    /// upstream's eval.py), so its bar is drawn pale and the legend says so.
    pub missing: usize,
}

/// The chart title used when `--title` is not given and a RuMedBench task is charted.
pub const DEFAULT_TITLE: &str =
    "RuMedBench test scores, % (bars: primary figure; whiskers: 95% bootstrap interval)";

/// The chart title used when `--title` is not given and only other tasks are charted.
pub const OWN_TITLE: &str =
    "Test scores, % (bars: primary figure; whiskers: 95% bootstrap interval)";

/// What `report` draws and where.
#[derive(Debug, Clone)]
pub struct ChartRequest {
    /// Directories of prediction files, one series each.
    pub dirs: Vec<PathBuf>,
    /// Output file; `.svg` or `.png`.
    pub out: PathBuf,
    /// Paper rows to include, by name (case, `-`, `_` and spaces ignored).
    pub paper: Vec<String>,
    /// Bootstrap replicates for the error bars.
    pub replicates: usize,
    /// Bootstrap seed.
    pub seed: u64,
    /// Legend names for some directories (`--label DIR=NAME`); others are named after the
    /// directory.
    pub labels: Vec<(PathBuf, String)>,
    /// Title, axis titles, size, DPI, value labels.
    pub style: ChartStyle,
    /// Tasks defined by task files (`--task-file`), scored in every folder that holds their
    /// predictions (tasks with a run record beside their predictions need none).
    pub own: Vec<TaskSpec>,
    /// The figure plotted (`--metric`): a metric key (`acc`, `hit3`, `f1`, `micro_f1`,
    /// `macro_f1`, ...) or `mean`; `None` for each task's own figure ([`default_figure`]).
    pub metric: Option<String>,
    /// `--confusion`: also a heat-map of each single-label classification task's confusion
    /// matrix per folder, beside `out` (`<stem>-confusion-<Task>[-<n>].<ext>`), written
    /// together with the chart.
    pub confusion: bool,
}

/// The figure a task's bar shows by default: for the benchmark's tasks the mean of their
/// metrics (the number Overall averages, as the paper's rows drawn beside them); for your own
/// tasks their primary metric (multi-label: micro-F1; tagging: entity F1; else accuracy).
pub fn default_figure(t: &eval::TaskScore) -> Option<crate::task::Metric> {
    use crate::task::{Metric, TaskKind};
    if crate::task::builtin().iter().any(|b| b.name == t.task.name) {
        None
    } else if t.task.multi_label {
        Some(Metric::MicroF1)
    } else if t.task.kind() == TaskKind::Tokens {
        Some(Metric::F1)
    } else {
        Some(Metric::Acc)
    }
}

/// One task's bar under `metric` (see [`ChartRequest::metric`]): the value and its interval,
/// `None` when the task does not report that figure.
fn task_cell(
    t: &eval::TaskScore,
    boot: &bootstrap::Bootstrap,
    metric: Option<&str>,
    (replicates, seed): (usize, u64),
) -> Option<(f64, Option<Interval>)> {
    let intervals = boot.task(&t.task.name);
    let mean = || (t.primary(), intervals.map(|i| i.primary));
    let of = |m: crate::task::Metric| {
        let v = t.get(m)?;
        Some((
            v,
            intervals.and_then(|i| i.metrics.iter().find(|x| x.0 == m).map(|x| x.1)),
        ))
    };
    match metric {
        None => match default_figure(t) {
            None => Some(mean()),
            Some(m) => of(m).or_else(|| Some(mean())),
        },
        Some("mean") => Some(mean()),
        Some(k) => match t.values.iter().find(|v| v.0.key() == k) {
            Some((m, _)) => of(*m),
            None if k == "macro_f1" => {
                let key = crate::scoring::paired::task_key(&t.task.name);
                crate::scoring::paired::label_figures(t, None, (Some(replicates), seed, key))
                    .into_iter()
                    .find(|f| f.0 == crate::scoring::paired::Figure::MacroF1)
                    .map(|f| (f.1, f.2))
            }
            None => None,
        },
    }
}

/// The paper's rows named in `names` (e.g. `naive`, `feature-based`), as series.
pub fn paper_series(names: &[String]) -> Result<Vec<Series>> {
    let mut out = Vec::new();
    let registry = crate::task::registry();
    for name in names {
        let i = PAPER_SYSTEMS
            .iter()
            .position(|s| norm(s) == norm(name))
            .ok_or_else(|| {
                let known: Vec<String> = PAPER_SYSTEMS.iter().map(|s| s.to_lowercase()).collect();
                anyhow!(
                    "--paper: unknown row `{name}`: expected some of {}, or `none`",
                    known.join(", ")
                )
            })?;
        let mut values = Vec::with_capacity(registry.len() + 1);
        for b in &registry {
            values.push(b.paper.map(|p| parse_cell(p[i])).transpose()?);
        }
        values.push(Some(parse_cell(PAPER_OVERALL[i])?));
        out.push(Series {
            name: format!("paper: {}", PAPER_SYSTEMS[i]),
            intervals: vec![None; values.len()],
            values,
            paper: true,
            missing: 0,
        });
    }
    Ok(out)
}

/// Parses `--paper`: a comma-separated list, or `none`.
pub fn parse_paper_list(list: &str) -> Vec<String> {
    if list.trim().eq_ignore_ascii_case("none") {
        return Vec::new();
    }
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

/// A system's scores: each task's primary figure with its interval, keyed by task name
/// ([`OVERALL`] for Overall), before they are aligned with a chart's groups.
#[derive(Debug, Clone, PartialEq)]
pub struct System {
    /// Legend name.
    pub name: String,
    /// `(task name or OVERALL, primary figure, interval)`.
    pub cells: Vec<(String, f64, Option<Interval>)>,
    /// Whether any RuMedBench task was scored (only then is there an Overall).
    pub benchmark: bool,
    /// RuMedBench tasks without a prediction file, which Overall counts as 0.
    pub missing: usize,
    /// The folder's own name: its `--label`, else the directory's name (the legend `name`
    /// may add a note to it).
    pub folder: String,
    /// Each single-label classification task's confusion matrix, by task (`--confusion`).
    pub confusions: Vec<(String, Confusion)>,
}

impl System {
    /// The system's bars in the order of `groups` (`None` where it has no figure).
    pub fn series(&self, groups: &[Group]) -> Series {
        let cell = |g: &Group| self.cells.iter().find(|c| c.0 == g.key);
        Series {
            name: self.name.clone(),
            values: groups.iter().map(|g| cell(g).map(|c| c.1)).collect(),
            intervals: groups.iter().map(|g| cell(g).and_then(|c| c.2)).collect(),
            paper: false,
            missing: self.missing,
        }
    }
}

/// A system's scores: each task's primary figure (the mean of its metrics: the RuMedBench
/// tasks', and those of other tasks known from the run records beside their predictions or
/// from `own`, a task file's tasks) and, when RuMedBench tasks are there, Overall, all with
/// bootstrap intervals.
pub fn system_scores(
    dir: &Path,
    label: Option<&str>,
    replicates: usize,
    seed: u64,
    (own, metric): (&[TaskSpec], Option<&str>),
) -> Result<System> {
    // A task file's task need not be in every folder of the chart.
    let own: Vec<TaskSpec> = own
        .iter()
        .filter(|t| dir.join(format!("{}.jsonl", t.name)).is_file())
        .cloned()
        .collect();
    let report = eval::score_dir_with(dir, None, &own)?;
    let boot = bootstrap::bootstrap(&report.tasks, replicates, seed);
    let benchmark = report.has_benchmark();
    let mut cells: Vec<(String, f64, Option<Interval>)> = report
        .tasks
        .iter()
        .filter_map(|t| {
            let (v, iv) = task_cell(t, &boot, metric, (replicates, seed))?;
            Some((t.task.name.clone(), v, iv))
        })
        .collect();
    // Overall averages the tasks' means: it is drawn with them only.
    if benchmark && matches!(metric, None | Some("mean")) {
        cells.push((OVERALL.into(), report.overall(), Some(boot.overall)));
    }
    let folder = label.map(str::to_string).unwrap_or_else(|| {
        dir.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| dir.display().to_string())
    });
    let confusions = report
        .tasks
        .iter()
        .filter_map(|t| Confusion::of(t).map(|c| (t.task.name.clone(), c)))
        .collect();
    let missing = crate::task::overall_tasks()
        .iter()
        .filter(|t| report.missing.contains(t))
        .count();
    let name = if missing > 0 {
        format!("{folder} (Overall counts {missing} missing task(s) as 0)")
    } else {
        folder.clone()
    };
    Ok(System {
        name: chart_label(&name),
        cells,
        benchmark,
        missing,
        folder,
        confusions,
    })
}

const SYSTEM_COLOURS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];
/// The colour of [`MISSING_MARK`].
const MISSING_GREY: RGBColor = RGBColor(110, 110, 110);
const PAPER_COLOURS: [RGBColor; 3] = [
    RGBColor(200, 200, 200),
    RGBColor(150, 150, 150),
    RGBColor(100, 100, 100),
];

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// The top of the y axis: 100, with room above for the figures written over the bars.
fn y_top(style: &ChartStyle) -> f64 {
    if style.values {
        108.0
    } else {
        100.0
    }
}

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    look: &Look,
    groups: &[Group],
    series: &[Series],
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let e = |err: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("cannot draw the chart: {err}");
    root.fill(&WHITE).map_err(e)?;
    let mut chart = axes(root, look, groups)?;
    let overall = groups.iter().position(|g| g.key == OVERALL);
    let k = series.len().max(1) as f64;
    let (mut sys_i, mut paper_i) = (0, 0);
    for (si, s) in series.iter().enumerate() {
        let colour = if s.paper {
            paper_i += 1;
            PAPER_COLOURS[(paper_i - 1) % PAPER_COLOURS.len()]
        } else {
            sys_i += 1;
            SYSTEM_COLOURS[(sys_i - 1) % SYSTEM_COLOURS.len()]
        };
        bars(&mut chart, s, colour, (si, 0.84 / k), overall, look.scale)?;
    }
    for (si, s) in series.iter().enumerate() {
        figures(&mut chart, look, groups, s, (si, 0.84 / k))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .label_font(("sans-serif", look.px(14.0)))
        .legend_area_size(look.px(20.0))
        .draw()
        .map_err(e)?;
    root.present().map_err(e)?;
    Ok(())
}

/// The chart area with its caption, axes and one x label per group.
fn axes<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    look: &Look,
    groups: &[Group],
) -> Result<Chart<'a, DB>>
where
    DB::ErrorType: 'static,
{
    let e = |err: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("cannot draw the chart: {err}");
    let n = groups.len() as f64;
    let top = y_top(look.style);
    let mut chart = ChartBuilder::on(root)
        .caption(chart_label(look.title), ("sans-serif", look.px(20.0)))
        .margin(look.px(12.0))
        .x_label_area_size(look.px(45.0))
        .y_label_area_size(look.px(55.0))
        .build_cartesian_2d(-0.5f64..n - 0.5, 0f64..top)
        .map_err(e)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_desc(chart_label(&look.style.x_title))
        .y_desc(chart_label(&look.style.y_title))
        // Ask for enough labels that every integer (a group centre) gets one; others are blank.
        .x_labels(groups.len() + 1)
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && (0.0..n).contains(&i) {
                groups[i as usize].label.clone()
            } else {
                String::new()
            }
        })
        .y_labels(if top > 100.0 { 12 } else { 11 })
        .y_label_formatter(&|y| {
            if *y <= 100.0 + 1e-9 {
                format!("{y:.0}")
            } else {
                String::new()
            }
        })
        .label_style(("sans-serif", look.px(15.0)))
        .axis_desc_style(("sans-serif", look.px(16.0)))
        .draw()
        .map_err(e)?;
    Ok(chart)
}

/// The centre of the `si`-th bar (of width `bar`) of group `g`.
fn centre(g: usize, si: usize, bar: f64) -> f64 {
    g as f64 - 0.42 + (si as f64 + 0.5) * bar
}

/// One series' bars (the `si`-th of each group, `bar` wide) and its interval whiskers;
/// `overall` is the Overall group's index, if the chart has one.
fn bars<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    s: &Series,
    colour: RGBColor,
    (si, bar): (usize, f64),
    overall: Option<usize>,
    scale: f64,
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let e = |err: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("cannot draw the chart: {err}");
    let rects = s.values.iter().enumerate().filter_map(|(g, v)| {
        v.map(|v| {
            let c = centre(g, si, bar);
            // An Overall that counts missing tasks as 0 is drawn pale.
            let fill = if Some(g) == overall && s.missing > 0 {
                colour.mix(0.35).filled()
            } else {
                colour.filled()
            };
            Rectangle::new([(c - bar * 0.45, 0.0), (c + bar * 0.45, v)], fill)
        })
    });
    let swatch = (7.0 * scale).round() as i32;
    chart
        .draw_series(rects)
        .map_err(e)?
        .label(s.name.clone())
        .legend(move |(x, y)| {
            Rectangle::new(
                [(x, y - swatch), (x + 2 * swatch, y + swatch)],
                colour.filled(),
            )
        });
    let stroke = scale.round().max(1.0) as u32;
    let whiskers = s.intervals.iter().enumerate().filter_map(|(g, iv)| {
        iv.map(|iv| {
            let (c, cap) = (centre(g, si, bar), bar * 0.2);
            PathElement::new(
                vec![
                    (c - cap, iv.lo),
                    (c + cap, iv.lo),
                    (c, iv.lo),
                    (c, iv.hi),
                    (c - cap, iv.hi),
                    (c + cap, iv.hi),
                ],
                BLACK.stroke_width(stroke),
            )
        })
    });
    chart.draw_series(whiskers).map_err(e)?;
    Ok(())
}

/// The texts over one series' bars: each figure (one decimal) above its bar and whisker when
/// the style asks for them, and [`MISSING_MARK`] in the slot of a task the series lacks (a
/// system's; the paper's rows have no figure for other tasks, which is not a gap). Text
/// wider than the bar is written upright.
fn figures<DB: DrawingBackend>(
    chart: &mut Chart<'_, DB>,
    look: &Look,
    groups: &[Group],
    s: &Series,
    (si, bar): (usize, f64),
) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let e = |err: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("cannot draw the chart: {err}");
    let (w_px, _) = chart.plotting_area().dim_in_pixel();
    let bar_px = bar * 0.9 * f64::from(w_px) / groups.len().max(1) as f64;
    let size = look.px(12.0);
    // "100.0" is about 2.8 em wide in DejaVu Sans.
    let upright = bar_px < 2.9 * f64::from(size);
    let style = |colour: &'static RGBColor| {
        let st = TextStyle::from(("sans-serif", size).into_font()).color(colour);
        if upright {
            st.transform(FontTransform::Rotate270)
                .pos(Pos::new(HPos::Left, VPos::Center))
        } else {
            st.pos(Pos::new(HPos::Center, VPos::Bottom))
        }
    };
    let gap = 0.8;
    let mut texts = Vec::new();
    for (g, v) in s.values.iter().enumerate() {
        let c = centre(g, si, bar);
        match v {
            Some(v) if look.style.values => {
                let top = s.intervals[g].map_or(*v, |iv| iv.hi.max(*v));
                texts.push(Text::new(format!("{v:.1}"), (c, top + gap), style(&BLACK)));
            }
            None if !s.paper && groups[g].key != OVERALL => {
                texts.push(Text::new(
                    MISSING_MARK.to_string(),
                    (c, gap),
                    style(&MISSING_GREY),
                ));
            }
            _ => {}
        }
    }
    chart.draw_series(texts).map_err(e)?;
    Ok(())
}

/// The title `style` resolves to for `groups`.
fn resolved_title<'s>(style: &'s ChartStyle, groups: &[Group]) -> &'s str {
    match &style.title {
        Some(t) => t,
        None if groups.iter().any(|g| g.key == OVERALL) => DEFAULT_TITLE,
        None => OWN_TITLE,
    }
}

/// Renders the chart of `series` to an SVG document.
pub fn render_svg(style: &ChartStyle, groups: &[Group], series: &[Series]) -> Result<String> {
    register_font()?;
    let look = Look {
        style,
        title: resolved_title(style, groups),
        scale: 1.0,
    };
    let mut svg = String::new();
    {
        let root =
            SVGBackend::with_string(&mut svg, (style.width, style.height)).into_drawing_area();
        draw(&root, &look, groups, series)?;
    }
    Ok(svg)
}

/// Renders the chart of `series` to PNG bytes: `width × dpi / 96` by `height × dpi / 96`
/// pixels, with the DPI recorded in the file.
pub fn render_png(style: &ChartStyle, groups: &[Group], series: &[Series]) -> Result<Vec<u8>> {
    register_font()?;
    let scale = f64::from(style.dpi) / 96.0;
    let w = (f64::from(style.width) * scale).round() as u32;
    let h = (f64::from(style.height) * scale).round() as u32;
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        bail!(
            "a {w} x {h} pixel PNG is over the {MAX_PIXELS} pixels charts are drawn with: lower \
             --dpi, --width or --height (or write .svg, which has no pixels)"
        );
    }
    let look = Look {
        style,
        title: resolved_title(style, groups),
        scale,
    };
    let mut rgb = vec![0u8; w as usize * h as usize * 3];
    {
        let bitmap = BitMapBackend::with_buffer(&mut rgb, (w, h));
        let root = png::Kerned::new(bitmap, FONT)?.into_drawing_area();
        draw(&root, &look, groups, series)?;
    }
    png::encode(&rgb, (w, h), style.dpi)
}

/// Writes the chart of `series` to `out`, as SVG or PNG by extension, atomically: a failed
/// run leaves any earlier file untouched.
pub fn write_chart(
    style: &ChartStyle,
    groups: &[Group],
    series: &[Series],
    out: &Path,
) -> Result<()> {
    let bytes = chart_bytes(style, groups, series, out)?;
    output_set::write_atomic(out, |w| Ok(w.write_all(&bytes)?))
}

/// The chart's bytes, SVG or PNG by `out`'s extension.
fn chart_bytes(
    style: &ChartStyle,
    groups: &[Group],
    series: &[Series],
    out: &Path,
) -> Result<Vec<u8>> {
    let ext = out
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    Ok(match ext.as_str() {
        "svg" => render_svg(style, groups, series)?.into_bytes(),
        "png" => render_png(style, groups, series)?,
        _ => bail!(
            "--out {}: the file name must end in .svg or .png",
            out.display()
        ),
    })
}

/// Scores each directory, bootstraps its intervals, adds the paper rows and writes the chart.
/// Returns the chart's groups and series; `log` gets a note when paper rows were asked for
/// but no folder holds a RuMedBench task.
pub fn run(req: &ChartRequest, log: &mut dyn std::io::Write) -> Result<(Vec<Group>, Vec<Series>)> {
    if req.dirs.is_empty() {
        bail!("report needs at least one directory of prediction files");
    }
    for (from, _) in &req.labels {
        if !req.dirs.contains(from) {
            bail!(
                "--label {}=...: not one of the directories given",
                from.display()
            );
        }
    }
    let mut systems = Vec::new();
    for d in &req.dirs {
        let label = req.labels.iter().find(|l| &l.0 == d).map(|l| l.1.as_str());
        systems.push(system_scores(
            d,
            label,
            req.replicates,
            req.seed,
            (&req.own, req.metric.as_deref()),
        )?);
    }
    if let Some(m) = &req.metric {
        if systems.iter().all(|s| s.cells.is_empty()) {
            bail!(
                "--metric {m}: no scored task reports it (keys: acc, hit3, f1, micro_f1, \
                 macro_f1, subset_acc, p_at_1, p_at_3, or mean)"
            );
        }
    }
    let groups = chart_groups(&systems);
    let mut series: Vec<Series> = systems.iter().map(|s| s.series(&groups)).collect();
    // A task a system has no predictions for is marked n/a in its slot, and its legend says so.
    for s in &mut series {
        let gaps: Vec<&str> = groups
            .iter()
            .zip(&s.values)
            .filter(|(g, v)| v.is_none() && g.key != OVERALL)
            .map(|(g, _)| g.label.as_str())
            .collect();
        if gaps.is_empty() {
            continue;
        }
        let note = format!("{MISSING_MARK}: no predictions for {}", gaps.join(", "));
        s.name = match s.name.strip_suffix(')') {
            // "(Overall counts N missing task(s) as 0)" gets the note inside.
            Some(head) if s.missing > 0 => format!("{head}; {note})"),
            _ => format!("{} ({note})", s.name),
        };
    }
    // The paper's rows are the tasks' means: drawn beside means only.
    let paper_comparable = matches!(req.metric.as_deref(), None | Some("mean"));
    if paper_comparable && systems.iter().any(|s| s.benchmark) {
        for mut p in paper_series(&req.paper)? {
            // The paper's rows have the benchmark's groups, which come first.
            p.values.resize(groups.len(), None);
            p.intervals.resize(groups.len(), None);
            series.push(p);
        }
    } else if !req.paper.is_empty() {
        writeln!(
            log,
            "note: no folder holds a RuMedBench task, so the chart has no Overall and no rows \
             of the paper's table"
        )?;
    }
    if !req.confusion {
        write_chart(&req.style, &groups, &series, &req.out)?;
        return Ok((groups, series));
    }
    let bytes = chart_bytes(&req.style, &groups, &series, &req.out)?;
    let folders: Vec<heatmap::Folder> = req
        .dirs
        .iter()
        .zip(&systems)
        .map(|(d, s)| (d.as_path(), s.folder.as_str(), s.confusions.as_slice()))
        .collect();
    heatmap::write_with_chart(&folders, (&req.out, &req.style), &bytes, log)?;
    Ok((groups, series))
}

#[cfg(test)]
mod tests;
