//! `syndetect eval --server ADDR`: the same stream sent over gRPC
//! (IngestStream) to a running service.

use std::time::Instant;

use super::{LabeledArticle, Prediction, Run};
use crate::grpc::pb::{self, syndetect_client::SyndetectClient};

/// Why a remote evaluation failed.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// The address is not a valid endpoint.
    #[error("invalid server address {addr:?}: {source}")]
    Address {
        /// The address given.
        addr: String,
        /// Why it is invalid.
        source: tonic::transport::Error,
    },
    /// The server could not be reached.
    #[error("cannot connect to {addr}: {source} (is `syndetect serve` running there?)")]
    Connect {
        /// The address given.
        addr: String,
        /// The transport error.
        source: tonic::transport::Error,
    },
    /// The stream failed.
    #[error("the IngestStream call failed: {0}")]
    Stream(#[from] tonic::Status),
    /// The server answered a different number of verdicts than requests.
    #[error("sent {sent} articles but received {received} verdicts")]
    Count {
        /// Requests sent.
        sent: usize,
        /// Verdicts received.
        received: usize,
    },
}

/// Sends `articles` in order over one IngestStream to the server at `addr`
/// (`host:port` or a URL) and records each verdict.
pub async fn run_remote(addr: &str, articles: &[LabeledArticle]) -> Result<Run, RemoteError> {
    let url = if addr.contains("://") {
        addr.to_owned()
    } else {
        format!("http://{addr}")
    };
    let endpoint =
        tonic::transport::Endpoint::from_shared(url).map_err(|source| RemoteError::Address {
            addr: addr.to_owned(),
            source,
        })?;
    let channel = endpoint
        .connect()
        .await
        .map_err(|source| RemoteError::Connect {
            addr: addr.to_owned(),
            source,
        })?;
    let mut client = SyndetectClient::new(channel)
        .max_encoding_message_size(usize::MAX)
        .max_decoding_message_size(usize::MAX);
    let bytes = articles.iter().map(|a| a.text.len() + a.title.len()).sum();
    let requests: Vec<pb::IngestRequest> = articles
        .iter()
        .map(|a| pb::IngestRequest {
            article: Some(pb::Article {
                id: a.id.clone(),
                text: a.text.clone(),
                title: a.title.clone(),
                source: a.source.clone(),
                published_at: a.published_at,
            }),
            options: None,
        })
        .collect();
    let start = Instant::now();
    let mut inbound = client
        .ingest_stream(tokio_stream::iter(requests))
        .await?
        .into_inner();
    let mut predictions = Vec::with_capacity(articles.len());
    let mut refused = Vec::new();
    while let Some(v) = inbound.message().await? {
        if let Some(err) = &v.error {
            refused.push((v.id.clone(), err.message.clone()));
            predictions.push(Prediction::refused(&v.id));
            continue;
        }
        let copy = v.kind() == pb::verdict::Kind::SyndicatedCopy;
        predictions.push(Prediction::new(
            v.id,
            copy,
            v.best_match.map(|m| m.id).unwrap_or_default(),
        ));
    }
    if predictions.len() != articles.len() {
        return Err(RemoteError::Count {
            sent: articles.len(),
            received: predictions.len(),
        });
    }
    Ok(Run {
        predictions,
        refused,
        elapsed: start.elapsed(),
        bytes,
    })
}
