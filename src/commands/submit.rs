//! MedBench leaderboard submissions: one zip holding `RuMedDaNet.jsonl`, `RuMedNLI.jsonl` and
//! `RuMedTest.jsonl`, one answer per record of each task's private test, in the format of
//! upstream's own TF-IDF submission (`{"pairID": ..., "answer": "да"}` etc., written as Python's
//! `json.dump(..., ensure_ascii=False)` does).
//!
//! A submission is validated before it is written (every private-test id answered exactly once,
//! no foreign ids, answers from the task's label set), and the zip is deterministic: fixed entry
//! order, timestamps and permissions, so the same inputs give the same bytes.

use std::collections::{BTreeMap, HashMap};
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde_json::{Map, Value};

use crate::data::{self, Labels, RecordReader, SplitName};
use crate::features::sparse::CsrMatrix;
use crate::features::tfidf::TfidfParams;
use crate::pipeline::{self, FitSettings, ModelKind, Prediction};
use crate::task::{self, TaskSpec};

/// One file of a submission: which task it answers and what a valid line looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// Task (and data folder) name.
    pub task: String,
    /// File name inside the zip.
    pub file: String,
    /// Field holding the record id.
    pub id_field: String,
    /// Field holding the answer.
    pub answer_field: String,
    /// The answers the leaderboard accepts.
    pub allowed: &'static [&'static str],
}

impl Part {
    /// The part answering a registry task (one with [`task::Builtin::leaderboard`] answers):
    /// its id and label fields are the task's own.
    fn of_task(spec: &TaskSpec, allowed: &'static [&'static str]) -> Self {
        Part {
            task: spec.name.clone(),
            file: format!("{}.jsonl", spec.name),
            id_field: spec.id_field.clone(),
            answer_field: spec.label_field.clone(),
            allowed,
        }
    }

    /// RuMedTest, the leaderboard's multiple-choice test: not a task of the registry (it has
    /// no train split and is answered by a rule), so its fields are declared here.
    pub fn rumedtest() -> Self {
        Part {
            task: "RuMedTest".into(),
            file: "RuMedTest.jsonl".into(),
            id_field: "idx".into(),
            answer_field: "answer".into(),
            allowed: &["1", "2", "3", "4"],
        }
    }

    fn is_rumedtest(&self) -> bool {
        *self == Part::rumedtest()
    }
}

/// The files of a submission, in the order they are written to the zip: the registry's
/// leaderboard tasks, then RuMedTest.
pub fn parts() -> Vec<Part> {
    let mut v: Vec<Part> = task::registry()
        .iter()
        .filter_map(|b| b.leaderboard.map(|allowed| Part::of_task(&b.spec, allowed)))
        .collect();
    v.push(Part::rumedtest());
    v
}

/// One line of a submission file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The record id, written back exactly as the private test has it.
    pub id: Value,
    /// The answer.
    pub answer: String,
}

/// The answers of one part, in private-test order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartAnswers {
    /// Which file this is.
    pub part: Part,
    /// One answer per line.
    pub answers: Vec<Answer>,
}

impl PartAnswers {
    /// The file's bytes: one Python-style JSON object per line, id first, then the answer.
    pub fn to_jsonl(&self) -> Result<Vec<u8>> {
        let mut buf = Vec::new();
        for a in &self.answers {
            let mut m = Map::new();
            m.insert(self.part.id_field.clone(), a.id.clone());
            m.insert(
                self.part.answer_field.clone(),
                Value::String(a.answer.clone()),
            );
            crate::output::write_json_line(&mut buf, &Value::Object(m))?;
        }
        Ok(buf)
    }
}

/// Checks one submission file against the private test's ids: every id answered exactly once,
/// no other ids, every answer in `part.allowed`. Errors are one line and name the file, the
/// line (1-based, as in the written file) and the id.
pub fn validate(part: &Part, answers: &[Answer], expected_ids: &[String]) -> Result<()> {
    let expected: HashMap<&str, ()> = expected_ids.iter().map(|s| (s.as_str(), ())).collect();
    let mut seen: HashMap<String, usize> = HashMap::with_capacity(answers.len());
    for (i, a) in answers.iter().enumerate() {
        let line = i + 1;
        let key = data::id_key(&a.id);
        if !expected.contains_key(key.as_str()) {
            bail!(
                "{}:{line}: {} `{key}` is not in {}'s private test",
                part.file,
                part.id_field,
                part.task
            );
        }
        if let Some(first) = seen.insert(key.clone(), line) {
            bail!(
                "{}:{line}: {} `{key}` is answered twice (first on line {first})",
                part.file,
                part.id_field
            );
        }
        if !part.allowed.contains(&a.answer.as_str()) {
            bail!(
                "{}:{line}: {} {:?} for {} `{key}` is not one of {}",
                part.file,
                part.answer_field,
                a.answer,
                part.id_field,
                part.allowed.join(", ")
            );
        }
    }
    let missing: Vec<&String> = expected_ids
        .iter()
        .filter(|id| !seen.contains_key(id.as_str()))
        .collect();
    if let Some(first) = missing.first() {
        bail!(
            "{}: {} of the {} private-test {}s have no answer (first: `{first}`)",
            part.file,
            missing.len(),
            expected_ids.len(),
            part.id_field
        );
    }
    Ok(())
}

/// One RuMedTest question: the question and its four options.
#[derive(Debug, Clone, PartialEq)]
pub struct TestQuestion {
    /// `idx`, as the file has it.
    pub id: Value,
    /// The question text.
    pub question: String,
    /// Options `1`..`4`.
    pub options: [String; 4],
}

/// Loads RuMedTest's private test (`idx`, `question`, `1`..`4`). RuMedTest has no training
/// data and no place in the task registry, so it gets this loader of its own.
pub fn load_rumedtest(path: &Path) -> Result<Vec<TestQuestion>> {
    let mut out = Vec::new();
    for item in data::jsonl_objects(path, data::open(path)?) {
        let (line, obj) = item?;
        let rec = RecordReader::new(path, line, &obj);
        out.push(TestQuestion {
            id: rec.id(&Part::rumedtest().id_field)?,
            question: rec.string("question")?,
            options: [
                rec.string("1")?,
                rec.string("2")?,
                rec.string("3")?,
                rec.string("4")?,
            ],
        });
    }
    if out.is_empty() {
        bail!("{}: the split has no records", path.display());
    }
    Ok(out)
}

fn sparse_dot(a: (&[u32], &[f32]), b: (&[u32], &[f32])) -> f64 {
    let (mut i, mut j, mut s) = (0, 0, 0.0f64);
    while i < a.0.len() && j < b.0.len() {
        match a.0[i].cmp(&b.0[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                s += a.1[i] as f64 * b.1[j] as f64;
                i += 1;
                j += 1;
            }
        }
    }
    s
}

/// Upstream's TF-IDF RuMedTest solver (`lb_submissions/SAI/TF-IDF/test_solver.py`): a char
/// 3–8-gram tf-idf fitted on the questions alone, the options only transformed with it; each
/// question takes the option whose vector is most cosine-similar to its own, ties going to
/// the lowest option number (numpy's `argmax`). Returns `"1"`..`"4"` per question.
pub fn answer_by_similarity(questions: &[TestQuestion]) -> Result<Vec<String>> {
    let docs: Vec<&str> = questions.iter().map(|q| q.question.as_str()).collect();
    let (tfidf, xq) = TfidfParams::default()
        .fit(&docs)
        .context("RuMedTest: cannot fit the tf-idf on the questions")?;
    let options: Vec<CsrMatrix> = (0..4)
        .map(|j| {
            let docs: Vec<&str> = questions.iter().map(|q| q.options[j].as_str()).collect();
            tfidf.transform(&docs)
        })
        .collect();
    Ok((0..questions.len())
        .map(|i| {
            // Rows are unit length or empty, so the dot product is the cosine (0 for an
            // option sharing no n-gram with the vocabulary, as sklearn gives).
            let mut best = (0, f64::NEG_INFINITY);
            for (j, x) in options.iter().enumerate() {
                let s = sparse_dot(xq.row(i), x.row(i));
                if s > best.1 {
                    best = (j, s);
                }
            }
            (best.0 + 1).to_string()
        })
        .collect())
}

/// What `submit` should build.
#[derive(Debug, Clone)]
pub struct SubmitRequest {
    /// The model answering DaNet and NLI (and choosing the RuMedTest solver).
    pub kind: ModelKind,
    /// The zip to write.
    pub out: PathBuf,
    /// Folder holding `<Task>/{train,dev,private_test}_v1.jsonl`.
    pub data_dir: PathBuf,
    /// Train NLI on this file instead of its train split.
    pub nli_train: Option<PathBuf>,
    /// A folder of `RuMed*.jsonl` submission files to measure agreement with.
    pub compare_with: Option<PathBuf>,
    /// Model hyperparameters.
    pub settings: FitSettings,
}

/// The default zip path for a model: `out/submission-<model>.zip`.
pub fn default_out(kind: ModelKind) -> PathBuf {
    PathBuf::from("out").join(format!("submission-{}.zip", kind.name()))
}

/// The train file of a classification task: `override_path`, else its train split, else
/// (when the train split is not redistributable) its dev split, saying so in `log`.
fn train_path(
    spec: &TaskSpec,
    data_dir: &Path,
    override_path: Option<&Path>,
    log: &mut dyn Write,
) -> Result<PathBuf> {
    if let Some(p) = override_path {
        return Ok(p.to_path_buf());
    }
    match data::split_path(data_dir, spec, SplitName::Train) {
        Ok(p) => Ok(p),
        Err(e) if spec.train_notice.is_some() => {
            let dev = data::split_path(data_dir, spec, SplitName::Dev)?;
            writeln!(
                log,
                "note: {e}\nnote: {} is trained on its dev split ({}) instead (--nli-train \
                 FILE trains on another file), so its leaderboard answers come from a smaller \
                 training set than upstream's.",
                spec.name,
                dev.display()
            )?;
            Ok(dev)
        }
        Err(e) => Err(e.into()),
    }
}

/// Trains `kind` on a classification task and answers its private test with the top label.
fn answer_task(
    part: Part,
    kind: ModelKind,
    settings: &FitSettings,
    data_dir: &Path,
    train_override: Option<&Path>,
    log: &mut dyn Write,
) -> Result<(PartAnswers, Vec<String>)> {
    let spec = task::find(&part.task)?;
    let train_file = train_path(&spec, data_dir, train_override, log)?;
    let train = data::load_split(&spec, &train_file, Labels::Required)?;
    let test_file = data::split_path(data_dir, &spec, SplitName::PrivateTest)?;
    let test = data::load_split(&spec, &test_file, Labels::Absent)?;
    let pipe = pipeline::fit(&spec, kind, settings, &train)?;
    let preds = pipe.predict(&test.examples, 1)?;
    let mut answers = Vec::with_capacity(preds.len());
    for (e, p) in test.examples.iter().zip(preds) {
        let label = match p {
            Prediction::Ranked(r) => r.into_iter().next().map(|x| x.0),
            Prediction::Tags(_) | Prediction::Set { .. } => None,
        };
        let Some(answer) = label else {
            bail!("{}: the model gave no label for line {}", part.task, e.line);
        };
        answers.push(Answer {
            id: e.id.clone(),
            answer,
        });
    }
    writeln!(
        log,
        "{}: {} model trained on {} ({} records); {} answers",
        part.task,
        kind.name(),
        train_file.display(),
        train.examples.len(),
        answers.len()
    )?;
    let ids = test.examples.iter().map(|e| e.id_key()).collect();
    Ok((PartAnswers { part, answers }, ids))
}

fn answer_rumedtest(
    kind: ModelKind,
    data_dir: &Path,
    log: &mut dyn Write,
) -> Result<(PartAnswers, Vec<String>)> {
    let path = rumedtest_path(data_dir)?;
    let questions = load_rumedtest(&path)?;
    let (answers, how) = match kind {
        // The naive baseline has no label statistics to draw on here: upstream's naive
        // answer is the first option.
        ModelKind::Naive => (
            vec!["1".to_string(); questions.len()],
            "option 1 everywhere",
        ),
        ModelKind::Feature | ModelKind::Plus => (
            answer_by_similarity(&questions)?,
            "most tf-idf-similar option (char 3-8-grams fitted on the questions)",
        ),
    };
    writeln!(log, "RuMedTest: {how}; {} answers", questions.len())?;
    let ids = questions.iter().map(|q| data::id_key(&q.id)).collect();
    let answers = questions
        .into_iter()
        .zip(answers)
        .map(|(q, answer)| Answer { id: q.id, answer })
        .collect();
    Ok((
        PartAnswers {
            part: Part::rumedtest(),
            answers,
        },
        ids,
    ))
}

fn rumedtest_path(data_dir: &Path) -> Result<PathBuf> {
    let path = data_dir
        .join(Part::rumedtest().task)
        .join(SplitName::PrivateTest.file_name());
    if !path.is_file() {
        bail!(
            "RuMedTest private test not found: looked at {}. Fetch the data with `{}`, or point \
             --data-dir / $RUMEDBENCH_DATA at a folder holding RuMedTest/{}",
            path.display(),
            data::FETCH_HINT,
            SplitName::PrivateTest.file_name()
        );
    }
    Ok(path)
}

/// The private-test ids of every part, in [`parts`] order.
pub fn private_test_ids(data_dir: &Path) -> Result<Vec<Vec<String>>> {
    let mut out = Vec::new();
    for part in parts() {
        let ids = if part.is_rumedtest() {
            load_rumedtest(&rumedtest_path(data_dir)?)?
                .iter()
                .map(|q| data::id_key(&q.id))
                .collect()
        } else {
            let spec = task::find(&part.task)?;
            let path = data::split_path(data_dir, &spec, SplitName::PrivateTest)?;
            data::load_split(&spec, &path, Labels::Absent)?
                .examples
                .iter()
                .map(|e| e.id_key())
                .collect()
        };
        out.push(ids);
    }
    Ok(out)
}

/// The zip's bytes: the parts in order, deflated, each entry dated 1980-01-01 00:00 with mode
/// 0644, so identical answers give identical bytes on any machine and at any time.
pub fn zip_bytes(parts: &[PartAnswers]) -> Result<Vec<u8>> {
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip::DateTime::default())
        .system(zip::System::Unix)
        .unix_permissions(0o644);
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for p in parts {
        w.start_file(p.part.file.as_str(), options)
            .with_context(|| format!("cannot add {} to the zip", p.part.file))?;
        w.write_all(&p.to_jsonl()?)?;
    }
    Ok(w.finish().context("cannot finish the zip")?.into_inner())
}

/// Agreement of `ours` with the same-named file in `dir`, matched by id: (equal answers,
/// our answers). Ids the other file lacks count as disagreements.
pub fn agreement(ours: &PartAnswers, dir: &Path) -> Result<(usize, usize)> {
    let path = dir.join(&ours.part.file);
    let theirs = read_part(
        &path,
        &ours.part,
        data::read_capped(&path, MEMBER_CAP, "a submission file")
            .with_context(|| format!("cannot read {}", path.display()))?,
    )?;
    let map: HashMap<String, String> = theirs
        .answers
        .into_iter()
        .map(|a| (data::id_key(&a.id), a.answer))
        .collect();
    let same = ours
        .answers
        .iter()
        .filter(|a| map.get(&data::id_key(&a.id)) == Some(&a.answer))
        .count();
    Ok((same, ours.answers.len()))
}

/// Parses a submission file's lines into answers; `origin` names it in errors.
fn read_part(origin: &Path, part: &Part, bytes: Vec<u8>) -> Result<PartAnswers> {
    let mut answers = Vec::new();
    for item in data::jsonl_objects(origin, Cursor::new(bytes)) {
        let (line, obj) = item?;
        let rec = RecordReader::new(origin, line, &obj);
        answers.push(Answer {
            id: rec.id(&part.id_field)?,
            answer: rec.string(&part.answer_field)?,
        });
    }
    Ok(PartAnswers {
        part: part.clone(),
        answers,
    })
}

/// Builds, validates and writes a submission, reporting progress and notes to `log` and (with
/// `compare_with`) agreement and the file written to `out`. Nothing is written when validation
/// fails.
pub fn run(
    req: &SubmitRequest,
    out: &mut dyn Write,
    log: &mut dyn Write,
) -> Result<Vec<PartAnswers>> {
    // The zip's folder is checked before any training: a submission that cannot be written
    // fails at once, not after every model is trained.
    if req.out.is_dir() {
        anyhow::bail!(
            "--out {} is a folder; give the zip's path",
            req.out.display()
        );
    }
    let folder = match req.out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => std::path::Path::new("."),
    };
    crate::commands::output_set::check_output_dir(folder, "submission folder")?;
    let mut parts = Vec::new();
    let mut all_ids = Vec::new();
    for part in self::parts() {
        let (answers, ids) = if part.is_rumedtest() {
            answer_rumedtest(req.kind, &req.data_dir, log)?
        } else {
            // --nli-train replaces the train split that is not redistributable.
            let spec = task::find(&part.task)?;
            let train_override = req
                .nli_train
                .as_deref()
                .filter(|_| spec.train_notice.is_some());
            answer_task(
                part,
                req.kind,
                &req.settings,
                &req.data_dir,
                train_override,
                log,
            )?
        };
        parts.push(answers);
        all_ids.push(ids);
    }
    for (p, ids) in parts.iter().zip(all_ids) {
        validate(&p.part, &p.answers, &ids).with_context(|| {
            format!(
                "refusing to write {}: the leaderboard would reject it",
                req.out.display()
            )
        })?;
    }
    writeln!(
        log,
        "checked: every private-test id answered once, every answer allowed"
    )?;
    if let Some(dir) = &req.compare_with {
        for p in &parts {
            // A comparison is a diagnostic: a missing or unreadable file must not cost the
            // submission.
            match agreement(p, dir) {
                Ok((same, n)) => writeln!(
                    out,
                    "agreement with {}: {} {same}/{n} = {:.2}%",
                    dir.join(&p.part.file).display(),
                    p.part.task,
                    100.0 * same as f64 / n.max(1) as f64
                )?,
                Err(e) => writeln!(log, "note: cannot compare {}: {e:#}", p.part.task)?,
            }
        }
    }
    let bytes = zip_bytes(&parts)?;
    super::output_set::write_atomic(&req.out, |w| Ok(w.write_all(&bytes)?))?;
    writeln!(
        out,
        "wrote {} ({} bytes: {})",
        req.out.display(),
        bytes.len(),
        parts
            .iter()
            .map(|p| p.part.file.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    Ok(parts)
}

/// The most a submission member may inflate to, and the most a submission zip may hold (the
/// real ones are well under 1 MiB).
pub const MEMBER_CAP: u64 = data::MAX_FILE_BYTES;

/// Validates an existing submission zip against the private tests under `data_dir`: the three
/// files at its top level, once each, each passing [`validate`]. Returns the number of answers
/// per file.
pub fn check_zip(zip_path: &Path, data_dir: &Path) -> Result<BTreeMap<String, usize>> {
    let bytes = data::read_capped(zip_path, MEMBER_CAP, "a submission zip")?;
    let mut archive = zip::ZipArchive::new(Cursor::new(&bytes[..]))
        .with_context(|| format!("{} is not a readable zip", zip_path.display()))?;
    // A name given twice would be validated once (the zip reader keeps the last copy), while
    // the leaderboard may read the other: refused, naming the member.
    if archive.has_duplicate_names() {
        let name = duplicate_member(&bytes, archive.central_directory_start())
            .map_or_else(|| "a member".to_string(), |n| format!("{n:?}"));
        bail!(
            "{}: {name} appears more than once in the zip (a submission holds each file once)",
            zip_path.display()
        );
    }
    // The leaderboard takes exactly its files at the top level: anything else (another file, a
    // folder, `../x.jsonl`) is refused before a byte of it is read.
    let expected: Vec<String> = parts().into_iter().map(|p| p.file).collect();
    for raw in archive.file_names_raw() {
        let name = String::from_utf8_lossy(raw);
        if !expected.iter().any(|e| *e == name) {
            bail!(
                "{}: unexpected member {name:?} (a submission holds only {})",
                zip_path.display(),
                expected.join(", ")
            );
        }
    }
    let ids = private_test_ids(data_dir)?;
    let mut counts = BTreeMap::new();
    for (part, ids) in parts().iter().zip(ids) {
        let mut content = Vec::new();
        match archive.by_name(&part.file) {
            // At most MEMBER_CAP bytes are inflated, whatever the member's header claims.
            Ok(f) => {
                f.take(MEMBER_CAP + 1)
                    .read_to_end(&mut content)
                    .with_context(|| {
                        format!("{}: cannot read {}", zip_path.display(), part.file)
                    })?;
                if content.len() as u64 > MEMBER_CAP {
                    bail!(
                        "{}: {} inflates to more than {} MiB; a submission file is far smaller",
                        zip_path.display(),
                        part.file,
                        MEMBER_CAP >> 20
                    );
                }
                content.len()
            }
            Err(zip::result::ZipError::FileNotFound) => bail!(
                "{}: no {} at the top level of the zip",
                zip_path.display(),
                part.file
            ),
            Err(e) => bail!("{}: cannot open {}: {e}", zip_path.display(), part.file),
        };
        let origin = zip_path.join(&part.file);
        let answers = read_part(&origin, part, content)?;
        validate(part, &answers.answers, &ids)
            .with_context(|| format!("{} would be rejected", zip_path.display()))?;
        counts.insert(part.file.clone(), answers.answers.len());
    }
    Ok(counts)
}

/// The first member name that the central directory starting at `start` lists twice (raw
/// bytes, as the zip reader keys them), when it can be walked.
fn duplicate_member(bytes: &[u8], start: u64) -> Option<String> {
    let mut seen = std::collections::HashSet::new();
    let mut at = usize::try_from(start).ok()?;
    let u16_at = |i: usize| -> Option<usize> {
        let b = bytes.get(i..i + 2)?;
        Some(usize::from(u16::from_le_bytes([b[0], b[1]])))
    };
    // Each central directory header: signature PK\1\2, 46 fixed bytes, then the name, the
    // extra field and the comment, whose lengths are at offsets 28, 30 and 32.
    while bytes.get(at..at + 4)? == b"PK\x01\x02" {
        let (name_len, extra_len, comment_len) =
            (u16_at(at + 28)?, u16_at(at + 30)?, u16_at(at + 32)?);
        let name = bytes.get(at + 46..at + 46 + name_len)?;
        if !seen.insert(name) {
            return Some(String::from_utf8_lossy(name).into_owned());
        }
        at += 46 + name_len + extra_len + comment_len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ans(id: &str, a: &str) -> Answer {
        Answer {
            id: Value::String(id.into()),
            answer: a.into(),
        }
    }

    fn part(task: &str) -> Part {
        parts().into_iter().find(|p| p.task == task).unwrap()
    }

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_complete_submission_passes() {
        let a = [ans("b", "да"), ans("a", "нет")];
        validate(&part("RuMedDaNet"), &a, &ids(&["a", "b"])).unwrap();
    }

    #[test]
    fn each_kind_of_invalid_file_gets_a_clear_one_line_error() {
        let expected = ids(&["p1", "p2", "p3"]);
        let cases: [(Vec<Answer>, &str); 4] = [
            (
                vec![ans("p1", "neutral"), ans("p2", "neutral")],
                "RuMedNLI.jsonl: 1 of the 3 private-test pairIDs have no answer (first: `p3`)",
            ),
            (
                vec![
                    ans("p1", "neutral"),
                    ans("p2", "neutral"),
                    ans("p1", "entailment"),
                ],
                "RuMedNLI.jsonl:3: pairID `p1` is answered twice (first on line 1)",
            ),
            (
                vec![ans("p1", "neutral"), ans("zz", "neutral")],
                "RuMedNLI.jsonl:2: pairID `zz` is not in RuMedNLI's private test",
            ),
            (
                vec![ans("p1", "neutral"), ans("p2", "maybe")],
                "RuMedNLI.jsonl:2: gold_label \"maybe\" for pairID `p2` is not one of \
                 entailment, contradiction, neutral",
            ),
        ];
        for (answers, want) in cases {
            let err = validate(&part("RuMedNLI"), &answers, &expected)
                .unwrap_err()
                .to_string();
            assert_eq!(err, want);
            assert!(!err.contains('\n'));
        }
    }

    #[test]
    fn rumedtest_answers_are_option_numbers() {
        let err = validate(&Part::rumedtest(), &[ans("q", "0")], &ids(&["q"]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("not one of 1, 2, 3, 4"), "{err}");
    }

    #[test]
    fn lines_are_python_json_dump_with_id_first() {
        let p = PartAnswers {
            part: part("RuMedNLI"),
            answers: vec![ans("x", "neutral")],
        };
        assert_eq!(
            String::from_utf8(p.to_jsonl().unwrap()).unwrap(),
            "{\"pairID\": \"x\", \"gold_label\": \"neutral\"}\n"
        );
    }

    fn q(id: &str, question: &str, options: [&str; 4]) -> TestQuestion {
        TestQuestion {
            id: Value::String(id.into()),
            question: question.into(),
            options: options.map(String::from),
        }
    }

    #[test]
    fn similarity_picks_the_closest_option_and_the_lowest_on_ties() {
        let qs = [
            q(
                "a",
                "which planet is red",
                ["blue ocean", "red planet mars", "green", "yellow sun"],
            ),
            // Nothing overlaps: every similarity is 0, so option 1 wins.
            q("b", "zzzz qqqq", ["aa", "bb", "cc", "dd"]),
            q("c", "kidney stones", ["xx", "kidney", "kidney", "yy"]),
        ];
        assert_eq!(answer_by_similarity(&qs).unwrap(), ["2", "1", "2"]);
    }

    /// The file compared with is read within the 64 MiB cap (a sparse file over it is refused
    /// before a byte is read).
    #[test]
    fn compared_files_are_capped() {
        let dir = tempfile::tempdir().unwrap();
        let p = PartAnswers {
            part: part("RuMedDaNet"),
            answers: vec![ans("a", "да")],
        };
        std::fs::File::create(dir.path().join("RuMedDaNet.jsonl"))
            .unwrap()
            .set_len(MEMBER_CAP + 1)
            .unwrap();
        let e = format!("{:#}", agreement(&p, dir.path()).unwrap_err());
        assert!(
            e.contains("RuMedDaNet.jsonl")
                && e.contains("over the 64 MiB cap for a submission file"),
            "{e}"
        );
        std::fs::write(
            dir.path().join("RuMedDaNet.jsonl"),
            "{\"pairID\": \"a\", \"answer\": \"да\"}\n",
        )
        .unwrap();
        assert_eq!(agreement(&p, dir.path()).unwrap(), (1, 1));
    }

    #[test]
    fn zips_are_byte_identical_across_runs() {
        let parts = vec![PartAnswers {
            part: part("RuMedDaNet"),
            answers: vec![ans("a", "да")],
        }];
        let a = zip_bytes(&parts).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert_eq!(a, zip_bytes(&parts).unwrap());
    }
}
