//! The HTTP part: the basket handlers on every session stack, and the pieces the sweep
//! shares (serving a stack, running the load generator, counting backend round trips).

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use super::cluster::Cluster;
use super::options::Options;
use super::procs::{self, Proc};
use super::summary::Record;
use super::{Skipped, secs};

/// The backend an HTTP stack needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    None,
    Redis,
    Hazelcast,
}

/// One row of the HTTP comparison: a `bench-tool serve` stack and its settings.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HttpStack {
    /// The name in the results.
    pub(crate) subject: &'static str,
    /// The `bench-tool serve` stack.
    pub(crate) stack: &'static str,
    pub(crate) backend: Backend,
    /// `--local-cache` (our Hazelcast stacks).
    pub(crate) local_cache: Option<bool>,
}

const fn stack(subject: &'static str, stack: &'static str, backend: Backend) -> HttpStack {
    HttpStack {
        subject,
        stack,
        backend,
        local_cache: None,
    }
}

const fn cached(subject: &'static str, stack: &'static str, on: bool) -> HttpStack {
    HttpStack {
        subject,
        stack,
        backend: Backend::Hazelcast,
        local_cache: Some(on),
    }
}

/// Every stack of the HTTP comparison.
pub(crate) const STACKS: [HttpStack; 11] = [
    stack("baseline-axum", "baseline-axum", Backend::None),
    stack("baseline-actix", "baseline-actix", Backend::None),
    stack("ours-axum-memory", "ours-axum-memory", Backend::None),
    stack("ours-actix-memory", "ours-actix-memory", Backend::None),
    stack(
        "tower-sessions-memory",
        "tower-sessions-memory",
        Backend::None,
    ),
    cached(
        "ours-axum-hazelcast-cache-off",
        "ours-axum-hazelcast",
        false,
    ),
    cached("ours-axum-hazelcast-cache-on", "ours-axum-hazelcast", true),
    cached(
        "ours-actix-hazelcast-cache-off",
        "ours-actix-hazelcast",
        false,
    ),
    cached(
        "ours-actix-hazelcast-cache-on",
        "ours-actix-hazelcast",
        true,
    ),
    stack(
        "tower-sessions-redis",
        "tower-sessions-redis",
        Backend::Redis,
    ),
    stack("actix-session-redis", "actix-session-redis", Backend::Redis),
];

/// The HTTP cases: name and method of `/basket`.
pub(crate) const CASES: [(&str, &str); 3] = [
    ("add to basket", "POST"),
    ("show basket", "GET"),
    ("store unchanged basket", "PUT"),
];

/// Starts Redis on a free loopback port (installing it when missing).
pub(crate) fn start_redis() -> Result<(Proc, SocketAddr), String> {
    if !procs::on_path("redis-server") {
        procs::apt_install("redis-server")?;
    }
    let port = procs::free_port()?;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let p = Proc::spawn(
        "redis-server",
        Command::new("redis-server").args([
            "--bind",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--save",
            "",
            "--appendonly",
            "no",
            "--protected-mode",
            "yes",
        ]),
    )?;
    procs::wait_listening(addr, Duration::from_secs(10))?;
    Ok((p, addr))
}

/// A served stack: its process and address.
pub(crate) struct Served {
    pub(crate) proc: Proc,
    pub(crate) addr: String,
    pub(crate) backend: Backend,
    pub(crate) redis: Option<SocketAddr>,
    /// The backend's process on this machine (member or Redis server), for its CPU time.
    pub(crate) backend_pid: Option<u32>,
}

impl Served {
    /// Backend calls so far: Redis commands, our client's invocations, or `None` for
    /// stacks without a backend.
    pub(crate) fn backend_calls(&self) -> Result<Option<u64>, String> {
        match (self.backend, self.redis) {
            (Backend::Redis, Some(a)) => procs::redis_commands(a).map(Some),
            (Backend::Hazelcast, _) => {
                procs::http_get_number(&self.addr, "/__bench/invocations").map(Some)
            }
            _ => Ok(None),
        }
    }

    /// Runs the load generator once and returns its record (round trips per request
    /// filled in).
    pub(crate) fn measure(
        &self,
        tool: &Path,
        load: &LoadSpec<'_>,
        record: (&str, &str, usize),
    ) -> Result<Record, String> {
        let (part, subject, run) = record;
        let before = self.backend_calls()?;
        let mut cmd = Command::new(tool);
        cmd.args(["load", "--addr", &self.addr, "--method", load.method])
            .args(["--connections", &load.connections.to_string()])
            .args([
                "--warmup",
                &secs(load.warmup),
                "--duration",
                &secs(load.window),
            ])
            .args(["--app-pid", &self.proc.pid().to_string()]);
        if let Some(pid) = self.backend_pid {
            cmd.args(["--backend-pid", &pid.to_string()]);
        }
        if let Some(f) = load.session_file {
            cmd.arg("--session-file").arg(f);
        }
        let mut p = Proc::spawn("load generator", &mut cmd)?;
        let line = p.wait_for("{", Duration::from_secs(120))?;
        p.finish()?;
        let v: Value = serde_json::from_str(&format!("{{{line}"))
            .map_err(|e| format!("load generator output: {e}"))?;
        let mut r = Record::from_json(part, subject, load.case, run, &v)
            .ok_or("load generator output lacks fields")?;
        let sent = v.get("sent").and_then(Value::as_u64).unwrap_or(0);
        r.round_trips = match (before, self.backend_calls()?) {
            (Some(b), Some(a)) if sent > 0 => Some(a.saturating_sub(b) as f64 / sent as f64),
            (Some(_), _) => None,
            // In-process stores and the baseline talk to no backend.
            (None, _) => Some(0.0),
        };
        Ok(r)
    }
}

/// One load generator run.
pub(crate) struct LoadSpec<'a> {
    pub(crate) case: &'a str,
    pub(crate) method: &'a str,
    pub(crate) connections: usize,
    pub(crate) warmup: Duration,
    pub(crate) window: Duration,
    pub(crate) session_file: Option<&'a Path>,
}

/// Starts `bench-tool serve` for a stack; `extra` adds options (sessions, map name).
/// `redis` is the Redis server's address and process id.
pub(crate) fn serve(
    tool: &Path,
    s: &HttpStack,
    cluster: &Cluster,
    redis: Option<(SocketAddr, u32)>,
    extra: &[String],
    timeout: Duration,
) -> Result<Served, String> {
    serve_wrapped(tool, s, cluster, redis, extra, timeout, &[])
}

/// [`serve`] with `bench-tool` run by `wrapper` (a program and its options, such as
/// `valgrind --tool=callgrind`); an empty `wrapper` runs it directly.
pub(crate) fn serve_wrapped(
    tool: &Path,
    s: &HttpStack,
    cluster: &Cluster,
    redis: Option<(SocketAddr, u32)>,
    extra: &[String],
    timeout: Duration,
    wrapper: &[String],
) -> Result<Served, String> {
    let mut cmd = match wrapper.split_first() {
        Some((program, options)) => {
            let mut c = Command::new(program);
            c.args(options).arg(tool);
            c
        }
        None => Command::new(tool),
    };
    cmd.args(["serve", s.stack]).args([
        "--members",
        &cluster.addresses,
        "--cluster",
        &cluster.name,
    ]);
    if let Some((a, _)) = redis {
        cmd.args(["--redis", &format!("redis://{a}")]);
    }
    if let Some(on) = s.local_cache {
        cmd.args(["--local-cache", if on { "on" } else { "off" }]);
    }
    cmd.args(extra);
    let mut proc = Proc::spawn(s.subject, &mut cmd)?;
    let addr = proc.wait_for("LISTENING ", timeout)?;
    let backend_pid = match s.backend {
        Backend::None => None,
        Backend::Redis => redis.map(|(_, pid)| pid),
        Backend::Hazelcast => cluster.member_pid,
    };
    Ok(Served {
        proc,
        addr,
        backend: s.backend,
        redis: redis.map(|(a, _)| a),
        backend_pid,
    })
}

/// Serves the session paths to the member, unmeasured, before the first Hazelcast stack is
/// measured: a JVM compiles its hot paths only after it has run them for a while, and the
/// HTTP stacks use code the client part's warm-up never ran (Compact session records, the
/// principal-name index, `replaceIfSame` on them, entry events for the local cache).
/// Measured on a fresh 5.6.0 member with `--quick`: CPU per "add to basket" 460 µs on the
/// first stack measured, 94 µs on the fourth, about 40 µs once warm. Redis, the other
/// backend, is native code and needs none. The warm-up uses a map of its own; a failure
/// only costs the warm-up. Runs before the HTTP part and the sweep, whichever comes first.
pub(crate) fn warm_member(tool: &Path, opts: &Options, cluster: &Cluster) {
    let plan = [
        (false, "POST", opts.jvm_warmup),
        (true, "POST", opts.jvm_warmup / 2),
        (true, "GET", opts.jvm_warmup / 4),
    ];
    eprintln!(
        "bench: warming the member up on the session paths ({:.0} s, not recorded)",
        plan.iter().map(|p| p.2.as_secs_f64()).sum::<f64>()
    );
    let map = format!("bench-warmup-{}", std::process::id());
    for (cache, method, window) in plan {
        let Some(s) = STACKS
            .iter()
            .find(|s| s.stack == "ours-axum-hazelcast" && s.local_cache == Some(cache))
        else {
            continue;
        };
        let extra = ["--map-name".to_owned(), map.clone()];
        let spec = LoadSpec {
            case: "member warm-up",
            method,
            connections: opts.connections,
            warmup: Duration::ZERO,
            window,
            session_file: None,
        };
        let outcome = serve(tool, s, cluster, None, &extra, Duration::from_secs(60))
            .and_then(|served| served.measure(tool, &spec, ("warm-up", s.subject, 0)));
        if let Err(e) = outcome {
            eprintln!("bench:   warm-up {} {method} failed: {e}", s.subject);
        }
    }
}

/// Why a stack could not be served, naming the missing local-cache switch when that is it.
pub(crate) fn cache_reason(s: &HttpStack, e: String) -> String {
    if s.local_cache == Some(true) {
        format!(
            "{e}: this build has no `HazelcastRepositoryBuilder::local_cache` switch (bench-tool's `apps::with_local_cache`)"
        )
    } else {
        e
    }
}

/// The HTTP part.
pub(crate) fn run(
    tool: &Path,
    opts: &Options,
    cluster: &Cluster,
    records: &mut Vec<Record>,
    skipped: &mut Skipped,
) -> Result<(), String> {
    let redis = match start_redis() {
        Ok(r) => Some(r),
        Err(e) => {
            eprintln!("bench: no Redis: {e}");
            skipped.push((
                "Redis stacks".into(),
                format!("redis-server unavailable: {e}"),
            ));
            None
        }
    };
    let redis_addr = redis.as_ref().map(|(p, a)| (*a, p.pid()));
    for (i, s) in STACKS.iter().enumerate() {
        if s.backend == Backend::Redis && redis_addr.is_none() {
            continue;
        }
        eprintln!("bench: [{}/{}] serving {}", i + 1, STACKS.len(), s.subject);
        let served = match serve(tool, s, cluster, redis_addr, &[], Duration::from_secs(60)) {
            Ok(x) => x,
            Err(e) => {
                let why = cache_reason(s, e);
                eprintln!("bench:   not measured: {why}");
                skipped.push((s.subject.to_owned(), why));
                continue;
            }
        };
        for run in 1..=opts.runs {
            for (case, method) in CASES {
                let spec = LoadSpec {
                    case,
                    method,
                    connections: opts.connections,
                    warmup: opts.warmup,
                    window: opts.http_window,
                    session_file: None,
                };
                let r = served.measure(tool, &spec, ("http", s.subject, run))?;
                eprintln!(
                    "bench:   [run {run}/{}] {:30} {case:22} {:>8.0} req/s  p50 {:>6} µs  p99 {:>6} µs  errors {}  round trips {}  CPU µs/req app {} backend {}",
                    opts.runs,
                    s.subject,
                    r.per_second,
                    r.p50_us.map_or("-".into(), |x| format!("{x:.0}")),
                    r.p99_us.map_or("-".into(), |x| format!("{x:.0}")),
                    r.errors,
                    r.round_trips.map_or("-".into(), |x| format!("{x:.2}")),
                    r.app_cpu_us_per_op
                        .map_or("-".into(), |x| format!("{x:.1}")),
                    r.member_cpu_us_per_op
                        .map_or("-".into(), |x| format!("{x:.1}")),
                );
                records.push(r);
            }
        }
        drop(served.proc);
    }
    Ok(())
}
