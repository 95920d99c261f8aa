//! Cross-field features of a text pair: the words its two texts share, and a few dense
//! overlap and cue features. Words are the lower-cased `(?u)\b\w\w+\b` tokens scikit-learn's
//! `word` analyzer takes.

use std::collections::HashSet;

use super::analyzer::word_tokens;

/// The names of the [`cross_features`], in column order.
pub const CROSS_NAMES: [&str; 9] = [
    "shared words / (1 + shared words)",
    "shared / second's words",
    "shared / first's words",
    "jaccard(words)",
    "shared / second's char 3-grams",
    "negation in first",
    "negation in second",
    "negation in one text only",
    "second is a question",
];

/// Negation cues (Russian).
const NEGATIONS: [&str; 5] = ["не", "нет", "ни", "без", "отсутствует"];

/// The distinct words of `second` that also occur in `first`, in their order in `second`,
/// joined by one space.
pub fn shared_words(first: &str, second: &str) -> String {
    let (a, b) = (first.to_lowercase(), second.to_lowercase());
    let in_first: HashSet<&str> = word_tokens(&a).collect();
    let mut seen = HashSet::new();
    let mut out = String::new();
    for w in word_tokens(&b) {
        if in_first.contains(w) && seen.insert(w) {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(w);
        }
    }
    out
}

fn ratio(a: usize, b: usize) -> f32 {
    if b == 0 {
        0.0
    } else {
        a as f32 / b as f32
    }
}

/// Whether a text holds a negation cue: one of the words of [`NEGATIONS`] (as a whole word).
fn negated(words: &HashSet<&str>) -> bool {
    NEGATIONS.iter().any(|n| words.contains(n)) || words.iter().any(|w| w.starts_with("отсутств"))
}

/// The dense features of a pair ([`CROSS_NAMES`] says what each is), each in [0, 1].
pub fn cross_features(first: &str, second: &str) -> [f32; CROSS_NAMES.len()] {
    let (a, b) = (first.to_lowercase(), second.to_lowercase());
    // One-letter words carry negation ("не" has two letters; the token regex keeps 2+).
    let wa: HashSet<&str> = word_tokens(&a).collect();
    let wb: HashSet<&str> = word_tokens(&b).collect();
    let shared = wa.intersection(&wb).count();
    let union = wa.len() + wb.len() - shared;
    let grams = |s: &str| -> HashSet<Vec<char>> {
        let c: Vec<char> = s.chars().collect();
        c.windows(3).map(<[char]>::to_vec).collect()
    };
    let (ga, gb) = (grams(&a), grams(&b));
    let shared_grams = gb.iter().filter(|g| ga.contains(*g)).count();
    let (na, nb) = (negated(&wa), negated(&wb));
    let flag = |x: bool| if x { 1.0 } else { 0.0 };
    [
        shared as f32 / (1.0 + shared as f32),
        ratio(shared, wb.len()),
        ratio(shared, wa.len()),
        ratio(shared, union),
        ratio(shared_grams, gb.len()),
        flag(na),
        flag(nb),
        flag(na != nb),
        flag(b.trim_end().ends_with('?') || wb.contains("ли")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_words_keep_the_second_texts_order_once_each() {
        assert_eq!(
            shared_words("Боль в груди и кашель, боль", "Кашель и БОЛЬ? кашель"),
            "кашель боль"
        );
        assert_eq!(shared_words("a b", "c"), "");
    }

    #[test]
    fn cross_features_count_overlap_and_cues() {
        let f = cross_features("Боль в груди нет", "есть ли боль в груди?");
        // first: боль груди нет (3); second: есть ли боль груди (4); shared: боль груди.
        assert!((f[0] - 2.0 / 3.0).abs() < 1e-6);
        assert!((f[1] - 0.5).abs() < 1e-6);
        assert!((f[2] - 2.0 / 3.0).abs() < 1e-6);
        assert!((f[3] - 0.4).abs() < 1e-6);
        assert_eq!(&f[5..], &[1.0, 0.0, 1.0, 1.0]);
        assert_eq!(cross_features("", ""), [0.0; CROSS_NAMES.len()]);
    }
}
