//! Byte classes of 32 bytes at a time with AVX2, shared by the
//! hand-written AVX2 versions (`normalize/words_avx2.rs`,
//! `word_hashes_avx2.rs`). Their callers check the features.

use std::arch::x86_64::{
    __m256i, _mm256_cmpeq_epi8, _mm256_min_epu8, _mm256_set1_epi64x, _mm256_set1_epi8,
    _mm256_sub_epi8,
};

/// Every byte `b` (as the bit pattern of an `i8` lane).
#[target_feature(enable = "avx2")]
pub(crate) fn splat(b: u8) -> __m256i {
    _mm256_set1_epi8(b as i8)
}

/// Every 64-bit lane `x` (as the bit pattern of an `i64` lane).
#[target_feature(enable = "avx2")]
pub(crate) fn splat64(x: u64) -> __m256i {
    _mm256_set1_epi64x(x as i64)
}

/// All ones in the bytes of `v` in `lo..=hi` (`lo <= hi`), zeros elsewhere.
#[target_feature(enable = "avx2")]
pub(crate) fn in_range(v: __m256i, lo: u8, hi: u8) -> __m256i {
    let above_lo = _mm256_sub_epi8(v, splat(lo));
    _mm256_cmpeq_epi8(_mm256_min_epu8(above_lo, splat(hi - lo)), above_lo)
}
