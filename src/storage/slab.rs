//! Held records by handle, with their signatures' minima side by side in
//! blocks of memory.
//!
//! A signature is the largest fixed part of a lean article (256 bytes at
//! 128 permutations). Kept in blocks of many handles' minima rather than
//! one allocation each, it takes no allocation header nor pointer. A store
//! sized ahead ([`Slab::reserve`]) makes one block for all the articles it
//! is sized for and writes it at start, so its pages are faulted in bulk
//! there rather than one at a time between articles (one block, because
//! blocks of [`BLOCK`] made ahead were 2% slower at 20k with the defaults);
//! handles beyond it, or in a store not sized, go to blocks of [`BLOCK`].
//! Blocks, not one growing vector, so that growing never copies what is
//! held (a million signatures are 256 MB) under the write lock. The sized
//! block and the handles' slots are advised into transparent huge pages
//! ([`super::pages`]): +2–4% at a million lean articles.
//!
//! A removed article's handle is not reused while anyone still holds its
//! record (a verdict being built, a snapshot being written): until then its
//! minima stay, so [`Slab::minima_of`] answers for every record the store
//! handed out, for as long as it is held.

use std::collections::TryReserveError;
use std::sync::{Arc, Weak};

use super::pages::advise_huge_pages;
use super::{DocId, Record};

/// What a handle holds.
#[derive(Debug)]
enum Slot {
    /// Nothing yet.
    Free,
    /// A held article's record.
    Held(Arc<Record>),
    /// A removed article's record, which the handle keeps its minima for
    /// until the last holder lets go of it.
    Removed(Weak<Record>),
}

/// Records by handle and their minima.
#[derive(Debug, Default)]
pub(crate) struct Slab {
    records: Vec<Slot>,
    /// The minima of the signature held under each handle: the first
    /// `first` handles' in block 0, then [`BLOCK`] handles' a block (see
    /// [`Slab::place`]).
    blocks: Vec<Box<[u16]>>,
    /// Handles in block 0: what [`Slab::reserve`] sized for, else
    /// [`BLOCK`].
    first: usize,
    /// Minima per signature: set by [`Slab::reserve`] or the first
    /// [`Slab::put`].
    width: usize,
}

/// Handles whose minima share a block (1 MB at 128 permutations).
const BLOCK: usize = 4096;

impl Slab {
    /// Sizes the slab for `articles` handles of `width` minima each, and
    /// writes every block of minima so its memory is faulted now.
    pub(crate) fn reserve(&mut self, articles: usize, width: usize) -> Result<(), TryReserveError> {
        self.records
            .try_reserve(articles.saturating_sub(self.records.len()))?;
        // Read at random, one slot a candidate: huge pages spare a TLB miss.
        advise_huge_pages(
            self.records.as_ptr().cast(),
            self.records.capacity() * std::mem::size_of::<Slot>(),
        );
        if self.width == 0 {
            self.width = width;
        }
        if !self.blocks.is_empty() || articles == 0 || self.width == 0 {
            // Sized already, or holding (later handles go to new blocks),
            // or nothing to size.
            return Ok(());
        }
        // One block for them all.
        let mut block: Vec<u16> = Vec::new();
        block.try_reserve_exact(articles.saturating_mul(self.width))?;
        // In huge pages, where the kernel gives them: a candidate's minima
        // are read at random.
        advise_huge_pages(
            block.as_ptr().cast(),
            block.capacity() * std::mem::size_of::<u16>(),
        );
        // Written, not left to the allocator's zeroed pages: faulted now.
        block.resize(articles * self.width, 0);
        self.blocks.push(block.into_boxed_slice());
        self.first = articles;
        Ok(())
    }

    /// A new free handle, at the end.
    pub(crate) fn push_free(&mut self) -> usize {
        self.records.push(Slot::Free);
        self.records.len() - 1
    }

    /// Whether `doc` may take a new article: it is free, or the record of
    /// the article removed from it is no longer held anywhere.
    pub(crate) fn reusable(&self, doc: DocId) -> bool {
        match self.records.get(doc as usize) {
            Some(Slot::Free) => true,
            Some(Slot::Removed(gone)) => gone.strong_count() == 0,
            Some(Slot::Held(_)) | None => false,
        }
    }

    /// The record held under `doc`.
    pub(crate) fn record(&self, doc: DocId) -> Option<&Arc<Record>> {
        match self.records.get(doc as usize)? {
            Slot::Held(record) => Some(record),
            Slot::Free | Slot::Removed(_) => None,
        }
    }

    /// The record held under `doc` and its signature's minima.
    pub(crate) fn held(&self, doc: DocId) -> Option<(&Arc<Record>, &[u16])> {
        Some((self.record(doc)?, self.minima(doc)?))
    }

    /// The minima under `doc`.
    fn minima(&self, doc: DocId) -> Option<&[u16]> {
        let (block, at) = self.place(doc);
        self.blocks.get(block)?.get(at..at + self.width)
    }

    /// Where the minima of `doc` go: its block, and the offset in it.
    fn place(&self, doc: DocId) -> (usize, usize) {
        let doc = doc as usize;
        let first = if self.first == 0 { BLOCK } else { self.first };
        match doc.checked_sub(first) {
            None => (0, doc * self.width),
            Some(later) => (1 + later / BLOCK, later % BLOCK * self.width),
        }
    }

    /// The minima held with `record`, if it is the record its handle holds
    /// or held last (the same allocation, not an equal record): a record
    /// the store handed out, while it is held.
    pub(crate) fn minima_of(&self, record: &Record) -> Option<&[u16]> {
        let ours = match self.records.get(record.doc as usize)? {
            Slot::Held(held) => std::ptr::eq(Arc::as_ptr(held), record),
            Slot::Removed(gone) => std::ptr::eq(gone.as_ptr(), record),
            Slot::Free => false,
        };
        if ours {
            self.minima(record.doc)
        } else {
            None
        }
    }

    /// Holds `record` and its signature's `minima` under `doc`, a handle of
    /// this slab. The first signature sets the width; every signature has
    /// the same length (the index's permutations), and one that does not is
    /// cut or padded with zeros to it.
    pub(crate) fn put(&mut self, doc: DocId, record: Arc<Record>, minima: &[u16]) {
        let Some(slot) = self.records.get_mut(doc as usize) else {
            return;
        };
        *slot = Slot::Held(record);
        if self.width == 0 {
            self.width = minima.len();
        }
        debug_assert_eq!(minima.len(), self.width, "signatures of one length");
        let (block, at) = self.place(doc);
        while self.blocks.len() <= block {
            let handles = if self.blocks.is_empty() && self.first > 0 {
                self.first
            } else {
                BLOCK
            };
            self.blocks
                .push(vec![0; handles * self.width].into_boxed_slice());
        }
        let width = self.width;
        let Some(to) = self
            .blocks
            .get_mut(block)
            .and_then(|b| b.get_mut(at..at + width))
        else {
            return;
        };
        let n = minima.len().min(to.len());
        to[..n].copy_from_slice(&minima[..n]);
        to[n..].fill(0);
    }

    /// Removes the article under `doc`, returning its record; the handle
    /// keeps its minima until that record is no longer held
    /// ([`Slab::reusable`]).
    pub(crate) fn take(&mut self, doc: DocId) -> Option<Arc<Record>> {
        let slot = self.records.get_mut(doc as usize)?;
        let Slot::Held(record) = slot else {
            return None;
        };
        let record = Arc::clone(record);
        *slot = Slot::Removed(Arc::downgrade(&record));
        Some(record)
    }

    /// Every handle that holds a record.
    pub(crate) fn held_docs(&self) -> impl Iterator<Item = DocId> + '_ {
        self.records
            .iter()
            .enumerate()
            .filter(|(_, r)| matches!(r, Slot::Held(_)))
            .filter_map(|(i, _)| DocId::try_from(i).ok())
    }

    /// Minima per signature (0 before the first is held or sized for).
    pub(crate) fn width(&self) -> usize {
        self.width
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(doc: DocId, id: &str) -> Arc<Record> {
        Arc::new(Record {
            doc,
            ..Record::distinct(id)
        })
    }

    #[test]
    fn holds_each_signature_beside_its_record_and_only_for_that_record() {
        let mut slab = Slab::default();
        let (a, b) = (slab.push_free() as DocId, slab.push_free() as DocId);
        let (ra, rb) = (record(a, "a"), record(b, "b"));
        slab.put(a, Arc::clone(&ra), &[1, 2, 3]);
        slab.put(b, Arc::clone(&rb), &[4, 5, 6]);
        assert_eq!(slab.held(a).map(|(_, m)| m), Some(&[1, 2, 3][..]));
        assert_eq!(slab.minima_of(&rb), Some(&[4, 5, 6][..]));
        // An equal record that is not the one held gets nothing: its
        // handle may hold another article by now.
        assert_eq!(slab.minima_of(&record(b, "b")), None);
        let taken = slab.take(a).expect("held");
        assert!(slab.take(a).is_none(), "taken twice");
        assert!(slab.held(a).is_none());
        assert_eq!(slab.held_docs().collect::<Vec<_>>(), vec![b]);
        // Removed but held elsewhere: its minima stay, its handle waits.
        assert_eq!(slab.minima_of(&ra), Some(&[1, 2, 3][..]));
        assert!(!slab.reusable(a));
        drop((ra, taken));
        assert!(slab.reusable(a));
        assert!(!slab.reusable(b), "held");
        // A reused handle holds the new signature.
        let rc = record(a, "c");
        slab.put(a, Arc::clone(&rc), &[7, 8, 9]);
        assert_eq!(slab.minima_of(&rc), Some(&[7, 8, 9][..]));
        assert_eq!(slab.minima_of(&rb), Some(&[4, 5, 6][..]));
    }

    #[test]
    fn signatures_past_the_first_block_land_in_new_blocks_and_stay_put() {
        let mut slab = Slab::default();
        let n = 2 * BLOCK + 3;
        for i in 0..n {
            let doc = slab.push_free() as DocId;
            slab.put(doc, record(doc, "x"), &[i as u16, (i >> 16) as u16]);
        }
        assert_eq!(slab.blocks.len(), 3);
        for i in [0, BLOCK - 1, BLOCK, BLOCK + 1, 2 * BLOCK, n - 1] {
            let minima = slab.held(i as DocId).map(|(_, m)| m);
            assert_eq!(
                minima,
                Some(&[i as u16, (i >> 16) as u16][..]),
                "handle {i}"
            );
        }
    }

    #[test]
    fn a_reserved_slab_holds_its_articles_without_growing() {
        let mut slab = Slab::default();
        slab.reserve(100, 4).expect("small");
        let blocks = slab.blocks.len();
        for i in 0..100u16 {
            let doc = slab.push_free() as DocId;
            slab.put(doc, record(doc, "x"), &[i; 4]);
        }
        assert_eq!(slab.blocks.len(), blocks, "it grew");
        assert_eq!(blocks, 1);
        // Beyond it, new blocks.
        let doc = slab.push_free() as DocId;
        slab.put(doc, record(doc, "y"), &[7; 4]);
        assert_eq!(slab.blocks.len(), 2);
        assert_eq!(slab.held(doc).map(|(_, m)| m), Some(&[7u16; 4][..]));
        assert_eq!(slab.held(99).map(|(_, m)| m), Some(&[99u16; 4][..]));
        assert_eq!(slab.held(99).map(|(_, m)| m), Some(&[99u16; 4][..]));
        assert_eq!(slab.width(), 4);
    }
}
