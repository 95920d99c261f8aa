//! Class-partitioned training (`api::distributed`): hashed document frequencies that merge,
//! blocks of classes fitted alone, and their assembly into the model one whole fit gives,
//! byte for byte, on both solver routes (Gram: few long texts; primal: many short ones).

use rumedbench::api::{ClassBlock, HashedDocFreq};
use rumedbench::{Error, TextClassifierParams};

const WORDS: [&str; 16] = [
    "кашель",
    "насморк",
    "изжога",
    "боль",
    "горло",
    "живот",
    "тошнота",
    "сыпь",
    "зуд",
    "одышка",
    "жар",
    "слабость",
    "головокружение",
    "отёк",
    "спина",
    "сустав",
];

/// `n` texts of `len` words and labels among `k` classes, from a fixed LCG; the label leans
/// on the first word so the problems are learnable.
fn corpus(n: usize, len: usize, k: usize, seed: u64) -> (Vec<String>, Vec<String>) {
    let mut s = seed;
    let mut next = move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 33) as usize
    };
    let mut texts = Vec::new();
    let mut labels = Vec::new();
    for i in 0..n {
        let words: Vec<&str> = (0..len).map(|_| WORDS[next() % WORDS.len()]).collect();
        let class = if i < k {
            i
        } else {
            (next() % 4 + WORDS.iter().position(|w| *w == words[0]).unwrap()) % k
        };
        texts.push(words.join(" "));
        labels.push(format!("C{class:02}"));
    }
    (texts, labels)
}

fn df_in_batches(p: &TextClassifierParams, texts: &[String], batches: usize) -> HashedDocFreq {
    let per = texts.len().div_ceil(batches);
    let mut parts: Vec<HashedDocFreq> = texts.chunks(per).map(|c| p.doc_freq(c).unwrap()).collect();
    // Merged in reverse order: the sum does not depend on it.
    let mut df = parts.pop().unwrap();
    while let Some(q) = parts.pop() {
        df.merge(&q).unwrap();
    }
    df
}

fn blocks_of(
    p: &TextClassifierParams,
    texts: &[String],
    labels: &[String],
    df: &HashedDocFreq,
    n: usize,
) -> Vec<ClassBlock> {
    // Through bytes and in reverse order, as an engine hands them back.
    (0..n)
        .rev()
        .map(|b| {
            let bytes = p
                .fit_block(texts, labels, df, b, n)
                .unwrap()
                .to_bytes()
                .unwrap();
            ClassBlock::from_bytes(&bytes).unwrap()
        })
        .collect()
}

fn check_equal_to_whole_fit(p: &TextClassifierParams, texts: &[String], labels: &[String]) {
    let whole = p.fit(texts, labels).unwrap();
    let df = df_in_batches(p, texts, 3);
    assert_eq!(
        df,
        p.doc_freq(texts).unwrap(),
        "merged counts = counts of the union"
    );
    let n_classes = whole.classes().len();
    for n in [1, 2, 3, n_classes] {
        let model = p
            .assemble(&df, blocks_of(p, texts, labels, &df, n))
            .unwrap();
        assert_eq!(model.classes(), whole.classes());
        assert_eq!(
            model.to_bytes().unwrap(),
            whole.to_bytes().unwrap(),
            "{n} blocks: the assembled model file differs from the whole fit's"
        );
    }
}

#[test]
fn gram_route_blocks_assemble_into_the_whole_fit() {
    // Few rows, many non-zeros each: the Gram route.
    let (texts, labels) = corpus(40, 30, 7, 1);
    let p = TextClassifierParams::default().hash_features(Some(14));
    check_equal_to_whole_fit(&p, &texts, &labels);
    let balanced = p.clone().class_weight_balanced(true).c(2.0).seed(5);
    check_equal_to_whole_fit(&balanced, &texts, &labels);
}

#[test]
fn primal_route_blocks_assemble_into_the_whole_fit() {
    // Many short rows: the primal (folded) route, whose weight blocks are regrouped.
    let (texts, labels) = corpus(400, 1, 20, 2);
    let p = TextClassifierParams::default()
        .hash_features(Some(12))
        .ngram_range(2, 4);
    check_equal_to_whole_fit(&p, &texts, &labels);
}

#[test]
fn multi_label_pair_blocks_assemble_into_the_whole_fit() {
    let (texts, labels) = corpus(30, 12, 5, 3);
    let pairs: Vec<(String, String)> = texts
        .iter()
        .map(|t| (t.clone(), "жалобы".to_string()))
        .collect();
    let sets: Vec<Vec<String>> = labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            if i % 3 == 0 {
                vec![l.clone(), "C09".to_string()]
            } else {
                vec![l.clone()]
            }
        })
        .collect();
    let p = TextClassifierParams::default()
        .hash_features(Some(13))
        .threshold(0.3);
    let whole = p.fit_multi_pairs(&pairs, &sets).unwrap();
    let df = p.doc_freq_pairs(&pairs).unwrap();
    let blocks = (0..4)
        .map(|b| p.fit_multi_block_pairs(&pairs, &sets, &df, b, 4).unwrap())
        .collect();
    let model = p.assemble(&df, blocks).unwrap();
    assert!(model.is_multi_label() && model.is_pair());
    assert_eq!(model.to_bytes().unwrap(), whole.to_bytes().unwrap());
}

#[test]
fn refusals_name_what_is_wrong() {
    let (texts, labels) = corpus(20, 10, 4, 4);
    let unhashed = TextClassifierParams::default();
    match unhashed.doc_freq(&texts) {
        Err(Error::Param { name, .. }) => assert_eq!(name, "hash_features"),
        other => panic!("expected a Param error, got {other:?}"),
    }
    let p = TextClassifierParams::default().hash_features(Some(10));
    let df = p.doc_freq(&texts).unwrap();
    let e = unhashed.fit_block(&texts, &labels, &df, 0, 2).unwrap_err();
    assert!(
        matches!(&e, Error::Param { name, .. } if name == "hash_features"),
        "{e}"
    );
    // More blocks than problems.
    let e = p.fit_block(&texts, &labels, &df, 0, 5).unwrap_err();
    assert!(
        matches!(&e, Error::Param { name, .. } if name == "class_blocks"),
        "{e}"
    );
    // Counts over other columns, or of another training set.
    let other = TextClassifierParams::default().hash_features(Some(11));
    let e = p
        .fit_block(&texts, &labels, &other.doc_freq(&texts).unwrap(), 0, 2)
        .unwrap_err();
    assert!(e.to_string().contains("2^11"), "{e}");
    let e = p
        .fit_block(&texts, &labels, &p.doc_freq(&texts[1..]).unwrap(), 0, 2)
        .unwrap_err();
    assert!(e.to_string().contains("19 documents"), "{e}");
    let mut merged = df.clone();
    assert!(merged.merge(&other.doc_freq(&texts).unwrap()).is_err());
    // A missing or repeated block.
    let b0 = || p.fit_block(&texts, &labels, &df, 0, 2).unwrap();
    let e = p.assemble(&df, vec![b0()]).unwrap_err();
    assert!(e.to_string().contains("1 of 2 class blocks"), "{e}");
    let e = p.assemble(&df, vec![b0(), b0()]).unwrap_err();
    assert!(e.to_string().contains("missing, repeated"), "{e}");
    // Bytes that are not a block.
    let e = ClassBlock::from_bytes(b"PK\x03\x04 not a block").unwrap_err();
    assert!(e.to_string().contains("not class block bytes"), "{e}");
    let e = HashedDocFreq::from_bytes(&df.to_bytes().unwrap()[..20]).unwrap_err();
    assert!(
        e.to_string().contains("corrupt document frequencies"),
        "{e}"
    );
}
