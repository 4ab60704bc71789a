//! Conversions between protobuf messages and the core types. No logic.

use super::pb;
use crate::error::Error;
use crate::index::{MatchOptions, Stats};
use crate::model::{Article, Kind, Match, Verdict};

impl From<pb::Article> for Article {
    fn from(a: pb::Article) -> Self {
        Article {
            id: a.id,
            text: a.text,
            title: a.title,
            source: a.source,
            published_at: a.published_at,
        }
    }
}

impl From<Option<pb::MatchOptions>> for MatchOptions {
    fn from(o: Option<pb::MatchOptions>) -> Self {
        let o = o.unwrap_or_default();
        MatchOptions {
            jaccard_threshold: o.jaccard_threshold,
            containment_threshold: o.containment_threshold,
            max_matches: o.max_matches as usize,
        }
    }
}

/// The article and options of a Check or Ingest request.
pub fn request_parts(
    article: Option<pb::Article>,
    options: Option<pb::MatchOptions>,
) -> Result<(Article, MatchOptions), Error> {
    let article = article.ok_or(Error::MissingArticle)?;
    Ok((article.into(), options.into()))
}

impl From<&Match> for pb::Match {
    fn from(m: &Match) -> Self {
        pb::Match {
            id: m.id.to_string(),
            jaccard: m.jaccard,
            containment: m.containment,
            canonical_id: m.canonical_id.to_string(),
        }
    }
}

impl From<Verdict> for pb::Verdict {
    fn from(v: Verdict) -> Self {
        let kind = match v.kind {
            Kind::DistinctReport => pb::verdict::Kind::DistinctReport,
            Kind::SyndicatedCopy => pb::verdict::Kind::SyndicatedCopy,
        };
        pb::Verdict {
            id: v.id.to_string(),
            kind: kind as i32,
            best_match: v.best_match().map(pb::Match::from),
            matches: v.matches.iter().map(pb::Match::from).collect(),
            canonical_id: v.canonical_id.to_string(),
            stored: v.stored,
            shingles: v.shingles,
            error: None,
        }
    }
}

/// The stream item for a request that failed: its id, no verdict, the error.
pub fn failed_item(id: String, status: &tonic::Status) -> pb::Verdict {
    pb::Verdict {
        id,
        error: Some(pb::ItemError {
            code: status.code() as i32,
            message: status.message().to_owned(),
        }),
        ..Default::default()
    }
}

impl From<Stats> for pb::StatsResponse {
    fn from(s: Stats) -> Self {
        let c = &s.config;
        pb::StatsResponse {
            documents: s.documents as u64,
            buckets: s.buckets as u64,
            originals: s.originals as u64,
            evictions: s.evictions,
            approx_bytes: s.approx_bytes,
            durable: s.durable,
            furniture_shingles: s.furniture_shingles as u64,
            segment_counters: s.segment_counters as u64,
            params: Some(pb::Params {
                shingle_size: c.shingle_size as u32,
                permutations: c.permutations as u32,
                bands: s.lsh.bands as u32,
                rows: s.lsh.rows as u32,
                lsh_threshold: c.lsh_threshold,
                jaccard_threshold: c.jaccard_threshold,
                containment_threshold: c.containment_threshold,
                min_containment_shingles: c.min_containment_shingles,
                max_matches: c.max_matches as u32,
                max_text_bytes: c.max_text_bytes as u64,
                recall_at_threshold: s.lsh.recall_at_threshold,
                false_positive_area: s.lsh.false_positive_area,
                false_negative_area: s.lsh.false_negative_area,
                retention_seconds: c.retention.map_or(0, |r| r.as_secs()),
                max_docs: c.max_docs as u64,
                capacity: c.capacity as u64,
            }),
        }
    }
}
