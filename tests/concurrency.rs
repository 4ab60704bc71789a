//! Ingest is atomic: of many copies of one story sent at the same moment,
//! exactly one is the original and every other names it; of many retries of
//! one id sent at the same moment, exactly one stores it.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::variants::{glue_sentences, mangle_quotes, repeat_paragraphs, rewrap};
use common::{article, ingest, start, start_with_store, HookedStore, Kind, TestServer, SEEDS};
use syndetect::grpc::pb;
use tokio::sync::Barrier;

/// A store that takes its time to insert, so that a verdict decided on a
/// stale view of the index would be caught: without the index's own
/// serialization, concurrent copies would all decide before any is stored.
fn slow_store() -> HookedStore {
    HookedStore::before_insert(|_| std::thread::sleep(Duration::from_millis(5)))
}

/// Tasks released together per round.
const TASKS: usize = 16;

/// Copies of `seed` close enough to each other that every pair shares LSH
/// buckets: the seed itself and site rewraps, some further mangled.
fn copies(seed: &str) -> Vec<String> {
    (0..TASKS)
        .map(|i| match i % 4 {
            0 => rewrap(seed, i),
            1 => mangle_quotes(&rewrap(seed, i)),
            2 => glue_sentences(&rewrap(seed, i)),
            _ => repeat_paragraphs(&rewrap(seed, i)),
        })
        .collect()
}

/// Sends `(id, text)` pairs from separate tasks on separate connections,
/// released together by a barrier, and returns the verdicts in input order.
async fn ingest_together(server: &TestServer, articles: Vec<(String, String)>) -> Vec<pb::Verdict> {
    let barrier = Arc::new(Barrier::new(articles.len()));
    let mut tasks = Vec::new();
    for (id, text) in articles {
        let mut client = server.connect().await;
        let barrier = Arc::clone(&barrier);
        tasks.push(tokio::spawn(async move {
            barrier.wait().await;
            ingest(&mut client, article(&id, &text)).await
        }));
    }
    let mut verdicts = Vec::new();
    for task in tasks {
        verdicts.push(task.await.expect("task").expect("ingest"));
    }
    verdicts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_copies_elect_exactly_one_original() {
    let mut server = start_with_store(slow_store()).await;
    let mut held = 0;
    for (round, n) in (0..SEEDS.len()).enumerate() {
        let articles: Vec<(String, String)> = copies(SEEDS[n].1)
            .into_iter()
            .enumerate()
            .map(|(i, text)| (format!("round-{round}/copy-{i}"), text))
            .collect();
        let verdicts = ingest_together(&server, articles).await;

        let originals: Vec<&pb::Verdict> = verdicts
            .iter()
            .filter(|v| v.kind() == Kind::DistinctReport)
            .collect();
        assert_eq!(
            originals.len(),
            1,
            "round {round}: exactly one original in {verdicts:#?}"
        );
        let original = &originals[0].id;
        assert_eq!(&originals[0].canonical_id, original);
        for v in &verdicts {
            assert!(v.stored, "{v:?}");
            assert!(v.id.starts_with(&format!("round-{round}/")), "{v:?}");
            if &v.id != original {
                assert_eq!(v.kind(), Kind::SyndicatedCopy, "round {round}: {v:?}");
                assert_eq!(&v.canonical_id, original, "round {round}: {v:?}");
                assert!(v.best_match.is_some(), "{v:?}");
            }
        }
        held += TASKS as u64;
        let stats = server.stats().await;
        assert_eq!(stats.documents, held, "round {round}");
        assert_eq!(stats.originals, round as u64 + 1, "round {round}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_retries_store_exactly_once() {
    let mut server = start_with_store(slow_store()).await;
    // A held seed, so the retried article is a copy with a best match.
    let seed = server
        .ingest(article(SEEDS[1].0, SEEDS[1].1))
        .await
        .unwrap();
    assert!(seed.stored);
    for round in 0..3 {
        let id = format!("retried-{round}");
        let text = rewrap(SEEDS[1].1, round);
        let verdicts = ingest_together(&server, vec![(id.clone(), text); TASKS]).await;

        let stored = verdicts.iter().filter(|v| v.stored).count();
        assert_eq!(
            stored, 1,
            "round {round}: exactly one stored in {verdicts:#?}"
        );
        let first = verdicts.iter().find(|v| v.stored).unwrap();
        // The first round's copy matches the seed; later rounds may match an
        // earlier round's copy, but all name the seed.
        assert_eq!(first.kind(), Kind::SyndicatedCopy, "{first:?}");
        assert_eq!(first.canonical_id, SEEDS[1].0);
        for v in &verdicts {
            // Every retry answers what the stored call answered.
            assert_eq!(
                &pb::Verdict {
                    stored: true,
                    ..v.clone()
                },
                first,
                "round {round}"
            );
        }
        assert_eq!(server.documents().await, round as u64 + 2);
    }
}

/// Unrelated articles ingested at the same moment do not see each other:
/// the five distinct seeds stay five originals.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_distinct_reports_stay_distinct() {
    let mut server = start().await;
    let articles = SEEDS
        .iter()
        .map(|(id, text)| (id.to_string(), text.to_string()))
        .collect();
    let verdicts = ingest_together(&server, articles).await;
    for v in &verdicts {
        assert_eq!(v.kind(), Kind::DistinctReport, "{v:?}");
        assert_eq!(v.canonical_id, v.id);
        assert!(v.stored);
    }
    let stats = server.stats().await;
    assert_eq!((stats.documents, stats.originals), (5, 5));
}
