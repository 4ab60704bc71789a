//! [`super::words::write_words`] on 64 bytes at a time, for x86-64 CPUs
//! with AVX2 but not the AVX-512 of [`super::words_avx512`].
//!
//! The same classes and rules as the other versions, computed as 64-bit
//! masks, one bit a byte: a chunk's letters, digits and joiners come from
//! vector compares on its two 32-byte halves, its words' starts and its
//! dropped bytes from a few integer operations on the masks. AVX2 has no
//! byte compress, so the kept bytes are packed eight at a time: `pshufb`
//! with indices looked up by the group's keep mask ([`PACK`]), then one
//! 8-byte store.
//!
//! A segment's partial last chunk is read as the last 64 bytes of the
//! segment, whose lanes before the chunk are masked off (they were written
//! already), not as a copy padded with zeros: a vector load of bytes just
//! stored one by one waits for the stores to retire. A segment shorter
//! than 64 bytes takes the eight-byte version.
//!
//! Its `unsafe`: the 32-byte loads, each inside its slice; and the call
//! into a function compiled for features the caller has checked
//! ([`available`]). The tests compare it with the byte-at-a-time reference
//! wherever the CPU has the features.

use std::arch::x86_64::{
    __m128i, __m256i, _mm256_and_si256, _mm256_castsi256_si128, _mm256_cmpeq_epi8,
    _mm256_extracti128_si256, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256,
    _mm_cvtsi128_si64, _mm_cvtsi64_si128, _mm_shuffle_epi8,
};

use super::words::write_words_swar;
use crate::core::avx2::{in_range, splat};
use crate::core::swar::low_bits;

/// Whether this CPU can run [`write_words`] (AVX2 and POPCNT). The
/// standard library caches what it detects, so this is two loads.
pub(super) fn available() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("popcnt")
}

/// `pshufb` indices that pack the bytes of an 8-byte group kept by mask
/// `m` (bit `i`: lane `i`) to the bottom, in order; 0x80 (a zero byte)
/// after them.
static PACK: [u64; 256] = {
    let mut table = [0u64; 256];
    let mut m = 0;
    while m < 256 {
        let mut indices = [0x80u8; 8];
        let (mut lane, mut kept) = (0, 0);
        while lane < 8 {
            if m >> lane & 1 == 1 {
                indices[kept] = lane as u8;
                kept += 1;
            }
            lane += 1;
        }
        table[m] = u64::from_le_bytes(indices);
        m += 1;
    }
    table
};

/// Flags of the byte before a chunk.
#[derive(Debug, Clone, Copy, Default)]
struct Carry {
    alnum: u64,
    digit: u64,
    joined: u64,
}

/// As [`super::words::write_words`]: writes the words of `segment` at the
/// start of `buf`, lowercased and separated by single spaces, and returns
/// how many bytes were written and how many words.
///
/// # Panics
///
/// If `buf` is not longer than `segment` (the same contract as the
/// eight-byte version; here nothing is stored past `buf[segment.len()]`).
#[target_feature(enable = "avx2,popcnt")]
pub(super) fn write_words(segment: &[u8], buf: &mut [u8]) -> (usize, usize) {
    assert!(
        buf.len() > segment.len(),
        "write_words needs a longer buffer"
    );
    let n = segment.len();
    if n < 64 {
        return write_words_swar(segment, buf);
    }
    let (mut len, mut words) = (0usize, 0usize);
    let mut carry = Carry::default();
    let mut at = 0;
    while at + 64 <= n {
        let chunk: &[u8; 64] = segment[at..at + 64].try_into().expect("64 bytes");
        let next_is_digit = segment.get(at + 64).is_some_and(u8::is_ascii_digit);
        words += write_chunk(chunk, 0, next_is_digit, &mut carry, buf, &mut len);
        at += 64;
    }
    if at < n {
        // The last 64 bytes, of which the chunk is the top `n - at`.
        let last: &[u8; 64] = segment[n - 64..].try_into().expect("64 bytes");
        words += write_chunk(last, 64 - (n - at), false, &mut carry, buf, &mut len);
    }
    // A segment ending in a separator has written one space after its last word.
    if words > 0 && !segment.last().is_some_and(u8::is_ascii_alphanumeric) {
        len -= 1;
    }
    (len, words)
}

/// Writes the words of lanes `first..64` of `chunk` at `buf[*len..]`,
/// advancing `len` and `carry` (the flags of the byte before lane
/// `first`), and returns how many words start there. `next_is_digit`
/// tells whether the byte after the chunk is a digit.
#[target_feature(enable = "avx2,popcnt")]
fn write_chunk(
    chunk: &[u8; 64],
    first: usize,
    next_is_digit: bool,
    carry: &mut Carry,
    buf: &mut [u8],
    len: &mut usize,
) -> usize {
    let (low, high) = chunk.split_at(32);
    let (low, high) = (half(low), half(high));
    let mask = |f: fn(&Half) -> __m256i| {
        u64::from(_mm256_movemask_epi8(f(&low)) as u32)
            | (u64::from(_mm256_movemask_epi8(f(&high)) as u32) << 32)
    };
    let (alnum, digit, joiner) = (mask(|h| h.alnum), mask(|h| h.digit), mask(|h| h.joiner));

    // The flags of the byte before each lane: for lane `first`, the carry.
    let before = |flags: u64, carried: u64| ((flags << 1) & !(1 << first)) | (carried << first);
    let valid = !low_bits(first);
    let prev_alnum = before(alnum, carry.alnum);
    let prev_digit = before(digit, carry.digit);
    let next_digit = (digit >> 1) | (u64::from(next_is_digit) << 63);
    let joined = joiner & prev_digit & next_digit;
    let prev_joined = before(joined, carry.joined);
    // A word starts at a letter or digit that neither follows one nor
    // continues a figure across a joining `.` or `,`.
    let starts = alnum & !prev_alnum & !prev_joined & valid;
    // A separator is written (as a space) only right after a word; the
    // lanes before `first` are not written at all.
    let keep = !(!alnum & (!prev_alnum | joined)) & valid;
    *carry = Carry {
        alnum: alnum >> 63,
        digit: digit >> 63,
        joined: joined >> 63,
    };

    // The output bytes of each 16-byte lane, eight bytes a group.
    let lanes = [
        _mm256_castsi256_si128(low.bytes),
        _mm256_extracti128_si256::<1>(low.bytes),
        _mm256_castsi256_si128(high.bytes),
        _mm256_extracti128_si256::<1>(high.bytes),
    ];
    for group in first / 8..8 {
        let kept = (keep >> (8 * group)) as u8;
        // Lanes 8..16 of the 16-byte lane for an odd group.
        let pick = PACK[usize::from(kept)] + (group as u64 & 1) * 0x0808_0808_0808_0808;
        let packed = pack(lanes[group / 2], pick).to_le_bytes();
        match buf.get_mut(*len..*len + 8) {
            Some(to) => to.copy_from_slice(&packed),
            // Near the end of `buf`: only the kept bytes can be due there.
            None => {
                let room = buf.len() - *len;
                buf[*len..].copy_from_slice(&packed[..room]);
            }
        }
        *len += kept.count_ones() as usize;
    }
    starts.count_ones() as usize
}

/// The lanes of one 32-byte half of a chunk: its classes, all ones in a
/// byte that has it, and its output bytes.
struct Half {
    alnum: __m256i,
    digit: __m256i,
    joiner: __m256i,
    /// Letters and digits with bit 5 set (lowercase), every other byte a
    /// space.
    bytes: __m256i,
}

/// Classifies 32 bytes.
#[target_feature(enable = "avx2")]
fn half(bytes: &[u8]) -> Half {
    let bytes: &[u8; 32] = bytes.try_into().expect("32 bytes");
    // SAFETY: the 32 bytes read are `bytes`.
    let v = unsafe { _mm256_loadu_si256(bytes.as_ptr().cast()) };
    let digit = in_range(v, b'0', b'9');
    // Setting bit 5 maps 'A'..='Z' onto 'a'..='z' and nothing else there.
    let lower = _mm256_or_si256(v, splat(0x20));
    let alnum = _mm256_or_si256(digit, in_range(lower, b'a', b'z'));
    // Setting bit 1 maps ',' onto '.' and nothing else there.
    let joiner = _mm256_cmpeq_epi8(_mm256_or_si256(v, splat(0x02)), splat(b'.'));
    Half {
        alnum,
        digit,
        joiner,
        bytes: _mm256_or_si256(_mm256_and_si256(v, alnum), splat(0x20)),
    }
}

/// The bytes of `lane` that `pick` indexes (`pshufb`), the first eight.
#[target_feature(enable = "avx2")]
fn pack(lane: __m128i, pick: u64) -> u64 {
    _mm_cvtsi128_si64(_mm_shuffle_epi8(lane, _mm_cvtsi64_si128(pick as i64))) as u64
}
