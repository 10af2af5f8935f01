//! HTTP sessions in a Hazelcast IMap, shareable with Spring applications using Hazelcast
//! Spring Session (HSS) 4.x.
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
//! - [`HazelcastSessionRepository`] (built with [`HazelcastSessionRepository::builder`]):
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
//! | save changes | `replaceIfSame(id, bytes as loaded, bytes with the delta applied)`; on a conflict `get`, re-apply the delta, try again (at most [`DEFAULT_MAX_SAVE_ATTEMPTS`], then [`Conflict`]) |
//! | change of id | `putIfAbsent(new id)` with `originalId` = old id, then `delete(old id)` |
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
//! | change id (load, change id, save) | 3 |
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
//! - A session whose own interval differs from the map's gets it as a per-entry max idle
//!   on the writes that can carry one (`putIfAbsent` at creation and change of id). A
//!   compare-and-set drops it back to the map's max idle (Hazelcast has no
//!   compare-and-set with max idle, and `setTtl` also resets max idle). After its first
//!   change such a session is therefore removed by the cluster after the *map's* max idle
//!   without access: a shorter own interval is still enforced by the record check on load
//!   (the entry just lingers up to the map's max idle), but a **longer** one (or "never")
//!   is cut short. Set the map's max idle
//!   ([`SessionMapConfig::with_max_idle`](map_config::SessionMapConfig::with_max_idle)) to
//!   the longest interval sessions may get.
//!
//! # Events
//!
//! An entry listener (with values) feeds
//! [`subscribe`](session_core::SessionRepository::subscribe): ADDED with `originalId == id` → Created;
//! REMOVED carrying the old value (`remove`) → Deleted; EXPIRED / EVICTED → Expired. A
//! change of id writes the new key with the old `originalId` and drops the old key with
//! `delete` (no old value in its event), so subscribers see neither a Created nor a
//! Deleted for it, as in HSS. A session this repository finds expired on load is removed
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

pub mod codec;
pub mod compact_codec;
pub mod compact_record;
pub mod map_config;
pub mod record;
mod repository;
pub mod spring;

pub use codec::HazelcastCodec;
pub use compact_codec::CompactCodec;
pub use map_config::{
    ConfigDifference, InMemoryFormat, IndexKind, MapConfigError, MergePolicy, SessionIndex,
    SessionMapConfig, WanReplicationRef,
};
pub use record::{AttributeValue, BackingMapSession, RecordError, SecondsNanos};
pub use repository::{
    BuildError, DEFAULT_MAX_SAVE_ATTEMPTS, DEFAULT_TOUCH_FRACTION, HazelcastRepositoryBuilder,
    HazelcastSessionRepository,
};

/// The map HSS stores sessions in by default.
pub const DEFAULT_MAP_NAME: &str = "spring:session:sessions";
