//! [`super::shingle::push_word_hashes`] four words at a time, for x86-64
//! CPUs with AVX2 and BMI1/BMI2 but not the AVX-512 the eight-word version
//! needs (`word_hashes_avx512.rs`): AMD Zen 1–3, Intel Haswell to Comet
//! Lake, and the cloud machines built on them.
//!
//! The same hashes as the scalar version: each word of up to 16 bytes is
//! xxh3 (seeded with its length) of its zero-padded 16-byte block, which
//! takes xxh3's 9–16-byte path ([`super::xxh3_block`]). Four words' blocks
//! are loaded into two vectors (their low and high halves) and hashed
//! together; the 128-bit product and the 64-bit avalanche multiply are
//! built from 32×32→64-bit multiplies, AVX2 having no wider ones.
//!
//! Words are found as in the AVX-512 version, and the round of words and
//! its bookkeeping are shared with it ([`super::word_rounds`]); here a
//! chunk's word starts and ends are listed with a count of trailing zeros
//! each, eight a step, AVX2 having no byte compress.
//!
//! Its `unsafe`: loads and stores through pointers (the 32-byte halves of
//! a chunk, the 16-byte blocks, the offset lists), each kept inside its
//! slice by a bound; and the call into a function compiled for features
//! the caller has checked ([`available`]). The tests compare it with the
//! scalar version wherever the CPU has the features.

use std::arch::x86_64::{
    __m128i, __m256i, _mm256_add_epi64, _mm256_and_si256, _mm256_andnot_si256, _mm256_blendv_epi8,
    _mm256_castsi256_pd, _mm256_cmpeq_epi64, _mm256_cmpeq_epi8, _mm256_cmpgt_epi64,
    _mm256_cvtepu32_epi64, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_movemask_pd,
    _mm256_mul_epu32, _mm256_or_si256, _mm256_set_epi64x, _mm256_set_m128i, _mm256_setzero_si256,
    _mm256_shuffle_epi8, _mm256_slli_epi64, _mm256_sllv_epi64, _mm256_srli_epi64,
    _mm256_srlv_epi64, _mm256_storeu_si256, _mm256_sub_epi64, _mm256_xor_si256, _mm_loadu_si128,
    _mm_unpackhi_epi64, _mm_unpacklo_epi64,
};

use super::avx2::{in_range, splat, splat64};
use super::swar::low_bits;
use super::word_rounds::Words;
use super::xxh3_block::{BYTE_SWAP, FLIP_HI, FLIP_LO, PRIME_MX1};

/// Whether this CPU can run [`push_word_hashes`] (AVX2, BMI1 and BMI2).
/// The standard library caches what it detects, so this is a few loads.
pub(super) fn available() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("bmi1")
        && std::arch::is_x86_feature_detected!("bmi2")
}

/// Writes the offsets `base + i` of the bits `i` set in `mask` to `to`, in
/// order, and returns how many. They are written eight a step with no test
/// between, so up to seven slots past the last are overwritten (with
/// `base + 64`); `to` needs room for the count rounded up to eight.
#[target_feature(enable = "bmi1,popcnt")]
fn list_bits(to: &mut [u32], mask: u64, base: u32) -> usize {
    let count = mask.count_ones() as usize;
    let mut rest = mask;
    for eight in to.chunks_exact_mut(8).take(count.div_ceil(8)) {
        for slot in eight {
            *slot = base + rest.trailing_zeros();
            rest &= rest.wrapping_sub(1);
        }
    }
    count
}

/// As [`super::shingle::push_word_hashes`]: appends the hash of each word
/// of `segment` (words separated by ASCII whitespace) to `hashes`, and
/// whether it holds a digit to `numeric`. The segment must be shorter than
/// 4 GiB (offsets are `u32`).
#[target_feature(enable = "avx2,bmi1,bmi2,popcnt")]
pub(super) fn push_word_hashes(segment: &[u8], hashes: &mut Vec<u64>, numeric: &mut Vec<bool>) {
    let n = segment.len();
    assert!(u32::try_from(n).is_ok(), "segment of 4 GiB or more");
    let mut words = Words::new();
    // Whether the byte before the chunk is whitespace, in bit 0 (the
    // segment's start counts as whitespace).
    let mut before = 1u64;
    for (k, chunk) in segment.chunks(64).enumerate() {
        // Past the segment's end counts as whitespace, so a word running
        // to the end of a partial chunk ends there.
        let ws = match <&[u8; 64]>::try_from(chunk) {
            Ok(whole) => whitespace(whole),
            Err(_) => partial_whitespace(segment, 64 * k) | !low_bits(chunk.len()),
        };
        let prev = (ws << 1) | before;
        before = ws >> 63;
        // Fits: the segment is under 4 GiB.
        let base = (64 * k) as u32;
        words.open += list_bits(&mut words.starts[words.open..], !ws & prev, base);
        words.closed += list_bits(&mut words.ends[words.closed..], ws & !prev, base);
        if words.round_complete() {
            words.append(hashes, numeric, |at, live, out| {
                hash4(segment, &words, at, live, out)
            });
            words.next_round();
        }
    }
    // Fits: the segment is under 4 GiB.
    words.close_at(n as u32);
    words.append(hashes, numeric, |at, live, out| {
        hash4(segment, &words, at, live, out)
    });
}

/// The ASCII whitespace (as [`u8::is_ascii_whitespace`]: space, tab, line
/// feed, form feed, carriage return) among the 64 bytes of `chunk`, one bit
/// a byte.
#[target_feature(enable = "avx2")]
fn whitespace(chunk: &[u8; 64]) -> u64 {
    let (low, high) = chunk.split_at(32);
    let half = |bytes: &[u8]| u64::from(whitespace_32(bytes.try_into().expect("32 bytes")));
    half(low) | (half(high) << 32)
}

/// [`whitespace`] of 32 bytes.
#[target_feature(enable = "avx2")]
fn whitespace_32(bytes: &[u8; 32]) -> u32 {
    // SAFETY: the 32 bytes read are `bytes`.
    let v = unsafe { _mm256_loadu_si256(bytes.as_ptr().cast()) };
    let space = _mm256_cmpeq_epi8(v, splat(b' '));
    // 0x09..=0x0D, then without 0x0B (vertical tab).
    let controls = in_range(v, 0x09, 0x0D);
    let vtab = _mm256_cmpeq_epi8(v, splat(0x0B));
    let ws = _mm256_or_si256(space, _mm256_andnot_si256(vtab, controls));
    _mm256_movemask_epi8(ws) as u32
}

/// [`whitespace`] of the partial last chunk of `segment`, from `at`: the
/// bits past the segment's end are not set.
///
/// The bytes are read in whole vectors that end at the segment's end and
/// overlap what comes before, not copied to a padded chunk: a vector load
/// of bytes just stored one by one waits for the stores to retire (perf
/// put 7% of `stages/words` on that load, every segment having a partial
/// chunk).
#[target_feature(enable = "avx2")]
fn partial_whitespace(segment: &[u8], at: usize) -> u64 {
    let n = segment.len();
    let len = n - at;
    if n >= 64 {
        // The last 64 bytes, whose high `len` are the chunk's.
        let last: &[u8; 64] = segment[n - 64..].try_into().expect("64 bytes");
        return whitespace(last) >> (64 - len);
    }
    // The segment is the chunk (`at` is 0): two overlapping halves.
    let half = |from: usize, width: usize| -> u64 {
        if width == 32 {
            let bytes: &[u8; 32] = segment[from..from + 32].try_into().expect("32 bytes");
            u64::from(whitespace_32(bytes))
        } else {
            segment[from..from + width]
                .iter()
                .enumerate()
                .fold(0, |m, (j, b)| m | (u64::from(b.is_ascii_whitespace()) << j))
        }
    };
    if len >= 32 {
        half(0, 32) | (half(len - 32, 32) << (len - 32))
    } else {
        half(0, len)
    }
}

/// The hashes of the `live` lanes' words, `words[at..at + 4]`, into
/// `out`, and which of them hold a digit (one bit a lane).
///
/// Each word's 16-byte block is read from its start, or, where that would
/// reach past the segment's end, from 16 bytes before the end and shifted
/// down to the word's start (as the scalar version does). Words longer
/// than 16 bytes, and any word of a segment shorter than 16, are hashed by
/// the scalar code in their lanes.
#[target_feature(enable = "avx2")]
fn hash4(segment: &[u8], words: &Words, at: usize, live: u8, out: &mut [u64; 4]) -> u8 {
    let (starts, ends) = (&words.starts[at..at + 4], &words.ends[at..at + 4]);
    // SAFETY: both slices are four `u32`s, 16 bytes.
    let (st, en) = unsafe {
        (
            _mm256_cvtepu32_epi64(_mm_loadu_si128(starts.as_ptr().cast())),
            _mm256_cvtepu32_epi64(_mm_loadu_si128(ends.as_ptr().cast())),
        )
    };
    // Offsets are under 2^32, so the signed 64-bit compares are exact.
    let len = _mm256_sub_epi64(en, st);
    let long = _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(len, splat64(16))));
    let n = segment.len();
    let fits = if n >= 16 { live & !(long as u8) } else { 0 };
    let (lo, hi, shift) = if n >= 16 {
        // Where each block is read from, and how many bits it is shifted
        // down.
        let last = splat64((n - 16) as u64);
        let past = _mm256_cmpgt_epi64(st, last);
        let from = _mm256_blendv_epi8(st, last, past);
        let shift = _mm256_slli_epi64(_mm256_sub_epi64(st, from), 3);
        let (lo, hi) = blocks(segment, starts);
        (lo, hi, shift)
    } else {
        let zero = _mm256_setzero_si256();
        (zero, zero, zero)
    };
    // The 128-bit block shifted down by `shift` (0..=120) bits: a shift by
    // 64 or more gives zero, and a "negative" count is a huge one.
    let sixty_four = splat64(64);
    let lo = _mm256_or_si256(
        _mm256_srlv_epi64(lo, shift),
        _mm256_or_si256(
            _mm256_sllv_epi64(hi, _mm256_sub_epi64(sixty_four, shift)),
            _mm256_srlv_epi64(hi, _mm256_sub_epi64(shift, sixty_four)),
        ),
    );
    let hi = _mm256_srlv_epi64(hi, shift);
    // Keep each word's bytes: shifting all ones by 64 or more gives zero.
    let ones = splat64(u64::MAX);
    let keep_lo = _mm256_andnot_si256(_mm256_sllv_epi64(ones, _mm256_slli_epi64(len, 3)), ones);
    let eight = splat64(8);
    let past_eight = _mm256_and_si256(_mm256_cmpgt_epi64(len, eight), _mm256_sub_epi64(len, eight));
    let keep_hi = _mm256_andnot_si256(
        _mm256_sllv_epi64(ones, _mm256_slli_epi64(past_eight, 3)),
        ones,
    );
    let (lo, hi) = (_mm256_and_si256(lo, keep_lo), _mm256_and_si256(hi, keep_hi));

    let digit_bytes = _mm256_or_si256(in_range(lo, b'0', b'9'), in_range(hi, b'0', b'9'));
    let no_digit = _mm256_cmpeq_epi64(digit_bytes, _mm256_setzero_si256());
    let mut digits = !(_mm256_movemask_pd(_mm256_castsi256_pd(no_digit)) as u8) & 0xF;

    // xxh3_64_with_seed(block, len) of a 16-byte block: the seed is the
    // word's length.
    let a = _mm256_xor_si256(lo, _mm256_add_epi64(splat64(FLIP_LO), len));
    let b = _mm256_xor_si256(hi, _mm256_sub_epi64(splat64(FLIP_HI), len));
    let acc = _mm256_add_epi64(
        _mm256_add_epi64(splat64(16), byte_swap(a)),
        _mm256_add_epi64(b, mul128_fold(a, b)),
    );
    let h = avalanche(acc);
    // SAFETY: `out` is four `u64`s, 32 bytes.
    unsafe { _mm256_storeu_si256(out.as_mut_ptr().cast(), h) };

    // The rest by the scalar code.
    words.hash_slow_lanes(segment, at, live & !fits, out, &mut digits);
    digits
}

/// The 16-byte blocks of the segment (at least 16 bytes long) from each
/// of the four `starts`, or from 16 bytes before its end where a block
/// would reach past it: their low halves and their high halves.
#[target_feature(enable = "avx2")]
fn blocks(segment: &[u8], starts: &[u32]) -> (__m256i, __m256i) {
    let last = segment.len() - 16;
    let block = |j: usize| -> __m128i {
        let from = (starts[j] as usize).min(last);
        // SAFETY: `from + 16 <= segment.len()`.
        unsafe { _mm_loadu_si128(segment.as_ptr().add(from).cast()) }
    };
    let (b0, b1, b2, b3) = (block(0), block(1), block(2), block(3));
    (
        _mm256_set_m128i(_mm_unpacklo_epi64(b2, b3), _mm_unpacklo_epi64(b0, b1)),
        _mm256_set_m128i(_mm_unpackhi_epi64(b2, b3), _mm_unpackhi_epi64(b0, b1)),
    )
}

/// Each 64-bit lane's bytes reversed.
#[target_feature(enable = "avx2")]
fn byte_swap(x: __m256i) -> __m256i {
    let [low, high] = BYTE_SWAP;
    _mm256_shuffle_epi8(x, _mm256_set_epi64x(high, low, high, low))
}

/// Each lane's 128-bit product `a × b`, its two halves XORed (xxh3's
/// `mul128_fold64`), from four 32×32→64-bit multiplies.
#[target_feature(enable = "avx2")]
fn mul128_fold(a: __m256i, b: __m256i) -> __m256i {
    let low32 = splat64(0xFFFF_FFFF);
    let (a_hi, b_hi) = (_mm256_srli_epi64(a, 32), _mm256_srli_epi64(b, 32));
    let p00 = _mm256_mul_epu32(a, b);
    let p01 = _mm256_mul_epu32(a, b_hi);
    let p10 = _mm256_mul_epu32(a_hi, b);
    let p11 = _mm256_mul_epu32(a_hi, b_hi);
    // Bits 32..96 of the product, before carries out of bit 64: under 2^34.
    let mid = _mm256_add_epi64(
        _mm256_srli_epi64(p00, 32),
        _mm256_add_epi64(_mm256_and_si256(p01, low32), _mm256_and_si256(p10, low32)),
    );
    let low = _mm256_or_si256(_mm256_and_si256(p00, low32), _mm256_slli_epi64(mid, 32));
    let high = _mm256_add_epi64(
        _mm256_add_epi64(p11, _mm256_srli_epi64(mid, 32)),
        _mm256_add_epi64(_mm256_srli_epi64(p01, 32), _mm256_srli_epi64(p10, 32)),
    );
    _mm256_xor_si256(low, high)
}

/// xxh3's final avalanche of each lane; the 64-bit multiply's low half
/// from three 32×32→64-bit multiplies.
#[target_feature(enable = "avx2")]
fn avalanche(x: __m256i) -> __m256i {
    let x = _mm256_xor_si256(x, _mm256_srli_epi64(x, 37));
    let (m, m_hi) = (splat64(PRIME_MX1), splat64(PRIME_MX1 >> 32));
    let cross = _mm256_add_epi64(
        _mm256_mul_epu32(_mm256_srli_epi64(x, 32), m),
        _mm256_mul_epu32(x, m_hi),
    );
    let x = _mm256_add_epi64(_mm256_mul_epu32(x, m), _mm256_slli_epi64(cross, 32));
    _mm256_xor_si256(x, _mm256_srli_epi64(x, 32))
}

#[cfg(test)]
mod tests {
    use super::{available, push_word_hashes};

    #[test]
    fn same_hashes_as_the_scalar_version() {
        crate::core::testing::check_word_hasher(available(), push_word_hashes);
    }
}
