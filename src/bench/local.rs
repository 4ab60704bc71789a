//! `syndetect bench`: the in-process pipeline on one thread, end to end
//! (raw text in, verdict out) and signature only, with resident memory per
//! held article.

use std::time::Instant;

use serde::Serialize;

use crate::core::{normalize, MinHasher, Shingler};
use crate::eval::LabeledArticle;
use crate::index::{Index, IndexConfig, MatchOptions};

/// What one run measured.
#[derive(Debug, Clone, Serialize)]
pub struct LocalReport {
    /// Articles in the corpus.
    pub articles: usize,
    /// Mean bytes of text per article.
    pub mean_bytes: usize,
    /// Ingest (normalize → verdict → store) on one thread, articles/s.
    pub end_to_end_per_s: f64,
    /// Megabytes of text ingested per second.
    pub end_to_end_mb_per_s: f64,
    /// Normalize → shingle → 128-value signature only, articles/s.
    pub signature_only_per_s: f64,
    /// Articles called copies (a sanity check that the run did real work).
    pub copies_found: usize,
    /// Resident memory added by the index, per held article, in bytes
    /// (Linux; 0 elsewhere).
    pub rss_bytes_per_article: f64,
    /// Of that, the id strings' share: each id is held once, as an
    /// `Arc<str>` (16 bytes of counts before the text), in a heap chunk of
    /// glibc's size for it. The memory target is stated beyond the id.
    pub id_bytes_per_article: f64,
    /// The index's own estimate of its bytes per held article
    /// (`Stats.approx_bytes`): records, postings, furniture model.
    pub approx_bytes_per_article: f64,
    /// Furniture-model counters per held article.
    pub segment_counters_per_article: f64,
}

/// Resident set size of this process in bytes, from `/proc/self/statm`.
pub fn rss_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// The heap chunk glibc's malloc takes for a request of `n` bytes: the
/// request plus an 8-byte header, rounded up to 16, at least 32.
fn malloc_chunk(n: usize) -> usize {
    ((n + 8 + 15) & !15).max(32)
}

/// Runs the corpus through a fresh index with `config`.
pub fn run(corpus: &[LabeledArticle], config: IndexConfig) -> Result<LocalReport, String> {
    let articles: Vec<_> = corpus.iter().map(LabeledArticle::to_article).collect();
    let bytes: usize = articles.iter().map(|a| a.text.len() + a.title.len()).sum();
    let n = articles.len().max(1);
    let id_bytes: usize = articles.iter().map(|a| malloc_chunk(16 + a.id.len())).sum();

    let shingler = Shingler::with_seed(config.shingle_size, config.shingle_seed);
    let hasher = MinHasher::new(config.permutations);
    let start = Instant::now();
    let mut sink = 0u64;
    for a in &articles {
        let set = shingler.shingles(&normalize(&a.text));
        sink ^= u64::from(
            hasher
                .signature(set.hashes())
                .values()
                .first()
                .copied()
                .unwrap_or(0),
        );
    }
    let signature_secs = start.elapsed().as_secs_f64();
    std::hint::black_box(sink);

    let before = rss_bytes().unwrap_or(0);
    // Timed from the index's creation: tables sized ahead (`capacity`) are
    // allocated and written there.
    let start = Instant::now();
    let index = Index::in_memory(config).map_err(|e| e.to_string())?;
    let options = MatchOptions::default();
    let mut copies = 0;
    for a in &articles {
        let v = index.ingest(a, &options).map_err(|e| e.to_string())?;
        copies += usize::from(v.kind == crate::model::Kind::SyndicatedCopy);
    }
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    let after = rss_bytes().unwrap_or(0);
    let stats = index.stats();
    Ok(LocalReport {
        approx_bytes_per_article: stats.approx_bytes as f64 / n as f64,
        segment_counters_per_article: stats.segment_counters as f64 / n as f64,
        articles: articles.len(),
        mean_bytes: bytes / n,
        end_to_end_per_s: n as f64 / secs,
        end_to_end_mb_per_s: bytes as f64 / secs / 1e6,
        signature_only_per_s: n as f64 / signature_secs.max(1e-9),
        copies_found: copies,
        rss_bytes_per_article: after.saturating_sub(before) as f64 / n as f64,
        id_bytes_per_article: id_bytes as f64 / n as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::malloc_chunk;

    #[test]
    fn malloc_chunks_round_up_to_16_with_a_32_byte_floor() {
        assert_eq!(malloc_chunk(0), 32);
        assert_eq!(malloc_chunk(24), 32);
        assert_eq!(malloc_chunk(25), 48);
        assert_eq!(malloc_chunk(26), 48);
        assert_eq!(malloc_chunk(40), 48);
        assert_eq!(malloc_chunk(41), 64);
    }
}
