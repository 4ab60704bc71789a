//! The bucket postings: which held articles sit under each bucket key.
//!
//! A multimap from bucket key to article handle, compact because it holds
//! dozens of postings per article: 8 bytes a posting (a 32-bit key fragment
//! and a 32-bit handle) in open-addressing tables with linear probing,
//! sharded as [`super::shards`] describes. Two different keys share a bucket
//! when they agree on the 40 bits that place them, with probability about
//! `postings / 2^40` (a spurious candidate, which verification rejects).
//!
//! All postings of one key lie in the run of occupied slots that starts at
//! the key's home slot (deletion shifts entries back to keep it so), so a
//! look-up scans one short run, and an insert sees whether its key is new.
//!
//! A key holds at most [`MAX_POSTINGS_PER_KEY`] postings; an article is not
//! posted under a key that already holds that many. Such a key is shared by
//! a crowd of articles (a wire service's dateline opening every story, a
//! menu not yet learned as furniture, a cluster of identical copies), so it
//! tells little about which of them a newcomer copies, while reading it would
//! make every newcomer compare itself with the whole crowd, and its run of
//! slots would lengthen the look-ups of every key placed near it. The
//! articles left out are still posted under their other keys.

use std::collections::TryReserveError;

use super::probe::{distance, free_slots, home, is_full, next, rehash, slots_for};
use super::shards::{table_share, Sharded, Touch};
use super::spare::Spare;
use super::DocId;
use crate::core::BandKey;

/// The most postings one bucket key holds (see the module docs).
pub(crate) const MAX_POSTINGS_PER_KEY: usize = 64;

/// The slot marker of an empty slot (no handle is `u32::MAX`).
const EMPTY: u32 = u32::MAX;

#[derive(Debug, Clone, Copy)]
struct Slot {
    key: u32,
    doc: DocId,
}

const FREE: Slot = Slot { key: 0, doc: EMPTY };

/// One table: linear probing.
#[derive(Debug, Default)]
struct Table {
    slots: Vec<Slot>,
    len: usize,
    keys: usize,
    /// The table this one grows into, made ahead.
    spare: Spare<Slot>,
    /// Growths into a spare made ahead.
    #[cfg(test)]
    grown_into_spares: usize,
}

/// Bucket key → handles.
#[derive(Debug, Default)]
pub(crate) struct Postings {
    tables: Sharded<Table>,
}

impl Postings {
    /// Posts `doc` under each of `keys`.
    pub(crate) fn insert_many(&self, keys: &[BandKey], doc: DocId) {
        self.tables.write_many(keys, |_, t, k| t.insert(k, doc));
    }

    /// Removes the posting of `doc` under each of `keys`, where there is one.
    pub(crate) fn remove_many(&self, keys: &[BandKey], doc: DocId) {
        self.tables.write_many(keys, |_, t, k| t.remove(k, doc));
    }

    /// Appends the handles posted under any of `keys` to `out` (a handle
    /// under several keys appears once per key).
    pub(crate) fn get_many(&self, keys: &[BandKey], out: &mut Vec<DocId>) {
        self.tables.read_many(keys, |_, t, k| t.get(k, out));
    }

    /// Sizes the tables to take `postings` postings in all without growing
    /// (each for its [`table_share`]).
    pub(crate) fn reserve(&mut self, postings: usize) -> Result<(), TryReserveError> {
        let each = table_share(postings);
        self.tables.try_for_each_table_mut(|t| t.reserve(each))
    }

    /// Keys with at least one posting.
    pub(crate) fn keys(&self) -> usize {
        let mut n = 0;
        self.tables.for_each_table(|t, _| n += t.keys);
        n
    }
}

impl Touch for Table {
    fn touch(&self, low: u32) -> u32 {
        if self.slots.is_empty() {
            return 0;
        }
        self.slots[self.home(low)].doc
    }
}

impl Table {
    fn home(&self, key: u32) -> usize {
        home(key, self.slots.len())
    }

    fn insert(&mut self, key: u32, doc: DocId) {
        if is_full(self.len, self.slots.len()) {
            self.grow();
        }
        let size = self.slots.len();
        let mut i = self.home(key);
        let mut same = 0;
        while self.slots[i].doc != EMPTY {
            same += usize::from(self.slots[i].key == key);
            i = next(i, size);
        }
        if same >= MAX_POSTINGS_PER_KEY {
            return;
        }
        self.slots[i] = Slot { key, doc };
        self.len += 1;
        self.keys += usize::from(same == 0);
    }

    fn get(&self, key: u32, out: &mut Vec<DocId>) {
        if self.len == 0 {
            return;
        }
        let size = self.slots.len();
        let mut i = self.home(key);
        while self.slots[i].doc != EMPTY {
            if self.slots[i].key == key {
                out.push(self.slots[i].doc);
            }
            i = next(i, size);
        }
    }

    fn remove(&mut self, key: u32, doc: DocId) {
        if self.len == 0 {
            return;
        }
        let size = self.slots.len();
        let mut i = self.home(key);
        let mut others = false;
        let found = loop {
            let slot = self.slots[i];
            if slot.doc == EMPTY {
                return;
            }
            if slot.key == key {
                if slot.doc == doc {
                    break i;
                }
                others = true;
            }
            i = next(i, size);
        };
        // Any other posting of the key after the removed one?
        let mut j = next(found, size);
        while !others && self.slots[j].doc != EMPTY {
            others = self.slots[j].key == key;
            j = next(j, size);
        }
        self.delete_at(found);
        self.len -= 1;
        self.keys -= usize::from(!others);
    }

    /// Backward-shift deletion: empties slot `hole` and moves later entries
    /// of the run back so that none is separated from its home by an empty
    /// slot.
    fn delete_at(&mut self, mut hole: usize) {
        let size = self.slots.len();
        let mut i = next(hole, size);
        while self.slots[i].doc != EMPTY {
            let home = self.home(self.slots[i].key);
            // Can the entry at i move to the hole? Only if its home is not
            // strictly between the hole and i (cyclically).
            if distance(home, i, size) >= distance(hole, i, size) {
                self.slots[hole] = self.slots[i];
                hole = i;
            }
            i = next(i, size);
        }
        self.slots[hole] = FREE;
    }

    /// Moves the entries into a table half as large again, unless the
    /// table waits for its spare (see [`Spare::grown_table`]).
    fn grow(&mut self) {
        let Some((fresh, _ahead)) = self.spare.grown_table(self.len, self.slots.len(), FREE) else {
            return;
        };
        #[cfg(test)]
        {
            self.grown_into_spares += usize::from(_ahead);
        }
        self.move_into(fresh);
    }

    /// Grows the table, if need be, to hold `entries` without growing again.
    fn reserve(&mut self, entries: usize) -> Result<(), TryReserveError> {
        let size = slots_for(entries);
        if size > self.slots.len() {
            self.move_into(free_slots(size, FREE)?);
        }
        Ok(())
    }

    /// Moves the entries into `fresh` (all free), which becomes the table.
    fn move_into(&mut self, fresh: Vec<Slot>) {
        let size = fresh.len();
        self.slots = rehash(
            &self.slots,
            fresh,
            |s| s.doc != EMPTY,
            |s| home(s.key, size),
        );
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_crowded_key_holds_the_first_postings_and_takes_more_as_they_leave() {
        let postings = Postings::default();
        let (crowded, quiet) = (0x0123_4567_89AB_CDEF_u64, 0x0123_4567_89AB_CDF0_u64);
        let extra = 10u32;
        for doc in 0..MAX_POSTINGS_PER_KEY as u32 + extra {
            postings.insert_many(&[crowded, quiet + u64::from(doc)], doc);
        }
        let held = |key| {
            let mut got = Vec::new();
            postings.get_many(&[key], &mut got);
            got.sort_unstable();
            got
        };
        let first: Vec<u32> = (0..MAX_POSTINGS_PER_KEY as u32).collect();
        assert_eq!(held(crowded), first);
        // The articles left out of the crowded key keep their other keys.
        let late = MAX_POSTINGS_PER_KEY as u32 + extra - 1;
        assert_eq!(held(quiet + u64::from(late)), vec![late]);
        assert_eq!(postings.keys(), 1 + MAX_POSTINGS_PER_KEY + extra as usize);
        // Removing one (also a doc never posted there) makes room for one.
        postings.remove_many(&[crowded], late);
        postings.remove_many(&[crowded], 0);
        postings.insert_many(&[crowded], 1000);
        postings.insert_many(&[crowded], 1001);
        let mut want: Vec<u32> = (1..MAX_POSTINGS_PER_KEY as u32).collect();
        want.push(1000);
        assert_eq!(held(crowded), want);
    }

    /// Slots in all tables.
    fn slots(postings: &Postings) -> usize {
        let mut n = 0;
        postings.tables.for_each_table(|t, _| n += t.slots.len());
        n
    }

    #[test]
    fn reserved_tables_take_their_postings_without_growing_and_keep_earlier_ones() {
        let key = |i: u64| i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut postings = Postings::default();
        postings.insert_many(&[key(0), key(1)], 7);
        let n = 50_000u64;
        postings
            .reserve(n as usize)
            .expect("a small reserve is granted");
        let reserved = slots(&postings);
        // Even shares plus four standard deviations, at most two slots over.
        assert!(reserved as f64 <= 1.35 * n as f64 / super::super::probe::MAX_LOAD);
        // What was held before is still found.
        let mut got = Vec::new();
        postings.get_many(&[key(0), key(1)], &mut got);
        assert_eq!(got, vec![7, 7]);
        for i in 2..n {
            postings.insert_many(&[key(i)], i as u32);
        }
        assert_eq!(slots(&postings), reserved, "a table grew");
        assert_eq!(postings.keys(), n as usize);
        got.clear();
        postings.get_many(&[key(n - 1)], &mut got);
        assert_eq!(got, vec![n as u32 - 1]);
        // Reserving less than is held changes nothing.
        postings.reserve(10).expect("nothing to allocate");
        assert_eq!(slots(&postings), reserved);
    }

    #[test]
    fn a_table_grown_into_its_spare_keeps_every_posting() {
        use super::super::spare::SPARE_FROM_SLOTS;
        // Keys of one table (top bits zero) with distinct low halves (what
        // a table stores), enough to pass the size from which spares are
        // ordered and grow twice more.
        let key = |i: u64| u64::from((i as u32).wrapping_mul(0x9E37_79B9));
        let postings = Postings::default();
        let n = 3 * SPARE_FROM_SLOTS as u64;
        let table = |f: &mut dyn FnMut(&Table)| {
            postings.tables.for_each_table(|t, _| {
                if t.len > 0 {
                    f(t)
                }
            })
        };
        for i in 0..n {
            postings.insert_many(&[key(i)], i as u32);
            // Give the maker time: a table waiting for its spare takes it at
            // its next insert once made.
            let mut waiting = false;
            table(&mut |t| waiting |= t.spare.ordered());
            if waiting {
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
        }
        let mut spares = 0;
        table(&mut |t| spares += t.grown_into_spares);
        assert!(spares >= 1, "no growth into a spare");
        let mut got = Vec::new();
        for i in 0..n {
            got.clear();
            postings.get_many(&[key(i)], &mut got);
            assert_eq!(got, vec![i as u32], "key {i}");
        }
        assert_eq!(postings.keys(), n as usize);
    }

    proptest! {
        /// Any sequence of inserts and removes leaves the same postings and
        /// key count as a plain map would (keys drawn from a small set, so
        /// runs, collisions and shared buckets all happen).
        #[test]
        fn behaves_like_a_map_of_sets(ops in prop::collection::vec((any::<bool>(), 0u64..40, 0u32..30), 1..600)) {
            let postings = Postings::default();
            let mut model: HashMap<u64, HashSet<u32>> = HashMap::new();
            for (insert, k, doc) in ops {
                // Spread keys over shards and over slot keys, with shared low
                // halves across shards.
                let key = ((k % 3) << 62) | ((k / 3) * 0x0001_0000_0001);
                if insert {
                    if model.entry(key).or_default().insert(doc) {
                        postings.insert_many(&[key], doc);
                    }
                } else if model.get_mut(&key).is_some_and(|s| s.remove(&doc)) {
                    postings.remove_many(&[key], doc);
                }
            }
            model.retain(|_, s| !s.is_empty());
            prop_assert_eq!(postings.keys(), model.len());
            prop_assert!(model.values().all(|s| s.len() <= MAX_POSTINGS_PER_KEY));
            for (key, docs) in &model {
                let mut got = Vec::new();
                postings.get_many(&[*key], &mut got);
                got.sort_unstable();
                let mut want: Vec<u32> = docs.iter().copied().collect();
                want.sort_unstable();
                prop_assert_eq!(got, want);
            }
        }
    }
}
