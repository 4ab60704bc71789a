//! Background upkeep of a serving index: retention sweeps, log syncs under
//! `--fsync interval`, periodic snapshots. Each runs on the blocking pool, so
//! the reactor never waits on the disk or on an eviction pass.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::{interval, Instant, MissedTickBehavior};

use crate::index::Index;
use crate::storage::Store;

/// When upkeep runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Maintenance {
    /// How often retention limits are enforced.
    pub sweep_every: Duration,
    /// How often the log is forced to disk (for `--fsync interval`).
    pub sync_every: Option<Duration>,
    /// How often a snapshot is written (with a data directory).
    pub snapshot_every: Option<Duration>,
}

impl Default for Maintenance {
    fn default() -> Self {
        Maintenance {
            sweep_every: Duration::from_secs(1),
            sync_every: None,
            snapshot_every: Some(Duration::from_secs(300)),
        }
    }
}

/// Starts the upkeep loop; abort the handle to stop it.
pub(crate) fn spawn<S: Store>(index: Arc<Index<S>>, plan: Maintenance) -> JoinHandle<()> {
    tokio::spawn(async move {
        let tick = [Some(plan.sweep_every), plan.sync_every]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(plan.sweep_every)
            .max(Duration::from_millis(10));
        let mut ticks = interval(tick);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut last_sweep = Instant::now();
        let mut last_snapshot = Instant::now();
        loop {
            ticks.tick().await;
            let sweep = last_sweep.elapsed() >= plan.sweep_every;
            let snapshot = plan
                .snapshot_every
                .is_some_and(|every| last_snapshot.elapsed() >= every);
            if sweep {
                last_sweep = Instant::now();
            }
            if snapshot {
                last_snapshot = Instant::now();
            }
            let index = Arc::clone(&index);
            let sync = plan.sync_every.is_some();
            let work = tokio::task::spawn_blocking(move || upkeep(&index, sweep, sync, snapshot));
            if let Err(e) = work.await {
                tracing::error!("maintenance task failed: {e}");
            }
        }
    })
}

/// One round of upkeep; failures are logged (the next round tries again).
fn upkeep<S: Store>(index: &Index<S>, sweep: bool, sync: bool, snapshot: bool) {
    if sync {
        if let Err(e) = index.sync() {
            tracing::error!("cannot sync the write-ahead log: {e}");
        }
    }
    if sweep {
        match index.enforce_limits(crate::index::now_unix()) {
            Ok(0) => {}
            Ok(n) => tracing::debug!(evicted = n, "retention sweep"),
            Err(e) => tracing::error!("retention sweep failed: {e}"),
        }
    }
    if snapshot {
        let started = std::time::Instant::now();
        match index.snapshot() {
            Ok(Some(info)) => tracing::info!(
                entries = info.entries,
                bytes = info.bytes,
                ms = started.elapsed().as_millis() as u64,
                "snapshot written"
            ),
            Ok(None) => {}
            Err(e) => tracing::error!("cannot write a snapshot: {e}"),
        }
    }
}
