//! The repository against an in-process 3-member cluster.

mod common;

use std::time::Duration;

use hazelcast_test_member::server::TestCluster;
use session_core::conformance::{self, Capabilities};

/// Against a 3-member test cluster, or against the real cluster in `HZ_MEMBERS`
/// (`host:port,...`, cluster name `dev`) when it is set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformance_suite_on_three_members() {
    let cluster;
    let builder = match std::env::var("HZ_MEMBERS") {
        Ok(members) => session_hazelcast::HazelcastSessionRepository::builder()
            .client_config(
                hazelcast_client::ClientConfig::builder()
                    .cluster_name("dev")
                    .addresses(members.split(',').map(str::to_owned))
                    .build()
                    .expect("client config"),
            )
            .map_name("conformance"),
        Err(_) => {
            cluster = TestCluster::start(3).await.expect("cluster");
            common::builder(&cluster, "conformance")
        }
    };
    let repo = builder.build().await.expect("repository");
    let caps = Capabilities::default()
        .with_expiry_early(Duration::from_secs(1))
        .with_event_delay(Duration::from_secs(3))
        .with_expired_event_after_read(Some(Duration::from_secs(2)));
    conformance::run(&repo, &caps).await;
}
