//! Counters through the [`metrics`] facade and the per-operation `tracing` span. Nothing
//! here carries a session id or an attribute value.
//!
//! The names are public constants so that dashboards and tests refer to one spelling; the
//! [crate docs](crate#observability) list them. Any `metrics` recorder installed by the
//! application receives them.
//!
//! ```
//! use session_hazelcast::telemetry;
//!
//! assert_eq!(telemetry::CACHE_HITS, "sessions_local_cache_hits");
//! assert!(telemetry::SAVES_SKIPPED.starts_with("sessions_"));
//! ```

use std::cell::Cell;
use std::future::Future;
use std::time::Instant;

use tracing::Instrument;

/// Loads (`find_by_id`), from the cache or the cluster.
pub const LOADS: &str = "sessions_loads";
/// Saves that wrote something.
pub const SAVES: &str = "sessions_saves";
/// Saves that wrote nothing: nothing changed, or only the last access time moved less
/// than the touch threshold.
pub const SAVES_SKIPPED: &str = "sessions_saves_skipped";
/// Compare-and-set attempts that found the session changed by another request.
pub const CAS_CONFLICTS: &str = "sessions_cas_conflicts";
/// Writes tried again (after a conflict, or after a write whose outcome was unknown).
pub const RETRIES: &str = "sessions_retries";
/// Changes of session id.
pub const ID_CHANGES: &str = "sessions_id_changes";
/// Stored records that could not be read as a session (treated as no session, removed).
pub const BAD_RECORDS: &str = "sessions_bad_records";
/// Entry events dropped by a full listener buffer (the event stream's and the cache's).
pub const DROPPED_EVENTS: &str = "sessions_dropped_events";
/// `SessionEvent::Lagged` signals published to subscribers.
pub const LAGGED: &str = "sessions_lagged_signals";
/// Loads served from the local cache (no round trip).
pub const CACHE_HITS: &str = "sessions_local_cache_hits";
/// Loads that went to the cluster.
pub const CACHE_MISSES: &str = "sessions_local_cache_misses";
/// Records evicted from the local cache to stay within its capacity.
pub const CACHE_EVICTIONS: &str = "sessions_local_cache_evictions";
/// Records dropped from the local cache by an entry event (another writer).
pub const CACHE_INVALIDATIONS: &str = "sessions_local_cache_invalidations";
/// Times the whole local cache was emptied (a gap in its events).
pub const CACHE_FLUSHES: &str = "sessions_local_cache_flushes";
/// Duration of one repository operation in seconds (histogram), labelled `op` = `load`,
/// `save`, `delete` or `find_by_principal`.
pub const OPERATION_SECONDS: &str = "sessions_operation_seconds";

pub(crate) fn cache_hit() {
    metrics::counter!(CACHE_HITS).increment(1);
}
pub(crate) fn cache_miss() {
    metrics::counter!(CACHE_MISSES).increment(1);
}
pub(crate) fn cache_eviction() {
    metrics::counter!(CACHE_EVICTIONS).increment(1);
}
pub(crate) fn cache_invalidation() {
    metrics::counter!(CACHE_INVALIDATIONS).increment(1);
}
pub(crate) fn cache_flush() {
    metrics::counter!(CACHE_FLUSHES).increment(1);
}
pub(crate) fn count(name: &'static str) {
    metrics::counter!(name).increment(1);
}
pub(crate) fn count_n(name: &'static str, n: u64) {
    metrics::counter!(name).increment(n);
}

tokio::task_local! {
    static ROUND_TRIPS: Cell<u32>;
}

/// Counts one call sent to the cluster by the current operation (if any).
pub(crate) fn round_trip() {
    let _ = ROUND_TRIPS.try_with(|c| c.set(c.get() + 1));
}

/// The `session_operation` span (debug level) of one repository operation, its
/// measured fields still empty.
fn operation_span(op: &'static str) -> tracing::Span {
    tracing::debug_span!(
        "session_operation",
        op,
        round_trips = tracing::field::Empty,
        duration_us = tracing::field::Empty,
        ok = tracing::field::Empty,
    )
}

/// Runs one repository operation in a `session_operation` span (debug level) that records
/// its round trips and duration, and records the duration histogram.
pub(crate) async fn operation<T, E>(
    op: &'static str,
    fut: impl Future<Output = Result<T, E>>,
) -> Result<T, E> {
    let span = operation_span(op);
    let started = Instant::now();
    let result = if span.is_disabled() {
        // Nobody listens to the span: its round trips are not counted (the task-local
        // scope and the span's enter and exit on every poll cost more than the operation
        // on a cache hit).
        fut.await
    } else {
        let (result, trips) = ROUND_TRIPS
            .scope(Cell::new(0), async {
                let r = fut.await;
                (r, ROUND_TRIPS.with(Cell::get))
            })
            .instrument(span.clone())
            .await;
        record_span(&span, trips, started, result.is_ok());
        result
    };
    record_duration(op, started);
    result
}

/// [`operation`] of an operation that completes without waiting (a load served by the
/// local cache): the same span, fields and histogram, no future.
pub(crate) fn operation_now<T, E>(
    op: &'static str,
    run: impl FnOnce() -> Result<T, E>,
) -> Result<T, E> {
    let span = operation_span(op);
    let started = Instant::now();
    let result = if span.is_disabled() {
        run()
    } else {
        let result = span.in_scope(run);
        record_span(&span, 0, started, result.is_ok());
        result
    };
    record_duration(op, started);
    result
}

/// Records an operation's measured fields on its span.
fn record_span(span: &tracing::Span, round_trips: u32, started: Instant, ok: bool) {
    span.record("round_trips", round_trips);
    span.record(
        "duration_us",
        u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
    );
    span.record("ok", ok);
}

/// Records the duration histogram of operation `op` started at `started`.
fn record_duration(op: &'static str, started: Instant) {
    let seconds = started.elapsed().as_secs_f64();
    // Literal labels: the key is static, nothing is built per call.
    match op {
        "save" => metrics::histogram!(OPERATION_SECONDS, "op" => "save").record(seconds),
        "load" => metrics::histogram!(OPERATION_SECONDS, "op" => "load").record(seconds),
        "delete" => metrics::histogram!(OPERATION_SECONDS, "op" => "delete").record(seconds),
        other => metrics::histogram!(OPERATION_SECONDS, "op" => other).record(seconds),
    }
}
