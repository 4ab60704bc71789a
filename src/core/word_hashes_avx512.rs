//! [`super::shingle::push_word_hashes`] eight words at a time, for x86-64
//! CPUs with AVX-512 (F, BW, DQ and VBMI2) and BMI2.
//!
//! The same hashes as the scalar version: each word of up to 16 bytes is
//! xxh3 (seeded with its length) of its zero-padded 16-byte block, which
//! takes xxh3's 9–16-byte path. That path is a few 64-bit operations and one
//! 64×64→128-bit multiply, so eight words' blocks are loaded into two
//! vectors (their low and high halves) and hashed together; the 128-bit
//! product is built from four 32×32→64-bit multiplies.
//!
//! Words are found from a 64-byte chunk's whitespace mask, as in the scalar
//! version, but without a loop over them: the chunk's word starts and ends
//! are packed into offset lists with `vpcompressb`, and a word is the start
//! and the end at the same index. Once a round of 32 words is complete it is
//! hashed. A word longer than 16 bytes, or any word of a segment shorter
//! than 16, is hashed by the scalar code in its lane's place.
//!
//! The round of words and its bookkeeping are shared with the AVX2 version
//! ([`super::word_rounds`]).
//!
//! Its `unsafe`: loads and stores through pointers (a masked 64-byte load,
//! the 16-byte blocks, the offset lists), each kept inside its slice by a
//! mask or a bound; and the call into a function compiled for features the
//! caller has checked ([`available`]). The tests compare it with the scalar
//! version wherever the CPU has the features.

use std::arch::x86_64::{
    __m128i, __m512i, __mmask8, _mm256_loadu_si256, _mm512_add_epi32, _mm512_add_epi64,
    _mm512_and_si512, _mm512_andnot_si512, _mm512_castsi128_si512, _mm512_castsi512_si128,
    _mm512_cmpeq_epi8_mask, _mm512_cmple_epu64_mask, _mm512_cvtepu32_epi64, _mm512_cvtepu8_epi32,
    _mm512_extracti32x4_epi32, _mm512_inserti64x2, _mm512_loadu_epi8, _mm512_maskz_compress_epi8,
    _mm512_maskz_loadu_epi8, _mm512_max_epu64, _mm512_min_epu64, _mm512_movm_epi8,
    _mm512_mul_epu32, _mm512_mullo_epi64, _mm512_or_si512, _mm512_permutexvar_epi64,
    _mm512_set1_epi32, _mm512_set1_epi64, _mm512_set_epi64, _mm512_setzero_si512,
    _mm512_shuffle_epi8, _mm512_slli_epi64, _mm512_sllv_epi64, _mm512_srli_epi64,
    _mm512_srlv_epi64, _mm512_storeu_epi32, _mm512_storeu_epi64, _mm512_sub_epi64,
    _mm512_test_epi64_mask, _mm512_unpackhi_epi64, _mm512_unpacklo_epi64, _mm512_xor_si512,
    _mm_loadu_si128,
};

use super::avx512::{in_range, splat};
use super::swar::low_bits;
use super::word_rounds::Words;
use super::xxh3_block::{BYTE_SWAP, FLIP_HI, FLIP_LO, PRIME_MX1};

/// Whether this CPU can run [`push_word_hashes`] (AVX-512 F, BW, DQ and
/// VBMI2, and BMI2).
/// The standard library caches what it detects, so this is a few loads.
pub(super) fn available() -> bool {
    std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512dq")
        && std::arch::is_x86_feature_detected!("avx512vbmi2")
        && std::arch::is_x86_feature_detected!("bmi2")
}

/// Writes the offsets `base + i` of the bits `i` set in `mask` to
/// `to[from..]`, in order, and returns how many. Sixteen are stored at a
/// time, so up to 31 slots past the last offset may be overwritten.
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi2")]
fn put_offsets(to: &mut [u32; Words::CAP], from: usize, mask: u64, base: u32) -> usize {
    const IOTA: [u8; 64] = {
        let mut iota = [0u8; 64];
        let mut i = 0;
        while i < 64 {
            iota[i] = i as u8;
            i += 1;
        }
        iota
    };
    let count = mask.count_ones() as usize;
    // SAFETY: `IOTA` is 64 bytes.
    let iota = unsafe { _mm512_loadu_epi8(IOTA.as_ptr().cast()) };
    let packed = _mm512_maskz_compress_epi8(mask, iota);
    let base = _mm512_set1_epi32(base as i32);
    let mut sixteen = |at: usize, bytes: __m128i| {
        let slots: &mut [u32; 16] = (&mut to[at..at + 16]).try_into().expect("sixteen slots");
        let offsets = _mm512_add_epi32(_mm512_cvtepu8_epi32(bytes), base);
        // SAFETY: `slots` is sixteen `u32`s.
        unsafe { _mm512_storeu_epi32(slots.as_mut_ptr().cast(), offsets) };
    };
    sixteen(from, _mm512_castsi512_si128(packed));
    if count > 16 {
        sixteen(from + 16, _mm512_extracti32x4_epi32::<1>(packed));
    }
    count
}

/// As [`super::shingle::push_word_hashes`]: appends the hash of each word
/// of `segment` (words separated by ASCII whitespace) to `hashes`, and
/// whether it holds a digit to `numeric`. The segment must be shorter than
/// 4 GiB (offsets are `u32`).
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vbmi2,bmi2")]
pub(super) fn push_word_hashes(segment: &[u8], hashes: &mut Vec<u64>, numeric: &mut Vec<bool>) {
    let n = segment.len();
    assert!(u32::try_from(n).is_ok(), "segment of 4 GiB or more");
    let mut words = Words::new();
    // Whether the byte before the chunk is whitespace, in bit 0 (the
    // segment's start counts as whitespace).
    let mut before = 1u64;
    let mut at = 0;
    while at < n {
        let valid = low_bits(n - at);
        // SAFETY: the lanes loaded (`valid`) are `segment[at..]`, at most
        // 64 of them; a masked-off lane is neither read nor faulted on.
        let v = unsafe { _mm512_maskz_loadu_epi8(valid, segment.as_ptr().add(at).cast()) };
        // Past the segment's end counts as whitespace, so a word running
        // to the end of a partial chunk ends there.
        let ws = whitespace(v) | !valid;
        let prev = (ws << 1) | before;
        before = ws >> 63;
        // `at` fits: the segment is under 4 GiB.
        let base = at as u32;
        words.open += put_offsets(&mut words.starts, words.open, !ws & prev, base);
        words.closed += put_offsets(&mut words.ends, words.closed, ws & !prev, base);
        if words.round_complete() {
            words.append(hashes, numeric, |at, live, out| {
                hash8(segment, &words, at, live, out)
            });
            words.next_round();
        }
        at += 64;
    }
    // Fits: the segment is under 4 GiB.
    words.close_at(n as u32);
    words.append(hashes, numeric, |at, live, out| {
        hash8(segment, &words, at, live, out)
    });
}

/// The ASCII whitespace (as [`u8::is_ascii_whitespace`]: space, tab, line
/// feed, form feed, carriage return) among the 64 bytes of `v`, one bit a
/// byte.
#[target_feature(enable = "avx512f,avx512bw")]
fn whitespace(v: __m512i) -> u64 {
    let space = _mm512_cmpeq_epi8_mask(v, splat(b' '));
    // 0x09..=0x0D, then without 0x0B (vertical tab).
    let controls = in_range(v, 0x09, 0x0D);
    let vtab = _mm512_cmpeq_epi8_mask(v, splat(0x0B));
    space | (controls & !vtab)
}

/// The hashes of the `live` lanes' words, `words[at..at + 8]`, into
/// `out`, and which of them hold a digit (one bit a lane).
///
/// Each word's 16-byte block is read from its start, or, where that would
/// reach past the segment's end, from 16 bytes before the end and shifted
/// down to the word's start (as the scalar version does). Words longer
/// than 16 bytes, and any word of a segment shorter than 16, are hashed by
/// the scalar code in their lanes.
#[target_feature(enable = "avx512f,avx512bw,avx512dq")]
fn hash8(segment: &[u8], words: &Words, at: usize, live: __mmask8, out: &mut [u64; 8]) -> u8 {
    let (starts, ends) = (&words.starts[at..at + 8], &words.ends[at..at + 8]);
    // SAFETY: both slices are eight `u32`s.
    let (st, en) = unsafe {
        (
            _mm512_cvtepu32_epi64(_mm256_loadu_si256(starts.as_ptr().cast())),
            _mm512_cvtepu32_epi64(_mm256_loadu_si256(ends.as_ptr().cast())),
        )
    };
    let len = _mm512_sub_epi64(en, st);
    let (eight, sixteen) = (_mm512_set1_epi64(8), _mm512_set1_epi64(16));
    let n = segment.len();
    let fits = if n >= 16 {
        live & _mm512_cmple_epu64_mask(len, sixteen)
    } else {
        0
    };
    // Where each block is read from, and how many bits it is shifted down.
    let from = _mm512_min_epu64(st, _mm512_set1_epi64(n.saturating_sub(16) as i64));
    let shift = _mm512_slli_epi64(_mm512_sub_epi64(st, from), 3);
    let (lo, hi) = if n >= 16 {
        blocks(segment, starts)
    } else {
        (_mm512_setzero_si512(), _mm512_setzero_si512())
    };
    // The 128-bit block shifted down by `shift` (0..=120) bits: a shift by
    // 64 or more gives zero, and a "negative" count is a huge one.
    let sixty_four = _mm512_set1_epi64(64);
    let lo = _mm512_or_si512(
        _mm512_srlv_epi64(lo, shift),
        _mm512_or_si512(
            _mm512_sllv_epi64(hi, _mm512_sub_epi64(sixty_four, shift)),
            _mm512_srlv_epi64(hi, _mm512_sub_epi64(shift, sixty_four)),
        ),
    );
    let hi = _mm512_srlv_epi64(hi, shift);
    // Keep each word's bytes: shifting all ones by 64 or more gives zero.
    let ones = _mm512_set1_epi64(-1);
    let keep_lo = _mm512_andnot_si512(_mm512_sllv_epi64(ones, _mm512_slli_epi64(len, 3)), ones);
    let past_eight = _mm512_sub_epi64(_mm512_max_epu64(len, eight), eight);
    let keep_hi = _mm512_andnot_si512(
        _mm512_sllv_epi64(ones, _mm512_slli_epi64(past_eight, 3)),
        ones,
    );
    let (lo, hi) = (_mm512_and_si512(lo, keep_lo), _mm512_and_si512(hi, keep_hi));

    let digit_bytes = _mm512_movm_epi8(in_range(lo, b'0', b'9') | in_range(hi, b'0', b'9'));
    let mut digits = _mm512_test_epi64_mask(digit_bytes, digit_bytes);

    // xxh3_64_with_seed(block, len) of a 16-byte block: the seed is the
    // word's length.
    let a = _mm512_xor_si512(lo, _mm512_add_epi64(_mm512_set1_epi64(FLIP_LO as i64), len));
    let b = _mm512_xor_si512(hi, _mm512_sub_epi64(_mm512_set1_epi64(FLIP_HI as i64), len));
    let acc = _mm512_add_epi64(
        _mm512_add_epi64(sixteen, byte_swap(a)),
        _mm512_add_epi64(b, mul128_fold(a, b)),
    );
    let h = avalanche(acc);
    // SAFETY: `out` is eight `u64`s.
    unsafe { _mm512_storeu_epi64(out.as_mut_ptr().cast(), h) };

    // The rest by the scalar code.
    words.hash_slow_lanes(segment, at, live & !fits, out, &mut digits);
    digits
}

/// The 16-byte blocks of the segment (at least 16 bytes long) from each
/// of the eight `starts`, or from 16 bytes before its end where a block
/// would reach past it: their low halves and their high halves.
///
/// Eight 16-byte loads, not two gathers: with gathers, perf put a quarter
/// of the hashing's time in a lean ingest on them, and these loads made
/// the ingest about 4% faster. (The stage benchmark, whose segments were
/// written long before, timed both alike; in the pipeline the normalizer
/// has just written the segment, which may be what the gathers wait on.)
#[target_feature(enable = "avx512f,avx512dq")]
fn blocks(segment: &[u8], starts: &[u32]) -> (__m512i, __m512i) {
    let last = segment.len() - 16;
    let block = |j: usize| {
        let from = (starts[j] as usize).min(last);
        // SAFETY: `from + 16 <= segment.len()`.
        unsafe { _mm_loadu_si128(segment.as_ptr().add(from).cast()) }
    };
    // Blocks 0..4 and 4..8, one to each 128-bit lane.
    let four = |j: usize| {
        let x = _mm512_castsi128_si512(block(j));
        let x = _mm512_inserti64x2::<1>(x, block(j + 1));
        let x = _mm512_inserti64x2::<2>(x, block(j + 2));
        _mm512_inserti64x2::<3>(x, block(j + 3))
    };
    let (a, b) = (four(0), four(4));
    // The halves come out in the word order 0, 4, 1, 5, 2, 6, 3, 7.
    let order = _mm512_set_epi64(7, 5, 3, 1, 6, 4, 2, 0);
    (
        _mm512_permutexvar_epi64(order, _mm512_unpacklo_epi64(a, b)),
        _mm512_permutexvar_epi64(order, _mm512_unpackhi_epi64(a, b)),
    )
}

/// Each 64-bit lane's bytes reversed.
#[target_feature(enable = "avx512f,avx512bw")]
fn byte_swap(x: __m512i) -> __m512i {
    let [low, high] = BYTE_SWAP;
    _mm512_shuffle_epi8(
        x,
        _mm512_set_epi64(high, low, high, low, high, low, high, low),
    )
}

/// Each lane's 128-bit product `a × b`, its two halves XORed (xxh3's
/// `mul128_fold64`), from four 32×32→64-bit multiplies.
#[target_feature(enable = "avx512f")]
fn mul128_fold(a: __m512i, b: __m512i) -> __m512i {
    let low32 = _mm512_set1_epi64(0xFFFF_FFFF);
    let (a_hi, b_hi) = (_mm512_srli_epi64(a, 32), _mm512_srli_epi64(b, 32));
    let p00 = _mm512_mul_epu32(a, b);
    let p01 = _mm512_mul_epu32(a, b_hi);
    let p10 = _mm512_mul_epu32(a_hi, b);
    let p11 = _mm512_mul_epu32(a_hi, b_hi);
    // Bits 32..96 of the product, before carries out of bit 64: under 2^34.
    let mid = _mm512_add_epi64(
        _mm512_srli_epi64(p00, 32),
        _mm512_add_epi64(_mm512_and_si512(p01, low32), _mm512_and_si512(p10, low32)),
    );
    let low = _mm512_or_si512(_mm512_and_si512(p00, low32), _mm512_slli_epi64(mid, 32));
    let high = _mm512_add_epi64(
        _mm512_add_epi64(p11, _mm512_srli_epi64(mid, 32)),
        _mm512_add_epi64(_mm512_srli_epi64(p01, 32), _mm512_srli_epi64(p10, 32)),
    );
    _mm512_xor_si512(low, high)
}

/// xxh3's final avalanche of each lane.
#[target_feature(enable = "avx512f,avx512dq")]
fn avalanche(x: __m512i) -> __m512i {
    let x = _mm512_xor_si512(x, _mm512_srli_epi64(x, 37));
    let x = _mm512_mullo_epi64(x, _mm512_set1_epi64(PRIME_MX1 as i64));
    _mm512_xor_si512(x, _mm512_srli_epi64(x, 32))
}

#[cfg(test)]
mod tests {
    use super::{available, push_word_hashes};

    #[test]
    fn same_hashes_as_the_scalar_version() {
        crate::core::testing::check_word_hasher(available(), push_word_hashes);
    }
}
