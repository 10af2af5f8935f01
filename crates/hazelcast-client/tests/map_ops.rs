//! IMap operations, listeners, Compact values and dynamic config against the test member.

mod common;

use std::time::Duration;

use common::{config_for, eventually};
use hazelcast_client::{
    AuthFailure, Client, ClientError, Compact, EntryListenerOptions, IndexType, MapConfig,
    RoutingMode, event_type,
};
use hazelcast_protocol::compact::{FieldValue, GenericRecord};
use hazelcast_protocol::data::Data;
use hazelcast_protocol::predicate::Predicate;
use hazelcast_test_member::server::TestCluster;

fn s(v: &str) -> String {
    v.to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_map_operations_in_smart_and_single_mode() {
    let cluster = TestCluster::start(2).await.expect("cluster");
    for routing in [RoutingMode::Smart, RoutingMode::SingleConnection] {
        let client = Client::connect(
            config_for(&cluster, "dev")
                .routing(routing)
                .build()
                .expect("config"),
        )
        .await
        .expect("connect");
        let m = client.map::<String, String>(format!("ops-{routing:?}"));
        assert_eq!(m.get(&s("a")).await.expect("get"), None);
        assert_eq!(m.put(&s("a"), &s("1")).await.expect("put"), None);
        assert_eq!(m.put(&s("a"), &s("2")).await.expect("put"), Some(s("1")));
        m.set(&s("b"), &s("x")).await.expect("set");
        m.set_with(
            &s("c"),
            &s("y"),
            Some(Duration::from_secs(60)),
            Some(Duration::from_secs(60)),
        )
        .await
        .expect("set with ttl");
        assert_eq!(
            m.put_if_absent(&s("a"), &s("3")).await.expect("pia"),
            Some(s("2"))
        );
        assert_eq!(m.put_if_absent(&s("d"), &s("4")).await.expect("pia"), None);
        assert!(
            m.replace_if_same(&s("a"), &s("2"), &s("5"))
                .await
                .expect("cas")
        );
        assert!(
            !m.replace_if_same(&s("a"), &s("2"), &s("6"))
                .await
                .expect("cas")
        );
        assert_eq!(
            m.replace(&s("a"), &s("7")).await.expect("replace"),
            Some(s("5"))
        );
        assert_eq!(m.replace(&s("zz"), &s("7")).await.expect("replace"), None);
        assert!(m.contains_key(&s("b")).await.expect("contains"));
        assert!(
            m.set_ttl(&s("b"), Some(Duration::from_secs(100)))
                .await
                .expect("ttl")
        );
        assert!(!m.set_ttl(&s("nope"), None).await.expect("ttl"));
        assert_eq!(m.size().await.expect("size"), 4);
        assert_eq!(m.remove(&s("d")).await.expect("remove"), Some(s("4")));
        m.delete(&s("c")).await.expect("delete");
        assert!(!m.contains_key(&s("c")).await.expect("contains"));
        let mut values = m.values(None).await.expect("values");
        values.sort();
        assert_eq!(values, [s("7"), s("x")]);
        let mut keys = m.keys(None).await.expect("keys");
        keys.sort();
        assert_eq!(keys, [s("a"), s("b")]);
        let e = m
            .entries(Some(&Predicate::sql("this = 'x'")))
            .await
            .expect("entries");
        assert_eq!(e, [(s("b"), s("x"))]);
        // The Data escape hatch sees the same entries.
        let raw = m.with_types::<Data, Data>();
        assert_eq!(raw.size().await.expect("size"), 2);
        client.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_cluster_name_is_a_typed_error_without_retry_storm() {
    let cluster = TestCluster::start(1).await.expect("cluster");
    let start = std::time::Instant::now();
    let err = Client::connect(config_for(&cluster, "not-dev").build().expect("config"))
        .await
        .expect_err("must fail");
    assert!(
        matches!(
            err,
            ClientError::Authentication {
                reason: AuthFailure::CredentialsFailed,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "no retry loop: {:?}",
        start.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_checked() {
    let cluster = TestCluster::builder()
        .credentials("user", "pw")
        .start()
        .await
        .expect("cluster");
    let bad = Client::connect(
        config_for(&cluster, "dev")
            .credentials("user", "nope")
            .build()
            .expect("c"),
    )
    .await;
    assert!(
        matches!(bad, Err(ClientError::Authentication { .. })),
        "{bad:?}"
    );
    let good = Client::connect(
        config_for(&cluster, "dev")
            .credentials("user", "pw")
            .build()
            .expect("c"),
    )
    .await
    .expect("connect");
    good.map::<String, String>("m")
        .set(&s("k"), &s("v"))
        .await
        .expect("set");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entry_listener_stream_receives_events_once_per_change() {
    let cluster = TestCluster::start(3).await.expect("cluster");
    let client = Client::connect(config_for(&cluster, "dev").build().expect("config"))
        .await
        .expect("connect");
    assert!(eventually(Duration::from_secs(5), || client.members().len() == 3).await);
    assert!(eventually(Duration::from_secs(5), || client.connection_count() == 3).await);
    let m = client.map::<String, String>("events");
    let mut events = m
        .entry_events(EntryListenerOptions::default())
        .await
        .expect("listen");
    for i in 0..20 {
        m.set(&format!("k{i}"), &s("v")).await.expect("set");
    }
    m.remove(&s("k0")).await.expect("remove");
    let mut added = 0;
    let mut removed = 0;
    while added + removed < 21 {
        let e = tokio::time::timeout(Duration::from_secs(5), events.next_event())
            .await
            .unwrap_or_else(|_| panic!("event in time; got {added} added, {removed} removed"))
            .expect("stream open");
        match e.event_type {
            event_type::ADDED => added += 1,
            event_type::REMOVED => removed += 1,
            other => panic!("unexpected event type {other}"),
        }
        let key: String = client
            .decode(e.key.as_ref().expect("key"))
            .await
            .expect("decode");
        assert!(key.starts_with('k'));
    }
    assert_eq!((added, removed), (20, 1));
    // No duplicates (smart mode registers on every member with localOnly).
    assert!(
        tokio::time::timeout(Duration::from_millis(300), events.next_event())
            .await
            .is_err(),
        "duplicate event"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unread_listener_does_not_block_other_traffic() {
    let cluster = TestCluster::start(1).await.expect("cluster");
    let client = Client::connect(
        config_for(&cluster, "dev")
            .listener_buffer(8)
            .build()
            .expect("config"),
    )
    .await
    .expect("connect");
    let m = client.map::<String, String>("flood");
    let events = m
        .entry_events(EntryListenerOptions::default())
        .await
        .expect("listen");
    for i in 0..200 {
        m.set(&format!("k{i}"), &s("v"))
            .await
            .expect("set while listener is unread");
    }
    assert!(eventually(Duration::from_secs(5), || events.dropped() >= 192).await);
    assert_eq!(events.dropped(), 192, "buffer of 8 kept, the rest dropped");
    assert_eq!(client.stats().dropped_events, 192);
    assert_eq!(m.size().await.expect("size"), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compact_values_schemas_are_sent_and_fetched() {
    let cluster = TestCluster::start(2).await.expect("cluster");
    let writer = Client::connect(config_for(&cluster, "dev").build().expect("config"))
        .await
        .expect("connect");
    let m = writer.map::<String, Compact<GenericRecord>>("compact");
    let rec = GenericRecord::builder("Session")
        .field("principalName", FieldValue::String(Some("alice".into())))
        .field("n", FieldValue::Int32(1))
        .build()
        .expect("record");
    m.set(&s("s1"), &Compact(rec.clone())).await.expect("set");
    assert!(
        !writer.schemas().has_unreplicated(),
        "schema sent before the data"
    );
    m.add_index(IndexType::Hash, &["principalName"], None)
        .await
        .expect("index");
    // A second client does not know the schema: it fetches it on read.
    let reader = Client::connect(config_for(&cluster, "dev").build().expect("config"))
        .await
        .expect("connect");
    assert!(reader.schemas().is_empty());
    let got = reader
        .map::<String, Compact<GenericRecord>>("compact")
        .get(&s("s1"))
        .await
        .expect("get")
        .expect("present");
    assert_eq!(got.0, rec);
    let found = reader
        .map::<String, Compact<GenericRecord>>("compact")
        .values(Some(&Predicate::equal("principalName", "alice")))
        .await
        .expect("query");
    assert_eq!(found.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamic_map_config_is_applied() {
    let cluster = TestCluster::start(1).await.expect("cluster");
    let client = Client::connect(config_for(&cluster, "dev").build().expect("config"))
        .await
        .expect("connect");
    let mut c = MapConfig::new("cfg-*");
    c.backup_count = 0;
    c.max_idle_seconds = 1800;
    client.add_map_config(&c).await.expect("add");
    client
        .add_map_config(&c)
        .await
        .expect("identical again is a no-op");
    let engine = cluster.engine();
    let applied = engine.map_config("cfg-x");
    assert_eq!(applied.max_idle_seconds, 1800);
    assert_eq!(applied.backup_count, 0);
    c.max_idle_seconds = 5;
    let err = client.add_map_config(&c).await.expect_err("conflict");
    assert!(err.server_code().is_some(), "{err:?}");
}
