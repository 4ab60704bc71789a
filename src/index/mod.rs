//! The index: turns an article into a fingerprint, finds and verifies
//! candidates, decides the verdict ([`verdict`]) and keeps clusters.
//!
//! Writes (ingest, remove) hold the lock stripes of the article's band keys
//! ([`stripes`]) from comparison to storage, so two copies ingested at the
//! same moment are serialized: exactly one becomes the original. Reads
//! (check, stats) take no lock.

mod config;
mod encoded;
mod fingerprint;
mod journal;
mod lifecycle;
mod stripes;
pub mod verdict;

use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use parking_lot::RwLock;

use xxhash_rust::xxh3::Xxh3;

pub use config::{ConfigError, Footprint, IndexConfig, Verification};
pub use fingerprint::{Fingerprint, Segment};
pub use journal::{Durability, OpenError, PendingSync};
pub use lifecycle::now_unix;
pub use verdict::Thresholds;

use crate::core::{LshParams, MinHasher, Shingler};
use crate::error::{Error, Result};
use crate::model::{Article, Kind, Verdict};
use crate::storage::{Detail, MemoryStore, Record, Store};
use stripes::Stripes;

/// Lock stripes: enough that concurrent ingests of unrelated articles rarely
/// wait on each other. An ingest with the defaults takes 49 stripes (32
/// bands, 16 lead keys, its id), so two at once share one with probability
/// about `1 - exp(-49² / STRIPES)`: 44% with 4,096 stripes, where the
/// stream's two ingest threads parked on each other's stripes 1,400 times in
/// 20,000 articles; 3.6% with 65,536 (64 KB of one-byte locks), which made
/// the stream with the defaults 5% faster and a lone ingest no slower.
const STRIPES: usize = 1 << 16;

/// Per-request overrides of the configured decision (all optional).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MatchOptions {
    /// Overrides [`IndexConfig::jaccard_threshold`].
    pub jaccard_threshold: Option<f64>,
    /// Overrides [`IndexConfig::containment_threshold`].
    pub containment_threshold: Option<f64>,
    /// Overrides [`IndexConfig::max_matches`] when non-zero.
    pub max_matches: usize,
}

/// Counts and parameters, for `Stats`.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// Articles held.
    pub documents: usize,
    /// Non-empty LSH buckets.
    pub buckets: usize,
    /// Held articles that were distinct reports when ingested.
    pub originals: usize,
    /// The configuration in force.
    pub config: IndexConfig,
    /// The bands × rows chosen from it.
    pub lsh: LshParams,
    /// Shingles known to be site furniture.
    pub furniture_shingles: usize,
    /// Counters held by the furniture model (one per segment seen, and per
    /// segment within each named source).
    pub segment_counters: usize,
    /// Articles evicted by the retention limits.
    pub evictions: u64,
    /// Approximate bytes used by held articles, their postings and the
    /// furniture model: what the held articles use, so tables sized ahead
    /// for a [`IndexConfig::capacity`] take more until it is reached.
    pub approx_bytes: u64,
    /// Whether changes are logged to a data directory.
    pub durable: bool,
}

/// The syndication index over a [`Store`].
#[derive(Debug)]
pub struct Index<S: Store = MemoryStore> {
    config: IndexConfig,
    shingler: Shingler,
    hasher: MinHasher,
    lsh: LshParams,
    store: S,
    stripes: Stripes,
    /// Writes hold it shared; a snapshot holds it exclusively for a moment
    /// to take a consistent cut.
    gate: RwLock<()>,
    /// The data directory's log, if durable.
    journal: Option<journal::Journal>,
    /// Held articles by age, when a retention limit is set.
    ages: Option<lifecycle::Ages>,
    evictions: AtomicU64,
    /// The next arrival number.
    arrivals: AtomicU64,
}

impl Index<MemoryStore> {
    /// An empty in-memory index.
    pub fn in_memory(config: IndexConfig) -> Result<Self, ConfigError> {
        Self::new(config, MemoryStore::new())
    }
}

impl<S: Store> Index<S> {
    /// An index over `store`, after validating `config` and choosing the LSH
    /// bands × rows for it.
    pub fn new(config: IndexConfig, mut store: S) -> Result<Self, ConfigError> {
        config.validate()?;
        let lsh = LshParams::optimal(
            config.lsh_threshold,
            config.permutations,
            config.lsh_fp_weight,
            config.lsh_min_recall,
        )?;
        if config.capacity > 0 {
            store
                .reserve(
                    config.capacity,
                    config.permutations,
                    config.keys_per_article(&lsh),
                )
                .map_err(|e| ConfigError::Capacity {
                    articles: config.capacity,
                    reason: e.to_string(),
                })?;
        }
        Ok(Index {
            shingler: Shingler::with_seed(config.shingle_size, config.shingle_seed),
            hasher: MinHasher::new(config.permutations),
            lsh,
            store,
            stripes: Stripes::new(STRIPES),
            gate: RwLock::new(()),
            journal: None,
            ages: (config.retention.is_some() || config.max_docs > 0)
                .then(lifecycle::Ages::default),
            evictions: AtomicU64::new(0),
            arrivals: AtomicU64::new(0),
            config,
        })
    }

    /// The configuration in force.
    pub fn config(&self) -> &IndexConfig {
        &self.config
    }

    /// The LSH bands × rows in force.
    pub fn lsh(&self) -> &LshParams {
        &self.lsh
    }

    /// Compares `article` with the held articles (other than one with the same
    /// id) and answers, storing nothing.
    pub fn check(&self, article: &Article, options: &MatchOptions) -> Result<Verdict> {
        let thresholds = self.thresholds(options)?;
        self.validate(article)?;
        let fp = self.fingerprint(article)?;
        Ok(self.decide(&article.id, &fp, &thresholds))
    }

    /// Compares `article` with the held articles, then stores it, atomically
    /// with respect to every article it could match. Re-sending a held id
    /// with the same title and text returns the first verdict (with
    /// `stored = false`); with different text it fails with
    /// [`Error::AlreadyExists`].
    pub fn ingest(&self, article: &Article, options: &MatchOptions) -> Result<Verdict> {
        let mut pending = PendingSync::default();
        let verdict = self.ingest_deferred(article, options, &mut pending);
        self.commit(pending)?;
        verdict
    }

    /// [`Index::ingest`], leaving the log records it writes to be made
    /// durable by [`Index::commit`]: a batch of ingests then costs one fsync.
    /// Acknowledge none of them before `commit` succeeds.
    pub fn ingest_deferred(
        &self,
        article: &Article,
        options: &MatchOptions,
        pending: &mut PendingSync,
    ) -> Result<Verdict> {
        let thresholds = self.thresholds(options)?;
        self.validate(article)?;
        let text_hash = text_hash(article);
        if let Some(held) = self.store.get_by_id(&article.id) {
            if let Some(journal) = &self.journal {
                journal.cover_all(pending);
            }
            return retried(article, &held, text_hash);
        }
        let mut fp = self.fingerprint(article)?;
        let verdict = {
            let _gate = self.gate.read();
            let guard = self.stripes.lock(&fp.keys, &article.id);
            // Another ingest of this id may have won while we fingerprinted.
            if let Some(held) = self.store.get_by_id(&article.id) {
                if let Some(journal) = &self.journal {
                    journal.cover_all(pending);
                }
                return retried(article, &held, text_hash);
            }
            let mut verdict = self.decide(&article.id, &fp, &thresholds);
            verdict.stored = true;
            let distinct = verdict.kind == Kind::DistinctReport;
            let lean = self.config.is_lean();
            let segments = if lean {
                Vec::new()
            } else {
                Self::segment_hashes(&fp)
            };
            // A lean index keeps its lead keys only, if it posts any: they
            // are bucket keys, needed again to remove it or reload it.
            let lead_keys = &fp.keys[self.lsh.bands.min(fp.keys.len())..];
            let detail = (!lean || !lead_keys.is_empty()).then(|| {
                Box::new(Detail {
                    set: if lean {
                        Vec::new()
                    } else if self.is_sampled(fp.shingles) {
                        std::mem::take(&mut fp.sample)
                    } else {
                        std::mem::take(&mut fp.set)
                    }
                    .into_boxed_slice(),
                    lead_keys: lead_keys.into(),
                    segments: segments.clone().into_boxed_slice(),
                    source: fp.source,
                })
            });
            let record = Record {
                doc: 0,
                id: Arc::clone(&verdict.id),
                text_hash,
                // Moved, not copied: what follows needs only the segments
                // (and the signature, which the store copies).
                figures: std::mem::take(&mut fp.figures).into_boxed_slice(),
                detail,
                shingles: fp.shingles,
                published_at: article.published_at,
                arrived_at: lifecycle::now_unix(),
                arrival: self
                    .arrivals
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                matches: std::mem::take(&mut verdict.matches).into_boxed_slice(),
                canonical_id: Arc::clone(&verdict.canonical_id),
            };
            if let Some(journal) = &self.journal {
                journal.insert(&record, &fp.signature, pending)?;
            }
            let stored = match self.store.insert(record, &fp.signature, &fp.keys) {
                Ok(stored) => stored,
                Err(held) => return retried(article, &held, text_hash),
            };
            if let Some(ages) = &self.ages {
                ages.insert(&stored);
            }
            drop(guard);
            let (counters, furniture) = self.learn_furniture(&fp, &segments, distinct);
            if let Some(journal) = &self.journal {
                if let Err(e) = journal.learn(&counters, &furniture, pending) {
                    // The article is stored and logged; only what the
                    // furniture model learned from it may be lost.
                    tracing::warn!(id = %article.id, "cannot log what was learned: {e}");
                }
            }
            stored.verdict(true)
        };
        if self.config.max_docs > 0 {
            // The article is stored: a failed eviction is the next sweep's
            // to retry, not this ingest's error.
            if let Err(e) = self.enforce_limits(lifecycle::now_unix()) {
                tracing::warn!("cannot evict down to --max-docs: {e}");
            }
        }
        Ok(verdict)
    }

    /// Forgets the article `id`: it is no longer matched nor counted. Copies
    /// already held keep naming it as their canonical id.
    pub fn remove(&self, id: &str) -> Result<()> {
        if id.is_empty() {
            return Err(Error::EmptyId);
        }
        match self.forget(id, false)? {
            Some(_) => Ok(()),
            None => Err(Error::NotFound { id: id.to_owned() }),
        }
    }

    /// Forgets a held article and every bucket posting of it, logging it
    /// first; `evicted` counts it as an eviction. `None` if it was not held.
    fn forget(&self, id: &str, evicted: bool) -> Result<Option<Arc<Record>>> {
        let _gate = self.gate.read();
        let Some(held) = self.store.get_by_id(id) else {
            return Ok(None);
        };
        let Some(keys) = self.record_keys(&held) else {
            // Not a record of this store's: nothing of it to remove.
            return Ok(None);
        };
        let _guard = self.stripes.lock(&keys, id);
        // Removed, or removed and stored again, while we took the locks.
        match self.store.get_by_id(id) {
            Some(now) if now.arrival == held.arrival => {}
            _ => return Ok(None),
        }
        if let Some(journal) = &self.journal {
            journal.remove(id, evicted)?;
        }
        let removed = self.store.remove(id, &keys);
        if let Some(record) = &removed {
            self.unlearn_furniture(record);
            if let Some(ages) = &self.ages {
                ages.remove(record);
            }
            if evicted {
                self.evictions
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
        Ok(removed)
    }

    /// Counts and parameters.
    pub fn stats(&self) -> Stats {
        Stats {
            documents: self.store.len(),
            buckets: self.store.buckets(),
            originals: self.store.originals(),
            config: self.config.clone(),
            lsh: self.lsh,
            furniture_shingles: self.store.furniture_shingles(),
            segment_counters: self.store.segment_counters(),
            evictions: self.evictions(),
            approx_bytes: self.store.approx_bytes(),
            durable: self.journal.is_some(),
        }
    }

    /// Rejects what must never reach the index.
    fn validate(&self, article: &Article) -> Result<()> {
        if article.id.is_empty() {
            return Err(Error::EmptyId);
        }
        if article.id.len() > self.config.max_id_bytes {
            return Err(Error::IdTooLong {
                len: article.id.len(),
                max: self.config.max_id_bytes,
            });
        }
        let len = article.text.len() + article.title.len();
        if len > self.config.max_text_bytes {
            return Err(Error::TextTooLarge {
                id: article.id.clone(),
                len,
                max: self.config.max_text_bytes,
            });
        }
        if article.text.trim().is_empty() {
            return Err(Error::EmptyText {
                id: article.id.clone(),
            });
        }
        Ok(())
    }
}

/// The answer to an ingest of an id already held.
fn retried(article: &Article, held: &Record, text_hash: u128) -> Result<Verdict> {
    if held.text_hash == text_hash {
        Ok(held.verdict(false))
    } else {
        Err(Error::AlreadyExists {
            id: article.id.clone(),
        })
    }
}

/// xxh3-128 over the title and the text, with a separator between them.
fn text_hash(article: &Article) -> u128 {
    let mut h = Xxh3::new();
    h.update(article.title.as_bytes());
    h.update(&[0xFF]);
    h.update(article.text.as_bytes());
    h.digest128()
}
