//! [`HazelcastSessionRepository`]: sessions in a Hazelcast IMap through `hazelcast-client`.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use hazelcast_client::backoff::random_unit;
use hazelcast_client::error::codes;
use hazelcast_client::listener::event_type;
use hazelcast_client::{
    Client, ClientError, ClusterConnection, Compact, EntryEvent, EntryListenerOptions, Map,
};
use hazelcast_protocol::data::Data;
use hazelcast_protocol::predicate::Predicate;
use hazelcast_protocol::serialization::Value;
use session_core::{
    EventBus, IndexedSessionRepository, RepositoryError, SessionConfig, SessionData, SessionDelta,
    SessionEvent, SessionEventStream, SessionRecord, SessionRepository, is_valid_session_id,
};
use tokio::task::JoinHandle;

use crate::builder::BuildError;
use crate::map_config::SessionMapConfig;
use crate::record::BackingMapSession;

/// Default number of compare-and-set attempts of one save before [`RepositoryError::Conflict`].
/// Attempts after a conflict are spaced by a growing, jittered pause (see
/// [`HazelcastRepositoryBuilder::max_save_attempts`](crate::HazelcastRepositoryBuilder::max_save_attempts)), and the whole save is bounded by the
/// operation deadline.
pub const DEFAULT_MAX_SAVE_ATTEMPTS: u32 = 32;
/// Default deadline of one repository operation (load, save, delete, find by principal).
pub const DEFAULT_OPERATION_DEADLINE: Duration = Duration::from_millis(1500);
/// First pause after a compare-and-set conflict; doubles per attempt up to
/// [`CONFLICT_BACKOFF_MAX`], each pause a random share (50–100 %) of it.
const CONFLICT_BACKOFF_BASE: Duration = Duration::from_millis(2);
/// Longest pause between two compare-and-set attempts.
const CONFLICT_BACKOFF_MAX: Duration = Duration::from_millis(100);
/// Pause between attempts while the client is offline (within the operation deadline).
const OFFLINE_POLL: Duration = Duration::from_millis(25);
/// How often the event listener task checks that someone still subscribes.
const LISTENER_IDLE_CHECK: Duration = Duration::from_millis(500);
/// How long a write waits for a listener registration in progress (so that a subscriber
/// sees the events of writes made after it subscribed).
const LISTENER_READY_WAIT: Duration = Duration::from_millis(1000);
/// Default share of the max inactive interval the last access time may move before a save
/// that changes nothing else writes it.
pub const DEFAULT_TOUCH_FRACTION: f64 = 0.1;
/// Records remembered between a load and a save (to skip one read per save).
const LOADED_CACHE_CAPACITY: usize = 4096;
/// A remembered record older than this is not used (it is most likely stale anyway).
const LOADED_CACHE_TTL: Duration = Duration::from_secs(60);
/// Hazelcast's error code for `InvalidConfigurationException`.
const INVALID_CONFIGURATION: i32 = 32;

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Applies the map configuration on every cluster the client connects to that it has not
/// configured yet (failover, a cluster restarted with a new id). Operations check the same
/// before they run, so none is served from an unconfigured cluster.
async fn reapply_config_on_new_clusters(inner: Weak<Inner>) {
    let Some(mut changes) = inner.upgrade().map(|i| i.cluster.clone()) else {
        return;
    };
    while changes.changed().await.is_ok() {
        let Some(inner) = inner.upgrade() else {
            return;
        };
        let repository = HazelcastSessionRepository { inner };
        let _ = repository.ensure_configured().await;
    }
}

/// Adds the map configuration through the client, as one `DynamicConfig.addMapConfig`
/// request built by [`SessionMapConfig::to_request`] (every field, the WAN replication
/// reference and the in-memory format included).
pub(crate) async fn apply_map_config(
    client: &Client,
    map_name: &str,
    config: &SessionMapConfig,
) -> Result<(), BuildError> {
    let request = config.to_request(map_name)?;
    match client.add_map_config_request(&request).await {
        Ok(()) => Ok(()),
        Err(ClientError::Member(e)) if e.code() == INVALID_CONFIGURATION => {
            let message = e
                .chain
                .first()
                .and_then(|c| c.message.clone())
                .unwrap_or_default();
            Err(BuildError::MapConfig(
                config.conflict_error(map_name, &message),
            ))
        }
        Err(e) => Err(BuildError::Client(e)),
    }
}

/// The state of the lazily registered entry listener.
#[derive(Debug, Default)]
struct ListenerState {
    /// The task that registers the listener and translates its events, while someone
    /// subscribes.
    task: Option<JoinHandle<()>>,
    /// True once the listener is registered (writes wait for it, briefly).
    ready: Option<tokio::sync::watch::Receiver<bool>>,
}

/// Registers the entry listener, turns its events into session events, signals every gap
/// as [`SessionEvent::Lagged`] (events dropped by a full buffer: their number; a reconnect
/// or failover: `missed: 0`, number unknown), and removes the listener once nobody
/// subscribes.
///
/// - ADDED with `originalId == id` (or no original id) → Created. A change of id writes
///   the new key with the old id as `originalId`: no Created for it (HSS's rule).
/// - REMOVED with an old value → Deleted, except for the old key of a change of id (its
///   last value names the new id, which exists).
/// - EXPIRED and EVICTED → Expired.
async fn run_listener(inner: Weak<Inner>, ready: tokio::sync::watch::Sender<bool>) {
    let mut pause = Duration::from_millis(100);
    let mut stream = loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        if strong.events.subscriber_count() == 0 && strong.stop_listener_if_unused() {
            return;
        }
        let options = EntryListenerOptions {
            include_value: true,
            flags: event_type::ADDED
                | event_type::REMOVED
                | event_type::EXPIRED
                | event_type::EVICTED,
        };
        match strong.map.entry_events(options).await {
            Ok(stream) => break stream,
            Err(e) => {
                tracing::warn!(error = %e, "could not register the session event listener; retrying");
                drop(strong);
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
            }
        }
    };
    let _ = ready.send(true);
    let Some(mut cluster) = inner.upgrade().map(|i| i.cluster.clone()) else {
        return;
    };
    cluster.mark_unchanged();
    let mut dropped = stream.dropped();
    let mut tick = tokio::time::interval(LISTENER_IDLE_CHECK);
    loop {
        tokio::select! {
            event = stream.next_event() => {
                let Some(event) = event else { return };
                let Some(strong) = inner.upgrade() else { return };
                let now_dropped = stream.dropped();
                if now_dropped > dropped {
                    strong.events.publish(SessionEvent::Lagged { missed: now_dropped - dropped });
                    dropped = now_dropped;
                }
                if let Some(e) = translate(&strong, &event).await {
                    strong.events.publish(e);
                }
            }
            changed = cluster.changed() => {
                if changed.is_err() {
                    return;
                }
                let Some(strong) = inner.upgrade() else { return };
                // Events while the client had no connection are lost (a reconnect), or
                // belong to another cluster (a failover).
                strong.events.publish(SessionEvent::Lagged { missed: 0 });
            }
            _ = tick.tick() => {
                let Some(strong) = inner.upgrade() else { return };
                let now_dropped = stream.dropped();
                if now_dropped > dropped {
                    strong.events.publish(SessionEvent::Lagged { missed: now_dropped - dropped });
                    dropped = now_dropped;
                }
                if strong.events.subscriber_count() == 0 && strong.stop_listener_if_unused() {
                    // Dropping the stream removes the listener from the cluster.
                    return;
                }
            }
        }
    }
}

async fn translate(inner: &Inner, event: &EntryEvent) -> Option<SessionEvent> {
    let client = &inner.client;
    let id: String = client.decode(event.key.as_ref()?).await.ok()?;
    match event.event_type {
        event_type::ADDED => {
            let value = event.value.as_ref()?;
            let Compact(record) = client
                .decode::<Compact<BackingMapSession>>(value)
                .await
                .ok()?;
            let renamed = record.original_id.as_ref().is_some_and(|o| *o != id);
            (!renamed).then_some(SessionEvent::Created { id })
        }
        event_type::REMOVED => {
            let old = event.old_value.as_ref().filter(|v| !v.is_null())?;
            // The old key of a change of id is removed with its last value naming the new
            // id as `originalId`: no Deleted when that new id exists.
            if let Ok(Compact(record)) = client.decode::<Compact<BackingMapSession>>(old).await
                && let Some(new_id) = record.original_id.filter(|o| *o != id)
                && inner.map.contains_key(&new_id).await.unwrap_or(false)
            {
                return None;
            }
            Some(SessionEvent::Deleted { id })
        }
        event_type::EXPIRED | event_type::EVICTED => Some(SessionEvent::Expired { id }),
        _ => None,
    }
}

/// A record as it was loaded: its exact bytes (the compare-and-set's expected value) and
/// last access time.
#[derive(Debug)]
struct Loaded {
    data: Data,
    last_accessed_time: SystemTime,
    at: tokio::time::Instant,
}

#[derive(Debug)]
struct Inner {
    client: Client,
    map: Map<String, Data>,
    config: SessionConfig,
    map_max_idle: Option<Duration>,
    /// The configuration to apply on every new cluster (`None`: not applied by us).
    map_config: Option<SessionMapConfig>,
    /// The cluster connection the configuration was last applied on.
    configured: tokio::sync::Mutex<Option<ClusterConnection>>,
    cluster: tokio::sync::watch::Receiver<Option<ClusterConnection>>,
    events: EventBus,
    loaded: Mutex<HashMap<String, Loaded>>,
    max_save_attempts: u32,
    touch_fraction: f64,
    deadline: Duration,
    listener: Mutex<ListenerState>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    /// Compare-and-set attempts that found the session changed (for tests and statistics).
    conflicts: AtomicU64,
}

impl Inner {
    /// Ends the listener task if nobody subscribes (checked under the state lock, so a
    /// concurrent subscribe starts a new task instead of relying on this one).
    fn stop_listener_if_unused(&self) -> bool {
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
    inner: Arc<Inner>,
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
}

impl HazelcastSessionRepository {
    /// Starts the repository (background tasks included) from settled settings.
    pub(crate) fn start(s: Settings) -> Self {
        let client = s.client;
        let cluster = client.cluster_connections();
        let session_config = s.session_config;
        let map_config = s.map_config;
        let configured = s.configured;
        let map: Map<String, Data> = client.map(s.map_name);
        let events = EventBus::default();
        let inner = Arc::new(Inner {
            client,
            map,
            config: session_config,
            map_max_idle: map_config.max_idle,
            map_config: s.apply_map_config.then_some(map_config),
            configured: tokio::sync::Mutex::new(configured),
            cluster,
            events,
            loaded: Mutex::new(HashMap::new()),
            max_save_attempts: s.max_save_attempts,
            touch_fraction: s.touch_fraction,
            deadline: s.deadline,
            listener: Mutex::new(ListenerState::default()),
            tasks: Mutex::new(Vec::new()),
            conflicts: AtomicU64::new(0),
        });
        if inner.map_config.is_some() {
            let task = tokio::spawn(reapply_config_on_new_clusters(Arc::downgrade(&inner)));
            lock(&inner.tasks).push(task);
        }
        HazelcastSessionRepository { inner }
    }
}

fn backend(e: ClientError) -> RepositoryError {
    match e {
        ClientError::Timeout { .. } => RepositoryError::Timeout,
        other => RepositoryError::backend(other),
    }
}

/// Whether a write failed without knowing whether the member applied it (the connection
/// closed while it was pending): the repository reads back to find out.
fn outcome_unknown(e: &ClientError) -> bool {
    matches!(e, ClientError::TargetDisconnected { .. })
        || e.server_code() == Some(codes::TARGET_DISCONNECTED)
}

/// The pause before compare-and-set attempt `attempt` (1-based) after a conflict:
/// exponential from [`CONFLICT_BACKOFF_BASE`], capped, with 50–100 % jitter so that
/// competing writers spread out instead of colliding again.
fn conflict_pause(attempt: u32) -> Duration {
    let exp = attempt.saturating_sub(1).min(16);
    let cap = CONFLICT_BACKOFF_BASE
        .saturating_mul(1u32 << exp)
        .min(CONFLICT_BACKOFF_MAX);
    cap.mul_f64(0.5 + 0.5 * random_unit())
}

/// Carries a concurrent change (`before` → `after`, both stored values of the old id) to
/// `target` (the record under the new id).
fn carry_change(before: &SessionRecord, after: &SessionRecord, target: &mut SessionRecord) {
    for (name, value) in &after.attributes {
        if before.attributes.get(name) != Some(value) {
            target.attributes.insert(name.clone(), value.clone());
        }
    }
    for name in before.attributes.keys() {
        if !after.attributes.contains_key(name) {
            target.attributes.remove(name);
        }
    }
    if before.principal_name != after.principal_name {
        target.principal_name.clone_from(&after.principal_name);
    }
    if before.max_inactive_interval != after.max_inactive_interval {
        target.max_inactive_interval = after.max_inactive_interval;
    }
    target.last_accessed_time = target.last_accessed_time.max(after.last_accessed_time);
}

/// What a load found under a key.
enum Found {
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

    /// Whether the entry listener is registered (someone subscribes).
    pub fn is_listening(&self) -> bool {
        lock(&self.inner.listener)
            .ready
            .as_ref()
            .is_some_and(|r| *r.borrow())
    }

    /// Runs one operation within the operation deadline.
    async fn within<T>(
        &self,
        operation: impl Future<Output = Result<T, RepositoryError>>,
    ) -> Result<T, RepositoryError> {
        tokio::time::timeout(self.inner.deadline, async {
            self.ensure_configured().await?;
            operation.await
        })
        .await
        .unwrap_or(Err(RepositoryError::Timeout))
    }

    /// Calls the cluster; while the client is offline (the call was never sent), waits
    /// and tries again: the caller's deadline bounds the wait.
    async fn call<T, F, Fut>(&self, mut f: F) -> Result<T, ClientError>
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
                    while !matches!(self.ensure_configured().await, Ok(true)) {
                        tokio::time::sleep(OFFLINE_POLL).await;
                    }
                }
                other => return other,
            }
        }
    }

    /// Applies the map configuration on the cluster the client is connected to, if it has
    /// not been applied there (failover, restarted cluster). While it cannot be applied
    /// (the cluster does not answer), operations fail rather than serve from an
    /// unconfigured cluster; the next one tries again. `Ok(true)`: the current cluster is
    /// configured (or there is nothing to configure); `Ok(false)`: the client is offline,
    /// so whether the cluster it will reach is configured is not known yet.
    async fn ensure_configured(&self) -> Result<bool, RepositoryError> {
        let Some(config) = &self.inner.map_config else {
            return Ok(true);
        };
        let Some(current) = self.inner.cluster.borrow().clone() else {
            return Ok(false);
        };
        if !self.inner.client.is_connected() {
            return Ok(false);
        }
        let mut configured = self.inner.configured.lock().await;
        if configured
            .as_ref()
            .is_some_and(|c| c.cluster_id == current.cluster_id)
        {
            return Ok(true);
        }
        match apply_map_config(&self.inner.client, self.map_name(), config).await {
            Ok(()) => {
                tracing::info!(
                    cluster = %current.cluster_name,
                    "session map configuration applied on a newly connected cluster"
                );
                *configured = Some(current);
                Ok(true)
            }
            Err(BuildError::MapConfig(e)) => {
                // The cluster has another configuration for the map: applying again
                // cannot help; the operator must see it.
                tracing::error!(error = %e, cluster = %current.cluster_name, "the cluster's session map configuration conflicts with ours");
                *configured = Some(current);
                Ok(true)
            }
            Err(BuildError::Client(e)) if e.is_unsent() => {
                // Offline again: the operation waits or fails by itself.
                Ok(false)
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not apply the session map configuration yet");
                Err(RepositoryError::backend(e))
            }
        }
    }

    /// Waits (briefly) for a listener registration in progress, so that a subscriber
    /// sees the events of this repository's writes made after it subscribed.
    async fn await_listener(&self) {
        let ready = lock(&self.inner.listener).ready.clone();
        if let Some(mut ready) = ready
            && !*ready.borrow()
            && self.inner.client.is_connected()
        {
            let _ = tokio::time::timeout(LISTENER_READY_WAIT, ready.wait_for(|r| *r)).await;
        }
    }

    fn loaded(&self) -> std::sync::MutexGuard<'_, HashMap<String, Loaded>> {
        lock(&self.inner.loaded)
    }

    fn remember(&self, id: &str, data: Data, record: &SessionRecord) {
        let mut loaded = self.loaded();
        if loaded.len() >= LOADED_CACHE_CAPACITY {
            let now = tokio::time::Instant::now();
            loaded.retain(|_, l| now.duration_since(l.at) < LOADED_CACHE_TTL);
            if loaded.len() >= LOADED_CACHE_CAPACITY {
                loaded.clear();
            }
        }
        loaded.insert(
            id.to_owned(),
            Loaded {
                data,
                last_accessed_time: record.last_accessed_time,
                at: tokio::time::Instant::now(),
            },
        );
    }

    fn take_loaded(&self, id: &str) -> Option<Loaded> {
        self.loaded()
            .remove(id)
            .filter(|l| l.at.elapsed() < LOADED_CACHE_TTL)
    }

    fn encode(&self, b: &BackingMapSession) -> Result<Data, RepositoryError> {
        b.to_data(self.inner.client.schemas())
            .map_err(RepositoryError::malformed)
    }

    async fn decode(&self, key: &str, data: &Data) -> Result<SessionRecord, RepositoryError> {
        let Compact(b) = self
            .inner
            .client
            .decode::<Compact<BackingMapSession>>(data)
            .await
            .map_err(|e| match e {
                ClientError::Serialization(s) => RepositoryError::malformed(s),
                other => backend(other),
            })?;
        let record = b
            .to_session_record(key, self.inner.config.max_inactive_interval())
            .map_err(RepositoryError::malformed)?;
        self.fetch_attribute_schemas(&record).await?;
        Ok(record)
    }

    /// Reads `key`: a bad record (not decodable as a session: a foreign writer, an older
    /// format, corruption) is logged once at warn (without the id) and removed if it
    /// still holds the same bytes, and reads as absent, so the user gets a fresh session
    /// instead of an error on every request.
    async fn read(&self, key: &str) -> Result<Found, RepositoryError> {
        let k = key.to_owned();
        let Some(data) = self
            .call(|| self.inner.map.get(&k))
            .await
            .map_err(backend)?
        else {
            return Ok(Found::Absent);
        };
        match self.decode(key, &data).await {
            Ok(record) => Ok(Found::Record(data, record)),
            Err(RepositoryError::Malformed(e)) => {
                tracing::warn!(
                    error = %e,
                    type_id = data.type_id().unwrap_or(0),
                    bytes = data.len(),
                    "a stored session record cannot be read; treating it as no session and removing it"
                );
                match self.call(|| self.inner.map.remove_if_same(&k, &data)).await {
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
            let data = Data::from_bytes(bytes.to_vec());
            if data.type_id() != Some(hazelcast_protocol::data::type_id::COMPACT) {
                continue;
            }
            let known = hazelcast_protocol::compact::schema_id_of(&data)
                .is_some_and(|id| schemas.get(id).is_some());
            if !known {
                // Decoding fetches every unknown (nested) schema; the value itself is not
                // needed here, and a malformed one is reported when it is read.
                let _ = self
                    .inner
                    .client
                    .decode::<Compact<hazelcast_protocol::compact::GenericRecord>>(&data)
                    .await;
            }
        }
        Ok(())
    }

    /// Per-entry max idle to send with a write that can carry one: `None` (map default)
    /// when the session's interval is the map's max idle, zero (infinite) for a session
    /// that never expires.
    fn entry_max_idle(&self, interval: Option<Duration>) -> Option<Duration> {
        if interval == self.inner.map_max_idle {
            None
        } else {
            Some(interval.unwrap_or(Duration::ZERO))
        }
    }

    /// Removes an expired record found on read; the cluster would have if its max idle
    /// applied. `delete` fires no Deleted event, so Expired is published here.
    async fn expire(&self, id: &str) -> Result<(), RepositoryError> {
        let k = id.to_owned();
        self.call(|| self.inner.map.delete(&k))
            .await
            .map_err(backend)?;
        self.inner
            .events
            .publish(SessionEvent::Expired { id: id.to_owned() });
        Ok(())
    }

    /// Whether a save that only moves the last access time may skip the write.
    fn touch_only_within_threshold(&self, delta: &SessionDelta, loaded: Option<&Loaded>) -> bool {
        let only_touch = !delta.is_new
            && !delta.invalidated
            && !delta.id_changed()
            && delta.upserted.is_empty()
            && delta.removed.is_empty()
            && !delta.principal_changed
            && !delta.max_inactive_interval_changed;
        if !only_touch {
            return false;
        }
        if !delta.last_accessed_time_changed {
            return true;
        }
        let (Some(loaded), Some(interval)) = (loaded, delta.record.max_inactive_interval) else {
            return false;
        };
        let moved = delta
            .record
            .last_accessed_time
            .duration_since(loaded.last_accessed_time)
            .unwrap_or_default();
        moved < interval.mul_f64(self.inner.touch_fraction)
    }

    /// `putIfAbsent`, with a read-back when the connection closed before the answer: the
    /// write landed if the key holds exactly our bytes. Returns whether the key was free
    /// (or already holds exactly these bytes: saving a new session again after a timeout
    /// is not a collision).
    async fn put_new(
        &self,
        key: &str,
        data: &Data,
        max_idle: Option<Duration>,
    ) -> Result<bool, RepositoryError> {
        let k = key.to_owned();
        loop {
            match self
                .call(|| self.inner.map.put_if_absent_with(&k, data, None, max_idle))
                .await
            {
                // Our own bytes: an earlier attempt of this save landed (its answer was
                // lost to a deadline or a closed connection).
                Ok(previous) => return Ok(previous.is_none_or(|p| p == *data)),
                Err(e) if outcome_unknown(&e) => {
                    tracing::debug!(error = %e, "a new session's write was interrupted; reading it back");
                    match self
                        .call(|| self.inner.map.get(&k))
                        .await
                        .map_err(backend)?
                    {
                        Some(d) if d == *data => return Ok(true),
                        Some(_) => return Ok(false),
                        None => continue,
                    }
                }
                Err(e) => return Err(backend(e)),
            }
        }
    }

    async fn save_new(&self, delta: &SessionDelta) -> Result<(), RepositoryError> {
        let record = BackingMapSession::from_session_record(&delta.record);
        let data = self.encode(&record)?;
        let max_idle = self.entry_max_idle(delta.record.max_inactive_interval);
        if !self.put_new(&delta.record.id, &data, max_idle).await? {
            return Err(RepositoryError::IdCollision);
        }
        Ok(())
    }

    /// Compare-and-set; `None` when the connection closed before the answer and the
    /// outcome is unknown (the caller re-reads).
    async fn cas(
        &self,
        key: &str,
        expected: &Data,
        data: &Data,
    ) -> Result<Option<bool>, RepositoryError> {
        let k = key.to_owned();
        match self
            .call(|| self.inner.map.replace_if_same(&k, expected, data))
            .await
        {
            Ok(replaced) => Ok(Some(replaced)),
            Err(e) if outcome_unknown(&e) => {
                tracing::debug!(error = %e, "a session write was interrupted; reading it back");
                Ok(None)
            }
            Err(e) => Err(backend(e)),
        }
    }

    /// After a compare-and-set (which drops a per-entry max idle back to the map's),
    /// gives a session whose interval differs from the map's max idle its own max idle
    /// again. `put` returns the value it replaced: if another request changed the entry
    /// in between, its value (which already holds our change) is put back, with our max
    /// idle; if the entry was removed in between, our put is undone.
    async fn reapply_expiry(
        &self,
        key: &str,
        data: Data,
        max_idle: Duration,
    ) -> Result<(), RepositoryError> {
        let k = key.to_owned();
        let mut value = data;
        for _ in 0..self.inner.max_save_attempts {
            let previous = self
                .call(|| self.inner.map.put_with(&k, &value, None, Some(max_idle)))
                .await
                .map_err(backend)?;
            match previous {
                Some(p) if p == value => return Ok(()),
                Some(p) => value = p,
                None => {
                    let _ = self
                        .call(|| self.inner.map.remove_if_same(&k, &value))
                        .await
                        .map_err(backend)?;
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    async fn save_existing(&self, delta: &SessionDelta) -> Result<(), RepositoryError> {
        let key = delta.original_id.clone();
        let mut loaded = self.take_loaded(&key);
        if self.touch_only_within_threshold(delta, loaded.as_ref()) {
            if let Some(l) = loaded {
                // Still valid as the expected value of the next save.
                self.loaded().insert(key, l);
            }
            return Ok(());
        }
        let now = SystemTime::now();
        let mut known: Option<(Data, SessionRecord)> = None;
        for attempt in 1..=self.inner.max_save_attempts {
            let (current, mut stored) = match (known.take(), loaded.take()) {
                (Some(k), _) => k,
                (None, Some(l)) => match self.decode(&key, &l.data).await {
                    Ok(r) => (l.data, r),
                    Err(_) => match self.read(&key).await? {
                        Found::Record(d, r) => (d, r),
                        // Deleted, expired or unreadable meanwhile: the changes are dropped.
                        Found::Absent | Found::Bad => return Ok(()),
                    },
                },
                (None, None) => match self.read(&key).await? {
                    Found::Record(d, r) => (d, r),
                    Found::Absent | Found::Bad => return Ok(()),
                },
            };
            if stored.is_expired(now) {
                return self.expire(&key).await;
            }
            let base = stored.clone();
            delta.apply_to(&mut stored);
            if delta.id_changed() {
                return self.rename(delta, &key, current, base, stored).await;
            }
            let data = self.encode(&BackingMapSession::from_session_record(&stored))?;
            match self.cas(&key, &current, &data).await? {
                Some(true) => {
                    if let Some(max_idle) = self.entry_max_idle(stored.max_inactive_interval) {
                        self.reapply_expiry(&key, data.clone(), max_idle).await?;
                    }
                    self.remember(&key, data, &stored);
                    return Ok(());
                }
                Some(false) => {
                    self.inner.conflicts.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(
                        attempt,
                        "session changed concurrently; re-reading and re-applying"
                    );
                    tokio::time::sleep(conflict_pause(attempt)).await;
                }
                None => {
                    // Did our write land? Re-applying the delta is idempotent, so a value
                    // that differs from ours is simply the base of the next attempt.
                    match self.read(&key).await? {
                        Found::Record(d, _) if d == data => {
                            if let Some(max_idle) =
                                self.entry_max_idle(stored.max_inactive_interval)
                            {
                                self.reapply_expiry(&key, data.clone(), max_idle).await?;
                            }
                            self.remember(&key, data, &stored);
                            return Ok(());
                        }
                        Found::Record(d, r) => known = Some((d, r)),
                        Found::Absent | Found::Bad => return Ok(()),
                    }
                }
            }
        }
        Err(RepositoryError::Conflict {
            attempts: self.inner.max_save_attempts,
        })
    }

    /// Change of id: write the new key (with the old id as `originalId`, so listeners
    /// report no Created), then remove the old key **only if unchanged**. If another
    /// request changed the old key in between, its change is carried to the new key and
    /// the removal tried again, so nothing is lost. Before its removal the old key's value
    /// is marked with the new id as `originalId`, so listeners report no Deleted for it.
    async fn rename(
        &self,
        delta: &SessionDelta,
        old: &str,
        old_bytes: Data,
        old_record: SessionRecord,
        stored: SessionRecord,
    ) -> Result<(), RepositoryError> {
        let new_id = delta.record.id.clone();
        let mut record = BackingMapSession::from_session_record(&stored);
        record.original_id = Some(old.to_owned());
        let mut new_bytes = self.encode(&record)?;
        let mut new_record = stored;
        let max_idle = self.entry_max_idle(new_record.max_inactive_interval);
        if !self.put_new(&new_id, &new_bytes, max_idle).await? {
            return Err(RepositoryError::IdCollision);
        }
        let old_key = old.to_owned();
        let (mut base_bytes, mut base_record) = (old_bytes, old_record);
        let mut carried_any = false;
        for attempt in 1..=self.inner.max_save_attempts {
            // Mark, then remove only that exact value.
            let mut marked = BackingMapSession::from_session_record(&base_record);
            marked.original_id = Some(new_id.clone());
            let marked = self.encode(&marked)?;
            let landed = match self.cas(old, &base_bytes, &marked).await? {
                Some(true) => true,
                Some(false) => false,
                None => matches!(self.read(old).await?, Found::Record(d, _) if d == marked),
            };
            if landed {
                let removed = self
                    .call(|| self.inner.map.remove_if_same(&old_key, &marked))
                    .await;
                match removed {
                    Ok(true) => break,
                    Ok(false) => {}
                    Err(e) if outcome_unknown(&e) => {}
                    Err(e) => return Err(backend(e)),
                }
                base_bytes = marked;
            }
            // Changed (or removed) by another request meanwhile.
            let (now_bytes, now_record) = match self.read(old).await? {
                Found::Record(d, r) => (d, r),
                Found::Absent | Found::Bad => break,
            };
            if now_bytes == base_bytes {
                continue;
            }
            self.inner.conflicts.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(
                attempt,
                "the old id changed during a change of id; carrying the change over"
            );
            carry_change(&base_record, &now_record, &mut new_record);
            let mut carried = BackingMapSession::from_session_record(&new_record);
            carried.original_id = Some(old.to_owned());
            let carried = self.encode(&carried)?;
            match self.cas(&new_id, &new_bytes, &carried).await? {
                Some(true) => new_bytes = carried,
                Some(false) | None => match self.read(&new_id).await? {
                    Found::Record(d, r) if d == carried => {
                        new_bytes = d;
                        new_record = r;
                    }
                    Found::Record(d, mut r) => {
                        // The new id changed too (an immediate flush of this request):
                        // carry onto that value next time.
                        carry_change(&base_record, &now_record, &mut r);
                        new_bytes = d;
                        new_record = r;
                        continue;
                    }
                    Found::Absent | Found::Bad => return Ok(()),
                },
            }
            base_bytes = now_bytes;
            base_record = now_record;
            carried_any = true;
            tokio::time::sleep(conflict_pause(attempt)).await;
        }
        if carried_any && let Some(max_idle) = max_idle {
            // The compare-and-set on the new key dropped its own max idle.
            self.reapply_expiry(&new_id, new_bytes.clone(), max_idle)
                .await?;
        }
        self.remember(&new_id, new_bytes, &new_record);
        Ok(())
    }
}

#[async_trait]
impl SessionRepository for HazelcastSessionRepository {
    async fn create(&self) -> Result<SessionData, RepositoryError> {
        Ok(self.inner.config.new_session(SystemTime::now())?)
    }

    async fn save(&self, session: &SessionData) -> Result<(), RepositoryError> {
        let delta = session.delta();
        self.within(async {
            self.await_listener().await;
            if delta.invalidated {
                if !delta.is_new {
                    self.loaded().remove(&delta.original_id);
                    let k = delta.original_id.clone();
                    loop {
                        match self.call(|| self.inner.map.remove(&k)).await {
                            Ok(_) => break,
                            // Removing again is harmless.
                            Err(e) if outcome_unknown(&e) => continue,
                            Err(e) => return Err(backend(e)),
                        }
                    }
                }
            } else if delta.is_new {
                self.save_new(&delta).await?;
            } else if !delta.is_empty() {
                self.save_existing(&delta).await?;
            }
            Ok(())
        })
        .await?;
        session.mark_saved(&delta);
        Ok(())
    }

    async fn find_by_id(&self, id: &str) -> Result<Option<SessionData>, RepositoryError> {
        if !is_valid_session_id(id) {
            return Ok(None);
        }
        self.within(async {
            let (data, record) = match self.read(id).await? {
                Found::Record(d, r) => (d, r),
                Found::Absent | Found::Bad => return Ok(None),
            };
            if record.is_expired(SystemTime::now()) {
                self.expire(id).await?;
                return Ok(None);
            }
            self.remember(id, data, &record);
            Ok(Some(self.inner.config.load_session(record)))
        })
        .await
    }

    async fn delete_by_id(&self, id: &str) -> Result<(), RepositoryError> {
        if !is_valid_session_id(id) {
            return Ok(());
        }
        self.loaded().remove(id);
        let k = id.to_owned();
        self.within(async {
            self.await_listener().await;
            loop {
                match self.call(|| self.inner.map.remove(&k)).await {
                    Ok(_) => return Ok(()),
                    Err(e) if outcome_unknown(&e) => continue,
                    Err(e) => return Err(backend(e)),
                }
            }
        })
        .await
    }

    fn subscribe(&self) -> SessionEventStream {
        let mut state = lock(&self.inner.listener);
        let stream = self.inner.events.subscribe();
        let running = state.task.as_ref().is_some_and(|t| !t.is_finished());
        if !running {
            let (tx, rx) = tokio::sync::watch::channel(false);
            state.ready = Some(rx);
            match tokio::runtime::Handle::try_current() {
                Ok(rt) => {
                    state.task = Some(rt.spawn(run_listener(Arc::downgrade(&self.inner), tx)));
                }
                Err(_) => {
                    tracing::warn!("subscribe outside a tokio runtime: no session events");
                    state.ready = None;
                }
            }
        }
        stream
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
        let entries = self
            .within(async {
                self.call(|| self.inner.map.entries(Some(&predicate)))
                    .await
                    .map_err(backend)
            })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_pauses_grow_are_capped_and_jittered() {
        let mut seen = std::collections::HashSet::new();
        for attempt in 1..=40 {
            let cap = CONFLICT_BACKOFF_BASE
                .saturating_mul(1u32 << (attempt - 1).min(16))
                .min(CONFLICT_BACKOFF_MAX);
            for _ in 0..20 {
                let p = conflict_pause(attempt);
                assert!(p >= cap / 2 && p <= cap, "attempt {attempt}: {p:?}");
                seen.insert(p);
            }
        }
        assert!(conflict_pause(u32::MAX) <= CONFLICT_BACKOFF_MAX);
        assert!(seen.len() > 100, "jitter spreads the pauses");
    }

    #[test]
    fn carrying_a_change_applies_only_what_changed() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let mut before = SessionRecord::new("old", t0, Some(Duration::from_secs(60)));
        before
            .attributes
            .insert("a".into(), bytes::Bytes::from_static(b"1"));
        before
            .attributes
            .insert("gone".into(), bytes::Bytes::from_static(b"x"));
        let mut after = before.clone();
        after
            .attributes
            .insert("a".into(), bytes::Bytes::from_static(b"2"));
        after.attributes.remove("gone");
        after.last_accessed_time = t0 + Duration::from_secs(5);
        let mut target = before.clone();
        target.id = "new".into();
        target.principal_name = Some("alice".into());
        target
            .attributes
            .insert("mine".into(), bytes::Bytes::from_static(b"m"));
        carry_change(&before, &after, &mut target);
        assert_eq!(target.attributes.get("a").map(|b| &b[..]), Some(&b"2"[..]));
        assert!(!target.attributes.contains_key("gone"));
        assert!(target.attributes.contains_key("mine"));
        assert_eq!(target.principal_name.as_deref(), Some("alice"));
        assert_eq!(target.last_accessed_time, t0 + Duration::from_secs(5));
    }
}
