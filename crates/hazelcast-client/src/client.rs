//! The client: connection management, cluster view, invocations with retries, reconnect and
//! failover, background tasks.

use std::collections::{HashMap, HashSet};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};
use std::time::{Duration, Instant};

use hazelcast_protocol::codec::client::{
    ClientAddClusterViewListenerMembersViewEvent, ClientAddClusterViewListenerPartitionsViewEvent,
    ClientAddClusterViewListenerRequest, ClientAuthenticationRequest, ClientAuthenticationResponse,
    ClientFetchSchemaRequest, ClientFetchSchemaResponse, ClientLocalBackupListenerBackupEvent,
    ClientLocalBackupListenerRequest, ClientPingRequest, ClientSendAllSchemasRequest,
    ClientSendSchemaRequest,
};
use hazelcast_protocol::codec::custom;
use hazelcast_protocol::codec::error_response::ErrorResponse;
use hazelcast_protocol::compact::{Schema, SchemaRegistry};
use hazelcast_protocol::data::Data;
use hazelcast_protocol::frame::flags;
use hazelcast_protocol::hash::hash_to_index;
use hazelcast_protocol::message::Message;
use hazelcast_protocol::serialization::SerializationError;
use tokio::sync::Notify;
use tokio::task::AbortHandle;
use tokio::time::Sleep;
use tracing::Instrument;
use uuid::Uuid;

use crate::backoff::{Backoff, invocation_retry_delay, random_unit};
use crate::cluster_view::{ClusterView, Member};
use crate::config::{ClientConfig, ClusterConfig, ReconnectMode, RoutingMode};
use crate::connection::{Connection, ConnectionSink, EventHandler, Outgoing, WireStats, handshake};
use crate::error::{AuthFailure, ClientError, ServerError};
use crate::listener::ListenerEntry;
use crate::map::Map;
use crate::map_config::MapConfig;
use crate::serialize::{Deserialize, Serialize};
use crate::stats::{ClientStats, Stats};

/// Client type sent at authentication (members store it, they do not check it).
const CLIENT_TYPE: &str = "RST";
/// Hazelcast version this client speaks (protocol 2.x of Hazelcast 5).
const CLIENT_VERSION: &str = "5.4.0";
/// Serialization version of Hazelcast 4/5.
const SERIALIZATION_VERSION: u8 = 1;
/// Period of the connect-to-all-members task (Java and Python: 1 s).
const CONNECT_ALL_PERIOD: Duration = Duration::from_secs(1);
/// Period of the backup-ack timeout check (Python: 100 ms).
const BACKUP_SWEEP_PERIOD: Duration = Duration::from_millis(100);
/// Attempts to fetch missing Compact schemas while decoding one value.
const MAX_SCHEMA_FETCHES: usize = 16;

/// Where an invocation goes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Route {
    /// Any member.
    Any,
    /// The owner of the partition of a key with this partition hash.
    KeyHash(i32),
}

/// Shared state of one client.
pub(crate) struct Inner {
    pub(crate) config: ClientConfig,
    clusters: Vec<ClusterConfig>,
    current_cluster: AtomicUsize,
    client_uuid: Uuid,
    next_correlation: AtomicI64,
    next_conn_id: AtomicU64,
    connections: RwLock<HashMap<Uuid, Arc<Connection>>>,
    connecting: Mutex<HashSet<String>>,
    pending: crate::pending::PendingTable,
    view: ClusterView,
    partition_count: AtomicU32,
    cluster_id: Mutex<Option<Uuid>>,
    /// The latest cluster connection (epoch, cluster name and id), for watchers.
    connected_to: tokio::sync::watch::Sender<Option<ClusterConnection>>,
    view_listener_conn: Mutex<Option<u64>>,
    pub(crate) listeners: Mutex<HashMap<u64, Arc<ListenerEntry>>>,
    next_listener_id: AtomicU64,
    pub(crate) schemas: SchemaRegistry,
    schema_send: tokio::sync::Mutex<()>,
    pub(crate) stats: Stats,
    pub(crate) wire: Arc<WireStats>,
    shutdown: AtomicBool,
    reconnecting: AtomicBool,
    connect_lock: tokio::sync::Mutex<()>,
    members_changed: Notify,
    tasks: Mutex<Vec<AbortHandle>>,
    round_robin: AtomicUsize,
    weak: Weak<Inner>,
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
struct Sink(Weak<Inner>);

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

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Inner {
    fn new(config: ClientConfig) -> Arc<Self> {
        let clusters = config.clusters();
        Arc::new_cyclic(|weak| Inner {
            config,
            clusters,
            current_cluster: AtomicUsize::new(0),
            client_uuid: Uuid::new_v4(),
            next_correlation: AtomicI64::new(1),
            next_conn_id: AtomicU64::new(1),
            connections: RwLock::new(HashMap::new()),
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
        })
    }

    fn smart(&self) -> bool {
        self.config.routing == RoutingMode::Smart
    }

    fn backup_aware(&self) -> bool {
        self.smart() && self.config.backup_acks
    }

    pub(crate) fn is_shut_down(&self) -> bool {
        self.shutdown.load(Ordering::SeqCst)
    }

    fn connection_count(&self) -> usize {
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

    fn next_correlation_id(&self) -> i64 {
        self.next_correlation.fetch_add(1, Ordering::Relaxed)
    }

    // ---------------------------------------------------------------- incoming messages

    fn dispatch(&self, conn: &Arc<Connection>, message: Message) {
        if message.is_event() {
            if message.is_backup_event()
                || message.message_type() == ClientLocalBackupListenerBackupEvent::MESSAGE_TYPE
            {
                match ClientLocalBackupListenerBackupEvent::decode(&message) {
                    Ok(e) => self
                        .pending
                        .on_backup_ack(e.source_invocation_correlation_id),
                    Err(e) => tracing::debug!(error = %e, "malformed backup event ignored"),
                }
            } else if let Some(h) = conn.handler(message.correlation_id()) {
                h(&message);
            } else {
                tracing::trace!(
                    message_type = message.message_type(),
                    "event for an unknown registration ignored"
                );
            }
        } else if !self.pending.on_response(message, self.backup_aware()) {
            tracing::trace!("response for an unknown correlation id ignored");
        }
    }

    fn connection_closed(&self, conn: &Arc<Connection>, reason: &str) {
        {
            let mut conns = self
                .connections
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            if conns
                .get(&conn.member_uuid)
                .is_some_and(|c| c.id == conn.id)
            {
                conns.remove(&conn.member_uuid);
            }
        }
        let address = conn.address.clone();
        let reason_s = reason.to_owned();
        let held_here = self
            .pending
            .fail_connection(conn.id, || ClientError::TargetDisconnected {
                address: address.clone(),
                reason: reason_s.clone(),
            });
        // Responses held only for backup acks: the owner applied the write; a backup on the
        // member behind this connection may never ack (see `release_held`).
        let released = held_here + self.pending.release_held();
        if released > 0 {
            self.stats
                .released_backup_waits
                .fetch_add(released as u64, Ordering::Relaxed);
            tracing::debug!(
                released,
                "a member connection closed: completed writes waiting only for backup acks"
            );
        }
        for l in lock(&self.listeners).values() {
            l.forget_connection(conn.id);
        }
        let was_view_conn = {
            let mut v = lock(&self.view_listener_conn);
            if *v == Some(conn.id) {
                *v = None;
                true
            } else {
                false
            }
        };
        if self.is_shut_down() {
            return;
        }
        if was_view_conn && let Some(inner) = self.weak.upgrade() {
            self.view.reset_member_version();
            tokio::spawn(async move {
                if let Some(c) = inner.connections().into_iter().next() {
                    let _ = inner.ensure_view_listener(&c).await;
                }
            });
        }
        if self.connection_count() == 0 {
            self.trigger_reconnect();
        }
    }

    fn trigger_reconnect(&self) {
        let Some(inner) = self.weak.upgrade() else {
            return;
        };
        if self.config.reconnect_mode == ReconnectMode::Off {
            tracing::info!("lost the cluster and reconnect mode is Off: shutting down");
            inner.shutdown_now();
            return;
        }
        if self.reconnecting.swap(true, Ordering::SeqCst) {
            return;
        }
        tracing::info!("lost all connections to the cluster: reconnecting in the background");
        let task = tokio::spawn(async move {
            inner.reconnect_until_connected(false).await;
        });
        lock(&self.tasks).push(task.abort_handle());
    }

    /// Connects again, for as long as it takes: never shuts the client down because
    /// clusters were unreachable or refused it. `initial` marks the asynchronous start.
    async fn reconnect_until_connected(self: Arc<Self>, initial: bool) {
        let mut backoff = Backoff::new(self.config.reconnect.clone());
        let mut rounds: u64 = 0;
        loop {
            if self.is_shut_down() {
                break;
            }
            match self.connect_to_cluster(false).await {
                Ok(()) => {
                    if !initial {
                        Stats::bump(&self.stats.reconnects);
                    }
                    tracing::info!(
                        cluster = %self.current_cluster_name(),
                        "connected to the cluster"
                    );
                    if self.smart() {
                        self.connect_all_members().await;
                    }
                    break;
                }
                Err(ClientError::ClientShutdown) => break,
                Err(e) => {
                    rounds += 1;
                    tracing::warn!(
                        error = %e,
                        rounds,
                        "no cluster reachable yet; still trying in the background"
                    );
                    tokio::time::sleep(backoff.next_sleep()).await;
                }
            }
        }
        self.reconnecting.store(false, Ordering::SeqCst);
        // A connection may have closed again between the connect and the flag.
        if !self.is_shut_down() && self.connection_count() == 0 {
            self.trigger_reconnect();
        }
    }

    fn current_cluster_name(&self) -> String {
        self.clusters
            .get(self.current_cluster.load(Ordering::SeqCst))
            .map(|c| c.cluster_name.clone())
            .unwrap_or_default()
    }

    // ---------------------------------------------------------------- connecting

    /// Connects to the current cluster, else to the others of the failover list. At
    /// `startup` a refused authentication ends the attempt at once (a configuration error
    /// the operator must see); later it is retried like any connection failure.
    async fn connect_to_cluster(self: &Arc<Self>, startup: bool) -> Result<(), ClientError> {
        let _guard = self.connect_lock.lock().await;
        if self.connection_count() > 0 {
            return Ok(());
        }
        let n = self.clusters.len();
        let start = self.current_cluster.load(Ordering::SeqCst);
        let mut last = match self.try_cluster(start, startup).await {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        let Some(failover) = &self.config.failover else {
            return Err(last);
        };
        for _round in 0..failover.try_count {
            for k in 1..=n {
                if self.is_shut_down() {
                    return Err(ClientError::ClientShutdown);
                }
                let idx = (start + k) % n;
                match self.try_cluster(idx, startup).await {
                    Ok(()) => {
                        if idx != start {
                            Stats::bump(&self.stats.failovers);
                            tracing::info!(
                                cluster = %self.clusters.get(idx).map_or("", |c| c.cluster_name.as_str()),
                                "failed over to another cluster"
                            );
                        }
                        return Ok(());
                    }
                    Err(e) => last = e,
                }
            }
        }
        Err(ClientError::ClusterUnreachable(last.to_string()))
    }

    /// Tries one cluster until its cluster connect timeout, or, with a failover list, until
    /// every address has refused connections for `failover_on_refusal_after`. At `startup`
    /// an authentication refusal ends the attempt at once; later it is logged and retried
    /// with the backoff like any connection failure (a member restarting with another
    /// configuration, a partition-count mismatch), so the client never gives up for good.
    async fn try_cluster(self: &Arc<Self>, idx: usize, startup: bool) -> Result<(), ClientError> {
        let Some(cluster) = self.clusters.get(idx).cloned() else {
            return Err(ClientError::Config("cluster index out of range".into()));
        };
        let previous = self.current_cluster.swap(idx, Ordering::SeqCst);
        if previous != idx {
            // Another cluster: its members and partitions are not ours.
            self.view.clear();
        }
        let deadline = self
            .config
            .effective_cluster_connect_timeout()
            .map(|t| Instant::now() + t);
        let mut backoff = Backoff::new(self.config.reconnect.clone());
        let mut last: Option<ClientError> = None;
        let mut refused_since: Option<Instant> = None;
        loop {
            if self.is_shut_down() {
                return Err(ClientError::ClientShutdown);
            }
            let mut all_refused = true;
            let mut addresses: Vec<String> =
                self.view.members().into_iter().map(|m| m.address).collect();
            shuffle(&mut addresses);
            for a in &cluster.addresses {
                let a = if a.contains(':') {
                    a.clone()
                } else {
                    format!("{a}:5701")
                };
                if !addresses.contains(&a) {
                    addresses.push(a);
                }
            }
            for a in &addresses {
                match self.connect_member(a).await {
                    Ok(_) => return Ok(()),
                    Err(e @ ClientError::Authentication { .. }) if startup => {
                        tracing::warn!(cluster = %cluster.cluster_name, error = %e, "authentication refused");
                        return Err(e);
                    }
                    Err(e @ ClientError::Authentication { .. }) => {
                        all_refused = false;
                        tracing::warn!(
                            cluster = %cluster.cluster_name,
                            error = %e,
                            "authentication refused during reconnect; retrying with backoff"
                        );
                        last = Some(e);
                    }
                    Err(e) => {
                        let refused = matches!(&e, ClientError::Io(io)
                            if io.kind() == std::io::ErrorKind::ConnectionRefused);
                        all_refused &= refused;
                        tracing::debug!(address = %a, error = %e, "connect failed");
                        last = Some(e);
                    }
                }
            }
            if all_refused && !addresses.is_empty() {
                let since = *refused_since.get_or_insert_with(Instant::now);
                if self.config.failover.is_some()
                    && since.elapsed() >= self.config.failover_on_refusal_after
                {
                    return Err(ClientError::ClusterUnreachable(format!(
                        "cluster {:?}: every address refused connections",
                        cluster.cluster_name
                    )));
                }
            } else {
                refused_since = None;
            }
            let sleep = backoff.next_sleep();
            let sleep = match deadline {
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        return Err(ClientError::ClusterUnreachable(format!(
                            "cluster {:?}: {}",
                            cluster.cluster_name,
                            last.map_or_else(
                                || "no address answered".to_owned(),
                                |e| e.to_string()
                            )
                        )));
                    }
                    sleep.min(d - now)
                }
                None => sleep,
            };
            tokio::time::sleep(sleep).await;
        }
    }

    fn auth_request(&self) -> Message {
        let idx = self.current_cluster.load(Ordering::SeqCst);
        let cluster = self.clusters.get(idx).unwrap_or(&self.config.cluster);
        let mut m = ClientAuthenticationRequest {
            cluster_name: cluster.cluster_name.clone(),
            username: cluster.credentials.as_ref().map(|c| c.username.clone()),
            password: cluster.credentials.as_ref().map(|c| c.password.clone()),
            uuid: Some(self.client_uuid),
            client_type: CLIENT_TYPE.into(),
            serialization_version: SERIALIZATION_VERSION,
            client_hazelcast_version: CLIENT_VERSION.into(),
            client_name: self.config.client_name.clone(),
            labels: self.config.labels.clone(),
            routing_mode: Some(u8::from(self.smart())),
            cp_direct_to_leader_routing: Some(false),
        }
        .encode();
        m.set_correlation_id(self.next_correlation_id());
        m
    }

    /// Opens, authenticates and sets up one connection.
    async fn connect_member(
        self: &Arc<Self>,
        address: &str,
    ) -> Result<Arc<Connection>, ClientError> {
        if !lock(&self.connecting).insert(address.to_owned()) {
            return Err(ClientError::NoConnection(format!(
                "already connecting to {address}"
            )));
        }
        let r = self.connect_member_inner(address).await;
        lock(&self.connecting).remove(address);
        r
    }

    async fn connect_member_inner(
        self: &Arc<Self>,
        address: &str,
    ) -> Result<Arc<Connection>, ClientError> {
        let auth = self.auth_request();
        let (stream, decoder, response) = handshake(
            address,
            self.config.connect_timeout,
            &auth,
            self.config
                .heartbeat_timeout
                .min(self.config.invocation_timeout),
        )
        .await?;
        if ErrorResponse::matches(&response) {
            let e = ErrorResponse::decode(&response)?;
            return Err(ClientError::Member(ServerError::from_response(&e)));
        }
        // The status first, alone: a real member refusing a client (wrong cluster name,
        // credentials) sends a null cluster id, which the protocol definition calls
        // non-nullable, so the full response does not decode then.
        let status = hazelcast_protocol::codec::builtin::fixed::<u8>(
            response.initial_frame().payload,
            hazelcast_protocol::message::RESPONSE_FIXED_OFFSET,
        )?;
        if status != 0 {
            return Err(ClientError::Authentication {
                address: address.to_owned(),
                reason: AuthFailure::from_status(status),
            });
        }
        let resp = ClientAuthenticationResponse::decode(&response)?;
        if !resp.failover_supported && self.config.failover.is_some() {
            tracing::debug!(
                "cluster reports no failover support; accepted (see FailoverConfig docs)"
            );
        }
        let member_uuid = resp
            .member_uuid
            .ok_or_else(|| ClientError::NoConnection(format!("{address} sent no member uuid")))?;
        let pc = u32::try_from(resp.partition_count).unwrap_or(0);
        let known = self.partition_count.load(Ordering::SeqCst);
        if pc == 0 || (known != 0 && known != pc && self.connection_count() > 0) {
            // A member of the live cluster with another partition count: refused (retried
            // by the reconnect loop, never a shutdown).
            return Err(ClientError::Authentication {
                address: address.to_owned(),
                reason: AuthFailure::NotAllowedInCluster,
            });
        }
        if known != 0 && known != pc {
            // No live connection: a new cluster (failover, re-created cluster) with another
            // partition count. Keys route by the new count from now on.
            tracing::warn!(
                old = known,
                new = pc,
                "the cluster has another partition count than before; routing by the new one"
            );
            self.view.clear();
        }
        self.partition_count.store(pc, Ordering::SeqCst);

        // Cluster id: a connection to another cluster than the live ones is refused; the
        // first connection after losing all of them may find a new cluster (restart or
        // failover): then state is cleared and re-sent.
        let send_state = {
            let mut cid = lock(&self.cluster_id);
            if self.connection_count() > 0 {
                if *cid != Some(resp.cluster_id) {
                    return Err(ClientError::NoConnection(format!(
                        "{address} belongs to another cluster than the current connections"
                    )));
                }
                false
            } else {
                let changed = cid.is_some_and(|c| c != resp.cluster_id);
                if changed {
                    tracing::info!("connected to a cluster with a new id: clearing cluster state");
                    self.view.clear();
                    self.schemas.mark_all_unreplicated();
                }
                let reconnect = cid.is_some();
                *cid = Some(resp.cluster_id);
                let cluster_name = self
                    .clusters
                    .get(self.current_cluster.load(Ordering::SeqCst))
                    .map(|c| c.cluster_name.clone())
                    .unwrap_or_default();
                self.connected_to.send_modify(|latest| {
                    let epoch = latest.as_ref().map_or(1, |l| l.epoch + 1);
                    *latest = Some(ClusterConnection {
                        epoch,
                        cluster_name,
                        cluster_id: resp.cluster_id,
                    });
                });
                reconnect
            }
        };

        let id = self.next_conn_id.fetch_add(1, Ordering::Relaxed);
        let conn = Connection::start(
            id,
            member_uuid,
            address.to_owned(),
            stream,
            decoder,
            Arc::new(Sink(Arc::downgrade(self))),
            Arc::clone(&self.wire),
        );
        {
            let mut conns = self
                .connections
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            if let Some(existing) = conns.get(&member_uuid)
                && !existing.is_closed()
            {
                let existing = Arc::clone(existing);
                drop(conns);
                conn.close("duplicate connection to the same member");
                return Ok(existing);
            }
            conns.insert(member_uuid, Arc::clone(&conn));
        }
        tracing::debug!(conn = id, address, member = %member_uuid, "connected");
        if let (Some(v), Some(infos)) = (resp.member_list_version, &resp.member_infos)
            && !infos.is_empty()
            && self.view.apply_members(v, infos).is_some()
        {
            self.members_changed.notify_one();
        }
        if let (Some(v), Some(parts)) = (resp.partition_list_version, &resp.partitions) {
            self.view.apply_partitions(id, v, parts, pc);
        }
        if let Err(e) = self.setup_connection(&conn, send_state).await {
            conn.close(&format!("setup failed: {e}"));
            return Err(e);
        }
        Ok(conn)
    }

    async fn setup_connection(
        self: &Arc<Self>,
        conn: &Arc<Connection>,
        send_state: bool,
    ) -> Result<(), ClientError> {
        if self.backup_aware() {
            self.invoke_on(conn, ClientLocalBackupListenerRequest {}.encode(), None)
                .await?;
        }
        self.ensure_view_listener(conn).await?;
        if send_state {
            let all = self.schemas.all();
            if !all.is_empty() {
                let req = ClientSendAllSchemasRequest {
                    schemas: all.iter().map(|s| custom::Schema::from(&**s)).collect(),
                }
                .encode();
                self.invoke_on(conn, req, None).await?;
                for s in &all {
                    self.schemas.mark_replicated(s.id());
                }
            }
        }
        let listeners: Vec<_> = lock(&self.listeners).values().cloned().collect();
        for l in listeners {
            if self.smart() || self.connection_count() <= 1 {
                l.register_on(self, conn).await?;
            }
        }
        Ok(())
    }

    /// Registers the cluster-view listener on `conn` unless one is registered already.
    async fn ensure_view_listener(
        self: &Arc<Self>,
        conn: &Arc<Connection>,
    ) -> Result<(), ClientError> {
        {
            let mut v = lock(&self.view_listener_conn);
            if v.is_some() {
                return Ok(());
            }
            *v = Some(conn.id);
        }
        let weak = Arc::downgrade(self);
        let conn_id = conn.id;
        let handler: EventHandler = Arc::new(move |m: &Message| {
            if let Some(inner) = weak.upgrade() {
                inner.on_view_event(conn_id, m);
            }
        });
        let r = self
            .invoke_on(
                conn,
                ClientAddClusterViewListenerRequest {}.encode(),
                Some(handler),
            )
            .await;
        if r.is_err() {
            let mut v = lock(&self.view_listener_conn);
            if *v == Some(conn.id) {
                *v = None;
            }
        }
        r.map(|_| ())
    }

    fn on_view_event(&self, conn_id: u64, m: &Message) {
        match m.message_type() {
            ClientAddClusterViewListenerMembersViewEvent::MESSAGE_TYPE => {
                let Ok(e) = ClientAddClusterViewListenerMembersViewEvent::decode(m) else {
                    tracing::debug!("malformed members view ignored");
                    return;
                };
                if let Some(changes) = self.view.apply_members(e.version, &e.member_infos) {
                    if !changes.removed.is_empty() {
                        // The cluster reports that a member left: writes waiting only for
                        // backup acks are complete (their owner holds them; the cluster
                        // re-creates the lost backups). Java waits out the backup-ack
                        // timeout instead.
                        let released = self.pending.release_held();
                        self.stats
                            .released_backup_waits
                            .fetch_add(released as u64, Ordering::Relaxed);
                    }
                    for gone in &changes.removed {
                        tracing::info!(member = %gone.uuid, "member removed");
                        let c = self
                            .connections
                            .read()
                            .unwrap_or_else(PoisonError::into_inner)
                            .get(&gone.uuid)
                            .cloned();
                        if let Some(c) = c {
                            c.close("member left the cluster");
                        }
                    }
                    if !changes.added.is_empty() {
                        self.members_changed.notify_one();
                    }
                }
            }
            ClientAddClusterViewListenerPartitionsViewEvent::MESSAGE_TYPE => {
                let Ok(e) = ClientAddClusterViewListenerPartitionsViewEvent::decode(m) else {
                    tracing::debug!("malformed partitions view ignored");
                    return;
                };
                let pc = self.partition_count.load(Ordering::SeqCst);
                self.view
                    .apply_partitions(conn_id, e.version, &e.partitions, pc);
            }
            _ => {}
        }
    }

    // ---------------------------------------------------------------- background tasks

    fn spawn_background(self: &Arc<Self>) {
        let mut tasks = Vec::new();
        let weak = Arc::downgrade(self);
        let interval = self.config.heartbeat_interval;
        let timeout = self.config.heartbeat_timeout;
        tasks.push(
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(interval).await;
                    let Some(inner) = weak.upgrade() else { return };
                    for c in inner.connections() {
                        if c.since_read() > timeout {
                            c.close("heartbeat timed out");
                        } else if c.since_write() >= interval {
                            let mut ping = ClientPingRequest {}.encode();
                            ping.set_correlation_id(inner.next_correlation_id());
                            let _ = c.try_send(ping);
                        }
                    }
                }
            })
            .abort_handle(),
        );
        if self.backup_aware() {
            let weak = Arc::downgrade(self);
            let t = self.config.backup_ack_timeout;
            tasks.push(
                tokio::spawn(async move {
                    loop {
                        tokio::time::sleep(BACKUP_SWEEP_PERIOD).await;
                        let Some(inner) = weak.upgrade() else { return };
                        inner.pending.expire_backup_waits(t);
                    }
                })
                .abort_handle(),
            );
        }
        if self.smart() {
            let weak = Arc::downgrade(self);
            tasks.push(
                tokio::spawn(async move {
                    loop {
                        let Some(inner) = weak.upgrade() else { return };
                        let notified = inner.members_changed.notified();
                        let _ = tokio::time::timeout(CONNECT_ALL_PERIOD, notified).await;
                        if inner.is_shut_down() {
                            return;
                        }
                        inner.connect_all_members().await;
                    }
                })
                .abort_handle(),
            );
        }
        lock(&self.tasks).extend(tasks);
    }

    /// Connects to every known member without a connection (smart routing).
    async fn connect_all_members(self: &Arc<Self>) {
        if self.connection_count() == 0 {
            return;
        }
        for m in self.view.members() {
            let has = self
                .connections
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .contains_key(&m.uuid);
            if !has && let Err(e) = self.connect_member(&m.address).await {
                tracing::debug!(address = %m.address, error = %e, "connect to member failed");
            }
        }
    }

    /// Stops everything and fails pending calls with [`ClientError::ClientShutdown`].
    pub(crate) fn shutdown_now(&self) {
        if self.shutdown.swap(true, Ordering::SeqCst) {
            return;
        }
        for t in lock(&self.tasks).drain(..) {
            t.abort();
        }
        for c in self.connections() {
            c.close("client shut down");
        }
        self.pending.fail_all(|| ClientError::ClientShutdown);
        lock(&self.listeners).clear();
    }

    // ---------------------------------------------------------------- invocations

    fn pick(&self, route: Route) -> Option<(Arc<Connection>, i32)> {
        let conns = self
            .connections
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        if conns.is_empty() {
            return None;
        }
        let partition_id = match route {
            Route::Any => -1,
            Route::KeyHash(h) => {
                let pc = self.partition_count.load(Ordering::SeqCst);
                if pc == 0 {
                    return None;
                }
                i32::try_from(hash_to_index(h, pc)).unwrap_or(-1)
            }
        };
        if self.smart()
            && partition_id >= 0
            && let Some(owner) = self.view.owner(partition_id)
            && let Some(c) = conns.get(&owner)
            && !c.is_closed()
        {
            return Some((Arc::clone(c), partition_id));
        }
        let live: Vec<&Arc<Connection>> = conns.values().filter(|c| !c.is_closed()).collect();
        if live.is_empty() {
            return None;
        }
        let i = self.round_robin.fetch_add(1, Ordering::Relaxed) % live.len();
        live.get(i).map(|c| (Arc::clone(c), partition_id))
    }

    /// Sends `message` on `conn` and waits for its answer until `deadline`, the
    /// invocation's one timer. `Ok(Err(_))` is a failure to classify; `Err(())` is the
    /// deadline. The message is shared with the writer: a retry reuses it, copying it only
    /// when the writer still holds the previous attempt.
    async fn send_once(
        &self,
        conn: &Arc<Connection>,
        message: &mut Outgoing,
        partition_id: Option<i32>,
        deadline: Pin<&mut Sleep>,
        handler: Option<EventHandler>,
    ) -> Result<Result<Message, ClientError>, ()> {
        let id = self.next_correlation_id();
        {
            let m = Arc::make_mut(message);
            m.set_correlation_id(id);
            if let Some(p) = partition_id {
                m.set_partition_id(p);
            }
            if self.backup_aware() {
                m.set_flag(flags::BACKUP_AWARE, true);
            }
        }
        if let Some(h) = &handler {
            conn.add_handler(id, Arc::clone(h));
        }
        let rx = self.pending.register(id, conn.id);
        // Forgets the call if this future is dropped (a caller's own deadline) or fails
        // before the answer, so that nothing waits in the table for a silent member.
        let mut guard = CallGuard {
            inner: self,
            conn,
            id,
            handler: handler.is_some(),
            armed: true,
        };
        let call = async {
            conn.send(Arc::clone(message)).await?;
            match rx.await {
                Err(_) => Err(ClientError::NoConnection("call dropped".into())),
                Ok(Ok(resp)) if ErrorResponse::matches(&resp) => {
                    match ErrorResponse::decode(&resp) {
                        Ok(e) => Err(ClientError::Member(ServerError::from_response(&e))),
                        Err(e) => Err(ClientError::Protocol(e)),
                    }
                }
                Ok(r) => r,
            }
        };
        let out = tokio::select! {
            biased;
            out = call => out,
            () = deadline => return Err(()),
        };
        // The table entry is gone (answered or never sent); an event handler stays for a
        // success.
        guard.armed = false;
        if out.is_err() {
            self.pending.remove(id);
            if handler.is_some() {
                conn.remove_handler(id);
            }
        }
        Ok(out)
    }

    /// An invocation bound to one connection: no retry.
    pub(crate) async fn invoke_on(
        &self,
        conn: &Arc<Connection>,
        message: Message,
        handler: Option<EventHandler>,
    ) -> Result<Message, ClientError> {
        let start = Instant::now();
        let deadline = tokio::time::sleep(self.config.invocation_timeout);
        tokio::pin!(deadline);
        let mut message = Arc::new(message);
        match self
            .send_once(conn, &mut message, None, deadline, handler)
            .await
        {
            Ok(r) => r,
            Err(()) => Err(ClientError::Timeout {
                elapsed: start.elapsed(),
                last_error: None,
            }),
        }
    }

    /// An invocation with routing and Java's retry rules.
    pub(crate) async fn invoke(
        &self,
        request: Message,
        route: Route,
        retryable: bool,
    ) -> Result<Message, ClientError> {
        let span = tracing::debug_span!(
            "hz.invoke",
            message_type = %format_args!("{:#08x}", request.message_type()),
            attempts = tracing::field::Empty,
        );
        self.invoke_inner(request, route, retryable)
            .instrument(span)
            .await
    }

    async fn invoke_inner(
        &self,
        request: Message,
        route: Route,
        retryable: bool,
    ) -> Result<Message, ClientError> {
        Stats::bump(&self.stats.invocations);
        let start = Instant::now();
        let deadline_at = tokio::time::Instant::now() + self.config.invocation_timeout;
        // One timer for the whole invocation, every attempt included.
        let deadline = tokio::time::sleep_until(deadline_at);
        tokio::pin!(deadline);
        let mut request: Outgoing = Arc::new(request);
        let mut attempt: u32 = 0;
        loop {
            if self.is_shut_down() {
                return Err(ClientError::ClientShutdown);
            }
            attempt = attempt.saturating_add(1);
            if attempt > 1 {
                tracing::Span::current().record("attempts", attempt);
            }
            let err = match self.pick(route) {
                None if self.connection_count() == 0 => {
                    if start.elapsed() >= self.config.offline_wait {
                        Stats::bump(&self.stats.offline_failures);
                        return Err(ClientError::Offline);
                    }
                    ClientError::NoConnection("not connected to the cluster".into())
                }
                None => ClientError::NoConnection("not connected to the cluster".into()),
                Some((conn, partition_id)) => {
                    match self
                        .send_once(
                            &conn,
                            &mut request,
                            Some(partition_id),
                            deadline.as_mut(),
                            None,
                        )
                        .await
                    {
                        Ok(Ok(resp)) => return Ok(resp),
                        Ok(Err(e)) => e,
                        Err(()) => {
                            return Err(ClientError::Timeout {
                                elapsed: start.elapsed(),
                                last_error: None,
                            });
                        }
                    }
                }
            };
            if !err.is_retryable(retryable, self.config.redo_operation) {
                return Err(err);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline_at {
                return Err(ClientError::Timeout {
                    elapsed: start.elapsed(),
                    last_error: Some(Box::new(err)),
                });
            }
            tracing::debug!(attempt, error = %err, "retrying invocation");
            Stats::bump(&self.stats.retries);
            let delay =
                invocation_retry_delay(attempt, self.config.retry_pause).min(deadline_at - now);
            if delay.is_zero() {
                tokio::task::yield_now().await;
            } else {
                tokio::time::sleep(delay).await;
            }
        }
    }

    // ---------------------------------------------------------------- Compact schemas

    /// Sends schemas the cluster does not have yet (before data that uses them).
    pub(crate) async fn replicate_schemas(&self) -> Result<(), ClientError> {
        if !self.schemas.has_unreplicated() {
            return Ok(());
        }
        let _g = self.schema_send.lock().await;
        for s in self.schemas.unreplicated() {
            let req = ClientSendSchemaRequest {
                schema: custom::Schema::from(&*s),
            }
            .encode();
            self.invoke(req, Route::Any, true).await?;
            self.schemas.mark_replicated(s.id());
        }
        Ok(())
    }

    /// Deserializes `data`, fetching unknown Compact schemas from the cluster.
    pub(crate) async fn decode<T: Deserialize>(&self, data: &Data) -> Result<T, ClientError> {
        for _ in 0..MAX_SCHEMA_FETCHES {
            match T::from_data(data, &self.schemas) {
                Err(SerializationError::SchemaNotFound(id)) => self.fetch_schema(id).await?,
                other => return other.map_err(ClientError::from),
            }
        }
        Err(ClientError::Serialization(
            SerializationError::InvalidValue("too many unknown nested schemas".into()),
        ))
    }

    async fn fetch_schema(&self, id: i64) -> Result<(), ClientError> {
        let resp = self
            .invoke(
                ClientFetchSchemaRequest { schema_id: id }.encode(),
                Route::Any,
                true,
            )
            .await?;
        let schema = ClientFetchSchemaResponse::decode(&resp)?
            .schema
            .ok_or(SerializationError::SchemaNotFound(id))?;
        let schema = Schema::try_from(&schema)?;
        if schema.id() != id {
            return Err(SerializationError::InvalidValue(format!(
                "fetched schema has id {} instead of {id}",
                schema.id()
            ))
            .into());
        }
        self.schemas.register_replicated(schema)?;
        Ok(())
    }

    /// Serializes a value and makes sure the cluster has its schemas.
    pub(crate) async fn encode<T: Serialize + ?Sized>(
        &self,
        value: &T,
    ) -> Result<Data, ClientError> {
        let d = value.to_data(&self.schemas)?;
        self.replicate_schemas().await?;
        Ok(d)
    }
}

/// Removes an unanswered call from the pending table (and its event handler) on drop.
struct CallGuard<'a> {
    inner: &'a Inner,
    conn: &'a Arc<Connection>,
    id: i64,
    handler: bool,
    armed: bool,
}

impl Drop for CallGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.inner.pending.remove(self.id);
            if self.handler {
                self.conn.remove_handler(self.id);
            }
        }
    }
}

fn shuffle<T>(v: &mut [T]) {
    for i in (1..v.len()).rev() {
        let j = (random_unit() * (i + 1) as f64) as usize;
        v.swap(i, j.min(i));
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
    /// settings [`MapConfig`] does not model (a WAN replication reference, the NATIVE
    /// in-memory format, eviction, map store, ...). Its correlation and partition ids are set
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
