//! Per-token CRF features of RuMedNER, reproducing `word2features` from
//! upstream `code/linear_models/token_classifier.py` together with the way
//! python-crfsuite flattens a feature dict into CRFsuite attributes.
//!
//! python-crfsuite (`to_item` in `_pycrfsuite.pyx`) maps a dict entry
//! `k: v` to:
//! * `"k:v"` with weight 1.0 when `v` is a string;
//! * `"k"` with weight `float(v)` when `v` is a bool or a number, so a
//!   `False` predicate is still emitted, with weight 0.0.
//!
//! Attribute order follows the dict's insertion order, because CRFsuite
//! numbers attributes in first-seen order; keeping the order makes our model
//! file byte-compatible with the Python recipe.
//!
//! The string predicates replicate CPython's `str` methods on Unicode, so the
//! features are the same on any script, not only on Cyrillic. Checked on
//! every code point against Python 3.11 (Unicode 14.0): `isupper`, `istitle`,
//! `isdigit` and `lower` agree except on 55 code points that Unicode 14 leaves
//! unassigned and Rust's newer Unicode tables know.

/// One CRFsuite attribute: a name and its weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Feature {
    /// Attribute name as CRFsuite sees it, e.g. `word.lower():аспирин`.
    pub name: String,
    /// Attribute weight; predicates give 1.0 or 0.0.
    pub value: f64,
}

impl Feature {
    pub(crate) fn text(key: &str, value: &str) -> Self {
        Feature {
            name: format!("{key}:{value}"),
            value: 1.0,
        }
    }

    pub(crate) fn flag(key: &str, value: bool) -> Self {
        Feature {
            name: key.to_string(),
            value: if value { 1.0 } else { 0.0 },
        }
    }
}

/// Features of every token of a sentence (`sent2features` upstream).
pub fn sent2features<S: AsRef<str>>(sent: &[S]) -> Vec<Vec<Feature>> {
    (0..sent.len())
        .filter_map(|i| word2features(sent, i))
        .collect()
}

/// Features of token `i` of `sent`, in the order of upstream's dict;
/// `None` when `i` is out of range.
pub fn word2features<S: AsRef<str>>(sent: &[S], i: usize) -> Option<Vec<Feature>> {
    word2features_keyed(sent, i).map(|f| f.into_iter().map(|(_, f)| f).collect())
}

/// [`word2features`] with each attribute's dict key (`word.lower()`, `-1:word.istitle()`,
/// `BOS`, ...): the key names the part of the paper's features an attribute comes from.
pub fn word2features_keyed<S: AsRef<str>>(
    sent: &[S],
    i: usize,
) -> Option<Vec<(&'static str, Feature)>> {
    let word = sent.get(i)?.as_ref();
    let mut f = Vec::with_capacity(13);
    let text = |k: &'static str, v: &str| (k, Feature::text(k, v));
    let flag = |k: &'static str, v: bool| (k, Feature::flag(k, v));
    f.push(flag("bias", true));
    f.push(text("word.lower()", &py_lower(word)));
    f.push(text("word[-3:]", py_suffix(word, 3)));
    f.push(text("word[-2:]", py_suffix(word, 2)));
    f.push(flag("word.isupper()", py_isupper(word)));
    f.push(flag("word.istitle()", py_istitle(word)));
    f.push(flag("word.isdigit()", py_isdigit(word)));
    if i > 0 {
        let prev = sent[i - 1].as_ref();
        f.push(text("-1:word.lower()", &py_lower(prev)));
        f.push(flag("-1:word.istitle()", py_istitle(prev)));
        f.push(flag("-1:word.isupper()", py_isupper(prev)));
    } else {
        f.push(flag("BOS", true));
    }
    if let Some(next) = sent.get(i + 1) {
        let next = next.as_ref();
        f.push(text("+1:word.lower()", &py_lower(next)));
        f.push(flag("+1:word.istitle()", py_istitle(next)));
        f.push(flag("+1:word.isupper()", py_isupper(next)));
    } else {
        f.push(flag("EOS", true));
    }
    Some(f)
}

/// Python's `str.lower()`: full Unicode lowercase mapping. Rust's
/// `to_lowercase` uses the same unconditional SpecialCasing mappings
/// (`İ` -> `i̇`) and the same final-sigma rule as CPython.
pub fn py_lower(word: &str) -> String {
    word.to_lowercase()
}

/// Python's `word[-n:]`: the last `n` code points (the whole word if shorter).
pub fn py_suffix(word: &str, n: usize) -> &str {
    let start = word
        .char_indices()
        .rev()
        .take(n)
        .last()
        .map_or(word.len(), |(at, _)| at);
    &word[start..]
}

/// Python's `str.isupper()`: no lowercase or titlecase character and at
/// least one uppercase one. CPython's "upper"/"lower" flags are the derived
/// Uppercase/Lowercase properties, which is what `char::is_uppercase` and
/// `char::is_lowercase` test.
pub fn py_isupper(word: &str) -> bool {
    let mut cased = false;
    for ch in word.chars() {
        if ch.is_lowercase() || is_titlecase(ch) {
            return false;
        }
        cased |= ch.is_uppercase();
    }
    cased
}

/// Python's `str.istitle()`: upper/titlecase characters only after uncased
/// ones, lowercase characters only after cased ones, and at least one cased
/// character.
pub fn py_istitle(word: &str) -> bool {
    let mut cased = false;
    let mut previous_is_cased = false;
    for ch in word.chars() {
        if ch.is_uppercase() || is_titlecase(ch) {
            if previous_is_cased {
                return false;
            }
            previous_is_cased = true;
            cased = true;
        } else if ch.is_lowercase() {
            if !previous_is_cased {
                return false;
            }
            previous_is_cased = true;
            cased = true;
        } else {
            previous_is_cased = false;
        }
    }
    cased
}

/// Python's `str.isdigit()`: non-empty and every character has
/// Numeric_Type Digit or Decimal.
pub fn py_isdigit(word: &str) -> bool {
    !word.is_empty() && word.chars().all(is_py_digit_char)
}

/// Category Lt (titlecase letters); std has no predicate for it.
/// Generated from Python 3.11 (Unicode 14.0):
/// `[c for c in range(0x110000) if unicodedata.category(chr(c)) == 'Lt']`.
fn is_titlecase(ch: char) -> bool {
    matches!(ch as u32,
        0x01C5 | 0x01C8 | 0x01CB | 0x01F2
        | 0x1F88..=0x1F8F | 0x1F98..=0x1F9F | 0x1FA8..=0x1FAF
        | 0x1FBC | 0x1FCC | 0x1FFC)
}

/// Code points for which CPython's `str.isdigit()` holds (Numeric_Type
/// Digit or Decimal); std has no such table (`char::is_numeric` also accepts
/// fractions and Roman numerals). Generated from Python 3.11 (Unicode 14.0)
/// as the ranges of `[c for c in range(0x110000) if chr(c).isdigit()]`.
const PY_DIGIT_RANGES: &[(u32, u32)] = &[
    (0x0030, 0x0039),
    (0x00B2, 0x00B3),
    (0x00B9, 0x00B9),
    (0x0660, 0x0669),
    (0x06F0, 0x06F9),
    (0x07C0, 0x07C9),
    (0x0966, 0x096F),
    (0x09E6, 0x09EF),
    (0x0A66, 0x0A6F),
    (0x0AE6, 0x0AEF),
    (0x0B66, 0x0B6F),
    (0x0BE6, 0x0BEF),
    (0x0C66, 0x0C6F),
    (0x0CE6, 0x0CEF),
    (0x0D66, 0x0D6F),
    (0x0DE6, 0x0DEF),
    (0x0E50, 0x0E59),
    (0x0ED0, 0x0ED9),
    (0x0F20, 0x0F29),
    (0x1040, 0x1049),
    (0x1090, 0x1099),
    (0x1369, 0x1371),
    (0x17E0, 0x17E9),
    (0x1810, 0x1819),
    (0x1946, 0x194F),
    (0x19D0, 0x19DA),
    (0x1A80, 0x1A89),
    (0x1A90, 0x1A99),
    (0x1B50, 0x1B59),
    (0x1BB0, 0x1BB9),
    (0x1C40, 0x1C49),
    (0x1C50, 0x1C59),
    (0x2070, 0x2070),
    (0x2074, 0x2079),
    (0x2080, 0x2089),
    (0x2460, 0x2468),
    (0x2474, 0x247C),
    (0x2488, 0x2490),
    (0x24EA, 0x24EA),
    (0x24F5, 0x24FD),
    (0x24FF, 0x24FF),
    (0x2776, 0x277E),
    (0x2780, 0x2788),
    (0x278A, 0x2792),
    (0xA620, 0xA629),
    (0xA8D0, 0xA8D9),
    (0xA900, 0xA909),
    (0xA9D0, 0xA9D9),
    (0xA9F0, 0xA9F9),
    (0xAA50, 0xAA59),
    (0xABF0, 0xABF9),
    (0xFF10, 0xFF19),
    (0x104A0, 0x104A9),
    (0x10A40, 0x10A43),
    (0x10D30, 0x10D39),
    (0x10E60, 0x10E68),
    (0x11052, 0x1105A),
    (0x11066, 0x1106F),
    (0x110F0, 0x110F9),
    (0x11136, 0x1113F),
    (0x111D0, 0x111D9),
    (0x112F0, 0x112F9),
    (0x11450, 0x11459),
    (0x114D0, 0x114D9),
    (0x11650, 0x11659),
    (0x116C0, 0x116C9),
    (0x11730, 0x11739),
    (0x118E0, 0x118E9),
    (0x11950, 0x11959),
    (0x11C50, 0x11C59),
    (0x11D50, 0x11D59),
    (0x11DA0, 0x11DA9),
    (0x16A60, 0x16A69),
    (0x16AC0, 0x16AC9),
    (0x16B50, 0x16B59),
    (0x1D7CE, 0x1D7FF),
    (0x1E140, 0x1E149),
    (0x1E2F0, 0x1E2F9),
    (0x1E950, 0x1E959),
    (0x1F100, 0x1F10A),
    (0x1FBF0, 0x1FBF9),
];

/// Python's `c.isdigit()` for one character.
pub(crate) fn is_py_digit_char(ch: char) -> bool {
    let c = ch as u32;
    // Ranges are sorted and disjoint, so a binary search on the start finds
    // the only range that can contain `c`.
    let idx = PY_DIGIT_RANGES.partition_point(|&(start, _)| start <= c);
    idx > 0 && c <= PY_DIGIT_RANGES[idx - 1].1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preds(w: &str) -> (bool, bool, bool) {
        (py_isupper(w), py_istitle(w), py_isdigit(w))
    }

    #[test]
    fn hyphenated_abbreviation() {
        // Python: 'ВИЧ-инфекция'.isupper() -> False (has lowercase letters);
        // .istitle() -> False ('И' is uppercase right after cased 'В');
        // .isdigit() -> False; [-3:] -> 'ция', [-2:] -> 'ия'.
        let w = "ВИЧ-инфекция";
        assert_eq!(preds(w), (false, false, false));
        assert_eq!(py_lower(w), "вич-инфекция");
        assert_eq!(py_suffix(w, 3), "ция");
        assert_eq!(py_suffix(w, 2), "ия");
    }

    #[test]
    fn letter_then_digit() {
        // Python: 'Д3'.isupper() -> True (one cased char, uppercase; '3' is
        // uncased); .istitle() -> True ('Д' follows nothing cased);
        // .isdigit() -> False ('Д'); [-3:] -> 'Д3' (shorter than 3).
        assert_eq!(preds("Д3"), (true, true, false));
        assert_eq!(py_suffix("Д3", 3), "Д3");
        assert_eq!(py_lower("Д3"), "д3");
    }

    #[test]
    fn digit_range() {
        // Python: '1-2' has no cased char -> isupper False, istitle False;
        // isdigit False because '-' is not a digit; [-2:] -> '-2'.
        assert_eq!(preds("1-2"), (false, false, false));
        assert_eq!(py_suffix("1-2", 2), "-2");
    }

    #[test]
    fn abbreviation_with_dots() {
        // Python: 'Т.е.'.isupper() -> False ('е' is lowercase);
        // .istitle() -> False ('е' follows uncased '.');
        // [-3:] -> '.е.', [-2:] -> 'е.'.
        assert_eq!(preds("Т.е."), (false, false, false));
        assert_eq!(py_suffix("Т.е.", 3), ".е.");
        assert_eq!(py_suffix("Т.е.", 2), "е.");
        assert_eq!(py_lower("Т.е."), "т.е.");
    }

    #[test]
    fn all_caps_and_title() {
        // Python: 'ВИЧ' -> isupper True, istitle False ('И' after cased 'В').
        assert_eq!(preds("ВИЧ"), (true, false, false));
        // Python: 'Аспирин' -> isupper False, istitle True.
        assert_eq!(preds("Аспирин"), (false, true, false));
        assert_eq!(py_suffix("Аспирин", 3), "рин");
        // Python: 'Ёж' -> isupper False, istitle True; lower 'ёж'.
        assert_eq!(preds("Ёж"), (false, true, false));
        assert_eq!(py_lower("Ёж"), "ёж");
        // Python: 'A' (single char) -> isupper True, istitle True.
        assert_eq!(preds("A"), (true, true, false));
    }

    #[test]
    fn punctuation_and_empty() {
        // Python: ',' has no cased char and is not a digit -> all False.
        assert_eq!(preds(","), (false, false, false));
        assert_eq!(py_suffix(",", 3), ",");
        // Python: ''.isupper()/istitle()/isdigit() -> False; ''[-3:] -> ''.
        assert_eq!(preds(""), (false, false, false));
        assert_eq!(py_suffix("", 3), "");
        assert_eq!(py_lower(""), "");
        // Python: ' ' (a space) -> all False; ' '[-2:] -> ' '.
        assert_eq!(preds(" "), (false, false, false));
        assert_eq!(py_suffix(" ", 2), " ");
    }

    #[test]
    fn digits_of_other_scripts() {
        // Python: '١٢٣'.isdigit() -> True (Arabic-Indic, Numeric_Type=Decimal).
        assert_eq!(preds("١٢٣"), (false, false, true));
        assert_eq!(py_suffix("١٢٣", 2), "٢٣");
        // Python: '²'.isdigit() -> True (Numeric_Type=Digit).
        assert!(py_isdigit("²"));
        // Python: '½'.isdigit() -> False (Numeric_Type=Numeric).
        assert!(!py_isdigit("½"));
        // Python: 'Ⅻ'.isdigit() -> False, although char::is_numeric holds.
        assert!(!py_isdigit("Ⅻ"));
        // Python: '٣a'.isdigit() -> False; table edges: '0', '9', '/' , ':'.
        assert!(!py_isdigit("٣a"));
        assert!(py_isdigit("09"));
        assert!(!py_isdigit("/") && !py_isdigit(":"));
        // Python: '𝟿' (U+1D7FF, last of a range).isdigit() -> True;
        // U+1D800 -> False.
        assert!(py_isdigit("\u{1D7FF}"));
        assert!(!py_isdigit("\u{1D800}"));
    }

    #[test]
    fn titlecase_and_special_lowercasing() {
        // Python: 'ǅом' (U+01C5 titlecase) -> isupper False, istitle True;
        // lower 'ǆом'.
        assert_eq!(preds("ǅом"), (false, true, false));
        assert_eq!(py_lower("ǅом"), "ǆом");
        // Python: 'İ'.lower() -> 'i̇' (two code points); isupper True.
        assert_eq!(py_lower("İ"), "i\u{307}");
        assert!(py_isupper("İ"));
        // Python: 'ΣΑΣ'.lower() -> 'σας' (final sigma).
        assert_eq!(py_lower("ΣΑΣ"), "σας");
    }

    #[test]
    fn suffix_counts_code_points_not_bytes() {
        // Python: 'мг/кг'[-3:] -> '/кг' although 'к','г' are 2 bytes each.
        assert_eq!(py_suffix("мг/кг", 3), "/кг");
        assert_eq!(py_suffix("мг/кг", 0), "");
    }

    fn f(name: &str, value: f64) -> Feature {
        Feature {
            name: name.to_string(),
            value,
        }
    }

    #[test]
    fn three_token_sentence_matches_python_dicts() {
        // What python-crfsuite builds from upstream's word2features for
        // ['Принимал', 'АЦЦ', '200']: str values become 'key:value' (1.0),
        // bools become 'key' with 1.0/0.0, in dict insertion order.
        let sent = ["Принимал", "АЦЦ", "200"];
        let got = sent2features(&sent);
        let want = vec![
            vec![
                f("bias", 1.0),
                f("word.lower():принимал", 1.0),
                f("word[-3:]:мал", 1.0),
                f("word[-2:]:ал", 1.0),
                f("word.isupper()", 0.0),
                f("word.istitle()", 1.0),
                f("word.isdigit()", 0.0),
                f("BOS", 1.0),
                f("+1:word.lower():ацц", 1.0),
                f("+1:word.istitle()", 0.0),
                f("+1:word.isupper()", 1.0),
            ],
            vec![
                f("bias", 1.0),
                f("word.lower():ацц", 1.0),
                f("word[-3:]:АЦЦ", 1.0),
                f("word[-2:]:ЦЦ", 1.0),
                f("word.isupper()", 1.0),
                f("word.istitle()", 0.0),
                f("word.isdigit()", 0.0),
                f("-1:word.lower():принимал", 1.0),
                f("-1:word.istitle()", 1.0),
                f("-1:word.isupper()", 0.0),
                f("+1:word.lower():200", 1.0),
                f("+1:word.istitle()", 0.0),
                f("+1:word.isupper()", 0.0),
            ],
            vec![
                f("bias", 1.0),
                f("word.lower():200", 1.0),
                f("word[-3:]:200", 1.0),
                f("word[-2:]:00", 1.0),
                f("word.isupper()", 0.0),
                f("word.istitle()", 0.0),
                f("word.isdigit()", 1.0),
                f("-1:word.lower():ацц", 1.0),
                f("-1:word.istitle()", 0.0),
                f("-1:word.isupper()", 1.0),
                f("EOS", 1.0),
            ],
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn single_token_has_bos_and_eos() {
        let got = sent2features(&["ок"]);
        let names: Vec<&str> = got[0].iter().map(|a| a.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "bias",
                "word.lower():ок",
                "word[-3:]:ок",
                "word[-2:]:ок",
                "word.isupper()",
                "word.istitle()",
                "word.isdigit()",
                "BOS",
                "EOS"
            ]
        );
        assert!(word2features(&["ок"], 1).is_none());
        assert!(sent2features::<&str>(&[]).is_empty());
    }

    #[test]
    fn colons_and_spaces_are_kept_verbatim() {
        // Python builds 'word.lower():' + 'a:b c' with no escaping.
        let got = sent2features(&["A:b C"]);
        assert_eq!(got[0][1].name, "word.lower():a:b c");
        assert_eq!(got[0][2].name, "word[-3:]:b C");
    }
}
