//! The `syndetect` command line: parses arguments and hands over to the library.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use syndetect::eval;
use syndetect::index::{Durability, Index, IndexConfig, Verification};
use syndetect::server::{self, ServeOptions};
use syndetect::storage::MemoryStore;

/// Tells whether a scraped article is a syndicated copy of one already seen.
#[derive(Debug, Parser)]
#[command(name = "syndetect", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gRPC service until SIGINT or SIGTERM (in memory, or kept in
    /// --data-dir).
    Serve(ServeArgs),
    /// Measure detection quality on a labeled JSONL stream (see eval/README.md).
    Eval(EvalArgs),
    /// Write a reproducible synthetic corpus (JSONL, eval's format) to stdout.
    GenCorpus(GenCorpusArgs),
    /// Benchmark the in-process pipeline on one thread: end to end, signature
    /// only, and memory per held article.
    Bench(BenchArgs),
    /// Load a running service over gRPC: throughput and latency percentiles.
    BenchGrpc(BenchGrpcArgs),
}

#[derive(Debug, Args)]
struct BenchGrpcArgs {
    /// The service's address.
    #[arg(long, default_value = "127.0.0.1:50051")]
    server: String,
    /// A JSONL corpus (eval's format); without it, a generated one.
    corpus: Option<PathBuf>,
    /// Articles to generate when no corpus is given.
    #[arg(long, default_value_t = 20_000)]
    n: usize,
    /// Seed of the generated corpus.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Concurrent clients, each on its own connection.
    #[arg(long, default_value_t = 8)]
    clients: usize,
    /// unary (one Ingest per article) or stream (one IngestStream per client).
    #[arg(long, value_enum, default_value_t = LoadMode::Stream)]
    mode: LoadMode,
    /// Target requests per second in total, unary only (0 = as fast as possible).
    #[arg(long, default_value_t = 0.0)]
    rate: f64,
    /// Write every request's times here as CSV (client, due, sent, answered,
    /// latency, timer lateness, ok; microseconds from the start), for
    /// looking into a tail.
    #[arg(long, value_name = "PATH")]
    latencies: Option<PathBuf>,
    /// No progress bar.
    #[arg(long)]
    quiet: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LoadMode {
    /// One unary Ingest per article.
    Unary,
    /// One IngestStream per client.
    Stream,
}

#[derive(Debug, Args)]
struct GenCorpusArgs {
    /// Articles to generate.
    #[arg(long, default_value_t = 10_000)]
    n: usize,
    /// Seed: the same seed gives the same corpus everywhere.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Share of articles that are copies of an earlier one.
    #[arg(long, default_value_t = 0.2)]
    copy_share: f64,
}

#[derive(Debug, Args)]
struct BenchArgs {
    /// A JSONL corpus (eval's format); without it, a generated one.
    corpus: Option<PathBuf>,
    /// Articles to generate when no corpus is given.
    #[arg(long, default_value_t = 20_000)]
    n: usize,
    /// Seed of the generated corpus.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    index: IndexArgs,
}

#[derive(Debug, Args)]
struct EvalArgs {
    /// The labeled stream, one JSON article per line, in arrival order.
    file: PathBuf,
    /// Write one prediction per article here ({"id","verdict","match"}).
    #[arg(long)]
    predictions: Option<PathBuf>,
    /// Write the scores here as JSON.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Print each wrong verdict to stderr with this many most similar held
    /// articles (in process only).
    #[arg(long, default_value_t = 0, conflicts_with = "server")]
    explain: usize,
    /// Send the stream over gRPC (IngestStream) to a running service at this
    /// address instead of running the index in process. The index flags are
    /// then the server's business.
    #[arg(long)]
    server: Option<String>,
    #[command(flatten)]
    index: IndexArgs,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the log names it).
    #[arg(long, default_value = "127.0.0.1:50051", env = "SYNDETECT_LISTEN")]
    listen: SocketAddr,
    #[command(flatten)]
    index: IndexArgs,
    /// Index operations running at once [default: the number of cores].
    #[arg(long)]
    workers: Option<usize>,
    /// Open connections at once.
    #[arg(long, default_value_t = 1024)]
    max_connections: usize,
    /// Concurrent requests per connection.
    #[arg(long, default_value_t = 256)]
    max_requests_per_connection: usize,
    /// Time limit of a unary request, in seconds.
    #[arg(long, default_value_t = 30)]
    request_timeout_secs: u64,
    /// After SIGINT/SIGTERM, how long to wait for open requests before
    /// snapshotting and stopping anyway (a second SIGINT stops at once).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "30s")]
    shutdown_grace: Duration,
    #[command(flatten)]
    data: DataArgs,
}

/// Durability and retention of a served index.
#[derive(Debug, Args)]
struct DataArgs {
    /// Keep the index in this directory: a write-ahead log of every change
    /// plus periodic snapshots, reloaded on start. Without it the index
    /// lives in memory only.
    #[arg(long, env = "SYNDETECT_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// When a logged change is forced to disk: always (before the reply: an
    /// acknowledged Ingest survives a crash), interval (every
    /// --fsync-interval: a machine crash may lose that much), never (the OS
    /// decides; a process crash loses nothing, a machine crash may).
    #[arg(long, value_enum, default_value_t = FsyncArg::Always, requires = "data_dir")]
    fsync: FsyncArg,
    /// How often `--fsync interval` forces the log to disk.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "1s")]
    fsync_interval: Duration,
    /// How often a snapshot is written (the log is cut after each); one is
    /// also written at graceful shutdown.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "5m")]
    snapshot_interval: Duration,
    /// Forget articles older than this (by published_at, or arrival time when
    /// it is 0), e.g. 30d, 12h.
    #[arg(long, value_parser = humantime::parse_duration)]
    retention: Option<Duration>,
    /// Hold at most this many articles, evicting the oldest first (0 = no limit).
    #[arg(long, default_value_t = 0)]
    max_docs: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum FsyncArg {
    /// Before every acknowledgment (group commit).
    Always,
    /// Every --fsync-interval.
    Interval,
    /// Never explicitly.
    Never,
}

/// The index's parameters; defaults are `IndexConfig::default()`.
#[derive(Debug, Args)]
struct IndexArgs {
    /// Words per shingle.
    #[arg(long, default_value_t = IndexConfig::default().shingle_size)]
    shingle_size: usize,
    /// Seed of the shingle hash: another seed is another hash function
    /// (for measuring how much a result owes to the hash; a data directory
    /// keeps the seed it was written with).
    #[arg(long, default_value_t = IndexConfig::default().shingle_seed)]
    shingle_seed: u64,
    /// MinHash permutations (signature length).
    #[arg(long, default_value_t = IndexConfig::default().permutations)]
    permutations: usize,
    /// Jaccard resemblance the LSH bands are tuned to find.
    #[arg(long, default_value_t = IndexConfig::default().lsh_threshold)]
    lsh_threshold: f64,
    /// Least probability that a pair at --lsh-threshold becomes a candidate.
    #[arg(long, default_value_t = IndexConfig::default().lsh_min_recall)]
    lsh_min_recall: f64,
    /// Copy when the verified Jaccard is at least this.
    #[arg(long, default_value_t = IndexConfig::default().jaccard_threshold)]
    jaccard_threshold: f64,
    /// Copy when the verified containment is at least this.
    #[arg(long, default_value_t = IndexConfig::default().containment_threshold)]
    containment_threshold: f64,
    /// Containment counts only when the smaller article has this many shingles.
    #[arg(long, default_value_t = IndexConfig::default().min_containment_shingles)]
    min_containment_shingles: u32,
    /// Matches returned per verdict unless a request asks otherwise.
    #[arg(long, default_value_t = IndexConfig::default().max_matches)]
    max_matches: usize,
    /// Largest title plus text accepted, in bytes.
    #[arg(long, default_value_t = IndexConfig::default().max_text_bytes)]
    max_text_bytes: usize,
    /// A segment in this many distinct reports is site furniture (0 = off)
    /// [default: 2; 0 with --footprint lean].
    #[arg(long)]
    furniture_reports: Option<u32>,
    /// A segment in this many earlier articles of the same source (and a fifth
    /// of them) is that site's furniture (0 = off) [default: 1; 0 with
    /// --footprint lean].
    #[arg(long)]
    source_furniture_articles: Option<u32>,
    /// Of the sentences with figures two articles share once figures are
    /// masked, the share that must match exactly for a copy (0 = off).
    #[arg(long, default_value_t = IndexConfig::default().number_agreement)]
    number_agreement: f64,
    /// Masked matches needed before figures are compared.
    #[arg(long, default_value_t = IndexConfig::default().min_numbers)]
    min_numbers: u32,
    /// Lead keys posted per article, to find excerpts and teasers (0 = off)
    /// [default: 16; 0 with --footprint lean].
    #[arg(long)]
    lead_keys: Option<usize>,
    /// Words per lead key.
    #[arg(long, default_value_t = IndexConfig::default().lead_window)]
    lead_window: usize,
    /// Verify candidates exactly on stored shingle sets, or from signatures
    /// [default: exact; signature with --footprint lean].
    #[arg(long, value_enum)]
    verification: Option<VerifyArg>,
    /// What is kept of each held article: `full` (about 3 KB: shingle sets
    /// for exact verification, the furniture model's counts) or `lean`
    /// (about 1 KB: signature and bucket postings only; verification from
    /// signatures, no furniture learning; less accurate, see
    /// docs/quality.md). A data directory keeps the footprint it was created
    /// with.
    #[arg(long, value_enum, default_value_t = FootprintArg::Full)]
    footprint: FootprintArg,
    /// Compare with every held article, not only LSH candidates (slow; for measuring).
    #[arg(long)]
    exhaustive: bool,
    /// Keep content shingle sets larger than this as a 1-in-`--set-sample-rate`
    /// sample (0 = keep every set whole).
    #[arg(long, default_value_t = IndexConfig::default().set_sample_above)]
    set_sample_above: u32,
    /// One shingle in this many is kept in a sampled set (a power of two).
    #[arg(long, default_value_t = IndexConfig::default().set_sample_rate)]
    set_sample_rate: u32,
    /// Articles to size the index's tables for at start, so they do not
    /// grow as articles arrive (0 = grow as needed). Set it to the number
    /// you expect to hold (your --max-docs, or what --retention keeps):
    /// the tables take about 10 bytes per bucket key an article at once
    /// (480 with the defaults, 320 lean).
    #[arg(long, default_value_t = IndexConfig::default().capacity)]
    capacity: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum VerifyArg {
    /// Exact Jaccard and containment of content shingle sets.
    Exact,
    /// Estimates from the MinHash signatures.
    Signature,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum FootprintArg {
    /// Everything exact verification and the furniture model need.
    Full,
    /// Signature and bucket postings only.
    Lean,
}

impl From<IndexArgs> for IndexConfig {
    fn from(a: IndexArgs) -> Self {
        let base = match a.footprint {
            FootprintArg::Full => IndexConfig::default(),
            FootprintArg::Lean => IndexConfig::lean(),
        };
        IndexConfig {
            shingle_size: a.shingle_size,
            shingle_seed: a.shingle_seed,
            permutations: a.permutations,
            lsh_threshold: a.lsh_threshold,
            lsh_min_recall: a.lsh_min_recall,
            jaccard_threshold: a.jaccard_threshold,
            containment_threshold: a.containment_threshold,
            min_containment_shingles: a.min_containment_shingles,
            max_matches: a.max_matches,
            max_text_bytes: a.max_text_bytes,
            furniture_reports: a.furniture_reports.unwrap_or(base.furniture_reports),
            source_furniture_articles: a
                .source_furniture_articles
                .unwrap_or(base.source_furniture_articles),
            number_agreement: a.number_agreement,
            min_numbers: a.min_numbers,
            lead_keys: a.lead_keys.unwrap_or(base.lead_keys),
            lead_window: a.lead_window,
            verification: match a.verification {
                None => base.verification,
                Some(VerifyArg::Exact) => Verification::Exact,
                Some(VerifyArg::Signature) => Verification::Signature,
            },
            exhaustive: a.exhaustive,
            set_sample_above: a.set_sample_above,
            set_sample_rate: a.set_sample_rate,
            capacity: a.capacity,
            ..base
        }
    }
}

impl IndexArgs {
    /// The index's parameters, refusing a `--capacity` whose bucket tables
    /// and signatures would not fit in the memory this machine has
    /// available: they are allocated, and written, at start.
    fn config(self) -> Result<IndexConfig, String> {
        let config = IndexConfig::from(self);
        if config.capacity == 0 {
            return Ok(config);
        }
        config
            .validate()
            .map_err(|e| format!("invalid parameter: {e}"))?;
        let bytes = config
            .reserved_bytes()
            .map_err(|e| format!("invalid parameter: {e}"))?;
        match available_memory() {
            Some(available) if bytes > available => Err(format!(
                "--capacity {} needs about {:.1} GB of bucket tables and signatures at start, \
                 more than the {:.1} GB of memory available: lower it, or leave it at 0 to let the \
                 tables grow as articles arrive",
                config.capacity,
                bytes as f64 / 1e9,
                available as f64 / 1e9
            )),
            _ => Ok(config),
        }
    }
}

/// Memory available to a new process (`MemAvailable` in `/proc/meminfo`),
/// in bytes; `None` where it cannot be read.
fn available_memory() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve(args),
        Command::Eval(args) => eval(args),
        Command::GenCorpus(args) => gen_corpus(&args),
        Command::Bench(args) => bench(args),
        Command::BenchGrpc(args) => bench_grpc(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("syndetect: {message}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeArgs) -> Result<(), String> {
    use syndetect::server::Maintenance;
    use syndetect::storage::disk::FsyncPolicy;
    let mut config = args.index.config()?;
    config.retention = args.data.retention;
    config.max_docs = args.data.max_docs;
    let mut options = ServeOptions::for_text_limit(config.max_text_bytes);
    if let Some(workers) = args.workers {
        options.workers = workers;
    }
    options.max_connections = args.max_connections;
    options.max_requests_per_connection = args.max_requests_per_connection;
    options.request_timeout = Duration::from_secs(args.request_timeout_secs);
    options.shutdown_grace = args.shutdown_grace;
    let fsync = match args.data.fsync {
        FsyncArg::Always => FsyncPolicy::Always,
        FsyncArg::Interval => FsyncPolicy::Interval(args.data.fsync_interval),
        FsyncArg::Never => FsyncPolicy::Never,
    };
    options.maintenance = Maintenance {
        sync_every: matches!(fsync, FsyncPolicy::Interval(_)).then_some(args.data.fsync_interval),
        snapshot_every: Some(args.data.snapshot_interval),
        ..Maintenance::default()
    };
    let index = match &args.data.data_dir {
        Some(dir) => {
            let started = std::time::Instant::now();
            let durability = Durability {
                dir: dir.clone(),
                fsync,
            };
            let index =
                Index::open(config, MemoryStore::new(), &durability).map_err(|e| e.to_string())?;
            tracing::info!(
                dir = %dir.display(),
                documents = index.stats().documents,
                ms = started.elapsed().as_millis() as u64,
                "data directory loaded"
            );
            index
        }
        None => Index::in_memory(config).map_err(|e| format!("invalid parameter: {e}"))?,
    };
    let lsh = index.lsh();
    tracing::info!(
        bands = lsh.bands,
        rows = lsh.rows,
        recall_at_threshold = lsh.recall_at_threshold,
        "LSH tuned for Jaccard {}",
        lsh.threshold
    );
    let runtime = runtime()?;
    runtime
        .block_on(server::bind_and_serve(
            args.listen,
            Arc::new(index),
            options,
            server::shutdown_signal(),
        ))
        .map_err(|e| e.to_string())
}

fn eval(args: EvalArgs) -> Result<(), String> {
    let stream = eval::read_jsonl(&args.file).map_err(|e| e.to_string())?;
    let (run, mode) = match &args.server {
        Some(addr) => {
            let runtime = runtime()?;
            let run = runtime
                .block_on(eval::run_remote(addr, &stream))
                .map_err(|e| e.to_string())?;
            (run, format!("over gRPC IngestStream to {addr}"))
        }
        None => {
            let index = Index::in_memory(args.index.config()?)
                .map_err(|e| format!("invalid parameter: {e}"))?;
            let run = eval::run_in_process(&index, &stream, args.explain);
            (run, "one thread, in process".to_owned())
        }
    };
    for (id, why) in &run.refused {
        tracing::warn!(%id, "refused, counted as distinct: {why}");
    }
    if let Some(path) = &args.predictions {
        write_predictions(path, &run.predictions)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let report = eval::score(&stream, &run.predictions);
    let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    say(format_args!("{json}"))?;
    let secs = run.elapsed.as_secs_f64().max(1e-9);
    say(format_args!(
        "throughput: {} articles in {:.3} s = {:.0} articles/s, {:.1} MB/s ({mode})",
        stream.len(),
        secs,
        stream.len() as f64 / secs,
        run.bytes as f64 / secs / 1e6
    ))?;
    if let Some(path) = &args.json {
        std::fs::write(path, json).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    Ok(())
}

fn write_predictions(path: &PathBuf, predictions: &[eval::Prediction]) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    for p in predictions {
        serde_json::to_writer(&mut out, p)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

fn gen_corpus(args: &GenCorpusArgs) -> Result<(), String> {
    let corpus = syndetect::bench::corpus::generate(args.n, args.seed, args.copy_share);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for a in &corpus {
        let line = serde_json::json!({
            "id": a.id, "title": a.title, "text": a.text, "source": a.source,
            "cluster": a.cluster, "expect": a.expect, "variant": a.variant, "group": a.group,
        });
        match writeln!(out, "{line}") {
            // The reader went away (`| head`): it has all it wanted.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
            other => other.map_err(|e| format!("cannot write: {e}"))?,
        }
    }
    match out.flush() {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(format!("cannot write: {e}")),
        _ => Ok(()),
    }
}

fn bench(args: BenchArgs) -> Result<(), String> {
    let corpus = match &args.corpus {
        Some(path) => eval::read_jsonl(path).map_err(|e| e.to_string())?,
        None => syndetect::bench::corpus::generate(args.n, args.seed, 0.2),
    };
    let report = syndetect::bench::local::run(&corpus, args.index.config()?)?;
    if args.json {
        say(format_args!(
            "{}",
            serde_json::to_string(&report).map_err(|e| e.to_string())?
        ))?;
    } else {
        say(format_args!(
            "{} articles of {} bytes on average, one thread:\n  end to end      {:>10.0} articles/s ({:.1} MB/s), {} copies found\n  signature only  {:>10.0} articles/s\n  memory          {:>10.0} bytes per held article (resident), {:.0} beyond its id string ({:.0}); the index's estimate {:.0}, with {:.1} furniture counters an article",
            report.articles,
            report.mean_bytes,
            report.end_to_end_per_s,
            report.end_to_end_mb_per_s,
            report.copies_found,
            report.signature_only_per_s,
            report.rss_bytes_per_article,
            report.rss_bytes_per_article - report.id_bytes_per_article,
            report.id_bytes_per_article,
            report.approx_bytes_per_article,
            report.segment_counters_per_article
        ))?;
    }
    Ok(())
}

fn bench_grpc(args: BenchGrpcArgs) -> Result<(), String> {
    use syndetect::bench::grpc::{self, Mode};
    let corpus = match &args.corpus {
        Some(path) => eval::read_jsonl(path).map_err(|e| e.to_string())?,
        None => syndetect::bench::corpus::generate(args.n, args.seed, 0.2),
    };
    let mode = match args.mode {
        LoadMode::Unary => Mode::Unary,
        LoadMode::Stream => Mode::Stream,
    };
    let run_id = format!(
        "run{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
    );
    // One thread: the load generator shares the machine with the server,
    // and a single-threaded runtime spends no CPU handing tasks between
    // threads (a third of its CPU time was futex and wake-up system calls).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let r = runtime
        .block_on(grpc::run(
            &args.server,
            &corpus,
            mode,
            args.clients,
            args.rate,
            &run_id,
            args.quiet,
        ))
        .map_err(|e| e.to_string())?;
    let secs = r.elapsed.as_secs_f64().max(1e-9);
    let [p50, p90, p99, max] = r.latency_us;
    say(format_args!(
        "{:?} to {} with {} clients{}: {} articles ({} errors) in {:.2} s = {:.0} articles/s, {:.1} MB/s\nlatency: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        r.mode,
        args.server,
        args.clients,
        if args.rate > 0.0 { format!(" at {:.0}/s", args.rate) } else { String::new() },
        r.articles,
        r.errors,
        secs,
        r.per_second(),
        r.bytes as f64 / secs / 1e6,
        p50 as f64 / 1e3,
        p90 as f64 / 1e3,
        p99 as f64 / 1e3,
        max as f64 / 1e3
    ))?;
    if let Some([p50, _, p99, max]) = r.timer_late_us {
        say(format_args!(
            "pacing: the client's timer sent requests late by p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (not counted in the latency)",
            p50 as f64 / 1e3,
            p99 as f64 / 1e3,
            max as f64 / 1e3
        ))?;
    }
    if let Some(path) = &args.latencies {
        let failed = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
        let file = std::fs::File::create(path).map_err(failed)?;
        syndetect::bench::pacing::write_times(std::io::BufWriter::new(file), &r.requests)
            .map_err(failed)?;
    }
    Ok(())
}

/// Prints a line of a report on stdout. A reader that went away (`| head`)
/// is not an error: the rest of the report is dropped, and what the command
/// writes to files is still written.
fn say(line: std::fmt::Arguments) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    match out.write_fmt(line).and_then(|()| out.write_all(b"\n")) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write the report: {e}"))
        }
        _ => Ok(()),
    }
}

/// The multi-threaded tokio runtime of the commands that speak gRPC.
fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))
}
