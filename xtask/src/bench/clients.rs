//! The client part: our client, the official Java, Python and Node.js clients, the same
//! cases against the same cluster, one driver process each, interleaved run by run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use super::cluster::Cluster;
use super::options::Options;
use super::procs::{self, Proc};
use super::summary::Record;
use super::{NODE_CLIENT, Skipped, secs};

/// JVM options of the Java driver: a fixed small heap and the serial collector (two
/// cores; the members use the same), so GC threads do not compete with the client; and a
/// common pool of 2 threads. Every asynchronous map call of the Java client
/// (`ClientDelegatingFuture`) hands its decoding step to Hazelcast's default asynchronous
/// executor, ForkJoinPool's common pool only when its parallelism is above 1; on two cores
/// it is 1, and Hazelcast then starts a new thread per call (measured: one thread started
/// per `getAsync`, 1-3k ops/s; with a parallelism of 2, no threads started, 20-50k ops/s).
const JAVA_DRIVER_JVM: [&str; 4] = [
    "-Xms512m",
    "-Xmx512m",
    "-XX:+UseSerialGC",
    "-Djava.util.concurrent.ForkJoinPool.common.parallelism=2",
];

/// The member's process id, for the drivers to read its CPU time (set once per run).
static MEMBER_PID: std::sync::OnceLock<Option<u32>> = std::sync::OnceLock::new();

/// The drivers that could be set up.
struct Drivers {
    python: Option<PathBuf>,
    node_modules: Option<PathBuf>,
    java_class_path: Option<String>,
}

fn setup(root: &Path, out: &Path, skipped: &mut Skipped) -> Drivers {
    let python = root.join("target/hz-python/bin/python");
    let python = match procs::run(Command::new("bash").arg(root.join("scripts/setup-python.sh"))) {
        Ok(()) if python.exists() => Some(python),
        Ok(()) => {
            skipped.push((
                "python client".into(),
                format!("{} missing after setup", python.display()),
            ));
            None
        }
        Err(e) => {
            skipped.push(("python client".into(), format!("setup failed: {e}")));
            None
        }
    };
    let node_dir = out.join("node");
    let node_modules = if !procs::on_path("node") || !procs::on_path("npm") {
        skipped.push(("node client".into(), "node/npm not installed".into()));
        None
    } else {
        match procs::npm_install(&node_dir, NODE_CLIENT) {
            Ok(()) => Some(node_dir.join("node_modules")),
            Err(e) => {
                skipped.push(("node client".into(), format!("npm install failed: {e}")));
                None
            }
        }
    };
    eprintln!("bench: building the Java driver (scripts/setup-java-bench.sh)");
    let java_class_path = match Command::new("bash")
        .arg(root.join("scripts/setup-java-bench.sh"))
        .output()
    {
        Ok(o) if o.status.success() => Some(String::from_utf8_lossy(&o.stdout).trim().to_owned()),
        Ok(o) => {
            let why = String::from_utf8_lossy(&o.stderr).trim().to_owned();
            skipped.push(("java client".into(), format!("setup failed: {why}")));
            None
        }
        Err(e) => {
            skipped.push(("java client".into(), format!("setup failed: {e}")));
            None
        }
    };
    Drivers {
        python,
        node_modules,
        java_class_path,
    }
}

/// Runs every client driver `opts.runs` times.
pub(crate) fn run(
    root: &Path,
    out: &Path,
    tool: &Path,
    opts: &Options,
    cluster: &Cluster,
    records: &mut Vec<Record>,
    skipped: &mut Skipped,
) -> Result<(), String> {
    let drivers = setup(root, out, skipped);
    let _ = MEMBER_PID.set(cluster.member_pid);
    let (addresses, cluster_name) = (&cluster.addresses, &cluster.name);
    let scripts = root.join("xtask/src/bench");
    let (warm, dur) = (secs(opts.warmup), secs(opts.client_window));
    let mut failed: Vec<&str> = Vec::new();
    // The member's JIT warms up on the first operations it serves: one unrecorded pass of
    // every case (our driver, which also fills the maps) so that no client is measured
    // against a colder member than the others.
    eprintln!("bench: warming the member up (every case once, not recorded)");
    let mut warm_up = Command::new(tool);
    warm_up
        .args([
            "client",
            "--addresses",
            addresses,
            "--cluster",
            cluster_name,
        ])
        .args(["--warmup", &warm, "--duration", &warm]);
    drive(
        0,
        opts.runs,
        "member warm-up",
        &mut warm_up,
        &mut Vec::new(),
    )?;
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
        drive(run, opts.runs, "rust", &mut rust, records)?;
        if let Some(cp) = &drivers.java_class_path {
            let mut java = Command::new("java");
            java.args(JAVA_DRIVER_JVM)
                .args(["-cp", cp, "dev.hazelcastsessions.bench.ClientBench"])
                .args([addresses, cluster_name, &warm, &dur, &secs(opts.jvm_warmup)]);
            if let Err(e) = drive(run, opts.runs, "java", &mut java, records) {
                eprintln!("bench: java client failed: {e}");
                skipped.push(("java client".into(), e));
                failed.push("java");
            }
        }
        if let Some(python) = &drivers.python {
            let mut py = Command::new(python);
            py.arg(scripts.join("client_python.py"))
                .args([addresses, cluster_name, &warm, &dur]);
            if let Err(e) = drive(run, opts.runs, "python", &mut py, records) {
                eprintln!("bench: python client failed: {e}");
                skipped.push(("python client".into(), e));
                failed.push("python");
            }
        }
        if let Some(modules) = &drivers.node_modules {
            let mut node = Command::new("node");
            node.arg(scripts.join("client_node.js"))
                .args([addresses, cluster_name, &warm, &dur])
                .env("NODE_PATH", modules);
            if let Err(e) = drive(run, opts.runs, "node", &mut node, records) {
                eprintln!("bench: node client failed: {e}");
                skipped.push(("node client".into(), e));
                failed.push("node");
            }
        }
    }
    if !failed.is_empty() {
        eprintln!("bench: client drivers with failures: {}", failed.join(", "));
    }
    Ok(())
}

/// Runs one client driver and collects its JSON lines.
fn drive(
    run: usize,
    runs: usize,
    client: &str,
    cmd: &mut Command,
    records: &mut Vec<Record>,
) -> Result<(), String> {
    eprintln!("bench: [run {run}/{runs}] {client} client");
    if let Some(pid) = MEMBER_PID.get().copied().flatten() {
        cmd.env("BENCH_MEMBER_PID", pid.to_string());
    }
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
            "bench:   {client:6} {case:28} {:>10.0} ops/s  p50 {:>6} µs  p99 {:>6} µs  cpu {}  segments/op {}  member µs/op {}",
            r.per_second,
            r.p50_us.map_or("-".into(), |x| format!("{x:.0}")),
            r.p99_us.map_or("-".into(), |x| format!("{x:.0}")),
            r.cpu_share.map_or("-".into(), |x| format!("{x:.2}")),
            r.segments_per_op.map_or("-".into(), |x| format!("{x:.2}")),
            r.member_cpu_us_per_op
                .map_or("-".into(), |x| format!("{x:.1}")),
        );
        records.push(r);
    }
    p.finish()
}
