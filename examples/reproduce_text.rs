//! Fits the char n-gram tf-idf + one-vs-rest logistic regression baseline on
//! RuMedTop3, RuMedSymptomRec and RuMedDaNet and prints test accuracy and
//! Hit@3 with timings.
//!
//! Usage: `RUMEDBENCH_DATA=/path/to/data cargo run --release --example reproduce_text`
//! (the directory holding `RuMedTop3/`, ...). Optional `RUMEDBENCH_TOL` and
//! `RUMEDBENCH_TASKS` (comma-separated task names).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context, Result};
use rumedbench::features::tfidf::TfidfParams;
use rumedbench::models::logreg::LogRegParams;

fn read(path: &Path, task: &str) -> Result<(Vec<String>, Vec<String>)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut docs = Vec::new();
    let mut labels = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let s = |k: &str| {
            v[k].as_str()
                .map(str::to_owned)
                .with_context(|| format!("missing {k}"))
        };
        if task == "RuMedDaNet" {
            docs.push(format!("{} {}", s("context")?, s("question")?));
            labels.push(s("answer")?);
        } else {
            docs.push(s("symptoms")?);
            labels.push(s("code")?);
        }
    }
    Ok((docs, labels))
}

fn main() -> Result<()> {
    let root = std::env::var("RUMEDBENCH_DATA").context("set RUMEDBENCH_DATA")?;
    let tol: f64 = std::env::var("RUMEDBENCH_TOL")
        .ok()
        .map(|t| t.parse())
        .transpose()?
        .unwrap_or(LogRegParams::default().tol);
    let tasks = std::env::var("RUMEDBENCH_TASKS")
        .unwrap_or_else(|_| "RuMedTop3,RuMedSymptomRec,RuMedDaNet".into());
    for task in tasks.split(',') {
        let dir = Path::new(&root).join(task);
        let (train_x, train_y) = read(&dir.join("train_v1.jsonl"), task)?;
        let (test_x, test_y) = read(&dir.join("test_v1.jsonl"), task)?;
        let classes: Vec<String> = train_y
            .iter()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let y: Vec<usize> = train_y
            .iter()
            .map(|l| classes.binary_search(l).unwrap())
            .collect();

        let t0 = Instant::now();
        let train_refs: Vec<&str> = train_x.iter().map(String::as_str).collect();
        let (vec, x) = TfidfParams::default().fit(&train_refs)?;
        let t_vec = t0.elapsed();
        let params = LogRegParams {
            tol,
            ..Default::default()
        };
        let model = params.fit(&x, &y, classes.len())?;
        let t_fit = t0.elapsed();
        let test_refs: Vec<&str> = test_x.iter().map(String::as_str).collect();
        let xt = vec.transform(&test_refs);
        let scores = model.decision_function(&xt);
        let t_all = t0.elapsed();

        let k = classes.len();
        let (mut acc, mut hit3) = (0usize, 0usize);
        for (row, gold) in scores.chunks(k).zip(&test_y) {
            let mut order: Vec<usize> = (0..k).collect();
            order.sort_by(|&a, &b| row[b].total_cmp(&row[a]).then(a.cmp(&b)));
            if classes[order[0]] == *gold {
                acc += 1;
            }
            if order.iter().take(3).any(|&c| classes[c] == *gold) {
                hit3 += 1;
            }
        }
        let n = test_y.len() as f64;
        let r = model.report();
        let max_it = r.iterations.iter().max().unwrap();
        let max_g = r.relative_grad_norm.iter().cloned().fold(0.0, f64::max);
        println!(
            "{task}: features {} nnz {} classes {k} | acc {:.2} hit@3 {:.2} | vectorize {:.2}s fit+vec {:.2}s total {:.2}s | max epochs {max_it} converged {} max rel grad {max_g:.2e}",
            x.n_cols(),
            x.nnz(),
            100.0 * acc as f64 / n,
            100.0 * hit3 as f64 / n,
            t_vec.as_secs_f64(),
            t_fit.as_secs_f64(),
            t_all.as_secs_f64(),
            r.all_converged(),
        );
    }
    Ok(())
}
