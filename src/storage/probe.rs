//! Slot arithmetic shared by the open-addressing tables (bucket postings,
//! furniture counters): where a key's run starts, the next slot, cyclic
//! distance, and how a table grows.
//!
//! Table sizes are not powers of two: a key's home slot is its mixed hash
//! scaled to the size (Lemire's fast range), so a full table can grow by
//! half instead of doubling. With a maximum load of 0.8, tables then sit
//! between 53% and 80% full instead of between 40% and 80%. That matters
//! because the tables grow in step: the 256 of them share their keys evenly,
//! so at some index sizes every table has just doubled.

/// Grow a table when more than this share of its slots is taken.
pub(crate) const MAX_LOAD: f64 = 0.8;

/// Slots of the smallest table that holds anything.
const MIN_SLOTS: usize = 16;

/// The home slot of `key` in a table of `slots` slots (`slots > 0`).
pub(crate) fn home(key: u32, slots: usize) -> usize {
    // Fibonacci hashing spreads even keys that are not uniform; the high
    // half, scaled to the size, picks the slot.
    let mixed = u64::from(key).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
    ((mixed * slots as u64) >> 32) as usize
}

/// The slot after `i`, wrapping around.
pub(crate) fn next(i: usize, slots: usize) -> usize {
    if i + 1 == slots {
        0
    } else {
        i + 1
    }
}

/// Steps from `from` forward to `to`, wrapping around.
pub(crate) fn distance(from: usize, to: usize, slots: usize) -> usize {
    if to >= from {
        to - from
    } else {
        to + slots - from
    }
}

/// Whether a table of `slots` slots holding `len` entries must grow before
/// taking one more.
pub(crate) fn is_full(len: usize, slots: usize) -> bool {
    (len + 1) as f64 > MAX_LOAD * slots as f64
}

/// The size a full table of `slots` slots grows to.
pub(crate) fn grown(slots: usize) -> usize {
    (slots + slots / 2).max(MIN_SLOTS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn homes_fall_inside_any_size() {
        for slots in [1, 16, 24, 36, 1000, 786_432] {
            for key in [0, 1, 7, u32::MAX, 0xDEAD_BEEF] {
                assert!(home(key, slots) < slots);
            }
        }
    }

    #[test]
    fn homes_spread_over_the_table() {
        let slots = 24;
        let mut hits = vec![0u32; slots];
        for key in 0..24_000u32 {
            hits[home(key, slots)] += 1;
        }
        assert!(hits.iter().all(|h| (800..1200).contains(h)), "{hits:?}");
    }

    #[test]
    fn next_and_distance_wrap() {
        assert_eq!(next(5, 6), 0);
        assert_eq!(next(2, 6), 3);
        assert_eq!(distance(4, 1, 6), 3);
        assert_eq!(distance(1, 4, 6), 3);
        assert_eq!(distance(3, 3, 6), 0);
    }

    #[test]
    fn growth_keeps_load_above_half() {
        let mut slots = 0;
        for _ in 0..40 {
            let bigger = grown(slots);
            assert!(bigger > slots);
            if slots >= MIN_SLOTS {
                assert!(MAX_LOAD * slots as f64 / bigger as f64 > 0.53);
            }
            slots = bigger;
        }
    }
}
