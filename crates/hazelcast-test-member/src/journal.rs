//! A bounded record of the requests each member received, for client tests to check what
//! a client sent (message types, flags, partition ids, fresh correlation ids on retries).

use std::collections::VecDeque;
use std::sync::Mutex;

use uuid::Uuid;

/// Requests kept per member; older ones are dropped first.
pub const JOURNAL_CAPACITY: usize = 10_000;

/// One received request (after authentication, or the authentication itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// Connection id, unique within the member.
    pub connection: u64,
    /// Client uuid from authentication, when known.
    pub client: Option<Uuid>,
    /// Message type.
    pub message_type: i32,
    /// Correlation id.
    pub correlation_id: i64,
    /// Partition id in the header.
    pub partition_id: i32,
    /// Flags of the initial frame (e.g. `BACKUP_AWARE`).
    pub flags: u16,
}

/// The journal of one member.
#[derive(Debug, Default)]
pub(crate) struct Journal {
    records: Mutex<VecDeque<RequestRecord>>,
}

impl Journal {
    pub(crate) fn push(&self, r: RequestRecord) {
        let mut q = self.records.lock().unwrap_or_else(|e| e.into_inner());
        if q.len() >= JOURNAL_CAPACITY {
            q.pop_front();
        }
        q.push_back(r);
    }

    pub(crate) fn snapshot(&self) -> Vec<RequestRecord> {
        let q = self.records.lock().unwrap_or_else(|e| e.into_inner());
        q.iter().cloned().collect()
    }

    pub(crate) fn clear(&self) {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}
