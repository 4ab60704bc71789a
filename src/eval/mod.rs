//! Measurement of detection quality on a labeled stream: `syndetect eval`.
//!
//! The stream is fed in arrival order through the same [`Index::ingest`] the
//! server uses; each article gets a [`Prediction`], and [`score`] computes the
//! same figures as `eval/score.py`.

pub mod corpus;
pub mod remote;
pub mod score;

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

pub use corpus::{read_jsonl, LabeledArticle};
pub use remote::run_remote;
pub use score::{score, Report};

use crate::index::{Index, MatchOptions};
use crate::model::Kind;
use crate::storage::Store;

/// One line of a predictions file, as `score.py` reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// The article's id.
    pub id: String,
    /// `"copy"` or `"distinct"`.
    pub verdict: String,
    /// The best match's id for a copy, else empty.
    #[serde(rename = "match")]
    pub best_match: String,
}

impl Prediction {
    /// A prediction: `copy` of `best_match`, or distinct.
    pub fn new(id: String, copy: bool, best_match: String) -> Self {
        Prediction {
            id,
            verdict: if copy { "copy" } else { "distinct" }.to_owned(),
            best_match,
        }
    }

    /// The prediction for a verdict.
    pub fn from_verdict(v: &crate::model::Verdict) -> Self {
        Self::new(
            v.id.to_string(),
            v.kind == Kind::SyndicatedCopy,
            v.best_match().map(|m| m.id.to_string()).unwrap_or_default(),
        )
    }

    /// The prediction for an article the index refused (counted as distinct).
    pub fn refused(id: &str) -> Self {
        Self::new(id.to_owned(), false, String::new())
    }
}

/// Predictions and how long they took.
#[derive(Debug, Clone)]
pub struct Run {
    /// One per article, in stream order.
    pub predictions: Vec<Prediction>,
    /// Articles the index refused, with the reason.
    pub refused: Vec<(String, String)>,
    /// Wall time of the ingest loop.
    pub elapsed: Duration,
    /// Bytes of title plus text ingested.
    pub bytes: usize,
}

/// Ingests `articles` in order into `index` and records each verdict. With
/// `explain > 0`, each wrong verdict is printed to stderr with the `explain`
/// most similar held articles, their clusters and similarities.
pub fn run_in_process<S: Store>(
    index: &Index<S>,
    articles: &[LabeledArticle],
    explain: usize,
) -> Run {
    let cluster_of: std::collections::HashMap<&str, &str> = articles
        .iter()
        .map(|a| (a.id.as_str(), a.cluster.as_str()))
        .collect();
    let options = MatchOptions::default();
    let start = Instant::now();
    let mut predictions = Vec::with_capacity(articles.len());
    let mut refused = Vec::new();
    let mut bytes = 0;
    for a in articles {
        let article = a.to_article();
        bytes += article.text.len() + article.title.len();
        let explained = (explain > 0).then(|| index.explain(&article, explain));
        match index.ingest(&article, &options) {
            Ok(v) => {
                let p = Prediction::from_verdict(&v);
                let right = if a.expect == "copy" {
                    p.verdict == "copy"
                        && cluster_of.get(p.best_match.as_str()) == Some(&a.cluster.as_str())
                } else {
                    p.verdict == "distinct"
                };
                if let (false, Some(Ok(top))) = (right || a.ignore, explained) {
                    eprintln!(
                        "WRONG {} expect={} variant={} group={} said={} match={}",
                        a.id, a.expect, a.variant, a.group, p.verdict, p.best_match
                    );
                    for (id, s) in top {
                        let same = cluster_of.get(&*id) == Some(&a.cluster.as_str());
                        eprintln!(
                            "    {id} same_cluster={same} J={:.3} C={:.3} smaller={}",
                            s.jaccard, s.containment, s.smaller
                        );
                    }
                }
                predictions.push(p);
            }
            Err(e) => {
                refused.push((a.id.clone(), e.to_string()));
                predictions.push(Prediction::refused(&a.id));
            }
        }
    }
    Run {
        predictions,
        refused,
        elapsed: start.elapsed(),
        bytes,
    }
}
