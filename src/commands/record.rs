//! The run record: one struct that `train` (`<Task>.run.json`) and `tune` (`<Task>.tune.json`)
//! write, so every run says the same things the same way: what ran (tool, version, commit when
//! built from git, the command line, the platform, the date), on what (the task, the digests of
//! the bytes read), with which settings (the hyperparameters, the seed once), and then what
//! each command found (`results`, flattened into the record).

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Result;
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::output_set::OutputSet;
use crate::bundle::FileDigest;
use crate::data;
use crate::scoring::eval::TaskScore;
use crate::task::TaskSpec;

/// What a run record holds.
#[derive(Debug, Clone, Serialize)]
pub struct RunRecord {
    /// Always `rumedbench`.
    pub tool: &'static str,
    /// The crate version.
    pub tool_version: &'static str,
    /// The git commit the binary was built from, when it was built in a checkout.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<&'static str>,
    /// The command that wrote the record: `train` or `tune`.
    pub command: &'static str,
    /// The full command line.
    pub command_line: Vec<String>,
    /// `os-arch`, e.g. `linux-x86_64`.
    pub platform: String,
    /// When the record was written, UTC, `YYYY-MM-DDTHH:MM:SSZ`.
    pub date: String,
    /// The task's name.
    pub task: String,
    /// The task's definition (files' fields, metrics), so its predictions can be scored later.
    pub task_spec: TaskSpec,
    /// The model kind (`feature`, `naive`, `tuned`).
    pub model: String,
    /// The hyperparameters of the model written (the seed is the record's own `seed`).
    pub hyperparameters: Value,
    /// The seed of every randomised step.
    pub seed: u64,
    /// SHA-256 of the bytes of every data file read.
    pub data_files: Vec<FileDigest>,
    /// Peak resident memory of the process, MiB, when the OS tells.
    pub peak_memory_mib: Option<f64>,
    /// What the command found: scores, timings, output paths, its search.
    #[serde(flatten)]
    pub results: Map<String, Value>,
}

impl RunRecord {
    /// A record of `command` on `spec`, stamped now; `results` are added by the caller.
    pub fn new(
        command: &'static str,
        spec: &TaskSpec,
        model: &str,
        hyperparameters: &Value,
        seed: u64,
        data_files: &[FileDigest],
    ) -> Self {
        let mut hyper = hyperparameters.clone();
        if let Some(h) = hyper.as_object_mut() {
            h.remove("seed");
        }
        RunRecord {
            tool: "rumedbench",
            tool_version: env!("CARGO_PKG_VERSION"),
            commit: option_env!("RUMEDBENCH_GIT_COMMIT"),
            command,
            command_line: std::env::args().collect(),
            platform: format!("{}-{}", std::env::consts::OS, std::env::consts::ARCH),
            date: utc_now(),
            task: spec.name.clone(),
            task_spec: spec.clone(),
            model: model.to_string(),
            hyperparameters: hyper,
            seed,
            data_files: data_files.to_vec(),
            peak_memory_mib: peak_memory_mib(),
            results: Map::new(),
        }
    }

    /// Adds one result.
    pub fn with(mut self, key: &str, value: Value) -> Self {
        self.results.insert(key.to_string(), value);
        self
    }

    /// Adds one result unless it is null (so records without it keep their form).
    pub fn with_some(self, key: &str, value: Value) -> Self {
        if value.is_null() {
            self
        } else {
            self.with(key, value)
        }
    }

    /// Stages the record as pretty JSON with a final newline in `set`.
    pub fn stage(&self, set: &mut OutputSet, path: &Path) -> Result<()> {
        set.stage(path, |w| {
            serde_json::to_writer_pretty(&mut *w, self)?;
            Ok(w.write_all(b"\n")?)
        })?;
        Ok(())
    }
}

/// The digests of the bytes read from `paths` (each split file is read once and its digest kept,
/// see [`data::sha256_file`]), in order.
pub fn digests<'a>(paths: impl IntoIterator<Item = &'a PathBuf>) -> Result<Vec<FileDigest>> {
    paths
        .into_iter()
        .map(|p| {
            Ok(FileDigest {
                path: p.display().to_string(),
                sha256: data::sha256_file(p)?,
            })
        })
        .collect()
}

/// A task's scores as a JSON object, `{"acc": 49.76, "hit3": 72.87}`.
pub fn scores_json(s: &TaskScore) -> Value {
    Value::Object(
        s.values
            .iter()
            .map(|(m, v)| (m.key().to_string(), json!(v)))
            .collect::<Map<_, _>>(),
    )
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format_utc(secs)
}

/// `secs` since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian; the civil-from-
/// days algorithm of Howard Hinnant).
fn format_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

/// Peak resident memory of this process in MiB (Linux `VmHWM`), when the OS tells.
pub fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_rfc3339() {
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_utc(1_796_000_000), "2026-11-30T00:53:20Z");
    }
}
