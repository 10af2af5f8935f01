//! The child process that runs in-process `hazelcast-test-member` clusters for
//! `cargo xtask integration` and obeys one command per line on stdin, so the suite can
//! crash, restart and shut down members while the shop talks to them over TCP.
//!
//! Protocol (one line each way):
//! - `start <cluster> <members>` → `ok <addr>,<addr>,...`
//! - `crash <cluster> <slot>` (kill -9), `stop <cluster> <slot>` (graceful),
//!   `restart <cluster> <slot>`, `shutdown <cluster>`, `restart-cluster <cluster>`,
//!   `drop <cluster>` (stopped and forgotten) → `ok`
//! - `quit` → the process exits. End of input does the same.
//!
//! Any failure answers `err <message>`.

use std::collections::HashMap;
use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use hazelcast_test_member::server::TestCluster;
use tokio::io::{AsyncBufReadExt, BufReader};

/// Longest command line accepted.
const MAX_LINE: usize = 256;

/// Entry point of `xtask __integration-cluster`.
pub(crate) fn main(_args: &[String]) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("integration cluster: cannot start tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(serve());
    ExitCode::SUCCESS
}

fn reply(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

async fn serve() {
    let mut clusters: HashMap<String, TestCluster> = HashMap::new();
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if line.len() > MAX_LINE {
            reply("err line too long");
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.first() == Some(&"quit") {
            break;
        }
        let answer = command(&mut clusters, &words).await;
        match answer {
            Ok(text) => reply(&format!("ok {text}")),
            Err(e) => reply(&format!("err {e}")),
        }
    }
    for cluster in clusters.values() {
        cluster.shutdown();
    }
}

fn slot(words: &[&str]) -> Result<usize, String> {
    words
        .get(2)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| "missing or bad member slot".to_owned())
}

async fn command(
    clusters: &mut HashMap<String, TestCluster>,
    words: &[&str],
) -> Result<String, String> {
    let name = words.get(1).ok_or("missing cluster name")?.to_string();
    match words.first().copied() {
        Some("start") => {
            let n: usize = words
                .get(2)
                .and_then(|s| s.parse().ok())
                .filter(|n| (1..=9).contains(n))
                .ok_or("member count must be 1 to 9")?;
            if clusters.contains_key(&name) {
                return Err(format!("cluster {name} already exists"));
            }
            let cluster = TestCluster::builder()
                .members(n)
                .cluster_name(name.clone())
                .expiry(Duration::from_millis(200), 271)
                .start()
                .await
                .map_err(|e| format!("cannot start {name}: {e}"))?;
            let list = cluster
                .addresses()
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(",");
            clusters.insert(name, cluster);
            Ok(list)
        }
        Some("drop") => {
            let cluster = clusters
                .remove(&name)
                .ok_or_else(|| format!("no cluster {name}"))?;
            cluster.shutdown();
            Ok(String::new())
        }
        Some(verb) => {
            let cluster = clusters
                .get(&name)
                .ok_or_else(|| format!("no cluster {name}"))?;
            match verb {
                "crash" => cluster.crash_member(slot(words)?),
                "stop" => cluster.stop_member(slot(words)?),
                "restart" => cluster
                    .restart_member(slot(words)?)
                    .await
                    .map_err(|e| e.to_string())?,
                "shutdown" => cluster.shutdown(),
                "restart-cluster" => cluster.restart_cluster().await.map_err(|e| e.to_string())?,
                other => return Err(format!("unknown command {other}")),
            }
            Ok(String::new())
        }
        None => Err("empty command".into()),
    }
}
