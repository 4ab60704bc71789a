//! Lock striping over band keys: the index's only write serialization.
//!
//! Two articles can see each other only through a shared band key, so
//! holding the stripes of all of an article's band keys while it is compared
//! and stored serializes exactly the ingests that could match each other, and
//! no others. Stripes are taken in ascending order, so there is no deadlock.

use parking_lot::{Mutex, MutexGuard};
use xxhash_rust::xxh3::xxh3_64;

use crate::core::BandKey;

/// A fixed array of mutexes indexed by band key.
#[derive(Debug)]
pub struct Stripes {
    locks: Box<[Mutex<()>]>,
}

/// Held stripes; released on drop (also when unwinding from a panic).
pub struct StripeGuard<'a> {
    _guards: Vec<MutexGuard<'a, ()>>,
}

impl Stripes {
    /// `count` stripes (rounded up to a power of two, at least 1).
    pub fn new(count: usize) -> Self {
        let n = count.max(1).next_power_of_two();
        Stripes {
            locks: (0..n).map(|_| Mutex::new(())).collect(),
        }
    }

    /// Locks the stripes of every key and of the id, in ascending stripe
    /// order.
    pub fn lock(&self, keys: &[BandKey], id: &str) -> StripeGuard<'_> {
        let mask = self.locks.len() as u64 - 1;
        // Band keys are already uniform hashes; the high bits pick the stripe.
        let mut idx: Vec<usize> = keys
            .iter()
            .copied()
            .chain([xxh3_64(id.as_bytes())])
            .map(|k| ((k >> 32) & mask) as usize)
            .collect();
        idx.sort_unstable();
        idx.dedup();
        StripeGuard {
            _guards: idx.into_iter().map(|i| self.locks[i].lock()).collect(),
        }
    }
}
