//! The Hazelcast cluster the benchmark uses: a real member from Maven Central (default),
//! the in-process imitation (`--test-member`) or an external cluster (`HZ_MEMBERS`).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use hazelcast_real_member::{FailureDetection, RealCluster};

use super::options::Options;
use super::procs::Proc;

/// What keeps the cluster alive (dropped: stopped); the values are only held.
enum Member {
    /// A real member (JVM) started here; killed on drop.
    Real { _cluster: Box<RealCluster> },
    /// `bench-tool member`; stops when its stdin closes (on drop).
    Test { _proc: Proc },
    /// `HZ_MEMBERS`: not ours to stop.
    External,
}

/// The Hazelcast cluster of a benchmark run.
pub(crate) struct Cluster {
    _member: Member,
    /// Member addresses, comma-separated.
    pub(crate) addresses: String,
    /// Cluster name.
    pub(crate) name: String,
    /// One line for the report.
    pub(crate) description: String,
    /// Whether it is the in-process imitation.
    pub(crate) imitation: bool,
    /// The member's process id when it runs on this machine (for its CPU time).
    pub(crate) member_pid: Option<u32>,
}

/// Starts (or names) the cluster.
pub(crate) fn start(tool: &Path, opts: &Options) -> Result<Cluster, String> {
    let external = std::env::var("HZ_MEMBERS")
        .ok()
        .filter(|m| !m.trim().is_empty());
    if let Some(m) = external {
        let name = std::env::var("HZ_CLUSTER_NAME").unwrap_or_else(|_| "dev".into());
        return Ok(Cluster {
            _member: Member::External,
            addresses: m.trim().to_owned(),
            description: format!(
                "external cluster at HZ_MEMBERS={} (cluster name {name})",
                m.trim()
            ),
            name,
            imitation: false,
            member_pid: None,
        });
    }
    if opts.test_member {
        eprintln!("bench: starting the test member (--test-member, separate process)");
        let mut member = Proc::spawn("test member", Command::new(tool).arg("member"))?;
        let addresses = member.wait_for("MEMBERS ", Duration::from_secs(30))?;
        let member_pid = Some(member.pid());
        return Ok(Cluster {
            _member: Member::Test { _proc: member },
            addresses,
            name: "dev".into(),
            description: "one `hazelcast-test-member` (the in-process imitation, not a real member) in its own process (`bench-tool member`, 2 tokio threads) on the same machine".to_owned(),
            imitation: true,
            member_pid,
        });
    }
    eprintln!(
        "bench: starting one real Hazelcast member (heap {}; Maven resolves it on first use)",
        opts.member_heap
    );
    let cluster = RealCluster::builder()
        .members(1)
        .cluster_name("bench")
        .heap(opts.member_heap.clone())
        // One member: nothing to fail over to, and a member starved of CPU by the load on
        // two cores must not be declared dead.
        .failure_detection(FailureDetection::HAZELCAST_DEFAULT)
        .start()
        .map_err(|e| format!("real member: {e}"))?;
    let addresses = cluster
        .addresses()
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let description = format!(
        "one real Hazelcast {} member (`com.hazelcast:hazelcast` from Maven Central, started by the harness through `hazelcast-real-member`) in its own JVM on the same machine: heap {} (`-Xms` = `-Xmx`), serial GC, Hazelcast's default failure detection (heartbeat 5 s, removal after 60 s), 271 partitions, 127.0.0.1 only",
        cluster.version(),
        opts.member_heap
    );
    let member_pid = cluster.pid(0);
    Ok(Cluster {
        _member: Member::Real {
            _cluster: Box::new(cluster),
        },
        addresses,
        name: "bench".into(),
        description,
        imitation: false,
        member_pid,
    })
}
