//! Scoring predictions against a labeled stream: the same rules and figures
//! as `eval/score.py`.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::{LabeledArticle, Prediction};

/// The figures of one scored run (field names as `score.py` prints them).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Lines in the stream.
    pub n: usize,
    /// Copies scored.
    pub copies: usize,
    /// Of the articles called copies, the share that are copies with a right match.
    pub precision: f64,
    /// Of the copies, the share found with a right match.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Share of distinct articles called copies.
    pub distinct_fpr: f64,
    /// Copies called copies of the wrong cluster.
    pub wrong_match: usize,
    /// Stream lines with no prediction.
    pub missing: usize,
    /// Recall per transformation kind.
    pub recall_by_kind: BTreeMap<String, f64>,
    /// False-positive rate per hard-negative group kind (`event`, `wrap`, ...).
    pub hard_negative_fpr: BTreeMap<String, f64>,
}

/// Rounds like Python's `round(x, digits)` for reporting.
fn round(x: f64, digits: i32) -> f64 {
    let m = 10f64.powi(digits);
    (x * m).round() / m
}

/// Scores `predictions` against `stream`. A copy counts as found only when
/// its match is in the same cluster; lines marked `ignore` are skipped.
pub fn score(stream: &[LabeledArticle], predictions: &[Prediction]) -> Report {
    let by_id: HashMap<&str, &Prediction> =
        predictions.iter().map(|p| (p.id.as_str(), p)).collect();
    let cluster: HashMap<&str, &str> = stream
        .iter()
        .map(|r| (r.id.as_str(), r.cluster.as_str()))
        .collect();
    let (mut tp, mut fp, mut fn_, mut wrong) = (0usize, 0usize, 0usize, 0usize);
    let mut per_variant: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut hard: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let (mut distinct, mut distinct_flagged) = (0usize, 0usize);
    for r in stream.iter().filter(|r| !r.ignore) {
        let p = by_id.get(r.id.as_str());
        let said_copy = p.is_some_and(|p| p.verdict == "copy");
        let right = said_copy
            && p.is_some_and(|p| cluster.get(p.best_match.as_str()) == Some(&r.cluster.as_str()));
        if r.expect == "copy" {
            let k = per_variant.entry(r.variant.as_str()).or_default();
            k.1 += 1;
            if right {
                tp += 1;
                k.0 += 1;
            } else {
                fn_ += 1;
                if said_copy {
                    wrong += 1;
                    fp += 1;
                }
            }
        } else {
            distinct += 1;
            if said_copy {
                fp += 1;
                distinct_flagged += 1;
            }
            if !r.group.is_empty() {
                let g = hard
                    .entry(r.group.split(':').next().unwrap_or("").to_owned())
                    .or_default();
                g.1 += 1;
                g.0 += usize::from(said_copy);
            }
        }
    }
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let precision = ratio(tp, tp + fp);
    let recall = ratio(tp, tp + fn_);
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    let mut kinds: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (variant, (a, b)) in per_variant {
        for kind in variant.split('+') {
            let k = kinds.entry(kind.to_owned()).or_default();
            k.0 += a;
            k.1 += b;
        }
    }
    Report {
        n: stream.len(),
        copies: tp + fn_,
        precision: round(precision, 4),
        recall: round(recall, 4),
        f1: round(f1, 4),
        distinct_fpr: round(ratio(distinct_flagged, distinct.max(1)), 4),
        wrong_match: wrong,
        missing: stream
            .iter()
            .filter(|r| !by_id.contains_key(r.id.as_str()))
            .count(),
        recall_by_kind: kinds
            .into_iter()
            .map(|(k, (a, b))| (k, round(ratio(a, b), 3)))
            .collect(),
        hard_negative_fpr: hard
            .into_iter()
            .map(|(k, (a, b))| (k, round(ratio(a, b), 3)))
            .collect(),
    }
}
