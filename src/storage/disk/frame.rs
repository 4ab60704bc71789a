//! Frames, shared by logs and snapshots:
//! `[len: u32 LE][crc32 of payload: u32 LE][payload: len bytes]`, with
//! `1 <= len <= MAX_FRAME_LEN`.

use std::io::{self, Read, Write};

use super::{DiskError, MAX_FRAME_LEN};

/// Bytes before a frame's payload: the length and the checksum.
pub const FRAME_HEADER_LEN: usize = 8;

/// The length field for a payload made of `parts`, or
/// [`DiskError::BadPayloadLen`] if it is empty or over [`MAX_FRAME_LEN`].
pub fn frame_len(parts: &[&[u8]]) -> Result<u32, DiskError> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    match u32::try_from(len) {
        Ok(l) if (1..=MAX_FRAME_LEN).contains(&l) => Ok(l),
        _ => Err(DiskError::BadPayloadLen {
            len,
            max: MAX_FRAME_LEN,
        }),
    }
}

/// The crc32 of a payload made of `parts`, in order.
pub fn payload_crc(parts: &[&[u8]]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    for p in parts {
        h.update(p);
    }
    h.finalize()
}

/// The 8-byte header of a frame.
pub fn frame_header(len: u32, crc: u32) -> [u8; FRAME_HEADER_LEN] {
    let mut h = [0u8; FRAME_HEADER_LEN];
    h[..4].copy_from_slice(&len.to_le_bytes());
    h[4..].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Appends the whole frame for `payload` (header then payload) to `out`.
pub fn encode_frame(payload: &[u8], out: &mut Vec<u8>) -> Result<(), DiskError> {
    let len = frame_len(&[payload])?;
    out.reserve(FRAME_HEADER_LEN + payload.len());
    out.extend_from_slice(&frame_header(len, crc32fast::hash(payload)));
    out.extend_from_slice(payload);
    Ok(())
}

/// Writes one frame whose payload is the concatenation of `parts`; returns
/// the bytes written (header included). The length must have been checked
/// with [`frame_len`] (it is checked again, as an `InvalidInput` error).
pub fn write_frame_parts<W: Write>(w: &mut W, parts: &[&[u8]]) -> io::Result<u64> {
    let len = frame_len(parts).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    w.write_all(&frame_header(len, payload_crc(parts)))?;
    for p in parts {
        w.write_all(p)?;
    }
    Ok(FRAME_HEADER_LEN as u64 + u64::from(len))
}

/// Why [`FrameReader::next_frame`] stopped.
#[derive(Debug)]
pub enum FrameError {
    /// Reading failed.
    Io(io::Error),
    /// The bytes at `offset` are not a good frame (partial header, length
    /// of zero, over the cap or past the end, checksum mismatch).
    Corrupt {
        /// Byte offset of the bad frame's start.
        offset: u64,
        /// What is wrong, for messages.
        reason: String,
    },
}

/// Reads frames one at a time from a stream whose total length is known,
/// keeping one payload in memory at a time.
#[derive(Debug)]
pub struct FrameReader<R> {
    inner: R,
    pos: u64,
    end: u64,
    buf: Vec<u8>,
}

impl<R: Read> FrameReader<R> {
    /// A reader of `inner`, whose next byte is at offset `pos` of a file
    /// `end` bytes long.
    pub fn new(inner: R, pos: u64, end: u64) -> Self {
        FrameReader {
            inner,
            pos,
            end,
            buf: Vec::new(),
        }
    }

    /// Offset just past the last good frame read (where the next one starts).
    pub fn position(&self) -> u64 {
        self.pos
    }

    /// The stream's total length, as given to [`FrameReader::new`].
    pub fn end(&self) -> u64 {
        self.end
    }

    /// The next frame's payload; `Ok(None)` at a clean end (exactly at the
    /// end of the stream). After an error, the reader must not be used again.
    pub fn next_frame(&mut self) -> Result<Option<&[u8]>, FrameError> {
        let offset = self.pos;
        let left = self.end.saturating_sub(offset);
        if left == 0 {
            return Ok(None);
        }
        let corrupt = |reason: String| FrameError::Corrupt { offset, reason };
        if left < FRAME_HEADER_LEN as u64 {
            return Err(corrupt(format!(
                "partial frame header: {left} of {FRAME_HEADER_LEN} bytes"
            )));
        }
        let mut header = [0u8; FRAME_HEADER_LEN];
        self.inner
            .read_exact(&mut header)
            .map_err(|e| eof_as_corrupt(e, offset))?;
        let len = u32::from_le_bytes(header[..4].try_into().expect("4 bytes"));
        let crc = u32::from_le_bytes(header[4..].try_into().expect("4 bytes"));
        if len == 0 {
            return Err(corrupt("frame length of zero".into()));
        }
        if len > MAX_FRAME_LEN {
            return Err(corrupt(format!(
                "frame length {len} over the {MAX_FRAME_LEN}-byte limit"
            )));
        }
        let body_left = left - FRAME_HEADER_LEN as u64;
        if u64::from(len) > body_left {
            return Err(corrupt(format!(
                "frame of {len} bytes runs past the end of the file ({body_left} bytes left)"
            )));
        }
        self.buf.clear();
        self.buf.resize(len as usize, 0);
        self.inner
            .read_exact(&mut self.buf)
            .map_err(|e| eof_as_corrupt(e, offset))?;
        let actual = crc32fast::hash(&self.buf);
        if actual != crc {
            return Err(corrupt(format!(
                "checksum mismatch: frame says {crc:08x}, payload has {actual:08x}"
            )));
        }
        self.pos = offset + FRAME_HEADER_LEN as u64 + u64::from(len);
        Ok(Some(&self.buf))
    }
}

/// The file got shorter than its length said while being read: the same as
/// a torn frame.
fn eof_as_corrupt(e: io::Error, offset: u64) -> FrameError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        FrameError::Corrupt {
            offset,
            reason: "the file ended early while reading the frame".into(),
        }
    } else {
        FrameError::Io(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(payloads: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for p in payloads {
            encode_frame(p, &mut out).unwrap();
        }
        out
    }

    fn read_all(bytes: &[u8]) -> (Vec<Vec<u8>>, u64, Option<(u64, String)>) {
        let mut r = FrameReader::new(bytes, 0, bytes.len() as u64);
        let mut got = Vec::new();
        loop {
            match r.next_frame() {
                Ok(Some(p)) => got.push(p.to_vec()),
                Ok(None) => return (got, r.position(), None),
                Err(FrameError::Corrupt { offset, reason }) => {
                    return (got, r.position(), Some((offset, reason)))
                }
                Err(FrameError::Io(e)) => panic!("{e}"),
            }
        }
    }

    #[test]
    fn frames_round_trip() {
        let big = vec![7u8; 100_000];
        let payloads: Vec<&[u8]> = vec![b"a", b"hello world", &big, &[0, 0, 0, 0]];
        let bytes = frames(&payloads);
        let (got, pos, bad) = read_all(&bytes);
        assert_eq!(bad, None);
        assert_eq!(pos, bytes.len() as u64);
        assert_eq!(got, payloads.iter().map(|p| p.to_vec()).collect::<Vec<_>>());

        // parts written through write_frame_parts read back as one payload
        let mut out = Vec::new();
        let n = write_frame_parts(&mut out, &[b"ab", b"", b"cd"]).unwrap();
        assert_eq!(n, out.len() as u64);
        assert_eq!(read_all(&out).0, vec![b"abcd".to_vec()]);
    }

    #[test]
    fn bad_lengths_are_refused_on_write() {
        assert!(matches!(
            encode_frame(b"", &mut Vec::new()),
            Err(DiskError::BadPayloadLen { len: 0, .. })
        ));
        assert!(write_frame_parts(&mut Vec::new(), &[b""]).is_err());
    }

    #[test]
    fn every_truncation_stops_before_the_torn_frame() {
        let bytes = frames(&[b"first", b"second frame"]);
        let first_end = (FRAME_HEADER_LEN + 5) as u64;
        for cut in first_end as usize + 1..bytes.len() {
            let (got, pos, bad) = read_all(&bytes[..cut]);
            assert_eq!(got, vec![b"first".to_vec()], "cut at {cut}");
            assert_eq!(pos, first_end);
            assert_eq!(bad.unwrap().0, first_end);
        }
    }

    #[test]
    fn garbage_zero_and_flipped_frames_are_corrupt() {
        let good = frames(&[b"ok"]);
        // garbage length
        let mut g = good.clone();
        g.extend_from_slice(&[0xff, 0xff, 0xff, 0x7f, 1, 2, 3, 4, 5, 6]);
        let (got, pos, bad) = read_all(&g);
        assert_eq!((got.len(), pos), (1, good.len() as u64));
        assert!(bad.unwrap().1.contains("over the"));
        // length past the end
        let mut g = good.clone();
        g.extend_from_slice(&frame_header(100, 0));
        g.extend_from_slice(b"short");
        assert!(read_all(&g).2.unwrap().1.contains("runs past the end"));
        // zero-filled tail
        let mut g = good.clone();
        g.extend_from_slice(&[0; 64]);
        assert!(read_all(&g).2.unwrap().1.contains("zero"));
        // flipped payload byte
        let mut g = good.clone();
        g.extend_from_slice(&frames(&[b"payload"]));
        let last = g.len() - 1;
        g[last] ^= 0x01;
        let (got, _, bad) = read_all(&g);
        assert_eq!(got.len(), 1);
        assert!(bad.unwrap().1.contains("checksum mismatch"));
    }
}
