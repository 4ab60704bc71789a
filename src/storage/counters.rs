//! The furniture model's counters: how many articles of a source, or how
//! many distinct reports, held each segment.
//!
//! There are dozens of counters per held article, so they are packed: 8 bytes
//! a slot (a 32-bit key fragment and a 32-bit count) in open-addressing
//! tables with linear probing, sharded as [`super::shards`] describes. Two
//! keys share a counter when they agree on the 40 bits that place them, with
//! probability about `counters / 2^40` (at a million articles, about one
//! segment in 20,000 starts with another's count: at worst one more sentence
//! taken for furniture). A count of zero frees its slot, and deletion shifts
//! the run back so look-ups stop at the first empty slot.
//!
//! How many counters an article adds depends on how much of it others share
//! (33 an article on the real development sets, 62 on the generated corpus),
//! so they cannot be sized ahead with the bucket tables. Once the store has
//! seen enough articles to tell, it [plans](Counters::plan) them: the
//! tables' maker thread ([`super::spare::on_maker`]) makes tables of the planned size and writes them through (faults
//! their pages), and each article then swaps one in (see
//! [`Counters::grow_toward_plan`]), instead of the tables growing by half
//! again and again, each time moving every counter into freshly faulted
//! memory.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};

use parking_lot::Mutex;

use super::probe::{distance, free_slots, home, is_full, next, rehash, slots_for};
use super::shards::{table_share, Sharded, Touch, TABLES};
use super::spare::{on_maker, Spare};

#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    key: u32,
    /// Zero marks an empty slot.
    count: u32,
}

/// One table: linear probing over distinct keys.
#[derive(Debug, Default)]
struct Table {
    slots: Vec<Slot>,
    len: usize,
    /// The table this one grows into, made ahead.
    spare: Spare<Slot>,
}

/// Counter key → count.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    tables: Sharded<Table>,
    /// Slots each table is to have ([`Counters::plan`]; 0 until planned).
    planned: AtomicUsize,
    /// The tables of the plan still to swap in, while there are any.
    plan: Mutex<Option<Plan>>,
    /// Whether the plan is carried out (or given up): no lock to check.
    settled: AtomicBool,
}

/// Tables of the planned size, made by the maker thread, and the table the
/// next one replaces.
#[derive(Debug)]
struct Plan {
    ready: Receiver<Vec<Slot>>,
    next: usize,
}

impl Counters {
    /// The count of `key` (0 when never counted).
    pub(crate) fn get(&self, key: u64) -> u32 {
        self.tables.read(key, |t, k| t.get(k))
    }

    /// Sets `key`'s count (a restore from a snapshot).
    pub(crate) fn set(&self, key: u64, count: u32) {
        self.tables.write(key, |t, k| t.update(k, |_| count));
    }

    /// Plans for `counters` counters in all, once (a second plan is
    /// ignored): the tables' maker thread ([`on_maker`]) makes one table
    /// for each of the 256, sized for its [`table_share`], and writes it
    /// through, off the callers' path; [`Counters::grow_toward_plan`] swaps
    /// them in. Where the thread cannot be started or the allocator refuses
    /// a table, the tables go on growing by half.
    pub(crate) fn plan(&self, counters: usize) {
        let mut plan = self.plan.lock();
        if self.planned() > 0 {
            return;
        }
        let slots = slots_for(table_share(counters));
        self.planned.store(slots, Ordering::Relaxed);
        let (made, ready) = mpsc::channel();
        let started = on_maker(move || {
            for _ in 0..TABLES {
                // Written through: its pages are faulted here, not under a
                // table's lock.
                let Ok(table) = free_slots(slots, Slot::default()) else {
                    return;
                };
                if made.send(table).is_err() {
                    return;
                }
            }
        });
        if started {
            *plan = Some(Plan { ready, next: 0 });
        } else {
            self.settled.store(true, Ordering::Relaxed);
        }
    }

    /// Slots each table is to have (0 until planned).
    pub(crate) fn planned(&self) -> usize {
        self.planned.load(Ordering::Relaxed)
    }

    /// Tables of the planned size.
    #[cfg(test)]
    pub(crate) fn tables_as_planned(&self) -> usize {
        let mut n = 0;
        self.tables
            .for_each_table(|t, _| n += usize::from(t.slots.len() == self.planned()));
        n
    }

    /// Swaps the next table of the plan in, moving the counters of the
    /// table it replaces into it, if one is made; returns whether one was.
    /// One table a call: the moves are short (the plan is made while the
    /// tables are small), and no caller waits for a page fault.
    pub(crate) fn grow_toward_plan(&self) -> bool {
        if self.settled.load(Ordering::Relaxed) {
            return false;
        }
        // Another caller is swapping one in: this one need not wait.
        let Some(mut guard) = self.plan.try_lock() else {
            return false;
        };
        let Some(plan) = guard.as_mut() else {
            return false;
        };
        let table = match plan.ready.try_recv() {
            Ok(table) => table,
            Err(TryRecvError::Empty) => return false,
            // The maker stopped short: the rest grow as before.
            Err(TryRecvError::Disconnected) => {
                *guard = None;
                self.settled.store(true, Ordering::Relaxed);
                return false;
            }
        };
        let shard = plan.next;
        plan.next += 1;
        if plan.next == TABLES {
            *guard = None;
            self.settled.store(true, Ordering::Relaxed);
        }
        drop(guard);
        self.tables.write_table(shard, |t| t.move_into(table));
        true
    }

    /// The counts of `keys`, in order, into `out` (replacing its contents).
    pub(crate) fn get_many(&self, keys: &[u64], out: &mut Vec<u32>) {
        out.clear();
        out.resize(keys.len(), 0);
        self.tables.read_many(keys, |i, t, k| out[i] = t.get(k));
    }

    /// Adds one to the count of each key (a key listed twice gets two);
    /// returns the new counts, in order.
    pub(crate) fn increment_many(&self, keys: &[u64]) -> Vec<u32> {
        let mut out = vec![0; keys.len()];
        self.tables.write_many(keys, |i, t, k| {
            out[i] = t.update(k, |c| c.saturating_add(1));
        });
        out
    }

    /// Takes one from the count of each key that has one.
    pub(crate) fn decrement_many(&self, keys: &[u64]) {
        self.tables.write_many(keys, |_, t, k| {
            if t.get(k) > 0 {
                t.update(k, |c| c - 1);
            }
        });
    }

    /// Counters in use.
    pub(crate) fn len(&self) -> usize {
        let mut n = 0;
        self.tables.for_each_table(|t, _| n += t.len);
        n
    }

    /// Calls `f` with every counter in use. The key given maps back to the
    /// same counter (it keeps the bits that place it).
    pub(crate) fn for_each(&self, f: &mut dyn FnMut(u64, u32)) {
        self.tables.for_each_table(|t, key_of| {
            for slot in t.slots.iter().filter(|s| s.count > 0) {
                f(key_of(slot.key), slot.count);
            }
        });
    }
}

impl Touch for Table {
    fn touch(&self, low: u32) -> u32 {
        if self.slots.is_empty() {
            return 0;
        }
        self.slots[self.home(low)].count
    }
}

impl Table {
    fn home(&self, key: u32) -> usize {
        home(key, self.slots.len())
    }

    /// The slot holding `key`, or the empty slot ending its run.
    fn find(&self, key: u32) -> usize {
        let size = self.slots.len();
        let mut i = self.home(key);
        while self.slots[i].count != 0 && self.slots[i].key != key {
            i = next(i, size);
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
        if is_full(self.len, self.slots.len()) {
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
        let size = self.slots.len();
        let mut j = i;
        loop {
            j = next(j, size);
            if self.slots[j].count == 0 {
                break;
            }
            let home = self.home(self.slots[j].key);
            // The entry at `j` may stay only if its home lies cyclically in (i, j].
            let stays = distance(home, j, size) < distance(i, j, size);
            if !stays {
                self.slots[i] = self.slots[j];
                i = j;
            }
        }
        self.slots[i] = Slot::default();
        self.len -= 1;
    }

    /// Moves the counters into a table half as large again, unless the
    /// table waits for its spare (see [`Spare::grown_table`]).
    fn grow(&mut self) {
        let free = Slot::default();
        if let Some((fresh, _)) = self.spare.grown_table(self.len, self.slots.len(), free) {
            self.move_into(fresh);
        }
    }

    /// Moves the counters into `fresh` (all free), which becomes the table,
    /// if it is larger.
    fn move_into(&mut self, fresh: Vec<Slot>) {
        let size = fresh.len();
        if size <= self.slots.len() {
            return;
        }
        self.slots = rehash(&self.slots, fresh, |s| s.count > 0, |s| home(s.key, size));
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
        AddMany(Vec<u64>),
        SubMany(Vec<u64>),
        Plan(usize),
        Grow,
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
            1 => proptest::collection::vec(any_shard_key(), 0..8).prop_map(Op::AddMany),
            1 => proptest::collection::vec(any_shard_key(), 0..8).prop_map(Op::SubMany),
            1 => (0usize..20_000).prop_map(Op::Plan),
            2 => Just(Op::Grow),
        ]
    }

    /// A key of `key()` moved to any table (the top 8 bits pick it).
    fn any_shard_key() -> impl Strategy<Value = u64> {
        (key(), 0u64..256).prop_map(|(k, table)| table << 56 | k)
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
                        prop_assert_eq!(counters.increment_many(&[k]), vec![*c]);
                    }
                    Op::Sub(k) => {
                        counters.decrement_many(&[k]);
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
                    Op::AddMany(keys) => {
                        let counts = counters.increment_many(&keys);
                        for (k, got) in keys.iter().zip(counts) {
                            let c = model.entry(*k).or_insert(0);
                            *c += 1;
                            prop_assert_eq!(got, *c);
                        }
                    }
                    Op::Plan(n) => {
                        counters.plan(n);
                        counters.grow_toward_plan();
                    }
                    Op::Grow => {
                        counters.grow_toward_plan();
                    }
                    Op::SubMany(keys) => {
                        counters.decrement_many(&keys);
                        for k in keys {
                            if let Some(c) = model.get_mut(&k) {
                                *c -= 1;
                                if *c == 0 {
                                    model.remove(&k);
                                }
                            }
                        }
                    }
                }
                let all: Vec<u64> = model.keys().copied().chain(0u64..40).collect();
                let mut counts = Vec::new();
                counters.get_many(&all, &mut counts);
                for (k, c) in all.iter().zip(counts) {
                    prop_assert_eq!(c, model.get(k).copied().unwrap_or(0));
                    prop_assert_eq!(counters.get(*k), c);
                }
                prop_assert_eq!(counters.len(), model.len());
            }
            let mut listed = HashMap::new();
            counters.for_each(&mut |k, c| { listed.insert(k, c); });
            prop_assert_eq!(listed, model);
        }
    }

    #[test]
    fn planned_tables_are_swapped_in_one_a_call_and_keep_their_counts() {
        let key = |i: u64| i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let counters = Counters::default();
        counters.increment_many(&[key(0), key(0), key(1)]);
        let sizes = |counters: &Counters| {
            let mut sizes = Vec::new();
            counters
                .tables
                .for_each_table(|t, _| sizes.push(t.slots.len()));
            sizes
        };
        let n = 50_000;
        assert!(!counters.grow_toward_plan(), "nothing planned yet");
        counters.plan(n as usize);
        let mut swapped = 0;
        let start = std::time::Instant::now();
        while swapped < TABLES && start.elapsed().as_secs() < 60 {
            let before = sizes(&counters);
            if counters.grow_toward_plan() {
                let after = sizes(&counters);
                let grown = (0..TABLES).filter(|&i| after[i] != before[i]).count();
                assert_eq!(grown, 1, "one table a call");
                swapped += 1;
            } else {
                // Not made yet: leave the core to the idle-class maker.
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        }
        assert!(!counters.grow_toward_plan(), "all swapped in");
        // Each table now holds its share (about 195) without growing: the
        // planned size, which growing by half from 16 slots never reaches
        // (271, then 406).
        let planned = slots_for(table_share(n as usize));
        assert!(sizes(&counters).iter().all(|&s| s == planned));
        for i in 2..n {
            counters.increment_many(&[key(i)]);
        }
        assert!(
            sizes(&counters).iter().all(|&s| s == planned),
            "a table grew"
        );
        assert_eq!(counters.len(), n as usize);
        assert_eq!(counters.get(key(0)), 2);
        assert_eq!(counters.get(key(n - 1)), 1);
    }

    #[test]
    fn listed_keys_map_back_to_their_counters() {
        let counters = Counters::default();
        let key = 0xABCD_0000_1234_5678;
        counters.increment_many(&[key, key]);
        let mut listed = Vec::new();
        counters.for_each(&mut |k, c| listed.push((k, c)));
        assert_eq!(listed.len(), 1);
        let restored = Counters::default();
        restored.set(listed[0].0, listed[0].1);
        assert_eq!(restored.get(key), 2);
    }
}
