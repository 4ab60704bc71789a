//! Throughput of each pipeline stage and of the whole in-process ingest, on
//! the five real seed articles (`tests/fixtures/seeds/`).
//!
//! Run: `cargo bench --bench pipeline`.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use syndetect::core::{normalize, MinHasher, Shingler};
use syndetect::index::{Index, IndexConfig, MatchOptions};
use syndetect::model::Article;

const SEEDS: [&str; 5] = [
    include_str!("../tests/fixtures/seeds/000_bfcb690c9e2be059.txt"),
    include_str!("../tests/fixtures/seeds/001_87a3e83879af6b9e.txt"),
    include_str!("../tests/fixtures/seeds/002_49eb4525e4a1980a.txt"),
    include_str!("../tests/fixtures/seeds/003_1dacb39100a90cdf.txt"),
    include_str!("../tests/fixtures/seeds/004_6cafe41d9e784b11.txt"),
];

fn stages(c: &mut Criterion) {
    let bytes: usize = SEEDS.iter().map(|s| s.len()).sum();
    let shingler = Shingler::new(3);
    let hasher = MinHasher::new(128);
    let normalized: Vec<String> = SEEDS.iter().map(|s| normalize(s)).collect();
    let sets: Vec<_> = normalized.iter().map(|n| shingler.shingles(n)).collect();

    let mut g = c.benchmark_group("stages");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("normalize", |b| {
        b.iter(|| {
            SEEDS
                .iter()
                .map(|s| normalize(black_box(s)).len())
                .sum::<usize>()
        })
    });
    g.bench_function("shingle", |b| {
        b.iter(|| {
            normalized
                .iter()
                .map(|n| shingler.shingles(black_box(n)).len())
                .sum::<usize>()
        })
    });
    g.bench_function("signature_128", |b| {
        b.iter(|| {
            sets.iter()
                .map(|s| hasher.signature(black_box(s.hashes())).len())
                .sum::<usize>()
        })
    });
    g.finish();
}

fn ingest(c: &mut Criterion) {
    let mut g = c.benchmark_group("pipeline");
    g.throughput(Throughput::Elements(SEEDS.len() as u64));
    let options = MatchOptions::default();
    g.bench_function("ingest_5_seeds_into_fresh_index", |b| {
        b.iter_batched(
            || Index::in_memory(IndexConfig::default()).expect("default config is valid"),
            |index| {
                for (i, text) in SEEDS.iter().enumerate() {
                    let article = Article {
                        id: format!("seed-{i}"),
                        text: (*text).to_owned(),
                        ..Article::default()
                    };
                    black_box(index.ingest(&article, &options).expect("seed ingests"));
                }
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, stages, ingest);
criterion_main!(benches);
