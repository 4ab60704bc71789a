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
    /// The next line break.
    newline: NextMatch,
    /// The next `.`, `!` or `?`.
    punctuation: NextMatch,
}

impl<'a> Segments<'a> {
    /// The segments of `text`.
    pub fn new(text: &'a str) -> Self {
        Segments {
            text,
            start: 0,
            pos: 0,
            newline: NextMatch::default(),
            punctuation: NextMatch::default(),
        }
    }

    /// The position of the next byte at or after `pos` at which a segment may
    /// end: a line break, `.`, `!` or `?`.
    fn next_candidate(&mut self) -> Option<usize> {
        let b = self.text.as_bytes();
        let newline =
            self.newline
                .at_or_after(b, self.pos, |c| c == b'\n', |s| memchr::memchr(b'\n', s));
        let punctuation = self.punctuation.at_or_after(
            b,
            self.pos,
            |c| matches!(c, b'.' | b'!' | b'?'),
            |s| memchr::memchr3(b'.', b'!', b'?', s),
        );
        let next = newline.min(punctuation);
        (next < b.len()).then_some(next)
    }
}

/// The position of the next match of a byte search from a start that only
/// moves forward; searched again only once the start has passed it, so that
/// each search covers new ground (a text of many lines and no punctuation is
/// not scanned to its end once per line).
#[derive(Debug, Clone, Copy, Default)]
struct NextMatch(Option<usize>);

impl NextMatch {
    /// How many bytes are looked at one by one before a vector search, which
    /// costs more to start: blank and short lines end close by.
    const NEAR: usize = 8;

    /// The first match in `b` at or after `pos` (the length of `b` if none):
    /// a byte for which `is_match` holds, as `find` returns the first one in
    /// a slice.
    fn at_or_after(
        &mut self,
        b: &[u8],
        pos: usize,
        is_match: impl Fn(u8) -> bool,
        find: impl Fn(&[u8]) -> Option<usize>,
    ) -> usize {
        match self.0 {
            Some(at) if at >= pos => at,
            _ => {
                let near = b.len().min(pos + Self::NEAR);
                let at = match b[pos..near].iter().position(|&c| is_match(c)) {
                    Some(i) => pos + i,
                    None => find(&b[near..]).map_or(b.len(), |i| near + i),
                };
                self.0 = Some(at);
                at
            }
        }
    }
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
}
