//! In-flight invocations by correlation id, with backup-ack bookkeeping.
//!
//! A response whose `backupAcks` byte is `n > 0` completes the call only once `n` backup
//! events for its correlation id have arrived; acks may come before the response, so they are
//! counted from the moment the call is registered. If acks are still missing
//! `backup_ack_timeout` after the response, the call completes normally (Java's default,
//! `fail.on.indeterminate.state = false`).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use hazelcast_protocol::message::Message;
use tokio::sync::oneshot;

use crate::error::ClientError;

/// What the caller of an invocation receives.
pub(crate) type Outcome = Result<Message, ClientError>;

#[derive(Debug)]
struct Entry {
    tx: oneshot::Sender<Outcome>,
    conn_id: u64,
    acks_received: u32,
    /// The response, held back until its backup acks arrive.
    held: Option<(Message, Instant)>,
}

/// The table of in-flight invocations.
#[derive(Debug, Default)]
pub(crate) struct PendingTable {
    map: Mutex<HashMap<i64, Entry>>,
}

impl PendingTable {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Entry>> {
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Registers a call sent on connection `conn_id`.
    pub(crate) fn register(&self, correlation_id: i64, conn_id: u64) -> oneshot::Receiver<Outcome> {
        let (tx, rx) = oneshot::channel();
        self.lock().insert(
            correlation_id,
            Entry {
                tx,
                conn_id,
                acks_received: 0,
                held: None,
            },
        );
        rx
    }

    /// Forgets a call (timed out or never sent).
    pub(crate) fn remove(&self, correlation_id: i64) {
        self.lock().remove(&correlation_id);
    }

    /// Number of calls in flight.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    /// A response arrived. With `wait_for_backups`, it is held until its acks arrive.
    /// Returns false when nobody waits for this correlation id.
    pub(crate) fn on_response(&self, message: Message, wait_for_backups: bool) -> bool {
        let id = message.correlation_id();
        let mut map = self.lock();
        let Some(entry) = map.get_mut(&id) else {
            return false;
        };
        let expected = if wait_for_backups {
            u32::from(message.backup_acks())
        } else {
            0
        };
        if entry.acks_received >= expected {
            if let Some(e) = map.remove(&id) {
                let _ = e.tx.send(Ok(message));
            }
        } else {
            entry.held = Some((message, Instant::now()));
        }
        true
    }

    /// A backup ack for the call `correlation_id` arrived.
    pub(crate) fn on_backup_ack(&self, correlation_id: i64) {
        let mut map = self.lock();
        let Some(entry) = map.get_mut(&correlation_id) else {
            return;
        };
        entry.acks_received = entry.acks_received.saturating_add(1);
        let done = entry
            .held
            .as_ref()
            .is_some_and(|(m, _)| entry.acks_received >= u32::from(m.backup_acks()));
        if done
            && let Some(Entry {
                tx,
                held: Some((m, _)),
                ..
            }) = map.remove(&correlation_id)
        {
            let _ = tx.send(Ok(m));
        }
    }

    /// Completes held responses whose acks did not come within `timeout`. Returns how many.
    pub(crate) fn expire_backup_waits(&self, timeout: Duration) -> usize {
        let now = Instant::now();
        let mut map = self.lock();
        let expired: Vec<i64> = map
            .iter()
            .filter(|(_, e)| {
                e.held
                    .as_ref()
                    .is_some_and(|(_, at)| now.duration_since(*at) >= timeout)
            })
            .map(|(id, _)| *id)
            .collect();
        for id in &expired {
            if let Some(Entry {
                tx,
                held: Some((m, _)),
                ..
            }) = map.remove(id)
            {
                let _ = tx.send(Ok(m));
            }
        }
        expired.len()
    }

    /// Fails every call sent on `conn_id`. A call whose response is held for backup acks has
    /// its answer already: it completes normally.
    /// Returns how many held responses were completed.
    pub(crate) fn fail_connection(&self, conn_id: u64, error: impl Fn() -> ClientError) -> usize {
        let mut map = self.lock();
        let ids: Vec<i64> = map
            .iter()
            .filter(|(_, e)| e.conn_id == conn_id)
            .map(|(id, _)| *id)
            .collect();
        let mut held = 0;
        for id in ids {
            if let Some(e) = map.remove(&id) {
                let outcome = match e.held {
                    Some((m, _)) => {
                        held += 1;
                        Ok(m)
                    }
                    None => Err(error()),
                };
                let _ = e.tx.send(outcome);
            }
        }
        held
    }

    /// Completes every call whose response is held only for backup acks (a member left:
    /// the owner applied the write, the cluster re-creates the lost backups). Returns how
    /// many.
    pub(crate) fn release_held(&self) -> usize {
        let mut map = self.lock();
        let ids: Vec<i64> = map
            .iter()
            .filter(|(_, e)| e.held.is_some())
            .map(|(id, _)| *id)
            .collect();
        for id in &ids {
            if let Some(Entry {
                tx,
                held: Some((m, _)),
                ..
            }) = map.remove(id)
            {
                let _ = tx.send(Ok(m));
            }
        }
        ids.len()
    }

    /// Fails every call.
    pub(crate) fn fail_all(&self, error: impl Fn() -> ClientError) {
        let drained: Vec<Entry> = self.lock().drain().map(|(_, e)| e).collect();
        for e in drained {
            let _ = e.tx.send(Err(error()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hazelcast_protocol::codec::map::MapSetResponse;

    fn response(id: i64, acks: u8) -> Message {
        let mut m = MapSetResponse {}.encode();
        m.set_correlation_id(id);
        m.set_backup_acks(acks);
        m
    }

    #[test]
    fn response_without_acks_completes_at_once() {
        let t = PendingTable::default();
        let mut rx = t.register(1, 7);
        assert!(t.on_response(response(1, 0), true));
        assert!(rx.try_recv().expect("completed").is_ok());
        assert_eq!(t.len(), 0);
        assert!(
            !t.on_response(response(1, 0), true),
            "unknown id is reported"
        );
    }

    #[test]
    fn acks_before_and_after_the_response_are_counted() {
        let t = PendingTable::default();
        let mut rx = t.register(5, 1);
        t.on_backup_ack(5); // early ack
        assert!(t.on_response(response(5, 2), true));
        assert!(rx.try_recv().is_err(), "one ack still missing");
        t.on_backup_ack(5);
        assert!(rx.try_recv().expect("completed").is_ok());
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn all_acks_early_completes_on_response() {
        let t = PendingTable::default();
        let mut rx = t.register(9, 1);
        t.on_backup_ack(9);
        t.on_response(response(9, 1), true);
        assert!(rx.try_recv().expect("completed").is_ok());
    }

    #[test]
    fn acks_ignored_when_not_waiting_for_backups() {
        let t = PendingTable::default();
        let mut rx = t.register(2, 1);
        t.on_response(response(2, 3), false);
        assert!(rx.try_recv().expect("completed").is_ok());
    }

    #[test]
    fn missing_acks_complete_normally_after_the_timeout() {
        let t = PendingTable::default();
        let mut rx = t.register(3, 1);
        t.on_response(response(3, 1), true);
        assert_eq!(t.expire_backup_waits(Duration::from_secs(60)), 0);
        assert!(rx.try_recv().is_err());
        assert_eq!(t.expire_backup_waits(Duration::ZERO), 1);
        assert!(rx.try_recv().expect("completed").is_ok());
    }

    #[test]
    fn release_held_completes_only_calls_waiting_for_acks() {
        let t = PendingTable::default();
        let mut waiting = t.register(1, 10);
        let mut held = t.register(2, 11);
        t.on_response(response(2, 1), true);
        assert_eq!(t.release_held(), 1);
        assert!(matches!(held.try_recv(), Ok(Ok(_))));
        assert!(
            waiting.try_recv().is_err(),
            "no response yet: still pending"
        );
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn connection_failure_fails_only_its_calls() {
        let t = PendingTable::default();
        let mut a = t.register(1, 10);
        let mut b = t.register(2, 11);
        let mut held = t.register(3, 10);
        t.on_response(response(3, 1), true);
        t.fail_connection(10, || ClientError::NoConnection("gone".into()));
        assert!(matches!(
            a.try_recv(),
            Ok(Err(ClientError::NoConnection(_)))
        ));
        assert!(
            matches!(held.try_recv(), Ok(Ok(_))),
            "held response completes"
        );
        assert!(b.try_recv().is_err());
        t.fail_all(|| ClientError::ClientShutdown);
        assert!(matches!(b.try_recv(), Ok(Err(ClientError::ClientShutdown))));
    }
}
