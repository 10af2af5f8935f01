//! One way to get and steer clusters, whatever runs the members:
//! - [`RealMembers`]: real Hazelcast members (`hazelcast-real-member`) this xtask starts as
//!   JVM child processes — the default;
//! - [`TestMembers`]: in-process `hazelcast-test-member` clusters in a child process
//!   (`--test-member`);
//! - [`External`]: a cluster somebody else runs (`HZ_MEMBERS`, `--docker`): no faults.
//!
//! A scenario asks for the [`Fault`]s it needs; a backend that cannot produce one says why,
//! and the scenario is skipped with that reason.

use std::sync::{Arc, Mutex, PoisonError};

use hazelcast_real_member::{Distribution, FailureDetection, RealCluster};

use super::procs::ClusterProcess;

/// A fault a scenario injects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fault {
    /// `kill -9` of one member.
    Kill,
    /// SIGSTOP / SIGCONT of one member: silent, sockets open.
    Pause,
    /// Graceful shutdown of one member (partitions migrate first) and its restart.
    RollingRestart,
    /// Every member killed, then a fresh cluster on the same addresses.
    WholeCluster,
}

/// What a scenario asks for.
#[derive(Debug, Clone)]
pub(crate) struct ClusterSpec {
    /// Short name; the cluster name is made unique from it.
    pub(crate) label: String,
    /// Number of members.
    pub(crate) members: usize,
    /// Backup count of the maps (the shop also configures its session map with 1).
    pub(crate) backup_count: u32,
}

impl ClusterSpec {
    pub(crate) fn new(label: &str, members: usize) -> Self {
        Self {
            label: label.to_owned(),
            members,
            backup_count: 1,
        }
    }
}

/// A cluster of one scenario.
pub(crate) trait ClusterControl {
    /// The cluster name.
    fn name(&self) -> &str;
    /// Member addresses (`host:port`), live or not, in slot order.
    fn members(&self) -> Vec<String>;
    /// `kill -9` member `i`.
    fn kill_member(&mut self, i: usize) -> Result<(), String>;
    /// SIGSTOP member `i`.
    fn pause_member(&mut self, i: usize) -> Result<(), String>;
    /// SIGCONT member `i`.
    fn resume_member(&mut self, i: usize) -> Result<(), String>;
    /// Graceful shutdown of member `i`; returns once it is gone.
    fn shutdown_member(&mut self, i: usize) -> Result<(), String>;
    /// Starts member `i` again on its address; returns once it joined.
    fn restart_member(&mut self, i: usize) -> Result<(), String>;
    /// Kills every member (the data is gone).
    fn shutdown(&mut self) -> Result<(), String>;
    /// A fresh, empty cluster on the same addresses (new cluster id).
    fn restart_cluster(&mut self) -> Result<(), String>;
    /// The size of the latest member list member `i` reports, when the backend can tell.
    fn member_view(&self, i: usize) -> Option<usize>;
    /// When the first member of the current incarnation was up (seen STARTED), when the
    /// backend can tell.
    fn first_member_up(&self) -> Option<std::time::Instant> {
        None
    }
}

/// Where the scenarios' clusters come from.
pub(crate) trait Backend {
    /// One line for the report header.
    fn describe(&self) -> String;
    /// The Hazelcast version the members run.
    fn version(&self) -> String;
    /// Why `fault` cannot be injected, if it cannot.
    fn cannot(&self, fault: Fault) -> Option<String>;
    /// A new cluster.
    fn start(&mut self, spec: &ClusterSpec) -> Result<Box<dyn ClusterControl>, String>;
    /// Whether the members are our in-process imitation, which lacks some operations a
    /// Java application needs (Hazelcast Spring Session falls back to `Map.lock`).
    fn is_imitation(&self) -> bool {
        false
    }
}

/// The error and its sources, joined by `": "`.
pub(crate) fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

// ---------------------------------------------------------------------------------------
// Real members.

/// Real Hazelcast members started by this xtask.
pub(crate) struct RealMembers {
    distribution: Distribution,
    failure_detection: FailureDetection,
    started: usize,
}

impl RealMembers {
    /// Resolves the member distribution (`HZ_VERSION`, Maven via
    /// `scripts/setup-hazelcast.sh`).
    pub(crate) fn new(failure_detection: FailureDetection) -> Result<Self, String> {
        let distribution = Distribution::from_env().map_err(|e| chain(&e))?;
        Ok(Self {
            distribution,
            failure_detection,
            started: 0,
        })
    }
}

impl Backend for RealMembers {
    fn describe(&self) -> String {
        let fd = self.failure_detection;
        format!(
            "real Hazelcast members started by the xtask (JVM child processes, jars in {}; failure detection: heartbeat {} s, member removed after {} s of silence)",
            self.distribution.lib_dir.display(),
            fd.heartbeat_interval.as_secs(),
            fd.max_no_heartbeat.as_secs()
        )
    }

    fn version(&self) -> String {
        self.distribution.version.clone()
    }

    fn cannot(&self, _fault: Fault) -> Option<String> {
        None
    }

    fn start(&mut self, spec: &ClusterSpec) -> Result<Box<dyn ClusterControl>, String> {
        self.started += 1;
        let name = format!("{}-{}", spec.label, self.started);
        eprintln!(
            "integration: starting {} real member(s) of cluster {name}",
            spec.members
        );
        let cluster = RealCluster::builder()
            .members(spec.members)
            .cluster_name(name.clone())
            .backup_count(spec.backup_count)
            .failure_detection(self.failure_detection)
            .distribution(self.distribution.clone())
            .start()
            .map_err(|e| format!("cannot start real cluster {name}: {}", chain(&e)))?;
        Ok(Box::new(Real { name, cluster }))
    }
}

struct Real {
    name: String,
    cluster: RealCluster,
}

fn real<T>(r: Result<T, hazelcast_real_member::MemberError>) -> Result<T, String> {
    r.map_err(|e| chain(&e))
}

impl ClusterControl for Real {
    fn name(&self) -> &str {
        &self.name
    }
    fn members(&self) -> Vec<String> {
        self.cluster
            .addresses()
            .iter()
            .map(ToString::to_string)
            .collect()
    }
    fn kill_member(&mut self, i: usize) -> Result<(), String> {
        real(self.cluster.kill_member(i))
    }
    fn pause_member(&mut self, i: usize) -> Result<(), String> {
        real(self.cluster.pause_member(i))
    }
    fn resume_member(&mut self, i: usize) -> Result<(), String> {
        real(self.cluster.resume_member(i))
    }
    fn shutdown_member(&mut self, i: usize) -> Result<(), String> {
        real(self.cluster.shutdown_member(i))
    }
    fn restart_member(&mut self, i: usize) -> Result<(), String> {
        real(self.cluster.restart_member(i))
    }
    fn shutdown(&mut self) -> Result<(), String> {
        self.cluster.shutdown();
        Ok(())
    }
    fn restart_cluster(&mut self) -> Result<(), String> {
        real(self.cluster.restart_cluster())
    }
    fn member_view(&self, i: usize) -> Option<usize> {
        latest_member_list_size(&self.cluster.log(i))
    }
    fn first_member_up(&self) -> Option<std::time::Instant> {
        (0..self.cluster.addresses().len())
            .filter_map(|i| self.cluster.started_at(i))
            .min()
    }
}

/// The size of the latest `Members {size:N, ver:V}` list in a member log.
pub(crate) fn latest_member_list_size(log: &str) -> Option<usize> {
    let (_, rest) = log.rsplit_once("Members {size:")?;
    rest.split(',').next()?.trim().parse().ok()
}

// ---------------------------------------------------------------------------------------
// Test members.

/// In-process `hazelcast-test-member` clusters in a child process.
pub(crate) struct TestMembers {
    process: Arc<Mutex<ClusterProcess>>,
    started: usize,
}

impl TestMembers {
    pub(crate) fn spawn() -> Result<Self, String> {
        Ok(Self {
            process: Arc::new(Mutex::new(ClusterProcess::spawn()?)),
            started: 0,
        })
    }
}

/// Why the test member cannot stand in for a SIGSTOPped member.
pub(crate) const TEST_MEMBER_NO_PAUSE: &str = "hazelcast-test-member cannot produce a silent member: its fault injection can hold responses back (Faults::stall), but the member still executes every request and its cluster never removes it, which is not what a stopped process does";

impl Backend for TestMembers {
    fn describe(&self) -> String {
        "in-process hazelcast-test-member clusters (child process; an imitation of a member)"
            .to_owned()
    }

    fn version(&self) -> String {
        "none (hazelcast-test-member)".to_owned()
    }

    fn is_imitation(&self) -> bool {
        true
    }

    fn cannot(&self, fault: Fault) -> Option<String> {
        match fault {
            Fault::Pause => Some(TEST_MEMBER_NO_PAUSE.to_owned()),
            Fault::Kill | Fault::RollingRestart | Fault::WholeCluster => None,
        }
    }

    fn start(&mut self, spec: &ClusterSpec) -> Result<Box<dyn ClusterControl>, String> {
        self.started += 1;
        let name = format!("{}-{}", spec.label, self.started);
        let members = self
            .process
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .start(&name, spec.members)?;
        Ok(Box::new(Test {
            name,
            members,
            process: Arc::clone(&self.process),
        }))
    }
}

struct Test {
    name: String,
    members: Vec<String>,
    process: Arc<Mutex<ClusterProcess>>,
}

impl Test {
    fn command(&self, verb: &str, slot: Option<usize>) -> Result<(), String> {
        let line = match slot {
            Some(i) => format!("{verb} {} {i}", self.name),
            None => format!("{verb} {}", self.name),
        };
        self.process
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .command(&line)
            .map(drop)
    }
}

impl ClusterControl for Test {
    fn name(&self) -> &str {
        &self.name
    }
    fn members(&self) -> Vec<String> {
        self.members.clone()
    }
    fn kill_member(&mut self, i: usize) -> Result<(), String> {
        self.command("crash", Some(i))
    }
    fn pause_member(&mut self, _i: usize) -> Result<(), String> {
        Err(TEST_MEMBER_NO_PAUSE.to_owned())
    }
    fn resume_member(&mut self, _i: usize) -> Result<(), String> {
        Err(TEST_MEMBER_NO_PAUSE.to_owned())
    }
    fn shutdown_member(&mut self, i: usize) -> Result<(), String> {
        self.command("stop", Some(i))
    }
    fn restart_member(&mut self, i: usize) -> Result<(), String> {
        self.command("restart", Some(i))
    }
    fn shutdown(&mut self) -> Result<(), String> {
        self.command("shutdown", None)
    }
    fn restart_cluster(&mut self) -> Result<(), String> {
        self.command("restart-cluster", None)
    }
    fn member_view(&self, _i: usize) -> Option<usize> {
        None
    }
}

impl Drop for Test {
    fn drop(&mut self) {
        // Frees the cluster's ports and memory in the child process.
        let _ = self.command("drop", None);
    }
}

// ---------------------------------------------------------------------------------------
// External clusters.

/// A cluster somebody else runs.
pub(crate) struct External {
    pub(crate) primary: super::ClusterRef,
    pub(crate) failover: Option<super::ClusterRef>,
    pub(crate) origin: &'static str,
}

impl Backend for External {
    fn describe(&self) -> String {
        format!(
            "{}: cluster {} at {}{}",
            self.origin,
            self.primary.name,
            self.primary.members.join(","),
            self.failover
                .as_ref()
                .map(|f| format!(", failover cluster {} at {}", f.name, f.members.join(",")))
                .unwrap_or_default()
        )
    }

    fn version(&self) -> String {
        "not known to the xtask (external cluster)".to_owned()
    }

    fn cannot(&self, _fault: Fault) -> Option<String> {
        Some(format!(
            "the members come from {}; the xtask does not control them",
            self.origin
        ))
    }

    fn start(&mut self, _spec: &ClusterSpec) -> Result<Box<dyn ClusterControl>, String> {
        Err(self.cannot(Fault::Kill).unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_member_list_sizes_and_describes_faults() {
        let log = "Members {size:3, ver:3} [\n]\n... Members {size:2, ver:4} [\n]\n";
        assert_eq!(latest_member_list_size(log), Some(2));
        assert_eq!(latest_member_list_size("starting"), None);
        let external = External {
            primary: crate::integration::ClusterRef {
                name: "dev".into(),
                members: vec!["127.0.0.1:5701".into()],
            },
            failover: None,
            origin: "HZ_MEMBERS",
        };
        assert!(
            external
                .cannot(Fault::Kill)
                .is_some_and(|r| r.contains("HZ_MEMBERS"))
        );
        let e = hazelcast_real_member::MemberError::Io {
            what: "write config".into(),
            source: std::io::Error::other("disk full"),
        };
        assert_eq!(chain(&e), "write config: disk full");
    }
}
