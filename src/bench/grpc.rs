//! `syndetect bench-grpc`: a load generator for a running service. N clients
//! send a corpus over unary `Ingest` (optionally paced to a target rate) or
//! over `IngestStream`, and the run reports throughput and latency
//! percentiles.

use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use super::pacing::{ExactTimer, Paced, RequestTimes};
use crate::eval::LabeledArticle;
use crate::grpc::pb::{self, syndetect_client::SyndetectClient};

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
    /// Latency percentiles in microseconds: p50, p90, p99, max. Unary:
    /// from sending a request (from when it was due, when paced: see
    /// [`super::pacing`]) to its answer; streams: from sending an article
    /// to its verdict.
    pub latency_us: [u64; 4],
    /// Paced runs: percentiles (as `latency_us`) of how late the client's
    /// timer sent the requests, which the latency does not count.
    pub timer_late_us: Option<[u64; 4]>,
    /// Every request's times, in the order answered per client.
    pub requests: Vec<RequestTimes>,
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
/// every client is connected, and latency counts from when each request was
/// due, as [`super::pacing`] describes (open loop: a slow answer delays the
/// requests behind it, the client's own timer does not).
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
    let paced = rate > 0.0 && mode == Mode::Unary;
    let start = Instant::now();
    let mut tasks = Vec::with_capacity(clients);
    for (c, (client, share)) in ready.into_iter().enumerate() {
        let bar = bar.clone();
        // Clients take turns: client `c` sends `c / rate` after client 0, so
        // the requests arrive evenly, not in bursts of `clients`.
        let pace = paced.then(|| Pace {
            first: Duration::from_secs_f64(c as f64 / rate),
            every: Duration::from_secs_f64(clients as f64 / rate),
        });
        tasks.push(tokio::spawn(async move {
            match mode {
                Mode::Unary => unary(client, c, share, start, pace, &bar).await,
                Mode::Stream => stream(client, c, share, start, &bar).await,
            }
        }));
    }
    let mut requests = Vec::with_capacity(corpus.len());
    for t in tasks {
        match t.await {
            Ok(result) => requests.extend(result?),
            Err(e) => return Err(LoadError::Call(tonic::Status::internal(e.to_string()))),
        }
    }
    let elapsed = start.elapsed();
    bar.finish_and_clear();
    let micros = |d: Duration| d.as_micros() as u64;
    Ok(LoadReport {
        mode,
        articles: requests.len(),
        errors: requests.iter().filter(|r| !r.ok).count(),
        elapsed,
        bytes,
        latency_us: percentiles(requests.iter().map(|r| micros(r.latency)).collect()),
        timer_late_us: paced
            .then(|| percentiles(requests.iter().map(|r| micros(r.timer_late)).collect())),
        requests,
    })
}

/// A paced client's schedule: its first request is due `first` after the
/// start, the next ones `every` apart.
#[derive(Debug, Clone, Copy)]
struct Pace {
    first: Duration,
    every: Duration,
}

/// One client's unary requests, one at a time, paced when `pace` is given.
async fn unary(
    mut client: SyndetectClient<tonic::transport::Channel>,
    c: usize,
    share: Vec<pb::IngestRequest>,
    start: Instant,
    pace: Option<Pace>,
    bar: &ProgressBar,
) -> Result<Vec<RequestTimes>, LoadError> {
    let mut timer = ExactTimer::default();
    let mut times = Vec::with_capacity(share.len());
    for (i, req) in share.into_iter().enumerate() {
        let due = pace.map(|p| p.first + p.every * i as u32);
        if let Some(due) = due {
            tokio::time::sleep_until((start + due).into()).await;
        }
        let sent = start.elapsed();
        let ok = client.ingest(req).await.is_ok();
        let answered = start.elapsed();
        let counted = match due {
            Some(due) => timer.paced(due, sent, answered),
            None => Paced {
                latency: answered.saturating_sub(sent),
                timer_late: Duration::ZERO,
            },
        };
        times.push(RequestTimes {
            client: c,
            due,
            sent,
            answered,
            latency: counted.latency,
            timer_late: counted.timer_late,
            ok,
        });
        bar.inc(1);
    }
    Ok(times)
}

/// One client's stream: every article sent as fast as the stream takes
/// them, each timed from its sending to its verdict.
async fn stream(
    mut client: SyndetectClient<tonic::transport::Channel>,
    c: usize,
    share: Vec<pb::IngestRequest>,
    start: Instant,
    bar: &ProgressBar,
) -> Result<Vec<RequestTimes>, LoadError> {
    let n = share.len();
    let sent = Arc::new(std::sync::Mutex::new(Vec::with_capacity(n)));
    let sent_in = Arc::clone(&sent);
    let outbound = tokio_stream::iter(share.into_iter().inspect(move |_| {
        if let Ok(mut s) = sent_in.lock() {
            s.push(start.elapsed());
        }
    }));
    let mut inbound = client.ingest_stream(outbound).await?.into_inner();
    let mut times = Vec::with_capacity(n);
    while let Some(v) = inbound.message().await? {
        let answered = start.elapsed();
        let at = sent.lock().ok().and_then(|s| s.get(times.len()).copied());
        let sent = at.unwrap_or(answered);
        times.push(RequestTimes {
            client: c,
            due: None,
            sent,
            answered,
            latency: answered.saturating_sub(sent),
            timer_late: Duration::ZERO,
            ok: v.error.is_none(),
        });
        bar.inc(1);
    }
    Ok(times)
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
