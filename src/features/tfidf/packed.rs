//! Packed n-gram keys: the corpus alphabet and the packer that turns n-grams into `u64` keys.

use rayon::prelude::*;

/// A set of code points (a bitmap over all of Unicode, 136 KiB).
#[derive(Clone)]
pub(super) struct CharSet(Vec<u64>);

impl Default for CharSet {
    fn default() -> Self {
        CharSet(vec![0; (char::MAX as usize + 1).div_ceil(64)])
    }
}

impl CharSet {
    pub(super) fn insert(&mut self, c: char) {
        let u = c as usize;
        self.0[u / 64] |= 1 << (u % 64);
    }

    pub(super) fn union(mut self, other: CharSet) -> CharSet {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a |= b;
        }
        self
    }

    /// The members in code point order.
    pub(super) fn chars(&self) -> Vec<char> {
        let mut out = Vec::new();
        for (w, &bits) in self.0.iter().enumerate() {
            let mut b = bits;
            while b != 0 {
                let u = w * 64 + b.trailing_zeros() as usize;
                out.extend(char::from_u32(u as u32));
                b &= b - 1;
            }
        }
        out
    }
}

/// The distinct characters of `docs`, in code point order.
pub(super) fn alphabet(docs: &[String]) -> Vec<char> {
    docs.par_iter()
        .fold(CharSet::default, |mut set, d| {
            for c in d.chars() {
                set.insert(c);
            }
            set
        })
        .reduce(CharSet::default, CharSet::union)
        .chars()
}

/// Maps characters to ids `1..=K` in code point order and packs up to
/// `64 / bits` of them into a `u64` key, first character in the highest bits.
#[derive(Debug, Clone)]
pub(super) struct Packer {
    /// The alphabet in code point order; character `chars[i]` has id `i + 1`.
    pub(super) chars: Vec<char>,
    /// Bits per character id.
    pub(super) bits: u32,
    /// Ids of code points below [`DIRECT`] (0 = not in the alphabet): Latin,
    /// Greek and Cyrillic text never needs the binary search.
    pub(super) direct: Vec<u32>,
}

pub(super) const DIRECT: usize = 0x500;

impl Packer {
    /// A packer for n-grams of up to `max_len` characters over `chars`
    /// (sorted, distinct), or `None` if they do not fit in 64 bits.
    pub(super) fn new(chars: Vec<char>, max_len: usize) -> Option<Packer> {
        if chars.is_empty() {
            return None;
        }
        let bits = u32::BITS - (chars.len() as u32).leading_zeros();
        if (bits as usize).checked_mul(max_len)? > 64 {
            return None;
        }
        let mut direct = vec![0u32; DIRECT];
        for (i, &c) in chars.iter().enumerate() {
            if (c as usize) < DIRECT {
                direct[c as usize] = i as u32 + 1;
            }
        }
        Some(Packer {
            chars,
            bits,
            direct,
        })
    }

    /// The id of `c`, 0 if it is not in the alphabet.
    #[inline]
    pub(super) fn id(&self, c: char) -> u32 {
        match self.direct.get(c as usize) {
            Some(&id) => id,
            None => self.chars.binary_search(&c).map_or(0, |p| p as u32 + 1),
        }
    }

    /// Appends the key of every window of `min..=max` ids that holds no 0
    /// (a character outside the alphabet, so an n-gram never seen in
    /// training).
    #[inline]
    pub(super) fn window_keys(&self, ids: &[u32], min: usize, max: usize, out: &mut Vec<u64>) {
        for i in 0..ids.len() {
            let mut key = 0u64;
            let mut shift = 64;
            for (n, &id) in ids[i..ids.len().min(i + max)].iter().enumerate() {
                if id == 0 {
                    break;
                }
                shift -= self.bits;
                key |= (id as u64) << shift;
                if n + 1 >= min {
                    out.push(key);
                }
            }
        }
    }

    /// Appends the keys of a padded word's n-grams as `char_wb` counts them:
    /// its windows of `min..=max` ids, except that once `n` reaches the word's
    /// length the whole word is one n-gram and longer ones are not tried.
    /// Windows holding a 0 (a character outside the alphabet) are skipped.
    pub(super) fn word_keys(&self, ids: &[u32], min: usize, max: usize, out: &mut Vec<u64>) {
        let key = |w: &[u32]| -> Option<u64> {
            let mut key = 0u64;
            let mut shift = 64;
            for &id in w {
                if id == 0 {
                    return None;
                }
                shift -= self.bits;
                key |= (id as u64) << shift;
            }
            Some(key)
        };
        for n in min..=max {
            if n >= ids.len() {
                out.extend(key(ids));
                return;
            }
            out.extend(ids.windows(n).filter_map(key));
        }
    }

    /// The key of `term`, or `None` if it is empty, too long or holds a
    /// character outside the alphabet.
    pub(super) fn pack(&self, term: &str) -> Option<u64> {
        let mut key = 0u64;
        let mut shift = 64u32;
        for c in term.chars() {
            let id = self.id(c);
            if id == 0 || shift < self.bits {
                return None;
            }
            shift -= self.bits;
            key |= (id as u64) << shift;
        }
        (shift < 64).then_some(key)
    }

    /// Appends the characters of `key` to `out`.
    pub(super) fn decode_into(&self, key: u64, out: &mut String) {
        let mask = (1u64 << self.bits) - 1;
        let mut shift = 64;
        while shift >= self.bits {
            shift -= self.bits;
            let id = ((key >> shift) & mask) as usize;
            if id == 0 {
                break;
            }
            out.push(self.chars[id - 1]);
        }
    }
}
