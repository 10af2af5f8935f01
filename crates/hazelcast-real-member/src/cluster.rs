//! A cluster of real members: start, kill, pause, resume, shut down, restart.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::process::Signal;

use crate::config::{FailureDetection, MemberYaml};
use crate::distribution::{Distribution, target_dir};
use crate::error::MemberError;
use crate::process::{MemberProcess, cluster_dir, tail};

/// How long a member may take to start (a JVM on a loaded two-core machine).
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// Builds a [`RealCluster`]; see the crate docs.
#[derive(Debug, Clone)]
pub struct RealClusterBuilder {
    members: usize,
    cluster_name: String,
    backup_count: u32,
    partition_count: u32,
    heap: String,
    failure_detection: FailureDetection,
    properties: Vec<(String, String)>,
    maps_yaml: String,
    jvm_options: Vec<String>,
    distribution: Option<Distribution>,
}

impl Default for RealClusterBuilder {
    fn default() -> Self {
        Self {
            members: 1,
            cluster_name: "dev".into(),
            backup_count: 1,
            partition_count: 271,
            heap: "256m".into(),
            failure_detection: FailureDetection::default(),
            properties: Vec::new(),
            maps_yaml: String::new(),
            jvm_options: Vec::new(),
            distribution: None,
        }
    }
}

impl RealClusterBuilder {
    /// Number of members (default 1).
    pub fn members(mut self, n: usize) -> Self {
        self.members = n.max(1);
        self
    }

    /// The cluster name (default `dev`, Hazelcast's).
    pub fn cluster_name(mut self, name: impl Into<String>) -> Self {
        self.cluster_name = name.into();
        self
    }

    /// Backup count of the `default` map configuration (default 1).
    pub fn backup_count(mut self, n: u32) -> Self {
        self.backup_count = n;
        self
    }

    /// Partition count (default 271).
    pub fn partition_count(mut self, n: u32) -> Self {
        self.partition_count = n;
        self
    }

    /// Heap size of each member, `-Xms` and `-Xmx` (default `256m`).
    pub fn heap(mut self, heap: impl Into<String>) -> Self {
        self.heap = heap.into();
        self
    }

    /// Member failure detection (default [`FailureDetection::SESSIONS`]).
    pub fn failure_detection(mut self, f: FailureDetection) -> Self {
        self.failure_detection = f;
        self
    }

    /// A member property (`hazelcast.*`), overriding the launcher's own.
    pub fn property(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.properties.push((key.into(), value.into()));
        self
    }

    /// Map configurations as YAML, placed under `hazelcast.map` beside `default`, e.g.
    /// `"sessions:\n  max-idle-seconds: 1800\n"`.
    pub fn maps_yaml(mut self, yaml: impl Into<String>) -> Self {
        self.maps_yaml.push_str(&yaml.into());
        self.maps_yaml.push('\n');
        self
    }

    /// An extra JVM option for every member.
    pub fn jvm_option(mut self, option: impl Into<String>) -> Self {
        self.jvm_options.push(option.into());
        self
    }

    /// The member distribution (default: [`Distribution::from_env`], i.e. `HZ_VERSION`).
    pub fn distribution(mut self, d: Distribution) -> Self {
        self.distribution = Some(d);
        self
    }

    /// Starts the members and waits until each says STARTED and sees the whole cluster.
    /// Blocks for seconds: from async code use [`start_async`](Self::start_async).
    ///
    /// # Errors
    /// Setup (no Java or Maven, artifact missing), spawn, or a member that did not start.
    pub fn start(self) -> Result<RealCluster, MemberError> {
        let distribution = match self.distribution.clone() {
            Some(d) => d,
            None => Distribution::from_env()?,
        };
        let dir = cluster_dir(&target_dir(), &self.cluster_name)?;
        let ports = free_ports(self.members)?;
        let slots = ports
            .iter()
            .map(|&port| Slot {
                port,
                process: None,
                incarnation: 0,
                log: PathBuf::new(),
                paused: false,
                started_at: None,
            })
            .collect();
        let mut cluster = RealCluster {
            settings: self,
            distribution,
            dir,
            slots,
        };
        cluster.start_fresh()?;
        Ok(cluster)
    }

    /// [`start`](Self::start) on tokio's blocking pool.
    ///
    /// # Errors
    /// As [`start`](Self::start).
    pub async fn start_async(self) -> Result<RealCluster, MemberError> {
        tokio::task::spawn_blocking(move || self.start())
            .await
            .unwrap_or_else(|e| {
                Err(MemberError::Setup(format!(
                    "the start-up task did not finish: {e}"
                )))
            })
    }
}

#[derive(Debug)]
struct Slot {
    port: u16,
    process: Option<MemberProcess>,
    incarnation: u32,
    log: PathBuf,
    paused: bool,
    /// When this incarnation was seen STARTED (its log polled every 100 ms).
    started_at: Option<Instant>,
}

/// Real Hazelcast members of one cluster, running as child processes of this process.
///
/// Every member is killed when the cluster is dropped, and by a watchdog when this process
/// dies without dropping it.
#[derive(Debug)]
pub struct RealCluster {
    settings: RealClusterBuilder,
    distribution: Distribution,
    dir: PathBuf,
    slots: Vec<Slot>,
}

impl RealCluster {
    /// A builder with defaults (one member, cluster `dev`, backup count 1).
    pub fn builder() -> RealClusterBuilder {
        RealClusterBuilder::default()
    }

    /// The cluster name.
    pub fn cluster_name(&self) -> &str {
        &self.settings.cluster_name
    }

    /// The Hazelcast version the members run.
    pub fn version(&self) -> &str {
        &self.distribution.version
    }

    /// Every member's address (live or not), in slot order.
    pub fn addresses(&self) -> Vec<SocketAddr> {
        self.slots
            .iter()
            .map(|s| SocketAddr::from(([127, 0, 0, 1], s.port)))
            .collect()
    }

    /// The address of member `i`.
    pub fn address(&self, i: usize) -> Option<SocketAddr> {
        self.addresses().get(i).copied()
    }

    /// Number of member slots.
    pub fn slot_count(&self) -> usize {
        self.slots.len()
    }

    /// Whether member `i`'s process runs (a paused member runs).
    pub fn is_alive(&mut self, i: usize) -> bool {
        self.slots
            .get_mut(i)
            .and_then(|s| s.process.as_mut())
            .is_some_and(|p| p.exited().is_none())
    }

    /// The process id of member `i`, if it runs.
    pub fn pid(&self, i: usize) -> Option<u32> {
        self.slots
            .get(i)
            .and_then(|s| s.process.as_ref())
            .map(MemberProcess::pid)
    }

    /// The current log file of member `i` (each restart starts a new one).
    pub fn log_path(&self, i: usize) -> Option<&Path> {
        self.slots.get(i).map(|s| s.log.as_path())
    }

    /// When the current incarnation of member `i` was seen STARTED (its log line, polled
    /// every 100 ms while a start waits for it); `None` before that or for a stopped slot.
    pub fn started_at(&self, i: usize) -> Option<Instant> {
        self.slots.get(i).and_then(|s| s.started_at)
    }

    /// The current log of member `i`.
    pub fn log(&self, i: usize) -> String {
        self.log_path(i)
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default()
    }

    /// The member UUID that member `i` reports for itself, from its latest member list.
    pub fn member_uuid(&self, i: usize) -> Option<String> {
        let log = self.log(i);
        let block = log.rsplit("Members {size:").next()?;
        block
            .lines()
            .find(|l| l.trim_end().ends_with(" this"))
            .and_then(|l| l.split(" - ").nth(1))
            .and_then(|rest| rest.split_whitespace().next())
            .map(str::to_owned)
    }

    /// SIGKILL member `i` (`kill -9`): no goodbye, sockets closed by the kernel.
    ///
    /// # Errors
    /// [`MemberError::BadSlot`] when there is no such member.
    pub fn kill_member(&mut self, i: usize) -> Result<(), MemberError> {
        let slot = self.slot_mut(i)?;
        if let Some(mut p) = slot.process.take() {
            p.kill();
        }
        slot.paused = false;
        tracing::debug!(member = i, "killed");
        Ok(())
    }

    /// The same as [`kill_member`](Self::kill_member), named like the test member's.
    ///
    /// # Errors
    /// As [`kill_member`](Self::kill_member).
    pub fn crash_member(&mut self, i: usize) -> Result<(), MemberError> {
        self.kill_member(i)
    }

    /// SIGSTOP member `i`: it stops answering without closing its sockets (a VM pause, a
    /// network partition). Returns once the kernel reports it stopped.
    ///
    /// # Errors
    /// No such running member, or the signal failed.
    pub fn pause_member(&mut self, i: usize) -> Result<(), MemberError> {
        let slot = self.slot_mut(i)?;
        let p = slot.process.as_ref().ok_or(MemberError::BadSlot {
            slot: i,
            reason: "not running",
        })?;
        p.signal(Signal::STOP)?;
        p.wait_stopped(true);
        slot.paused = true;
        Ok(())
    }

    /// SIGCONT member `i`.
    ///
    /// # Errors
    /// No such running member, or the signal failed.
    pub fn resume_member(&mut self, i: usize) -> Result<(), MemberError> {
        let slot = self.slot_mut(i)?;
        let p = slot.process.as_ref().ok_or(MemberError::BadSlot {
            slot: i,
            reason: "not running",
        })?;
        p.signal(Signal::CONT)?;
        p.wait_stopped(false);
        slot.paused = false;
        Ok(())
    }

    /// Graceful shutdown of member `i` (SIGTERM; the members are configured to migrate its
    /// partitions away first). Waits until the process ended (killing it after 90 s).
    ///
    /// # Errors
    /// No such member, or the signal failed.
    pub fn shutdown_member(&mut self, i: usize) -> Result<(), MemberError> {
        let slot = self.slot_mut(i)?;
        if let Some(mut p) = slot.process.take() {
            if slot.paused {
                let _ = p.signal(Signal::CONT);
                slot.paused = false;
            }
            p.signal(Signal::TERM)?;
            if !p.wait_exit(Duration::from_secs(90)) {
                tracing::warn!(member = i, "graceful shutdown took over 90 s: killed");
                p.kill();
            }
        }
        Ok(())
    }

    /// Starts member `i` again on its port (after a kill or shutdown) and waits until it
    /// has joined the members that run.
    ///
    /// # Errors
    /// No such member, it still runs, or it did not start.
    pub fn restart_member(&mut self, i: usize) -> Result<(), MemberError> {
        if self.is_alive(i) {
            return Err(MemberError::BadSlot {
                slot: i,
                reason: "still running",
            });
        }
        let _ = self.slot_mut(i)?;
        self.spawn(i)?;
        self.wait_started(&[i])?;
        let running = self.running().len();
        self.wait_for_size(running, START_TIMEOUT)
    }

    /// Kills every member (the whole cluster is gone; its data too).
    pub fn shutdown(&mut self) {
        for slot in &mut self.slots {
            if let Some(mut p) = slot.process.take() {
                p.kill();
            }
            slot.paused = false;
        }
    }

    /// Kills whatever still runs and starts every member again: a new, empty cluster with
    /// a new cluster id, on the same addresses.
    ///
    /// # Errors
    /// A member did not start.
    pub fn restart_cluster(&mut self) -> Result<(), MemberError> {
        self.shutdown();
        self.start_fresh()
    }

    /// Waits until every running, unpaused member's latest member list has `n` members.
    ///
    /// # Errors
    /// [`MemberError::Timeout`] with the log tail of a member that disagrees.
    pub fn wait_for_size(&mut self, n: usize, timeout: Duration) -> Result<(), MemberError> {
        let deadline = Instant::now() + timeout;
        loop {
            let mut disagreeing = None;
            for i in self.running() {
                if self.slots[i].paused {
                    continue;
                }
                if let Some(status) = self.slots[i].process.as_mut().and_then(|p| p.exited()) {
                    return Err(MemberError::Exited {
                        slot: i,
                        status,
                        tail: tail(&self.slots[i].log, 30),
                    });
                }
                if latest_size(&self.log(i)) != Some(n) {
                    disagreeing = Some(i);
                    break;
                }
            }
            let Some(i) = disagreeing else {
                return Ok(());
            };
            if Instant::now() > deadline {
                return Err(MemberError::Timeout {
                    what: format!("member {i} seeing {n} members"),
                    timeout,
                    log: self.slots[i].log.display().to_string(),
                    tail: tail(&self.slots[i].log, 30),
                });
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn slot_mut(&mut self, i: usize) -> Result<&mut Slot, MemberError> {
        self.slots.get_mut(i).ok_or(MemberError::BadSlot {
            slot: i,
            reason: "no such member",
        })
    }

    fn running(&self) -> Vec<usize> {
        (0..self.slots.len())
            .filter(|&i| self.slots[i].process.is_some())
            .collect()
    }

    /// Member 0 first (it becomes the master), then the others together: members that
    /// start at the same moment with TCP-IP join may otherwise form separate clusters.
    fn start_fresh(&mut self) -> Result<(), MemberError> {
        self.spawn(0)?;
        self.wait_started(&[0])?;
        let rest: Vec<usize> = (1..self.slots.len()).collect();
        for &i in &rest {
            self.spawn(i)?;
        }
        self.wait_started(&rest)?;
        let n = self.slots.len();
        self.wait_for_size(n, START_TIMEOUT)
    }

    fn spawn(&mut self, i: usize) -> Result<(), MemberError> {
        let ports: Vec<u16> = self.slots.iter().map(|s| s.port).collect();
        let s = &self.settings;
        let yaml = MemberYaml {
            cluster_name: &s.cluster_name,
            port: ports[i],
            member_ports: &ports,
            backup_count: s.backup_count,
            partition_count: s.partition_count,
            failure_detection: s.failure_detection,
            properties: &s.properties,
            maps_yaml: &s.maps_yaml,
        }
        .render();
        let slot = &mut self.slots[i];
        slot.incarnation += 1;
        slot.started_at = None;
        let config = self.dir.join(format!("member-{i}.yaml"));
        std::fs::write(&config, yaml).map_err(|source| MemberError::Io {
            what: format!("write {}", config.display()),
            source,
        })?;
        slot.log = self
            .dir
            .join(format!("member-{i}-{}.log", slot.incarnation));
        let process = MemberProcess::spawn(
            &self.distribution.class_path(),
            &s.heap,
            &s.jvm_options,
            &config,
            &slot.log,
        )?;
        tracing::debug!(
            member = i,
            pid = process.pid(),
            port = slot.port,
            "member started"
        );
        slot.process = Some(process);
        slot.paused = false;
        Ok(())
    }

    fn wait_started(&mut self, members: &[usize]) -> Result<(), MemberError> {
        let deadline = Instant::now() + START_TIMEOUT;
        for &i in members {
            loop {
                let slot = &mut self.slots[i];
                if let Some(status) = slot.process.as_mut().and_then(|p| p.exited()) {
                    return Err(MemberError::Exited {
                        slot: i,
                        status,
                        tail: tail(&slot.log, 30),
                    });
                }
                let log = std::fs::read_to_string(&slot.log).unwrap_or_default();
                if log.contains(" is STARTED") {
                    slot.started_at = Some(Instant::now());
                    break;
                }
                if Instant::now() > deadline {
                    return Err(MemberError::Timeout {
                        what: format!("member {i} STARTED"),
                        timeout: START_TIMEOUT,
                        log: slot.log.display().to_string(),
                        tail: tail(&slot.log, 30),
                    });
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Ok(())
    }
}

impl Drop for RealCluster {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The size of the latest `Members {size:N, ver:V}` list in a member log.
fn latest_size(log: &str) -> Option<usize> {
    let rest = log.rsplit("Members {size:").next()?;
    if rest.len() == log.len() {
        return None;
    }
    rest.split(',').next()?.trim().parse().ok()
}

/// `n` distinct free ports below the ephemeral range (so that clients' outgoing
/// connections never take a port a member is restarted on).
fn free_ports(n: usize) -> Result<Vec<u16>, MemberError> {
    let mut ports = Vec::with_capacity(n);
    let seed = u64::from(std::process::id())
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
    let mut x = seed | 1;
    let mut tries = 0;
    while ports.len() < n {
        tries += 1;
        if tries > 10_000 {
            return Err(MemberError::Setup("no free port in 20000..32000".into()));
        }
        // xorshift: a different port sequence per process and start.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let port = 20_000 + (x % 12_000) as u16;
        if ports.contains(&port) {
            continue;
        }
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            ports.push(port);
        }
    }
    Ok(ports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_latest_member_list_size() {
        let log = "x\nMembers {size:1, ver:1} [\n\tMember [127.0.0.1]:1 - a this\n]\n\
                   Members {size:3, ver:3} [\n]\n";
        assert_eq!(latest_size(log), Some(3));
        assert_eq!(latest_size("nothing yet"), None);
    }

    #[test]
    fn free_ports_are_distinct_and_bindable() {
        let ports = free_ports(5).unwrap_or_default();
        assert_eq!(ports.len(), 5);
        let mut sorted = ports.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 5);
        assert!(ports.iter().all(|p| (20_000..32_000).contains(p)));
    }
}
