//! Lifecycle of the real binary with a data directory: SIGINT drains,
//! snapshots and exits 0; a second SIGINT exits at once; a damaged snapshot
//! stops the start with an error naming it.

mod common;

use std::process::ExitStatus;
use std::time::Duration;

use common::process::{temp_dir, ServerProcess};
use common::{article, connect, ingest, SEEDS};
use syndetect::grpc::pb;

fn data_args(dir: &std::path::Path) -> Vec<String> {
    vec![
        "--data-dir".to_owned(),
        dir.to_str().expect("utf-8 temp dir").to_owned(),
    ]
}

fn start(args: &[String]) -> ServerProcess {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    ServerProcess::start(&args).unwrap_or_else(|f| panic!("the server starts: {f:?}"))
}

async fn documents(addr: std::net::SocketAddr) -> pb::StatsResponse {
    connect(addr)
        .await
        .stats(pb::StatsRequest {})
        .await
        .expect("stats")
        .into_inner()
}

/// Starts the binary with `args`, ingests the seeds, stops it with SIGINT:
/// whether each seed was stored, and the exit status and log.
async fn ingest_seeds_then_sigint(args: &[String]) -> (Vec<bool>, Option<ExitStatus>, String) {
    let server = start(args);
    let mut client = connect(server.addr).await;
    let mut stored = Vec::new();
    for (id, text) in SEEDS {
        let v = ingest(&mut client, article(id, text))
            .await
            .expect("ingest");
        stored.push(v.stored);
    }
    drop(client);
    server.sigint();
    let (status, log) = server.wait(Duration::from_secs(20));
    (stored, status, log)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_snapshots_and_exits_zero_and_a_restart_holds_everything() {
    let dir = temp_dir("sigint");
    let args = data_args(&dir);
    let (stored, status, log) = ingest_seeds_then_sigint(&args).await;
    assert!(stored.iter().all(|s| *s), "{stored:?}");
    let status = status.unwrap_or_else(|| panic!("exits after SIGINT: {log}"));
    assert_eq!(status.code(), Some(0), "graceful exit: {log}");
    assert!(log.contains("snapshot written at shutdown"), "{log}");
    assert!(dir.join("snapshot.bin").exists());

    let server = start(&args);
    let stats = documents(server.addr).await;
    assert_eq!(stats.documents, SEEDS.len() as u64);
    assert!(stats.durable);
    assert!(
        server.log().contains("data directory loaded"),
        "{}",
        server.log()
    );
    let mut client = connect(server.addr).await;
    let again = ingest(&mut client, article(SEEDS[2].0, SEEDS[2].1))
        .await
        .expect("retry");
    assert!(!again.stored, "held across the restart");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sigint_exits_at_once() {
    let dir = temp_dir("sigint2");
    let server = start(&data_args(&dir));
    // An open stream keeps the graceful shutdown waiting.
    let mut client = connect(server.addr).await;
    let (tx, rx) = tokio::sync::mpsc::channel::<pb::IngestRequest>(1);
    let stream = tokio_stream::wrappers::ReceiverStream::new(rx);
    let call = tokio::spawn(async move { client.ingest_stream(stream).await });
    tx.send(common::ingest_request(article(SEEDS[0].0, SEEDS[0].1)))
        .await
        .expect("send");
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.sigint();
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        server.log().contains("shutting down gracefully"),
        "{}",
        server.log()
    );
    server.sigint();
    let (status, log) = server.wait(Duration::from_secs(5));
    let status = status.expect("exits within 5 s of the second SIGINT");
    assert_eq!(status.code(), Some(130), "{log}");
    drop(tx);
    call.abort();
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_snapshot_stops_the_start_with_an_error_naming_it() {
    let dir = temp_dir("badsnap");
    let args = data_args(&dir);
    let (_, status, _) = ingest_seeds_then_sigint(&args).await;
    assert_eq!(status.and_then(|s| s.code()), Some(0));

    let snapshot = dir.join("snapshot.bin");
    let mut bytes = std::fs::read(&snapshot).expect("snapshot");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xFF;
    std::fs::write(&snapshot, bytes).expect("write");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let failed = match ServerProcess::start(&args) {
        Ok(_) => panic!("a corrupt snapshot must stop the start"),
        Err(failed) => failed,
    };
    let code = failed.status.and_then(|s| s.code());
    assert!(matches!(code, Some(c) if c != 0), "{failed:?}");
    assert!(
        failed.log.contains(&snapshot.display().to_string()) && failed.log.contains("corrupt"),
        "the error names the file: {}",
        failed.log
    );
    let _ = std::fs::remove_dir_all(&dir);
}
