//! Locality-sensitive hashing over MinHash signatures: the banding technique.
//!
//! A signature of `bands × rows` values is cut into `bands` runs of `rows`;
//! each run hashes to a band key, and two documents become candidates when any
//! of their band keys agree. A pair of Jaccard resemblance `s` becomes a
//! candidate with probability `1 − (1 − s^rows)^bands`: the S-curve.

use xxhash_rust::xxh3::xxh3_64_with_seed;

use super::minhash::Signature;

/// The hash of one band of a signature, salted with the band's index so equal
/// values in different bands never collide.
pub type BandKey = u64;

/// A choice of bands × rows, with the S-curve figures that justified it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LshParams {
    /// Number of bands.
    pub bands: usize,
    /// Signature values per band.
    pub rows: usize,
    /// The Jaccard threshold the choice was made for.
    pub threshold: f64,
    /// Probability that a pair at exactly `threshold` becomes a candidate.
    pub recall_at_threshold: f64,
    /// Area under the S-curve below the threshold (false-positive mass).
    pub false_positive_area: f64,
    /// Area above the S-curve beyond the threshold (false-negative mass).
    pub false_negative_area: f64,
}

/// Why [`LshParams::optimal`] could not choose.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LshParamsError {
    /// The threshold is outside (0, 1).
    #[error("LSH threshold {0} is outside (0, 1)")]
    Threshold(f64),
    /// The required recall is outside (0, 1].
    #[error("required LSH recall {0} is outside (0, 1]")]
    Recall(f64),
    /// No permutations to band.
    #[error("the signature has no permutations to cut into bands")]
    NoPermutations,
}

/// Probability that a pair of resemblance `s` shares at least one band.
pub fn candidate_probability(s: f64, bands: usize, rows: usize) -> f64 {
    1.0 - (1.0 - s.powi(rows as i32)).powi(bands as i32)
}

/// Midpoint-rule integral of `f` over `[a, b]`.
fn integrate(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    const STEPS: usize = 256;
    let h = (b - a) / STEPS as f64;
    (0..STEPS).map(|i| f(a + (i as f64 + 0.5) * h)).sum::<f64>() * h
}

impl LshParams {
    /// Chooses bands × rows (with `bands × rows ≤ permutations`) the way
    /// datasketch does, by minimizing `fp_weight · FP + (1 − fp_weight) · FN`,
    /// where FP is the area under the S-curve below `threshold` and FN the area
    /// above it beyond `threshold`, but only among the choices that find a
    /// pair at exactly `threshold` with probability at least `min_recall`. If
    /// none reaches `min_recall`, the one with the highest recall is taken.
    pub fn optimal(
        threshold: f64,
        permutations: usize,
        fp_weight: f64,
        min_recall: f64,
    ) -> Result<Self, LshParamsError> {
        if !(threshold > 0.0 && threshold < 1.0) {
            return Err(LshParamsError::Threshold(threshold));
        }
        if !(min_recall > 0.0 && min_recall <= 1.0) {
            return Err(LshParamsError::Recall(min_recall));
        }
        if permutations == 0 {
            return Err(LshParamsError::NoPermutations);
        }
        let fp_weight = fp_weight.clamp(0.0, 1.0);
        let mut best: Option<(f64, LshParams)> = None;
        let mut most_recall: Option<LshParams> = None;
        for bands in 1..=permutations {
            for rows in 1..=permutations / bands {
                let recall = candidate_probability(threshold, bands, rows);
                let fp = integrate(|s| candidate_probability(s, bands, rows), 0.0, threshold);
                let fn_ = integrate(
                    |s| 1.0 - candidate_probability(s, bands, rows),
                    threshold,
                    1.0,
                );
                let p = LshParams {
                    bands,
                    rows,
                    threshold,
                    recall_at_threshold: recall,
                    false_positive_area: fp,
                    false_negative_area: fn_,
                };
                if most_recall.is_none_or(|m| recall > m.recall_at_threshold) {
                    most_recall = Some(p);
                }
                if recall + 1e-12 < min_recall {
                    continue;
                }
                let error = fp_weight * fp + (1.0 - fp_weight) * fn_;
                if best.is_none_or(|(e, _)| error < e) {
                    best = Some((error, p));
                }
            }
        }
        best.map(|(_, p)| p)
            .or(most_recall)
            .ok_or(LshParamsError::NoPermutations)
    }

    /// The band keys of a signature, one per band, in band order. Values past
    /// `bands × rows` are not banded (they still count in verification).
    pub fn band_keys(&self, signature: &Signature) -> Vec<BandKey> {
        let values = signature.values();
        let mut buf = Vec::with_capacity(2 * self.rows);
        (0..self.bands)
            .map(|band| {
                buf.clear();
                let start = band * self.rows;
                for v in values.get(start..start + self.rows).unwrap_or(&[]) {
                    buf.extend_from_slice(&v.to_le_bytes());
                }
                xxh3_64_with_seed(&buf, band as u64)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optimal_meets_the_recall_floor() {
        for t in [0.2, 0.3, 0.5, 0.7] {
            let p = LshParams::optimal(t, 128, 0.5, 0.95).unwrap();
            assert!(p.bands * p.rows <= 128);
            assert!(p.recall_at_threshold >= 0.95, "{p:?}");
        }
    }

    #[test]
    fn higher_threshold_needs_longer_bands() {
        let lo = LshParams::optimal(0.2, 128, 0.5, 0.95).unwrap();
        let hi = LshParams::optimal(0.8, 128, 0.5, 0.95).unwrap();
        assert!(hi.rows > lo.rows, "{lo:?} {hi:?}");
    }

    #[test]
    fn rejects_bad_arguments() {
        assert!(LshParams::optimal(0.0, 128, 0.5, 0.9).is_err());
        assert!(LshParams::optimal(1.0, 128, 0.5, 0.9).is_err());
        assert!(LshParams::optimal(0.5, 128, 0.5, 0.0).is_err());
        assert!(LshParams::optimal(0.5, 0, 0.5, 0.9).is_err());
    }

    #[test]
    fn band_keys_differ_across_bands_with_equal_values() {
        let p = LshParams {
            bands: 2,
            rows: 2,
            threshold: 0.5,
            recall_at_threshold: 0.0,
            false_positive_area: 0.0,
            false_negative_area: 0.0,
        };
        let keys = p.band_keys(&Signature::from_values(vec![7, 7, 7, 7]));
        assert_ne!(keys[0], keys[1]);
    }
}
