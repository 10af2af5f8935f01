//! A resilient tokio client for Hazelcast 5.x, built on the sans-IO
//! [`hazelcast_protocol`] crate.
//!
//! - **Routing**: smart (one connection per member, key operations to the partition owner)
//!   or single-connection.
//! - **Invocations**: correlation ids, Java's retry rules within the invocation timeout (no
//!   blind redo of non-idempotent writes unless [`ClientConfig::redo_operation`]), backup
//!   acknowledgements for smart clients, `tracing` span `hz.invoke` per invocation (message
//!   type and attempt count only: no keys, values or session ids).
//! - **Resilience**: heartbeats, cluster view (members + partition table), connect to all
//!   members, reconnect with backoff and jitter, cluster-id change handling and failover
//!   through an ordered cluster list ([`FailoverConfig`]). Open-source clusters are accepted
//!   for failover; without WAN replication (Enterprise) the clusters do **not** share data.
//! - **IMap** ([`Map`]): typed over keys and values (borrowed keys: `&str` for a `Map<String, _>`) ([`Serialize`]/[`Deserialize`], with
//!   [`Data`](hazelcast_protocol::data::Data) as the escape hatch and [`AsCompact`] for Compact
//!   records, whose schemas are sent before first use and fetched on read), entry listeners
//!   as a [`Stream`](futures_core::Stream) ([`EntryStream`]), dynamic map configuration
//!   ([`MapConfig`]).
//! - **Counters**: [`Client::stats`] (invocations, retries, reconnects, failovers, and wire
//!   counters: messages per socket write), the same events through the [`metrics`] facade
//!   (`hazelcast_client_*`, see [`ClientStats`]), and client statistics sent to the cluster
//!   every 5 s as the official clients do, so that Management Center lists this client
//!   ([`ClientConfig::statistics_period`]).
//! - **Hot path**: correlation ids in a sharded table, no timer per invocation (one task per
//!   client fails calls at their deadline), a call alone on its connection written to the
//!   socket by its caller, requests shared with the connection's writer (copied only for a
//!   retry), every queued request sent with one vectored write (many per TCP segment under
//!   load), responses read straight into the decoder, Compact layouts computed once per
//!   type.
//!
//! # Under faults
//!
//! The client is built for callers with their own deadline (a web request), which is why
//! some defaults differ from the Java client's:
//!
//! - **Offline: fail fast.** With no connection to any member, a call fails at once with
//!   [`ClientError::Offline`] (the official clients' `ASYNC` reconnect mode) instead of
//!   retrying until the invocation timeout; [`ClientConfig::offline_wait`] restores
//!   waiting. The client reconnects in the background with capped exponential backoff and
//!   ±20 % jitter (100 ms growing to 1 s by default, [`ReconnectPolicy`]).
//! - **Never gives up.** It never shuts itself down because clusters were unreachable:
//!   after the failover list's try count it starts over, after a backoff. A member that
//!   refuses the authentication during a reconnect (a client filter, a partition-count
//!   mismatch) is retried like any connection failure, with a warning; only at start-up is
//!   a refusal returned at once, as a configuration error. [`ClientConfig::async_start`]
//!   starts without a cluster.
//! - **A crash costs no backup-ack timeout, and loses no confirmed write.** A write answered
//!   by its partition owner and waiting only for backup acks ends as soon as the client
//!   loses its connection to a member or the cluster reports that a member left:
//!   - answered by another member (the one that left held a backup): it completes, since
//!     its owner holds the write and the cluster re-creates the lost backups;
//!   - answered by the member whose connection closed: it fails with
//!     [`ClientError::TargetDisconnected`], outcome unknown, since that owner may have died
//!     before its backups were sent, taking the write with it. The caller reads back to
//!     find out (`session-hazelcast` does); [`ClientStats::unconfirmed_writes`] counts them.
//!
//!   The Java client waits out its backup-ack timeout (5 s) for writes whose acks are
//!   missing, then reports them done (`fail.on.indeterminate.operation.state = false`).
//!   Before this distinction, this client completed both kinds at once, and a real
//!   member's `kill -9` once lost one confirmed write in about 6,000.
//! - **A rejoining member costs no backup-ack timeout either.** A member sends backup acks
//!   only to clients connected to it, so a write whose backup moved to a member that has
//!   just joined (a rolling restart) gets no ack until the client has connected there.
//!   While some data member has no connection, held writes wait at most 250 ms for their
//!   acks instead of the backup-ack timeout, and the client retries the connection every
//!   200 ms instead of every second. Partition tables in authentication responses apply
//!   only when newer than the one the cluster-view listener keeps: a member that has just
//!   joined answers with an older one.
//! - **A silent member** (a paused VM, a network partition) is dropped when its heartbeat
//!   times out ([`ClientConfigBuilder::heartbeat_timeout`], Java's 60 s by default); calls
//!   for its partitions fail by the caller's deadline until the cluster removes the member
//!   and the client routes by the new partition table. How long that takes is the
//!   members' failure detection (`hazelcast.max.no.heartbeat.seconds`, 60 s by default).
//! - **Failover on refusal.** With a failover list, a cluster whose every address refuses
//!   connections for [`ClientConfig::failover_on_refusal_after`] (200 ms) is left for the
//!   next one at once; a cluster that does not answer waits for its cluster connect
//!   timeout.
//!
//! Connecting and using a map (the configuration can also come from the `HZ_*` environment
//! variables: [`ClientConfig::from_env`]):
//!
//! ```no_run
//! use std::time::Duration;
//! use hazelcast_client::{Client, ClientConfig, ClusterConfig, RoutingMode};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), hazelcast_client::ClientError> {
//! let config = ClientConfig::builder()
//!     .cluster_name("dev")
//!     .addresses(["127.0.0.1:5701", "127.0.0.1:5702"])
//!     .routing(RoutingMode::Smart)
//!     .invocation_timeout(Duration::from_secs(30))
//!     .failover(3, [ClusterConfig::new("dr", ["10.0.0.9:5701"])])
//!     .build()?;
//! let client = Client::connect(config).await?;
//! let capitals = client.map::<String, String>("capitals");
//! capitals.set(&"France".to_owned(), &"Paris".to_owned()).await?;
//! assert_eq!(capitals.get(&"France".to_owned()).await?.as_deref(), Some("Paris"));
//! client.shutdown().await;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]

mod background;
pub mod backoff;
mod buffers;
mod client;
pub mod cluster_view;
pub mod config;
mod connect;
mod connection;
mod dispatch;
pub mod env;
pub mod error;
mod failover;
mod invocation;
pub mod listener;
pub mod map;
pub mod map_config;
mod map_query;
mod pending;
mod schema;
pub mod serialize;
mod statistics;
mod stats;

pub use client::{Client, ClusterConnection};
pub use cluster_view::Member;
pub use config::{
    ClientConfig, ClientConfigBuilder, ClusterConfig, Credentials, FailoverConfig, ReconnectMode,
    ReconnectPolicy, RoutingMode,
};
pub use env::EnvError;
pub use error::{AuthFailure, ClientError, ServerCause, ServerError};
pub use listener::{EntryEvent, EntryListenerOptions, EntryStream, InlineHandler, event_type};
pub use map::{IndexType, Map};
pub use map_config::{InMemoryFormat, IndexConfig, MapConfig, MergePolicy, WanReplicationRef};
pub use serialize::{AsCompact, Deserialize, Serialize};
pub use stats::ClientStats;
