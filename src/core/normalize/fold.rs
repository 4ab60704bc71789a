//! Folding of text to ASCII: Unicode NFKC, then transliteration with
//! `deunicode` (accents, ligatures and curly quotes folded: `é`→`e`, `œ`→`oe`,
//! `’`→`'`). Non-ASCII white space becomes a space (a line or paragraph
//! separator a line break); what `deunicode` cannot transliterate, a space.
//! Case is left alone: the tokenizer lowercases.
//!
//! Scraped text is mostly ASCII with a few curly quotes or accented letters,
//! so only the non-ASCII runs go through the Unicode machinery; ASCII between
//! them is copied as it is. This gives the same result as folding the whole
//! text at once because NFKC never changes a text across the start of an
//! ASCII character: it is a starter that nothing before it composes with (see
//! "Stable Code Points" in UAX #15). The ASCII character just before a run
//! goes with the run, since a combining mark after it may compose with it
//! (`e` + U+0301 → `é`). Text that is largely non-ASCII (a non-Latin script)
//! is folded in one run instead, as cutting it word by word costs more than
//! it saves.

use std::borrow::Cow;

use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// Folds `text` to ASCII (see the module docs). ASCII text passes through.
pub fn fold(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    // Text in a non-Latin script is not ASCII but for the spaces between its
    // words: folding it in one run spares cutting it word by word.
    let non_ascii = text.bytes().filter(|b| !b.is_ascii()).count();
    if non_ascii > text.len() / 8 {
        fold_run(text, &mut out);
        return Cow::Owned(out);
    }
    let mut rest = text;
    while !rest.is_empty() {
        let ascii = ascii_prefix_len(rest.as_bytes());
        if ascii == rest.len() {
            out.push_str(rest);
            break;
        }
        // Copy the ASCII prefix but its last character, which starts the run.
        let run_start = ascii.saturating_sub(1);
        out.push_str(&rest[..run_start]);
        let run_end = ascii + non_ascii_prefix_len(&rest.as_bytes()[ascii..]);
        fold_run(&rest[run_start..run_end], &mut out);
        rest = &rest[run_end..];
    }
    Cow::Owned(out)
}

/// Appends the folding of `run` (a stretch between two stable points) to `out`.
fn fold_run(run: &str, out: &mut String) {
    // Most text is already in NFKC: the quick check avoids rebuilding it.
    let nfkc: Cow<'_, str> = match is_nfkc_quick(run.chars()) {
        IsNormalized::Yes => Cow::Borrowed(run),
        _ => Cow::Owned(run.nfkc().collect()),
    };
    for c in nfkc.chars() {
        push_folded(c, out);
    }
}

/// Appends the ASCII transliteration of `c` to `out`.
fn push_folded(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c);
    } else if c.is_whitespace() {
        out.push(if c == '\u{2028}' || c == '\u{2029}' {
            '\n'
        } else {
            ' '
        });
    } else if let Some(ascii) = deunicode::deunicode_char(c) {
        out.push_str(ascii);
    } else {
        out.push(' ');
    }
}

/// How many bytes `b` starts with that are ASCII, eight at a time.
fn ascii_prefix_len(b: &[u8]) -> usize {
    use crate::core::swar::HIGH;
    let mut chunks = b.chunks_exact(8);
    let mut len = 0;
    for chunk in chunks.by_ref() {
        let high = u64::from_le_bytes(chunk.try_into().expect("chunks of 8 bytes")) & HIGH;
        if high != 0 {
            // The first byte with its high bit set, in the lowest lane first.
            return len + high.trailing_zeros() as usize / 8;
        }
        len += 8;
    }
    let tail = chunks.remainder();
    len + tail
        .iter()
        .position(|c| !c.is_ascii())
        .unwrap_or(tail.len())
}

/// How many bytes `b` starts with that are not ASCII.
fn non_ascii_prefix_len(b: &[u8]) -> usize {
    b.iter().position(u8::is_ascii).unwrap_or(b.len())
}

#[cfg(test)]
mod tests {
    use super::{ascii_prefix_len, fold};
    use unicode_normalization::UnicodeNormalization;

    /// The whole-text definition `fold` must agree with.
    fn reference(text: &str) -> String {
        let mut out = String::new();
        for c in text.nfkc() {
            super::push_folded(c, &mut out);
        }
        out
    }

    #[test]
    fn folds_runs_like_the_whole_text() {
        // Mostly ASCII around the samples, so that they are folded in runs.
        let ascii = "plain text around it, ".repeat(10);
        for s in [
            "plain ascii",
            "é",
            "café naïve — “quoted” Trump’s",
            "e\u{301}t\u{301}e a\u{308}\u{301}",
            "\u{301}leading mark",
            "x\u{1100}\u{1161}\u{11a8} \u{ac00}\u{11a8}",
            "ﬁ Ａ１ ① ㎞ … x\u{2028}y\u{2029}z\u{a0}w",
            "Ελληνικά Москва 北京 😀 \u{e000}",
            "a\u{328}\u{301}b\u{301}\u{328}",
        ] {
            assert_eq!(fold(s), reference(s), "on {s:?}");
            let padded = format!("{ascii}{s}{ascii}{s}x{s}");
            assert_eq!(fold(&padded), reference(&padded), "on {padded:?}");
        }
    }

    #[test]
    fn ascii_prefix_in_every_position() {
        for len in 0..20 {
            let mut b = vec![b'a'; len + 3];
            assert_eq!(ascii_prefix_len(&b), len + 3);
            b[len] = 0xC3;
            assert_eq!(ascii_prefix_len(&b), len);
        }
    }
}
