//! Throughput of each stage of the fingerprint, over one batch of realistic
//! generated articles (`syndetect::bench::corpus::generate`, fixed seed):
//! normalize → words (tokenize and hash) → shingle → distinct count (what a
//! lean fingerprint keeps of its set) → 128-value MinHash signature → LSH band keys, and the
//! whole `Index::fingerprint` (which adds segments, furniture, figures and
//! lead keys), with the defaults and with `--footprint lean`.
//!
//! Every benchmark handles the same [`BATCH`] articles per iteration, so the
//! time per article is the reported time divided by [`BATCH`]; throughput is
//! reported in articles/s and in bytes/s of raw input text.
//!
//! Run: `cargo bench --bench stages`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use syndetect::bench::corpus::generate;
use syndetect::core::normalize::normalize_with;
use syndetect::core::shingle::{distinct_count, for_each_word, push_word_hashes};
use syndetect::core::{normalize, MinHasher, Shingler};
use syndetect::index::{Index, IndexConfig, MatchOptions};
use syndetect::model::Article;

/// Articles per iteration.
const BATCH: usize = 256;
/// Seed of the measured batch.
const SEED: u64 = 0x5747_4745;
/// Seed of the articles held by the index `fingerprint` runs against.
const HELD_SEED: u64 = 0x4845_4C44;
/// Articles held by that index, so its furniture model has learned something.
const HELD: usize = 1_000;
/// Share of syndicated copies in the generated corpora.
const COPY_SHARE: f64 = 0.2;

fn stages(c: &mut Criterion) {
    let config = IndexConfig::default();
    let articles: Vec<Article> = generate(BATCH, SEED, COPY_SHARE)
        .iter()
        .map(|a| a.to_article())
        .collect();
    let bytes: usize = articles.iter().map(|a| a.title.len() + a.text.len()).sum();

    let shingler = Shingler::new(config.shingle_size);
    let hasher = MinHasher::new(config.permutations);
    let normalized: Vec<String> = articles.iter().map(|a| normalize(&a.text)).collect();
    // Each article's segments, as the normalizer hands them to the word
    // hasher.
    let segments: Vec<Vec<Vec<u8>>> = articles
        .iter()
        .map(|a| {
            let mut segs = Vec::new();
            normalize_with(&a.text, |seg, _| segs.push(seg.to_vec()));
            segs
        })
        .collect();
    let sets: Vec<_> = normalized.iter().map(|n| shingler.shingles(n)).collect();
    let signatures: Vec<_> = sets.iter().map(|s| hasher.signature(s.hashes())).collect();
    // Each article's shingles as the fingerprint counts them: low halves,
    // in text order, duplicates kept.
    let low_halves: Vec<Vec<u32>> = normalized
        .iter()
        .map(|n| {
            let mut words = Vec::new();
            for_each_word(n.as_bytes(), |h, _| words.push(h));
            shingler
                .shingle_hashes(&words)
                .iter()
                .map(|h| *h as u32)
                .collect()
        })
        .collect();

    // `fingerprint` reads the furniture model, so run it against an index
    // that has seen other articles of the same sites (its stores are as they
    // would be in service, not empty).
    let index = Index::in_memory(config.clone()).expect("default config is valid");
    let options = MatchOptions::default();
    for a in generate(HELD, HELD_SEED, COPY_SHARE) {
        index
            .ingest(&a.to_article(), &options)
            .expect("generated article ingests");
    }
    let lean = Index::in_memory(IndexConfig::lean()).expect("lean config is valid");
    for a in generate(HELD, HELD_SEED, COPY_SHARE) {
        lean.ingest(&a.to_article(), &options)
            .expect("generated article ingests");
    }
    let lsh = *index.lsh();
    let shingles: usize = sets.iter().map(|s| s.len()).sum();
    eprintln!(
        "stages: {BATCH} articles, {bytes} bytes ({} per article), {} shingles per article, \
         LSH {} bands x {} rows, index holding {HELD}",
        bytes / BATCH,
        shingles / BATCH,
        lsh.bands,
        lsh.rows,
    );

    let mut g = c.benchmark_group("stages");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sampling_mode(SamplingMode::Flat)
        .throughput(Throughput::ElementsAndBytes {
            elements: BATCH as u64,
            bytes: bytes as u64,
        });

    g.bench_function("normalize", |b| {
        b.iter(|| {
            articles
                .iter()
                .map(|a| normalize(black_box(&a.text)).len())
                .sum::<usize>()
        })
    });
    g.bench_function("words", |b| {
        let (mut hashes, mut numeric) = (Vec::new(), Vec::new());
        b.iter(|| {
            let mut sum = 0u64;
            for article in &segments {
                hashes.clear();
                numeric.clear();
                for seg in article {
                    push_word_hashes(black_box(seg), &mut hashes, &mut numeric);
                }
                sum = sum.wrapping_add(hashes.len() as u64);
            }
            sum
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
    g.bench_function("distinct_count", |b| {
        b.iter(|| {
            low_halves
                .iter()
                .map(|v| distinct_count(black_box(v)))
                .sum::<usize>()
        })
    });
    g.bench_function("signature_128", |b| {
        b.iter(|| {
            sets.iter()
                .map(|s| hasher.signature(black_box(s.hashes())).values()[0])
                .fold(0u16, |acc, v| acc ^ v)
        })
    });
    g.bench_function("band_keys", |b| {
        b.iter(|| {
            signatures
                .iter()
                .map(|s| lsh.band_keys(black_box(s))[0])
                .fold(0u64, |acc, k| acc ^ k)
        })
    });
    g.bench_function("fingerprint", |b| {
        b.iter(|| {
            articles
                .iter()
                .map(|a| {
                    index
                        .fingerprint(black_box(a))
                        .expect("generated article has words")
                        .keys
                        .len()
                })
                .sum::<usize>()
        })
    });
    g.bench_function("fingerprint_lean", |b| {
        b.iter(|| {
            articles
                .iter()
                .map(|a| {
                    lean.fingerprint(black_box(a))
                        .expect("generated article has words")
                        .keys
                        .len()
                })
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(benches, stages);
criterion_main!(benches);
