//! Normalization of scraped text, so that noise does not hide a copy.
//!
//! The stages, in order:
//! 1. [`html::strip_tags`]: HTML tags removed (the contents of `script`, `style`
//!    and comments too); block tags such as `<p>` and `<br>` become line breaks.
//! 2. HTML entities decoded (`&amp;`, `&#8217;`, `&rsquo;`) with `htmlize`.
//! 3. [`mojibake::fix`]: UTF-8 that was decoded as Windows-1252 (`â€™`, `Ã©`)
//!    is repaired.
//! 4. Unicode NFKC, then transliteration to ASCII with `deunicode` (accents,
//!    ligatures and curly quotes folded: `é`→`e`, `œ`→`oe`, `’`→`'`).
//! 5. [`segment::segments`]: the text is cut into segments (sentences and
//!    stand-alone lines); hard-wrapped lines are joined, glued sentences split.
//! 6. Tokenization into lowercase words: maximal runs of ASCII letters and
//!    digits. Every other character separates words, which is what makes
//!    quotes mangled into `&&` and stray punctuation harmless; only a `.` or
//!    `,` between two digits is dropped inside a word, so a figure stays one
//!    word (`7,412.36` → `741236`).
//! 7. Segments of at least [`MIN_DEDUP_WORDS`] words that repeat an earlier
//!    one word for word are dropped (paragraphs pasted twice).
//!
//! The output is the words separated by single spaces, segments separated by
//! [`SEGMENT_SEPARATOR`]. It is a fixed point: normalizing it again changes
//! nothing.
//!
//! Every article goes through here, so the common case is kept cheap: a
//! stage with nothing to do (no `<`, no `&`, pure ASCII) costs one vector
//! scan and no copy; folding touches only the non-ASCII runs; segments are
//! found by jumping between line breaks and sentence punctuation, and
//! tokenized eight bytes at a time straight into the output.

mod fold;
pub mod html;
pub mod mojibake;
pub mod segment;
mod words;
#[cfg(target_arch = "x86_64")]
mod words_avx2;
#[cfg(target_arch = "x86_64")]
mod words_avx512;

use std::borrow::Cow;
use std::collections::HashSet;

use super::fasthash::KeyHash;
use xxhash_rust::xxh3::xxh3_64;

/// A segment repeating an earlier one is dropped only if it has at least this
/// many words, so short recurring lines ("Photo", "Advertisement") do not vanish.
pub const MIN_DEDUP_WORDS: usize = 5;

/// What separates segments in normalized text: a blank line, which the
/// segmenter always treats as a boundary (so normalizing again keeps them).
pub const SEGMENT_SEPARATOR: &str = "\n\n";

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
    normalize_with(text, |_, _| {})
}

/// Normalizes `text` as [`normalize`] does and hands each segment of the
/// result to `each` as it is written, with its xxh3 hash: what a tokenizer
/// downstream would otherwise find again by scanning the result for
/// [`SEGMENT_SEPARATOR`]s and hashing each piece. A segment is its words
/// (lowercase ASCII letters and digits) separated by single spaces.
///
/// ```
/// let mut seen = Vec::new();
/// let text = syndetect::core::normalize::normalize_with("Glued.Sentences here", |s, _| {
///     seen.push(String::from_utf8_lossy(s).into_owned())
/// });
/// assert_eq!(seen, ["glued", "sentences here"]);
/// assert_eq!(text, "glued\n\nsentences here");
/// ```
pub fn normalize_with(text: &str, each: impl FnMut(&[u8], u64)) -> String {
    let mut normalizer = Normalizer::default();
    normalizer.run(text, each);
    // Only ASCII bytes were written.
    String::from_utf8(normalizer.out).unwrap_or_default()
}

/// Normalizes many texts with the same buffers, where [`normalize_with`]
/// allocates an output and a table of seen segments for each text: for a
/// caller that only reads the segments as they are handed out (as the
/// fingerprint does), keep one per thread.
#[derive(Debug, Default)]
pub struct Normalizer {
    /// The normalized text, with scratch past its end.
    out: Vec<u8>,
    /// Hashes of the segments kept, to drop repeats.
    seen: HashSet<u64, KeyHash>,
    /// The segmenter's buffer, kept between texts.
    stops: Vec<u64>,
}

/// A [`Normalizer`] whose output buffer grew past this many bytes lets it go
/// before the next text (articles are a few KB; the limit is 1 MB).
const KEEP_BYTES: usize = 64 << 10;
/// The same for its table of seen segments, in segments.
const KEEP_SEGMENTS: usize = 1024;

impl Normalizer {
    /// Normalizes `text` as [`normalize_with`] does, handing each segment to
    /// `each`, and returns the normalized text (ASCII), valid until the next
    /// call.
    pub fn run(&mut self, text: &str, each: impl FnMut(&[u8], u64)) -> &[u8] {
        // One huge text should not keep its buffers' size for good.
        if self.out.capacity() > KEEP_BYTES {
            self.out = Vec::new();
        }
        if self.stops.capacity() > KEEP_BYTES / 64 {
            self.stops = Vec::new();
        }
        if self.seen.capacity() > KEEP_SEGMENTS {
            self.seen = HashSet::default();
        }
        let stripped = html::strip_tags(text);
        let decoded = decode_entities(&stripped);
        if decoded.is_ascii() {
            // Nothing for the mojibake repair or the folding to do.
            self.tokenize_segments(&decoded, each);
        } else {
            let fixed = mojibake::fix(&decoded);
            let folded = fold::fold(&fixed);
            self.tokenize_segments(&folded, each);
        }
        &self.out
    }

    /// Splits folded text into segments of lowercase ASCII alphanumeric words,
    /// one per output paragraph (separated by a blank line), dropping segments
    /// that repeat an earlier one; `each` gets every segment kept, with its hash.
    fn tokenize_segments(&mut self, text: &str, mut each: impl FnMut(&[u8], u64)) {
        // Each segment is written straight into `out` after the separator, and
        // kept by moving `len` past it, or dropped by leaving `len` where it was.
        // `out` is kept long enough for the next segment to be written.
        let out = &mut self.out;
        out.clear();
        out.resize(text.len() + SEGMENT_SEPARATOR.len() + 1, 0);
        let mut len = 0;
        let seen = &mut self.seen;
        seen.clear();
        // About one segment per sentence: room enough that the set rarely grows.
        seen.reserve(text.len() / 64);
        let mut segments = segment::Segments::with_buffer(text, std::mem::take(&mut self.stops));
        for raw in segments.by_ref() {
            // Blank lines and lone punctuation are common (stripped HTML leaves
            // many): pass over the short ones holding no word at once.
            if raw.len() < 8 && !raw.bytes().any(|c| c.is_ascii_alphanumeric()) {
                continue;
            }
            let separator = if len > 0 { SEGMENT_SEPARATOR.len() } else { 0 };
            let start = len + separator;
            if out.len() <= start + raw.len() {
                out.resize(start + raw.len() + 1, 0);
            }
            if separator > 0 {
                out[len..start].copy_from_slice(SEGMENT_SEPARATOR.as_bytes());
            }
            let (written, words) = words::write_words(raw.as_bytes(), &mut out[start..]);
            if words == 0 {
                continue;
            }
            let end = start + written;
            let hash = xxh3_64(&out[start..end]);
            if words < MIN_DEDUP_WORDS || seen.insert(hash) {
                each(&out[start..end], hash);
                len = end;
            }
        }
        out.truncate(len);
        self.stops = segments.into_buffer();
    }
}

/// Decodes HTML entities, leaving text without `&` untouched (and unallocated).
fn decode_entities(text: &str) -> Cow<'_, str> {
    if memchr::memchr(b'&', text.as_bytes()).is_some() {
        htmlize::unescape(text)
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reused_normalizer_gives_what_a_fresh_one_does() {
        let repeated = "One two three four five six.\nOne two three four five six.";
        let huge = "word after word. ".repeat(8_000);
        let texts = [
            repeated,
            // The same text again: the first run's segments are not "seen".
            repeated,
            "<p>Caf&eacute; rose 7,412.36</p>",
            "",
            // Past what a normalizer keeps between texts.
            huge.as_str(),
            "Short again.Glued text",
        ];
        let mut normalizer = Normalizer::default();
        for text in texts {
            let mut reused = Vec::new();
            let out = normalizer
                .run(text, |seg, hash| reused.push((seg.to_vec(), hash)))
                .to_vec();
            let mut fresh = Vec::new();
            let expected = normalize_with(text, |seg, hash| fresh.push((seg.to_vec(), hash)));
            assert_eq!(out, expected.as_bytes());
            assert_eq!(reused, fresh);
        }
    }

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
