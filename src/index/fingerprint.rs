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

use std::borrow::Cow;
use std::cell::RefCell;
use std::ops::Range;

use xxhash_rust::xxh3::{xxh3_64, xxh3_64_with_seed};

use super::Index;
use crate::core::normalize::Normalizer;
use crate::core::scratch::with_scratch;
use crate::core::shingle::{distinct_count, hash_word_run, push_word_hashes};
use crate::core::{BandKey, Signature};
use crate::error::{Error, Result};
use crate::model::Article;
use crate::storage::Store;

/// Salt of lead keys, so they never equal an LSH band key.
const LEAD_SALT: u64 = 0x1EAD_0000_0000_0001;

/// Salt of the counter of a source's articles.
const SOURCE_ARTICLES_SALT: u64 = 0x5005_CE00_0000_0001;

/// A segment is furniture of its source when at least this share of the
/// source's earlier articles contained it (and at least
/// `IndexConfig::source_furniture_articles` of them did).
pub const SOURCE_FURNITURE_SHARE: f64 = 0.2;

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
    /// The content shingle set as sorted distinct low 32-bit halves (empty
    /// in a lean index, which holds no sets and compares signatures only,
    /// and for a sampled set, which is compared and kept as its `sample`).
    pub set: Vec<u32>,
    /// Its 1-in-`set_sample_rate` sample, taken once here for every
    /// comparison with a sampled side and for storing (empty when sampling
    /// is off).
    pub sample: Vec<u32>,
    /// Distinct content shingles; in a lean index, content shingles with a
    /// repeated one counted each time, which leaves the containment
    /// estimate as it was (the reasons are on `ContentSet::distinct`).
    pub shingles: u32,
    /// LSH band keys, then lead keys.
    pub keys: Vec<BandKey>,
    /// Word hashes of the whole normalized article, title first.
    pub words: Vec<u64>,
    /// Its segments, in order.
    pub segments: Vec<Segment>,
    /// Shingles (low halves, sorted) of its furniture segments: left out of
    /// held articles' sets too when comparing with this one.
    pub furniture: Vec<u32>,
    /// Its content segments that hold a figure (a word with a digit), as
    /// (hash with the figures masked, hash of the segment), sorted: two
    /// articles written in one frame share the first and differ in the second.
    pub figures: Vec<(u32, u32)>,
    /// Hash of the article's source (site), if it named one.
    pub source: Option<u64>,
}

impl Fingerprint {
    /// Whether a shingle of a held article is furniture for this comparison
    /// (this article's own furniture; the index's is checked separately).
    pub fn is_local_furniture(&self, shingle: u32) -> bool {
        self.furniture.binary_search(&shingle).is_ok()
    }
}

/// The hash of a segment's words with every numeric word masked, if it has
/// one (the shingle combiner over the whole segment: no byte buffer).
fn figure_key(words: &[u64], numeric: &[bool]) -> Option<u32> {
    if !numeric.contains(&true) {
        return None;
    }
    let masked = words
        .iter()
        .zip(numeric)
        .map(|(w, n)| if *n { FIGURE_MASK } else { *w });
    Some(hash_word_run(masked, FIGURE_SEED) as u32)
}

/// What a numeric word becomes in a figure key.
const FIGURE_MASK: u64 = 0;
/// The combiner's start value for figure keys (apart from shingles').
const FIGURE_SEED: u64 = 0xF16E_5EED_0000_0001;

/// The counter key of a segment within one source.
fn source_segment_key(source: u64, segment: u64) -> u64 {
    xxh3_64_with_seed(&segment.to_le_bytes(), source)
}

/// An article's content shingles, as [`Index::content_shingles`] finds them.
struct ContentSet {
    /// Every content shingle's hash, in text order (for the signature).
    hashes: Vec<u64>,
    /// The distinct low halves, sorted: empty in a lean index, and when the
    /// set is sampled (then only the sample is used).
    set: Vec<u32>,
    /// The low halves that are a multiple of the sample rate, sorted and
    /// distinct: empty in a lean index and when sampling is off.
    sample: Vec<u32>,
    /// How many distinct low halves; in a lean index, how many shingles,
    /// a repeated one counted each time. The size only enters the
    /// containment estimate `J(a + b) / ((1 + J) a)`, which repeats on both
    /// sides leave unchanged, and the normalizer has already dropped
    /// repeated paragraphs: what is left are repeated three-word phrases,
    /// 1.7% of a real article's shingles on average (`eval/dev.jsonl`),
    /// far below the spread of the Jaccard estimate `J` itself (about 0.04
    /// at 128 bins). Counting them exactly cost 6% of a lean ingest.
    distinct: usize,
}

thread_local! {
    /// This thread's normalizer: its buffers serve article after article.
    static NORMALIZER: RefCell<Normalizer> = RefCell::new(Normalizer::default());
}

/// Calls `f` with this thread's normalizer (a fresh one should it be in use).
fn with_normalizer<R>(f: impl FnOnce(&mut Normalizer) -> R) -> R {
    with_scratch(&NORMALIZER, Normalizer::default, f)
}

/// The counter key of a source's article count.
fn source_articles_key(source: u64) -> u64 {
    xxh3_64_with_seed(&SOURCE_ARTICLES_SALT.to_le_bytes(), source)
}

impl<S: Store> Index<S> {
    /// Normalizes, segments, removes furniture, shingles, signs and keys an
    /// article.
    pub fn fingerprint(&self, article: &Article) -> Result<Fingerprint> {
        let source = Some(article.source.trim())
            .filter(|s| !s.is_empty())
            .map(|s| xxh3_64(s.to_ascii_lowercase().as_bytes()));
        let source_articles =
            source.map_or(0, |s| self.store.segment_reports(source_articles_key(s)));
        // About seven bytes of raw text a word, a hundred a segment.
        let size = article.title.len() + article.text.len();
        let mut words = Vec::with_capacity(size / 6 + 8);
        let mut numeric = Vec::with_capacity(size / 6 + 8);
        let mut segments = Vec::with_capacity(size / 64 + 4);
        let mut body_first_segment = 0;
        for (part, text) in [&article.title, &article.text].into_iter().enumerate() {
            if part == 1 {
                body_first_segment = segments.len();
            }
            // Each segment is tokenized as normalization writes it; the
            // normalized text itself is not needed.
            with_normalizer(|n| {
                n.run(text, |seg, hash| {
                    let start = words.len();
                    push_word_hashes(seg, &mut words, &mut numeric);
                    segments.push(Segment {
                        hash,
                        words: start..words.len(),
                        furniture: false,
                    });
                });
            });
        }
        self.mark_furniture(&mut segments, source, source_articles);
        if words.is_empty() {
            return Err(Error::NoWords {
                id: article.id.clone(),
            });
        }
        // The content words from segment `from` on, at most `limit` of them.
        let content_words_from = |from: usize, limit: usize| {
            let mut out = Vec::with_capacity(words.len().min(limit));
            for s in segments[from..].iter().filter(|s| !s.furniture) {
                let room = limit - out.len();
                let seg = &words[s.words.clone()];
                out.extend_from_slice(&seg[..seg.len().min(room)]);
                if out.len() == limit {
                    break;
                }
            }
            out
        };
        // The content words: all of them when no segment is furniture (no
        // copy), and all of them too when every segment is (an error page
        // keeps its words).
        let content_words: Cow<'_, [u64]> = if segments.iter().any(|s| s.furniture) {
            Cow::Owned(content_words_from(0, usize::MAX))
        } else {
            Cow::Borrowed(&words)
        };
        let all_furniture = content_words.is_empty();
        let content_words = if all_furniture {
            Cow::Borrowed(&words[..])
        } else {
            content_words
        };
        let furniture = if all_furniture {
            Vec::new()
        } else {
            self.furniture_shingles_of(&words, &segments)
        };
        let ContentSet {
            hashes,
            set,
            sample,
            distinct,
        } = self.content_shingles(&content_words, &furniture);
        let mut figures: Vec<(u32, u32)> = segments
            .iter()
            .filter(|s| !s.furniture || all_furniture)
            .filter_map(|s| {
                figure_key(&words[s.words.clone()], &numeric[s.words.clone()])
                    .map(|m| (m, s.hash as u32))
            })
            .collect();
        figures.sort_unstable();
        figures.dedup();
        let signature = self.hasher.signature(&hashes);
        let mut keys = self.lsh.band_keys(&signature);
        // Lead keys read only the first `lead_keys + lead_window - 1` words.
        let lead_words = match self.config.lead_keys {
            0 => 0,
            n => n.saturating_add(self.config.lead_window) - 1,
        };
        let body_words: Cow<'_, [u64]> = if all_furniture || lead_words == 0 {
            Cow::Borrowed(&[])
        } else if body_first_segment == 0 {
            Cow::Borrowed(&content_words[..content_words.len().min(lead_words)])
        } else {
            Cow::Owned(content_words_from(body_first_segment, lead_words))
        };
        keys.extend(self.lead_keys(&body_words));
        Ok(Fingerprint {
            sample,
            signature,
            shingles: u32::try_from(distinct).unwrap_or(u32::MAX),
            set,
            keys,
            words,
            segments,
            furniture,
            figures,
            source,
        })
    }

    /// The shingles (low halves, sorted) inside this article's furniture segments.
    fn furniture_shingles_of(&self, words: &[u64], segments: &[Segment]) -> Vec<u32> {
        let mut out: Vec<u32> = segments
            .iter()
            .filter(|s| s.furniture)
            .flat_map(|s| self.segment_shingles(words, s))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The shingles (low halves) inside one segment; none for a segment
    /// shorter than a shingle (its words only form shingles with neighbours).
    fn segment_shingles(&self, words: &[u64], seg: &Segment) -> Vec<u32> {
        if seg.words.len() < self.shingler.k() {
            return Vec::new();
        }
        self.shingler
            .shingle_hashes(&words[seg.words.clone()])
            .into_iter()
            .map(|h| h as u32)
            .collect()
    }

    /// Marks the segments that are furniture: found in `furniture_reports`
    /// distinct reports, or in `source_furniture_articles` earlier articles
    /// of the same source that are also at least [`SOURCE_FURNITURE_SHARE`]
    /// of them. Every counter needed is read in one batch.
    fn mark_furniture(&self, segments: &mut [Segment], source: Option<u64>, source_articles: u32) {
        let min = self.config.furniture_reports;
        let per_source = self.config.source_furniture_articles;
        // A segment cannot have been in more of the source's articles than
        // the source has had.
        let by_source = source.filter(|_| per_source > 0 && source_articles >= per_source);
        let mut keys = Vec::with_capacity(2 * segments.len());
        if min > 0 {
            keys.extend(segments.iter().map(|s| s.hash));
        }
        let from_source = keys.len();
        if let Some(src) = by_source {
            keys.extend(segments.iter().map(|s| source_segment_key(src, s.hash)));
        }
        if keys.is_empty() {
            return;
        }
        let mut counts = Vec::new();
        self.store.segment_reports_many(&keys, &mut counts);
        let (reports, seen) = counts.split_at(from_source);
        for (i, seg) in segments.iter_mut().enumerate() {
            let in_reports = reports.get(i).is_some_and(|c| *c >= min);
            let in_source = seen.get(i).is_some_and(|c| {
                *c >= per_source
                    && f64::from(*c) >= SOURCE_FURNITURE_SHARE * f64::from(source_articles)
            });
            seg.furniture = in_reports || in_source;
        }
    }

    /// The shingle hashes of the content words, less known furniture
    /// shingles and this article's own (unless that would leave none), as
    /// sets of low halves (see [`ContentSet`]).
    fn content_shingles(&self, words: &[u64], local: &[u32]) -> ContentSet {
        let mut hashes = self.shingler.shingle_hashes(words);
        // Nothing to leave out (always so in a lean index): no look-ups.
        let furniture_possible = !local.is_empty() || self.store.furniture_shingles() > 0;
        // The low halves, which sets and furniture are kept as (a lean index
        // without furniture needs neither).
        let mut compact: Vec<u32> = if furniture_possible || !self.config.is_lean() {
            hashes.iter().map(|h| *h as u32).collect()
        } else {
            Vec::new()
        };
        if furniture_possible {
            let mut furniture = Vec::new();
            self.store.furniture_among(&compact, &mut furniture);
            if !local.is_empty() {
                for (f, h) in furniture.iter_mut().zip(&compact) {
                    *f = *f || local.binary_search(h).is_ok();
                }
            }
            let kept = furniture.iter().filter(|f| !**f).count();
            // All furniture: an error page keeps its shingles.
            if kept > 0 && kept < compact.len() {
                // Compacted in place, branch-free.
                let mut n = 0;
                for (i, f) in furniture.iter().enumerate() {
                    compact[n] = compact[i];
                    hashes[n] = hashes[i];
                    n += usize::from(!*f);
                }
                compact.truncate(n);
                hashes.truncate(n);
            }
        }
        if self.config.is_lean() {
            // A lean index holds no sets and verifies from signatures: only
            // the size of the set is needed, and it is taken as the number
            // of shingles, a repeated one counted each time (see
            // `ContentSet::distinct`).
            return ContentSet {
                distinct: hashes.len(),
                hashes,
                set: Vec::new(),
                sample: Vec::new(),
            };
        }
        let rate = self.config.set_sample_rate;
        // A set that may be sampled is counted first: when it is, only its
        // sample is ever compared or kept, and sorting that alone is a
        // quarter of the work.
        if self.config.set_sample_above > 0 && compact.len() > self.config.set_sample_above as usize
        {
            let distinct = distinct_count(&compact);
            if self.is_sampled(u32::try_from(distinct).unwrap_or(u32::MAX)) {
                let mut sample = super::verdict::sample(&compact, rate).into_owned();
                sample.sort_unstable();
                sample.dedup();
                return ContentSet {
                    hashes,
                    set: Vec::new(),
                    sample,
                    distinct,
                };
            }
        }
        radsort::sort(&mut compact);
        compact.dedup();
        let sample = if self.config.set_sample_above > 0 {
            super::verdict::sample(&compact, rate).into_owned()
        } else {
            Vec::new()
        };
        ContentSet {
            hashes,
            distinct: compact.len(),
            set: compact,
            sample,
        }
    }

    /// The bucket keys a held article is posted under, as its fingerprint
    /// had them (see [`Index::posting_keys`]); `None` for a record the
    /// store did not hand out.
    pub(crate) fn record_keys(&self, record: &crate::storage::Record) -> Option<Vec<BandKey>> {
        let signature = self.store.signature_of(record)?;
        Some(self.posting_keys(&signature, record.lead_keys()))
    }

    /// The bucket keys of an article with `signature` and `lead_keys`: band
    /// keys recomputed from the signature, then the lead keys.
    pub(crate) fn posting_keys(
        &self,
        signature: &Signature,
        lead_keys: &[BandKey],
    ) -> Vec<BandKey> {
        let mut keys = self.lsh.band_keys(signature);
        keys.extend_from_slice(lead_keys);
        keys
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

    /// The distinct segment hashes of an article, sorted: what the furniture
    /// model counts for it.
    pub(crate) fn segment_hashes(fp: &Fingerprint) -> Vec<u64> {
        let mut hashes: Vec<u64> = fp.segments.iter().map(|s| s.hash).collect();
        hashes.sort_unstable();
        hashes.dedup();
        hashes
    }

    /// The counters an article adds to (and takes back from when it is
    /// removed): its segments within its source, its source's article count,
    /// and, for a distinct report, its segments among distinct reports.
    /// Counted whatever the furniture settings, so a log replays the same
    /// way under any of them; a lean index (which keeps the footprint it was
    /// created with) counts nothing.
    fn counters_of(segments: &[u64], source: Option<u64>, distinct: bool) -> (Vec<u64>, usize) {
        let mut counters = Vec::with_capacity(2 * segments.len() + 1);
        if let Some(src) = source {
            counters.extend(segments.iter().map(|h| source_segment_key(src, *h)));
            counters.push(source_articles_key(src));
        }
        let reports_from = counters.len();
        if distinct {
            counters.extend_from_slice(segments);
        }
        (counters, reports_from)
    }

    /// Learns from a stored article: counts its segments within its source,
    /// and, for a distinct report, among distinct reports; remembers the
    /// shingles of its furniture segments and of each segment that has just
    /// become furniture. Returns what changed, for the log: the counters
    /// incremented and the shingles marked as furniture.
    pub(crate) fn learn_furniture(
        &self,
        fp: &Fingerprint,
        segments: &[u64],
        distinct: bool,
    ) -> (Vec<u64>, Vec<u32>) {
        if self.config.is_lean() {
            return (Vec::new(), Vec::new());
        }
        let (counters, reports_from) = Self::counters_of(segments, fp.source, distinct);
        let counts = self.store.add_segment_reports(&counters);
        let mut furniture = fp.furniture.clone();
        let min = self.config.furniture_reports;
        if min > 0 {
            let crossed = counters[reports_from..]
                .iter()
                .zip(&counts[reports_from..])
                .filter(|(_, c)| **c == min);
            for (hash, _) in crossed {
                for seg in fp.segments.iter().filter(|s| s.hash == *hash) {
                    furniture.extend(self.segment_shingles(&fp.words, seg));
                }
            }
        }
        if !furniture.is_empty() {
            self.store.add_furniture_shingles(&furniture);
        }
        (counters, furniture)
    }

    /// Takes back what a removed article added to the furniture model's
    /// counters (shingles already known as furniture stay known).
    pub(crate) fn unlearn_furniture(&self, record: &crate::storage::Record) {
        if self.config.is_lean() {
            return;
        }
        let distinct = record.kind() == crate::model::Kind::DistinctReport;
        let (counters, _) = Self::counters_of(record.segments(), record.source(), distinct);
        self.store.sub_segment_reports(&counters);
    }
}

#[cfg(test)]
mod tests {
    use crate::index::{Index, IndexConfig, MatchOptions};
    use crate::model::Article;
    use crate::storage::Store;

    #[test]
    fn a_held_article_is_posted_under_the_keys_recomputed_from_its_record() {
        let index = Index::in_memory(IndexConfig::default()).expect("default config");
        let article = Article {
            id: "a".into(),
            title: "Talks resume".into(),
            text: "The two sides met again on Tuesday in Geneva. Officials said the \
                   talks would go on for a week, and that both delegations had \
                   brought new proposals on the border question."
                .into(),
            source: "wire".into(),
            published_at: 0,
        };
        let fp = index.fingerprint(&article).expect("has words");
        assert!(fp.keys.len() > index.lsh.bands, "band keys and lead keys");
        index
            .ingest(&article, &MatchOptions::default())
            .expect("ingests");
        let held = index.store.get_by_id("a").expect("held");
        assert_eq!(index.record_keys(&held), Some(fp.keys));
        assert!(!held.set().is_empty() && !held.segments().is_empty());

        let lean = Index::in_memory(IndexConfig::lean()).expect("lean config");
        lean.ingest(&article, &MatchOptions::default())
            .expect("ingests");
        let held = lean.store.get_by_id("a").expect("held");
        assert!(
            held.detail.is_none() && held.set().is_empty() && held.segments().is_empty(),
            "lean keeps neither"
        );
        let lean_fp = lean.fingerprint(&article).expect("has words");
        assert_eq!(lean.record_keys(&held), Some(lean_fp.keys));

        // A lean index that posts lead keys keeps them (and nothing else),
        // so removing the article takes every posting back.
        let with_leads = Index::in_memory(IndexConfig {
            lead_keys: 16,
            ..IndexConfig::lean()
        })
        .expect("lean config with lead keys");
        with_leads
            .ingest(&article, &MatchOptions::default())
            .expect("ingests");
        let held = with_leads.store.get_by_id("a").expect("held");
        let leads_fp = with_leads.fingerprint(&article).expect("has words");
        assert!(
            leads_fp.keys.len() > with_leads.lsh.bands,
            "lead keys posted"
        );
        assert_eq!(with_leads.record_keys(&held), Some(leads_fp.keys.clone()));
        assert!(held.set().is_empty() && held.segments().is_empty());
        with_leads.remove("a").expect("removes");
        let mut left = Vec::new();
        with_leads.store.candidates(&leads_fp.keys, &mut left);
        assert!(left.is_empty(), "postings left behind: {left:?}");
    }

    #[test]
    fn full_counts_distinct_shingles_and_lean_counts_repeats() {
        // "the talks went on" twice, in sentences too different to be
        // dropped as a repeated paragraph: two of the 3-shingles repeat.
        let article = Article {
            id: "r".into(),
            title: String::new(),
            text: "In Geneva the talks went on until late at night. \
                   Back home the talks went on in every newspaper."
                .into(),
            source: String::new(),
            published_at: 0,
        };
        let words = 19;
        let full = Index::in_memory(IndexConfig::default()).expect("default config");
        let lean = Index::in_memory(IndexConfig::lean()).expect("lean config");
        let distinct = full.fingerprint(&article).expect("has words").shingles;
        let with_repeats = lean.fingerprint(&article).expect("has words").shingles;
        assert_eq!(with_repeats, words - 2, "every 3-word window");
        assert_eq!(distinct, with_repeats - 2, "less the two repeated windows");
    }
}
