//! Child processes (drivers, servers, Redis), installers and Redis' command counters.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

/// A child whose stdout lines arrive on a channel; killed when dropped.
pub(crate) struct Proc {
    name: String,
    child: Child,
    lines: Receiver<String>,
    _stdin: Option<ChildStdin>,
}

impl Proc {
    /// Starts `cmd` with piped stdout (and stdin, kept open until drop).
    pub(crate) fn spawn(name: &str, cmd: &mut Command) -> Result<Self, String> {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{name}: cannot start: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let stdin = child.stdin.take();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(Self {
            name: name.to_owned(),
            child,
            lines: rx,
            _stdin: stdin,
        })
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The next stdout line, `None` at end of output; an error after `timeout`.
    pub(crate) fn next_line(&mut self, timeout: Duration) -> Result<Option<String>, String> {
        match self.lines.recv_timeout(timeout) {
            Ok(l) => Ok(Some(l)),
            Err(RecvTimeoutError::Disconnected) => Ok(None),
            Err(RecvTimeoutError::Timeout) => {
                Err(format!("{}: no output for {timeout:?}", self.name))
            }
        }
    }

    /// Waits for a line starting with `prefix` and returns the rest.
    pub(crate) fn wait_for(&mut self, prefix: &str, timeout: Duration) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_line(left)? {
                Some(l) => {
                    if let Some(rest) = l.strip_prefix(prefix) {
                        return Ok(rest.trim().to_owned());
                    }
                }
                None => return Err(format!("{}: exited before printing {prefix}", self.name)),
            }
        }
    }

    /// Waits for the process to end (after its output ended) and checks its status.
    pub(crate) fn finish(mut self) -> Result<(), String> {
        let status = self.child.wait().map_err(|e| e.to_string())?;
        if status.success() {
            Ok(())
        } else {
            Err(format!("{} failed: {status}", self.name))
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Resident memory (`VmRSS`) of process `pid` in MiB, from `/proc/<pid>/status`.
pub(crate) fn rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_rss_mib(&status)
}

/// `VmRSS` of the text of a `/proc/<pid>/status` file, in MiB.
fn parse_vm_rss_mib(status: &str) -> Option<f64> {
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib as f64 / 1024.0)
}

/// `MemAvailable` of `/proc/meminfo` in MiB.
pub(crate) fn mem_available_mib() -> Option<f64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kib: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("MemAvailable:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib as f64 / 1024.0)
}

/// Whether `program` is on the PATH.
pub(crate) fn on_path(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs a command, inheriting output; error unless it succeeds.
pub(crate) fn run(cmd: &mut Command) -> Result<(), String> {
    let status = cmd.status().map_err(|e| format!("{cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?}: {status}"))
    }
}

/// Installs a Debian package (updating the package lists once if the first try fails).
pub(crate) fn apt_install(package: &str) -> Result<(), String> {
    eprintln!("bench: installing {package} with apt-get");
    let install = || run(Command::new("apt-get").args(["install", "-y", "-q", package]));
    install().or_else(|_| {
        run(Command::new("apt-get").args(["update", "-q"]))?;
        install()
    })
}

/// Installs the Node.js client into `dir` unless it is there.
pub(crate) fn npm_install(dir: &Path, spec: &str) -> Result<(), String> {
    if dir
        .join("node_modules/hazelcast-client/package.json")
        .exists()
    {
        return Ok(());
    }
    eprintln!("bench: npm install {spec} into {}", dir.display());
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    run(Command::new("npm")
        .args(["install", "--no-audit", "--no-fund", "--silent", "--prefix"])
        .arg(dir)
        .arg(spec))
}

/// A free loopback port (bound then released).
pub(crate) fn free_port() -> Result<u16, String> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

/// Waits until `addr` accepts connections.
pub(crate) fn wait_listening(addr: SocketAddr, timeout: Duration) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("{addr} did not start listening"))
}

/// `GET path` on `addr` (HTTP/1.0, connection closed by the server) and parses the body
/// as a number.
pub(crate) fn http_get_number(addr: &str, path: &str) -> Result<u64, String> {
    let sock: SocketAddr = addr.parse().map_err(|e| format!("{addr}: {e}"))?;
    let mut s =
        TcpStream::connect_timeout(&sock, Duration::from_secs(2)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    s.write_all(format!("GET {path} HTTP/1.0\r\nHost: bench\r\n\r\n").as_bytes())
        .map_err(|e| e.to_string())?;
    let mut reply = Vec::new();
    s.take(64 * 1024)
        .read_to_end(&mut reply)
        .map_err(|e| e.to_string())?;
    parse_number_reply(&String::from_utf8_lossy(&reply))
}

/// The number in the body of a `200` HTTP reply.
fn parse_number_reply(reply: &str) -> Result<u64, String> {
    let (head, body) = reply.split_once("\r\n\r\n").ok_or("no HTTP head")?;
    if head.split_whitespace().nth(1) != Some("200") {
        return Err(format!(
            "unexpected reply: {}",
            head.lines().next().unwrap_or_default()
        ));
    }
    body.trim()
        .parse()
        .map_err(|_| format!("not a number: {body:?}"))
}

/// Total commands Redis has executed (from `INFO commandstats`, the INFO calls excluded).
pub(crate) fn redis_commands(addr: SocketAddr) -> Result<u64, String> {
    let mut s =
        TcpStream::connect_timeout(&addr, Duration::from_secs(2)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(5)))
        .map_err(|e| e.to_string())?;
    s.write_all(b"INFO commandstats\r\n")
        .map_err(|e| e.to_string())?;
    // Bulk reply: "$<len>\r\n<payload>\r\n"; INFO payloads are a few KiB.
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("redis closed the connection".into());
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(total) = bulk_complete(&buf)? {
            let text = String::from_utf8_lossy(&buf[..total]);
            return Ok(parse_commandstats(&text));
        }
        if buf.len() > 1 << 20 {
            return Err("INFO reply too large".into());
        }
    }
}

/// Length of a complete bulk reply in `buf`, `None` if more bytes are needed.
fn bulk_complete(buf: &[u8]) -> Result<Option<usize>, String> {
    let Some(eol) = buf.windows(2).position(|w| w == b"\r\n") else {
        return Ok(None);
    };
    if buf.first() != Some(&b'$') {
        return Err(format!(
            "unexpected redis reply: {}",
            String::from_utf8_lossy(&buf[..eol])
        ));
    }
    let len: usize = std::str::from_utf8(&buf[1..eol])
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or("bad bulk length")?;
    let total = eol + 2 + len + 2;
    Ok((buf.len() >= total).then_some(total))
}

/// Sums `calls=` of every `cmdstat_*` line except `cmdstat_info`.
pub(crate) fn parse_commandstats(text: &str) -> u64 {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("cmdstat_"))
        .filter(|l| !l.starts_with("info:"))
        .filter_map(|l| {
            let calls = l.split_once("calls=")?.1;
            calls.split(',').next()?.parse::<u64>().ok()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commandstats_sum_without_info() {
        let text = "$200\r\n# Commandstats\r\ncmdstat_get:calls=10,usec=5,usec_per_call=0.5\r\ncmdstat_info:calls=3,usec=1\r\ncmdstat_setex:calls=7,usec=9\r\n";
        assert_eq!(parse_commandstats(text), 17);
        assert_eq!(parse_commandstats("# Commandstats\r\n"), 0);
    }

    #[test]
    fn number_replies() {
        assert_eq!(
            parse_number_reply("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n42"),
            Ok(42)
        );
        assert!(parse_number_reply("HTTP/1.1 404 Not Found\r\n\r\n").is_err());
        assert!(parse_number_reply("HTTP/1.1 200 OK\r\n\r\nabc").is_err());
    }

    #[test]
    fn resident_memory() {
        assert_eq!(
            parse_vm_rss_mib("Name:\tx\nVmRSS:\t   2048 kB\nVmSwap:\t0 kB\n"),
            Some(2.0)
        );
        assert_eq!(parse_vm_rss_mib("Name:\tx\n"), None);
        assert!(rss_mib(std::process::id()).is_some_and(|m| m > 0.0));
        assert!(mem_available_mib().is_some_and(|m| m > 0.0));
    }

    #[test]
    fn bulk_reply_framing() {
        assert_eq!(bulk_complete(b"$5\r\nhel"), Ok(None));
        assert_eq!(bulk_complete(b"$5\r\nhello\r\n"), Ok(Some(11)));
        assert!(bulk_complete(b"-ERR x\r\n").is_err());
    }
}
