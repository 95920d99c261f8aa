//! [`Block`]: one vectorizer block of a text model's feature union (the recipe's `blocks`,
//! `[[blocks]]` tables in a task file, `--blocks` on the command line).
#![allow(rustdoc::invalid_html_tags)]

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::features::analyzer::Analyzer;
use crate::features::limit::{DocFreq, MAX_DF, MIN_DF};
use crate::features::tfidf::TfidfParams;
use crate::features::union::{BlockParams, Field, UnionParams};

/// The shortest and longest n-gram, `[min, max]` in a task file, `MIN,MAX` on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct NgramRange(pub usize, pub usize);

/// What a block computes: n-grams of one analyzer, or the dense pair features.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlockKind {
    /// Character n-grams.
    Char,
    /// Character n-grams inside space-padded words.
    CharWb,
    /// Word n-grams.
    Word,
    /// Word n-grams over words stemmed by Snowball's Russian stemmer.
    Stem,
    /// Dense pair features: overlap ratios, negation and question cues (pairs only).
    Cross,
}

impl BlockKind {
    fn analyzer(self) -> Option<Analyzer> {
        match self {
            BlockKind::Char => Some(Analyzer::Char),
            BlockKind::CharWb => Some(Analyzer::CharWb),
            BlockKind::Word => Some(Analyzer::Word),
            BlockKind::Stem => Some(Analyzer::Stem),
            BlockKind::Cross => None,
        }
    }
}

fn one() -> f64 {
    1.0
}

fn is_one(w: &f64) -> bool {
    *w == 1.0
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_joined(f: &Field) -> bool {
    *f == Field::Joined
}

fn is_min_df(d: &DocFreq) -> bool {
    *d == MIN_DF
}

/// One block of the union: `analyzer` (char, char_wb, word, stem or cross), its n-gram range, tf,
/// which view of the record it reads (`field`: joined, first, second, shared), its weight and
/// its `min_df`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Block {
    /// `char`, `char_wb`, `word`, `stem` or `cross`.
    pub analyzer: BlockKind,
    /// Shortest and longest n-gram (n-gram blocks).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ngram_range: Option<NgramRange>,
    /// 1 + ln(tf) instead of raw counts.
    #[serde(default, skip_serializing_if = "is_false")]
    pub sublinear_tf: bool,
    /// Which view of the record the block reads.
    #[serde(default, skip_serializing_if = "is_joined")]
    pub field: Field,
    /// The factor the block's unit-norm rows are multiplied by.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub weight: f64,
    /// Drop terms found in fewer training documents (count or fraction).
    #[serde(
        default = "min_df",
        skip_serializing_if = "is_min_df",
        with = "crate::recipe::layers::doc_freq"
    )]
    pub min_df: DocFreq,
}

fn min_df() -> DocFreq {
    MIN_DF
}

/// The blocks of a union (empty: the recipe's single vectorizer). Written as a list of tables;
/// read from a list of tables, from one string in `--blocks`' form, or from a list of blocks in
/// that form (what Python's `blocks=` may give).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(transparent)]
pub struct Blocks(pub Vec<Block>);

impl<'de> Deserialize<'de> for Blocks {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        // Through a JSON value, so that a table's own error (an unknown key) is kept.
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => parse_blocks(&s).map_err(D::Error::custom),
            // A list of blocks in the flag's form (as run records name them).
            serde_json::Value::Array(items)
                if !items.is_empty() && items.iter().all(|v| v.is_string()) =>
            {
                let names: Vec<&str> = items.iter().filter_map(|v| v.as_str()).collect();
                parse_blocks(&names.join(",")).map_err(D::Error::custom)
            }
            v => serde_json::from_value::<Vec<Block>>(v)
                .map(Blocks)
                .map_err(D::Error::custom),
        }
    }
}

impl Block {
    /// The block's settings for the vectorizers, checked; the error names `blocks[i]`.
    pub fn params(&self, i: usize) -> Result<BlockParams> {
        let key = format!("blocks[{i}]");
        let bad = |m: String| Error::param(&key, m);
        if !(self.weight.is_finite() && self.weight > 0.0) {
            return Err(bad(format!(
                "weight must be a finite number > 0, got {}",
                self.weight
            )));
        }
        let weight = self.weight as f32;
        let Some(analyzer) = self.analyzer.analyzer() else {
            if self.ngram_range.is_some() || self.sublinear_tf || self.field != Field::Joined {
                return Err(bad(
                    "a cross block takes only a weight (it reads both texts of a pair)".into(),
                ));
            }
            return Ok(BlockParams::Cross { weight });
        };
        let Some(NgramRange(a, b)) = self.ngram_range else {
            return Err(bad("an n-gram block needs ngram_range = [MIN, MAX]".into()));
        };
        if a == 0 || a > b {
            return Err(bad(format!(
                "ngram_range: expected 1 <= MIN <= MAX, got {a},{b}"
            )));
        }
        self.min_df
            .check("min_df")
            .map_err(|e| bad(e.to_string()))?;
        Ok(BlockParams::Ngrams {
            field: self.field,
            weight,
            tfidf: TfidfParams {
                ngram_min: a,
                ngram_max: b,
                sublinear_tf: self.sublinear_tf,
                hash_bits: None,
                analyzer,
                min_df: self.min_df,
                max_df: MAX_DF,
                max_features: None,
            },
        })
    }

    /// The block of fitted settings `p` (the inverse of [`Block::params`]).
    pub fn of(p: &BlockParams) -> Block {
        match p {
            BlockParams::Ngrams {
                field,
                weight,
                tfidf,
            } => Block {
                analyzer: match tfidf.analyzer {
                    Analyzer::Char => BlockKind::Char,
                    Analyzer::CharWb => BlockKind::CharWb,
                    Analyzer::Word => BlockKind::Word,
                    Analyzer::Stem => BlockKind::Stem,
                },
                ngram_range: Some(NgramRange(tfidf.ngram_min, tfidf.ngram_max)),
                sublinear_tf: tfidf.sublinear_tf,
                field: *field,
                weight: *weight as f64,
                min_df: tfidf.min_df,
            },
            BlockParams::Cross { weight } => Block {
                analyzer: BlockKind::Cross,
                ngram_range: None,
                sublinear_tf: false,
                field: Field::Joined,
                weight: *weight as f64,
                min_df: MIN_DF,
            },
        }
    }
}

impl Blocks {
    /// The union's settings (`None` for no blocks), checked.
    pub fn union(&self, row_norm: bool) -> Result<Option<UnionParams>> {
        if self.0.is_empty() {
            return Ok(None);
        }
        let blocks = self
            .0
            .iter()
            .enumerate()
            .map(|(i, b)| b.params(i))
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(UnionParams { blocks, row_norm }))
    }
}

/// `--blocks`: comma-separated blocks, each `ANALYZER:MIN-MAX[:sub][@FIELD][*WEIGHT]` (e.g.
/// `char:3-8,char_wb:2-5:sub@second,word:1-1@shared*0.5,stem:1-2:sub`) or `cross[*WEIGHT]`;
/// empty for none.
pub fn parse_blocks(s: &str) -> std::result::Result<Blocks, String> {
    let mut out = Vec::new();
    for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let b = parse_block(item).map_err(|e| {
            format!(
                "block {item:?}: {e} (expected ANALYZER:MIN-MAX[:sub][@FIELD][*WEIGHT] or \
                 cross[*WEIGHT], e.g. char:3-8,char_wb:2-5:sub@second,cross)"
            )
        })?;
        out.push(b);
    }
    Ok(Blocks(out))
}

fn parse_block(item: &str) -> std::result::Result<Block, String> {
    let (rest, weight) = match item.split_once('*') {
        Some((r, w)) => (
            r,
            w.parse::<f64>()
                .map_err(|_| format!("weight {w:?} is not a number"))?,
        ),
        None => (item, 1.0),
    };
    let (rest, field) = match rest.split_once('@') {
        Some((r, f)) => (r, f.parse::<Field>()?),
        None => (rest, Field::Joined),
    };
    let mut parts = rest.split(':');
    let kind = parts.next().unwrap_or_default();
    let analyzer = match kind {
        "char" => BlockKind::Char,
        "char_wb" => BlockKind::CharWb,
        "word" => BlockKind::Word,
        "stem" => BlockKind::Stem,
        "cross" => BlockKind::Cross,
        _ => return Err(format!("unknown analyzer {kind:?}")),
    };
    let ngram_range = match parts.next() {
        Some(r) => {
            let (a, b) = r
                .split_once('-')
                .ok_or_else(|| format!("n-gram range {r:?} is not MIN-MAX"))?;
            let parse = |x: &str| {
                x.parse::<usize>()
                    .map_err(|_| format!("n-gram range {r:?} is not MIN-MAX"))
            };
            Some(NgramRange(parse(a)?, parse(b)?))
        }
        None => None,
    };
    let sublinear_tf = match parts.next() {
        Some("sub") => true,
        Some(x) => return Err(format!("unknown option {x:?} (only `sub`)")),
        None => false,
    };
    let b = Block {
        analyzer,
        ngram_range,
        sublinear_tf,
        field,
        weight,
        min_df: MIN_DF,
    };
    b.params(0).map_err(|e| match e {
        Error::Param { message, .. } => message,
        e => e.to_string(),
    })?;
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_form_and_the_table_form_are_one_definition() {
        let b = parse_blocks("char:3-8, char_wb:2-5:sub@second*0.5,stem:1-2:sub,cross").unwrap();
        let json = serde_json::to_string(&b).unwrap();
        assert_eq!(
            json,
            r#"[{"analyzer":"char","ngram_range":[3,8]},{"analyzer":"char_wb","ngram_range":[2,5],"sublinear_tf":true,"field":"second","weight":0.5},{"analyzer":"stem","ngram_range":[1,2],"sublinear_tf":true},{"analyzer":"cross"}]"#
        );
        let back: Blocks = serde_json::from_str(&json).unwrap();
        assert_eq!(back, b);
        let u = b.union(false).unwrap().unwrap();
        let names: Vec<String> = u.blocks.iter().map(|p| p.name()).collect();
        assert_eq!(
            names,
            [
                "char:3-8",
                "char_wb:2-5:sub@second*0.5",
                "stem:1-2:sub",
                "cross"
            ]
        );
        for (p, blk) in u.blocks.iter().zip(&b.0) {
            assert_eq!(&Block::of(p), blk);
        }
        assert!(parse_blocks("").unwrap().0.is_empty());
        // The flag's string form is read as the tables are.
        let joined: Blocks =
            serde_json::from_str(r#""char:3-8, char_wb:2-5:sub@second*0.5,stem:1-2:sub,cross""#)
                .unwrap();
        assert_eq!(joined, b);
        let names: Blocks = serde_json::from_str(
            r#"["char:3-8", "char_wb:2-5:sub@second*0.5", "stem:1-2:sub", "cross"]"#,
        )
        .unwrap();
        assert_eq!(names, b);
    }

    #[test]
    fn a_bad_block_names_itself() {
        for (spec, want) in [
            ("char", "needs ngram_range"),
            ("char:5-3", "1 <= MIN <= MAX"),
            ("cross:1-2", "takes only a weight"),
            ("char:1-2@third", "one of joined"),
            ("ngram:1-2", "unknown analyzer"),
            ("word:1-2*0", "weight must be"),
        ] {
            let e = parse_blocks(spec).unwrap_err();
            assert!(e.contains(want) && e.contains(spec), "{spec}: {e}");
        }
        let table: Blocks = serde_json::from_str(r#"[{"analyzer":"word"}]"#).unwrap();
        let e = table.union(false).unwrap_err().to_string();
        assert!(e.starts_with("blocks[0]:"), "{e}");
    }
}
