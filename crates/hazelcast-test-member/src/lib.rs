//! **Test infrastructure, never a product.** In-process Hazelcast members for tests of
//! the client and the session repository, where no Java member can run (no Docker, no
//! Maven on our machines). Nothing here is hardened, persistent or fast enough for real use.
//!
//! Two layers:
//! - [`engine`]: the cluster without the wire — members, a 271-partition table with owners
//!   and backups, replicated record stores, IMap operations with the TTL and max-idle rules
//!   measured on a real Hazelcast 5.4 member (`docs/real-hazelcast-facts.md`, cited by item
//!   number next to the code), entry listeners, predicates over Compact fields, map configs.
//! - [`server`]: members on 127.0.0.1 ephemeral ports speaking the client protocol (`CP2`,
//!   authentication, cluster views, backup acks, every Map message the protocol crate has a
//!   codec for, schemas, dynamic map config, real error codes), plus [`fault`] injection:
//!   delayed (per message type) or stalled responses, refused connections, denied
//!   clients, withheld backup acks, dropped connections, a crash in the middle of a
//!   request, crash / stop / restart of a member, restart or shutdown of the whole cluster;
//!   and a [`journal`] of the requests each member received.
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
//!
//! Over the wire, with any client (here the clients are only sketched):
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use std::time::Duration;
//! use hazelcast_test_member::config::MapConfig;
//! use hazelcast_test_member::server::TestCluster;
//!
//! let cluster = TestCluster::builder()
//!     .members(3)
//!     .map_config(MapConfig::new("idle-*").with_max_idle_seconds(4))
//!     .expiry(Duration::from_millis(200), 271) // fast background expiry for tests
//!     .start()
//!     .await?;
//! let seeds = cluster.addresses(); // connect a client here
//! cluster.faults(1).unwrap().set_response_delay(Some(Duration::from_millis(50)));
//! cluster.crash_member(0); // backups on the others are promoted, nothing acknowledged is lost
//! cluster.shutdown();
//! # let _ = seeds;
//! # Ok(())
//! # }
//! ```
//!
//! Run members on a normal tokio runtime with I/O enabled; with paused test time their
//! timers (client timeout, expiry task) would jump ahead whenever the runtime is idle.
//!
//! # Known differences from a real member
//!
//! The client's and the session repository's tests run the same bodies against this crate
//! and against real members (`hazelcast-real-member`, tests named `*_test_member` /
//! `*_real_member`); where the two disagreed the real member was taken as right. What
//! this crate still does not model:
//!
//! - **Crash detection is instant.** A crashed member leaves the partition table at once
//!   and its backups are promoted in the same step. Real members need 0.3–0.4 s after a
//!   `kill -9` to remove it (a silent member: the heartbeat timeout), and every write
//!   whose backup lived on it in that window waits for the client's backup-ack timeout and
//!   then succeeds: under load a crash costs a stall of that timeout on real members
//!   (3.1–3.3 s with a 2 s timeout) against under 0.1 s here. Withhold backup acks
//!   ([`fault::Faults::set_withhold_backup_acks`]) to reproduce the wait.
//! - **A stalled member still works.** [`fault::Faults::stall`] holds responses back but
//!   executes requests, and the other members never remove a stalled member. A stopped real
//!   member (`SIGSTOP`) executes nothing, and its peers remove it after their heartbeat
//!   timeout.
//! - **Time to come back.** Restarting a member or the whole cluster takes milliseconds
//!   here and seconds for real members (a JVM start); a cold JVM is also slow for its first
//!   thousands of operations.
//! - **Map configuration text.** A conflicting dynamic map configuration is refused with
//!   the same error (`InvalidConfigurationException`, code 32) and the same field values,
//!   but `MapConfig.toString()` is rendered as a 5.4 member prints it: without the
//!   `userCodeNamespace` field of 5.5 and later, and with `[]` where a real member prints
//!   `null` for a list the client sent as null. The reported server version is 5.4.0.
//! - **Refusals other than status 1.** A refused authentication carries no member uuid, a
//!   null cluster id and partition count -1, as measured for CREDENTIALS_FAILED on a real
//!   member; serialization-version mismatches and denied clients are answered alike here,
//!   which was not measured.
//! - **Features.** No locks, entry processors, aggregations, paging predicates, event
//!   journal or near-cache invalidation (those requests get error 61); members never drop
//!   silent clients (a real one does after 300 s); backups are copied synchronously
//!   in-process, so "async" backups are only not counted in backup acks.
//!
//! Behaviour checked the same on both (and fixed here where it was not): the session
//! conformance suite, round trips per request, the expiry rules (map max idle extended by
//! reads and re-applied by writes, a per-entry max idle dropped by `replaceIfSame`,
//! whole-second expiry, `expired` at once on a read and from the background task),
//! concurrent compare-and-set writers, entry events without duplicates, Compact schemas,
//! dynamic map configuration, the WAN reference an open-source member accepts, partition
//! count 271, `failover_supported = false`, a wrong cluster name and any username and
//! password refused with CREDENTIALS_FAILED (without security, which open-source members
//! lack), failover between two clusters, cluster restart, crash and silent members.
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
pub mod journal;
pub mod partition;
pub mod query;
pub mod record;
pub mod server;
mod views;
