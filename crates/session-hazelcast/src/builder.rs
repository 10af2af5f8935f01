//! [`HazelcastRepositoryBuilder`]: how a [`HazelcastSessionRepository`] is configured and
//! started.

use std::time::Duration;

use hazelcast_client::{Client, ClientConfig, ClientError};
use session_core::{FlushMode, SaveMode, SessionConfig};

use crate::cache::DEFAULT_LOCAL_CACHE_CAPACITY;
use crate::map_config::{MapConfigError, SessionMapConfig};
use crate::repository::{
    DEFAULT_MAX_SAVE_ATTEMPTS, DEFAULT_OPERATION_DEADLINE, DEFAULT_TOUCH_FRACTION,
    HazelcastSessionRepository, Settings, apply_map_config,
};
use crate::{CompactCodec, DEFAULT_MAP_NAME, HazelcastCodec};

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
    operation_deadline: Duration,
    local_cache: bool,
    local_cache_capacity: usize,
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
            operation_deadline: DEFAULT_OPERATION_DEADLINE,
            local_cache: false,
            local_cache_capacity: DEFAULT_LOCAL_CACHE_CAPACITY,
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

    /// Whether to add the map configuration at start-up, and again whenever the client
    /// connects to a cluster it has not configured yet (a failover cluster, a cluster
    /// restarted with a new id), before serving from it (default true). Switch it off when
    /// the members' static configuration defines the map; that configuration must then
    /// set `max-idle-seconds` (see [`SessionMapConfig::to_member_yaml`]), or sessions
    /// changed after their creation are never removed by the cluster (they are still never
    /// returned once expired).
    pub fn apply_map_config(mut self, on: bool) -> Self {
        self.apply_map_config = on;
        self
    }

    /// The deadline of each operation (load, save, delete, find by principal; default
    /// 1.5 s), separate from the client's invocation timeout: the operation finishes or
    /// fails with [`RepositoryError::Timeout`](session_core::RepositoryError::Timeout) within it. While the client is offline
    /// (reconnecting, failing over) an operation waits for it inside this deadline; a
    /// write interrupted by a member leaving is checked and retried inside it.
    pub fn operation_deadline(mut self, deadline: Duration) -> Self {
        if !deadline.is_zero() {
            self.operation_deadline = deadline;
        }
        self
    }

    /// Compare-and-set attempts per save before [`RepositoryError::Conflict`](session_core::RepositoryError::Conflict) (default 32).
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

    /// Connects and applies the map configuration (if asked). The entry listener that
    /// feeds [`SessionRepository::subscribe`](session_core::SessionRepository::subscribe) is registered on the first subscription and
    /// removed when the last subscriber is gone.
    ///
    /// With a client that starts asynchronously (not connected yet), the map configuration
    /// is applied when it connects, before the first operation is served.
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
        let cluster = client.cluster_connections();
        let mut configured = None;
        if self.apply_map_config {
            let current = cluster.borrow().clone();
            if let Some(c) = current.filter(|_| client.is_connected()) {
                apply_map_config(&client, &self.map_name, &map_config).await?;
                configured = Some(c);
            }
        }
        let mut session_config = self.session_config;
        if self.compact_attributes {
            session_config = session_config.with_codec(CompactCodec::new(client.clone()));
        }
        Ok(HazelcastSessionRepository::start(Settings {
            client,
            map_name: self.map_name,
            session_config,
            map_config,
            apply_map_config: self.apply_map_config,
            configured,
            max_save_attempts: self.max_save_attempts,
            touch_fraction: self.touch_fraction,
            deadline: self.operation_deadline,
            local_cache: self.local_cache,
            local_cache_capacity: self.local_cache_capacity,
        }))
    }

    /// Serves loads from a local cache of session records (default off, see the
    /// [crate docs](crate#local-cache) for why): a read-only
    /// request costs no round trip, a change one `replaceIfSame` against the cached bytes.
    /// A keys-only entry listener drops a record as soon as another writer changes it, and
    /// every gap in its events (reconnect, failover, dropped events, member or connection
    /// changes) empties the whole cache; see the [crate docs](crate#local-cache) for the
    /// staleness window. Off: every load reads the cluster (the records are still kept,
    /// within the capacity, as the expected value of the next compare-and-set).
    ///
    /// ```
    /// use session_hazelcast::HazelcastSessionRepository;
    ///
    /// // Sticky sessions in front: each user's requests reach one server.
    /// let builder = HazelcastSessionRepository::builder()
    ///     .local_cache(true)
    ///     .local_cache_capacity(50_000);
    /// # drop(builder);
    /// ```
    pub fn local_cache(mut self, on: bool) -> Self {
        self.local_cache = on;
        self
    }

    /// How many session records the local cache holds at most (default
    /// [`DEFAULT_LOCAL_CACHE_CAPACITY`](crate::DEFAULT_LOCAL_CACHE_CAPACITY), 100,000); the
    /// least recently used beyond it are evicted (a clock, per shard). 0 keeps nothing: every
    /// load and save reads the cluster.
    pub fn local_cache_capacity(mut self, capacity: usize) -> Self {
        self.local_cache_capacity = capacity;
        self
    }
}
