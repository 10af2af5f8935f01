//! The keys-only entry listener that keeps the local cache ([`crate::cache`]) fresh: every
//! entry event drops the key's record, and every possible gap in the events empties the
//! whole cache.
//!
//! Gaps: the listener (re-)registered, events dropped by a full buffer, a map-wide event
//! (clear, evict all), a reconnect or failover (the client's cluster connection changed),
//! and any change of the member list or of the client's connections (a connection
//! re-opened, partitions migrating to a new member: its listener registration can come
//! after the first events). After a gap the cache serves nothing for [`SETTLE`], and is
//! emptied again at its end, so that registrations completing on new connections are in
//! place before records are served again.

use std::sync::{Arc, Weak};
use std::time::Duration;

use hazelcast_client::listener::event_type;
use hazelcast_client::{Client, EntryEvent, EntryListenerOptions, InlineHandler, Member};
use hazelcast_protocol::data::{Data, type_id};
use hazelcast_protocol::serialization::DataInput;
use tokio::time::Instant;

use crate::repository::Inner;

/// How long the cache serves nothing after a gap.
pub(crate) const SETTLE: Duration = Duration::from_secs(3);
/// How often the member list, the connections and the dropped-event count are checked.
const CHECK_EVERY: Duration = Duration::from_millis(100);

/// The members and connections as last seen: any change may have lost events.
fn topology(client: &Client) -> (Vec<Member>, usize) {
    let mut members = client.members();
    members.sort_unstable_by_key(|m| m.uuid);
    (members, client.connection_count())
}

/// The text of a key serialized as a Hazelcast String (how session ids are stored), read
/// in place; `None` for any other key.
fn string_key(key: &Data) -> Option<&str> {
    if key.type_id() != Some(type_id::STRING) {
        return None;
    }
    let mut input = DataInput::new(key.payload());
    let text = input.read_str().ok()?;
    input.finish().ok()?;
    Some(text)
}

/// Runs while the repository lives: registers the keys-only listener (again after a
/// failure), invalidates on every event (session keys on the connection's reader, see
/// below) and flushes on every gap.
pub(crate) async fn run(inner: Weak<Inner>) {
    let mut pause = Duration::from_millis(100);
    loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        strong.cache.set_serving(false);
        strong.cache.flush();
        let options = EntryListenerOptions {
            include_value: false,
            flags: event_type::ALL_ENTRY
                | event_type::EVICT_ALL
                | event_type::CLEAR_ALL
                | event_type::MERGED,
            buffer: None,
        };
        // Events of session keys invalidate on the connection's reader as they arrive (no
        // buffer to overflow, no task to wait for); the rest (map-wide events, keys that
        // are not plain strings) reach the stream below.
        let cache = Arc::clone(&strong.cache);
        let inline: InlineHandler =
            Arc::new(
                move |event: &EntryEvent| match event.key.as_ref().and_then(string_key) {
                    Some(id) => {
                        cache.on_event(id);
                        true
                    }
                    None => false,
                },
            );
        let mut stream = match strong.map.entry_events_with(options, inline).await {
            Ok(stream) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "could not register the local cache's listener; retrying");
                drop(strong);
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
                continue;
            }
        };
        let client = strong.client.clone();
        let mut cluster = strong.cluster.clone();
        cluster.mark_unchanged();
        // Loads between the flush above and the registration may hold records whose
        // events were missed.
        strong.cache.flush();
        strong.cache.set_listening(true);
        strong.cache.set_serving(true);
        drop(strong);
        tracing::debug!("local session cache listening");

        let mut dropped = stream.dropped();
        let mut seen = topology(&client);
        let mut settle_until: Option<Instant> = None;
        let mut tick = tokio::time::interval(CHECK_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let gap = |inner: &Inner, settle: &mut Option<Instant>, reason: &'static str| {
            inner.cache.set_serving(false);
            inner.cache.flush();
            *settle = Some(Instant::now() + SETTLE);
            tracing::debug!(reason, "local session cache flushed");
        };
        loop {
            tokio::select! {
                event = stream.next_event() => {
                    let Some(strong) = inner.upgrade() else { return };
                    let Some(event) = event else {
                        // The client shut down.
                        strong.cache.set_listening(false);
                        strong.cache.set_serving(false);
                        strong.cache.flush();
                        return;
                    };
                    let now_dropped = stream.dropped();
                    if now_dropped > dropped {
                        crate::telemetry::count_n(&crate::telemetry::keys::DROPPED_EVENTS, now_dropped - dropped);
                        dropped = now_dropped;
                        gap(&strong, &mut settle_until, "entry events dropped");
                    }
                    // Plain string keys were taken on the reader: what is left is a
                    // map-wide event or a key in another serialized form.
                    let key = match &event.key {
                        Some(k) => client.decode::<String>(k).await.ok(),
                        None => None,
                    };
                    match key {
                        Some(key) => strong.cache.on_event(&key),
                        // Map-wide events, or a key that is not a session id.
                        None => gap(&strong, &mut settle_until, "map-wide event"),
                    }
                }
                changed = cluster.changed() => {
                    let Some(strong) = inner.upgrade() else { return };
                    if changed.is_err() {
                        strong.cache.set_listening(false);
                        strong.cache.set_serving(false);
                        strong.cache.flush();
                        return;
                    }
                    gap(&strong, &mut settle_until, "reconnected or failed over");
                }
                _ = tick.tick() => {
                    let Some(strong) = inner.upgrade() else { return };
                    let now_dropped = stream.dropped();
                    if now_dropped > dropped {
                        crate::telemetry::count_n(&crate::telemetry::keys::DROPPED_EVENTS, now_dropped - dropped);
                        dropped = now_dropped;
                        gap(&strong, &mut settle_until, "entry events dropped");
                    }
                    let now = topology(&client);
                    if now != seen {
                        seen = now;
                        gap(&strong, &mut settle_until, "members or connections changed");
                    }
                    if settle_until.is_some_and(|t| Instant::now() >= t) && client.is_connected() {
                        settle_until = None;
                        strong.cache.flush();
                        strong.cache.set_serving(true);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hazelcast_protocol::serialization::ToData;

    #[test]
    fn string_keys_are_read_in_place_and_others_are_not() {
        let id = "0b9c1a3e-session-id";
        let data = id.to_owned().to_data().expect("a string serializes");
        assert_eq!(string_key(&data), Some(id));
        let number = 42_i64.to_data().expect("a long serializes");
        assert_eq!(string_key(&number), None);
        let mut truncated = data.as_bytes().to_vec();
        truncated.pop();
        assert_eq!(string_key(&Data::from_bytes(truncated)), None);
        assert_eq!(string_key(&Data::from_bytes(Vec::new())), None);
    }
}
