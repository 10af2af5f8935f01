//! Smoke test: the official Python client connects and does a put/get.

use hazelcast_test_member::server::TestCluster;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_put_get() {
    let cluster = TestCluster::start(2).await.expect("cluster");
    let addrs: Vec<String> = cluster.addresses().iter().map(|a| a.to_string()).collect();
    let script = format!(
        r#"
import hazelcast, logging, sys
logging.basicConfig(level=logging.INFO)
c = hazelcast.HazelcastClient(cluster_members={addrs:?}, cluster_name="dev", cluster_connect_timeout=10)
m = c.get_map("m").blocking()
print("put", m.put("k", "v"))
print("get", m.get("k"))
print("size", m.size())
c.shutdown()
"#
    );
    let out = tokio::task::spawn_blocking(move || python_crosscheck::run_script(&script, b""))
        .await
        .expect("join")
        .expect("python");
    let out = String::from_utf8_lossy(&out);
    println!("{out}");
    assert!(out.contains("get v"));
}
