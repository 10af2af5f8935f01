//! Child processes of the suite: the cluster process (members the xtask controls) and
//! shop processes, spawned from their built binaries.

use std::io::{BufRead as _, BufReader, Write as _};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The cluster process: in-process test members in a separate process.
pub(crate) struct ClusterProcess {
    child: Child,
    stdin: ChildStdin,
    answers: mpsc::Receiver<String>,
}

impl ClusterProcess {
    /// Spawns `xtask __integration-cluster` (this very binary).
    pub(crate) fn spawn() -> Result<Self, String> {
        let exe = std::env::current_exe().map_err(|e| format!("no current exe: {e}"))?;
        let mut child = Command::new(exe)
            .arg(super::CLUSTER_COMMAND)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot spawn the cluster process: {e}"))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout: ChildStdout = child.stdout.take().ok_or("no stdout")?;
        let (tx, answers) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Self {
            child,
            stdin,
            answers,
        })
    }

    /// Sends one command and waits (at most 30 s) for its answer.
    pub(crate) fn command(&mut self, line: &str) -> Result<String, String> {
        writeln!(self.stdin, "{line}")
            .and_then(|()| self.stdin.flush())
            .map_err(|e| format!("cluster process gone: {e}"))?;
        let answer = self
            .answers
            .recv_timeout(Duration::from_secs(30))
            .map_err(|_| format!("no answer from the cluster process to {line:?}"))?;
        match answer.strip_prefix("ok") {
            Some(rest) => Ok(rest.trim().to_owned()),
            None => Err(format!("{line}: {answer}")),
        }
    }

    /// Starts cluster `name` with `members` members; returns their addresses.
    pub(crate) fn start(&mut self, name: &str, members: usize) -> Result<Vec<String>, String> {
        let list = self.command(&format!("start {name} {members}"))?;
        Ok(list.split(',').map(str::to_owned).collect())
    }
}

impl Drop for ClusterProcess {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "quit");
        let _ = self.stdin.flush();
        for _ in 0..20 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Builds the shop's binaries; returns the directory they are in.
pub(crate) fn build_shop(root: &Path) -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    eprintln!("integration: building the shop (cargo build -p shop --bins)");
    let status = Command::new(cargo)
        .current_dir(root)
        .args(["build", "--quiet", "-p", "shop", "--bins"])
        .status()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !status.success() {
        return Err(format!("building the shop failed ({status})"));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|t| if t.is_relative() { root.join(t) } else { t })
        .unwrap_or_else(|| root.join("target"));
    Ok(target.join("debug"))
}

/// Where a shop process finds its session store.
#[derive(Debug, Clone, Default)]
pub(crate) struct ShopEnv {
    /// `(variable, value)` pairs.
    pub(crate) vars: Vec<(String, String)>,
}

impl ShopEnv {
    /// A cluster (and optionally a failover cluster).
    pub(crate) fn cluster(
        members: &[String],
        name: &str,
        failover: Option<(&[String], &str)>,
    ) -> Self {
        let mut vars = vec![
            ("HZ_MEMBERS".to_owned(), members.join(",")),
            ("HZ_CLUSTER_NAME".to_owned(), name.to_owned()),
        ];
        if let Some((members, name)) = failover {
            vars.push(("HZ_FAILOVER_MEMBERS".to_owned(), members.join(",")));
            vars.push(("HZ_FAILOVER_CLUSTER_NAME".to_owned(), name.to_owned()));
        }
        Self { vars }
    }
}

/// A running shop process.
pub(crate) struct Shop {
    child: Child,
    /// Where it listens.
    pub(crate) address: SocketAddr,
}

/// Why a shop did not start.
#[derive(Debug)]
pub(crate) enum ShopStartError {
    /// The shop refused its configuration (for example, a backend it does not have).
    Refused(String),
    /// Anything else.
    Failed(String),
}

impl std::fmt::Display for ShopStartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Refused(m) | Self::Failed(m) => f.write_str(m),
        }
    }
}

impl Shop {
    /// Starts `binary` on a free port with `env`; waits (at most 60 s) for its
    /// "running at" line.
    pub(crate) fn start(
        bin_dir: &Path,
        binary: &str,
        env: &ShopEnv,
    ) -> Result<Self, ShopStartError> {
        let path = bin_dir.join(binary);
        let mut command = Command::new(&path);
        command
            .env_remove("HZ_MEMBERS")
            .env_remove("HZ_FAILOVER_MEMBERS")
            .env_remove("HZ_CLUSTER_NAME")
            .env_remove("HZ_FAILOVER_CLUSTER_NAME")
            .env("PORT", "0")
            .env(
                "RUST_LOG",
                std::env::var("INTEGRATION_SHOP_RUST_LOG").unwrap_or_else(|_| "warn".to_owned()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &env.vars {
            command.env(k, v);
        }
        let mut child = command
            .spawn()
            .map_err(|e| ShopStartError::Failed(format!("cannot start {}: {e}", path.display())))?;
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let (tx, rx) = mpsc::channel::<Result<SocketAddr, String>>();
        let tx_err = tx.clone();
        if let Some(stdout) = stdout {
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if let Some(addr) = line
                        .split("http://")
                        .nth(1)
                        .and_then(|rest| rest.trim_end_matches('/').parse().ok())
                    {
                        let _ = tx.send(Ok(addr));
                    }
                }
            });
        }
        // `INTEGRATION_SHOP_LOG=<file>`: every line the shop logs is appended there (with
        // `INTEGRATION_SHOP_RUST_LOG` as its filter), to see what the client did in a fault.
        let mut log_file = std::env::var_os("INTEGRATION_SHOP_LOG").and_then(|p| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p)
                .ok()
        });
        if let Some(stderr) = stderr {
            std::thread::spawn(move || {
                // Only the last lines matter when the shop exits; keep a few.
                let mut last = Vec::new();
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    if let Some(f) = log_file.as_mut() {
                        let _ = writeln!(f, "{line}");
                    }
                    if line.starts_with("shop:") {
                        let _ = tx_err.send(Err(line.clone()));
                    }
                    last.push(line);
                    if last.len() > 20 {
                        last.remove(0);
                    }
                }
            });
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(Ok(address)) => return Ok(Self { child, address }),
                Ok(Err(message)) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(ShopStartError::Refused(message));
                }
                Err(_) => {
                    if let Ok(Some(status)) = child.try_wait() {
                        return Err(ShopStartError::Failed(format!(
                            "{binary} exited ({status}) before listening"
                        )));
                    }
                    if std::time::Instant::now() > deadline {
                        let _ = child.kill();
                        let _ = child.wait();
                        return Err(ShopStartError::Failed(format!(
                            "{binary} did not announce its address within 60 s"
                        )));
                    }
                }
            }
        }
    }

    /// Kills the process (SIGKILL) and reaps it.
    pub(crate) fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Shop {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
