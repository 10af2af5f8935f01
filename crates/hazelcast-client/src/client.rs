//! The client handle ([`Client`]) and its shared state. The jobs live in their own modules:
//! `connect` (one member connection), `failover` (finding a cluster), `dispatch` (what
//! members send), `invocation` (calls and retries), `schema` (Compact schemas) and
//! `background` (periodic tasks).

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};
use std::time::Instant;

use hazelcast_protocol::compact::SchemaRegistry;
use hazelcast_protocol::data::Data;
use hazelcast_protocol::message::Message;
use tokio::sync::Notify;
use tokio::task::AbortHandle;
use uuid::Uuid;

use crate::cluster_view::{ClusterView, Member};
use crate::config::{ClientConfig, ClusterConfig, RoutingMode};
use crate::connection::{Connection, ConnectionMap, ConnectionSink, WireStats};
use crate::error::ClientError;
use crate::listener::ListenerEntry;
use crate::map::Map;
use crate::map_config::MapConfig;
use crate::serialize::Deserialize;
use crate::stats::{ClientStats, Stats};

pub(crate) use crate::invocation::Route;

/// Shared state of one client.
pub(crate) struct Inner {
    pub(crate) config: ClientConfig,
    pub(crate) clusters: Vec<ClusterConfig>,
    pub(crate) current_cluster: AtomicUsize,
    pub(crate) client_uuid: Uuid,
    pub(crate) next_correlation: AtomicI64,
    pub(crate) next_conn_id: AtomicU64,
    pub(crate) connections: RwLock<ConnectionMap>,
    pub(crate) connecting: Mutex<HashSet<String>>,
    pub(crate) pending: crate::pending::PendingTable,
    pub(crate) view: ClusterView,
    pub(crate) partition_count: AtomicU32,
    pub(crate) cluster_id: Mutex<Option<Uuid>>,
    /// The latest cluster connection (epoch, cluster name and id), for watchers.
    pub(crate) connected_to: tokio::sync::watch::Sender<Option<ClusterConnection>>,
    pub(crate) view_listener_conn: Mutex<Option<u64>>,
    pub(crate) listeners: Mutex<HashMap<u64, Arc<ListenerEntry>>>,
    pub(crate) next_listener_id: AtomicU64,
    pub(crate) schemas: SchemaRegistry,
    pub(crate) schema_send: tokio::sync::Mutex<()>,
    pub(crate) stats: Stats,
    pub(crate) wire: Arc<WireStats>,
    pub(crate) shutdown: AtomicBool,
    pub(crate) reconnecting: AtomicBool,
    pub(crate) connect_lock: tokio::sync::Mutex<()>,
    pub(crate) members_changed: Notify,
    pub(crate) tasks: Mutex<Vec<AbortHandle>>,
    pub(crate) round_robin: AtomicUsize,
    pub(crate) weak: Weak<Inner>,
    /// When the client was created.
    pub(crate) started: Instant,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inner")
            .field("client_uuid", &self.client_uuid)
            .field("connections", &self.connection_count())
            .finish_non_exhaustive()
    }
}

/// Passes connection events to the client without keeping it alive.
pub(crate) struct Sink(pub(crate) Weak<Inner>);

impl ConnectionSink for Sink {
    fn on_message(&self, conn: &Arc<Connection>, message: Message) {
        if let Some(inner) = self.0.upgrade() {
            inner.dispatch(conn, message);
        }
    }
    fn on_closed(&self, conn: &Arc<Connection>, reason: &str) {
        if let Some(inner) = self.0.upgrade() {
            inner.connection_closed(conn, reason);
        }
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Inner {
    pub(crate) fn new(config: ClientConfig) -> Arc<Self> {
        let clusters = config.clusters();
        Arc::new_cyclic(|weak| Inner {
            config,
            clusters,
            current_cluster: AtomicUsize::new(0),
            client_uuid: Uuid::new_v4(),
            next_correlation: AtomicI64::new(1),
            next_conn_id: AtomicU64::new(1),
            connections: RwLock::new(ConnectionMap::default()),
            connecting: Mutex::new(HashSet::new()),
            pending: crate::pending::PendingTable::default(),
            view: ClusterView::default(),
            partition_count: AtomicU32::new(0),
            cluster_id: Mutex::new(None),
            connected_to: tokio::sync::watch::Sender::new(None),
            view_listener_conn: Mutex::new(None),
            listeners: Mutex::new(HashMap::new()),
            next_listener_id: AtomicU64::new(1),
            schemas: SchemaRegistry::new(),
            schema_send: tokio::sync::Mutex::new(()),
            stats: Stats::default(),
            wire: Arc::new(WireStats::default()),
            shutdown: AtomicBool::new(false),
            reconnecting: AtomicBool::new(false),
            connect_lock: tokio::sync::Mutex::new(()),
            members_changed: Notify::new(),
            tasks: Mutex::new(Vec::new()),
            round_robin: AtomicUsize::new(0),
            weak: weak.clone(),
            started: Instant::now(),
        })
    }

    pub(crate) fn smart(&self) -> bool {
        self.config.routing == RoutingMode::Smart
    }

    pub(crate) fn backup_aware(&self) -> bool {
        self.smart() && self.config.backup_acks
    }

    pub(crate) fn is_shut_down(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }

    pub(crate) fn connection_count(&self) -> usize {
        self.connections
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    pub(crate) fn connections(&self) -> Vec<Arc<Connection>> {
        self.connections
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .cloned()
            .collect()
    }

    pub(crate) fn next_listener_id(&self) -> u64 {
        self.next_listener_id.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn next_correlation_id(&self) -> i64 {
        self.next_correlation.fetch_add(1, Ordering::Relaxed)
    }
}

/// Stops the client when the last handle is dropped.
#[derive(Debug)]
struct ShutdownGuard(Arc<Inner>);

impl Drop for ShutdownGuard {
    fn drop(&mut self) {
        self.0.shutdown_now();
    }
}

/// One connection of the client to a cluster, as reported by
/// [`Client::cluster_connections`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClusterConnection {
    /// Counts the client's cluster connections, starting at 1.
    pub epoch: u64,
    /// The configured name of the cluster.
    pub cluster_name: String,
    /// The id the cluster reported; a restarted cluster or another cluster has another id.
    pub cluster_id: Uuid,
}

/// A connected client. Cheap to clone; the client shuts down when the last clone is dropped
/// or [`shutdown`](Self::shutdown) is called.
#[derive(Debug, Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
    _guard: Arc<ShutdownGuard>,
}

impl Client {
    /// Connects to the cluster (or, with a failover list, to the first one that answers).
    ///
    /// # Errors
    /// [`ClientError::Config`] for an invalid configuration; [`ClientError::Authentication`]
    /// when the member refuses the client (not retried); [`ClientError::ClusterUnreachable`]
    /// or the last connection error when no cluster could be reached in time.
    pub async fn connect(config: ClientConfig) -> Result<Self, ClientError> {
        config.validate()?;
        let inner = Inner::new(config);
        // Before any call: it enforces every call's deadline (stopped at shutdown).
        let deadlines = tokio::spawn(Inner::run_deadlines(Arc::downgrade(&inner)));
        lock(&inner.tasks).push(deadlines.abort_handle());
        if inner.config.async_start {
            inner.spawn_background();
            inner.reconnecting.store(true, Ordering::SeqCst);
            let task = tokio::spawn(Arc::clone(&inner).reconnect_until_connected(true));
            lock(&inner.tasks).push(task.abort_handle());
            return Ok(Self {
                _guard: Arc::new(ShutdownGuard(Arc::clone(&inner))),
                inner,
            });
        }
        if let Err(e) = inner.connect_to_cluster(true).await {
            inner.shutdown_now();
            return Err(e);
        }
        if inner.smart() {
            // Best effort, so that a new client routes (and listens) everywhere at once;
            // the background task keeps trying for members that did not answer.
            inner.connect_all_members().await;
        }
        inner.spawn_background();
        Ok(Self {
            _guard: Arc::new(ShutdownGuard(Arc::clone(&inner))),
            inner,
        })
    }

    /// A typed handle on the distributed map `name` (no round trip).
    pub fn map<K, V>(&self, name: impl Into<String>) -> Map<K, V> {
        Map::new(self.clone(), name.into())
    }

    /// Adds a map configuration to the cluster (`DynamicConfig.AddMapConfig`). An identical
    /// existing configuration is a no-op; a different one is a member error.
    ///
    /// # Errors
    /// Connection, timeout or member errors.
    pub async fn add_map_config(&self, config: &MapConfig) -> Result<(), ClientError> {
        self.inner
            .invoke(config.to_request().encode(), Route::Any, false)
            .await?;
        Ok(())
    }

    /// Sends a complete, prepared `DynamicConfig.addMapConfig` request: the escape hatch for
    /// settings [`MapConfig`] does not model (eviction, map store, near cache, ...); start
    /// from [`MapConfig::to_request`]. Its correlation and partition ids are set
    /// by the invocation layer.
    ///
    /// # Errors
    /// As [`Client::add_map_config`]: a conflicting existing configuration is a
    /// [`ClientError::Member`] with code 32 (INVALID_CONFIGURATION).
    pub async fn add_map_config_request(
        &self,
        request: &hazelcast_protocol::codec::dynamic_config::DynamicConfigAddMapConfigRequest,
    ) -> Result<(), ClientError> {
        self.inner
            .invoke(request.encode(), Route::Any, false)
            .await?;
        Ok(())
    }

    /// The client's counters.
    pub fn stats(&self) -> ClientStats {
        self.inner.stats.snapshot(&self.inner.wire)
    }

    /// The members the client knows.
    pub fn members(&self) -> Vec<Member> {
        self.inner.view.members()
    }

    /// Whether at least one connection is open.
    pub fn is_connected(&self) -> bool {
        self.inner.connection_count() > 0
    }

    /// Number of open connections (one per member in smart mode).
    pub fn connection_count(&self) -> usize {
        self.inner.connection_count()
    }

    /// Name of the cluster the client currently uses.
    pub fn cluster_name(&self) -> String {
        let idx = self.inner.current_cluster.load(Ordering::SeqCst);
        self.inner
            .clusters
            .get(idx)
            .map(|c| c.cluster_name.clone())
            .unwrap_or_default()
    }

    /// Watches the client's connections to clusters: the value changes each time the client
    /// connects to a cluster after having had no connection (the first connect, a reconnect
    /// after losing every member, a failover to another cluster, a restarted cluster with a
    /// new id). Compare [`ClusterConnection::cluster_id`] with the last one you saw to learn
    /// that state kept on the cluster (map configuration, listeners of your own) must be set
    /// up again.
    ///
    /// ```no_run
    /// # async fn demo(client: hazelcast_client::Client) {
    /// let mut changes = client.cluster_connections();
    /// while changes.changed().await.is_ok() {
    ///     if let Some(c) = changes.borrow_and_update().clone() {
    ///         println!("connection #{} to {} ({})", c.epoch, c.cluster_name, c.cluster_id);
    ///     }
    /// }
    /// # }
    /// ```
    pub fn cluster_connections(&self) -> tokio::sync::watch::Receiver<Option<ClusterConnection>> {
        self.inner.connected_to.subscribe()
    }

    /// Number of calls waiting for a response.
    pub fn pending_invocations(&self) -> usize {
        self.inner.pending.len()
    }

    /// The Compact schema registry of this client.
    pub fn schemas(&self) -> &SchemaRegistry {
        &self.inner.schemas
    }

    /// Deserializes `data`, fetching unknown Compact schemas from the cluster.
    ///
    /// # Errors
    /// Serialization errors, or errors of the schema fetch.
    pub async fn decode<T: Deserialize>(&self, data: &Data) -> Result<T, ClientError> {
        self.inner.decode(data).await
    }

    /// Shuts down: closes connections, stops tasks, fails pending calls with
    /// [`ClientError::ClientShutdown`].
    pub async fn shutdown(&self) {
        self.inner.shutdown_now();
        tokio::task::yield_now().await;
    }
}
