//! The in-memory store: concurrent hash maps (dashmap), no global lock.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use dashmap::mapref::entry::Entry;
use dashmap::DashMap;

use super::{DocId, Record, Store};
use crate::core::BandKey;
use crate::model::Kind;

/// Holds everything in process memory; lost on exit.
#[derive(Debug, Default)]
pub struct MemoryStore {
    ids: DashMap<Arc<str>, DocId>,
    docs: DashMap<DocId, Arc<Record>>,
    buckets: DashMap<BandKey, Vec<DocId>>,
    next_doc: AtomicU64,
    originals: AtomicUsize,
}

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
        let mut seen = HashSet::new();
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
}
