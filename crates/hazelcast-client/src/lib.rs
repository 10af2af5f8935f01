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
//! - **IMap** ([`Map`]): typed over keys and values ([`Serialize`]/[`Deserialize`], with
//!   [`Data`](hazelcast_protocol::data::Data) as the escape hatch and [`Compact`] for Compact
//!   records, whose schemas are sent before first use and fetched on read), entry listeners
//!   as a [`Stream`](futures_core::Stream) ([`EntryStream`]), dynamic map configuration
//!   ([`MapConfig`]).
//! - **Counters**: [`Client::stats`].
//!
//! ```
//! use std::time::Duration;
//! use hazelcast_client::{ClientConfig, ClusterConfig, RoutingMode};
//!
//! let config = ClientConfig::builder()
//!     .cluster_name("dev")
//!     .addresses(["127.0.0.1:5701", "127.0.0.1:5702"])
//!     .routing(RoutingMode::Smart)
//!     .invocation_timeout(Duration::from_secs(30))
//!     .failover(3, [ClusterConfig::new("dr", ["10.0.0.9:5701"])])
//!     .build()?;
//! assert_eq!(config.clusters().len(), 2);
//! // let client = hazelcast_client::Client::connect(config).await?;
//! // let sessions = client.map::<String, String>("sessions");
//! // sessions.set(&"id".to_owned(), &"value".to_owned()).await?;
//! # Ok::<(), hazelcast_client::ClientError>(())
//! ```
#![forbid(unsafe_code)]

pub mod backoff;
mod client;
pub mod cluster_view;
pub mod config;
mod connection;
pub mod error;
pub mod listener;
pub mod map;
pub mod map_config;
mod pending;
pub mod serialize;
mod stats;

pub use client::{Client, ClusterConnection};
pub use cluster_view::Member;
pub use config::{
    ClientConfig, ClientConfigBuilder, ClusterConfig, Credentials, FailoverConfig, ReconnectMode,
    ReconnectPolicy, RoutingMode,
};
pub use error::{AuthFailure, ClientError, ServerCause, ServerError};
pub use listener::{EntryEvent, EntryListenerOptions, EntryStream, event_type};
pub use map::{IndexType, Map};
pub use map_config::{InMemoryFormat, MapConfig};
pub use serialize::{Compact, Deserialize, Serialize};
pub use stats::ClientStats;
