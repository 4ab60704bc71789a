//! The tonic server: the Syndetect service plus grpc.health.v1 health and
//! server reflection, a connection limit, and graceful shutdown.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::{Stream, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_stream::wrappers::TcpListenerStream;
use tonic::transport::server::{Connected, TcpConnectInfo};
use tonic::transport::Server;

use crate::grpc::pb::syndetect_server::SyndetectServer;
use crate::grpc::{pb, SyndetectService};
use crate::index::Index;
use crate::storage::Store;

mod maintenance;

pub use maintenance::Maintenance;

/// Limits and sizes of the server (the index has its own in `IndexConfig`).
#[derive(Debug, Clone, PartialEq)]
pub struct ServeOptions {
    /// Index operations running at once; more wait their turn.
    pub workers: usize,
    /// Open connections at once; more wait in the listen backlog.
    pub max_connections: usize,
    /// Concurrent requests per connection.
    pub max_requests_per_connection: usize,
    /// Largest request message accepted, in bytes.
    pub max_message_bytes: usize,
    /// Time limit of a unary request.
    pub request_timeout: Duration,
    /// Background upkeep: retention sweeps, log syncs, snapshots.
    pub maintenance: Maintenance,
    /// After the shutdown signal, how long to wait for open requests (and
    /// clients' connections) before snapshotting and stopping anyway.
    pub shutdown_grace: Duration,
}

impl ServeOptions {
    /// Defaults for an index whose texts may be `max_text_bytes` long: room
    /// for the text plus its envelope, so the index's own, clearer size error
    /// is the one a caller sees.
    pub fn for_text_limit(max_text_bytes: usize) -> Self {
        ServeOptions {
            workers: std::thread::available_parallelism().map_or(2, |n| n.get()),
            max_connections: 1024,
            max_requests_per_connection: 256,
            max_message_bytes: max_text_bytes.saturating_mul(2).max(4 << 20),
            request_timeout: Duration::from_secs(30),
            maintenance: Maintenance::default(),
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Reflection could not load the descriptors (a build problem).
    #[error("cannot build the reflection service: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The transport failed.
    #[error("the gRPC transport failed: {0}")]
    Transport(#[from] tonic::transport::Error),
    /// The snapshot at shutdown could not be written (the log still holds
    /// every change: nothing is lost, the next start replays it).
    #[error("cannot write the snapshot at shutdown: {0}")]
    Snapshot(String),
}

/// Serves `index` on an already bound `listener` until `shutdown` completes,
/// then stops accepting, lets in-flight requests finish, writes a snapshot
/// (with a data directory), and returns.
pub async fn serve<S, F>(
    listener: TcpListener,
    index: Arc<Index<S>>,
    options: ServeOptions,
    shutdown: F,
) -> Result<(), ServeError>
where
    S: Store,
    F: Future<Output = ()> + Send,
{
    let service = SyndetectServer::new(SyndetectService::new(Arc::clone(&index), options.workers))
        .max_decoding_message_size(options.max_message_bytes);

    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_serving::<SyndetectServer<SyndetectService<S>>>()
        .await;

    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;

    let local = listener.local_addr().ok();
    let incoming = limited(listener, options.max_connections);
    if let Some(addr) = local {
        tracing::info!(%addr, "syndetect ready to serve on {addr}");
    }
    let upkeep = maintenance::spawn(Arc::clone(&index), options.maintenance);
    let (signalled, on_signal) = tokio::sync::oneshot::channel::<()>();
    let shutdown = async move {
        shutdown.await;
        let _ = signalled.send(());
    };
    let server = Server::builder()
        .concurrency_limit_per_connection(options.max_requests_per_connection)
        .timeout(options.request_timeout)
        .add_service(health_service)
        .add_service(reflection)
        .add_service(reflection_alpha)
        .add_service(service)
        .serve_with_incoming_shutdown(incoming, shutdown);
    let grace = options.shutdown_grace;
    let give_up = async move {
        match on_signal.await {
            Ok(()) => tokio::time::sleep(grace).await,
            Err(_) => std::future::pending().await,
        }
    };
    let served = tokio::select! {
        served = server => served.map(|()| true),
        () = give_up => Ok(false),
    };
    upkeep.abort();
    let _ = upkeep.await;
    if served? {
        tracing::info!("in-flight requests finished");
    } else {
        tracing::warn!(
            "stopped waiting for open requests and connections after {grace:?} (--shutdown-grace)"
        );
    }
    if index.data_dir().is_some() {
        let snapshot = tokio::task::spawn_blocking(move || index.snapshot())
            .await
            .map_err(|e| ServeError::Snapshot(e.to_string()))?;
        match snapshot {
            Ok(Some(info)) => tracing::info!(
                entries = info.entries,
                bytes = info.bytes,
                "snapshot written at shutdown"
            ),
            Ok(None) => {}
            Err(e) => return Err(ServeError::Snapshot(e.to_string())),
        }
    }
    tracing::info!("syndetect stopped");
    Ok(())
}

/// Binds `addr` and serves until `shutdown` completes.
pub async fn bind_and_serve<S, F>(
    addr: SocketAddr,
    index: Arc<Index<S>>,
    options: ServeOptions,
    shutdown: F,
) -> Result<(), BindError>
where
    S: Store,
    F: Future<Output = ()> + Send,
{
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| BindError::Bind { addr, source })?;
    serve(listener, index, options, shutdown).await?;
    Ok(())
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    /// The listen address could not be bound.
    #[error("cannot listen on {addr}: {source} (is another server using the port? try --listen 127.0.0.1:0)")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        source: io::Error,
    },
    /// The server failed after it started.
    #[error(transparent)]
    Serve(#[from] ServeError),
}

/// Resolves on the first SIGINT or SIGTERM; a second SIGINT exits at once.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for SIGINT: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("SIGINT: shutting down gracefully (SIGINT again to exit at once)"),
        () = term => tracing::info!("SIGTERM: shutting down gracefully"),
    }
    tokio::spawn(async {
        if tokio::signal::ctrl_c().await.is_ok() {
            tracing::warn!("second SIGINT: exiting at once");
            std::process::exit(130);
        }
    });
}

/// Accepted connections, at most `max` open at once: each holds a permit
/// until it closes (as mini-redis does).
fn limited(
    listener: TcpListener,
    max: usize,
) -> impl Stream<Item = io::Result<LimitedConn>> + Send {
    let permits = Arc::new(Semaphore::new(max.max(1)));
    TcpListenerStream::new(listener).then(move |accepted| {
        let permits = Arc::clone(&permits);
        async move {
            let permit = permits
                .acquire_owned()
                .await
                .map_err(|_| io::Error::other("connection limiter closed"))?;
            let stream = accepted?;
            // Request/response traffic: do not wait to coalesce small writes.
            let _ = stream.set_nodelay(true);
            Ok(LimitedConn {
                stream,
                _permit: permit,
            })
        }
    })
}

/// A TCP connection that holds a connection permit until dropped.
#[derive(Debug)]
pub struct LimitedConn {
    stream: TcpStream,
    _permit: OwnedSemaphorePermit,
}

impl Connected for LimitedConn {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.stream.connect_info()
    }
}

impl AsyncRead for LimitedConn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for LimitedConn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}
