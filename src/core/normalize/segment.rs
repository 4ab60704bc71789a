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
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let end_here = match c {
            b'\n' => line_break_ends(b, i),
            b'.' | b'!' | b'?' => sentence_ends(b, i),
            _ => None,
        };
        if let Some(next) = end_here {
            out.push(&text[start..next]);
            start = next;
            i = next;
        } else {
            i += 1;
        }
    }
    if start < b.len() {
        out.push(&text[start..]);
    }
    out
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
