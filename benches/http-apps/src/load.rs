//! A closed-loop HTTP/1.1 load generator for loopback: a fixed number of keep-alive
//! connections, each sending its next request when the previous answer has arrived, each
//! keeping its own session cookie (as one browser per connection), or, given the cookies
//! of many pre-created sessions, picking one of them at random for every request (the
//! sweep of live sessions).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::stats::{Latencies, Measurement};

/// Largest response head accepted.
const MAX_HEAD: usize = 64 * 1024;
/// Largest response body accepted.
const MAX_BODY: usize = 1024 * 1024;

/// One load run.
#[derive(Debug, Clone)]
pub struct LoadPlan {
    /// The server.
    pub addr: SocketAddr,
    /// `GET` or `POST`.
    pub method: String,
    /// Request path.
    pub path: String,
    /// Concurrent connections.
    pub connections: usize,
    /// Time run before measuring.
    pub warmup: Duration,
    /// Measured window.
    pub duration: Duration,
    /// Cookie values of pre-created sessions (cookie [`SESSION_COOKIE`]): every request
    /// carries one picked at random; `None`: each connection makes its own session.
    pub sessions: Option<std::sync::Arc<Vec<String>>>,
    /// The served app's process, whose CPU time over the window is reported
    /// ([`Measurement::app_cpu_seconds`]); `None`: not measured.
    pub app_pid: Option<u32>,
    /// The backend's process (Hazelcast member or Redis server), whose CPU time over the
    /// window is reported as [`Measurement::member_cpu_seconds`]; `None`: not measured.
    pub backend_pid: Option<u32>,
}

/// The cookie name of our session layers.
pub const SESSION_COOKIE: &str = "SESSION";

/// Reads the cookie values `serve --sessions N --session-file F` wrote, one a line.
///
/// # Errors
/// When the file cannot be read or holds no cookie.
pub fn read_session_file(path: &std::path::Path) -> Result<Vec<String>, std::io::Error> {
    let text = std::fs::read_to_string(path)?;
    let cookies: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    if cookies.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "no session cookies in the file",
        ));
    }
    Ok(cookies)
}

/// A tiny xorshift generator for picking sessions.
struct Pick(u64);

impl Pick {
    fn next_index(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n.max(1) as u64) as usize
    }
}

/// Why a response could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The connection failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The response was not HTTP/1.1 as this client understands it.
    #[error("bad response: {0}")]
    Bad(&'static str),
}

/// A parsed response: status and the cookies it set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Status code.
    pub status: u16,
    /// Body length (`Content-Length`).
    pub content_length: usize,
    /// `Set-Cookie` name/value pairs; `None` as value means the cookie was removed.
    pub set_cookies: Vec<(String, Option<String>)>,
}

/// Parses a response head (everything before the blank line).
///
/// # Errors
/// On anything but a `HTTP/1.x` status line with a `Content-Length` (chunked bodies are
/// not supported: every app of the comparison sends a length).
pub fn parse_head(head: &[u8]) -> Result<Head, HttpError> {
    let text = std::str::from_utf8(head).map_err(|_| HttpError::Bad("non-UTF-8 head"))?;
    let mut lines = text.split("\r\n");
    let status_line = lines.next().ok_or(HttpError::Bad("empty"))?;
    let mut parts = status_line.splitn(3, ' ');
    if !parts.next().is_some_and(|v| v.starts_with("HTTP/1.")) {
        return Err(HttpError::Bad("not HTTP/1.x"));
    }
    let status = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or(HttpError::Bad("status"))?;
    let mut content_length = None;
    let mut set_cookies = Vec::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':').ok_or(HttpError::Bad("header"))?;
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            content_length = Some(value.parse().map_err(|_| HttpError::Bad("length"))?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            return Err(HttpError::Bad("chunked bodies are not supported"));
        } else if name.eq_ignore_ascii_case("set-cookie") {
            let pair = value.split(';').next().unwrap_or_default();
            if let Some((n, v)) = pair.split_once('=') {
                let removed = v.is_empty() || value.to_ascii_lowercase().contains("max-age=0");
                set_cookies.push((n.trim().to_owned(), (!removed).then(|| v.trim().to_owned())));
            }
        }
    }
    let content_length = content_length.unwrap_or(0);
    if content_length > MAX_BODY {
        return Err(HttpError::Bad("body too large"));
    }
    Ok(Head {
        status,
        content_length,
        set_cookies,
    })
}

/// One keep-alive connection with its cookie jar.
struct Connection {
    stream: TcpStream,
    buf: Vec<u8>,
    cookies: BTreeMap<String, String>,
}

impl Connection {
    async fn open(addr: SocketAddr) -> Result<Self, HttpError> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(4096),
            cookies: BTreeMap::new(),
        })
    }

    /// Sends one request and reads its answer; returns the status.
    async fn request(&mut self, method: &str, path: &str) -> Result<u16, HttpError> {
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Length: 0\r\n");
        if !self.cookies.is_empty() {
            req.push_str("Cookie: ");
            let jar: Vec<String> = self
                .cookies
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect();
            req.push_str(&jar.join("; "));
            req.push_str("\r\n");
        }
        req.push_str("\r\n");
        self.stream.write_all(req.as_bytes()).await?;
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i;
            }
            if self.buf.len() > MAX_HEAD {
                return Err(HttpError::Bad("head too large"));
            }
            self.fill().await?;
        };
        let head = parse_head(&self.buf[..head_end])?;
        let total = head_end + 4 + head.content_length;
        while self.buf.len() < total {
            self.fill().await?;
        }
        self.buf.drain(..total);
        for (name, value) in head.set_cookies {
            match value {
                Some(v) => self.cookies.insert(name, v),
                None => self.cookies.remove(&name),
            };
        }
        Ok(head.status)
    }

    async fn fill(&mut self) -> Result<(), HttpError> {
        let mut chunk = [0u8; 8192];
        let n = self.stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(HttpError::Bad("connection closed"));
        }
        self.buf.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// What one connection saw in the measured window.
#[derive(Default)]
struct Tally {
    /// Every request sent, warm-up and session creation included.
    sent: u64,
    ok: u64,
    errors: u64,
    latencies: Latencies,
}

/// Every connection first sends `POST /basket` (creating its session and basket), then
/// repeats the plan's request until the window closes.
async fn drive(plan: &LoadPlan, seed: u64, measure_from: Instant, until: Instant) -> Tally {
    let mut tally = Tally::default();
    let mut conn: Option<Connection> = None;
    let mut pick = Pick(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    while Instant::now() < until {
        let c = match conn.as_mut() {
            Some(c) => c,
            None => match Connection::open(plan.addr).await {
                Ok(c) if plan.sessions.is_some() => conn.insert(c),
                Ok(mut c) => {
                    // Create the session (every stack answers POST /basket).
                    tally.sent += 1;
                    if c.request("POST", "/basket").await.is_err() {
                        tally.errors += 1;
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                    conn.insert(c)
                }
                Err(_) => {
                    tally.errors += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        if let Some(cookies) = &plan.sessions {
            let v = &cookies[pick.next_index(cookies.len())];
            c.cookies.clear();
            c.cookies.insert(SESSION_COOKIE.to_owned(), v.clone());
        }
        tally.sent += 1;
        let start = Instant::now();
        let result = c.request(&plan.method, &plan.path).await;
        let end = Instant::now();
        let counted = start >= measure_from && end <= until;
        match result {
            Ok(status) if (200..300).contains(&status) => {
                if counted {
                    tally.ok += 1;
                    tally.latencies.record(end - start);
                }
            }
            Ok(_) => {
                if counted {
                    tally.errors += 1;
                }
            }
            Err(_) => {
                if counted {
                    tally.errors += 1;
                }
                conn = None;
            }
        }
    }
    tally
}

/// A load run's result: the measured window and the requests sent in all.
#[derive(Debug, Clone, Serialize)]
pub struct LoadResult {
    /// The measured window.
    #[serde(flatten)]
    pub measurement: Measurement,
    /// Every request sent, warm-up and session creation included (to divide backend
    /// counters by).
    pub sent: u64,
}

/// CPU seconds used so far by this process, the app and the backend.
fn cpu_now(plan: &LoadPlan) -> [Option<f64>; 3] {
    [
        crate::cpu::process_cpu_seconds(),
        plan.app_pid.and_then(crate::cpu::pid_cpu_seconds),
        plan.backend_pid.and_then(crate::cpu::pid_cpu_seconds),
    ]
}

/// Samples [`cpu_now`] at the start and the end of the measured window and returns the
/// three deltas (`None` where a sample failed).
async fn cpu_over_window(
    plan: std::sync::Arc<LoadPlan>,
    measure_from: Instant,
    until: Instant,
) -> [Option<f64>; 3] {
    tokio::time::sleep_until(measure_from.into()).await;
    let before = cpu_now(&plan);
    tokio::time::sleep_until(until.into()).await;
    let after = cpu_now(&plan);
    std::array::from_fn(|i| match (before[i], after[i]) {
        (Some(b), Some(a)) if a >= b => Some(a - b),
        _ => None,
    })
}

/// Runs the plan and summarises the measured window.
pub async fn run(plan: LoadPlan) -> LoadResult {
    let begin = Instant::now();
    let measure_from = begin + plan.warmup;
    let until = measure_from + plan.duration;
    let plan = std::sync::Arc::new(plan);
    let cpu = tokio::spawn(cpu_over_window(plan.clone(), measure_from, until));
    let mut tasks = Vec::with_capacity(plan.connections);
    for i in 0..plan.connections {
        let plan = plan.clone();
        tasks.push(tokio::spawn(async move {
            drive(&plan, i as u64 + 1, measure_from, until).await
        }));
    }
    let (mut sent, mut ok, mut errors, mut latencies) = (0, 0, 0, Latencies::new());
    for t in tasks {
        match t.await {
            Ok(tally) => {
                sent += tally.sent;
                ok += tally.ok;
                errors += tally.errors;
                latencies.merge(tally.latencies);
            }
            Err(_) => errors += 1,
        }
    }
    let [own, app, backend] = cpu.await.unwrap_or([None; 3]);
    let mut measurement = Measurement::from_window(ok, errors, plan.duration, latencies, own);
    measurement.app_cpu_seconds = app;
    measurement.member_cpu_seconds = backend;
    LoadResult { measurement, sent }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_length_and_cookies() {
        let head = b"HTTP/1.1 200 OK\r\ncontent-length: 12\r\nSet-Cookie: SESSION=abc; Path=/; HttpOnly\r\nset-cookie: old=; Max-Age=0";
        let h = parse_head(head).expect("head");
        assert_eq!(h.status, 200);
        assert_eq!(h.content_length, 12);
        assert_eq!(
            h.set_cookies,
            vec![("SESSION".into(), Some("abc".into())), ("old".into(), None)]
        );
    }

    #[test]
    fn session_files_and_picks() {
        let dir = std::env::temp_dir().join(format!("bench-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("cookies");
        std::fs::write(&path, "YWJj\n\nZGVm\n").expect("write");
        assert_eq!(
            read_session_file(&path).expect("read"),
            vec!["YWJj".to_owned(), "ZGVm".to_owned()]
        );
        std::fs::write(&path, "\n").expect("write");
        assert!(read_session_file(&path).is_err());
        let _ = std::fs::remove_dir_all(&dir);
        let mut p = Pick(7);
        let picks: Vec<usize> = (0..1000).map(|_| p.next_index(10)).collect();
        assert!(picks.iter().all(|i| *i < 10));
        assert!(
            (0..10).all(|i| picks.contains(&i)),
            "every session gets picked"
        );
    }

    #[test]
    fn rejects_garbage_and_chunked() {
        assert!(parse_head(b"SSH-2.0").is_err());
        assert!(parse_head(b"HTTP/1.1 abc OK").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked").is_err());
        assert!(parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999").is_err());
    }

    #[tokio::test]
    async fn drives_a_tiny_server() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut buf = [0u8; 1024];
                    while let Ok(n) = s.read(&mut buf).await {
                        if n == 0 {
                            break;
                        }
                        let answer =
                            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nSet-Cookie: S=1\r\n\r\nok";
                        if s.write_all(answer).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        let m = run(LoadPlan {
            addr,
            method: "GET".into(),
            path: "/basket".into(),
            connections: 2,
            warmup: Duration::from_millis(20),
            duration: Duration::from_millis(100),
            sessions: None,
            app_pid: Some(std::process::id()),
            backend_pid: None,
        })
        .await;
        assert!(m.measurement.ok > 0, "{m:?}");
        assert!(m.measurement.cpu_seconds.is_some(), "{m:?}");
        assert!(m.measurement.app_cpu_seconds.is_some(), "{m:?}");
        assert_eq!(m.measurement.member_cpu_seconds, None);
        assert!(m.sent > m.measurement.ok);
        assert_eq!(m.measurement.errors, 0);
    }
}
