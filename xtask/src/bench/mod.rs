//! `cargo xtask bench [--quick] [--runs N] [--only client|http] [--connections C]`:
//! our Hazelcast client against the official Python and Node.js clients, and the shop's
//! basket handlers on every session stack (issue 9).
//!
//! Everything measured runs in separate processes built in release mode
//! (`bench-tool` of `benches/http-apps`), so the xtask's debug build never times anything:
//! the test member (or the cluster named by `HZ_MEMBERS`), each client driver, each HTTP
//! app, the load generator and Redis. Results: `target/bench/results.md`,
//! `results.json` (raw runs and summary), `client.svg` and `http.svg`.

mod options;
mod procs;
mod report;
mod summary;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use options::Options;
use procs::Proc;
use summary::Record;

/// The Node.js client version (the Python one is pinned by `scripts/setup-python.sh`).
const NODE_CLIENT: &str = "hazelcast-client@5.7.0";

/// The backend an HTTP stack needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    None,
    Redis,
    Hazelcast,
}

/// The HTTP stacks `bench-tool serve` runs.
const STACKS: [(&str, Backend); 9] = [
    ("baseline-axum", Backend::None),
    ("baseline-actix", Backend::None),
    ("ours-axum-memory", Backend::None),
    ("ours-actix-memory", Backend::None),
    ("tower-sessions-memory", Backend::None),
    ("ours-axum-hazelcast", Backend::Hazelcast),
    ("ours-actix-hazelcast", Backend::Hazelcast),
    ("tower-sessions-redis", Backend::Redis),
    ("actix-session-redis", Backend::Redis),
];

/// The Hazelcast cluster the benchmark uses.
struct Cluster {
    /// The test member's process (none for `HZ_MEMBERS`).
    _member: Option<Proc>,
    addresses: String,
    name: String,
    description: String,
}

fn start_cluster(tool: &Path) -> Result<Cluster, String> {
    let name = std::env::var("HZ_CLUSTER_NAME").unwrap_or_else(|_| "dev".into());
    match std::env::var("HZ_MEMBERS") {
        Ok(m) if !m.trim().is_empty() => Ok(Cluster {
            _member: None,
            addresses: m.trim().to_owned(),
            description: format!(
                "real cluster at HZ_MEMBERS={} (cluster name {name})",
                m.trim()
            ),
            name,
        }),
        _ => {
            eprintln!("bench: starting the test member (separate process)");
            let mut member = Proc::spawn("test member", Command::new(tool).arg("member"))?;
            let addresses = member.wait_for("MEMBERS ", Duration::from_secs(30))?;
            Ok(Cluster {
                _member: Some(member),
                addresses,
                name,
                description: "one `hazelcast-test-member` in its own process (`bench-tool member`, 2 tokio threads) on the same machine".to_owned(),
            })
        }
    }
}

/// Runs the benchmark and writes the reports.
pub(crate) fn run(root: &Path, words: &[String]) -> Result<(), String> {
    let opts = Options::parse(words)?;
    let out = root.join("target/bench");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let tool = build_tool(root)?;
    let mut records = Vec::new();
    let mut skipped: Vec<(String, String)> = Vec::new();
    let cluster = start_cluster(&tool)?;

    if opts.wants("client") {
        client_part(
            root,
            &out,
            &tool,
            &opts,
            &cluster,
            &mut records,
            &mut skipped,
        )?;
    }
    if opts.wants("http") {
        http_part(&tool, &opts, &cluster, &mut records, &mut skipped)?;
    }

    let rows = summary::summarise(&records);
    let ctx = report::Context {
        machine: machine(),
        date: date(),
        runs: opts.runs,
        quick: opts.quick,
        cluster: cluster.description.clone(),
        connections: opts.connections,
        skipped,
    };
    let md = report::markdown(&ctx, &rows);
    write(&out.join("results.md"), &md)?;
    write(
        &out.join("results.json"),
        &report::json(&ctx, &records, &rows),
    )?;
    let client_rows: Vec<_> = rows.iter().filter(|r| r.part == "client").collect();
    let http_rows: Vec<_> = rows.iter().filter(|r| r.part == "http").collect();
    report::bar_chart(
        &out.join("client.svg"),
        "Hazelcast clients: operations per second (median)",
        &client_rows,
        "ops/s",
    )?;
    report::bar_chart(
        &out.join("http.svg"),
        "Basket handlers: requests per second (median)",
        &http_rows,
        "requests/s",
    )?;
    eprintln!("\n{md}");
    eprintln!(
        "bench: wrote {}/results.md, results.json, client.svg, http.svg",
        out.display()
    );
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Builds `bench-tool` in release mode and returns its path.
fn build_tool(root: &Path) -> Result<PathBuf, String> {
    eprintln!("bench: building bench-tool (release)...");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    procs::run(Command::new(cargo).current_dir(root).args([
        "build",
        "--release",
        "--quiet",
        "-p",
        "bench-http-apps",
        "--bin",
        "bench-tool",
    ]))?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|p| if p.is_absolute() { p } else { root.join(p) })
        .unwrap_or_else(|| root.join("target"));
    let tool = target.join("release/bench-tool");
    if tool.exists() {
        Ok(tool)
    } else {
        Err(format!("{} was not built", tool.display()))
    }
}

fn secs(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// The client part.
fn client_part(
    root: &Path,
    out: &Path,
    tool: &Path,
    opts: &Options,
    cluster: &Cluster,
    records: &mut Vec<Record>,
    skipped: &mut Vec<(String, String)>,
) -> Result<(), String> {
    let (addresses, cluster_name) = (&cluster.addresses, &cluster.name);
    let python = root.join("target/hz-python/bin/python");
    let python_ok = match procs::run(Command::new("bash").arg(root.join("scripts/setup-python.sh")))
    {
        Ok(()) if python.exists() => true,
        Ok(()) => {
            skipped.push((
                "python client".into(),
                format!("{} missing after setup", python.display()),
            ));
            false
        }
        Err(e) => {
            skipped.push(("python client".into(), format!("setup failed: {e}")));
            false
        }
    };
    let node_dir = out.join("node");
    let node_ok = if !procs::on_path("node") || !procs::on_path("npm") {
        skipped.push(("node client".into(), "node/npm not installed".into()));
        false
    } else {
        match procs::npm_install(&node_dir, NODE_CLIENT) {
            Ok(()) => true,
            Err(e) => {
                skipped.push(("node client".into(), format!("npm install failed: {e}")));
                false
            }
        }
    };
    let scripts = root.join("xtask/src/bench");
    let (warm, dur) = (secs(opts.warmup), secs(opts.client_window));

    for run in 1..=opts.runs {
        let mut rust = Command::new(tool);
        rust.args([
            "client",
            "--addresses",
            addresses,
            "--cluster",
            cluster_name,
        ])
        .args(["--warmup", &warm, "--duration", &dur]);
        drive_client(run, opts.runs, "rust", &mut rust, records)?;
        if python_ok {
            let mut py = Command::new(&python);
            py.arg(scripts.join("client_python.py"))
                .args([addresses, cluster_name, &warm, &dur]);
            if let Err(e) = drive_client(run, opts.runs, "python", &mut py, records) {
                eprintln!("bench: python client failed: {e}");
                skipped.push(("python client".into(), e));
            }
        }
        if node_ok {
            let mut node = Command::new("node");
            node.arg(scripts.join("client_node.js"))
                .args([addresses, cluster_name, &warm, &dur])
                .env("NODE_PATH", node_dir.join("node_modules"));
            if let Err(e) = drive_client(run, opts.runs, "node", &mut node, records) {
                eprintln!("bench: node client failed: {e}");
                skipped.push(("node client".into(), e));
            }
        }
    }
    Ok(())
}

/// Runs one client driver and collects its JSON lines.
fn drive_client(
    run: usize,
    runs: usize,
    client: &str,
    cmd: &mut Command,
    records: &mut Vec<Record>,
) -> Result<(), String> {
    eprintln!("bench: [run {run}/{runs}] {client} client");
    let mut p = Proc::spawn(client, cmd)?;
    while let Some(line) = p.next_line(Duration::from_secs(300))? {
        let Ok(v) = serde_json::from_str::<Value>(&line) else {
            continue; // client logging
        };
        let case = v
            .get("case")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned();
        let Some(r) = Record::from_json("client", client, &case, run, &v) else {
            continue;
        };
        eprintln!(
            "bench:   {client:6} {case:28} {:>10.0} ops/s  p50 {:>6} µs  p99 {:>6} µs  cpu {}",
            r.per_second,
            r.p50_us.map_or("-".into(), |x| format!("{x:.0}")),
            r.p99_us.map_or("-".into(), |x| format!("{x:.0}")),
            r.cpu_share.map_or("-".into(), |x| format!("{x:.2}")),
        );
        records.push(r);
    }
    p.finish()
}

/// Starts Redis on a free loopback port (installing it when missing).
fn start_redis() -> Result<(Proc, SocketAddr), String> {
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

fn http_part(
    tool: &Path,
    opts: &Options,
    cluster: &Cluster,
    records: &mut Vec<Record>,
    skipped: &mut Vec<(String, String)>,
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
    let redis_addr = redis.as_ref().map(|(_, a)| *a);
    for (stack, backend) in STACKS {
        if backend == Backend::Redis && redis_addr.is_none() {
            continue;
        }
        eprintln!("bench: serving {stack}");
        let mut cmd = Command::new(tool);
        cmd.args(["serve", stack]).args([
            "--members",
            &cluster.addresses,
            "--cluster",
            &cluster.name,
        ]);
        if let Some(a) = redis_addr {
            cmd.args(["--redis", &format!("redis://{a}")]);
        }
        let mut server = Proc::spawn(stack, &mut cmd)?;
        let addr = match server.wait_for("LISTENING ", Duration::from_secs(60)) {
            Ok(a) => a,
            Err(e) => {
                skipped.push((stack.to_owned(), e));
                continue;
            }
        };
        for run in 1..=opts.runs {
            for (case, method) in [("add to basket", "POST"), ("show basket", "GET")] {
                let backend_calls = || match (backend, redis_addr) {
                    (Backend::Redis, Some(a)) => procs::redis_commands(a).map(Some),
                    (Backend::Hazelcast, _) => {
                        procs::http_get_number(&addr, "/__bench/invocations").map(Some)
                    }
                    _ => Ok(None),
                };
                let before = backend_calls()?;
                let mut load = Command::new(tool);
                load.args(["load", "--addr", &addr, "--method", method])
                    .args(["--connections", &opts.connections.to_string()])
                    .args([
                        "--warmup",
                        &secs(opts.warmup),
                        "--duration",
                        &secs(opts.http_window),
                    ]);
                let mut p = Proc::spawn("load generator", &mut load)?;
                let line = p.wait_for("{", Duration::from_secs(120))?;
                p.finish()?;
                let v: Value = serde_json::from_str(&format!("{{{line}"))
                    .map_err(|e| format!("load generator output: {e}"))?;
                let mut r = Record::from_json("http", stack, case, run, &v)
                    .ok_or("load generator output lacks fields")?;
                let sent = v.get("sent").and_then(Value::as_u64).unwrap_or(0);
                r.round_trips = match (before, backend_calls()?) {
                    (Some(b), Some(a)) if sent > 0 => {
                        Some(a.saturating_sub(b) as f64 / sent as f64)
                    }
                    (Some(_), _) => None,
                    // In-process stores and the baseline talk to no backend.
                    (None, _) => Some(0.0),
                };
                eprintln!(
                    "bench:   [run {run}/{}] {stack:22} {case:14} {:>8.0} req/s  p50 {:>6} µs  p99 {:>6} µs  errors {}  round trips {}",
                    opts.runs,
                    r.per_second,
                    r.p50_us.map_or("-".into(), |x| format!("{x:.0}")),
                    r.p99_us.map_or("-".into(), |x| format!("{x:.0}")),
                    r.errors,
                    r.round_trips.map_or("-".into(), |x| format!("{x:.2}")),
                );
                records.push(r);
            }
        }
    }
    Ok(())
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, m)| m.trim().to_owned())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let mem_gib = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(String::new(), |kb| {
            format!(", {} GiB RAM", kb / 1024 / 1024)
        });
    format!("{model}, {cores} cores available{mem_gib}, Linux")
}

fn date() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}
