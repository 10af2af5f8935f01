//! HTTP sessions in a Hazelcast IMap, shareable with Spring applications using Hazelcast
//! Spring Session (HSS) 4.x.
//!
//! Wiring a web app: the adapters re-export this crate behind their `hazelcast` feature
//! (`session-axum = { version = "0.1", features = ["hazelcast"] }`), so an app needs no
//! other dependency:
//!
//! ```no_run
//! use hazelcast_client::ClientConfig;
//! use session_hazelcast::HazelcastSessionRepository;
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! // From HZ_MEMBERS, HZ_CLUSTER_NAME, HZ_MAP_NAME... (see `env`):
//! let sessions = HazelcastSessionRepository::from_env().await?;
//!
//! // Or from a client configuration, with the store's settings:
//! let config = ClientConfig::builder().cluster_name("dev").addresses(["127.0.0.1:5701"]).build()?;
//! let sessions = HazelcastSessionRepository::builder(config)
//!     .map_name("shop-sessions")
//!     .build()
//!     .await?;
//! // let app = Router::new()...layer(SessionLayer::new(SessionManager::new(sessions)));
//! # let _ = sessions;
//! # Ok(())
//! # }
//! ```
//!
//! The defaults are Hazelcast Spring Session's: map `spring:session:sessions`, attribute
//! values Spring reads ([`HazelcastCodec`]), the map's configuration (max idle = the
//! session interval, a HASH index on the principal name) added at start-up. A builder is
//! made from a client configuration or a client, so it cannot be built without a cluster
//! to talk to.
//!
//! The record as stored, byte-compatible with a Spring application's:
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use hazelcast_protocol::compact::SchemaRegistry;
//! use session_core::{SessionRecord, encode_value, decode_value};
//! use session_hazelcast::{BackingMapSession, HazelcastCodec};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // A session as session-core keeps it, attribute values encoded with Hazelcast types...
//! let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//! let mut record = SessionRecord::new("s1", now, Some(Duration::from_secs(1800)));
//! record.principal_name = Some("alice".into());
//! record.attributes.insert("user".into(), encode_value(&HazelcastCodec, "alice")?);
//!
//! // ...stored as the Compact record a Spring app reads.
//! let registry = SchemaRegistry::new();
//! let data = BackingMapSession::from_session_record(&record).to_data(&registry)?;
//! let back = BackingMapSession::from_data(&registry, &data)?.to_session_record("s1", None)?;
//! assert_eq!(back, record);
//! assert_eq!(decode_value::<String>(&HazelcastCodec, &back.attributes["user"])?, "alice");
//! # Ok(())
//! # }
//! ```
//!
//! # The pieces
//!
//! - [`HazelcastSessionRepository`] (built with [`HazelcastSessionRepository::builder`],
//!   [`HazelcastSessionRepository::with_client`] or [`HazelcastSessionRepository::from_env`]):
//!   a [`SessionRepository`](session_core::SessionRepository) and
//!   [`IndexedSessionRepository`](session_core::IndexedSessionRepository) over an IMap
//!   (default `spring:session:sessions`), keyed by the session id as a String.
//! - [`record`]: the Compact `BackingMapSession` / `AttributeValue` record, byte-compatible
//!   with HSS 4.x, and its conversion from and to session-core's [`SessionRecord`]
//!   (tolerant of nulls and extra fields written by other clients).
//! - [`HazelcastCodec`]: an [`AttributeCodec`](session_core::AttributeCodec) writing Rust
//!   strings and numbers with Hazelcast's built-in type ids and other serde values as
//!   `HazelcastJsonValue`, so a Spring application reads ordinary Java values.
//!   [`CompactCodec`] (builder switch `compact_attributes`) stores serde structs as Compact
//!   records instead, through a serde bridge.
//! - [`compact_record`]: serde structs as the Compact type a Java record of the same shape
//!   has (type name from `#[serde(rename)]`, kinds from the Rust types, [`Decimal`](compact_record::Decimal)
//!   as DECIMAL), for attribute values both a Rust and a Spring application use as their own
//!   type ([`CompactCodec::with_record_types`]).
//! - [`spring`]: sharing sessions with a Spring application — what a Spring app needs to
//!   accept Rust logins, and Spring's session-registry marker the Rust side must honour.
//! - [`SessionMapConfig`]: the session map's configuration as typed Rust (backups, merge
//!   policy, WAN replication reference, indexes, expiry...) with Spring Session's defaults,
//!   a layer over the client's [`MapConfig`] (whose `to_request` builds the
//!   `DynamicConfig.addMapConfig` request), compared field by field with an existing
//!   configuration, and rendered as member YAML.
//!
//! # How the repository uses the map
//!
//! | Operation | Map calls |
//! |---|---|
//! | save a new session | `putIfAbsent` (an existing id is [`IdCollision`], nothing overwritten) |
//! | load | none when the local cache holds the record; otherwise `get` |
//! | save changes | `replaceIfSame(id, bytes as loaded, bytes with the delta applied)`; on a conflict a jittered pause growing from 2 ms to 100 ms, `get`, re-apply the delta, try again (at most [`DEFAULT_MAX_SAVE_ATTEMPTS`], then [`Conflict`]). Nothing when the record with the delta applied equals the stored one (the last access time within the touch threshold aside) |
//! | save a session whose interval differs from the map's max idle (remember-me) | as above, then `put` with its own max idle (the compare-and-set dropped it) |
//! | change of id | `putIfAbsent(new id)` with `originalId` = old id; `replaceIfSame(old id)` marking it with the new id; `removeIfSame(old id)`: a change another request made to the old id meanwhile is carried to the new id, never lost |
//! | invalidate / delete | `remove` |
//! | find by principal | `entrySet(equal("principalName", name))` on the HASH index |
//!
//! Round trips per request (a request loads the session once and saves it once; counted
//! by the `round_trips` test with the client's invocation counter, on the test member and
//! on real members):
//!
//! | Request | local cache on (default) | local cache off |
//! |---|---|---|
//! | create (new session, saved) | 1 | 1 |
//! | read-only (load, touch, save) | 0 | 1 |
//! | modify (load, change, save) | 1 (+2 per concurrent conflict) | 2 |
//! | change id (load, change id, save) | 3 | 4 |
//! | invalidate (load, invalidate, save) | 1 | 2 |
//!
//! With the cache on, a load that misses (the first request on this server, a session
//! changed by another server, a record evicted) adds one `get`.
//!
//! # Local cache
//!
//! On by default ([`HazelcastRepositoryBuilder::local_cache`]`(false)` or
//! `HZ_LOCAL_CACHE=off` switches it off: see the staleness window and the costs below).
//! Each repository keeps up to [`DEFAULT_LOCAL_CACHE_CAPACITY`] session records (100,000;
//! [`HazelcastRepositoryBuilder::local_cache_capacity`]) as stored — the exact bytes (the
//! expected value of the next compare-and-set) and the record decoded from them, so a
//! request decodes the record at most once and a save re-encodes only when something
//! changed. Beyond the capacity the least recently used records are evicted (a clock per
//! shard, 32 shards): the cost per request stays flat however many sessions are live.
//!
//! - **Fresh by the cluster.** A keys-only entry listener (no values travel) drops a
//!   record as soon as another writer changes, removes or expires it. This repository's
//!   own writes update the cache directly (their own event is recognised and skipped, so
//!   the next request is still a hit).
//! - **No race with a load in flight.** A load stores what it read only if no event for
//!   the key and no flush came in between.
//! - **Invalidated as events arrive.** The connection's reader drops a session's record
//!   as soon as it reads the key's event, before any task runs: no buffer stands between
//!   the two, so a burst of writes elsewhere never overflows one and never empties the
//!   cache. Only map-wide events and keys that are not plain strings go through the
//!   listener's buffered stream (the client's
//!   [`listener_buffer`](hazelcast_client::ClientConfig::listener_buffer)).
//! - **Every gap empties it whole**: listener (re-)registration, a map-wide event, events
//!   of the buffered stream dropped by a full buffer, a reconnect or failover, any change
//!   of the member list or of the client's connections (checked every 100 ms). After a
//!   gap it serves nothing for 3 s (listener registrations on new connections settle),
//!   then starts empty again.
//! - **A stale record loses nothing**: a change is a compare-and-set against the cached
//!   bytes, which fails if another server changed the session; the save then re-reads
//!   and re-applies its delta.
//! - **Staleness window**: between a write on server A returning and server B's cache
//!   dropping the old record, a request on B sees the previous value. A change or removal
//!   returns only once A saw its own entry event (at most 50 ms, no round trip): the
//!   member sends it to every listener at once, which shrinks the window to the
//!   member's delivery of the event to B (B's reader applies it as it reads it). Measured by the `local_cache` test (20 changes, two
//!   repositories with their own clients in one process, one member, 2-core machine
//!   shared with other builds): B's very next read saw the change 20/20 times on a real
//!   Hazelcast 5.6 member and 19/20 on the test member; write → visible on B (the read
//!   that saw it included) p50 2.1 ms / max 5.1 ms (real), 1.5 ms / 5.8 ms (test member).
//!   Between two shop processes (`cargo xtask integration --only 5` with the cache on,
//!   debug builds, one real member) the very next request on the other server saw the
//!   change in 47 of 50 rounds, and a read-modify-write request served from a stale
//!   record (basket + 1 computed from the old basket) lost an add: the compare-and-set
//!   protects the stored record, not a value the application computed from a stale read.
//! - **Read your writes** closes that window for the client that made the change. With
//!   the cache on, [`may_serve_stale`](session_core::SessionRepository::may_serve_stale)
//!   is `true`, so the request lifecycle (both adapters) answers every request whose save
//!   wrote the session with a second cookie, `SESSION_WRITTEN`, holding the stored
//!   record's last access time (milliseconds), and loads a session whose request sends it
//!   back with
//!   [`find_by_id_written_since`](session_core::SessionRepository::find_by_id_written_since):
//!   a cached record last accessed before that time predates the client's own write, so
//!   it is not served; the record is read from the cluster (one `get`, counted in
//!   [`LocalCacheStats::behind_client`]) and cached. This repository's saves never move a
//!   stored last access time back, so once the write landed the stored record's time is
//!   at least the cookie's. The cookie travels only with a cookie-borne id, is dropped at
//!   logout, and is ignored when malformed; a save that writes nothing sets none.
//!   Tested with entry events held back by the test member (`local_cache` test: B's
//!   cache serves the old value without the cookie, the client's own write with it), and
//!   end to end by `cargo xtask integration --only 5`, which alternates one user between
//!   two shops on a real member, with the cache off and on.
//! - What it does not cover: changes made by other clients of the same session (a second
//!   tab's concurrent request, a Spring application, which sets no such cookie) are seen
//!   once their event arrives (the window above).
//!   [`SessionManager::with_read_your_writes(false)`](session_core::lifecycle::SessionManager::with_read_your_writes)
//!   switches the cookie off.
//! - **Costs**, the reasons to switch it off: each server holds up to the capacity in
//!   records (bytes and decoded values); every write of a session sends an entry event
//!   (keys only) to every other server's client, so the member's work per write grows with
//!   the number of web servers; a changed response carries the `SESSION_WRITTEN` cookie.
//!   Switch it off where sessions change often on many servers, or where other
//!   applications' changes must be seen at once. On by default since every test and
//!   integration scenario passes with it on (`cargo xtask integration` runs the shops
//!   with their defaults, scenario 5 with the cache off and on).
//!
//! With the cache off, every load reads the cluster; the records are still kept (same
//! capacity) as the expected value of the next compare-and-set.
//!
//! # Expiry
//!
//! Measured on a real member (`docs/real-hazelcast-facts.md`): every write without a ttl
//! (`replaceIfSame`, `set`, `put`, `replace`) drops a per-entry TTL or max idle back to the
//! map's default, reads never move a TTL, and a **map-level max idle** survives writes
//! (each write re-applies it) and is extended by every read (`get`, `containsKey`,
//! `putIfAbsent` on an existing key). So:
//!
//! - The map's max idle is the max inactive interval (set in the map configuration the
//!   repository applies; [`SessionMapConfig::max_idle`] overrides it). The cluster removes
//!   a session one interval after its last read or write, with no sweeper; whole-second
//!   expiry times make that up to 1 s early.
//! - A read-only request does not rewrite the record. With the cache off, the `get` that
//!   loaded it already moved the cluster's idle clock; with the cache on, nothing reaches
//!   the member, so the touch below is what keeps the session alive there. The record's
//!   `lastAccessedTime` (which Spring and this repository check on every load, so an
//!   expired session is never returned, and a cached record is never served past it) is
//!   written only when it moved by more than [`DEFAULT_TOUCH_FRACTION`] of the interval
//!   (configurable), so it may lag by that much: a session may be seen as expired — and,
//!   with the cache on, removed by the member — that share of the interval early, never
//!   late (tested with the cache on, on real members: `local_cache` test).
//! - A session whose own interval differs from the map's (remember-me) gets it as a
//!   per-entry max idle on the writes that can carry one (`putIfAbsent` at creation and
//!   change of id). A compare-and-set drops it back to the map's max idle (Hazelcast has no
//!   compare-and-set with max idle, and `setTtl` also resets max idle), so after each
//!   successful compare-and-set of such a session the repository writes the same bytes
//!   again with `put` and its own max idle (one more round trip, only for these sessions).
//!   `put` returns the value it replaced: if another request changed the session in the
//!   instant between, its value (which already contains this change) is put back instead.
//!   Two further writers inside that one round trip could still lose the second's change;
//!   sessions with the map's interval never take this path.
//!
//! # Faults
//!
//! - Every operation has a deadline (1.5 s by default,
//!   [`HazelcastRepositoryBuilder::operation_deadline`]), whatever the client's invocation
//!   timeout: it answers or fails with `RepositoryError::Timeout` within it. While the
//!   client is offline (it fails calls at once) the operation waits inside its deadline
//!   for the reconnect or failover.
//! - A write whose connection closed before the answer (`TargetDisconnected`, e.g. a
//!   member leaving), or after the answer but before its backups were confirmed (the
//!   owner may have died with the only copy), is read back: if the key holds this
//!   write's bytes it landed, otherwise it is applied again (re-applying a delta is
//!   idempotent). So the crash of one member (with a backup count of at least 1) takes
//!   back no save reported done.
//! - A stored record that cannot be read as a session (another writer's type, an older
//!   format, garbage) is treated as "no session": one warning without the id, and the
//!   entry is removed if it still holds the same bytes, so the user gets a fresh session.
//! - Whenever the client connects to a cluster it has not configured (failover, a cluster
//!   restarted with a new id), the map configuration is applied there before an operation
//!   is served from it.
//!
//! # Events
//!
//! An entry listener (with values), registered while at least one stream from
//! [`subscribe`](session_core::SessionRepository::subscribe) is alive and removed about
//! half a second after the last one is dropped, feeds
//! [`subscribe`](session_core::SessionRepository::subscribe): ADDED with `originalId == id` → Created;
//! REMOVED carrying the old value (`remove`) → Deleted; EXPIRED / EVICTED → Expired. A
//! change of id writes the new key with the old `originalId` and removes the old key after
//! marking it with the new id as `originalId` (a REMOVED whose old value names an existing
//! other id is not a Deleted), so subscribers see neither a Created nor a Deleted for it,
//! as in HSS. Every gap is signalled as `SessionEvent::Lagged`: events the listener's
//! buffer dropped (`missed` = their number) and every reconnect or failover (`missed: 0`,
//! number unknown). A session this repository finds expired on load is removed
//! with `delete` and its Expired event published locally. Expired events of sessions
//! nobody reads come from the cluster's background task and can lag by minutes.
//!
//! # Observability
//!
//! Every operation runs in a `session_operation` span (debug level) with `op` (`load`,
//! `save`, `delete`, `find_by_principal`), `round_trips`, `duration_us` and `ok`; conflict
//! retries and changes of id log debug events inside it. Nothing carries a session id or
//! an attribute value. Counters and a histogram go through the [`metrics`] facade (install
//! any recorder, e.g. a Prometheus exporter); the names are constants in [`telemetry`]:
//!
//! | Name | Kind | Counts |
//! |---|---|---|
//! | `sessions_loads` | counter | loads (`find_by_id`) |
//! | `sessions_saves` | counter | saves that wrote |
//! | `sessions_saves_skipped` | counter | saves that wrote nothing (nothing changed, or only a small touch) |
//! | `sessions_cas_conflicts` | counter | compare-and-sets that found the session changed |
//! | `sessions_retries` | counter | writes tried again (conflict, unknown outcome) |
//! | `sessions_id_changes` | counter | changes of id |
//! | `sessions_bad_records` | counter | stored records unreadable as a session (removed) |
//! | `sessions_dropped_events` | counter | entry events dropped by a full listener buffer |
//! | `sessions_lagged_signals` | counter | `Lagged` signals published to subscribers |
//! | `sessions_local_cache_hits` / `_misses` | counter | loads served by the cache / the cluster |
//! | `sessions_local_cache_evictions` | counter | records evicted for capacity |
//! | `sessions_local_cache_invalidations` | counter | records dropped by another writer's event |
//! | `sessions_local_cache_flushes` | counter | whole-cache flushes (gaps) |
//! | `sessions_operation_seconds` | histogram, label `op` | duration of each operation |
//!
//! [`HazelcastSessionRepository::local_cache_stats`] reads the cache's counters directly.
//!
//! # Tests
//!
//! `cargo test -p session-hazelcast` runs, against in-process `hazelcast-test-member`
//! clusters: session-core's conformance suite on 3 members (`HZ_MEMBERS=host:port,...`
//! targets a real cluster instead), round trips per request, which operations move the
//! cluster-side expiry, two concurrent writers of one session for 1,000 rounds each, a
//! member crash during a request storm with backup count 1 (sessions lost are counted), the
//! start-up map configuration and its conflicts, Compact attributes read by a second
//! client, and the cross-check with the official Python client.
//!
//! [`SessionRecord`]: session_core::SessionRecord
//! [`IdCollision`]: session_core::RepositoryError::IdCollision
//! [`Conflict`]: session_core::RepositoryError::Conflict
#![forbid(unsafe_code)]

mod builder;
mod cache;
pub mod codec;
pub mod compact_codec;
pub mod compact_record;
mod configure;
pub mod env;
mod events;
mod invalidation;
pub mod map_config;
pub mod record;
mod rename;
mod repository;
mod save;
pub mod spring;
pub mod telemetry;

pub use builder::{BuildError, HazelcastRepositoryBuilder};
pub use cache::{DEFAULT_LOCAL_CACHE_CAPACITY, LocalCacheStats};
pub use codec::HazelcastCodec;
pub use compact_codec::CompactCodec;
pub use map_config::{
    ConfigDifference, InMemoryFormat, IndexConfig, IndexType, MapConfig, MapConfigError,
    MergePolicy, SessionMapConfig, WanReplicationRef,
};
pub use record::{AttributeValue, BackingMapSession, RecordError, SecondsNanos};
pub use repository::{
    DEFAULT_MAX_SAVE_ATTEMPTS, DEFAULT_OPERATION_DEADLINE, DEFAULT_TOUCH_FRACTION,
    HazelcastSessionRepository,
};

/// The map HSS stores sessions in by default.
pub const DEFAULT_MAP_NAME: &str = "spring:session:sessions";
