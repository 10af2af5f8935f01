//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::time::Duration;

use hazelcast_client::{ClientConfig, ReconnectPolicy};
use hazelcast_test_member::server::TestCluster;
use session_hazelcast::{HazelcastRepositoryBuilder, HazelcastSessionRepository};

/// A client configuration for `cluster` with short timeouts.
pub fn client_config(cluster: &TestCluster) -> ClientConfig {
    ClientConfig::builder()
        .cluster_name("dev")
        .addresses(cluster.addresses().iter().map(ToString::to_string))
        .connect_timeout(Duration::from_secs(2))
        .invocation_timeout(Duration::from_secs(15))
        .reconnect(ReconnectPolicy {
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(200),
            multiplier: 1.5,
            jitter: 0.2,
            cluster_connect_timeout: Some(Duration::from_secs(5)),
        })
        .build()
        .expect("valid client config")
}

/// A builder connected to `cluster`, on map `map`.
pub fn builder(cluster: &TestCluster, map: &str) -> HazelcastRepositoryBuilder {
    HazelcastSessionRepository::builder()
        .client_config(client_config(cluster))
        .map_name(map)
}
