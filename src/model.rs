//! Plain data shared by the index and its storage: what comes in (an
//! [`Article`]) and what goes out (a [`Verdict`]). No behaviour lives here.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// One scraped article, as the caller sent it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Article {
    /// The caller's key, such as the canonical URL.
    pub id: String,
    /// The scraped text, plain or HTML.
    pub text: String,
    /// The headline, if known; compared as the article's first paragraph.
    pub title: String,
    /// Site or outlet, informational.
    pub source: String,
    /// Unix seconds, 0 if unknown.
    pub published_at: i64,
}

/// Whether an article is a copy of a held one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Kind {
    /// No held article is similar enough.
    DistinctReport,
    /// A syndicated copy of the best match.
    SyndicatedCopy,
}

/// A held article that passed verification against the request's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    /// The held article's id.
    pub id: Arc<str>,
    /// Estimated Jaccard resemblance of the shingle sets.
    pub jaccard: f64,
    /// Estimated share of the smaller shingle set found in the larger.
    pub containment: f64,
    /// The held article's cluster canonical id.
    pub canonical_id: Arc<str>,
}

/// The answer for one article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The article's id.
    pub id: Arc<str>,
    /// Copy or distinct.
    pub kind: Kind,
    /// Verified matches, best first; empty when distinct.
    pub matches: Vec<Match>,
    /// First-seen article of the cluster; the article's own id when distinct.
    pub canonical_id: Arc<str>,
    /// Whether this call stored the article.
    pub stored: bool,
    /// Distinct shingles of the normalized article (with a lean index, its
    /// shingles with a repeated one counted each time).
    pub shingles: u32,
}

impl Verdict {
    /// The best verified match, if any.
    pub fn best_match(&self) -> Option<&Match> {
        self.matches.first()
    }
}
