//! Map.get / Map.set round trips of `hazelcast-client` against the in-process test member:
//! one call at a time, and 64 calls in flight from one client (get, set, and get followed
//! by replaceIfSame). After each case it prints, on stderr, the messages the client packed
//! into one socket write on average (`ClientStats::messages_per_write`).
//!
//! `cargo bench -p benches --bench client_roundtrips`
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hazelcast_client::{Client, ClientConfig, ClientStats, Map};
use hazelcast_test_member::server::TestCluster;

const IN_FLIGHT: usize = 64;

fn session_value() -> String {
    "x".repeat(200)
}

/// Prints messages per write since `before`.
fn report_packing(case: &str, before: ClientStats, client: &Client) {
    let after = client.stats();
    let messages = after.messages_sent - before.messages_sent;
    let writes = after.write_calls - before.write_calls;
    if writes > 0 {
        eprintln!(
            "{case}: {messages} messages in {writes} writes = {:.2} messages per write",
            messages as f64 / writes as f64
        );
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let (cluster, client) = rt.block_on(async {
        let cluster = TestCluster::start(1).await.expect("test member");
        let config = ClientConfig::builder()
            .addresses(cluster.addresses().iter().map(ToString::to_string))
            .build()
            .expect("config");
        let client = Client::connect(config).await.expect("connect");
        (cluster, client)
    });
    let map: Map<String, String> = client.map("bench");
    let keys: Vec<String> = (0..IN_FLIGHT).map(|i| format!("session-{i:04}")).collect();
    let value = session_value();
    rt.block_on(async {
        for k in &keys {
            map.set(k, &value).await.expect("seed");
        }
    });

    let mut g = c.benchmark_group("client_roundtrip");
    g.throughput(Throughput::Elements(1));
    let s = client.stats();
    g.bench_function("get_single", |b| {
        b.to_async(&rt)
            .iter(|| async { black_box(map.get(&keys[0]).await.expect("get")) });
    });
    report_packing("get_single", s, &client);
    let s = client.stats();
    g.bench_function("set_single", |b| {
        b.to_async(&rt)
            .iter(|| async { map.set(&keys[0], &value).await.expect("set") });
    });
    report_packing("set_single", s, &client);
    g.throughput(Throughput::Elements(IN_FLIGHT as u64));
    let s = client.stats();
    g.bench_function("get_64_in_flight", |b| {
        b.to_async(&rt).iter(|| async {
            let calls = keys.iter().map(|k| map.get(k));
            black_box(futures::future::join_all(calls).await)
        });
    });
    report_packing("get_64_in_flight", s, &client);
    let s = client.stats();
    g.bench_function("set_64_in_flight", |b| {
        b.to_async(&rt).iter(|| async {
            let calls = keys.iter().map(|k| map.set(k, &value));
            for r in futures::future::join_all(calls).await {
                r.expect("set");
            }
        });
    });
    report_packing("set_64_in_flight", s, &client);
    let s = client.stats();
    g.bench_function("get_replace_if_same_64_in_flight", |b| {
        b.to_async(&rt).iter(|| async {
            let calls = keys.iter().map(|k| async {
                let old = map.get(k).await.expect("get").expect("seeded");
                // Writes the same value back: the compare-and-set succeeds every time.
                map.replace_if_same(k, &old, &old).await.expect("cas")
            });
            for ok in futures::future::join_all(calls).await {
                assert!(ok, "the value did not change");
            }
        });
    });
    report_packing("get_replace_if_same_64_in_flight", s, &client);
    g.finish();
    rt.block_on(client.shutdown());
    drop(cluster);
}

criterion_group!(benches, bench);
criterion_main!(benches);
