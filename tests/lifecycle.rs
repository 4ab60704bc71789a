//! Bounded memory: retention and --max-docs evict the oldest first and leave
//! nothing behind; a removed article's furniture counts are taken back.

mod common;

use std::time::Duration;

use common::process::temp_dir;
use syndetect::index::{Durability, Index, IndexConfig, MatchOptions};
use syndetect::model::{Article, Kind};
use syndetect::storage::disk::FsyncPolicy;
use syndetect::storage::MemoryStore;

/// `n` distinct articles published an hour apart, the first the oldest.
fn articles(n: usize, newest: i64) -> Vec<Article> {
    syndetect::bench::corpus::generate(n, 5, 0.0)
        .into_iter()
        .enumerate()
        .map(|(i, a)| Article {
            id: a.id,
            text: a.text,
            published_at: newest - 3600 * (n - 1 - i) as i64,
            ..Default::default()
        })
        .collect()
}

fn ingest(index: &Index, a: &Article) -> syndetect::model::Verdict {
    index.ingest(a, &MatchOptions::default()).expect("ingest")
}

/// The first half of an article's words, under a new id.
fn excerpt(a: &Article, id: &str) -> Article {
    let words: Vec<&str> = a.text.split(' ').collect();
    Article {
        id: id.to_owned(),
        text: words[..words.len() / 2].join(" "),
        ..a.clone()
    }
}

/// An in-memory index holding exactly `held`, for comparing counts.
fn reference(held: &[Article]) -> Index {
    let index = Index::in_memory(IndexConfig::default()).expect("config");
    for a in held {
        ingest(&index, a);
    }
    index
}

#[test]
fn max_docs_evicts_the_oldest_and_leaves_no_bucket_behind() {
    let config = IndexConfig {
        max_docs: 4,
        ..IndexConfig::default()
    };
    let index = Index::in_memory(config).expect("config");
    let list = articles(7, 1_700_000_000);
    // Ingested newest first: the oldest by publication go, not the first in.
    for a in list.iter().rev() {
        ingest(&index, a);
        assert!(index.stats().documents <= 4);
    }
    let stats = index.stats();
    assert_eq!(stats.documents, 4);
    assert_eq!(stats.evictions, 3);
    for a in &list[..3] {
        assert!(index.remove(&a.id).is_err(), "{} was evicted", a.id);
    }
    let survivors = &list[3..];
    let fresh = reference(survivors).stats();
    assert_eq!(
        stats.buckets, fresh.buckets,
        "no posting of an evicted article is left"
    );
    assert_eq!(stats.approx_bytes, fresh.approx_bytes, "nor any counter");
    // An excerpt of an evicted article finds nothing; of a survivor, it.
    let gone = index
        .check(&excerpt(&list[0], "x0"), &MatchOptions::default())
        .expect("check");
    assert_eq!(gone.kind, Kind::DistinctReport);
    let kept = index
        .check(&excerpt(&list[6], "x6"), &MatchOptions::default())
        .expect("check");
    assert_eq!(
        &*kept.best_match().expect("a match").id,
        list[6].id.as_str()
    );
}

#[test]
fn retention_evicts_by_publication_or_arrival_time() {
    let config = IndexConfig {
        retention: Some(Duration::from_secs(3 * 3600)),
        ..IndexConfig::default()
    };
    let index = Index::in_memory(config).expect("config");
    let now = syndetect::index::now_unix();
    let mut list = articles(6, now);
    // The oldest has no publication time: its arrival (now) counts.
    list[0].published_at = 0;
    for a in &list {
        ingest(&index, a);
    }
    // Published 4 h ago: past 3 h. Exactly 3 h ago is at the limit: kept.
    assert_eq!(index.enforce_limits(now).expect("sweep"), 1);
    assert!(
        index.remove(&list[1].id).is_err(),
        "published 4 h ago: evicted"
    );
    assert_eq!(index.stats().documents, 5);
    // Four hours later everything is past the limit.
    assert_eq!(index.enforce_limits(now + 4 * 3600).expect("sweep"), 5);
    let stats = index.stats();
    assert_eq!((stats.documents, stats.buckets, stats.evictions), (0, 0, 6));
    assert_eq!(stats.approx_bytes, 0, "no record or counter is left");
}

#[test]
fn evictions_are_logged_and_counted_across_restarts() {
    let dir = temp_dir("evictions");
    let durability = Durability {
        dir: dir.clone(),
        fsync: FsyncPolicy::Never,
    };
    let config = IndexConfig {
        max_docs: 3,
        ..IndexConfig::default()
    };
    let list = articles(5, 1_700_000_000);
    {
        let index = Index::open(config.clone(), MemoryStore::new(), &durability).expect("open");
        for a in &list {
            ingest(&index, a);
        }
        assert_eq!(index.stats().evictions, 2);
    }
    let index = Index::open(config, MemoryStore::new(), &durability).expect("reopen");
    let stats = index.stats();
    assert_eq!((stats.documents, stats.evictions), (3, 2));
    assert_eq!(stats.buckets, reference(&list[2..]).stats().buckets);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_copy_of_a_removed_report_is_not_taken_for_furniture() {
    // The original is removed; its copy arrives and is now a distinct report.
    // Its paragraphs were counted once for the original: they must not count
    // twice (which would make them site furniture and the copy's own copies
    // unmatchable).
    let index = Index::in_memory(IndexConfig::default()).expect("config");
    let list = articles(3, 1_700_000_000);
    for (i, a) in list.iter().enumerate() {
        ingest(&index, a);
        index.remove(&a.id).expect("remove");
        let copy = excerpt(a, &format!("copy-{i}"));
        assert_eq!(ingest(&index, &copy).kind, Kind::DistinctReport);
        let again = excerpt(&copy, &format!("copy-of-copy-{i}"));
        let v = index
            .check(&again, &MatchOptions::default())
            .expect("check");
        assert_eq!(
            v.best_match().map(|m| &*m.id),
            Some(copy.id.as_str()),
            "a copy of the copy is found"
        );
    }
    assert_eq!(index.stats().furniture_shingles, 0);
}
