//! The set of shingles known as site furniture, with a bitmap in front: an
//! article asks about each of its hundreds of shingles, and almost all are
//! not furniture, which one bit test answers without touching the set.

use std::collections::HashSet;

use crate::core::fasthash::KeyHash;

/// Bits of the filter: 2^20 bits (128 KiB), indexed by the shingle's high
/// bits (the low bits pick hash-set buckets).
const FILTER_BITS: u32 = 20;

/// Furniture shingles (low 32-bit halves of shingle hashes).
#[derive(Debug)]
pub(crate) struct FurnitureSet {
    set: HashSet<u32, KeyHash>,
    filter: Box<[u64]>,
}

impl Default for FurnitureSet {
    fn default() -> Self {
        FurnitureSet {
            set: HashSet::default(),
            filter: vec![0u64; 1 << (FILTER_BITS - 6)].into_boxed_slice(),
        }
    }
}

fn bit(shingle: u32) -> (usize, u64) {
    let b = shingle >> (32 - FILTER_BITS);
    ((b >> 6) as usize, 1u64 << (b & 63))
}

impl FurnitureSet {
    /// Whether `shingle` is furniture.
    pub(crate) fn contains(&self, shingle: u32) -> bool {
        let (word, mask) = bit(shingle);
        self.filter[word] & mask != 0 && self.set.contains(&shingle)
    }

    /// Adds shingles.
    pub(crate) fn extend(&mut self, shingles: impl IntoIterator<Item = u32>) {
        for s in shingles {
            let (word, mask) = bit(s);
            self.filter[word] |= mask;
            self.set.insert(s);
        }
    }

    /// How many shingles are furniture.
    pub(crate) fn len(&self) -> usize {
        self.set.len()
    }

    /// Whether no shingle is.
    pub(crate) fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// Every furniture shingle.
    pub(crate) fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.set.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::FurnitureSet;

    #[test]
    fn answers_as_the_set_does() {
        let mut f = FurnitureSet::default();
        let members: Vec<u32> = (0..5000u32).map(|i| i.wrapping_mul(0x9E37_79B9)).collect();
        f.extend(members.iter().copied());
        assert_eq!(f.len(), 5000);
        assert!(members.iter().all(|m| f.contains(*m)));
        let outsiders = (0..200_000u32).map(|i| i.wrapping_mul(0x85EB_CA6B) ^ 0x5555);
        for o in outsiders {
            assert_eq!(f.contains(o), members.contains(&o));
        }
    }
}
