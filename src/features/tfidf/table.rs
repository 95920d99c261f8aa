//! The hash table of the vocabulary lookup: an Fx hasher and open-addressed slots.

use std::hash::BuildHasherDefault;
use std::hash::Hash;
use std::hash::Hasher;

/// FxHash (the rustc hasher): a multiply-rotate hash that is much faster
/// than SipHash on short keys. Hash values never influence feature indices
/// (those come from the sorted vocabulary), so its exact output is free to
/// change; it only has to be fast.
#[derive(Default, Clone, Copy)]
pub(super) struct FxHasher {
    pub(super) hash: u64,
}

pub(super) const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    pub(super) fn add(&mut self, w: u64) {
        self.hash = (self.hash.rotate_left(5) ^ w).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        // The multiply leaves the low bits weak; rotating brings strong high
        // bits down to where hash tables take their bucket index.
        self.hash.rotate_left(26)
    }
}

pub(super) type FxBuild = BuildHasherDefault<FxHasher>;

pub(super) fn fx_hash(s: &str) -> u64 {
    let mut h = FxHasher::default();
    s.hash(&mut h);
    h.finish()
}

/// MurmurHash3's 64-bit finaliser. Packed keys of short n-grams have all
/// their information in the high bits, so a hash that only multiplies would
/// leave the low bits (the bucket index) constant; this mixes every bit into
/// every other.
#[inline]
pub(super) fn mix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// Open-addressing table of vocabulary ids; it stores only `u32` slots
/// (about 8 bytes per term) and compares against the vocabulary itself, so
/// a lookup is one hash plus usually one comparison.
#[derive(Debug, Clone, Default)]
pub(super) struct Slots {
    pub(super) slots: Vec<u32>,
    pub(super) mask: usize,
}

pub(super) const EMPTY: u32 = u32::MAX;

impl Slots {
    /// A table of ids `0..n`, id `i` hashed by `hash(i)`.
    pub(super) fn build(n: usize, hash: impl Fn(usize) -> u64) -> Self {
        let cap = (n * 2).next_power_of_two().max(16);
        let mask = cap - 1;
        let mut slots = vec![EMPTY; cap];
        for i in 0..n {
            let mut h = hash(i) as usize & mask;
            while slots[h] != EMPTY {
                h = (h + 1) & mask;
            }
            slots[h] = i as u32;
        }
        Slots { slots, mask }
    }

    /// The id whose hash is `h` and for which `eq` holds.
    #[inline]
    pub(super) fn find(&self, h: u64, eq: impl Fn(u32) -> bool) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mut h = h as usize & self.mask;
        loop {
            let id = self.slots[h];
            if id == EMPTY {
                return None;
            }
            if eq(id) {
                return Some(id);
            }
            h = (h + 1) & self.mask;
        }
    }
}
