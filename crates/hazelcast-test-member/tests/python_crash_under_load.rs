//! Facts §9 with the official Python client: one thread loops put + get while a member is
//! killed. No entry may be lost and at most one operation may fail (the one in flight on
//! the dead member's connection).

use std::path::PathBuf;
use std::time::Duration;

use hazelcast_test_member::server::TestCluster;

const SCRIPT: &str = r#"
import logging, os, sys, time
import hazelcast

logging.basicConfig(stream=sys.stderr, level=logging.ERROR)
addrs = sys.argv[1].split(",")
marker_dir = sys.argv[2]
client = hazelcast.HazelcastClient(cluster_members=addrs, cluster_name="dev",
                                   cluster_connect_timeout=20)
m = client.get_map("load").blocking()
N = 300
for i in range(N):
    m.set("k%d" % i, "init")
acked = {}
attempted = {}
failures = []
seq = 0
signalled = False
start = time.time()
crashed_at = None
while True:
    now = time.time()
    if not signalled and now - start > 1.0:
        open(os.path.join(marker_dir, "crash-now"), "w").close()
        signalled = True
    if signalled and crashed_at is None and os.path.exists(os.path.join(marker_dir, "crashed")):
        crashed_at = now
    if crashed_at is not None and now - crashed_at > 2.0:
        break
    if now - start > 30:
        break
    k = "k%d" % (seq % N)
    v = "w%d" % seq
    attempted[k] = v
    try:
        m.put(k, v)
        acked[k] = v
        got = m.get(k)
        if got != v:
            failures.append("get %s returned %r, expected %r" % (k, got, v))
    except Exception as e:
        failures.append("%s: %s" % (type(e).__name__, e))
    seq += 1
lost = []
for i in range(N):
    k = "k%d" % i
    got = m.get(k)
    ok = {acked.get(k, "init"), attempted.get(k, "init")}
    if got not in ok:
        lost.append((k, got, sorted(ok)))
print("ops", seq)
print("failures", len(failures), failures[:3])
print("lost", len(lost), lost[:3])
print("size", m.size())
print("members", len(client.cluster_service.get_members()))
client.shutdown()
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_under_load_loses_nothing_and_fails_at_most_one_operation() {
    let cluster = TestCluster::start(2).await.expect("cluster");
    let addrs: Vec<String> = cluster.addresses().iter().map(|a| a.to_string()).collect();
    let dir: PathBuf = std::env::temp_dir().join(format!("hz-member-load-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("marker dir");
    let mut child = python_crosscheck::spawn_script(
        SCRIPT,
        &[&addrs.join(","), dir.to_str().expect("utf-8 path")],
    )
    .expect("python client starts");
    let started = std::time::Instant::now();
    while !dir.join("crash-now").exists() {
        if let Ok(Some(status)) = child.try_wait() {
            let out = child.wait_with_output().expect("output");
            panic!(
                "python ended early ({status}): {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "script never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cluster.crash_member(1);
    std::fs::write(dir.join("crashed"), b"").expect("marker");
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("join")
        .expect("python output");
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}\n--- client log ---\n{stderr}");
    assert!(out.status.success(), "python failed: {stderr}");
    let field = |name: &str| -> usize {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no {name} in output:\n{stdout}"))
    };
    assert!(field("ops") > 0);
    assert_eq!(field("lost"), 0, "entries lost:\n{stdout}");
    assert!(
        field("failures") <= 1,
        "more than one failed operation:\n{stdout}"
    );
    assert_eq!(field("size"), 300);
    assert_eq!(field("members"), 1);
}
