//! Visible white space for listings of n-grams, attributes and tokens.

/// Shows white space in an n-gram: a space as `␣`, other white space and control characters
/// escaped, so an n-gram's boundaries are visible.
pub fn visible(ngram: &str) -> String {
    let mut s = String::with_capacity(ngram.len());
    for ch in ngram.chars() {
        match ch {
            ' ' => s.push('␣'),
            c if c.is_whitespace() || c.is_control() => s.extend(c.escape_default()),
            c => s.push(c),
        }
    }
    s
}
