//! Shop configuration from environment variables.
//!
//! | variable | meaning | default |
//! | --- | --- | --- |
//! | `PORT` | port on 127.0.0.1 (0 = any free port) | 8080 |
//! | `HZ_MEMBERS` | `host:port,...` of a Hazelcast cluster; unset = in-memory store | unset |
//! | `HZ_CLUSTER_NAME` | that cluster's name | `dev` |
//! | `HZ_FAILOVER_MEMBERS` | `host:port,...` of a second cluster to fail over to | unset |
//! | `HZ_FAILOVER_CLUSTER_NAME` | the second cluster's name | `dev` |

use std::sync::Arc;

use session_axum::{
    ConcurrentSessions, MemorySessionRepository, SessionManager, SessionRepository,
};

/// The default port.
pub const DEFAULT_PORT: u16 = 8080;
/// The default Hazelcast cluster name.
pub const DEFAULT_CLUSTER_NAME: &str = "dev";
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
    /// The Hazelcast backend is configured but not part of this build.
    #[error(
        "Hazelcast backend not built yet: unset HZ_MEMBERS to run the shop on the in-memory store"
    )]
    HazelcastNotBuilt,
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
        backup_count: u32,
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
            (Some(primary), failover) => Backend::Hazelcast {
                primary,
                failover,
                backup_count: 1,
            },
        };
        Ok(Self { port, backend })
    }

    /// The session repository for the configured backend.
    pub fn repository(&self) -> Result<Arc<dyn SessionRepository>, ConfigError> {
        match &self.backend {
            Backend::Memory => Ok(Arc::new(MemorySessionRepository::new())),
            Backend::Hazelcast { .. } => Err(ConfigError::HazelcastNotBuilt),
        }
    }

    /// The session manager the shop runs: Spring's cookie defaults, at most
    /// [`MAX_SESSIONS_PER_USER`] sessions per user (the oldest is ended).
    pub fn session_manager(&self) -> Result<SessionManager, ConfigError> {
        Ok(shop_manager(self.repository()?))
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
        assert!(c.session_manager().is_ok());
    }

    #[test]
    fn hazelcast_settings_parse_and_fail_clearly() {
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
        } = &c.backend
        else {
            panic!("not hazelcast: {c:?}");
        };
        assert_eq!(primary.members, ["10.0.0.1:5701", "10.0.0.2:5701"]);
        assert_eq!(primary.cluster_name, "shop");
        assert_eq!(failover.as_ref().unwrap().cluster_name, "dev");
        assert_eq!(*backup_count, 1);
        let error = c.repository().err().unwrap().to_string();
        assert!(error.contains("Hazelcast backend not built yet"), "{error}");

        assert!(config(&[("HZ_MEMBERS", "nohost")]).is_err());
        assert!(config(&[("HZ_MEMBERS", "")]).is_err());
        assert!(config(&[("HZ_FAILOVER_MEMBERS", "a:1")]).is_err());
        assert!(config(&[("PORT", "http")]).is_err());
        assert_eq!(config(&[("PORT", "0")]).unwrap().port, 0);
    }
}
