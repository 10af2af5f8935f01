//! Failure behaviour: crashes under load, dropped connections, slow, silent and refusing
//! members, cluster restart, failover and heavy concurrency.
//!
//! Bodies written `async fn(Backend)` run on the test member and on real Hazelcast members
//! (`*_test_member` / `*_real_member`). The `#[tokio::test]`s without a twin need a fault
//! only the test member produces on demand (stalled or delayed responses, a crash in the
//! middle of one request, dropped connections, refused or denied clients, withheld backup
//! acks); each says so.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "test bodies shared by two #[test]s: clippy's allow-*-in-tests covers only #[test] fns"
)]

#[macro_use]
mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::{Backend, config_for, eventually, fast_reconnect};
use hazelcast_client::{
    AsCompact, Client, ClientError, ClusterConfig, EntryListenerOptions, event_type,
};
use hazelcast_protocol::codec::map::MapSetRequest;
use hazelcast_protocol::compact::{FieldValue, GenericRecord};
use hazelcast_protocol::serialization::ToData;
use hazelcast_test_member::fault::CrashPoint;
use hazelcast_test_member::server::TestCluster;

fn s(v: &str) -> String {
    v.to_owned()
}

/// Member crash under continuous reads and writes with backup count 1: no acknowledged write
/// is lost, reads and writes go on after a stall, which is measured and printed.
///
/// On real members (`kill -9`) a write whose backup lived on the killed member waits for
/// the client's backup-ack timeout (2 s here), and calls to the killed member's partitions
/// wait until the members removed it and the client saw the new partition table: the stall
/// bound is wider there, still below the 10 s invocation timeout.
async fn member_crash_under_load_loses_no_acknowledged_write(backend: Backend) {
    let cluster = backend.start(3, "crash").await;
    let client = Client::connect(
        cluster
            .config()
            .backup_ack_timeout(Duration::from_secs(2))
            .build()
            .expect("config"),
    )
    .await
    .expect("connect");
    assert!(eventually(Duration::from_secs(5), || client.connection_count() == 3).await);
    let m = client.map::<String, i64>("crash");
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    for w in 0..8 {
        let m = m.clone();
        let stop = Arc::clone(&stop);
        workers.push(tokio::spawn(async move {
            // key -> (last acknowledged value, values whose outcome is unknown)
            let mut acked: HashMap<String, (i64, Vec<i64>)> = HashMap::new();
            let mut longest = Duration::ZERO;
            let mut failed_writes = 0u32;
            let mut failed_reads = 0u32;
            let mut seq = 0i64;
            while !stop.load(Ordering::Relaxed) {
                seq += 1;
                let key = format!("w{w}-k{}", seq % 50);
                let t = Instant::now();
                match m.set(&key, &seq).await {
                    Ok(()) => {
                        let e = acked.entry(key.clone()).or_insert((0, Vec::new()));
                        *e = (seq, Vec::new());
                    }
                    Err(_) => {
                        failed_writes += 1;
                        acked
                            .entry(key.clone())
                            .or_insert((0, Vec::new()))
                            .1
                            .push(seq);
                    }
                }
                let t2 = Instant::now();
                match m.get(&key).await {
                    Ok(v) => {
                        let (last, unknown) = &acked[&key];
                        let v = v.unwrap_or(0);
                        assert!(
                            v == *last || unknown.contains(&v),
                            "read {v} for {key}, acked {last}"
                        );
                    }
                    Err(_) => failed_reads += 1,
                }
                longest = longest.max(t2.duration_since(t)).max(t2.elapsed());
            }
            (acked, longest, failed_writes, failed_reads)
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = client.stats();
    cluster.kill_member(1).await;
    let crashed_at = Instant::now();
    tokio::time::sleep(Duration::from_millis(3000)).await;
    stop.store(true, Ordering::Relaxed);
    let mut longest = Duration::ZERO;
    let (mut fw, mut fr) = (0, 0);
    let mut all = HashMap::new();
    for w in workers {
        let (acked, l, a, b) = w.await.expect("worker");
        longest = longest.max(l);
        fw += a;
        fr += b;
        all.extend(acked);
    }
    // Every acknowledged write is there after the crash.
    for (key, (last, unknown)) in &all {
        let v = m.get(key).await.expect("read after crash").unwrap_or(0);
        assert!(
            v == *last || unknown.contains(&v),
            "{key}: {v} vs acked {last}"
        );
    }
    let after = client.stats();
    println!(
        "crash under load ({backend:?}): longest op {longest:?}, failed writes {fw}, \
         failed reads {fr}, retries {}, invocations {}, {} keys checked, {:?} since crash",
        after.retries - before.retries,
        after.invocations - before.invocations,
        all.len(),
        crashed_at.elapsed()
    );
    assert_eq!(fr, 0, "reads are retried");
    assert!(fw <= 8, "at most the in-flight writes fail: {fw}");
    let bound = if backend.is_real() {
        Duration::from_secs(8)
    } else {
        Duration::from_secs(3)
    };
    assert!(longest < bound, "stall {longest:?}");
    assert!(eventually(Duration::from_secs(10), || client.connection_count() == 2).await);
}

on_both_backends!(
    member_crash_under_load_loses_no_acknowledged_write => crash_under_load_test_member,
    crash_under_load_real_member
);

/// A retryable request whose connection drops is retried; a non-retryable one fails with
/// `TargetDisconnected` (no blind redo).
///
/// Test member only: it holds responses back and drops the connection at a chosen moment.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_dropped_mid_request() {
    let cluster = TestCluster::start(1).await.expect("cluster");
    // Calls wait for the reconnect (Java's ON mode) instead of failing at once as Offline.
    let client = Client::connect(
        config_for(&cluster, "dev")
            .offline_wait(Duration::from_secs(10))
            .build()
            .expect("config"),
    )
    .await
    .expect("connect");
    let m = client.map::<String, String>("drop");
    m.set(&s("k"), &s("v")).await.expect("set");
    let faults = cluster.faults(0).expect("faults");

    faults.stall();
    let get = tokio::spawn({
        let m = m.clone();
        async move { m.get(&s("k")).await }
    });
    let set = tokio::spawn({
        let m = m.clone();
        async move { m.set(&s("k"), &s("w")).await }
    });
    assert!(eventually(Duration::from_secs(2), || client.pending_invocations() >= 2).await);
    // Requests execute while responses are stalled: wait until the set was written and ran.
    let engine = cluster.engine();
    let key = "k".to_data().expect("key");
    let want = "w".to_data().expect("value");
    assert!(
        eventually(Duration::from_secs(2), || {
            engine.get("drop", &key).ok().and_then(|o| o.value) == Some(want.clone())
        })
        .await
    );
    cluster.drop_connections(0);
    // Release only once the client saw the connection go (the get is being retried), so
    // no held response can slip out on the old connection.
    assert!(eventually(Duration::from_secs(3), || client.stats().retries >= 1).await);
    faults.release();
    let got = get.await.expect("task").expect("get is retried");
    assert!(got.is_some());
    let err = set.await.expect("task").expect_err("set is not redone");
    assert!(
        matches!(err, ClientError::TargetDisconnected { .. }),
        "{err:?}"
    );
    assert!(client.stats().retries >= 1);
    assert!(eventually(Duration::from_secs(3), || client.is_connected()).await);
    m.set(&s("k"), &s("after"))
        .await
        .expect("works after reconnect");

    // With redo_operation, the write is re-sent.
    let redo = Client::connect(
        config_for(&cluster, "dev")
            .redo_operation(true)
            .offline_wait(Duration::from_secs(10))
            .build()
            .expect("config"),
    )
    .await
    .expect("connect");
    let m2 = redo.map::<String, String>("drop");
    faults.stall();
    let set = tokio::spawn({
        let m2 = m2.clone();
        async move { m2.set(&s("k"), &s("redo")).await }
    });
    let want = "redo".to_data().expect("value");
    assert!(
        eventually(Duration::from_secs(2), || {
            engine.get("drop", &key).ok().and_then(|o| o.value) == Some(want.clone())
        })
        .await
    );
    cluster.drop_connections(0);
    assert!(eventually(Duration::from_secs(3), || redo.stats().retries >= 1).await);
    faults.release();
    set.await.expect("task").expect("redone");
    assert_eq!(m2.get(&s("k")).await.expect("get"), Some(s("redo")));
}

/// The member crashes right after executing a write, before answering.
///
/// Test member only: a crash at one point of one request type.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn member_crash_after_execute_keeps_the_write() {
    let cluster = TestCluster::start(2).await.expect("cluster");
    let client = Client::connect(
        config_for(&cluster, "dev")
            .redo_operation(true)
            .offline_wait(Duration::from_secs(10))
            .build()
            .expect("config"),
    )
    .await
    .expect("connect");
    assert!(eventually(Duration::from_secs(5), || client.connection_count() == 2).await);
    let m = client.map::<String, String>("crash-exec");
    let engine = cluster.engine();
    let key = "k".to_data().expect("key");
    let owner = engine
        .partition_table()
        .owner(engine.partition_of(&key))
        .expect("owner");
    let slot = (0..2)
        .find(|&i| cluster.member_uuid(i) == Some(owner))
        .expect("slot");
    cluster
        .faults(slot)
        .expect("faults")
        .crash_on_request(MapSetRequest::MESSAGE_TYPE, CrashPoint::AfterExecute);
    m.set(&s("k"), &s("v"))
        .await
        .expect("redo after the crash succeeds");
    assert!(!cluster.is_alive(slot));
    assert_eq!(m.get(&s("k")).await.expect("get"), Some(s("v")));
    assert!(client.stats().retries >= 1);
}

/// Test member only: per-response delays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_responses_time_out_cleanly() {
    let cluster = TestCluster::start(1).await.expect("cluster");
    let client = Client::connect(
        config_for(&cluster, "dev")
            .invocation_timeout(Duration::from_millis(500))
            // No statistics report: one delayed like the get would stay pending.
            .statistics_period(None)
            .build()
            .expect("config"),
    )
    .await
    .expect("connect");
    let m = client.map::<String, String>("slow");
    cluster
        .faults(0)
        .expect("faults")
        .set_response_delay(Some(Duration::from_secs(2)));
    let t = Instant::now();
    let err = m.get(&s("k")).await.expect_err("times out");
    let took = t.elapsed();
    assert!(matches!(err, ClientError::Timeout { .. }), "{err:?}");
    assert!(
        took >= Duration::from_millis(450) && took < Duration::from_millis(1500),
        "{took:?}"
    );
    assert_eq!(
        client.pending_invocations(),
        0,
        "timed-out call is forgotten"
    );
    cluster.faults(0).expect("faults").set_response_delay(None);
    // The late response is ignored and the client keeps working.
    m.set(&s("k"), &s("v")).await.expect("set");
}

/// Test member only: a member that refuses connections while it runs (the whole-cluster-down
/// case, which real members produce, is in `failover_at_startup_*`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusing_member() {
    let cluster = TestCluster::start(2).await.expect("cluster");
    cluster
        .faults(0)
        .expect("faults")
        .set_refuse_connections(true);
    // The other member is used.
    let client = Client::connect(config_for(&cluster, "dev").build().expect("config"))
        .await
        .expect("connect through the second member");
    client
        .map::<String, String>("r")
        .set(&s("k"), &s("v"))
        .await
        .expect("set");
    client.shutdown().await;
    // When every member refuses, connecting fails after the cluster connect timeout.
    cluster
        .faults(1)
        .expect("faults")
        .set_refuse_connections(true);
    let t = Instant::now();
    let err = Client::connect(
        config_for(&cluster, "dev")
            .reconnect(fast_reconnect(Some(Duration::from_millis(800))))
            .build()
            .expect("config"),
    )
    .await
    .expect_err("no member accepts");
    assert!(matches!(err, ClientError::ClusterUnreachable(_)), "{err:?}");
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
}

/// A call waiting on a member that does not answer (stalled test member, SIGSTOPped real
/// one) fails with `ClientShutdown` when the client shuts down.
async fn shutdown_fails_pending_calls(backend: Backend) {
    let cluster = backend.start(1, "sd").await;
    // No statistics report: it would count as a pending call.
    let client = Client::connect(
        cluster
            .config()
            .statistics_period(None)
            .build()
            .expect("config"),
    )
    .await
    .expect("connect");
    let m = client.map::<String, String>("sd");
    m.set(&s("k"), &s("v")).await.expect("set");
    cluster.silence_member(0).await;
    let get = tokio::spawn({
        let m = m.clone();
        async move { m.get(&s("k")).await }
    });
    assert!(eventually(Duration::from_secs(2), || client.pending_invocations() == 1).await);
    client.shutdown().await;
    let err = get.await.expect("task").expect_err("fails");
    assert!(matches!(err, ClientError::ClientShutdown), "{err:?}");
    assert!(matches!(
        m.get(&s("k")).await,
        Err(ClientError::ClientShutdown)
    ));
    cluster.resume_member(0).await;
}

on_both_backends!(
    shutdown_fails_pending_calls => shutdown_fails_pending_calls_test_member,
    shutdown_fails_pending_calls_real_member
);

/// A restarted cluster (new cluster id): state cleared, schemas re-sent, listener
/// re-registered. (A real cluster takes seconds to come back: the client keeps trying for
/// up to 60 s.)
async fn cluster_restart_resends_schemas_and_listeners(backend: Backend) {
    let cluster = backend.start(2, "restart").await;
    let client = Client::connect(
        cluster
            .config()
            .reconnect(fast_reconnect(Some(Duration::from_secs(60))))
            .build()
            .expect("config"),
    )
    .await
    .expect("connect");
    let m = client.map::<String, AsCompact<GenericRecord>>("restart");
    let rec = GenericRecord::builder("R")
        .field("n", FieldValue::Int32(7))
        .build()
        .expect("record");
    m.set(&s("a"), &AsCompact(rec.clone())).await.expect("set");
    let mut events = m
        .entry_events(EntryListenerOptions::default())
        .await
        .expect("listen");
    let old_id = cluster.test_cluster().map(TestCluster::cluster_id);
    cluster.restart_cluster().await;
    if let Some(old_id) = old_id {
        assert_ne!(
            cluster.test_cluster().map(TestCluster::cluster_id),
            Some(old_id)
        );
    }
    assert!(eventually(Duration::from_secs(60), || client.stats().reconnects >= 1).await);
    // The schema is on the new cluster although the client sends no SendSchema now.
    m.set(&s("b"), &AsCompact(rec.clone()))
        .await
        .expect("set after restart");
    let other = Client::connect(cluster.config().build().expect("config"))
        .await
        .expect("connect");
    let got = other
        .map::<String, AsCompact<GenericRecord>>("restart")
        .get(&s("b"))
        .await
        .expect("get")
        .expect("value");
    assert_eq!(got.0, rec);
    // The listener works on the new cluster. Its re-registration runs in the background,
    // so a write right after the reconnect may come before it (a real cluster makes that
    // window visible): fresh keys are written until one is reported.
    listener_reports_new_writes(&client, &m, &mut events, &rec).await;
}

/// Writes fresh `probe-N` keys until `events` reports one as added (30 s at most): a
/// listener re-registered after a reconnect or failover misses writes made before its
/// registration completed.
async fn listener_reports_new_writes(
    client: &Client,
    m: &hazelcast_client::Map<String, AsCompact<GenericRecord>>,
    events: &mut hazelcast_client::EntryStream,
    rec: &GenericRecord,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    for probe in 0.. {
        assert!(
            Instant::now() < deadline,
            "no event from the re-registered listener in 30 s"
        );
        m.set(&format!("probe-{probe}"), &AsCompact(rec.clone()))
            .await
            .expect("probe");
        while let Ok(e) =
            tokio::time::timeout(Duration::from_millis(500), events.next_event()).await
        {
            let e = e.expect("open");
            let key: String = client
                .decode(e.key.as_ref().expect("key"))
                .await
                .expect("key");
            if key.starts_with("probe-") {
                assert_eq!(e.event_type, event_type::ADDED);
                return;
            }
        }
    }
}

on_both_backends!(
    cluster_restart_resends_schemas_and_listeners => cluster_restart_test_member,
    cluster_restart_real_member
);

/// Whole cluster down with a failover list of two: the client moves to the second, with
/// listeners and schemas; when the first is back and the second goes, it moves back.
///
/// An open-source member answers `failover_supported = false` (the Java failover client
/// refuses to start, facts 8.2); ours accepts it, so this runs between two real clusters.
async fn failover_between_two_clusters_and_back(backend: Backend) {
    // Cluster names unique in the test binary: the real-member launcher keeps each
    // cluster's files under `<name>-<pid>`.
    let a = backend.start(2, "fo-primary").await;
    let b = backend.start(1, "fo-dr").await;
    let b_cfg = ClusterConfig::new("fo-dr", b.addresses().iter().map(ToString::to_string));
    let client = Client::connect(
        a.config()
            .reconnect(fast_reconnect(Some(Duration::from_millis(600))))
            // Calls wait for the failover instead of failing at once as Offline.
            .offline_wait(Duration::from_secs(10))
            .failover(3, [b_cfg])
            .build()
            .expect("config"),
    )
    .await
    .expect("connect");
    assert_eq!(client.cluster_name(), "fo-primary");
    let m = client.map::<String, AsCompact<GenericRecord>>("fo");
    let rec = GenericRecord::builder("F")
        .field("x", FieldValue::Int64(1))
        .build()
        .expect("record");
    m.set(&s("on-a"), &AsCompact(rec.clone()))
        .await
        .expect("set on a");
    let mut events = m
        .entry_events(EntryListenerOptions::default())
        .await
        .expect("listen");

    let t = Instant::now();
    a.shutdown().await;
    // Retryable calls made during the switch wait and then run on the second cluster.
    assert!(
        m.get(&s("on-a"))
            .await
            .expect("get during the switch")
            .is_none()
    );
    let switch = t.elapsed();
    m.set(&s("on-b"), &AsCompact(rec.clone()))
        .await
        .expect("set lands on b");
    assert_eq!(client.cluster_name(), "fo-dr");
    // Counted once the connection is set up; calls may run on it before that.
    assert!(eventually(Duration::from_secs(10), || client.stats().failovers == 1).await);
    println!("failover to the second cluster took {switch:?}");
    // Data is not shared: the first cluster's entry is not on the second.
    assert!(m.get(&s("on-a")).await.expect("get").is_none());
    // Schema replicated to b: another client reads the record there.
    let reader = Client::connect(b.config().build().expect("config"))
        .await
        .expect("connect b");
    let got = reader
        .map::<String, AsCompact<GenericRecord>>("fo")
        .get(&s("on-b"))
        .await
        .expect("get")
        .expect("value");
    assert_eq!(got.0, rec);
    // The listener was re-registered on b (in the background: probe with fresh keys).
    listener_reports_new_writes(&client, &m, &mut events, &rec).await;
    reader.shutdown().await;

    // Back to the first cluster.
    a.restart_cluster().await;
    let t = Instant::now();
    b.shutdown().await;
    assert!(
        m.get(&s("on-b"))
            .await
            .expect("get during the switch")
            .is_none()
    );
    let back = t.elapsed();
    m.set(&s("back-on-a"), &AsCompact(rec.clone()))
        .await
        .expect("set lands on a");
    println!("failover back to the first cluster took {back:?}");
    assert_eq!(client.cluster_name(), "fo-primary");
    assert!(eventually(Duration::from_secs(10), || client.stats().failovers == 2).await);
    let reader = Client::connect(a.config().build().expect("config"))
        .await
        .expect("connect a");
    let got = reader
        .map::<String, AsCompact<GenericRecord>>("fo")
        .get(&s("back-on-a"))
        .await
        .expect("get")
        .expect("the write landed on the first cluster");
    assert_eq!(got.0, rec);
}

on_both_backends!(
    failover_between_two_clusters_and_back => failover_and_back_test_member,
    failover_and_back_real_member
);

/// Thousands of in-flight invocations from many tasks, each checking its own answers.
async fn thousands_of_concurrent_invocations_keep_correlation(backend: Backend) {
    let cluster = backend.shared(2).await;
    // No statistics report: it would count as a pending call at the end.
    let client = Client::connect(
        cluster
            .config()
            .statistics_period(None)
            .build()
            .expect("config"),
    )
    .await
    .expect("connect");
    let m = client.map::<String, String>("conc");
    let peak = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let monitor = tokio::spawn({
        let client = client.clone();
        let peak = Arc::clone(&peak);
        async move {
            loop {
                peak.fetch_max(client.pending_invocations(), Ordering::Relaxed);
                tokio::task::yield_now().await;
            }
        }
    });
    // Every call waits at one gate, so that the member's speed (a warm JVM answers within
    // a fraction of a millisecond) cannot drain them as fast as they are spawned.
    let gate = Arc::new(tokio::sync::Barrier::new(64 * 40 + 1));
    let mut tasks = Vec::new();
    for t in 0..64 {
        let m = m.clone();
        let gate = Arc::clone(&gate);
        tasks.push(tokio::spawn(async move {
            let mut inner = Vec::new();
            for i in 0..40 {
                let m = m.clone();
                let gate = Arc::clone(&gate);
                inner.push(tokio::spawn(async move {
                    let k = format!("t{t}-i{i}");
                    let v = format!("v-{t}-{i}");
                    gate.wait().await;
                    m.set(&k, &v).await.expect("set");
                    assert_eq!(m.get(&k).await.expect("get"), Some(v));
                }));
            }
            for h in inner {
                h.await.expect("inner");
            }
        }));
    }
    gate.wait().await;
    for t in tasks {
        t.await.expect("task");
    }
    monitor.abort();
    assert_eq!(m.size().await.expect("size"), 64 * 40);
    assert_eq!(client.pending_invocations(), 0);
    let peak = peak.load(Ordering::Relaxed);
    println!("peak in-flight invocations ({backend:?}): {peak}");
    assert!(peak >= 500, "calls were in flight together: {peak}");
}

on_both_backends!(
    thousands_of_concurrent_invocations_keep_correlation => thousands_in_flight_test_member,
    thousands_in_flight_real_member
);

/// Writes on a smart client wait for backup acks; they arrive, so no write waits for the
/// backup-ack timeout.
async fn backup_acks_arrive_and_complete_writes(backend: Backend) {
    let cluster = backend.shared(2).await;
    let client = Client::connect(
        cluster
            .config()
            .backup_ack_timeout(Duration::from_secs(10))
            .build()
            .expect("config"),
    )
    .await
    .expect("connect");
    let m = client.map::<String, String>("acks");
    // A write that waited for the timeout takes 10 s or more; a slow machine does not.
    let mut slowest = Duration::ZERO;
    for i in 0..50 {
        let t = Instant::now();
        m.set(&format!("k{i}"), &s("v")).await.expect("set");
        slowest = slowest.max(t.elapsed());
    }
    assert!(
        slowest < Duration::from_secs(9),
        "a write waited for the backup-ack timeout: {slowest:?}"
    );
    // Each entry is on its owner and one backup (visible on the test member only).
    if let Some(cluster) = cluster.test_cluster() {
        let engine = cluster.engine();
        assert_eq!(
            engine.replica_count("acks", &"k1".to_data().expect("key")),
            2
        );
    }
}

on_both_backends!(
    backup_acks_arrive_and_complete_writes => backup_acks_test_member,
    backup_acks_real_member
);

/// Pings keep an idle connection alive on a member that drops silent clients; a member
/// that stops answering is detected by the heartbeat timeout.
///
/// Test member only: a member that drops clients silent for 400 ms (a real one waits
/// 300 s). The silent-member half runs on both in `silent_member_is_left_*`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats() {
    let cluster = TestCluster::builder()
        .client_timeout(Duration::from_millis(400))
        .start()
        .await
        .expect("cluster");
    let client = Client::connect(
        config_for(&cluster, "dev")
            .heartbeat(Duration::from_millis(100), Duration::from_millis(600))
            .build()
            .expect("config"),
    )
    .await
    .expect("connect");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(client.stats().reconnects, 0, "pings kept the connection");
    assert!(client.is_connected());
    // Responses (ping answers included) held back: the client gives up on the connection.
    // (The new connection's setup calls wait for the release too; without the heartbeat
    // timeout the old connection would never have been closed and no reconnect counted.)
    cluster.faults(0).expect("faults").stall();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    cluster.faults(0).expect("faults").release();
    assert!(eventually(Duration::from_secs(5), || client.stats().reconnects >= 1).await);
    client
        .map::<String, String>("hb")
        .set(&s("k"), &s("v"))
        .await
        .expect("works after the reconnect");
}

/// A member that stops answering with its connection open (stalled test member, SIGSTOP of
/// a real one) is given up by the client's heartbeat timeout; once it answers again the
/// client reconnects and works.
async fn silent_member_is_left_after_the_heartbeat_timeout(backend: Backend) {
    let cluster = backend.start(1, "hb").await;
    let client = Client::connect(
        cluster
            .config()
            .heartbeat(Duration::from_millis(100), Duration::from_millis(600))
            .reconnect(fast_reconnect(Some(Duration::from_secs(30))))
            .build()
            .expect("config"),
    )
    .await
    .expect("connect");
    let m = client.map::<String, String>("hb");
    m.set(&s("k"), &s("v")).await.expect("set");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(client.stats().reconnects, 0, "pings answered: no reconnect");
    cluster.silence_member(0).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    cluster.resume_member(0).await;
    assert!(eventually(Duration::from_secs(15), || client.stats().reconnects >= 1).await);
    m.set(&s("k"), &s("after"))
        .await
        .expect("works after the reconnect");
    assert_eq!(m.get(&s("k")).await.expect("get"), Some(s("after")));
}

on_both_backends!(
    silent_member_is_left_after_the_heartbeat_timeout => silent_member_is_left_test_member,
    silent_member_is_left_real_member
);

/// Backup acks that never come: the write completes normally after the backup-ack timeout
/// (Java's default, no indeterminate-state error).
///
/// Test member only: withheld backup acks (the real-member counterpart, a backup holder
/// killed under load, is in `crash_under_load_real_member`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_backup_acks_complete_after_the_timeout() {
    let cluster = TestCluster::start(2).await.expect("cluster");
    let client = Client::connect(
        config_for(&cluster, "dev")
            .backup_ack_timeout(Duration::from_millis(1000))
            .build()
            .expect("config"),
    )
    .await
    .expect("connect");
    for i in 0..2 {
        cluster
            .faults(i)
            .expect("faults")
            .set_withhold_backup_acks(true);
    }
    let m = client.map::<String, String>("no-acks");
    let t = Instant::now();
    m.set(&s("k"), &s("v")).await.expect("completes normally");
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(950) && took < Duration::from_millis(3000),
        "{took:?}"
    );
    // Reads need no backups.
    let t = Instant::now();
    assert_eq!(m.get(&s("k")).await.expect("get"), Some(s("v")));
    assert!(
        t.elapsed() < Duration::from_millis(800),
        "{:?}",
        t.elapsed()
    );
}

/// A member that does not allow the client: typed error, not retried.
///
/// Test member only: an open-source member allows every client of its cluster name (a
/// wrong cluster name is in `map_ops.rs`, on both backends).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn member_denying_the_client_is_a_typed_error() {
    let cluster = TestCluster::start(1).await.expect("cluster");
    cluster.faults(0).expect("faults").set_deny_clients(true);
    let t = Instant::now();
    let err = Client::connect(config_for(&cluster, "dev").build().expect("config"))
        .await
        .expect_err("denied");
    assert!(
        matches!(
            err,
            ClientError::Authentication {
                reason: hazelcast_client::AuthFailure::NotAllowedInCluster,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(t.elapsed() < Duration::from_secs(1));
}

/// The primary cluster is down at start: the client starts on the alternative.
async fn failover_at_startup(backend: Backend) {
    let a = backend.start(1, "start-primary").await;
    let b = backend.start(1, "start-dr").await;
    let a_config = a.config();
    a.shutdown().await;
    let t = Instant::now();
    let client = Client::connect(
        a_config
            .reconnect(fast_reconnect(Some(Duration::from_millis(300))))
            .failover(
                2,
                [ClusterConfig::new(
                    "start-dr",
                    b.addresses().iter().map(ToString::to_string),
                )],
            )
            .build()
            .expect("config"),
    )
    .await
    .expect("starts on the alternative");
    assert_eq!(client.cluster_name(), "start-dr");
    assert_eq!(client.stats().failovers, 1);
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    client
        .map::<String, String>("m")
        .set(&s("k"), &s("v"))
        .await
        .expect("set");
    // With every cluster down, the try count ends the attempts.
    let b_config = b.config();
    b.shutdown().await;
    let err = Client::connect(
        b_config
            .reconnect(fast_reconnect(Some(Duration::from_millis(100))))
            .failover(2, [ClusterConfig::new("start-primary", ["127.0.0.1:9"])])
            .build()
            .expect("config"),
    )
    .await
    .expect_err("nothing answers");
    assert!(matches!(err, ClientError::ClusterUnreachable(_)), "{err:?}");
}

on_both_backends!(
    failover_at_startup => failover_at_startup_test_member,
    failover_at_startup_real_member
);

/// After losing every connection the client accepts a cluster with another partition
/// count (a failover cluster, or a cluster re-created with another configuration): keys
/// route by the new count from the first call there, and by the old one again on the way
/// back.
///
/// The official Java client fixes the partition count for its lifetime
/// (`ClientPartitionService.checkAndSetPartitionCount`): such a cluster is refused with
/// `ClientNotAllowedInClusterException` (the failover client tries the next cluster, the
/// others shut down), and only the partition table is reset on a cluster change. This
/// client serves from the cluster it found instead: the old cluster's data is not there
/// either way, and a session store that refuses every cluster is worse than one that
/// starts afresh. A member of the *live* cluster announcing another count is still
/// refused (see `cluster_state.rs`).
async fn a_new_cluster_with_another_partition_count_is_accepted(backend: Backend) {
    let a = backend.start(1, "pc-primary").await;
    let b = backend.start_with_partitions(2, "pc-dr", 13).await;
    let b_cfg = ClusterConfig::new("pc-dr", b.addresses().iter().map(ToString::to_string));
    let client = Client::connect(
        a.config()
            .reconnect(fast_reconnect(Some(Duration::from_millis(600))))
            .offline_wait(Duration::from_secs(10))
            .failover(3, [b_cfg])
            .build()
            .expect("config"),
    )
    .await
    .expect("connect");
    let m = client.map::<String, String>("pc");
    let keys: Vec<String> = (0..60).map(|i| format!("key-{i}")).collect();
    for k in &keys {
        m.set(k, &s("a")).await.expect("set on the first cluster");
    }

    a.shutdown().await;
    // A write in flight at the switch may fail (its outcome is unknown): write once the
    // client is on the second cluster.
    assert!(
        eventually(Duration::from_secs(20), || client.cluster_name() == "pc-dr"
            && client.is_connected())
        .await,
        "failed over"
    );
    // Every key routes by 13 partitions on the second cluster: a call routed by 271 would
    // name a partition the cluster does not have.
    for k in &keys {
        m.set(k, &s("b"))
            .await
            .expect("set on the 13-partition cluster");
    }
    assert_eq!(client.cluster_name(), "pc-dr");
    assert_eq!(client.stats().failovers, 1);
    // Another client that only ever knew the second cluster finds each entry where its
    // partition is.
    let reader = Client::connect(b.config().build().expect("config"))
        .await
        .expect("connect b");
    let rm = reader.map::<String, String>("pc");
    for k in &keys {
        assert_eq!(rm.get(k).await.expect("get").as_deref(), Some("b"), "{k}");
    }
    assert_eq!(rm.size().await.expect("size"), keys.len());
    reader.shutdown().await;

    // Back to the first cluster (271 partitions again).
    a.restart_cluster().await;
    b.shutdown().await;
    assert!(
        eventually(Duration::from_secs(20), || client.cluster_name()
            == "pc-primary"
            && client.is_connected())
        .await,
        "failed back"
    );
    for k in &keys {
        m.set(k, &s("a2"))
            .await
            .expect("set on the first cluster again");
    }
    assert_eq!(client.cluster_name(), "pc-primary");
    let reader = Client::connect(a.config().build().expect("config"))
        .await
        .expect("connect a");
    let rm = reader.map::<String, String>("pc");
    for k in &keys {
        assert_eq!(rm.get(k).await.expect("get").as_deref(), Some("a2"), "{k}");
    }
    reader.shutdown().await;
    client.shutdown().await;
}

on_both_backends!(
    a_new_cluster_with_another_partition_count_is_accepted => partition_count_change_test_member,
    partition_count_change_real_member
);
