//! How the compact tables (bucket postings, furniture counters) are split
//! and locked.
//!
//! Keys are uniform 64-bit hashes. The top [`SHARD_BITS`] pick one of 256
//! tables, and the table stores the low 32 bits: 40 bits tell two keys
//! apart. The tables are split evenly among a few locks.
//!
//! Locks are few on purpose. An article reads and writes dozens of keys at
//! once, each a likely cache miss; the `_many` methods visit its keys lock by
//! lock, taking each lock once (those free at once first, then the ones
//! another thread held), so the misses under one lock overlap, but
//! not across locks: taking a lock is a locked instruction, a full fence on
//! x86, which waits for the misses before it. So there are only as many
//! locks as writers need not to meet often: twice the machine's threads,
//! rounded up to a power of two, from 4 to 64 (see [`lock_bits_for`]). On
//! two cores, 4 locks instead of 16 made look-ups at a million held articles
//! a sixth faster, and the stream no slower.

use parking_lot::RwLock;

/// Bits of a key that pick its table (lock and table under it together).
const SHARD_BITS: u32 = 8;
/// Tables in a [`Sharded`], whatever its locks.
pub(crate) const TABLES: usize = 1 << SHARD_BITS;
/// Entries one table must hold, at most, when `total` entries fall on the
/// [`TABLES`] tables at random: its even share plus four standard
/// deviations (a table over that once in 30,000).
pub(crate) fn table_share(total: usize) -> usize {
    let share = total.div_ceil(TABLES);
    share.saturating_add(4 * (share as f64).sqrt() as usize)
}

/// The most locks (a power of two, at most `2^SHARD_BITS`).
const MAX_LOCKS: usize = 64;

/// Where a key lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Place {
    lock: usize,
    table: usize,
    low: u32,
}

/// Bits of a key that pick its lock, for a machine running `threads`
/// threads at once: `2 × threads` locks, rounded up to a power of two, from
/// 4 to [`MAX_LOCKS`].
fn lock_bits_for(threads: usize) -> u32 {
    threads
        .saturating_mul(2)
        .next_power_of_two()
        .clamp(4, MAX_LOCKS)
        .trailing_zeros()
}

/// A table that can load the first slot a key's look-up will read.
pub(crate) trait Touch {
    /// Reads the home slot of `low` (its first probe) and returns a word of
    /// it, so a batch can start all its cache misses before using any.
    fn touch(&self, low: u32) -> u32;
}

/// `2^SHARD_BITS` tables of `T`, split evenly among `2^lock_bits` locks.
#[derive(Debug)]
pub(crate) struct Sharded<T> {
    locks: Box<[RwLock<Box<[T]>>]>,
    /// Bits of a key that pick its lock (the top ones of its shard bits).
    lock_bits: u32,
}

impl<T: Default> Default for Sharded<T> {
    /// As many locks as [`lock_bits_for`] gives this machine.
    fn default() -> Self {
        let threads = std::thread::available_parallelism().map_or(8, |n| n.get());
        Self::with_lock_bits(lock_bits_for(threads))
    }
}

impl<T: Default> Sharded<T> {
    /// Empty tables under `2^lock_bits` locks (`lock_bits` ≤ 6).
    fn with_lock_bits(lock_bits: u32) -> Self {
        let tables = 1 << (SHARD_BITS - lock_bits);
        Sharded {
            locks: (0..1 << lock_bits)
                .map(|_| RwLock::new((0..tables).map(|_| T::default()).collect()))
                .collect(),
            lock_bits,
        }
    }
}

impl<T> Sharded<T> {
    /// Where `key` lives.
    fn place(&self, key: u64) -> Place {
        let shard = (key >> (64 - SHARD_BITS)) as usize;
        let table_bits = SHARD_BITS - self.lock_bits;
        Place {
            lock: shard >> table_bits,
            table: shard & ((1 << table_bits) - 1),
            low: key as u32,
        }
    }

    /// Calls `f` with table `shard` (below [`TABLES`]), writable.
    pub(crate) fn write_table<R>(&self, shard: usize, f: impl FnOnce(&mut T) -> R) -> R {
        let p = self.place((shard as u64) << (64 - SHARD_BITS));
        f(&mut self.locks[p.lock].write()[p.table])
    }

    /// A key rebuilt from where it lives: the bits that address it (its top
    /// 8 and low 32), so it maps back to the same place.
    fn key_of(&self, lock: usize, table: usize, low: u32) -> u64 {
        let shard = (lock << (SHARD_BITS - self.lock_bits)) | table;
        (shard as u64) << (64 - SHARD_BITS) | u64::from(low)
    }
}

impl<T: Touch> Sharded<T> {
    /// Calls `f` with the table of `key` and the key's low 32 bits.
    pub(crate) fn read<R>(&self, key: u64, f: impl FnOnce(&T, u32) -> R) -> R {
        let p = self.place(key);
        f(&self.locks[p.lock].read()[p.table], p.low)
    }

    /// Calls `f` with the table of `key`, writable, and the key's low 32 bits.
    pub(crate) fn write<R>(&self, key: u64, f: impl FnOnce(&mut T, u32) -> R) -> R {
        let p = self.place(key);
        f(&mut self.locks[p.lock].write()[p.table], p.low)
    }

    /// Calls `f(i, table, low)` for every `keys[i]`, each lock taken once;
    /// keys under one lock are visited in their order in `keys`, the locks
    /// free at once first (see [`Sharded::for_each_lock`]).
    pub(crate) fn read_many(&self, keys: &[u64], mut f: impl FnMut(usize, &T, u32)) {
        self.for_each_lock(keys, |lock, group, wait| {
            let tables = if wait {
                self.locks[lock].read()
            } else {
                match self.locks[lock].try_read() {
                    Some(tables) => tables,
                    None => return false,
                }
            };
            touch_all(&tables, group);
            for &(i, p) in group {
                f(i, &tables[p.table], p.low);
            }
            true
        });
    }

    /// As [`Sharded::read_many`], with the tables writable.
    pub(crate) fn write_many(&self, keys: &[u64], mut f: impl FnMut(usize, &mut T, u32)) {
        self.for_each_lock(keys, |lock, group, wait| {
            let mut tables = if wait {
                self.locks[lock].write()
            } else {
                match self.locks[lock].try_write() {
                    Some(tables) => tables,
                    None => return false,
                }
            };
            touch_all(&tables, group);
            for &(i, p) in group {
                f(i, &mut tables[p.table], p.low);
            }
            true
        });
    }

    /// Calls `f` with every table, writable, until it fails.
    pub(crate) fn try_for_each_table_mut<E>(
        &mut self,
        mut f: impl FnMut(&mut T) -> Result<(), E>,
    ) -> Result<(), E> {
        self.locks
            .iter_mut()
            .flat_map(|lock| lock.get_mut().iter_mut())
            .try_for_each(&mut f)
    }

    /// Calls `f` with every table and a function rebuilding a key held in
    /// it from its low 32 bits.
    pub(crate) fn for_each_table(&self, mut f: impl FnMut(&T, &dyn Fn(u32) -> u64)) {
        for (lock, tables) in self.locks.iter().enumerate() {
            for (table, t) in tables.read().iter().enumerate() {
                f(t, &|low| self.key_of(lock, table, low));
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

impl<T> Sharded<T> {
    /// Groups `keys` by lock and calls `visit(lock, [(position in keys,
    /// place)], wait)` for each lock they use, positions in increasing
    /// order, until it returns true. The first round goes through the locks
    /// in order with `wait` false, for `visit` to skip a lock another thread
    /// holds (return false); a second round comes back to the skipped ones
    /// with `wait` true, to block on them. Two threads writing at once then
    /// mostly work under different locks instead of one parking behind the
    /// other: with four locks and two ingest threads, a stream's threads
    /// had slept on these locks 1,600 times in 20,000 articles.
    fn for_each_lock(
        &self,
        keys: &[u64],
        mut visit: impl FnMut(usize, &[(usize, Place)], bool) -> bool,
    ) {
        let locks = self.locks.len();
        // A counting sort by lock: stable, so keys under one lock keep their order.
        let mut start = [0usize; MAX_LOCKS + 1];
        for key in keys {
            start[self.place(*key).lock + 1] += 1;
        }
        for lock in 0..locks {
            start[lock + 1] += start[lock];
        }
        let mut next = start;
        let mut placed = vec![(0, self.place(0)); keys.len()];
        for (i, key) in keys.iter().enumerate() {
            let p = self.place(*key);
            placed[next[p.lock]] = (i, p);
            next[p.lock] += 1;
        }
        let mut skipped = 0u64;
        for lock in 0..locks {
            let group = &placed[start[lock]..start[lock + 1]];
            if !group.is_empty() && !visit(lock, group, false) {
                skipped |= 1 << lock;
            }
        }
        while skipped != 0 {
            let lock = skipped.trailing_zeros() as usize;
            skipped &= skipped - 1;
            visit(lock, &placed[start[lock]..start[lock + 1]], true);
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
        for bits in 2..=6 {
            let sharded: Sharded<Vec<u32>> = Sharded::with_lock_bits(bits);
            for key in [0, u64::MAX, 0xABCD_EF01_2345_6789, 1 << 63 | 7] {
                let p = sharded.place(key);
                assert!(p.lock < 1 << bits && p.table < 1 << (SHARD_BITS - bits));
                assert_eq!(sharded.place(sharded.key_of(p.lock, p.table, p.low)), p);
                // The same 40 bits, whatever the locks.
                assert_eq!(
                    sharded.key_of(p.lock, p.table, p.low),
                    key & (0xFF << 56 | 0xFFFF_FFFF)
                );
            }
        }
    }

    #[test]
    fn locks_follow_the_threads_within_bounds() {
        assert_eq!(lock_bits_for(1), 2);
        assert_eq!(lock_bits_for(2), 2);
        assert_eq!(lock_bits_for(3), 3);
        assert_eq!(lock_bits_for(8), 4);
        assert_eq!(lock_bits_for(32), 6);
        assert_eq!(lock_bits_for(1000), 6);
    }

    #[test]
    fn many_visits_a_lock_held_elsewhere_last() {
        use std::sync::mpsc;
        use std::time::Duration;
        let sharded: Sharded<Vec<u32>> = Sharded::with_lock_bits(2);
        // Two keys under each of the four locks (the top two bits pick it).
        let keys: Vec<u64> = (0..8u64).map(|i| (i % 4) << 62 | i).collect();
        let (held_tx, held_rx) = mpsc::channel();
        let (done_tx, done_rx) = mpsc::channel::<()>();
        let mut order = Vec::new();
        std::thread::scope(|s| {
            let sharded = &sharded;
            s.spawn(move || {
                let guard = sharded.locks[0].write();
                held_tx.send(()).expect("the test waits");
                // Released once the others are visited (or after 5 s, for
                // a visitor that waits on this lock first and would
                // otherwise never get here).
                let _ = done_rx.recv_timeout(Duration::from_secs(5));
                drop(guard);
            });
            held_rx.recv().expect("lock 0 held");
            sharded.read_many(&keys, |i, _, _| {
                order.push(i);
                if order.len() == 6 {
                    let _ = done_tx.send(());
                }
            });
        });
        // Locks 1–3 first, in order, each key in its order; lock 0 last.
        assert_eq!(order, vec![1, 5, 2, 6, 3, 7, 0, 4]);
    }

    #[test]
    fn many_visits_every_key_once_in_order_per_lock() {
        for bits in [2, 4, 6] {
            let sharded: Sharded<Vec<u32>> = Sharded::with_lock_bits(bits);
            let keys: Vec<u64> = (0..100u64)
                .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
                .collect();
            sharded.write_many(&keys, |i, table, low| {
                assert_eq!(low, keys[i] as u32);
                table.push(i as u32);
            });
            let mut seen = Vec::new();
            sharded.for_each_table(|table, key_of| {
                assert!(table.windows(2).all(|w| w[0] < w[1]));
                for &i in table {
                    assert_eq!(
                        key_of(keys[i as usize] as u32),
                        keys[i as usize] & (0xFF << 56 | 0xFFFF_FFFF)
                    );
                }
                seen.extend_from_slice(table);
            });
            seen.sort_unstable();
            assert_eq!(seen, (0..100).collect::<Vec<u32>>());
        }
    }
}
