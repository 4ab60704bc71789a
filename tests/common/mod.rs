//! Shared harness of the integration tests: the real server on an ephemeral
//! port (as mini-redis' tests do), a connected client, the seed articles.
#![allow(dead_code)]

pub mod process;
pub mod variants;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use syndetect::core::{BandKey, Signature};
use syndetect::grpc::pb;
use syndetect::grpc::pb::syndetect_client::SyndetectClient;
use syndetect::index::{Index, IndexConfig};
use syndetect::server::{self, ServeError, ServeOptions};
use syndetect::storage::{DocId, Held, MemoryStore, Record, Store};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tonic::transport::Channel;

#[allow(unused_imports)]
pub use pb::verdict::Kind;

/// The five seed articles (distinct reports on one story), as (id, text).
pub const SEEDS: [(&str, &str); 5] = [
    (
        "seed-000_bfcb690c9e2be059",
        include_str!("../fixtures/seeds/000_bfcb690c9e2be059.txt"),
    ),
    (
        "seed-001_87a3e83879af6b9e",
        include_str!("../fixtures/seeds/001_87a3e83879af6b9e.txt"),
    ),
    (
        "seed-002_49eb4525e4a1980a",
        include_str!("../fixtures/seeds/002_49eb4525e4a1980a.txt"),
    ),
    (
        "seed-003_1dacb39100a90cdf",
        include_str!("../fixtures/seeds/003_1dacb39100a90cdf.txt"),
    ),
    (
        "seed-004_6cafe41d9e784b11",
        include_str!("../fixtures/seeds/004_6cafe41d9e784b11.txt"),
    ),
];

/// A server running in a background task, and a client connected to it.
pub struct TestServer {
    pub addr: SocketAddr,
    pub client: SyndetectClient<Channel>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), ServeError>>>,
}

/// A server over an empty in-memory index with the default configuration.
pub async fn start() -> TestServer {
    start_with(IndexConfig::default(), MemoryStore::new()).await
}

/// A server over an empty in-memory index with `config`.
pub async fn start_with_config(config: IndexConfig) -> TestServer {
    start_with(config, MemoryStore::new()).await
}

/// A server over `store` with the default configuration.
pub async fn start_with_store<S: Store>(store: S) -> TestServer {
    start_with(IndexConfig::default(), store).await
}

/// A server over `store` with `config`, on `127.0.0.1:0`.
pub async fn start_with<S: Store>(config: IndexConfig, store: S) -> TestServer {
    let mut options = ServeOptions::for_text_limit(config.max_text_bytes);
    // Real parallelism on the blocking pool even on a small machine.
    options.workers = 8;
    let index = Arc::new(Index::new(config, store).expect("valid test config"));
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(server::serve(listener, index, options, async {
        let _ = rx.await;
    }));
    let client = connect(addr).await;
    TestServer {
        addr,
        client,
        shutdown: Some(tx),
        task: Some(task),
    }
}

/// A new client on its own connection.
pub async fn connect(addr: SocketAddr) -> SyndetectClient<Channel> {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .expect("valid uri")
        .connect_timeout(Duration::from_secs(5))
        .connect()
        .await
        .expect("connect to the test server");
    SyndetectClient::new(channel)
}

impl TestServer {
    /// A new client on its own connection.
    pub async fn connect(&self) -> SyndetectClient<Channel> {
        connect(self.addr).await
    }

    /// Triggers the graceful shutdown and returns what `serve` returned.
    pub async fn shutdown(mut self) -> Result<(), ServeError> {
        let _ = self.shutdown.take().expect("not shut down yet").send(());
        let task = self.task.take().expect("running");
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("the server stops within 10 s of the shutdown signal")
            .expect("the serve task did not panic")
    }

    /// Stats.documents.
    pub async fn documents(&mut self) -> u64 {
        self.stats().await.documents
    }

    pub async fn stats(&mut self) -> pb::StatsResponse {
        self.client
            .stats(pb::StatsRequest {})
            .await
            .expect("Stats")
            .into_inner()
    }

    pub async fn ingest(&mut self, article: pb::Article) -> Result<pb::Verdict, tonic::Status> {
        ingest(&mut self.client, article).await
    }

    pub async fn check(&mut self, article: pb::Article) -> Result<pb::Verdict, tonic::Status> {
        check(&mut self.client, article).await
    }

    /// Ingests the five seeds, asserting each is stored.
    pub async fn ingest_seeds(&mut self) {
        for (id, text) in SEEDS {
            let v = self.ingest(article(id, text)).await.expect("seed ingest");
            assert!(v.stored, "seed {id} stored");
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// An article with only an id and a text.
pub fn article(id: &str, text: &str) -> pb::Article {
    pb::Article {
        id: id.to_owned(),
        text: text.to_owned(),
        ..Default::default()
    }
}

pub fn ingest_request(article: pb::Article) -> pb::IngestRequest {
    pb::IngestRequest {
        article: Some(article),
        options: None,
    }
}

pub async fn ingest(
    client: &mut SyndetectClient<Channel>,
    article: pb::Article,
) -> Result<pb::Verdict, tonic::Status> {
    client
        .ingest(ingest_request(article))
        .await
        .map(tonic::Response::into_inner)
}

pub async fn check(
    client: &mut SyndetectClient<Channel>,
    article: pb::Article,
) -> Result<pb::Verdict, tonic::Status> {
    client
        .check(pb::CheckRequest {
            article: Some(article),
            options: None,
        })
        .await
        .map(tonic::Response::into_inner)
}

/// The id of a verdict's best match, or "" when it has none.
pub fn best_id(v: &pb::Verdict) -> &str {
    v.best_match.as_ref().map_or("", |m| m.id.as_str())
}

/// An in-memory store that runs a hook before every insert (to slow inserts
/// down, or to make one panic), delegating everything else.
pub struct HookedStore {
    inner: MemoryStore,
    hook: Box<dyn Fn(&Record) + Send + Sync>,
    /// Whether `reserve` fails as an allocator refusing it would.
    refuse_reserve: bool,
}

impl HookedStore {
    /// A store calling `hook` with each record about to be inserted.
    pub fn before_insert(hook: impl Fn(&Record) + Send + Sync + 'static) -> Self {
        HookedStore {
            inner: MemoryStore::new(),
            hook: Box::new(hook),
            refuse_reserve: false,
        }
    }

    /// A store whose every `reserve` is refused.
    pub fn refusing_reserve() -> Self {
        HookedStore {
            refuse_reserve: true,
            ..Self::before_insert(|_| {})
        }
    }
}

impl Store for HookedStore {
    fn get_by_id(&self, id: &str) -> Option<Arc<Record>> {
        self.inner.get_by_id(id)
    }
    fn get(&self, doc: DocId) -> Option<Arc<Record>> {
        self.inner.get(doc)
    }
    fn candidates(&self, keys: &[BandKey], out: &mut Vec<DocId>) {
        self.inner.candidates(keys, out)
    }
    fn signature_of(&self, record: &Record) -> Option<Signature> {
        self.inner.signature_of(record)
    }
    fn held_where(
        &self,
        docs: &[DocId],
        keep: &mut dyn FnMut(&Record, &[u16]) -> bool,
        out: &mut Vec<Held>,
    ) {
        self.inner.held_where(docs, keep, out)
    }
    fn reserve(
        &mut self,
        articles: usize,
        minima: usize,
        keys_per_article: usize,
    ) -> Result<(), std::collections::TryReserveError> {
        if self.refuse_reserve {
            // An allocator's refusal, as `try_reserve` reports it.
            return Vec::<u8>::new().try_reserve(usize::MAX);
        }
        self.inner.reserve(articles, minima, keys_per_article)
    }
    fn insert(
        &self,
        record: Record,
        signature: &Signature,
        keys: &[BandKey],
    ) -> Result<Arc<Record>, Arc<Record>> {
        (self.hook)(&record);
        self.inner.insert(record, signature, keys)
    }
    fn remove(&self, id: &str, keys: &[BandKey]) -> Option<Arc<Record>> {
        self.inner.remove(id, keys)
    }
    fn len(&self) -> usize {
        self.inner.len()
    }
    fn buckets(&self) -> usize {
        self.inner.buckets()
    }
    fn originals(&self) -> usize {
        self.inner.originals()
    }
    fn all_docs(&self, out: &mut Vec<DocId>) {
        self.inner.all_docs(out)
    }
    fn segment_reports(&self, segment: u64) -> u32 {
        self.inner.segment_reports(segment)
    }
    fn segment_reports_many(&self, keys: &[u64], out: &mut Vec<u32>) {
        self.inner.segment_reports_many(keys, out)
    }
    fn add_segment_reports(&self, segments: &[u64]) -> Vec<u32> {
        self.inner.add_segment_reports(segments)
    }
    fn sub_segment_reports(&self, segments: &[u64]) {
        self.inner.sub_segment_reports(segments)
    }
    fn add_furniture_shingles(&self, shingles: &[u32]) {
        self.inner.add_furniture_shingles(shingles)
    }
    fn is_furniture_shingle(&self, shingle: u32) -> bool {
        self.inner.is_furniture_shingle(shingle)
    }
    fn segment_counters(&self) -> usize {
        self.inner.segment_counters()
    }
    fn furniture_shingles(&self) -> usize {
        self.inner.furniture_shingles()
    }
    fn for_each_segment_report(&self, f: &mut dyn FnMut(u64, u32)) {
        self.inner.for_each_segment_report(f)
    }
    fn restore_segment_reports(&self, entries: &[(u64, u32)]) {
        self.inner.restore_segment_reports(entries)
    }
    fn furniture_list(&self) -> Vec<u32> {
        self.inner.furniture_list()
    }
    fn approx_bytes(&self) -> u64 {
        self.inner.approx_bytes()
    }
}
