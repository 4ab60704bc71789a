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

/// Slots a table needs to hold `entries` without growing.
pub(crate) fn slots_for(entries: usize) -> usize {
    ((entries as f64 / MAX_LOAD).ceil() as usize + 1).max(MIN_SLOTS)
}

/// A table of `size` slots, all `free`, or the allocator's refusal.
pub(crate) fn free_slots<T: Copy>(
    size: usize,
    free: T,
) -> Result<Vec<T>, std::collections::TryReserveError> {
    let mut slots = Vec::new();
    slots.try_reserve_exact(size)?;
    slots.resize(size, free);
    Ok(slots)
}

/// `slots` (all free, its length the new size) filled with `old`'s entries
/// (those `taken`), in `old`'s order, each in the first free slot at or
/// after its home (`home_of`, for the new size). This is the layout
/// inserting them one by one gives, without the search for a free slot:
/// new homes follow old homes, so an entry's home is nearly always at or
/// after the start of the run the last entry went into, and its free slot is
/// then the one after that entry (or its home, past a gap). A search runs
/// only for an entry whose home lies before that run, or where entries
/// placed at the end of the table wrapped round.
pub(crate) fn rehash<T: Copy>(
    old: &[T],
    mut slots: Vec<T>,
    taken: impl Fn(&T) -> bool,
    home_of: impl Fn(&T) -> usize,
) -> Vec<T> {
    let size = slots.len();
    // Slots `run..cursor` are known to be taken (`cursor < size`).
    let (mut run, mut cursor) = (0, 0);
    for entry in old.iter().filter(|e| taken(e)) {
        let h = home_of(entry);
        let mut i = if h >= run { h.max(cursor) } else { h };
        while taken(&slots[i]) {
            i = next(i, size);
        }
        slots[i] = *entry;
        if i != cursor {
            run = i;
        }
        cursor = i + 1;
        if cursor == size {
            (run, cursor) = (0, 0);
        }
    }
    slots
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// [`rehash`] by inserting one entry at a time.
    fn rehash_one_by_one(old: &[Option<u32>], size: usize) -> Vec<Option<u32>> {
        let mut slots = vec![None; size];
        for key in old.iter().flatten() {
            let mut i = home(*key, size);
            while slots[i].is_some() {
                i = next(i, size);
            }
            slots[i] = Some(*key);
        }
        slots
    }

    proptest! {
        #[test]
        fn rehash_lays_out_entries_as_inserting_them_does(
            keys in proptest::collection::vec(any::<u32>(), 0..400),
            narrow in any::<bool>(),
        ) {
            // Narrow keys share homes: long runs, out-of-order homes.
            let keys: Vec<u32> = if narrow {
                keys.iter().map(|k| k % 64).collect()
            } else {
                keys
            };
            // An old table as the index fills one, then the grown one.
            let mut size = MIN_SLOTS;
            let mut table = vec![None; size];
            for key in keys {
                if is_full(table.iter().flatten().count(), size) {
                    let bigger = grown(size);
                    let expected = rehash_one_by_one(&table, bigger);
                    let got = rehash(&table, vec![None; bigger], Option::is_some, |e: &Option<u32>| {
                        home(e.unwrap_or(0), bigger)
                    });
                    prop_assert_eq!(&got, &expected);
                    (table, size) = (got, bigger);
                }
                let mut i = home(key, size);
                while table[i].is_some() {
                    i = next(i, size);
                }
                table[i] = Some(key);
            }
        }
    }

    #[test]
    fn a_table_sized_for_n_takes_n_entries_without_growing_and_no_more_room() {
        for n in (0..5000).chain([123_456, 10_000_000]) {
            let slots = slots_for(n);
            // Holding n - 1 (and so any fewer), it takes the n-th.
            assert!(!is_full(n.saturating_sub(1), slots), "n = {n}");
            // At most two slots more than the load limit needs.
            assert!(slots <= (n as f64 / MAX_LOAD) as usize + 2 || slots == MIN_SLOTS);
        }
        assert_eq!(free_slots(5, 7u8), Ok(vec![7u8; 5]));
        assert!(free_slots(usize::MAX, 0u64).is_err());
    }

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
