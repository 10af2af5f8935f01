//! The official Python client across a whole-cluster restart (new cluster id, all data
//! gone) and dropped connections: it reconnects, sends its Compact schemas again, its
//! listener is registered again and queries on Compact fields work.

use std::path::PathBuf;
use std::time::Duration;

use hazelcast_test_member::server::TestCluster;

const SCRIPT: &str = r#"
import logging, os, sys, time
import hazelcast
from hazelcast.predicate import equal
from hazelcast.serialization.api import CompactSerializer

logging.basicConfig(stream=sys.stderr, level=logging.ERROR)
addrs = sys.argv[1].split(",")
marker_dir = sys.argv[2]

class Sess:
    def __init__(self, principal):
        self.principal = principal

class SessSerializer(CompactSerializer):
    def read(self, reader):
        return Sess(reader.read_string("principalName"))
    def write(self, writer, obj):
        writer.write_string("principalName", obj.principal)
    def get_type_name(self):
        return "RestartSess"
    def get_class(self):
        return Sess

def check(name, cond):
    print(("ok " if cond else "FAIL ") + name, flush=True)

def wait_for(marker):
    open(os.path.join(marker_dir, marker), "w").close()
    while not os.path.exists(os.path.join(marker_dir, marker + "-done")):
        time.sleep(0.05)

client = hazelcast.HazelcastClient(cluster_members=addrs, cluster_name="dev",
                                   cluster_connect_timeout=30, compact_serializers=[SessSerializer()])
m = client.get_map("sessions").blocking()
added = []
m.add_entry_listener(include_value=True, added_func=lambda e: added.append(e.key))
m.set("before", Sess("alice"))
check("before restart", m.get("before").principal == "alice")

wait_for("drop")
deadline = time.time() + 20
ok = False
while time.time() < deadline and not ok:
    try:
        m.set("after-drop", Sess("bob"))
        ok = m.get("after-drop").principal == "bob"
    except Exception:
        time.sleep(0.2)
check("works after dropped connections", ok)

wait_for("restart")
deadline = time.time() + 30
ok = False
while time.time() < deadline and not ok:
    try:
        m.set("after", Sess("carol"))
        ok = True
    except Exception:
        time.sleep(0.2)
check("writes after cluster restart", ok)
check("old data is gone", m.get("before") is None)
check("compact query after restart", len(m.values(equal("principalName", "carol"))) == 1)
# The client re-registers its listener asynchronously after the restart, so a write made
# before that finished fires no event (as on a real member): keep writing fresh keys until one
# is seen, within a bound.
deadline = time.time() + 10
i = 0
while time.time() < deadline and not any(k.startswith("probe-") for k in added):
    m.set("probe-%d" % i, Sess("dave"))
    i += 1
    time.sleep(0.2)
check("listener registered again", any(k.startswith("probe-") for k in added))
client.shutdown()
print("done", flush=True)
"#;

async fn wait_marker(dir: &std::path::Path, name: &str, child: &mut std::process::Child) {
    let started = std::time::Instant::now();
    while !dir.join(name).exists() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("python ended early ({status}) before {name}");
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "no {name} marker"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_survives_dropped_connections_and_a_cluster_restart() {
    let cluster = TestCluster::start(2).await.expect("cluster");
    let addrs: Vec<String> = cluster.addresses().iter().map(|a| a.to_string()).collect();
    let dir: PathBuf =
        std::env::temp_dir().join(format!("hz-member-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("marker dir");
    let mut child = python_crosscheck::spawn_script(
        SCRIPT,
        &[&addrs.join(","), dir.to_str().expect("utf-8 path")],
    )
    .expect("python client starts");

    wait_marker(&dir, "drop", &mut child).await;
    cluster.drop_connections(0);
    cluster.drop_connections(1);
    std::fs::write(dir.join("drop-done"), b"").expect("marker");

    wait_marker(&dir, "restart", &mut child).await;
    let old_id = cluster.cluster_id();
    cluster.restart_cluster().await.expect("restart");
    assert_ne!(cluster.cluster_id(), old_id);
    std::fs::write(dir.join("restart-done"), b"").expect("marker");

    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("join")
        .expect("python output");
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}\n--- client log ---\n{stderr}");
    assert!(out.status.success(), "python failed: {stderr}");
    assert!(stdout.contains("done"), "script did not finish");
    assert!(!stdout.contains("FAIL"), "a check failed:\n{stdout}");
}
