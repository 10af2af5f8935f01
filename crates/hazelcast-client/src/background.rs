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
/// Period of the backup-ack timeout check (Python: 100 ms).
const BACKUP_SWEEP_PERIOD: Duration = Duration::from_millis(100);

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
                        inner.pending.expire_backup_waits(t);
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
