//! The wire side of members: a TCP listener per member and the cluster handle tests use.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use hazelcast_test_member::server::TestCluster;
//!
//! let cluster = TestCluster::start(2).await?;
//! let addresses = cluster.addresses(); // give these to a client
//! cluster.crash_member(0); // its backups are promoted on the survivor
//! cluster.restart_member(0).await?; // a fresh member on the same address
//! cluster.shutdown();
//! # let _ = addresses;
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hazelcast_protocol::message::Message;
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use uuid::Uuid;

use crate::clock::Clock;
use crate::config::MapConfig;
use crate::connection;
use crate::engine::{Engine, EngineConfig};
use crate::fault::Faults;
use crate::journal::{Journal, RequestRecord};

/// Where a member sends backup acks for one client: the connection on which that client
/// registered its local backup listener on that member.
#[derive(Debug, Clone)]
pub(crate) struct BackupRoute {
    pub(crate) conn_id: u64,
    pub(crate) out: mpsc::Sender<Message>,
    pub(crate) correlation_id: i64,
    /// Fault switches of the member owning the route (the backup replica).
    pub(crate) faults: Faults,
}

/// State shared by all members of a cluster.
#[derive(Debug)]
pub(crate) struct ClusterShared {
    pub(crate) engine: Engine,
    pub(crate) credentials: Option<(String, String)>,
    /// A client silent for this long is disconnected
    /// (`hazelcast.client.max.no.heartbeat.seconds`, 300 s by default).
    pub(crate) client_timeout: Duration,
    pub(crate) backup_routes: Mutex<HashMap<(Uuid, Uuid), BackupRoute>>,
}

impl ClusterShared {
    pub(crate) fn routes(&self) -> std::sync::MutexGuard<'_, HashMap<(Uuid, Uuid), BackupRoute>> {
        self.backup_routes.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One running member.
#[derive(Debug)]
pub(crate) struct MemberShared {
    pub(crate) uuid: Uuid,
    pub(crate) engine: Engine,
    pub(crate) cluster: Arc<ClusterShared>,
    pub(crate) faults: Faults,
    pub(crate) journal: Journal,
    pub(crate) address: SocketAddr,
    conns: Mutex<HashMap<u64, AbortHandle>>,
    accept: Mutex<Option<AbortHandle>>,
    next_conn: AtomicU64,
    alive: AtomicBool,
}

impl MemberShared {
    fn conns(&self) -> std::sync::MutexGuard<'_, HashMap<u64, AbortHandle>> {
        self.conns.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn is_alive(&self) -> bool {
        self.alive.load(Ordering::SeqCst)
    }

    pub(crate) fn forget_connection(&self, id: u64) {
        self.conns().remove(&id);
    }

    /// Closes every client connection (the member keeps running).
    pub(crate) fn drop_connections(&self) {
        let handles: Vec<AbortHandle> = self.conns().drain().map(|(_, h)| h).collect();
        for h in handles {
            h.abort();
        }
    }

    fn close_listener(&self) {
        if let Some(h) = self.accept.lock().unwrap_or_else(|e| e.into_inner()).take() {
            h.abort();
        }
    }

    /// Kills the member like `kill -9`: data gone, connections reset.
    pub(crate) fn crash(&self) {
        if self.alive.swap(false, Ordering::SeqCst) {
            tracing::info!(member = %self.uuid, "member crashed");
            self.engine.crash_member(self.uuid);
            self.close_listener();
            self.drop_connections();
        }
    }

    /// Graceful shutdown: partitions move to the others first, then connections close.
    pub(crate) fn stop(&self) {
        if self.alive.swap(false, Ordering::SeqCst) {
            tracing::info!(member = %self.uuid, "member stopped");
            self.engine.stop_member(self.uuid);
            self.close_listener();
            self.drop_connections();
        }
    }
}

async fn start_member(
    cluster: &Arc<ClusterShared>,
    bind: SocketAddr,
) -> std::io::Result<Arc<MemberShared>> {
    let listener = TcpListener::bind(bind).await?;
    let address = listener.local_addr()?;
    let engine = cluster.engine.clone();
    let uuid = engine.add_member();
    engine.set_address(uuid, address);
    let member = Arc::new(MemberShared {
        uuid,
        engine,
        cluster: Arc::clone(cluster),
        faults: Faults::default(),
        journal: Journal::default(),
        address,
        conns: Mutex::new(HashMap::new()),
        accept: Mutex::new(None),
        next_conn: AtomicU64::new(1),
        alive: AtomicBool::new(true),
    });
    let m = Arc::clone(&member);
    let task = tokio::spawn(async move {
        loop {
            let (sock, peer) = match listener.accept().await {
                Ok(s) => s,
                Err(e) => {
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            if m.faults.refuses_connections() {
                drop(sock);
                continue;
            }
            let _ = sock.set_nodelay(true);
            let id = m.next_conn.fetch_add(1, Ordering::Relaxed);
            let conn_member = Arc::clone(&m);
            let handle = tokio::spawn(async move {
                connection::serve(conn_member, sock, id).await;
            });
            tracing::debug!(%peer, "client connected");
            m.conns().insert(id, handle.abort_handle());
        }
    });
    *member.accept.lock().unwrap_or_else(|e| e.into_inner()) = Some(task.abort_handle());
    Ok(member)
}

/// Starts a member on `want` (its old address), retrying while the old listener is still
/// being torn down, else on a fresh ephemeral port.
async fn start_member_near(
    cluster: &Arc<ClusterShared>,
    want: SocketAddr,
) -> std::io::Result<Arc<MemberShared>> {
    for _ in 0..50 {
        match start_member(cluster, want).await {
            Ok(m) => return Ok(m),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
    tracing::warn!(%want, "old address not free; member starts on a new port");
    start_member(cluster, SocketAddr::from(([127, 0, 0, 1], 0))).await
}

/// Builds a [`TestCluster`].
#[derive(Debug, Clone)]
pub struct ClusterBuilder {
    members: usize,
    engine: EngineConfig,
    credentials: Option<(String, String)>,
    client_timeout: Duration,
}

/// Default time after which a member drops a silent client
/// (`hazelcast.client.max.no.heartbeat.seconds` = 300).
pub const DEFAULT_CLIENT_TIMEOUT: Duration = Duration::from_secs(300);

impl Default for ClusterBuilder {
    fn default() -> Self {
        Self {
            members: 1,
            engine: EngineConfig::default(),
            credentials: None,
            client_timeout: DEFAULT_CLIENT_TIMEOUT,
        }
    }
}

impl ClusterBuilder {
    /// Number of members to start.
    pub fn members(mut self, n: usize) -> Self {
        self.members = n;
        self
    }

    /// Cluster name clients must present (default `dev`).
    pub fn cluster_name(mut self, name: impl Into<String>) -> Self {
        self.engine.cluster_name = name.into();
        self
    }

    /// Requires this username and password.
    pub fn credentials(mut self, user: impl Into<String>, password: impl Into<String>) -> Self {
        self.credentials = Some((user.into(), password.into()));
        self
    }

    /// Drops clients that send nothing (not even a ping) for this long (default 300 s).
    pub fn client_timeout(mut self, timeout: Duration) -> Self {
        self.client_timeout = timeout.max(Duration::from_millis(10));
        self
    }

    /// Partition count (default 271).
    pub fn partition_count(mut self, n: u32) -> Self {
        self.engine.partition_count = n.max(1);
        self
    }

    /// Adds a static map config (name or `*` pattern).
    pub fn map_config(mut self, config: MapConfig) -> Self {
        self.engine.map_configs.push(config);
        self
    }

    /// Background expiry: period and partitions cleaned per member per run
    /// (defaults 5 s and 6, like the measured member).
    pub fn expiry(mut self, period: Duration, partitions_per_run: usize) -> Self {
        self.engine.expiry_period = period;
        self.engine.expiry_partitions_per_run = partitions_per_run;
        self
    }

    /// Clock for record times.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.engine.clock = clock;
        self
    }

    /// Starts the members on 127.0.0.1 ephemeral ports.
    ///
    /// # Errors
    /// When a listener cannot be bound.
    pub async fn start(self) -> std::io::Result<TestCluster> {
        let engine = Engine::new(self.engine);
        let shared = Arc::new(ClusterShared {
            engine: engine.clone(),
            credentials: self.credentials,
            client_timeout: self.client_timeout,
            backup_routes: Mutex::new(HashMap::new()),
        });
        let mut members = Vec::new();
        for _ in 0..self.members.max(1) {
            members.push(start_member(&shared, SocketAddr::from(([127, 0, 0, 1], 0))).await?);
        }
        let expiry = engine.spawn_expiry_task();
        Ok(TestCluster {
            shared: Mutex::new(shared),
            members: Mutex::new(members),
            expiry: Mutex::new(expiry.abort_handle()),
        })
    }
}

/// A running cluster of in-process members. Dropping it shuts every member down.
#[derive(Debug)]
pub struct TestCluster {
    shared: Mutex<Arc<ClusterShared>>,
    members: Mutex<Vec<Arc<MemberShared>>>,
    expiry: Mutex<AbortHandle>,
}

impl TestCluster {
    /// A builder with defaults (one member, cluster `dev`, 271 partitions).
    pub fn builder() -> ClusterBuilder {
        ClusterBuilder::default()
    }

    /// Starts `n` members with the defaults.
    ///
    /// # Errors
    /// When a listener cannot be bound.
    pub async fn start(n: usize) -> std::io::Result<Self> {
        Self::builder().members(n).start().await
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, Vec<Arc<MemberShared>>> {
        self.members.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn slot(&self, i: usize) -> Option<Arc<MemberShared>> {
        self.slots().get(i).cloned()
    }

    fn cluster(&self) -> Arc<ClusterShared> {
        Arc::clone(&self.shared.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The engine behind the members (to inspect or seed data).
    pub fn engine(&self) -> Engine {
        self.cluster().engine.clone()
    }

    /// Cluster id members report in authentication responses (changes on
    /// [`TestCluster::restart_cluster`]).
    pub fn cluster_id(&self) -> Uuid {
        self.cluster().engine.cluster_id()
    }

    /// Addresses of the live members.
    pub fn addresses(&self) -> Vec<SocketAddr> {
        self.slots()
            .iter()
            .filter(|m| m.is_alive())
            .map(|m| m.address)
            .collect()
    }

    /// Number of member slots (live or not).
    pub fn slot_count(&self) -> usize {
        self.slots().len()
    }

    /// Address of member slot `i`.
    pub fn address(&self, i: usize) -> Option<SocketAddr> {
        self.slot(i).map(|m| m.address)
    }

    /// Uuid of the member in slot `i`.
    pub fn member_uuid(&self, i: usize) -> Option<Uuid> {
        self.slot(i).map(|m| m.uuid)
    }

    /// Whether the member in slot `i` runs.
    pub fn is_alive(&self, i: usize) -> bool {
        self.slot(i).is_some_and(|m| m.is_alive())
    }

    /// Fault switches of member slot `i`.
    pub fn faults(&self, i: usize) -> Option<Faults> {
        self.slot(i).map(|m| m.faults.clone())
    }

    /// Requests member slot `i` received, oldest first (at most
    /// [`JOURNAL_CAPACITY`](crate::journal::JOURNAL_CAPACITY)).
    pub fn requests(&self, i: usize) -> Vec<RequestRecord> {
        self.slot(i)
            .map(|m| m.journal.snapshot())
            .unwrap_or_default()
    }

    /// Forgets the requests member slot `i` received so far.
    pub fn clear_requests(&self, i: usize) {
        if let Some(m) = self.slot(i) {
            m.journal.clear();
        }
    }

    /// Kills member `i` (`kill -9`): its data is gone, backups are promoted, clients'
    /// connections to it reset and the others send new member and partition views.
    pub fn crash_member(&self, i: usize) {
        if let Some(m) = self.slot(i) {
            m.crash();
        }
    }

    /// Shuts member `i` down gracefully (its partitions migrate first).
    pub fn stop_member(&self, i: usize) {
        if let Some(m) = self.slot(i) {
            m.stop();
        }
    }

    /// Closes every client connection of member `i`; it keeps running.
    pub fn drop_connections(&self, i: usize) {
        if let Some(m) = self.slot(i) {
            m.drop_connections();
        }
    }

    /// Starts a fresh member (new uuid, joins last) in slot `i`, on its old address when
    /// that port can be bound again, else on a new ephemeral port.
    ///
    /// # Errors
    /// When no listener can be bound.
    pub async fn restart_member(&self, i: usize) -> std::io::Result<()> {
        let old = self.slot(i);
        if let Some(m) = &old {
            m.crash();
        }
        let want = old.map_or(SocketAddr::from(([127, 0, 0, 1], 0)), |m| m.address);
        let member = start_member_near(&self.cluster(), want).await?;
        let mut slots = self.slots();
        if i < slots.len() {
            slots[i] = member;
        } else {
            slots.push(member);
        }
        Ok(())
    }

    /// Adds a member; returns its slot.
    ///
    /// # Errors
    /// When no listener can be bound.
    pub async fn add_member(&self) -> std::io::Result<usize> {
        let member = start_member(&self.cluster(), SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let mut slots = self.slots();
        slots.push(member);
        Ok(slots.len() - 1)
    }

    /// Restarts the whole cluster: every member stops (all data is lost) and as many fresh
    /// members start on the same addresses, with a new cluster id, like a cluster restart
    /// that clients must detect (`onClusterRestart`). Static map configs are kept; dynamic
    /// ones and schemas are gone.
    ///
    /// # Errors
    /// When no listener can be bound.
    pub async fn restart_cluster(&self) -> std::io::Result<()> {
        self.shutdown();
        let old = self.cluster();
        let engine = Engine::new(old.engine.config().clone());
        let shared = Arc::new(ClusterShared {
            engine: engine.clone(),
            credentials: old.credentials.clone(),
            client_timeout: old.client_timeout,
            backup_routes: Mutex::new(HashMap::new()),
        });
        let addresses: Vec<SocketAddr> = self.slots().iter().map(|m| m.address).collect();
        let mut members = Vec::new();
        for a in addresses {
            members.push(start_member_near(&shared, a).await?);
        }
        *self.shared.lock().unwrap_or_else(|e| e.into_inner()) = shared;
        *self.slots() = members;
        *self.expiry.lock().unwrap_or_else(|e| e.into_inner()) =
            engine.spawn_expiry_task().abort_handle();
        Ok(())
    }

    /// Stops every member at once (their data is gone), like shutting the cluster down.
    pub fn shutdown(&self) {
        self.expiry
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .abort();
        let members: Vec<Arc<MemberShared>> = self.slots().clone();
        for m in members {
            m.crash();
        }
    }
}

impl Drop for TestCluster {
    fn drop(&mut self) {
        self.shutdown();
    }
}
