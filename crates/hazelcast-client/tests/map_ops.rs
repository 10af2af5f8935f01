//! IMap operations, listeners, Compact values, dynamic config and authentication, on the
//! test member and on real members (`*_test_member` / `*_real_member`).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "test bodies shared by two #[test]s: clippy's allow-*-in-tests covers only #[test] fns"
)]

#[macro_use]
mod common;

use std::time::Duration;

use common::{Backend, config_for, eventually};
use hazelcast_client::{
    AsCompact, AuthFailure, Client, ClientError, EntryListenerOptions, IndexType, MapConfig,
    RoutingMode, event_type,
};
use hazelcast_protocol::compact::{FieldValue, GenericRecord};
use hazelcast_protocol::data::Data;
use hazelcast_protocol::predicate::Predicate;
use hazelcast_protocol::serialization::ToData;
use hazelcast_test_member::server::TestCluster;

fn s(v: &str) -> String {
    v.to_owned()
}

async fn basic_map_operations_in_smart_and_single_mode(backend: Backend) {
    let cluster = backend.shared(2).await;
    for routing in [RoutingMode::Smart, RoutingMode::SingleConnection] {
        let client = Client::connect(cluster.config().routing(routing).build().expect("config"))
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

on_both_backends!(
    basic_map_operations_in_smart_and_single_mode => map_ops_test_member,
    map_ops_real_member
);

/// What an open-source member answers a client with the wrong cluster name (its only
/// authentication without Enterprise security): status CREDENTIALS_FAILED, which the
/// client reports at once instead of retrying.
async fn wrong_cluster_name_is_a_typed_error_without_retry_storm(backend: Backend) {
    let cluster = backend.shared(1).await;
    let start = std::time::Instant::now();
    let err = Client::connect(
        cluster
            .config_named("not-this-cluster")
            .build()
            .expect("config"),
    )
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

on_both_backends!(
    wrong_cluster_name_is_a_typed_error_without_retry_storm => wrong_cluster_name_test_member,
    wrong_cluster_name_real_member
);

/// Username and password on a member without security (every open-source member; the
/// test member when no credentials are configured): refused as CREDENTIALS_FAILED, at once.
async fn credentials_are_refused_without_security(backend: Backend) {
    let cluster = backend.shared(1).await;
    let start = std::time::Instant::now();
    let err = Client::connect(
        cluster
            .config()
            .credentials("someone", "anything")
            .build()
            .expect("config"),
    )
    .await
    .expect_err("an open-source member refuses credentials it cannot check");
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
        "{:?}",
        start.elapsed()
    );
}

on_both_backends!(
    credentials_are_refused_without_security => credentials_refused_test_member,
    credentials_refused_real_member
);

/// Test member only: checked credentials are Hazelcast Enterprise security, which no
/// open-source member offers.
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

async fn entry_listener_stream_receives_events_once_per_change(backend: Backend) {
    let cluster = backend.shared(3).await;
    let client = Client::connect(cluster.config().build().expect("config"))
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

on_both_backends!(
    entry_listener_stream_receives_events_once_per_change => entry_events_test_member,
    entry_events_real_member
);

async fn unread_listener_does_not_block_other_traffic(backend: Backend) {
    let cluster = backend.shared(1).await;
    let client = Client::connect(cluster.config().listener_buffer(8).build().expect("config"))
        .await
        .expect("connect");
    let m = client.map::<String, String>("flood");
    let events = m
        .entry_events(EntryListenerOptions::default())
        .await
        .expect("listen");
    // A stream's own buffer overrides the client's.
    let roomy = m
        .entry_events(EntryListenerOptions {
            buffer: Some(64),
            ..EntryListenerOptions::default()
        })
        .await
        .expect("listen with a buffer of 64");
    for i in 0..200 {
        m.set(&format!("k{i}"), &s("v"))
            .await
            .expect("set while listener is unread");
    }
    assert!(eventually(Duration::from_secs(5), || events.dropped() >= 192).await);
    assert!(eventually(Duration::from_secs(5), || roomy.dropped() >= 136).await);
    assert_eq!(events.dropped(), 192, "buffer of 8 kept, the rest dropped");
    assert_eq!(roomy.dropped(), 136, "buffer of 64 kept, the rest dropped");
    assert_eq!(client.stats().dropped_events, 192 + 136);
    assert_eq!(m.size().await.expect("size"), 200);
}

on_both_backends!(
    unread_listener_does_not_block_other_traffic => unread_listener_test_member,
    unread_listener_real_member
);

/// An inline handler sees every event on the reader; the events it takes never reach the
/// stream (nor its one-event buffer), the others do.
async fn inline_handler_takes_events_before_the_stream(backend: Backend) {
    let cluster = backend.shared(1).await;
    let client = Client::connect(cluster.config().listener_buffer(1).build().expect("config"))
        .await
        .expect("connect");
    let m = client.map::<String, String>("inline-events");
    let taken = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = std::sync::Arc::clone(&taken);
    let queued_key = "queued".to_owned().to_data().expect("a string serializes");
    let not_taken = queued_key.clone();
    let handler: hazelcast_client::InlineHandler = std::sync::Arc::new(move |event| {
        let take = event.key.as_ref() != Some(&not_taken);
        if take {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        take
    });
    let mut events = m
        .entry_events_with(EntryListenerOptions::default(), handler)
        .await
        .expect("listen");
    for i in 0..200 {
        m.set(&format!("inline-{i}"), &s("v")).await.expect("set");
    }
    m.set(&"queued".to_owned(), &s("v")).await.expect("set");
    let queued = tokio::time::timeout(Duration::from_secs(5), events.next_event())
        .await
        .expect("the queued event arrives")
        .expect("an event");
    assert_eq!(queued.key, Some(queued_key));
    assert_eq!(taken.load(std::sync::atomic::Ordering::Relaxed), 200);
    assert_eq!(events.dropped(), 0, "taken events never fill the buffer");
}

on_both_backends!(
    inline_handler_takes_events_before_the_stream => inline_handler_test_member,
    inline_handler_real_member
);

async fn compact_values_schemas_are_sent_and_fetched(backend: Backend) {
    let cluster = backend.shared(2).await;
    let writer = Client::connect(cluster.config().build().expect("config"))
        .await
        .expect("connect");
    let m = writer.map::<String, AsCompact<GenericRecord>>("compact");
    let rec = GenericRecord::builder("Session")
        .field("principalName", FieldValue::String(Some("alice".into())))
        .field("n", FieldValue::Int32(1))
        .build()
        .expect("record");
    m.set(&s("s1"), &AsCompact(rec.clone())).await.expect("set");
    assert!(
        !writer.schemas().has_unreplicated(),
        "schema sent before the data"
    );
    m.add_index(IndexType::Hash, &["principalName"], None)
        .await
        .expect("index");
    // A second client does not know the schema: it fetches it on read.
    let reader = Client::connect(cluster.config().build().expect("config"))
        .await
        .expect("connect");
    assert!(reader.schemas().is_empty());
    let got = reader
        .map::<String, AsCompact<GenericRecord>>("compact")
        .get(&s("s1"))
        .await
        .expect("get")
        .expect("present");
    assert_eq!(got.0, rec);
    let found = reader
        .map::<String, AsCompact<GenericRecord>>("compact")
        .values(Some(&Predicate::equal("principalName", "alice")))
        .await
        .expect("query");
    assert_eq!(found.len(), 1);
}

on_both_backends!(
    compact_values_schemas_are_sent_and_fetched => compact_schemas_test_member,
    compact_schemas_real_member
);

/// A dynamic map config is added, the identical one again is accepted, a different one is
/// refused with the member's INVALID_CONFIGURATION (error code 32, facts 7.3).
async fn dynamic_map_config_is_applied(backend: Backend) {
    let cluster = backend.shared(1).await;
    let client = Client::connect(cluster.config().build().expect("config"))
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
    if let Some(cluster) = cluster.test_cluster() {
        let applied = cluster.engine().map_config("cfg-x");
        assert_eq!(applied.max_idle_seconds, 1800);
        assert_eq!(applied.backup_count, 0);
    }
    c.max_idle_seconds = 5;
    let err = client.add_map_config(&c).await.expect_err("conflict");
    assert_eq!(err.server_code(), Some(32), "{err:?}");
    println!("conflicting map config ({backend:?}): {err}");
}

on_both_backends!(
    dynamic_map_config_is_applied => dynamic_map_config_test_member,
    dynamic_map_config_real_member
);
