//! How the compact tables (bucket postings, furniture counters) are split
//! and locked.
//!
//! Keys are uniform 64-bit hashes. The top [`LOCK_BITS`] pick a lock, the
//! next [`TABLE_BITS`] one of the tables under it, and the table stores the
//! low 32 bits: 40 bits tell two keys apart.
//!
//! Locks are few on purpose. An article reads and writes dozens of keys at
//! once, each a likely cache miss; the `_many` methods visit its keys lock by
//! lock, taking each lock once, so the misses under one lock overlap instead
//! of each waiting behind a lock operation (a locked instruction is a full
//! fence on x86). Sixteen locks are still enough that writers on a few cores
//! rarely meet.

use parking_lot::RwLock;

/// Bits of a key that pick its lock.
const LOCK_BITS: u32 = 4;
/// Bits of a key, after the lock's, that pick its table under the lock.
const TABLE_BITS: u32 = 4;
const TABLES: usize = 1 << TABLE_BITS;

/// Where a key lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Place {
    lock: usize,
    table: usize,
    low: u32,
}

fn place(key: u64) -> Place {
    Place {
        lock: (key >> (64 - LOCK_BITS)) as usize,
        table: ((key >> (64 - LOCK_BITS - TABLE_BITS)) as usize) & (TABLES - 1),
        low: key as u32,
    }
}

/// A key rebuilt from where it lives: the bits that address it (its top 8
/// and low 32), so it maps back to the same place.
fn key_of(lock: usize, table: usize, low: u32) -> u64 {
    (lock as u64) << (64 - LOCK_BITS)
        | (table as u64) << (64 - LOCK_BITS - TABLE_BITS)
        | u64::from(low)
}

/// A table that can load the first slot a key's look-up will read.
pub(crate) trait Touch {
    /// Reads the home slot of `low` (its first probe) and returns a word of
    /// it, so a batch can start all its cache misses before using any.
    fn touch(&self, low: u32) -> u32;
}

/// Tables of `T`, [`TABLES`] under each of `2^LOCK_BITS` locks.
#[derive(Debug)]
pub(crate) struct Sharded<T> {
    locks: Box<[RwLock<Box<[T]>>]>,
}

impl<T: Default> Default for Sharded<T> {
    fn default() -> Self {
        Sharded {
            locks: (0..1 << LOCK_BITS)
                .map(|_| RwLock::new((0..TABLES).map(|_| T::default()).collect()))
                .collect(),
        }
    }
}

impl<T: Touch> Sharded<T> {
    /// Calls `f` with the table of `key` and the key's low 32 bits.
    pub(crate) fn read<R>(&self, key: u64, f: impl FnOnce(&T, u32) -> R) -> R {
        let p = place(key);
        f(&self.locks[p.lock].read()[p.table], p.low)
    }

    /// Calls `f` with the table of `key`, writable, and the key's low 32 bits.
    pub(crate) fn write<R>(&self, key: u64, f: impl FnOnce(&mut T, u32) -> R) -> R {
        let p = place(key);
        f(&mut self.locks[p.lock].write()[p.table], p.low)
    }

    /// Calls `f(i, table, low)` for every `keys[i]`, each lock taken once;
    /// keys under one lock are visited in their order in `keys`.
    pub(crate) fn read_many(&self, keys: &[u64], mut f: impl FnMut(usize, &T, u32)) {
        for_each_lock(keys, |lock, group| {
            let tables = self.locks[lock].read();
            touch_all(&tables, group);
            for &(i, p) in group {
                f(i, &tables[p.table], p.low);
            }
        });
    }

    /// As [`Sharded::read_many`], with the tables writable.
    pub(crate) fn write_many(&self, keys: &[u64], mut f: impl FnMut(usize, &mut T, u32)) {
        for_each_lock(keys, |lock, group| {
            let mut tables = self.locks[lock].write();
            touch_all(&tables, group);
            for &(i, p) in group {
                f(i, &mut tables[p.table], p.low);
            }
        });
    }

    /// Calls `f` with every table and a function rebuilding a key held in
    /// it from its low 32 bits.
    pub(crate) fn for_each_table(&self, mut f: impl FnMut(&T, &dyn Fn(u32) -> u64)) {
        for (lock, tables) in self.locks.iter().enumerate() {
            for (table, t) in tables.read().iter().enumerate() {
                f(t, &|low| key_of(lock, table, low));
            }
        }
    }
}

/// Loads the home slot of every key in `group` before any is used: the
/// loads are independent, so their cache misses overlap, where a look-up
/// loop waits on each probe's miss before its next branch.
fn touch_all<T: Touch>(tables: &[T], group: &[(usize, Place)]) {
    if group.len() < 2 {
        return;
    }
    let mut any = 0;
    for &(_, p) in group {
        any ^= tables[p.table].touch(p.low);
    }
    std::hint::black_box(any);
}

/// Groups `keys` by lock: calls `f(lock, [(position in keys, place)])`
/// once per lock they use, positions in increasing order.
fn for_each_lock(keys: &[u64], mut f: impl FnMut(usize, &[(usize, Place)])) {
    const LOCKS: usize = 1 << LOCK_BITS;
    // A counting sort by lock: stable, so keys under one lock keep their order.
    let mut start = [0usize; LOCKS + 1];
    for key in keys {
        start[place(*key).lock + 1] += 1;
    }
    for lock in 0..LOCKS {
        start[lock + 1] += start[lock];
    }
    let mut next = start;
    let mut placed = vec![(0, place(0)); keys.len()];
    for (i, key) in keys.iter().enumerate() {
        let p = place(*key);
        placed[next[p.lock]] = (i, p);
        next[p.lock] += 1;
    }
    for lock in 0..LOCKS {
        let group = &placed[start[lock]..start[lock + 1]];
        if !group.is_empty() {
            f(lock, group);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Touch for Vec<u32> {
        fn touch(&self, _: u32) -> u32 {
            0
        }
    }

    #[test]
    fn a_rebuilt_key_lives_where_the_key_does() {
        for key in [0, u64::MAX, 0xABCD_EF01_2345_6789, 1 << 63 | 7] {
            let p = place(key);
            assert_eq!(place(key_of(p.lock, p.table, p.low)), p);
        }
    }

    #[test]
    fn many_visits_every_key_once_in_order_per_lock() {
        let sharded: Sharded<Vec<u32>> = Sharded::default();
        let keys: Vec<u64> = (0..100u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        sharded.write_many(&keys, |i, table, low| {
            assert_eq!(low, keys[i] as u32);
            table.push(i as u32);
        });
        let mut seen = Vec::new();
        sharded.for_each_table(|table, _| {
            assert!(table.windows(2).all(|w| w[0] < w[1]));
            seen.extend_from_slice(table);
        });
        seen.sort_unstable();
        assert_eq!(seen, (0..100).collect::<Vec<u32>>());
    }
}
