//! [`HazelcastSessionRepository`]: sessions in a Hazelcast IMap through `hazelcast-client`.
//! This module holds the repository's state, the reads and the trait implementations; the
//! other jobs have their own modules: [`crate::save`] (compare-and-set),
//! [`crate::rename`] (change of id), [`crate::cache`] and [`crate::invalidation`] (the
//! local cache and its listener), [`crate::events`] (session events), [`crate::configure`]
//! (the map configuration on every cluster).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use hazelcast_client::error::codes;
use hazelcast_client::{AsCompact, Client, ClientError, ClusterConnection, Map};
use hazelcast_protocol::data::Data;
use hazelcast_protocol::predicate::Predicate;
use hazelcast_protocol::serialization::Value;
use session_core::{
    EventBus, IndexedSessionRepository, RepositoryError, SessionConfig, SessionData, SessionEvent,
    SessionEventStream, SessionRecord, SessionRepository, is_valid_session_id,
};
use tokio::task::JoinHandle;

use crate::cache::{Cached, LocalCache, LocalCacheStats, OWN_EVENT_WAIT};
pub(crate) use crate::configure::apply_map_config;
use crate::events::ListenerState;
use crate::map_config::SessionMapConfig;
use crate::record::{BackingMapSession, RecordWriter, read_session_record};
use crate::telemetry;

/// Default number of compare-and-set attempts of one save before [`RepositoryError::Conflict`].
/// Attempts after a conflict are spaced by a growing, jittered pause (see
/// [`HazelcastRepositoryBuilder::max_save_attempts`](crate::HazelcastRepositoryBuilder::max_save_attempts)), and the whole save is bounded by the
/// operation deadline.
pub const DEFAULT_MAX_SAVE_ATTEMPTS: u32 = 32;
/// Default deadline of one repository operation (load, save, delete, find by principal).
pub const DEFAULT_OPERATION_DEADLINE: Duration = Duration::from_millis(1500);
/// Default share of the max inactive interval the last access time may move before a save
/// that changes nothing else writes it.
pub const DEFAULT_TOUCH_FRACTION: f64 = 0.1;
/// Pause between attempts while the client is offline (within the operation deadline).
const OFFLINE_POLL: Duration = Duration::from_millis(25);

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) client: Client,
    pub(crate) map: Map<String, Data>,
    pub(crate) config: SessionConfig,
    pub(crate) map_max_idle: Option<Duration>,
    /// The configuration to apply on every new cluster (`None`: not applied by us).
    pub(crate) map_config: Option<SessionMapConfig>,
    /// The cluster connection the configuration was last applied on.
    pub(crate) configured: tokio::sync::Mutex<Option<ClusterConnection>>,
    pub(crate) cluster: tokio::sync::watch::Receiver<Option<ClusterConnection>>,
    pub(crate) events: EventBus,
    /// Records as stored: served to loads while the invalidation listener runs, and the
    /// expected value of the next compare-and-set either way.
    pub(crate) cache: Arc<LocalCache>,
    /// The local cache serves loads (when its listener is registered and settled).
    pub(crate) local_cache: bool,
    pub(crate) max_save_attempts: u32,
    pub(crate) touch_fraction: f64,
    pub(crate) deadline: Duration,
    pub(crate) listener: Mutex<ListenerState>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    /// Compare-and-set attempts that found the session changed (for tests and statistics).
    pub(crate) conflicts: AtomicU64,
    /// The direct record writer, made at the first save (`None`: it could not be set up,
    /// records go through the generic Compact writer).
    record_writer: OnceLock<Option<RecordWriter>>,
}

impl Inner {
    /// Ends the listener task if nobody subscribes (checked under the state lock, so a
    /// concurrent subscribe starts a new task instead of relying on this one).
    pub(crate) fn stop_listener_if_unused(&self) -> bool {
        let mut state = lock(&self.listener);
        if self.events.subscriber_count() > 0 {
            return false;
        }
        state.task = None;
        state.ready = None;
        true
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Some(t) = lock(&self.listener).task.take() {
            t.abort();
        }
        for t in lock(&self.tasks).drain(..) {
            t.abort();
        }
    }
}

/// Sessions in a Hazelcast IMap, readable by Spring applications using Hazelcast Spring
/// Session 4.x. See the [crate docs](crate) for the design and the round trips per request.
#[derive(Debug, Clone)]
pub struct HazelcastSessionRepository {
    pub(crate) inner: Arc<Inner>,
}

/// Everything [`HazelcastRepositoryBuilder::build`](crate::HazelcastRepositoryBuilder::build)
/// settled, handed to the repository.
pub(crate) struct Settings {
    pub(crate) client: Client,
    pub(crate) map_name: String,
    pub(crate) session_config: SessionConfig,
    /// The effective map configuration (validated).
    pub(crate) map_config: SessionMapConfig,
    pub(crate) apply_map_config: bool,
    /// The cluster connection the map configuration was already applied on, if any.
    pub(crate) configured: Option<ClusterConnection>,
    pub(crate) max_save_attempts: u32,
    pub(crate) touch_fraction: f64,
    pub(crate) deadline: Duration,
    /// Serve loads from the local cache (kept fresh by a keys-only entry listener).
    pub(crate) local_cache: bool,
    /// Records the local cache holds at most.
    pub(crate) local_cache_capacity: usize,
}

impl HazelcastSessionRepository {
    /// Starts the repository (background tasks included) from settled settings.
    pub(crate) fn start(s: Settings) -> Self {
        let client = s.client;
        let cluster = client.cluster_connections();
        let map_config = s.map_config;
        let map: Map<String, Data> = client.map(s.map_name);
        let inner = Arc::new(Inner {
            client,
            map,
            config: s.session_config,
            map_max_idle: map_config.max_idle,
            map_config: s.apply_map_config.then_some(map_config),
            configured: tokio::sync::Mutex::new(s.configured),
            cluster,
            events: EventBus::default(),
            cache: Arc::new(LocalCache::new(s.local_cache_capacity)),
            local_cache: s.local_cache && s.local_cache_capacity > 0,
            max_save_attempts: s.max_save_attempts,
            touch_fraction: s.touch_fraction,
            deadline: s.deadline,
            listener: Mutex::new(ListenerState::default()),
            tasks: Mutex::new(Vec::new()),
            conflicts: AtomicU64::new(0),
            record_writer: OnceLock::new(),
        });
        if inner.map_config.is_some() {
            let task = tokio::spawn(crate::configure::reapply_config_on_new_clusters(
                Arc::downgrade(&inner),
            ));
            lock(&inner.tasks).push(task);
        }
        if s.local_cache && s.local_cache_capacity > 0 {
            let task = tokio::spawn(crate::invalidation::run(Arc::downgrade(&inner)));
            lock(&inner.tasks).push(task);
        }
        HazelcastSessionRepository { inner }
    }
}

pub(crate) fn backend(e: ClientError) -> RepositoryError {
    match e {
        ClientError::Timeout { .. } => RepositoryError::Timeout,
        other => RepositoryError::backend(other),
    }
}

/// Whether a write failed without knowing whether the member applied it (the connection
/// closed while it was pending): the repository reads back to find out.
pub(crate) fn outcome_unknown(e: &ClientError) -> bool {
    matches!(e, ClientError::TargetDisconnected { .. })
        || e.server_code() == Some(codes::TARGET_DISCONNECTED)
}

/// Whether attribute value bytes (a whole `Data`) hold a Compact value: its type id sits
/// after the 4-byte partition hash.
fn is_compact(bytes: &[u8]) -> bool {
    bytes
        .get(4..8)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(i32::from_be_bytes)
        == Some(hazelcast_protocol::data::type_id::COMPACT)
}

/// Whether a record holds Compact attribute values (whose schemas may need fetching).
fn has_compact_attributes(record: &SessionRecord) -> bool {
    record.attributes.values().any(|b| is_compact(b))
}

/// What a load found under a key.
pub(crate) enum Found {
    Absent,
    Record(Data, SessionRecord),
    /// Bytes that are not a session record (removed if still the same bytes).
    Bad,
}

impl HazelcastSessionRepository {
    /// The client (for statistics or other maps).
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// The map name.
    pub fn map_name(&self) -> &str {
        self.inner.map.name()
    }

    /// How many compare-and-set attempts found the session changed by another request
    /// since this repository was built (each costs a re-read and another attempt).
    pub fn conflicts(&self) -> u64 {
        self.inner.conflicts.load(Ordering::Relaxed)
    }

    /// The local cache's counters (hits, misses, evictions, invalidations, flushes,
    /// records held).
    pub fn local_cache_stats(&self) -> LocalCacheStats {
        self.inner.cache.stats()
    }

    /// Whether loads are served from the local cache right now: it is switched on, its
    /// listener is registered, and no gap in the events is settling.
    pub fn is_local_cache_serving(&self) -> bool {
        self.inner.cache.is_serving()
    }

    /// A load of `id` (see [`SessionRepository::find_by_id`]), never served a cached
    /// record last accessed before `written_since`.
    async fn load(
        &self,
        id: &str,
        written_since: Option<SystemTime>,
    ) -> Result<Option<SessionData>, RepositoryError> {
        if !is_valid_session_id(id) {
            return Ok(None);
        }
        telemetry::count(&telemetry::keys::LOADS);
        telemetry::operation("load", async {
            let now = SystemTime::now();
            // Not while disconnected: no invalidation can arrive then.
            if self.inner.client.is_connected()
                && let Some(cached) = self.inner.cache.get_for_load(id, now, written_since)
            {
                return Ok(Some(self.inner.config.load_session_shared(cached)));
            }
            self.inner.cache.count_miss(id, now, written_since);
            // Boxed: a cache hit must not build (and copy) the read's large future.
            let read: Pin<Box<dyn Future<Output = _> + Send + '_>> =
                Box::pin(self.within(self.load_fresh(id)));
            let found = read.await?;
            Ok(found.map(|c| self.inner.config.load_session_shared(c)))
        })
        .await
    }

    /// [`HazelcastSessionRepository::load`] answered at once when the local cache serves
    /// it (or the id cannot exist); `None` when it needs the cluster.
    fn load_now(
        &self,
        id: &str,
        written_since: Option<SystemTime>,
    ) -> Option<Result<Option<SessionData>, RepositoryError>> {
        if !is_valid_session_id(id) {
            return Some(Ok(None));
        }
        // As `load`: not while disconnected (no invalidation can arrive then).
        if !self.inner.cache.is_serving() || !self.inner.client.is_connected() {
            return None;
        }
        let cached = self
            .inner
            .cache
            .get_for_load(id, SystemTime::now(), written_since)?;
        telemetry::count(&telemetry::keys::LOADS);
        Some(telemetry::operation_now("load", || {
            Ok(Some(self.inner.config.load_session_shared(cached)))
        }))
    }

    /// Runs one operation within the operation deadline.
    pub(crate) async fn within<T>(
        &self,
        operation: impl Future<Output = Result<T, RepositoryError>>,
    ) -> Result<T, RepositoryError> {
        tokio::time::timeout(self.inner.deadline, async {
            if !self.configured_now() {
                // Boxed: applying the configuration is rare, and its future is large; inline
                // it would be built and moved on every operation.
                Box::pin(self.ensure_configured()).await?;
            }
            operation.await
        })
        .await
        .unwrap_or(Err(RepositoryError::Timeout))
    }

    /// Whether the map configuration is known to be applied on the cluster the client is
    /// connected to right now (or there is none to apply), checked without waiting: the
    /// common case of every operation, which then skips
    /// [`ensure_configured`](Self::ensure_configured). `false` also when that cannot be
    /// told at once (offline, a configuration being applied): the caller asks
    /// `ensure_configured`.
    pub(crate) fn configured_now(&self) -> bool {
        if self.inner.map_config.is_none() {
            return true;
        }
        let cluster = self.inner.cluster.borrow();
        let Some(current) = cluster.as_ref() else {
            return false;
        };
        self.inner.client.is_connected()
            && self.inner.configured.try_lock().is_ok_and(|configured| {
                configured
                    .as_ref()
                    .is_some_and(|c| c.cluster_id == current.cluster_id)
            })
    }

    /// Calls the cluster; while the client is offline (the call was never sent), waits
    /// and tries again: the caller's deadline bounds the wait.
    pub(crate) async fn call<T, F, Fut>(&self, mut f: F) -> Result<T, ClientError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ClientError>>,
    {
        loop {
            match f().await {
                Err(e) if e.is_unsent() => {
                    tokio::time::sleep(OFFLINE_POLL).await;
                    // The client may have reconnected meanwhile, perhaps to another cluster
                    // (failover, a restarted cluster): configure it before the retry, so
                    // that nothing is written to a session map without its expiry. Waits
                    // while that cannot be done yet; the caller's deadline bounds it.
                    while !matches!(Box::pin(self.ensure_configured()).await, Ok(true)) {
                        tokio::time::sleep(OFFLINE_POLL).await;
                    }
                }
                other => {
                    telemetry::round_trip();
                    return other;
                }
            }
        }
    }

    /// The stored record of `record` (`originalId` = `id`), written directly (see
    /// [`RecordWriter`]).
    pub(crate) fn encode_record(&self, record: &SessionRecord) -> Result<Data, RepositoryError> {
        let schemas = self.inner.client.schemas();
        let writer = self.inner.record_writer.get_or_init(|| {
            RecordWriter::new(schemas)
                .inspect_err(|e| {
                    tracing::warn!(error = %e, "the direct session record writer is unavailable; using the generic one");
                })
                .ok()
        });
        match writer {
            Some(w) => w
                .encode(schemas, record)
                .map_err(RepositoryError::malformed),
            None => self.encode(&BackingMapSession::from_session_record(record)),
        }
    }

    pub(crate) fn encode(&self, b: &BackingMapSession) -> Result<Data, RepositoryError> {
        b.to_data(self.inner.client.schemas())
            .map_err(RepositoryError::malformed)
    }

    async fn decode(&self, key: &str, data: &Data) -> Result<SessionRecord, RepositoryError> {
        let default_interval = self.inner.config.max_inactive_interval();
        let record = match read_session_record(data, key, default_interval) {
            Some(record) => record,
            // Another layout, or bad bytes: the generic reader (which fetches unknown
            // schemas and says what is wrong). Boxed: rare, and its future is large.
            None => Box::pin(self.decode_generic(key, data)).await?,
        };
        if has_compact_attributes(&record) {
            Box::pin(self.fetch_attribute_schemas(&record)).await?;
        }
        Ok(record)
    }

    async fn decode_generic(
        &self,
        key: &str,
        data: &Data,
    ) -> Result<SessionRecord, RepositoryError> {
        let AsCompact(b) = self
            .inner
            .client
            .decode::<AsCompact<BackingMapSession>>(data)
            .await
            .map_err(|e| match e {
                ClientError::Serialization(s) => RepositoryError::malformed(s),
                other => backend(other),
            })?;
        b.to_session_record(key, self.inner.config.max_inactive_interval())
            .map_err(RepositoryError::malformed)
    }

    /// Reads `key`: a bad record (not decodable as a session: a foreign writer, an older
    /// format, corruption) is logged once at warn (without the id) and removed if it
    /// still holds the same bytes, and reads as absent, so the user gets a fresh session
    /// instead of an error on every request.
    pub(crate) async fn read(&self, key: &str) -> Result<Found, RepositoryError> {
        let k = key;
        let Some(data) = self.call(|| self.inner.map.get(k)).await.map_err(backend)? else {
            return Ok(Found::Absent);
        };
        match self.decode(key, &data).await {
            Ok(record) => Ok(Found::Record(data, record)),
            Err(RepositoryError::Malformed(e)) => {
                telemetry::count(&telemetry::keys::BAD_RECORDS);
                tracing::warn!(
                    error = %e,
                    type_id = data.type_id().unwrap_or(0),
                    bytes = data.len(),
                    "a stored session record cannot be read; treating it as no session and removing it"
                );
                self.inner.cache.invalidate(key);
                match self.call(|| self.inner.map.remove_if_same(k, &data)).await {
                    Ok(_) => {}
                    Err(e) => tracing::debug!(error = %e, "removing a bad session record failed"),
                }
                Ok(Found::Bad)
            }
            Err(e) => Err(e),
        }
    }

    /// Fetches the schemas of Compact attribute values this client has not seen (written
    /// by another application), so that the codec can decode them synchronously.
    async fn fetch_attribute_schemas(&self, record: &SessionRecord) -> Result<(), RepositoryError> {
        let schemas = self.inner.client.schemas();
        for bytes in record.attributes.values() {
            if !is_compact(bytes) {
                continue;
            }
            let data = Data::from_bytes(bytes.to_vec());
            let known = hazelcast_protocol::compact::schema_id_of(&data)
                .is_some_and(|id| schemas.get(id).is_some());
            if !known {
                // Decoding fetches every unknown (nested) schema; the value itself is not
                // needed here, and a malformed one is reported when it is read.
                let _ = self
                    .inner
                    .client
                    .decode::<AsCompact<hazelcast_protocol::compact::GenericRecord>>(&data)
                    .await;
            }
        }
        Ok(())
    }

    /// Removes an expired record found on read; the cluster would have if its max idle
    /// applied. `delete` fires no Deleted event, so Expired is published here. A delete of
    /// unknown outcome is sent again (deleting twice is harmless).
    pub(crate) async fn expire(&self, id: &str) -> Result<(), RepositoryError> {
        self.inner.cache.invalidate(id);
        let k = id;
        loop {
            match self.call(|| self.inner.map.delete(k)).await {
                Ok(_) => break,
                Err(e) if outcome_unknown(&e) => telemetry::count(&telemetry::keys::RETRIES),
                Err(e) => return Err(backend(e)),
            }
        }
        self.inner
            .events
            .publish(SessionEvent::Expired { id: id.to_owned() });
        Ok(())
    }

    /// Reads `key` from the cluster and caches it (unless an event or a flush overtook the
    /// read). `None`: absent, unreadable (then removed) or expired (then removed and
    /// Expired published).
    pub(crate) async fn load_fresh(
        &self,
        key: &str,
    ) -> Result<Option<Arc<Cached>>, RepositoryError> {
        let ticket = self.inner.cache.ticket(key);
        match self.read(key).await? {
            Found::Record(data, record) => {
                if record.is_expired(SystemTime::now()) {
                    ticket.discard();
                    Box::pin(self.expire(key)).await?;
                    return Ok(None);
                }
                let cached = Arc::new(Cached::new(data, record));
                ticket.loaded(Arc::clone(&cached));
                Ok(Some(cached))
            }
            Found::Absent | Found::Bad => {
                ticket.discard();
                Ok(None)
            }
        }
    }

    /// Removes `key` (invalidate, delete); removing again after an unknown outcome is
    /// harmless.
    async fn remove(&self, key: &str) -> Result<(), RepositoryError> {
        let ticket = self.inner.cache.ticket(key);
        let k = key;
        loop {
            match self.call(|| self.inner.map.remove(k)).await {
                Ok(_) => break,
                Err(e) if outcome_unknown(&e) => {
                    telemetry::count(&telemetry::keys::RETRIES);
                }
                Err(e) => return Err(backend(e)),
            }
        }
        // Other servers drop their cached record on this removal's event.
        ticket.await_own_event(OWN_EVENT_WAIT).await;
        ticket.discard();
        Ok(())
    }
}

#[async_trait]
impl SessionRepository for HazelcastSessionRepository {
    async fn create(&self) -> Result<SessionData, RepositoryError> {
        Ok(self.inner.config.new_session(SystemTime::now())?)
    }

    async fn save(&self, session: &SessionData) -> Result<(), RepositoryError> {
        if let Some(touch) = session.pending_touch()
            && touch.within(self.inner.touch_fraction)
        {
            // Only the last access moved, by less than the write threshold: nothing to
            // write (the stored time is at least the loaded one), no record copied.
            telemetry::count(&telemetry::keys::SAVES_SKIPPED);
            session.mark_touched(&touch, false);
            return Ok(());
        }
        let delta = session.delta();
        if delta.is_empty() {
            telemetry::count(&telemetry::keys::SAVES_SKIPPED);
            session.mark_saved_unchanged(&delta);
            return Ok(());
        }
        // Boxed: the writes' futures are large, and a future is as large as everything it
        // may await; inline, every save (even one that writes nothing) would build and
        // copy them.
        let write: Pin<Box<dyn Future<Output = Result<bool, RepositoryError>> + Send + '_>> =
            Box::pin(async {
                self.await_listener().await;
                if delta.invalidated {
                    if !delta.is_new {
                        self.remove(&delta.original_id).await?;
                    }
                    Ok(true)
                } else if delta.is_new {
                    self.save_new(&delta).await?;
                    Ok(true)
                } else {
                    self.save_existing(&delta).await
                }
            });
        if telemetry::operation("save", self.within(write)).await? {
            session.mark_saved(&delta);
        } else {
            session.mark_saved_unchanged(&delta);
        }
        Ok(())
    }

    async fn find_by_id(&self, id: &str) -> Result<Option<SessionData>, RepositoryError> {
        self.load(id, None).await
    }

    /// A load the local cache serves (or of an id that cannot exist) answered at once,
    /// exactly as [`find_by_id`](SessionRepository::find_by_id) answers it (the same
    /// counters, span and histogram): the request lifecycle then builds no boxed future
    /// and arms no deadline timer. `None` when the load needs the cluster.
    fn find_by_id_now(&self, id: &str) -> Option<Result<Option<SessionData>, RepositoryError>> {
        self.load_now(id, None)
    }

    /// Whether the local cache is on: a load may then be served a record that another
    /// server changed a moment ago (see the crate docs' staleness window), which the
    /// request lifecycle's read-your-writes cookie closes for the client that made the
    /// change.
    fn may_serve_stale(&self) -> bool {
        self.inner.local_cache
    }

    /// [`find_by_id`](SessionRepository::find_by_id), but a cached record last accessed
    /// before `since` (the client's last write, from its read-your-writes cookie) is not
    /// served: the record is read from the cluster (and cached) instead.
    async fn find_by_id_written_since(
        &self,
        id: &str,
        since: SystemTime,
    ) -> Result<Option<SessionData>, RepositoryError> {
        self.load(id, Some(since)).await
    }

    fn find_by_id_now_written_since(
        &self,
        id: &str,
        since: SystemTime,
    ) -> Option<Result<Option<SessionData>, RepositoryError>> {
        self.load_now(id, Some(since))
    }

    /// A save that writes nothing because only the last access moved, by less than the
    /// touch threshold (the usual request that only reads its session), done at once,
    /// exactly as [`save`](SessionRepository::save) does it. `None` for anything else.
    fn save_now(&self, session: &SessionData) -> Option<Result<(), RepositoryError>> {
        let touch = session.pending_touch()?;
        if !touch.within(self.inner.touch_fraction) {
            return None;
        }
        telemetry::count(&telemetry::keys::SAVES_SKIPPED);
        session.mark_touched(&touch, false);
        Some(Ok(()))
    }

    async fn delete_by_id(&self, id: &str) -> Result<(), RepositoryError> {
        if !is_valid_session_id(id) {
            return Ok(());
        }
        telemetry::operation(
            "delete",
            self.within(async {
                self.await_listener().await;
                self.remove(id).await
            }),
        )
        .await
    }

    fn subscribe(&self) -> SessionEventStream {
        self.subscribe_events()
    }

    fn as_indexed(&self) -> Option<&dyn IndexedSessionRepository> {
        Some(self)
    }
}

#[async_trait]
impl IndexedSessionRepository for HazelcastSessionRepository {
    async fn find_by_principal_name(
        &self,
        principal_name: &str,
    ) -> Result<HashMap<String, SessionData>, RepositoryError> {
        let predicate = Predicate::equal("principalName", Value::String(principal_name.into()));
        let entries = telemetry::operation(
            "find_by_principal",
            self.within(async {
                self.call(|| self.inner.map.entries(Some(&predicate)))
                    .await
                    .map_err(backend)
            }),
        )
        .await?;
        let now = SystemTime::now();
        let mut out = HashMap::with_capacity(entries.len());
        for (key, data) in entries {
            let record = match self.decode(&key, &data).await {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(error = %e, "skipping a malformed session record");
                    continue;
                }
            };
            if record.is_expired(now) || record.principal_name.as_deref() != Some(principal_name) {
                continue;
            }
            out.insert(record.id.clone(), self.inner.config.load_session(record));
        }
        Ok(out)
    }
}
