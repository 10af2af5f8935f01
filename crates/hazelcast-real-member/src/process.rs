//! One member JVM as a child process, with a watchdog that kills it when the process that
//! started it dies (however it dies: panic, SIGKILL, end of a test binary).

use std::fs::File;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};

use rustix::process::{Pid, Signal};

use crate::error::MemberError;

/// JVM options of every member: a small heap, a single-threaded collector (two cores), and
/// the module openings Hazelcast asks for on Java 9+.
pub(crate) const JVM_OPTIONS: &[&str] = &[
    "-XX:+UseSerialGC",
    "-Djava.net.preferIPv4Stack=true",
    "--add-modules",
    "java.se",
    "--add-exports",
    "java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-opens",
    "java.base/java.lang=ALL-UNNAMED",
    "--add-opens",
    "java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens",
    "java.management/sun.management=ALL-UNNAMED",
    "--add-opens",
    "jdk.management/com.sun.management.internal=ALL-UNNAMED",
];

/// A running member JVM and its watchdog.
#[derive(Debug)]
pub(crate) struct MemberProcess {
    child: Child,
    watchdog: Option<(Child, ChildStdin)>,
}

impl MemberProcess {
    /// Starts `java ... HazelcastMemberStarter` with `config`, output to `log`.
    pub(crate) fn spawn(
        class_path: &str,
        heap: &str,
        extra_jvm: &[String],
        config: &Path,
        log: &Path,
    ) -> Result<Self, MemberError> {
        let io_err = |what: String| move |source| MemberError::Io { what, source };
        let out = File::create(log).map_err(io_err(format!("create {}", log.display())))?;
        let err = out
            .try_clone()
            .map_err(io_err(format!("reopen {}", log.display())))?;
        let mut cmd = Command::new("java");
        cmd.arg(format!("-Xms{heap}"))
            .arg(format!("-Xmx{heap}"))
            .args(JVM_OPTIONS)
            .args(extra_jvm)
            .arg(format!("-Dhazelcast.config={}", config.display()))
            .arg("-cp")
            .arg(class_path)
            .arg("com.hazelcast.core.server.HazelcastMemberStarter")
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        let child = cmd.spawn().map_err(|source| MemberError::Spawn {
            what: "java (is a JDK installed? apt-get install openjdk-17-jdk-headless)".into(),
            source,
        })?;
        let pid = child.id();
        // The watchdog holds the read end of a pipe whose only write end is ours: when this
        // process dies, `read` sees end of input and the member is killed.
        let watchdog = Command::new("sh")
            .arg("-c")
            .arg(format!("read -r _; kill -KILL {pid} 2>/dev/null"))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()
            .and_then(|mut w| w.stdin.take().map(|stdin| (w, stdin)));
        Ok(Self { child, watchdog })
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` to the member.
    pub(crate) fn signal(&self, signal: Signal) -> Result<(), MemberError> {
        let pid = self.pid();
        let raw = i32::try_from(pid).ok().and_then(Pid::from_raw);
        let Some(p) = raw else {
            return Err(MemberError::Signal {
                pid,
                source: std::io::Error::other("bad pid"),
            });
        };
        rustix::process::kill_process(p, signal).map_err(|e| MemberError::Signal {
            pid,
            source: e.into(),
        })
    }

    /// Waits (at most 5 s) until the kernel reports the process stopped (`true`) or not
    /// stopped (`false`): signals are delivered asynchronously.
    pub(crate) fn wait_stopped(&self, stopped: bool) -> bool {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let stat =
                std::fs::read_to_string(format!("/proc/{}/stat", self.pid())).unwrap_or_default();
            // The state is the field after the parenthesised command name.
            let state = stat
                .rsplit(')')
                .next()
                .and_then(|r| r.split_whitespace().next());
            let is_stopped = matches!(state, Some("T" | "t"));
            if is_stopped == stopped || std::time::Instant::now() > deadline {
                return is_stopped == stopped;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }

    /// `Some(status)` once the process has ended.
    pub(crate) fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            Ok(None) => None,
            Err(e) => Some(format!("unknown ({e})")),
        }
    }

    /// SIGKILL (also on a stopped process) and reap.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stop_watchdog();
    }

    /// Waits for the process to end by itself, at most `timeout`.
    pub(crate) fn wait_exit(&mut self, timeout: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < deadline {
            if self.exited().is_some() {
                self.stop_watchdog();
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        false
    }

    fn stop_watchdog(&mut self) {
        if let Some((mut w, mut stdin)) = self.watchdog.take() {
            // A line makes the watchdog's kill target a pid that has already been reaped;
            // kill it first so it never signals a recycled pid.
            let _ = w.kill();
            let _ = stdin.write_all(b"\n");
            let _ = w.wait();
        }
    }
}

impl Drop for MemberProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The last `n` lines of a log file (empty when it cannot be read).
pub(crate) fn tail(log: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

/// A fresh directory for one cluster's configs and logs under `target/real-members/`.
pub(crate) fn cluster_dir(target: &Path, cluster: &str) -> Result<PathBuf, MemberError> {
    let safe: String = cluster
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let dir = target
        .join("real-members")
        .join(format!("{safe}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|source| MemberError::Io {
        what: format!("create {}", dir.display()),
        source,
    })?;
    Ok(dir)
}
