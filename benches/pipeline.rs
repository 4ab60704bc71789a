//! The whole in-process pipeline, raw text in, verdict out, on one thread:
//! `Index::check` (fingerprint, candidates, verification; stores nothing) and
//! `Index::ingest` (the same, plus the write: record, buckets, furniture
//! model), against an index already holding [`PREFILL`] realistic articles.
//!
//! The articles come from `syndetect::bench::corpus::generate` with a fixed
//! seed: the first [`PREFILL`] are ingested untimed, the next [`POOL`] are the
//! measured stream (about 20% of them syndicated copies, mostly of held
//! articles). Every timed ingest is a new article, in stream order, so the
//! index grows from [`PREFILL`] to at most `PREFILL + POOL` while measured;
//! if criterion asks for more ingests than the pool holds, a fresh index is
//! prefilled (untimed) and the stream starts again.
//!
//! Run: `cargo bench --bench pipeline`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use syndetect::bench::corpus::generate;
use syndetect::index::{Index, IndexConfig, MatchOptions};
use syndetect::model::{Article, Kind};

/// Articles held before measuring.
const PREFILL: usize = 10_000;
/// New articles available to the timed ingests.
const POOL: usize = 10_000;
/// Articles checked, cycled through.
const CHECKS: usize = 256;
/// Seed of the generated stream.
const SEED: u64 = 0x5049_5045;

/// An index holding the first [`PREFILL`] articles of the stream.
fn prefilled(stream: &[Article], options: &MatchOptions) -> Index {
    let index = Index::in_memory(IndexConfig::default()).expect("default config is valid");
    for a in &stream[..PREFILL] {
        index.ingest(a, options).expect("generated article ingests");
    }
    index
}

fn pipeline(c: &mut Criterion) {
    let options = MatchOptions::default();
    let stream: Vec<Article> = generate(PREFILL + POOL, SEED, 0.2)
        .iter()
        .map(|a| a.to_article())
        .collect();
    let bytes = |articles: &[Article]| -> usize {
        articles.iter().map(|a| a.title.len() + a.text.len()).sum()
    };
    let start = Instant::now();
    let mut index = prefilled(&stream, &options);
    eprintln!(
        "pipeline: {PREFILL} articles prefilled in {:.1?}",
        start.elapsed()
    );
    let pool = &stream[PREFILL..];
    let checked = &pool[..CHECKS];
    let copies = checked
        .iter()
        .filter(|a| {
            index
                .check(a, &options)
                .expect("generated article checks")
                .kind
                == Kind::SyndicatedCopy
        })
        .count();
    eprintln!(
        "pipeline: {copies} of the {CHECKS} checked articles are copies; \
         pool of {POOL} articles of {} bytes on average",
        bytes(pool) / POOL
    );

    let mut g = c.benchmark_group("pipeline");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));

    // An iteration checks all CHECKS articles: one sample per iteration.
    g.sampling_mode(SamplingMode::Flat);
    g.throughput(Throughput::ElementsAndBytes {
        elements: CHECKS as u64,
        bytes: bytes(checked) as u64,
    });
    g.bench_function("check_10k_held", |b| {
        b.iter(|| {
            checked
                .iter()
                .map(|a| {
                    index
                        .check(black_box(a), &options)
                        .expect("generated article checks")
                        .matches
                        .len()
                })
                .sum::<usize>()
        })
    });

    // One element per ingested article; bytes are the pool's mean size.
    g.sampling_mode(SamplingMode::Auto);
    g.throughput(Throughput::ElementsAndBytes {
        elements: 1,
        bytes: (bytes(pool) / POOL) as u64,
    });
    let mut cursor = 0;
    let mut refills = 0;
    g.bench_function("ingest_10k_held", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            let mut left = iters as usize;
            while left > 0 {
                if cursor == pool.len() {
                    index = prefilled(&stream, &options);
                    cursor = 0;
                    refills += 1;
                }
                let n = left.min(pool.len() - cursor);
                let start = Instant::now();
                for a in &pool[cursor..cursor + n] {
                    black_box(
                        index
                            .ingest(black_box(a), &options)
                            .expect("generated article ingests"),
                    );
                }
                timed += start.elapsed();
                cursor += n;
                left -= n;
            }
            timed
        })
    });
    g.finish();
    eprintln!(
        "pipeline: ingest ended with {} held, after {refills} refill(s)",
        index.stats().documents
    );
}

criterion_group!(benches, pipeline);
criterion_main!(benches);
