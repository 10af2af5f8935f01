//! The repository against an in-process 3-member cluster.

mod common;

use std::time::Duration;

use hazelcast_test_member::server::TestCluster;
use session_core::conformance::{self, Capabilities};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_suite_on_three_members() {
    let cluster = TestCluster::start(3).await.expect("cluster");
    let repo = common::builder(&cluster, "conformance")
        .build()
        .await
        .expect("repository");
    let caps = Capabilities::default()
        .with_expiry_early(Duration::from_secs(1))
        .with_event_delay(Duration::from_secs(3))
        .with_expired_event_after_read(Some(Duration::from_secs(2)));
    conformance::run(&repo, &caps).await;
}
