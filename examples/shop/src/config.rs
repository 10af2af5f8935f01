//! Shop configuration from environment variables.
//!
//! | variable | meaning | default |
//! | --- | --- | --- |
//! | `PORT` | port on 127.0.0.1 (0 = any free port) | 8080 |
//! | `HZ_MEMBERS` | `host:port,...` of a Hazelcast cluster; unset = in-memory store | unset |
//! | `HZ_CLUSTER_NAME` | that cluster's name | `dev` |
//! | `HZ_FAILOVER_MEMBERS` | `host:port,...` of a second cluster to fail over to | unset |
//! | `HZ_FAILOVER_CLUSTER_NAME` | the second cluster's name | `dev` |
//! | `HZ_MAP_NAME` | the session map | `spring:session:sessions` |
//! | `HZ_CONNECT_TIMEOUT_SECS` | start-up gives up on a cluster after this long | 10 |
//!
//! The session map gets backup count 1. See [`crate::backend`] for how the store is built.

use std::sync::Arc;
use std::time::Duration;

use session_axum::{ConcurrentSessions, SessionManager, SessionRepository};

/// The default port.
pub const DEFAULT_PORT: u16 = 8080;
/// The default Hazelcast cluster name.
pub const DEFAULT_CLUSTER_NAME: &str = "dev";
/// The default time start-up waits for a Hazelcast cluster.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Synchronous backups of the session map.
pub const SESSION_MAP_BACKUP_COUNT: u8 = 1;
/// At most this many sessions per user.
pub const MAX_SESSIONS_PER_USER: usize = 2;

/// Invalid or unsupported configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `PORT` is not a port number.
    #[error("PORT must be a number from 0 to 65535, got {0:?}")]
    Port(String),
    /// A member list is empty or has an entry that is not `host:port`.
    #[error("{variable} must be a comma-separated list of host:port, got {value:?}")]
    Members {
        /// The variable.
        variable: &'static str,
        /// Its value.
        value: String,
    },
    /// A failover cluster was given without a primary one.
    #[error("HZ_FAILOVER_MEMBERS needs HZ_MEMBERS")]
    FailoverWithoutPrimary,
    /// `HZ_CONNECT_TIMEOUT_SECS` is not a positive number of seconds.
    #[error("HZ_CONNECT_TIMEOUT_SECS must be a number of seconds from 1 to 3600, got {0:?}")]
    ConnectTimeout(String),
    /// `HZ_MAP_NAME` is empty or too long.
    #[error("HZ_MAP_NAME must be a map name of 1 to 255 characters")]
    MapName,
    /// The Hazelcast client refused the configuration.
    #[error("invalid Hazelcast client configuration")]
    Client(#[source] hazelcast_client::ClientError),
    /// No Hazelcast cluster answered at start-up.
    #[error(
        "no Hazelcast cluster answered within {} s ({store}); start the cluster, fix HZ_MEMBERS, \
         or unset HZ_MEMBERS to run the shop on the in-memory store",
        after.as_secs()
    )]
    Unreachable {
        /// The store that was configured.
        store: String,
        /// How long start-up waited.
        after: Duration,
    },
    /// The Hazelcast session repository could not start.
    #[error("cannot start the Hazelcast session store: {detail}")]
    Hazelcast {
        /// The error with its causes, as text.
        detail: String,
        /// The error.
        #[source]
        source: session_hazelcast::BuildError,
    },
}

/// One Hazelcast cluster to connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterSettings {
    /// Member addresses (`host:port`).
    pub members: Vec<String>,
    /// Cluster name.
    pub cluster_name: String,
}

/// Where sessions are stored.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// The in-memory repository (one process only).
    Memory,
    /// A Hazelcast cluster, optionally with a failover cluster; the session map is
    /// configured with backup count 1.
    Hazelcast {
        /// The primary cluster.
        primary: ClusterSettings,
        /// The cluster to fail over to.
        failover: Option<ClusterSettings>,
        /// Synchronous backups of the session map.
        backup_count: u8,
        /// The session map.
        map_name: String,
        /// How long to try one cluster at start-up (and before a failover).
        connect_timeout: Duration,
    },
}

/// The shop's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopConfig {
    /// Port on 127.0.0.1.
    pub port: u16,
    /// Session store.
    pub backend: Backend,
}

fn members(variable: &'static str, value: &str) -> Result<Vec<String>, ConfigError> {
    let error = || ConfigError::Members {
        variable,
        value: value.chars().take(200).collect(),
    };
    let list: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if list.is_empty() || list.len() > 64 {
        return Err(error());
    }
    for member in &list {
        let (host, port) = member.rsplit_once(':').ok_or_else(error)?;
        if host.is_empty() || port.parse::<u16>().is_err() {
            return Err(error());
        }
    }
    Ok(list)
}

impl ShopConfig {
    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `var` (for tests).
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let port = match var("PORT") {
            None => DEFAULT_PORT,
            Some(p) => p.trim().parse().map_err(|_| ConfigError::Port(p))?,
        };
        let cluster = |members_var: &'static str,
                       name_var: &str|
         -> Result<Option<ClusterSettings>, ConfigError> {
            match var(members_var) {
                None => Ok(None),
                Some(value) => Ok(Some(ClusterSettings {
                    members: members(members_var, &value)?,
                    cluster_name: var(name_var).unwrap_or_else(|| DEFAULT_CLUSTER_NAME.to_owned()),
                })),
            }
        };
        let primary = cluster("HZ_MEMBERS", "HZ_CLUSTER_NAME")?;
        let failover = cluster("HZ_FAILOVER_MEMBERS", "HZ_FAILOVER_CLUSTER_NAME")?;
        let backend = match (primary, failover) {
            (None, None) => Backend::Memory,
            (None, Some(_)) => return Err(ConfigError::FailoverWithoutPrimary),
            (Some(primary), failover) => {
                let map_name = var("HZ_MAP_NAME")
                    .unwrap_or_else(|| session_hazelcast::DEFAULT_MAP_NAME.to_owned());
                if map_name.trim().is_empty() || map_name.len() > 255 {
                    return Err(ConfigError::MapName);
                }
                let connect_timeout = match var("HZ_CONNECT_TIMEOUT_SECS") {
                    None => DEFAULT_CONNECT_TIMEOUT,
                    Some(s) => match s.trim().parse::<u64>() {
                        Ok(secs @ 1..=3600) => Duration::from_secs(secs),
                        _ => return Err(ConfigError::ConnectTimeout(s.chars().take(50).collect())),
                    },
                };
                Backend::Hazelcast {
                    primary,
                    failover,
                    backup_count: SESSION_MAP_BACKUP_COUNT,
                    map_name,
                    connect_timeout,
                }
            }
        };
        Ok(Self { port, backend })
    }

    /// The session repository for the configured backend (connects to Hazelcast when
    /// configured, see [`crate::backend::repository`]).
    ///
    /// # Errors
    /// A cluster that cannot be reached or refuses the map configuration.
    pub async fn repository(&self) -> Result<Arc<dyn SessionRepository>, ConfigError> {
        crate::backend::repository(&self.backend).await
    }

    /// The session manager the shop runs: Spring's cookie defaults, at most
    /// [`MAX_SESSIONS_PER_USER`] sessions per user (the oldest is ended).
    ///
    /// # Errors
    /// As [`repository`](Self::repository).
    pub async fn session_manager(&self) -> Result<SessionManager, ConfigError> {
        Ok(shop_manager(self.repository().await?))
    }
}

/// The shop's session manager over `repository`.
pub fn shop_manager(repository: Arc<dyn SessionRepository>) -> SessionManager {
    SessionManager::from_shared(repository)
        .with_concurrent_sessions(ConcurrentSessions::at_most(MAX_SESSIONS_PER_USER))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<ShopConfig, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ShopConfig::from_vars(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_to_memory_on_8080() {
        let c = config(&[]).unwrap();
        assert_eq!(c.port, 8080);
        assert_eq!(c.backend, Backend::Memory);
    }

    #[test]
    fn hazelcast_settings_parse() {
        let c = config(&[
            ("HZ_MEMBERS", "10.0.0.1:5701, 10.0.0.2:5701"),
            ("HZ_CLUSTER_NAME", "shop"),
            ("HZ_FAILOVER_MEMBERS", "dr:5701"),
        ])
        .unwrap();
        let Backend::Hazelcast {
            primary,
            failover,
            backup_count,
            map_name,
            connect_timeout,
        } = &c.backend
        else {
            panic!("not hazelcast: {c:?}");
        };
        assert_eq!(primary.members, ["10.0.0.1:5701", "10.0.0.2:5701"]);
        assert_eq!(primary.cluster_name, "shop");
        assert_eq!(failover.as_ref().unwrap().cluster_name, "dev");
        assert_eq!(*backup_count, 1);
        assert_eq!(map_name, "spring:session:sessions");
        assert_eq!(*connect_timeout, DEFAULT_CONNECT_TIMEOUT);

        let c = config(&[
            ("HZ_MEMBERS", "h:1"),
            ("HZ_MAP_NAME", "shop-sessions"),
            ("HZ_CONNECT_TIMEOUT_SECS", "3"),
        ])
        .unwrap();
        let Backend::Hazelcast {
            map_name,
            connect_timeout,
            failover,
            ..
        } = &c.backend
        else {
            panic!("not hazelcast: {c:?}");
        };
        assert_eq!(map_name, "shop-sessions");
        assert_eq!(*connect_timeout, Duration::from_secs(3));
        assert!(failover.is_none());

        for bad in ["0", "x", "-1", "99999"] {
            assert!(matches!(
                config(&[("HZ_MEMBERS", "h:1"), ("HZ_CONNECT_TIMEOUT_SECS", bad)]),
                Err(ConfigError::ConnectTimeout(_))
            ));
        }
        assert!(matches!(
            config(&[("HZ_MEMBERS", "h:1"), ("HZ_MAP_NAME", " ")]),
            Err(ConfigError::MapName)
        ));

        assert!(config(&[("HZ_MEMBERS", "nohost")]).is_err());
        assert!(config(&[("HZ_MEMBERS", "")]).is_err());
        assert!(config(&[("HZ_FAILOVER_MEMBERS", "a:1")]).is_err());
        assert!(config(&[("PORT", "http")]).is_err());
        assert_eq!(config(&[("PORT", "0")]).unwrap().port, 0);
    }
}
