//! Splitting folded (ASCII) text into segments: sentences and stand-alone
//! lines such as menu items, bylines and disclaimers.
//!
//! A segment ends
//! - at a blank line;
//! - at a line break, unless the line looks hard-wrapped: it does not end in
//!   sentence punctuation and the next line starts with a lowercase letter or
//!   a digit;
//! - after `.`, `!` or `?` (and any closing quotes or brackets) followed by
//!   white space and an uppercase letter, digit, quote or bracket, or followed
//!   directly by an uppercase letter (sentences glued without a space:
//!   `Sunday.Trump`). `RT.com` and `3.5` do not end a segment.
//!
//! Segments are what the furniture model counts: site furniture (menus,
//! share bars, disclaimers, "Read Full Article at RT.com") comes as whole
//! segments repeated across unrelated articles.

use crate::core::swar::byte_mask;

/// Byte ranges of the segments of `text`, in order. Ranges may span line
/// breaks (hard-wrapped lines) and may hold no words.
pub fn segments(text: &str) -> Vec<&str> {
    Segments::new(text).collect()
}

/// Iterator over the segments of a text, as returned by [`segments`], without
/// collecting them.
#[derive(Debug, Clone)]
pub struct Segments<'a> {
    text: &'a str,
    /// Where the next segment starts.
    start: usize,
    /// Where the search for the end of that segment resumes.
    pos: usize,
    /// Where a segment may end: bit `i % 64` of word `i / 64` is set when
    /// byte `i` is a line break, `.`, `!` or `?`.
    stops: Vec<u64>,
}

impl<'a> Segments<'a> {
    /// The segments of `text`.
    pub fn new(text: &'a str) -> Self {
        Self::with_buffer(text, Vec::new())
    }

    /// The segments of `text`, keeping their bookkeeping in `buffer`'s
    /// allocation (give it back with [`Segments::into_buffer`] to reuse it
    /// for the next text).
    pub fn with_buffer(text: &'a str, mut buffer: Vec<u64>) -> Self {
        stop_bits(text.as_bytes(), &mut buffer);
        Segments {
            text,
            start: 0,
            pos: 0,
            stops: buffer,
        }
    }

    /// The buffer [`Segments::with_buffer`] was given, to reuse.
    pub fn into_buffer(self) -> Vec<u64> {
        self.stops
    }

    /// The position of the next byte at or after `pos` at which a segment may
    /// end: a line break, `.`, `!` or `?`.
    fn next_candidate(&self) -> Option<usize> {
        let mut word = self.pos / 64;
        let mut bits = *self.stops.get(word)? & (u64::MAX << (self.pos % 64));
        while bits == 0 {
            word += 1;
            bits = *self.stops.get(word)?;
        }
        Some(64 * word + bits.trailing_zeros() as usize)
    }
}

/// The line breaks, `.`, `!` and `?` of `text` as bits (see
/// [`Segments::stops`]), found 64 bytes at a time in one pass where a
/// search per candidate would start over at each one. Compiled per CPU
/// level (see [`crate::core`]).
#[multiversion::multiversion(targets = "simd")]
fn stop_bits(text: &[u8], out: &mut Vec<u64>) {
    out.clear();
    out.extend(
        text.chunks(64)
            .map(|chunk| byte_mask(chunk, |c| matches!(c, b'\n' | b'.' | b'!' | b'?'))),
    );
}

impl<'a> Iterator for Segments<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let b = self.text.as_bytes();
        // Only a line break or sentence punctuation can end a segment: jump
        // from one to the next.
        while let Some(i) = self.next_candidate() {
            let end = if b[i] == b'\n' {
                line_break_ends(b, i)
            } else {
                sentence_ends(b, i)
            };
            match end {
                Some(next) => {
                    let segment = &self.text[self.start..next];
                    self.start = next;
                    self.pos = next;
                    return Some(segment);
                }
                None => self.pos = i + 1,
            }
        }
        self.pos = b.len();
        let rest = &self.text[self.start..];
        self.start = b.len();
        (!rest.is_empty()).then_some(rest)
    }
}

/// For a `\n` at `i`: where the next segment starts, if this line break ends one.
fn line_break_ends(b: &[u8], i: usize) -> Option<usize> {
    let prev = b[..i]
        .iter()
        .rev()
        .find(|c| !matches!(c, b' ' | b'\t' | b'\r'));
    let next_pos = b[i + 1..]
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t' | b'\r'));
    let next = next_pos.map(|p| b[i + 1 + p]);
    let blank = next == Some(b'\n');
    let ends_sentence = matches!(prev, Some(b'.' | b'!' | b'?' | b':' | b'"' | b'\'' | b')'));
    let wrapped = !blank
        && !ends_sentence
        && prev.is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b',' | b'-' | b';'))
        && next.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if wrapped {
        None
    } else {
        Some(i + 1)
    }
}

/// For `.`, `!` or `?` at `i`: where the next segment starts, if the sentence ends here.
fn sentence_ends(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while j < b.len() && matches!(b[j], b'"' | b'\'' | b')' | b']' | b'.' | b'!' | b'?') {
        j += 1;
    }
    if j >= b.len() {
        return Some(j);
    }
    let c = b[j];
    if c.is_ascii_uppercase() {
        return Some(j);
    }
    if c == b' ' || c == b'\t' {
        let mut k = j;
        while k < b.len() && matches!(b[k], b' ' | b'\t') {
            k += 1;
        }
        if k >= b.len()
            || b[k].is_ascii_uppercase()
            || b[k].is_ascii_digit()
            || matches!(b[k], b'"' | b'\'' | b'(' | b'[' | b'\n' | b'&')
        {
            return Some(k);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::segments;

    fn words(text: &str) -> Vec<String> {
        segments(text)
            .into_iter()
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|s| !s.is_empty())
            .collect()
    }

    #[test]
    fn sentences_and_glued_sentences() {
        assert_eq!(words("He left. She stayed."), ["He left.", "She stayed."]);
        assert_eq!(words("on Sunday.Trump said"), ["on Sunday.", "Trump said"]);
        assert_eq!(
            words("Read it at RT.com today"),
            ["Read it at RT.com today"]
        );
        assert_eq!(words("rose 3.5 percent"), ["rose 3.5 percent"]);
    }

    #[test]
    fn hard_wrapped_lines_join_but_menus_do_not() {
        assert_eq!(
            words("The president said on\ntuesday that both were ready."),
            ["The president said on tuesday that both were ready."]
        );
        assert_eq!(
            words("Music\nTrailers\nIndia"),
            ["Music", "Trailers", "India"]
        );
        assert_eq!(
            words("one line\n\nanother line"),
            ["one line", "another line"]
        );
    }

    proptest::proptest! {
        #[test]
        fn candidates_are_the_next_stops(text in "[a-z .!?\n]{0,200}", from in 0usize..210) {
            let mut segments = super::Segments::new(&text);
            segments.pos = from.min(text.len());
            let naive = text.bytes().enumerate().skip(segments.pos)
                .find(|(_, c)| matches!(c, b'\n' | b'.' | b'!' | b'?'))
                .map(|(i, _)| i);
            proptest::prop_assert_eq!(segments.next_candidate(), naive);
        }
    }
}
