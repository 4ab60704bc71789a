//! What the two hand-written word hashers (`word_hashes_avx512.rs`, eight
//! words at a time, and `word_hashes_avx2.rs`, four) share: the round of
//! words found and not yet hashed, how a round is appended to the output
//! vectors, and the scalar hashing of the lanes the vector code leaves.
//!
//! Both find words the same way: a 64-byte chunk's whitespace is one mask,
//! its word starts and ends are two masks derived from it, and their bits
//! are listed as offsets (each version lists them its own way); a word is
//! the start and the end at the same index. Once a round of
//! [`Words::ROUND`] words is listed it is hashed, a group of lanes at a
//! time, by the version's own vector code. Nothing here is `unsafe` or
//! needs a CPU feature: the functions are inlined into the versions'
//! feature-enabled code.

use super::shingle::word_hash;
use super::swar::low_bits;

/// Words found and not yet hashed: where each starts and ends (exclusive),
/// as offsets in the segment, and how many starts and ends are listed. Each
/// end closes the word of the start at the same index; there may be one
/// start more (a word still open).
pub(super) struct Words {
    /// Where the words start.
    pub(super) starts: [u32; Words::CAP],
    /// Where the words end (exclusive).
    pub(super) ends: [u32; Words::CAP],
    /// Starts listed.
    pub(super) open: usize,
    /// Ends listed: the complete words.
    pub(super) closed: usize,
}

impl Words {
    /// Complete words that make a round.
    pub(super) const ROUND: usize = 32;
    /// Room for a round less one and a word still open (32 at most), then
    /// one chunk's 32 starts or ends at most, listed in whole groups of
    /// eight or sixteen.
    pub(super) const CAP: usize = 64;

    /// An empty round.
    pub(super) const fn new() -> Self {
        Words {
            starts: [0; Words::CAP],
            ends: [0; Words::CAP],
            open: 0,
            closed: 0,
        }
    }

    /// Whether a round's words are complete (and must be hashed before
    /// another chunk is listed).
    #[inline(always)]
    pub(super) fn round_complete(&self) -> bool {
        self.closed >= Words::ROUND
    }

    /// Starts the next round once the complete words are hashed: the word
    /// still open, if any, comes first.
    #[inline(always)]
    pub(super) fn next_round(&mut self) {
        self.starts[0] = self.starts[self.closed];
        self.open -= self.closed;
        self.closed = 0;
    }

    /// Closes the word still open, if any, at the segment's end `n`: the
    /// last word runs to the end of a whole last chunk.
    #[inline(always)]
    pub(super) fn close_at(&mut self, n: u32) {
        if self.open > self.closed {
            self.ends[self.closed] = n;
            self.closed += 1;
        }
    }

    /// Appends the hashes of the complete words to `hashes`, and whether
    /// each holds a digit to `numeric`, `W` words a group: `group(at, live,
    /// out)` hashes the `live` lanes (one bit a lane) of the words from
    /// `at` into `out` and returns which hold a digit.
    ///
    /// The vectors grow by the words exactly (callers size them for an
    /// article's words, and growing them past it would reallocate them):
    /// whole groups are written in place, the last partial one through a
    /// copy.
    #[inline(always)]
    pub(super) fn append<const W: usize>(
        &self,
        hashes: &mut Vec<u64>,
        numeric: &mut Vec<bool>,
        mut group: impl FnMut(usize, u8, &mut [u64; W]) -> u8,
    ) {
        let (h, d) = (hashes.len(), numeric.len());
        hashes.resize(h + self.closed, 0);
        numeric.resize(d + self.closed, false);
        let groups = hashes[h..].chunks_mut(W).zip(numeric[d..].chunks_mut(W));
        for (k, (out, flags)) in groups.enumerate() {
            // At most eight lanes: `W` is four or eight.
            let live = low_bits(out.len()) as u8;
            let digits = match <&mut [u64; W]>::try_from(&mut *out) {
                Ok(whole) => group(W * k, live, whole),
                Err(_) => {
                    let mut whole = [0; W];
                    let digits = group(W * k, live, &mut whole);
                    out.copy_from_slice(&whole[..out.len()]);
                    digits
                }
            };
            for (j, flag) in flags.iter_mut().enumerate() {
                *flag = digits >> j & 1 == 1;
            }
        }
    }

    /// Hashes the words of the lanes in `slow` (one bit a lane, of the
    /// words from `at`) with the scalar code, into `out`, and adds those
    /// holding a digit to `digits`: the words the vector code cannot take
    /// (longer than its block, or in a segment shorter than one).
    #[inline(always)]
    pub(super) fn hash_slow_lanes(
        &self,
        segment: &[u8],
        at: usize,
        mut slow: u8,
        out: &mut [u64],
        digits: &mut u8,
    ) {
        while slow != 0 {
            let j = slow.trailing_zeros() as usize;
            slow &= slow - 1;
            let word = &segment[self.starts[at + j] as usize..self.ends[at + j] as usize];
            out[j] = word_hash(word);
            if word.iter().any(u8::is_ascii_digit) {
                *digits |= 1 << j;
            }
        }
    }
}
