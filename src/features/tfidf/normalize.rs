//! Python-compatible normalisation: `str.lower()` and `re.sub(r"\s\s+", " ", doc)`.

/// sklearn's preprocessing for `analyzer='char'`: `str.lower()` then
/// `re.sub(r"\s\s+", " ", doc)`.
///
/// Lower-casing: Rust's `str::to_lowercase` applies the same full Unicode
/// mappings as CPython's `str.lower()`, including `İ -> "i\u{307}"` and the
/// context-dependent final sigma (`"ΑΣ" -> "ας"`, a lone `"Σ" -> "σ"`). The
/// only possible divergence is the Unicode version: CPython 3.11 ships
/// Unicode 14.0, Rust's std a newer one, so letters added to Unicode after
/// 14.0 may lower-case here but not in Python. Russian text is unaffected.
pub fn normalize(doc: &str) -> String {
    let lower = doc.to_lowercase();
    let mut out = String::with_capacity(lower.len());
    let mut chars = lower.chars().peekable();
    while let Some(c) = chars.next() {
        if is_py_space(c) && chars.peek().is_some_and(|&n| is_py_space(n)) {
            while chars.peek().is_some_and(|&n| is_py_space(n)) {
                chars.next();
            }
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// Python's `\s` for `str` patterns, which equals `str.isspace()` (checked
/// against CPython 3.11 over all code points): Unicode White_Space plus the
/// information separators U+001C..=U+001F, which Rust's
/// `char::is_whitespace` does not include. Full set: U+0009..=U+000D,
/// U+001C..=U+001F, U+0020, U+0085, U+00A0, U+1680, U+2000..=U+200A, U+2028,
/// U+2029, U+202F, U+205F, U+3000.
pub fn is_py_space(c: char) -> bool {
    matches!(
        c,
        '\u{9}'..='\u{d}'
            | '\u{1c}'..='\u{1f}'
            | ' '
            | '\u{85}'
            | '\u{a0}'
            | '\u{1680}'
            | '\u{2000}'..='\u{200a}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202f}'
            | '\u{205f}'
            | '\u{3000}'
    )
}
