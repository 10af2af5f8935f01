//! [`MemorySessionRepository`]: the embedded, in-process session store.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use tracing::{debug, trace};

use crate::clock::{Clock, SystemClock};
use crate::config::SessionConfig;
use crate::error::RepositoryError;
use crate::events::{DEFAULT_EVENT_CAPACITY, EventBus, SessionEvent, SessionEventStream};
use crate::id::is_valid_session_id;
use crate::record::SessionRecord;
use crate::repository::{IndexedSessionRepository, SessionRepository};
use crate::session::SessionData;

/// How often the background task removes expired sessions by default.
pub const DEFAULT_PURGE_INTERVAL: Duration = Duration::from_secs(1);

/// Sessions kept in this process's memory: the default store, so that everything runs
/// with nothing installed. Sessions die with the process.
///
/// It is a real repository:
/// - **Expiry.** A session is expired once `last accessed + max inactive interval` has
///   passed: it is never returned again, and a background task (spawned on the tokio
///   runtime current at [`build`](MemoryRepositoryBuilder::build) time, every
///   [`purge interval`](MemoryRepositoryBuilder::purge_interval)) removes it and publishes
///   [`SessionEvent::Expired`] without anyone calling the repository. The task stops when
///   the last handle to the repository is dropped. Without a runtime there is no task, but
///   every save still purges whatever has expired, so memory stays bounded either way.
/// - **Principal index** for [`IndexedSessionRepository::find_by_principal_name`].
/// - **Events**: created (first save), deleted (delete, or save of an invalidated
///   session), expired (purge, or a read that finds an expired session).
/// - **Delta saves** under one lock: a save applies only the session's changed attributes
///   and metadata to the stored record, so concurrent saves of different attributes of one
///   session are never lost (for the same attribute the last save wins).
/// - **Optional capacity limit** ([`max_sessions`](MemoryRepositoryBuilder::max_sessions)):
///   a new session beyond it is refused with [`RepositoryError::CapacityExceeded`].
///
/// Clones share the same store.
///
/// ```
/// use session_core::{MemorySessionRepository, SessionRepository};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let repo = MemorySessionRepository::new();
/// let session = repo.create().await?;
/// session.insert("user", "alice")?;
/// repo.save(&session).await?;
/// let found = repo.find_by_id(&session.id()).await?.expect("stored");
/// assert_eq!(found.get::<String>("user")?.as_deref(), Some("alice"));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct MemorySessionRepository {
    shared: Arc<Shared>,
}

/// Builds a [`MemorySessionRepository`].
#[derive(Debug)]
pub struct MemoryRepositoryBuilder {
    config: SessionConfig,
    clock: Arc<dyn Clock>,
    purge_interval: Duration,
    max_sessions: Option<usize>,
    event_capacity: usize,
    spawn_purge_task: bool,
}

struct Shared {
    config: SessionConfig,
    clock: Arc<dyn Clock>,
    store: Mutex<Store>,
    events: EventBus,
    max_sessions: Option<usize>,
    purge_task: Mutex<Option<tokio::task::AbortHandle>>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        if let Some(task) = self
            .purge_task
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            task.abort();
        }
    }
}

#[derive(Default)]
struct Store {
    sessions: HashMap<String, SessionRecord>,
    /// (expiry instant, id) of every session that can expire.
    by_expiry: BTreeSet<(SystemTime, String)>,
    /// principal name -> ids.
    by_principal: HashMap<String, BTreeSet<String>>,
}

impl Store {
    fn insert(&mut self, record: SessionRecord) {
        if let Some(at) = record.expires_at() {
            self.by_expiry.insert((at, record.id.clone()));
        }
        if let Some(p) = &record.principal_name {
            self.by_principal
                .entry(p.clone())
                .or_default()
                .insert(record.id.clone());
        }
        self.sessions.insert(record.id.clone(), record);
    }

    fn remove(&mut self, id: &str) -> Option<SessionRecord> {
        let record = self.sessions.remove(id)?;
        if let Some(at) = record.expires_at() {
            self.by_expiry.remove(&(at, record.id.clone()));
        }
        if let Some(p) = &record.principal_name
            && let Some(ids) = self.by_principal.get_mut(p)
        {
            ids.remove(id);
            if ids.is_empty() {
                self.by_principal.remove(p);
            }
        }
        Some(record)
    }

    /// Removes the session if it is stored and unexpired; an expired one is removed and
    /// reported through `expired`.
    fn take_live(
        &mut self,
        id: &str,
        now: SystemTime,
        expired: &mut Vec<String>,
    ) -> Option<SessionRecord> {
        let record = self.remove(id)?;
        if record.is_expired(now) {
            expired.push(record.id);
            None
        } else {
            Some(record)
        }
    }

    /// Removes every session expired at `now`; returns their ids.
    fn purge(&mut self, now: SystemTime) -> Vec<String> {
        let mut expired = Vec::new();
        while let Some((at, _)) = self.by_expiry.first() {
            if *at > now {
                break;
            }
            if let Some((_, id)) = self.by_expiry.pop_first() {
                // `remove` also tries to drop the (already popped) expiry entry; harmless.
                if self.remove(&id).is_some() {
                    expired.push(id);
                }
            }
        }
        expired
    }
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
            store: Mutex::new(Store::default()),
            events: EventBus::new(self.event_capacity),
            max_sessions: self.max_sessions,
            purge_task: Mutex::new(None),
        });
        if self.spawn_purge_task {
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                let weak = Arc::downgrade(&shared);
                let task = runtime.spawn(purge_loop(weak, self.purge_interval));
                *shared
                    .purge_task
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(task.abort_handle());
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

impl Shared {
    fn store(&self) -> MutexGuard<'_, Store> {
        // Every store mutation keeps the indexes consistent before it can panic (none of
        // them panics), so a poisoned lock still guards a usable store.
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn publish_expired(&self, ids: Vec<String>) {
        for id in ids {
            self.events.publish(SessionEvent::Expired { id });
        }
    }

    fn purge_expired(&self) -> usize {
        let expired = self.store().purge(self.clock.now());
        let n = expired.len();
        self.publish_expired(expired);
        n
    }
}

impl MemorySessionRepository {
    /// A repository with the default configuration, purging every second on the current
    /// tokio runtime (if any).
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A repository whose sessions use `config`.
    pub fn with_config(config: SessionConfig) -> Self {
        Self::builder().config(config).build()
    }

    /// A builder with the defaults.
    pub fn builder() -> MemoryRepositoryBuilder {
        MemoryRepositoryBuilder {
            config: SessionConfig::default(),
            clock: Arc::new(SystemClock),
            purge_interval: DEFAULT_PURGE_INTERVAL,
            max_sessions: None,
            event_capacity: DEFAULT_EVENT_CAPACITY,
            spawn_purge_task: true,
        }
    }

    /// The session configuration.
    pub fn config(&self) -> &SessionConfig {
        &self.shared.config
    }

    /// Removes every expired session now (the background task does this periodically);
    /// returns how many were removed.
    pub fn purge_expired(&self) -> usize {
        self.shared.purge_expired()
    }

    /// How many sessions are held in memory, expired ones not yet purged included.
    pub fn len(&self) -> usize {
        self.shared.store().sessions.len()
    }

    /// Whether no session is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn save_locked(
        &self,
        session: &SessionData,
        store: &mut Store,
        now: SystemTime,
        events: &mut Vec<SessionEvent>,
    ) -> Result<(), RepositoryError> {
        let delta = session.delta();
        let mut expired = Vec::new();
        if delta.invalidated {
            if !delta.is_new
                && store
                    .take_live(&delta.original_id, now, &mut expired)
                    .is_some()
            {
                events.push(SessionEvent::Deleted {
                    id: delta.original_id.clone(),
                });
            }
        } else if delta.is_new {
            let id = &delta.record.id;
            if store.sessions.contains_key(id) {
                return Err(RepositoryError::IdCollision);
            }
            if let Some(limit) = self.shared.max_sessions
                && store.sessions.len() >= limit
            {
                return Err(RepositoryError::CapacityExceeded { limit });
            }
            store.insert(delta.record.clone());
            events.push(SessionEvent::Created { id: id.clone() });
        } else if !delta.is_empty() {
            match store.take_live(&delta.original_id, now, &mut expired) {
                Some(mut stored) => {
                    if delta.id_changed() && store.sessions.contains_key(&delta.record.id) {
                        store.insert(stored);
                        return Err(RepositoryError::IdCollision);
                    }
                    delta.apply_to(&mut stored);
                    store.insert(stored);
                }
                None => debug!("save of a session that is no longer stored: changes dropped"),
            }
        }
        events.extend(expired.into_iter().map(|id| SessionEvent::Expired { id }));
        session.mark_saved(&delta);
        Ok(())
    }
}

impl Default for MemorySessionRepository {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemorySessionRepository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemorySessionRepository")
            .field("config", &self.shared.config)
            .field("sessions", &self.len())
            .field("max_sessions", &self.shared.max_sessions)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl SessionRepository for MemorySessionRepository {
    async fn create(&self) -> Result<SessionData, RepositoryError> {
        Ok(self.shared.config.new_session(self.shared.clock.now())?)
    }

    async fn save(&self, session: &SessionData) -> Result<(), RepositoryError> {
        let now = self.shared.clock.now();
        let mut events = Vec::new();
        let result = {
            let mut store = self.shared.store();
            let mut expired = store.purge(now);
            let result = self.save_locked(session, &mut store, now, &mut events);
            events.extend(expired.drain(..).map(|id| SessionEvent::Expired { id }));
            result
        };
        for event in events {
            self.shared.events.publish(event);
        }
        result
    }

    async fn find_by_id(&self, id: &str) -> Result<Option<SessionData>, RepositoryError> {
        if !is_valid_session_id(id) {
            return Ok(None);
        }
        let now = self.shared.clock.now();
        let record = {
            let mut store = self.shared.store();
            match store.sessions.get(id) {
                None => return Ok(None),
                Some(record) if !record.is_expired(now) => record.clone(),
                Some(_) => {
                    store.remove(id);
                    drop(store);
                    self.shared.publish_expired(vec![id.to_owned()]);
                    return Ok(None);
                }
            }
        };
        Ok(Some(self.shared.config.load_session(record)))
    }

    async fn delete_by_id(&self, id: &str) -> Result<(), RepositoryError> {
        if !is_valid_session_id(id) {
            return Ok(());
        }
        let now = self.shared.clock.now();
        let mut expired = Vec::new();
        let deleted = self
            .shared
            .store()
            .take_live(id, now, &mut expired)
            .is_some();
        self.shared.publish_expired(expired);
        if deleted {
            self.shared
                .events
                .publish(SessionEvent::Deleted { id: id.to_owned() });
        }
        Ok(())
    }

    fn subscribe(&self) -> SessionEventStream {
        self.shared.events.subscribe()
    }

    fn as_indexed(&self) -> Option<&dyn IndexedSessionRepository> {
        Some(self)
    }
}

#[async_trait]
impl IndexedSessionRepository for MemorySessionRepository {
    async fn find_by_principal_name(
        &self,
        principal_name: &str,
    ) -> Result<HashMap<String, SessionData>, RepositoryError> {
        let now = self.shared.clock.now();
        let mut expired = Vec::new();
        let records: Vec<SessionRecord> = {
            let mut store = self.shared.store();
            let ids: Vec<String> = store
                .by_principal
                .get(principal_name)
                .map(|ids| ids.iter().cloned().collect())
                .unwrap_or_default();
            let mut live = Vec::with_capacity(ids.len());
            for id in ids {
                match store.sessions.get(&id) {
                    Some(r) if r.is_expired(now) => {
                        store.remove(&id);
                        expired.push(id);
                    }
                    Some(r) => live.push(r.clone()),
                    None => {}
                }
            }
            live
        };
        self.shared.publish_expired(expired);
        Ok(records
            .into_iter()
            .map(|r| (r.id.clone(), self.shared.config.load_session(r)))
            .collect())
    }
}
