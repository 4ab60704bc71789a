//! `--footprint lean`: an index that keeps only signatures and postings
//! still tells copies from distinct reports, keeps no shingle sets nor
//! segment counts, refuses settings that need them, and a data directory
//! keeps the footprint it was created with.

mod common;

use common::process::temp_dir;
use syndetect::index::{
    ConfigError, Durability, Footprint, Index, IndexConfig, MatchOptions, Verification,
};
use syndetect::model::{Article, Kind};
use syndetect::storage::disk::FsyncPolicy;
use syndetect::storage::MemoryStore;

/// Generated distinct articles (their sources named, so a full index would
/// count segments per source).
fn corpus(n: usize) -> Vec<Article> {
    syndetect::bench::corpus::generate(n, 91, 0.0)
        .into_iter()
        .enumerate()
        .map(|(i, a)| Article {
            id: a.id,
            text: a.text,
            source: format!("site{}", i % 3),
            ..Default::default()
        })
        .collect()
}

/// The first two thirds of `a`, under another id and source.
fn excerpt(a: &Article) -> Article {
    let words: Vec<&str> = a.text.split(' ').collect();
    Article {
        id: format!("{}-excerpt", a.id),
        text: words[..words.len() * 2 / 3].join(" "),
        source: "elsewhere".into(),
        ..Default::default()
    }
}

#[test]
fn a_lean_index_finds_copies_and_keeps_no_sets_nor_counts() {
    let index = Index::in_memory(IndexConfig::lean()).expect("lean config");
    let full = Index::in_memory(IndexConfig::default()).expect("default config");
    let originals = corpus(40);
    for a in &originals {
        let v = index.ingest(a, &MatchOptions::default()).expect("ingests");
        assert_eq!(v.kind, Kind::DistinctReport, "{}", a.id);
        full.ingest(a, &MatchOptions::default()).expect("ingests");
    }
    for a in originals.iter().take(5) {
        let v = index
            .ingest(&excerpt(a), &MatchOptions::default())
            .expect("ingests");
        assert_eq!(v.kind, Kind::SyndicatedCopy, "{}", a.id);
        assert_eq!(&*v.canonical_id, a.id.as_str());
    }
    let stats = index.stats();
    assert_eq!(stats.documents, 45);
    assert_eq!(stats.segment_counters, 0, "no furniture model");
    assert_eq!(stats.config.footprint, Footprint::Lean);
    // Shingle sets and segment hashes are most of what a full index keeps.
    let per_article = |i: &Index| i.stats().approx_bytes / i.stats().documents as u64;
    assert!(
        2 * per_article(&index) < per_article(&full),
        "lean {} B, full {} B an article",
        per_article(&index),
        per_article(&full)
    );

    // Removing takes its postings back and touches no counter.
    index.remove(&originals[1].id).expect("removes");
    let v = index
        .check(&excerpt(&originals[1]), &MatchOptions::default())
        .expect("checks");
    assert_eq!(v.kind, Kind::DistinctReport, "its original is gone");
    assert_eq!(index.stats().segment_counters, 0);
}

#[test]
fn lean_refuses_what_it_does_not_keep() {
    let exact = IndexConfig {
        verification: Verification::Exact,
        ..IndexConfig::lean()
    };
    let err = Index::in_memory(exact).expect_err("no sets to verify on");
    assert!(
        matches!(
            err,
            ConfigError::NotLean {
                name: "verification",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("verify from signatures"), "{err}");
    let furniture = IndexConfig {
        furniture_reports: 2,
        ..IndexConfig::lean()
    };
    let err = Index::in_memory(furniture).expect_err("no counts");
    assert!(err.to_string().contains("furniture_reports = 2"), "{err}");
    let by_source = IndexConfig {
        source_furniture_articles: 1,
        ..IndexConfig::lean()
    };
    assert!(Index::in_memory(by_source).is_err());
}

#[test]
fn a_data_directory_keeps_its_footprint() {
    let dir = temp_dir("lean-footprint");
    let durability = Durability {
        dir: dir.clone(),
        fsync: FsyncPolicy::Never,
    };
    let articles = corpus(10);
    {
        let index = Index::open(IndexConfig::lean(), MemoryStore::new(), &durability)
            .expect("creates a lean directory");
        for a in &articles {
            index.ingest(a, &MatchOptions::default()).expect("ingests");
        }
    }
    let err = Index::open(IndexConfig::default(), MemoryStore::new(), &durability)
        .expect_err("a full index cannot verify on sets a lean one never kept");
    assert!(err.to_string().contains("--footprint lean"), "{err}");
    let index =
        Index::open(IndexConfig::lean(), MemoryStore::new(), &durability).expect("reopens lean");
    assert_eq!(index.stats().documents, 10);
    let v = index
        .check(&excerpt(&articles[3]), &MatchOptions::default())
        .expect("checks");
    assert_eq!(v.kind, Kind::SyndicatedCopy);
    drop(index);
    let _ = std::fs::remove_dir_all(&dir);
}
