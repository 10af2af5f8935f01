//! `cargo xtask bench [--quick] [--runs N] [--only client|http|sweep|instructions]
//! [--connections C] [--test-member] [--member-heap 3g] [--sweep 1k,10k,100k,1M]`: our
//! Hazelcast client beside the official Java, Python and Node.js clients, the shop's basket
//! handlers on every session stack, the sweep of live sessions, and every stack's
//! instructions per request counted under callgrind (issues 9 and 16).
//!
//! Everything measured runs in separate processes: the cluster (one real Hazelcast member
//! from Maven Central by default, `--test-member` for the in-process imitation, or the
//! cluster `HZ_MEMBERS` names), each client driver, each HTTP app, the load generator and
//! Redis; our parts are `bench-tool` of `benches/http-apps`, built in release mode, so the
//! xtask's debug build never times anything. Results: `target/bench/results.md`,
//! `results.json` (raw runs and summary), `client.svg`, `http.svg` and `sweep.svg`.

mod clients;
mod cluster;
mod http;
mod instructions;
mod options;
mod plot;
mod procs;
mod report;
mod summary;
mod sweep;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use options::Options;
pub(crate) use report::rate;

/// The Node.js client version (the Python one is pinned by `scripts/setup-python.sh`, the
/// Java one is the members' version, `HZ_VERSION`).
const NODE_CLIENT: &str = "hazelcast-client@5.7.0";

/// Subjects not measured, and why.
pub(crate) type Skipped = Vec<(String, String)>;

/// Runs the benchmark and writes the reports.
pub(crate) fn run(root: &Path, words: &[String]) -> Result<(), String> {
    let opts = Options::parse(words)?;
    let began = Instant::now();
    let out = root.join("target/bench");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let tool = build_tool(root)?;
    let built = Instant::now();
    let mut records = Vec::new();
    let mut skipped: Skipped = Vec::new();
    let cluster = cluster::start(&tool, &opts)?;
    eprintln!("bench: cluster: {}", cluster.description);

    if opts.wants("client") {
        eprintln!("bench: === clients ===");
        clients::run(
            root,
            &out,
            &tool,
            &opts,
            &cluster,
            &mut records,
            &mut skipped,
        )?;
    }
    if (opts.wants("http") || opts.wants("sweep")) && !cluster.imitation {
        http::warm_member(&tool, &opts, &cluster);
    }
    if opts.wants("http") {
        eprintln!("bench: === HTTP ===");
        http::run(&tool, &opts, &cluster, &mut records, &mut skipped)?;
    }
    if opts.wants("sweep") {
        eprintln!("bench: === sweep of live sessions: {:?} ===", opts.sweep);
        sweep::run(&out, &tool, &opts, &cluster, &mut records, &mut skipped)?;
    }

    let mut counted = Vec::new();
    if opts.wants("instructions") {
        eprintln!("bench: === instructions per request (callgrind) ===");
        instructions::run(&out, &tool, &opts, &cluster, &mut counted, &mut skipped)?;
    }

    let rows = summary::summarise(&records);
    let ctx = report::Context {
        machine: machine(),
        date: date(),
        runs: opts.runs,
        quick: opts.quick,
        cluster: cluster.description.clone(),
        connections: opts.connections,
        load_average: load_average(),
        measuring_seconds: built.elapsed().as_secs_f64(),
        skipped,
        counted,
    };
    let md = report::markdown(&ctx, &rows);
    write(&out.join("results.md"), &md)?;
    write(
        &out.join("results.json"),
        &report::json(&ctx, &records, &rows),
    )?;
    let client_rows: Vec<_> = rows.iter().filter(|r| r.part == "client").collect();
    let http_rows: Vec<_> = rows.iter().filter(|r| r.part == "http").collect();
    let sweep_rows: Vec<_> = rows.iter().filter(|r| r.part == "sweep").collect();
    plot::bar_chart(
        &out.join("client.svg"),
        "Hazelcast clients: operations per second (median)",
        &client_rows,
        "ops/s",
    )?;
    plot::bar_chart(
        &out.join("http.svg"),
        "Basket handlers: requests per second (median)",
        &http_rows,
        "requests/s",
    )?;
    plot::sweep_chart(&out.join("sweep.svg"), &sweep_rows)?;
    eprintln!("\n{md}");
    eprintln!(
        "bench: wrote {}/results.md, results.json, client.svg, http.svg, sweep.svg ({:.0} s in all, {:.0} s after the build)",
        out.display(),
        began.elapsed().as_secs_f64(),
        built.elapsed().as_secs_f64()
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

pub(crate) fn secs(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64())
}

/// The 1-minute load average (`/proc/loadavg`), to say how busy the machine was.
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
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
