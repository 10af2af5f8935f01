//! **Test support, never a product.** Real open-source Hazelcast members
//! (`com.hazelcast:hazelcast` from Maven Central) as child processes, for the tests, the
//! integration scenarios (`cargo xtask integration`) and the benchmarks: where our client
//! and our in-process `hazelcast-test-member` agree, a real member is still the judge.
//!
//! ```no_run
//! use hazelcast_real_member::RealCluster;
//!
//! # fn demo() -> Result<(), hazelcast_real_member::MemberError> {
//! // Resolves the member with Maven on first use (scripts/setup-hazelcast.sh), then starts
//! // three JVMs on 127.0.0.1 and waits until each says STARTED and sees the other two.
//! let mut cluster = RealCluster::builder()
//!     .members(3)
//!     .cluster_name("sessions-test")
//!     .backup_count(1)
//!     .start()?;
//! let seeds = cluster.addresses(); // connect a client here
//! cluster.pause_member(1)?; // SIGSTOP: silent, sockets open
//! cluster.resume_member(1)?;
//! cluster.kill_member(2)?; // kill -9
//! cluster.restart_member(2)?; // same port, rejoins
//! cluster.shutdown_member(0)?; // graceful: partitions migrate first
//! # let _ = seeds;
//! # Ok(())
//! # }
//! ```
//!
//! What the members are: `HazelcastMemberStarter` of the version `HZ_VERSION` names
//! (default [`DEFAULT_VERSION`]), each with a generated YAML file: 127.0.0.1 only, a fixed
//! free port below the ephemeral range, TCP-IP join, multicast, auto-detection and
//! phone-home off, a 256 MiB heap and the serial collector (two cores), failure detection
//! tuned for sessions ([`FailureDetection::SESSIONS`]), SIGTERM = graceful shutdown. Logs
//! and configs go to `target/real-members/<cluster>-<pid>-<n>/`.
//!
//! Members are never left behind: dropping the [`RealCluster`] kills them, and each member
//! has a watchdog process that kills it when the process that started it dies (panic,
//! SIGKILL, a test binary that ends without dropping).
//!
//! The blocking calls take seconds (a JVM starts in 3–6 s on two cores); from async code use
//! [`RealClusterBuilder::start_async`] or `tokio::task::spawn_blocking`.
#![forbid(unsafe_code)]

mod cluster;
mod config;
mod distribution;
mod error;
mod process;

pub use cluster::{RealCluster, RealClusterBuilder};
pub use config::FailureDetection;
pub use distribution::{DEFAULT_VERSION, Distribution, target_dir, workspace_root};
pub use error::MemberError;
