//! [`MemoryRepositoryBuilder`] and the background purge task it starts.

use std::collections::{BTreeSet, HashMap};
use std::sync::atomic::{AtomicU64, AtomicUsize};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use tracing::{debug, trace};

use super::{MemorySessionRepository, SHARDS, Shard, Shared, lock};
use crate::clock::Clock;
use crate::config::SessionConfig;
use crate::events::EventBus;

/// Builds a [`MemorySessionRepository`].
#[derive(Debug)]
pub struct MemoryRepositoryBuilder {
    pub(super) config: SessionConfig,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) purge_interval: Duration,
    pub(super) max_sessions: Option<usize>,
    pub(super) event_capacity: usize,
    pub(super) spawn_purge_task: bool,
}

impl MemoryRepositoryBuilder {
    /// Uses `config` for the sessions (max inactive interval, modes, codec, ids).
    pub fn config(mut self, config: SessionConfig) -> Self {
        self.config = config;
        self
    }

    /// Uses `clock` instead of the system clock (tests).
    pub fn clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// How often the background task purges expired sessions (default 1 s; at least 10 ms).
    pub fn purge_interval(mut self, interval: Duration) -> Self {
        self.purge_interval = interval.max(Duration::from_millis(10));
        self
    }

    /// Refuses new sessions once `max` are stored.
    pub fn max_sessions(mut self, max: usize) -> Self {
        self.max_sessions = Some(max);
        self
    }

    /// Events buffered per subscriber (default [`DEFAULT_EVENT_CAPACITY`]).
    pub fn event_capacity(mut self, capacity: usize) -> Self {
        self.event_capacity = capacity;
        self
    }

    /// Whether to spawn the background purge task (default true; it is only spawned when a
    /// tokio runtime is current).
    pub fn background_purge(mut self, enabled: bool) -> Self {
        self.spawn_purge_task = enabled;
        self
    }

    /// Builds the repository, spawning the purge task on the current tokio runtime if there
    /// is one.
    pub fn build(self) -> MemorySessionRepository {
        let shared = Arc::new(Shared {
            config: self.config,
            clock: self.clock,
            shards: (0..SHARDS).map(|_| Mutex::new(Shard::default())).collect(),
            hasher: foldhash::fast::RandomState::default(),
            count: AtomicUsize::new(0),
            by_expiry: Mutex::new(BTreeSet::new()),
            next_due: AtomicU64::new(u64::MAX),
            by_principal: Mutex::new(HashMap::new()),
            events: EventBus::new(self.event_capacity),
            max_sessions: self.max_sessions,
            purge_task: Mutex::new(None),
        });
        if self.spawn_purge_task {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                let weak = Arc::downgrade(&shared);
                let task = runtime.spawn(purge_loop(weak, self.purge_interval));
                *lock(&shared.purge_task) = Some(task.abort_handle());
            } else {
                debug!("no tokio runtime: expired sessions are purged on writes only");
            }
        }
        MemorySessionRepository { shared }
    }
}

async fn purge_loop(shared: Weak<Shared>, every: Duration) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let purged = shared.purge_expired();
        if purged > 0 {
            trace!(purged, "expired sessions purged");
        }
    }
}
