//! The client's background tasks (heartbeats, the backup-ack timeout sweep, connecting to
//! every member) and the shutdown that stops them.

use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use hazelcast_protocol::codec::client::ClientPingRequest;

use crate::error::ClientError;

use crate::client::{Inner, lock};

/// Period of the connect-to-all-members task (Java and Python: 1 s).
const CONNECT_ALL_PERIOD: Duration = Duration::from_secs(1);
/// Period of the connect-to-all-members task while a known member has no connection (a
/// member that just joined answers "not ready yet" for a moment): every write whose backup
/// lands on that member waits for an ack that cannot come until the client is connected
/// to it (see [`backup_wait`]), so the client tries again soon.
const CONNECT_RETRY_PERIOD: Duration = Duration::from_millis(200);
/// Period of the backup-ack timeout check (Python: 100 ms).
const BACKUP_SWEEP_PERIOD: Duration = Duration::from_millis(100);
/// How long a response waits for its backup acks while some data member has no
/// connection from this client.
const UNCONNECTED_BACKUP_WAIT: Duration = Duration::from_millis(250);

/// How long a response is held for its backup acks: the configured `timeout`, or at most
/// [`UNCONNECTED_BACKUP_WAIT`] while the client has no connection to some data member.
///
/// A member sends a backup ack only to a client that registered its backup listener on a
/// connection to that member; with no connection the ack is dropped, and the write would
/// wait out the whole timeout (5 s by default) although its owner applied it. That happens
/// after every rejoin of a rolling restart: partitions' backups move to the new member
/// before the client is connected to it. The client cannot tell which member holds a
/// write's backup, so every held response gets the short wait meanwhile; the owner has
/// applied the write either way, as after the full timeout.
pub(crate) fn backup_wait(timeout: Duration, all_data_members_connected: bool) -> Duration {
    if all_data_members_connected {
        timeout
    } else {
        timeout.min(UNCONNECTED_BACKUP_WAIT)
    }
}

impl Inner {
    // ---------------------------------------------------------------- background tasks

    pub(crate) fn spawn_background(self: &Arc<Self>) {
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
                        let wait = backup_wait(t, inner.all_data_members_connected());
                        let expired = inner.pending.expire_backup_waits(wait);
                        if expired > 0 {
                            tracing::debug!(
                                expired,
                                waited_ms = wait.as_millis() as u64,
                                "completed writes whose backup acks did not come"
                            );
                        }
                    }
                })
                .abort_handle(),
            );
        }
        if let Some(period) = self.config.statistics_period {
            let weak = Arc::downgrade(self);
            tasks.push(
                tokio::spawn(async move {
                    loop {
                        // The first report right away (after connecting), as the official
                        // clients do, then one per period.
                        {
                            let Some(inner) = weak.upgrade() else { return };
                            if inner.is_shut_down() {
                                return;
                            }
                            inner.send_statistics().await;
                        }
                        tokio::time::sleep(period).await;
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
                        let period = if inner.all_data_members_connected() {
                            CONNECT_ALL_PERIOD
                        } else {
                            CONNECT_RETRY_PERIOD
                        };
                        let _ = tokio::time::timeout(period, notified).await;
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

    /// Whether the client has a live connection to every data member of its member list.
    pub(crate) fn all_data_members_connected(&self) -> bool {
        let members = self.view.members();
        let conns = self
            .connections
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        members
            .iter()
            .filter(|m| !m.lite)
            .all(|m| conns.get(&m.uuid).is_some_and(|c| !c.is_closed()))
    }

    /// Connects to every known member without a connection (smart routing).
    pub(crate) async fn connect_all_members(self: &Arc<Self>) {
        if self.connection_count() == 0 {
            return;
        }
        for m in self.view.members() {
            let has = self
                .connections
                .read()
                .unwrap_or_else(PoisonError::into_inner)
                .contains_key(&m.uuid);
            if has {
                continue;
            }
            match self.connect_member(&m.address).await {
                Ok(_) => {}
                Err(e @ ClientError::PartitionCountMismatch { .. }) => {
                    tracing::warn!(error = %e, "member refused: another partition count");
                }
                Err(e) => {
                    tracing::debug!(address = %m.address, error = %e, "connect to member failed");
                }
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_waits_are_short_while_a_data_member_is_unconnected() {
        let t = Duration::from_secs(5);
        assert_eq!(backup_wait(t, true), t);
        assert_eq!(backup_wait(t, false), UNCONNECTED_BACKUP_WAIT);
        let short = Duration::from_millis(50);
        assert_eq!(
            backup_wait(short, false),
            short,
            "never longer than configured"
        );
    }
}
