//! Metrics with the exact semantics of upstream's `code/eval.py`: scikit-learn's accuracy,
//! Hit@3, and seqeval 1.2.2's default token accuracy and entity-level micro F1.
//!
//! Every metric is built from per-example counts ([`ClassOutcome`], [`SentenceCounts`]) so the
//! bootstrap can resample examples and re-sum without recomputing anything.

use std::collections::BTreeMap;

/// One classification example's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClassOutcome {
    /// The top-ranked label equals gold.
    pub top1: bool,
    /// Gold is among the (up to three) ranked labels.
    pub hit3: bool,
}

/// Scores one ranked prediction against its gold label. Like upstream's `hit_at_3`
/// (`gold in set(prediction)`), Hit@3 checks membership in the whole prediction list as given:
/// upstream's lists hold three labels, and a longer list is not cut.
pub fn class_outcome(gold: &str, ranked: &[String]) -> ClassOutcome {
    ClassOutcome {
        top1: ranked.first().is_some_and(|p| p == gold),
        hit3: ranked.iter().any(|p| p == gold),
    }
}

/// One multi-label example's outcome: its gold and predicted label sets, as sorted indices
/// into the task's label table ([`crate::scoring::eval::MultiOutcomes::labels`]), and how
/// many of its one and three most probable labels are gold.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SetOutcome {
    /// Gold labels.
    pub gold: Vec<u32>,
    /// Predicted labels.
    pub pred: Vec<u32>,
    /// Whether the most probable label is gold (0 or 1).
    pub hits1: u8,
    /// How many of the three most probable labels are gold (0 to 3).
    pub hits3: u8,
}

impl SetOutcome {
    /// Labels in both sets.
    pub fn true_positives(&self) -> usize {
        self.gold
            .iter()
            .filter(|g| self.pred.binary_search(g).is_ok())
            .count()
    }

    /// Whether the predicted set equals the gold set.
    pub fn exact(&self) -> bool {
        self.gold == self.pred
    }
}

/// Scores one multi-label prediction: `gold` and `pred` are label sets, `ranked` the labels
/// by decreasing probability (at least the first three where there are three); `index` maps
/// a label to its entry of the task's label table, adding it when new.
pub fn set_outcome(
    gold: &[String],
    pred: &[String],
    ranked: &[String],
    index: &mut dyn FnMut(&str) -> u32,
) -> SetOutcome {
    let mut ids = |ls: &[String]| {
        let mut v: Vec<u32> = ls.iter().map(|l| index(l)).collect();
        v.sort_unstable();
        v.dedup();
        v
    };
    let (g, p) = (ids(gold), ids(pred));
    let hits = |k: usize| ranked.iter().take(k).filter(|l| gold.contains(l)).count() as u8;
    SetOutcome {
        hits1: hits(1),
        hits3: hits(3),
        gold: g,
        pred: p,
    }
}

/// Per-label `(true positives, predicted, gold)` over some multi-label outcomes, indexed like
/// the label table (`n_labels` entries).
pub fn label_counts<'a>(
    items: impl Iterator<Item = &'a SetOutcome>,
    n_labels: usize,
) -> Vec<(usize, usize, usize)> {
    let mut c = vec![(0usize, 0usize, 0usize); n_labels];
    for o in items {
        for &g in &o.gold {
            c[g as usize].2 += 1;
            if o.pred.binary_search(&g).is_ok() {
                c[g as usize].0 += 1;
            }
        }
        for &p in &o.pred {
            c[p as usize].1 += 1;
        }
    }
    c
}

/// Macro-F1 in percent: the mean F1 of the labels that occur in gold or prediction
/// (scikit-learn's `f1_score(average='macro')` on sets binarized over those labels; a zero
/// denominator gives 0), 0 when there are none.
pub fn macro_f1(counts: &[(usize, usize, usize)]) -> f64 {
    let present: Vec<f64> = counts
        .iter()
        .filter(|c| c.1 + c.2 > 0)
        .map(|&(tp, p, g)| prf(tp, p, g).2)
        .collect();
    if present.is_empty() {
        0.0
    } else {
        present.iter().sum::<f64>() / present.len() as f64 * 100.0
    }
}

/// An entity span: type and inclusive token offsets, as seqeval's `get_entities` returns.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Entity {
    /// Entity type (`ADR`, `Drugname`, ...; `_` when a tag has no type).
    pub kind: String,
    /// First token.
    pub start: usize,
    /// Last token (inclusive).
    pub end: usize,
}

fn split_tag(chunk: &str) -> (char, &str) {
    // seqeval (suffix=False): tag = chunk[0]; type = chunk[1:].split('-', 1)[-1] or '_'.
    let mut chars = chunk.chars();
    let tag = chars.next().unwrap_or('O');
    let rest = chars.as_str();
    let kind = match rest.split_once('-') {
        Some((_, after)) => after,
        None => rest,
    };
    (tag, if kind.is_empty() { "_" } else { kind })
}

fn end_of_chunk(prev_tag: char, tag: char, prev_type: &str, kind: &str) -> bool {
    matches!(prev_tag, 'E' | 'S')
        || (matches!(prev_tag, 'B' | 'I') && matches!(tag, 'B' | 'S' | 'O'))
        || (prev_tag != 'O' && prev_tag != '.' && prev_type != kind)
}

fn start_of_chunk(prev_tag: char, tag: char, prev_type: &str, kind: &str) -> bool {
    matches!(tag, 'B' | 'S')
        || (matches!(prev_tag, 'E' | 'S' | 'O') && matches!(tag, 'E' | 'I'))
        || (tag != 'O' && tag != '.' && prev_type != kind)
}

/// seqeval 1.2.2's `get_entities` for one sentence (IOB2, non-strict: an `I-` after `O`
/// starts an entity, a type change ends one).
pub fn entities(tags: &[String]) -> Vec<Entity> {
    let mut out = Vec::new();
    let mut prev_tag = 'O';
    let mut prev_type = String::new();
    let mut begin = 0usize;
    let sentinel = "O".to_string();
    for (i, chunk) in tags.iter().chain(std::iter::once(&sentinel)).enumerate() {
        let (tag, kind) = split_tag(chunk);
        if end_of_chunk(prev_tag, tag, &prev_type, kind) {
            out.push(Entity {
                kind: prev_type.clone(),
                start: begin,
                end: i - 1,
            });
        }
        if start_of_chunk(prev_tag, tag, &prev_type, kind) {
            begin = i;
        }
        prev_tag = tag;
        prev_type = kind.to_string();
    }
    out
}

/// Per-sentence NER counts; they sum exactly to seqeval's corpus figures because seqeval
/// separates sentences with an `O`, so no entity crosses a sentence boundary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SentenceCounts {
    /// Tokens whose predicted tag equals gold.
    pub tokens_correct: usize,
    /// Tokens in the sentence.
    pub tokens: usize,
    /// Per entity type: (true positives, predicted, gold).
    pub by_type: BTreeMap<String, (usize, usize, usize)>,
}

impl SentenceCounts {
    /// Micro totals over types: (true positives, predicted, gold).
    pub fn micro(&self) -> (usize, usize, usize) {
        self.by_type
            .values()
            .fold((0, 0, 0), |a, b| (a.0 + b.0, a.1 + b.1, a.2 + b.2))
    }

    /// Adds another sentence's counts into this one.
    pub fn add(&mut self, other: &SentenceCounts) {
        self.tokens_correct += other.tokens_correct;
        self.tokens += other.tokens;
        for (k, v) in &other.by_type {
            let e = self.by_type.entry(k.clone()).or_default();
            e.0 += v.0;
            e.1 += v.1;
            e.2 += v.2;
        }
    }
}

/// seqeval 1.2.2 over a whole corpus, as upstream's eval.py calls it (`f1_score(gold, pred)` on
/// lists of sentences): the sentences are joined with an `O` after each and entities found in
/// one pass. For B/I/O/E/S tags that equals [`sentence_counts`] per sentence; a tag outside them
/// (`X`) neither starts nor ends an entity, so the previous start and type carry over, across
/// sentences too. Each entity is counted in the sentence where it ends, so the sums over
/// sentences are exactly seqeval's. The caller guarantees equal lengths per sentence.
pub fn corpus_sentence_counts(gold: &[Vec<String>], pred: &[Vec<String>]) -> Vec<SentenceCounts> {
    let mut out: Vec<SentenceCounts> = gold
        .iter()
        .zip(pred)
        .map(|(g, p)| SentenceCounts {
            tokens_correct: g.iter().zip(p).filter(|(a, b)| a == b).count(),
            tokens: g.len(),
            by_type: BTreeMap::new(),
        })
        .collect();
    // Flat position -> sentence; the separating `O` belongs to the sentence before it.
    let mut sentence_at = Vec::new();
    for (s, g) in gold.iter().enumerate() {
        sentence_at.extend(std::iter::repeat_n(s, g.len() + 1));
    }
    let flat = |seqs: &[Vec<String>]| -> Vec<String> {
        let sep = "O".to_string();
        seqs.iter()
            .flat_map(|s| s.iter().chain(std::iter::once(&sep)).cloned())
            .collect()
    };
    let g: std::collections::HashSet<Entity> = entities(&flat(gold)).into_iter().collect();
    let p: std::collections::HashSet<Entity> = entities(&flat(pred)).into_iter().collect();
    let mut count = |e: &Entity, slot: usize| {
        let s = sentence_at[e.end.min(sentence_at.len() - 1)];
        let c = out[s].by_type.entry(e.kind.clone()).or_default();
        match slot {
            0 => c.0 += 1,
            1 => c.1 += 1,
            _ => c.2 += 1,
        }
    };
    for e in &g {
        count(e, 2);
        if p.contains(e) {
            count(e, 0);
        }
    }
    for e in &p {
        count(e, 1);
    }
    out
}

/// Counts one sentence. The caller guarantees equal lengths (checked when files are read).
pub fn sentence_counts(gold: &[String], pred: &[String]) -> SentenceCounts {
    let mut c = SentenceCounts {
        tokens_correct: gold.iter().zip(pred).filter(|(g, p)| g == p).count(),
        tokens: gold.len(),
        by_type: BTreeMap::new(),
    };
    let g = entities(gold);
    let p = entities(pred);
    for e in &g {
        c.by_type.entry(e.kind.clone()).or_default().2 += 1;
        if p.contains(e) {
            c.by_type.entry(e.kind.clone()).or_default().0 += 1;
        }
    }
    for e in &p {
        c.by_type.entry(e.kind.clone()).or_default().1 += 1;
    }
    c
}

/// Precision, recall and F1 from counts; a zero denominator gives 0, as seqeval does.
pub fn prf(tp: usize, predicted: usize, gold: usize) -> (f64, f64, f64) {
    let p = if predicted == 0 {
        0.0
    } else {
        tp as f64 / predicted as f64
    };
    let r = if gold == 0 {
        0.0
    } else {
        tp as f64 / gold as f64
    };
    let f = if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    };
    (p, r, f)
}

/// Percentage helper: `num / den * 100`, 0 when `den` is 0.
pub fn percent(num: usize, den: usize) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64 * 100.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn spans(s: &str) -> Vec<(String, usize, usize)> {
        entities(&tags(s))
            .into_iter()
            .map(|e| (e.kind, e.start, e.end))
            .collect()
    }

    #[test]
    fn iob2_entities_like_seqeval() {
        // seqeval.metrics.sequence_labeling.get_entities(['B-PER','I-PER','O','B-LOC'])
        // == [('PER', 0, 1), ('LOC', 3, 3)]
        assert_eq!(
            spans("B-PER I-PER O B-LOC"),
            vec![("PER".into(), 0, 1), ("LOC".into(), 3, 3)]
        );
        // Non-strict: an I- after O starts an entity; a type change splits.
        assert_eq!(
            spans("O I-ADR I-ADR I-DI"),
            vec![("ADR".into(), 1, 2), ("DI".into(), 3, 3)]
        );
        // B after B ends the first entity.
        assert_eq!(
            spans("B-X B-X"),
            vec![("X".into(), 0, 0), ("X".into(), 1, 1)]
        );
        // A bare tag has type '_'; hyphenated types keep everything after the first '-'.
        assert_eq!(spans("B"), vec![("_".into(), 0, 0)]);
        assert_eq!(spans("B-A-B I-A-B"), vec![("A-B".into(), 0, 1)]);
        assert!(spans("O O").is_empty());
    }

    #[test]
    fn sentence_counts_and_f1() {
        let g = tags("B-ADR I-ADR O B-DI");
        let p = tags("B-ADR I-ADR O O");
        let c = sentence_counts(&g, &p);
        assert_eq!((c.tokens_correct, c.tokens), (3, 4));
        assert_eq!(c.micro(), (1, 1, 2));
        let (pr, re, f) = prf(1, 1, 2);
        assert_eq!((pr, re), (1.0, 0.5));
        assert!((f - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(prf(0, 0, 0), (0.0, 0.0, 0.0));
    }

    #[test]
    fn hit3_and_top1() {
        let r: Vec<String> = tags("A B C");
        assert_eq!(
            class_outcome("B", &r),
            ClassOutcome {
                top1: false,
                hit3: true
            }
        );
        assert!(class_outcome("A", &r).top1);
        assert!(!class_outcome("D", &r).hit3);
        assert!(!class_outcome("A", &[]).top1);
        // eval.py: `gold in set(prediction)` over the whole list, a fourth label too.
        assert!(class_outcome("D", &tags("A B C D")).hit3);
    }

    #[test]
    fn corpus_counts_equal_sentence_counts_for_iob2_and_carry_over_otherwise() {
        let g = vec![tags("B-A I-A O"), tags("O B-B I-B"), tags("B-A")];
        let p = vec![tags("B-A O O"), tags("O B-B I-B"), tags("I-A")];
        let corpus = corpus_sentence_counts(&g, &p);
        let each: Vec<_> = g
            .iter()
            .zip(&p)
            .map(|(a, b)| sentence_counts(a, b))
            .collect();
        assert_eq!(corpus, each);
        // seqeval 1.2.2: f1_score([['B-A','I-A'],['X','B-A']], [['O','B-A'],['X','B-A']])
        // = 0.3333 (tp 1, predicted 3, gold 3): `X` carries the start over.
        let mut total = SentenceCounts::default();
        for c in corpus_sentence_counts(
            &[tags("B-A I-A"), tags("X B-A")],
            &[tags("O B-A"), tags("X B-A")],
        ) {
            total.add(&c);
        }
        assert_eq!(total.micro(), (1, 3, 3));
    }
}
