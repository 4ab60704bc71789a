//! Bounded memory: retention by age and a cap on held articles, both
//! evicting the oldest first.
//!
//! An article's age is its `published_at`, or its arrival time when that is
//! unknown (0). Held articles are kept in a queue ordered by age (then by
//! arrival), so finding the oldest is a look at the queue's front. Evicting
//! goes through the same path as `Remove` (lock stripes, write-ahead log,
//! every bucket posting removed), and is counted apart.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;

use super::Index;
use crate::error::Result;
use crate::storage::{DocId, Record, Store};

/// Held articles by age, oldest first (then by arrival).
#[derive(Debug, Default)]
pub(crate) struct Ages {
    queue: Mutex<BTreeMap<(i64, u64), DocId>>,
    /// Held while limits are being enforced, so two threads never evict for
    /// the same excess.
    enforcing: Mutex<()>,
}

impl Ages {
    /// Notes a stored record.
    pub(crate) fn insert(&self, record: &Record) {
        self.queue
            .lock()
            .insert((record.age_key(), record.arrival), record.doc);
    }

    /// Forgets a record that is no longer held.
    pub(crate) fn remove(&self, record: &Record) {
        self.queue
            .lock()
            .remove(&(record.age_key(), record.arrival));
    }

    /// Takes the oldest entry off the queue if it is older than `cutoff`
    /// (any age when `cutoff` is `None`).
    fn pop_oldest(&self, cutoff: Option<i64>) -> Option<((i64, u64), DocId)> {
        let mut queue = self.queue.lock();
        let (&(age, _), _) = queue.first_key_value()?;
        if cutoff.is_some_and(|c| age >= c) {
            return None;
        }
        queue.pop_first()
    }
}

/// Seconds since the Unix epoch, now.
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl<S: Store> Index<S> {
    /// Evicts what the limits in force no longer allow: articles older than
    /// `retention` at time `now` (Unix seconds), then the oldest while more
    /// than `max_docs` are held. Returns how many were evicted. A no-op
    /// without limits, or while another thread is enforcing them.
    pub fn enforce_limits(&self, now: i64) -> Result<usize> {
        let Some(ages) = &self.ages else {
            return Ok(0);
        };
        let Some(_one) = ages.enforcing.try_lock() else {
            return Ok(0);
        };
        let mut evicted = 0;
        if let Some(retention) = self.config.retention {
            let keep = i64::try_from(retention.as_secs()).unwrap_or(i64::MAX);
            let cutoff = now.saturating_sub(keep);
            while let Some(oldest) = ages.pop_oldest(Some(cutoff)) {
                evicted += usize::from(self.evict(oldest)?);
            }
        }
        let max = self.config.max_docs;
        if max > 0 {
            while self.store.len() > max {
                let Some(oldest) = ages.pop_oldest(None) else {
                    break;
                };
                evicted += usize::from(self.evict(oldest)?);
            }
        }
        Ok(evicted)
    }

    /// Articles evicted by the limits since the index was created (carried
    /// over restarts with a data directory).
    pub fn evictions(&self) -> u64 {
        self.evictions.load(Ordering::Relaxed)
    }

    /// Forgets the held article that arrived `arrival`-th, behind `doc`, as
    /// an eviction; false if it was no longer held (handles are reused: the
    /// article now behind `doc` may be another).
    fn evict(&self, ((_, arrival), doc): ((i64, u64), DocId)) -> Result<bool> {
        let Some(held) = self.store.get(doc).filter(|r| r.arrival == arrival) else {
            return Ok(false);
        };
        let removed = self.forget(&held.id, true)?;
        Ok(removed.is_some())
    }
}
