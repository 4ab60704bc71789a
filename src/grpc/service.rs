//! Thin handlers: request → core types → index → response. The index's
//! errors become statuses through `grpc::status`.
//!
//! Where the index work runs: at most `workers` operations at once
//! (`super::workers`). A small request against an in-memory index (tens of
//! microseconds of CPU, no disk) runs on the async worker that received it
//! when a slot is free at once, which saves two thread hand-offs a request
//! (about a fifth of the unary throughput); anything that may take long (a
//! large article, a stream batch) or touch the disk (a data directory), and
//! any request that finds every slot busy, goes to tokio's blocking pool in
//! its turn, so the reactor never waits on it.

use std::pin::Pin;
use std::sync::Arc;

use futures_util::{FutureExt, Stream};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use super::convert::{failed_item, request_parts};
use super::pb;
use super::workers::Workers;
use crate::error::{Error, Result};
use crate::index::{Index, PendingSync};
use crate::storage::Store;

/// Verdicts buffered per stream before the server waits for the client.
const STREAM_BUFFER: usize = 256;

/// Stream requests already arrived that are ingested in one blocking call.
const STREAM_BATCH: usize = 64;

/// Articles of at most this many bytes (text and title) are handled on the
/// async worker when the index has no data directory: about 0.3 ms of CPU.
const INLINE_BYTES: usize = 16 * 1024;

/// The `syndetect.v1.Syndetect` service over an index.
#[derive(Debug)]
pub struct SyndetectService<S: Store> {
    index: Arc<Index<S>>,
    workers: Arc<Workers>,
}

impl<S: Store> Clone for SyndetectService<S> {
    fn clone(&self) -> Self {
        SyndetectService {
            index: Arc::clone(&self.index),
            workers: Arc::clone(&self.workers),
        }
    }
}

impl<S: Store> SyndetectService<S> {
    /// A service running at most `workers` index operations at once (the rest
    /// wait their turn, in arrival order).
    pub fn new(index: Arc<Index<S>>, workers: usize) -> Self {
        SyndetectService {
            index,
            workers: Workers::new(workers),
        }
    }

    /// Whether work on `bytes` of article is short enough to run on the
    /// async worker (see the module docs).
    fn inline(&self, bytes: usize) -> bool {
        bytes <= INLINE_BYTES && self.index.data_dir().is_none()
    }

    /// Runs index work, on the async worker when `inline` and a slot of
    /// the budget is free at once, else on the blocking pool in its turn;
    /// at most `workers` at once either way ([`Workers`]). A panic in it
    /// becomes `INTERNAL`; the index stays whole (writes happen last, under
    /// locks that are released on unwind).
    async fn run<T, F>(&self, inline: bool, work: F) -> Result<T, Status>
    where
        T: Send + 'static,
        F: FnOnce(&Index<S>) -> Result<T> + Send + 'static,
    {
        let index = Arc::clone(&self.index);
        let work = move || work(&index);
        let here = if inline {
            self.workers.try_run_here(work)
        } else {
            Err(work)
        };
        let outcome = match here {
            Ok(outcome) => outcome,
            Err(work) => self
                .workers
                .submit(work)
                .await
                .map_err(|_| Status::unavailable("the server is shutting down"))?,
        };
        match outcome {
            Ok(result) => result.map_err(Status::from),
            Err(message) => {
                tracing::error!("a request panicked: {message}");
                Err(Status::internal(
                    "the request failed on a bug in the server (it panicked); the index was not changed",
                ))
            }
        }
    }

    /// Ingests a batch in order on one trip to the blocking pool; each
    /// request gets its verdict or its error (a panic fails only its own).
    async fn ingest_batch(&self, batch: Vec<pb::IngestRequest>) -> Vec<pb::Verdict> {
        let ids: Vec<String> = batch
            .iter()
            .map(|r| r.article.as_ref().map(|a| a.id.clone()).unwrap_or_default())
            .collect();
        let n = batch.len();
        let outcome = self
            .run(false, move |ix| {
                // One fsync for the whole batch, before any verdict is sent.
                let mut pending = PendingSync::default();
                let results = batch
                    .into_iter()
                    .map(|req| {
                        let (article, options) = request_parts(req.article, req.options)?;
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            ix.ingest_deferred(&article, &options, &mut pending)
                        }))
                        .unwrap_or_else(|_| {
                            Err(Error::Internal(format!(
                                "ingesting {:?} panicked (a bug)",
                                article.id
                            )))
                        })
                    })
                    .collect::<Vec<_>>();
                ix.commit(pending)?;
                Ok(results)
            })
            .await;
        match outcome {
            Ok(results) => results
                .into_iter()
                .zip(ids)
                .map(|(r, id)| match r {
                    Ok(v) => v.into(),
                    Err(e) => failed_item(id, &Status::from(e)),
                })
                .collect(),
            Err(status) => ids
                .into_iter()
                .take(n)
                .map(|id| failed_item(id, &status))
                .collect(),
        }
    }

    async fn ingest_one(&self, req: pb::IngestRequest) -> Result<pb::Verdict, Status> {
        let (article, options) = request_parts(req.article, req.options)?;
        let inline = self.inline(article.text.len() + article.title.len());
        let verdict = self
            .run(inline, move |ix| ix.ingest(&article, &options))
            .await?;
        Ok(verdict.into())
    }
}

type VerdictStream = Pin<Box<dyn Stream<Item = Result<pb::Verdict, Status>> + Send>>;

#[tonic::async_trait]
impl<S: Store> pb::syndetect_server::Syndetect for SyndetectService<S> {
    async fn check(
        &self,
        request: Request<pb::CheckRequest>,
    ) -> Result<Response<pb::Verdict>, Status> {
        let req = request.into_inner();
        let (article, options) = request_parts(req.article, req.options)?;
        let inline = self.inline(article.text.len() + article.title.len());
        let verdict = self
            .run(inline, move |ix| ix.check(&article, &options))
            .await?;
        Ok(Response::new(verdict.into()))
    }

    async fn ingest(
        &self,
        request: Request<pb::IngestRequest>,
    ) -> Result<Response<pb::Verdict>, Status> {
        self.ingest_one(request.into_inner())
            .await
            .map(Response::new)
    }

    type IngestStreamStream = VerdictStream;

    /// Requests are ingested one after another, in order, so a copy later in
    /// the stream sees its original earlier in it. A failed request yields a
    /// verdict carrying its error and the stream goes on.
    async fn ingest_stream(
        &self,
        request: Request<Streaming<pb::IngestRequest>>,
    ) -> Result<Response<Self::IngestStreamStream>, Status> {
        let mut inbound = request.into_inner();
        let (tx, rx) = mpsc::channel(STREAM_BUFFER);
        let service = self.clone();
        tokio::spawn(async move {
            loop {
                // Wait for one request, then take every one already arrived
                // (up to a batch): one trip to the blocking pool serves them all.
                let mut batch = Vec::new();
                let mut end: Option<Option<Status>> = None;
                match inbound.message().await {
                    Ok(Some(req)) => batch.push(req),
                    Ok(None) => end = Some(None),
                    Err(status) => end = Some(Some(status)),
                }
                while end.is_none() && batch.len() < STREAM_BATCH {
                    match inbound.message().now_or_never() {
                        Some(Ok(Some(req))) => batch.push(req),
                        Some(Ok(None)) => end = Some(None),
                        Some(Err(status)) => end = Some(Some(status)),
                        None => break,
                    }
                }
                if !batch.is_empty() {
                    for item in service.ingest_batch(batch).await {
                        if tx.send(Ok(item)).await.is_err() {
                            return; // the client went away
                        }
                    }
                }
                match end {
                    None => {}
                    Some(None) => return,
                    Some(Some(status)) => {
                        // The transport failed (or a message was malformed): end the stream.
                        let _ = tx.send(Err(status)).await;
                        return;
                    }
                }
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(rx))))
    }

    async fn remove(
        &self,
        request: Request<pb::RemoveRequest>,
    ) -> Result<Response<pb::RemoveResponse>, Status> {
        let id = request.into_inner().id;
        let echoed = id.clone();
        self.run(self.inline(0), move |ix| ix.remove(&id)).await?;
        Ok(Response::new(pb::RemoveResponse { id: echoed }))
    }

    async fn stats(
        &self,
        _request: Request<pb::StatsRequest>,
    ) -> Result<Response<pb::StatsResponse>, Status> {
        // Counters only: cheap enough for the reactor.
        Ok(Response::new(self.index.stats().into()))
    }
}
