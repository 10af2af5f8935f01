//! The launcher against real members: start, kill, pause, restart, graceful shutdown, and
//! the watchdog that kills members whose parent died.

use std::io::{BufRead as _, BufReader};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use hazelcast_real_member::RealCluster;

fn answers(addr: std::net::SocketAddr) -> bool {
    TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok()
}

fn process_exists(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z ")
}

#[test]
fn two_members_kill_restart_pause_and_graceful_shutdown() {
    let mut cluster = RealCluster::builder()
        .members(2)
        .cluster_name("launcher-test")
        .start()
        .expect("two members start");
    let addresses = cluster.addresses();
    assert!(addresses.iter().all(|a| answers(*a)));
    assert!(cluster.log(0).contains("Members {size:2"));
    let uuid0 = cluster.member_uuid(0).expect("member 0 reports its uuid");
    assert_eq!(uuid0.len(), 36);

    // kill -9: the process is gone at once, the other member notices.
    let pid1 = cluster.pid(1).expect("member 1 runs");
    cluster.kill_member(1).expect("kill");
    assert!(!process_exists(pid1));
    assert!(!cluster.is_alive(1));
    cluster
        .wait_for_size(1, Duration::from_secs(60))
        .expect("member 0 sees 1 member after the kill");

    // Restart on the same address: it joins again.
    cluster.restart_member(1).expect("restart");
    assert!(answers(addresses[1]));
    assert!(cluster.log(1).contains("Members {size:2"));

    // SIGSTOP: the socket stays open but the member answers nothing; SIGCONT: back.
    cluster.pause_member(0).expect("pause");
    let stat = std::fs::read_to_string(format!("/proc/{}/stat", cluster.pid(0).unwrap_or(0)))
        .unwrap_or_default();
    assert!(stat.contains(") T "), "a paused member is stopped: {stat}");
    cluster.resume_member(0).expect("resume");
    assert!(answers(addresses[0]));

    // Graceful shutdown (SIGTERM): the process ends by itself and the other member sees it
    // leave. (Its own log may miss the last lines: the JVM closes its log handler early.)
    cluster.shutdown_member(1).expect("graceful shutdown");
    assert!(!cluster.is_alive(1));
    cluster
        .wait_for_size(1, Duration::from_secs(60))
        .expect("member 0 alone");
    let pid0 = cluster.pid(0).expect("member 0 runs");
    drop(cluster);
    assert!(!process_exists(pid0), "drop kills the members");
}

/// Run as a child by `members_die_with_the_process_that_started_them`: starts a member,
/// prints its pid, then waits to be killed.
#[test]
#[ignore = "a helper process for the watchdog test, not a test of its own"]
fn watchdog_child() {
    if std::env::var_os("REAL_MEMBER_WATCHDOG_CHILD").is_none() {
        return;
    }
    let cluster = RealCluster::builder()
        .cluster_name("watchdog-test")
        .start()
        .expect("member starts");
    println!("member-pid {}", cluster.pid(0).unwrap_or(0));
    std::thread::sleep(Duration::from_secs(300));
    drop(cluster);
}

#[test]
fn members_die_with_the_process_that_started_them() {
    let exe = std::env::current_exe().expect("test binary");
    let mut child = Command::new(exe)
        .args(["--ignored", "--exact", "watchdog_child", "--nocapture"])
        .env("REAL_MEMBER_WATCHDOG_CHILD", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("child test process");
    let stdout = child.stdout.take().expect("child stdout");
    let mut pid = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap_or_default();
        if let Some(p) = line.strip_prefix("member-pid ") {
            pid = p.trim().parse::<u32>().ok();
            break;
        }
    }
    let pid = pid.expect("the child started a member");
    assert!(process_exists(pid));
    // SIGKILL: the child gets no chance to drop anything.
    child.kill().expect("kill the child");
    let _ = child.wait();
    let deadline = Instant::now() + Duration::from_secs(10);
    while process_exists(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(
        !process_exists(pid),
        "the watchdog killed member {pid} when its parent died"
    );
}
