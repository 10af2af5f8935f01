//! The session store behind the shop: the in-memory repository, or a Hazelcast cluster
//! (optionally with a failover cluster) through `session-hazelcast`.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use hazelcast_client::{Client, ClientConfig, ClusterConfig, ReconnectPolicy};
use session_axum::{MemorySessionRepository, SessionRepository};
use session_hazelcast::{CompactCodec, HazelcastSessionRepository, SessionMapConfig};

use crate::config::{Backend, ClusterSettings, ConfigError};

/// Rounds over the primary and the failover cluster before the client gives up.
pub const FAILOVER_TRY_COUNT: u32 = 3;
/// Longest TCP connect timeout per member.
const MEMBER_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The Hazelcast client configuration for `primary` and an optional `failover` cluster.
///
/// Without a failover cluster the client reconnects to a lost cluster for as long as it
/// takes (calls fail after their invocation timeout meanwhile). With one, it tries each
/// cluster for `connect_timeout` before switching to the other, for
/// [`FAILOVER_TRY_COUNT`] rounds.
///
/// # Errors
/// [`ConfigError::Client`] when the client refuses the configuration.
pub fn client_config(
    primary: &ClusterSettings,
    failover: Option<&ClusterSettings>,
    connect_timeout: Duration,
) -> Result<ClientConfig, ConfigError> {
    let mut builder = ClientConfig::builder()
        .cluster_name(primary.cluster_name.clone())
        .addresses(primary.members.iter().cloned())
        .client_name("shop")
        .connect_timeout(connect_timeout.min(MEMBER_CONNECT_TIMEOUT));
    if let Some(failover) = failover {
        builder = builder
            .reconnect(ReconnectPolicy {
                cluster_connect_timeout: Some(connect_timeout),
                ..ReconnectPolicy::default()
            })
            .failover(
                FAILOVER_TRY_COUNT,
                [ClusterConfig::new(
                    failover.cluster_name.clone(),
                    failover.members.iter().cloned(),
                )],
            );
    }
    builder.build().map_err(ConfigError::Client)
}

/// One line saying where sessions are stored (no session data in it).
pub fn describe(backend: &Backend) -> String {
    match backend {
        Backend::Memory => "in-memory session store (this process only)".to_owned(),
        Backend::Hazelcast {
            primary,
            failover,
            backup_count,
            map_name,
            ..
        } => {
            let mut text = format!(
                "Hazelcast session store: cluster {:?} at {}",
                primary.cluster_name,
                primary.members.join(",")
            );
            if let Some(failover) = failover {
                let _ = write!(
                    text,
                    ", failover cluster {:?} at {}",
                    failover.cluster_name,
                    failover.members.join(",")
                );
            }
            let _ = write!(text, ", map {map_name:?}, backup count {backup_count}");
            text
        }
    }
}

/// The error and its sources, joined by `": "`.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    let mut depth = 0;
    while let Some(e) = source {
        if depth == 8 {
            break;
        }
        let _ = write!(text, ": {e}");
        source = e.source();
        depth += 1;
    }
    text
}

/// The session repository for `backend`. For Hazelcast this connects to the cluster,
/// applies the session map's configuration (backup count from the backend) and gives up
/// after the connect timeout per cluster (so a cluster that cannot be reached ends the
/// start-up with an error instead of a hang).
///
/// # Errors
/// [`ConfigError::Unreachable`] when no cluster answered in time,
/// [`ConfigError::Hazelcast`] when the repository could not start, [`ConfigError::Client`]
/// for a configuration the client refuses.
pub async fn repository(backend: &Backend) -> Result<Arc<dyn SessionRepository>, ConfigError> {
    let Backend::Hazelcast {
        primary,
        failover,
        backup_count,
        map_name,
        connect_timeout,
    } = backend
    else {
        return Ok(Arc::new(MemorySessionRepository::new()));
    };
    let config = client_config(primary, failover.as_ref(), *connect_timeout)?;
    let clusters = if failover.is_some() { 2 } else { 1 };
    let deadline = connect_timeout.saturating_mul(clusters);
    let build = async {
        let client = Client::connect(config)
            .await
            .map_err(session_hazelcast::BuildError::Client)?;
        // The basket is stored as the Spring shop's Compact records (see `crate::basket`).
        let codec = CompactCodec::with_record_types(client.clone(), crate::basket::record_types());
        HazelcastSessionRepository::with_client(client)
            .codec(codec)
            .map_name(map_name.clone())
            .map_config(SessionMapConfig::default().with_backup_count(*backup_count))
            .build()
            .await
    };
    match tokio::time::timeout(deadline, build).await {
        Ok(Ok(repository)) => Ok(Arc::new(repository)),
        Ok(Err(error)) => Err(ConfigError::Hazelcast {
            detail: chain(&error),
            source: error,
        }),
        Err(_) => Err(ConfigError::Unreachable {
            store: describe(backend),
            after: deadline,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(name: &str, members: &[&str]) -> ClusterSettings {
        ClusterSettings {
            members: members.iter().map(|m| (*m).to_owned()).collect(),
            cluster_name: name.to_owned(),
        }
    }

    #[test]
    fn single_cluster_reconnects_without_deadline() {
        let c = client_config(
            &settings("shop", &["a:5701", "b:5701"]),
            None,
            Duration::from_secs(2),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.cluster.cluster_name, "shop");
        assert_eq!(c.cluster.addresses, ["a:5701", "b:5701"]);
        assert_eq!(c.connect_timeout, Duration::from_secs(2));
        assert_eq!(c.clusters().len(), 1);
        assert_eq!(c.effective_cluster_connect_timeout(), None);
    }

    #[test]
    fn failover_list_has_two_clusters() {
        let c = client_config(
            &settings("dev", &["a:5701"]),
            Some(&settings("dr", &["z:5701"])),
            Duration::from_secs(30),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let clusters = c.clusters();
        assert_eq!(clusters.len(), 2);
        assert_eq!(clusters[1].cluster_name, "dr");
        assert_eq!(clusters[1].addresses, ["z:5701"]);
        assert_eq!(c.connect_timeout, MEMBER_CONNECT_TIMEOUT);
        assert_eq!(
            c.effective_cluster_connect_timeout(),
            Some(Duration::from_secs(30))
        );
        assert_eq!(c.failover.map(|f| f.try_count), Some(FAILOVER_TRY_COUNT));
    }
}
