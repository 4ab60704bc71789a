//! `capacity`: an index sized ahead for its articles gives the verdicts one
//! that grows gives, and a capacity that cannot be had is refused up front
//! with what to do about it.

mod common;

use common::HookedStore;
use syndetect::index::{ConfigError, Index, IndexConfig, MatchOptions};
use syndetect::model::Verdict;

/// What a verdict decides: its kind, its matches (ids and estimates) and
/// its cluster.
type Decision = (String, Vec<(String, String, String)>, String);

fn decision(v: &Verdict) -> Decision {
    let matches = v
        .matches
        .iter()
        .map(|m| {
            (
                m.id.to_string(),
                format!("{:.6}", m.jaccard),
                format!("{:.6}", m.containment),
            )
        })
        .collect();
    (format!("{:?}", v.kind), matches, v.canonical_id.to_string())
}

fn verdicts(config: IndexConfig) -> Vec<Decision> {
    let index = Index::in_memory(config).expect("valid config");
    syndetect::bench::corpus::generate(600, 17, 0.3)
        .iter()
        .map(|a| {
            let v = index
                .ingest(&a.to_article(), &MatchOptions::default())
                .expect("ingests");
            decision(&v)
        })
        .collect()
}

#[test]
fn an_index_sized_ahead_decides_as_one_that_grows() {
    for base in [IndexConfig::default(), IndexConfig::lean()] {
        let grown = verdicts(base.clone());
        // Sized for all of them, and for fewer (its tables then grow too).
        for capacity in [600, 100] {
            let sized = verdicts(IndexConfig {
                capacity,
                ..base.clone()
            });
            assert_eq!(sized, grown, "capacity {capacity}, {:?}", base.footprint);
        }
        let copies = grown.iter().filter(|d| d.0 == "SyndicatedCopy").count();
        assert!(copies > 100, "the corpus has copies to find: {copies}");
    }
}

#[test]
fn a_capacity_the_store_cannot_allocate_is_refused_with_what_to_do() {
    let config = IndexConfig {
        capacity: 1000,
        ..IndexConfig::default()
    };
    match Index::new(config, HookedStore::refusing_reserve()).err() {
        Some(e @ ConfigError::Capacity { articles: 1000, .. }) => {
            let message = e.to_string();
            assert!(message.contains("lower the capacity"), "{message}");
            assert!(message.contains("memory allocation failed"), "{message}");
        }
        other => panic!("expected a capacity error, got {other:?}"),
    }
    // Without a capacity nothing is reserved, so nothing is refused.
    assert!(Index::new(IndexConfig::default(), HookedStore::refusing_reserve()).is_ok());
}

#[test]
fn the_memory_a_capacity_takes_is_ten_bytes_per_key_and_the_signature_an_article() {
    let sized = |base: IndexConfig| IndexConfig {
        capacity: 1000,
        ..base
    };
    // 32 bands, plus 16 lead keys by default; 128 minima of 2 bytes.
    assert_eq!(sized(IndexConfig::default()).reserved_bytes(), Ok(736_000));
    assert_eq!(sized(IndexConfig::lean()).reserved_bytes(), Ok(576_000));
    assert_eq!(IndexConfig::default().reserved_bytes(), Ok(0));
}

#[test]
fn a_capacity_beyond_the_handles_is_out_of_range() {
    let config = IndexConfig {
        capacity: u32::MAX as usize,
        ..IndexConfig::default()
    };
    match config.validate() {
        Err(ConfigError::OutOfRange { name, .. }) => assert_eq!(name, "capacity"),
        other => panic!("expected capacity out of range, got {other:?}"),
    }
}
