//! Invocations: routing to a partition owner, correlation ids, one deadline per invocation
//! (enforced by one task per client, not a timer per call), and Java's retry rules.

use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError, Weak};

use hazelcast_protocol::codec::error_response::ErrorResponse;
use hazelcast_protocol::frame::flags;
use hazelcast_protocol::hash::hash_to_index;
use hazelcast_protocol::message::Message;
use tracing::Instrument;

use crate::backoff::invocation_retry_delay;
use crate::connection::{Connection, EventHandler, Outgoing};
use crate::error::{ClientError, ServerError};
use crate::pending::{Call, Failed};
use crate::stats::{Stats, metric};

use crate::client::Inner;

/// Where an invocation goes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Route {
    /// Any member.
    Any,
    /// The owner of the partition of a key with this partition hash.
    KeyHash(i32),
}

impl Inner {
    // ---------------------------------------------------------------- invocations

    pub(crate) fn pick(&self, route: Route) -> Option<(Arc<Connection>, i32)> {
        let conns = self
            .connections
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        if conns.is_empty() {
            return None;
        }
        let partition_id = match route {
            Route::Any => -1,
            Route::KeyHash(h) => {
                let pc = self.partition_count.load(Ordering::SeqCst);
                if pc == 0 {
                    return None;
                }
                i32::try_from(hash_to_index(h, pc)).unwrap_or(-1)
            }
        };
        if self.smart()
            && partition_id >= 0
            && let Some(owner) = self.view.owner(partition_id)
            && let Some(c) = conns.get(&owner)
            && !c.is_closed()
        {
            return Some((Arc::clone(c), partition_id));
        }
        let live: Vec<&Arc<Connection>> = conns.values().filter(|c| !c.is_closed()).collect();
        if live.is_empty() {
            return None;
        }
        let i = self.round_robin.fetch_add(1, Ordering::Relaxed) % live.len();
        live.get(i).map(|c| (Arc::clone(c), partition_id))
    }

    /// Sends `message` on `conn` and waits for its answer until `deadline` (the
    /// invocation's, enforced by the deadline task: see `run_deadlines`). `Ok(Err(_))` is a
    /// failure to classify; `Err(())` is the deadline. The call is shared with the writer
    /// and the pending table: a retry reuses it, copying its request only when one of them
    /// still holds the previous attempt (see [`next_attempt`]).
    pub(crate) async fn send_once(
        &self,
        conn: &Arc<Connection>,
        call: &mut Outgoing,
        partition_id: Option<i32>,
        deadline: tokio::time::Instant,
        handler: Option<EventHandler>,
    ) -> Result<Result<Message, ClientError>, ()> {
        let id = self.next_correlation_id();
        next_attempt(call, id, partition_id, self.backup_aware());
        let call: &Outgoing = call;
        if let Some(h) = &handler {
            conn.add_handler(id, Arc::clone(h));
        }
        // Counted until this call ends: a call alone on its connection writes its request
        // itself instead of handing it to the writer task.
        let slot = conn.begin_call();
        self.pending.register(id, call, conn.id, deadline);
        // Forgets the call if this future is dropped (a caller's own deadline) or fails
        // before the answer, so that nothing waits in the table for a silent member.
        let mut guard = CallGuard {
            inner: self,
            conn,
            id,
            handler: handler.is_some(),
            armed: true,
        };
        let reply = {
            // The table entry is registered first, so that its deadline (or a failure of
            // the connection) also ends a send that waits for room in the queue.
            let send = conn.send(Arc::clone(call), slot.alone);
            tokio::pin!(send);
            let mut outcome = std::future::poll_fn(|cx| call.poll_outcome(cx));
            tokio::select! {
                biased;
                sent = &mut send => match sent {
                    Ok(()) => outcome.await,
                    Err(e) => Err(Failed::Error(e)),
                },
                reply = &mut outcome => reply,
            }
        };
        let out = match reply {
            Err(Failed::Deadline) => return Err(()),
            Err(Failed::Error(e)) => Err(e),
            Ok(resp) if ErrorResponse::matches(&resp) => match ErrorResponse::decode(&resp) {
                Ok(e) => Err(ClientError::Member(ServerError::from_response(&e))),
                Err(e) => Err(ClientError::Protocol(e)),
            },
            Ok(resp) => Ok(resp),
        };
        // The table entry is gone (answered or never sent); an event handler stays for a
        // success.
        guard.armed = false;
        if out.is_err() {
            self.pending.remove(id);
            if handler.is_some() {
                conn.remove_handler(id);
            }
        }
        Ok(out)
    }

    /// An invocation bound to one connection: no retry.
    pub(crate) async fn invoke_on(
        &self,
        conn: &Arc<Connection>,
        message: Message,
        handler: Option<EventHandler>,
    ) -> Result<Message, ClientError> {
        let start = tokio::time::Instant::now();
        let deadline = start + self.config.invocation_timeout;
        let mut message = Arc::new(Call::new(message));
        match self
            .send_once(conn, &mut message, None, deadline, handler)
            .await
        {
            Ok(r) => r,
            Err(()) => Err(ClientError::Timeout {
                elapsed: start.elapsed(),
                last_error: None,
            }),
        }
    }

    /// The deadline task (one per client): sleeps until the earliest deadline of the calls
    /// in flight and fails those whose deadline passed, which then end with
    /// [`ClientError::Timeout`]. Registering a call wakes it only when the call's deadline
    /// is the new earliest.
    pub(crate) async fn run_deadlines(weak: Weak<Inner>) {
        let lowered = match weak.upgrade() {
            Some(inner) => inner.pending.deadline_lowered(),
            None => return,
        };
        loop {
            // Created before reading the deadline, so that a lowering after the read wakes
            // this task.
            let notified = lowered.notified();
            let wake = match weak.upgrade() {
                Some(inner) => inner.pending.next_wake(),
                None => return,
            };
            match wake {
                None => notified.await,
                Some(at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {
                            let Some(inner) = weak.upgrade() else { return };
                            inner.pending.expire_deadlines(tokio::time::Instant::now());
                        }
                        () = notified => {}
                    }
                }
            }
        }
    }

    /// An invocation with routing and Java's retry rules.
    pub(crate) async fn invoke(
        &self,
        request: Message,
        route: Route,
        retryable: bool,
    ) -> Result<Message, ClientError> {
        // Building a disabled span still costs (its callsite's interest, and the `log`
        // fallback's record and drop when no tracing subscriber is set), and entering and
        // leaving one on every poll more: no span at all unless something may record
        // debug spans (one atomic load), and only instrument when the span is live.
        if tracing::level_filters::STATIC_MAX_LEVEL < tracing::Level::DEBUG
            || tracing::level_filters::LevelFilter::current() < tracing::Level::DEBUG
        {
            return self.invoke_inner(request, route, retryable).await;
        }
        let span = tracing::debug_span!(
            "hz.invoke",
            message_type = %format_args!("{:#08x}", request.message_type()),
            attempts = tracing::field::Empty,
        );
        if span.is_disabled() {
            self.invoke_inner(request, route, retryable).await
        } else {
            self.invoke_inner(request, route, retryable)
                .instrument(span)
                .await
        }
    }

    pub(crate) async fn invoke_inner(
        &self,
        request: Message,
        route: Route,
        retryable: bool,
    ) -> Result<Message, ClientError> {
        self.stats.count_invocation();
        let start = tokio::time::Instant::now();
        // One deadline for the whole invocation, every attempt included.
        let deadline_at = start + self.config.invocation_timeout;
        let mut request: Outgoing = Arc::new(Call::new(request));
        let mut attempt: u32 = 0;
        let mut trace = Trace::new(self, start);
        loop {
            if self.is_shut_down() {
                trace.finish("invocation failed", None);
                return Err(ClientError::ClientShutdown);
            }
            attempt = attempt.saturating_add(1);
            if attempt > 1 {
                tracing::Span::current().record("attempts", attempt);
            }
            let err = match self.pick(route) {
                None if self.connection_count() == 0 => {
                    if start.elapsed() >= self.config.offline_wait {
                        Stats::bump(&self.stats.offline_failures, metric::OFFLINE_FAILURES);
                        trace.finish("invocation failed", None);
                        return Err(ClientError::Offline);
                    }
                    ClientError::NoConnection("not connected to the cluster".into())
                }
                None => ClientError::NoConnection("not connected to the cluster".into()),
                Some((conn, partition_id)) => {
                    trace.sent(&conn, partition_id, attempt);
                    match self
                        .send_once(&conn, &mut request, Some(partition_id), deadline_at, None)
                        .await
                    {
                        Ok(Ok(resp)) => {
                            trace.finish("slow invocation", Some(resp.backup_acks()));
                            recycle(request);
                            return Ok(resp);
                        }
                        Ok(Err(e)) => e,
                        Err(()) => {
                            trace.finish("invocation timed out", None);
                            return Err(ClientError::Timeout {
                                elapsed: start.elapsed(),
                                last_error: None,
                            });
                        }
                    }
                }
            };
            if !err.is_retryable(retryable, self.config.redo_operation) {
                trace.finish("invocation failed", None);
                return Err(err);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline_at {
                trace.finish("invocation timed out", None);
                return Err(ClientError::Timeout {
                    elapsed: start.elapsed(),
                    last_error: Some(Box::new(err)),
                });
            }
            tracing::debug!(
                attempt,
                partition_version = self.view.partition_version(),
                error = %err,
                "retrying invocation"
            );
            trace.retried(&err);
            Stats::bump(&self.stats.retries, metric::RETRIES);
            let delay =
                invocation_retry_delay(attempt, self.config.retry_pause).min(deadline_at - now);
            if delay.is_zero() {
                tokio::task::yield_now().await;
            } else {
                tokio::time::sleep(delay).await;
            }
        }
    }
}

/// Readies `call` for an attempt with correlation id `id`: a call that nothing else holds
/// any more (the writer wrote it, the pending table let it go) is reused, its outcome
/// cleared; else the attempt is a new call with a copy of the request, so that the writer
/// still sends the previous attempt's bytes intact. Then the header is set.
fn next_attempt(call: &mut Outgoing, id: i64, partition_id: Option<i32>, backup_aware: bool) {
    let c = Arc::make_mut(call);
    c.reset();
    let m = c.request_mut();
    m.set_correlation_id(id);
    if let Some(p) = partition_id {
        m.set_partition_id(p);
    }
    if backup_aware {
        m.set_flag(flags::BACKUP_AWARE, true);
    }
}

/// Gives the request's buffer back for the next request built on this thread, when
/// nothing else holds the call any more (the writer may still, for a moment).
fn recycle(call: Outgoing) {
    if let Ok(c) = Arc::try_unwrap(call) {
        let m = c.into_request();
        if m.shared_bytes().is_none() {
            crate::buffers::give(m.into_bytes());
        }
    }
}

/// An invocation taking this long is logged at debug with its attempts.
const SLOW_INVOCATION: std::time::Duration = std::time::Duration::from_millis(200);

/// What a slow invocation reports at debug: the member of its last attempt, the number of
/// attempts, the partition table version and the last retried failure. Dropped unfinished
/// (the caller's own deadline), it reports that too. Costs nothing else: no clock read or
/// allocation unless debug logging is on and the invocation was slow.
struct Trace<'a> {
    inner: &'a Inner,
    start: tokio::time::Instant,
    attempt: u32,
    member: Option<uuid::Uuid>,
    partition_id: i32,
    last_retry: Option<String>,
    done: bool,
}

impl<'a> Trace<'a> {
    fn new(inner: &'a Inner, start: tokio::time::Instant) -> Self {
        Self {
            inner,
            start,
            attempt: 0,
            member: None,
            partition_id: -1,
            last_retry: None,
            done: false,
        }
    }

    fn sent(&mut self, conn: &Connection, partition_id: i32, attempt: u32) {
        self.member = Some(conn.member_uuid);
        self.partition_id = partition_id;
        self.attempt = attempt;
    }

    fn retried(&mut self, err: &ClientError) {
        if tracing::enabled!(tracing::Level::DEBUG) {
            self.last_retry = Some(err.to_string());
        }
    }

    fn finish(&mut self, what: &str, backup_acks: Option<u8>) {
        self.done = true;
        if !tracing::enabled!(tracing::Level::DEBUG) {
            return;
        }
        let elapsed = self.start.elapsed();
        if elapsed < SLOW_INVOCATION {
            return;
        }
        let address = self.member.and_then(|uuid| {
            self.inner
                .view
                .members()
                .into_iter()
                .find(|m| m.uuid == uuid)
                .map(|m| m.address)
        });
        tracing::debug!(
            elapsed_ms = elapsed.as_millis() as u64,
            attempts = self.attempt,
            member = address.as_deref().unwrap_or("-"),
            partition_id = self.partition_id,
            partition_version = self.inner.view.partition_version(),
            backup_acks = backup_acks.map_or(-1, i32::from),
            last_retry = self.last_retry.as_deref().unwrap_or("-"),
            "{what}"
        );
    }
}

impl Drop for Trace<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.finish("invocation abandoned (caller's deadline)", None);
        }
    }
}

/// Removes an unanswered call from the pending table (and its event handler) on drop.
struct CallGuard<'a> {
    inner: &'a Inner,
    conn: &'a Arc<Connection>,
    id: i64,
    handler: bool,
    armed: bool,
}

impl Drop for CallGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.inner.pending.remove(self.id);
            if self.handler {
                self.conn.remove_handler(self.id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pending::PendingTable;
    use hazelcast_protocol::codec::map::MapSetRequest;
    use hazelcast_protocol::data::Data;

    fn request() -> Message {
        MapSetRequest {
            name: "m",
            key: Data::from_bytes(vec![0, 0, 0, 0, 255, 255, 255, 249, 1, 2, 3]),
            value: Data::from_bytes(vec![0, 0, 0, 0, 255, 255, 255, 249, 4, 5, 6]),
            thread_id: 1,
            ttl: -1,
        }
        .encode()
    }

    #[test]
    fn a_retry_resends_the_request_intact() {
        let original = request();
        let mut call: Outgoing = Arc::new(Call::new(original.clone()));
        next_attempt(&mut call, 7, Some(3), true);
        let first = Arc::as_ptr(&call);
        assert_eq!(call.request().correlation_id(), 7);
        assert_eq!(call.request().partition_id(), 3);
        assert!(call.request().is_backup_aware());

        // The writer still holds the first attempt: the retry is a copy, and the first
        // attempt's bytes stay as they were.
        let queued = Arc::clone(&call);
        let table = PendingTable::default();
        table.register(
            7,
            &call,
            1,
            tokio::time::Instant::now() + std::time::Duration::from_secs(60),
        );
        table.fail_connection(1, |_| ClientError::NoConnection("gone".into()));
        next_attempt(&mut call, 8, Some(5), true);
        assert_ne!(Arc::as_ptr(&call), first, "copied");
        assert_eq!(queued.request().correlation_id(), 7);
        assert_eq!(queued.request().partition_id(), 3);
        assert_eq!(call.request().correlation_id(), 8);
        assert_eq!(call.request().partition_id(), 5);
        assert!(call.try_outcome().is_none(), "a fresh slot");
        // Apart from the header fields set per attempt, the bytes are the original's.
        let mut expected = original.clone();
        expected.set_correlation_id(8);
        expected.set_partition_id(5);
        expected.set_flag(flags::BACKUP_AWARE, true);
        assert_eq!(call.request(), &expected);

        // Nothing holds the second attempt any more: the third reuses it, outcome cleared.
        drop(queued);
        let second = Arc::as_ptr(&call);
        assert!(call.complete(Err(Failed::Deadline)));
        next_attempt(&mut call, 9, None, false);
        assert_eq!(Arc::as_ptr(&call), second, "reused");
        assert!(call.try_outcome().is_none(), "outcome cleared");
        expected.set_correlation_id(9);
        assert_eq!(call.request(), &expected, "partition and flags kept");
    }
}
