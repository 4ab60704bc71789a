//! [`super::words::write_words`] on 64 bytes at a time, for x86-64 CPUs
//! with AVX-512 (BW and VBMI2).
//!
//! The same classes and rules as the eight-byte version in [`super::words`],
//! computed as 64-bit masks, one bit a byte: a whole chunk's letters,
//! digits and joiners are found by three vector compares, its words' starts
//! and its dropped bytes by a few integer operations on the masks, and the
//! bytes kept are packed together by one `vpcompressb` and stored under a
//! mask. The eight-byte version drops bytes one at a time and so slows on
//! chunks with punctuation; this one does not.
//!
//! Its `unsafe` (the core has it here and in `core/word_hashes_avx512.rs`
//! only): loads and stores through pointers, each bounded by a mask that
//! keeps it inside its slice, and the call into a function compiled for
//! features the caller has checked ([`available`]). The tests compare it
//! with the byte-at-a-time reference wherever the CPU has the features.

use std::arch::x86_64::{
    _mm512_cmpeq_epi8_mask, _mm512_cmplt_epu8_mask, _mm512_mask_storeu_epi8,
    _mm512_maskz_compress_epi8, _mm512_maskz_loadu_epi8, _mm512_maskz_mov_epi8, _mm512_or_si512,
    _mm512_sub_epi8,
};

use crate::core::avx512::{in_range, splat};
use crate::core::swar::low_bits;

/// Whether this CPU can run [`write_words`] (AVX-512 BW and VBMI2). The
/// standard library caches what it detects, so this is two loads.
pub(super) fn available() -> bool {
    std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512vbmi2")
}

/// As [`super::words::write_words`]: writes the words of `segment` at the
/// start of `buf`, lowercased and separated by single spaces, and returns
/// how many bytes were written and how many words.
///
/// # Panics
///
/// If `buf` is not longer than `segment` (the same contract as the
/// eight-byte version; here nothing is stored past the bytes written).
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi2")]
pub(super) fn write_words(segment: &[u8], buf: &mut [u8]) -> (usize, usize) {
    assert!(
        buf.len() > segment.len(),
        "write_words needs a longer buffer"
    );
    let n = segment.len();
    let (mut len, mut words) = (0usize, 0usize);
    // Flags of the byte before the chunk, in bit 0.
    let (mut carry_alnum, mut carry_digit, mut carry_joined) = (0u64, 0u64, 0u64);
    let mut at = 0;
    while at < n {
        let take = (n - at).min(64);
        let valid = low_bits(take);
        // SAFETY: the lanes loaded (`valid`) are `segment[at..at + take]`;
        // a masked-off lane is neither read nor faulted on, and reads zero.
        let v = unsafe { _mm512_maskz_loadu_epi8(valid, segment.as_ptr().add(at).cast()) };
        let next_is_digit = segment.get(at + 64).is_some_and(u8::is_ascii_digit);

        let digit = in_range(v, b'0', b'9');
        // Setting bit 5 maps 'A'..='Z' onto 'a'..='z' and nothing else there.
        let letter = _mm512_cmplt_epu8_mask(
            _mm512_sub_epi8(_mm512_or_si512(v, splat(0x20)), splat(b'a')),
            splat(26),
        );
        // Setting bit 1 maps ',' onto '.' and nothing else there.
        let joiner = _mm512_cmpeq_epi8_mask(_mm512_or_si512(v, splat(0x02)), splat(b'.'));
        let alnum = digit | letter;

        let prev_alnum = (alnum << 1) | carry_alnum;
        let prev_digit = (digit << 1) | carry_digit;
        let next_digit = (digit >> 1) | (u64::from(next_is_digit) << 63);
        let joined = joiner & prev_digit & next_digit;
        let prev_joined = (joined << 1) | carry_joined;
        // A word starts at a letter or digit that neither follows one nor
        // continues a figure across a joining `.` or `,`.
        let starts = alnum & !prev_alnum & !prev_joined;
        // A separator is written (as a space) only right after a word; the
        // lanes past the segment's end are not written at all.
        let dropped = (!alnum & (!prev_alnum | joined)) | !valid;

        // Letters and digits with bit 5 set (lowercase), every other lane
        // a space; then the kept lanes packed to the bottom.
        let bytes = _mm512_or_si512(_mm512_maskz_mov_epi8(alnum, v), splat(0x20));
        let keep = !dropped;
        let packed = _mm512_maskz_compress_epi8(keep, bytes);
        let kept = keep.count_ones() as usize;
        // Each kept lane is a byte of `segment[at..at + take]`, so
        // `len + kept <= at + take <= n < buf.len()`.
        debug_assert!(len + kept <= at + take);
        // SAFETY: the lanes stored are `buf[len..len + kept]`, inside `buf`
        // as shown above; masked-off lanes are not written.
        unsafe {
            _mm512_mask_storeu_epi8(buf.as_mut_ptr().add(len).cast(), low_bits(kept), packed)
        };
        len += kept;
        words += starts.count_ones() as usize;

        carry_alnum = alnum >> 63;
        carry_digit = digit >> 63;
        carry_joined = joined >> 63;
        at += take;
    }
    // A segment ending in a separator has written one space after its last word.
    if words > 0 && !segment.last().is_some_and(u8::is_ascii_alphanumeric) {
        len -= 1;
    }
    (len, words)
}
