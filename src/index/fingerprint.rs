//! From an article to what the index compares: normalized segments, site
//! furniture removed, content shingles, MinHash signature, bucket keys.
//!
//! **Furniture.** Site furniture (menus, share bars, disclaimers, "Read Full
//! Article at ...") comes as whole segments that recur across unrelated
//! articles. The index counts, for every segment, how many *distinct reports*
//! contained it (copies do not count: a wire story republished fifty times is
//! one report). A segment found in at least `furniture_reports` of them
//! carries no evidence of copying and is left out of the shingles; once a
//! segment crosses that line its shingles are remembered as furniture, so
//! verification can leave them out of articles held before it was learned.
//!
//! **Lead keys.** News is written top-down: excerpts, teasers ("headline plus
//! first sentence") and truncated copies keep an article's first words. Their
//! Jaccard with the whole article is too low for LSH to find them, so each
//! article is also posted under hashes of `lead_window`-word windows at the
//! start of its body, and a short copy is found through them.

use std::ops::Range;

use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

use super::Index;
use crate::core::normalize::normalized_segments;
use crate::core::shingle::word_hashes;
use crate::core::{normalize, BandKey, ShingleSet, Signature};
use crate::error::{Error, Result};
use crate::model::Article;
use crate::storage::Store;

/// Salt of lead keys, so they never equal an LSH band key.
const LEAD_SALT: u64 = 0x1EAD_0000_0000_0001;

/// One segment of an article: its hash and its words' positions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// xxh3 of the segment's normalized text.
    pub hash: u64,
    /// Its words in [`Fingerprint::words`].
    pub words: Range<usize>,
    /// Whether it was known furniture when fingerprinted.
    pub furniture: bool,
}

/// What an article reduces to for comparison.
#[derive(Debug, Clone)]
pub struct Fingerprint {
    /// MinHash signature of the content shingle set.
    pub signature: Signature,
    /// The content shingle set as sorted distinct low 32-bit halves.
    pub set: Vec<u32>,
    /// Distinct content shingles.
    pub shingles: u32,
    /// LSH band keys, then lead keys.
    pub keys: Vec<BandKey>,
    /// Word hashes of the whole normalized article, title first.
    pub words: Vec<u64>,
    /// Its segments, in order.
    pub segments: Vec<Segment>,
}

impl<S: Store> Index<S> {
    /// Normalizes, segments, removes furniture, shingles, signs and keys an
    /// article.
    pub fn fingerprint(&self, article: &Article) -> Result<Fingerprint> {
        let title = normalize(&article.title);
        let body = normalize(&article.text);
        let mut words = Vec::new();
        let mut segments = Vec::new();
        let mut body_first_segment = 0;
        for (part, text) in [&title, &body].into_iter().enumerate() {
            if part == 1 {
                body_first_segment = segments.len();
            }
            for seg in normalized_segments(text) {
                let start = words.len();
                words.extend(word_hashes(seg));
                segments.push(Segment {
                    hash: xxh3_64(seg.as_bytes()),
                    words: start..words.len(),
                    furniture: self.is_furniture_segment(xxh3_64(seg.as_bytes())),
                });
            }
        }
        if words.is_empty() {
            return Err(Error::NoWords {
                id: article.id.clone(),
            });
        }
        let content = |from: usize| -> Vec<u64> {
            segments[from..]
                .iter()
                .filter(|s| !s.furniture)
                .flat_map(|s| words[s.words.clone()].iter().copied())
                .collect()
        };
        // An article that is all furniture (an error page) keeps its words.
        let mut content_words = content(0);
        if content_words.is_empty() {
            content_words.clone_from(&words);
        }
        let set = self.content_shingles(&content_words);
        let signature = self.hasher.signature(set.hashes());
        let mut keys = self.lsh.band_keys(&signature);
        let body_words = content(body_first_segment);
        keys.extend(self.lead_keys(&body_words));
        let mut compact: Vec<u32> = set.hashes().iter().map(|h| *h as u32).collect();
        compact.sort_unstable();
        compact.dedup();
        Ok(Fingerprint {
            signature,
            shingles: u32::try_from(compact.len()).unwrap_or(u32::MAX),
            set: compact,
            keys,
            words,
            segments,
        })
    }

    /// Whether enough distinct reports contained this segment to call it furniture.
    fn is_furniture_segment(&self, hash: u64) -> bool {
        let min = self.config.furniture_reports;
        min > 0 && self.store.segment_reports(hash) >= min
    }

    /// The shingles of the content words, less known furniture shingles
    /// (unless that would leave none).
    fn content_shingles(&self, words: &[u64]) -> ShingleSet {
        let mut hashes = self.shingler.shingle_hashes(words);
        if self.config.furniture_reports > 0 && self.store.furniture_shingles() > 0 {
            let kept: Vec<u64> = hashes
                .iter()
                .copied()
                .filter(|h| !self.store.is_furniture_shingle(*h as u32))
                .collect();
            if !kept.is_empty() {
                hashes = kept;
            }
        }
        ShingleSet::from_hashes(hashes)
    }

    /// Hashes of the first `lead_keys` windows of `lead_window` words of the
    /// body's content (one window of all of it when shorter).
    fn lead_keys(&self, body: &[u64]) -> Vec<BandKey> {
        let (count, window) = (self.config.lead_keys, self.config.lead_window);
        if count == 0 || body.is_empty() {
            return Vec::new();
        }
        let window = window.min(body.len());
        let mut buf = Vec::with_capacity(8 * window);
        body.windows(window)
            .take(count)
            .map(|w| {
                buf.clear();
                for h in w {
                    buf.extend_from_slice(&h.to_le_bytes());
                }
                xxh3_64_with_seed(&buf, LEAD_SALT)
            })
            .collect()
    }

    /// Learns from a distinct report: counts its segments, and remembers the
    /// shingles of each segment that has just become furniture.
    pub(crate) fn learn_furniture(&self, fp: &Fingerprint) {
        let min = self.config.furniture_reports;
        if min == 0 {
            return;
        }
        let mut hashes: Vec<u64> = fp.segments.iter().map(|s| s.hash).collect();
        hashes.sort_unstable();
        hashes.dedup();
        let counts = self.store.add_segment_reports(&hashes);
        let k = self.shingler.k();
        for (hash, _) in hashes.iter().zip(counts).filter(|(_, c)| *c == min) {
            for seg in fp
                .segments
                .iter()
                .filter(|s| s.hash == *hash && s.words.len() >= k)
            {
                let shingles: Vec<u32> = self
                    .shingler
                    .shingle_hashes(&fp.words[seg.words.clone()])
                    .into_iter()
                    .map(|h| h as u32)
                    .collect();
                self.store.add_furniture_shingles(&shingles);
            }
        }
    }
}
