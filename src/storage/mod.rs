//! Where held articles live: their signatures and metadata, and the LSH
//! buckets that point at them, behind the [`Store`] trait.
//!
//! A store only keeps and finds; it decides nothing. The index (`crate::index`)
//! serializes writes that could see each other, so a store needs only to be
//! safe for concurrent use, with [`Store::insert`] atomic on the article id.

mod counters;
pub mod disk;
mod furniture;
mod memory;
mod pages;
mod postings;
mod probe;
mod shards;
mod slab;
mod spare;

use std::sync::Arc;

pub use memory::MemoryStore;

use crate::core::{BandKey, Signature};
use crate::model::{Kind, Match, Verdict};

/// Approximate bytes of one bucket posting (see [`Record::approx_bytes`]):
/// an 8-byte slot in a table kept between 53% and 80% full.
pub const POSTING_BYTES: usize = 12;

/// The store's internal handle for a held article: reused once the article
/// is removed (and all its postings with it).
pub type DocId = u32;

/// Everything kept about one held article but its signature (its text is
/// not kept).
///
/// Laid out to be small: a million of these are held at once. What only a
/// full-footprint index needs is behind [`Record::detail`], one pointer in a
/// lean index; the verdict is kept as the parts a retry cannot recompute.
/// The signature is kept by the store, beside the record
/// ([`Store::signature_of`]): a store can keep them in large blocks of
/// memory rather than one allocation each.
#[derive(Debug, Clone)]
pub struct Record {
    /// The store's handle; set by [`Store::insert`].
    pub doc: DocId,
    /// Distinct shingles in the set (in a lean index, shingles with
    /// repeats counted: it keeps no set to count them in).
    pub shingles: u32,
    /// The caller's id.
    pub id: Arc<str>,
    /// xxh3-128 of the title and text as sent, to tell a retry from a conflict.
    pub text_hash: u128,
    /// Its content segments holding a figure: (hash with figures masked,
    /// segment hash), sorted.
    pub figures: Box<[(u32, u32)]>,
    /// What a full-footprint index keeps beyond the signature; in a lean
    /// one, only its lead keys, and `None` when it posts none (the lean
    /// default).
    pub detail: Option<Box<Detail>>,
    /// Unix seconds, 0 if unknown.
    pub published_at: i64,
    /// Unix seconds when it was stored: its age for retention when
    /// `published_at` is unknown.
    pub arrived_at: i64,
    /// Its place in the order of arrival (increasing, never reused): ties
    /// between equal ages go to the earlier arrival.
    pub arrival: u64,
    /// The verified matches of the verdict given when it was ingested, best
    /// first; empty for a distinct report (a copy always names one).
    pub matches: Box<[Match]>,
    /// The first-seen article of its cluster (its own id when distinct).
    pub canonical_id: Arc<str>,
}

/// What a held article keeps beyond its signature in a full-footprint
/// index: the shingle set for exact verification, lead keys, and what the
/// furniture model counted for it. A lean index with lead keys keeps those
/// here and nothing else (its segments are empty: it counts nothing).
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Detail {
    /// The content shingle set (furniture removed), as sorted distinct low
    /// 32-bit halves of the shingle hashes: what verification compares.
    pub set: Box<[u32]>,
    /// Its lead keys. It is posted under its LSH band keys, then these; the
    /// band keys are not stored but recomputed from the signature when
    /// needed (`Index::record_keys`).
    pub lead_keys: Box<[BandKey]>,
    /// Hashes of its segments, sorted and distinct: what the furniture model
    /// counted for it, and takes back when it is removed.
    pub segments: Box<[u64]>,
    /// Hash of its source (site), if it named one.
    pub source: Option<u64>,
}

impl Record {
    /// A distinct report `id` with nothing else known of it, for tests.
    #[cfg(test)]
    pub(crate) fn distinct(id: &str) -> Self {
        Record {
            doc: 0,
            shingles: 1,
            id: Arc::from(id),
            text_hash: 0,
            figures: Box::default(),
            detail: None,
            published_at: 0,
            arrived_at: 0,
            arrival: 0,
            matches: Box::default(),
            canonical_id: Arc::from(id),
        }
    }

    /// The first-seen article of this article's cluster.
    pub fn canonical_id(&self) -> &Arc<str> {
        &self.canonical_id
    }

    /// Whether it was a copy or a distinct report when ingested.
    pub fn kind(&self) -> Kind {
        if self.matches.is_empty() {
            Kind::DistinctReport
        } else {
            Kind::SyndicatedCopy
        }
    }

    /// The verdict given when it was ingested, with `stored` as given.
    pub fn verdict(&self, stored: bool) -> Verdict {
        Verdict {
            id: Arc::clone(&self.id),
            kind: self.kind(),
            matches: self.matches.to_vec(),
            canonical_id: Arc::clone(&self.canonical_id),
            stored,
            shingles: self.shingles,
        }
    }

    /// Its content shingle set (empty in a lean index).
    pub fn set(&self) -> &[u32] {
        self.detail.as_ref().map_or(&[], |d| &d.set)
    }

    /// Its lead keys (none in a lean index).
    pub fn lead_keys(&self) -> &[BandKey] {
        self.detail.as_ref().map_or(&[], |d| &d.lead_keys)
    }

    /// The segment hashes the furniture model counted for it (none in a
    /// lean index).
    pub fn segments(&self) -> &[u64] {
        self.detail.as_ref().map_or(&[], |d| &d.segments)
    }

    /// Hash of its source, as the furniture model counted it.
    pub fn source(&self) -> Option<u64> {
        self.detail.as_ref().and_then(|d| d.source)
    }

    /// Its time for retention: `published_at`, or `arrived_at` when unknown.
    pub fn age_key(&self) -> i64 {
        if self.published_at > 0 {
            self.published_at
        } else {
            self.arrived_at
        }
    }

    /// Approximate bytes it takes in memory, with its signature of
    /// `minima` values and its `postings` bucket postings.
    pub fn approx_bytes(&self, minima: usize, postings: usize) -> u64 {
        let detail = self.detail.as_ref().map_or(0, |d| {
            std::mem::size_of::<Detail>()
                + 4 * d.set.len()
                + 8 * d.lead_keys.len()
                + 8 * d.segments.len()
        });
        let own = std::mem::size_of::<Self>()
            + self.id.len()
            + std::mem::size_of::<u16>() * minima
            + 8 * self.figures.len()
            + detail
            + self.matches.len() * std::mem::size_of::<Match>();
        (own + POSTING_BYTES * postings) as u64
    }
}

/// A held article as a look-up shares it: its record, and a copy of its
/// signature.
#[derive(Debug, Clone)]
pub struct Held {
    /// The record.
    pub record: Arc<Record>,
    /// Its signature.
    pub signature: Signature,
}

/// Signature and bucket storage. Implementations must be safe to share
/// between threads; every method takes `&self`.
pub trait Store: Send + Sync + 'static {
    /// The record held under a caller id.
    fn get_by_id(&self, id: &str) -> Option<Arc<Record>>;

    /// The record behind a handle, if still held.
    fn get(&self, doc: DocId) -> Option<Arc<Record>>;

    /// Appends to `out` the handles of held articles sharing at least one band
    /// key with `keys`, each once.
    fn candidates(&self, keys: &[BandKey], out: &mut Vec<DocId>);

    /// The signature stored with `record`, a record this store handed out:
    /// while anyone holds the record, its signature is kept, even once the
    /// article is removed (a snapshot writes the records it collected
    /// while writes were paused, reading their signatures as it goes).
    /// `None` for a record the store did not hand out.
    fn signature_of(&self, record: &Record) -> Option<Signature>;

    /// Appends to `out` the articles behind `docs` (those still held) that
    /// `keep` accepts, given each record and its signature's minima: a cheap
    /// screen run on each where it lies, so the ones it rejects are never
    /// shared out. `keep` must not call back into the store: an
    /// implementation may hold a lock while it runs.
    fn held_where(
        &self,
        docs: &[DocId],
        keep: &mut dyn FnMut(&Record, &[u16]) -> bool,
        out: &mut Vec<Held>,
    ) {
        for &doc in docs {
            let Some(record) = self.get(doc) else {
                continue;
            };
            let Some(signature) = self.signature_of(&record) else {
                continue;
            };
            if keep(&record, signature.values()) {
                out.push(Held { record, signature });
            }
        }
    }

    /// Sizes the store to hold `articles` articles, each with a signature of
    /// `minima` values and posted under `keys_per_article` keys, so that
    /// its tables do not grow as they arrive (a store may size what depends on the articles, such as the
    /// furniture counters, later, once it has seen some). Called once, on
    /// an empty store, before it is shared; the allocator's refusal is
    /// returned. The default does nothing.
    fn reserve(
        &mut self,
        articles: usize,
        minima: usize,
        keys_per_article: usize,
    ) -> Result<(), std::collections::TryReserveError> {
        let _ = (articles, minima, keys_per_article);
        Ok(())
    }

    /// Holds `record` and its `signature` under `record.id`, posting its
    /// handle under each band key. Atomic on the id: if the id is already
    /// held, nothing changes and the held record is returned as the error.
    /// Every signature a store holds has the same length (the index's
    /// permutations).
    fn insert(
        &self,
        record: Record,
        signature: &Signature,
        keys: &[BandKey],
    ) -> Result<Arc<Record>, Arc<Record>>;

    /// Forgets the article `id` and its postings under `keys` (its band keys).
    /// Returns the record, or `None` if it was not held.
    fn remove(&self, id: &str, keys: &[BandKey]) -> Option<Arc<Record>>;

    /// Articles held.
    fn len(&self) -> usize;

    /// True when nothing is held.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Non-empty buckets.
    fn buckets(&self) -> usize;

    /// Held articles that were distinct reports when ingested.
    fn originals(&self) -> usize;

    /// Appends every held handle to `out` (exhaustive comparison, for
    /// evaluation: slow on a large index).
    fn all_docs(&self, out: &mut Vec<DocId>);

    /// The furniture model's counter under `key` (a segment's hash, or a
    /// salted hash of a segment within a source); 0 if never counted.
    fn segment_reports(&self, key: u64) -> u32;

    /// The counters under `keys`, in order, into `out` (replacing its
    /// contents): [`Store::segment_reports`] for many keys at once.
    fn segment_reports_many(&self, keys: &[u64], out: &mut Vec<u32>);

    /// Adds one to the counter of each key; returns the new counts, in order.
    fn add_segment_reports(&self, keys: &[u64]) -> Vec<u32>;

    /// Takes one from the counter of each key (forgetting counters that
    /// reach 0).
    fn sub_segment_reports(&self, keys: &[u64]);

    /// Marks shingles (low 32-bit halves) as site furniture.
    fn add_furniture_shingles(&self, shingles: &[u32]);

    /// Whether a shingle (low 32-bit half) is known furniture.
    fn is_furniture_shingle(&self, shingle: u32) -> bool;

    /// For each shingle (low 32-bit half), whether it is known furniture:
    /// `out` is cleared and filled in order. One call per article, so an
    /// implementation can take its lock once.
    fn furniture_among(&self, shingles: &[u32], out: &mut Vec<bool>) {
        out.clear();
        out.extend(shingles.iter().map(|s| self.is_furniture_shingle(*s)));
    }

    /// How many shingles are known furniture.
    fn furniture_shingles(&self) -> usize;

    /// How many furniture-model counters are held.
    fn segment_counters(&self) -> usize;

    /// Calls `f` with every furniture-model counter (key, count), for a
    /// snapshot.
    fn for_each_segment_report(&self, f: &mut dyn FnMut(u64, u32));

    /// Sets furniture-model counters, when loading a snapshot.
    fn restore_segment_reports(&self, entries: &[(u64, u32)]);

    /// Every shingle known as furniture, for a snapshot.
    fn furniture_list(&self) -> Vec<u32>;

    /// Approximate bytes used by held records, their postings and the
    /// furniture model.
    fn approx_bytes(&self) -> u64;
}
