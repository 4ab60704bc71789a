//! Normalization of scraped text, so that noise does not hide a copy.
//!
//! The stages, in order:
//! 1. [`html::strip_tags`]: HTML tags removed (the contents of `script`, `style`
//!    and comments too); block tags such as `<p>` and `<br>` become line breaks.
//! 2. HTML entities decoded (`&amp;`, `&#8217;`, `&rsquo;`) with `htmlize`.
//! 3. [`mojibake::fix`]: UTF-8 that was decoded as Windows-1252 (`â€™`, `Ã©`)
//!    is repaired.
//! 4. Unicode NFKC, then transliteration to ASCII with `deunicode` (accents,
//!    ligatures and curly quotes folded: `é`→`e`, `œ`→`oe`, `’`→`'`), then
//!    lowercase.
//! 5. [`segment::segments`]: the text is cut into segments (sentences and
//!    stand-alone lines); hard-wrapped lines are joined, glued sentences split.
//! 6. Tokenization into words: maximal runs of ASCII letters and digits. Every
//!    other character separates words, which is what makes quotes mangled into
//!    `&&` and stray punctuation harmless; only a `.` or `,` between two digits
//!    is dropped inside a word, so a figure stays one word (`7,412.36` →
//!    `741236`).
//! 7. Segments of at least [`MIN_DEDUP_WORDS`] words that repeat an earlier
//!    one word for word are dropped (paragraphs pasted twice).
//!
//! The output is the words separated by single spaces, segments separated by
//! [`SEGMENT_SEPARATOR`]. It is a fixed point: normalizing it again changes
//! nothing.

pub mod html;
pub mod mojibake;
pub mod segment;

use std::borrow::Cow;
use std::collections::HashSet;

use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

use super::fasthash::KeyHash;
use xxhash_rust::xxh3::xxh3_64;

/// A segment repeating an earlier one is dropped only if it has at least this
/// many words, so short recurring lines ("Photo", "Advertisement") do not vanish.
pub const MIN_DEDUP_WORDS: usize = 5;

/// What separates segments in normalized text: a blank line, which the
/// segmenter always treats as a boundary (so normalizing again keeps them).
pub const SEGMENT_SEPARATOR: &str = "\n\n";

/// The segments (sentences, stand-alone lines) of normalized text.
pub fn normalized_segments(normalized: &str) -> impl Iterator<Item = &str> {
    normalized
        .split(SEGMENT_SEPARATOR)
        .filter(|s| !s.is_empty())
}

/// Normalizes scraped text (plain or HTML) into lowercase ASCII words, one line
/// per paragraph, with repeated paragraphs removed. See the module docs for the
/// stages.
///
/// ```
/// let a = syndetect::core::normalize("Trump&&s plan.It worked &amp; won");
/// let b = syndetect::core::normalize("<p>Trump’s plan. It worked &amp;amp; won</p>");
/// assert_eq!(a, "trump s plan\n\nit worked won");
/// assert_eq!(a, syndetect::core::normalize(&a));
/// assert_eq!(b, "trump s plan\n\nit worked amp won");
/// ```
pub fn normalize(text: &str) -> String {
    let stripped = html::strip_tags(text);
    let decoded = decode_entities(&stripped);
    let fixed = mojibake::fix(&decoded);
    let folded = fold(&fixed);
    tokenize_segments(&folded)
}

/// Decodes HTML entities, leaving text without `&` untouched (and unallocated).
fn decode_entities(text: &str) -> Cow<'_, str> {
    if text.contains('&') {
        htmlize::unescape(text)
    } else {
        Cow::Borrowed(text)
    }
}

/// NFKC, transliteration to ASCII and lowercasing. ASCII input passes through.
fn fold(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    // Most text is already in NFKC: the quick check avoids rebuilding it.
    let nfkc: Cow<'_, str> = match is_nfkc_quick(text.chars()) {
        IsNormalized::Yes => Cow::Borrowed(text),
        _ => Cow::Owned(text.nfkc().collect()),
    };
    let mut out = String::with_capacity(nfkc.len());
    for c in nfkc.chars() {
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
    Cow::Owned(out)
}

/// Splits folded text into segments of lowercase ASCII alphanumeric words,
/// one per output paragraph (separated by a blank line), dropping segments
/// that repeat an earlier one.
fn tokenize_segments(text: &str) -> String {
    let mut out: Vec<u8> = Vec::with_capacity(text.len());
    let mut seen: HashSet<u64, KeyHash> = HashSet::default();
    for raw in segment::segments(text) {
        // Write the segment straight into `out`; undo it if it has no word
        // or repeats an earlier one.
        let undo = out.len();
        if undo > 0 {
            out.extend_from_slice(SEGMENT_SEPARATOR.as_bytes());
        }
        let start = out.len();
        let mut words = 0usize;
        let mut in_word = false;
        let b = raw.as_bytes();
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
                // A decimal point or thousands separator: "7,412.36" is one word.
            } else {
                in_word = false;
            }
        }
        if words == 0 || (words >= MIN_DEDUP_WORDS && !seen.insert(xxh3_64(&out[start..]))) {
            out.truncate(undo);
        }
    }
    // Only ASCII bytes were written.
    String::from_utf8(out).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mangled_quotes_and_glued_sentences_match_clean_text() {
        let clean = normalize("Putin’s order, Peskov said. Russia and Ukraine accused");
        let mangled = normalize("Putin&& s order, Peskov said.Russia and Ukraine accused");
        assert_eq!(clean, mangled);
    }

    #[test]
    fn mojibake_and_entities_match_clean_text() {
        let clean = normalize("Trump’s “deal” — café");
        assert_eq!(normalize("Trumpâ€™s â€œdealâ€\u{9d} â€” cafÃ©"), clean);
        assert_eq!(
            normalize("Trump&rsquo;s &ldquo;deal&rdquo; &mdash; caf&eacute;"),
            clean
        );
        assert_eq!(normalize("Trump's \"deal\" -- cafe"), clean);
    }

    #[test]
    fn repeated_paragraphs_are_dropped_but_short_lines_kept() {
        let text = "One two three four five six.\nMusic\nOne two three four five six.\nMusic";
        assert_eq!(
            normalize(text),
            "one two three four five six\n\nmusic\n\nmusic"
        );
    }

    #[test]
    fn hard_wrapped_lines_keep_their_words() {
        let wrapped = normalize("The president said on\nTuesday that both were ready");
        assert_eq!(
            wrapped.split_whitespace().collect::<Vec<_>>(),
            "the president said on tuesday that both were ready"
                .split(' ')
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn html_is_stripped() {
        let html = "<div class=\"a\"><p>Hello <b>world</b></p><script>var x = 1;</script><p>Again</p></div>";
        assert_eq!(normalize(html), "hello world\n\nagain");
    }

    #[test]
    fn figures_stay_one_word() {
        assert_eq!(
            normalize("rose 0.84 percent to 7,412.36 points."),
            "rose 084 percent to 741236 points"
        );
        assert_eq!(normalize("in 2009.The end, 3 ,4"), "in 2009\n\nthe end 3 4");
    }

    #[test]
    fn whitespace_only_normalizes_to_empty() {
        assert_eq!(normalize(" \n\t\u{a0} "), "");
        assert_eq!(normalize("&& -- ..."), "");
    }
}
