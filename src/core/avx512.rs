//! Byte classes of 64 bytes at a time with AVX-512 BW, shared by the
//! hand-written AVX-512 versions (`normalize/words_avx512.rs`,
//! `word_hashes_avx512.rs`). Their callers check the features.

use std::arch::x86_64::{__m512i, _mm512_cmplt_epu8_mask, _mm512_set1_epi8, _mm512_sub_epi8};

/// Every byte `b` (as the bit pattern of an `i8` lane).
#[target_feature(enable = "avx512f")]
pub(crate) fn splat(b: u8) -> __m512i {
    _mm512_set1_epi8(b as i8)
}

/// The bytes of `v` in `lo..=hi` (`lo <= hi`, not the whole range), one
/// bit a byte.
#[target_feature(enable = "avx512f,avx512bw")]
pub(crate) fn in_range(v: __m512i, lo: u8, hi: u8) -> u64 {
    _mm512_cmplt_epu8_mask(_mm512_sub_epi8(v, splat(lo)), splat(hi - lo + 1))
}
