//! [`HazelcastRepositoryBuilder`]: how a [`HazelcastSessionRepository`] is configured and
//! started. A builder always has a cluster to talk to: it is made from a client
//! configuration ([`HazelcastSessionRepository::builder`]) or a connected client
//! ([`HazelcastSessionRepository::with_client`]).

use std::time::Duration;

use hazelcast_client::{Client, ClientConfig, ClientError, EnvError};
use session_core::{FlushMode, SaveMode, SessionConfig};

use crate::cache::DEFAULT_LOCAL_CACHE_CAPACITY;
use crate::compact_record::RecordTypes;
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
    /// No cluster answered within the start-up deadline
    /// ([`HazelcastRepositoryBuilder::start_up_deadline`]).
    #[error(
        "no Hazelcast cluster answered within {} s; start the cluster, or fix its addresses \
         (HZ_MEMBERS when configured from the environment)",
        after.as_secs_f64()
    )]
    Unreachable {
        /// How long start-up waited.
        after: Duration,
    },
    /// An `HZ_*` environment variable is missing or invalid (the message names it).
    #[error(transparent)]
    Environment(#[from] EnvError),
}

/// Where the repository's client comes from.
#[derive(Debug, Clone)]
enum Connection {
    /// Connect with this configuration when building.
    Config(Box<ClientConfig>),
    /// An already connected (or asynchronously starting) client.
    Client(Client),
}

/// Builds a [`HazelcastSessionRepository`]: made with
/// [`HazelcastSessionRepository::builder`] (a client configuration) or
/// [`HazelcastSessionRepository::with_client`] (a connected client), so it always has a
/// cluster to talk to.
///
/// ```no_run
/// use std::time::Duration;
/// use session_hazelcast::{HazelcastSessionRepository, SessionMapConfig};
/// use hazelcast_client::ClientConfig;
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let config = ClientConfig::builder().addresses(["127.0.0.1:5701"]).build()?;
/// let repository = HazelcastSessionRepository::builder(config)
///     .map_name("shop-sessions")
///     .max_inactive_interval(Some(Duration::from_secs(3600)))
///     .map_config(SessionMapConfig::default().with_backup_count(1))
///     .build()
///     .await?;
/// # let _ = repository;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `build().await`"]
pub struct HazelcastRepositoryBuilder {
    connection: Connection,
    start_up_deadline: Option<Duration>,
    map_name: String,
    session_config: SessionConfig,
    map_config: SessionMapConfig,
    apply_map_config: bool,
    max_save_attempts: u32,
    touch_fraction: f64,
    compact_attributes: bool,
    compact_record_types: Option<RecordTypes>,
    operation_deadline: Duration,
    local_cache: bool,
    local_cache_capacity: usize,
}

impl HazelcastSessionRepository {
    /// A builder connecting with `config` (a single cluster or a failover list) when built,
    /// with the defaults: map `spring:session:sessions`, [`HazelcastCodec`] (Spring reads
    /// the values), the map configuration applied at start-up.
    pub fn builder(config: ClientConfig) -> HazelcastRepositoryBuilder {
        HazelcastRepositoryBuilder::new(Connection::Config(Box::new(config)))
    }

    /// A builder over an already connected client (shared with other maps, or made with
    /// a codec that needs the client, like [`CompactCodec`]), with the same defaults as
    /// [`builder`](Self::builder).
    pub fn with_client(client: Client) -> HazelcastRepositoryBuilder {
        HazelcastRepositoryBuilder::new(Connection::Client(client))
    }
}

impl HazelcastRepositoryBuilder {
    fn new(connection: Connection) -> Self {
        Self {
            connection,
            start_up_deadline: None,
            map_name: DEFAULT_MAP_NAME.to_owned(),
            session_config: SessionConfig::default().with_codec(HazelcastCodec),
            map_config: SessionMapConfig::default(),
            apply_map_config: true,
            max_save_attempts: DEFAULT_MAX_SAVE_ATTEMPTS,
            touch_fraction: DEFAULT_TOUCH_FRACTION,
            compact_attributes: false,
            compact_record_types: None,
            operation_deadline: DEFAULT_OPERATION_DEADLINE,
            local_cache: true,
            local_cache_capacity: DEFAULT_LOCAL_CACHE_CAPACITY,
        }
    }

    /// Gives up building after `deadline` (connecting and applying the map
    /// configuration) with [`BuildError::Unreachable`]; default: as long as the client
    /// tries (a single cluster without failover is tried until it answers).
    pub fn start_up_deadline(mut self, deadline: Duration) -> Self {
        self.start_up_deadline = Some(deadline).filter(|d| !d.is_zero());
        self
    }

    /// The map name (default `spring:session:sessions`).
    pub fn map_name(mut self, name: impl Into<String>) -> Self {
        self.map_name = name.into();
        self
    }

    /// The whole session configuration (interval, flush and save modes, ids). The codec
    /// stays the builder's ([`HazelcastCodec`] by default, so Spring applications read
    /// the values) unless `config` chose one with
    /// [`SessionConfig::with_codec`](session_core::SessionConfig::with_codec).
    ///
    /// ```
    /// # use hazelcast_client::ClientConfig;
    /// use session_core::{SaveMode, SessionConfig};
    /// use session_hazelcast::HazelcastSessionRepository;
    ///
    /// # let config = ClientConfig::default();
    /// let builder = HazelcastSessionRepository::builder(config)
    ///     .session_config(SessionConfig::default().with_save_mode(SaveMode::Always));
    /// assert_eq!(builder.codec_name(), "hazelcast"); // not replaced by the default JSON codec
    ///
    /// // A codec chosen in the configuration is used.
    /// let builder = builder.session_config(SessionConfig::default().with_codec(session_core::JsonCodec));
    /// assert_eq!(builder.codec_name(), "json");
    /// ```
    pub fn session_config(mut self, config: SessionConfig) -> Self {
        self.session_config = if config.codec_chosen() {
            config
        } else {
            config.with_shared_codec(self.session_config.codec().clone())
        };
        self
    }

    /// The name of the attribute codec the repository will use.
    pub fn codec_name(&self) -> &'static str {
        self.session_config.codec().name()
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

    /// Stores serde structs as Compact records with these field-kind hints
    /// ([`CompactCodec::with_record_types`](crate::CompactCodec::with_record_types) on the
    /// repository's client); replaces the codec.
    pub fn compact_record_types(mut self, types: RecordTypes) -> Self {
        self.compact_record_types = Some(types);
        self
    }

    /// One line saying where sessions will be stored: the clusters (names and addresses),
    /// the map, its backup count and whether the local cache is on. Holds no session data:
    /// fit for start-up logs.
    pub fn describe(&self) -> String {
        let clusters = match &self.connection {
            Connection::Config(config) => config
                .clusters()
                .iter()
                .map(|c| format!("cluster {:?} at {}", c.cluster_name, c.addresses.join(",")))
                .collect::<Vec<_>>()
                .join(", failing over to "),
            Connection::Client(_) => "a connected client's cluster".to_owned(),
        };
        let cache = if self.local_cache && self.local_cache_capacity > 0 {
            format!("local cache on ({} records)", self.local_cache_capacity)
        } else {
            "local cache off".to_owned()
        };
        format!(
            "Hazelcast session store: {clusters}, map {:?}, backup count {}, {cache}",
            self.map_name, self.map_config.backup_count
        )
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
    /// set `max-idle-seconds` (see `SessionMapConfig::to_member_yaml`, feature `member-yaml`), or sessions
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
        match self.start_up_deadline {
            Some(after) => tokio::time::timeout(after, self.start())
                .await
                .map_err(|_| BuildError::Unreachable { after })?,
            None => self.start().await,
        }
    }

    async fn start(self) -> Result<HazelcastSessionRepository, BuildError> {
        let map_config = self.effective_map_config();
        map_config.validate()?;
        let client = match self.connection {
            Connection::Client(c) => c,
            Connection::Config(config) => {
                Client::connect(*config).await.map_err(BuildError::Client)?
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
        // Without the local cache nothing keeps the values of `insert_shared`.
        let mut session_config = self
            .session_config
            .with_values_kept(self.local_cache && self.local_cache_capacity > 0);
        if let Some(types) = self.compact_record_types {
            session_config =
                session_config.with_codec(CompactCodec::with_record_types(client.clone(), types));
        } else if self.compact_attributes {
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

    /// Serves loads from a local cache of session records (default on): a read-only
    /// request costs no round trip, a change one `replaceIfSame` against the cached bytes.
    /// A keys-only entry listener drops a record as soon as another writer changes it, and
    /// every gap in its events (reconnect, failover, dropped events, member or connection
    /// changes) empties the whole cache. A client's own changes are never served stale
    /// (the request lifecycle's read-your-writes cookie); another writer's change is seen
    /// once its event arrives: see the [crate docs](crate#local-cache) for the staleness
    /// window and the costs. Off: every load reads the cluster (the records are still
    /// kept, within the capacity, as the expected value of the next compare-and-set).
    ///
    /// ```
    /// use hazelcast_client::ClientConfig;
    /// use session_hazelcast::HazelcastSessionRepository;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// // Many web servers writing the same sessions (each write sends every server an
    /// // event), or other applications changing sessions that must be seen at once.
    /// let builder = HazelcastSessionRepository::builder(ClientConfig::builder().build()?)
    ///     .local_cache(false);
    /// assert!(builder.describe().ends_with("local cache off"));
    /// # drop(builder);
    /// # Ok(())
    /// # }
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
