//! The one random number generator of the crate: bootstrap replicates and the solvers'
//! coordinate shuffles draw from it, so results never change with a dependency's version.

/// SplitMix64 (Steele, Lea and Flood 2014; the reference `splitmix64.c` of Vigna): a tiny
/// generator whose output is pinned by a test vector, so intervals never change with a
/// dependency's version.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix64 {
    state: u64,
}

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl SplitMix64 {
    /// A generator whose first output is `mix(seed + golden)`, as the reference code.
    pub(crate) fn new(seed: u64) -> Self {
        Self { state: seed }
    }

    /// The stream of one replicate of one task: the seed, replicate index and task key are
    /// folded through the mixer so that neighbouring replicates get unrelated streams.
    pub(crate) fn stream(seed: u64, replicate: u64, task: u64) -> Self {
        let mut s = mix(seed.wrapping_add(GOLDEN));
        s = mix(s ^ replicate.wrapping_mul(GOLDEN).wrapping_add(1));
        s = mix(s ^ task);
        Self::new(s)
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN);
        mix(self.state)
    }

    /// A uniform integer in `0..n` (`n > 0`), without modulo bias (Lemire 2019).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        let mut m = u128::from(self.next_u64()) * u128::from(n);
        if (m as u64) < n {
            let threshold = n.wrapping_neg() % n;
            while (m as u64) < threshold {
                m = u128::from(self.next_u64()) * u128::from(n);
            }
        }
        (m >> 64) as u64
    }

    /// An integer in `0..n` (`n > 0`) as `next % n`: the draw of the solvers' coordinate
    /// shuffles (liblinear's own), kept so their orders, and so the models, never change. The
    /// bias is below 2^-40 for any realistic document count.
    pub(crate) fn below_modulo(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}
