//! The data directory, through the library: the log replays what a crash
//! cut off, snapshots cover the logs, a torn or corrupt log tail is cut, a
//! damaged snapshot or a mismatched configuration stops the start.

mod common;

use std::path::{Path, PathBuf};

use common::process::{newest_log, temp_dir};
use syndetect::index::{Durability, Index, IndexConfig, MatchOptions, OpenError};
use syndetect::model::{Article, Kind, Verdict};
use syndetect::storage::disk::FsyncPolicy;
use syndetect::storage::MemoryStore;

fn durability(dir: &Path) -> Durability {
    Durability {
        dir: dir.to_owned(),
        fsync: FsyncPolicy::Always,
    }
}

fn open(dir: &Path) -> Result<Index, OpenError> {
    Index::open(IndexConfig::default(), MemoryStore::new(), &durability(dir))
}

/// `n` distinct articles, then a copy (first half) of each of the first five.
fn articles(n: usize) -> Vec<Article> {
    let corpus = syndetect::bench::corpus::generate(n, 77, 0.0);
    let mut out: Vec<Article> = corpus
        .iter()
        .map(|a| Article {
            id: a.id.clone(),
            text: a.text.clone(),
            ..Default::default()
        })
        .collect();
    for a in corpus.iter().take(5) {
        let words: Vec<&str> = a.text.split(' ').collect();
        out.push(Article {
            id: format!("{}-copy", a.id),
            text: words[..words.len() / 2].join(" "),
            ..Default::default()
        });
    }
    out
}

fn ingest_all(index: &Index, articles: &[Article]) -> Vec<Verdict> {
    articles
        .iter()
        .map(|a| index.ingest(a, &MatchOptions::default()).expect("ingest"))
        .collect()
}

/// Every article is held with the verdict it was given, and the index's
/// counts are those of `before`.
fn assert_same_state(index: &Index, articles: &[Article], verdicts: &[Verdict], before: &Index) {
    let (now, then) = (index.stats(), before.stats());
    assert_eq!(now.documents, then.documents, "documents");
    assert_eq!(now.originals, then.originals, "originals");
    assert_eq!(now.buckets, then.buckets, "buckets");
    assert_eq!(now.approx_bytes, then.approx_bytes, "approx bytes");
    for (a, v) in articles.iter().zip(verdicts) {
        let again = index.ingest(a, &MatchOptions::default()).expect("retry");
        assert!(!again.stored, "{} is held", a.id);
        let mut first = v.clone();
        first.stored = false;
        assert_eq!(again, first, "{} keeps its verdict", a.id);
    }
}

/// A reference index holding `articles`, in memory.
fn reference(articles: &[Article]) -> Index {
    let index = Index::in_memory(IndexConfig::default()).expect("config");
    ingest_all(&index, articles);
    index
}

/// (offset, payload length) of each frame of a log: an 8-byte magic, then
/// frames of a 4-byte length, a 4-byte checksum and the payload.
fn frame_offsets(path: &Path) -> Vec<(u64, u64)> {
    let bytes = std::fs::read(path).expect("read the log");
    let mut out = Vec::new();
    let mut at = 8;
    while at + 8 <= bytes.len() {
        let len = u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes")) as usize;
        out.push((at as u64, len as u64));
        at += 8 + len;
    }
    out
}

fn corrupt_byte(path: &PathBuf, offset_from_end: u64) {
    let mut bytes = std::fs::read(path).expect("read");
    let i = bytes.len() - offset_from_end as usize;
    bytes[i] ^= 0x5A;
    std::fs::write(path, bytes).expect("write");
}

#[test]
fn the_log_replays_what_a_crash_left_unsnapshotted() {
    let dir = temp_dir("replay");
    let list = articles(30);
    let verdicts = {
        let index = open(&dir).expect("open an empty dir");
        let v = ingest_all(&index, &list);
        assert_eq!(
            v.iter().filter(|v| v.kind == Kind::SyndicatedCopy).count(),
            5
        );
        index.remove(&list[7].id).expect("remove");
        v
        // Dropped without a snapshot: only the log holds the changes.
    };
    let mut kept = list.clone();
    let mut kept_verdicts = verdicts.clone();
    kept.remove(7);
    kept_verdicts.remove(7);
    let index = open(&dir).expect("reopen");
    let expected = reference(&list);
    expected.remove(&list[7].id).expect("remove");
    assert_same_state(&index, &kept, &kept_verdicts, &expected);
    assert!(
        index.remove(&list[7].id).is_err(),
        "a removed article stays removed"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_snapshot_covers_the_logs_before_it() {
    let dir = temp_dir("snapshot");
    let list = articles(25);
    let (first, second) = list.split_at(12);
    let verdicts = {
        let index = open(&dir).expect("open");
        let mut v = ingest_all(&index, first);
        let info = index.snapshot().expect("snapshot").expect("durable");
        assert!(info.entries >= first.len() as u64);
        v.extend(ingest_all(&index, second));
        v
    };
    let logs = std::fs::read_dir(&dir)
        .expect("dir")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().starts_with("wal-"))
        })
        .count();
    assert_eq!(logs, 1, "the logs the snapshot covers are deleted");
    let index = open(&dir).expect("reopen");
    assert_same_state(&index, &list, &verdicts, &reference(&list));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_torn_log_tail_is_cut_at_the_last_good_record() {
    let dir = temp_dir("torn");
    let list = articles(10);
    let verdicts = ingest_all(&open(&dir).expect("open"), &list);
    // A crash in the middle of appending: the last record is half written.
    let log = newest_log(&dir);
    let len = std::fs::metadata(&log).expect("log").len();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&log)
        .expect("open log");
    // The last record is the furniture counters of the last article; cut
    // inside the article's own record, before it.
    file.set_len(len - 700).expect("truncate");
    drop(file);
    let index = open(&dir).expect("a torn tail does not stop the start");
    let held = index.stats().documents;
    assert_eq!(held, list.len() - 1, "all but the torn article are held");
    assert_same_state(
        &index,
        &list[..held],
        &verdicts[..held],
        &reference(&list[..held]),
    );
    assert!(
        std::fs::metadata(&log).expect("log").len() < len - 700,
        "the torn record was cut off the file"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_checksum_at_the_tail_is_cut() {
    let dir = temp_dir("checksum");
    let list = articles(10);
    let verdicts = ingest_all(&open(&dir).expect("open"), &list);
    // The log ends with the last article's record, then what the furniture
    // model learned from it: damage a byte inside the article's record.
    let log = newest_log(&dir);
    let frames = frame_offsets(&log);
    let (start, len) = frames[frames.len() - 2];
    let mut bytes = std::fs::read(&log).expect("read");
    bytes[(start + 8 + len / 2) as usize] ^= 0x01;
    std::fs::write(&log, bytes).expect("write");
    let index = open(&dir).expect("a corrupt tail does not stop the start");
    let n = list.len() - 1;
    assert_eq!(index.stats().documents, n, "the damaged record is dropped");
    assert_same_state(&index, &list[..n], &verdicts[..n], &reference(&list[..n]));
    assert_eq!(
        std::fs::metadata(&log).expect("log").len(),
        start,
        "the log is cut where the damaged record began"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_corrupt_snapshot_stops_the_start_naming_the_file() {
    let dir = temp_dir("corrupt-snapshot");
    let list = articles(10);
    {
        let index = open(&dir).expect("open");
        ingest_all(&index, &list);
        index.snapshot().expect("snapshot");
    }
    let snapshot = dir.join("snapshot.bin");
    corrupt_byte(&snapshot, 200);
    let err = open(&dir).expect_err("a corrupt snapshot must not open");
    let msg = err.to_string();
    assert!(msg.contains("snapshot.bin"), "names the file: {msg}");
    assert!(msg.contains("corrupt"), "says what is wrong: {msg}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn other_parameters_and_a_second_process_are_refused() {
    let dir = temp_dir("compat");
    let index = open(&dir).expect("open");
    let list = articles(3);
    ingest_all(&index, &list);
    let err = open(&dir).expect_err("the directory is locked");
    assert!(matches!(err, OpenError::Locked { .. }), "{err}");
    drop(index);
    let other = IndexConfig {
        permutations: 64,
        ..IndexConfig::default()
    };
    let err = Index::open(other, MemoryStore::new(), &durability(&dir))
        .expect_err("64 permutations cannot read 128-permutation signatures");
    let msg = err.to_string();
    assert!(msg.contains("--permutations 128"), "{msg}");
    assert!(msg.contains("--permutations 64"), "{msg}");
    let reseeded = IndexConfig {
        shingle_seed: 7,
        ..IndexConfig::default()
    };
    let err = Index::open(reseeded, MemoryStore::new(), &durability(&dir))
        .expect_err("another shingle hash cannot read these sets");
    assert!(err.to_string().contains("--shingle-seed 7"), "{err}");
    assert_eq!(
        open(&dir).expect("same parameters").stats().documents,
        list.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A data directory written before the store kept signatures apart from
/// their records (`tests/fixtures/format5`, made with the defaults at
/// 1259de3: the first 40 articles of `eval/dev.jsonl` in a snapshot, the
/// next 20 in the log after it) reads back unchanged: it holds what a fresh
/// index given the same articles holds, and gives the same verdicts on the
/// articles after them, which needs every held signature read right.
#[test]
fn a_format_5_data_directory_reads_back_as_it_was_written() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = temp_dir("format5");
    for name in ["snapshot.bin", "wal-00000002.log"] {
        std::fs::copy(
            root.join("tests/fixtures/format5").join(name),
            dir.join(name),
        )
        .expect("copy the fixture");
    }
    let corpus =
        syndetect::eval::corpus::read_jsonl(&root.join("eval/dev.jsonl")).expect("the dev set");
    let articles: Vec<Article> = corpus.iter().take(200).map(|a| a.to_article()).collect();
    let (written, later) = articles.split_at(60);

    let index = open(&dir).expect("opens the format 5 directory");
    let fresh = Index::in_memory(IndexConfig::default()).expect("config");
    let verdicts = ingest_all(&fresh, written);
    assert_same_state(&index, written, &verdicts, &fresh);
    let options = MatchOptions::default();
    let mut copies = 0;
    for a in later {
        let v = index.check(a, &options).expect("check");
        assert_eq!(v, fresh.check(a, &options).expect("check"), "{}", a.id);
        copies += usize::from(v.kind == Kind::SyndicatedCopy);
    }
    assert!(
        copies > 0,
        "no later article matched a held one: a weak test"
    );
}
