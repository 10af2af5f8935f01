//! Fail fast, recover fast, lose nothing: the session store under faults the test member
//! produces on demand (a crash between applying a write and answering it, a delayed
//! answer that opens a race window, a restarted cluster).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use hazelcast_protocol::codec::map::{MapPutIfAbsentRequest, MapReplaceIfSameRequest};
use hazelcast_protocol::data::{Data, type_id};
use hazelcast_test_member::fault::CrashPoint;
use hazelcast_test_member::server::TestCluster;
use session_core::{RepositoryError, SessionEvent, SessionRepository};

fn invocations(repo: &session_hazelcast::HazelcastSessionRepository) -> u64 {
    repo.client().stats().invocations
}

/// A compare-and-set applied by its owner, which then dies before answering
/// (`TargetDisconnected`): the store reads its own write back instead of failing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_save_interrupted_by_a_member_leaving_is_read_back() {
    let cluster = TestCluster::start(3).await.expect("cluster");
    let repo = common::builder(&cluster, "interrupted")
        .build()
        .await
        .expect("repository");
    let s = repo.create().await.unwrap();
    s.insert("a", &1).unwrap();
    repo.save(&s).await.unwrap();
    let loaded = repo.find_by_id(&s.id()).await.unwrap().expect("stored");
    loaded.insert("b", &2).unwrap();
    for i in 0..3 {
        cluster.faults(i).expect("faults").crash_on_request(
            MapReplaceIfSameRequest::MESSAGE_TYPE,
            CrashPoint::AfterExecute,
        );
    }
    repo.save(&loaded)
        .await
        .expect("the interrupted save is read back, not an error");
    let again = repo.find_by_id(&s.id()).await.unwrap().expect("stored");
    assert_eq!(again.get::<i32>("a").unwrap(), Some(1));
    assert_eq!(again.get::<i32>("b").unwrap(), Some(2));

    // The same for a new session's putIfAbsent.
    let alive: Vec<usize> = (0..3).filter(|i| cluster.is_alive(*i)).collect();
    for i in &alive {
        cluster.faults(*i).expect("faults").crash_on_request(
            MapPutIfAbsentRequest::MESSAGE_TYPE,
            CrashPoint::AfterExecute,
        );
    }
    let fresh = repo.create().await.unwrap();
    fresh.insert("c", &3).unwrap();
    repo.save(&fresh).await.expect("new session read back");
    let stored = repo.find_by_id(&fresh.id()).await.unwrap().expect("stored");
    assert_eq!(stored.get::<i32>("c").unwrap(), Some(3));
}

/// Records that are not sessions (another writer's type, garbage, an HSS 3.x-style
/// Java-serialized value) read as "no session" and are removed; never an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_records_read_as_no_session_and_are_removed() {
    let cluster = TestCluster::start(1).await.expect("cluster");
    let repo = common::builder(&cluster, "bad-records")
        .build()
        .await
        .expect("repository");
    let raw = repo.client().map::<String, Data>("bad-records");
    let other_type = repo
        .client()
        .map::<String, hazelcast_client::AsCompact<session_hazelcast::AttributeValue>>(
            "bad-records",
        );
    let bad: Vec<(&str, Data)> = vec![
        // A Java-serialized object (HSS 3.x stored MapSession with Java serialization):
        // a non-Compact type id and an object stream header.
        (
            "java-serialized",
            Data::new(type_id::DATA_SERIALIZABLE, &[0xac, 0xed, 0, 5, 0x73, 0x72]),
        ),
        // Garbage that claims to be Compact.
        (
            "garbage",
            Data::new(type_id::COMPACT, &[1, 2, 3, 4, 5, 6, 7]),
        ),
        // Garbage of an unknown type.
        ("unknown-type", Data::new(12345, &[9; 40])),
    ];
    for (what, data) in bad {
        let id = repo.create().await.unwrap().id();
        raw.set(&id, &data).await.expect("write bad record");
        let found = repo.find_by_id(&id).await;
        assert!(matches!(found, Ok(None)), "{what}: {found:?}");
        assert!(
            raw.get(&id).await.unwrap().is_none(),
            "{what}: the bad record was removed"
        );
    }
    // Another application's Compact record of another type under a session id (a plain
    // string is refused by the member: the map's principalName index cannot read it).
    let id = repo.create().await.unwrap().id();
    other_type
        .set(
            &id,
            &hazelcast_client::AsCompact(session_hazelcast::AttributeValue {
                object_bytes: bytes::Bytes::from_static(b"not a session"),
            }),
        )
        .await
        .unwrap();
    assert!(matches!(repo.find_by_id(&id).await, Ok(None)));
    assert!(raw.get(&id).await.unwrap().is_none());

    // A save of a session whose record turned bad meanwhile drops its changes quietly.
    let s = repo.create().await.unwrap();
    repo.save(&s).await.unwrap();
    let loaded = repo.find_by_id(&s.id()).await.unwrap().expect("stored");
    loaded.insert("x", &1).unwrap();
    raw.set(&s.id(), &Data::new(type_id::COMPACT, &[0; 3]))
        .await
        .unwrap();
    repo.save(&loaded).await.expect("no error");
    assert!(repo.find_by_id(&s.id()).await.unwrap().is_none());
}

/// Login (change of id) while another request saves a change to the old id: the change is
/// carried to the new id, the old id is gone. The putIfAbsent of the new id is answered
/// late, so the other request's save lands in the middle of the change of id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_made_during_login_is_carried_to_the_new_id() {
    let cluster = TestCluster::start(1).await.expect("cluster");
    let repo = common::builder(&cluster, "login-race")
        .build()
        .await
        .expect("repository");
    let other = common::builder(&cluster, "login-race")
        .build()
        .await
        .expect("second repository");
    let mut events = repo.subscribe();
    let s = repo.create().await.unwrap();
    s.insert("basket", &vec![1]).unwrap();
    repo.save(&s).await.unwrap();
    let old = s.id();

    let login = repo.find_by_id(&old).await.unwrap().expect("stored");
    login.set_principal_name(Some("alice")).unwrap();
    let new = login.change_id().unwrap();
    cluster.faults(0).expect("faults").set_response_delay_for(
        MapPutIfAbsentRequest::MESSAGE_TYPE,
        Some(Duration::from_millis(400)),
    );
    let renaming = tokio::spawn({
        let repo = repo.clone();
        async move { repo.save(&login).await }
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let tab = other.find_by_id(&old).await.unwrap().expect("still there");
    tab.insert("basket", &vec![1, 2]).unwrap();
    tab.insert("viewed", &7).unwrap();
    other.save(&tab).await.expect("the other tab's save");
    renaming.await.unwrap().expect("login");
    cluster
        .faults(0)
        .expect("faults")
        .set_response_delay_for(MapPutIfAbsentRequest::MESSAGE_TYPE, None);

    assert!(
        repo.find_by_id(&old).await.unwrap().is_none(),
        "old id gone"
    );
    let moved = repo.find_by_id(&new).await.unwrap().expect("new id");
    assert_eq!(moved.principal_name().as_deref(), Some("alice"));
    assert_eq!(
        moved.get::<Vec<i32>>("basket").unwrap(),
        Some(vec![1, 2]),
        "the other tab's basket change survived the login"
    );
    assert_eq!(moved.get::<i32>("viewed").unwrap(), Some(7));
    // No Deleted for the old id (a change of id is not a deletion).
    tokio::time::sleep(Duration::from_millis(300)).await;
    while let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(100), events.next()).await {
        assert_ne!(e, SessionEvent::Deleted { id: old.clone() });
    }
}

/// 16 requests change 16 different attributes of one session at the same time: every
/// change survives, none fails with a conflict; the round trips are reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_parallel_requests_on_one_session_lose_nothing() {
    let cluster = TestCluster::start(3).await.expect("cluster");
    let repo = common::builder(&cluster, "parallel")
        .build()
        .await
        .expect("repository");
    let s = repo.create().await.unwrap();
    repo.save(&s).await.unwrap();
    let id = s.id();
    let before = invocations(&repo);
    let conflicts_before = repo.conflicts();
    let start = Arc::new(tokio::sync::Barrier::new(16));
    let mut tasks = Vec::new();
    for i in 0..16 {
        let repo = repo.clone();
        let id = id.clone();
        let start = Arc::clone(&start);
        tasks.push(tokio::spawn(async move {
            let session = repo.find_by_id(&id).await?.expect("stored");
            session.insert(&format!("item-{i}"), &i).expect("insert");
            start.wait().await;
            repo.save(&session).await
        }));
    }
    for t in tasks {
        t.await.unwrap().expect("no conflict error");
    }
    let round_trips = invocations(&repo) - before;
    let conflicts = repo.conflicts() - conflicts_before;
    println!(
        "16 parallel saves of one session: {round_trips} round trips ({conflicts} conflicts, {:.1} round trips per request)",
        round_trips as f64 / 16.0
    );
    let stored = repo.find_by_id(&id).await.unwrap().expect("stored");
    for i in 0..16 {
        assert_eq!(
            stored.get::<i32>(&format!("item-{i}")).unwrap(),
            Some(i),
            "item-{i} lost"
        );
    }
}

/// The entry listener is registered only while someone subscribes, and a reconnect (the
/// cluster restarted: its events in between are lost) is signalled as `Lagged`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listener_only_while_subscribed_and_gaps_are_lagged() {
    let cluster = TestCluster::start(1).await.expect("cluster");
    let repo = common::builder(&cluster, "events")
        .build()
        .await
        .expect("repository");
    assert!(!repo.is_listening(), "nobody subscribes yet");
    let mut events = repo.subscribe();
    let s = repo.create().await.unwrap();
    repo.save(&s).await.unwrap();
    assert!(repo.is_listening());
    let created = tokio::time::timeout(Duration::from_secs(5), events.next())
        .await
        .expect("event in time");
    assert_eq!(created, Some(SessionEvent::Created { id: s.id() }));

    cluster.restart_cluster().await.expect("restart");
    let lagged = tokio::time::timeout(Duration::from_secs(15), async {
        while let Some(e) = events.next().await {
            if matches!(e, SessionEvent::Lagged { .. }) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(lagged, Ok(true), "a reconnect is signalled as Lagged");

    drop(events);
    let t = Instant::now();
    while repo.is_listening() && t.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        !repo.is_listening(),
        "listener removed after the last subscriber"
    );
    // A new subscriber registers it again.
    let mut again = repo.subscribe();
    let s2 = repo.create().await.unwrap();
    repo.save(&s2).await.unwrap();
    let e = tokio::time::timeout(Duration::from_secs(5), again.next())
        .await
        .expect("event in time");
    assert_eq!(e, Some(SessionEvent::Created { id: s2.id() }));
}

/// A cluster restarted with a new id gets the session map configuration again before it
/// serves: sessions keep expiring there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_is_reapplied_on_a_restarted_cluster() {
    let cluster = TestCluster::start(1).await.expect("cluster");
    let repo = common::builder(&cluster, "reconfigured")
        .max_inactive_interval(Some(Duration::from_secs(2)))
        .build()
        .await
        .expect("repository");
    let raw = repo.client().map::<String, Data>("reconfigured");
    cluster.restart_cluster().await.expect("restart");
    let t = Instant::now();
    let s = loop {
        let s = repo.create().await.unwrap();
        match repo.save(&s).await {
            Ok(()) => break s,
            Err(_) if t.elapsed() < Duration::from_secs(15) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(e) => panic!("no reconnect: {e}"),
        }
    };
    assert!(raw.contains_key(&s.id()).await.unwrap());
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert!(
        !raw.contains_key(&s.id()).await.unwrap(),
        "the restarted cluster expires sessions by the map's max idle"
    );
}

/// With the whole cluster down, every operation answers within its deadline (a typed
/// timeout), and the store serves again once a member is back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_down_answers_within_the_deadline() {
    let cluster = TestCluster::start(1).await.expect("cluster");
    let repo = common::builder(&cluster, "down")
        .operation_deadline(Duration::from_millis(500))
        .build()
        .await
        .expect("repository");
    let s = repo.create().await.unwrap();
    repo.save(&s).await.unwrap();
    cluster.stop_member(0);
    for _ in 0..3 {
        let t = Instant::now();
        let r = repo.find_by_id(&s.id()).await;
        let took = t.elapsed();
        assert!(matches!(r, Err(RepositoryError::Timeout)), "{r:?}");
        assert!(took < Duration::from_millis(1500), "{took:?}");
        let fresh = repo.create().await.unwrap();
        let t = Instant::now();
        assert!(repo.save(&fresh).await.is_err());
        assert!(t.elapsed() < Duration::from_millis(1500));
    }
    cluster.restart_member(0).await.expect("restart");
    let t = Instant::now();
    loop {
        let fresh = repo.create().await.unwrap();
        if repo.save(&fresh).await.is_ok() {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(10), "back within 10 s");
    }
    println!("store back {:?} after the member restarted", t.elapsed());
}

/// A repository on a client that starts asynchronously builds while no member is up;
/// operations answer within their deadline meanwhile, and once the member is up the map
/// configuration is applied before the first operation is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn asynchronous_start_configures_the_map_on_first_connect() {
    let cluster = TestCluster::start(1).await.expect("cluster");
    let mut config = common::client_config(&cluster);
    config.async_start = true;
    cluster.stop_member(0);
    let repo = session_hazelcast::HazelcastSessionRepository::builder(config)
        .map_name("async-start")
        .max_inactive_interval(Some(Duration::from_secs(2)))
        .operation_deadline(Duration::from_millis(400))
        .build()
        .await
        .expect("builds without a cluster");
    let s = repo.create().await.unwrap();
    let t = Instant::now();
    assert!(matches!(repo.save(&s).await, Err(RepositoryError::Timeout)));
    assert!(t.elapsed() < Duration::from_secs(2));
    cluster.restart_member(0).await.expect("start");
    let t = Instant::now();
    while repo.save(&s).await.is_err() {
        assert!(t.elapsed() < Duration::from_secs(10), "connected in time");
    }
    let raw = repo.client().map::<String, Data>("async-start");
    assert!(raw.contains_key(&s.id()).await.unwrap());
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert!(
        !raw.contains_key(&s.id()).await.unwrap(),
        "the map's max idle was configured on first connect"
    );
}

/// Events the client's listener buffer had to drop are signalled as `Lagged` with their
/// number (a one-event buffer and a burst of writes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_events_are_signalled_as_lagged() {
    let cluster = TestCluster::start(1).await.expect("cluster");
    let mut config = common::client_config(&cluster);
    config.listener_buffer = 1;
    let repo = session_hazelcast::HazelcastSessionRepository::builder(config)
        .map_name("burst")
        .build()
        .await
        .expect("repository");
    let writer = common::builder(&cluster, "burst")
        .build()
        .await
        .expect("writer");
    let raw = writer.client().map::<String, Data>("burst");
    let mut events = repo.subscribe();
    // Registered once a write of this repository went through.
    let first = repo.create().await.unwrap();
    repo.save(&first).await.unwrap();
    let mut lagged = 0u64;
    for round in 0..10 {
        let writes = (0..300).map(|i| {
            let raw = raw.clone();
            async move {
                raw.set(
                    &format!("k-{round}-{i}"),
                    &Data::new(type_id::COMPACT, &[0; 8]),
                )
                .await
            }
        });
        for r in futures::future::join_all(writes).await {
            r.expect("write");
        }
        while let Ok(Some(e)) =
            tokio::time::timeout(Duration::from_millis(300), events.next()).await
        {
            if let SessionEvent::Lagged { missed } = e {
                lagged += missed;
            }
        }
        if lagged > 0 {
            break;
        }
    }
    assert!(
        repo.client().stats().dropped_events > 0,
        "the burst overflowed the one-event buffer"
    );
    assert!(lagged > 0, "drops were signalled as Lagged");
    println!(
        "listener buffer of 1: {} events dropped by the client, Lagged reported {lagged}",
        repo.client().stats().dropped_events
    );
}
