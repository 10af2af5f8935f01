//! The map configuration applied at start-up through dynamic configuration.

mod common;

use std::time::Duration;

use hazelcast_test_member::server::TestCluster;
use session_hazelcast::{BuildError, MapConfigError, SessionMapConfig, WanReplicationRef};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_different_existing_config_is_reported_field_by_field() {
    let cluster = TestCluster::start(2).await.expect("cluster");
    let first = common::builder(&cluster, "configured")
        .max_inactive_interval(Some(Duration::from_secs(1800)))
        .build()
        .await
        .expect("first repository adds the config");
    // The same config again is fine (a second application instance).
    let same = common::builder(&cluster, "configured")
        .max_inactive_interval(Some(Duration::from_secs(1800)))
        .build()
        .await;
    assert!(same.is_ok(), "{:?}", same.err());
    // A different one names the fields that differ.
    let err = common::builder(&cluster, "configured")
        .max_inactive_interval(Some(Duration::from_secs(3600)))
        .map_config(SessionMapConfig::default().with_backup_count(2))
        .build()
        .await
        .expect_err("conflicting config");
    let BuildError::MapConfig(MapConfigError::Conflict {
        map, differences, ..
    }) = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(map, "configured");
    let fields: Vec<_> = differences
        .iter()
        .map(|d| (d.field, d.ours.as_str(), d.theirs.as_str()))
        .collect();
    assert_eq!(
        fields,
        [
            ("backup-count", "2", "1"),
            ("max-idle-seconds", "3600", "1800")
        ],
        "{err}"
    );
    // Switched off, nothing is checked.
    let unchecked = common::builder(&cluster, "configured")
        .max_inactive_interval(Some(Duration::from_secs(3600)))
        .apply_map_config(false)
        .build()
        .await;
    assert!(unchecked.is_ok());
    drop(first);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wan_reference_is_refused_rather_than_dropped() {
    let cluster = TestCluster::start(1).await.expect("cluster");
    let err = common::builder(&cluster, "wan")
        .map_config(
            SessionMapConfig::default()
                .with_wan_replication_ref(Some(WanReplicationRef::new("to-dr"))),
        )
        .build()
        .await
        .expect_err("not applicable through the client");
    assert!(matches!(err, BuildError::Unsupported(_)), "{err:?}");
}
