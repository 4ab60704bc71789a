//! Tables made ahead: the table a compact table grows into, made by a
//! helper thread while the table goes on taking entries.
//!
//! Without `--capacity`, the bucket tables and furniture counters grow as
//! articles arrive, by half each time, and the 256 tables of a store grow at
//! nearly the same moment (they share their keys evenly). Growing a table
//! allocates a larger one and moves every entry into it, under the table's
//! lock, and most of that time went to the kernel clearing the fresh pages
//! on first touch (6.5% of a lean ingest over a million articles, perf). So
//! a large table that finds itself full ([`is_full`]) orders its next table
//! from the maker, a thread in the idle scheduling class (see
//! [`run_when_idle`]) that writes it through, so its pages are faulted
//! there, and goes on taking entries meanwhile; it grows into the spare at
//! its first insert after the spare is made, or into a table of its own
//! once it is [`HARD_LOAD`] full. The moves stay on the caller's path.
//!
//! A spare, being made or made, is memory held beside its table until the
//! growth, as the old table is during a growth without one; ordering it at
//! the growth point rather than ahead of it keeps that out of the index's
//! sizes between growths.

use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, OnceLock};

use parking_lot::Mutex;

#[cfg(doc)]
use super::probe::is_full;
use super::probe::{grown, MAX_LOAD};

/// A full table waiting for its spare grows without it once more than this
/// share of its slots is taken. Tables grow at [`MAX_LOAD`], by half, so
/// from 53% to 80% full; a spare can take the next 5% of the slots (a fifth
/// of what the table took since it last grew) to be made.
pub(crate) const HARD_LOAD: f64 = 0.85;

/// Tables of fewer slots than this grow without a spare (64 KiB of 8-byte
/// slots: below that, ordering costs more than the faults it saves).
pub(crate) const SPARE_FROM_SLOTS: usize = 8192;

const _: () = assert!(HARD_LOAD > MAX_LOAD && HARD_LOAD < 0.9);

/// A job for the maker thread.
type Job = Box<dyn FnOnce() + Send>;

/// The spare of one table: none ordered, or the one ordered (made or not).
#[derive(Debug)]
pub(crate) struct Spare<T> {
    ordered: Option<Order<T>>,
}

impl<T> Default for Spare<T> {
    fn default() -> Self {
        Spare { ordered: None }
    }
}

/// A spare ordered from the maker: its size, and where the maker puts it.
#[derive(Debug)]
struct Order<T> {
    slots: usize,
    made: Arc<Mutex<Option<Vec<T>>>>,
}

impl<T: Copy + Send + 'static> Spare<T> {
    /// The table that a full table (see [`is_full`]) of `slots` slots
    /// holding `len` entries grows into now, all `free`; `None` while it
    /// may wait for its spare. The second value says whether the table is
    /// the spare made ahead.
    ///
    /// A table of [`SPARE_FROM_SLOTS`] slots or more orders its spare from
    /// the maker when it first finds itself full, and goes on taking entries
    /// until the spare is made or it is [`HARD_LOAD`] full, when it makes a
    /// table itself. Smaller tables, and tables whose spare cannot be
    /// ordered (no maker thread, or the allocator's refusal), grow at once.
    pub(crate) fn grown_table(
        &mut self,
        len: usize,
        slots: usize,
        free: T,
    ) -> Option<(Vec<T>, bool)> {
        let size = grown(slots);
        let fresh = |free| Some((vec![free; size], false));
        if slots < SPARE_FROM_SLOTS {
            return fresh(free);
        }
        match self.ordered.take().filter(|o| o.slots == size) {
            Some(ordered) => {
                let made = ordered.made.try_lock().and_then(|mut m| m.take());
                if let Some(table) = made {
                    return Some((table, true));
                }
                self.ordered = Some(ordered);
            }
            None => match order(size, free) {
                Some(ordered) => self.ordered = Some(ordered),
                None => return fresh(free),
            },
        }
        if (len + 1) as f64 > HARD_LOAD * slots as f64 {
            self.ordered = None;
            return fresh(free);
        }
        None
    }
}

impl<T> Spare<T> {
    /// Whether a spare is ordered and not yet taken.
    #[cfg(test)]
    pub(crate) fn ordered(&self) -> bool {
        self.ordered.is_some()
    }
}

/// Orders a table of `size` slots, all `free`, from the maker; `None` where
/// the maker cannot be started or the allocator refuses the table.
///
/// The table is allocated here and only written through by the maker: an
/// allocation made on the maker's thread would come from its own arena of
/// glibc's allocator, where the tables it replaces, freed, are not reused by
/// the callers' allocations (lean over a million held 1,004 bytes an article
/// beyond the id instead of 950).
fn order<T: Copy + Send + 'static>(size: usize, free: T) -> Option<Order<T>> {
    let mut table = Vec::new();
    table.try_reserve_exact(size).ok()?;
    let made = Arc::new(Mutex::new(None));
    let into = Arc::downgrade(&made);
    let job = move || {
        // The table grew (or went) before its spare was made: none.
        if into.strong_count() == 0 {
            return;
        }
        // Written through: its pages are faulted here.
        table.resize(size, free);
        if let Some(into) = into.upgrade() {
            *into.lock() = Some(table);
        }
    };
    on_maker(job).then_some(Order { slots: size, made })
}

/// Hands `job` to the maker thread, started on first use, which runs its
/// jobs one at a time in the idle scheduling class ([`run_when_idle`]);
/// false when it cannot be started. The furniture counters' planned tables
/// are made there too ([`super::counters::Counters::plan`]).
pub(crate) fn on_maker(job: impl FnOnce() + Send + 'static) -> bool {
    let job: Job = Box::new(job);
    static MAKER: OnceLock<Option<Sender<Job>>> = OnceLock::new();
    let maker = MAKER.get_or_init(|| {
        let (jobs, orders) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("syndetect-tables".into())
            .spawn(move || {
                run_when_idle();
                for job in orders {
                    job();
                }
            })
            .ok()?;
        Some(jobs)
    });
    maker.as_ref().is_some_and(|jobs| jobs.send(job).is_ok())
}

/// Puts the calling thread in the scheduler's idle class (`SCHED_IDLE`),
/// where it runs only on a core nothing else wants: a thread making tables
/// ahead must not take a core from the requests (at normal priority the
/// furniture counters' maker took the paced unary p99 from 1.2 to 2.1 ms,
/// medians of 9 runs). Where that is refused, it runs at normal priority.
/// Not in this crate's unit tests, which wait for tables while other tests
/// keep the cores busy.
fn run_when_idle() {
    #[cfg(all(target_os = "linux", not(test)))]
    {
        use thread_priority::{
            set_thread_priority_and_policy, thread_native_id, NormalThreadSchedulePolicy,
            ThreadPriority, ThreadSchedulePolicy,
        };
        let idle = ThreadSchedulePolicy::Normal(NormalThreadSchedulePolicy::Idle);
        let _ = set_thread_priority_and_policy(thread_native_id(), ThreadPriority::Min, idle);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    /// Calls `grown_table` for a full table of `slots` slots until it gives
    /// a table (at most a minute).
    fn grow_when_made(spare: &mut Spare<u64>, slots: usize) -> Option<(Vec<u64>, bool)> {
        let full = (MAX_LOAD * slots as f64) as usize;
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(60) {
            if let Some(grown) = spare.grown_table(full, slots, 0) {
                return Some(grown);
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        None
    }

    #[test]
    fn a_large_full_table_waits_for_its_spare_and_grows_into_it() {
        let slots = SPARE_FROM_SLOTS;
        let mut spare = Spare::<u64>::default();
        let (table, ahead) = grow_when_made(&mut spare, slots).expect("a table within a minute");
        assert!(ahead, "the spare made ahead");
        assert_eq!(table.len(), grown(slots));
        assert!(table.iter().all(|&s| s == 0), "all free");
        assert!(spare.ordered.is_none(), "taken");
    }

    #[test]
    fn a_small_table_grows_at_once() {
        let slots = SPARE_FROM_SLOTS - 1;
        let mut spare = Spare::<u64>::default();
        let (table, ahead) = spare.grown_table(slots, slots, 5).expect("at once");
        assert!(!ahead);
        assert_eq!(table, vec![5; grown(slots)]);
        assert!(spare.ordered.is_none(), "nothing ordered");
    }

    #[test]
    fn a_table_past_the_hard_load_grows_without_its_spare() {
        let slots = SPARE_FROM_SLOTS;
        let mut spare = Spare::<u64>::default();
        let hard = (HARD_LOAD * slots as f64) as usize;
        // Ordered (or made already), then past the hard load: its own table
        // unless the spare happens to be made by then.
        let first = spare.grown_table(hard - 1, slots, 0);
        assert!(first.is_none() || first.as_ref().is_some_and(|(_, ahead)| *ahead));
        if first.is_none() {
            let (table, _) = spare.grown_table(hard, slots, 0).expect("no more waiting");
            assert_eq!(table.len(), grown(slots));
            assert!(spare.ordered.is_none(), "the order dropped");
        }
    }

    #[test]
    fn a_spare_ordered_for_another_size_is_not_used() {
        let slots = SPARE_FROM_SLOTS;
        let mut spare = Spare::<u64>::default();
        let full = (MAX_LOAD * slots as f64) as usize;
        if spare.grown_table(full, slots, 0).is_some() {
            return; // made at once: nothing left to test here
        }
        // The table was made larger meanwhile (a reserve): the order for the
        // old size is dropped and one for the new size placed.
        let larger = grown(slots);
        let (table, ahead) = grow_when_made(&mut spare, larger).expect("a table");
        assert!(ahead);
        assert_eq!(table.len(), grown(larger));
    }
}
