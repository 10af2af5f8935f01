//! [`HazelcastSessionRepository`]: sessions in a Hazelcast IMap through `hazelcast-client`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use hazelcast_client::listener::event_type;
use hazelcast_client::{
    Client, ClientConfig, ClientError, Compact, EntryEvent, EntryListenerOptions, Map,
};
use hazelcast_protocol::data::Data;
use hazelcast_protocol::predicate::Predicate;
use hazelcast_protocol::serialization::Value;
use session_core::{
    EventBus, FlushMode, IndexedSessionRepository, RepositoryError, SaveMode, Session,
    SessionConfig, SessionDelta, SessionEvent, SessionEventStream, SessionRecord,
    SessionRepository, is_valid_session_id,
};
use tokio::task::JoinHandle;

use crate::map_config::{MapConfigError, SessionMapConfig};
use crate::record::BackingMapSession;
use crate::{CompactCodec, DEFAULT_MAP_NAME, HazelcastCodec};

/// Default number of compare-and-set attempts of one save before [`RepositoryError::Conflict`].
pub const DEFAULT_MAX_SAVE_ATTEMPTS: u32 = 32;
/// Default share of the max inactive interval the last access time may move before a save
/// that changes nothing else writes it.
pub const DEFAULT_TOUCH_FRACTION: f64 = 0.1;
/// Records remembered between a load and a save (to skip one read per save).
const LOADED_CACHE_CAPACITY: usize = 4096;
/// A remembered record older than this is not used (it is most likely stale anyway).
const LOADED_CACHE_TTL: Duration = Duration::from_secs(60);
/// Hazelcast's error code for `InvalidConfigurationException`.
const INVALID_CONFIGURATION: i32 = 32;

/// Why the repository could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Connecting to the cluster, or registering the listener, failed.
    #[error("cannot reach the Hazelcast cluster")]
    Client(#[source] ClientError),
    /// The map configuration is invalid or conflicts with the cluster's.
    #[error(transparent)]
    MapConfig(#[from] MapConfigError),
    /// The configuration asks for something this version cannot apply from the client.
    #[error("unsupported: {0}")]
    Unsupported(String),
}

/// Builds a [`HazelcastSessionRepository`].
#[derive(Debug)]
pub struct HazelcastRepositoryBuilder {
    client_config: Option<ClientConfig>,
    client: Option<Client>,
    map_name: String,
    session_config: SessionConfig,
    map_config: SessionMapConfig,
    apply_map_config: bool,
    max_save_attempts: u32,
    touch_fraction: f64,
    compact_attributes: bool,
}

impl Default for HazelcastRepositoryBuilder {
    fn default() -> Self {
        Self {
            client_config: None,
            client: None,
            map_name: DEFAULT_MAP_NAME.to_owned(),
            session_config: SessionConfig::default().with_codec(HazelcastCodec),
            map_config: SessionMapConfig::default(),
            apply_map_config: true,
            max_save_attempts: DEFAULT_MAX_SAVE_ATTEMPTS,
            touch_fraction: DEFAULT_TOUCH_FRACTION,
            compact_attributes: false,
        }
    }
}

impl HazelcastRepositoryBuilder {
    /// Connects with this client configuration (a single cluster or a failover list).
    pub fn client_config(mut self, config: ClientConfig) -> Self {
        self.client_config = Some(config);
        self
    }

    /// Uses an already connected client.
    pub fn client(mut self, client: Client) -> Self {
        self.client = Some(client);
        self
    }

    /// The map name (default `spring:session:sessions`).
    pub fn map_name(mut self, name: impl Into<String>) -> Self {
        self.map_name = name.into();
        self
    }

    /// The whole session configuration (interval, flush and save modes, codec, ids). The
    /// default uses [`HazelcastCodec`], so Spring applications read the values.
    pub fn session_config(mut self, config: SessionConfig) -> Self {
        self.session_config = config;
        self
    }

    /// The default max inactive interval of new sessions (`None` = never expire).
    pub fn max_inactive_interval(mut self, interval: Option<Duration>) -> Self {
        self.session_config = self.session_config.with_max_inactive_interval(interval);
        self
    }

    /// The flush mode.
    pub fn flush_mode(mut self, mode: FlushMode) -> Self {
        self.session_config = self.session_config.with_flush_mode(mode);
        self
    }

    /// The save mode.
    pub fn save_mode(mut self, mode: SaveMode) -> Self {
        self.session_config = self.session_config.with_save_mode(mode);
        self
    }

    /// The attribute codec.
    pub fn codec(mut self, codec: impl session_core::AttributeCodec + 'static) -> Self {
        self.session_config = self.session_config.with_codec(codec);
        self
    }

    /// Stores serde structs as Compact records ([`CompactCodec`](crate::CompactCodec) on
    /// the repository's client) instead of `HazelcastJsonValue`; replaces the codec.
    pub fn compact_attributes(mut self, on: bool) -> Self {
        self.compact_attributes = on;
        self
    }

    /// The map configuration. When its max idle is `None`, the max inactive interval is
    /// used as the map's max idle (the cluster's expiry of sessions).
    pub fn map_config(mut self, config: SessionMapConfig) -> Self {
        self.map_config = config;
        self
    }

    /// Whether to add the map configuration at start-up (default true). Switch it off when
    /// the members' static configuration defines the map; that configuration must then
    /// set `max-idle-seconds` (see [`SessionMapConfig::to_member_yaml`]), or sessions
    /// changed after their creation are never removed by the cluster (they are still never
    /// returned once expired).
    pub fn apply_map_config(mut self, on: bool) -> Self {
        self.apply_map_config = on;
        self
    }

    /// Compare-and-set attempts per save before [`RepositoryError::Conflict`] (default 32).
    pub fn max_save_attempts(mut self, attempts: u32) -> Self {
        self.max_save_attempts = attempts.max(1);
        self
    }

    /// Share of the interval (0.0–1.0) the last access time must have moved before a save
    /// that changes nothing else writes the record (default 0.1). 0 writes it every time.
    pub fn touch_fraction(mut self, fraction: f64) -> Self {
        self.touch_fraction = if fraction.is_finite() {
            fraction.clamp(0.0, 1.0)
        } else {
            DEFAULT_TOUCH_FRACTION
        };
        self
    }

    /// The effective map configuration: max idle defaults to the max inactive interval.
    pub fn effective_map_config(&self) -> SessionMapConfig {
        let mut c = self.map_config.clone();
        if c.max_idle.is_none() {
            c.max_idle = self
                .session_config
                .max_inactive_interval()
                .filter(|d| !d.is_zero());
        }
        c
    }

    /// Connects, applies the map configuration (if asked) and registers the entry
    /// listener that feeds [`SessionRepository::subscribe`].
    ///
    /// # Errors
    /// [`BuildError`].
    pub async fn build(self) -> Result<HazelcastSessionRepository, BuildError> {
        let map_config = self.effective_map_config();
        map_config.validate()?;
        let client = match (self.client, self.client_config) {
            (Some(c), _) => c,
            (None, Some(config)) => Client::connect(config).await.map_err(BuildError::Client)?,
            (None, None) => {
                return Err(BuildError::Unsupported(
                    "neither a client nor a client configuration was given".into(),
                ));
            }
        };
        if self.apply_map_config {
            apply_map_config(&client, &self.map_name, &map_config).await?;
        }
        let mut session_config = self.session_config;
        if self.compact_attributes {
            session_config = session_config.with_codec(CompactCodec::new(client.clone()));
        }
        let map: Map<String, Data> = client.map(self.map_name.clone());
        let events = EventBus::default();
        let stream = map
            .entry_events(EntryListenerOptions {
                include_value: true,
                flags: event_type::ADDED
                    | event_type::REMOVED
                    | event_type::EXPIRED
                    | event_type::EVICTED,
            })
            .await
            .map_err(BuildError::Client)?;
        let listener = tokio::spawn(translate_events(client.clone(), stream, events.clone()));
        Ok(HazelcastSessionRepository {
            inner: Arc::new(Inner {
                client,
                map,
                config: session_config,
                map_max_idle: map_config.max_idle,
                events,
                loaded: Mutex::new(HashMap::new()),
                max_save_attempts: self.max_save_attempts,
                touch_fraction: self.touch_fraction,
                listener,
            }),
        })
    }
}

/// Adds the map configuration through the client, as one `DynamicConfig.addMapConfig`
/// request built by [`SessionMapConfig::to_request`] (every field, the WAN replication
/// reference and the in-memory format included).
async fn apply_map_config(
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

/// Turns the map's entry events into session events.
///
/// - ADDED with `originalId == id` (or no original id) → Created. A change of id writes
///   the new key with the old id as `originalId`: no Created for it (HSS's rule).
/// - REMOVED with an old value (`remove`) → Deleted. A change of id drops the old key
///   with `delete`, whose event carries no old value: no Deleted for it.
/// - EXPIRED and EVICTED → Expired.
async fn translate_events(
    client: Client,
    mut stream: hazelcast_client::EntryStream,
    events: EventBus,
) {
    while let Some(event) = stream.next_event().await {
        if let Some(e) = translate(&client, &event).await {
            events.publish(e);
        }
    }
}

async fn translate(client: &Client, event: &EntryEvent) -> Option<SessionEvent> {
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
        event_type::REMOVED => event
            .old_value
            .as_ref()
            .filter(|v| !v.is_null())
            .map(|_| SessionEvent::Deleted { id }),
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
    events: EventBus,
    loaded: Mutex<HashMap<String, Loaded>>,
    max_save_attempts: u32,
    touch_fraction: f64,
    listener: JoinHandle<()>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

/// Sessions in a Hazelcast IMap, readable by Spring applications using Hazelcast Spring
/// Session 4.x. See the [crate docs](crate) for the design and the round trips per request.
#[derive(Debug, Clone)]
pub struct HazelcastSessionRepository {
    inner: Arc<Inner>,
}

fn backend(e: ClientError) -> RepositoryError {
    match e {
        ClientError::Timeout { .. } => RepositoryError::Timeout,
        other => RepositoryError::backend(other),
    }
}

impl HazelcastSessionRepository {
    /// A builder with the defaults (map `spring:session:sessions`, [`HazelcastCodec`],
    /// config applied at start-up).
    pub fn builder() -> HazelcastRepositoryBuilder {
        HazelcastRepositoryBuilder::default()
    }

    /// The client (for statistics or other maps).
    pub fn client(&self) -> &Client {
        &self.inner.client
    }

    /// The map name.
    pub fn map_name(&self) -> &str {
        self.inner.map.name()
    }

    fn loaded(&self) -> std::sync::MutexGuard<'_, HashMap<String, Loaded>> {
        self.inner
            .loaded
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
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
        self.inner
            .map
            .delete(&id.to_owned())
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

    async fn save_new(&self, delta: &SessionDelta) -> Result<(), RepositoryError> {
        let record = BackingMapSession::from_session_record(&delta.record);
        let data = self.encode(&record)?;
        let max_idle = self.entry_max_idle(delta.record.max_inactive_interval);
        let previous = self
            .inner
            .map
            .put_if_absent_with(&delta.record.id, &data, None, max_idle)
            .await
            .map_err(backend)?;
        if previous.is_some() {
            return Err(RepositoryError::IdCollision);
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
        for _ in 0..self.inner.max_save_attempts {
            let current = match loaded.take() {
                Some(l) => l.data,
                None => match self.inner.map.get(&key).await.map_err(backend)? {
                    Some(d) => d,
                    // Deleted or expired meanwhile: the changes are dropped.
                    None => return Ok(()),
                },
            };
            let mut stored = self.decode(&key, &current).await?;
            if stored.is_expired(now) {
                return self.expire(&key).await;
            }
            delta.apply_to(&mut stored);
            if delta.id_changed() {
                return self.rename(delta, &key, stored).await;
            }
            let data = self.encode(&BackingMapSession::from_session_record(&stored))?;
            let replaced = self
                .inner
                .map
                .replace_if_same(&key, &current, &data)
                .await
                .map_err(backend)?;
            if replaced {
                self.remember(&key, data, &stored);
                return Ok(());
            }
            tracing::debug!("session changed concurrently; re-reading and re-applying");
        }
        Err(RepositoryError::Conflict {
            attempts: self.inner.max_save_attempts,
        })
    }

    /// Change of id: write the new key (with the old id as `originalId`, so listeners
    /// report no Created), then `delete` the old one (no old value in the event, so no
    /// Deleted).
    async fn rename(
        &self,
        delta: &SessionDelta,
        old: &str,
        stored: SessionRecord,
    ) -> Result<(), RepositoryError> {
        let mut record = BackingMapSession::from_session_record(&stored);
        record.original_id = Some(old.to_owned());
        let data = self.encode(&record)?;
        let max_idle = self.entry_max_idle(stored.max_inactive_interval);
        let previous = self
            .inner
            .map
            .put_if_absent_with(&delta.record.id, &data, None, max_idle)
            .await
            .map_err(backend)?;
        if previous.is_some() {
            return Err(RepositoryError::IdCollision);
        }
        self.inner
            .map
            .delete(&old.to_owned())
            .await
            .map_err(backend)?;
        self.remember(&delta.record.id, data, &stored);
        Ok(())
    }
}

#[async_trait]
impl SessionRepository for HazelcastSessionRepository {
    async fn create(&self) -> Result<Session, RepositoryError> {
        Ok(self.inner.config.new_session(SystemTime::now())?)
    }

    async fn save(&self, session: &Session) -> Result<(), RepositoryError> {
        let delta = session.delta();
        if delta.invalidated {
            if !delta.is_new {
                self.loaded().remove(&delta.original_id);
                self.inner
                    .map
                    .remove(&delta.original_id)
                    .await
                    .map_err(backend)?;
            }
        } else if delta.is_new {
            self.save_new(&delta).await?;
        } else if !delta.is_empty() {
            self.save_existing(&delta).await?;
        }
        session.mark_saved(&delta);
        Ok(())
    }

    async fn find_by_id(&self, id: &str) -> Result<Option<Session>, RepositoryError> {
        if !is_valid_session_id(id) {
            return Ok(None);
        }
        let key = id.to_owned();
        let Some(data) = self.inner.map.get(&key).await.map_err(backend)? else {
            return Ok(None);
        };
        let record = self.decode(id, &data).await?;
        if record.is_expired(SystemTime::now()) {
            self.expire(id).await?;
            return Ok(None);
        }
        self.remember(id, data, &record);
        Ok(Some(self.inner.config.load_session(record)))
    }

    async fn delete_by_id(&self, id: &str) -> Result<(), RepositoryError> {
        if !is_valid_session_id(id) {
            return Ok(());
        }
        self.loaded().remove(id);
        self.inner
            .map
            .remove(&id.to_owned())
            .await
            .map_err(backend)?;
        Ok(())
    }

    fn subscribe(&self) -> SessionEventStream {
        self.inner.events.subscribe()
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
    ) -> Result<HashMap<String, Session>, RepositoryError> {
        let predicate = Predicate::equal("principalName", Value::String(principal_name.into()));
        let entries = self
            .inner
            .map
            .entries(Some(&predicate))
            .await
            .map_err(backend)?;
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
