//! The furniture model's counters: how many articles of a source, or how
//! many distinct reports, held each segment.
//!
//! There are dozens of counters per held article, so they are packed: 8 bytes
//! a slot (a 32-bit key fragment and a 32-bit count) in open-addressing
//! tables with linear probing, split into shards by the key's top bits, each
//! behind its own lock. Keys are uniform hashes: the shard takes 8 bits and
//! the slot the low 32, so two keys share a counter with probability about
//! `counters / 2^40` (at a million articles, about one segment in 20,000
//! starts with another's count: at worst one more sentence taken for
//! furniture). A count of zero frees its slot, and deletion shifts the run
//! back so look-ups stop at the first empty slot.

use parking_lot::RwLock;

/// Shards: enough that writers on two cores rarely meet.
const SHARD_BITS: u32 = 8;

/// Grow a table when more than this share of its slots is taken.
const MAX_LOAD: f64 = 0.8;

#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    key: u32,
    /// Zero marks an empty slot.
    count: u32,
}

/// One shard: a linear-probing table of distinct keys.
#[derive(Debug, Default)]
struct Table {
    slots: Vec<Slot>,
    len: usize,
}

/// Counter key → count, sharded.
#[derive(Debug)]
pub(crate) struct Counters {
    shards: Box<[RwLock<Table>]>,
}

impl Default for Counters {
    fn default() -> Self {
        Counters {
            shards: (0..1 << SHARD_BITS)
                .map(|_| RwLock::new(Table::default()))
                .collect(),
        }
    }
}

fn split(key: u64) -> (usize, u32) {
    ((key >> (64 - SHARD_BITS)) as usize, key as u32)
}

/// The key as it is kept: its shard bits and its low half (what
/// [`Counters::for_each`] reports, and what maps back to the same counter).
fn join(shard: usize, key: u32) -> u64 {
    (shard as u64) << (64 - SHARD_BITS) | u64::from(key)
}

impl Counters {
    /// The count of `key` (0 when never counted).
    pub(crate) fn get(&self, key: u64) -> u32 {
        let (shard, k) = split(key);
        self.shards[shard].read().get(k)
    }

    /// Adds one to `key`'s count and returns the new count.
    pub(crate) fn increment(&self, key: u64) -> u32 {
        let (shard, k) = split(key);
        self.shards[shard]
            .write()
            .update(k, |c| c.saturating_add(1))
    }

    /// Takes one from `key`'s count (freeing it at zero); nothing when it
    /// was not counted.
    pub(crate) fn decrement(&self, key: u64) {
        let (shard, k) = split(key);
        let mut table = self.shards[shard].write();
        if table.get(k) > 0 {
            table.update(k, |c| c - 1);
        }
    }

    /// Sets `key`'s count (a restore from a snapshot).
    pub(crate) fn set(&self, key: u64, count: u32) {
        let (shard, k) = split(key);
        self.shards[shard].write().update(k, |_| count);
    }

    /// Counters in use.
    pub(crate) fn len(&self) -> usize {
        self.shards.iter().map(|s| s.read().len).sum()
    }

    /// Calls `f` with every counter in use. The key given maps back to the
    /// same counter (it keeps the bits that address it).
    pub(crate) fn for_each(&self, f: &mut dyn FnMut(u64, u32)) {
        for (shard, table) in self.shards.iter().enumerate() {
            for slot in table.read().slots.iter().filter(|s| s.count > 0) {
                f(join(shard, slot.key), slot.count);
            }
        }
    }
}

impl Table {
    fn home(&self, key: u32) -> usize {
        let h = u64::from(key).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        (h >> 32) as usize & (self.slots.len() - 1)
    }

    /// The slot holding `key`, or the empty slot ending its run.
    fn find(&self, key: u32) -> usize {
        let mask = self.slots.len() - 1;
        let mut i = self.home(key);
        while self.slots[i].count != 0 && self.slots[i].key != key {
            i = (i + 1) & mask;
        }
        i
    }

    fn get(&self, key: u32) -> u32 {
        if self.len == 0 {
            return 0;
        }
        self.slots[self.find(key)].count
    }

    /// Replaces `key`'s count (0 when absent) with `f` of it; a new count of
    /// zero frees the slot. Returns the new count.
    fn update(&mut self, key: u32, f: impl FnOnce(u32) -> u32) -> u32 {
        if (self.len + 1) as f64 > MAX_LOAD * self.slots.len() as f64 {
            self.grow();
        }
        let i = self.find(key);
        let old = self.slots[i].count;
        let new = f(old);
        match (old, new) {
            (0, 0) => {}
            (0, _) => {
                self.slots[i] = Slot { key, count: new };
                self.len += 1;
            }
            (_, 0) => self.free(i),
            _ => self.slots[i].count = new,
        }
        new
    }

    /// Empties slot `i`, shifting back the entries after it that would
    /// otherwise be cut off from their home slot.
    fn free(&mut self, mut i: usize) {
        let mask = self.slots.len() - 1;
        let mut j = i;
        loop {
            j = (j + 1) & mask;
            if self.slots[j].count == 0 {
                break;
            }
            let home = self.home(self.slots[j].key);
            // The entry at `j` may stay only if its home lies cyclically in (i, j].
            let stays = if i <= j {
                i < home && home <= j
            } else {
                i < home || home <= j
            };
            if !stays {
                self.slots[i] = self.slots[j];
                i = j;
            }
        }
        self.slots[i] = Slot::default();
        self.len -= 1;
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(16);
        let old = std::mem::replace(&mut self.slots, vec![Slot::default(); size]);
        let mask = size - 1;
        for slot in old.into_iter().filter(|s| s.count > 0) {
            let mut i = self.home(slot.key);
            while self.slots[i].count != 0 {
                i = (i + 1) & mask;
            }
            self.slots[i] = slot;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    #[derive(Debug, Clone)]
    enum Op {
        Add(u64),
        Sub(u64),
        Set(u64, u32),
    }

    /// Few distinct keys, all in one shard of small tables, so runs are
    /// long and wrap around.
    fn key() -> impl Strategy<Value = u64> {
        0u64..40
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => key().prop_map(Op::Add),
            3 => key().prop_map(Op::Sub),
            1 => (key(), 0u32..4).prop_map(|(k, c)| Op::Set(k, c)),
        ]
    }

    proptest! {
        #[test]
        fn counts_like_a_hash_map(ops in proptest::collection::vec(op(), 0..400)) {
            let counters = Counters::default();
            let mut model: HashMap<u64, u32> = HashMap::new();
            for op in ops {
                match op {
                    Op::Add(k) => {
                        let c = model.entry(k).or_insert(0);
                        *c += 1;
                        prop_assert_eq!(counters.increment(k), *c);
                    }
                    Op::Sub(k) => {
                        counters.decrement(k);
                        if let Some(c) = model.get_mut(&k) {
                            *c -= 1;
                            if *c == 0 {
                                model.remove(&k);
                            }
                        }
                    }
                    Op::Set(k, c) => {
                        counters.set(k, c);
                        if c == 0 { model.remove(&k); } else { model.insert(k, c); }
                    }
                }
                for k in 0u64..40 {
                    prop_assert_eq!(counters.get(k), model.get(&k).copied().unwrap_or(0));
                }
                prop_assert_eq!(counters.len(), model.len());
            }
            let mut listed = HashMap::new();
            counters.for_each(&mut |k, c| { listed.insert(k, c); });
            prop_assert_eq!(listed, model);
        }
    }

    #[test]
    fn listed_keys_map_back_to_their_counters() {
        let counters = Counters::default();
        let key = 0xABCD_0000_1234_5678;
        counters.increment(key);
        counters.increment(key);
        let mut listed = Vec::new();
        counters.for_each(&mut |k, c| listed.push((k, c)));
        assert_eq!(listed.len(), 1);
        let restored = Counters::default();
        restored.set(listed[0].0, listed[0].1);
        assert_eq!(restored.get(key), 2);
    }
}
