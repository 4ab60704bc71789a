use std::time::Instant;
use syndetect::core::normalize;
use syndetect::index::{Index, IndexConfig, MatchOptions};
fn main() {
    let corpus = syndetect::bench::corpus::generate(20000, 42, 0.2);
    let arts: Vec<_> = corpus.iter().map(|a| a.to_article()).collect();
    let n = arts.len() as f64;
    let t = Instant::now();
    for a in &arts {
        std::hint::black_box(normalize(&a.text));
    }
    let a = t.elapsed().as_secs_f64();
    for (name, cfg) in [
        ("default", IndexConfig::default()),
        (
            "nofurn",
            IndexConfig {
                furniture_reports: 0,
                source_furniture_articles: 0,
                ..Default::default()
            },
        ),
        (
            "nolead",
            IndexConfig {
                lead_keys: 0,
                ..Default::default()
            },
        ),
    ] {
        let index = Index::in_memory(cfg).unwrap();
        let t = Instant::now();
        for a in &arts {
            std::hint::black_box(index.fingerprint(a).unwrap());
        }
        let d = t.elapsed().as_secs_f64();
        let t = Instant::now();
        for a in &arts {
            let _ = index.ingest(a, &MatchOptions::default());
        }
        let e = t.elapsed().as_secs_f64();
        let t = Instant::now();
        for a in &arts {
            std::hint::black_box(index.fingerprint(a).unwrap());
        }
        let f = t.elapsed().as_secs_f64();
        println!("{name}: normalize {:.1} fingerprint(empty) {:.1} ingest {:.1} fingerprint(full) {:.1} µs", a/n*1e6, d/n*1e6, e/n*1e6, f/n*1e6);
    }
}
