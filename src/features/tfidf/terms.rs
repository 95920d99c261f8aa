//! The vocabulary in feature-index order: packed keys or a string arena.

use super::packed::{CharSet, Packer};
use super::table::{fx_hash, mix64, Slots};

/// Terms concatenated into one string with end offsets: one allocation
/// instead of one per term.
#[derive(Debug, Clone, Default)]
pub(super) struct Arena {
    pub(super) text: String,
    pub(super) ends: Vec<usize>,
}

impl Arena {
    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(super) fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }

    pub(super) fn push(&mut self, term: &str) {
        self.text.push_str(term);
        self.ends.push(self.text.len());
    }
}

/// The vocabulary in feature-index order.
#[derive(Debug, Clone)]
pub(super) enum Terms {
    /// Packed n-gram keys, strictly increasing (see the module docs).
    Packed { packer: Packer, keys: Vec<u64> },
    /// Plain strings, strictly increasing.
    Strings(Arena),
    /// No vocabulary: `2^bits` hashed columns.
    Hashed { bits: u8 },
}

impl Terms {
    pub(super) fn len(&self) -> usize {
        match self {
            Terms::Packed { keys, .. } => keys.len(),
            Terms::Strings(a) => a.len(),
            Terms::Hashed { bits } => 1 << bits,
        }
    }

    /// Appends term `i` to `out`.
    pub(super) fn write_term(&self, i: usize, out: &mut String) {
        match self {
            Terms::Packed { packer, keys } => packer.decode_into(keys[i], out),
            Terms::Strings(a) => out.push_str(a.get(i)),
            Terms::Hashed { .. } => out.push_str(&format!("#{i}")),
        }
    }

    pub(super) fn build_index(&self) -> Slots {
        match self {
            Terms::Packed { keys, .. } => Slots::build(keys.len(), |i| mix64(keys[i])),
            Terms::Strings(a) => Slots::build(a.len(), |i| fx_hash(a.get(i))),
            Terms::Hashed { .. } => Slots::default(),
        }
    }
}

/// Packs a loaded, sorted vocabulary into keys when its characters allow.
pub(super) fn pack_terms(vocab: &Arena, ngram_max: usize) -> Option<(Packer, Vec<u64>)> {
    let mut seen = CharSet::default();
    let mut longest = 0;
    for i in 0..vocab.len() {
        let t = vocab.get(i);
        let mut n = 0;
        for c in t.chars() {
            seen.insert(c);
            n += 1;
        }
        longest = longest.max(n);
    }
    let packer = Packer::new(seen.chars(), ngram_max.max(longest))?;
    let keys = (0..vocab.len())
        .map(|i| packer.pack(vocab.get(i)))
        .collect::<Option<Vec<u64>>>()?;
    Some((packer, keys))
}
