//! Counters users can read: a snapshot with [`Client::stats`](crate::Client::stats), and the
//! same events through the [`metrics`] facade, for whatever recorder (Prometheus, StatsD,
//! ...) the application installs. Without a recorder the facade costs next to nothing.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::connection::WireStats;

/// Live counters of one client.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub(crate) invocations: AtomicU64,
    pub(crate) retries: AtomicU64,
    pub(crate) reconnects: AtomicU64,
    pub(crate) failovers: AtomicU64,
    pub(crate) dropped_events: AtomicU64,
    pub(crate) offline_failures: AtomicU64,
    pub(crate) released_backup_waits: AtomicU64,
    pub(crate) unconfirmed_writes: AtomicU64,
    pub(crate) statistics_sent: AtomicU64,
    /// The `hazelcast_client_invocations` counter of the recorder installed when the first
    /// invocation was counted: looking it up per call costs more than the call's own
    /// bookkeeping.
    invocations_metric: OnceLock<metrics::Counter>,
}

/// Metric names (see the module docs).
pub(crate) mod metric {
    pub(crate) const INVOCATIONS: &str = "hazelcast_client_invocations";
    pub(crate) const RETRIES: &str = "hazelcast_client_retries";
    pub(crate) const RECONNECTS: &str = "hazelcast_client_reconnects";
    pub(crate) const FAILOVERS: &str = "hazelcast_client_failovers";
    pub(crate) const BACKUP_WAITS_RELEASED: &str = "hazelcast_client_backup_waits_released";
    pub(crate) const UNCONFIRMED_WRITES: &str = "hazelcast_client_unconfirmed_writes";
    pub(crate) const OFFLINE_FAILURES: &str = "hazelcast_client_offline_failures";
    pub(crate) const DROPPED_EVENTS: &str = "hazelcast_client_dropped_events";
}

impl Stats {
    /// Counts one event in `counter` and in the metric `name`.
    pub(crate) fn bump(counter: &AtomicU64, name: &'static str) {
        Self::add(counter, name, 1);
    }

    /// Counts one invocation (the hot path: the metric handle is looked up once).
    pub(crate) fn count_invocation(&self) {
        self.invocations.fetch_add(1, Ordering::Relaxed);
        self.invocations_metric
            .get_or_init(|| metrics::counter!(metric::INVOCATIONS))
            .increment(1);
    }

    /// Counts `n` events in `counter` and in the metric `name`.
    pub(crate) fn add(counter: &AtomicU64, name: &'static str, n: u64) {
        if n > 0 {
            counter.fetch_add(n, Ordering::Relaxed);
            metrics::counter!(name).increment(n);
        }
    }

    pub(crate) fn snapshot(&self, wire: &WireStats) -> ClientStats {
        ClientStats {
            messages_sent: wire.messages_sent.load(Ordering::Relaxed),
            write_calls: wire.write_calls.load(Ordering::Relaxed),
            bytes_sent: wire.bytes_sent.load(Ordering::Relaxed),
            messages_received: wire.messages_received.load(Ordering::Relaxed),
            read_calls: wire.read_calls.load(Ordering::Relaxed),
            invocations: self.invocations.load(Ordering::Relaxed),
            retries: self.retries.load(Ordering::Relaxed),
            reconnects: self.reconnects.load(Ordering::Relaxed),
            failovers: self.failovers.load(Ordering::Relaxed),
            dropped_events: self.dropped_events.load(Ordering::Relaxed),
            offline_failures: self.offline_failures.load(Ordering::Relaxed),
            released_backup_waits: self.released_backup_waits.load(Ordering::Relaxed),
            unconfirmed_writes: self.unconfirmed_writes.load(Ordering::Relaxed),
            statistics_sent: self.statistics_sent.load(Ordering::Relaxed),
        }
    }
}

/// A snapshot of the client's counters.
///
/// The counted events also go to the [`metrics`] facade, under these names, for whatever
/// recorder the application installs (none: next to no cost):
///
/// | metric (counter) | counts |
/// |---|---|
/// | `hazelcast_client_invocations` | invocations started (user calls and internal ones); goes to the recorder installed when the client counted its first invocation |
/// | `hazelcast_client_retries` | retries after retryable failures |
/// | `hazelcast_client_reconnects` | reconnects after every connection was lost |
/// | `hazelcast_client_failovers` | switches to another cluster of the failover list |
/// | `hazelcast_client_backup_waits_released` | writes completed without waiting out the backup-ack timeout because a member left |
/// | `hazelcast_client_unconfirmed_writes` | writes failed as of unknown outcome because the connection to their owner closed after it answered, before their backups were confirmed |
/// | `hazelcast_client_offline_failures` | calls failed at once because the client was offline |
/// | `hazelcast_client_dropped_events` | entry events dropped by a full listener stream |
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientStats {
    /// Invocations started (user calls and internal ones such as schema replication).
    pub invocations: u64,
    /// Retries of invocations after retryable failures.
    pub retries: u64,
    /// Successful reconnects after all connections were lost (failovers included).
    pub reconnects: u64,
    /// Switches to another cluster of the failover list.
    pub failovers: u64,
    /// Entry events dropped because a listener stream's buffer was full.
    pub dropped_events: u64,
    /// Calls failed at once with [`ClientError::Offline`](crate::ClientError::Offline)
    /// because the client had no connection.
    pub offline_failures: u64,
    /// Writes completed without waiting out the backup-ack timeout because a member left
    /// (or its connection closed) while they waited only for backup acks, answered by
    /// another member (their owner, which still holds them).
    pub released_backup_waits: u64,
    /// Writes failed with [`ClientError::TargetDisconnected`](crate::ClientError::TargetDisconnected)
    /// (outcome unknown) because the connection to the member that answered them closed
    /// while they waited for backup acks: that owner may have died before sending the
    /// backups, and the write with it.
    pub unconfirmed_writes: u64,
    /// Statistics reports the cluster accepted
    /// ([`ClientConfig::statistics_period`](crate::ClientConfig::statistics_period)).
    pub statistics_sent: u64,
    /// Messages written to members (requests, heartbeats), over all connections.
    pub messages_sent: u64,
    /// Socket writes that sent them: `messages_sent / write_calls` is the number of
    /// messages packed per write (many under load, where one write carries the requests of
    /// many callers).
    pub write_calls: u64,
    /// Bytes written to members.
    pub bytes_sent: u64,
    /// Messages read from members (responses and events).
    pub messages_received: u64,
    /// Socket reads that returned data.
    pub read_calls: u64,
}

impl ClientStats {
    /// Messages per socket write (0 before the first write).
    ///
    /// ```
    /// let stats = hazelcast_client::ClientStats::default();
    /// assert_eq!(stats.messages_per_write(), 0.0);
    /// ```
    pub fn messages_per_write(&self) -> f64 {
        if self.write_calls == 0 {
            0.0
        } else {
            self.messages_sent as f64 / self.write_calls as f64
        }
    }
}
