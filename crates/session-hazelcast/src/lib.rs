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
//! - [`record`]: the Compact `BackingMapSession` / `AttributeValue` record, byte-compatible
//!   with HSS 4.x, and its conversion from and to session-core's [`SessionRecord`]
//!   (tolerant of nulls and extra fields written by other clients).
//! - [`HazelcastCodec`]: an [`AttributeCodec`](session_core::AttributeCodec) writing Rust
//!   strings and numbers with Hazelcast's built-in type ids and other serde values as
//!   `HazelcastJsonValue`.
//! - [`SessionMapConfig`]: the session map's configuration as typed Rust (backups, merge
//!   policy, WAN replication reference, indexes, expiry...), converted to the
//!   `DynamicConfig.addMapConfig` request, compared field by field with an existing
//!   configuration, and rendered as member YAML.
//!
//! [`SessionRecord`]: session_core::SessionRecord
#![forbid(unsafe_code)]

mod codec;
pub mod map_config;
pub mod record;

pub use codec::HazelcastCodec;
pub use map_config::{
    ConfigDifference, InMemoryFormat, IndexKind, MapConfigError, MergePolicy, SessionIndex,
    SessionMapConfig, WanReplicationRef,
};
pub use record::{AttributeValue, BackingMapSession, RecordError, SecondsNanos};

/// The map HSS stores sessions in by default.
pub const DEFAULT_MAP_NAME: &str = "spring:session:sessions";
