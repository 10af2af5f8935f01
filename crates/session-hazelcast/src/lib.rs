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
//!   policy, WAN replication reference, indexes, expiry...), converted to the
//!   `DynamicConfig.addMapConfig` request, compared field by field with an existing
//!   configuration, and rendered as member YAML.
//!
//! # How the repository uses the map
//!
//! | Operation | Map calls |
//! |---|---|
//! | save a new session | `putIfAbsent` (an existing id is [`IdCollision`], nothing overwritten) |
//! | load | `get` |
//! | save changes | `replaceIfSame(id, bytes as loaded, bytes with the delta applied)`; on a conflict a jittered pause growing from 2 ms to 100 ms, `get`, re-apply the delta, try again (at most [`DEFAULT_MAX_SAVE_ATTEMPTS`], then [`Conflict`]) |
//! | save a session whose interval differs from the map's max idle (remember-me) | as above, then `put` with its own max idle (the compare-and-set dropped it) |
//! | change of id | `putIfAbsent(new id)` with `originalId` = old id; `replaceIfSame(old id)` marking it with the new id; `removeIfSame(old id)`: a change another request made to the old id meanwhile is carried to the new id, never lost |
//! | invalidate / delete | `remove` |
//! | find by principal | `entrySet(equal("principalName", name))` on the HASH index |
//!
//! Round trips per request (a request loads the session once and saves it once; counted
//! by the `round_trips` test with the client's invocation counter):
//!
//! | Request | Round trips |
//! |---|---|
//! | create (new session, saved) | 1 |
//! | read-only (load, touch, save) | 1 |
//! | modify (load, change, save) | 2 (+2 per concurrent conflict) |
//! | change id (load, change id, save) | 4 |
//! | invalidate (load, invalidate, save) | 2 |
//!
//! The bytes loaded are kept (bounded, for a minute) as the expected value of the
//! compare-and-set, so a save needs no second read unless another request changed the
//! session meanwhile.
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
//! - A read-only request does not rewrite the record: the `get` that loaded it already
//!   moved the cluster's idle clock. The record's `lastAccessedTime` (which Spring and
//!   this repository check on every load, so an expired session is never returned) is
//!   written only when it moved by more than [`DEFAULT_TOUCH_FRACTION`] of the interval
//!   (configurable), so it may lag by that much: a session may be seen as expired that
//!   share of the interval early, never late.
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
//!   member leaving) is read back: if the key holds this write's bytes it landed,
//!   otherwise it is applied again (re-applying a delta is idempotent).
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
pub mod codec;
pub mod compact_codec;
pub mod compact_record;
pub mod env;
pub mod map_config;
pub mod record;
mod repository;
pub mod spring;

pub use builder::{BuildError, HazelcastRepositoryBuilder};
pub use codec::HazelcastCodec;
pub use compact_codec::CompactCodec;
pub use map_config::{
    ConfigDifference, InMemoryFormat, IndexKind, MapConfigError, MergePolicy, SessionIndex,
    SessionMapConfig, WanReplicationRef,
};
pub use record::{AttributeValue, BackingMapSession, RecordError, SecondsNanos};
pub use repository::{
    DEFAULT_MAX_SAVE_ATTEMPTS, DEFAULT_OPERATION_DEADLINE, DEFAULT_TOUCH_FRACTION,
    HazelcastSessionRepository,
};

/// The map HSS stores sessions in by default.
pub const DEFAULT_MAP_NAME: &str = "spring:session:sessions";
