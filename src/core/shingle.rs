//! Word shingles: every run of `k` consecutive words, hashed with xxh3.
//!
//! Words are hashed once each with xxh3 (see [`word_hash`]); a shingle's
//! hash combines its words' hashes with a multiply-rotate chain and a final
//! avalanche, so no shingle string or byte buffer is ever built.

use std::cell::RefCell;

use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::scratch::with_scratch;
use super::swar::{byte_mask, in_range};

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
///
/// Branch-free but for the loop's end: which side advances is a coin toss
/// at each step, which a branch would mispredict about half the time.
pub fn sorted_intersection_len<T: Ord + Copy>(a: &[T], b: &[T]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) {
        n += usize::from(x == y);
        i += usize::from(x <= y);
        j += usize::from(y <= x);
    }
    n
}

/// How many distinct values `values` holds, without sorting them: an
/// open-addressing table kept at most a quarter full, placed by a
/// multiplicative hash (so clustered values spread too). The table is this
/// thread's, kept and zeroed between calls (1.20 → 0.93 µs for an article's
/// 549 shingles in the `stages/distinct_count` benchmark). For ~500
/// shingles it costs about half a radix sort; use it where only the count is
/// needed.
pub fn distinct_count(values: &[u32]) -> usize {
    if values.len() > 1 << 24 {
        // Far beyond any article: sorting a copy is simpler than a huge table.
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        return sorted.len();
    }
    let bits = (values.len().max(4) * 4)
        .next_power_of_two()
        .trailing_zeros();
    let size = 1usize << bits;
    if size > KEEP_TABLE {
        return count_in(values, &mut vec![0u32; size]);
    }
    with_scratch(&TABLE, Vec::new, |table| {
        if table.len() < size {
            table.resize(size, 0);
        }
        let n = count_in(values, &mut table[..size]);
        table[..size].fill(0);
        n
    })
}

thread_local! {
    /// This thread's table for [`distinct_count`], zeroed between calls:
    /// allocating and zeroing a fresh one for every article costs more.
    static TABLE: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

/// The largest [`distinct_count`] table a thread keeps, in slots (a
/// quarter full for 16,384 values: far past any article).
const KEEP_TABLE: usize = 1 << 16;

/// [`distinct_count`] with a zeroed `table` whose size is a power of two.
fn count_in(values: &[u32], table: &mut [u32]) -> usize {
    let mask = table.len() - 1;
    let bits = table.len().trailing_zeros();
    // 0 marks an empty slot, so the value 0 is counted apart.
    let mut zero = false;
    let mut n = 0;
    for &v in values {
        if v == 0 {
            zero = true;
            continue;
        }
        let mut i = (v.wrapping_mul(0x9E37_79B1) >> (32 - bits)) as usize;
        loop {
            let slot = table[i];
            if slot == v {
                break;
            }
            if slot == 0 {
                table[i] = v;
                n += 1;
                break;
            }
            i = (i + 1) & mask;
        }
    }
    n + usize::from(zero)
}

/// The hash of one word: xxh3, seeded with the word's length, of the word
/// zero-padded to 16 bytes when it is shorter (nearly every word is).
///
/// xxh3 takes one of four code paths by input length (1–3, 4–8, 9–16
/// bytes, longer), and word lengths jump at random, so hashing words as they
/// are costs a mispredicted branch for about every other word. A padded
/// block always takes the 9–16 path; the length in the seed keeps `ab` apart
/// from `ab\0`.
#[inline(always)]
pub fn word_hash(word: &[u8]) -> u64 {
    if word.len() <= WORD_BLOCK {
        let mut block = [0u8; WORD_BLOCK];
        block[..word.len()].copy_from_slice(word);
        hash_block(u128::from_le_bytes(block), word.len())
    } else {
        xxh3_64_with_seed(word, word.len() as u64)
    }
}

/// Words up to this many bytes are hashed as one zero-padded block.
const WORD_BLOCK: usize = 16;

/// [`word_hash`] of a word of 1 to [`WORD_BLOCK`] bytes given as a block.
#[inline(always)]
fn hash_block(block: u128, len: usize) -> u64 {
    xxh3_64_with_seed(&block.to_le_bytes(), len as u64)
}

/// The hash ([`word_hash`]) of each word of normalized text.
pub fn word_hashes(normalized: &str) -> impl Iterator<Item = u64> + '_ {
    normalized
        .split_ascii_whitespace()
        .map(|w| word_hash(w.as_bytes()))
}

/// Appends the hash ([`word_hash`]) of each word of `segment` (words
/// separated by ASCII whitespace, as in normalized text) to `hashes`, and
/// whether it holds a digit to `numeric`: [`for_each_word`] into vectors.
///
/// On a CPU with AVX-512 (F, BW, DQ and VBMI2) and BMI2 this hashes eight
/// words at a time (`core/word_hashes_avx512.rs`); on one with AVX2, BMI1
/// and BMI2, four (`core/word_hashes_avx2.rs`); both for segments under
/// 4 GiB. Elsewhere it hashes one at a time, compiled per CPU level (see
/// [`crate::core`]). All give the same hashes.
pub fn push_word_hashes(segment: &[u8], hashes: &mut Vec<u64>, numeric: &mut Vec<bool>) {
    #[cfg(target_arch = "x86_64")]
    if u32::try_from(segment.len()).is_ok() {
        if super::word_hashes_avx512::available() {
            // SAFETY: `available` checked that the CPU has the features the
            // function is compiled for.
            return unsafe {
                super::word_hashes_avx512::push_word_hashes(segment, hashes, numeric)
            };
        }
        if super::word_hashes_avx2::available() {
            // SAFETY: as above.
            return unsafe { super::word_hashes_avx2::push_word_hashes(segment, hashes, numeric) };
        }
    }
    push_word_hashes_scalar(segment, hashes, numeric);
}

/// [`push_word_hashes`] one word at a time, for every CPU.
#[multiversion::multiversion(targets = "simd")]
pub(super) fn push_word_hashes_scalar(
    segment: &[u8],
    hashes: &mut Vec<u64>,
    numeric: &mut Vec<bool>,
) {
    for_each_word(segment, |hash, digit| {
        hashes.push(hash);
        numeric.push(digit);
    });
}

/// Calls `each(hash, holds_a_digit)` for each word of `segment` (words
/// separated by ASCII whitespace, as in normalized text), in order: the same
/// hashes as [`word_hashes`].
///
/// The bytes at or below 0x20 of 64 bytes at a time are found first, as
/// the bits of one `u64` (a loop the compiler turns into a vector compare
/// where the CPU has one: this is compiled per CPU level through
/// [`push_word_hashes`]); the words are then the gaps between whitespace
/// bits, taken with a count of trailing zeros each. Their hashes do not wait
/// on one another, where finding each word's end from its start did (14%
/// slower in `stages/words`). A word of up to 16 bytes is hashed from one
/// block read at its start and masked to it, a longer one byte by byte.
#[inline]
pub fn for_each_word(segment: &[u8], mut each: impl FnMut(u64, bool)) {
    let n = segment.len();
    let mut start = 0;
    for (k, chunk) in segment.chunks(64).enumerate() {
        let base = 64 * k;
        let mut low = byte_mask(chunk, |b| b <= 0x20);
        while low != 0 {
            let p = base + low.trailing_zeros() as usize;
            low &= low - 1;
            if segment[p].is_ascii_whitespace() {
                if p > start {
                    emit_word(segment, start, p, &mut each);
                }
                start = p + 1;
            }
        }
    }
    if n > start {
        emit_word(segment, start, n, &mut each);
    }
}

/// Hands on the word `segment[start..end]` (not empty).
#[inline(always)]
fn emit_word(segment: &[u8], start: usize, end: usize, each: &mut impl FnMut(u64, bool)) {
    let len = end - start;
    if len <= WORD_BLOCK {
        // 1 <= len <= 16, so the shift is 0..=120.
        let word = block_at(segment, start) & (u128::MAX >> (128 - 8 * len));
        each(hash_block(word, len), lanes_in(word, b'0', b'9') != 0);
    } else {
        let word = &segment[start..end];
        each(word_hash(word), word.iter().any(u8::is_ascii_digit));
    }
}

/// The 16 bytes of `segment` from `start`, zeros past its end.
#[inline(always)]
fn block_at(segment: &[u8], start: usize) -> u128 {
    let mut block = [0u8; WORD_BLOCK];
    if let Some(bytes) = segment.get(start..start + WORD_BLOCK) {
        block.copy_from_slice(bytes);
    } else if let Some(last) = segment.len().checked_sub(WORD_BLOCK) {
        // The last 16 bytes, shifted down so that `start` comes first (no
        // copy of a variable length): `start - last` is 1..=15.
        block.copy_from_slice(&segment[last..]);
        return u128::from_le_bytes(block) >> (8 * (start - last));
    } else {
        let rest = &segment[start..];
        block[..rest.len()].copy_from_slice(rest);
    }
    u128::from_le_bytes(block)
}

/// [`in_range`] over the 16 lanes of `x`.
#[inline(always)]
fn lanes_in(x: u128, lo: u8, hi: u8) -> u128 {
    u128::from(in_range(x as u64, lo, hi)) | (u128::from(in_range((x >> 64) as u64, lo, hi)) << 64)
}

/// Multiplier of the shingle combiner (odd: multiplying is a bijection).
const COMBINE: u64 = 0x9E37_79B9_7F4A_7C15;

/// The hash of one shingle from its words' hashes: order-sensitive, and
/// avalanched (MurmurHash3's 64-bit finalizer) so that both halves are
/// uniform, as MinHash and the sampled sets need.
#[inline]
fn combine(window: &[u64], seed: u64) -> u64 {
    hash_word_run(window.iter().copied(), seed)
}

/// The shingle combiner over any run of word hashes (any length): a
/// multiply-rotate chain from `seed`, then a 64-bit avalanche. Cheaper than
/// hashing the words' bytes again, and order-sensitive.
#[inline]
pub fn hash_word_run(words: impl IntoIterator<Item = u64>, seed: u64) -> u64 {
    let mut h = seed;
    for w in words {
        h = (h.rotate_left(29) ^ w).wrapping_mul(COMBINE);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    h ^= h >> 33;
    h = h.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    h ^ (h >> 33)
}

/// Turns normalized text into word `k`-shingles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shingler {
    k: usize,
    seed: u64,
}

/// Spreads a shingler seed over the combiner's start value.
const SEED_SPREAD: u64 = 0xD6E8_FEB8_6659_FD93;

impl Shingler {
    /// A shingler of `k` words per shingle; `k` is at least 1.
    pub fn new(k: usize) -> Self {
        Self::with_seed(k, 0)
    }

    /// A shingler whose shingle hashes are drawn with `seed` (0 is
    /// [`Shingler::new`]'s). Another seed gives another, equally good, hash
    /// function: what sampled sets keep and where MinHash puts each shingle
    /// change, so comparing seeds measures how much a result owes to the
    /// hash function's luck.
    pub fn with_seed(k: usize, seed: u64) -> Self {
        Shingler {
            k: k.max(1),
            seed: seed.wrapping_mul(SEED_SPREAD),
        }
    }

    /// Words per shingle.
    pub fn k(&self) -> usize {
        self.k
    }

    /// The shingle set of normalized text (words separated by whitespace).
    /// A text of fewer than `k` words (but at least one) yields one shingle of
    /// all its words, so short texts still compare.
    pub fn shingles(&self, normalized: &str) -> ShingleSet {
        // About six bytes a word.
        let mut words = Vec::with_capacity(normalized.len() / 6 + 1);
        let mut numeric = Vec::with_capacity(words.capacity());
        push_word_hashes(normalized.as_bytes(), &mut words, &mut numeric);
        ShingleSet::from_hashes(self.shingle_hashes(&words))
    }

    /// Hashes of every window of `k` word hashes (one short window when the
    /// text has fewer than `k` words, none when it has none).
    pub fn shingle_hashes(&self, words: &[u64]) -> Vec<u64> {
        if words.is_empty() {
            return Vec::new();
        }
        let k = self.k.min(words.len());
        shingle_hashes_k(words, k, k as u64 ^ self.seed)
    }
}

/// [`Shingler::shingle_hashes`] with `k` (1 ≤ `k` ≤ `words.len()`) and the
/// seed worked out. Every shingle is five 64-bit multiplies, independent of
/// the others', so this loop vectorizes where the CPU multiplies 64-bit
/// lanes (AVX-512DQ): one of the hot loops compiled per CPU level (see
/// [`crate::core`]).
#[multiversion::multiversion(targets = "simd")]
fn shingle_hashes_k(words: &[u64], k: usize, seed: u64) -> Vec<u64> {
    let mut out = Vec::with_capacity(words.len() + 1 - k);
    if k == 3 {
        // The default, unrolled.
        out.extend(words.windows(3).map(|w| combine(&[w[0], w[1], w[2]], seed)));
    } else {
        out.extend(words.windows(k).map(|w| combine(w, seed)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reused_count_table_starts_empty_every_time() {
        // Each set after the first would be undercounted if the table kept
        // the last set's values: the same values twice, a set past the size
        // the thread keeps, then small ones again.
        let small: Vec<u32> = (1..=300).chain(1..=50).collect();
        let huge: Vec<u32> = (0..40_000u32)
            .map(|i| i.wrapping_mul(2_654_435_761))
            .collect();
        for values in [&small, &small, &huge, &small, &huge[..10]] {
            let mut sorted = values.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(distinct_count(values), sorted.len());
        }
    }

    #[test]
    fn counts_windows_and_dedups() {
        let s = Shingler::new(3);
        assert_eq!(s.shingles("a b c d").len(), 2);
        assert_eq!(s.shingles("a b c a b c").len(), 3);
        assert_eq!(s.shingles("a b").len(), 1);
        assert!(s.shingles("").is_empty());
    }

    #[test]
    fn one_pass_word_hashes_equal_the_split_ones() {
        for text in [
            "",
            " ",
            "a",
            "a b",
            "  rose 084 percent\n\nto 741236  ",
            "x9 y z9z",
            "digits9 at 8 lane 7 ends1 0 x\tthe\x01word 12345678 abcdefgh9 ",
            "a\x0bb \x1fc d\x0ce 0000000000000000000000 z",
        ] {
            let (mut hashes, mut numeric) = (Vec::new(), Vec::new());
            push_word_hashes(text.as_bytes(), &mut hashes, &mut numeric);
            assert_eq!(hashes, word_hashes(text).collect::<Vec<_>>(), "{text:?}");
            let digits: Vec<bool> = text
                .split_ascii_whitespace()
                .map(|w| w.bytes().any(|b| b.is_ascii_digit()))
                .collect();
            assert_eq!(numeric, digits, "{text:?}");
        }
    }

    #[test]
    fn words_are_hashed_as_padded_blocks_seeded_with_their_length() {
        let block = |w: &[u8]| {
            let mut b = [0u8; 16];
            b[..w.len()].copy_from_slice(w);
            xxh3_64_with_seed(&b, w.len() as u64)
        };
        assert_eq!(word_hash(b"kremlin"), block(b"kremlin"));
        assert_eq!(word_hash(b"sixteen-letters!"), block(b"sixteen-letters!"));
        assert_eq!(
            word_hash(b"internationalization"),
            xxh3_64_with_seed(b"internationalization", 20)
        );
        // The padding is not part of the word.
        assert_ne!(word_hash(b"ab"), word_hash(b"ab\0"));
        // A word read from a longer segment masks off what follows it.
        let mut numeric = Vec::new();
        let mut hashes = Vec::new();
        push_word_hashes(b"ab cdefghijklmnopqrstuvwxyz", &mut hashes, &mut numeric);
        assert_eq!(hashes[0], word_hash(b"ab"));
    }

    #[test]
    fn seed_zero_is_the_default_hash_and_other_seeds_differ() {
        let words: Vec<u64> = word_hashes("the kremlin said on sunday").collect();
        let default = Shingler::new(3).shingle_hashes(&words);
        assert_eq!(Shingler::with_seed(3, 0).shingle_hashes(&words), default);
        let other = Shingler::with_seed(3, 1).shingle_hashes(&words);
        assert_eq!(other.len(), default.len());
        assert!(other.iter().all(|h| !default.contains(h)));
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
