//! The constants of xxh3's 9–16-byte path, which hashes a word's
//! zero-padded 16-byte block ([`super::shingle::word_hash`]): what the
//! hand-written vector word hashers (`word_hashes_avx2.rs`,
//! `word_hashes_avx512.rs`) compute lane by lane. Their tests check the
//! hashes against the `xxhash-rust` crate's.

/// Bytes 24..56 of xxh3's default secret: what its 9–16-byte path mixes in.
const SECRET_24_56: [u8; 32] = [
    0x72, 0x40, 0xa4, 0xa4, 0xb7, 0xb3, 0x67, 0x1f, 0xcb, 0x79, 0xe6, 0x4e, 0xcc, 0xc0, 0xe5, 0x78,
    0x82, 0x5a, 0xd0, 0x7d, 0xcc, 0xff, 0x72, 0x21, 0xb8, 0x08, 0x46, 0x74, 0xf7, 0x43, 0x24, 0x8e,
];

/// The little-endian `u64` at `at` in [`SECRET_24_56`].
const fn secret(at: usize) -> u64 {
    let s = &SECRET_24_56;
    u64::from_le_bytes([
        s[at],
        s[at + 1],
        s[at + 2],
        s[at + 3],
        s[at + 4],
        s[at + 5],
        s[at + 6],
        s[at + 7],
    ])
}

/// xxh3's flip of a block's low half, before the seed is added.
pub(super) const FLIP_LO: u64 = secret(0) ^ secret(8);
/// xxh3's flip of a block's high half, before the seed is subtracted.
pub(super) const FLIP_HI: u64 = secret(16) ^ secret(24);
/// xxh3's avalanche multiplier.
pub(super) const PRIME_MX1: u64 = 0x1656_6791_9E37_79F9;
/// Each 64-bit lane's bytes reversed, as `pshufb` indices (the low and the
/// high eight bytes of a 128-bit lane).
pub(super) const BYTE_SWAP: [i64; 2] = [0x0001_0203_0405_0607, 0x0809_0A0B_0C0D_0E0F];
