//! Fail fast, never give up: the client while it has no connection (test members, which
//! can refuse or deny clients on demand).

use std::time::{Duration, Instant};

use hazelcast_client::{Client, ClientConfig, ClientError, ClusterConfig, ReconnectPolicy};
use hazelcast_protocol::codec::map::MapSetRequest;
use hazelcast_test_member::server::TestCluster;

fn s(v: &str) -> String {
    v.to_owned()
}

fn policy(cluster_connect_timeout: Option<Duration>) -> ReconnectPolicy {
    ReconnectPolicy {
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        multiplier: 1.5,
        jitter: 0.2,
        cluster_connect_timeout,
    }
}

fn config(cluster: &TestCluster, name: &str) -> hazelcast_client::ClientConfigBuilder {
    ClientConfig::builder()
        .cluster_name(name)
        .addresses(cluster.addresses().iter().map(ToString::to_string))
        .connect_timeout(Duration::from_secs(2))
        .invocation_timeout(Duration::from_secs(60))
        .reconnect(policy(None))
}

async fn eventually(limit: Duration, mut f: impl AsyncFnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if f().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    f().await
}

/// With no member reachable, calls fail at once with `Offline` (not after the 60 s
/// invocation timeout), and the client comes back by itself when the member does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_calls_fail_at_once_and_the_client_comes_back() {
    let cluster = TestCluster::start(1).await.expect("cluster");
    let client = Client::connect(config(&cluster, "dev").build().expect("config"))
        .await
        .expect("connect");
    let m = client.map::<String, String>("offline");
    m.set(&s("k"), &s("v")).await.expect("set");
    cluster.stop_member(0);
    assert!(
        eventually(Duration::from_secs(5), async || !client.is_connected()).await,
        "the client notices the member is gone"
    );
    let t = Instant::now();
    let err = m.get(&s("k")).await.expect_err("offline");
    assert!(matches!(err, ClientError::Offline), "{err:?}");
    assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
    assert!(client.stats().offline_failures >= 1);
    // Longer than any try count or cluster connect timeout: still trying.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(matches!(m.get(&s("k")).await, Err(ClientError::Offline)));
    cluster.restart_member(0).await.expect("restart");
    assert!(
        eventually(Duration::from_secs(10), async || m
            .set(&s("k"), &s("v2"))
            .await
            .is_ok())
        .await,
        "the client reconnected by itself"
    );
    assert!(client.stats().reconnects >= 1);
}

/// A member that refuses the client during a reconnect (denied authentication, as a
/// client filter or a partition-count mismatch reports) is retried with backoff: the
/// client never shuts down and connects once the member accepts it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_authentication_during_reconnect_is_retried() {
    let cluster = TestCluster::start(1).await.expect("cluster");
    let client = Client::connect(config(&cluster, "dev").build().expect("config"))
        .await
        .expect("connect");
    let m = client.map::<String, String>("denied");
    m.set(&s("k"), &s("v")).await.expect("set");
    let faults = cluster.faults(0).expect("faults");
    faults.set_deny_clients(true);
    cluster.drop_connections(0);
    assert!(eventually(Duration::from_secs(5), async || !client.is_connected()).await);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let err = m.get(&s("k")).await.expect_err("denied meanwhile");
    assert!(
        matches!(err, ClientError::Offline),
        "not shut down: {err:?}"
    );
    faults.set_deny_clients(false);
    assert!(
        eventually(Duration::from_secs(10), async || m
            .get(&s("k"))
            .await
            .is_ok())
        .await,
        "reconnected once the member accepts the client again"
    );
}

/// An asynchronous start returns at once although no member is up; calls fail with
/// `Offline` until the member comes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asynchronous_start_connects_in_the_background() {
    let cluster = TestCluster::start(1).await.expect("cluster");
    let cfg = config(&cluster, "dev")
        .async_start(true)
        .build()
        .expect("config");
    cluster.stop_member(0);
    let t = Instant::now();
    let client = Client::connect(cfg)
        .await
        .expect("starts without a cluster");
    assert!(t.elapsed() < Duration::from_secs(1));
    let m = client.map::<String, String>("async");
    assert!(matches!(m.get(&s("k")).await, Err(ClientError::Offline)));
    cluster.restart_member(0).await.expect("restart");
    assert!(
        eventually(Duration::from_secs(10), async || m
            .set(&s("k"), &s("v"))
            .await
            .is_ok())
        .await
    );
}

/// Both clusters of a failover list down for several rounds of the try count: the client
/// keeps going round (it used to shut down for good) and connects when one comes back.
/// Every member refusing connections moves on to the next cluster after about half a
/// second, not after the cluster connect timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_never_gives_up_and_moves_on_refusal_quickly() {
    let a = TestCluster::start(1).await.expect("cluster a");
    let b = TestCluster::builder()
        .cluster_name("dr")
        .start()
        .await
        .expect("cluster b");
    let client = Client::connect(
        config(&a, "dev")
            .reconnect(policy(Some(Duration::from_secs(30))))
            .failover(
                1,
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
    assert_eq!(client.cluster_name(), "dev");
    let m = client.map::<String, String>("fo");
    // Refusals on A (nothing listens any more): on to B well before A's 30 s cluster
    // connect timeout.
    let t = Instant::now();
    a.stop_member(0);
    assert!(
        eventually(Duration::from_secs(10), async || client.cluster_name()
            == "dr"
            && m.set(&s("k"), &s("v")).await.is_ok())
        .await
    );
    let gap = t.elapsed();
    println!("failover gap on refusal (test members): {gap:?}");
    assert!(gap < Duration::from_secs(5), "{gap:?}");
    // Now both down (refusing) for several try-count rounds.
    b.stop_member(0);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(matches!(m.get(&s("k")).await, Err(ClientError::Offline)));
    a.restart_member(0).await.expect("restart a");
    assert!(
        eventually(Duration::from_secs(10), async || m
            .set(&s("k"), &s("again"))
            .await
            .is_ok())
        .await,
        "connected again after every cluster was down for several rounds"
    );
    assert_eq!(client.cluster_name(), "dev");
}

/// Writes waiting for backup acks when a member crashes end at once, not after the
/// backup-ack timeout: those answered by the surviving member (their owner, which holds
/// them) complete; those answered by the crashed member fail as of unknown outcome
/// (`TargetDisconnected`), since that owner may have died before sending the backups.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_waiting_for_backup_acks_end_at_once_when_a_member_crashes() {
    let cluster = TestCluster::start(2).await.expect("cluster");
    let client = Client::connect(
        config(&cluster, "dev")
            .backup_ack_timeout(Duration::from_secs(20))
            .build()
            .expect("config"),
    )
    .await
    .expect("connect");
    let m = client.map::<String, String>("acks");
    for i in 0..2 {
        cluster
            .faults(i)
            .expect("faults")
            .set_withhold_backup_acks(true);
        cluster.clear_requests(i);
    }
    let writes: Vec<_> = (0..16)
        .map(|i| {
            let m = m.clone();
            tokio::spawn(async move {
                let t = Instant::now();
                let r = m.set(&format!("k{i}"), &s("v")).await;
                (r, t.elapsed())
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        writes.iter().all(|w| !w.is_finished()),
        "the writes wait for their backup acks"
    );
    let sets = |i| {
        cluster
            .requests(i)
            .iter()
            .filter(|r| r.message_type == MapSetRequest::MESSAGE_TYPE)
            .count()
    };
    let (on_survivor, on_crashed) = (sets(0), sets(1));
    assert_eq!(on_survivor + on_crashed, 16);
    assert!(
        on_survivor > 0 && on_crashed > 0,
        "{on_survivor}/{on_crashed}"
    );
    cluster.crash_member(1);
    let (mut completed, mut unknown) = (0, 0);
    for w in writes {
        let (r, took) = tokio::time::timeout(Duration::from_secs(10), w)
            .await
            .expect("no hang")
            .expect("task");
        assert!(took < Duration::from_secs(5), "{took:?}");
        match r {
            Ok(()) => completed += 1,
            Err(ClientError::TargetDisconnected { .. }) => unknown += 1,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!(
        (completed, unknown),
        (on_survivor, on_crashed),
        "completed: answered by the survivor; unknown: answered by the crashed member"
    );
    let stats = client.stats();
    assert_eq!(stats.released_backup_waits, on_survivor as u64);
    assert_eq!(stats.unconfirmed_writes, on_crashed as u64);
}
