//! The in-memory store: records and their signatures in a slab indexed by
//! handle, ids in a concurrent hash map (dashmap), postings in a compact
//! sharded table.

use std::collections::TryReserveError;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use dashmap::mapref::entry::Entry;
use dashmap::DashMap;
use parking_lot::{Mutex, RwLock};

use super::counters::Counters;
use super::furniture::FurnitureSet;
use super::postings::Postings;
use super::slab::Slab;
use super::{DocId, Held, Record, Store};
use crate::core::fasthash::KeyHash;
use crate::core::{BandKey, Signature};
use crate::model::Kind;

/// Holds everything in process memory; lost on exit.
#[derive(Debug, Default)]
pub struct MemoryStore {
    ids: DashMap<Arc<str>, DocId, KeyHash>,
    docs: RwLock<Slab>,
    /// Handles of removed records, to reuse.
    free: Mutex<Vec<DocId>>,
    held: AtomicUsize,
    buckets: Postings,
    originals: AtomicUsize,
    segment_reports: Counters,
    furniture: RwLock<FurnitureSet>,
    record_bytes: AtomicU64,
    /// Articles the store was sized for ([`Store::reserve`]; 0 if it was
    /// not).
    capacity: usize,
}

/// The furniture counters are planned once this part of the capacity is
/// held (a 32nd: 31,250 articles of a million), and at least
/// [`PLAN_COUNTERS_AFTER`] articles: enough to tell how many counters an
/// article adds, which falls as sites' furniture repeats (over a generated
/// million from 50 sites, planning after 100 articles took 255 B, 9%, more
/// an article than after 31,250), while the tables are still small enough
/// that moving a table's counters into its planned one is quick.
const PLAN_COUNTERS_AT: usize = 32;
/// The fewest articles the furniture counters are planned from.
const PLAN_COUNTERS_AFTER: usize = 100;

/// Approximate bytes of one furniture-model counter (an 8-byte slot in a
/// table between 53% and 80% full, see `probe`) and of one furniture
/// shingle in their hash tables.
const COUNTER_BYTES: u64 = 12;
const FURNITURE_BYTES: u64 = 8;

/// Signature values in one 64-byte cache line.
const VALUES_PER_LINE: usize = 64 / std::mem::size_of::<u16>();

/// Removed articles' handles looked at for one to reuse (the latest first):
/// one whose record is still held waits (see `Slab::reusable`), and a
/// snapshot holding many must not make every insert scan them all.
const REUSE_AMONG: usize = 8;

/// Candidates screened under one read lock (see `held_where`): a lean
/// article meets about 4 at a million held articles.
const SCREEN_BATCH: usize = 32;

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sizes the furniture counters for the capacity the store was sized
    /// for: plans them once a [`PLAN_COUNTERS_AT`]th of it is held, at the
    /// rate those articles added them, then swaps in one table of the plan
    /// an article (see [`Counters::plan`]). Articles that share more as the
    /// index fills add fewer counters than the early ones, so the plan errs
    /// on the large side; beyond it, tables grow as before.
    fn size_counters(&self) {
        if self.segment_reports.planned() > 0 {
            self.segment_reports.grow_toward_plan();
            return;
        }
        let held = self.held.load(Ordering::Relaxed);
        if held < (self.capacity / PLAN_COUNTERS_AT).max(PLAN_COUNTERS_AFTER) {
            return;
        }
        let per_article = self.segment_reports.len() as f64 / held as f64;
        self.segment_reports
            .plan((per_article * self.capacity as f64) as usize);
    }

    /// A free handle: a removed article's whose record nobody holds any more
    /// (among the last [`REUSE_AMONG`] removed), or a new slot.
    fn allocate(&self) -> DocId {
        let mut free = self.free.lock();
        if !free.is_empty() {
            let docs = self.docs.read();
            let n = free.len();
            let reusable = (n.saturating_sub(REUSE_AMONG)..n)
                .rev()
                .find(|&i| free.get(i).is_some_and(|&doc| docs.reusable(doc)));
            if let Some(i) = reusable {
                return free.swap_remove(i);
            }
        }
        drop(free);
        let doc = self.docs.write().push_free();
        DocId::try_from(doc).unwrap_or(DocId::MAX)
    }
}

impl Store for MemoryStore {
    fn get_by_id(&self, id: &str) -> Option<Arc<Record>> {
        let doc = *self.ids.get(id)?;
        self.get(doc)
    }

    fn get(&self, doc: DocId) -> Option<Arc<Record>> {
        self.docs.read().record(doc).cloned()
    }

    fn signature_of(&self, record: &Record) -> Option<Signature> {
        let docs = self.docs.read();
        Some(Signature::from_values(docs.minima_of(record)?.to_vec()))
    }

    fn reserve(
        &mut self,
        articles: usize,
        minima: usize,
        keys_per_article: usize,
    ) -> Result<(), TryReserveError> {
        // The bucket tables first: they are most of it.
        self.buckets
            .reserve(articles.saturating_mul(keys_per_article))?;
        self.docs.get_mut().reserve(articles, minima)?;
        if self.ids.is_empty() {
            self.ids = DashMap::with_capacity_and_hasher(articles, KeyHash::default());
        }
        self.capacity = articles;
        Ok(())
    }

    fn candidates(&self, keys: &[BandKey], out: &mut Vec<DocId>) {
        let start = out.len();
        self.buckets.get_many(keys, out);
        out[start..].sort_unstable();
        let mut kept = start;
        for i in start..out.len() {
            if i == start || out[i] != out[kept - 1] {
                out[kept] = out[i];
                kept += 1;
            }
        }
        out.truncate(kept);
    }

    fn held_where(
        &self,
        docs: &[DocId],
        keep: &mut dyn FnMut(&Record, &[u16]) -> bool,
        out: &mut Vec<Held>,
    ) {
        // A batch at a time, each under one read lock, and no reference
        // count touched for a record the screen rejects (an atomic add and
        // subtract each). Batches keep the lock short (an exhaustive
        // comparison screens every held article) and a batch's signatures
        // in cache from the first pass to the second.
        for batch in docs.chunks(SCREEN_BATCH) {
            let held = self.docs.read();
            let records = || batch.iter().filter_map(|&doc| held.held(doc));
            // First load every signature, a cache line at a time, and the
            // record's shingle count, which the screen reads beside the
            // minima: a miss each, independent of the others', so they
            // overlap, where the screen's branches would wait on each.
            if batch.len() > 1 {
                let mut any = 0u16;
                for (record, minima) in records() {
                    any ^= record.shingles as u16;
                    for v in minima.iter().step_by(VALUES_PER_LINE) {
                        any ^= v;
                    }
                }
                std::hint::black_box(any);
            }
            out.extend(
                records()
                    .filter(|(r, minima)| keep(r, minima))
                    .map(|(r, minima)| Held {
                        record: Arc::clone(r),
                        signature: Signature::from_values(minima.to_vec()),
                    }),
            );
        }
    }

    fn insert(
        &self,
        mut record: Record,
        signature: &Signature,
        keys: &[BandKey],
    ) -> Result<Arc<Record>, Arc<Record>> {
        match self.ids.entry(Arc::clone(&record.id)) {
            Entry::Occupied(held) => {
                let doc = *held.get();
                drop(held);
                match self.get(doc) {
                    Some(rec) => Err(rec),
                    // Removed between the two look-ups: the caller retries as a conflict.
                    None => Err(Arc::new(record)),
                }
            }
            Entry::Vacant(slot) => {
                let distinct = record.kind() == Kind::DistinctReport;
                self.record_bytes.fetch_add(
                    record.approx_bytes(signature.len(), keys.len()),
                    Ordering::Relaxed,
                );
                let doc = self.allocate();
                record.doc = doc;
                let record = Arc::new(record);
                self.docs
                    .write()
                    .put(doc, Arc::clone(&record), signature.values());
                self.buckets.insert_many(keys, doc);
                if distinct {
                    self.originals.fetch_add(1, Ordering::Relaxed);
                }
                self.held.fetch_add(1, Ordering::Relaxed);
                // The id becomes visible last, once the record is complete.
                slot.insert(doc);
                Ok(record)
            }
        }
    }

    fn remove(&self, id: &str, keys: &[BandKey]) -> Option<Arc<Record>> {
        let (_, doc) = self.ids.remove(id)?;
        let (record, minima) = {
            let mut docs = self.docs.write();
            (docs.take(doc)?, docs.width())
        };
        self.buckets.remove_many(keys, doc);
        self.free.lock().push(doc);
        self.held.fetch_sub(1, Ordering::Relaxed);
        if record.kind() == Kind::DistinctReport {
            self.originals.fetch_sub(1, Ordering::Relaxed);
        }
        self.record_bytes
            .fetch_sub(record.approx_bytes(minima, keys.len()), Ordering::Relaxed);
        Some(record)
    }

    fn len(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    fn buckets(&self) -> usize {
        self.buckets.keys()
    }

    fn originals(&self) -> usize {
        self.originals.load(Ordering::Relaxed)
    }

    fn all_docs(&self, out: &mut Vec<DocId>) {
        out.extend(self.docs.read().held_docs());
    }

    fn segment_reports(&self, segment: u64) -> u32 {
        self.segment_reports.get(segment)
    }

    fn segment_reports_many(&self, keys: &[u64], out: &mut Vec<u32>) {
        self.segment_reports.get_many(keys, out);
    }

    fn add_segment_reports(&self, segments: &[u64]) -> Vec<u32> {
        if self.capacity > 0 {
            self.size_counters();
        }
        self.segment_reports.increment_many(segments)
    }

    fn sub_segment_reports(&self, segments: &[u64]) {
        self.segment_reports.decrement_many(segments);
    }

    fn add_furniture_shingles(&self, shingles: &[u32]) {
        // Usually all known already: check under the shared lock first.
        if shingles.is_empty() || shingles.iter().all(|s| self.furniture.read().contains(*s)) {
            return;
        }
        self.furniture.write().extend(shingles.iter().copied());
    }

    fn is_furniture_shingle(&self, shingle: u32) -> bool {
        self.furniture.read().contains(shingle)
    }

    fn furniture_among(&self, shingles: &[u32], out: &mut Vec<bool>) {
        out.clear();
        let set = self.furniture.read();
        if set.is_empty() {
            out.resize(shingles.len(), false);
        } else {
            out.extend(shingles.iter().map(|s| set.contains(*s)));
        }
    }

    fn segment_counters(&self) -> usize {
        self.segment_reports.len()
    }

    fn furniture_shingles(&self) -> usize {
        self.furniture.read().len()
    }

    fn for_each_segment_report(&self, f: &mut dyn FnMut(u64, u32)) {
        self.segment_reports.for_each(f);
    }

    fn restore_segment_reports(&self, entries: &[(u64, u32)]) {
        for (key, count) in entries {
            self.segment_reports.set(*key, *count);
        }
    }

    fn furniture_list(&self) -> Vec<u32> {
        self.furniture.read().iter().collect()
    }

    fn approx_bytes(&self) -> u64 {
        self.record_bytes.load(Ordering::Relaxed)
            + COUNTER_BYTES * self.segment_reports.len() as u64
            + FURNITURE_BYTES * self.furniture.read().len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Signature;

    fn record(id: &str, shingles: u32) -> Record {
        Record {
            shingles,
            ..Record::distinct(id)
        }
    }

    /// The signature `record(_, shingles)` is held with in these tests.
    fn signature(shingles: u32) -> Signature {
        Signature::from_values(vec![shingles as u16; 128])
    }

    /// A store holding `a0..a{n-1}` (record `i` with `i` shingles), and
    /// their handles in that order.
    fn holding(n: u32) -> (MemoryStore, Vec<DocId>) {
        let store = MemoryStore::new();
        let docs = (0..n)
            .map(|i| {
                store
                    .insert(record(&format!("a{i}"), i), &signature(i), &[u64::from(i)])
                    .map(|r| r.doc)
                    .unwrap_or(DocId::MAX)
            })
            .collect();
        (store, docs)
    }

    /// Runs `held_where` on `asked` with a screen keeping the shingle
    /// counts `keep` accepts: (the counts screened, the counts kept).
    fn screen(store: &MemoryStore, asked: &[DocId], keep: fn(u32) -> bool) -> (Vec<u32>, Vec<u32>) {
        let mut seen = Vec::new();
        let mut out = Vec::new();
        store.held_where(
            asked,
            &mut |r, minima| {
                assert_eq!(minima, signature(r.shingles).values(), "its own signature");
                seen.push(r.shingles);
                keep(r.shingles)
            },
            &mut out,
        );
        for held in &out {
            assert_eq!(held.signature, signature(held.record.shingles));
        }
        (seen, out.iter().map(|h| h.record.shingles).collect())
    }

    #[test]
    fn held_where_keeps_the_held_records_the_screen_accepts_in_order() {
        let (store, docs) = holding(6);
        store.remove("a4", &[4]);
        // Handles out of order, one removed, one never given out.
        let asked = [docs[5], docs[0], docs[4], docs[3], docs[2], 999];
        let (seen, kept) = screen(&store, &asked, |s| s % 2 == 1);
        assert_eq!(seen, [5, 0, 3, 2], "screened: the held ones, in order");
        assert_eq!(kept, [5, 3]);
    }

    #[test]
    fn a_removed_articles_handle_waits_until_its_record_is_let_go() {
        let (store, docs) = holding(3);
        let held = store.get(docs[1]).expect("held");
        assert_eq!(store.signature_of(&held), Some(signature(1)));
        let removed = store.remove("a1", &[1]).expect("held");
        assert!(store.get(docs[1]).is_none(), "no longer held");
        // Still held here (a snapshot being written, say): its signature
        // stays, and its handle is not given to the next article.
        assert_eq!(store.signature_of(&removed), Some(signature(1)));
        let next = store
            .insert(record("b", 7), &signature(7), &[7])
            .expect("new id");
        assert_ne!(next.doc, docs[1], "reused while held");
        assert_eq!(store.signature_of(&held), Some(signature(1)));
        // Let go, the handle goes to the next article, with its signature.
        drop((held, removed));
        let last = store
            .insert(record("c", 8), &signature(8), &[8])
            .expect("new id");
        assert_eq!(last.doc, docs[1], "the handle is reused");
        assert_eq!(store.signature_of(&last), Some(signature(8)));
        assert_eq!(store.signature_of(&next), Some(signature(7)));
        assert_eq!(
            store.signature_of(&store.get(docs[2]).expect("held")),
            Some(signature(2))
        );
        // A record the store did not hand out gets nothing.
        let stranger = Record {
            doc: docs[1],
            ..record("c", 8)
        };
        assert_eq!(store.signature_of(&stranger), None);
    }

    #[test]
    fn held_where_screens_a_list_longer_than_a_batch_in_order() {
        let n = 3 * SCREEN_BATCH as u32 + 5;
        let (store, mut docs) = holding(n);
        docs.reverse();
        let (seen, kept) = screen(&store, &docs, |s| s % 3 == 0);
        let all: Vec<u32> = (0..n).rev().collect();
        assert_eq!(seen, all);
        let thirds: Vec<u32> = all.into_iter().filter(|i| i % 3 == 0).collect();
        assert_eq!(kept, thirds);
    }

    #[test]
    fn a_sized_store_plans_its_counters_at_the_rate_of_its_first_articles() {
        let mut store = MemoryStore::new();
        store
            .reserve(6_400, 128, 4)
            .expect("a small reserve is granted");
        // Each article adds 10 counters.
        let counters_of = |i: u64| {
            (0..10)
                .map(|j| (i * 10 + j).wrapping_mul(0x9E37_79B9_7F4A_7C15))
                .collect::<Vec<_>>()
        };
        // A 32nd of 6,400.
        let due = 200;
        for i in 0..due {
            assert_eq!(store.segment_reports.planned(), 0, "planned early");
            store.add_segment_reports(&counters_of(i));
            let _ = store.insert(record(&format!("a{i}"), 1), &signature(1), &[i]);
        }
        store.add_segment_reports(&counters_of(due));
        let expected =
            crate::storage::probe::slots_for(crate::storage::shards::table_share(64_000));
        assert_eq!(store.segment_reports.planned(), expected);
        // Then each article swaps in one table of the plan, once made.
        let planned = |store: &MemoryStore| store.segment_reports.tables_as_planned();
        assert_eq!(planned(&store), 0);
        // Articles that add no new counter (the first one's again), so no
        // table outgrows the plan while the idle-class maker waits for a
        // core; and a pause each, to leave it one.
        let start = std::time::Instant::now();
        while planned(&store) < crate::storage::shards::TABLES && start.elapsed().as_secs() < 60 {
            store.add_segment_reports(&counters_of(0));
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(planned(&store), crate::storage::shards::TABLES);

        // Without a capacity, nothing is planned.
        let (unsized_store, _) = holding(300);
        unsized_store.add_segment_reports(&counters_of(0));
        assert_eq!(unsized_store.segment_reports.planned(), 0);
    }
}
