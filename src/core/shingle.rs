//! Word shingles: every run of `k` consecutive words, hashed with xxh3.
//!
//! Words are hashed once each; a shingle's hash combines its words' hashes,
//! so no shingle string is ever built.

use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

/// The distinct shingle hashes of one document, sorted ascending.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ShingleSet(Vec<u64>);

impl ShingleSet {
    /// Builds a set from hashes in any order, with duplicates.
    pub fn from_hashes(mut hashes: Vec<u64>) -> Self {
        hashes.sort_unstable();
        hashes.dedup();
        ShingleSet(hashes)
    }

    /// The sorted, distinct hashes.
    pub fn hashes(&self) -> &[u64] {
        &self.0
    }

    /// How many distinct shingles.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when the document produced no shingle (it had no words).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The number of shingles both sets hold.
    pub fn intersection_len(&self, other: &ShingleSet) -> usize {
        sorted_intersection_len(&self.0, &other.0)
    }

    /// Exact Jaccard resemblance |A∩B| / |A∪B| (0 when both are empty).
    pub fn jaccard(&self, other: &ShingleSet) -> f64 {
        let inter = self.intersection_len(other);
        let union = self.len() + other.len() - inter;
        if union == 0 {
            0.0
        } else {
            inter as f64 / union as f64
        }
    }
}

/// The number of values two sorted, duplicate-free slices share (a merge).
pub fn sorted_intersection_len<T: Ord>(a: &[T], b: &[T]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// The xxh3 hash of each word of normalized text.
pub fn word_hashes(normalized: &str) -> impl Iterator<Item = u64> + '_ {
    normalized
        .split_ascii_whitespace()
        .map(|w| xxh3_64(w.as_bytes()))
}

/// Turns normalized text into word `k`-shingles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shingler {
    k: usize,
}

impl Shingler {
    /// A shingler of `k` words per shingle; `k` is at least 1.
    pub fn new(k: usize) -> Self {
        Shingler { k: k.max(1) }
    }

    /// Words per shingle.
    pub fn k(&self) -> usize {
        self.k
    }

    /// The shingle set of normalized text (words separated by whitespace).
    /// A text of fewer than `k` words (but at least one) yields one shingle of
    /// all its words, so short texts still compare.
    pub fn shingles(&self, normalized: &str) -> ShingleSet {
        let words: Vec<u64> = word_hashes(normalized).collect();
        ShingleSet::from_hashes(self.shingle_hashes(&words))
    }

    /// Hashes of every window of `k` word hashes (one short window when the
    /// text has fewer than `k` words, none when it has none).
    pub fn shingle_hashes(&self, words: &[u64]) -> Vec<u64> {
        if words.is_empty() {
            return Vec::new();
        }
        let k = self.k.min(words.len());
        let mut buf = Vec::with_capacity(8 * k);
        words
            .windows(k)
            .map(|w| {
                buf.clear();
                for h in w {
                    buf.extend_from_slice(&h.to_le_bytes());
                }
                xxh3_64_with_seed(&buf, k as u64)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_windows_and_dedups() {
        let s = Shingler::new(3);
        assert_eq!(s.shingles("a b c d").len(), 2);
        assert_eq!(s.shingles("a b c a b c").len(), 3);
        assert_eq!(s.shingles("a b").len(), 1);
        assert!(s.shingles("").is_empty());
    }

    #[test]
    fn order_matters_within_a_shingle() {
        let s = Shingler::new(2);
        assert_ne!(s.shingles("a b"), s.shingles("b a"));
    }

    #[test]
    fn exact_jaccard() {
        let s = Shingler::new(1);
        let a = s.shingles("a b c d");
        let b = s.shingles("c d e f");
        assert!((a.jaccard(&b) - 2.0 / 6.0).abs() < 1e-12);
        assert_eq!(a.intersection_len(&b), 2);
    }
}
