//! The in-memory store: concurrent hash maps (dashmap), no global lock.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use dashmap::mapref::entry::Entry;
use dashmap::DashMap;
use parking_lot::RwLock;
use smallvec::SmallVec;

use super::{DocId, Record, Store};
use crate::core::fasthash::KeyHash;
use crate::core::BandKey;
use crate::model::Kind;

/// Holds everything in process memory; lost on exit.
#[derive(Debug, Default)]
pub struct MemoryStore {
    ids: DashMap<Arc<str>, DocId, KeyHash>,
    docs: DashMap<DocId, Arc<Record>, KeyHash>,
    buckets: DashMap<BandKey, Postings, KeyHash>,
    next_doc: AtomicU64,
    originals: AtomicUsize,
    segment_reports: DashMap<u64, u32, KeyHash>,
    furniture: RwLock<HashSet<u32, KeyHash>>,
    record_bytes: AtomicU64,
}

/// Approximate bytes of one furniture-model counter and of one furniture
/// shingle in their hash tables.
const COUNTER_BYTES: u64 = 24;
const FURNITURE_BYTES: u64 = 8;

/// The handles posted under one bucket key: most buckets hold one article,
/// which is kept inline (no allocation).
type Postings = SmallVec<[DocId; 1]>;

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Store for MemoryStore {
    fn get_by_id(&self, id: &str) -> Option<Arc<Record>> {
        let doc = *self.ids.get(id)?;
        self.get(doc)
    }

    fn get(&self, doc: DocId) -> Option<Arc<Record>> {
        self.docs.get(&doc).map(|r| Arc::clone(&r))
    }

    fn candidates(&self, keys: &[BandKey], out: &mut Vec<DocId>) {
        let start = out.len();
        let mut seen: HashSet<DocId, KeyHash> = HashSet::default();
        for key in keys {
            if let Some(posting) = self.buckets.get(key) {
                out.extend(posting.iter().copied().filter(|d| seen.insert(*d)));
            }
        }
        debug_assert!(out[start..].len() == seen.len());
    }

    fn insert(&self, mut record: Record, keys: &[BandKey]) -> Result<Arc<Record>, Arc<Record>> {
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
                let doc = self.next_doc.fetch_add(1, Ordering::Relaxed);
                record.doc = doc;
                let distinct = record.verdict.kind == Kind::DistinctReport;
                self.record_bytes
                    .fetch_add(record.approx_bytes(), Ordering::Relaxed);
                let record = Arc::new(record);
                self.docs.insert(doc, Arc::clone(&record));
                for key in keys {
                    self.buckets.entry(*key).or_default().push(doc);
                }
                if distinct {
                    self.originals.fetch_add(1, Ordering::Relaxed);
                }
                // The id becomes visible last, once the record is complete.
                slot.insert(doc);
                Ok(record)
            }
        }
    }

    fn remove(&self, id: &str, keys: &[BandKey]) -> Option<Arc<Record>> {
        let (_, doc) = self.ids.remove(id)?;
        let (_, record) = self.docs.remove(&doc)?;
        for key in keys {
            if let Entry::Occupied(mut posting) = self.buckets.entry(*key) {
                posting.get_mut().retain(|d| *d != doc);
                if posting.get().is_empty() {
                    posting.remove();
                }
            }
        }
        if record.verdict.kind == Kind::DistinctReport {
            self.originals.fetch_sub(1, Ordering::Relaxed);
        }
        self.record_bytes
            .fetch_sub(record.approx_bytes(), Ordering::Relaxed);
        Some(record)
    }

    fn len(&self) -> usize {
        self.docs.len()
    }

    fn buckets(&self) -> usize {
        self.buckets.len()
    }

    fn originals(&self) -> usize {
        self.originals.load(Ordering::Relaxed)
    }

    fn all_docs(&self, out: &mut Vec<DocId>) {
        out.extend(self.docs.iter().map(|e| *e.key()));
    }

    fn segment_reports(&self, segment: u64) -> u32 {
        self.segment_reports.get(&segment).map_or(0, |c| *c)
    }

    fn add_segment_reports(&self, segments: &[u64]) -> Vec<u32> {
        segments
            .iter()
            .map(|s| {
                let mut count = self.segment_reports.entry(*s).or_insert(0);
                *count = count.saturating_add(1);
                *count
            })
            .collect()
    }

    fn sub_segment_reports(&self, segments: &[u64]) {
        for s in segments {
            if let Entry::Occupied(mut count) = self.segment_reports.entry(*s) {
                if *count.get() <= 1 {
                    count.remove();
                } else {
                    *count.get_mut() -= 1;
                }
            }
        }
    }

    fn add_furniture_shingles(&self, shingles: &[u32]) {
        // Usually all known already: check under the shared lock first.
        if shingles.is_empty() || shingles.iter().all(|s| self.furniture.read().contains(s)) {
            return;
        }
        self.furniture.write().extend(shingles.iter().copied());
    }

    fn is_furniture_shingle(&self, shingle: u32) -> bool {
        self.furniture.read().contains(&shingle)
    }

    fn furniture_among(&self, shingles: &[u32], out: &mut Vec<bool>) {
        out.clear();
        let set = self.furniture.read();
        if set.is_empty() {
            out.resize(shingles.len(), false);
        } else {
            out.extend(shingles.iter().map(|s| set.contains(s)));
        }
    }

    fn furniture_shingles(&self) -> usize {
        self.furniture.read().len()
    }

    fn for_each_segment_report(&self, f: &mut dyn FnMut(u64, u32)) {
        for e in self.segment_reports.iter() {
            f(*e.key(), *e.value());
        }
    }

    fn restore_segment_reports(&self, entries: &[(u64, u32)]) {
        for (key, count) in entries {
            self.segment_reports.insert(*key, *count);
        }
    }

    fn furniture_list(&self) -> Vec<u32> {
        self.furniture.read().iter().copied().collect()
    }

    fn approx_bytes(&self) -> u64 {
        self.record_bytes.load(Ordering::Relaxed)
            + COUNTER_BYTES * self.segment_reports.len() as u64
            + FURNITURE_BYTES * self.furniture.read().len() as u64
    }
}
