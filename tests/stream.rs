//! IngestStream: one Verdict per request, in request order; a failed request
//! yields a verdict carrying its error and the stream goes on; a copy later in
//! the stream matches its original earlier in it.

mod common;

use std::time::Duration;

use common::variants::{glue_sentences, mangle_quotes, repeat_paragraphs, rewrap, truncate_half};
use common::{article, best_id, ingest_request, start, start_with_config, Kind, SEEDS};
use syndetect::grpc::pb;
use syndetect::index::IndexConfig;
use tokio_stream::wrappers::ReceiverStream;
use tokio_stream::StreamExt;
use tonic::Code;

#[derive(Debug, Clone)]
enum Expect {
    /// A distinct report, stored.
    Distinct,
    /// A stored copy whose cluster is `canonical`, and whose best match is
    /// `best` when given.
    Copy {
        canonical: String,
        best: Option<String>,
    },
    /// Not stored, the same verdict as the earlier request at this index.
    Retry(usize),
    /// A failed item with this code and a message mentioning this.
    Fails(Code, &'static str),
}

fn req(id: &str, text: &str) -> pb::IngestRequest {
    ingest_request(article(id, text))
}

fn seed_copies(n: usize) -> Vec<(&'static str, String)> {
    let seed = SEEDS[n].1;
    vec![
        ("rewrap", rewrap(seed, n)),
        ("mangle", mangle_quotes(seed)),
        ("glue", glue_sentences(seed)),
        ("repeat", repeat_paragraphs(seed)),
        ("truncate", truncate_half(seed)),
        ("rewrap+glue", glue_sentences(&rewrap(seed, n + 1))),
    ]
}

/// Bad requests, each with the code it must fail with.
fn bad_requests() -> Vec<(pb::IngestRequest, Code, &'static str)> {
    let over = "word ".repeat(2_100); // 10,500 bytes, over the 10,000 limit
    vec![
        (
            pb::IngestRequest {
                article: None,
                options: None,
            },
            Code::InvalidArgument,
            "no article",
        ),
        (req("", SEEDS[0].1), Code::InvalidArgument, "id is empty"),
        (req("blank", " \n\t "), Code::InvalidArgument, "no text"),
        (
            req("punct", "&& -- ... !!!"),
            Code::InvalidArgument,
            "no words",
        ),
        (req("big", &over), Code::ResourceExhausted, "10000"),
        // The first seed's id with the second seed's text.
        (
            req(SEEDS[0].0, SEEDS[1].1),
            Code::AlreadyExists,
            "different text",
        ),
        (
            pb::IngestRequest {
                article: Some(article("opts", SEEDS[3].1)),
                options: Some(pb::MatchOptions {
                    jaccard_threshold: Some(1.5),
                    containment_threshold: None,
                    max_matches: 0,
                }),
            },
            Code::InvalidArgument,
            "jaccard_threshold",
        ),
    ]
}

#[tokio::test]
async fn one_verdict_per_request_in_order_and_errors_do_not_end_the_stream() {
    let config = IndexConfig {
        max_text_bytes: 10_000,
        ..IndexConfig::default()
    };
    let mut server = start_with_config(config).await;

    let mut requests: Vec<pb::IngestRequest> = Vec::new();
    let mut expected: Vec<Expect> = Vec::new();
    let mut bad = bad_requests().into_iter();
    for (n, (seed_id, seed)) in SEEDS.iter().enumerate() {
        requests.push(req(seed_id, seed));
        expected.push(Expect::Distinct);
        for (k, (kind, text)) in seed_copies(n).into_iter().enumerate() {
            requests.push(req(&format!("{seed_id}/{kind}"), &text));
            expected.push(Expect::Copy {
                canonical: seed_id.to_string(),
                // The first copy can only match the seed: it is the only
                // article of its story held so far.
                best: (k == 0).then(|| seed_id.to_string()),
            });
            if k % 3 == 1 {
                if let Some((request, code, needle)) = bad.next() {
                    requests.push(request);
                    expected.push(Expect::Fails(code, needle));
                }
            }
        }
        if n == 2 {
            // A retry of a seed and of a copy, mid-stream.
            let first_copy = expected
                .iter()
                .position(|e| matches!(e, Expect::Copy { best: Some(_), .. }))
                .unwrap();
            requests.push(requests[0].clone());
            expected.push(Expect::Retry(0));
            requests.push(requests[first_copy].clone());
            expected.push(Expect::Retry(first_copy));
        }
    }
    for (request, code, needle) in bad {
        requests.push(request);
        expected.push(Expect::Fails(code, needle));
    }
    // A last good one after the errors: the stream is still going.
    requests.push(req("last", &mangle_quotes(&rewrap(SEEDS[4].1, 7))));
    expected.push(Expect::Copy {
        canonical: SEEDS[4].0.to_string(),
        best: None,
    });
    assert!(requests.len() >= 45, "{} requests", requests.len());
    assert_eq!(requests.len(), expected.len());

    let ids: Vec<String> = requests
        .iter()
        .map(|r| r.article.as_ref().map(|a| a.id.clone()).unwrap_or_default())
        .collect();
    let response = server
        .client
        .ingest_stream(tokio_stream::iter(requests.clone()))
        .await
        .expect("IngestStream starts");
    let verdicts: Vec<pb::Verdict> = tokio::time::timeout(
        Duration::from_secs(30),
        response
            .into_inner()
            .map(|item| item.expect("no stream-level error"))
            .collect(),
    )
    .await
    .expect("the stream ends");

    assert_eq!(verdicts.len(), requests.len(), "one verdict per request");
    let mut stored = 0;
    for (i, (v, want)) in verdicts.iter().zip(&expected).enumerate() {
        assert_eq!(v.id, ids[i], "verdict {i} is for request {i}");
        match want {
            Expect::Distinct => {
                assert!(v.error.is_none(), "{i}: {v:?}");
                assert_eq!(v.kind(), Kind::DistinctReport, "{i}: {v:?}");
                assert_eq!(v.canonical_id, ids[i]);
                assert!(v.stored);
                stored += 1;
            }
            Expect::Copy { canonical, best } => {
                assert!(v.error.is_none(), "{i}: {v:?}");
                assert_eq!(v.kind(), Kind::SyndicatedCopy, "{i} {}: {v:?}", ids[i]);
                assert_eq!(&v.canonical_id, canonical, "{i}: {v:?}");
                if let Some(best) = best {
                    assert_eq!(best_id(v), best, "{i}: {v:?}");
                }
                assert!(v.stored);
                stored += 1;
            }
            Expect::Retry(first) => {
                assert!(v.error.is_none(), "{i}: {v:?}");
                assert!(!v.stored, "{i}: a retry stores nothing: {v:?}");
                assert_eq!(
                    &pb::Verdict {
                        stored: true,
                        ..v.clone()
                    },
                    &verdicts[*first]
                );
            }
            Expect::Fails(code, needle) => {
                let error = v
                    .error
                    .as_ref()
                    .unwrap_or_else(|| panic!("{i} should fail: {v:?}"));
                assert_eq!(error.code, *code as i32, "{i}: {error:?}");
                assert!(
                    error.message.contains(needle),
                    "{i}: {error:?} should mention {needle:?}"
                );
                assert_eq!(v.kind(), Kind::Unspecified, "{i}: {v:?}");
                assert!(!v.stored);
                assert!(
                    v.best_match.is_none() && v.canonical_id.is_empty(),
                    "{i}: {v:?}"
                );
            }
        }
    }
    assert_eq!(server.documents().await, stored);
    assert_eq!(server.stats().await.originals, 5);
}

/// Interactive use: each request is answered before the next is sent, and a
/// failed one leaves the stream open for the next.
#[tokio::test]
async fn the_stream_answers_each_request_as_it_comes() {
    let mut server = start().await;
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let mut verdicts = server
        .client
        .ingest_stream(ReceiverStream::new(rx))
        .await
        .expect("IngestStream starts")
        .into_inner();
    let within = Duration::from_secs(10);
    let mut next = async || {
        tokio::time::timeout(within, verdicts.next())
            .await
            .expect("an answer before the next request")
            .expect("the stream is open")
            .expect("no stream-level error")
    };

    tx.send(req("orig", SEEDS[1].1)).await.unwrap();
    let v = next().await;
    assert_eq!((v.id.as_str(), v.kind()), ("orig", Kind::DistinctReport));

    tx.send(req("", "text")).await.unwrap();
    let v = next().await;
    assert_eq!(v.error.map(|e| e.code), Some(Code::InvalidArgument as i32));

    tx.send(req("orig", SEEDS[2].1)).await.unwrap();
    let v = next().await;
    assert_eq!(v.error.map(|e| e.code), Some(Code::AlreadyExists as i32));

    tx.send(req("copy", &glue_sentences(&mangle_quotes(SEEDS[1].1))))
        .await
        .unwrap();
    let v = next().await;
    assert_eq!(v.kind(), Kind::SyndicatedCopy, "{v:?}");
    assert_eq!(best_id(&v), "orig");
    assert_eq!(v.canonical_id, "orig");

    // Closing the request side ends the response stream cleanly.
    drop(tx);
    let end = tokio::time::timeout(within, verdicts.next())
        .await
        .expect("the stream ends");
    assert!(end.is_none(), "{end:?}");
    assert_eq!(server.documents().await, 2);
}

#[tokio::test]
async fn an_empty_stream_yields_nothing() {
    let mut server = start().await;
    let verdicts: Vec<_> = server
        .client
        .ingest_stream(tokio_stream::iter(Vec::<pb::IngestRequest>::new()))
        .await
        .unwrap()
        .into_inner()
        .collect()
        .await;
    assert!(verdicts.is_empty(), "{verdicts:?}");
    assert_eq!(server.documents().await, 0);
}
