//! Shop configuration from environment variables.
//!
//! | variable | meaning | default |
//! | --- | --- | --- |
//! | `PORT` | port on 127.0.0.1 (0 = any free port) | 8080 |
//! | `HZ_MEMBERS` | `host:port,...` of a Hazelcast cluster; unset = in-memory store | unset |
//!
//! With `HZ_MEMBERS` set, the Hazelcast variables are read by the libraries, as any app
//! would: the client's (`HZ_CLUSTER_NAME`, `HZ_FAILOVER_MEMBERS`,
//! `HZ_FAILOVER_CLUSTER_NAME`, `HZ_CONNECT_TIMEOUT_SECS`, `HZ_CLIENT_NAME`, see
//! `hazelcast_client::env`) and the session store's (`HZ_MAP_NAME`, `HZ_MAP_BACKUP_COUNT`,
//! `HZ_LOCAL_CACHE`, `HZ_LOCAL_CACHE_CAPACITY`, see `session_hazelcast::env`). The shop names its client `shop` unless
//! `HZ_CLIENT_NAME` says otherwise, and stores the basket as the Spring shop's Compact
//! records ([`crate::basket`]). See [`crate::backend`] for how the store is built.

use std::sync::Arc;
use std::time::Duration;

use hazelcast_client::ClientConfig;
use hazelcast_client::env::{EnvError, HZ_CLIENT_NAME, HZ_FAILOVER_MEMBERS, HZ_MEMBERS};
use session_axum::{ConcurrentSessions, SessionManager, SessionRepository};
use session_hazelcast::HazelcastRepositoryBuilder;

/// The default port.
pub const DEFAULT_PORT: u16 = 8080;
/// The client name the shop gives itself unless `HZ_CLIENT_NAME` is set.
pub const CLIENT_NAME: &str = "shop";
/// At most this many sessions per user.
pub const MAX_SESSIONS_PER_USER: usize = 2;

/// Invalid or unsupported configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `PORT` is not a port number.
    #[error("PORT must be a number from 0 to 65535, got {0:?}")]
    Port(String),
    /// A Hazelcast variable is missing or invalid (the message names it).
    #[error(transparent)]
    Environment(#[from] EnvError),
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

/// Where sessions are stored.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Backend {
    /// The in-memory repository (one process only).
    Memory,
    /// A Hazelcast cluster (optionally with a failover cluster), as the `HZ_*` variables
    /// describe it.
    Hazelcast {
        /// The session store, ready to connect.
        store: Box<HazelcastRepositoryBuilder>,
        /// The primary cluster's name (for the pages' "session stored in" line).
        cluster_name: String,
    },
}

impl Backend {
    /// Where the session is kept, for the line every page shows.
    pub fn label(&self) -> String {
        match self {
            Backend::Memory => "this process (memory)".to_owned(),
            Backend::Hazelcast { cluster_name, .. } => format!("Hazelcast cluster {cluster_name}"),
        }
    }
}

/// The shop's configuration.
#[derive(Debug, Clone)]
pub struct ShopConfig {
    /// Port on 127.0.0.1.
    pub port: u16,
    /// Session store.
    pub backend: Backend,
}

impl ShopConfig {
    /// Reads the configuration from the process environment.
    ///
    /// # Errors
    /// [`ConfigError`] naming the bad variable.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `var` (for tests).
    ///
    /// # Errors
    /// [`ConfigError`] naming the bad variable.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let port = match var("PORT") {
            None => DEFAULT_PORT,
            Some(p) => p.trim().parse().map_err(|_| ConfigError::Port(p))?,
        };
        if var(HZ_MEMBERS).is_none() && var(HZ_FAILOVER_MEMBERS).is_none() {
            return Ok(Self {
                port,
                backend: Backend::Memory,
            });
        }
        let var = |name: &str| match var(name) {
            None if name == HZ_CLIENT_NAME => Some(CLIENT_NAME.to_owned()),
            value => value,
        };
        let cluster_name = ClientConfig::from_vars(var)?.cluster.cluster_name;
        let store = HazelcastRepositoryBuilder::from_vars(var)?
            .compact_record_types(crate::basket::record_types());
        Ok(Self {
            port,
            backend: Backend::Hazelcast {
                store: Box::new(store),
                cluster_name,
            },
        })
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
    /// [`MAX_SESSIONS_PER_USER`] sessions per user (the oldest is ended). Sets the pages'
    /// "session stored in" line to this backend.
    ///
    /// # Errors
    /// As [`repository`](Self::repository).
    pub async fn session_manager(&self) -> Result<SessionManager, ConfigError> {
        let manager = shop_manager(self.repository().await?);
        crate::pages::set_store_label(&self.backend.label());
        Ok(manager)
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

    fn bad_variable(result: Result<ShopConfig, ConfigError>) -> Option<&'static str> {
        match result {
            Err(ConfigError::Environment(e)) => e.variable(),
            _ => None,
        }
    }

    #[test]
    fn defaults_to_memory_on_8080() {
        let c = config(&[]).unwrap();
        assert_eq!(c.port, 8080);
        assert!(matches!(c.backend, Backend::Memory));
        assert_eq!(c.backend.label(), "this process (memory)");
    }

    #[test]
    fn hazelcast_settings_come_from_the_libraries() {
        let c = config(&[
            ("HZ_MEMBERS", "10.0.0.1:5701, 10.0.0.2:5701"),
            ("HZ_CLUSTER_NAME", "shop"),
            ("HZ_FAILOVER_MEMBERS", "dr:5701"),
            ("HZ_MAP_NAME", "shop-sessions"),
            ("HZ_LOCAL_CACHE", "on"),
        ])
        .unwrap();
        let Backend::Hazelcast { store, .. } = &c.backend else {
            panic!("not hazelcast: {c:?}");
        };
        assert_eq!(c.backend.label(), "Hazelcast cluster shop");
        let line = store.describe();
        assert!(
            line.contains("cluster \"shop\" at 10.0.0.1:5701,10.0.0.2:5701"),
            "{line}"
        );
        assert!(
            line.contains("failing over to cluster \"dev\" at dr:5701"),
            "{line}"
        );
        assert!(
            line.contains("map \"shop-sessions\", backup count 1, local cache on"),
            "{line}"
        );

        for bad in ["0", "x", "-1", "99999"] {
            assert_eq!(
                bad_variable(config(&[
                    ("HZ_MEMBERS", "h:1"),
                    ("HZ_CONNECT_TIMEOUT_SECS", bad)
                ])),
                Some("HZ_CONNECT_TIMEOUT_SECS")
            );
        }
        assert_eq!(
            bad_variable(config(&[("HZ_MEMBERS", "h:1"), ("HZ_MAP_NAME", " ")])),
            Some("HZ_MAP_NAME")
        );
        assert_eq!(
            bad_variable(config(&[("HZ_MEMBERS", "nohost")])),
            Some("HZ_MEMBERS")
        );
        assert_eq!(
            bad_variable(config(&[("HZ_MEMBERS", "")])),
            Some("HZ_MEMBERS")
        );
        assert_eq!(
            bad_variable(config(&[("HZ_FAILOVER_MEMBERS", "a:1")])),
            Some("HZ_MEMBERS")
        );
        assert!(config(&[("PORT", "http")]).is_err());
        assert_eq!(config(&[("PORT", "0")]).unwrap().port, 0);
    }
}
