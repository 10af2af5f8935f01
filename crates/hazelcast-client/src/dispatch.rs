//! What arrives from members: responses and backup acks (to the pending table), events (to
//! their handlers), cluster-view events (members and partitions), and closed connections.

use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};

use hazelcast_protocol::codec::client::{
    ClientAddClusterViewListenerMembersViewEvent, ClientAddClusterViewListenerPartitionsViewEvent,
    ClientAddClusterViewListenerRequest, ClientLocalBackupListenerBackupEvent,
};
use hazelcast_protocol::message::Message;

use crate::connection::{Connection, EventHandler};
use crate::error::ClientError;
use crate::stats::{Stats, metric};

use crate::client::{Inner, lock};

impl Inner {
    pub(crate) fn dispatch(&self, conn: &Arc<Connection>, message: Message) {
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

    pub(crate) fn connection_closed(&self, conn: &Arc<Connection>, reason: &str) {
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
        // A call answered on this connection and held for backup acks fails too: its
        // owner, the member behind the connection, may have died before sending the
        // backups, so the write may be gone (the caller reads back to find out).
        let unconfirmed =
            self.pending
                .fail_connection(conn.id, |held| ClientError::TargetDisconnected {
                    address: address.clone(),
                    reason: if held {
                        format!("{reason} (answered, backups not confirmed)")
                    } else {
                        reason.to_owned()
                    },
                });
        Stats::add(
            &self.stats.unconfirmed_writes,
            metric::UNCONFIRMED_WRITES,
            unconfirmed as u64,
        );
        // Held calls answered on other connections: their owners hold the writes; a
        // backup on the member behind this connection may never ack.
        let released = self.pending.release_held(&[]);
        if released > 0 {
            Stats::add(
                &self.stats.released_backup_waits,
                metric::BACKUP_WAITS_RELEASED,
                released as u64,
            );
            tracing::debug!(
                released,
                unconfirmed,
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

    /// Registers the cluster-view listener on `conn` unless one is registered already.
    pub(crate) async fn ensure_view_listener(
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

    pub(crate) fn on_view_event(&self, conn_id: u64, m: &Message) {
        match m.message_type() {
            ClientAddClusterViewListenerMembersViewEvent::MESSAGE_TYPE => {
                let Ok(e) = ClientAddClusterViewListenerMembersViewEvent::decode(m) else {
                    tracing::debug!("malformed members view ignored");
                    return;
                };
                if let Some(changes) = self.view.apply_members(e.version, &e.member_infos) {
                    if !changes.removed.is_empty() {
                        // The cluster reports that members left: writes answered by the
                        // members still present and waiting only for backup acks are
                        // complete (their owners hold them; the cluster re-creates the
                        // lost backups). Java waits out the backup-ack timeout instead.
                        // Writes answered by a member that left stay held until its
                        // connection closes (see `connection_closed`).
                        let leavers: Vec<u64> = {
                            let conns = self
                                .connections
                                .read()
                                .unwrap_or_else(PoisonError::into_inner);
                            changes
                                .removed
                                .iter()
                                .filter_map(|m| conns.get(&m.uuid).map(|c| c.id))
                                .collect()
                        };
                        let released = self.pending.release_held(&leavers);
                        Stats::add(
                            &self.stats.released_backup_waits,
                            metric::BACKUP_WAITS_RELEASED,
                            released as u64,
                        );
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
}
