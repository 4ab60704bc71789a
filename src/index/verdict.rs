//! Where a verdict is decided: candidates from the LSH buckets are verified
//! against the full signatures, ranked, and the best one decides copy or
//! distinct.
//!
//! Verification estimates two similarities from the whole signature (all
//! permutations, not only the banded ones):
//! - Jaccard resemblance `J = |A∩B| / |A∪B|`, the share of equal minima;
//! - containment of the smaller set in the larger, `|A∩B| / min(|A|,|B|)`,
//!   from `|A∩B| = J·(|A|+|B|)/(1+J)` with the set sizes (exact; a lean
//!   index, which keeps no sets, counts a repeated shingle each time, which
//!   moves the ratio of the sizes very little). A truncated excerpt of a
//!   held article has low `J` but containment near 1.
//!
//! A candidate is a match when `J ≥ jaccard_threshold`, or when
//! containment `≥ containment_threshold` and the smaller article has at least
//! `min_containment_shingles` shingles. The article is a copy when it has a
//! match; its best match is the one of highest `J` (then containment).

use std::sync::Arc;

use super::config::{is_share, Verification};
use super::{Fingerprint, Index, MatchOptions};
use crate::core::shingle::sorted_intersection_len;
use crate::error::{Error, Result};
use crate::model::{Kind, Match, Verdict};
use crate::storage::Store;
use crate::storage::{Held, Record};

/// The decision rule in force for one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    /// Copy when the estimated Jaccard is at least this.
    pub jaccard: f64,
    /// Copy when the estimated containment is at least this.
    pub containment: f64,
    /// Containment counts only from this many shingles in the smaller article.
    pub min_containment_shingles: u32,
    /// Matches kept, best first.
    pub max_matches: usize,
}

/// Estimated containment of the smaller set in the larger, from the estimated
/// Jaccard `j` and the two set sizes.
pub fn containment(j: f64, a: u32, b: u32) -> f64 {
    let small = a.min(b);
    if small == 0 || j <= 0.0 {
        return 0.0;
    }
    let inter = j * (a as f64 + b as f64) / (1.0 + j);
    (inter / small as f64).min(1.0)
}

impl Thresholds {
    /// Whether a verified pair is a copy under this rule.
    pub fn is_copy(&self, jaccard: f64, containment: f64, smaller_shingles: u32) -> bool {
        jaccard >= self.jaccard
            || (containment >= self.containment
                && smaller_shingles >= self.min_containment_shingles)
    }
}

/// How alike two articles are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Similarity {
    /// Jaccard resemblance of the content shingle sets.
    pub jaccard: f64,
    /// Share of the smaller set found in the larger.
    pub containment: f64,
    /// Shingles in the smaller set.
    pub smaller: u32,
}

/// The shingles of a sorted set whose value is a multiple of `rate` (a
/// power of two), still sorted.
pub(crate) fn sample(set: &[u32], rate: u32) -> std::borrow::Cow<'_, [u32]> {
    if rate <= 1 {
        return std::borrow::Cow::Borrowed(set);
    }
    let mask = rate - 1;
    // Branch-free: which hashes are kept is a coin toss each, which a
    // branch would mispredict about once in three.
    let mut kept = vec![0u32; set.len()];
    let mut n = 0;
    for &h in set {
        kept[n] = h;
        n += usize::from(h & mask == 0);
    }
    kept.truncate(n);
    std::borrow::Cow::Owned(kept)
}

impl<S: Store> Index<S> {
    /// Verifies a candidate: exactly on the content shingle sets (less the
    /// shingles learned to be furniture since the held one was stored), or
    /// estimated from the signatures (`held_signature`, the held one's
    /// minima).
    pub fn similarity(
        &self,
        fp: &Fingerprint,
        held: &Record,
        held_signature: &[u16],
    ) -> Similarity {
        match self.config.verification {
            Verification::Signature => {
                let j = fp.signature.jaccard_with(held_signature);
                Similarity {
                    jaccard: j,
                    containment: containment(j, fp.shingles, held.shingles),
                    smaller: fp.shingles.min(held.shingles),
                }
            }
            Verification::Exact => {
                let filtered: Vec<u32>;
                let held_set: &[u32] =
                    if self.store.furniture_shingles() > 0 || !fp.furniture.is_empty() {
                        let mut known = Vec::new();
                        self.store.furniture_among(held.set(), &mut known);
                        filtered = held
                            .set()
                            .iter()
                            .zip(known)
                            .filter(|(h, k)| !k && !fp.is_local_furniture(**h))
                            .map(|(h, _)| *h)
                            .collect();
                        if filtered.is_empty() {
                            held.set()
                        } else {
                            &filtered
                        }
                    } else {
                        held.set()
                    };
                let (own, held_set, scale) =
                    if self.is_sampled(fp.shingles) || self.is_sampled(held.shingles) {
                        let rate = self.config.set_sample_rate;
                        (
                            std::borrow::Cow::Borrowed(fp.sample.as_slice()),
                            sample(held_set, rate),
                            rate,
                        )
                    } else {
                        (
                            std::borrow::Cow::Borrowed(fp.set.as_slice()),
                            std::borrow::Cow::Borrowed(held_set),
                            1,
                        )
                    };
                let inter = sorted_intersection_len(&own, &held_set);
                let (a, b) = (own.len(), held_set.len());
                let union = a + b - inter;
                let small = a.min(b);
                Similarity {
                    jaccard: if union == 0 {
                        0.0
                    } else {
                        inter as f64 / union as f64
                    },
                    containment: if small == 0 {
                        0.0
                    } else {
                        inter as f64 / small as f64
                    },
                    smaller: u32::try_from(small)
                        .unwrap_or(u32::MAX)
                        .saturating_mul(scale),
                }
            }
        }
    }

    /// Whether a set of `shingles` is stored as a sample.
    pub(crate) fn is_sampled(&self, shingles: u32) -> bool {
        self.config.set_sample_above > 0 && shingles > self.config.set_sample_above
    }

    /// The `top` most similar held articles (by Jaccard, then containment),
    /// compared exhaustively and with no threshold: why an article was or was
    /// not called a copy. Slow on a large index; for diagnosis.
    pub fn explain(
        &self,
        article: &crate::model::Article,
        top: usize,
    ) -> Result<Vec<(Arc<str>, Similarity)>> {
        let fp = self.fingerprint(article)?;
        let mut all = Vec::new();
        self.store.all_docs(&mut all);
        let mut out: Vec<(Arc<str>, Similarity)> = all
            .into_iter()
            .filter_map(|doc| self.store.get(doc))
            .filter(|held| *held.id != *article.id)
            .filter_map(|held| {
                let signature = self.store.signature_of(&held)?;
                let s = self.similarity(&fp, &held, signature.values());
                Some((Arc::clone(&held.id), s))
            })
            .collect();
        out.sort_by(|a, b| {
            b.1.jaccard
                .max(b.1.containment)
                .total_cmp(&a.1.jaccard.max(a.1.containment))
        });
        out.truncate(top);
        Ok(out)
    }

    /// A cheap screen, run on each candidate where the store holds it and
    /// before anything else of it is read (its id, its set, its figures):
    /// most candidates fail it, and each read would be a cache miss.
    ///
    /// Under signature verification the screen is the decision itself on
    /// the signatures' estimate, so a candidate it rejects is one
    /// [`Thresholds::is_copy`] would reject. Under exact verification, LSH
    /// buckets also hold pairs that merely share common phrases, and
    /// comparing their full sets costs microseconds each: the screen lets
    /// through any pair whose estimated Jaccard or containment reaches half
    /// its threshold, and a pair at the threshold fails it only with a
    /// vanishing probability (the estimate would have to be off by half).
    /// Exhaustive runs with exact verification skip it: they measure exact
    /// similarity alone.
    fn screen(&self, fp: &Fingerprint, held: &Record, minima: &[u16], t: &Thresholds) -> bool {
        match self.config.verification {
            Verification::Signature => {
                let s = self.similarity(fp, held, minima);
                t.is_copy(s.jaccard, s.containment, s.smaller)
            }
            Verification::Exact if self.config.exhaustive => true,
            Verification::Exact => {
                let j = fp.signature.jaccard_with(minima);
                j >= 0.5 * t.jaccard
                    || containment(j, fp.shingles, held.shingles) >= 0.5 * t.containment
            }
        }
    }

    /// Whether two articles agree on their figures. Reports written in one
    /// frame (daily prices, league tables, weather) share their sentences
    /// with the figures masked but not the figures; a copy, even an updated
    /// one, keeps most of its figured sentences as they were. False when at
    /// least `min_numbers` figured sentences match once masked and fewer than
    /// `number_agreement` of those match exactly.
    pub fn figures_agree(&self, a: &[(u32, u32)], b: &[(u32, u32)]) -> bool {
        let need = self.config.number_agreement;
        if need <= 0.0 {
            return true;
        }
        let (mut framed, mut same) = (0usize, 0usize);
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            match a[i].0.cmp(&b[j].0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    let mask = a[i].0;
                    let i_end = i + a[i..].iter().take_while(|x| x.0 == mask).count();
                    let j_end = j + b[j..].iter().take_while(|x| x.0 == mask).count();
                    framed += 1;
                    if a[i..i_end]
                        .iter()
                        .any(|x| b[j..j_end].iter().any(|y| y.1 == x.1))
                    {
                        same += 1;
                    }
                    (i, j) = (i_end, j_end);
                }
            }
        }
        framed < self.config.min_numbers as usize || same as f64 >= need * framed as f64
    }

    /// The configured thresholds with the request's overrides, validated.
    pub(crate) fn thresholds(&self, options: &MatchOptions) -> Result<Thresholds> {
        let share = |name: &'static str, v: Option<f64>, default: f64| match v {
            Some(x) if !is_share(x) => Err(Error::InvalidOption {
                name,
                value: x,
                expected: "a share in (0, 1]",
            }),
            Some(x) => Ok(x),
            None => Ok(default),
        };
        Ok(Thresholds {
            jaccard: share(
                "jaccard_threshold",
                options.jaccard_threshold,
                self.config.jaccard_threshold,
            )?,
            containment: share(
                "containment_threshold",
                options.containment_threshold,
                self.config.containment_threshold,
            )?,
            min_containment_shingles: self.config.min_containment_shingles,
            max_matches: if options.max_matches == 0 {
                self.config.max_matches
            } else {
                options.max_matches
            },
        })
    }

    /// The verdict for a fingerprint against the held articles, ignoring any
    /// held under `own_id`. Stores nothing.
    pub(crate) fn decide(&self, own_id: &str, fp: &Fingerprint, t: &Thresholds) -> Verdict {
        let mut candidates = Vec::new();
        if self.config.exhaustive {
            self.store.all_docs(&mut candidates);
        } else {
            self.store.candidates(&fp.keys, &mut candidates);
        }
        let mut screened = Vec::new();
        self.store.held_where(
            &candidates,
            &mut |held, minima| self.screen(fp, held, minima, t),
            &mut screened,
        );
        let mut matches: Vec<Match> = screened
            .into_iter()
            .filter(|h| &*h.record.id != own_id)
            .filter_map(
                |Held {
                     record: held,
                     signature,
                 }| {
                    let Similarity {
                        jaccard: j,
                        containment: c,
                        smaller,
                    } = self.similarity(fp, &held, signature.values());
                    let copy =
                        t.is_copy(j, c, smaller) && self.figures_agree(&fp.figures, &held.figures);
                    copy.then(|| Match {
                        id: Arc::clone(&held.id),
                        jaccard: j,
                        containment: c,
                        canonical_id: Arc::clone(held.canonical_id()),
                    })
                },
            )
            .collect();
        matches.sort_by(|a, b| {
            b.jaccard
                .total_cmp(&a.jaccard)
                .then(b.containment.total_cmp(&a.containment))
                .then_with(|| a.id.cmp(&b.id))
        });
        matches.truncate(t.max_matches);
        let id: Arc<str> = Arc::from(own_id);
        let (kind, canonical_id) = match matches.first() {
            Some(best) => (Kind::SyndicatedCopy, Arc::clone(&best.canonical_id)),
            None => (Kind::DistinctReport, Arc::clone(&id)),
        };
        Verdict {
            id,
            kind,
            matches,
            canonical_id,
            stored: false,
            shingles: fp.shingles,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::containment;

    #[test]
    fn containment_of_a_half_excerpt_is_one() {
        // A = 100 shingles, B = first 50 of them: J = 0.5, containment = 1.
        assert!((containment(0.5, 100, 50) - 1.0).abs() < 1e-9);
        assert_eq!(containment(0.0, 100, 50), 0.0);
        assert!((containment(1.0, 80, 80) - 1.0).abs() < 1e-9);
    }
}
