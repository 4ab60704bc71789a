//! Durability: the index's write-ahead log, its snapshots, and recovery.
//!
//! With a data directory, every change is written to the log before it takes
//! effect in memory (and, under `FsyncPolicy::Always`, made durable before
//! the request is acknowledged):
//! - `Insert`: the whole stored record (signature, shingle set, bucket keys,
//!   verdict, ids; never the raw text);
//! - `Remove`: an id, removed by a caller or evicted by the limits;
//! - `Learn`: what the furniture model learned from a stored article
//!   (counters to increment, shingles now known as furniture).
//!
//! A snapshot holds the whole state at one cut: writes pause while the log is
//! rotated and the state collected (handles only: records are shared, not
//! copied), then the file is written in the background of writes and the
//! logs it covers are deleted. Recovery loads the snapshot and replays the
//! newer logs in order; a torn or corrupt log tail is cut at the last good
//! record; a damaged snapshot stops the start.
//!
//! Every log starts with an `Open` record naming the parameters its records
//! were made with (shingle size, permutations, bands, lead keys): a data
//! directory is never read with parameters that would make its signatures
//! and bucket keys meaningless.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

use super::encoded::{HeldOwned, HeldRef};
use super::Index;
use crate::core::Signature;
use crate::error::{Error, Result};
use crate::storage::disk::{
    self, DiskError, FsyncPolicy, ReplayError, SnapshotHeader, SnapshotInfo, Wal,
};
use crate::storage::{Record, Store};

/// Where and how an index keeps its state on disk.
#[derive(Debug, Clone)]
pub struct Durability {
    /// The data directory (created if missing).
    pub dir: PathBuf,
    /// When log writes are forced to stable storage.
    pub fsync: FsyncPolicy,
}

/// Version of the record encoding; bumped when `Op` or a held article's
/// encoding (`encoded.rs`) change shape, or when what they hold is computed
/// differently (2: shingle hashes
/// combine word hashes without xxh3, so stored sets and signatures differ;
/// 3: signatures keep 16-bit minima; 4: records keep their matches and
/// canonical id rather than the whole verdict, and the full-footprint detail
/// in one optional box; 5: words are hashed as zero-padded 16-byte blocks,
/// so stored sets and signatures differ, and figure keys combine word
/// hashes instead of hashing their bytes).
const FORMAT: u32 = 5;

/// Counters and furniture shingles per snapshot entry.
const CHUNK: usize = 8192;

/// The parameters a data directory's records depend on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Compat {
    format: u32,
    shingle_size: u32,
    shingle_seed: u64,
    permutations: u32,
    bands: u32,
    rows: u32,
    lead_keys: u32,
    lead_window: u32,
    /// Whether records keep no shingle sets nor segment counts.
    lean: bool,
}

impl std::fmt::Display for Compat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "--shingle-size {} --shingle-seed {} --permutations {} ({} bands × {} rows) --lead-keys {} --lead-window {} --footprint {} (format {})",
            self.shingle_size,
            self.shingle_seed,
            self.permutations,
            self.bands,
            self.rows,
            self.lead_keys,
            self.lead_window,
            if self.lean { "lean" } else { "full" },
            self.format
        )
    }
}

/// A log record, as read back.
#[derive(Debug, Deserialize)]
enum Op {
    Open(Compat),
    Insert(Box<HeldOwned>),
    Remove {
        id: Arc<str>,
        evicted: bool,
    },
    Learn {
        counters: Vec<u64>,
        furniture: Vec<u32>,
    },
}

/// A log record, as written (borrowing; same variants in the same order).
#[derive(Serialize)]
enum OpRef<'a> {
    Open(&'a Compat),
    Insert(HeldRef<'a>),
    Remove {
        id: &'a str,
        evicted: bool,
    },
    Learn {
        counters: &'a [u64],
        furniture: &'a [u32],
    },
}

/// A snapshot entry, as read back.
#[derive(Debug, Deserialize)]
enum Entry {
    Evictions(u64),
    Record(Box<HeldOwned>),
    Counters(Vec<(u64, u32)>),
    Furniture(Vec<u32>),
}

/// A snapshot entry, as written.
#[derive(Serialize)]
enum EntryRef<'a> {
    Evictions(u64),
    Record(HeldRef<'a>),
    Counters(&'a [(u64, u32)]),
    Furniture(&'a [u32]),
}

/// Why a data directory could not be opened. The service must not start.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// The configuration is invalid.
    #[error("invalid parameter: {0}")]
    Config(#[from] super::ConfigError),
    /// A file could not be read or written, or the snapshot is damaged.
    #[error(transparent)]
    Disk(#[from] DiskError),
    /// Another process holds the directory.
    #[error("the data directory {dir} is in use by another syndetect process (its LOCK file is locked); stop it or choose another --data-dir")]
    Locked {
        /// The directory.
        dir: PathBuf,
    },
    /// The directory was written with other parameters.
    #[error("the data directory {dir} holds articles fingerprinted with {held}, but this run asks for {asked}: start with the same parameters, or use another --data-dir")]
    Incompatible {
        /// The directory.
        dir: PathBuf,
        /// What it was written with.
        held: String,
        /// What this run asks for.
        asked: String,
    },
    /// A record passed its checksum but could not be decoded (written by an
    /// incompatible version).
    #[error("cannot decode a record of {path} ({reason}); it was written by an incompatible version of syndetect")]
    Decode {
        /// The file.
        path: PathBuf,
        /// The decoder's complaint.
        reason: String,
    },
}

/// An open data directory: the log being written and what a snapshot needs.
#[derive(Debug)]
pub(crate) struct Journal {
    dir: PathBuf,
    wal: Wal,
    compat: Compat,
    /// One snapshot at a time.
    snapshotting: Mutex<()>,
    /// Held (locked) for as long as the directory is open.
    _lock: File,
}

/// Log records written but not yet forced to disk: pass it to
/// [`Index::commit`] before acknowledging what wrote them.
#[derive(Debug, Default)]
#[must_use = "commit it before acknowledging the ingests that wrote it"]
pub struct PendingSync {
    end: Option<u64>,
}

impl PendingSync {
    fn cover(&mut self, end: u64) {
        self.end = Some(self.end.map_or(end, |e| e.max(end)));
    }
}

impl Journal {
    /// Logs a stored record before it takes effect (durable once `pending`
    /// is committed).
    pub(crate) fn insert(
        &self,
        record: &Record,
        signature: &Signature,
        pending: &mut PendingSync,
    ) -> Result<()> {
        self.append_deferred(&OpRef::Insert(HeldRef::new(record, signature)), pending)
    }

    /// Logs a removal before it takes effect: durable on return for a
    /// caller's Remove; an eviction is made durable by the next sync (if it
    /// is lost, the article is evicted again after a restart).
    pub(crate) fn remove(&self, id: &str, evicted: bool) -> Result<()> {
        let op = OpRef::Remove { id, evicted };
        if evicted {
            self.append_deferred(&op, &mut PendingSync::default())
        } else {
            self.append(&op)
        }
    }

    /// Logs what the furniture model learned (derived state: made durable
    /// with the record that taught it, or by the next sync).
    pub(crate) fn learn(
        &self,
        counters: &[u64],
        furniture: &[u32],
        pending: &mut PendingSync,
    ) -> Result<()> {
        self.append_deferred(
            &OpRef::Learn {
                counters,
                furniture,
            },
            pending,
        )
    }

    /// Makes `pending` cover everything logged so far (a retry acknowledges
    /// a record another request may not have made durable yet).
    pub(crate) fn cover_all(&self, pending: &mut PendingSync) {
        pending.cover(self.wal.written());
    }

    /// Forces what `pending` covers to disk, as the fsync policy asks:
    /// at once under `Always` (one fsync covers a whole batch and any other
    /// writer's records before it), once the interval has passed since the
    /// last sync under `Interval` (the server's timer also syncs an idle
    /// log), never under `Never`.
    pub(crate) fn commit(&self, pending: PendingSync) -> Result<()> {
        match (pending.end, self.wal.policy()) {
            (Some(end), FsyncPolicy::Always) => self.wal.sync_to(end).map_err(log_error),
            (Some(_), FsyncPolicy::Interval(_)) => self.wal.sync_if_due().map_err(log_error),
            _ => Ok(()),
        }
    }

    fn append_deferred(&self, op: &OpRef<'_>, pending: &mut PendingSync) -> Result<()> {
        let bytes = encode(op)?;
        let end = self.wal.append_deferred(&bytes).map_err(log_error)?;
        pending.cover(end);
        Ok(())
    }

    /// Forces written records to stable storage (for `FsyncPolicy::Interval`).
    pub(crate) fn sync(&self) -> Result<()> {
        self.wal.sync().map_err(log_error)
    }

    fn append(&self, op: &OpRef<'_>) -> Result<()> {
        self.wal.append(&encode(op)?).map_err(log_error)
    }
}

fn encode(op: &OpRef<'_>) -> Result<Vec<u8>> {
    postcard::to_allocvec(op)
        .map_err(|e| Error::Internal(format!("cannot encode a log record: {e}")))
}

fn log_error(e: DiskError) -> Error {
    Error::Log(e.to_string())
}

/// Takes the directory's `LOCK` file, so two processes never write one
/// directory.
fn lock_dir(dir: &Path) -> Result<File, OpenError> {
    let path = dir.join("LOCK");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|source| DiskError::Io {
            path: path.clone(),
            action: "open",
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(OpenError::Locked {
            dir: dir.to_owned(),
        }),
        Err(std::fs::TryLockError::Error(source)) => Err(DiskError::Io {
            path,
            action: "lock",
            source,
        }
        .into()),
    }
}

/// A replay error as an open error: the file's, or the callback's own.
fn flatten(e: ReplayError<OpenError>) -> OpenError {
    match e {
        ReplayError::Disk(d) => OpenError::Disk(d),
        ReplayError::Callback { source, .. } => source,
    }
}

fn decode<'a, T: Deserialize<'a>>(bytes: &'a [u8], path: &Path) -> Result<T, OpenError> {
    postcard::from_bytes(bytes).map_err(|e| OpenError::Decode {
        path: path.to_owned(),
        reason: e.to_string(),
    })
}

impl<S: Store> Index<S> {
    /// An index over `store` kept in `durability.dir`: loads the snapshot
    /// there, replays the newer logs, and logs every change from now on.
    /// Refuses to open a damaged snapshot, a directory written with other
    /// parameters, or one in use by another process.
    pub fn open(
        config: super::IndexConfig,
        store: S,
        durability: &Durability,
    ) -> Result<Self, OpenError> {
        let mut index = Self::new(config, store)?;
        let dir = durability.dir.clone();
        std::fs::create_dir_all(&dir).map_err(|source| DiskError::Io {
            path: dir.clone(),
            action: "create",
            source,
        })?;
        let lock = lock_dir(&dir)?;
        let compat = index.compat();
        let snapshot_path = dir.join(disk::SNAPSHOT_FILE);
        let header = disk::read_snapshot(&dir, |bytes| {
            index.restore(decode(bytes, &snapshot_path)?);
            Ok::<(), OpenError>(())
        })
        .map_err(flatten)?;
        let next_log = match &header {
            Some(h) => {
                let held: Compat = decode(&h.meta, &snapshot_path)?;
                index.check_compat(&dir, &held, &compat)?;
                h.next_log
            }
            None => 1,
        };
        let logs = disk::list_logs(&dir)?;
        let mut last = next_log.saturating_sub(1);
        for (seq, path) in logs.iter().filter(|(seq, _)| *seq >= next_log) {
            let replay = disk::replay_log(path, |bytes| {
                let op: Op = decode(bytes, path)?;
                index.replay(op, &dir, &compat)
            })
            .map_err(flatten)?;
            if let Some(torn) = &replay.torn {
                tracing::warn!(
                    file = %path.display(),
                    offset = torn.offset,
                    "the log ends in a torn or corrupt record ({}); cutting it at the last good record",
                    torn.reason
                );
                disk::cut_torn_tail(path, replay.good_len)?;
            }
            tracing::info!(file = %path.display(), records = replay.frames, "replayed");
            last = *seq;
        }
        disk::remove_logs_before(&dir, next_log)?;
        let wal = Wal::create(&dir, last + 1, durability.fsync)?;
        let journal = Journal {
            dir,
            wal,
            compat,
            snapshotting: Mutex::new(()),
            _lock: lock,
        };
        journal
            .append(&OpRef::Open(&journal.compat))
            .map_err(|e| OpenError::Decode {
                path: journal.wal.path().to_owned(),
                reason: e.to_string(),
            })?;
        index.journal = Some(journal);
        Ok(index)
    }

    /// Writes a snapshot of the whole state and deletes the logs it covers.
    /// `Ok(None)` without a data directory. Writes pause only while the log
    /// is rotated and the state's handles are collected.
    pub fn snapshot(&self) -> Result<Option<SnapshotInfo>> {
        let Some(journal) = &self.journal else {
            return Ok(None);
        };
        let _one = journal.snapshotting.lock();
        let (next_log, mut records, counters, furniture, evictions) = {
            let _writes_paused = self.gate.write();
            let next_log = journal.wal.seq() + 1;
            journal.wal.rotate(next_log).map_err(log_error)?;
            journal.append(&OpRef::Open(&journal.compat))?;
            let mut docs = Vec::new();
            self.store.all_docs(&mut docs);
            // The records only: their signatures are read as they are
            // written, outside the pause (the store keeps a record's
            // signature while it is held, removed since or not).
            let records: Vec<Arc<Record>> =
                docs.into_iter().filter_map(|d| self.store.get(d)).collect();
            let mut counters = Vec::new();
            self.store
                .for_each_segment_report(&mut |k, c| counters.push((k, c)));
            let furniture = self.store.furniture_list();
            let evictions = self.evictions.load(Ordering::Relaxed);
            (next_log, records, counters, furniture, evictions)
        };
        // Arrival order, so a reload reads them as they came.
        records.sort_unstable_by_key(|r| r.arrival);
        let header = SnapshotHeader {
            next_log,
            meta: postcard::to_allocvec(&journal.compat)
                .map_err(|e| Error::Internal(format!("cannot encode parameters: {e}")))?,
        };
        let info = disk::write_snapshot(&journal.dir, &header, |w| {
            let mut put = |entry: &EntryRef<'_>| -> Result<(), DiskError> {
                let bytes = postcard::to_allocvec(entry).map_err(|e| DiskError::Aborted {
                    reason: format!("cannot encode an entry: {e}"),
                })?;
                w.entry(&bytes)
            };
            put(&EntryRef::Evictions(evictions))?;
            for r in &records {
                let signature = self
                    .store
                    .signature_of(r)
                    .ok_or_else(|| DiskError::Aborted {
                        reason: format!("the signature of held article {} is gone", r.id),
                    })?;
                put(&EntryRef::Record(HeldRef::new(r, &signature)))?;
            }
            for chunk in counters.chunks(CHUNK) {
                put(&EntryRef::Counters(chunk))?;
            }
            for chunk in furniture.chunks(CHUNK) {
                put(&EntryRef::Furniture(chunk))?;
            }
            Ok(())
        })
        .map_err(log_error)?;
        disk::remove_logs_before(&journal.dir, next_log).map_err(log_error)?;
        Ok(Some(info))
    }

    /// Makes what `pending` covers durable as the fsync policy asks; call
    /// before acknowledging ingests made with [`Index::ingest_deferred`].
    pub fn commit(&self, pending: PendingSync) -> Result<()> {
        self.journal
            .as_ref()
            .map_or(Ok(()), |journal| journal.commit(pending))
    }

    /// Forces logged records to stable storage; a no-op without a data
    /// directory.
    pub fn sync(&self) -> Result<()> {
        self.journal.as_ref().map_or(Ok(()), Journal::sync)
    }

    /// The data directory, if the index has one.
    pub fn data_dir(&self) -> Option<&Path> {
        self.journal.as_ref().map(|j| j.dir.as_path())
    }

    fn compat(&self) -> Compat {
        let n = |x: usize| u32::try_from(x).unwrap_or(u32::MAX);
        Compat {
            format: FORMAT,
            shingle_size: n(self.config.shingle_size),
            shingle_seed: self.config.shingle_seed,
            permutations: n(self.config.permutations),
            bands: n(self.lsh.bands),
            rows: n(self.lsh.rows),
            lead_keys: n(self.config.lead_keys),
            lead_window: n(self.config.lead_window),
            lean: self.config.is_lean(),
        }
    }

    fn check_compat(&self, dir: &Path, held: &Compat, asked: &Compat) -> Result<(), OpenError> {
        if held == asked {
            Ok(())
        } else {
            Err(OpenError::Incompatible {
                dir: dir.to_owned(),
                held: held.to_string(),
                asked: asked.to_string(),
            })
        }
    }

    /// Applies one snapshot entry.
    fn restore(&self, entry: Entry) {
        match entry {
            Entry::Evictions(n) => self.evictions.store(n, Ordering::Relaxed),
            Entry::Record(held) => self.hold(*held),
            Entry::Counters(c) => self.store.restore_segment_reports(&c),
            Entry::Furniture(f) => self.store.add_furniture_shingles(&f),
        }
    }

    /// Applies one log record, as it took effect when it was written.
    fn replay(&self, op: Op, dir: &Path, compat: &Compat) -> Result<(), OpenError> {
        match op {
            Op::Open(held) => self.check_compat(dir, &held, compat)?,
            Op::Insert(held) => self.hold(*held),
            Op::Remove { id, evicted } => {
                if let Some(held) = self.store.remove(&id, &self.keys_of(&id)) {
                    self.unlearn_furniture(&held);
                    if let Some(ages) = &self.ages {
                        ages.remove(&held);
                    }
                    if evicted {
                        self.evictions.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            Op::Learn {
                counters,
                furniture,
            } => {
                self.store.add_segment_reports(&counters);
                self.store.add_furniture_shingles(&furniture);
            }
        }
        Ok(())
    }

    /// The bucket keys of a held article (none if not held).
    fn keys_of(&self, id: &str) -> Vec<crate::core::BandKey> {
        self.store
            .get_by_id(id)
            .and_then(|r| self.record_keys(&r))
            .unwrap_or_default()
    }

    /// Holds an article read back from disk (an id already held is left as
    /// is: a log may repeat what the snapshot holds).
    fn hold(&self, held: HeldOwned) {
        let (record, signature) = held.split();
        self.arrivals
            .fetch_max(record.arrival + 1, Ordering::Relaxed);
        let keys = self.posting_keys(&signature, record.lead_keys());
        if let (Ok(stored), Some(ages)) = (self.store.insert(record, &signature, &keys), &self.ages)
        {
            ages.insert(&stored);
        }
    }
}
