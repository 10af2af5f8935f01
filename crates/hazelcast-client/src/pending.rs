//! In-flight invocations by correlation id, with backup-ack bookkeeping.
//!
//! A response whose `backupAcks` byte is `n > 0` completes the call only once `n` backup
//! events for its correlation id have arrived; acks may come before the response, so they are
//! counted from the moment the call is registered. If acks are still missing
//! `backup_ack_timeout` after the response, the call completes normally (Java's default,
//! `fail.on.indeterminate.state = false`). Two events end the wait sooner: a member leaving
//! completes the held calls of every other connection (their owners hold the writes), and
//! the connection a held call was answered on closing fails it as of unknown outcome (its
//! owner may have died before sending the backups).
//!
//! Every call carries its deadline, and one task per client (`Inner::run_deadlines`)
//! sleeps until the earliest one and fails the calls whose deadline passed
//! ([`Failed::Deadline`]), instead of a timer per call: registering a call costs one load of
//! a shared atomic (and, when its deadline is the new earliest, a wake of that task), and
//! the task wakes about once per invocation timeout when calls complete in time.
//!
//! A call's request and the slot its outcome lands in are one allocation ([`Call`]), shared
//! by the caller, the writer's queue and this table: no channel per call.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use hazelcast_protocol::message::Message;
use tokio::sync::Notify;

use crate::error::ClientError;

/// What the caller of an invocation receives.
pub(crate) type Outcome = Result<Message, Failed>;

/// Why a call ended without a response.
#[derive(Debug)]
pub(crate) enum Failed {
    /// The connection failed, the client shut down, ...
    Error(ClientError),
    /// The call's deadline passed.
    Deadline,
}

/// One attempt of an invocation: the request (written by the connection, kept for a
/// retry) and the slot its outcome lands in. Completed at most once: later outcomes are
/// dropped.
#[derive(Debug)]
pub(crate) struct Call {
    request: Message,
    slot: Mutex<Slot>,
}

#[derive(Debug, Default)]
struct Slot {
    outcome: Option<Outcome>,
    /// Taken by the first completion; later ones change nothing.
    completed: bool,
    waker: Option<Waker>,
}

/// A copy of the request with a fresh, empty slot: a new attempt (see `next_attempt`).
impl Clone for Call {
    fn clone(&self) -> Self {
        Self::new(self.request.clone())
    }
}

impl Call {
    /// A call of `request`, not completed.
    pub(crate) fn new(request: Message) -> Self {
        Self {
            request,
            slot: Mutex::new(Slot::default()),
        }
    }

    /// The request.
    pub(crate) fn request(&self) -> &Message {
        &self.request
    }

    /// The request, once the call is over.
    pub(crate) fn into_request(self) -> Message {
        self.request
    }

    /// The request, to change its header before it is sent.
    pub(crate) fn request_mut(&mut self) -> &mut Message {
        &mut self.request
    }

    /// Makes the call ready for another attempt: no outcome, no waiter. Used on a call
    /// that nothing else holds any more.
    pub(crate) fn reset(&mut self) {
        *self.slot.get_mut().unwrap_or_else(PoisonError::into_inner) = Slot::default();
    }

    fn slot(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Delivers the outcome and wakes the waiting caller. Returns false (dropping
    /// `outcome`) when the call was completed already.
    pub(crate) fn complete(&self, outcome: Outcome) -> bool {
        let waker = {
            let mut s = self.slot();
            if s.completed {
                return false;
            }
            s.completed = true;
            s.outcome = Some(outcome);
            s.waker.take()
        };
        // Woken outside the lock.
        if let Some(w) = waker {
            w.wake();
        }
        true
    }

    /// The outcome once it is there (taken: a second poll after `Ready` waits for ever).
    pub(crate) fn poll_outcome(&self, cx: &mut Context<'_>) -> Poll<Outcome> {
        let mut s = self.slot();
        if let Some(o) = s.outcome.take() {
            return Poll::Ready(o);
        }
        match &mut s.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            w => *w = Some(cx.waker().clone()),
        }
        Poll::Pending
    }

    /// The outcome if it is there, without waiting (tests).
    #[cfg(test)]
    pub(crate) fn try_outcome(&self) -> Option<Outcome> {
        self.slot().outcome.take()
    }
}

/// No deadline pending ([`PendingTable::next_deadline`]).
const NO_DEADLINE: u64 = u64::MAX;

/// Number of independently locked shards (a power of two). Correlation ids are sequential,
/// so calls in flight spread evenly and a response rarely waits for another thread's lock.
const SHARDS: usize = 32;

#[derive(Debug)]
struct Entry {
    call: Arc<Call>,
    conn_id: u64,
    /// When the call fails with [`Failed::Deadline`].
    deadline: tokio::time::Instant,
    acks_received: u32,
    /// The response, held back until its backup acks arrive.
    held: Option<(Message, Instant)>,
}

/// A cheap hasher for correlation ids (sequential integers, never chosen by a peer: the
/// client assigns them, a response with an unknown id is simply not found).
#[derive(Debug, Default)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_i64(&mut self, i: i64) {
        // Fibonacci hashing, folded so that the low bits (the bucket) depend on every bit.
        let h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = h ^ (h >> 29);
    }
}

type Shard = HashMap<i64, Entry, BuildHasherDefault<IdHasher>>;

/// One shard on its own cache line, so that two threads working on neighbouring shards do
/// not share one.
#[derive(Debug, Default)]
#[repr(align(64))]
struct Padded(Mutex<Shard>);

/// The table of in-flight invocations, sharded by correlation id.
#[derive(Debug)]
pub(crate) struct PendingTable {
    shards: Box<[Padded]>,
    /// Responses held for backup acks, so that the periodic sweep costs one load when none is.
    held: AtomicUsize,
    /// The origin of `next_deadline`.
    base: tokio::time::Instant,
    /// When the deadline task wakes next, in whole milliseconds after `base` (rounded up),
    /// or [`NO_DEADLINE`]. Never later than the deadline of any call in the table: a call
    /// registered with an earlier deadline lowers it (and wakes the task).
    next_deadline: AtomicU64,
    /// Wakes the deadline task when `next_deadline` was lowered.
    deadline_lowered: Arc<Notify>,
}

impl Default for PendingTable {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Padded::default()).collect(),
            held: AtomicUsize::new(0),
            base: tokio::time::Instant::now(),
            next_deadline: AtomicU64::new(NO_DEADLINE),
            deadline_lowered: Arc::new(Notify::new()),
        }
    }
}

impl PendingTable {
    fn shard(&self, correlation_id: i64) -> MutexGuard<'_, Shard> {
        let i = (correlation_id as u64 as usize) & (SHARDS - 1);
        // The index is masked to the slice's length.
        self.shards[i]
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn shards(&self) -> impl Iterator<Item = MutexGuard<'_, Shard>> {
        self.shards
            .iter()
            .map(|s| s.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Removes an entry, keeping the held count right.
    fn take(&self, map: &mut Shard, correlation_id: i64) -> Option<Entry> {
        let e = map.remove(&correlation_id)?;
        if e.held.is_some() {
            self.held.fetch_sub(1, Ordering::Relaxed);
        }
        Some(e)
    }

    /// `at` in whole milliseconds after `base`, rounded up (so that the deadline task never
    /// wakes before a deadline it is meant for).
    fn millis(&self, at: tokio::time::Instant) -> u64 {
        let d = at.saturating_duration_since(self.base);
        d.as_secs()
            .saturating_mul(1000)
            .saturating_add(u64::from(d.subsec_nanos().div_ceil(1_000_000)))
            .min(NO_DEADLINE - 1)
    }

    /// Registers `call` (whose request carries `correlation_id`), sent on connection
    /// `conn_id`, failed with [`Failed::Deadline`] once `deadline` passes (see
    /// [`expire_deadlines`](Self::expire_deadlines)). Its outcome lands in the call.
    pub(crate) fn register(
        &self,
        correlation_id: i64,
        call: &Arc<Call>,
        conn_id: u64,
        deadline: tokio::time::Instant,
    ) {
        let old = self.shard(correlation_id).insert(
            correlation_id,
            Entry {
                call: Arc::clone(call),
                conn_id,
                deadline,
                acks_received: 0,
                held: None,
            },
        );
        if let Some(o) = old {
            // Correlation ids are unique: this does not happen. If it did, the replaced
            // call must not wait for ever.
            if o.held.is_some() {
                self.held.fetch_sub(1, Ordering::Relaxed);
            }
            o.call.complete(Err(Failed::Error(ClientError::NoConnection(
                "call replaced".into(),
            ))));
        }
        // After the insert (and its unlock): the deadline task resets `next_deadline` before
        // it scans a shard, under the shard's lock, so either its scan sees this entry or
        // this load sees the reset (and lowers it again). All calls share one timeout, so
        // the deadline is rarely the earliest: then this is one load.
        let ms = self.millis(deadline);
        if ms < self.next_deadline.load(Ordering::Relaxed)
            && ms < self.next_deadline.fetch_min(ms, Ordering::AcqRel)
        {
            self.deadline_lowered.notify_one();
        }
    }

    /// When the deadline task should wake next (`None`: no call has a deadline).
    pub(crate) fn next_wake(&self) -> Option<tokio::time::Instant> {
        match self.next_deadline.load(Ordering::Acquire) {
            NO_DEADLINE => None,
            ms => Some(self.base + Duration::from_millis(ms)),
        }
    }

    /// Fails the calls whose deadline is `now` or earlier, and sets when to wake next.
    /// Returns how many failed.
    pub(crate) fn expire_deadlines(&self, now: tokio::time::Instant) -> usize {
        // Reset before scanning: a call registered meanwhile lowers it again itself.
        self.next_deadline.swap(NO_DEADLINE, Ordering::AcqRel);
        let mut earliest = NO_DEADLINE;
        let mut expired = Vec::new();
        for mut map in self.shards() {
            let ids: Vec<i64> = map
                .iter()
                .filter_map(|(id, e)| {
                    if e.deadline <= now {
                        Some(*id)
                    } else {
                        earliest = earliest.min(self.millis(e.deadline));
                        None
                    }
                })
                .collect();
            for id in ids {
                if let Some(e) = self.take(&mut map, id) {
                    expired.push(e.call);
                }
            }
        }
        if earliest != NO_DEADLINE {
            self.next_deadline.fetch_min(earliest, Ordering::AcqRel);
        }
        let n = expired.len();
        for call in expired {
            call.complete(Err(Failed::Deadline));
        }
        n
    }

    /// Notified when the earliest deadline was lowered (the deadline task then re-reads
    /// [`next_wake`](Self::next_wake)).
    pub(crate) fn deadline_lowered(&self) -> Arc<Notify> {
        Arc::clone(&self.deadline_lowered)
    }

    /// Forgets a call (timed out or never sent).
    pub(crate) fn remove(&self, correlation_id: i64) {
        let mut map = self.shard(correlation_id);
        self.take(&mut map, correlation_id);
    }

    /// Number of calls in flight.
    pub(crate) fn len(&self) -> usize {
        self.shards().map(|m| m.len()).sum()
    }

    /// A response arrived. With `wait_for_backups`, it is held until its acks arrive.
    /// Returns false when nobody waits for this correlation id.
    pub(crate) fn on_response(&self, message: Message, wait_for_backups: bool) -> bool {
        let id = message.correlation_id();
        let expected = if wait_for_backups {
            u32::from(message.backup_acks())
        } else {
            0
        };
        let call = {
            let mut map = self.shard(id);
            let Some(entry) = map.get_mut(&id) else {
                return false;
            };
            if entry.acks_received < expected {
                if entry.held.is_none() {
                    self.held.fetch_add(1, Ordering::Relaxed);
                }
                entry.held = Some((message, Instant::now()));
                return true;
            }
            match self.take(&mut map, id) {
                Some(e) => e.call,
                None => return false,
            }
        };
        // Completing the call (waking its task) happens outside the lock.
        call.complete(Ok(message));
        true
    }

    /// A backup ack for the call `correlation_id` arrived.
    pub(crate) fn on_backup_ack(&self, correlation_id: i64) {
        let done = {
            let mut map = self.shard(correlation_id);
            let Some(entry) = map.get_mut(&correlation_id) else {
                return;
            };
            entry.acks_received = entry.acks_received.saturating_add(1);
            let complete = entry
                .held
                .as_ref()
                .is_some_and(|(m, _)| entry.acks_received >= u32::from(m.backup_acks()));
            if !complete {
                return;
            }
            self.take(&mut map, correlation_id)
        };
        if let Some(Entry {
            call,
            held: Some((m, _)),
            ..
        }) = done
        {
            call.complete(Ok(m));
        }
    }

    /// Removes, from every shard, the entries `pick` selects.
    fn drain_where(&self, mut pick: impl FnMut(&Entry) -> bool) -> Vec<Entry> {
        let mut out = Vec::new();
        for mut map in self.shards() {
            let ids: Vec<i64> = map
                .iter()
                .filter(|(_, e)| pick(e))
                .map(|(id, _)| *id)
                .collect();
            for id in ids {
                if let Some(e) = self.take(&mut map, id) {
                    out.push(e);
                }
            }
        }
        out
    }

    /// Completes held responses whose acks did not come within `timeout`. Returns how many.
    pub(crate) fn expire_backup_waits(&self, timeout: Duration) -> usize {
        if self.held.load(Ordering::Relaxed) == 0 {
            return 0;
        }
        let now = Instant::now();
        let expired = self.drain_where(|e| {
            e.held
                .as_ref()
                .is_some_and(|(_, at)| now.duration_since(*at) >= timeout)
        });
        complete_held(expired)
    }

    /// Fails every call sent on `conn_id` with `error(held)`, `held` telling whether the
    /// call's response had arrived and was held for backup acks. Such a call fails too:
    /// the member behind the connection applied the write as partition owner, but may
    /// have died before its backups were sent, taking the only copy with it; the outcome
    /// is unknown, as for a call without an answer. Returns how many held calls failed.
    pub(crate) fn fail_connection(
        &self,
        conn_id: u64,
        error: impl Fn(bool) -> ClientError,
    ) -> usize {
        let mut held = 0;
        for e in self.drain_where(|e| e.conn_id == conn_id) {
            let was_held = e.held.is_some();
            held += usize::from(was_held);
            e.call.complete(Err(Failed::Error(error(was_held))));
        }
        held
    }

    /// Completes every call whose response is held only for backup acks, except those
    /// sent on the connections `except` (their owner is the member that left): a member
    /// left, so the owners still present hold their writes and the cluster re-creates the
    /// lost backups. Returns how many.
    pub(crate) fn release_held(&self, except: &[u64]) -> usize {
        if self.held.load(Ordering::Relaxed) == 0 {
            return 0;
        }
        complete_held(self.drain_where(|e| e.held.is_some() && !except.contains(&e.conn_id)))
    }

    /// Fails every call.
    pub(crate) fn fail_all(&self, error: impl Fn() -> ClientError) {
        for e in self.drain_where(|_| true) {
            e.call.complete(Err(Failed::Error(error())));
        }
    }
}

/// Completes entries whose responses were held; returns how many.
fn complete_held(entries: Vec<Entry>) -> usize {
    let mut n = 0;
    for e in entries {
        if let Some((m, _)) = e.held {
            e.call.complete(Ok(m));
            n += 1;
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use hazelcast_protocol::codec::map::MapSetResponse;

    /// A deadline no test reaches.
    fn far() -> tokio::time::Instant {
        tokio::time::Instant::now() + Duration::from_secs(3600)
    }

    /// Registers a call of an empty request.
    fn reg(t: &PendingTable, id: i64, conn_id: u64, deadline: tokio::time::Instant) -> Arc<Call> {
        let call = Arc::new(Call::new(response(id, 0)));
        t.register(id, &call, conn_id, deadline);
        call
    }

    /// The outcome if the call completed (once).
    fn try_recv(call: &Call) -> Result<Outcome, ()> {
        call.try_outcome().ok_or(())
    }

    fn response(id: i64, acks: u8) -> Message {
        let mut m = MapSetResponse {}.encode();
        m.set_correlation_id(id);
        m.set_backup_acks(acks);
        m
    }

    #[test]
    fn response_without_acks_completes_at_once() {
        let t = PendingTable::default();
        let rx = reg(&t, 1, 7, far());
        assert!(t.on_response(response(1, 0), true));
        assert!(try_recv(&rx).expect("completed").is_ok());
        assert_eq!(t.len(), 0);
        assert!(
            !t.on_response(response(1, 0), true),
            "unknown id is reported"
        );
    }

    #[test]
    fn acks_before_and_after_the_response_are_counted() {
        let t = PendingTable::default();
        let rx = reg(&t, 5, 1, far());
        t.on_backup_ack(5); // early ack
        assert!(t.on_response(response(5, 2), true));
        assert!(try_recv(&rx).is_err(), "one ack still missing");
        t.on_backup_ack(5);
        assert!(try_recv(&rx).expect("completed").is_ok());
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn all_acks_early_completes_on_response() {
        let t = PendingTable::default();
        let rx = reg(&t, 9, 1, far());
        t.on_backup_ack(9);
        t.on_response(response(9, 1), true);
        assert!(try_recv(&rx).expect("completed").is_ok());
    }

    #[test]
    fn acks_ignored_when_not_waiting_for_backups() {
        let t = PendingTable::default();
        let rx = reg(&t, 2, 1, far());
        t.on_response(response(2, 3), false);
        assert!(try_recv(&rx).expect("completed").is_ok());
    }

    #[test]
    fn missing_acks_complete_normally_after_the_timeout() {
        let t = PendingTable::default();
        let rx = reg(&t, 3, 1, far());
        t.on_response(response(3, 1), true);
        assert_eq!(t.expire_backup_waits(Duration::from_secs(60)), 0);
        assert!(try_recv(&rx).is_err());
        assert_eq!(t.expire_backup_waits(Duration::ZERO), 1);
        assert!(try_recv(&rx).expect("completed").is_ok());
    }

    #[test]
    fn release_held_completes_only_calls_waiting_for_acks() {
        let t = PendingTable::default();
        let waiting = reg(&t, 1, 10, far());
        let held = reg(&t, 2, 11, far());
        let held_on_leaver = reg(&t, 3, 12, far());
        t.on_response(response(2, 1), true);
        t.on_response(response(3, 1), true);
        assert_eq!(t.release_held(&[12]), 1);
        assert!(matches!(try_recv(&held), Ok(Ok(_))));
        assert!(
            try_recv(&waiting).is_err(),
            "no response yet: still pending"
        );
        assert!(
            try_recv(&held_on_leaver).is_err(),
            "answered by the member that left: not released"
        );
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn calls_spread_over_shards_are_all_found() {
        let t = PendingTable::default();
        let rxs: Vec<_> = (0..200).map(|i| reg(&t, i, 1, far())).collect();
        assert_eq!(t.len(), 200);
        for i in (0..200).rev() {
            assert!(t.on_response(response(i, 0), true));
        }
        assert!(rxs.iter().all(|rx| try_recv(rx).is_ok()));
        assert_eq!(t.len(), 0);
        // Held responses are counted, and the count goes back to zero.
        let _a = reg(&t, 1000, 1, far());
        let _b = reg(&t, 1001, 2, far());
        t.on_response(response(1000, 1), true);
        t.on_response(response(1001, 1), true);
        assert_eq!(t.held.load(Ordering::Relaxed), 2);
        assert_eq!(t.fail_connection(1, |_| ClientError::ClientShutdown), 1);
        assert_eq!(t.held.load(Ordering::Relaxed), 1);
        assert_eq!(t.release_held(&[]), 1);
        assert_eq!(t.held.load(Ordering::Relaxed), 0);
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn connection_failure_fails_only_its_calls() {
        let t = PendingTable::default();
        let a = reg(&t, 1, 10, far());
        let b = reg(&t, 2, 11, far());
        let held = reg(&t, 3, 10, far());
        t.on_response(response(3, 1), true);
        let held_count = t.fail_connection(10, |held| {
            if held {
                ClientError::ClientShutdown
            } else {
                ClientError::NoConnection("gone".into())
            }
        });
        assert_eq!(held_count, 1);
        assert!(matches!(
            try_recv(&a),
            Ok(Err(Failed::Error(ClientError::NoConnection(_))))
        ));
        assert!(
            matches!(
                try_recv(&held),
                Ok(Err(Failed::Error(ClientError::ClientShutdown)))
            ),
            "a response held for backup acks fails with the held error: its owner may be gone"
        );
        assert!(try_recv(&b).is_err());
        t.fail_all(|| ClientError::ClientShutdown);
        assert!(matches!(
            try_recv(&b),
            Ok(Err(Failed::Error(ClientError::ClientShutdown)))
        ));
    }

    #[test]
    fn deadlines_fail_only_expired_calls_and_set_the_next_wake() {
        let t = PendingTable::default();
        assert_eq!(t.next_wake(), None, "nothing registered");
        let now = tokio::time::Instant::now();
        let soon = now + Duration::from_millis(50);
        let later = now + Duration::from_secs(10);
        let a = reg(&t, 1, 1, later);
        let wake = t.next_wake().expect("a deadline");
        assert!(wake >= later && wake < later + Duration::from_millis(2));
        let b = reg(&t, 2, 1, soon);
        let wake = t.next_wake().expect("a deadline");
        assert!(
            wake >= soon && wake < soon + Duration::from_millis(2),
            "lowered"
        );
        // Not yet due: nothing fails; the next wake stays at the earliest deadline.
        assert_eq!(t.expire_deadlines(now), 0);
        assert!(t.next_wake().is_some_and(|w| w >= soon && w < later));
        // Past the first deadline: only that call fails.
        assert_eq!(t.expire_deadlines(soon), 1);
        assert!(matches!(try_recv(&b), Ok(Err(Failed::Deadline))));
        assert!(try_recv(&a).is_err(), "still pending");
        assert!(
            t.next_wake().is_some_and(|w| w >= later),
            "next: the later call"
        );
        // An answered call is gone: its deadline fails nothing.
        assert!(t.on_response(response(1, 0), true));
        assert!(matches!(try_recv(&a), Ok(Ok(_))));
        assert_eq!(t.expire_deadlines(later + Duration::from_secs(1)), 0);
        assert_eq!(t.next_wake(), None);
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn a_held_response_still_fails_at_its_deadline() {
        let t = PendingTable::default();
        let now = tokio::time::Instant::now();
        let rx = reg(&t, 4, 1, now + Duration::from_millis(10));
        t.on_response(response(4, 1), true);
        assert_eq!(t.expire_deadlines(now + Duration::from_millis(10)), 1);
        assert!(matches!(try_recv(&rx), Ok(Err(Failed::Deadline))));
        assert_eq!(t.held.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_response_after_the_deadline_changes_nothing() {
        let t = PendingTable::default();
        let now = tokio::time::Instant::now();
        let call = reg(&t, 6, 1, now + Duration::from_millis(5));
        assert_eq!(t.expire_deadlines(now + Duration::from_millis(5)), 1);
        assert!(
            !t.on_response(response(6, 0), true),
            "nobody waits any more"
        );
        assert!(matches!(try_recv(&call), Ok(Err(Failed::Deadline))));
        assert!(try_recv(&call).is_err(), "one outcome only");
        assert_eq!(t.len(), 0);
    }

    #[test]
    fn a_call_completes_once_and_wakes_its_waiter() {
        use std::sync::atomic::AtomicUsize;
        use std::task::Wake;

        struct Count(AtomicUsize);
        impl Wake for Count {
            fn wake(self: Arc<Self>) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let wakes = Arc::new(Count(AtomicUsize::new(0)));
        let waker = Waker::from(Arc::clone(&wakes));
        let mut cx = Context::from_waker(&waker);
        let call = Call::new(response(1, 0));
        assert!(call.poll_outcome(&mut cx).is_pending());
        assert!(call.poll_outcome(&mut cx).is_pending(), "same waker kept");
        assert_eq!(wakes.0.load(Ordering::SeqCst), 0);
        assert!(call.complete(Ok(response(1, 0))));
        assert_eq!(wakes.0.load(Ordering::SeqCst), 1);
        assert!(
            !call.complete(Err(Failed::Deadline)),
            "a second outcome is dropped"
        );
        assert!(matches!(call.poll_outcome(&mut cx), Poll::Ready(Ok(_))));
        assert_eq!(wakes.0.load(Ordering::SeqCst), 1);

        // Completed before anyone waits: ready at the first poll, nobody woken.
        let early = Call::new(response(2, 0));
        assert!(early.complete(Err(Failed::Deadline)));
        assert!(matches!(
            early.poll_outcome(&mut cx),
            Poll::Ready(Err(Failed::Deadline))
        ));
        assert_eq!(wakes.0.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn a_reused_call_takes_a_new_outcome() {
        let t = PendingTable::default();
        let mut call = reg(&t, 1, 3, far());
        t.fail_connection(3, |_| ClientError::NoConnection("gone".into()));
        assert!(Arc::get_mut(&mut call).is_some(), "the table let it go");
        if let Some(c) = Arc::get_mut(&mut call) {
            c.reset();
        }
        t.register(2, &call, 4, far());
        assert!(try_recv(&call).is_err(), "the old outcome is gone");
        assert!(t.on_response(response(2, 0), true));
        assert!(matches!(try_recv(&call), Ok(Ok(m)) if m.correlation_id() == 2));
    }

    #[test]
    fn a_connection_dropping_fails_every_waiting_call() {
        let t = PendingTable::default();
        let calls: Vec<_> = (0..40).map(|i| reg(&t, i, 9, far())).collect();
        let other = reg(&t, 100, 8, far());
        assert_eq!(t.fail_connection(9, |_| ClientError::ClientShutdown), 0);
        assert!(calls.iter().all(|c| matches!(
            try_recv(c),
            Ok(Err(Failed::Error(ClientError::ClientShutdown)))
        )));
        assert!(try_recv(&other).is_err());
        assert_eq!(t.len(), 1);
        // A late response for a failed call finds nobody.
        assert!(!t.on_response(response(3, 0), true));
    }
}
