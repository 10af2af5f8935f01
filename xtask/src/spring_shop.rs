//! `cargo xtask spring-shop [--port N] [--members host:port,...] [--cluster-name NAME]`:
//! builds the Spring Boot shop (`examples/spring-shop`, Maven) when its jar is missing or
//! older than its sources, then runs it in the foreground on 127.0.0.1:N (default 8081)
//! against the Hazelcast cluster named by the options or by `HZ_MEMBERS` /
//! `HZ_CLUSTER_NAME` (as the Rust shop reads them). The plain commands are
//! `mvn -q -f examples/spring-shop/pom.xml package -DskipTests` and
//! `PORT=8081 HZ_MEMBERS=127.0.0.1:5701 java -jar target/spring-shop/spring-shop.jar`.
//!
//! [`SpringShop`] starts the same jar as a child process for the integration suite.

use std::collections::VecDeque;
use std::io::{BufRead as _, BufReader, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::{Arc, Mutex, PoisonError, mpsc};

/// Log lines kept for error reports.
const LOG_TAIL: usize = 40;

fn keep(log: &Mutex<VecDeque<String>>, line: String) {
    let mut log = log.lock().unwrap_or_else(PoisonError::into_inner);
    if log.len() == LOG_TAIL {
        log.pop_front();
    }
    log.push_back(line);
}
use std::time::{Duration, Instant, SystemTime};

/// The jar, relative to the workspace root.
pub(crate) const JAR: &str = "target/spring-shop/spring-shop.jar";
/// The Maven project, relative to the workspace root.
const PROJECT: &str = "examples/spring-shop";
/// Longest wait for the application to listen (a cold start on 2 busy cores takes ~30 s).
const START_TIMEOUT: Duration = Duration::from_secs(180);

/// Newest modification time of `path` (a file, or everything under a directory).
fn newest(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.is_file() {
        return meta.modified().ok();
    }
    std::fs::read_dir(path)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| newest(&e.path()))
        .max()
}

/// Builds the jar with Maven unless it is newer than the project's sources; returns its path.
pub(crate) fn build_jar(root: &Path) -> Result<PathBuf, String> {
    let jar = root.join(JAR);
    let project = root.join(PROJECT);
    let sources = [project.join("pom.xml"), project.join("src")]
        .iter()
        .filter_map(|p| newest(p))
        .max();
    let built = std::fs::metadata(&jar).and_then(|m| m.modified()).ok();
    if let (Some(built), Some(sources)) = (built, sources)
        && built >= sources
    {
        return Ok(jar);
    }
    eprintln!("spring-shop: building {JAR} (mvn -q -f {PROJECT}/pom.xml package -DskipTests)");
    let started = Instant::now();
    let status = Command::new("mvn")
        .current_dir(root)
        .args([
            "-q",
            "-f",
            &format!("{PROJECT}/pom.xml"),
            "package",
            "-DskipTests",
        ])
        .status()
        .map_err(|e| format!("cannot run mvn (is Maven installed?): {e}"))?;
    if !status.success() {
        return Err(format!("mvn package failed ({status})"));
    }
    eprintln!(
        "spring-shop: built in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    if !jar.is_file() {
        return Err(format!("mvn did not produce {}", jar.display()));
    }
    Ok(jar)
}

/// A running Spring shop (killed on drop).
pub(crate) struct SpringShop {
    child: Child,
    /// The last lines of its log (stdout and stderr).
    log: Arc<Mutex<VecDeque<String>>>,
    /// Where it listens.
    pub(crate) address: SocketAddr,
}

impl SpringShop {
    /// Starts `jar` on a free port of 127.0.0.1 against `members` / `cluster_name`, and
    /// waits until Tomcat says which port it took.
    pub(crate) fn start(
        jar: &Path,
        members: &[String],
        cluster_name: &str,
    ) -> Result<Self, String> {
        let mut child = Command::new("java")
            .args(["-Xmx384m", "-XX:TieredStopAtLevel=1", "-jar"])
            .arg(jar)
            .env("PORT", "0")
            .env("HZ_MEMBERS", members.join(","))
            .env("HZ_CLUSTER_NAME", cluster_name)
            .env_remove("HZ_MAP_NAME")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot run java: {e}"))?;
        let (tx, rx) = mpsc::channel::<u16>();
        let log = Arc::new(Mutex::new(VecDeque::new()));
        if let Some(stdout) = child.stdout.take() {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if let Some(port) = line
                        .split("started on port ")
                        .nth(1)
                        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
                        .and_then(|p| p.parse().ok())
                    {
                        let _ = tx.send(port);
                    }
                    keep(&log, line);
                }
            });
        }
        if let Some(stderr) = child.stderr.take() {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    keep(&log, line);
                }
            });
        }
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(port) = rx.recv_timeout(Duration::from_millis(200)) {
                return Ok(Self {
                    child,
                    log,
                    address: SocketAddr::from(([127, 0, 0, 1], port)),
                });
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(format!(
                    "the Spring shop stopped before listening ({status}); run \
                     `cargo xtask spring-shop` to see its log"
                ));
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "the Spring shop did not listen within {} s",
                    START_TIMEOUT.as_secs()
                ));
            }
        }
    }
}

impl SpringShop {
    /// The last lines the application logged.
    pub(crate) fn log_tail(&self) -> Vec<String> {
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .cloned()
            .collect()
    }
}

impl Drop for SpringShop {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn usage() -> String {
    "usage: cargo xtask spring-shop [--port N] [--members host:port,...] [--cluster-name NAME] [--scenario]"
        .to_owned()
}

/// `--scenario`: the integration suite's "Spring and Rust share a login" on the given
/// cluster, or on a real one-member cluster started for it.
fn scenario(root: &Path, members: Option<&str>, cluster: &str) -> Result<ExitCode, String> {
    let (addresses, name, _cluster) = match members {
        Some(list) => {
            let addresses = list
                .split(',')
                .map(|m| m.trim().parse::<SocketAddr>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("--members: {e}"))?;
            (addresses, cluster.to_owned(), None)
        }
        None => {
            eprintln!("spring-shop: starting a real Hazelcast member");
            let c = hazelcast_real_member::RealCluster::builder()
                .members(1)
                .cluster_name("spring-shop")
                .start()
                .map_err(|e| format!("real member: {e}"))?;
            (c.addresses(), c.cluster_name().to_owned(), Some(c))
        }
    };
    let started = Instant::now();
    let figures = crate::integration::spring::share_a_login(root, &addresses, &name)?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "scenario 10 Spring and Rust share a login: PASSED in {:.1} s: {figures}",
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

/// The subcommand.
pub(crate) fn main(root: &Path, args: &[String]) -> ExitCode {
    match run(root, args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("spring-shop: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(root: &Path, args: &[String]) -> Result<ExitCode, String> {
    let mut port = std::env::var("PORT").unwrap_or_else(|_| "8081".to_owned());
    let mut members = std::env::var("HZ_MEMBERS").unwrap_or_else(|_| "127.0.0.1:5701".to_owned());
    let mut cluster = std::env::var("HZ_CLUSTER_NAME").unwrap_or_else(|_| "dev".to_owned());
    let mut given_members = None;
    let mut run_scenario = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(usage);
        match arg.as_str() {
            "--port" => port = value()?,
            "--members" => given_members = Some(value()?),
            "--cluster-name" => cluster = value()?,
            "--scenario" => run_scenario = true,
            _ => return Err(usage()),
        }
    }
    if run_scenario {
        return scenario(root, given_members.as_deref(), &cluster);
    }
    if let Some(m) = given_members {
        members = m;
    }
    if port.parse::<u16>().is_err() {
        return Err(format!("--port must be a port number, got {port:?}"));
    }
    let jar = build_jar(root)?;
    eprintln!(
        "spring-shop: http://127.0.0.1:{port}/ against cluster {cluster:?} at {members} (Ctrl-C stops it)"
    );
    let status = Command::new("java")
        .arg("-jar")
        .arg(&jar)
        .env("PORT", &port)
        .env("HZ_MEMBERS", &members)
        .env("HZ_CLUSTER_NAME", &cluster)
        .status()
        .map_err(|e| format!("cannot run java: {e}"))?;
    Ok(if status.success() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
