//! Remove: the article is no longer matched nor counted; removing twice is
//! NOT_FOUND; a removed id can be ingested again, with any text.

mod common;

use common::variants::{mangle_quotes, rewrap, truncate_half};
use common::{article, best_id, start, Kind, TestServer, SEEDS};
use syndetect::grpc::pb;
use tonic::Code;

async fn remove(server: &mut TestServer, id: &str) -> Result<pb::RemoveResponse, tonic::Status> {
    server
        .client
        .remove(pb::RemoveRequest { id: id.to_owned() })
        .await
        .map(tonic::Response::into_inner)
}

#[tokio::test]
async fn a_removed_article_is_no_longer_matched_nor_counted() {
    let mut server = start().await;
    server.ingest_seeds().await;
    let (id, seed) = SEEDS[3];
    let copy = rewrap(seed, 2);

    // Before: a copy of it is found.
    let v = server.check(article("copy", &copy)).await.unwrap();
    assert_eq!(v.kind(), Kind::SyndicatedCopy);
    assert_eq!(best_id(&v), id);
    let before = server.stats().await;

    let removed = remove(&mut server, id).await.unwrap();
    assert_eq!(removed.id, id);
    let after = server.stats().await;
    assert_eq!(after.documents, before.documents - 1);
    assert_eq!(after.originals, before.originals - 1);
    assert!(
        after.buckets < before.buckets,
        "its buckets are gone: {after:?}"
    );

    // After: neither Check nor Ingest finds it.
    let v = server.check(article("copy", &copy)).await.unwrap();
    assert_eq!(v.kind(), Kind::DistinctReport, "{v:?}");
    assert!(v.matches.is_empty(), "{v:?}");
    let v = server.ingest(article("copy", &copy)).await.unwrap();
    assert_eq!(v.kind(), Kind::DistinctReport, "{v:?}");
    assert_eq!(v.canonical_id, "copy");
    assert_eq!(server.documents().await, before.documents);

    // The other seeds are untouched.
    for (other, text) in SEEDS.iter().filter(|(other, _)| *other != id) {
        let v = server
            .check(article("probe", &mangle_quotes(text)))
            .await
            .unwrap();
        assert_eq!(best_id(&v), *other, "{v:?}");
    }
}

#[tokio::test]
async fn removing_twice_is_not_found() {
    let mut server = start().await;
    server.ingest_seeds().await;
    let (id, _) = SEEDS[0];
    remove(&mut server, id).await.unwrap();
    let status = remove(&mut server, id).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    assert!(status.message().contains(id), "{status:?}");
    assert_eq!(server.documents().await, 4);
}

#[tokio::test]
async fn a_removed_id_can_be_ingested_again_with_other_text() {
    let mut server = start().await;
    server.ingest_seeds().await;
    let (id, seed) = SEEDS[1];
    let (_, other_text) = SEEDS[4];

    // Held: other text under this id is refused.
    let status = server.ingest(article(id, other_text)).await.unwrap_err();
    assert_eq!(status.code(), Code::AlreadyExists);

    remove(&mut server, id).await.unwrap();
    // Removed: the same id with other text is a new article. That text is a
    // copy of the fifth seed.
    let v = server
        .ingest(article(id, &truncate_half(other_text)))
        .await
        .unwrap();
    assert!(v.stored, "{v:?}");
    assert_eq!(v.kind(), Kind::SyndicatedCopy, "{v:?}");
    assert_eq!(v.canonical_id, SEEDS[4].0);
    assert_eq!(server.documents().await, 5);

    // And the old text under a new id finds nothing of itself any more.
    let v = server.ingest(article("old-text", seed)).await.unwrap();
    assert_eq!(v.kind(), Kind::DistinctReport, "{v:?}");
    assert_eq!(server.documents().await, 6);

    // Remove then ingest the very same text again: stored afresh, not a retry.
    remove(&mut server, "old-text").await.unwrap();
    let v = server.ingest(article("old-text", seed)).await.unwrap();
    assert!(v.stored, "{v:?}");
    assert_eq!(v.kind(), Kind::DistinctReport);
}

/// Copies already held keep naming a removed original as their canonical id,
/// and a later copy finds the cluster through them.
#[tokio::test]
async fn copies_outlive_their_removed_original() {
    let mut server = start().await;
    let (id, seed) = SEEDS[2];
    server.ingest(article(id, seed)).await.unwrap();
    let v = server
        .ingest(article("copy-1", &rewrap(seed, 0)))
        .await
        .unwrap();
    assert_eq!(v.canonical_id, id);

    remove(&mut server, id).await.unwrap();
    let v = server
        .ingest(article("copy-2", &mangle_quotes(&rewrap(seed, 0))))
        .await
        .unwrap();
    assert_eq!(v.kind(), Kind::SyndicatedCopy, "{v:?}");
    assert_eq!(best_id(&v), "copy-1");
    assert_eq!(v.canonical_id, id, "the cluster keeps its first-seen id");
    assert!(v.matches.iter().all(|m| m.id != id), "{v:?}");
    assert_eq!(server.documents().await, 2);
}
