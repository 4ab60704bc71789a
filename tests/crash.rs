//! Durability of the real binary: an acknowledged Ingest survives `kill -9`
//! under `--fsync always`, and nothing unacknowledged is half-present.
//!
//! Clients ingest (and sometimes remove) articles concurrently; the server is
//! killed with SIGKILL at a random moment (the seed is printed), restarted on
//! the same data directory, and every article sent is checked.

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::process::{temp_dir, ServerProcess};
use common::{article, best_id, connect, ingest, Kind};
use syndetect::grpc::pb;

/// What a client saw for one article before the kill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    /// Ingest acknowledged (stored).
    Held,
    /// Ingest acknowledged, then Remove acknowledged.
    Removed,
    /// Sent, no answer before the kill: either outcome is allowed, but whole.
    InDoubt,
}

/// Distinct articles: their own words, several paragraphs each.
fn originals(n: usize) -> Vec<String> {
    syndetect::bench::corpus::generate(n, 1000, 0.0)
        .into_iter()
        .map(|a| a.text)
        .collect()
}

/// Each id sent, with its text and what its client saw.
type Fates = Arc<Mutex<HashMap<String, (String, Fate)>>>;

/// A syndicated copy of `text`: its first two thirds under a site's footer.
fn copy_of(text: &str) -> String {
    let words: Vec<&str> = text.split(' ').collect();
    let keep = words.len() * 2 / 3;
    format!(
        "{}\nRead the full story at the Harbor Ledger.",
        words[..keep].join(" ")
    )
}

fn seed() -> u64 {
    std::env::var("SYNDETECT_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(7, |d| d.as_nanos() as u64)
        })
}

/// Ingests from `clients` concurrent clients until the task is dropped,
/// recording each article's fate.
/// The articles one client sends, as (id, text): every third a copy of the
/// one before, the others new texts from the shared pool.
struct Feed {
    name: String,
    i: usize,
    last: String,
    texts: Arc<Vec<String>>,
    next: Arc<AtomicUsize>,
}

impl Feed {
    fn new(name: String, texts: Arc<Vec<String>>, next: Arc<AtomicUsize>) -> Self {
        Feed {
            name,
            i: 0,
            last: String::new(),
            texts,
            next,
        }
    }
}

impl Iterator for Feed {
    /// (index in the feed, id, text)
    type Item = (usize, String, String);

    fn next(&mut self) -> Option<Self::Item> {
        let i = self.i;
        let text = if i % 3 == 2 {
            copy_of(&self.last)
        } else {
            self.texts
                .get(self.next.fetch_add(1, Ordering::Relaxed))?
                .clone()
        };
        self.i += 1;
        self.last = text.clone();
        Some((i, format!("{}-{i}", self.name), text))
    }
}

fn set_fate(fates: &Fates, id: &str, text: &str, fate: Fate) {
    fates
        .lock()
        .unwrap()
        .insert(id.to_owned(), (text.to_owned(), fate));
}

/// A unary client: Ingest one at a time; every fifth article is removed
/// again once acknowledged.
async fn unary_client(addr: std::net::SocketAddr, feed: Feed, fates: Fates) {
    let mut client = connect(addr).await;
    for (i, id, text) in feed {
        set_fate(&fates, &id, &text, Fate::InDoubt);
        let Ok(v) = ingest(&mut client, article(&id, &text)).await else {
            return;
        };
        set_fate(
            &fates,
            &id,
            &text,
            if v.stored { Fate::Held } else { Fate::InDoubt },
        );
        if i % 5 == 4 {
            set_fate(&fates, &id, &text, Fate::InDoubt);
            if client
                .remove(pb::RemoveRequest { id: id.clone() })
                .await
                .is_err()
            {
                return;
            }
            set_fate(&fates, &id, &text, Fate::Removed);
        }
    }
}

/// A streaming client: one IngestStream, requests sent ahead of verdicts
/// (the server batches them and syncs the log once per batch).
async fn stream_client(addr: std::net::SocketAddr, feed: Feed, fates: Fates) {
    let mut client = connect(addr).await;
    let (tx, rx) = tokio::sync::mpsc::channel::<pb::IngestRequest>(32);
    let sent = Arc::clone(&fates);
    let sender = tokio::spawn(async move {
        for (_, id, text) in feed {
            set_fate(&sent, &id, &text, Fate::InDoubt);
            if tx
                .send(common::ingest_request(article(&id, &text)))
                .await
                .is_err()
            {
                return;
            }
        }
    });
    let Ok(response) = client
        .ingest_stream(tokio_stream::wrappers::ReceiverStream::new(rx))
        .await
    else {
        sender.abort();
        return;
    };
    let mut verdicts = response.into_inner();
    while let Ok(Some(v)) = verdicts.message().await {
        if v.stored && v.error.is_none() {
            let mut fates = fates.lock().unwrap();
            if let Some(entry) = fates.get_mut(&v.id) {
                entry.1 = Fate::Held;
            }
        }
    }
    sender.abort();
}

/// Half the clients unary, half streaming, until the server dies.
async fn load(
    addr: std::net::SocketAddr,
    round: usize,
    clients: usize,
    texts: Arc<Vec<String>>,
    next: Arc<AtomicUsize>,
    fates: Fates,
) {
    let mut tasks = Vec::new();
    for c in 0..clients {
        let feed = Feed::new(
            format!("r{round}-c{c}"),
            Arc::clone(&texts),
            Arc::clone(&next),
        );
        let fates = Arc::clone(&fates);
        tasks.push(if c % 2 == 0 {
            tokio::spawn(unary_client(addr, feed, fates))
        } else {
            tokio::spawn(stream_client(addr, feed, fates))
        });
    }
    for t in tasks {
        let _ = t.await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_ingests_survive_sigkill() {
    let seed = seed();
    println!("seed {seed} (set SYNDETECT_CRASH_SEED to replay)");
    let dir = temp_dir("crash");
    let dir_arg = dir.to_str().expect("utf-8 temp dir").to_owned();
    let args = [
        "--data-dir",
        &dir_arg,
        "--fsync",
        "always",
        "--snapshot-interval",
        "700ms",
    ];
    let texts: Arc<Vec<String>> = Arc::new(originals(20_000));
    let next = Arc::new(AtomicUsize::new(0));
    let fates: Fates = Arc::new(Mutex::new(HashMap::new()));

    for round in 0..2 {
        let server = ServerProcess::start(&args).expect("the server starts");
        let kill_after = Duration::from_millis(400 + (seed >> (round * 8)) % 1200);
        let loader = tokio::spawn(load(
            server.addr,
            round,
            4,
            Arc::clone(&texts),
            Arc::clone(&next),
            Arc::clone(&fates),
        ));
        tokio::time::sleep(kill_after).await;
        server.kill9();
        let _ = tokio::time::timeout(Duration::from_secs(10), loader).await;
        println!("round {round}: killed after {kill_after:?}");
    }

    let server = ServerProcess::start(&args).expect("the server restarts");
    let mut client = connect(server.addr).await;
    let fates = fates.lock().unwrap().clone();
    let count = |fate: Fate| fates.values().filter(|(_, f)| *f == fate).count();
    let held_count = count(Fate::Held);
    println!(
        "{} ids sent: {held_count} held, {} removed, {} in doubt",
        fates.len(),
        count(Fate::Removed),
        count(Fate::InDoubt)
    );
    assert!(
        held_count >= 20,
        "the load acknowledged too few ingests to test anything ({held_count})"
    );
    let mut present = 0u64;
    for (id, (text, fate)) in &fates {
        // Re-sending an id: stored=false means it was held (whole), stored=true
        // means it was absent (and is now stored).
        let again = ingest(&mut client, article(id, text))
            .await
            .unwrap_or_else(|e| panic!("re-ingest {id}: {e}"));
        match fate {
            Fate::Held => assert!(!again.stored, "acknowledged {id} was lost"),
            Fate::Removed => assert!(again.stored, "removed {id} came back"),
            Fate::InDoubt => {}
        }
        present += 1;
        if !again.stored {
            // Held: a copy of it must be matched to it or to its cluster.
            let copy = article(&format!("copy-of-{id}"), &copy_of(text));
            let v = client
                .check(pb::CheckRequest {
                    article: Some(copy),
                    options: Some(pb::MatchOptions {
                        max_matches: 1000,
                        ..Default::default()
                    }),
                })
                .await
                .expect("check")
                .into_inner();
            assert_eq!(v.kind(), Kind::SyndicatedCopy, "a copy of {id} is a copy");
            let named = v.matches.iter().any(|m| m.id == *id);
            assert!(
                named,
                "held {id} is matched by its copy (best: {})",
                best_id(&v)
            );
        }
    }
    let stats = client
        .stats(pb::StatsRequest {})
        .await
        .expect("stats")
        .into_inner();
    assert_eq!(stats.documents, present, "every id sent is held once now");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
