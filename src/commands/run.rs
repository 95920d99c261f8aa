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
use crate::scoring::eval;
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
                predict::run(p, path, data::open(path)?, k, f, d, out)?
            }
            _ => predict::run(
                p,
                Path::new("<stdin>"),
                std::io::stdin().lock(),
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
            .map(|p| task::TaskFile::load(p)?.spec())
            .collect::<crate::Result<_>>()?;
        let report = eval::score_dir_with(&self.dir, self.gold.as_deref(), &own)?;
        let boot = self
            .bootstrap
            .map(|n| bootstrap::bootstrap(&report.tasks, n as usize, self.seed));
        let positive = self.positive_figures(&report)?;
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
                writeln!(out, "{}", serde_json::to_string_pretty(&j)?)?
            }
            Format::Table => {
                let label = (self.label.clone()).unwrap_or_else(|| self.dir.display().to_string());
                let table = match &boot {
                    Some(b) => bootstrap::render_table_with_intervals(&label, &report, b),
                    None => table::render_table(&label, &report),
                };
                write!(out, "{table}")?;
                for (name, label, s) in &positive {
                    writeln!(
                        out,
                        "\n{name}, positive label {label}: precision {:.2}, recall {:.2}, f1 {:.2} (support {})",
                        s.precision, s.recall, s.f1, s.support
                    )?;
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
            .map(|p| task::TaskFile::load(p)?.spec())
            .collect::<crate::Result<_>>()?;
        let c = bootstrap::compare_with(a, b, &own, self.bootstrap as usize, self.seed)?;
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
            title: self.title.clone(),
            own: self
                .task_file
                .iter()
                .map(|p| task::TaskFile::load(p)?.spec())
                .collect::<crate::Result<_>>()?,
        };
        let (_, series) = report::run(&req, err)?;
        writeln!(err, "wrote {} ({} series)", req.out.display(), series.len())?;
        Ok(())
    }
}
