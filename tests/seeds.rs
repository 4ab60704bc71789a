//! The seeds are distinct reports; every syndicated variant of a seed is its
//! copy; copies of copies name the seed; Check agrees with Ingest and stores
//! nothing.

mod common;

use common::variants::{self, glue_sentences, mangle_quotes, rewrap, truncate_half, KINDS};
use common::{article, best_id, start, Kind, TestServer, SEEDS};

/// A variant builder: (seed text, seed index) → variant text.
type Build = fn(&str, usize) -> String;

/// The variant kinds under test: each single kind, and combinations of two.
fn builders() -> Vec<(&'static str, Build)> {
    let mut all: Vec<(&'static str, Build)> = vec![
        ("rewrap", |t, n| variants::variant("rewrap", t, n)),
        ("repeat", |t, n| variants::variant("repeat", t, n)),
        ("mangle", |t, n| variants::variant("mangle", t, n)),
        ("glue", |t, n| variants::variant("glue", t, n)),
        ("truncate", |t, n| variants::variant("truncate", t, n)),
    ];
    assert_eq!(all.len(), KINDS.len());
    all.push(("rewrap+mangle", |t, n| mangle_quotes(&rewrap(t, n))));
    all.push(("glue+truncate", |t, _| truncate_half(&glue_sentences(t))));
    all
}

#[test]
fn variants_do_what_they_say() {
    let text = "Trump said on Sunday. Putin’s aide called it “speculation” & more — again.\nSecond paragraph here with several words.\nThird paragraph with some more words.\nFourth one.";

    let wrapped = rewrap(text, 0);
    assert!(wrapped.contains(text));
    assert!(wrapped.contains("cookies"), "{wrapped}");
    assert!(wrapped.contains("Read more"), "{wrapped}");
    assert!(wrapped.contains("Disclaimer"), "{wrapped}");
    let html = rewrap(text, 1);
    assert!(
        html.contains("<nav>") && html.contains("<p>Second paragraph"),
        "{html}"
    );

    let repeated = variants::repeat_paragraphs(text);
    assert_eq!(
        repeated.matches("Second paragraph").count(),
        2,
        "{repeated}"
    );
    assert_eq!(
        repeated.matches("Trump said on Sunday").count(),
        1,
        "{repeated}"
    );
    assert_eq!(repeated.lines().count(), 4 + 3, "{repeated}");

    let mangled = mangle_quotes(text);
    assert!(mangled.contains("&&"), "{mangled}");
    assert!(mangled.contains("â€œ"), "mojibake of “: {mangled}");
    assert!(
        mangled.contains("&#x201D;") || mangled.contains("&#8217;"),
        "{mangled}"
    );
    assert!(mangled.contains("&amp;"), "{mangled}");
    assert!(mangled.contains("â€”"), "mojibake of —: {mangled}");
    // (The mojibake of — ends in ”, so only these two must be gone.)
    assert!(!mangled.contains(['’', '“']), "{mangled}");
    assert_eq!(variants::mojibake('’'), "â€™");

    let glued = glue_sentences(text);
    assert!(glued.contains("Sunday.Putin"), "{glued}");
    assert!(glued.lines().all(|l| l.chars().count() <= 70), "{glued}");
    assert!(
        glued.lines().count() > text.lines().count(),
        "hard-wrapped: {glued}"
    );

    let seed = SEEDS[2].1;
    let half = truncate_half(seed);
    let words = seed.split_whitespace().count();
    let kept = half.split_whitespace().count();
    assert!(
        kept < words * 6 / 10 && kept > words * 4 / 10,
        "{kept} of {words}"
    );
    assert!(half.ends_with("publisher's website"), "{half}");

    for (name, build) in builders() {
        for (n, (_, seed)) in SEEDS.iter().enumerate() {
            assert_ne!(&build(seed, n), seed, "{name} changes seed {n}");
        }
    }
}

#[tokio::test]
async fn the_five_seeds_are_distinct_reports() {
    let mut server = start().await;
    for (n, (id, text)) in SEEDS.iter().enumerate() {
        let checked = server.check(article(id, text)).await.unwrap();
        let v = server.ingest(article(id, text)).await.unwrap();
        assert_eq!(v.kind(), Kind::DistinctReport, "seed {id}: {v:?}");
        assert_eq!(v.id, *id);
        assert_eq!(v.canonical_id, *id);
        assert!(v.best_match.is_none(), "seed {id}: {v:?}");
        assert!(v.matches.is_empty(), "seed {id}: {v:?}");
        assert!(v.stored);
        assert!(v.shingles > 100, "seed {id} has {} shingles", v.shingles);
        assert!(v.error.is_none());
        assert_eq!(checked.kind(), v.kind());
        assert_eq!(checked.canonical_id, v.canonical_id);
        assert!(!checked.stored);
        assert_eq!(server.documents().await, n as u64 + 1);
    }
    let stats = server.stats().await;
    assert_eq!(stats.originals, 5);
    assert!(stats.buckets > 0);
}

/// Every kind of variant of every seed, sent after the five seeds, is a copy
/// of that seed; Check says so first without storing it.
#[tokio::test]
async fn every_variant_of_every_seed_is_a_copy_of_it() {
    for (kind, build) in builders() {
        // A fresh index per kind: the seeds and one variant of each.
        let mut server = start().await;
        server.ingest_seeds().await;
        for (n, (seed_id, seed)) in SEEDS.iter().enumerate() {
            let id = format!("https://copies.example/{kind}/{n}");
            let text = build(seed, n);
            let before = server.documents().await;

            let checked = server.check(article(&id, &text)).await.unwrap();
            assert_eq!(server.documents().await, before, "Check stored {id}");
            assert!(!checked.stored, "{id}: {checked:?}");

            let v = server.ingest(article(&id, &text)).await.unwrap();
            assert_eq!(v.kind(), Kind::SyndicatedCopy, "{kind} of {seed_id}: {v:?}");
            assert_eq!(best_id(&v), *seed_id, "{kind} of {seed_id}: {v:?}");
            assert_eq!(v.canonical_id, *seed_id, "{kind} of {seed_id}: {v:?}");
            assert_eq!(v.id, id);
            assert!(v.stored);
            assert_eq!(v.matches.first(), v.best_match.as_ref());
            let best = v.best_match.as_ref().unwrap();
            assert_eq!(best.canonical_id, *seed_id);
            assert!(best.jaccard > 0.0 && best.jaccard <= 1.0, "{best:?}");
            assert!(
                best.jaccard >= 0.5 || best.containment >= 0.7,
                "{kind} of {seed_id} passed no threshold: {best:?}"
            );
            assert_eq!(server.documents().await, before + 1);

            // Check, before the ingest, gave the same answer.
            assert_eq!(checked.kind(), v.kind(), "{kind} of {seed_id}");
            assert_eq!(checked.canonical_id, v.canonical_id, "{kind} of {seed_id}");
            assert_eq!(best_id(&checked), best_id(&v), "{kind} of {seed_id}");
            assert_eq!(checked.shingles, v.shingles);
        }
        assert_eq!(
            server.stats().await.originals,
            5,
            "{kind}: only the seeds are originals"
        );
    }
}

/// A variant of a held variant names the seed as canonical id, through the
/// variant it matched best.
#[tokio::test]
async fn a_copy_of_a_copy_names_the_seed() {
    let mut server = start().await;
    server.ingest_seeds().await;
    for (n, (seed_id, seed)) in SEEDS.iter().enumerate() {
        let first_id = format!("https://harbor.example/{n}");
        let first = rewrap(seed, n + 2);
        let v = server.ingest(article(&first_id, &first)).await.unwrap();
        assert_eq!(v.kind(), Kind::SyndicatedCopy);
        assert_eq!(v.canonical_id, *seed_id);

        // The copy of the copy carries the first copy's furniture, so it
        // resembles the first copy more than the seed.
        let second_id = format!("https://mirror.example/{n}");
        let second = glue_sentences(&mangle_quotes(&first));
        let v = server.ingest(article(&second_id, &second)).await.unwrap();
        assert_eq!(v.kind(), Kind::SyndicatedCopy, "{v:?}");
        assert_eq!(best_id(&v), first_id, "{v:?}");
        assert_eq!(v.canonical_id, *seed_id, "{v:?}");
        assert_eq!(v.best_match.as_ref().unwrap().canonical_id, *seed_id);

        // And one more level down.
        let third_id = format!("https://aggregator.example/{n}");
        let third = truncate_half(&second);
        let v = server.ingest(article(&third_id, &third)).await.unwrap();
        assert_eq!(v.kind(), Kind::SyndicatedCopy, "{v:?}");
        assert_eq!(v.canonical_id, *seed_id, "{v:?}");
        assert_ne!(best_id(&v), "", "{v:?}");
    }
    let stats = server.stats().await;
    assert_eq!(stats.documents, 5 + 3 * 5);
    assert_eq!(stats.originals, 5);
}

/// Check never stores: the same text checked twice under two ids is distinct
/// both times, and Stats does not move.
#[tokio::test]
async fn check_stores_nothing() {
    let mut server = start().await;
    let (_, seed) = SEEDS[0];
    for id in ["a", "b", "c"] {
        let v = server.check(article(id, seed)).await.unwrap();
        assert_eq!(v.kind(), Kind::DistinctReport, "{v:?}");
        assert_eq!(v.canonical_id, id);
        assert!(!v.stored);
        assert_eq!(server.documents().await, 0);
    }
    // Once ingested, the same Check finds it.
    let stored = server.ingest(article("a", seed)).await.unwrap();
    assert!(stored.stored);
    let v = server.check(article("b", seed)).await.unwrap();
    assert_eq!(v.kind(), Kind::SyndicatedCopy, "{v:?}");
    assert_eq!(best_id(&v), "a");
    let best = v.best_match.unwrap();
    assert!(best.jaccard > 0.99, "identical text: {best:?}");
    // Checking a held id compares it with the others, not with itself.
    let v = server.check(article("a", seed)).await.unwrap();
    assert_eq!(v.kind(), Kind::DistinctReport, "{v:?}");
    assert_eq!(server.documents().await, 1);
    let _ = TestServer::shutdown(server).await;
}
