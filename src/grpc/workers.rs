//! The service's CPU budget: at most `workers` index operations at once, the
//! rest queued in arrival order.
//!
//! A queued operation does not wait for a permit in a task of its own. The
//! thread that finishes an operation takes the next one from the queue and
//! runs it straight away, and gives its slot back only when the queue is
//! empty. With a semaphore instead, each finished operation had to wake the
//! waiting task on an async worker, which then handed the work to a thread of
//! the blocking pool: two wake-ups on the path from one stream batch to the
//! next, and on two busy cores the async worker often waited its turn for
//! the CPU (the next batch started 140 µs after the last ended at the
//! median, over 1 ms at the 90th percentile, and two cores ran one batch
//! instead of two a fifth of the time).

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::oneshot;

/// A queued operation: runs the work and sends its outcome.
type Job = Box<dyn FnOnce() + Send>;

/// What a queued operation gives back: its result, or the message of the
/// panic it ended in.
pub(crate) type Outcome<T> = Result<T, String>;

/// At most `workers` operations at once (see the module docs).
#[derive(Debug)]
pub(crate) struct Workers {
    state: Mutex<State>,
}

struct State {
    /// Slots not running an operation.
    free: usize,
    /// Operations waiting for a slot, oldest first.
    queue: VecDeque<Job>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State")
            .field("free", &self.free)
            .field("queued", &self.queue.len())
            .finish()
    }
}

impl Workers {
    /// A budget of `workers` slots (at least one).
    pub(crate) fn new(workers: usize) -> Arc<Self> {
        Arc::new(Workers {
            state: Mutex::new(State {
                free: workers.max(1),
                queue: VecDeque::new(),
            }),
        })
    }

    /// Runs `work` on the calling thread if a slot is free (then nothing is
    /// queued: a slot is given back only with the queue empty); otherwise
    /// gives `work` back untouched. When it is done, the slot goes to the
    /// oldest operation queued meanwhile, if any, on the blocking pool.
    /// Call it from within a tokio runtime.
    pub(crate) fn try_run_here<T, F: FnOnce() -> T>(
        self: &Arc<Self>,
        work: F,
    ) -> Result<Outcome<T>, F> {
        {
            let mut state = self.state.lock();
            if state.free == 0 {
                return Err(work);
            }
            state.free -= 1;
        }
        let outcome = catch_unwind(AssertUnwindSafe(work)).map_err(|p| panic_message(p.as_ref()));
        if let Some(next) = self.next_or_release() {
            let workers = Arc::clone(self);
            tokio::task::spawn_blocking(move || workers.drain(next));
        }
        Ok(outcome)
    }

    /// Runs `work` on tokio's blocking pool as soon as a slot is free, after
    /// the operations queued before it; its outcome arrives on the returned
    /// receiver. Dropping the receiver before `work` starts cancels it.
    /// Call it from within a tokio runtime.
    pub(crate) fn submit<T, F>(self: &Arc<Self>, work: F) -> oneshot::Receiver<Outcome<T>>
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            // A request cancelled while queued (its client gone, its
            // deadline passed) is not run: nobody waits for it, and it was
            // answered with an error.
            if tx.is_closed() {
                return;
            }
            let outcome =
                catch_unwind(AssertUnwindSafe(work)).map_err(|p| panic_message(p.as_ref()));
            // The caller may have gone meanwhile: nothing to tell.
            let _ = tx.send(outcome);
        });
        {
            let mut state = self.state.lock();
            if state.free == 0 {
                state.queue.push_back(job);
                return rx;
            }
            state.free -= 1;
        }
        let workers = Arc::clone(self);
        tokio::task::spawn_blocking(move || workers.drain(job));
        rx
    }

    /// Runs `job`, then every queued one, until the queue is empty; then
    /// gives the slot back.
    fn drain(&self, mut job: Job) {
        loop {
            job();
            match self.next_or_release() {
                Some(next) => job = next,
                None => return,
            }
        }
    }

    /// The oldest queued operation, which takes over the caller's slot; or,
    /// with none queued, the slot given back.
    fn next_or_release(&self) -> Option<Job> {
        let mut state = self.state.lock();
        let next = state.queue.pop_front();
        if next.is_none() {
            state.free += 1;
        }
        next
    }
}

/// What a panic said, when it said it with a string.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    /// Counts operations running at once and the most seen.
    #[derive(Default)]
    struct Running {
        now: AtomicUsize,
        most: AtomicUsize,
    }

    impl Running {
        fn work(&self, ms: u64) {
            let now = self.now.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(Duration::from_millis(ms));
            self.now.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// The outcome sent on `rx`, within 10 s (a queued operation left behind
    /// would otherwise hang the test).
    async fn answer<T>(rx: oneshot::Receiver<Outcome<T>>) -> Outcome<T> {
        tokio::time::timeout(Duration::from_secs(10), rx)
            .await
            .expect("answered within 10 s")
            .expect("answered, not dropped")
    }

    /// Waits for every slot to be back: an answer is sent before the thread
    /// that ran it gives its slot back or takes the next operation.
    async fn settled(workers: &Workers, slots: usize) {
        for _ in 0..5000 {
            if workers.state.lock().free == slots {
                return;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        panic!("slots not given back: {:?}", workers.state.lock());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn never_more_than_the_budget_and_every_operation_runs() {
        let workers = Workers::new(2);
        let running = Arc::new(Running::default());
        let order = Arc::new(Mutex::new(Vec::new()));
        let receivers: Vec<_> = (0..12)
            .map(|i| {
                let (running, order) = (Arc::clone(&running), Arc::clone(&order));
                workers.submit(move || {
                    running.work(5);
                    order.lock().push(i);
                    i * 10
                })
            })
            .collect();
        for (i, rx) in receivers.into_iter().enumerate() {
            assert_eq!(answer(rx).await, Ok(i * 10));
        }
        assert_eq!(running.most.load(Ordering::SeqCst), 2);
        // Queued ones start in arrival order (two run at a time, so two
        // neighbours may finish either way round).
        let order = order.lock().clone();
        for (pos, &i) in order.iter().enumerate() {
            assert!(pos.abs_diff(i) <= 1, "{order:?}");
        }
        settled(&workers, 2).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn runs_here_only_with_a_free_slot() {
        let workers = Workers::new(1);
        assert_eq!(workers.try_run_here(|| 7).ok(), Some(Ok(7)));
        let (hold, release) = std::sync::mpsc::channel::<()>();
        let busy = workers.submit(move || release.recv().is_ok());
        // The one slot is taken: the work comes back.
        assert!(workers.try_run_here(|| 8).is_err());
        let queued = workers.submit(|| 9);
        hold.send(()).expect("the busy one waits");
        assert_eq!(answer(busy).await, Ok(true));
        assert_eq!(answer(queued).await, Ok(9));
        settled(&workers, 1).await;
        assert_eq!(workers.try_run_here(|| 10).ok(), Some(Ok(10)));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panic_is_reported_and_its_slot_goes_on_working() {
        let workers = Workers::new(1);
        let failed = workers.submit(|| -> u32 { panic!("boom") });
        let after = workers.submit(|| 5);
        assert_eq!(answer(failed).await, Err("boom".to_owned()));
        assert_eq!(answer(after).await, Ok(5));
        settled(&workers, 1).await;
        let here = workers
            .try_run_here(|| -> u32 { panic!("here") })
            .ok()
            .expect("a free slot");
        assert_eq!(here, Err("here".to_owned()));
        settled(&workers, 1).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn work_cancelled_while_queued_is_not_run() {
        let workers = Workers::new(1);
        let (hold, release) = std::sync::mpsc::channel::<()>();
        let busy = workers.submit(move || release.recv().is_ok());
        let ran = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&ran);
        let cancelled = workers.submit(move || counted.fetch_add(1, Ordering::SeqCst));
        drop(cancelled);
        let after = workers.submit(|| 2);
        hold.send(()).expect("the busy one waits");
        assert_eq!(answer(busy).await, Ok(true));
        assert_eq!(answer(after).await, Ok(2));
        assert_eq!(ran.load(Ordering::SeqCst), 0);
        settled(&workers, 1).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn work_queued_behind_an_operation_run_here_is_handed_on() {
        let workers = Workers::new(1);
        let w = Arc::clone(&workers);
        let (queued_tx, queued_rx) = std::sync::mpsc::channel();
        // While running here, another operation queues; finishing here hands
        // the slot to it.
        let here = workers
            .try_run_here(move || {
                queued_tx.send(w.submit(|| 3)).expect("sent");
                1
            })
            .ok()
            .expect("a free slot");
        assert_eq!(here, Ok(1));
        let queued = queued_rx.recv().expect("queued");
        assert_eq!(answer(queued).await, Ok(3));
        settled(&workers, 1).await;
    }
}
