//! Entry events and the listeners that receive them.
//!
//! Payloads follow facts §4.3: `added` (value, no old value), `updated` (new and old value),
//! `removed` by `remove`/`removeIfSame` (old value), `removed` by `delete` (NO old value,
//! even with include-value), `evicted` (old value), `expired` (old value). Removing an
//! absent key fires nothing. Without include-value both values are left out.
//! A predicate listener tests the old value for removed/evicted/expired events and the new
//! value otherwise (Hazelcast's `DefaultEntryEventFilteringStrategy`).

use hazelcast_protocol::data::Data;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::query::Predicate;

/// `EntryEventType` bits.
pub mod event_type {
    /// An entry was added.
    pub const ADDED: i32 = 1;
    /// An entry was removed.
    pub const REMOVED: i32 = 2;
    /// An entry was updated.
    pub const UPDATED: i32 = 4;
    /// An entry was evicted.
    pub const EVICTED: i32 = 8;
    /// An entry expired.
    pub const EXPIRED: i32 = 16;
    /// All entries were evicted.
    pub const EVICT_ALL: i32 = 32;
    /// The map was cleared.
    pub const CLEAR_ALL: i32 = 64;
}

/// Capacity of one listener's event queue; events beyond it are dropped with a warning,
/// as a real member drops events when its event queue is full.
pub const EVENT_QUEUE_CAPACITY: usize = 100_000;

/// One entry (or map-wide) event, as sent to a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryEvent {
    /// Registration that receives it.
    pub registration: Uuid,
    /// Map name.
    pub map: String,
    /// Partition of the key, −1 for map-wide events.
    pub partition_id: i32,
    /// [`event_type`] value.
    pub event_type: i32,
    /// Key (None for map-wide events).
    pub key: Option<Data>,
    /// New value.
    pub value: Option<Data>,
    /// Old value.
    pub old_value: Option<Data>,
    /// Merging value (never set here).
    pub merging_value: Option<Data>,
    /// Member that fired the event.
    pub member: Uuid,
    /// Entries affected by a map-wide event, 1 otherwise.
    pub affected_entries: i32,
}

/// What a listener wants.
#[derive(Debug, Clone)]
pub struct ListenerSpec {
    /// Map name.
    pub map: String,
    /// OR of [`event_type`] bits wanted.
    pub flags: i32,
    /// Send values.
    pub include_value: bool,
    /// Only events of partitions owned by the member it is registered on.
    pub local_only: bool,
    /// Only this key (its serialized bytes).
    pub key: Option<Data>,
    /// Only entries matching this predicate.
    pub predicate: Option<Predicate>,
}

/// A registered listener.
#[derive(Debug, Clone)]
pub(crate) struct Listener {
    pub(crate) id: Uuid,
    pub(crate) member: Uuid,
    pub(crate) spec: ListenerSpec,
    pub(crate) tx: mpsc::Sender<EntryEvent>,
}

/// Creates a listener queue.
pub fn event_channel() -> (mpsc::Sender<EntryEvent>, mpsc::Receiver<EntryEvent>) {
    mpsc::channel(EVENT_QUEUE_CAPACITY)
}
