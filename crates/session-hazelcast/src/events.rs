//! The value-carrying entry listener behind
//! [`subscribe`](session_core::SessionRepository::subscribe): registered while someone
//! subscribes, translating entry events into session events, and signalling every gap as
//! [`SessionEvent::Lagged`].

use std::collections::HashMap;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use hazelcast_client::listener::event_type;
use hazelcast_client::{AsCompact, EntryEvent, EntryListenerOptions};
use session_core::{SessionEvent, SessionEventStream};
use tokio::task::JoinHandle;

use crate::record::BackingMapSession;
use crate::repository::{HazelcastSessionRepository, Inner, lock};
use crate::telemetry;

/// How often the event listener task checks that someone still subscribes.
const LISTENER_IDLE_CHECK: Duration = Duration::from_millis(500);
/// How long a write waits for a listener registration in progress (so that a subscriber
/// sees the events of writes made after it subscribed).
const LISTENER_READY_WAIT: Duration = Duration::from_millis(1000);

/// The state of the lazily registered entry listener.
#[derive(Debug, Default)]
pub(crate) struct ListenerState {
    /// The task that registers the listener and translates its events, while someone
    /// subscribes.
    pub(crate) task: Option<JoinHandle<()>>,
    /// True once the listener is registered (writes wait for it, briefly).
    pub(crate) ready: Option<tokio::sync::watch::Receiver<bool>>,
}

/// Registers the entry listener, turns its events into session events, signals every gap
/// as [`SessionEvent::Lagged`] (events dropped by a full buffer: their number; a reconnect
/// or failover: `missed: 0`, number unknown), and removes the listener once nobody
/// subscribes.
///
/// - ADDED with `originalId == id` (or no original id) → Created. A change of id writes
///   the new key with the old id as `originalId`: no Created for it (HSS's rule).
/// - REMOVED with an old value → Deleted, except for the old key of a change of id (its
///   last value names the new id, which exists).
/// - EXPIRED and EVICTED → Expired.
pub(crate) async fn run_listener(inner: Weak<Inner>, ready: tokio::sync::watch::Sender<bool>) {
    let mut pause = Duration::from_millis(100);
    let mut stream = loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        if strong.events.subscriber_count() == 0 && strong.stop_listener_if_unused() {
            return;
        }
        let options = EntryListenerOptions {
            include_value: true,
            flags: event_type::ADDED
                | event_type::REMOVED
                | event_type::EXPIRED
                | event_type::EVICTED,
            buffer: None,
        };
        match strong.map.entry_events(options).await {
            Ok(stream) => break stream,
            Err(e) => {
                tracing::warn!(error = %e, "could not register the session event listener; retrying");
                drop(strong);
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
            }
        }
    };
    let _ = ready.send(true);
    let Some(mut cluster) = inner.upgrade().map(|i| i.cluster.clone()) else {
        return;
    };
    cluster.mark_unchanged();
    let mut dropped = stream.dropped();
    let mut renames = RecentRenames::default();
    let mut tick = tokio::time::interval(LISTENER_IDLE_CHECK);
    loop {
        tokio::select! {
            event = stream.next_event() => {
                let Some(event) = event else { return };
                let Some(strong) = inner.upgrade() else { return };
                let now_dropped = stream.dropped();
                if now_dropped > dropped {
                    telemetry::count_n(&telemetry::keys::DROPPED_EVENTS, now_dropped - dropped);
                    lagged(&strong, now_dropped - dropped);
                    dropped = now_dropped;
                }
                if let Some(e) = translate(&strong, &mut renames, &event).await {
                    strong.events.publish(e);
                }
            }
            changed = cluster.changed() => {
                if changed.is_err() {
                    return;
                }
                let Some(strong) = inner.upgrade() else { return };
                // Events while the client had no connection are lost (a reconnect), or
                // belong to another cluster (a failover).
                lagged(&strong, 0);
            }
            _ = tick.tick() => {
                let Some(strong) = inner.upgrade() else { return };
                let now_dropped = stream.dropped();
                if now_dropped > dropped {
                    telemetry::count_n(&telemetry::keys::DROPPED_EVENTS, now_dropped - dropped);
                    lagged(&strong, now_dropped - dropped);
                    dropped = now_dropped;
                }
                if strong.events.subscriber_count() == 0 && strong.stop_listener_if_unused() {
                    // Dropping the stream removes the listener from the cluster.
                    return;
                }
            }
        }
    }
}

/// Old ids of the changes of id seen lately (their new key's ADDED event), so that the
/// old key's removal is not reported as Deleted even when the new id is already gone
/// again (deleted right after the change) by the time the removal is translated.
#[derive(Debug, Default)]
struct RecentRenames {
    old_ids: HashMap<String, Instant>,
}

/// How long a change of id is remembered.
const RENAME_MEMORY: Duration = Duration::from_secs(30);
/// At most this many changes of id are remembered (the oldest beyond it are forgotten).
const RENAME_MEMORY_CAPACITY: usize = 10_000;

impl RecentRenames {
    fn remember(&mut self, old_id: String) {
        let now = Instant::now();
        if self.old_ids.len() >= RENAME_MEMORY_CAPACITY {
            self.old_ids
                .retain(|_, at| now.duration_since(*at) < RENAME_MEMORY);
            if self.old_ids.len() >= RENAME_MEMORY_CAPACITY
                && let Some(oldest) = self
                    .old_ids
                    .iter()
                    .min_by_key(|(_, at)| **at)
                    .map(|(k, _)| k.clone())
            {
                self.old_ids.remove(&oldest);
            }
        }
        self.old_ids.insert(old_id, now);
    }

    fn take(&mut self, old_id: &str) -> bool {
        self.old_ids
            .remove(old_id)
            .is_some_and(|at| at.elapsed() < RENAME_MEMORY)
    }
}

async fn translate(
    inner: &Inner,
    renames: &mut RecentRenames,
    event: &EntryEvent,
) -> Option<SessionEvent> {
    let client = &inner.client;
    let id: String = client.decode(event.key.as_ref()?).await.ok()?;
    match event.event_type {
        event_type::ADDED => {
            let value = event.value.as_ref()?;
            let AsCompact(record) = client
                .decode::<AsCompact<BackingMapSession>>(value)
                .await
                .ok()?;
            match record.original_id {
                Some(old) if old != id => {
                    renames.remember(old);
                    None
                }
                _ => Some(SessionEvent::Created { id }),
            }
        }
        event_type::REMOVED => {
            let old = event.old_value.as_ref().filter(|v| !v.is_null())?;
            // The old key of a change of id is removed with its last value naming the new
            // id as `originalId`: no Deleted when that change of id was seen (its new
            // key's ADDED), or when the new id exists.
            if let Ok(AsCompact(record)) = client.decode::<AsCompact<BackingMapSession>>(old).await
                && let Some(new_id) = record.original_id.filter(|o| *o != id)
                && (renames.take(&id) || inner.map.contains_key(&new_id).await.unwrap_or(false))
            {
                return None;
            }
            Some(SessionEvent::Deleted { id })
        }
        event_type::EXPIRED | event_type::EVICTED => Some(SessionEvent::Expired { id }),
        _ => None,
    }
}

/// Publishes a gap to subscribers and counts it.
fn lagged(inner: &Inner, missed: u64) {
    telemetry::count(&telemetry::keys::LAGGED);
    inner.events.publish(SessionEvent::Lagged { missed });
}

impl HazelcastSessionRepository {
    /// Whether the value-carrying entry listener is registered (someone subscribes).
    pub fn is_listening(&self) -> bool {
        lock(&self.inner.listener)
            .ready
            .as_ref()
            .is_some_and(|r| *r.borrow())
    }

    /// Waits (briefly) for a listener registration in progress, so that a subscriber
    /// sees the events of this repository's writes made after it subscribed.
    pub(crate) async fn await_listener(&self) {
        let ready = lock(&self.inner.listener).ready.clone();
        if let Some(mut ready) = ready
            && !*ready.borrow()
            && self.inner.client.is_connected()
        {
            let _ = tokio::time::timeout(LISTENER_READY_WAIT, ready.wait_for(|r| *r)).await;
        }
    }

    /// A stream of session events; starts the listener if it is not running.
    pub(crate) fn subscribe_events(&self) -> SessionEventStream {
        let mut state = lock(&self.inner.listener);
        let stream = self.inner.events.subscribe();
        let running = state.task.as_ref().is_some_and(|t| !t.is_finished());
        if !running {
            let (tx, rx) = tokio::sync::watch::channel(false);
            state.ready = Some(rx);
            match tokio::runtime::Handle::try_current() {
                Ok(rt) => {
                    state.task = Some(rt.spawn(run_listener(Arc::downgrade(&self.inner), tx)));
                }
                Err(_) => {
                    tracing::warn!("subscribe outside a tokio runtime: no session events");
                    state.ready = None;
                }
            }
        }
        stream
    }
}
