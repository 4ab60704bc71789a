//! The LSH buckets at scale: candidate look-up and insert in a `MemoryStore`
//! holding 10k, 100k and 1M articles. With LSH a query touches one bucket per
//! band whatever the number held, so the time at 1M should stay close to the
//! time at 10k (within 2×: what grows is cache and TLB misses, not work).
//!
//! **Held state.** Building 1M real fingerprints would take minutes, so the
//! store is filled directly with [`Record`]s:
//! - [`REAL`] articles generated with a fixed seed (20% of them syndicated
//!   copies of earlier ones, as in service) and fingerprinted by a fresh
//!   index: real signatures and real band keys;
//! - the rest derived from those: every minimum of a real signature keeps its
//!   magnitude (its top bit) and gets fresh random lower bits from a seeded
//!   generator. The values look like MinHash minima of articles of the same
//!   size, and their band keys are distinct from every other (unrelated
//!   articles rarely share a band).
//!
//! Records carry their signature and keys (as the index stores them) but an
//! empty shingle set and figures: those are only read by verification, which
//! this bench does not run, and leaving them out keeps 1M records in a few GB.
//! Records are posted under their LSH band keys only (the index also posts
//! lead keys; they are buckets like any other).
//!
//! **Queries** (256 per iteration, reported per query):
//! - `near_copy`: real syndicated copies (wrapped in furniture, or truncated
//!   to 40–70%) of held real articles, fingerprinted like the held ones;
//! - `unseen`: real original articles that nothing held was copied from.
//!
//! **Insert**: one new record (fresh band keys) into the store; inserted
//! records are removed again outside the timed region, so the store stays at
//! its size.
//!
//! Run: `cargo bench --bench lsh` (the 1M setup takes under a minute and
//! 3–5 GB of memory). `SYNDETECT_BENCH_LSH_SIZES=10000,100000` measures only
//! the sizes listed (a criterion filter alone would still build every store).

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use syndetect::bench::corpus::{generate, Rng};
use syndetect::core::{BandKey, LshParams, Signature};
use syndetect::index::{Index, IndexConfig};
use syndetect::storage::{DocId, MemoryStore, Record, Store};

/// Held sizes measured, unless `SYNDETECT_BENCH_LSH_SIZES` lists others.
const SIZES: [usize; 3] = [10_000, 100_000, 1_000_000];
/// Real articles fingerprinted; the rest of the held records derive from them.
const REAL: usize = 2_000;
/// Articles generated after the held real ones, to draw queries from.
const LATER: usize = 3_000;
/// Queries per iteration.
const QUERIES: usize = 256;
/// Inserts timed between two clean-ups.
const INSERT_CHUNK: usize = 1_024;
/// Seed of the generated corpus.
const SEED: u64 = 0x4C53_4821;

/// A real fingerprint: the signature and its LSH band keys.
struct Real {
    signature: Signature,
    keys: Vec<BandKey>,
}

/// The real material every held size is built from.
struct Corpus {
    lsh: LshParams,
    held: Vec<Real>,
    near_copies: Vec<Vec<BandKey>>,
    unseen: Vec<Vec<BandKey>>,
}

impl Corpus {
    fn new() -> Self {
        let config = IndexConfig::default();
        let index = Index::in_memory(config).expect("default config is valid");
        let lsh = *index.lsh();
        let articles = generate(REAL + LATER, SEED, 0.2);
        let real = |i: usize| {
            let fp = index
                .fingerprint(&articles[i].to_article())
                .expect("generated article has words");
            let keys = lsh.band_keys(&fp.signature);
            Real {
                signature: fp.signature,
                keys,
            }
        };
        let held: Vec<Real> = (0..REAL).map(real).collect();
        // The generator names a cluster after its original's index.
        let original_of = |i: usize| -> usize {
            articles[i].cluster[1..]
                .parse()
                .expect("cluster is c<index>")
        };
        let near_copies: Vec<_> = (REAL..REAL + LATER)
            .filter(|i| articles[*i].expect == "copy" && original_of(*i) < REAL)
            .take(QUERIES)
            .map(|i| real(i).keys)
            .collect();
        let unseen: Vec<_> = (REAL..REAL + LATER)
            .filter(|i| articles[*i].expect == "distinct")
            .take(QUERIES)
            .map(|i| real(i).keys)
            .collect();
        assert_eq!(near_copies.len(), QUERIES, "not enough copies generated");
        assert_eq!(unseen.len(), QUERIES, "not enough originals generated");
        Corpus {
            lsh,
            held,
            near_copies,
            unseen,
        }
    }

    /// A new signature like real one `i`: each minimum keeps its top bit
    /// and gets random lower bits.
    fn derived(&self, i: usize, rng: &mut Rng) -> Signature {
        let values = self.held[i % self.held.len()].signature.values();
        Signature::from_values(
            values
                .iter()
                .map(|v| {
                    let low = (1u16 << (15 - v.leading_zeros().min(15))) - 1;
                    (v & !low) | (rng.next_u64() as u16 & low)
                })
                .collect(),
        )
    }

    /// A record to hold, as the index would store a distinct report (posted
    /// under its band keys only: no lead keys).
    fn record(id: String) -> Record {
        let id: Arc<str> = Arc::from(id);
        Record {
            doc: 0,
            id: Arc::clone(&id),
            text_hash: 0,
            figures: Box::new([]),
            detail: None,
            shingles: 0,
            published_at: 0,
            arrived_at: 0,
            arrival: 0,
            matches: Box::new([]),
            canonical_id: id,
        }
    }

    /// A store holding `n` records: the real ones, then derived ones.
    fn store(&self, n: usize) -> MemoryStore {
        let store = MemoryStore::new();
        let mut rng = Rng::new(SEED ^ n as u64);
        for i in 0..n {
            let (signature, keys) = match self.held.get(i) {
                Some(real) => (real.signature.clone(), real.keys.clone()),
                None => {
                    let signature = self.derived(i, &mut rng);
                    let keys = self.lsh.band_keys(&signature);
                    (signature, keys)
                }
            };
            store
                .insert(Self::record(format!("held-{i}")), &signature, &keys)
                .expect("held ids are distinct");
        }
        store
    }
}

/// Mean candidates per query, to show what the queries find.
fn mean_candidates(store: &MemoryStore, queries: &[Vec<BandKey>]) -> f64 {
    let mut out: Vec<DocId> = Vec::new();
    let mut total = 0;
    for keys in queries {
        out.clear();
        store.candidates(keys, &mut out);
        total += out.len();
    }
    total as f64 / queries.len() as f64
}

/// The held sizes to measure.
fn sizes() -> Vec<usize> {
    match std::env::var("SYNDETECT_BENCH_LSH_SIZES") {
        Ok(list) => list
            .split(',')
            .map(|n| {
                n.trim()
                    .replace('_', "")
                    .parse()
                    .expect("SYNDETECT_BENCH_LSH_SIZES: comma-separated counts")
            })
            .collect(),
        Err(_) => SIZES.to_vec(),
    }
}

fn lsh(c: &mut Criterion) {
    let corpus = Corpus::new();
    let mut g = c.benchmark_group("lsh");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    let sizes = sizes();
    for &n in &sizes {
        let start = Instant::now();
        let store = corpus.store(n);
        eprintln!(
            "lsh: {n} held ({} buckets, {} bands x {} rows) built in {:.1?}; \
             candidates per query: near copy {:.2}, unseen {:.2}",
            store.buckets(),
            corpus.lsh.bands,
            corpus.lsh.rows,
            start.elapsed(),
            mean_candidates(&store, &corpus.near_copies),
            mean_candidates(&store, &corpus.unseen),
        );

        g.throughput(Throughput::Elements(QUERIES as u64));
        for (name, queries) in [
            ("candidates_near_copy", &corpus.near_copies),
            ("candidates_unseen", &corpus.unseen),
        ] {
            g.bench_with_input(BenchmarkId::new(name, n), queries, |b, queries| {
                let mut out: Vec<DocId> = Vec::with_capacity(64);
                b.iter(|| {
                    let mut found = 0;
                    for keys in queries {
                        out.clear();
                        store.candidates(black_box(keys), &mut out);
                        found += out.len();
                    }
                    found
                })
            });
        }

        g.throughput(Throughput::Elements(1));
        let mut rng = Rng::new(SEED ^ 0x1A5E_2700 ^ n as u64);
        let mut next = 0usize;
        g.bench_function(BenchmarkId::new("insert", n), |b| {
            b.iter_custom(|iters| {
                let mut timed = Duration::ZERO;
                let mut left = iters as usize;
                while left > 0 {
                    let chunk = left.min(INSERT_CHUNK);
                    let batch: Vec<(Record, Signature, Vec<BandKey>)> = (0..chunk)
                        .map(|_| {
                            next += 1;
                            let signature = corpus.derived(next, &mut rng);
                            let keys = corpus.lsh.band_keys(&signature);
                            (Corpus::record(format!("new-{next}")), signature, keys)
                        })
                        .collect();
                    let mut held = Vec::with_capacity(chunk);
                    let start = Instant::now();
                    for (record, signature, keys) in batch {
                        let stored = store
                            .insert(record, &signature, &keys)
                            .expect("new ids are new");
                        held.push((stored, keys));
                    }
                    timed += start.elapsed();
                    for (stored, keys) in held {
                        store.remove(&stored.id, &keys);
                    }
                    left -= chunk;
                }
                timed
            })
        });
        assert_eq!(store.len(), n, "inserted records were not all removed");
        if Some(&n) == sizes.last() {
            // Freeing 1M records and 32M buckets takes seconds; the process
            // is about to exit and return the memory anyway.
            std::mem::forget(store);
        } else {
            drop(store);
        }
    }
    g.finish();
}

criterion_group!(benches, lsh);
criterion_main!(benches);
