//! One member connection: the authentication request, the checks of the member's answer
//! (status, partition count, cluster id), and the set-up of a new connection (backup
//! listener, cluster-view listener, Compact schemas for a new cluster, entry listeners).

use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};

use hazelcast_protocol::codec::client::{
    ClientAuthenticationRequest, ClientAuthenticationResponse, ClientLocalBackupListenerRequest,
    ClientSendAllSchemasRequest,
};
use hazelcast_protocol::codec::custom;
use hazelcast_protocol::codec::error_response::ErrorResponse;
use hazelcast_protocol::message::Message;

use crate::connection::{Connection, handshake};
use crate::error::{AuthFailure, ClientError, ServerError};

use crate::client::{ClusterConnection, Inner, Sink, lock};

/// Client type sent at authentication (members store it, they do not check it).
pub(crate) const CLIENT_TYPE: &str = "RST";
/// Hazelcast version this client speaks (protocol 2.x of Hazelcast 5).
pub(crate) const CLIENT_VERSION: &str = "5.4.0";
/// Serialization version of Hazelcast 4/5.
const SERIALIZATION_VERSION: u8 = 1;

impl Inner {
    pub(crate) fn auth_request(&self) -> Message {
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
    pub(crate) async fn connect_member(
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

    pub(crate) async fn connect_member_inner(
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
        if pc == 0 {
            return Err(ClientError::Authentication {
                address: address.to_owned(),
                reason: AuthFailure::NotAllowedInCluster,
            });
        }
        if known != 0 && known != pc && self.connection_count() > 0 {
            // A member of the live cluster with another partition count: refused, and
            // retried by the connect-to-all task like any failed connection (never a
            // shutdown).
            return Err(ClientError::PartitionCountMismatch {
                address: address.to_owned(),
                expected: known,
                announced: pc,
            });
        }
        if known != 0 && known != pc {
            // No live connection: a new cluster (failover, re-created cluster) with another
            // partition count. Keys route by the new count from now on. The Java client
            // keeps its first count for life (`checkAndSetPartitionCount`) and refuses such
            // a cluster (`ClientNotAllowedInClusterException`: its failover client moves on,
            // the others shut down); on a cluster change it only resets the partition table,
            // as `view.clear()` does here. Serving from the cluster found is what a session
            // store needs: the old cluster's data is gone either way.
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
        let mut announce = None;
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
                announce = Some((cluster_name, resp.cluster_id));
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
        // Announced once the connection is usable, so that a watcher (the session store
        // configuring its map on a new cluster) can act at once, while this connection is
        // still being set up.
        if let Some((cluster_name, cluster_id)) = announce {
            self.connected_to.send_modify(|latest| {
                let epoch = latest.as_ref().map_or(1, |l| l.epoch + 1);
                *latest = Some(ClusterConnection {
                    epoch,
                    cluster_name,
                    cluster_id,
                });
            });
        }
        if let (Some(v), Some(infos)) = (resp.member_list_version, &resp.member_infos)
            && !infos.is_empty()
            && self.view.apply_members(v, infos).is_some()
        {
            self.members_changed.notify_one();
        }
        if let (Some(v), Some(parts)) = (resp.partition_list_version, &resp.partitions) {
            self.view.apply_auth_partitions(id, v, parts, pc);
        }
        if let Err(e) = self.setup_connection(&conn, send_state).await {
            conn.close(&format!("setup failed: {e}"));
            return Err(e);
        }
        Ok(conn)
    }

    pub(crate) async fn setup_connection(
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
}
