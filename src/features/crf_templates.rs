//! CRF feature templates: each a small named generator of CRFsuite attributes for a token of a
//! sentence, listed in the CRF recipe (`templates = ["lower", "affix:2-4", "window:1"]`) and kept
//! by name in the model file, so that prediction regenerates exactly the training features.
//!
//! Names and what each emits for token `w` (python-crfsuite's flattening, as in
//! [`token`](super::token): a string value `k: v` is the attribute `k:v` of weight 1, a
//! predicate `k: bool` the attribute `k` of weight 1 or 0):
//!
//! | name | attributes |
//! |---|---|
//! | `paper` | the paper's `word2features` (upstream `token_classifier.py`), exactly |
//! | `bias` | `bias` |
//! | `word` | `word:<w>` |
//! | `lower` | `lower:<w.lower()>` |
//! | `prefix:A-B` | `p<n>:<w.lower()[:n]>` for n = A..B |
//! | `suffix:A-B` | `s<n>:<w.lower()[-n:]>` for n = A..B |
//! | `affix:A-B` | `prefix:A-B` then `suffix:A-B` |
//! | `shape` | `shape:<short shape>` (upper `X`, lower `x`, digit `d`, other characters kept, runs collapsed: `Xx`, `d.d`, `X-x`) and `script:<cyr, lat, mixed or none>` |
//! | `flags` | `isupper`, `istitle`, `isdigit` (Python's `str` predicates) |
//! | `window:K` | the token templates listed before it (`word`, `lower`, `prefix`, `suffix`, `affix`, `shape`, `flags`) applied to each neighbour at -K..-1 and +1..+K present in the sentence, names prefixed `-1:`, `+1:`, ... |
//! | `bigram` | `w[-1]\|w[0]:<prev.lower()>\|<w.lower()>` (not on the first token) and `w[0]\|w[+1]:<w.lower()>\|<next.lower()>` (not on the last) |
//! | `bos_eos` | `BOS` on the first token, `EOS` on the last |
//!
//! Attributes come in the order of the list (CRFsuite numbers attributes in first-seen order,
//! so the order is part of the model). No two templates of a list may emit the same name,
//! which the list's check ensures; `scripts/crf-templates.py` writes the same features with
//! Python dicts, and `tests/crf_templates_parity.rs` compares them.

use std::fmt;
use std::str::FromStr;

use super::token::{
    is_py_digit_char, py_istitle, py_isupper, py_lower, py_suffix, word2features_keyed, Feature,
};

/// Longest prefix or suffix length a template takes.
pub const MAX_AFFIX: u8 = 10;
/// Widest window a template takes.
pub const MAX_WINDOW: u8 = 5;

/// One feature template (see the [module](self) for what each emits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    /// The paper's `word2features`, exactly.
    Paper,
    /// A constant attribute.
    Bias,
    /// The token as it is.
    Word,
    /// The lowercased token.
    Lower,
    /// Prefixes of the lowercased token, lengths `.0` to `.1`.
    Prefix(u8, u8),
    /// Suffixes of the lowercased token, lengths `.0` to `.1`.
    Suffix(u8, u8),
    /// Prefixes then suffixes, lengths `.0` to `.1`.
    Affix(u8, u8),
    /// Short word shape and script.
    Shape,
    /// `isupper`, `istitle`, `isdigit`.
    Flags,
    /// The token templates applied to the neighbours up to `.0` tokens away.
    Window(u8),
    /// Lowercased neighbour bigrams.
    Bigram,
    /// Sentence start and end markers.
    BosEos,
}

/// Every template name, for messages.
pub const TEMPLATE_NAMES: &str = "paper, bias, word, lower, prefix:A-B, suffix:A-B, affix:A-B, \
                                  shape, flags, window:K, bigram, bos_eos";

impl Template {
    /// Whether the template describes one token (and so applies to a window's neighbours).
    fn is_token(self) -> bool {
        matches!(
            self,
            Template::Word
                | Template::Lower
                | Template::Prefix(..)
                | Template::Suffix(..)
                | Template::Affix(..)
                | Template::Shape
                | Template::Flags
        )
    }

    /// The attribute families the template emits, for the check that no two templates of a
    /// list emit the same name.
    fn families(self) -> &'static [&'static str] {
        match self {
            Template::Paper => &["paper", "bias", "bos_eos"],
            Template::Bias => &["bias"],
            Template::Word => &["word"],
            Template::Lower => &["lower"],
            Template::Prefix(..) => &["prefix"],
            Template::Suffix(..) => &["suffix"],
            Template::Affix(..) => &["prefix", "suffix"],
            Template::Shape => &["shape"],
            Template::Flags => &["flags"],
            Template::Window(_) => &["window"],
            Template::Bigram => &["bigram"],
            Template::BosEos => &["bos_eos"],
        }
    }

    /// Appends the attributes of token template `self` for `word`, names prefixed by `pre`.
    fn token_features(self, word: &str, pre: &str, out: &mut Vec<Feature>) {
        let key = |k: &str| format!("{pre}{k}");
        match self {
            Template::Word => out.push(Feature::text(&key("word"), word)),
            Template::Lower => out.push(Feature::text(&key("lower"), &py_lower(word))),
            Template::Prefix(a, b) => prefixes(&py_lower(word), a, b, pre, out),
            Template::Suffix(a, b) => suffixes(&py_lower(word), a, b, pre, out),
            Template::Affix(a, b) => {
                let lower = py_lower(word);
                prefixes(&lower, a, b, pre, out);
                suffixes(&lower, a, b, pre, out);
            }
            Template::Shape => {
                out.push(Feature::text(&key("shape"), &short_shape(word)));
                out.push(Feature::text(&key("script"), script(word)));
            }
            Template::Flags => {
                out.push(Feature::flag(&key("isupper"), py_isupper(word)));
                out.push(Feature::flag(&key("istitle"), py_istitle(word)));
                out.push(Feature::flag(&key("isdigit"), py_isdigit(word)));
            }
            _ => {}
        }
    }
}

fn py_isdigit(word: &str) -> bool {
    super::token::py_isdigit(word)
}

/// Python's `w[:n]`: the first `n` code points.
fn py_prefix(word: &str, n: usize) -> &str {
    let end = word.char_indices().nth(n).map_or(word.len(), |(at, _)| at);
    &word[..end]
}

fn prefixes(lower: &str, a: u8, b: u8, pre: &str, out: &mut Vec<Feature>) {
    for n in a..=b {
        out.push(Feature::text(
            &format!("{pre}p{n}"),
            py_prefix(lower, n as usize),
        ));
    }
}

fn suffixes(lower: &str, a: u8, b: u8, pre: &str, out: &mut Vec<Feature>) {
    for n in a..=b {
        out.push(Feature::text(
            &format!("{pre}s{n}"),
            py_suffix(lower, n as usize),
        ));
    }
}

/// The short word shape: each character as `X` (uppercase), `x` (lowercase), `d` (digit) or
/// itself, runs of one class collapsed (`Аспирин` -> `Xx`, `12,5` -> `d,d`).
pub fn short_shape(word: &str) -> String {
    let mut out = String::new();
    let mut last = None;
    for ch in word.chars() {
        let c = if ch.is_uppercase() {
            'X'
        } else if ch.is_lowercase() {
            'x'
        } else if is_py_digit_char(ch) {
            'd'
        } else {
            ch
        };
        if last != Some(c) {
            out.push(c);
            last = Some(c);
        }
    }
    out
}

/// Which alphabets the word's letters come from: Cyrillic (U+0400..U+04FF), basic Latin, both
/// or neither.
pub fn script(word: &str) -> &'static str {
    let cyr = word.chars().any(|c| ('\u{400}'..='\u{4ff}').contains(&c));
    let lat = word.chars().any(|c| c.is_ascii_alphabetic());
    match (cyr, lat) {
        (true, true) => "mixed",
        (true, false) => "cyr",
        (false, true) => "lat",
        (false, false) => "none",
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Template::Paper => f.write_str("paper"),
            Template::Bias => f.write_str("bias"),
            Template::Word => f.write_str("word"),
            Template::Lower => f.write_str("lower"),
            Template::Prefix(a, b) => write!(f, "prefix:{a}-{b}"),
            Template::Suffix(a, b) => write!(f, "suffix:{a}-{b}"),
            Template::Affix(a, b) => write!(f, "affix:{a}-{b}"),
            Template::Shape => f.write_str("shape"),
            Template::Flags => f.write_str("flags"),
            Template::Window(k) => write!(f, "window:{k}"),
            Template::Bigram => f.write_str("bigram"),
            Template::BosEos => f.write_str("bos_eos"),
        }
    }
}

impl FromStr for Template {
    type Err = String;

    /// A template by its name; `prefix:3` is `prefix:3-3`.
    fn from_str(s: &str) -> Result<Template, String> {
        let (name, arg) = match s.split_once(':') {
            Some((n, a)) => (n, Some(a)),
            None => (s, None),
        };
        let range = |arg: Option<&str>| -> Result<(u8, u8), String> {
            let arg = arg.ok_or_else(|| format!("{name:?} needs lengths, e.g. {name}:2-4"))?;
            let (a, b) = arg.split_once('-').unwrap_or((arg, arg));
            let n = |v: &str| {
                v.trim()
                    .parse::<u8>()
                    .map_err(|_| format!("{s:?}: {v:?} is not a length"))
            };
            let (a, b) = (n(a)?, n(b)?);
            if !(1 <= a && a <= b && b <= MAX_AFFIX) {
                return Err(format!(
                    "{s:?}: lengths must satisfy 1 <= A <= B <= {MAX_AFFIX}"
                ));
            }
            Ok((a, b))
        };
        let bare = |t: Template| match arg {
            None => Ok(t),
            Some(_) => Err(format!("{name:?} takes no argument, got {s:?}")),
        };
        match name {
            "paper" => bare(Template::Paper),
            "bias" => bare(Template::Bias),
            "word" => bare(Template::Word),
            "lower" => bare(Template::Lower),
            "shape" => bare(Template::Shape),
            "flags" => bare(Template::Flags),
            "bigram" => bare(Template::Bigram),
            "bos_eos" => bare(Template::BosEos),
            "prefix" => range(arg).map(|(a, b)| Template::Prefix(a, b)),
            "suffix" => range(arg).map(|(a, b)| Template::Suffix(a, b)),
            "affix" => range(arg).map(|(a, b)| Template::Affix(a, b)),
            "window" => {
                let k = arg
                    .ok_or("\"window\" needs a width, e.g. window:1")?
                    .trim()
                    .parse::<u8>()
                    .map_err(|_| format!("{s:?}: the width is not a number"))?;
                if !(1..=MAX_WINDOW).contains(&k) {
                    return Err(format!("{s:?}: the width must be 1 to {MAX_WINDOW}"));
                }
                Ok(Template::Window(k))
            }
            _ => Err(format!(
                "unknown CRF feature template {s:?} (known: {TEMPLATE_NAMES})"
            )),
        }
    }
}

/// A checked list of templates: not empty, no attribute name emitted by two templates, a
/// window only with token templates to apply. The default is the paper's features.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Templates(Vec<Template>);

impl Default for Templates {
    fn default() -> Self {
        Templates(vec![Template::Paper])
    }
}

impl Templates {
    /// Checks a list.
    pub fn new(list: Vec<Template>) -> Result<Templates, String> {
        if list.is_empty() {
            return Err("the CRF needs at least one feature template".into());
        }
        let mut seen: Vec<(&str, Template)> = Vec::new();
        for &t in &list {
            for fam in t.families() {
                if let Some((_, other)) = seen.iter().find(|(f, _)| f == fam) {
                    return Err(if *other == t {
                        format!("CRF feature template {t} is listed twice")
                    } else {
                        format!(
                            "CRF feature templates {other} and {t} both emit the {fam} features"
                        )
                    });
                }
                seen.push((fam, t));
            }
        }
        if let Some(at) = list.iter().position(|t| matches!(t, Template::Window(_))) {
            if !list[..at].iter().any(|t| t.is_token()) {
                return Err(format!(
                    "{} applies the token templates listed before it to the neighbours (word, \
                     lower, prefix, suffix, affix, shape or flags); none is",
                    list[at]
                ));
            }
        }
        Ok(Templates(list))
    }

    /// Parses a comma-separated list of names (`lower,affix:2-4,window:1`).
    pub fn parse_list(s: &str) -> Result<Templates, String> {
        let list = s
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::parse)
            .collect::<Result<Vec<Template>, String>>()?;
        Templates::new(list)
    }

    /// Parses names as stored (a recipe's list, a model file's settings).
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> Result<Templates, String> {
        let list = names
            .iter()
            .map(|n| n.as_ref().parse())
            .collect::<Result<Vec<Template>, String>>()?;
        Templates::new(list)
    }

    /// The templates, in order.
    pub fn list(&self) -> &[Template] {
        &self.0
    }

    /// The names, in order.
    pub fn names(&self) -> Vec<String> {
        self.0.iter().map(Template::to_string).collect()
    }

    /// Whether these are the paper's features exactly.
    pub fn is_paper(&self) -> bool {
        self.0 == [Template::Paper]
    }

    /// The attributes of every token of `sent`.
    pub fn sent_features<S: AsRef<str>>(&self, sent: &[S]) -> Vec<Vec<Feature>> {
        if self.is_paper() {
            return super::token::sent2features(sent);
        }
        (0..sent.len())
            .map(|i| {
                let mut out = Vec::with_capacity(32);
                self.features(sent, i, &mut out, None);
                out
            })
            .collect()
    }

    /// [`Templates::sent_features`] with, for every attribute, the part of the list that emitted
    /// it: the template's name (`lower`, `affix:2-4`, `bigram`), a window's offset and token
    /// template (`window:-1 lower`), or the paper's dict key (`paper word.lower()`). The
    /// attributes are the same, in the same order.
    pub fn sent_features_sourced<S: AsRef<str>>(&self, sent: &[S]) -> Vec<Vec<(String, Feature)>> {
        (0..sent.len())
            .map(|i| {
                let (mut out, mut sources) = (Vec::with_capacity(32), Vec::with_capacity(32));
                self.features(sent, i, &mut out, Some(&mut sources));
                sources.into_iter().zip(out).collect()
            })
            .collect()
    }

    /// Appends the attributes of token `i` of `sent` (`i` in range) to `out`, and with
    /// `sources` the name of what emitted each one.
    fn features<S: AsRef<str>>(
        &self,
        sent: &[S],
        i: usize,
        out: &mut Vec<Feature>,
        mut sources: Option<&mut Vec<String>>,
    ) {
        // Names every attribute appended since the last call.
        let mut mark = |out: &Vec<Feature>, name: &dyn Fn() -> String| {
            if let Some(s) = sources.as_deref_mut() {
                if s.len() < out.len() {
                    let n = name();
                    s.resize(out.len(), n);
                }
            }
        };
        let word = sent[i].as_ref();
        for (at, &t) in self.0.iter().enumerate() {
            match t {
                Template::Paper => {
                    for (key, f) in word2features_keyed(sent, i).unwrap_or_default() {
                        out.push(f);
                        mark(out, &|| format!("paper {key}"));
                    }
                }
                Template::Bias => out.push(Feature::flag("bias", true)),
                Template::Window(k) => {
                    let k = k as usize;
                    let offsets = (1..=k)
                        .rev()
                        .map(|d| (d, false))
                        .chain((1..=k).map(|d| (d, true)));
                    for (d, after) in offsets {
                        let j = if after {
                            i.checked_add(d)
                        } else {
                            i.checked_sub(d)
                        };
                        let Some(other) = j.and_then(|j| sent.get(j)) else {
                            continue;
                        };
                        let sign = if after { '+' } else { '-' };
                        let pre = format!("{sign}{d}:");
                        for &u in self.0[..at].iter().filter(|u| u.is_token()) {
                            u.token_features(other.as_ref(), &pre, out);
                            mark(out, &|| format!("window:{sign}{d} {u}"));
                        }
                    }
                }
                Template::Bigram => {
                    let lower = py_lower(word);
                    if i > 0 {
                        let prev = py_lower(sent[i - 1].as_ref());
                        out.push(Feature::text("w[-1]|w[0]", &format!("{prev}|{lower}")));
                    }
                    if let Some(next) = sent.get(i + 1) {
                        let next = py_lower(next.as_ref());
                        out.push(Feature::text("w[0]|w[+1]", &format!("{lower}|{next}")));
                    }
                }
                Template::BosEos => {
                    if i == 0 {
                        out.push(Feature::flag("BOS", true));
                    }
                    if i + 1 == sent.len() {
                        out.push(Feature::flag("EOS", true));
                    }
                }
                t => t.token_features(word, "", out),
            }
            mark(out, &|| t.to_string());
        }
    }
}

impl fmt::Display for Templates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.names().join(","))
    }
}

impl serde::Serialize for Templates {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(Template::to_string))
    }
}

impl<'de> serde::Deserialize<'de> for Templates {
    /// A list of names, or one comma-separated string of them.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum Form {
            List(Vec<String>),
            Joined(String),
        }
        match Form::deserialize(d)? {
            Form::List(names) => Templates::from_names(&names),
            Form::Joined(s) => Templates::parse_list(&s),
        }
        .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(t: &Templates, sent: &[&str], i: usize) -> Vec<(String, f64)> {
        t.sent_features(sent)[i]
            .iter()
            .map(|f| (f.name.clone(), f.value))
            .collect()
    }

    #[test]
    fn names_round_trip_and_bad_names_are_explained() {
        let t = Templates::parse_list(
            "word, lower,prefix:2-4,suffix:3,shape,flags,window:2,bigram,bos_eos,bias",
        )
        .unwrap();
        assert_eq!(
            t.to_string(),
            "word,lower,prefix:2-4,suffix:3-3,shape,flags,window:2,bigram,bos_eos,bias"
        );
        assert_eq!(Templates::from_names(&t.names()).unwrap(), t);
        let e = |s: &str| Templates::parse_list(s).unwrap_err();
        assert!(e("lower,suffixes:2").contains("unknown CRF feature template \"suffixes:2\""));
        assert!(e("affix:0-2").contains("1 <= A <= B"));
        assert!(e("affix:4-2").contains("1 <= A <= B"));
        assert!(e("affix").contains("needs lengths"));
        assert!(e("window:9,lower").contains("1 to 5"));
        assert!(e("lower:1").contains("takes no argument"));
        assert!(e("").contains("at least one"));
        assert!(e("lower,lower").contains("listed twice"));
        assert!(e("affix:2-3,suffix:4").contains("both emit the suffix"));
        assert!(e("paper,bias").contains("both emit the bias"));
        assert!(
            e("window:1,bigram").contains("window:1 applies the token templates listed before it")
        );
        assert!(e("window:1,lower").contains("none is"));
        assert!(Templates::default().is_paper());
        let json: Templates = serde_json::from_str(r#"["lower","window:1"]"#).unwrap();
        assert_eq!(json.to_string(), "lower,window:1");
        let joined: Templates = serde_json::from_str(r#""lower,window:1""#).unwrap();
        assert_eq!(joined, json);
        assert_eq!(
            serde_json::to_string(&json).unwrap(),
            r#"["lower","window:1"]"#
        );
    }

    #[test]
    fn paper_template_is_word2features() {
        let sent = ["Принимал", "АЦЦ", "200"];
        let t = Templates::default();
        assert_eq!(
            t.sent_features(&sent),
            super::super::token::sent2features(&sent)
        );
        // Combined with others, the paper's features come first, unchanged.
        let t = Templates::parse_list("paper,shape").unwrap();
        let got = t.sent_features(&sent);
        let paper = super::super::token::sent2features(&sent);
        for (g, p) in got.iter().zip(&paper) {
            assert_eq!(&g[..p.len()], &p[..]);
            assert_eq!(g.len(), p.len() + 2);
        }
    }

    #[test]
    fn each_template_emits_python_named_attributes() {
        // What the dicts of scripts/crf-templates.py flatten to for ['Принял', 'АЦЦ-Лонг', '12,5'].
        let sent = ["Принял", "АЦЦ-Лонг", "12,5"];
        let t = Templates::parse_list("bias,lower,affix:2-3,shape,flags,window:1,bigram,bos_eos")
            .unwrap();
        let s = |n: &str| (n.to_string(), 1.0);
        let z = |n: &str| (n.to_string(), 0.0);
        assert_eq!(
            names(&t, &sent, 1),
            [
                s("bias"),
                s("lower:ацц-лонг"),
                s("p2:ац"),
                s("p3:ацц"),
                s("s2:нг"),
                s("s3:онг"),
                s("shape:X-Xx"),
                s("script:cyr"),
                z("isupper"),
                z("istitle"),
                z("isdigit"),
                s("-1:lower:принял"),
                s("-1:p2:пр"),
                s("-1:p3:при"),
                s("-1:s2:ял"),
                s("-1:s3:нял"),
                s("-1:shape:Xx"),
                s("-1:script:cyr"),
                z("-1:isupper"),
                s("-1:istitle"),
                z("-1:isdigit"),
                s("+1:lower:12,5"),
                s("+1:p2:12"),
                s("+1:p3:12,"),
                s("+1:s2:,5"),
                s("+1:s3:2,5"),
                s("+1:shape:d,d"),
                s("+1:script:none"),
                z("+1:isupper"),
                z("+1:istitle"),
                z("+1:isdigit"),
                s("w[-1]|w[0]:принял|ацц-лонг"),
                s("w[0]|w[+1]:ацц-лонг|12,5"),
            ]
        );
        let first = names(&t, &sent, 0);
        assert!(first.contains(&s("BOS")) && !first.contains(&s("EOS")));
        assert!(!first
            .iter()
            .any(|(n, _)| n.starts_with("-1:") || n.starts_with("w[-1]")));
        let last = names(&t, &sent, 2);
        assert!(last.contains(&s("EOS")) && !last.contains(&s("BOS")));
        assert!(!last.iter().any(|(n, _)| n.starts_with("+1:")));
    }

    #[test]
    fn a_window_takes_the_token_templates_before_it() {
        let t = Templates::parse_list("lower,window:1,shape").unwrap();
        let f: Vec<String> = names(&t, &["Aa", "b"], 0)
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(f, ["lower:aa", "+1:lower:b", "shape:Xx", "script:lat"]);
    }

    #[test]
    fn windows_wider_than_one_and_words() {
        let sent = ["a", "Bb", "c1", "D"];
        let t = Templates::parse_list("word,window:2").unwrap();
        let f: Vec<String> = names(&t, &sent, 1).into_iter().map(|(n, _)| n).collect();
        assert_eq!(f, ["word:Bb", "-1:word:a", "+1:word:c1", "+2:word:D"]);
        let f: Vec<String> = names(&t, &sent, 2).into_iter().map(|(n, _)| n).collect();
        assert_eq!(f, ["word:c1", "-2:word:a", "-1:word:Bb", "+1:word:D"]);
        assert!(t.sent_features::<&str>(&[]).is_empty());
    }

    #[test]
    fn sourced_features_are_the_features_each_named_by_its_template() {
        let sent = ["Принял", "АЦЦ-Лонг", "12,5"];
        for list in [
            "paper",
            "paper,shape",
            "bias,lower,shape,window:1,affix:2-4,flags,bigram,bos_eos",
            "word,suffix:2,window:2",
        ] {
            let t = Templates::parse_list(list).unwrap();
            let sourced = t.sent_features_sourced(&sent);
            let plain: Vec<Vec<Feature>> = sourced
                .iter()
                .map(|item| item.iter().map(|(_, f)| f.clone()).collect())
                .collect();
            assert_eq!(plain, t.sent_features(&sent), "{list}");
        }
        let t = Templates::parse_list("bias,lower,shape,window:1,affix:2-4,flags,bigram,bos_eos")
            .unwrap();
        let sourced = t.sent_features_sourced(&sent);
        let of = |i: usize, name: &str| -> String {
            sourced[i]
                .iter()
                .find(|(_, f)| f.name == name)
                .map(|(s, _)| s.clone())
                .unwrap_or_else(|| panic!("{name} not at {i}"))
        };
        assert_eq!(of(1, "bias"), "bias");
        assert_eq!(of(1, "lower:ацц-лонг"), "lower");
        assert_eq!(of(1, "script:cyr"), "shape");
        assert_eq!(of(1, "-1:lower:принял"), "window:-1 lower");
        assert_eq!(of(1, "-1:script:cyr"), "window:-1 shape");
        assert_eq!(of(1, "+1:lower:12,5"), "window:+1 lower");
        assert_eq!(of(1, "p3:ацц"), "affix:2-4");
        assert_eq!(of(1, "isupper"), "flags");
        assert_eq!(of(1, "w[0]|w[+1]:ацц-лонг|12,5"), "bigram");
        assert_eq!(of(2, "EOS"), "bos_eos");
        // A window applies only the token templates listed before it.
        assert!(!sourced[1].iter().any(|(s, _)| s == "window:-1 affix:2-4"));
        let paper = Templates::default().sent_features_sourced(&sent);
        let keys: Vec<&str> = paper[0].iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(
            keys,
            [
                "paper bias",
                "paper word.lower()",
                "paper word[-3:]",
                "paper word[-2:]",
                "paper word.isupper()",
                "paper word.istitle()",
                "paper word.isdigit()",
                "paper BOS",
                "paper +1:word.lower()",
                "paper +1:word.istitle()",
                "paper +1:word.isupper()",
            ]
        );
    }

    #[test]
    fn shapes_and_scripts() {
        assert_eq!(short_shape("Аспирин"), "Xx");
        assert_eq!(short_shape("ВИЧ-инфекция"), "X-x");
        assert_eq!(short_shape("200мг"), "dx");
        assert_eq!(short_shape("Т.е."), "X.x.");
        assert_eq!(short_shape(""), "");
        assert_eq!(short_shape("ǅ"), "ǅ");
        assert_eq!(script("Аспирин"), "cyr");
        assert_eq!(script("COVID-19"), "lat");
        assert_eq!(script("Д3-Vit"), "mixed");
        assert_eq!(script("12,5"), "none");
        assert_eq!(py_prefix("мг/кг", 3), "мг/");
        assert_eq!(py_prefix("ок", 4), "ок");
    }
}
