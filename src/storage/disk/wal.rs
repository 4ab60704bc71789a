//! The write-ahead log: a writer ([`Wal`]) appending one frame per change,
//! and the readers used at start-up ([`list_logs`], [`replay_log`],
//! [`cut_torn_tail`], [`remove_logs_before`]).
//!
//! A log file is [`LOG_MAGIC`] followed by frames (see [`super::frame`]).
//!
//! # What replay accepts
//!
//! - A file shorter than the magic, whose bytes are a prefix of the magic or
//!   all zeros (as is an 8-byte all-zero file): a log torn while being
//!   created, before it could hold a frame ([`Wal::create`] makes the magic
//!   durable before any append). It replays as empty with `good_len` 0, and a
//!   [`TornTail`] at offset 0 unless the file is empty.
//! - Any other file not starting with the magic is
//!   [`DiskError::CorruptLog`]: it is not a log this version wrote, and
//!   cutting it would destroy it.
//! - After the magic, frames up to the first bad one: a partial header, a
//!   zero length, a length over [`MAX_FRAME_LEN`](super::MAX_FRAME_LEN) or running past the end of
//!   the file, or a checksum mismatch. What follows is reported as a
//!   [`TornTail`]; [`cut_torn_tail`] removes it.

use std::fs::{self, File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::{Condvar, Mutex};

use super::frame::{encode_frame, frame_len, FrameError, FrameReader};
use super::{log_path, parse_log_name, sync_dir, DiskError, ReplayError, LOG_MAGIC, MAGIC_LEN};

/// When [`Wal::append`] makes a frame durable (fsyncs the log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// Before returning from every append (concurrent appends share fsyncs).
    /// Nothing acknowledged is lost, even by a machine crash.
    Always,
    /// When the last fsync is older than this, and whenever [`Wal::sync`] is
    /// called (from a periodic timer). A killed process loses nothing; a
    /// machine crash may lose the appends of about the last interval.
    Interval(Duration),
    /// Only on [`Wal::rotate`], [`Wal::sync`], [`Wal::close`] and drop. A
    /// killed process loses nothing; a machine crash may lose whatever the
    /// OS had not written back.
    Never,
}

/// Counters of a [`Wal`] over its life (across rotations).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WalStats {
    /// Frames appended.
    pub frames: u64,
    /// Bytes appended (frame headers included, magics not).
    pub bytes: u64,
    /// Fsyncs of log files (not counting those made while creating one).
    pub fsyncs: u64,
}

/// Writer of the write-ahead log: appends frames to the current log file,
/// fsyncs them per its [`FsyncPolicy`], and rotates to a new file.
///
/// Thread-safe: every method takes `&self`. Appends are serialized on a
/// mutex; fsyncs happen outside it, one at a time (a second mutex and a
/// condition variable), so writers keep appending while one of them fsyncs
/// for all: an appender with [`FsyncPolicy::Always`] whose frame was written
/// before a running fsync began returns when it ends, without one of its
/// own (group commit).
///
/// After an error it cannot recover from (a failed fsync, or a failed write
/// it could not cut back), every later call fails with
/// [`DiskError::LogFailed`]: whether the unacknowledged frames are on disk is
/// unknown, and only a restart (which replays the log) can tell.
#[derive(Debug)]
pub struct Wal {
    dir: PathBuf,
    policy: FsyncPolicy,
    inner: Mutex<Inner>,
    /// Whether a thread is fsyncing (for all). Others wait on `synced`,
    /// then usually find their frame covered.
    syncing: Mutex<bool>,
    /// Signalled after each fsync.
    synced: Condvar,
    /// `Inner::written` as of the start of the last successful fsync: every
    /// frame that ended at or before it is durable.
    durable: AtomicU64,
    frames: AtomicU64,
    fsyncs: AtomicU64,
}

#[derive(Debug)]
struct Inner {
    file: Arc<File>,
    path: PathBuf,
    seq: u64,
    /// Length of the current file (where the next frame goes).
    len: u64,
    /// Bytes appended over the writer's life: the position a frame's end is
    /// measured in for group commit (monotonic across rotations).
    written: u64,
    last_sync: Instant,
    failed: Option<String>,
    closed: bool,
    /// Reused frame buffer (header + payload, written in one call).
    buf: Vec<u8>,
}

impl Inner {
    fn check_usable(&self) -> Result<(), DiskError> {
        if let Some(cause) = &self.failed {
            return Err(DiskError::LogFailed {
                path: self.path.clone(),
                cause: cause.clone(),
            });
        }
        if self.closed {
            return Err(DiskError::LogClosed {
                path: self.path.clone(),
            });
        }
        Ok(())
    }

    /// Fails the writer for good with `cause`.
    fn poison(&mut self, cause: String) {
        if self.failed.is_none() {
            tracing::error!(path = %self.path.display(), error = %cause, "the write-ahead log failed; every later write will fail");
            self.failed = Some(cause);
        }
    }
}

/// Largest frame buffer kept between appends.
const KEEP_BUF: usize = 1 << 20;

impl Wal {
    /// Creates the new log `DIR/wal-{seq:08}.log` (an error if it exists),
    /// writes the magic and fsyncs the file and the directory.
    pub fn create(dir: &Path, seq: u64, policy: FsyncPolicy) -> Result<Wal, DiskError> {
        let (file, path) = create_log_file(dir, seq)?;
        Ok(Wal::with_file(
            dir,
            policy,
            file,
            path,
            seq,
            MAGIC_LEN as u64,
        ))
    }

    fn with_file(
        dir: &Path,
        policy: FsyncPolicy,
        file: File,
        path: PathBuf,
        seq: u64,
        len: u64,
    ) -> Wal {
        Wal {
            dir: dir.to_path_buf(),
            policy,
            inner: Mutex::new(Inner {
                file: Arc::new(file),
                path,
                seq,
                len,
                written: 0,
                last_sync: Instant::now(),
                failed: None,
                closed: false,
                buf: Vec::new(),
            }),
            syncing: Mutex::new(false),
            synced: Condvar::new(),
            durable: AtomicU64::new(0),
            frames: AtomicU64::new(0),
            fsyncs: AtomicU64::new(0),
        }
    }

    /// Appends one frame holding `payload` (1 byte to [`MAX_FRAME_LEN`](super::MAX_FRAME_LEN)).
    ///
    /// Returns once the frame is written to the OS, and with
    /// [`FsyncPolicy::Always`] once it is on disk. If the write fails, the
    /// file is cut back to before the frame and the error returned (the log
    /// stays usable); if even that fails, or an fsync fails, the log is
    /// failed for good ([`DiskError::LogFailed`] from then on).
    pub fn append(&self, payload: &[u8]) -> Result<(), DiskError> {
        let (end, sync_now) = self.write_frame(payload)?;
        if sync_now {
            self.sync_to(end)?;
        }
        Ok(())
    }

    /// Appends one frame without waiting for it to be durable, whatever the
    /// policy, and returns its logical end position: pass the largest of a
    /// batch's to [`Wal::sync_to`] before acknowledging any of them (one
    /// fsync for the batch under [`FsyncPolicy::Always`]).
    pub fn append_deferred(&self, payload: &[u8]) -> Result<u64, DiskError> {
        self.write_frame(payload).map(|(end, _)| end)
    }

    /// Writes one frame; returns its logical end and whether the policy
    /// wants it synced now.
    fn write_frame(&self, payload: &[u8]) -> Result<(u64, bool), DiskError> {
        frame_len(&[payload])?;
        let (end, sync_now) = {
            let mut guard = self.inner.lock();
            let inner = &mut *guard;
            inner.check_usable()?;
            inner.buf.clear();
            encode_frame(payload, &mut inner.buf)?;
            let n = inner.buf.len() as u64;
            let wrote = (&*inner.file).write_all(&inner.buf);
            if inner.buf.capacity() > KEEP_BUF {
                inner.buf = Vec::new();
            }
            if let Err(e) = wrote {
                let err = DiskError::io(&inner.path, "append to", e);
                if let Err(e) = cut_back(&inner.file, inner.len) {
                    let cut = DiskError::io(&inner.path, "cut a partial frame from", e);
                    inner.poison(format!("{err}, then {cut}"));
                } else {
                    tracing::warn!(path = %inner.path.display(), offset = inner.len, error = %err, "appending to the write-ahead log failed; cut back to before the frame");
                }
                return Err(err);
            }
            inner.len += n;
            inner.written += n;
            self.frames.fetch_add(1, Ordering::Relaxed);
            let sync_now = match self.policy {
                FsyncPolicy::Always => true,
                FsyncPolicy::Interval(d) => inner.last_sync.elapsed() >= d,
                FsyncPolicy::Never => false,
            };
            (inner.written, sync_now)
        };
        Ok((end, sync_now))
    }

    /// Makes every frame appended so far durable (one fsync, unless they
    /// already are), whatever the policy: for the periodic timer of
    /// [`FsyncPolicy::Interval`], and before a snapshot.
    pub fn sync(&self) -> Result<(), DiskError> {
        let end = self.inner.lock().written;
        self.sync_to(end)
    }

    /// Group commit: returns once every byte up to logical position `end`
    /// is durable. If an fsync is running, waits for it (it may cover
    /// `end`); if none is, or the one that ran did not cover `end`, becomes
    /// the one fsyncing, for every frame written so far.
    pub fn sync_to(&self, end: u64) -> Result<(), DiskError> {
        self.sync_to_inner(end)
    }

    /// Under [`FsyncPolicy::Interval`], syncs if the last sync is older than
    /// the interval; otherwise does nothing.
    pub fn sync_if_due(&self) -> Result<(), DiskError> {
        let due = match self.policy {
            FsyncPolicy::Interval(d) => {
                let inner = self.inner.lock();
                (inner.last_sync.elapsed() >= d).then_some(inner.written)
            }
            _ => None,
        };
        due.map_or(Ok(()), |end| self.sync_to(end))
    }

    /// The logical end of everything appended so far (across rotations).
    pub fn written(&self) -> u64 {
        self.inner.lock().written
    }

    fn sync_to_inner(&self, end: u64) -> Result<(), DiskError> {
        if self.durable.load(Ordering::Acquire) >= end {
            return Ok(());
        }
        {
            let mut syncing = self.syncing.lock();
            loop {
                if self.durable.load(Ordering::Acquire) >= end {
                    return Ok(());
                }
                if !*syncing {
                    break;
                }
                self.synced.wait(&mut syncing);
            }
            *syncing = true;
        }
        let result = self.sync_now();
        *self.syncing.lock() = false;
        self.synced.notify_all();
        result
    }

    /// One fsync covering everything written so far; only by the thread
    /// that set `syncing`.
    fn sync_now(&self) -> Result<(), DiskError> {
        // Everything written before this point is in `file` or in an older
        // file, and `rotate` fsynced older files before leaving them.
        let (file, target) = {
            let mut inner = self.inner.lock();
            if let Some(cause) = &inner.failed {
                return Err(DiskError::LogFailed {
                    path: inner.path.clone(),
                    cause: cause.clone(),
                });
            }
            inner.last_sync = Instant::now();
            (Arc::clone(&inner.file), inner.written)
        };
        self.fsyncs.fetch_add(1, Ordering::Relaxed);
        if let Err(e) = file.sync_data() {
            let mut inner = self.inner.lock();
            let err = DiskError::io(&inner.path, "fsync", e);
            inner.poison(err.to_string());
            return Err(err);
        }
        self.durable.fetch_max(target, Ordering::Release);
        Ok(())
    }

    /// Fsyncs and closes the current log and starts the new log `new_seq`
    /// (greater than the current one); returns the old sequence. Atomic with
    /// respect to [`Wal::append`]: each frame is wholly in the old file or
    /// wholly in the new one. If the new file cannot be created, appends
    /// continue to the old one.
    pub fn rotate(&self, new_seq: u64) -> Result<u64, DiskError> {
        let mut inner = self.inner.lock();
        inner.check_usable()?;
        if new_seq <= inner.seq {
            return Err(DiskError::SeqNotIncreasing {
                current: inner.seq,
                requested: new_seq,
            });
        }
        if self.durable.load(Ordering::Acquire) < inner.written {
            self.fsyncs.fetch_add(1, Ordering::Relaxed);
            if let Err(e) = inner.file.sync_data() {
                let err = DiskError::io(&inner.path, "fsync", e);
                inner.poison(err.to_string());
                return Err(err);
            }
            self.durable.fetch_max(inner.written, Ordering::Release);
        }
        let (file, path) = create_log_file(&self.dir, new_seq)?;
        let old = std::mem::replace(&mut inner.seq, new_seq);
        inner.file = Arc::new(file);
        inner.path = path;
        inner.len = MAGIC_LEN as u64;
        inner.last_sync = Instant::now();
        tracing::debug!(old, new = new_seq, "rotated the write-ahead log");
        Ok(old)
    }

    /// Fsyncs what was appended and closes the writer: later appends and
    /// rotations fail with [`DiskError::LogClosed`] (a later [`Wal::sync`]
    /// has nothing to do). Closing twice is a no-op.
    pub fn close(&self) -> Result<(), DiskError> {
        let end = {
            let inner = self.inner.lock();
            if inner.closed {
                return Ok(());
            }
            inner.written
        };
        let synced = self.sync_to(end);
        self.inner.lock().closed = true;
        synced
    }

    /// Sequence of the log being appended to.
    pub fn seq(&self) -> u64 {
        self.inner.lock().seq
    }

    /// Path of the log being appended to.
    pub fn path(&self) -> PathBuf {
        self.inner.lock().path.clone()
    }

    /// The data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The fsync policy.
    pub fn policy(&self) -> FsyncPolicy {
        self.policy
    }

    /// Frames, bytes and fsyncs so far.
    pub fn stats(&self) -> WalStats {
        WalStats {
            frames: self.frames.load(Ordering::Relaxed),
            bytes: self.inner.lock().written,
            fsyncs: self.fsyncs.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Wal {
    /// Fsyncs what was appended (best effort, as [`Wal::close`] without the
    /// error): drop is a close, so [`FsyncPolicy::Never`] fsyncs here too.
    fn drop(&mut self) {
        let inner = self.inner.get_mut();
        if inner.closed || inner.failed.is_some() || *self.durable.get_mut() >= inner.written {
            return;
        }
        if let Err(e) = inner.file.sync_data() {
            tracing::warn!(path = %inner.path.display(), error = %e, "cannot fsync the write-ahead log while closing it");
        }
    }
}

/// Cuts `file` back to `len` and puts its cursor there.
fn cut_back(file: &File, len: u64) -> std::io::Result<()> {
    file.set_len(len)?;
    let mut f = file;
    f.seek(SeekFrom::Start(len))?;
    Ok(())
}

/// Creates a new log file with its magic, fsynced with its directory. On
/// failure after creating it, removes it (best effort).
fn create_log_file(dir: &Path, seq: u64) -> Result<(File, PathBuf), DiskError> {
    let path = log_path(dir, seq);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| DiskError::io(&path, "create", e))?;
    let done = file
        .write_all(&LOG_MAGIC)
        .map_err(|e| DiskError::io(&path, "write the header of", e))
        .and_then(|()| {
            file.sync_all()
                .map_err(|e| DiskError::io(&path, "fsync", e))
        })
        .and_then(|()| sync_dir(dir));
    if let Err(e) = done {
        drop(file);
        if let Err(re) = fs::remove_file(&path) {
            tracing::warn!(path = %path.display(), error = %re, "cannot remove a log file whose creation failed");
        }
        return Err(e);
    }
    Ok((file, path))
}

/// The logs in `dir`, sorted by sequence. Other files are ignored; a file
/// that looks like a log but is not named as [`super::log_file_name`] names
/// logs (such as `wal-1.log`) is ignored with a warning.
pub fn list_logs(dir: &Path) -> Result<Vec<(u64, PathBuf)>, DiskError> {
    let mut logs = Vec::new();
    for entry in fs::read_dir(dir).map_err(|e| DiskError::io(dir, "list", e))? {
        let entry = entry.map_err(|e| DiskError::io(dir, "list", e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        if let Some(seq) = parse_log_name(name) {
            logs.push((seq, entry.path()));
        } else if name.starts_with("wal-") && name.ends_with(".log") {
            tracing::warn!(path = %entry.path().display(), "ignoring a file that looks like a write-ahead log but is not named like one (wal-NNNNNNNN.log)");
        }
    }
    logs.sort_unstable_by_key(|(seq, _)| *seq);
    Ok(logs)
}

/// Where a log's good frames end and what is wrong after them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// Offset of the first bad byte (the start of the bad frame, or 0 for a
    /// torn magic); equal to [`LogReplay::good_len`].
    pub offset: u64,
    /// The file's length.
    pub file_len: u64,
    /// What is wrong there, for messages.
    pub reason: String,
}

/// What [`replay_log`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogReplay {
    /// Good frames handed to the callback.
    pub frames: u64,
    /// Bytes of magic and good frames: what to cut the file to.
    pub good_len: u64,
    /// What follows the good frames, if anything. Only the newest log can
    /// legitimately have one (a crash mid-append); in an older log it means
    /// damage, and the caller decides.
    pub torn: Option<TornTail>,
}

enum Magic {
    Good,
    /// Torn while being created (reason for the [`TornTail`]).
    Torn(String),
    Wrong(String),
}

fn check_magic(head: &[u8], file_len: u64) -> Magic {
    if head == LOG_MAGIC {
        return Magic::Good;
    }
    if file_len <= MAGIC_LEN as u64 {
        if LOG_MAGIC.starts_with(head) {
            return Magic::Torn(format!(
                "incomplete file header: {} of {MAGIC_LEN} bytes",
                head.len()
            ));
        }
        if head.iter().all(|&b| b == 0) {
            return Magic::Torn("file header never written (zeros)".into());
        }
    }
    Magic::Wrong(format!(
        "not a write-ahead log: it starts with {:?}, not {:?}",
        String::from_utf8_lossy(head),
        String::from_utf8_lossy(&LOG_MAGIC)
    ))
}

/// Streams every good frame of the log at `path` to `f`, in order, reading
/// through a buffer (one payload in memory at a time), and stops at the
/// first bad frame, reporting it as [`LogReplay::torn`]. See the module docs
/// for how a bad magic is treated. An error from `f` stops the replay and is
/// returned as [`ReplayError::Callback`].
pub fn replay_log<E>(
    path: &Path,
    mut f: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<LogReplay, ReplayError<E>> {
    let file = File::open(path).map_err(|e| DiskError::io(path, "open", e))?;
    let super::Opened {
        len: file_len,
        reader,
        magic: head,
    } = super::read_magic(path, file, 256 << 10)?;
    match check_magic(&head, file_len) {
        Magic::Good => {}
        Magic::Torn(reason) => {
            return Ok(LogReplay {
                frames: 0,
                good_len: 0,
                torn: (file_len > 0).then_some(TornTail {
                    offset: 0,
                    file_len,
                    reason,
                }),
            })
        }
        Magic::Wrong(reason) => {
            return Err(DiskError::CorruptLog {
                path: path.to_path_buf(),
                offset: 0,
                reason,
            }
            .into())
        }
    }
    let mut frames = FrameReader::new(reader, MAGIC_LEN as u64, file_len);
    let mut count = 0u64;
    loop {
        let offset = frames.position();
        match frames.next_frame() {
            Ok(Some(payload)) => {
                f(payload).map_err(|source| ReplayError::Callback {
                    path: path.to_path_buf(),
                    offset,
                    source,
                })?;
                count += 1;
            }
            Ok(None) => {
                return Ok(LogReplay {
                    frames: count,
                    good_len: frames.position(),
                    torn: None,
                })
            }
            Err(FrameError::Corrupt { offset, reason }) => {
                return Ok(LogReplay {
                    frames: count,
                    good_len: frames.position(),
                    torn: Some(TornTail {
                        offset,
                        file_len,
                        reason,
                    }),
                })
            }
            Err(FrameError::Io(e)) => return Err(DiskError::io(path, "read", e).into()),
        }
    }
}

/// Truncates the log at `path` to `good_len` (from [`replay_log`]) and
/// fsyncs it, warning with the file, the offset and the bytes cut. Returns
/// the bytes cut (0, without a warning, if the file is not longer).
pub fn cut_torn_tail(path: &Path, good_len: u64) -> Result<u64, DiskError> {
    let file = OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(|e| DiskError::io(path, "open", e))?;
    let len = file
        .metadata()
        .map_err(|e| DiskError::io(path, "read the size of", e))?
        .len();
    if len <= good_len {
        return Ok(0);
    }
    file.set_len(good_len)
        .map_err(|e| DiskError::io(path, "truncate", e))?;
    file.sync_all()
        .map_err(|e| DiskError::io(path, "fsync", e))?;
    let cut = len - good_len;
    tracing::warn!(
        path = %path.display(),
        offset = good_len,
        bytes_cut = cut,
        "cut the torn tail of a write-ahead log: {cut} bytes from byte {good_len} of {}",
        path.display()
    );
    Ok(cut)
}

/// Deletes the logs in `dir` with a sequence below `seq` (those folded into
/// a durable snapshot), then fsyncs the directory. Returns how many.
pub fn remove_logs_before(dir: &Path, seq: u64) -> Result<usize, DiskError> {
    let mut removed = 0;
    for (s, path) in list_logs(dir)? {
        if s >= seq {
            break;
        }
        fs::remove_file(&path).map_err(|e| DiskError::io(&path, "delete", e))?;
        removed += 1;
    }
    if removed > 0 {
        sync_dir(dir)?;
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use super::super::frame::FRAME_HEADER_LEN;
    use super::super::log_file_name;
    use super::super::test_util::TestDir;
    use super::*;

    fn replay_all(path: &Path) -> (Vec<Vec<u8>>, LogReplay) {
        let mut got = Vec::new();
        let r = replay_log(path, |p| {
            got.push(p.to_vec());
            Ok::<(), Infallible>(())
        })
        .unwrap();
        (got, r)
    }

    fn vecs(items: &[&[u8]]) -> Vec<Vec<u8>> {
        items.iter().map(|p| p.to_vec()).collect()
    }

    #[test]
    fn wal_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Wal>();
    }

    #[test]
    fn append_and_replay_round_trip_for_each_policy() {
        for policy in [
            FsyncPolicy::Always,
            FsyncPolicy::Interval(Duration::from_millis(1)),
            FsyncPolicy::Never,
        ] {
            let dir = TestDir::new("roundtrip");
            let wal = Wal::create(dir.path(), 1, policy).unwrap();
            assert_eq!(wal.seq(), 1);
            assert_eq!(wal.path(), dir.path().join("wal-00000001.log"));
            let payloads: Vec<&[u8]> = vec![b"one", b"two", &[0u8; 3000], b"\x00"];
            for p in &payloads {
                wal.append(p).unwrap();
            }
            let stats = wal.stats();
            assert_eq!(stats.frames, 4);
            wal.close().unwrap();
            let (got, r) = replay_all(&wal.path());
            assert_eq!(got, vecs(&payloads));
            assert_eq!(r.frames, 4);
            assert_eq!(r.torn, None);
            assert_eq!(r.good_len, MAGIC_LEN as u64 + stats.bytes);
            assert_eq!(fs::metadata(wal.path()).unwrap().len(), r.good_len);
            assert!(matches!(
                wal.append(b"late"),
                Err(DiskError::LogClosed { .. })
            ));
        }
    }

    #[test]
    fn create_refuses_existing_and_bad_payloads_are_refused() {
        let dir = TestDir::new("create");
        let wal = Wal::create(dir.path(), 7, FsyncPolicy::Never).unwrap();
        let err = Wal::create(dir.path(), 7, FsyncPolicy::Never).unwrap_err();
        assert!(
            matches!(&err, DiskError::Io { action: "create", source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists),
            "{err}"
        );
        assert!(matches!(
            wal.append(b""),
            Err(DiskError::BadPayloadLen { len: 0, .. })
        ));
        assert!(matches!(
            wal.rotate(7),
            Err(DiskError::SeqNotIncreasing {
                current: 7,
                requested: 7
            })
        ));
        // still usable after refused calls
        wal.append(b"x").unwrap();
        drop(wal);
        assert_eq!(replay_all(&log_path(dir.path(), 7)).0, vec![b"x".to_vec()]);
    }

    /// Writes a log of `payloads` and returns its bytes and the offset where
    /// the last frame starts.
    fn log_bytes(dir: &Path, seq: u64, payloads: &[&[u8]]) -> (Vec<u8>, u64) {
        let wal = Wal::create(dir, seq, FsyncPolicy::Never).unwrap();
        let mut last = 0;
        for p in payloads {
            last = MAGIC_LEN as u64 + wal.stats().bytes;
            wal.append(p).unwrap();
        }
        wal.close().unwrap();
        (fs::read(wal.path()).unwrap(), last)
    }

    #[test]
    fn torn_last_frame_at_every_offset_is_cut_and_appending_resumes() {
        let dir = TestDir::new("torn");
        let payloads: Vec<&[u8]> = vec![b"first", b"second", b"the last frame, torn"];
        let (bytes, last) = log_bytes(dir.path(), 1, &payloads);
        let path = log_path(dir.path(), 1);
        for cut in last as usize + 1..bytes.len() {
            fs::write(&path, &bytes[..cut]).unwrap();
            let (got, r) = replay_all(&path);
            assert_eq!(got, vecs(&payloads[..2]), "cut at {cut}");
            assert_eq!(r.frames, 2);
            assert_eq!(r.good_len, last);
            let torn = r.torn.clone().unwrap();
            assert_eq!((torn.offset, torn.file_len), (last, cut as u64));
            let expect = if cut - (last as usize) < FRAME_HEADER_LEN {
                "partial frame header"
            } else {
                "runs past the end"
            };
            assert!(
                torn.reason.contains(expect),
                "cut at {cut}: {}",
                torn.reason
            );

            assert_eq!(cut_torn_tail(&path, r.good_len).unwrap(), cut as u64 - last);
            assert_eq!(fs::metadata(&path).unwrap().len(), r.good_len);
            assert_eq!(cut_torn_tail(&path, r.good_len).unwrap(), 0);
            // once cut, the log replays clean
            let (got, r) = replay_all(&path);
            assert_eq!(got, vecs(&payloads[..2]));
            assert_eq!(r.torn, None);
        }
        // cut just at the frame boundary: a clean log
        fs::write(&path, &bytes[..last as usize]).unwrap();
        let (got, r) = replay_all(&path);
        assert_eq!((got.len(), r.torn), (2, None));
    }

    #[test]
    fn flipped_payload_byte_and_garbage_length_stop_replay() {
        let dir = TestDir::new("flip");
        let payloads: Vec<&[u8]> = vec![b"first", b"second"];
        let (bytes, last) = log_bytes(dir.path(), 1, &payloads);
        let path = log_path(dir.path(), 1);

        let mut flipped = bytes.clone();
        *flipped.last_mut().unwrap() ^= 0x20;
        fs::write(&path, &flipped).unwrap();
        let (got, r) = replay_all(&path);
        assert_eq!(got, vecs(&payloads[..1]));
        let torn = r.torn.unwrap();
        assert_eq!((torn.offset, r.good_len), (last, last));
        assert!(torn.reason.contains("checksum mismatch"), "{}", torn.reason);

        let mut garbage = bytes.clone();
        garbage[last as usize..last as usize + 4].copy_from_slice(&0xdead_beef_u32.to_le_bytes());
        fs::write(&path, &garbage).unwrap();
        let (got, r) = replay_all(&path);
        assert_eq!(got, vecs(&payloads[..1]));
        assert!(r.torn.unwrap().reason.contains("limit"));

        // a zero-filled tail after good frames
        let mut zeros = bytes.clone();
        zeros.extend_from_slice(&[0; 4096]);
        fs::write(&path, &zeros).unwrap();
        let (got, r) = replay_all(&path);
        assert_eq!(got, vecs(&payloads));
        assert_eq!(r.good_len, bytes.len() as u64);
        assert!(r.torn.unwrap().reason.contains("zero"));
    }

    #[test]
    fn torn_and_wrong_magic() {
        let dir = TestDir::new("magic");
        let path = log_path(dir.path(), 1);
        for n in 0..=MAGIC_LEN {
            fs::write(&path, &LOG_MAGIC[..n]).unwrap();
            let (got, r) = replay_all(&path);
            assert!(got.is_empty());
            if n == MAGIC_LEN {
                assert_eq!((r.good_len, r.torn), (MAGIC_LEN as u64, None));
            } else {
                assert_eq!(r.good_len, 0);
                assert_eq!(r.torn.is_some(), n > 0, "{n} bytes");
            }
        }
        fs::write(&path, [0u8; MAGIC_LEN]).unwrap();
        let (_, r) = replay_all(&path);
        assert_eq!(r.good_len, 0);
        assert!(r.torn.unwrap().reason.contains("zeros"));
        // a log torn in its header is cut to nothing, and replays as empty
        cut_torn_tail(&path, 0).unwrap();
        let (got, r) = replay_all(&path);
        assert_eq!((got.len(), r.good_len, r.torn), (0, 0, None));

        for bad in [&b"SYNDSNP1"[..], b"SYX", b"SYNDWAL2\x05\x00\x00\x00"] {
            fs::write(&path, bad).unwrap();
            let err = replay_log(&path, |_| Ok::<(), Infallible>(())).unwrap_err();
            assert!(
                matches!(
                    err,
                    ReplayError::Disk(DiskError::CorruptLog { offset: 0, .. })
                ),
                "{bad:?}: {err}"
            );
        }
    }

    #[test]
    fn callback_error_stops_replay_with_its_offset() {
        let dir = TestDir::new("callback");
        let (_, last) = log_bytes(dir.path(), 1, &[b"a", b"b"]);
        let err = replay_log(&log_path(dir.path(), 1), |p| {
            if p == b"b" {
                Err("refused")
            } else {
                Ok(())
            }
        })
        .unwrap_err();
        match err {
            ReplayError::Callback { offset, source, .. } => {
                assert_eq!((offset, source), (last, "refused"))
            }
            other => panic!("{other}"),
        }
    }

    fn payload(thread: usize, i: usize) -> Vec<u8> {
        let mut p = format!("t{thread:02}-i{i:05}-").into_bytes();
        p.resize(16 + (thread * 31 + i * 7) % 200, b'a' + (i % 26) as u8);
        p
    }

    /// Checks every payload is intact and each thread's appear once each,
    /// in order. Returns how many.
    fn check_payloads(frames: &[Vec<u8>], threads: usize, per_thread: usize) {
        let mut next = vec![0usize; threads];
        for f in frames {
            let s = std::str::from_utf8(&f[..13]).unwrap();
            let t: usize = s[1..3].parse().unwrap();
            let i: usize = s[5..10].parse().unwrap();
            assert_eq!(i, next[t], "thread {t} out of order or duplicated");
            assert_eq!(f, &payload(t, i), "frame of thread {t} index {i} damaged");
            next[t] += 1;
        }
        assert_eq!(next, vec![per_thread; threads]);
    }

    /// `threads` threads in `scope`, each appending `payload(t, 0..each)`.
    fn spawn_appenders<'s>(
        scope: &'s std::thread::Scope<'s, '_>,
        wal: &'s Wal,
        threads: usize,
        each: usize,
    ) {
        for t in 0..threads {
            scope.spawn(move || {
                for i in 0..each {
                    wal.append(&payload(t, i)).unwrap();
                }
            });
        }
    }

    #[test]
    fn group_commit_keeps_every_frame_and_shares_fsyncs() {
        const THREADS: usize = 8;
        const EACH: usize = 500;
        let dir = TestDir::new("group");
        let wal = Wal::create(dir.path(), 1, FsyncPolicy::Always).unwrap();
        std::thread::scope(|s| spawn_appenders(s, &wal, THREADS, EACH));
        let stats = wal.stats();
        assert_eq!(stats.frames, (THREADS * EACH) as u64);
        // every acknowledged frame is durable: nothing left to sync
        assert_eq!(wal.durable.load(Ordering::Acquire), stats.bytes);
        println!(
            "group commit: {} appends, {} fsyncs ({:.1} appends per fsync)",
            stats.frames,
            stats.fsyncs,
            stats.frames as f64 / stats.fsyncs.max(1) as f64
        );
        drop(wal);
        let (frames, r) = replay_all(&log_path(dir.path(), 1));
        assert_eq!(r.torn, None);
        assert_eq!(frames.len(), THREADS * EACH);
        check_payloads(&frames, THREADS, EACH);
    }

    #[test]
    fn rotation_under_concurrent_appends_loses_nothing() {
        const THREADS: usize = 4;
        const EACH: usize = 1000;
        for policy in [FsyncPolicy::Never, FsyncPolicy::Always] {
            let dir = TestDir::new("rotate");
            let wal = Wal::create(dir.path(), 1, policy).unwrap();
            std::thread::scope(|s| {
                spawn_appenders(s, &wal, THREADS, EACH);
                for seq in 2..=6 {
                    std::thread::sleep(Duration::from_millis(2));
                    assert_eq!(wal.rotate(seq).unwrap(), seq - 1);
                }
            });
            assert_eq!(wal.seq(), 6);
            wal.close().unwrap();
            let logs = list_logs(dir.path()).unwrap();
            assert_eq!(
                logs.iter().map(|l| l.0).collect::<Vec<_>>(),
                (1..=6).collect::<Vec<_>>()
            );
            let mut all = Vec::new();
            let mut total = 0;
            for (_, path) in &logs {
                let (frames, r) = replay_all(path);
                assert_eq!(r.torn, None);
                total += r.frames;
                all.extend(frames);
            }
            assert_eq!(total, (THREADS * EACH) as u64);
            check_payloads(&all, THREADS, EACH);
        }
    }

    #[test]
    fn interval_policy_fsyncs_only_when_due_or_asked() {
        let dir = TestDir::new("interval");
        let wal = Wal::create(
            dir.path(),
            1,
            FsyncPolicy::Interval(Duration::from_secs(3600)),
        )
        .unwrap();
        for i in 0..100 {
            wal.append(&payload(0, i)).unwrap();
        }
        assert_eq!(wal.stats().fsyncs, 0);
        wal.sync().unwrap();
        assert_eq!(wal.stats().fsyncs, 1);
        wal.sync().unwrap();
        assert_eq!(wal.stats().fsyncs, 1, "nothing new to sync");

        let dir = TestDir::new("interval0");
        let wal = Wal::create(dir.path(), 1, FsyncPolicy::Interval(Duration::ZERO)).unwrap();
        wal.append(b"a").unwrap();
        wal.append(b"b").unwrap();
        assert_eq!(wal.stats().fsyncs, 2);

        let wal = Wal::create(dir.path(), 2, FsyncPolicy::Never).unwrap();
        wal.append(b"a").unwrap();
        assert_eq!(wal.stats().fsyncs, 0);
        wal.rotate(3).unwrap();
        assert_eq!(wal.stats().fsyncs, 1, "rotate fsyncs the old log");
    }

    #[test]
    fn list_and_remove_logs() {
        let dir = TestDir::new("list");
        for seq in [3, 1, 10, 2] {
            drop(Wal::create(dir.path(), seq, FsyncPolicy::Never).unwrap());
        }
        for other in [
            "wal-1.log",
            "snapshot.bin",
            "wal-00000004.log.tmp",
            "notes.txt",
        ] {
            fs::write(dir.path().join(other), b"x").unwrap();
        }
        let logs = list_logs(dir.path()).unwrap();
        assert_eq!(
            logs.iter().map(|l| l.0).collect::<Vec<_>>(),
            vec![1, 2, 3, 10]
        );
        assert_eq!(logs[0].1, dir.path().join(log_file_name(1)));
        assert_eq!(remove_logs_before(dir.path(), 3).unwrap(), 2);
        let logs = list_logs(dir.path()).unwrap();
        assert_eq!(logs.iter().map(|l| l.0).collect::<Vec<_>>(), vec![3, 10]);
        assert_eq!(remove_logs_before(dir.path(), 3).unwrap(), 0);
        assert!(dir.path().join("wal-1.log").exists());
    }
}
