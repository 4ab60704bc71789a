//! Snapshots: the whole in-memory state as one file, written atomically
//! ([`write_snapshot`]) and read back strictly ([`read_snapshot`],
//! [`SnapshotReader`]).
//!
//! # Format
//!
//! ```text
//! SYNDSNP1                                   8-byte magic
//! frame [1][next_log: u64 LE][meta ...]      header
//! frame [2][entry payload ...]               one per entry (may be empty)
//! frame [3][count: u64 LE][crc32: u32 LE]    end: entries, and the crc32 of
//!                                            all entry payloads in order
//! ```
//!
//! Each frame is `[len u32 LE][crc32 u32 LE][payload]` (see
//! [`super::frame`]); the first payload byte is the frame's tag. Nothing may
//! follow the end frame.
//!
//! Reading accepts nothing less than a complete, undamaged file: a wrong
//! magic, a bad frame, an unexpected tag, a missing end frame, a count or
//! checksum mismatch, or trailing bytes are all
//! [`DiskError::CorruptSnapshot`].

use std::fs::{self, File, OpenOptions};
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use super::frame::{frame_len, write_frame_parts, FrameError, FrameReader, FRAME_HEADER_LEN};
use super::{
    snapshot_path, snapshot_tmp_path, sync_dir, DiskError, ReplayError, MAGIC_LEN, SNAPSHOT_MAGIC,
};

const TAG_HEADER: u8 = 1;
const TAG_ENTRY: u8 = 2;
const TAG_END: u8 = 3;
/// Tag, count, crc.
const END_LEN: usize = 1 + 8 + 4;

/// What a snapshot says about itself, besides its entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotHeader {
    /// The first log sequence not folded into the snapshot: after loading
    /// it, replay the logs with a sequence `>=` this.
    pub next_log: u64,
    /// Opaque bytes of the caller's (its parameters, to check them against
    /// the running configuration).
    pub meta: Vec<u8>,
}

/// What [`write_snapshot`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotInfo {
    /// Entries written.
    pub entries: u64,
    /// Size of the snapshot file, in bytes.
    pub bytes: u64,
}

/// Writes the entries of a snapshot; handed to the `fill` closure of
/// [`write_snapshot`].
#[derive(Debug)]
pub struct SnapshotWriter {
    out: BufWriter<File>,
    path: PathBuf,
    entries: u64,
    bytes: u64,
    crc: crc32fast::Hasher,
}

impl SnapshotWriter {
    /// Writes one entry (up to [`MAX_FRAME_LEN`](super::MAX_FRAME_LEN)` - 1`
    /// bytes; may be empty).
    pub fn entry(&mut self, payload: &[u8]) -> Result<(), DiskError> {
        let parts: [&[u8]; 2] = [&[TAG_ENTRY], payload];
        frame_len(&parts)?;
        self.bytes += write_frame_parts(&mut self.out, &parts)
            .map_err(|e| DiskError::io(&self.path, "write", e))?;
        self.crc.update(payload);
        self.entries += 1;
        Ok(())
    }

    /// Entries written so far.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// Bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
}

/// Writes a snapshot of `header` and the entries `fill` writes, atomically:
/// as `DIR/snapshot.bin.tmp`, fsynced, renamed over `DIR/snapshot.bin`, then
/// the directory fsynced. On any error (including from `fill`, which can
/// give up with [`DiskError::Aborted`]) the tmp file is removed and the
/// previous snapshot stays as it was. The caller must not run two at once
/// in one directory.
///
/// Once this returns `Ok`, the snapshot is durable and logs before
/// `header.next_log` may be deleted. After an error, whether the new
/// snapshot replaced the old one is unknown only if the final directory
/// fsync failed; either one is complete.
pub fn write_snapshot(
    dir: &Path,
    header: &SnapshotHeader,
    fill: impl FnOnce(&mut SnapshotWriter) -> Result<(), DiskError>,
) -> Result<SnapshotInfo, DiskError> {
    let tmp = snapshot_tmp_path(dir);
    let path = snapshot_path(dir);
    let written = write_tmp(&tmp, header, fill).and_then(|info| {
        fs::rename(&tmp, &path)
            .map_err(|e| DiskError::io(&tmp, "rename into place", e))
            .map(|()| info)
    });
    let info = match written {
        Ok(info) => info,
        Err(e) => {
            match fs::remove_file(&tmp) {
                Ok(()) => {}
                Err(re) if re.kind() == std::io::ErrorKind::NotFound => {}
                Err(re) => {
                    tracing::warn!(path = %tmp.display(), error = %re, "cannot remove a partial snapshot")
                }
            }
            return Err(e);
        }
    };
    sync_dir(dir)?;
    tracing::debug!(path = %path.display(), entries = info.entries, bytes = info.bytes, "wrote a snapshot");
    Ok(info)
}

fn write_tmp(
    tmp: &Path,
    header: &SnapshotHeader,
    fill: impl FnOnce(&mut SnapshotWriter) -> Result<(), DiskError>,
) -> Result<SnapshotInfo, DiskError> {
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(tmp)
        .map_err(|e| DiskError::io(tmp, "create", e))?;
    let mut w = SnapshotWriter {
        out: BufWriter::with_capacity(1 << 20, file),
        path: tmp.to_path_buf(),
        entries: 0,
        bytes: 0,
        crc: crc32fast::Hasher::new(),
    };
    let io = |e| DiskError::io(tmp, "write", e);
    w.out.write_all(&SNAPSHOT_MAGIC).map_err(io)?;
    w.bytes += MAGIC_LEN as u64;
    let next_log = header.next_log.to_le_bytes();
    let parts: [&[u8]; 3] = [&[TAG_HEADER], &next_log, &header.meta];
    frame_len(&parts)?;
    w.bytes += write_frame_parts(&mut w.out, &parts).map_err(io)?;

    fill(&mut w)?;

    let count = w.entries.to_le_bytes();
    let crc = w.crc.clone().finalize().to_le_bytes();
    w.bytes += write_frame_parts(&mut w.out, &[&[TAG_END], &count, &crc]).map_err(io)?;
    let info = SnapshotInfo {
        entries: w.entries,
        bytes: w.bytes,
    };
    let file = w.out.into_inner().map_err(|e| io(e.into_error()))?;
    file.sync_all()
        .map_err(|e| DiskError::io(tmp, "fsync", e))?;
    Ok(info)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Entries,
    Done,
    Failed,
}

/// Reads a snapshot entry by entry, after its header, checking everything:
/// [`SnapshotReader::next_entry`] returns `Ok(None)` only once the end frame
/// has been read and verified and nothing follows it.
#[derive(Debug)]
pub struct SnapshotReader {
    path: PathBuf,
    frames: FrameReader<BufReader<File>>,
    header: SnapshotHeader,
    entries: u64,
    crc: crc32fast::Hasher,
    state: State,
}

fn corrupt(path: &Path, offset: u64, reason: impl Into<String>) -> DiskError {
    DiskError::CorruptSnapshot {
        path: path.to_path_buf(),
        offset,
        reason: reason.into(),
    }
}

fn frame_error(path: &Path, e: FrameError) -> DiskError {
    match e {
        FrameError::Io(e) => DiskError::io(path, "read", e),
        FrameError::Corrupt { offset, reason } => corrupt(path, offset, reason),
    }
}

/// Removes `DIR/snapshot.bin.tmp`, left by an interrupted write, warning.
fn remove_stray_tmp(dir: &Path) {
    let tmp = snapshot_tmp_path(dir);
    match fs::remove_file(&tmp) {
        Ok(()) => {
            tracing::warn!(path = %tmp.display(), "removed a partial snapshot left by an interrupted write")
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            tracing::warn!(path = %tmp.display(), error = %e, "cannot remove a partial snapshot left by an interrupted write")
        }
    }
}

impl SnapshotReader {
    /// Opens `DIR/snapshot.bin` and reads its header; `Ok(None)` if there is
    /// none. A stray `DIR/snapshot.bin.tmp` (an interrupted write) is removed
    /// with a warning, so this must not run while a snapshot is being
    /// written.
    pub fn open(dir: &Path) -> Result<Option<SnapshotReader>, DiskError> {
        remove_stray_tmp(dir);
        let path = snapshot_path(dir);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(DiskError::io(&path, "open", e)),
        };
        let super::Opened { len, reader, magic } = super::read_magic(&path, file, 1 << 20)?;
        if magic.len() < MAGIC_LEN {
            return Err(corrupt(
                &path,
                magic.len() as u64,
                format!("the file is {len} bytes, shorter than its header"),
            ));
        }
        if magic != SNAPSHOT_MAGIC {
            return Err(corrupt(
                &path,
                0,
                format!(
                    "not a snapshot: it starts with {:?}, not {:?}",
                    String::from_utf8_lossy(&magic),
                    String::from_utf8_lossy(&SNAPSHOT_MAGIC)
                ),
            ));
        }
        let mut frames = FrameReader::new(reader, MAGIC_LEN as u64, len);
        let offset = frames.position();
        let header = match frames.next_frame() {
            Ok(Some(p)) if p.len() >= 9 && p[0] == TAG_HEADER => SnapshotHeader {
                next_log: u64::from_le_bytes(p[1..9].try_into().expect("8 bytes")),
                meta: p[9..].to_vec(),
            },
            Ok(Some(_)) => return Err(corrupt(&path, offset, "the first frame is not a header")),
            Ok(None) => {
                return Err(corrupt(
                    &path,
                    offset,
                    "the file ends before the header frame",
                ))
            }
            Err(e) => return Err(frame_error(&path, e)),
        };
        Ok(Some(SnapshotReader {
            path,
            frames,
            header,
            entries: 0,
            crc: crc32fast::Hasher::new(),
            state: State::Entries,
        }))
    }

    /// The snapshot's header.
    pub fn header(&self) -> &SnapshotHeader {
        &self.header
    }

    /// The snapshot file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Byte offset of the next frame.
    pub fn offset(&self) -> u64 {
        self.frames.position()
    }

    /// Entries read so far.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// The next entry's payload, or `Ok(None)` once the end frame has been
    /// verified. Any damage is [`DiskError::CorruptSnapshot`]: then
    /// everything read from this snapshot must be discarded. After an error,
    /// every call fails.
    pub fn next_entry(&mut self) -> Result<Option<&[u8]>, DiskError> {
        match self.state {
            State::Entries => {}
            State::Done => return Ok(None),
            State::Failed => {
                return Err(corrupt(
                    &self.path,
                    self.frames.position(),
                    "reading stopped at an earlier error",
                ))
            }
        }
        // Failed unless this call succeeds.
        self.state = State::Failed;
        let offset = self.frames.position();
        let file_end = self.frames.end();
        let payload = match self.frames.next_frame() {
            Ok(Some(p)) => p,
            Ok(None) => {
                return Err(corrupt(
                    &self.path,
                    offset,
                    "the file ends before the end frame (truncated)",
                ))
            }
            Err(e) => return Err(frame_error(&self.path, e)),
        };
        match payload[0] {
            TAG_ENTRY => {
                self.crc.update(&payload[1..]);
                self.entries += 1;
                self.state = State::Entries;
                Ok(Some(&payload[1..]))
            }
            TAG_END => {
                if payload.len() != END_LEN {
                    return Err(corrupt(
                        &self.path,
                        offset,
                        format!("the end frame is {} bytes, not {END_LEN}", payload.len()),
                    ));
                }
                let count = u64::from_le_bytes(payload[1..9].try_into().expect("8 bytes"));
                let crc = u32::from_le_bytes(payload[9..13].try_into().expect("4 bytes"));
                if count != self.entries {
                    return Err(corrupt(
                        &self.path,
                        offset,
                        format!(
                            "the end frame counts {count} entries, but {} were read",
                            self.entries
                        ),
                    ));
                }
                let actual = self.crc.clone().finalize();
                if crc != actual {
                    return Err(corrupt(
                        &self.path,
                        offset,
                        format!("checksum mismatch over all entries: the end frame says {crc:08x}, the entries give {actual:08x}"),
                    ));
                }
                let end = offset + (FRAME_HEADER_LEN + payload.len()) as u64;
                if end != file_end {
                    return Err(corrupt(
                        &self.path,
                        end,
                        format!("{} trailing bytes after the end frame", file_end - end),
                    ));
                }
                self.state = State::Done;
                Ok(None)
            }
            TAG_HEADER => Err(corrupt(&self.path, offset, "a second header frame")),
            tag => Err(corrupt(
                &self.path,
                offset,
                format!("unknown frame tag {tag}"),
            )),
        }
    }
}

/// Reads `DIR/snapshot.bin`, streaming each entry to `f` in order, and
/// returns its header; `Ok(None)` if there is no snapshot (a stray
/// `snapshot.bin.tmp` is removed with a warning, see
/// [`SnapshotReader::open`]).
///
/// Never `Ok` for a damaged file: any damage is
/// [`DiskError::CorruptSnapshot`] (as [`ReplayError::Disk`]), possibly after
/// `f` was given the entries before it, which the caller must then discard.
/// An error from `f` stops reading ([`ReplayError::Callback`]).
pub fn read_snapshot<E>(
    dir: &Path,
    mut f: impl FnMut(&[u8]) -> Result<(), E>,
) -> Result<Option<SnapshotHeader>, ReplayError<E>> {
    let Some(mut reader) = SnapshotReader::open(dir)? else {
        return Ok(None);
    };
    loop {
        let offset = reader.offset();
        let Some(entry) = reader.next_entry()? else {
            break;
        };
        if let Err(source) = f(entry) {
            return Err(ReplayError::Callback {
                path: reader.path.clone(),
                offset,
                source,
            });
        }
    }
    Ok(Some(reader.header))
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use super::super::test_util::TestDir;
    use super::*;

    fn entries() -> Vec<Vec<u8>> {
        vec![
            b"first entry".to_vec(),
            Vec::new(),
            vec![0xab; 300],
            b"last".to_vec(),
        ]
    }

    fn header() -> SnapshotHeader {
        SnapshotHeader {
            next_log: 42,
            meta: b"params v1".to_vec(),
        }
    }

    fn write(dir: &Path, entries: &[Vec<u8>]) -> SnapshotInfo {
        write_snapshot(dir, &header(), |w| {
            for e in entries {
                w.entry(e)?;
            }
            Ok(())
        })
        .unwrap()
    }

    type Loaded = Option<(SnapshotHeader, Vec<Vec<u8>>)>;

    fn read(dir: &Path) -> Result<Loaded, DiskError> {
        let mut got = Vec::new();
        let header = read_snapshot(dir, |p| {
            got.push(p.to_vec());
            Ok::<(), Infallible>(())
        })
        .map_err(|e| match e {
            ReplayError::Disk(e) => e,
            ReplayError::Callback { source, .. } => match source {},
        })?;
        Ok(header.map(|h| (h, got)))
    }

    #[test]
    fn snapshot_round_trip() {
        let dir = TestDir::new("snap");
        let info = write(dir.path(), &entries());
        assert_eq!(info.entries, 4);
        let path = snapshot_path(dir.path());
        assert_eq!(fs::metadata(&path).unwrap().len(), info.bytes);
        assert!(!snapshot_tmp_path(dir.path()).exists());
        let (h, got) = read(dir.path()).unwrap().unwrap();
        assert_eq!(h, header());
        assert_eq!(got, entries());

        // the reader gives the header first, then the entries
        let mut r = SnapshotReader::open(dir.path()).unwrap().unwrap();
        assert_eq!(r.header(), &header());
        let mut n = 0;
        while let Some(e) = r.next_entry().unwrap() {
            assert_eq!(e, &entries()[n][..]);
            n += 1;
        }
        assert_eq!((n, r.entries()), (4, 4));
        assert!(r.next_entry().unwrap().is_none());

        // a new snapshot replaces the old; an empty one is fine
        let info = write_snapshot(
            dir.path(),
            &SnapshotHeader {
                next_log: 1,
                meta: Vec::new(),
            },
            |_| Ok(()),
        )
        .unwrap();
        assert_eq!(info.entries, 0);
        let (h, got) = read(dir.path()).unwrap().unwrap();
        assert_eq!((h.next_log, h.meta.len(), got.len()), (1, 0, 0));
    }

    #[test]
    fn every_flipped_byte_is_corrupt() {
        let dir = TestDir::new("snapflip");
        write(dir.path(), &entries());
        let path = snapshot_path(dir.path());
        let good = fs::read(&path).unwrap();
        for i in 0..good.len() {
            for mask in [0x01u8, 0x80, 0xff] {
                let mut bad = good.clone();
                bad[i] ^= mask;
                fs::write(&path, &bad).unwrap();
                match read(dir.path()) {
                    Err(DiskError::CorruptSnapshot { offset, .. }) => {
                        assert!(
                            offset <= i as u64,
                            "byte {i}: damage reported after it, at {offset}"
                        )
                    }
                    other => panic!("byte {i} ^ {mask:#x}: {other:?}"),
                }
            }
        }
    }

    #[test]
    fn truncated_or_extended_snapshot_is_corrupt() {
        let dir = TestDir::new("snaptrunc");
        write(dir.path(), &entries());
        let path = snapshot_path(dir.path());
        let good = fs::read(&path).unwrap();
        for len in 0..good.len() {
            fs::write(&path, &good[..len]).unwrap();
            let err = read(dir.path()).unwrap_err();
            assert!(
                matches!(err, DiskError::CorruptSnapshot { .. }),
                "{len}: {err}"
            );
        }
        for tail in [&[0u8][..], &[0; 16], b"more bytes"] {
            let mut long = good.clone();
            long.extend_from_slice(tail);
            fs::write(&path, &long).unwrap();
            let err = read(dir.path()).unwrap_err();
            assert!(matches!(err, DiskError::CorruptSnapshot { .. }), "{err}");
        }
        // a log is not a snapshot
        let mut log = super::super::LOG_MAGIC.to_vec();
        log.extend_from_slice(&good[MAGIC_LEN..]);
        fs::write(&path, &log).unwrap();
        let err = read(dir.path()).unwrap_err();
        assert!(err.to_string().contains("not a snapshot"), "{err}");
        assert!(err.to_string().contains("move it away"), "{err}");
    }

    #[test]
    fn dropped_or_reordered_entries_are_corrupt() {
        // Frames that are each intact but not the ones written.
        let dir = TestDir::new("snapreorder");
        let path = snapshot_path(dir.path());
        let two = vec![b"aaaa".to_vec(), b"bbbb".to_vec()];
        write(dir.path(), &two);
        let good = fs::read(&path).unwrap();
        let header_end = MAGIC_LEN + 8 + 1 + 8 + header().meta.len();
        let frame = 8 + 1 + 4;
        let mut swapped = good.clone();
        swapped[header_end..header_end + frame]
            .copy_from_slice(&good[header_end + frame..header_end + 2 * frame]);
        swapped[header_end + frame..header_end + 2 * frame]
            .copy_from_slice(&good[header_end..header_end + frame]);
        fs::write(&path, &swapped).unwrap();
        let err = read(dir.path()).unwrap_err();
        assert!(
            err.to_string()
                .contains("checksum mismatch over all entries"),
            "{err}"
        );

        let mut dropped = good[..header_end].to_vec();
        dropped.extend_from_slice(&good[header_end + frame..]);
        fs::write(&path, &dropped).unwrap();
        let err = read(dir.path()).unwrap_err();
        assert!(err.to_string().contains("counts 2 entries, but 1"), "{err}");
    }

    #[test]
    fn missing_snapshot_and_stray_tmp() {
        let dir = TestDir::new("snapmissing");
        assert!(read(dir.path()).unwrap().is_none());
        let tmp = snapshot_tmp_path(dir.path());
        fs::write(&tmp, b"SYNDSNP1 half written").unwrap();
        assert!(read(dir.path()).unwrap().is_none());
        assert!(!tmp.exists());
        write(dir.path(), &entries());
        fs::write(&tmp, b"SYNDSNP1 half written").unwrap();
        assert_eq!(read(dir.path()).unwrap().unwrap().1, entries());
        assert!(!tmp.exists());
    }

    #[test]
    fn failed_fill_keeps_the_old_snapshot() {
        let dir = TestDir::new("snapabort");
        write(dir.path(), &entries());
        let err = write_snapshot(dir.path(), &header(), |w| {
            w.entry(b"partial")?;
            Err(DiskError::Aborted {
                reason: "encoding failed".into(),
            })
        })
        .unwrap_err();
        assert!(matches!(err, DiskError::Aborted { .. }));
        assert!(!snapshot_tmp_path(dir.path()).exists());
        assert_eq!(read(dir.path()).unwrap().unwrap().1, entries());
    }

    #[test]
    fn callback_error_is_returned() {
        let dir = TestDir::new("snapcallback");
        write(dir.path(), &entries());
        let err = read_snapshot(
            dir.path(),
            |p| if p.is_empty() { Err("empty") } else { Ok(()) },
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                ReplayError::Callback {
                    source: "empty",
                    ..
                }
            ),
            "{err}"
        );
    }
}
