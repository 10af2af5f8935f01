//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use hazelcast_client::{ClientConfig, ClientConfigBuilder, ReconnectPolicy};
use hazelcast_test_member::server::TestCluster;

/// A config for `cluster` with short timeouts suited to tests.
pub fn config_for(cluster: &TestCluster, name: &str) -> ClientConfigBuilder {
    ClientConfig::builder()
        .cluster_name(name)
        .addresses(cluster.addresses().iter().map(ToString::to_string))
        .connect_timeout(Duration::from_secs(2))
        .invocation_timeout(Duration::from_secs(10))
        .reconnect(fast_reconnect(Some(Duration::from_secs(5))))
}

/// Reconnect policy with short backoff.
pub fn fast_reconnect(timeout: Option<Duration>) -> ReconnectPolicy {
    ReconnectPolicy {
        initial_backoff: Duration::from_millis(50),
        max_backoff: Duration::from_millis(200),
        multiplier: 1.5,
        jitter: 0.2,
        cluster_connect_timeout: timeout,
    }
}

/// Waits until `f` holds, up to `limit`.
pub async fn eventually(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = tokio::time::Instant::now() + limit;
    while tokio::time::Instant::now() < end {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    f()
}
