//! A fast hasher for hash maps whose keys are already hashes (band keys,
//! segment and shingle hashes) or small integers (document handles).
//!
//! The standard library's SipHash defends against adversarial keys; these
//! keys are xxh3 outputs or counters chosen by the index, so a multiply-xorshift
//! mix is enough and several times faster. Byte strings (article ids) go
//! through xxh3.

use std::hash::{BuildHasherDefault, Hasher};

use xxhash_rust::xxh3::xxh3_64_with_seed;

/// The hasher; see the module docs.
#[derive(Debug, Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0 = xxh3_64_with_seed(bytes, self.0);
    }

    fn write_u64(&mut self, x: u64) {
        let h = (self.0 ^ x).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = h ^ (h >> 29);
    }

    fn write_u32(&mut self, x: u32) {
        self.write_u64(u64::from(x));
    }

    fn write_u8(&mut self, x: u8) {
        self.write_u64(u64::from(x));
    }

    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
}

/// `BuildHasher` for [`KeyHasher`].
pub type KeyHash = BuildHasherDefault<KeyHasher>;

#[cfg(test)]
mod tests {
    use super::KeyHash;
    use std::hash::BuildHasher;

    #[test]
    fn spreads_small_integers_over_high_and_low_bits() {
        let b = KeyHash::default();
        let hs: Vec<u64> = (0u64..64).map(|i| b.hash_one(i)).collect();
        let high: std::collections::HashSet<u64> = hs.iter().map(|h| h >> 58).collect();
        let low: std::collections::HashSet<u64> = hs.iter().map(|h| h & 63).collect();
        assert!(
            high.len() > 20 && low.len() > 20,
            "{} {}",
            high.len(),
            low.len()
        );
        assert_ne!(b.hash_one("a"), b.hash_one("b"));
    }
}
