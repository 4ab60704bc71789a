//! Tokenization of one segment of folded text into lowercase words.
//!
//! A word is a maximal run of ASCII letters and digits; every other byte
//! separates words, except a `.` or `,` between two digits, which is dropped
//! inside the word (`7,412.36` → `741236`). The words are written lowercased
//! and separated by single spaces.
//!
//! This runs over every byte of every article, so it works on eight bytes at a
//! time ("SWAR": SIMD within a register): the bytes of a chunk are classified
//! and lowercased with a few integer operations on one `u64`, and a chunk in
//! which every byte is kept (letters, digits and single spaces: most of a
//! text) is stored at once. Only chunks holding a dropped byte (the second
//! byte of `, ` or `. `, a joining `.`) are written byte by byte. On a CPU
//! with AVX-512 (BW and VBMI2) or AVX2, [`write_words`] runs the same rules
//! on 64 bytes at a time instead ([`super::words_avx512`],
//! [`super::words_avx2`]). The byte-at-a-time definition is kept in the
//! tests as the reference for all.

use crate::core::swar::{in_range, splat, HIGH};

/// Flags of the eight bytes of a chunk, each as the high bit of its lane.
#[derive(Debug, Clone, Copy)]
struct Classes {
    /// ASCII letter or digit.
    alnum: u64,
    /// ASCII digit.
    digit: u64,
    /// `.` or `,`: dropped inside a word when between two digits.
    joiner: u64,
}

impl Classes {
    /// Classifies the chunk `x` (its first byte in the lowest lane).
    const fn of(x: u64) -> Self {
        let digit = in_range(x, b'0', b'9');
        // Setting bit 5 maps 'A'..='Z' onto 'a'..='z' and nothing else there.
        let letter = in_range(x | splat(0x20), b'a', b'z');
        // Setting bit 1 maps ',' onto '.' and nothing else there.
        let joiner = in_range(x | splat(0x02), b'.', b'.');
        Classes {
            alnum: digit | letter,
            digit,
            joiner,
        }
    }
}

/// Flags of the byte before a chunk, as the high bit of the lowest lane.
#[derive(Debug, Clone, Copy, Default)]
struct Carry {
    alnum: u64,
    digit: u64,
    joined: u64,
}

/// How many lanes have their flag set. (Faster than `count_ones`, which is
/// not one instruction on baseline x86-64: with at most one bit per lane,
/// the multiplication sums the lanes into the top one.)
const fn lane_count(flags: u64) -> u32 {
    (((flags >> 7).wrapping_mul(splat(1))) >> 56) as u32
}

/// A chunk's flags shifted one lane up: each lane gets its predecessor's,
/// the lowest lane the carried one.
const fn previous(flags: u64, carried: u64) -> u64 {
    (flags << 8) | carried
}

/// The flag of a chunk's last lane, carried into the next chunk's first lane.
const fn carried(flags: u64) -> u64 {
    flags >> 56
}

/// What one chunk contributes to the output.
#[derive(Debug, Clone, Copy)]
struct Output {
    /// The chunk's output bytes, one per lane: a letter or digit lowercased,
    /// any other byte as a space (0x20).
    bytes: u64,
    /// High bit of the lanes whose byte is not written: a separator following
    /// a separator (or the start of the segment), or a joining `.` or `,`.
    dropped: u64,
    /// How many words start in the chunk.
    words: u32,
}

/// Computes the output of chunk `x`, updating `carry` for the next chunk.
/// `next_is_digit` tells whether the byte after the chunk is a digit.
#[inline]
fn chunk_output(x: u64, carry: &mut Carry, next_is_digit: bool) -> Output {
    let c = Classes::of(x);
    let prev_alnum = previous(c.alnum, carry.alnum);
    let prev_digit = previous(c.digit, carry.digit);
    let next_digit = (c.digit >> 8) | (u64::from(next_is_digit) << 63);
    let joined = c.joiner & prev_digit & next_digit;
    let prev_joined = previous(joined, carry.joined);
    // A word starts at a letter or digit that neither follows one nor
    // continues a figure across a joining `.` or `,`.
    let starts = c.alnum & !prev_alnum & !prev_joined;
    // A separator is written (as a space) only right after a word.
    let dropped = !c.alnum & (!prev_alnum | joined) & HIGH;
    // Every byte of an alnum lane set, from its high bit.
    let alnum_bytes = (c.alnum >> 7) * 0xFF;
    *carry = Carry {
        alnum: carried(c.alnum),
        digit: carried(c.digit),
        joined: carried(joined),
    };
    Output {
        // Bit 5 is the case bit of letters and already set in digits; the
        // other lanes are cleared and get only that bit, a space.
        bytes: (x & alnum_bytes) | splat(0x20),
        dropped,
        words: lane_count(starts),
    }
}

/// Writes the lanes of `output` that are not dropped at `buf[at..]` and
/// returns the new write position. The chunk is stored whole, so `buf` needs
/// room for eight bytes from `at` (a whole chunk of input gives it: `at` is
/// never past the chunk's own position); what lies past the new position is
/// scratch. The last, partial chunk goes through [`write_tail`].
///
/// A dropped lane is removed by shifting the lanes above it down one; most
/// chunks drop none, and most of the rest one (the space after a `,` or
/// `.`), so the loop runs at most once for nearly every chunk.
#[inline]
fn write_output(output: Output, buf: &mut [u8], at: usize) -> usize {
    let mut bytes = output.bytes;
    let mut dropped = output.dropped;
    let mut kept = 8;
    while dropped != 0 {
        // The lowest dropped lane, and the lanes below it.
        let lane = dropped.trailing_zeros() / 8;
        let below = (1u64 << (8 * lane)) - 1;
        bytes = (bytes & below) | ((bytes >> 8) & !below);
        dropped = (dropped >> 8) & !below;
        kept -= 1;
    }
    buf[at..at + 8].copy_from_slice(&bytes.to_le_bytes());
    at + kept
}

/// As [`write_output`] for the last, partial chunk of a segment, byte by
/// byte, so that nothing is stored past the segment's own length: a dropped
/// lane is stored too, but at the position the next lane overwrites.
fn write_tail(output: Output, buf: &mut [u8], mut at: usize) -> usize {
    for (lane, byte) in output.bytes.to_le_bytes().into_iter().enumerate() {
        buf[at] = byte;
        at += usize::from(output.dropped & (0x80 << (8 * lane)) == 0);
    }
    at
}

/// The last `len % 8` bytes of `segment` (what whole chunks leave), in the
/// low lanes of a chunk whose other lanes are zero.
fn tail_chunk(segment: &[u8]) -> u64 {
    let n = segment.len() % 8;
    if n == 0 {
        0
    } else if segment.len() >= 8 {
        // The last eight bytes, shifted so that the tail starts the chunk.
        let last: [u8; 8] = segment[segment.len() - 8..].try_into().expect("8 bytes");
        u64::from_le_bytes(last) >> (8 * (8 - n))
    } else {
        segment
            .iter()
            .rev()
            .fold(0, |x, &b| (x << 8) | u64::from(b))
    }
}

/// Writes the words of `segment` at the start of `buf`, lowercased and
/// separated by single spaces (see the module docs). Returns how many bytes
/// were written and how many words.
///
/// `buf` must be longer than `segment`: each byte gives at most one output
/// byte, and one more may be stored as scratch. What lies in `buf` past the
/// returned length is scratch. On a CPU with AVX-512 (BW and VBMI2) this is
/// [`super::words_avx512`], 64 bytes at a time; on one with AVX2,
/// [`super::words_avx2`], 64 bytes at a time too; elsewhere the eight-byte
/// version, compiled per CPU level (see [`crate::core`]). All give the
/// same bytes.
pub fn write_words(segment: &[u8], buf: &mut [u8]) -> (usize, usize) {
    #[cfg(target_arch = "x86_64")]
    {
        if super::words_avx512::available() {
            // SAFETY: `available` checked that the CPU has the features the
            // function is compiled for.
            return unsafe { super::words_avx512::write_words(segment, buf) };
        }
        if super::words_avx2::available() {
            // SAFETY: as above.
            return unsafe { super::words_avx2::write_words(segment, buf) };
        }
    }
    write_words_swar(segment, buf)
}

/// [`write_words`] eight bytes at a time, for every CPU.
#[multiversion::multiversion(targets = "simd")]
pub(super) fn write_words_swar(segment: &[u8], buf: &mut [u8]) -> (usize, usize) {
    let mut len = 0;
    let mut words = 0;
    let mut carry = Carry::default();
    let mut chunks = segment.chunks_exact(8);
    for (k, chunk) in chunks.by_ref().enumerate() {
        let x = u64::from_le_bytes(chunk.try_into().expect("chunks of 8 bytes"));
        let next_is_digit = segment.get(8 * k + 8).is_some_and(u8::is_ascii_digit);
        let output = chunk_output(x, &mut carry, next_is_digit);
        len = write_output(output, buf, len);
        words += output.words as usize;
    }
    let tail = chunks.remainder().len();
    if tail > 0 {
        // Zero bytes after the tail are separators: they start no word and
        // make the tail's last byte followed by no digit. They are dropped.
        let mut output = chunk_output(tail_chunk(segment), &mut carry, false);
        output.dropped |= HIGH << (8 * tail);
        len = write_tail(output, buf, len);
        words += output.words as usize;
    }
    // A segment ending in a separator has written one space after its last word.
    if words > 0 && !segment.last().is_some_and(u8::is_ascii_alphanumeric) {
        len -= 1;
    }
    (len, words)
}

#[cfg(test)]
mod tests {
    use super::write_words;

    /// A version of [`write_words`].
    type WriteWords = fn(&[u8], &mut [u8]) -> (usize, usize);

    /// Appends the words of `segment` to `out` with `write`, in a buffer
    /// one byte longer than the segment (the least `write_words` takes).
    fn push_words(segment: &[u8], out: &mut Vec<u8>, write: WriteWords) -> usize {
        let start = out.len();
        out.resize(start + segment.len() + 1, 0);
        let (len, words) = write(segment, &mut out[start..]);
        out.truncate(start + len);
        words
    }

    /// The byte-at-a-time definition `push_words` must agree with.
    fn reference(b: &[u8], out: &mut Vec<u8>) -> usize {
        let mut words = 0usize;
        let mut in_word = false;
        for (i, &c) in b.iter().enumerate() {
            if c.is_ascii_alphanumeric() {
                if !in_word {
                    if words > 0 {
                        out.push(b' ');
                    }
                    words += 1;
                    in_word = true;
                }
                out.push(c.to_ascii_lowercase());
            } else if in_word
                && matches!(c, b'.' | b',')
                && i > 0
                && b[i - 1].is_ascii_digit()
                && b.get(i + 1).is_some_and(u8::is_ascii_digit)
            {
                // Inside a figure.
            } else {
                in_word = false;
            }
        }
        words
    }

    /// Checks [`write_words`] (whichever version this CPU runs) and the
    /// eight-byte version against the reference.
    fn check(segment: &[u8]) {
        let mut slow = b"x\n\n".to_vec();
        let m = reference(segment, &mut slow);
        for (name, write) in [
            ("write_words", write_words as WriteWords),
            ("eight bytes at a time", super::write_words_swar),
        ] {
            let mut fast = b"x\n\n".to_vec();
            let n = push_words(segment, &mut fast, write);
            assert_eq!(
                (n, String::from_utf8_lossy(&fast)),
                (m, String::from_utf8_lossy(&slow)),
                "{name} on {:?}",
                String::from_utf8_lossy(segment)
            );
        }
    }

    #[test]
    fn words_figures_and_separators() {
        for s in [
            "",
            " ",
            "a",
            "Hello, World. 7,412.36 points",
            "  leading and trailing  ",
            "12345678.9,0 .5 5. 1..2 1,,2 a.1 1.a",
            "ABCDEFGH,12345678.87654321 ,",
            "exactly8",
            "exactly8 ",
            "\u{e9}t\u{e9} na\u{ef}ve \u{7f}@[`{",
        ] {
            check(s.as_bytes());
        }
    }

    #[test]
    fn every_byte_value_in_every_lane() {
        let pattern = b"1a1A9z0Z.,".repeat(14);
        // Every lane of an eight-byte chunk, and both sides of the 64-byte
        // chunks' edges.
        for lane in (0..10).chain([55, 56, 62, 63, 64, 65, 127, 128, 129]) {
            check(&pattern[..lane + 1]);
            for b in 0..=255u8 {
                let mut s = pattern[..lane.max(9) + 1].to_vec();
                s[lane] = b;
                check(&s);
                check(&s[..lane + 1]);
            }
        }
    }

    #[test]
    fn agrees_with_the_reference_on_random_segments() {
        const ALPHABET: &[u8] = b"aZ09 .,.,\t\n!x-'\"";
        let mut next = crate::core::testing::xorshift(0x2545_F491_4F6C_DD1D);
        for round in 0..40_000 {
            // Most short, as segments are; some across several 64-byte chunks.
            let len = (next() % if round % 4 == 0 { 300 } else { 40 }) as usize;
            let s: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next();
                    if r.is_multiple_of(16) {
                        (r >> 8) as u8
                    } else {
                        ALPHABET[(r >> 8) as usize % ALPHABET.len()]
                    }
                })
                .collect();
            check(&s);
        }
    }
}
