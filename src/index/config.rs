//! The index's parameters, their defaults and their validation.

use crate::core::lsh::{LshParams, LshParamsError};

/// Parameters of the index. [`IndexConfig::default`] holds the shipped
/// defaults; see the README for why each was chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexConfig {
    /// Words per shingle.
    pub shingle_size: usize,
    /// Seed of the shingle hash (0 by default): another seed gives another
    /// hash function, to measure how much a result owes to the hash's luck.
    pub shingle_seed: u64,
    /// MinHash permutations (signature length).
    pub permutations: usize,
    /// Jaccard resemblance the LSH bands are tuned to find.
    pub lsh_threshold: f64,
    /// Least probability that a pair at `lsh_threshold` becomes a candidate.
    pub lsh_min_recall: f64,
    /// Weight of the false-positive area when choosing bands × rows (the
    /// false-negative area weighs `1 − lsh_fp_weight`).
    pub lsh_fp_weight: f64,
    /// A verified Jaccard at least this makes a copy.
    pub jaccard_threshold: f64,
    /// A verified containment at least this makes a copy.
    pub containment_threshold: f64,
    /// Containment counts only when the smaller article has at least this
    /// many shingles (a headline alone is contained in many articles).
    pub min_containment_shingles: u32,
    /// Matches returned per verdict by default.
    pub max_matches: usize,
    /// Largest title plus text accepted, in bytes.
    pub max_text_bytes: usize,
    /// Longest id accepted, in bytes.
    pub max_id_bytes: usize,
    /// A segment found in this many distinct reports is site furniture and
    /// carries no evidence (0 turns furniture learning off).
    pub furniture_reports: u32,
    /// A segment found in this many earlier articles of the same source (and
    /// in a fifth of them at least) is that site's furniture (0 turns it off).
    pub source_furniture_articles: u32,
    /// Copies must agree on their figures: of the sentences with figures that
    /// two articles share once figures are masked, at least this share must
    /// match exactly (0 turns the check off).
    pub number_agreement: f64,
    /// Figured sentences that must match once masked before figures are compared.
    pub min_numbers: u32,
    /// Lead keys posted per article: windows at the start of its body, which
    /// find excerpts and teasers (0 turns them off).
    pub lead_keys: usize,
    /// Words per lead key window.
    pub lead_window: usize,
    /// How candidates are verified.
    pub verification: Verification,
    /// Compare with every held article instead of the LSH candidates (for
    /// measuring what LSH loses; slow on a large index).
    pub exhaustive: bool,
    /// Content shingle sets larger than this are kept as a sample: the
    /// shingles whose hash is a multiple of `set_sample_rate` (0 keeps every
    /// set whole). Verification of a pair with a sampled side compares the
    /// two samples.
    pub set_sample_above: u32,
    /// One shingle in this many is kept in a sampled set (a power of two).
    pub set_sample_rate: u32,
    /// Forget articles older than this, by `published_at` (or arrival time
    /// when it is unknown); `None` keeps them.
    pub retention: Option<std::time::Duration>,
    /// Hold at most this many articles, forgetting the oldest first (0 = no
    /// limit).
    pub max_docs: usize,
    /// What is kept of each held article.
    pub footprint: Footprint,
    /// Articles to size the index's tables for when it is created, so they
    /// do not grow (and move their contents) as articles arrive; 0 sizes
    /// nothing ahead. The bucket tables and the signature blocks take
    /// their memory at once, whether or not the articles come: about
    /// `10 × (bands + lead_keys) + 2 × permutations` bytes an article. The
    /// furniture counters, whose number per article depends on
    /// the articles, are sized once a 32nd of the capacity is held, at the
    /// rate those articles added them: a helper thread makes the tables, and
    /// each article then swaps one of the 256 in.
    pub capacity: usize,
}

/// What the index keeps of each held article: memory against accuracy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Footprint {
    /// Its signature, bucket postings, content shingle set (sampled above
    /// `set_sample_above`) and what the furniture model counts: about
    /// 3 KB an article, and the accuracy `docs/quality.md` reports.
    #[default]
    Full,
    /// Its signature and bucket postings only, about 1 KB an article:
    /// candidates are verified from signatures, and no site furniture is
    /// learned, so boilerplate shared by unrelated articles counts as
    /// evidence of copying. Use [`IndexConfig::lean`], which sets the
    /// parameters this requires.
    Lean,
}

/// How a candidate's similarity is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verification {
    /// Exact Jaccard and containment of the held content shingle sets, less
    /// the shingles learned to be furniture since.
    #[default]
    Exact,
    /// Estimated from the MinHash signatures (no furniture learned later is
    /// removed).
    Signature,
}

impl Default for IndexConfig {
    fn default() -> Self {
        IndexConfig {
            shingle_size: 3,
            shingle_seed: 0,
            permutations: 128,
            lsh_threshold: 0.3,
            lsh_min_recall: 0.95,
            lsh_fp_weight: 0.5,
            jaccard_threshold: 0.25,
            containment_threshold: 0.6,
            min_containment_shingles: 12,
            max_matches: 5,
            max_text_bytes: 1 << 20,
            max_id_bytes: 1024,
            furniture_reports: 2,
            source_furniture_articles: 1,
            number_agreement: 0.5,
            min_numbers: 2,
            lead_keys: 16,
            lead_window: 5,
            verification: Verification::Exact,
            exhaustive: false,
            set_sample_above: 256,
            set_sample_rate: 4,
            retention: None,
            max_docs: 0,
            footprint: Footprint::Full,
            capacity: 0,
        }
    }
}

impl IndexConfig {
    /// Bytes an index with this configuration allocates when created, for
    /// its [`IndexConfig::capacity`]: an 8-byte slot, in a table at most 80%
    /// full, for each of an article's band and lead keys, and its
    /// signature's 16-bit minima.
    pub fn reserved_bytes(&self) -> Result<u64, ConfigError> {
        if self.capacity == 0 {
            return Ok(0);
        }
        let lsh = LshParams::optimal(
            self.lsh_threshold,
            self.permutations,
            self.lsh_fp_weight,
            self.lsh_min_recall,
        )?;
        let per_article = self.keys_per_article(&lsh) * 10 + self.permutations * 2;
        Ok((self.capacity as u64).saturating_mul(per_article as u64))
    }

    /// Bucket keys an article is posted under: its band keys and lead keys.
    pub(crate) fn keys_per_article(&self, lsh: &LshParams) -> usize {
        lsh.bands + self.lead_keys
    }

    /// Whether held articles keep only their signature and postings
    /// ([`Footprint::Lean`]): no shingle sets, no segment counts.
    pub fn is_lean(&self) -> bool {
        self.footprint == Footprint::Lean
    }

    /// The defaults with [`Footprint::Lean`] and what it requires:
    /// verification from signatures, furniture learning off; and no lead
    /// keys, which would add about two fifths to its memory (`lead_keys` may
    /// still be set).
    pub fn lean() -> Self {
        IndexConfig {
            footprint: Footprint::Lean,
            verification: Verification::Signature,
            furniture_reports: 0,
            source_furniture_articles: 0,
            lead_keys: 0,
            ..IndexConfig::default()
        }
    }
}

/// Why a configuration was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// A parameter is out of its range.
    #[error("{name} = {value} is out of range: {expected}")]
    OutOfRange {
        /// The parameter.
        name: &'static str,
        /// The value given.
        value: String,
        /// The accepted range.
        expected: &'static str,
    },
    /// A parameter asks for something a lean index does not keep.
    #[error("{name} = {value} needs what footprint = lean does not keep (shingle sets, segment counts): {fix}")]
    NotLean {
        /// The parameter.
        name: &'static str,
        /// The value given.
        value: String,
        /// What to set instead.
        fix: &'static str,
    },
    /// The tables for `capacity` articles could not be allocated.
    #[error("cannot size the index for capacity = {articles} articles ({reason}): lower the capacity, or set 0 to let the tables grow as articles arrive")]
    Capacity {
        /// The capacity asked for.
        articles: usize,
        /// The allocator's refusal.
        reason: String,
    },
    /// The LSH parameters could not be chosen.
    #[error(transparent)]
    Lsh(#[from] LshParamsError),
}

fn check(
    ok: bool,
    name: &'static str,
    value: impl ToString,
    expected: &'static str,
) -> Result<(), ConfigError> {
    if ok {
        Ok(())
    } else {
        Err(ConfigError::OutOfRange {
            name,
            value: value.to_string(),
            expected,
        })
    }
}

/// True for a share in (0, 1].
pub(crate) fn is_share(x: f64) -> bool {
    x > 0.0 && x <= 1.0
}

impl IndexConfig {
    /// Checks every parameter's range.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check(
            (1..=16).contains(&self.shingle_size),
            "shingle_size",
            self.shingle_size,
            "1 to 16 words",
        )?;
        check(
            (8..=1024).contains(&self.permutations),
            "permutations",
            self.permutations,
            "8 to 1024",
        )?;
        check(
            self.lsh_threshold > 0.0 && self.lsh_threshold < 1.0,
            "lsh_threshold",
            self.lsh_threshold,
            "strictly between 0 and 1",
        )?;
        check(
            is_share(self.lsh_min_recall),
            "lsh_min_recall",
            self.lsh_min_recall,
            "in (0, 1]",
        )?;
        check(
            (0.0..=1.0).contains(&self.lsh_fp_weight),
            "lsh_fp_weight",
            self.lsh_fp_weight,
            "in [0, 1]",
        )?;
        check(
            is_share(self.jaccard_threshold),
            "jaccard_threshold",
            self.jaccard_threshold,
            "in (0, 1]",
        )?;
        check(
            is_share(self.containment_threshold),
            "containment_threshold",
            self.containment_threshold,
            "in (0, 1]",
        )?;
        check(
            self.lead_window >= 1,
            "lead_window",
            self.lead_window,
            "at least 1 word",
        )?;
        check(
            self.max_matches >= 1,
            "max_matches",
            self.max_matches,
            "at least 1",
        )?;
        check(
            self.max_text_bytes >= 1,
            "max_text_bytes",
            self.max_text_bytes,
            "at least 1",
        )?;
        check(
            self.max_id_bytes >= 1,
            "max_id_bytes",
            self.max_id_bytes,
            "at least 1",
        )?;
        check(
            self.capacity < crate::storage::DocId::MAX as usize,
            "capacity",
            self.capacity,
            "fewer than 4,294,967,295 articles (a store's handles are 32-bit)",
        )?;
        check(
            self.set_sample_rate.is_power_of_two(),
            "set_sample_rate",
            self.set_sample_rate,
            "a power of two",
        )?;
        check(
            self.retention.is_none_or(|r| r.as_secs() >= 1),
            "retention",
            format!("{:?}", self.retention),
            "at least one second",
        )?;
        self.validate_footprint()
    }

    /// A lean index keeps no shingle sets and no segment counts, so nothing
    /// may ask for them.
    fn validate_footprint(&self) -> Result<(), ConfigError> {
        if self.footprint == Footprint::Full {
            return Ok(());
        }
        let refuse = |name, value: &dyn ToString, fix| {
            Err(ConfigError::NotLean {
                name,
                value: value.to_string(),
                fix,
            })
        };
        if self.verification != Verification::Signature {
            return refuse("verification", &"exact", "verify from signatures");
        }
        if self.furniture_reports > 0 {
            return refuse("furniture_reports", &self.furniture_reports, "set it to 0");
        }
        if self.source_furniture_articles > 0 {
            return refuse(
                "source_furniture_articles",
                &self.source_furniture_articles,
                "set it to 0",
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lead_window_of_no_words_is_refused_by_name() {
        assert_eq!(IndexConfig::default().validate(), Ok(()));
        let config = IndexConfig {
            lead_window: 0,
            ..IndexConfig::default()
        };
        match config.validate() {
            Err(ConfigError::OutOfRange { name, value, .. }) => {
                assert_eq!((name, value.as_str()), ("lead_window", "0"));
            }
            other => panic!("expected lead_window out of range, got {other:?}"),
        }
    }
}
