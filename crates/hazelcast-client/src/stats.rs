//! Counters users can read.

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
}

impl Stats {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
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
        }
    }
}

/// A snapshot of the client's counters.
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
    /// (or its connection closed) while they waited only for backup acks.
    pub released_backup_waits: u64,
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
