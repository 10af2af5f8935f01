//! The client's counters reach a `metrics` recorder installed by the application, under
//! the documented `hazelcast_client_*` names.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use hazelcast_client::{Client, ClientConfig};
use hazelcast_test_member::server::TestCluster;
use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};

/// Keeps every counter by name.
#[derive(Debug, Default, Clone)]
struct Counters(Arc<Mutex<HashMap<String, Arc<AtomicU64>>>>);

impl Counters {
    fn get(&self, name: &str) -> u64 {
        self.0
            .lock()
            .expect("lock")
            .get(name)
            .map_or(0, |c| c.load(Ordering::Relaxed))
    }
}

impl Recorder for Counters {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        let c = Arc::clone(
            self.0
                .lock()
                .expect("lock")
                .entry(key.name().to_owned())
                .or_default(),
        );
        Counter::from_arc(c)
    }
    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }
    fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::noop()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invocations_retries_and_reconnects_are_recorded() {
    let counters = Counters::default();
    metrics::set_global_recorder(counters.clone()).expect("first recorder");
    let cluster = TestCluster::start(1).await.expect("cluster");
    let client = Client::connect(
        ClientConfig::builder()
            .addresses(cluster.addresses().iter().map(ToString::to_string))
            .statistics_period(None)
            .build()
            .expect("config"),
    )
    .await
    .expect("connect");
    let m = client.map::<String, String>("metrics");
    let before = counters.get("hazelcast_client_invocations");
    for i in 0..10 {
        m.set(&format!("k{i}"), &"v".to_owned()).await.expect("set");
    }
    let after = counters.get("hazelcast_client_invocations");
    assert!(after - before >= 10, "{before} -> {after}");
    assert_eq!(after, client.stats().invocations, "same count as the stats");

    // Dropping the connections makes the client reconnect.
    cluster.drop_connections(0);
    let t = std::time::Instant::now();
    while counters.get("hazelcast_client_reconnects") == 0 && t.elapsed() < Duration::from_secs(20)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        counters.get("hazelcast_client_reconnects"),
        client.stats().reconnects
    );
    assert!(counters.get("hazelcast_client_reconnects") >= 1);
}
