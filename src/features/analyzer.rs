//! scikit-learn 1.3.2's three text analyzers, each as two steps: [`Analyzer::analyze`] turns a
//! document into one string, and `for_each_term` enumerates the terms of that string as slices
//! of it (so terms can be interned without an allocation each).
//!
//! - `char`: `str.lower()`, runs of two or more white-space characters replaced by one space
//!   ([`normalize`]); terms are the windows of `min..=max` code points.
//! - `char_wb` (`_char_wb_ngrams`): the same preprocessing, then `str.split()` into words, each
//!   padded with one space on both sides; terms are the windows of `min..=max` code points
//!   inside each padded word, and a padded word no longer than `n` is one term, counted once (at
//!   the first such `n`: so a word shorter than `min` still gives its whole padded form). The
//!   analysed string is the padded words concatenated (`" ab  cd "`), each word its own segment.
//! - `word`: `str.lower()`, tokens found by the default `token_pattern` `(?u)\b\w\w+\b` (maximal
//!   runs of at least two word characters, `\w` as Python's `re` defines it: see
//!   [`is_word_char`]), then the word n-grams of `min..=max` tokens joined by one space
//!   (`_word_ngrams`). The analysed string is the tokens joined by one space, so every n-gram
//!   is a slice of it.
//! - `stem` (rumedbench's own, not scikit-learn's): the `word` tokens, each stemmed by Snowball's
//!   Russian stemmer (`ё` read as `е` first, as Snowball 2.0 on does), then word n-grams as `word` makes them. scikit-learn gives
//!   the same terms with `analyzer=` a callable that lower-cases, finds the tokens, stems each
//!   with the `snowballstemmer` package's Russian stemmer and joins n-grams by one space
//!   (`tests/stem_parity.rs`).

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::tfidf::{is_py_space, normalize};
use super::word_chars::WORD_RANGES;

/// Which terms a document is cut into (scikit-learn's `analyzer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Analyzer {
    /// Character n-grams over the whole document (the paper's recipe).
    #[default]
    Char,
    /// Character n-grams inside white-space-padded words.
    CharWb,
    /// Word n-grams of `(?u)\b\w\w+\b` tokens.
    Word,
    /// Word n-grams of the same tokens, each stemmed by Snowball's Russian stemmer.
    Stem,
}

impl Analyzer {
    /// The name scikit-learn uses: `char`, `char_wb` or `word` (and rumedbench's `stem`).
    pub fn name(self) -> &'static str {
        match self {
            Analyzer::Char => "char",
            Analyzer::CharWb => "char_wb",
            Analyzer::Word => "word",
            Analyzer::Stem => "stem",
        }
    }

    /// Whether terms are made of characters (and so can be packed into integer keys); else
    /// they are made of words (`word`, `stem`).
    pub fn is_char(self) -> bool {
        matches!(self, Analyzer::Char | Analyzer::CharWb)
    }

    /// The analysed form of `doc` (see the module docs).
    pub fn analyze(self, doc: &str) -> String {
        match self {
            Analyzer::Char => normalize(doc),
            Analyzer::CharWb => {
                let norm = normalize(doc);
                let mut out = String::with_capacity(norm.len() + 8);
                for w in norm.split(is_py_space).filter(|w| !w.is_empty()) {
                    out.push(' ');
                    out.push_str(w);
                    out.push(' ');
                }
                out
            }
            Analyzer::Word | Analyzer::Stem => {
                let lower = doc.to_lowercase();
                let stemmer = (self == Analyzer::Stem).then(russian_stemmer);
                let mut out = String::with_capacity(lower.len());
                for t in word_tokens(&lower) {
                    if !out.is_empty() {
                        out.push(' ');
                    }
                    match &stemmer {
                        Some(s) => out.push_str(&stem_token(s, t)),
                        None => out.push_str(t),
                    }
                }
                out
            }
        }
    }
}

fn russian_stemmer() -> rust_stemmers::Stemmer {
    rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::Russian)
}

/// Snowball's Russian stemmer on one lower-cased `word` token, as Snowball 2.0 on defines it
/// (the `snowballstemmer` and PyStemmer packages): `ё` read as `е` first (the algorithm's
/// prelude since Snowball 2.0, which `rust-stemmers` predates), then the suffixes removed.
/// The stem is never empty and holds no white space: the stemmer only cuts after the token's
/// first vowel and a token without one is kept whole.
fn stem_token<'a>(stemmer: &rust_stemmers::Stemmer, token: &'a str) -> std::borrow::Cow<'a, str> {
    if token.contains('ё') {
        std::borrow::Cow::Owned(stemmer.stem(&token.replace('ё', "е")).into_owned())
    } else {
        stemmer.stem(token)
    }
}

impl FromStr for Analyzer {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "char" => Ok(Analyzer::Char),
            "char_wb" => Ok(Analyzer::CharWb),
            "word" => Ok(Analyzer::Word),
            "stem" => Ok(Analyzer::Stem),
            _ => Err(format!(
                "analyzer must be one of char, char_wb, word, stem; got {s:?}"
            )),
        }
    }
}

impl std::fmt::Display for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Python's `\w` for str patterns (Unicode letters, characters with a numeric value, `_`), from
/// the table `scripts/gen-word-chars.py` writes.
pub fn is_word_char(c: char) -> bool {
    let u = c as u32;
    if u < 0x80 {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    let i = WORD_RANGES.partition_point(|&(_, hi)| hi < u);
    WORD_RANGES.get(i).is_some_and(|&(lo, _)| lo <= u)
}

/// The matches of `(?u)\b\w\w+\b` in `text`: maximal runs of two or more word characters.
pub fn word_tokens(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text.char_indices().peekable();
    std::iter::from_fn(move || loop {
        let (start, c) = rest.next()?;
        if !is_word_char(c) {
            continue;
        }
        let (mut end, mut n) = (start + c.len_utf8(), 1);
        while let Some(&(i, c)) = rest.peek() {
            if !is_word_char(c) {
                break;
            }
            end = i + c.len_utf8();
            n += 1;
            rest.next();
        }
        if n >= 2 {
            return Some(&text[start..end]);
        }
    })
}

/// Calls `f` on every term of the analysed string `text` (see the module docs). `bounds` is
/// scratch space reused across documents.
pub(super) fn for_each_term<'a>(
    analyzer: Analyzer,
    text: &'a str,
    (min, max): (usize, usize),
    bounds: &mut Vec<usize>,
    mut f: impl FnMut(&'a str),
) {
    match analyzer {
        Analyzer::Char => char_windows(text, min, max, bounds, &mut f, false),
        Analyzer::CharWb => {
            for seg in wb_segments(text) {
                char_windows(seg, min, max, bounds, &mut f, true);
            }
        }
        Analyzer::Word | Analyzer::Stem => {
            bounds.clear();
            if text.is_empty() {
                return;
            }
            // Token i spans bounds[2i]..bounds[2i + 1].
            let mut start = 0;
            for (i, _) in text.match_indices(' ') {
                bounds.extend([start, i]);
                start = i + 1;
            }
            bounds.extend([start, text.len()]);
            let n_tokens = bounds.len() / 2;
            for n in min..=max.min(n_tokens) {
                for i in 0..=n_tokens - n {
                    f(&text[bounds[2 * i]..bounds[2 * (i + n - 1) + 1]]);
                }
            }
        }
    }
}

/// The padded words `" w "` of a `char_wb` analysed string.
pub(super) fn wb_segments(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        // Each segment is a space, a word without white space, and a space.
        let close = rest.get(1..)?.find(' ')? + 1;
        let (seg, tail) = rest.split_at(close + 1);
        rest = tail;
        Some(seg)
    })
}

/// Windows of `min..=max` code points of `text`; with `whole_when_short` (`char_wb`), a text no
/// longer than `n` is emitted once, whole, and longer windows are not tried.
fn char_windows<'a>(
    text: &'a str,
    min: usize,
    max: usize,
    bounds: &mut Vec<usize>,
    f: &mut impl FnMut(&'a str),
    whole_when_short: bool,
) {
    bounds.clear();
    bounds.extend(text.char_indices().map(|(i, _)| i));
    bounds.push(text.len());
    let len = bounds.len() - 1;
    for n in min..=max {
        if whole_when_short && n >= len {
            f(text);
            return;
        }
        if n > len {
            return;
        }
        for i in 0..=len - n {
            f(&text[bounds[i]..bounds[i + n]]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(a: Analyzer, doc: &str, range: (usize, usize)) -> Vec<String> {
        let text = a.analyze(doc);
        let mut out = Vec::new();
        for_each_term(a, &text, range, &mut Vec::new(), |t| {
            out.push(t.to_string())
        });
        out.sort();
        out
    }

    #[test]
    fn python_word_characters() {
        // Letters, digits, '_' and characters with a numeric value are \w; combining marks,
        // punctuation and spaces are not (Python's re, unlike Rust's is_alphanumeric for
        // U+0345 or U+24B6, which are Alphabetic but not letters).
        for c in ['a', 'Z', '0', '_', 'ж', 'Ё', '²', '½', '٣', '中'] {
            assert!(is_word_char(c), "{c:?}");
        }
        for c in [' ', '-', '.', '\u{301}', '\u{345}', '\u{24b6}', '\t', '№'] {
            assert!(!is_word_char(c), "{c:?}");
        }
    }

    #[test]
    fn word_tokens_are_runs_of_two_or_more() {
        let got: Vec<&str> = word_tokens("а, бв-где x_1 ё2 ы").collect();
        assert_eq!(got, ["бв", "где", "x_1", "ё2"]);
        // A combining acute splits a word, as in Python.
        let got: Vec<&str> = word_tokens("бо\u{301}ль и\u{301}").collect();
        assert_eq!(got, ["бо", "ль"]);
    }

    #[test]
    fn word_ngrams_join_tokens_with_one_space() {
        assert_eq!(
            terms(Analyzer::Word, "Боль,  в ГРУДИ и кашель", (1, 2)),
            ["боль", "боль груди", "груди", "груди кашель", "кашель"]
        );
        assert_eq!(terms(Analyzer::Word, "а б", (1, 2)), Vec::<String>::new());
        assert_eq!(terms(Analyzer::Word, "ab cd ef", (3, 5)), ["ab cd ef"]);
    }

    #[test]
    fn stem_ngrams_join_stemmed_tokens_with_one_space() {
        // Snowball's Russian stems: боли, болит, боль -> бол, бол, бол; ё read as е.
        assert_eq!(
            terms(Analyzer::Stem, "Боли,  болит; БОЛЬ ещё", (1, 2)),
            ["бол", "бол", "бол", "бол бол", "бол бол", "бол ещ", "ещ"]
        );
        assert_eq!(Analyzer::Stem.analyze("а б x_1 SpO2"), "x_1 spo2");
        assert_eq!(terms(Analyzer::Stem, "", (1, 2)), Vec::<String>::new());
        assert_eq!("stem".parse::<Analyzer>(), Ok(Analyzer::Stem));
        assert!(!Analyzer::Stem.is_char());
    }

    #[test]
    fn char_wb_pads_words_and_keeps_short_words_whole_once() {
        // " ab " has 4 chars: n=3 gives " ab", "ab "; n=4 the whole word; n=5 nothing more.
        assert_eq!(
            terms(Analyzer::CharWb, "Ab", (3, 5)),
            [" ab", " ab ", "ab "]
        );
        // " a " is shorter than min=4: emitted whole, once.
        assert_eq!(terms(Analyzer::CharWb, "a\t\tb", (4, 6)), [" a ", " b "]);
        assert_eq!(terms(Analyzer::CharWb, "", (2, 3)), Vec::<String>::new());
        let text = Analyzer::CharWb.analyze(" x  yz\nw ");
        let segs: Vec<&str> = wb_segments(&text).collect();
        assert_eq!(segs, [" x ", " yz ", " w "]);
    }
}
