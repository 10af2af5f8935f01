//! `cargo xtask integration [--docker] [--only N,N]`: the resilience scenarios of issue 8,
//! run end to end against shop processes spawned from the built binaries and driven over
//! HTTP on 127.0.0.1.
//!
//! Where the sessions live:
//! - by default, in-process `hazelcast-test-member` clusters in a child process this xtask
//!   controls ([`cluster_process`]): every scenario runs, including member crashes;
//! - with `HZ_MEMBERS=host:port,...` (and `HZ_CLUSTER_NAME`, `HZ_FAILOVER_MEMBERS`,
//!   `HZ_FAILOVER_CLUSTER_NAME`), an external cluster: scenarios that crash members say
//!   "skipped";
//! - with `--docker`, the 3-member cluster of `docker/cluster/compose.yaml` (the command
//!   fails when no Docker engine answers).
//!
//! Prints one line per scenario with its figures and a summary table; exits non-zero when
//! a scenario failed (a skipped one, with its reason, does not fail the run).

pub(crate) mod cluster_process;

mod browser;
mod http;
mod procs;
mod scenarios;
mod shop_client;
pub(crate) mod spring;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use procs::ClusterProcess;

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

/// Where the scenarios get their clusters.
pub(crate) enum Backend {
    /// Test members in a child process the suite controls.
    Local(ClusterProcess),
    /// A cluster somebody else runs (`HZ_MEMBERS` or docker compose).
    External {
        primary: ClusterRef,
        failover: Option<ClusterRef>,
        origin: &'static str,
    },
}

/// What every scenario gets.
pub(crate) struct Suite {
    pub(crate) backend: Backend,
    /// Directory of the shop binaries.
    pub(crate) bin_dir: std::path::PathBuf,
    /// The workspace's `target/` directory (screenshots go under it).
    pub(crate) target_dir: std::path::PathBuf,
    /// Clusters started so far (unique names per scenario).
    started: usize,
}

impl Suite {
    /// A fresh cluster of `members` members for one scenario (local), or the external one.
    pub(crate) fn cluster(&mut self, label: &str, members: usize) -> Result<ClusterRef, String> {
        match &mut self.backend {
            Backend::Local(process) => {
                self.started += 1;
                let name = format!("{label}-{}", self.started);
                let members = process.start(&name, members)?;
                Ok(ClusterRef { name, members })
            }
            Backend::External { primary, .. } => Ok(primary.clone()),
        }
    }

    /// The shop's settings for `cluster`, with the external failover cluster if one is set.
    pub(crate) fn shop_env(&self, cluster: &ClusterRef) -> procs::ShopEnv {
        match &self.backend {
            Backend::External {
                failover: Some(f), ..
            } => procs::ShopEnv::cluster(
                &cluster.members,
                &cluster.name,
                Some((&f.members, &f.name)),
            ),
            _ => procs::ShopEnv::cluster(&cluster.members, &cluster.name, None),
        }
    }

    /// The cluster process, when the suite controls the members.
    pub(crate) fn control(&mut self) -> Option<&mut ClusterProcess> {
        match &mut self.backend {
            Backend::Local(process) => Some(process),
            Backend::External { .. } => None,
        }
    }

    /// Why member faults cannot be injected, if they cannot.
    pub(crate) fn no_control_reason(&self) -> Option<String> {
        match &self.backend {
            Backend::Local(_) => None,
            Backend::External { origin, .. } => Some(format!(
                "the members come from {origin}; the xtask does not control them"
            )),
        }
    }
}

struct Options {
    docker: bool,
    only: Option<Vec<u8>>,
}

fn options(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        docker: false,
        only: None,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--docker" => o.docker = true,
            "--only" => {
                let list = it.next().ok_or("--only needs a list like 1,4")?;
                let numbers = list
                    .split(',')
                    .map(|n| {
                        n.trim()
                            .parse::<u8>()
                            .ok()
                            .filter(|n| (1..=6).contains(n) || *n == 10)
                    })
                    .collect::<Option<Vec<u8>>>()
                    .ok_or("--only takes scenario numbers 1 to 6 and 10")?;
                o.only = Some(numbers);
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

const SCENARIOS: [(u8, &str, Scenario); 7] = [
    (1, "web server restart", scenarios::web_server_restart),
    (2, "member crash under load", scenarios::member_crash),
    (3, "region outage and return", scenarios::region_outage),
    (4, "expiry", scenarios::expiry),
    (5, "two web servers, one cookie", scenarios::two_web_servers),
    (6, "real browser across a restart", browser::scenario),
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

fn run(root: &Path, args: &[String]) -> Result<bool, String> {
    let options = options(args)?;
    let bin_dir = procs::build_shop(root)?;
    let target_dir = bin_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| root.join("target"));
    let mut _compose = None;
    let backend = if options.docker {
        _compose = Some(Compose::up(root)?);
        Backend::External {
            primary: ClusterRef {
                name: "dev".into(),
                members: DOCKER_PORTS
                    .iter()
                    .map(|p| format!("127.0.0.1:{p}"))
                    .collect(),
            },
            failover: None,
            origin: "docker compose (docker/cluster)",
        }
    } else if let Some(members) = env_list("HZ_MEMBERS") {
        Backend::External {
            primary: ClusterRef {
                name: env_name("HZ_CLUSTER_NAME"),
                members,
            },
            failover: env_list("HZ_FAILOVER_MEMBERS").map(|members| ClusterRef {
                name: env_name("HZ_FAILOVER_CLUSTER_NAME"),
                members,
            }),
            origin: "HZ_MEMBERS",
        }
    } else {
        Backend::Local(ClusterProcess::spawn()?)
    };
    let where_ = match &backend {
        Backend::Local(_) => "in-process hazelcast-test-member clusters (child process)".to_owned(),
        Backend::External {
            primary, origin, ..
        } => format!(
            "{origin}: cluster {} at {}",
            primary.name,
            primary.members.join(",")
        ),
    };
    eprintln!("integration: sessions in {where_}");
    let mut suite = Suite {
        backend,
        bin_dir,
        target_dir,
        started: 0,
    };
    let mut results = Vec::new();
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
        results.push((number, title, outcome, took));
    }
    line("");
    line("| # | scenario | result | time | figures |");
    line("|---|---|---|---|---|");
    for (number, title, outcome, took) in &results {
        line(&format!(
            "| {number} | {title} | {} | {:.1} s | {} |",
            outcome.status.label(),
            took.as_secs_f64(),
            outcome.figures.replace('|', "/")
        ));
    }
    Ok(results
        .iter()
        .all(|(_, _, o, _)| o.status != Status::Failed))
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

    #[test]
    fn options_parse_and_reject() {
        let o = options(&["--only".into(), "1,4".into(), "--docker".into()]).expect("ok");
        assert!(o.docker);
        assert_eq!(o.only, Some(vec![1, 4]));
        assert!(options(&["--only".into(), "7".into()]).is_err());
        assert!(options(&["--bogus".into()]).is_err());
    }
}
