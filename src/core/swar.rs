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

/// Bits `0..n` set (`n <= 64`): the lanes of a 64-byte chunk that hold
/// `n` bytes, as a mask. (Used by the AVX-512 versions, x86-64 only.)
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) const fn low_bits(n: usize) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
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

/// Bit `j` set where byte `j` of `chunk` (at most 64 bytes) satisfies `is`.
///
/// A whole chunk of 64 is classified into 64 flag bytes first, a loop of
/// fixed length that the compiler turns into vector compares where the CPU
/// has them (in the functions compiled per CPU level that inline it); then
/// each eight flags are packed into a byte by one multiplication
/// ([`pack_lanes`]). Shifting each flag into place in one fold instead
/// compiles to a masked vector OR per eight bytes and a reduction: 2.9
/// times slower with AVX-512, 6.7 times on the x86-64 baseline, about the
/// same with AVX2.
#[inline(always)]
pub(crate) fn byte_mask(chunk: &[u8], is: impl Fn(u8) -> bool) -> u64 {
    match <&[u8; 64]>::try_from(chunk) {
        Ok(whole) => {
            let mut flags = [0u8; 64];
            for (flag, &b) in flags.iter_mut().zip(whole) {
                *flag = if is(b) { 0x80 } else { 0 };
            }
            let mut mask = 0;
            for (k, eight) in flags.chunks_exact(8).enumerate() {
                let mut lanes = [0u8; 8];
                lanes.copy_from_slice(eight);
                mask |= pack_lanes(u64::from_le_bytes(lanes)) << (8 * k);
            }
            mask
        }
        Err(_) => chunk
            .iter()
            .enumerate()
            .fold(0, |m, (j, &b)| m | (u64::from(is(b)) << j)),
    }
}

/// The flags of `x` (per-lane flags: only high bits set) as the low byte,
/// lane `i` in bit `i`. The multiplier moves lane `i`'s flag (at bit `8i`
/// once shifted down) to bit `56 + i`; no two of the 64 partial products
/// share a bit, so nothing carries into the top byte.
pub(crate) const fn pack_lanes(x: u64) -> u64 {
    (x >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56
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

    #[test]
    fn pack_lanes_puts_lane_i_in_bit_i() {
        for bits in 0..=255u8 {
            let lanes: [u8; 8] = std::array::from_fn(|i| if bits >> i & 1 == 1 { 0x80 } else { 0 });
            assert_eq!(pack_lanes(u64::from_le_bytes(lanes)), u64::from(bits));
        }
    }

    #[test]
    fn byte_mask_flags_the_bytes_asked_for() {
        let text: Vec<u8> = (0..64u8)
            .map(|i| if i % 5 == 0 { b' ' } else { b'a' + i % 26 })
            .collect();
        for len in [0, 1, 17, 63, 64] {
            let m = byte_mask(&text[..len], |b| b == b' ');
            for (j, &b) in text[..len].iter().enumerate() {
                assert_eq!(m >> j & 1 == 1, b == b' ', "byte {j} of {len}");
            }
            assert_eq!(m >> len.min(63) >> 1, 0, "nothing past the chunk");
        }
    }

    proptest::proptest! {
        #[test]
        fn byte_mask_is_the_bytes_tested_one_by_one(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 64),
            len in 0..64usize,
            whole in proptest::prelude::any::<bool>(),
        ) {
            // Half the cases a whole chunk of 64 (the vector path).
            let chunk = &bytes[..if whole { 64 } else { len }];
            for is in [|b: u8| b <= 0x20, |b: u8| matches!(b, b'\n' | b'.' | b'!' | b'?')] {
                let one_by_one = chunk
                    .iter()
                    .enumerate()
                    .filter(|(_, &b)| is(b))
                    .fold(0u64, |m, (j, _)| m | 1 << j);
                proptest::prop_assert_eq!(byte_mask(chunk, is), one_by_one);
            }
        }
    }
}
