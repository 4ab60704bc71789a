//! Byte classification eight bytes at a time ("SWAR": SIMD within a
//! register). A `u64` holds eight bytes, the first in the lowest lane; a
//! per-lane flag is the lane's high bit. Used by the tokenizer and the word
//! hasher, which run over every byte of every article.

/// Bytes that have only their high bit set, in every lane: how per-lane
/// flags are represented.
pub(crate) const HIGH: u64 = 0x8080_8080_8080_8080;

/// `b` in every lane.
pub(crate) const fn splat(b: u8) -> u64 {
    u64::from_le_bytes([b; 8])
}

/// The high bit of each lane of `x` whose byte is in `lo..=hi` (ASCII bounds).
///
/// The low seven bits of each lane are offset so that the lane's high bit
/// tells a comparison, without a carry into the next lane; bytes of 0x80 and
/// above are excluded at the end.
pub(crate) const fn in_range(x: u64, lo: u8, hi: u8) -> u64 {
    let low7 = x & !HIGH;
    let at_least_lo = low7 + splat(0x80 - lo);
    let above_hi = low7 + splat(0x7F - hi);
    at_least_lo & !above_hi & !x & HIGH
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_range_matches_the_byte_comparison() {
        for b in 0..=255u8 {
            let x = u64::from_le_bytes([b, 0, b, 0xFF, b, 0x80, b, 0x7F]);
            for (lo, hi) in [(b'0', b'9'), (0, 0x20), (b'a', b'z'), (b'.', b'.')] {
                let flags = in_range(x, lo, hi);
                for (lane, byte) in x.to_le_bytes().into_iter().enumerate() {
                    let set = flags & (0x80 << (8 * lane)) != 0;
                    assert_eq!(set, (lo..=hi).contains(&byte), "{byte:#x} in {lo}..={hi}");
                }
                assert_eq!(flags & !HIGH, 0);
            }
        }
    }
}
