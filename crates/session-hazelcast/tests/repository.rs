//! The repository against a 3-member cluster: session-core's conformance suite, on the
//! test member and on real members.
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
use session_core::conformance::{self, Capabilities};

/// The whole conformance suite. Both backends keep expiry times in whole seconds (up to
/// 1 s early), fire `expired` as soon as an expired entry is read, deliver entry events
/// within a few seconds (generous for a loaded machine), and (with the shared clusters'
/// fast background expiry) fire `expired` for a session nobody reads within seconds.
async fn conformance_suite(backend: Backend) {
    let members = backend.shared(3).await;
    let repo = common::builder_for(&members, "conformance")
        .build()
        .await
        .expect("repository");
    let caps = Capabilities::default()
        .with_expiry_early(Duration::from_secs(1))
        .with_event_delay(Duration::from_secs(3))
        .with_expired_event_after_read(Some(Duration::from_secs(2)))
        // A real cluster on a loaded two-core machine: requests may take a few hundred ms.
        .with_schedule_slack(Duration::from_secs(1))
        .with_expired_event_unread(members.has_fast_expiry().then_some(Duration::from_secs(6)));
    conformance::run(&repo, &caps).await;
}

on_both_backends!(conformance_suite => conformance_test_member, conformance_real_member);

/// The whole conformance suite with the local cache on.
async fn conformance_suite_cached(backend: Backend) {
    let members = backend.shared(3).await;
    let repo = common::builder_for(&members, "conformance-cached")
        .local_cache(true)
        .build()
        .await
        .expect("repository");
    common::cache_serving(&repo).await;
    let caps = Capabilities::default()
        .with_expiry_early(Duration::from_secs(1))
        .with_event_delay(Duration::from_secs(3))
        .with_expired_event_after_read(Some(Duration::from_secs(2)))
        .with_schedule_slack(Duration::from_secs(1))
        .with_expired_event_unread(members.has_fast_expiry().then_some(Duration::from_secs(6)));
    conformance::run(&repo, &caps).await;
}

on_both_backends!(conformance_suite_cached => conformance_cached_test_member, conformance_cached_real_member);
