//! Every error: its exact status code, a message that tells the caller what
//! to fix, and an index left unchanged. Also a panicking store: INTERNAL, and
//! the server goes on.

mod common;

use std::time::Duration;

use common::{
    article, best_id, ingest_request, start, start_with_config, start_with_store, HookedStore,
    Kind, TestServer, SEEDS,
};
use syndetect::grpc::pb;
use syndetect::index::IndexConfig;
use tonic::Code;

/// A store that panics when asked to insert the article "panic-me".
fn panicky_store() -> HookedStore {
    HookedStore::before_insert(|record| {
        if &*record.id == "panic-me" {
            panic!("test store: refusing to insert panic-me");
        }
    })
}

/// Asserts the status has `code` and a message containing every needle
/// (case-insensitive).
fn assert_status(status: &tonic::Status, code: Code, needles: &[&str]) {
    assert_eq!(status.code(), code, "{status:?}");
    let message = status.message().to_lowercase();
    for needle in needles {
        assert!(
            message.contains(&needle.to_lowercase()),
            "message {:?} should mention {needle:?}",
            status.message()
        );
    }
}

/// A server holding the five seeds.
async fn seeded() -> TestServer {
    let mut server = start().await;
    server.ingest_seeds().await;
    assert_eq!(server.documents().await, 5);
    server
}

/// Sends `article` both as Ingest and as Check, expects `code` from both, and
/// that the index still holds what it held.
async fn assert_refused(
    server: &mut TestServer,
    article: Option<pb::Article>,
    code: Code,
    needles: &[&str],
) {
    let before = server.stats().await;
    let status = server
        .client
        .ingest(pb::IngestRequest {
            article: article.clone(),
            options: None,
        })
        .await
        .expect_err("Ingest must fail");
    assert_status(&status, code, needles);
    let status = server
        .client
        .check(pb::CheckRequest {
            article,
            options: None,
        })
        .await
        .expect_err("Check must fail");
    assert_status(&status, code, needles);
    let after = server.stats().await;
    assert_eq!(
        after.documents, before.documents,
        "a failed call changed the index"
    );
    assert_eq!(
        after.buckets, before.buckets,
        "a failed call changed the buckets"
    );
    assert_eq!(after.originals, before.originals);
}

#[tokio::test]
async fn empty_id_is_invalid_argument() {
    let mut server = seeded().await;
    assert_refused(
        &mut server,
        Some(article("", SEEDS[0].1)),
        Code::InvalidArgument,
        &["id", "empty"],
    )
    .await;
}

#[tokio::test]
async fn too_long_id_is_invalid_argument() {
    let mut server = seeded().await;
    let id = "x".repeat(1025);
    assert_refused(
        &mut server,
        Some(article(&id, SEEDS[0].1)),
        Code::InvalidArgument,
        &["1025", "1024"],
    )
    .await;
    // At the limit it is accepted.
    let v = server
        .ingest(article(&"x".repeat(1024), "a short but valid text"))
        .await
        .unwrap();
    assert!(v.stored);
}

#[tokio::test]
async fn empty_or_whitespace_text_is_invalid_argument() {
    let mut server = seeded().await;
    for text in ["", " ", " \n\t\r\n  \u{a0}\u{2003} "] {
        assert_refused(
            &mut server,
            Some(article("blank", text)),
            Code::InvalidArgument,
            &["\"blank\"", "no text"],
        )
        .await;
    }
}

#[tokio::test]
async fn text_without_words_is_invalid_argument() {
    let mut server = seeded().await;
    for text in [
        "&& -- ... !!! ???",
        "<p>&nbsp;</p><script>var x = 1;</script>",
        "’“” —— … .",
    ] {
        assert_refused(
            &mut server,
            Some(article("punct", text)),
            Code::InvalidArgument,
            &["\"punct\"", "no words"],
        )
        .await;
    }
}

#[tokio::test]
async fn missing_article_is_invalid_argument() {
    let mut server = seeded().await;
    assert_refused(
        &mut server,
        None,
        Code::InvalidArgument,
        &["no article", "article"],
    )
    .await;
}

#[tokio::test]
async fn text_over_the_limit_is_resource_exhausted_and_names_the_limit() {
    let config = IndexConfig {
        max_text_bytes: 1000,
        ..IndexConfig::default()
    };
    let mut server = start_with_config(config).await;
    assert_eq!(server.stats().await.params.unwrap().max_text_bytes, 1000);

    let word = "syndicated ";
    let at_limit: String = word.repeat(1000 / word.len()) + &"z".repeat(1000 % word.len());
    assert_eq!(at_limit.len(), 1000);
    let over = format!("{at_limit}!");
    assert_refused(
        &mut server,
        Some(article("big", &over)),
        Code::ResourceExhausted,
        &["\"big\"", "1001", "1000"],
    )
    .await;

    // Title and text count together.
    let mut titled = article("titled", &at_limit[..600]);
    titled.title = at_limit[..500].to_owned();
    assert_refused(
        &mut server,
        Some(titled),
        Code::ResourceExhausted,
        &["1100", "1000"],
    )
    .await;

    // A seed is over 1000 bytes too.
    assert!(SEEDS[2].1.len() > 1000);
    assert_refused(
        &mut server,
        Some(article("seed", SEEDS[2].1)),
        Code::ResourceExhausted,
        &["1000"],
    )
    .await;

    // Exactly at the limit is accepted.
    let v = server.ingest(article("fits", &at_limit)).await.unwrap();
    assert!(v.stored);
    assert_eq!(server.documents().await, 1);
}

#[tokio::test]
async fn same_id_with_other_text_is_already_exists() {
    let mut server = seeded().await;
    let (id, _) = SEEDS[1];
    let status = server.ingest(article(id, SEEDS[3].1)).await.unwrap_err();
    assert_status(
        &status,
        Code::AlreadyExists,
        &[id, "different text", "remove"],
    );
    // A different title is different text too.
    let mut retitled = article(id, SEEDS[1].1);
    retitled.title = "A new headline".to_owned();
    let status = server.ingest(retitled).await.unwrap_err();
    assert_status(&status, Code::AlreadyExists, &[id]);
    assert_eq!(server.documents().await, 5);
    // The held article is untouched: its own text is still a retry of it.
    let v = server.ingest(article(id, SEEDS[1].1)).await.unwrap();
    assert!(!v.stored);
    assert_eq!(v.kind(), Kind::DistinctReport);
}

#[tokio::test]
async fn a_retry_returns_the_first_verdict_and_stores_nothing() {
    let mut server = seeded().await;
    let (seed_id, seed) = SEEDS[4];
    let text = common::variants::rewrap(seed, 3);
    let first = server.ingest(article("copy", &text)).await.unwrap();
    assert!(first.stored);
    assert_eq!(first.kind(), Kind::SyndicatedCopy);
    assert_eq!(best_id(&first), seed_id);
    assert_eq!(server.documents().await, 6);

    // Meanwhile an even better match for it arrives; the retry still answers
    // what was answered the first time.
    let exact = server.ingest(article("exact-twin", &text)).await.unwrap();
    assert_eq!(best_id(&exact), "copy");

    for _ in 0..3 {
        let again = server.ingest(article("copy", &text)).await.unwrap();
        assert!(!again.stored, "a retry stores nothing: {again:?}");
        assert_eq!(
            pb::Verdict {
                stored: true,
                ..again
            },
            first
        );
    }
    assert_eq!(server.documents().await, 7);

    // A seed retried is still distinct, not a copy of "exact-twin" or itself.
    let again = server.ingest(article(seed_id, seed)).await.unwrap();
    assert!(!again.stored);
    assert_eq!(again.kind(), Kind::DistinctReport);
    assert_eq!(again.canonical_id, seed_id);
    assert_eq!(server.documents().await, 7);
}

#[tokio::test]
async fn removing_an_unknown_id_is_not_found() {
    let mut server = seeded().await;
    let status = server
        .client
        .remove(pb::RemoveRequest {
            id: "https://never.example/seen".into(),
        })
        .await
        .unwrap_err();
    assert_status(
        &status,
        Code::NotFound,
        &["https://never.example/seen", "no article"],
    );
    // An empty id is a malformed request, as it is for Ingest.
    let status = server
        .client
        .remove(pb::RemoveRequest { id: String::new() })
        .await
        .unwrap_err();
    assert_status(&status, Code::InvalidArgument, &["id", "empty"]);
    assert_eq!(server.documents().await, 5);
}

#[tokio::test]
async fn out_of_range_thresholds_are_invalid_argument() {
    let mut server = seeded().await;
    let text = common::variants::mangle_quotes(SEEDS[0].1);
    let cases = [
        (Some(1.5), None, "jaccard_threshold", "1.5"),
        (Some(0.0), None, "jaccard_threshold", "0"),
        (Some(-0.2), None, "jaccard_threshold", "-0.2"),
        (Some(f64::NAN), None, "jaccard_threshold", "NaN"),
        (None, Some(1.01), "containment_threshold", "1.01"),
        (None, Some(0.0), "containment_threshold", "0"),
    ];
    for (jaccard, containment, name, shown) in cases {
        let options = Some(pb::MatchOptions {
            jaccard_threshold: jaccard,
            containment_threshold: containment,
            max_matches: 0,
        });
        let status = server
            .client
            .ingest(pb::IngestRequest {
                article: Some(article("opts", &text)),
                options,
            })
            .await
            .unwrap_err();
        assert_status(&status, Code::InvalidArgument, &[name, shown, "(0, 1]"]);
        let status = server
            .client
            .check(pb::CheckRequest {
                article: Some(article("opts", &text)),
                options,
            })
            .await
            .unwrap_err();
        assert_status(&status, Code::InvalidArgument, &[name, shown]);
        assert_eq!(server.documents().await, 5);
    }

    // In range, the override decides: at 1.0 only an exact twin is a copy by
    // Jaccard, and a high containment threshold rules out containment too.
    let strict = Some(pb::MatchOptions {
        jaccard_threshold: Some(1.0),
        containment_threshold: Some(1.0),
        max_matches: 0,
    });
    let text = common::variants::rewrap(SEEDS[0].1, 0);
    let v = server
        .client
        .check(pb::CheckRequest {
            article: Some(article("opts", &text)),
            options: strict,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.kind(), Kind::DistinctReport, "{v:?}");
    let v = server.check(article("opts", &text)).await.unwrap();
    assert_eq!(v.kind(), Kind::SyndicatedCopy, "{v:?}");
}

#[tokio::test]
async fn a_panic_in_the_store_is_internal_and_the_server_goes_on() {
    let mut server = start_with_store(panicky_store()).await;
    server.ingest_seeds().await;
    let before = server.stats().await;
    let text = common::variants::rewrap(SEEDS[2].1, 1);

    let status = server.ingest(article("panic-me", &text)).await.unwrap_err();
    assert_status(&status, Code::Internal, &["panicked", "not changed"]);
    // A large article is handled on the blocking pool, not on the async
    // worker: the same answer from there.
    let large = text.repeat(20_000 / text.len() + 1);
    assert!(large.len() > 16 * 1024);
    let status = server
        .ingest(article("panic-me", &large))
        .await
        .unwrap_err();
    assert_status(&status, Code::Internal, &["panicked", "not changed"]);
    let after = server.stats().await;
    assert_eq!(after.documents, before.documents);
    assert_eq!(after.buckets, before.buckets);

    // The server still answers, on the same connection and on a new one, and
    // the locks the panicking request held were released (no deadlock on the
    // same band keys).
    let within = Duration::from_secs(10);
    let v = tokio::time::timeout(within, server.ingest(article("after-panic", SEEDS[2].1)))
        .await
        .expect("no deadlock after the panic")
        .unwrap();
    assert!(v.stored);
    let mut other = server.connect().await;
    let v = tokio::time::timeout(
        within,
        other.ingest(ingest_request(article("fresh", "a different short text"))),
    )
    .await
    .expect("no deadlock after the panic")
    .unwrap()
    .into_inner();
    assert_eq!(v.kind(), Kind::DistinctReport);
    assert_eq!(server.documents().await, before.documents + 2);

    // "panic-me" is not held: Remove does not find it, a retry panics again
    // rather than answering from a half-stored record.
    let status = server
        .client
        .remove(pb::RemoveRequest {
            id: "panic-me".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    let status = server.ingest(article("panic-me", &text)).await.unwrap_err();
    assert_eq!(status.code(), Code::Internal, "{status:?}");

    // Its text under another id is ingested, and matches only what is held:
    // after-panic (the seed's text under a new id) and the seed itself.
    let v = tokio::time::timeout(within, server.ingest(article("not-panic", &text)))
        .await
        .expect("no deadlock after the panic")
        .unwrap();
    assert!(v.stored);
    assert_eq!(v.kind(), Kind::SyndicatedCopy, "{v:?}");
    assert_eq!(v.canonical_id, SEEDS[2].0);
    assert!(v.matches.iter().all(|m| m.id != "panic-me"), "{v:?}");
    assert_eq!(server.documents().await, before.documents + 3);
}

#[tokio::test]
async fn a_panic_on_an_empty_index_leaves_it_empty() {
    let mut server = start_with_store(panicky_store()).await;
    let status = server
        .ingest(article("panic-me", SEEDS[0].1))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Internal, "{status:?}");
    let stats = server.stats().await;
    assert_eq!((stats.documents, stats.buckets, stats.originals), (0, 0, 0));
    // The same text under another id is the original, not a copy of a ghost.
    let v = server
        .ingest(article("the-original", SEEDS[0].1))
        .await
        .unwrap();
    assert_eq!(v.kind(), Kind::DistinctReport, "{v:?}");
    assert_eq!(v.canonical_id, "the-original");
    assert!(v.best_match.is_none());
    assert_eq!(server.documents().await, 1);
}
