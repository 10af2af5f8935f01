//! `cargo xtask integration [--test-member | --docker] [--only N,N]
//! [--failure-detection sessions|hazelcast]`: the resilience scenarios of issues 8 and 12,
//! run end to end against shop processes spawned from the built binaries and driven over
//! HTTP on 127.0.0.1.
//!
//! Where the sessions live ([`control`] gives every backend one cluster-control interface):
//! - by default, real Hazelcast members (`hazelcast-real-member`, `HZ_VERSION`) the xtask
//!   starts as child processes: a fresh cluster for each scenario that injects a fault, one
//!   shared cluster per size for the others;
//! - with `--test-member`, in-process `hazelcast-test-member` clusters in a child process
//!   this xtask controls ([`cluster_process`]); a fault it cannot produce (a silent member)
//!   makes that scenario "skipped" with the reason;
//! - with `HZ_MEMBERS=host:port,...` (and `HZ_CLUSTER_NAME`, `HZ_FAILOVER_MEMBERS`,
//!   `HZ_FAILOVER_CLUSTER_NAME`), an external cluster: scenarios that break members say
//!   "skipped";
//! - with `--docker`, the 3-member cluster of `docker/cluster/compose.yaml` (the command
//!   fails when no Docker engine answers).
//!
//! Prints the Hazelcast version and the backend, one line per scenario with its figures and
//! a summary table (also written to `target/integration/report.md`); exits non-zero when a
//! scenario failed (a skipped one, with its reason, does not fail the run).

pub(crate) mod cluster_process;

mod browser;
mod control;
mod faults;
mod figures;
mod http;
mod load;
mod procs;
mod scenarios;
mod shop_client;
pub(crate) mod spring;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use control::{Backend, ClusterControl, ClusterSpec, Fault};
use hazelcast_real_member::FailureDetection;

/// The hidden subcommand that runs the cluster process.
pub(crate) const CLUSTER_COMMAND: &str = "__integration-cluster";

/// How a scenario ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Status {
    Passed,
    Failed,
    Skipped,
}

impl Status {
    fn label(&self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "FAILED",
            Status::Skipped => "skipped",
        }
    }
}

/// A scenario's result: status and a line of measured figures (or the skip reason).
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) status: Status,
    pub(crate) figures: String,
}

impl Outcome {
    pub(crate) fn passed(figures: impl Into<String>) -> Self {
        Self {
            status: Status::Passed,
            figures: figures.into(),
        }
    }
    pub(crate) fn failed(figures: impl Into<String>) -> Self {
        Self {
            status: Status::Failed,
            figures: figures.into(),
        }
    }
    pub(crate) fn skipped(reason: impl Into<String>) -> Self {
        Self {
            status: Status::Skipped,
            figures: reason.into(),
        }
    }
}

/// A cluster the shop connects to.
#[derive(Debug, Clone)]
pub(crate) struct ClusterRef {
    pub(crate) name: String,
    pub(crate) members: Vec<String>,
}

impl ClusterRef {
    /// The name and addresses of a cluster the suite controls.
    pub(crate) fn of(cluster: &dyn ClusterControl) -> Self {
        Self {
            name: cluster.name().to_owned(),
            members: cluster.members(),
        }
    }
}

/// What every scenario gets.
pub(crate) struct Suite {
    /// Where clusters come from.
    backend: Box<dyn Backend>,
    /// The external cluster (and failover cluster), when the members are not ours.
    external: Option<(ClusterRef, Option<ClusterRef>)>,
    /// Clusters shared by the scenarios that inject no fault, by member count.
    calm: Vec<(usize, Box<dyn ClusterControl>)>,
    /// Directory of the shop binaries.
    pub(crate) bin_dir: std::path::PathBuf,
    /// The workspace's `target/` directory (screenshots go under it).
    pub(crate) target_dir: std::path::PathBuf,
}

impl Suite {
    /// A cluster of `members` members for a scenario that injects no fault: one shared by
    /// every such scenario (a real member takes seconds to start), or the external one.
    pub(crate) fn cluster(&mut self, members: usize) -> Result<ClusterRef, String> {
        if let Some((primary, _)) = &self.external {
            return Ok(primary.clone());
        }
        if let Some((_, c)) = self.calm.iter().find(|(n, _)| *n == members) {
            return Ok(ClusterRef::of(c.as_ref()));
        }
        let c = self.backend.start(&ClusterSpec::new("calm", members))?;
        let r = ClusterRef::of(c.as_ref());
        self.calm.push((members, c));
        Ok(r)
    }

    /// A fresh cluster of its own for a scenario that injects `faults`; the scenario is
    /// skipped (the `Err`) when the backend cannot produce one of them.
    pub(crate) fn fault_cluster(
        &mut self,
        spec: &ClusterSpec,
        faults: &[Fault],
    ) -> Result<Box<dyn ClusterControl>, Outcome> {
        if let Some(reason) = faults.iter().find_map(|f| self.backend.cannot(*f)) {
            return Err(Outcome::skipped(reason));
        }
        self.backend
            .start(spec)
            .map_err(|e| Outcome::failed(format!("cluster: {e}")))
    }

    /// The shop's settings for `cluster`, with the external failover cluster if one is set.
    pub(crate) fn shop_env(&self, cluster: &ClusterRef) -> procs::ShopEnv {
        match &self.external {
            Some((_, Some(f))) => procs::ShopEnv::cluster(
                &cluster.members,
                &cluster.name,
                Some((&f.members, &f.name)),
            ),
            _ => procs::ShopEnv::cluster(&cluster.members, &cluster.name, None),
        }
    }
}

/// Where the members come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Members {
    /// Real members the xtask starts (default).
    Real,
    /// `hazelcast-test-member` clusters in a child process (`--test-member`).
    TestMember,
    /// `docker/cluster/compose.yaml` (`--docker`).
    Docker,
}

/// Highest scenario number.
const LAST_SCENARIO: u8 = 10;

#[derive(Debug)]
struct Options {
    members: Members,
    only: Option<Vec<u8>>,
    failure_detection: FailureDetection,
}

fn options(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        members: Members::Real,
        only: None,
        failure_detection: FailureDetection::SESSIONS,
    };
    let mut chosen: Option<&str> = None;
    let mut choose = |flag: &'static str, m: Members, o: &mut Options| {
        if let Some(other) = chosen.filter(|c| *c != flag) {
            return Err(format!("{other} and {flag} exclude each other"));
        }
        chosen = Some(flag);
        o.members = m;
        Ok(())
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--docker" => choose("--docker", Members::Docker, &mut o)?,
            "--test-member" => choose("--test-member", Members::TestMember, &mut o)?,
            "--only" => {
                let list = it.next().ok_or("--only needs a list like 1,4")?;
                let numbers = list
                    .split(',')
                    .map(|n| {
                        n.trim()
                            .parse::<u8>()
                            .ok()
                            .filter(|n| (1..=LAST_SCENARIO).contains(n))
                    })
                    .collect::<Option<Vec<u8>>>()
                    .ok_or(format!(
                        "--only takes scenario numbers 1 to {LAST_SCENARIO}"
                    ))?;
                o.only = Some(numbers);
            }
            "--failure-detection" => {
                o.failure_detection = match it.next().map(String::as_str) {
                    Some("sessions") => FailureDetection::SESSIONS,
                    Some("hazelcast") => FailureDetection::HAZELCAST_DEFAULT,
                    _ => {
                        return Err(
                            "--failure-detection takes sessions (1 s heartbeat, 5 s) or hazelcast (5 s, 60 s)"
                                .into(),
                        );
                    }
                }
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(o)
}

fn env_list(name: &str) -> Option<Vec<String>> {
    let v = std::env::var(name).ok()?;
    let list: Vec<String> = v
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    (!list.is_empty()).then_some(list)
}

fn env_name(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| "dev".to_owned())
}

/// The members of `docker/cluster/compose.yaml`.
const DOCKER_PORTS: [u16; 3] = [5701, 5702, 5703];

/// Docker compose for `--docker`: brings the 3-member cluster up, takes it down on drop.
struct Compose {
    file: std::path::PathBuf,
}

impl Compose {
    fn up(root: &Path) -> Result<Self, String> {
        let engine = Command::new("docker")
            .arg("info")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !matches!(engine, Ok(s) if s.success()) {
            return Err(
                "--docker given but no Docker engine answers (`docker info` failed)".into(),
            );
        }
        let file = root.join("docker/cluster/compose.yaml");
        let status = Command::new("docker")
            .args(["compose", "-f"])
            .arg(&file)
            .args(["up", "-d"])
            .status()
            .map_err(|e| format!("docker compose: {e}"))?;
        let compose = Self { file };
        if !status.success() {
            return Err(format!("docker compose up failed ({status})"));
        }
        for port in DOCKER_PORTS {
            let address = std::net::SocketAddr::from(([127, 0, 0, 1], port));
            scenarios::until(Duration::from_secs(180), || {
                std::net::TcpStream::connect_timeout(&address, Duration::from_secs(1))
                    .map(drop)
                    .map_err(|e| format!("member {address} not reachable: {e}"))
            })?;
        }
        Ok(compose)
    }
}

impl Drop for Compose {
    fn drop(&mut self) {
        let _ = Command::new("docker")
            .args(["compose", "-f"])
            .arg(&self.file)
            .args(["down"])
            .status();
    }
}

type Scenario = fn(&mut Suite) -> Outcome;

const SCENARIOS: [(u8, &str, Scenario); 10] = [
    (1, "web server restart", scenarios::web_server_restart),
    (2, "member crash under load", faults::member_crash),
    (3, "region outage and return", scenarios::region_outage),
    (4, "expiry", scenarios::expiry),
    (5, "two web servers, one cookie", scenarios::two_web_servers),
    (6, "real browser across a restart", browser::scenario),
    (7, "silent member (SIGSTOP)", faults::silent_member),
    (8, "whole cluster down", faults::cluster_down),
    (9, "rolling restart", faults::rolling_restart),
    (10, "Spring and Rust share a login", spring::scenario),
];

/// Entry point of `cargo xtask integration`.
pub(crate) fn main(root: &Path, args: &[String]) -> ExitCode {
    match run(root, args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("integration failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// One finished scenario.
struct Row {
    number: u8,
    title: &'static str,
    outcome: Outcome,
    took: Duration,
}

fn run(root: &Path, args: &[String]) -> Result<bool, String> {
    let options = options(args)?;
    let bin_dir = procs::build_shop(root)?;
    let target_dir = bin_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| root.join("target"));
    let mut _compose = None;
    let external_members = env_list("HZ_MEMBERS");
    let (backend, external): (Box<dyn Backend>, _) = match (options.members, external_members) {
        (Members::Docker, _) => {
            _compose = Some(Compose::up(root)?);
            let primary = ClusterRef {
                name: "dev".into(),
                members: DOCKER_PORTS
                    .iter()
                    .map(|p| format!("127.0.0.1:{p}"))
                    .collect(),
            };
            let backend = control::External {
                primary: primary.clone(),
                failover: None,
                origin: "docker compose (docker/cluster)",
            };
            (Box::new(backend), Some((primary, None)))
        }
        (Members::Real, Some(members)) => {
            let primary = ClusterRef {
                name: env_name("HZ_CLUSTER_NAME"),
                members,
            };
            let failover = env_list("HZ_FAILOVER_MEMBERS").map(|members| ClusterRef {
                name: env_name("HZ_FAILOVER_CLUSTER_NAME"),
                members,
            });
            let backend = control::External {
                primary: primary.clone(),
                failover: failover.clone(),
                origin: "HZ_MEMBERS",
            };
            (Box::new(backend), Some((primary, failover)))
        }
        (Members::TestMember, _) => (Box::new(control::TestMembers::spawn()?), None),
        (Members::Real, None) => (
            Box::new(control::RealMembers::new(options.failure_detection)?),
            None,
        ),
    };
    let header = [
        format!("Hazelcast version: {}", backend.version()),
        format!("Backend: {}", backend.describe()),
    ];
    for h in &header {
        line(h);
    }
    let mut suite = Suite {
        backend,
        external,
        calm: Vec::new(),
        bin_dir,
        target_dir,
    };
    let mut rows = Vec::new();
    let suite_started = Instant::now();
    for (number, title, scenario) in SCENARIOS {
        if options.only.as_ref().is_some_and(|o| !o.contains(&number)) {
            continue;
        }
        eprintln!("integration: scenario {number} ({title}) ...");
        let started = Instant::now();
        let outcome = scenario(&mut suite);
        let took = started.elapsed();
        line(&format!(
            "scenario {number} {title}: {} in {:.1} s: {}",
            outcome.status.label(),
            took.as_secs_f64(),
            outcome.figures
        ));
        rows.push(Row {
            number,
            title,
            outcome,
            took,
        });
    }
    // The shared clusters go before the report is written.
    suite.calm.clear();
    let table = report(&header, &rows, suite_started.elapsed());
    line("");
    for l in table.lines() {
        line(l);
    }
    let dir = suite.target_dir.join("integration");
    let file = dir.join("report.md");
    match std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&file, &table)) {
        Ok(()) => eprintln!("integration: report written to {}", file.display()),
        Err(e) => eprintln!("integration: cannot write {}: {e}", file.display()),
    }
    Ok(rows.iter().all(|r| r.outcome.status != Status::Failed))
}

/// The summary as Markdown: the header lines, then one table row per scenario.
fn report(header: &[String], rows: &[Row], total: Duration) -> String {
    let mut out = String::from("# cargo xtask integration\n\n");
    for h in header {
        out.push_str(&format!("- {h}\n"));
    }
    let count = |status: Status| rows.iter().filter(|r| r.outcome.status == status).count();
    out.push_str(&format!(
        "- {} scenarios in {:.1} s: {} passed, {} failed, {} skipped\n\n",
        rows.len(),
        total.as_secs_f64(),
        count(Status::Passed),
        count(Status::Failed),
        count(Status::Skipped)
    ));
    out.push_str("| # | scenario | result | time | figures |\n|---|---|---|---|---|\n");
    for r in rows {
        out.push_str(&format!(
            "| {} | {} | {} | {:.1} s | {} |\n",
            r.number,
            r.title,
            r.outcome.status.label(),
            r.took.as_secs_f64(),
            r.outcome.figures.replace('|', "/").replace('\n', " ")
        ));
    }
    out
}

/// One line on stdout (the report; progress goes to stderr).
fn line(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

/// Milliseconds of a duration, for figures.
pub(crate) fn ms(d: Duration) -> u128 {
    d.as_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn options_parse_and_reject() {
        let o = options(&args(&["--only", "1,4", "--docker"])).expect("ok");
        assert_eq!(o.members, Members::Docker);
        assert_eq!(o.only, Some(vec![1, 4]));
        let o = options(&args(&["--test-member", "--only", "7,8, 9"])).expect("ok");
        assert_eq!(o.members, Members::TestMember);
        assert_eq!(o.only, Some(vec![7, 8, 9]));
        let o = options(&[]).expect("ok");
        assert_eq!(o.members, Members::Real);
        assert_eq!(o.failure_detection, FailureDetection::SESSIONS);
        let o = options(&args(&["--failure-detection", "hazelcast"])).expect("ok");
        assert_eq!(o.failure_detection, FailureDetection::HAZELCAST_DEFAULT);
        assert!(options(&args(&["--failure-detection", "fast"])).is_err());
        assert!(options(&args(&["--failure-detection"])).is_err());
        assert_eq!(
            options(&args(&["--only", "10"])).ok().and_then(|o| o.only),
            Some(vec![10])
        );
        assert!(options(&args(&["--only", "11"])).is_err());
        assert!(options(&args(&["--only", "0"])).is_err());
        assert!(options(&args(&["--only"])).is_err());
        assert!(options(&args(&["--docker", "--test-member"])).is_err());
        assert!(options(&args(&["--test-member", "--test-member"])).is_ok());
        assert!(options(&args(&["--bogus"])).is_err());
    }

    #[test]
    fn report_is_a_markdown_table() {
        let rows = [
            Row {
                number: 2,
                title: "crash",
                outcome: Outcome::passed("failed 0 | stall 5 ms"),
                took: Duration::from_millis(12_345),
            },
            Row {
                number: 7,
                title: "silent",
                outcome: Outcome::skipped("no SIGSTOP"),
                took: Duration::ZERO,
            },
        ];
        let text = report(
            &["Hazelcast version: 5.6.0".into()],
            &rows,
            Duration::from_secs(60),
        );
        assert!(text.contains("- Hazelcast version: 5.6.0\n"));
        assert!(text.contains("- 2 scenarios in 60.0 s: 1 passed, 0 failed, 1 skipped\n"));
        assert!(text.contains("| 2 | crash | passed | 12.3 s | failed 0 / stall 5 ms |\n"));
        assert!(text.contains("| 7 | silent | skipped | 0.0 s | no SIGSTOP |\n"));
    }
}
