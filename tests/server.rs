//! The server around the service: grpc.health.v1, server reflection, Stats'
//! parameters, and graceful shutdown.

mod common;

use std::time::Duration;

use common::{article, connect, ingest_request, start, Kind, SEEDS};
use syndetect::grpc::pb;
use syndetect::index::IndexConfig;
use tokio_stream::StreamExt;
use tonic::transport::Channel;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
use tonic_reflection::pb::v1::ServerReflectionRequest;

async fn channel(addr: std::net::SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .expect("connect")
}

#[tokio::test]
async fn health_reports_serving() {
    let server = start().await;
    let mut health = HealthClient::new(channel(server.addr).await);
    for service in ["", "syndetect.v1.Syndetect"] {
        let response = health
            .check(HealthCheckRequest {
                service: service.to_owned(),
            })
            .await
            .unwrap_or_else(|s| panic!("health of {service:?}: {s:?}"))
            .into_inner();
        assert_eq!(response.status(), ServingStatus::Serving, "{service:?}");
    }
    // A service that is not there is not reported serving.
    let status = health
        .check(HealthCheckRequest {
            service: "syndetect.v1.Nothing".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound, "{status:?}");
}

async fn reflect(
    client: &mut ServerReflectionClient<Channel>,
    request: MessageRequest,
) -> MessageResponse {
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(request),
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("reflection")
        .into_inner();
    responses
        .next()
        .await
        .expect("one response")
        .expect("no error")
        .message_response
        .expect("a message response")
}

#[tokio::test]
async fn reflection_lists_and_describes_the_service() {
    let server = start().await;
    let mut client = ServerReflectionClient::new(channel(server.addr).await);

    let MessageResponse::ListServicesResponse(list) =
        reflect(&mut client, MessageRequest::ListServices(String::new())).await
    else {
        panic!("not a list of services");
    };
    let names: Vec<&str> = list.service.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains(&"syndetect.v1.Syndetect"), "{names:?}");
    assert!(names.contains(&"grpc.health.v1.Health"), "{names:?}");

    let MessageResponse::FileDescriptorResponse(files) = reflect(
        &mut client,
        MessageRequest::FileContainingSymbol("syndetect.v1.Syndetect".to_owned()),
    )
    .await
    else {
        panic!("not a file descriptor");
    };
    let bytes: Vec<u8> = files.file_descriptor_proto.concat();
    let has = |needle: &str| bytes.windows(needle.len()).any(|w| w == needle.as_bytes());
    assert!(has("syndetect/v1/syndetect.proto"), "the file is named");
    assert!(
        has("IngestStream") && has("Verdict"),
        "the service is described"
    );
}

#[tokio::test]
async fn stats_reports_the_parameters_in_force() {
    let mut server = start().await;
    let stats = server.stats().await;
    assert_eq!((stats.documents, stats.buckets, stats.originals), (0, 0, 0));
    let p = stats.params.expect("params");
    let d = IndexConfig::default();
    assert_eq!(p.shingle_size, 3);
    assert_eq!(p.permutations, 128);
    assert!(p.bands >= 1 && p.rows >= 1, "{p:?}");
    assert!(p.bands * p.rows <= p.permutations, "{p:?}");
    assert_eq!(p.lsh_threshold, d.lsh_threshold);
    assert_eq!(p.jaccard_threshold, d.jaccard_threshold);
    assert_eq!(p.containment_threshold, d.containment_threshold);
    assert_eq!(p.min_containment_shingles, d.min_containment_shingles);
    assert_eq!(p.max_matches, 5);
    assert_eq!(p.max_text_bytes, 1 << 20);
    assert!(p.min_containment_shingles >= 1);
    assert!(
        p.recall_at_threshold >= 0.95 && p.recall_at_threshold <= 1.0,
        "{p:?}"
    );
    // The reported recall is the S-curve of the reported bands × rows.
    let s_curve = 1.0 - (1.0 - p.lsh_threshold.powi(p.rows as i32)).powi(p.bands as i32);
    assert!(
        (p.recall_at_threshold - s_curve).abs() < 1e-9,
        "{p:?} vs {s_curve}"
    );
    assert!((0.0..1.0).contains(&p.false_positive_area), "{p:?}");
    assert!((0.0..1.0).contains(&p.false_negative_area), "{p:?}");

    // Counts follow what is held.
    server.ingest_seeds().await;
    let stats = server.stats().await;
    assert_eq!((stats.documents, stats.originals), (5, 5));
    assert!(stats.buckets >= p.bands as u64, "{stats:?}");
    assert!(stats.approx_bytes > 0 && !stats.durable, "{stats:?}");
    assert_eq!(stats.evictions, 0);
}

#[tokio::test]
async fn stats_reports_evictions_under_max_docs() {
    let config = IndexConfig {
        max_docs: 3,
        capacity: 3,
        ..IndexConfig::default()
    };
    let mut server = common::start_with_config(config).await;
    let empty = server.stats().await.approx_bytes;
    server.ingest_seeds().await;
    let stats = server.stats().await;
    assert_eq!((stats.documents, stats.evictions), (3, 2), "{stats:?}");
    let params = stats.params.expect("params");
    assert_eq!((params.max_docs, params.capacity), (3, 3));
    assert!(stats.approx_bytes > empty, "{stats:?}");
    // The two first seeds (arrival order, no publication time) went.
    for (id, _) in &SEEDS[..2] {
        let status = server
            .client
            .remove(pb::RemoveRequest {
                id: (*id).to_owned(),
            })
            .await
            .expect_err("evicted");
        assert_eq!(status.code(), tonic::Code::NotFound);
    }
}

#[tokio::test]
async fn max_matches_caps_the_matches_best_first() {
    let mut server = start().await;
    let (_, seed) = SEEDS[0];
    for i in 0..7 {
        server
            .ingest(article(
                &format!("copy-{i}"),
                &common::variants::rewrap(seed, i),
            ))
            .await
            .unwrap();
    }
    let probe = common::variants::rewrap(seed, 3);
    // Default: the server's max_matches (5).
    let v = server.check(article("probe", &probe)).await.unwrap();
    assert_eq!(v.matches.len(), 5, "{v:?}");
    assert_eq!(
        v.best_match.as_ref().unwrap().id,
        "copy-3",
        "the exact twin first"
    );
    assert!(
        v.matches.windows(2).all(|w| w[0].jaccard >= w[1].jaccard),
        "{v:?}"
    );
    // Per request.
    let v = server
        .client
        .check(pb::CheckRequest {
            article: Some(article("probe", &probe)),
            options: Some(pb::MatchOptions {
                max_matches: 2,
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(v.matches.len(), 2, "{v:?}");
    assert_eq!(v.kind(), Kind::SyndicatedCopy);
}

#[tokio::test]
async fn shutdown_lets_in_flight_streams_finish_then_returns_ok() {
    let server = start().await;
    let addr = server.addr;
    let mut client = connect(addr).await;

    // A stream is open when the shutdown is triggered.
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    let mut verdicts = client
        .ingest_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
        .unwrap()
        .into_inner();
    tx.send(ingest_request(article("before", SEEDS[0].1)))
        .await
        .unwrap();
    let v = verdicts.next().await.unwrap().unwrap();
    assert!(v.stored);

    let stopping = tokio::spawn(server.shutdown());
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !stopping.is_finished(),
        "the server waits for the open stream"
    );

    // The in-flight stream is still served.
    tx.send(ingest_request(article("during", SEEDS[1].1)))
        .await
        .unwrap();
    let v = tokio::time::timeout(Duration::from_secs(5), verdicts.next())
        .await
        .expect("answered during shutdown")
        .expect("stream open")
        .expect("no error");
    assert_eq!(v.id, "during");
    assert!(v.stored);
    drop(tx);
    assert!(verdicts.next().await.is_none());

    let result = stopping.await.expect("shutdown task");
    assert!(result.is_ok(), "serve returned {result:?}");

    // Nothing listens any more.
    let refused = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect_timeout(Duration::from_secs(2))
        .connect()
        .await;
    assert!(refused.is_err(), "the port still accepts connections");
}

#[tokio::test]
async fn shutdown_of_an_idle_server_returns_ok() {
    let mut server = start().await;
    assert_eq!(server.documents().await, 0);
    let addr = server.addr;
    let result = server.shutdown().await;
    assert!(result.is_ok(), "{result:?}");
    assert!(Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .is_err());
}
