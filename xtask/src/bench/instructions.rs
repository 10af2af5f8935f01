//! Instructions per request, counted by `valgrind --tool=callgrind` (issue 16: "callgrind
//! counts instructions repeatably on a noisy machine"): every HTTP stack's app runs under
//! callgrind, the counters are zeroed, a load generator sends requests for a fixed time,
//! the counters are dumped and divided by the requests sent. The count is the app's own
//! user-space work (its threads, the allocator, the standard library; not the kernel, the
//! backend or the load generator), the same whatever else the machine runs, so a change of
//! a few percent shows where the timed tables' spread of 10–50% hides it. Callgrind's cache
//! simulation adds first-level data and last-level misses per request: the part of the
//! cost that grows with the data an app touches (the sweep's sizes) without more
//! instructions.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::cluster::Cluster;
use super::http::{self, Backend, HttpStack, STACKS};
use super::options::Options;
use super::procs::{self, Proc};
use super::{Skipped, secs};

/// Connections of the load generator (the app under callgrind runs one thread at a time).
const CONNECTIONS: usize = 4;

/// Largest sweep size counted (pre-creating sessions under callgrind is ~50× slower).
const MAX_SESSIONS: usize = 100_000;

/// The stores whose instructions are counted at the sweep's sizes.
const SWEPT: [&str; 2] = ["ours-axum-memory", "ours-axum-hazelcast-cache-on"];

/// One stack, handler and size, counted.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Counted {
    pub(crate) subject: String,
    /// The handler (`show basket`, ...).
    pub(crate) case: String,
    /// Live sessions pre-created (sweep); `None`: one session per connection.
    pub(crate) sessions: Option<u64>,
    /// Requests the load generator sent while counting.
    pub(crate) requests: u64,
    pub(crate) instructions: u64,
    /// First-level data cache misses (reads and writes), simulated.
    pub(crate) d1_misses: u64,
    /// Last-level cache misses (instructions and data), simulated.
    pub(crate) ll_misses: u64,
    /// Backend round trips per request while counting (`None`: no backend counter).
    pub(crate) round_trips: Option<f64>,
}

impl Counted {
    fn per_request(&self, n: u64) -> f64 {
        n as f64 / self.requests.max(1) as f64
    }

    /// Instructions per request.
    pub(crate) fn instructions_per_request(&self) -> f64 {
        self.per_request(self.instructions)
    }

    /// First-level data misses per request.
    pub(crate) fn d1_per_request(&self) -> f64 {
        self.per_request(self.d1_misses)
    }

    /// Last-level misses per request.
    pub(crate) fn ll_per_request(&self) -> f64 {
        self.per_request(self.ll_misses)
    }
}

/// Callgrind's totals of one dump: `events:` names the columns of `summary:`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    pub(crate) instructions: u64,
    pub(crate) d1_misses: u64,
    pub(crate) ll_misses: u64,
}

/// Reads the totals of a callgrind output file's text.
pub(crate) fn parse_totals(text: &str) -> Option<Totals> {
    let events: Vec<&str> = text
        .lines()
        .find_map(|l| l.strip_prefix("events:"))?
        .split_whitespace()
        .collect();
    let values: Vec<u64> = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("summary:")
                .or_else(|| l.strip_prefix("totals:"))
        })?
        .split_whitespace()
        .map(|v| v.parse().ok())
        .collect::<Option<_>>()?;
    let get = |name: &str| {
        events
            .iter()
            .position(|e| *e == name)
            .and_then(|i| values.get(i).copied())
            .unwrap_or(0)
    };
    Some(Totals {
        instructions: events
            .iter()
            .position(|e| *e == "Ir")
            .and_then(|i| values.get(i).copied())?,
        d1_misses: get("D1mr") + get("D1mw"),
        ll_misses: get("ILmr") + get("DLmr") + get("DLmw"),
    })
}

/// Installs valgrind when missing.
fn ensure_valgrind() -> Result<(), String> {
    if procs::on_path("valgrind") && procs::on_path("callgrind_control") {
        return Ok(());
    }
    procs::apt_install("valgrind")
}

/// A stack served under callgrind; every [`Self::count`] is one dump.
struct UnderCallgrind {
    served: http::Served,
    out: PathBuf,
    dumps: usize,
}

impl UnderCallgrind {
    fn control(&self, flag: &str) -> Result<(), String> {
        procs::run(
            Command::new("callgrind_control")
                .arg(flag)
                .arg(self.served.proc.pid().to_string())
                .stdout(std::process::Stdio::null()),
        )
    }

    /// Runs the load generator for `window` with the counters zeroed first and dumped
    /// after; returns the requests sent, the dump's totals and the backend round trips per
    /// request.
    fn count(
        &mut self,
        tool: &Path,
        method: &str,
        window: Duration,
        session_file: Option<&Path>,
    ) -> Result<(u64, Totals, Option<f64>), String> {
        let before = self.served.backend_calls()?;
        self.control("-z")?;
        let sent = load(tool, &self.served.addr, method, window, session_file)?;
        self.control("-d")?;
        let round_trips = match (before, self.served.backend_calls()?) {
            (Some(b), Some(a)) => Some(a.saturating_sub(b) as f64 / sent as f64),
            _ => None,
        };
        self.dumps += 1;
        let file = PathBuf::from(format!("{}.{}", self.out.display(), self.dumps));
        // callgrind_control returns once the dump is requested; the file follows.
        let mut text = String::new();
        for _ in 0..100 {
            text = std::fs::read_to_string(&file).unwrap_or_default();
            if text.contains("\ntotals:") || text.contains("\nsummary:") {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let totals = parse_totals(&text)
            .ok_or_else(|| format!("{}: no callgrind totals", file.display()))?;
        Ok((sent, totals, round_trips))
    }
}

/// One load generator run; the requests it sent.
fn load(
    tool: &Path,
    addr: &str,
    method: &str,
    window: Duration,
    session_file: Option<&Path>,
) -> Result<u64, String> {
    let mut cmd = Command::new(tool);
    cmd.args(["load", "--addr", addr, "--method", method])
        .args(["--connections", &CONNECTIONS.to_string(), "--threads", "1"])
        .args(["--warmup", "0", "--duration", &secs(window)]);
    if let Some(f) = session_file {
        cmd.arg("--session-file").arg(f);
    }
    let mut p = Proc::spawn("load generator", &mut cmd)?;
    let line = p.wait_for("{", window + Duration::from_secs(120))?;
    p.finish()?;
    let v: Value = serde_json::from_str(&format!("{{{line}"))
        .map_err(|e| format!("load generator output: {e}"))?;
    let sent = v.get("sent").and_then(Value::as_u64).unwrap_or(0);
    let errors = v.get("errors").and_then(Value::as_u64).unwrap_or(0);
    if sent == 0 || errors > 0 {
        return Err(format!(
            "load generator: {sent} requests sent, {errors} errors"
        ));
    }
    Ok(sent)
}

/// The sweep sizes counted: the smallest and the largest of the sweep up to
/// [`MAX_SESSIONS`].
pub(crate) fn sizes(sweep: &[usize]) -> Vec<usize> {
    let fit: Vec<usize> = sweep
        .iter()
        .copied()
        .filter(|n| *n <= MAX_SESSIONS)
        .collect();
    let mut out: Vec<usize> = fit.first().into_iter().chain(fit.last()).copied().collect();
    out.dedup();
    out
}

/// Counts every stack's handlers (one session per connection), then the swept stores at
/// the sweep's sizes.
pub(crate) fn run(
    out: &Path,
    tool: &Path,
    opts: &Options,
    cluster: &Cluster,
    counted: &mut Vec<Counted>,
    skipped: &mut Skipped,
) -> Result<(), String> {
    if let Err(e) = ensure_valgrind() {
        skipped.push(("instructions per request".into(), e));
        return Ok(());
    }
    let (warm, window) = if opts.quick {
        (Duration::from_secs(1), Duration::from_secs(2))
    } else {
        (Duration::from_secs(2), Duration::from_secs(5))
    };
    let redis = http::start_redis().ok();
    let redis_addr = redis.as_ref().map(|(p, a)| (*a, p.pid()));
    let dir = out.join("callgrind");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let cookies = out.join("callgrind-sessions.txt");

    let mut plan: Vec<(&HttpStack, Option<usize>)> = STACKS.iter().map(|s| (s, None)).collect();
    for subject in SWEPT {
        if let Some(s) = STACKS.iter().find(|s| s.subject == subject) {
            plan.extend(sizes(&opts.sweep).into_iter().map(|n| (s, Some(n))));
        }
    }
    for (i, (s, sessions)) in plan.iter().enumerate() {
        let label = match sessions {
            None => s.subject.to_owned(),
            Some(n) => format!("{} at {n} sessions", s.subject),
        };
        if s.backend == Backend::Redis && redis_addr.is_none() {
            skipped.push((format!("instructions of {label}"), "no Redis".into()));
            continue;
        }
        eprintln!(
            "bench: [{}/{}] counting instructions of {label}",
            i + 1,
            plan.len()
        );
        let file = dir.join(format!("callgrind.{}.{}", s.subject, sessions.unwrap_or(0)));
        let mut extra = Vec::new();
        let mut handlers: Vec<(&str, &str)> = http::CASES.to_vec();
        if let Some(n) = sessions {
            extra.extend([
                "--sessions".to_owned(),
                n.to_string(),
                "--session-file".to_owned(),
                cookies.display().to_string(),
                "--map-name".to_owned(),
                format!("bench-callgrind-{}-{n}-{}", s.subject, std::process::id()),
            ]);
            handlers.retain(|(_, method)| *method != "PUT");
        }
        let wrapper = [
            "valgrind".to_owned(),
            "--tool=callgrind".to_owned(),
            "--cache-sim=yes".to_owned(),
            format!("--callgrind-out-file={}", file.display()),
            // Valgrind's own messages (start-up banner, notes) off the run's output.
            format!("--log-file={}.log", file.display()),
        ];
        let timeout = Duration::from_secs(120)
            + Duration::from_secs_f64(sessions.unwrap_or(0) as f64 / 500.0);
        let served =
            match http::serve_wrapped(tool, s, cluster, redis_addr, &extra, timeout, &wrapper) {
                Ok(x) => x,
                Err(e) => {
                    let why = http::cache_reason(s, e);
                    eprintln!("bench:   not counted: {why}");
                    skipped.push((format!("instructions of {label}"), why));
                    continue;
                }
            };
        let mut app = UnderCallgrind {
            served,
            out: file,
            dumps: 0,
        };
        let session_file = sessions.map(|_| cookies.as_path());
        for (case, method) in handlers {
            // Unmeasured: the stack's caches and the app's first-request paths.
            load(tool, &app.served.addr, method, warm, session_file)?;
            let (requests, totals, round_trips) = app.count(tool, method, window, session_file)?;
            let c = Counted {
                subject: s.subject.to_owned(),
                case: case.to_owned(),
                sessions: sessions.map(|n| n as u64),
                requests,
                instructions: totals.instructions,
                d1_misses: totals.d1_misses,
                ll_misses: totals.ll_misses,
                round_trips,
            };
            eprintln!(
                "bench:   {:30} {case:22} {:>9.0} instructions/request  D1 misses {:>6.0}  LL misses {:>5.1}  round trips {}  ({requests} requests)",
                s.subject,
                c.instructions_per_request(),
                c.d1_per_request(),
                c.ll_per_request(),
                round_trips.map_or("-".into(), |x| format!("{x:.2}")),
            );
            counted.push(c);
        }
        drop(app);
    }
    let _ = std::fs::remove_file(&cookies);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_callgrind_totals() {
        let text = "version: 1\ncreator: callgrind-3.19.0\n\
                    events: Ir Dr Dw I1mr D1mr D1mw ILmr DLmr DLmw\n\
                    fn=main\n1 2 3\n\
                    summary: 1000 400 200 5 30 20 1 2 3\n\
                    totals: 1000 400 200 5 30 20 1 2 3\n";
        assert_eq!(
            parse_totals(text),
            Some(Totals {
                instructions: 1000,
                d1_misses: 50,
                ll_misses: 6,
            })
        );
        // Without the cache simulation only Ir is there.
        let plain = "events: Ir\nsummary: 77\n";
        assert_eq!(
            parse_totals(plain),
            Some(Totals {
                instructions: 77,
                ..Totals::default()
            })
        );
        assert_eq!(parse_totals("events: Ir\n"), None);
        assert_eq!(parse_totals("summary: 5\n"), None);
        assert_eq!(parse_totals("events: Dr\nsummary: 5\n"), None);
        assert_eq!(parse_totals("events: Ir\nsummary: x\n"), None);
    }

    #[test]
    fn counts_the_smallest_and_largest_sizes_that_fit() {
        assert_eq!(
            sizes(&[1_000, 10_000, 100_000, 1_000_000]),
            vec![1_000, 100_000]
        );
        assert_eq!(sizes(&[1_000, 10_000]), vec![1_000, 10_000]);
        assert_eq!(sizes(&[5_000]), vec![5_000]);
        assert_eq!(sizes(&[1_000_000]), Vec::<usize>::new());
        assert!(sizes(&[]).is_empty());
    }

    #[test]
    fn per_request_figures() {
        let c = Counted {
            subject: "s".into(),
            case: "show basket".into(),
            sessions: None,
            requests: 4,
            instructions: 100,
            d1_misses: 10,
            ll_misses: 2,
            round_trips: None,
        };
        assert_eq!(c.instructions_per_request(), 25.0);
        assert_eq!(c.d1_per_request(), 2.5);
        assert_eq!(c.ll_per_request(), 0.5);
    }
}
