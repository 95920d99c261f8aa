//! What the commands that have no module of their own do with their parsed flags (`predict`,
//! `test`, `eval`, `compare`, `report`, `submit`): each flags type's `run`.

use crate::cli::{CompareArgs, EvalArgs, Format, PredictArgs, ReportArgs, SubmitArgs, TestArgs};
use std::io::Write;
use std::path::Path;

use anyhow::{bail, Result};

use crate::bundle::Bundle;
use crate::commands::predict;
use crate::commands::report;
use crate::commands::submit;
use crate::commands::test;
use crate::data;
use crate::pipeline::FitSettings;
use crate::scoring::bootstrap;
use crate::scoring::confusion;
use crate::scoring::eval;
use crate::scoring::paired;
use crate::scoring::per_label;
use crate::scoring::table;
use crate::task;

impl TestArgs {
    pub(crate) fn run(&self, out: &mut dyn Write, err: &mut dyn Write) -> Result<()> {
        let req = test::TestRequest {
            model: self.model.clone(),
            input: self.input.clone(),
            fields: test::FieldMap {
                id: self.id_field.clone(),
                text: self.text_field.clone(),
                label: self.label_field.clone(),
                tokens: self.tokens_field.clone(),
                tags: self.tags_field.clone(),
            },
            per_label: self.per_label,
            out: self.out.clone(),
            delimiter: self.delimiter,
            encoding: self.encoding,
            positive_label: self.positive_label.clone(),
            confusion: self.confusion,
        };
        test::print(&req, self.format == Format::Json, out, err)
    }
}

impl SubmitArgs {
    pub(crate) fn run(&self, out: &mut dyn Write, err: &mut dyn Write) -> Result<()> {
        let data_dir = data::resolve_data_dir(self.data_dir.as_deref());
        if let Some(zip) = &self.check {
            let counts = submit::check_zip(zip, &data_dir)?;
            let parts: Vec<String> = counts.iter().map(|(f, n)| format!("{f} {n}")).collect();
            writeln!(out, "{}: valid ({})", zip.display(), parts.join(", "))?;
            return Ok(());
        }
        let req = submit::SubmitRequest {
            kind: self.model,
            out: self
                .out
                .clone()
                .unwrap_or_else(|| submit::default_out(self.model)),
            data_dir,
            nli_train: self.nli_train.clone(),
            compare_with: self.compare_with.clone(),
            settings: FitSettings::default(),
        };
        submit::run(&req, out, err)?;
        Ok(())
    }
}

impl PredictArgs {
    pub(crate) fn run(&self, out: &mut dyn Write) -> Result<()> {
        let mut bundle = Bundle::load(&self.model)?;
        // The input's field names, where they differ from the training data's.
        let fields = test::FieldMap {
            id: self.id_field.clone(),
            text: self.text_field.clone(),
            tokens: self.tokens_field.clone(),
            ..Default::default()
        };
        bundle.pipeline.task = fields.apply(&bundle.pipeline.task)?;
        let (p, k, f, d) = (&bundle.pipeline, self.top_k, self.format, self.delimiter);
        match self.input.as_deref() {
            Some(path) if path != Path::new("-") => {
                let input = data::decoded(data::open(path)?, self.encoding)
                    .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
                predict::run(p, path, input, k, f, d, out)?
            }
            _ => predict::run(
                p,
                Path::new("<stdin>"),
                data::decoded(std::io::stdin().lock(), self.encoding)
                    .map_err(|e| anyhow::anyhow!("cannot read <stdin>: {e}"))?,
                k,
                f,
                d,
                out,
            )?,
        };
        Ok(())
    }
}

impl EvalArgs {
    pub(crate) fn run(&self, out: &mut dyn Write) -> Result<()> {
        let own: Vec<task::TaskSpec> = self
            .task_file
            .iter()
            .map(|p| task::TaskFile::load(p, &crate::recipe::all_keys())?.spec())
            .collect::<crate::Result<_>>()?;
        let report = eval::score_dir_with(&self.dir, self.gold.as_deref(), &own)?;
        let boot = self
            .bootstrap
            .map(|n| bootstrap::bootstrap(&report.tasks, n as usize, self.seed));
        let positive = self.positive_figures(&report)?;
        let figures = paired::task_label_figures(
            &report.tasks,
            self.positive_label.as_deref(),
            (self.bootstrap.map(|n| n as usize), self.seed),
        );
        let confusions = confusions(&report.tasks, self.confusion)?;
        let labels: Vec<(String, per_label::PerLabel)> = if self.per_label {
            report
                .tasks
                .iter()
                .filter_map(|t| per_label::per_label(t).map(|p| (t.task.name.clone(), p)))
                .collect()
        } else {
            Vec::new()
        };
        match self.format {
            Format::Json => {
                let mut j = match &boot {
                    Some(b) => bootstrap::json_with_intervals(&report, b),
                    None => report.to_json(),
                };
                for (name, p) in &labels {
                    if let Some(t) = j["tasks"].get_mut(name).and_then(|t| t.as_object_mut()) {
                        t.insert("per_label".into(), p.to_json());
                    }
                }
                for (name, label, s) in &positive {
                    if let Some(t) = j["tasks"].get_mut(name).and_then(|t| t.as_object_mut()) {
                        t.insert(
                            "positive".into(),
                            serde_json::json!({"label": label, "precision": s.precision,
                                "recall": s.recall, "f1": s.f1, "support": s.support}),
                        );
                    }
                }
                for (name, f) in &figures {
                    if let Some(t) = j["tasks"].get_mut(name).and_then(|t| t.as_object_mut()) {
                        paired::insert_figures(t, f);
                    }
                }
                for (name, c) in &confusions {
                    if let Some(t) = j["tasks"].get_mut(name).and_then(|t| t.as_object_mut()) {
                        t.insert("confusion".into(), c.to_json());
                    }
                }
                writeln!(out, "{}", serde_json::to_string_pretty(&j)?)?
            }
            Format::Table => {
                let label = (self.label.clone()).unwrap_or_else(|| self.dir.display().to_string());
                let table = match &boot {
                    Some(b) => bootstrap::render_table_with_intervals(&label, &report, b),
                    None => table::render_table(&label, &report),
                };
                write!(out, "{table}")?;
                for (name, f) in &figures {
                    write!(out, "{}", render_figures(name, f, &positive))?;
                }
                for (name, c) in &confusions {
                    write!(out, "{}", c.render_table(name))?;
                }
                for (name, p) in &labels {
                    write!(out, "{}", p.render_table(name))?;
                }
            }
        }
        Ok(())
    }
}

impl EvalArgs {
    /// `--positive-label`'s figures for each classification task whose labels include it; an
    /// error when no task has it.
    pub(crate) fn positive_figures(
        &self,
        report: &eval::Report,
    ) -> Result<Vec<(String, String, per_label::LabelStats)>> {
        let Some(label) = &self.positive_label else {
            return Ok(Vec::new());
        };
        let found: Vec<_> = report
            .tasks
            .iter()
            .filter(|t| t.task.kind() != task::TaskKind::Tokens)
            .filter_map(|t| {
                let p = per_label::per_label(t)?;
                let s = p.labels.iter().find(|(l, _)| l == label)?.1;
                Some((t.task.name.clone(), label.clone(), s))
            })
            .collect();
        if found.is_empty() {
            bail!("--positive-label {label:?}: no scored task has that label");
        }
        Ok(found)
    }
}

impl CompareArgs {
    pub(crate) fn run(&self, out: &mut dyn Write) -> Result<()> {
        let (a, b) = (&self.dir_a, &self.dir_b);
        let own: Vec<task::TaskSpec> = self
            .task_file
            .iter()
            .map(|p| task::TaskFile::load(p, &crate::recipe::all_keys())?.spec())
            .collect::<crate::Result<_>>()?;
        let positive = self.positive_label.as_deref();
        let c =
            bootstrap::compare_with(a, b, (&own, positive), self.bootstrap as usize, self.seed)?;
        if let Some(label) = positive {
            if c.tasks
                .iter()
                .all(|t| t.figures.iter().all(|f| f.0 == paired::Figure::MacroF1))
            {
                bail!("--positive-label {label:?}: no compared classification task has that label");
            }
        }
        match self.format {
            Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&c.to_json(a, b))?)?,
            Format::Table => write!(out, "{}", c.render_table(a, b))?,
        }
        Ok(())
    }
}

impl ReportArgs {
    pub(crate) fn run(&self, _out: &mut dyn Write, err: &mut dyn Write) -> Result<()> {
        let req = report::ChartRequest {
            dirs: self.dirs.clone(),
            out: self.out.clone(),
            paper: report::parse_paper_list(&self.paper),
            replicates: self.bootstrap as usize,
            seed: self.seed,
            labels: self.label.clone(),
            style: report::ChartStyle {
                title: self.title.clone(),
                x_title: self.x_title.clone(),
                y_title: self.y_title.clone(),
                width: self.width,
                height: self.height,
                dpi: self.dpi,
                values: !self.no_values,
            },
            metric: self.metric.clone(),
            confusion: self.confusion,
            own: self
                .task_file
                .iter()
                .map(|p| task::TaskFile::load(p, &crate::recipe::all_keys())?.spec())
                .collect::<crate::Result<_>>()?,
        };
        let (_, series) = report::run(&req, err)?;
        writeln!(err, "wrote {} ({} series)", req.out.display(), series.len())?;
        Ok(())
    }
}

/// The table form of a task's label figures: one line each for macro-F1 and the positive
/// label, intervals in brackets.
pub(crate) fn render_figures(
    name: &str,
    f: &[paired::FigureValue],
    positive: &[(String, String, per_label::LabelStats)],
) -> String {
    let cell = |v: f64, ci: &Option<bootstrap::Interval>| match ci {
        Some(c) => format!("{v:.2} [{:.2}, {:.2}]", c.lo, c.hi),
        None => format!("{v:.2}"),
    };
    let mut s = String::new();
    let find = |fig: paired::Figure| f.iter().find(|x| x.0 == fig);
    if let Some((_, v, ci)) = find(paired::Figure::MacroF1) {
        s.push_str(&format!("\n{name}: macro-F1 {}\n", cell(*v, ci)));
    }
    if let (Some(p), Some(r), Some(f1)) = (
        find(paired::Figure::Precision),
        find(paired::Figure::Recall),
        find(paired::Figure::F1),
    ) {
        let (label, support) = positive
            .iter()
            .find(|x| x.0 == name)
            .map_or((String::new(), 0), |x| (x.1.clone(), x.2.support));
        s.push_str(&format!(
            "\n{name}, positive label {label}: precision {}, recall {}, f1 {} (support {support})\n",
            cell(p.1, &p.2),
            cell(r.1, &r.2),
            cell(f1.1, &f1.2)
        ));
    }
    s
}

/// Each classification task's confusion matrix when `asked`; an error when none has one.
pub(crate) fn confusions(
    tasks: &[eval::TaskScore],
    asked: bool,
) -> Result<Vec<(String, confusion::Confusion)>> {
    if !asked {
        return Ok(Vec::new());
    }
    let found: Vec<_> = tasks
        .iter()
        .filter_map(|t| confusion::Confusion::of(t).map(|c| (t.task.name.clone(), c)))
        .collect();
    if found.is_empty() {
        bail!("--confusion: no single-label classification task was scored (tagging and multi-label tasks have no confusion matrix; see --per-label)");
    }
    Ok(found)
}
