//! Reproduce the RuMedNER CRF baseline of RuMedBench.
//!
//! Usage: `cargo run --release --example reproduce_ner -- <RuMedNER dir> [out dir]`
//! (or set `RUMEDNER_DIR` / `RUMEDNER_OUT`). The data dir holds
//! `{train,dev,test}_v1.jsonl`; predictions are written to
//! `<out dir>/{dev,test}_pred.jsonl` as `{"idx", "prediction"}` lines so that
//! an external scorer (e.g. seqeval) can check entity F1, and the model to
//! `<out dir>/ner.crfsuite` (CRFsuite format, comparable with the file
//! sklearn-crfsuite writes).

use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use rumedbench::models::crf::CrfParams;

#[derive(serde::Deserialize)]
struct Example {
    idx: String,
    tokens: Vec<String>,
    ner_tags: Vec<String>,
}

fn read_split(path: &Path) -> Result<Vec<Example>> {
    let file = std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut out = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("reading {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let ex: Example = serde_json::from_str(&line)
            .with_context(|| format!("{}:{}: bad JSON line", path.display(), n + 1))?;
        out.push(ex);
    }
    Ok(out)
}

fn arg_or_env(pos: usize, var: &str) -> Option<PathBuf> {
    std::env::args_os()
        .nth(pos)
        .or_else(|| std::env::var_os(var))
        .map(PathBuf::from)
}

fn main() -> Result<()> {
    let Some(data_dir) = arg_or_env(1, "RUMEDNER_DIR") else {
        bail!("usage: reproduce_ner <RuMedNER dir> [out dir]  (or RUMEDNER_DIR, RUMEDNER_OUT)");
    };
    let out_dir =
        arg_or_env(2, "RUMEDNER_OUT").unwrap_or_else(|| std::env::temp_dir().join("rumedner_crf"));
    std::fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;

    let t_all = Instant::now();
    let train = read_split(&data_dir.join("train_v1.jsonl"))?;
    let x: Vec<Vec<String>> = train.iter().map(|e| e.tokens.clone()).collect();
    let y: Vec<Vec<String>> = train.iter().map(|e| e.ner_tags.clone()).collect();

    let t_fit = Instant::now();
    let crf = CrfParams::default().fit(&x, &y)?;
    let fit_secs = t_fit.elapsed().as_secs_f64();
    println!(
        "trained on {} sentences in {fit_secs:.2}s; labels {:?}; model {} bytes",
        train.len(),
        crf.labels(),
        crf.to_bytes().len()
    );

    let model_path = out_dir.join("ner.crfsuite");
    crf.save(&model_path)?;
    println!("model saved to {}", model_path.display());

    for split in ["dev", "test"] {
        let data = read_split(&data_dir.join(format!("{split}_v1.jsonl")))?;
        let sents: Vec<Vec<String>> = data.iter().map(|e| e.tokens.clone()).collect();
        let t_pred = Instant::now();
        let preds = crf.predict_batch(&sents)?;
        let pred_secs = t_pred.elapsed().as_secs_f64();

        let (mut correct, mut total) = (0usize, 0usize);
        for (ex, pred) in data.iter().zip(&preds) {
            total += ex.ner_tags.len();
            correct += ex.ner_tags.iter().zip(pred).filter(|(g, p)| g == p).count();
        }
        let out_path = out_dir.join(format!("{split}_pred.jsonl"));
        let mut w = BufWriter::new(
            std::fs::File::create(&out_path)
                .with_context(|| format!("creating {}", out_path.display()))?,
        );
        for (ex, pred) in data.iter().zip(&preds) {
            let line = serde_json::json!({"idx": ex.idx, "prediction": pred});
            writeln!(w, "{line}")?;
        }
        w.flush()?;
        println!(
            "{split}: {} sentences, {total} tokens, token accuracy {:.2}% (predicted in {pred_secs:.2}s) -> {}",
            data.len(),
            100.0 * correct as f64 / total.max(1) as f64,
            out_path.display()
        );
    }
    println!("total wall time {:.2}s", t_all.elapsed().as_secs_f64());
    Ok(())
}
