//! The session map's configuration on every cluster the client uses: applied at start-up
//! by the builder, and again whenever the client connects to a cluster it has not
//! configured yet (failover, a cluster restarted with a new id), before an operation is
//! served from it.

use std::sync::Weak;

use hazelcast_client::{Client, ClientError};
use session_core::RepositoryError;

use crate::builder::BuildError;
use crate::map_config::SessionMapConfig;
use crate::repository::{HazelcastSessionRepository, Inner};

/// Hazelcast's error code for `InvalidConfigurationException`.
const INVALID_CONFIGURATION: i32 = 32;

/// Applies the map configuration on every cluster the client connects to that it has not
/// configured yet (failover, a cluster restarted with a new id). Operations check the same
/// before they run, so none is served from an unconfigured cluster.
pub(crate) async fn reapply_config_on_new_clusters(inner: Weak<Inner>) {
    let Some(mut changes) = inner.upgrade().map(|i| i.cluster.clone()) else {
        return;
    };
    while changes.changed().await.is_ok() {
        let Some(inner) = inner.upgrade() else {
            return;
        };
        let repository = HazelcastSessionRepository { inner };
        let _ = repository.ensure_configured().await;
    }
}

/// Adds the map configuration through the client: the client's
/// [`MapConfig`](hazelcast_client::MapConfig) from [`SessionMapConfig::to_map_config`], sent
/// as one `DynamicConfig.addMapConfig` request (every field, the WAN replication reference
/// and the in-memory format included).
pub(crate) async fn apply_map_config(
    client: &Client,
    map_name: &str,
    config: &SessionMapConfig,
) -> Result<(), BuildError> {
    let map_config = config.to_map_config(map_name)?;
    match client.add_map_config(&map_config).await {
        Ok(()) => Ok(()),
        Err(ClientError::Member(e)) if e.code() == INVALID_CONFIGURATION => {
            let message = e
                .chain
                .first()
                .and_then(|c| c.message.clone())
                .unwrap_or_default();
            Err(BuildError::MapConfig(
                config.conflict_error(map_name, &message),
            ))
        }
        Err(e) => Err(BuildError::Client(e)),
    }
}

impl HazelcastSessionRepository {
    /// Applies the map configuration on the cluster the client is connected to, if it has
    /// not been applied there (failover, restarted cluster). While it cannot be applied
    /// (the cluster does not answer), operations fail rather than serve from an
    /// unconfigured cluster; the next one tries again. `Ok(true)`: the current cluster is
    /// configured (or there is nothing to configure); `Ok(false)`: the client is offline,
    /// so whether the cluster it will reach is configured is not known yet.
    pub(crate) async fn ensure_configured(&self) -> Result<bool, RepositoryError> {
        let Some(config) = &self.inner.map_config else {
            return Ok(true);
        };
        let Some(current) = self.inner.cluster.borrow().clone() else {
            return Ok(false);
        };
        if !self.inner.client.is_connected() {
            return Ok(false);
        }
        let mut configured = self.inner.configured.lock().await;
        if configured
            .as_ref()
            .is_some_and(|c| c.cluster_id == current.cluster_id)
        {
            return Ok(true);
        }
        match apply_map_config(&self.inner.client, self.map_name(), config).await {
            Ok(()) => {
                tracing::info!(
                    cluster = %current.cluster_name,
                    "session map configuration applied on a newly connected cluster"
                );
                *configured = Some(current);
                Ok(true)
            }
            Err(BuildError::MapConfig(e)) => {
                // The cluster has another configuration for the map: applying again
                // cannot help; the operator must see it.
                tracing::error!(error = %e, cluster = %current.cluster_name, "the cluster's session map configuration conflicts with ours");
                *configured = Some(current);
                Ok(true)
            }
            Err(BuildError::Client(e)) if e.is_unsent() => {
                // Offline again: the operation waits or fails by itself.
                Ok(false)
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not apply the session map configuration yet");
                Err(RepositoryError::backend(e))
            }
        }
    }
}
