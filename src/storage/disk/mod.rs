//! On-disk durability: the files, frames, checksums and fsyncs behind
//! `--data-dir DIR`. Payloads are opaque bytes here (the caller encodes them);
//! this layer only promises that what it hands back is exactly what was
//! written, or says precisely where and why it is not.
//!
//! # Layout of `DIR`
//!
//! - `snapshot.bin` ([`SNAPSHOT_FILE`]): the current snapshot. It is written
//!   as `snapshot.bin.tmp` ([`SNAPSHOT_TMP_FILE`]), fsynced, renamed over
//!   `snapshot.bin`, then the directory is fsynced, so `snapshot.bin` is
//!   always either the previous complete snapshot or the new complete one. A
//!   `snapshot.bin.tmp` found when reading is an interrupted write and is
//!   removed.
//! - `wal-00000001.log`, `wal-00000002.log`, ... ([`log_file_name`]): the
//!   write-ahead logs, numbered by a `u64` sequence, zero padded to at least
//!   8 digits (`wal-{seq:08}.log`). A snapshot records the first log sequence
//!   not folded into it ([`SnapshotHeader::next_log`]); logs before it can be
//!   deleted ([`remove_logs_before`]) once the snapshot is durable.
//!
//! # File format
//!
//! Both files start with an 8-byte magic ([`LOG_MAGIC`] = `SYNDWAL1`,
//! [`SNAPSHOT_MAGIC`] = `SYNDSNP1`) followed by frames:
//!
//! ```text
//! [len: u32 LE][crc32 of payload: u32 LE][payload: len bytes]
//! ```
//!
//! A frame's length is 1 ..= [`MAX_FRAME_LEN`] (256 MiB): a zero length is
//! rejected because a zero-filled tail (what a crash can leave after the
//! file's size was extended but before its data reached the disk) would
//! otherwise read as valid empty frames; a larger length is garbage. So the
//! write-ahead log refuses empty payloads.
//!
//! A log is magic then one frame per [`Wal::append`]. A snapshot is magic,
//! then a header frame, the entry frames, and an end frame holding the entry
//! count and a crc32 over all entry payloads; each snapshot frame's payload
//! starts with a one-byte tag (header, entry, end), so entries may be empty.
//! See [`snapshot`] for details.
//!
//! # Guarantees
//!
//! - Log: [`Wal::append`] returns after the frame reached the OS (so a killed
//!   process loses nothing acknowledged), and with [`FsyncPolicy::Always`]
//!   after it reached the disk (group commit: concurrent appenders share
//!   fsyncs). A crash can leave a torn last frame; [`replay_log`] stops
//!   before it and reports it ([`TornTail`]), [`cut_torn_tail`] removes it.
//! - Snapshot: [`read_snapshot`] never accepts a damaged file: any damage is
//!   [`DiskError::CorruptSnapshot`], whose message tells the operator what to
//!   do. Entries already handed to the callback before the damage was found
//!   must then be discarded by the caller.

pub mod frame;
pub mod snapshot;
pub mod wal;

use std::path::{Path, PathBuf};

pub use snapshot::{
    read_snapshot, write_snapshot, SnapshotHeader, SnapshotInfo, SnapshotReader, SnapshotWriter,
};
pub use wal::{
    cut_torn_tail, list_logs, remove_logs_before, replay_log, FsyncPolicy, LogReplay, TornTail,
    Wal, WalStats,
};

/// File name of the current snapshot inside the data directory.
pub const SNAPSHOT_FILE: &str = "snapshot.bin";

/// File name a snapshot is written under before it is renamed over
/// [`SNAPSHOT_FILE`].
pub const SNAPSHOT_TMP_FILE: &str = "snapshot.bin.tmp";

/// Length of the magic at the start of every file.
pub const MAGIC_LEN: usize = 8;

/// Magic at the start of a write-ahead log.
pub const LOG_MAGIC: [u8; MAGIC_LEN] = *b"SYNDWAL1";

/// Magic at the start of a snapshot.
pub const SNAPSHOT_MAGIC: [u8; MAGIC_LEN] = *b"SYNDSNP1";

/// Largest frame payload, in bytes (256 MiB); a longer length field is
/// treated as corruption.
pub const MAX_FRAME_LEN: u32 = 256 << 20;

/// An opened data file: its length, a buffered reader past its magic, and
/// the magic bytes read (fewer than [`MAGIC_LEN`] when the file is shorter).
pub(crate) struct Opened {
    pub(crate) len: u64,
    pub(crate) reader: std::io::BufReader<std::fs::File>,
    pub(crate) magic: Vec<u8>,
}

/// Reads the length and the magic of the opened file at `path`, buffering
/// the rest with `capacity` bytes: how the snapshot and log readers start.
pub(crate) fn read_magic(
    path: &Path,
    file: std::fs::File,
    capacity: usize,
) -> Result<Opened, DiskError> {
    use std::io::Read;
    let len = file
        .metadata()
        .map_err(|e| DiskError::io(path, "read the size of", e))?
        .len();
    let mut reader = std::io::BufReader::with_capacity(capacity, file);
    let mut magic = Vec::with_capacity(MAGIC_LEN);
    (&mut reader)
        .take(MAGIC_LEN as u64)
        .read_to_end(&mut magic)
        .map_err(|e| DiskError::io(path, "read", e))?;
    Ok(Opened { len, reader, magic })
}

/// Path of the current snapshot: `DIR/snapshot.bin`.
pub fn snapshot_path(dir: &Path) -> PathBuf {
    dir.join(SNAPSHOT_FILE)
}

/// Path a snapshot is written under first: `DIR/snapshot.bin.tmp`.
pub fn snapshot_tmp_path(dir: &Path) -> PathBuf {
    dir.join(SNAPSHOT_TMP_FILE)
}

/// File name of the log with sequence `seq`: `wal-{seq:08}.log`.
pub fn log_file_name(seq: u64) -> String {
    format!("wal-{seq:08}.log")
}

/// Path of the log with sequence `seq`: `DIR/wal-{seq:08}.log`.
pub fn log_path(dir: &Path, seq: u64) -> PathBuf {
    dir.join(log_file_name(seq))
}

/// The sequence of a log file name, if `name` is exactly what
/// [`log_file_name`] gives for some sequence (so `wal-1.log` and
/// `wal-000000001.log` are not log names). `None` for anything else.
pub fn parse_log_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("wal-")?.strip_suffix(".log")?;
    if digits.len() < 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seq: u64 = digits.parse().ok()?;
    (log_file_name(seq) == name).then_some(seq)
}

/// Fsyncs a directory, making creations, renames and deletions in it
/// durable. A no-op where directories cannot be opened as files (not Unix).
pub fn sync_dir(dir: &Path) -> Result<(), DiskError> {
    #[cfg(unix)]
    {
        let f =
            std::fs::File::open(dir).map_err(|e| DiskError::io(dir, "open the directory", e))?;
        f.sync_all()
            .map_err(|e| DiskError::io(dir, "fsync the directory", e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Everything reading or writing the data directory can fail with.
#[derive(Debug, thiserror::Error)]
pub enum DiskError {
    /// An I/O call failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done, as a verb phrase: "create", "append to",
        /// "fsync", ...
        action: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// The snapshot is damaged; nothing read from it may be used.
    #[error(
        "the snapshot {} is corrupt at byte {offset} ({reason}); refusing to start with an \
         empty index. Restore it from a backup, or move it away to start from the logs alone \
         (articles only in the snapshot are then lost)",
        path.display()
    )]
    CorruptSnapshot {
        /// The snapshot file.
        path: PathBuf,
        /// Byte offset of the damage (of the frame or field found bad).
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// A log cannot be read as a log at all (wrong magic): not a torn tail,
    /// which [`replay_log`] reports as [`TornTail`] instead.
    #[error(
        "the write-ahead log {} is corrupt at byte {offset} ({reason}); refusing to start \
         without it. Restore it from a backup, or move it away to start without the changes \
         it holds",
        path.display()
    )]
    CorruptLog {
        /// The log file.
        path: PathBuf,
        /// Byte offset of the damage.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// The log writer hit an error it cannot recover from (a failed fsync,
    /// or a failed write it could not undo); every later append fails.
    #[error(
        "the write-ahead log at {} failed earlier: {cause}; restart the service",
        path.display()
    )]
    LogFailed {
        /// The log file being written when it failed.
        path: PathBuf,
        /// The original error.
        cause: String,
    },
    /// The log writer was closed.
    #[error("the write-ahead log at {} is closed", path.display())]
    LogClosed {
        /// The last log file written.
        path: PathBuf,
    },
    /// A payload is empty or longer than [`MAX_FRAME_LEN`].
    #[error("cannot write a frame of {len} bytes: frames hold 1 to {max} bytes")]
    BadPayloadLen {
        /// The payload's length (including any tag byte).
        len: usize,
        /// [`MAX_FRAME_LEN`].
        max: u32,
    },
    /// [`Wal::rotate`] was asked for a sequence not above the current one.
    #[error("cannot rotate the write-ahead log from sequence {current} to {requested}: the new sequence must be greater")]
    SeqNotIncreasing {
        /// The current log's sequence.
        current: u64,
        /// The sequence asked for.
        requested: u64,
    },
    /// The caller's snapshot `fill` gave up; the partial snapshot was removed.
    #[error("the snapshot was abandoned: {reason}")]
    Aborted {
        /// Why, from the caller.
        reason: String,
    },
}

impl DiskError {
    /// An [`DiskError::Io`].
    pub fn io(path: impl Into<PathBuf>, action: &'static str, source: std::io::Error) -> Self {
        DiskError::Io {
            path: path.into(),
            action,
            source,
        }
    }
}

/// An error while replaying a log or reading a snapshot: either the file
/// (`Disk`), or the caller's callback refusing a payload (`Callback`).
#[derive(Debug, thiserror::Error)]
pub enum ReplayError<E> {
    /// Reading the file failed, or the file is damaged.
    #[error(transparent)]
    Disk(#[from] DiskError),
    /// The callback returned an error for the frame at `offset`.
    #[error("cannot apply the record at byte {offset} of {}: {source}", path.display())]
    Callback {
        /// The file being read.
        path: PathBuf,
        /// Byte offset of the frame whose payload was refused.
        offset: u64,
        /// The callback's error.
        source: E,
    },
}

#[cfg(test)]
pub(crate) mod test_util {
    use std::path::{Path, PathBuf};
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A fresh directory under the system temp dir, removed on drop.
    pub(crate) struct TestDir(PathBuf);

    impl TestDir {
        pub(crate) fn new(name: &str) -> TestDir {
            static NEXT: AtomicU64 = AtomicU64::new(0);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            let path = std::env::temp_dir().join(format!(
                "syndetect-disk-{name}-{}-{}-{nanos}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&path).unwrap();
            TestDir(path)
        }

        pub(crate) fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TestDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_names_round_trip_and_reject_lookalikes() {
        assert_eq!(log_file_name(1), "wal-00000001.log");
        assert_eq!(log_file_name(123_456_789), "wal-123456789.log");
        assert_eq!(parse_log_name("wal-00000001.log"), Some(1));
        assert_eq!(parse_log_name("wal-123456789.log"), Some(123_456_789));
        assert_eq!(parse_log_name(&log_file_name(u64::MAX)), Some(u64::MAX));
        for bad in [
            "wal-1.log",
            "wal-000000001.log",
            "wal-0000000a.log",
            "wal-00000001.log.tmp",
            "wal--0000001.log",
            "wal-+0000001.log",
            "snapshot.bin",
            "wal-.log",
        ] {
            assert_eq!(parse_log_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn io_error_message_names_action_and_path() {
        let e = DiskError::io(
            "/x/wal-00000001.log",
            "append to",
            std::io::Error::other("disk full"),
        );
        assert_eq!(
            e.to_string(),
            "cannot append to /x/wal-00000001.log: disk full"
        );
        let e = DiskError::CorruptSnapshot {
            path: "/x/snapshot.bin".into(),
            offset: 42,
            reason: "checksum mismatch".into(),
        };
        assert!(e.to_string().starts_with(
            "the snapshot /x/snapshot.bin is corrupt at byte 42 (checksum mismatch); refusing"
        ));
    }
}
