//! How a held article is encoded in the log and in snapshots: its record's
//! fields in order, with its signature, which the store keeps apart from the
//! record, in its place among them. These are the bytes format 5 wrote when
//! the signature was one of the record's fields, so data directories written
//! then are read unchanged (`tests/fixtures/format5`).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::core::Signature;
use crate::model::Match;
use crate::storage::{Detail, DocId, Record};

/// A held article to encode, borrowed.
#[derive(Serialize)]
pub(crate) struct HeldRef<'a> {
    doc: DocId,
    shingles: u32,
    id: &'a str,
    text_hash: u128,
    signature: &'a [u16],
    figures: &'a [(u32, u32)],
    detail: Option<&'a Detail>,
    published_at: i64,
    arrived_at: i64,
    arrival: u64,
    matches: &'a [Match],
    canonical_id: &'a str,
}

impl<'a> HeldRef<'a> {
    /// `record` with its `signature`.
    pub(crate) fn new(record: &'a Record, signature: &'a Signature) -> Self {
        HeldRef {
            doc: record.doc,
            shingles: record.shingles,
            id: &record.id,
            text_hash: record.text_hash,
            signature: signature.values(),
            figures: &record.figures,
            detail: record.detail.as_deref(),
            published_at: record.published_at,
            arrived_at: record.arrived_at,
            arrival: record.arrival,
            matches: &record.matches,
            canonical_id: &record.canonical_id,
        }
    }
}

/// A held article as read back.
#[derive(Debug, Deserialize)]
pub(crate) struct HeldOwned {
    doc: DocId,
    shingles: u32,
    id: Arc<str>,
    text_hash: u128,
    signature: Signature,
    figures: Box<[(u32, u32)]>,
    detail: Option<Box<Detail>>,
    published_at: i64,
    arrived_at: i64,
    arrival: u64,
    matches: Box<[Match]>,
    canonical_id: Arc<str>,
}

impl HeldOwned {
    /// The record and its signature.
    pub(crate) fn split(self) -> (Record, Signature) {
        let record = Record {
            doc: self.doc,
            shingles: self.shingles,
            id: self.id,
            text_hash: self.text_hash,
            figures: self.figures,
            detail: self.detail,
            published_at: self.published_at,
            arrived_at: self.arrived_at,
            arrival: self.arrival,
            matches: self.matches,
            canonical_id: self.canonical_id,
        };
        (record, self.signature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_article_reads_back_as_written() {
        let record = Record {
            doc: 3,
            shingles: 42,
            id: Arc::from("a"),
            text_hash: 7 << 90,
            figures: Box::new([(1, 2)]),
            detail: Some(Box::new(Detail {
                set: Box::new([5, 6]),
                lead_keys: Box::new([9]),
                segments: Box::new([11]),
                source: Some(13),
            })),
            published_at: -1,
            arrived_at: 1_700_000_000,
            arrival: 8,
            matches: Box::new([Match {
                id: Arc::from("b"),
                jaccard: 0.5,
                containment: 0.75,
                canonical_id: Arc::from("c"),
            }]),
            canonical_id: Arc::from("c"),
        };
        let signature = Signature::from_values(vec![1, 2, 3]);
        let bytes = postcard::to_allocvec(&HeldRef::new(&record, &signature)).expect("encodes");
        let back: HeldOwned = postcard::from_bytes(&bytes).expect("decodes");
        let (r, s) = back.split();
        assert_eq!(s, signature);
        assert_eq!(format!("{r:?}"), format!("{record:?}"));
    }
}
