//! `bench-tool`: the processes `cargo xtask bench` starts (see the library docs).
#![forbid(unsafe_code)]

use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use bench_http_apps::apps::{self, Stack};
use bench_http_apps::client_load::{self, CaseResult};
use bench_http_apps::load::{self, LoadPlan};

/// `--name value` options after the subcommand (and positional words).
struct Args {
    words: Vec<String>,
}

impl Args {
    fn opt(&self, name: &str) -> Option<&str> {
        let flag = format!("--{name}");
        self.words
            .iter()
            .position(|w| *w == flag)
            .and_then(|i| self.words.get(i + 1))
            .map(String::as_str)
    }

    fn seconds(&self, name: &str, default: f64) -> Result<Duration, String> {
        match self.opt(name) {
            None => Ok(Duration::from_secs_f64(default)),
            Some(s) => s
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0 && *v < 3600.0)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| format!("--{name}: not a number of seconds: {s}")),
        }
    }

    fn flag(&self, name: &str) -> Result<bool, String> {
        match self.opt(name) {
            None | Some("off") => Ok(false),
            Some("on") => Ok(true),
            Some(other) => Err(format!("--{name}: on or off, not {other}")),
        }
    }

    fn count(&self, name: &str, default: usize) -> Result<usize, String> {
        match self.opt(name) {
            None => Ok(default),
            Some(s) => s
                .parse::<usize>()
                .ok()
                .filter(|v| (1..=4096).contains(v))
                .ok_or_else(|| format!("--{name}: not a count in 1..=4096: {s}")),
        }
    }
}

/// The most sessions `serve --sessions` pre-creates.
const MAX_SESSIONS: usize = 10_000_000;

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

fn runtime(threads: usize) -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())
}

fn member(args: &Args) -> Result<(), String> {
    let n = args.count("members", 1)?;
    let rt = runtime(args.count("threads", 2)?)?;
    rt.block_on(async {
        let cluster = hazelcast_test_member::server::TestCluster::start(n)
            .await
            .map_err(|e| format!("test cluster: {e}"))?;
        let addrs: Vec<String> = cluster
            .addresses()
            .iter()
            .map(ToString::to_string)
            .collect();
        say(&format!("MEMBERS {}", addrs.join(",")));
        // Run until the parent closes our standard input.
        let mut sink = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut tokio::io::stdin(), &mut sink).await;
        cluster.shutdown();
        Ok(())
    })
}

fn client(args: &Args) -> Result<(), String> {
    let addresses: Vec<String> = args
        .opt("addresses")
        .ok_or("--addresses is required")?
        .split(',')
        .map(str::to_owned)
        .collect();
    let cluster = args.opt("cluster").unwrap_or("dev").to_owned();
    let warmup = args.seconds("warmup", 1.0)?;
    let duration = args.seconds("duration", 5.0)?;
    let cases = client_load::all_cases();
    let selected: Vec<usize> = match args.opt("cases") {
        None => (0..cases.len()).collect(),
        Some(list) => list
            .split(',')
            .map(|s| s.parse::<usize>().ok().filter(|i| *i < cases.len()))
            .collect::<Option<_>>()
            .ok_or_else(|| format!("--cases: indexes below {}", cases.len()))?,
    };
    let rt = runtime(args.count("threads", 2)?)?;
    rt.block_on(async {
        let config = hazelcast_client::ClientConfig::builder()
            .cluster_name(cluster)
            .addresses(addresses)
            .build()
            .map_err(|e| e.to_string())?;
        let client = Arc::new(
            hazelcast_client::Client::connect(config)
                .await
                .map_err(|e| format!("connect: {e}"))?,
        );
        for size in [200, 1024] {
            client_load::prefill(&client, size)
                .await
                .map_err(|e| format!("prefill: {e}"))?;
        }
        for i in selected {
            let case = cases[i];
            let measurement = client_load::run_case(&client, case, warmup, duration).await;
            let line = CaseResult {
                client: "rust".into(),
                case: case.name(),
                measurement,
            };
            say(&serde_json::to_string(&line).map_err(|e| e.to_string())?);
        }
        client.shutdown().await;
        Ok(())
    })
}

fn serve(args: &Args) -> Result<(), String> {
    let stack: Stack = args.words.get(1).ok_or("serve <stack>")?.parse()?;
    let bind: SocketAddr = args
        .opt("bind")
        .unwrap_or("127.0.0.1:0")
        .parse()
        .map_err(|e| format!("--bind: {e}"))?;
    let workers = args.count("workers", 2)?;
    let backends = apps::Backends {
        redis: args.opt("redis").map(str::to_owned),
        members: args
            .opt("members")
            .map(|m| m.split(',').map(str::to_owned).collect())
            .unwrap_or_default(),
        cluster_name: args.opt("cluster").unwrap_or("dev").to_owned(),
        local_cache: args.flag("local-cache")?,
        map_name: args.opt("map-name").map(str::to_owned),
        sessions: match args.opt("sessions") {
            None => 0,
            Some(s) => s
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= MAX_SESSIONS)
                .ok_or_else(|| format!("--sessions: a count up to {MAX_SESSIONS}: {s}"))?,
        },
        session_file: args.opt("session-file").map(Into::into),
    };
    apps::serve(stack, bind, workers, backends, |addr| {
        say(&format!("LISTENING {addr}"));
    })
    .map_err(|e| e.to_string())
}

/// An optional process id option.
fn pid(args: &Args, name: &str) -> Result<Option<u32>, String> {
    args.opt(name)
        .map(|s| s.parse::<u32>().map_err(|e| format!("--{name}: {e}")))
        .transpose()
}

fn load(args: &Args) -> Result<(), String> {
    let addr: SocketAddr = args
        .opt("addr")
        .ok_or("--addr is required")?
        .parse()
        .map_err(|e| format!("--addr: {e}"))?;
    let method = args.opt("method").unwrap_or("GET");
    if !["GET", "POST", "PUT"].contains(&method) {
        return Err("--method: GET, POST or PUT".into());
    }
    let plan = LoadPlan {
        addr,
        method: method.to_owned(),
        path: args.opt("path").unwrap_or("/basket").to_owned(),
        connections: args.count("connections", 32)?,
        warmup: args.seconds("warmup", 1.0)?,
        duration: args.seconds("duration", 5.0)?,
        sessions: match args.opt("session-file") {
            None => None,
            Some(path) => Some(Arc::new(
                load::read_session_file(path.as_ref()).map_err(|e| format!("{path}: {e}"))?,
            )),
        },
        app_pid: pid(args, "app-pid")?,
        backend_pid: pid(args, "backend-pid")?,
    };
    let rt = runtime(args.count("threads", 2)?)?;
    let m = rt.block_on(load::run(plan));
    say(&serde_json::to_string(&m).map_err(|e| e.to_string())?);
    Ok(())
}

fn main() -> ExitCode {
    let args = Args {
        words: std::env::args().skip(1).collect(),
    };
    let result = match args.words.first().map(String::as_str) {
        Some("member") => member(&args),
        Some("client") => client(&args),
        Some("serve") => serve(&args),
        Some("load") => load(&args),
        _ => Err("usage: bench-tool member|client|serve <stack>|load [options]".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench-tool: {e}");
            ExitCode::FAILURE
        }
    }
}
