//! Detection quality: regression tests for the mechanisms that decide copy or
//! distinct on realistic (invented) news text, through the library API.
//!
//! 1. Site furniture shared by unrelated briefs is learned and ignored.
//! 2. Teasers and excerpts are copies (lead keys, containment), in either order.
//! 3. An updated wire story with a new lead is still a copy.
//! 4. A shared long quote or background paragraph does not make a copy.
//! 5. Templated reports that differ only in their figures are distinct.
//! 6. A spun copy is a copy; another outlet's report of the same event is not.
//! 7. Short briefs: related ones stay distinct, a re-sent one is a copy.
//!
//! Fixtures live in `tests/fixtures/quality/`: a title line, a `---` line,
//! then the body. Every failure message carries the `explain` output (the
//! most similar held articles with Jaccard and containment).

use syndetect::index::{Index, IndexConfig, MatchOptions};
use syndetect::{Article, Kind, Verdict};

macro_rules! fixture {
    ($path:literal) => {
        include_str!(concat!("fixtures/quality/", $path))
    };
}

/// A fixture's title and body (split at its `---` line).
fn parts(fixture: &str) -> (&str, &str) {
    let (title, body) = fixture
        .split_once("\n---\n")
        .expect("a fixture is a title, a --- line, then the body");
    (title.trim(), body.trim())
}

fn article(id: &str, title: &str, text: &str) -> Article {
    Article {
        id: id.to_owned(),
        title: title.to_owned(),
        text: text.to_owned(),
        source: String::new(),
        published_at: 0,
    }
}

/// An article from a fixture as it stands.
fn from_fixture(id: &str, fixture: &str) -> Article {
    let (title, body) = parts(fixture);
    article(id, title, body)
}

fn index(config: IndexConfig) -> Index {
    Index::in_memory(config).expect("valid config")
}

fn defaults() -> Index {
    index(IndexConfig::default())
}

/// The most similar held articles, for failure messages.
fn explain(index: &Index, a: &Article) -> String {
    let mut out = String::new();
    for (id, s) in index.explain(a, 5).expect("explain") {
        out.push_str(&format!(
            "\n  {id}: jaccard {:.3}, containment {:.3}, smaller {} shingles",
            s.jaccard, s.containment, s.smaller
        ));
    }
    if out.is_empty() {
        out.push_str(" (nothing held)");
    }
    out
}

/// Ingests with the default options; the explanation is taken before, so it
/// shows what the article was compared with.
fn ingest(index: &Index, a: &Article) -> (Verdict, String) {
    let why = explain(index, a);
    let v = index.ingest(a, &MatchOptions::default()).expect("ingest");
    assert!(v.stored, "{} was stored: {v:?}", a.id);
    (v, why)
}

fn assert_distinct(index: &Index, a: &Article) -> Verdict {
    let (v, why) = ingest(index, a);
    assert_eq!(
        v.kind,
        Kind::DistinctReport,
        "{} should be a distinct report, got {v:?}; most similar held:{why}",
        a.id
    );
    assert!(v.matches.is_empty(), "{v:?}");
    assert_eq!(&*v.canonical_id, a.id, "{v:?}");
    v
}

fn assert_copy_of(index: &Index, a: &Article, of: &str, canonical: &str) -> Verdict {
    let (v, why) = ingest(index, a);
    assert_eq!(
        v.kind,
        Kind::SyndicatedCopy,
        "{} should be a copy of {of}, got {v:?}; most similar held:{why}",
        a.id
    );
    let best = v.best_match().expect("a copy has a best match");
    assert_eq!(
        &*best.id, of,
        "{}: wrong best match in {v:?}; most similar held:{why}",
        a.id
    );
    assert_eq!(&*v.canonical_id, canonical, "{v:?}");
    assert_eq!(&*best.canonical_id, canonical, "{v:?}");
    v
}

// ---------------------------------------------------------------------------
// 1. Site furniture

const BRIEFS: [(&str, &str); 5] = [
    ("brief1", fixture!("furniture/brief1.txt")),
    ("brief2", fixture!("furniture/brief2.txt")),
    ("brief3", fixture!("furniture/brief3.txt")),
    ("brief4", fixture!("furniture/brief4.txt")),
    ("brief5", fixture!("furniture/brief5.txt")),
];

/// A brief as a site serves it: its header on top, its footer below, under
/// its source name.
fn wrapped(id: &str, brief: &str, header: &str, footer: &str, source: &str) -> Article {
    let (title, body) = parts(brief);
    let text = format!("{}\n\n{body}\n\n{}", header.trim(), footer.trim());
    Article {
        source: source.to_owned(),
        ..article(id, title, &text)
    }
}

/// A brief as site A (Harbourline Post) serves it: nav line on top, "Read
/// Full Article" line, licensing disclaimer and footer links below.
fn on_site_a(id: &str, brief: &str) -> Article {
    wrapped(
        id,
        brief,
        fixture!("furniture/site_a_header.txt"),
        fixture!("furniture/site_a_footer.txt"),
        "harbourlinepost.example",
    )
}

/// The same brief as another site (Valley Courier) serves it.
fn on_site_b(id: &str, brief: &str) -> Article {
    wrapped(
        id,
        brief,
        fixture!("furniture/site_b_header.txt"),
        fixture!("furniture/site_b_footer.txt"),
        "valleycourier.example",
    )
}

#[test]
fn furniture_fixture_is_what_it_claims() {
    let words = |s: &str| s.split_whitespace().count();
    for (id, brief) in BRIEFS {
        let body = words(parts(brief).1);
        assert!((40..=80).contains(&body), "{id}: {body} words");
    }
    let footer = fixture!("furniture/site_a_footer.txt");
    let disclaimer = footer
        .lines()
        .find(|l| l.starts_with("Disclaimer"))
        .expect("a disclaimer line");
    assert!(words(disclaimer) >= 55, "{}", words(disclaimer));
    assert!(footer.contains("Read Full Article at example.com"));
}

#[test]
fn briefs_in_shared_site_furniture_are_distinct_and_a_rewrapped_copy_is_found() {
    let index = defaults();
    for (id, brief) in BRIEFS {
        assert_distinct(&index, &on_site_a(id, brief));
    }
    let stats = index.stats();
    assert!(
        stats.furniture_shingles > 0,
        "site A's furniture was learned: {stats:?}"
    );
    assert_eq!(stats.originals, BRIEFS.len());

    // Brief 1 republished by another site, in that site's furniture.
    let copy = on_site_b("brief1-on-valley-courier", BRIEFS[0].1);
    assert_copy_of(&index, &copy, "brief1", "brief1");
}

/// Two long features that site A also serves in its furniture: distinct from
/// each other (the furniture is a small part of them), they teach the index
/// the furniture.
fn site_a_features() -> [Article; 2] {
    [
        on_site_a("feature-corvane", fixture!("quotes/report_a.txt")),
        on_site_a("feature-bridge", fixture!("quotes/background_a.txt")),
    ]
}

/// The learning itself, once two distinct reports in the furniture are held:
/// later briefs in it are distinct (the furniture is left out of their
/// shingles and out of the held features'), and a copy in another site's
/// furniture is still found.
#[test]
fn once_learned_furniture_no_longer_makes_briefs_copies() {
    let index = defaults();
    for feature in site_a_features() {
        assert_distinct(&index, &feature);
    }
    assert!(index.stats().furniture_shingles > 0, "{:?}", index.stats());
    for (id, brief) in BRIEFS {
        assert_distinct(&index, &on_site_a(id, brief));
    }
    let copy = on_site_b("brief1-on-valley-courier", BRIEFS[0].1);
    let v = assert_copy_of(&index, &copy, "brief1", "brief1");
    assert_eq!(v.matches.len(), 1, "only brief1 matches: {v:?}");
}

/// Without furniture learning the shared furniture outweighs the short
/// briefs: the two tests above depend on the mechanism.
#[test]
fn without_furniture_learning_a_brief_is_wrongly_called_a_copy() {
    let index = index(IndexConfig {
        furniture_reports: 0,
        source_furniture_articles: 0,
        ..Default::default()
    });
    for feature in site_a_features() {
        assert_distinct(&index, &feature);
    }
    let mut wrongly_copies = Vec::new();
    for (id, brief) in BRIEFS {
        let v = index
            .ingest(&on_site_a(id, brief), &MatchOptions::default())
            .expect("ingest");
        if v.kind == Kind::SyndicatedCopy {
            wrongly_copies.push(id);
        }
    }
    assert_eq!(index.stats().furniture_shingles, 0);
    assert!(
        !wrongly_copies.is_empty(),
        "the fixture's furniture is too light to show the mechanism matters"
    );
}

// ---------------------------------------------------------------------------
// 2. Excerpts and teasers

const DESAL: &str = fixture!("excerpt/original.txt");

/// The title and the first `share` of the body's words, cut off with a
/// "Continue reading..." line.
fn excerpt(id: &str, share: f64) -> Article {
    let (title, body) = parts(DESAL);
    let words: Vec<&str> = body.split_whitespace().collect();
    let keep = (words.len() as f64 * share).round() as usize;
    let text = format!("{}\n\nContinue reading...", words[..keep].join(" "));
    article(id, title, &text)
}

#[test]
fn a_teaser_of_headline_and_first_sentence_is_a_copy() {
    let index = defaults();
    assert_distinct(&index, &from_fixture("desal", DESAL));
    let teaser = from_fixture("desal-teaser", fixture!("excerpt/teaser.txt"));
    assert_eq!(
        parts(DESAL).0,
        teaser.title,
        "the teaser keeps the headline"
    );
    assert!(
        parts(DESAL)
            .1
            .starts_with(teaser.text.lines().next().unwrap()),
        "the teaser keeps the first sentence"
    );
    assert_copy_of(&index, &teaser, "desal", "desal");
}

/// Without lead keys LSH does not find the teaser (its Jaccard with the whole
/// article is low): the test above depends on them.
#[test]
fn without_lead_keys_the_teaser_is_missed() {
    let index = index(IndexConfig {
        lead_keys: 0,
        ..Default::default()
    });
    index
        .ingest(&from_fixture("desal", DESAL), &MatchOptions::default())
        .expect("ingest");
    let teaser = from_fixture("desal-teaser", fixture!("excerpt/teaser.txt"));
    let v = index
        .ingest(&teaser, &MatchOptions::default())
        .expect("ingest");
    assert_eq!(v.kind, Kind::DistinctReport, "{v:?}");
}

#[test]
fn an_excerpt_of_the_first_45_percent_is_a_copy() {
    let index = defaults();
    assert_distinct(&index, &from_fixture("desal", DESAL));
    let v = assert_copy_of(&index, &excerpt("desal-excerpt", 0.45), "desal", "desal");
    let best = v.best_match().unwrap();
    assert!(best.containment >= 0.9, "{best:?}");
}

#[test]
fn an_excerpt_held_first_makes_the_full_article_its_copy() {
    let index = defaults();
    assert_distinct(&index, &excerpt("desal-excerpt", 0.45));
    // Containment alone suffices: no Jaccard can reach a threshold of 1.
    let original = from_fixture("desal", DESAL);
    let only_containment = MatchOptions {
        jaccard_threshold: Some(1.0),
        ..Default::default()
    };
    let v = index.check(&original, &only_containment).expect("check");
    assert_eq!(v.kind, Kind::SyndicatedCopy, "{v:?}");
    assert_eq!(v.best_match().map(|m| &*m.id), Some("desal-excerpt"));

    let v = assert_copy_of(
        &index,
        &from_fixture("desal", DESAL),
        "desal-excerpt",
        "desal-excerpt",
    );
    // Found by containment of the excerpt in the full article.
    let best = v.best_match().unwrap();
    let config = IndexConfig::default();
    assert!(best.containment >= config.containment_threshold, "{best:?}");
    assert!(best.containment > best.jaccard, "{best:?}");
}

// ---------------------------------------------------------------------------
// 3. Updated wire story

#[test]
fn an_updated_wire_story_with_a_new_lead_is_a_copy() {
    let index = defaults();
    let original = from_fixture("ferry", fixture!("update/original.txt"));
    let updated = from_fixture("ferry-updated", fixture!("update/updated.txt"));
    assert!(updated.text.contains("Updated at 14:32 GMT"));
    assert_ne!(
        original.text.split(". ").next(),
        updated.text.split(". ").next(),
        "the lead was rewritten"
    );
    assert_distinct(&index, &original);
    assert_copy_of(&index, &updated, "ferry", "ferry");
}

/// A wire service that has published other stories sends an update of one of
/// them: the per-source furniture rule (segments repeated within a site) must
/// not mistake the story's own sentences for the site's furniture.
#[test]
fn an_update_from_the_same_busy_source_is_a_copy() {
    let index = defaults();
    let wire = |a: Article| Article {
        source: "wire.example".to_owned(),
        ..a
    };
    let others = [
        ("w-report", fixture!("quotes/report_a.txt")),
        ("w-background", fixture!("quotes/background_a.txt")),
        ("w-markets", fixture!("markets/day1.txt")),
        ("w-storm", fixture!("spin/original.txt")),
        ("w-brief-a", fixture!("short/brief_a.txt")),
        ("w-brief-b", fixture!("short/brief_b.txt")),
    ];
    for (id, text) in others {
        assert_distinct(&index, &wire(from_fixture(id, text)));
    }
    assert_distinct(
        &index,
        &wire(from_fixture("ferry", fixture!("update/original.txt"))),
    );
    let updated = wire(from_fixture(
        "ferry-updated",
        fixture!("update/updated.txt"),
    ));
    assert_copy_of(&index, &updated, "ferry", "ferry");
}

// ---------------------------------------------------------------------------
// 4. Sharing a quote or a background paragraph is not copying

/// The statement both reports quote verbatim.
const STATEMENT: &str = "This was the hardest decision this board has ever taken. Nickel \
prices have fallen by more than forty percent in eighteen months, and we can no longer \
operate Saltash Ridge without losing money on every tonne we produce. We will support \
every employee through this transition.";

#[test]
fn two_reports_quoting_the_same_long_statement_are_distinct() {
    let a = from_fixture("corvane-ledger", fixture!("quotes/report_a.txt"));
    let b = from_fixture("corvane-pennant", fixture!("quotes/report_b.txt"));
    assert!(a.text.contains(STATEMENT) && b.text.contains(STATEMENT));
    assert!(STATEMENT.split_whitespace().count() >= 40);
    let index = defaults();
    assert_distinct(&index, &a);
    assert_distinct(&index, &b);
}

#[test]
fn two_reports_sharing_a_background_paragraph_are_distinct() {
    let a = from_fixture("bridge-a", fixture!("quotes/background_a.txt"));
    let b = from_fixture("bridge-b", fixture!("quotes/background_b.txt"));
    let shared = a
        .text
        .split("\n\n")
        .find(|p| b.text.contains(p) && p.split_whitespace().count() >= 40)
        .expect("the reports share a background paragraph");
    assert!(shared.starts_with("The Lindqvist Bridge, which carries"));
    let index = defaults();
    assert_distinct(&index, &a);
    assert_distinct(&index, &b);
}

// ---------------------------------------------------------------------------
// 5. Numbers carry evidence

#[test]
fn daily_market_reports_with_the_same_frame_and_different_figures_are_distinct() {
    let days = [
        ("markets-0304", fixture!("markets/day1.txt")),
        ("markets-0305", fixture!("markets/day2.txt")),
        ("markets-0306", fixture!("markets/day3.txt")),
    ];
    // Same frame: the reports differ only in digits and the day's name.
    let frame = |s: &str| -> String {
        s.chars()
            .filter(|c| !c.is_ascii_digit())
            .collect::<String>()
            .replace("Tuesday", "DAY")
            .replace("Wednesday", "DAY")
            .replace("Thursday", "DAY")
    };
    assert_eq!(frame(days[0].1), frame(days[1].1));
    assert_eq!(frame(days[0].1), frame(days[2].1));
    let index = defaults();
    for (id, text) in days {
        assert_distinct(&index, &from_fixture(id, text));
    }
}

/// Without the figure check the shared frame alone makes day 2 a copy of
/// day 1: the test above depends on the mechanism.
#[test]
fn without_the_figure_check_the_frame_makes_a_copy() {
    let index = index(IndexConfig {
        number_agreement: 0.0,
        ..Default::default()
    });
    assert_distinct(
        &index,
        &from_fixture("markets-0304", fixture!("markets/day1.txt")),
    );
    let v = index
        .ingest(
            &from_fixture("markets-0305", fixture!("markets/day2.txt")),
            &MatchOptions::default(),
        )
        .expect("ingest");
    assert_eq!(v.kind, Kind::SyndicatedCopy, "{v:?}");
}

// ---------------------------------------------------------------------------
// 6. Spin

#[test]
fn a_spun_copy_is_a_copy_and_an_independent_report_is_not() {
    let index = defaults();
    let original = from_fixture("petra", fixture!("spin/original.txt"));
    let spun = from_fixture("petra-spun", fixture!("spin/spun.txt"));
    let independent = from_fixture("petra-other-outlet", fixture!("spin/independent.txt"));
    assert_distinct(&index, &original);
    assert_copy_of(&index, &spun, "petra", "petra");
    assert_distinct(&index, &independent);
}

// ---------------------------------------------------------------------------
// 7. Short articles

#[test]
fn short_briefs_related_stay_distinct_and_a_resent_one_is_a_copy() {
    let index = defaults();
    let a = from_fixture("library-hours", fixture!("short/brief_a.txt"));
    let b = from_fixture("reading-scheme", fixture!("short/brief_b.txt"));
    let c = from_fixture("pool-closes", fixture!("short/brief_c.txt"));
    let resent = from_fixture("pool-shut", fixture!("short/brief_c_resent.txt"));
    for short in [&a, &b, &c] {
        assert!(short.text.split_whitespace().count() < 60, "{}", short.id);
    }
    assert_ne!(c.title, resent.title);
    assert!(resent.text.contains("Read more at example.com"));
    assert_distinct(&index, &a);
    assert_distinct(&index, &b);
    assert_distinct(&index, &c);
    assert_copy_of(&index, &resent, "pool-closes", "pool-closes");
}
