//! `syndetect bench-grpc`: a load generator for a running service. N clients
//! send a corpus over unary `Ingest` (optionally paced to a target rate) or
//! over `IngestStream`, and the run reports throughput and latency
//! percentiles.

use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use tokio::sync::Mutex;

use crate::eval::LabeledArticle;
use crate::grpc::pb::{self, syndetect_client::SyndetectClient};

/// How late tokio's timer may wake a paced client without that counting as
/// the client falling behind.
const TIMER_SLACK: Duration = Duration::from_millis(2);

/// How the corpus is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One unary `Ingest` per article.
    Unary,
    /// One `IngestStream` per client.
    Stream,
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// How it was sent.
    pub mode: Mode,
    /// Articles answered.
    pub articles: usize,
    /// Articles answered with an error.
    pub errors: usize,
    /// Wall time.
    pub elapsed: Duration,
    /// Bytes of text sent.
    pub bytes: usize,
    /// Latency percentiles in microseconds: p50, p90, p99, max (unary only;
    /// for streams, the time from sending an article to its verdict).
    pub latency_us: [u64; 4],
}

impl LoadReport {
    /// Articles per second.
    pub fn per_second(&self) -> f64 {
        self.articles as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Why a load run failed.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The address is not usable.
    #[error("cannot connect to {addr}: {source} (is `syndetect serve` running there?)")]
    Connect {
        /// The address.
        addr: String,
        /// The transport error.
        source: tonic::transport::Error,
    },
    /// A call failed at the transport level.
    #[error("a call failed: {0}")]
    Call(#[from] tonic::Status),
}

fn percentiles(mut us: Vec<u64>) -> [u64; 4] {
    if us.is_empty() {
        return [0; 4];
    }
    us.sort_unstable();
    let at = |q: f64| us[((us.len() as f64 - 1.0) * q).round() as usize];
    [at(0.5), at(0.9), at(0.99), us[us.len() - 1]]
}

async fn connect(addr: &str) -> Result<SyndetectClient<tonic::transport::Channel>, LoadError> {
    let url = if addr.contains("://") {
        addr.to_owned()
    } else {
        format!("http://{addr}")
    };
    let err = |source| LoadError::Connect {
        addr: addr.to_owned(),
        source,
    };
    let channel = tonic::transport::Endpoint::from_shared(url)
        .map_err(err)?
        .tcp_nodelay(true)
        .connect()
        .await
        .map_err(err)?;
    Ok(SyndetectClient::new(channel)
        .max_decoding_message_size(usize::MAX)
        .max_encoding_message_size(usize::MAX))
}

fn request(a: &LabeledArticle, run: &str) -> pb::IngestRequest {
    pb::IngestRequest {
        article: Some(pb::Article {
            id: format!("{run}/{}", a.id),
            text: a.text.clone(),
            title: a.title.clone(),
            source: a.source.clone(),
            published_at: a.published_at,
        }),
        options: None,
    }
}

fn progress(len: usize, quiet: bool) -> ProgressBar {
    if quiet {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    if let Ok(style) =
        ProgressStyle::with_template("{bar:40} {pos}/{len} articles {per_sec} eta {eta}")
    {
        bar.set_style(style);
    }
    bar
}

/// Sends `corpus` to the server at `addr` with `clients` concurrent clients.
/// With `rate > 0` (unary only), requests are paced to about `rate` per
/// second in total, evenly spaced (the clients take turns), from the moment
/// every client is connected (open loop: when a client falls behind its
/// schedule, latency counts from the scheduled send time).
/// Ids are prefixed with `run` so that repeated runs do not collide.
pub async fn run(
    addr: &str,
    corpus: &[LabeledArticle],
    mode: Mode,
    clients: usize,
    rate: f64,
    run: &str,
    quiet: bool,
) -> Result<LoadReport, LoadError> {
    let clients = clients.max(1);
    let bytes = corpus.iter().map(|a| a.text.len() + a.title.len()).sum();
    let bar = progress(corpus.len(), quiet);
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(corpus.len())));
    let errors = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    // Every client connects and has its requests ready before the clock
    // starts: a paced client that started late would count its set-up as
    // latency.
    let mut ready = Vec::with_capacity(clients);
    for c in 0..clients {
        let client = connect(addr).await?;
        let share: Vec<pb::IngestRequest> = corpus
            .iter()
            .skip(c)
            .step_by(clients)
            .map(|a| request(a, run))
            .collect();
        ready.push((client, share));
    }
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(clients);
    for (c, (mut client, share)) in ready.into_iter().enumerate() {
        let (bar, latencies, errors) = (bar.clone(), Arc::clone(&latencies), Arc::clone(&errors));
        let interval = (rate > 0.0).then(|| Duration::from_secs_f64(clients as f64 / rate));
        // Clients take turns: client `c` sends `c / rate` after client 0, so
        // the requests arrive evenly, not in bursts of `clients`.
        let offset = Duration::from_secs_f64(if rate > 0.0 { c as f64 / rate } else { 0.0 });
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::with_capacity(share.len());
            match mode {
                Mode::Unary => {
                    for (i, req) in share.into_iter().enumerate() {
                        let scheduled = match interval {
                            Some(every) => {
                                let at = start + offset + every * i as u32;
                                tokio::time::sleep_until(at.into()).await;
                                // The timer wakes up to a millisecond late: count
                                // from the real send unless the client fell behind
                                // its schedule (then from the schedule, so that a
                                // backlog shows in the latency).
                                let now = Instant::now();
                                if now > at + TIMER_SLACK {
                                    at
                                } else {
                                    now
                                }
                            }
                            None => Instant::now(),
                        };
                        if client.ingest(req).await.is_err() {
                            errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                        mine.push(scheduled.elapsed().as_micros() as u64);
                        bar.inc(1);
                    }
                }
                Mode::Stream => {
                    let n = share.len();
                    let sent = Arc::new(std::sync::Mutex::new(Vec::with_capacity(n)));
                    let sent_in = Arc::clone(&sent);
                    let outbound = tokio_stream::iter(share.into_iter().inspect(move |_| {
                        if let Ok(mut s) = sent_in.lock() {
                            s.push(Instant::now());
                        }
                    }));
                    let mut inbound = client.ingest_stream(outbound).await?.into_inner();
                    let mut i = 0;
                    while let Some(v) = inbound.message().await? {
                        if v.error.is_some() {
                            errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                        let at = sent.lock().ok().and_then(|s| s.get(i).copied());
                        mine.push(at.map_or(0, |t| t.elapsed().as_micros() as u64));
                        i += 1;
                        bar.inc(1);
                    }
                }
            }
            latencies.lock().await.extend(mine);
            Ok::<(), LoadError>(())
        }));
    }
    for t in tasks {
        match t.await {
            Ok(result) => result?,
            Err(e) => return Err(LoadError::Call(tonic::Status::internal(e.to_string()))),
        }
    }
    let elapsed = start.elapsed();
    bar.finish_and_clear();
    let lat = std::mem::take(&mut *latencies.lock().await);
    Ok(LoadReport {
        mode,
        articles: lat.len(),
        errors: errors.load(std::sync::atomic::Ordering::Relaxed),
        elapsed,
        bytes,
        latency_us: percentiles(lat),
    })
}

#[cfg(test)]
mod tests {
    use super::percentiles;

    #[test]
    fn percentiles_of_a_known_list() {
        let p = percentiles((1..=100).collect());
        assert_eq!(p, [51, 90, 99, 100]);
        assert_eq!(percentiles(Vec::new()), [0; 4]);
    }
}
