//! MinHash signatures over shingle hashes.
//!
//! Permutation `i` is approximated by the multiply-add-shift hash
//! `h_i(x) = (a_i·x + b_i) >> 32` over the 64-bit shingle hash (with `a_i` odd,
//! so `x ↦ a_i·x + b_i` is a bijection of the 64-bit words), keeping the high 32
//! bits. The coefficients come from a fixed seed through SplitMix64, so a
//! signature is the same on every run and every machine.

/// The seed the default coefficients are drawn from. Changing it changes every
/// signature, so stored indices would no longer match.
pub const DEFAULT_SEED: u64 = 0x5EED_5D7C_0000_0001;

/// A MinHash signature: the minimum of each permutation over the set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature(Box<[u32]>);

impl Signature {
    /// Wraps raw minima (e.g. read back from storage).
    pub fn from_values(values: Vec<u32>) -> Self {
        Signature(values.into_boxed_slice())
    }

    /// The minima, one per permutation.
    pub fn values(&self) -> &[u32] {
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
    pub fn jaccard(&self, other: &Signature) -> f64 {
        if self.0.len() != other.0.len() || self.0.is_empty() {
            return 0.0;
        }
        let equal = self
            .0
            .iter()
            .zip(other.0.iter())
            .filter(|(a, b)| a == b)
            .count();
        equal as f64 / self.0.len() as f64
    }
}

/// Computes signatures with a fixed family of permutations.
#[derive(Debug, Clone)]
pub struct MinHasher {
    a: Box<[u64]>,
    b: Box<[u64]>,
}

impl MinHasher {
    /// `permutations` hash functions drawn from [`DEFAULT_SEED`].
    pub fn new(permutations: usize) -> Self {
        Self::with_seed(permutations, DEFAULT_SEED)
    }

    /// `permutations` hash functions drawn from `seed`.
    pub fn with_seed(permutations: usize, seed: u64) -> Self {
        let mut state = seed;
        let mut a = Vec::with_capacity(permutations);
        let mut b = Vec::with_capacity(permutations);
        for _ in 0..permutations {
            a.push(splitmix64(&mut state) | 1);
            b.push(splitmix64(&mut state));
        }
        MinHasher {
            a: a.into_boxed_slice(),
            b: b.into_boxed_slice(),
        }
    }

    /// Number of permutations.
    pub fn permutations(&self) -> usize {
        self.a.len()
    }

    /// The signature of a set of shingle hashes (duplicates are harmless).
    /// The empty set gets all `u32::MAX`, which estimates 1 against another
    /// empty set: callers reject empty documents before comparing.
    pub fn signature(&self, hashes: &[u64]) -> Signature {
        let mut mins = vec![u32::MAX; self.a.len()];
        for &x in hashes {
            for ((m, &a), &b) in mins.iter_mut().zip(self.a.iter()).zip(self.b.iter()) {
                let h = (a.wrapping_mul(x).wrapping_add(b) >> 32) as u32;
                if h < *m {
                    *m = h;
                }
            }
        }
        Signature(mins.into_boxed_slice())
    }
}

/// SplitMix64: a tiny, well-mixed generator for the coefficients.
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
