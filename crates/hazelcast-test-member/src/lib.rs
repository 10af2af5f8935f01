//! **Test infrastructure, never a product.** In-process Hazelcast members for tests of
//! the client and the session repository, where no Java member can run.
//!
//! The [`engine`] is the cluster without the wire: members, a 271-partition table with
//! owners and backups, replicated record stores, IMap operations with the TTL and
//! max-idle rules measured on a real Hazelcast 5.4 member (`docs/real-hazelcast-facts.md`),
//! entry listeners, predicates over Compact fields, map configs and fault switches.
//!
//! ```
//! use hazelcast_protocol::data::Data;
//! use hazelcast_test_member::engine::{Engine, EngineConfig};
//!
//! fn string(s: &str) -> Data {
//!     let mut b = vec![0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf5];
//!     b.extend_from_slice(&(s.len() as i32).to_be_bytes());
//!     b.extend_from_slice(s.as_bytes());
//!     Data::from_bytes(b)
//! }
//!
//! let engine = Engine::new(EngineConfig::default());
//! let a = engine.add_member();
//! let _b = engine.add_member();
//! engine.set("sessions", &string("alice"), &string("v1"), -1, -1).unwrap();
//! // The owner and one backup hold the entry (default backup-count 1).
//! assert_eq!(engine.replica_count("sessions", &string("alice")), 2);
//! engine.crash_member(a);
//! let got = engine.get("sessions", &string("alice")).unwrap().value;
//! assert_eq!(got, Some(string("v1")));
//! ```
#![forbid(unsafe_code)]

pub mod clock;
pub mod compact_read;
pub mod config;
mod connection;
mod dispatch;
pub mod engine;
pub mod error;
pub mod events;
pub mod fault;
pub mod partition;
pub mod query;
pub mod record;
pub mod server;
mod views;
