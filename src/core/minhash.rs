//! MinHash signatures over shingle hashes, by one-permutation hashing with
//! optimal densification (see [`MinHasher`]), each minimum kept to its top
//! [`VALUE_BITS`] bits (b-bit MinHash). Everything derives from a fixed seed,
//! so a signature is the same on every run and every machine.

/// The seed the default coefficients are drawn from. Changing it changes every
/// signature, so stored indices would no longer match.
pub const DEFAULT_SEED: u64 = 0x5EED_5D7C_0000_0001;

/// Bits kept of each minimum.
///
/// A held article keeps its signature, so its width is memory: 16 bits is
/// 256 bytes at 128 permutations instead of 512. Two minima that differ
/// agree on their top 16 bits with probability 2^-16 (b-bit MinHash, Li and
/// König 2010), far below what an estimate resolves (see
/// [`Signature::jaccard`]); a band of two values still has 32 bits to tell
/// buckets apart.
pub const VALUE_BITS: u32 = 16;

/// A MinHash signature: the top [`VALUE_BITS`] bits of the minimum of each
/// permutation over the set.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Signature(Box<[u16]>);

impl Signature {
    /// Wraps raw minima (e.g. read back from storage).
    pub fn from_values(values: Vec<u16>) -> Self {
        Signature(values.into_boxed_slice())
    }

    /// The minima, one per permutation.
    pub fn values(&self) -> &[u16] {
        &self.0
    }

    /// Number of permutations.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for a zero-permutation signature.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The estimated Jaccard resemblance: the share of permutations whose
    /// minima agree. Signatures of different lengths estimate 0.
    ///
    /// Minima that differ agree in [`VALUE_BITS`] bits with probability
    /// 2^-16, which is not corrected for: it is far below the estimate's
    /// resolution (1/128 at 128 permutations), and a correction would move
    /// estimates that sit exactly on a threshold, such as 32/128 = 0.25,
    /// to just under it.
    pub fn jaccard(&self, other: &Signature) -> f64 {
        self.jaccard_with(&other.0)
    }

    /// [`Signature::jaccard`] against another signature's minima, such as a
    /// store keeps them.
    pub fn jaccard_with(&self, other: &[u16]) -> f64 {
        if self.0.len() != other.len() || self.0.is_empty() {
            return 0.0;
        }
        let equal = self
            .0
            .iter()
            .zip(other.iter())
            .filter(|(a, b)| a == b)
            .count();
        equal as f64 / self.0.len() as f64
    }
}

/// Computes signatures by one-permutation hashing (OPH) with optimal
/// densification (Shrivastava, ICML 2017).
///
/// Each shingle hash is used once: its high 32 bits (scaled) pick one of the
/// `k` bins and its low 32 bits, mixed with the seed, are its value; a bin
/// keeps its smallest value. An empty bin (a set with fewer shingles than
/// bins, or an unlucky one) borrows the value of the first non-empty bin on a
/// fixed pseudo-random probe sequence of its own, the same for every set, so
/// two sets agree in a bin with probability equal to their Jaccard
/// resemblance, as with `k` independent permutations, at `O(n + k)` cost
/// instead of `O(n·k)`.
#[derive(Debug, Clone)]
pub struct MinHasher {
    bins: usize,
    seed: u64,
}

impl MinHasher {
    /// A hasher of `permutations` bins drawn from [`DEFAULT_SEED`].
    pub fn new(permutations: usize) -> Self {
        Self::with_seed(permutations, DEFAULT_SEED)
    }

    /// A hasher of `permutations` bins drawn from `seed`.
    pub fn with_seed(permutations: usize, seed: u64) -> Self {
        let mut state = seed;
        MinHasher {
            bins: permutations,
            seed: splitmix64(&mut state),
        }
    }

    /// Number of bins (the signature length).
    pub fn permutations(&self) -> usize {
        self.bins
    }

    /// The signature of a set of shingle hashes (duplicates are harmless).
    /// The empty set gets all-ones values, which estimates 1 against another
    /// empty set: callers reject empty documents before comparing.
    pub fn signature(&self, hashes: &[u64]) -> Signature {
        let k = self.bins;
        let mut mins = vec![u32::MAX; k];
        let mut filled = vec![false; k];
        let mut placed = [0u64; PLACE_CHUNK];
        for chunk in hashes.chunks(PLACE_CHUNK) {
            let placed = &mut placed[..chunk.len()];
            place(chunk, self.seed, k as u64, placed);
            for &p in placed.iter() {
                let bin = (p >> 32) as usize;
                // Branch-free: which values win is unpredictable.
                mins[bin] = mins[bin].min(p as u32);
                filled[bin] = true;
            }
        }
        if hashes.is_empty() || filled.iter().all(|f| *f) {
            return Signature::keep_top_bits(&mins);
        }
        let sparse = mins.clone();
        for bin in 0..k {
            if filled[bin] {
                continue;
            }
            let mut probe = (bin as u64) << 32 ^ self.seed;
            loop {
                probe = probe.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let from = ((u64::from(mix32((probe >> 32) as u32 ^ probe as u32)) * k as u64)
                    >> 32) as usize;
                if filled[from] {
                    mins[bin] = sparse[from];
                    break;
                }
            }
        }
        Signature::keep_top_bits(&mins)
    }
}

/// Hashes placed at a time by [`place`] (on the stack).
const PLACE_CHUNK: usize = 64;

/// Each hash's bin (high half) and value (low half) in `out`: `x ^ seed`,
/// its high 32 bits scaled to the `k` bins, its low 32 bits mixed. The
/// hashes are independent, so this part vectorizes (compiled per CPU
/// level, see [`crate::core`]), and the loop that keeps each bin's minimum,
/// which cannot, only reads the result.
#[multiversion::multiversion(targets = "simd")]
fn place(hashes: &[u64], seed: u64, k: u64, out: &mut [u64]) {
    for (o, &x) in out.iter_mut().zip(hashes) {
        let x = x ^ seed;
        let bin = ((x >> 32) * k) >> 32;
        *o = (bin << 32) | u64::from(mix32(x as u32));
    }
}

impl Signature {
    /// The signature of full 32-bit minima: the top [`VALUE_BITS`] of each.
    fn keep_top_bits(mins: &[u32]) -> Self {
        Signature(
            mins.iter()
                .map(|m| (m >> (32 - VALUE_BITS)) as u16)
                .collect(),
        )
    }
}

/// A 32-bit finalizer (from MurmurHash3): spreads the value bits.
fn mix32(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85EB_CA6B);
    h ^= h >> 13;
    h = h.wrapping_mul(0xC2B2_AE35);
    h ^ (h >> 16)
}

/// SplitMix64: a tiny, well-mixed generator for the seed.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_sets_agree_everywhere() {
        let m = MinHasher::new(64);
        let s = m.signature(&[1, 2, 3, 99]);
        assert_eq!(s.jaccard(&m.signature(&[99, 3, 2, 1, 1])), 1.0);
    }

    #[test]
    fn disjoint_sets_rarely_agree() {
        let m = MinHasher::new(128);
        let a: Vec<u64> = (0..200).map(|i| i * 7919).collect();
        let b: Vec<u64> = (0..200).map(|i| i * 7919 + 1).collect();
        assert!(m.signature(&a).jaccard(&m.signature(&b)) < 0.05);
    }
}
