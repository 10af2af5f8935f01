//! What the client tells a cluster and what it expects of it: client statistics (accepted
//! by the test member and by a real member), Compact schemas re-sent to a new cluster
//! before the first write there, a member with another partition count refused and
//! retried without harm, and the wire counters.
//!
//! `cargo test -p hazelcast-client --test cluster_state` (the real-member test needs
//! `scripts/setup-hazelcast.sh`).

use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use hazelcast_client::{AsCompact, Client, ClientConfig, ClientConfigBuilder, ClusterConfig};
use hazelcast_protocol::codec::client::{
    ClientAuthenticationRequest, ClientSendAllSchemasRequest, ClientSendSchemaRequest,
    ClientStatisticsRequest,
};
use hazelcast_protocol::codec::map::MapSetRequest;
use hazelcast_protocol::compact::{FieldValue, GenericRecord};
use hazelcast_real_member::RealCluster;
use hazelcast_test_member::server::TestCluster;

fn config(cluster: &TestCluster, name: &str) -> ClientConfigBuilder {
    ClientConfig::builder()
        .cluster_name(name)
        .addresses(cluster.addresses().iter().map(ToString::to_string))
        .invocation_timeout(Duration::from_secs(10))
}

async fn eventually(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let t = Instant::now();
    while t.elapsed() < limit {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    f()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_reach_the_test_member_periodically() {
    let cluster = TestCluster::start(1).await.expect("cluster");
    let client = Client::connect(
        config(&cluster, "dev")
            .client_name("stats-probe")
            .statistics_period(Some(Duration::from_millis(100)))
            .build()
            .expect("config"),
    )
    .await
    .expect("connect");
    assert!(
        eventually(Duration::from_secs(10), || client.stats().statistics_sent
            >= 3)
        .await,
        "reports are sent periodically and accepted"
    );
    let reports = cluster
        .requests(0)
        .into_iter()
        .filter(|r| r.message_type == ClientStatisticsRequest::MESSAGE_TYPE)
        .count();
    assert!(reports >= 3, "the member received {reports} reports");
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_can_be_turned_off() {
    let cluster = TestCluster::start(1).await.expect("cluster");
    let client = Client::connect(
        config(&cluster, "dev")
            .statistics_period(None)
            .build()
            .expect("config"),
    )
    .await
    .expect("connect");
    client
        .map::<String, String>("m")
        .set("k", &"v".to_owned())
        .await
        .expect("set");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(client.stats().statistics_sent, 0);
    assert!(
        !cluster
            .requests(0)
            .iter()
            .any(|r| r.message_type == ClientStatisticsRequest::MESSAGE_TYPE)
    );
}

/// A real member takes the report (attributes and metrics blob) without an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_are_accepted_by_a_real_member() {
    let cluster = tokio::task::spawn_blocking(|| {
        RealCluster::builder()
            .members(1)
            .cluster_name("stats-real")
            .start()
            .expect("real member starts")
    })
    .await
    .expect("join");
    let client = Client::connect(
        ClientConfig::builder()
            .cluster_name("stats-real")
            .addresses(cluster.addresses().iter().map(ToString::to_string))
            .client_name("rust-stats-probe")
            .statistics_period(Some(Duration::from_millis(300)))
            .build()
            .expect("config"),
    )
    .await
    .expect("connect");
    let connected = Instant::now();
    let accepted = eventually(Duration::from_secs(20), || {
        client.stats().statistics_sent >= 2
    })
    .await;
    assert!(
        accepted,
        "the real member accepted the reports: {:?}",
        client.stats()
    );
    // The member reads the metrics blob when it collects its own metrics (every 5 s by
    // default): after two collections, its log shows no trouble with our reports.
    tokio::time::sleep(Duration::from_secs(11).saturating_sub(connected.elapsed())).await;
    let log = cluster.log(0);
    assert!(
        log.contains("client name: rust-stats-probe"),
        "the member saw the client"
    );
    let trouble: Vec<&str> = log
        .lines()
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            l.contains("exception") || l.contains("severe") || l.contains("metric")
        })
        .collect();
    assert!(trouble.is_empty(), "member log: {trouble:#?}");
    client.shutdown().await;
    drop(cluster);
}

/// After a failover the client sends all its Compact schemas to the new cluster while
/// setting up the connection, so the first write there needs no schema round trip.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemas_reach_a_new_cluster_before_the_first_write() {
    let a = TestCluster::start(1).await.expect("cluster a");
    let b = TestCluster::builder()
        .cluster_name("dr")
        .start()
        .await
        .expect("cluster b");
    let client = Client::connect(
        config(&a, "dev")
            .failover(
                2,
                [ClusterConfig::new(
                    "dr",
                    b.addresses().iter().map(ToString::to_string),
                )],
            )
            .build()
            .expect("config"),
    )
    .await
    .expect("connect");
    let m = client.map::<String, AsCompact<GenericRecord>>("s");
    let rec = GenericRecord::builder("S")
        .field("n", FieldValue::Int32(1))
        .build()
        .expect("record");
    m.set("on-a", &AsCompact(rec.clone())).await.expect("set a");
    a.shutdown();
    assert!(eventually(Duration::from_secs(30), || client.stats().failovers >= 1).await);
    m.set("on-b", &AsCompact(rec.clone())).await.expect("set b");
    let journal = b.requests(0);
    let all = journal
        .iter()
        .position(|r| r.message_type == ClientSendAllSchemasRequest::MESSAGE_TYPE)
        .expect("schemas sent to the new cluster");
    let first_set = journal
        .iter()
        .position(|r| r.message_type == MapSetRequest::MESSAGE_TYPE)
        .expect("the write");
    assert!(all < first_set, "schemas before the first write");
    assert!(
        !journal
            .iter()
            .any(|r| r.message_type == ClientSendSchemaRequest::MESSAGE_TYPE),
        "no schema round trip on the write path"
    );
    let back = m.get("on-b").await.expect("get").expect("value");
    assert_eq!(back.0, rec);
}

/// Warnings of every test of this binary, for the ones that check a log line.
fn warnings() -> Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    Arc::clone(LOG.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&buf);
        let _ = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .with_writer(move || Sink(Arc::clone(&sink)))
            .try_init();
        buf
    }))
}

struct Sink(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Sink {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log").extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A member that comes back announcing another partition count than the cluster's is
/// refused with a typed error and a warning, retried by the connect-to-all task like any
/// failed connection, and accepted once it fits; meanwhile the client keeps working with
/// the other member and never shuts down.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_count_mismatch_is_retried_like_any_failure() {
    let log = warnings();
    let cluster = TestCluster::start(2).await.expect("cluster");
    let client = Client::connect(
        ClientConfig::builder()
            .addresses(cluster.addresses().iter().map(ToString::to_string))
            .build()
            .expect("config"),
    )
    .await
    .expect("connect");
    assert!(eventually(Duration::from_secs(10), || client.connection_count() == 2).await);
    let m = client.map::<String, String>("pc");
    // Member 1 drops its connection and announces 7 partitions from now on.
    let faults = cluster.faults(1).expect("member 1");
    faults.set_advertised_partition_count(Some(7));
    let auths = || {
        cluster
            .requests(1)
            .iter()
            .filter(|r| r.message_type == ClientAuthenticationRequest::MESSAGE_TYPE)
            .count()
    };
    let before = auths();
    cluster.drop_connections(1);
    assert!(
        eventually(Duration::from_secs(10), || auths() >= before + 2).await,
        "the reconnect is retried"
    );
    assert_eq!(client.connection_count(), 1, "the misfit member is refused");
    assert!(client.is_connected());
    // Calls that any member answers keep working (keyed calls for member 1's partitions
    // wait for it: the test member, unlike a real one, does not forward them).
    assert_eq!(m.size().await.expect("the client keeps working"), 0);
    let text = String::from_utf8_lossy(&log.lock().expect("log")).into_owned();
    assert!(
        text.contains("announced 7 partitions but the cluster has 271"),
        "a clear warning: {text}"
    );
    // Once the member fits again, the next attempt connects.
    faults.set_advertised_partition_count(None);
    assert!(
        eventually(Duration::from_secs(10), || client.connection_count() == 2).await,
        "connected to the member once it fits"
    );
    for i in 0..20 {
        m.set(&format!("k{i}"), &"v".to_owned()).await.expect("set");
    }
    assert_eq!(m.get("k3").await.expect("get").as_deref(), Some("v"));
}

/// Many calls in flight share socket writes; the counters say how many per write.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_share_writes() {
    let cluster = TestCluster::start(1).await.expect("cluster");
    let client = Client::connect(
        config(&cluster, "dev")
            .statistics_period(None)
            .build()
            .expect("config"),
    )
    .await
    .expect("connect");
    let m = client.map::<String, String>("w");
    let before = client.stats();
    for _ in 0..20 {
        let calls = (0..64).map(|i| {
            let m = m.clone();
            tokio::spawn(async move { m.set(&format!("k{i}"), &"v".to_owned()).await })
        });
        for c in futures::future::join_all(calls).await {
            c.expect("join").expect("set");
        }
    }
    let after = client.stats();
    let messages = after.messages_sent - before.messages_sent;
    let writes = after.write_calls - before.write_calls;
    assert!(messages >= 64 * 20, "{messages} messages counted");
    assert!(
        writes > 0 && writes < messages,
        "{messages} messages in {writes} writes"
    );
    assert!(after.messages_received >= 64 * 20);
    assert!(after.bytes_sent > before.bytes_sent);
}
