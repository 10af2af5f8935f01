//! The map configuration applied at start-up through dynamic configuration, on the test
//! member and on real members.
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

use common::Backend;
use session_hazelcast::{BuildError, MapConfigError, SessionMapConfig, WanReplicationRef};

async fn a_different_existing_config_is_reported_field_by_field(backend: Backend) {
    let members = backend.shared(2).await;
    let first = common::builder_for(&members, "configured")
        .max_inactive_interval(Some(Duration::from_secs(1800)))
        .build()
        .await
        .expect("first repository adds the config");
    // The same config again is fine (a second application instance).
    let same = common::builder_for(&members, "configured")
        .max_inactive_interval(Some(Duration::from_secs(1800)))
        .build()
        .await;
    assert!(same.is_ok(), "{:?}", same.err());
    // A different one names the fields that differ.
    let err = common::builder_for(&members, "configured")
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
    let unchecked = common::builder_for(&members, "configured")
        .max_inactive_interval(Some(Duration::from_secs(3600)))
        .apply_map_config(false)
        .build()
        .await;
    assert!(unchecked.is_ok());
    drop(first);
}

on_both_backends!(
    a_different_existing_config_is_reported_field_by_field => map_config_conflict_test_member,
    map_config_conflict_real_member
);

async fn a_wan_reference_is_applied_with_the_map_config(backend: Backend) {
    let members = backend.shared(1).await;
    let with_wan = common::builder_for(&members, "wan")
        .map_config(
            SessionMapConfig::default()
                .with_wan_replication_ref(Some(WanReplicationRef::new("to-dr"))),
        )
        .build()
        .await
        .expect("an OSS member accepts a WAN reference (facts 7.1)");
    // The member now holds the reference: the same map without it is a conflict, and the
    // report names the WAN field.
    let err = common::builder_for(&members, "wan")
        .build()
        .await
        .expect_err("differs from the stored config");
    assert!(matches!(err, BuildError::MapConfig(_)), "{err:?}");
    assert!(err.to_string().to_lowercase().contains("wan"), "{err}");
    drop(with_wan);
}

on_both_backends!(
    a_wan_reference_is_applied_with_the_map_config => map_config_wan_ref_test_member,
    map_config_wan_ref_real_member
);
