//! Entry listeners as an async [`Stream`](futures_core::Stream).
//!
//! A listener is registered on every connection in smart mode (with `localOnly`, so each
//! event arrives once, from the member that owns the key) and on the single connection
//! otherwise; it is registered again on every new connection (reconnect, new member,
//! failover).
//!
//! **Overflow:** events wait in a bounded buffer
//! ([`ClientConfig::listener_buffer`](crate::ClientConfig::listener_buffer), default 1024,
//! or [`EntryListenerOptions::buffer`] for one stream). Events an
//! [`InlineHandler`] takes ([`Map::entry_events_with`](crate::Map::entry_events_with)) are
//! handled on the connection's reader as they arrive and never queued.
//! When the stream is not read and the buffer is full, new events are **dropped** (never
//! blocking the connection's reader, so other traffic goes on); [`EntryStream::dropped`] and
//! [`ClientStats::dropped_events`](crate::ClientStats::dropped_events) count them.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, Poll};

use hazelcast_protocol::codec::map::{
    MapAddEntryListenerEntryEvent, MapAddEntryListenerRequest, MapAddEntryListenerResponse,
    MapRemoveEntryListenerRequest,
};
use hazelcast_protocol::data::Data;
use hazelcast_protocol::message::Message;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::client::Inner;
use crate::config::RoutingMode;
use crate::connection::{Connection, EventHandler};
use crate::error::ClientError;
use crate::stats::Stats;

/// Entry event types (`EntryEventType`); combine with `|` for [`EntryListenerOptions::flags`].
pub mod event_type {
    /// Entry added.
    pub const ADDED: i32 = 1;
    /// Entry removed.
    pub const REMOVED: i32 = 2;
    /// Entry updated.
    pub const UPDATED: i32 = 4;
    /// Entry evicted.
    pub const EVICTED: i32 = 8;
    /// Entry expired.
    pub const EXPIRED: i32 = 16;
    /// All entries evicted.
    pub const EVICT_ALL: i32 = 32;
    /// Map cleared.
    pub const CLEAR_ALL: i32 = 64;
    /// Entry merged after a split brain.
    pub const MERGED: i32 = 128;
    /// Near-cache invalidation.
    pub const INVALIDATION: i32 = 256;
    /// Entry loaded from a map store.
    pub const LOADED: i32 = 512;
    /// Added, removed, updated, evicted and expired.
    pub const ALL_ENTRY: i32 = ADDED | REMOVED | UPDATED | EVICTED | EXPIRED;
}

/// What to listen to, and how many events wait for the reader.
///
/// ```
/// use hazelcast_client::{EntryListenerOptions, event_type};
///
/// // Keys only, changes only, and room for 16,384 events while the reader is busy.
/// let options = EntryListenerOptions {
///     include_value: false,
///     flags: event_type::ADDED | event_type::UPDATED | event_type::REMOVED,
///     buffer: Some(16_384),
/// };
/// assert_eq!(options.buffer_or(1024), 16_384);
/// assert_eq!(EntryListenerOptions::default().buffer_or(1024), 1024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryListenerOptions {
    /// Send values with events.
    pub include_value: bool,
    /// Event types wanted (see [`event_type`]).
    pub flags: i32,
    /// Events this stream buffers before new ones are dropped; `None` takes the client's
    /// [`ClientConfig::listener_buffer`](crate::ClientConfig::listener_buffer). The buffer
    /// grows in small blocks as events wait, so a large bound costs memory only while the
    /// reader lags; 0 counts as 1.
    pub buffer: Option<usize>,
}

impl EntryListenerOptions {
    /// The buffer this stream gets: [`buffer`](Self::buffer), else `client_default`;
    /// at least 1.
    pub fn buffer_or(&self, client_default: usize) -> usize {
        self.buffer.unwrap_or(client_default).max(1)
    }
}

impl Default for EntryListenerOptions {
    fn default() -> Self {
        Self {
            include_value: true,
            flags: event_type::ALL_ENTRY,
            buffer: None,
        }
    }
}

/// One entry event, with serialized key and values (decode them with
/// [`Client::decode`](crate::Client::decode)).
#[derive(Debug, Clone, PartialEq)]
pub struct EntryEvent {
    /// The event type (one bit of [`event_type`]).
    pub event_type: i32,
    /// The key.
    pub key: Option<Data>,
    /// The new value (when values are included).
    pub value: Option<Data>,
    /// The old value (when values are included).
    pub old_value: Option<Data>,
    /// The merging value.
    pub merging_value: Option<Data>,
    /// The member that fired the event.
    pub member: Uuid,
    /// Entries affected (map-wide events).
    pub affected_entries: i32,
}

#[derive(Debug, Clone)]
struct Registration {
    server_id: Option<Uuid>,
    correlation_id: i64,
    conn: Weak<Connection>,
}

/// A function the connection's reader calls with each event of a listener, before the
/// event is queued on the listener's stream: `true` when it took the event (not queued),
/// `false` to queue it as usual. It runs on the reader, so it must be quick and must
/// not block: no locks held for long, no waiting. The event's data share the reader's
/// buffer: copy what you keep ([`Data::detached`]).
pub type InlineHandler = Arc<dyn Fn(&EntryEvent) -> bool + Send + Sync>;

/// A listener of the client: what to register and where the events go.
pub(crate) struct ListenerEntry {
    pub(crate) id: u64,
    map_name: String,
    options: EntryListenerOptions,
    inline: Option<InlineHandler>,
    tx: mpsc::Sender<EntryEvent>,
    dropped: AtomicU64,
    client: Weak<Inner>,
    /// Per connection id: the member's registration (None while registering).
    regs: Mutex<HashMap<u64, Registration>>,
}

impl std::fmt::Debug for ListenerEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ListenerEntry")
            .field("id", &self.id)
            .field("map_name", &self.map_name)
            .field("options", &self.options)
            .field("inline", &self.inline.is_some())
            .field("dropped", &self.dropped)
            .finish_non_exhaustive()
    }
}

impl ListenerEntry {
    fn regs(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Registration>> {
        self.regs.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Drops the registration of a closed connection.
    pub(crate) fn forget_connection(&self, conn_id: u64) {
        self.regs().remove(&conn_id);
    }

    fn deliver(&self, m: &Message) {
        let e = match MapAddEntryListenerEntryEvent::decode(m) {
            Ok(e) => e,
            Err(err) => {
                tracing::debug!(error = %err, "malformed entry event ignored");
                return;
            }
        };
        let mut event = EntryEvent {
            event_type: e.event_type,
            key: e.key,
            value: e.value,
            old_value: e.old_value,
            merging_value: e.merging_value,
            member: e.uuid,
            affected_entries: e.number_of_affected_entries,
        };
        // An inline handler reads the event in place, while the read buffer is current.
        if self.inline.as_ref().is_some_and(|take| take(&event)) {
            return;
        }
        // Queued events may be kept: they must not hold the connection's read buffer.
        for data in [
            &mut event.key,
            &mut event.value,
            &mut event.old_value,
            &mut event.merging_value,
        ]
        .into_iter()
        .flatten()
        {
            *data = data.detached();
        }
        if let Err(mpsc::error::TrySendError::Full(_)) = self.tx.try_send(event) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            if let Some(c) = self.client.upgrade() {
                Stats::bump(
                    &c.stats.dropped_events,
                    crate::stats::metric::DROPPED_EVENTS,
                );
            }
            tracing::debug!(listener = self.id, "listener buffer full: event dropped");
        }
    }

    /// Registers on one connection unless already registered there.
    pub(crate) async fn register_on(
        self: &Arc<Self>,
        inner: &Inner,
        conn: &Arc<Connection>,
    ) -> Result<(), ClientError> {
        {
            let mut regs = self.regs();
            if regs.contains_key(&conn.id) {
                return Ok(());
            }
            regs.insert(
                conn.id,
                Registration {
                    server_id: None,
                    correlation_id: 0,
                    conn: Arc::downgrade(conn),
                },
            );
        }
        let weak = Arc::downgrade(self);
        let handler: EventHandler = Arc::new(move |m: &Message| {
            if let Some(l) = weak.upgrade() {
                l.deliver(m);
            }
        });
        let req = MapAddEntryListenerRequest {
            name: self.map_name.clone(),
            include_value: self.options.include_value,
            listener_flags: self.options.flags,
            local_only: inner.config.routing == RoutingMode::Smart,
        }
        .encode();
        match inner.invoke_on(conn, req, Some(handler)).await {
            Ok(resp) => {
                let server_id = MapAddEntryListenerResponse::decode(&resp)?.response;
                // The correlation id of the registration is the one events carry; read it
                // from the response.
                let mut regs = self.regs();
                if let Some(r) = regs.get_mut(&conn.id) {
                    r.server_id = Some(server_id);
                    r.correlation_id = resp.correlation_id();
                }
                Ok(())
            }
            Err(e) => {
                self.regs().remove(&conn.id);
                Err(e)
            }
        }
    }
}

/// The events of one entry listener. Dropping it removes the listener from the cluster.
#[derive(Debug)]
pub struct EntryStream {
    rx: mpsc::Receiver<EntryEvent>,
    entry: Arc<ListenerEntry>,
}

impl EntryStream {
    /// Events dropped so far because the buffer was full.
    pub fn dropped(&self) -> u64 {
        self.entry.dropped.load(Ordering::Relaxed)
    }

    /// Waits for the next event (`None` once the client shut down).
    pub async fn next_event(&mut self) -> Option<EntryEvent> {
        self.rx.recv().await
    }
}

impl futures_core::Stream for EntryStream {
    type Item = EntryEvent;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<EntryEvent>> {
        self.rx.poll_recv(cx)
    }
}

impl Drop for EntryStream {
    fn drop(&mut self) {
        let Some(inner) = self.entry.client.upgrade() else {
            return;
        };
        inner
            .listeners
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.entry.id);
        let regs: Vec<Registration> = self.entry.regs().drain().map(|(_, r)| r).collect();
        let name = self.entry.map_name.clone();
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        rt.spawn(async move {
            for r in regs {
                let (Some(conn), Some(server_id)) = (r.conn.upgrade(), r.server_id) else {
                    continue;
                };
                conn.remove_handler(r.correlation_id);
                let req = MapRemoveEntryListenerRequest {
                    name: name.clone(),
                    registration_id: server_id,
                }
                .encode();
                if let Err(e) = inner.invoke_on(&conn, req, None).await {
                    tracing::debug!(error = %e, "could not remove an entry listener");
                }
            }
        });
    }
}

/// Adds an entry listener on map `name` and registers it on every connection.
pub(crate) async fn add_entry_listener(
    inner: &Arc<Inner>,
    map_name: &str,
    options: EntryListenerOptions,
    inline: Option<InlineHandler>,
) -> Result<EntryStream, ClientError> {
    let (tx, rx) = mpsc::channel(options.buffer_or(inner.config.listener_buffer));
    let entry = Arc::new(ListenerEntry {
        id: inner.next_listener_id(),
        map_name: map_name.to_owned(),
        options,
        inline,
        tx,
        dropped: AtomicU64::new(0),
        client: Arc::downgrade(inner),
        regs: Mutex::new(HashMap::new()),
    });
    inner
        .listeners
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(entry.id, Arc::clone(&entry));
    let stream = EntryStream {
        rx,
        entry: Arc::clone(&entry),
    };
    let conns = inner.connections();
    let targets: Vec<_> = match inner.config.routing {
        RoutingMode::Smart => conns,
        RoutingMode::SingleConnection => conns.into_iter().take(1).collect(),
    };
    let mut last = None;
    let mut ok = 0;
    for c in &targets {
        match entry.register_on(inner, c).await {
            Ok(()) => ok += 1,
            Err(e) => last = Some(e),
        }
    }
    match last {
        Some(e) if ok == 0 => Err(e),
        _ => Ok(stream),
    }
}
