//! What a text model's settings will cost, estimated before any work: the peak memory of
//! vectorizing and fitting from the data size and the settings, checked against the memory
//! available (`MemAvailable` of `/proc/meminfo`) or a limit the user gives (`--max-memory`),
//! so that a setting too large for the machine is refused with its figure instead of ending
//! in a failed allocation (an abort) after minutes of work.
//!
//! The estimate is meant to be on the high side (every n-gram occurrence counted as a
//! distinct term) without refusing settings that fit: the paper's recipe on RuMedTop3 is
//! estimated at about 400 MB (211 MB measured).

use crate::error::Result;
use crate::features::analyzer::Analyzer;
use crate::features::tfidf::TfidfParams;

/// Bytes per n-gram occurrence: its id while counting (4) and its matrix entry (index and
/// value, 8), plus a vocabulary slot should it be a new term (hash entry and arena offset, 28).
const PER_OCCURRENCE: u64 = 40;
/// Bytes per hashed column: its idf (4), document frequency (4), primal slot (4) and
/// posting offset (4) (`--hash-features 28` on 40 documents peaked at 12 bytes per column).
const PER_HASHED_COLUMN: u64 = 16;
/// Bytes per character of training text held while fitting (the records, their lower-cased
/// copies and the analyzed documents).
const PER_TEXT_BYTE: u64 = 4;
/// Largest Gram matrix the solver forms (its own cap).
const GRAM_MAX_BYTES: u64 = 1 << 30;

/// An estimate of the peak memory of fitting the text model, with what it is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// Bytes in all.
    pub bytes: u64,
    /// The model file's size, roughly (hashed columns only; a vocabulary's terms are
    /// counted in `bytes`).
    pub model_file: u64,
    /// The figures behind it, for the message.
    pub detail: String,
}

/// The memory that hashed features cost whatever the data: `2^bits` columns.
pub fn hashed_columns(params: &TfidfParams) -> Option<Estimate> {
    let bits = params.hash_bits?;
    let cols = 1u64 << bits;
    Some(Estimate {
        bytes: cols * PER_HASHED_COLUMN,
        model_file: cols * 4,
        detail: format!(
            "--hash-features {bits}: {cols} hashed columns at {PER_HASHED_COLUMN} bytes each"
        ),
    })
}

/// The estimated peak memory of fitting the text model with `params` on `docs`.
pub fn text_model(params: &TfidfParams, docs: &[&str]) -> Estimate {
    let (lo, hi) = (params.ngram_min, params.ngram_max);
    let mut occurrences = 0u64;
    let mut term_bytes = 0u64;
    let mut text_bytes = 0u64;
    for d in docs {
        text_bytes += d.len() as u64;
        let units = match params.analyzer {
            Analyzer::Word | Analyzer::Stem => d.split_whitespace().count(),
            // char_wb pads each word with a space on both sides.
            Analyzer::CharWb => d.chars().count() + 2 * d.split_whitespace().count(),
            Analyzer::Char => d.chars().count(),
        } as u64;
        if units == 0 {
            continue;
        }
        let unit_bytes = (d.len() as u64).div_ceil(units).max(1);
        for n in lo..=hi.min(units as usize) {
            let windows = units - n as u64 + 1;
            occurrences += windows;
            term_bytes += windows * n as u64 * unit_bytes;
        }
    }
    let n = docs.len() as u64;
    let gram = n
        .saturating_mul(n)
        .saturating_mul(4)
        .min(GRAM_MAX_BYTES)
        .min(occurrences.saturating_mul(32));
    let mut e = Estimate {
        bytes: occurrences
            .saturating_mul(PER_OCCURRENCE)
            .saturating_add(term_bytes)
            .saturating_add(text_bytes * PER_TEXT_BYTE)
            .saturating_add(gram),
        model_file: 0,
        detail: format!(
            "{occurrences} n-grams of {lo} to {hi} {} in {n} training texts",
            if !params.analyzer.is_char() {
                "words"
            } else {
                "characters"
            }
        ),
    };
    if let Some(h) = hashed_columns(params) {
        // Hashed: no vocabulary terms, but the columns.
        e.bytes = e.bytes.saturating_sub(term_bytes).saturating_add(h.bytes);
        e.model_file = h.model_file;
        e.detail = format!("{}, {}", e.detail, h.detail);
    }
    e
}

/// Bytes the system can still give this process: `MemAvailable` of `/proc/meminfo`.
pub fn available_memory() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Refuses an estimate past `limit` (`--max-memory`) or, without one, past the memory
/// available, with the figures; `what` names the task.
pub fn check(what: &str, e: &Estimate, limit: Option<u64>) -> Result<()> {
    let (cap, source) = match limit {
        Some(l) => (l, "--max-memory allows"),
        None => match available_memory() {
            Some(a) => (a, "this machine has available (MemAvailable)"),
            None => return Ok(()),
        },
    };
    if e.bytes <= cap {
        return Ok(());
    }
    let file = if e.model_file > 0 {
        format!(
            "; the model file alone would be about {}",
            mib(e.model_file)
        )
    } else {
        String::new()
    };
    Err(crate::error::Error::Invalid(format!(
        "{what}: these settings need an estimated {} of memory ({}{file}), more than the {} \
         {source}; refused before any work: use a smaller --ngram-range or --hash-features, \
         or a larger --max-memory if the estimate is too cautious",
        mib(e.bytes),
        e.detail,
        mib(cap)
    )))
}

/// `1,234 MiB`.
fn mib(bytes: u64) -> String {
    let m = bytes.div_ceil(1 << 20);
    let s = m.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    format!("{out} MiB")
}

/// Parses a memory size: a number of bytes, or with a suffix `K`, `M`, `G`, `T` (powers of
/// 1024; `KB`, `KiB`, `MB`, `MiB`, ... read the same).
pub fn parse_size(s: &str) -> std::result::Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let unit = unit.trim().to_ascii_uppercase();
    let shift = match unit.trim_end_matches('B').trim_end_matches('I') {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err(format!("expected a size such as 512M or 4G, got {s:?}")),
    };
    match num.parse::<f64>() {
        Ok(v) if v.is_finite() && v > 0.0 && v * ((1u64 << shift) as f64) < u64::MAX as f64 => {
            Ok((v * (1u64 << shift) as f64) as u64)
        }
        _ => Err(format!(
            "expected a positive size such as 512M or 4G, got {s:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_suffixes() {
        assert_eq!(parse_size("1024"), Ok(1024));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("1.5k"), Ok(1536));
        assert!(parse_size("0").is_err());
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("-1G").is_err());
    }

    #[test]
    fn longer_ranges_and_more_bits_cost_more_and_are_refused_past_the_limit() {
        let docs = ["боль в груди и кашель", "сыпь на коже"];
        let paper = text_model(&TfidfParams::default(), &docs);
        let wide = TfidfParams {
            ngram_min: 1,
            ngram_max: 100,
            ..TfidfParams::default()
        };
        let wide = text_model(&wide, &docs);
        assert!(wide.bytes > paper.bytes, "{wide:?} {paper:?}");
        let hashed = TfidfParams {
            hash_bits: Some(28),
            ..TfidfParams::default()
        };
        let hashed = text_model(&hashed, &docs);
        assert!(hashed.bytes > 1 << 32, "{hashed:?}");
        assert_eq!(hashed.model_file, 1 << 30);
        let err = check("t", &hashed, Some(1 << 30)).unwrap_err().to_string();
        assert!(
            err.contains(&mib(hashed.bytes)) && err.contains("1,024 MiB --max-memory allows"),
            "{err}"
        );
        assert!(check("t", &paper, Some(1 << 30)).is_ok());
    }
}
