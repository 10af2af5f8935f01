//! The official Python client (hazelcast-python-client 5.7.0) against a 3-member test
//! cluster: map operations with ttl, CAS, put-if-absent, entry events including expiry,
//! Compact records with an index and predicate queries, dynamic config, and a member crash
//! with backup count 1 that loses no entry. The client must log no error.

use std::path::PathBuf;
use std::time::Duration;

use hazelcast_test_member::config::MapConfig;
use hazelcast_test_member::server::TestCluster;

const SCRIPT: &str = r#"
import logging, os, sys, time
import hazelcast
from hazelcast.config import IndexType
from hazelcast.predicate import equal, sql, greater
from hazelcast.serialization.api import CompactSerializer

logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
addrs = sys.argv[1].split(",")
marker_dir = sys.argv[2]

class Sess:
    def __init__(self, principal, n):
        self.principal = principal
        self.n = n

class SessSerializer(CompactSerializer):
    def read(self, reader):
        return Sess(reader.read_string("principalName"), reader.read_int32("n"))
    def write(self, writer, obj):
        writer.write_string("principalName", obj.principal)
        writer.write_int32("n", obj.n)
    def get_type_name(self):
        return "Sess"
    def get_class(self):
        return Sess

def check(name, cond):
    print(("ok " if cond else "FAIL ") + name, flush=True)

client = hazelcast.HazelcastClient(
    cluster_members=addrs, cluster_name="dev", cluster_connect_timeout=20,
    compact_serializers=[SessSerializer()])
check("three members", len(client.cluster_service.get_members()) == 3)

# Basic operations with ttl.
m = client.get_map("basic").blocking()
check("put new", m.put("k1", "v1") is None)
check("put old", m.put("k1", "v2") == "v1")
check("get", m.get("k1") == "v2")
m.set("k2", "x", ttl=60)
check("entry view ttl", m.get_entry_view("k2").ttl == 60000)
m.set("k2", "y")
check("set without ttl resets it", m.get_entry_view("k2").ttl > 10**15)
check("remove", m.remove("k1") == "v2")
check("removed", m.get("k1") is None)
check("delete", m.delete("k2") is None and m.get("k2") is None)
check("put_if_absent new", m.put_if_absent("p", "first") is None)
check("put_if_absent old", m.put_if_absent("p", "second") == "first")
check("replace_if_same ok", m.replace_if_same("p", "first", "third") is True)
check("replace_if_same stale", m.replace_if_same("p", "first", "fourth") is False)
check("value after cas", m.get("p") == "third")
check("contains_key", m.contains_key("p") and not m.contains_key("nope"))
m.set("t", "short", ttl=60)
m.set_ttl("t", 1)
time.sleep(2.1)
check("gone after set_ttl", m.get("t") is None)

# Entry events including expiry.
events = []
def on(kind):
    return lambda e: events.append((kind, e.key, e.value, e.old_value))
ev = client.get_map("events").blocking()
ev.add_entry_listener(include_value=True, added_func=on("added"), updated_func=on("updated"),
                      removed_func=on("removed"), evicted_func=on("evicted"),
                      expired_func=on("expired"))
ev.put("a", "1")
ev.put("a", "2")
ev.remove("a")
ev.put("b", "1")
ev.delete("b")
ev.put("c", "1")
ev.evict("c")
ev.put("read-me", "r", ttl=1)
ev.put("untouched", "u", ttl=1)
time.sleep(2.1)
check("expired read returns none", ev.get("read-me") is None)
deadline = time.time() + 10
want = {("added", "a", "1", None), ("updated", "a", "2", "1"), ("removed", "a", None, "2"),
        ("added", "b", "1", None), ("removed", "b", None, None), ("added", "c", "1", None),
        ("evicted", "c", None, "1"), ("expired", "read-me", None, "r"),
        ("expired", "untouched", None, "u")}
while time.time() < deadline and not want.issubset(set(events)):
    time.sleep(0.05)
missing = want - set(events)
check("events " + repr(sorted(missing, key=repr)), not missing)
check("no duplicate events %r" % events, len(events) == len(set(events)))

# Map-level max-idle from a static `idle-*` config (facts 3.1).
idle = client.get_map("idle-x").blocking()
idle.put("k", "v")
view = idle.get_entry_view("k")
check("map max-idle applies", view.max_idle == 4000 and view.ttl > 10**15)

# Compact values, index and predicates.
s = client.get_map("sessions").blocking()
for i in range(60):
    s.set("s%d" % i, Sess("user%d" % (i % 6), i))
s.add_index(attributes=["principalName"], index_type=IndexType.HASH)
check("equal on compact field", len(s.values(equal("principalName", "user3"))) == 10)
check("sql", len(s.key_set(sql("principalName = 'user4' AND n < 30"))) == 5)
check("greater", len(s.values(greater("n", 49))) == 10)
got = s.get("s7")
check("compact round trip", got.principal == "user1" and got.n == 7)

# Member crash with backup count 1.
c = client.get_map("crash").blocking()
for i in range(500):
    c.set("k%d" % i, "v%d" % i)
open(os.path.join(marker_dir, "ready"), "w").close()
while not os.path.exists(os.path.join(marker_dir, "crashed")):
    time.sleep(0.05)
deadline = time.time() + 10
while time.time() < deadline and len(client.cluster_service.get_members()) != 2:
    time.sleep(0.05)
check("client saw member removed", len(client.cluster_service.get_members()) == 2)
check("size after crash", c.size() == 500)
lost = [i for i in range(500) if c.get("k%d" % i) != "v%d" % i]
check("no entry lost %r" % lost[:5], not lost)
c.put("after", "crash")
check("writes after crash", c.get("after") == "crash")
client.shutdown()
print("done", flush=True)
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_client_agrees_with_the_test_cluster() {
    let cluster = TestCluster::builder()
        .members(3)
        .map_config(MapConfig::new("idle-*").with_max_idle_seconds(4))
        .expiry(Duration::from_millis(200), 271)
        .start()
        .await
        .expect("cluster");
    let addrs: Vec<String> = cluster.addresses().iter().map(|a| a.to_string()).collect();
    let dir: PathBuf = std::env::temp_dir().join(format!("hz-member-py-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("marker dir");
    let mut child = python_crosscheck::spawn_script(
        SCRIPT,
        &[&addrs.join(","), dir.to_str().expect("utf-8 path")],
    )
    .expect("python client starts");

    // Wait for the script to ask for the crash, then kill member 0.
    let ready = dir.join("ready");
    let started = std::time::Instant::now();
    while !ready.exists() {
        if let Ok(Some(status)) = child.try_wait() {
            let out = child.wait_with_output().expect("output");
            panic!(
                "python ended early ({status}):\n{}\n{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "script never got ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    cluster.crash_member(0);
    std::fs::write(dir.join("crashed"), b"").expect("marker");

    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("join")
        .expect("python output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let _ = std::fs::remove_dir_all(&dir);
    println!("{stdout}\n--- client log ---\n{stderr}");
    assert!(out.status.success(), "python failed: {stderr}");
    assert!(stdout.contains("done"), "script did not finish");
    assert!(!stdout.contains("FAIL"), "a check failed:\n{stdout}");
    // The only warnings allowed are those about the crashed member's connection.
    for line in stderr.lines() {
        let l = line.to_lowercase();
        assert!(
            !l.contains("error") || l.contains("connection") || l.contains("closed"),
            "client reported an error: {line}"
        );
    }
}
