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

/// The facade's keys of the counters above, built at compile time: a key built per call
/// (what the `metrics` macros do for a name that is not a literal) hashes the name on
/// every increment, even with no recorder installed.
pub(crate) mod keys {
    use metrics::{Key, Label};

    macro_rules! static_keys {
        ($($key:ident),* $(,)?) => {
            $(pub(crate) static $key: Key = Key::from_static_name(super::$key);)*
        };
    }
    static_keys!(
        LOADS,
        SAVES,
        SAVES_SKIPPED,
        CAS_CONFLICTS,
        RETRIES,
        ID_CHANGES,
        BAD_RECORDS,
        DROPPED_EVENTS,
        LAGGED,
        CACHE_HITS,
        CACHE_MISSES,
        CACHE_EVICTIONS,
        CACHE_INVALIDATIONS,
        CACHE_FLUSHES,
    );

    macro_rules! operation_keys {
        ($($key:ident => $op:literal),* $(,)?) => {
            $(pub(crate) static $key: Key = Key::from_static_parts(super::OPERATION_SECONDS, {
                static LABELS: [Label; 1] = [Label::from_static_parts("op", $op)];
                &LABELS
            });)*
        };
    }
    operation_keys!(
        SAVE_SECONDS => "save",
        LOAD_SECONDS => "load",
        DELETE_SECONDS => "delete",
        FIND_BY_PRINCIPAL_SECONDS => "find_by_principal",
    );
}

/// Where this crate's metrics come from, for recorders that filter on it.
static METADATA: metrics::Metadata<'static> =
    metrics::Metadata::new(module_path!(), metrics::Level::INFO, Some(module_path!()));

fn counter(key: &'static metrics::Key) -> metrics::Counter {
    metrics::with_recorder(|r| r.register_counter(key, &METADATA))
}

pub(crate) fn cache_hit() {
    counter(&keys::CACHE_HITS).increment(1);
}
pub(crate) fn cache_miss() {
    counter(&keys::CACHE_MISSES).increment(1);
}
pub(crate) fn cache_eviction() {
    counter(&keys::CACHE_EVICTIONS).increment(1);
}
pub(crate) fn cache_invalidation() {
    counter(&keys::CACHE_INVALIDATIONS).increment(1);
}
pub(crate) fn cache_flush() {
    counter(&keys::CACHE_FLUSHES).increment(1);
}
pub(crate) fn count(key: &'static metrics::Key) {
    counter(key).increment(1);
}
pub(crate) fn count_n(key: &'static metrics::Key, n: u64) {
    counter(key).increment(n);
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
    let key = match op {
        "save" => &keys::SAVE_SECONDS,
        "load" => &keys::LOAD_SECONDS,
        "delete" => &keys::DELETE_SECONDS,
        "find_by_principal" => &keys::FIND_BY_PRINCIPAL_SECONDS,
        other => {
            metrics::histogram!(OPERATION_SECONDS, "op" => other).record(seconds);
            return;
        }
    };
    metrics::with_recorder(|r| r.register_histogram(key, &METADATA)).record(seconds);
}
