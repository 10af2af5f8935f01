//! The session store from `HZ_*` environment variables:
//! [`HazelcastSessionRepository::from_env`] and [`HazelcastRepositoryBuilder::from_env`].
//!
//! The client's variables ([`hazelcast_client::env`]: `HZ_MEMBERS`, `HZ_CLUSTER_NAME`,
//! `HZ_FAILOVER_MEMBERS`, `HZ_FAILOVER_CLUSTER_NAME`, `HZ_CONNECT_TIMEOUT_SECS`,
//! `HZ_CLIENT_NAME`) and the store's:
//!
//! | variable | meaning | default |
//! | --- | --- | --- |
//! | `HZ_MAP_NAME` | the session map | `spring:session:sessions` |
//! | `HZ_MAP_BACKUP_COUNT` | synchronous backups of the session map (0–6) | 1 |
//! | `HZ_LOCAL_CACHE` | the [local cache](crate#local-cache): `on` or `off` (also `true`/`false`, `1`/`0`) | `on` |
//! | `HZ_LOCAL_CACHE_CAPACITY` | records the local cache holds (0 to 100,000,000) | 100,000 |
//!
//! Start-up gives up when no cluster answered within the connect timeout per cluster
//! ([`BuildError::Unreachable`]), instead of waiting for the cluster forever.

use hazelcast_client::ClientConfig;
use hazelcast_client::env::{EnvError, connect_timeout_from_vars, start_up_deadline};

use crate::builder::{BuildError, HazelcastRepositoryBuilder};
use crate::map_config::SessionMapConfig;
use crate::repository::HazelcastSessionRepository;

/// The session map's name.
pub const HZ_MAP_NAME: &str = "HZ_MAP_NAME";
/// The session map's synchronous backup count.
pub const HZ_MAP_BACKUP_COUNT: &str = "HZ_MAP_BACKUP_COUNT";
/// The local cache switch ([`HazelcastRepositoryBuilder::local_cache`]).
pub const HZ_LOCAL_CACHE: &str = "HZ_LOCAL_CACHE";
/// The local cache's capacity ([`HazelcastRepositoryBuilder::local_cache_capacity`]).
pub const HZ_LOCAL_CACHE_CAPACITY: &str = "HZ_LOCAL_CACHE_CAPACITY";

/// The largest `HZ_LOCAL_CACHE_CAPACITY`.
const MAX_CAPACITY: usize = 100_000_000;

impl HazelcastRepositoryBuilder {
    /// A builder configured from the process environment (see the [module docs](crate::env)),
    /// to adjust further before [`build`](Self::build).
    ///
    /// # Errors
    /// [`EnvError`] naming the missing or bad variable.
    pub fn from_env() -> Result<Self, EnvError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// As [`from_env`](Self::from_env), reading each variable through `var`.
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use session_hazelcast::HazelcastRepositoryBuilder;
    ///
    /// let vars = HashMap::from([("HZ_MEMBERS", "10.0.0.1:5701"), ("HZ_MAP_BACKUP_COUNT", "2")]);
    /// let builder = HazelcastRepositoryBuilder::from_vars(|name| vars.get(name).map(|v| v.to_string()))?;
    /// assert_eq!(builder.effective_map_config().backup_count, 2);
    ///
    /// let bad = HashMap::from([("HZ_MEMBERS", "10.0.0.1:5701"), ("HZ_MAP_BACKUP_COUNT", "seven")]);
    /// let error = HazelcastRepositoryBuilder::from_vars(|name| bad.get(name).map(|v| v.to_string()))
    ///     .unwrap_err();
    /// assert_eq!(error.variable(), Some("HZ_MAP_BACKUP_COUNT"));
    ///
    /// // The local cache, switched on by the operator.
    /// let cached = HashMap::from([
    ///     ("HZ_MEMBERS", "10.0.0.1:5701"),
    ///     ("HZ_LOCAL_CACHE", "on"),
    ///     ("HZ_LOCAL_CACHE_CAPACITY", "50_000"),
    /// ]);
    /// let builder = HazelcastRepositoryBuilder::from_vars(|name| cached.get(name).map(|v| v.to_string()))?;
    /// assert!(builder.describe().ends_with("local cache on (50000 records)"));
    /// # Ok::<(), hazelcast_client::EnvError>(())
    /// ```
    ///
    /// # Errors
    /// [`EnvError`] naming the missing or bad variable.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, EnvError> {
        let config = ClientConfig::from_vars(&var)?;
        let deadline = start_up_deadline(&config, connect_timeout_from_vars(&var)?);
        let mut builder = HazelcastSessionRepository::builder(config).start_up_deadline(deadline);
        if let Some(name) = var(HZ_MAP_NAME) {
            if name.trim().is_empty() || name.len() > 255 || name.chars().any(char::is_control) {
                return Err(EnvError::invalid(
                    HZ_MAP_NAME,
                    &name,
                    "a map name of 1 to 255 printable characters",
                ));
            }
            builder = builder.map_name(name.trim());
        }
        if let Some(count) = var(HZ_MAP_BACKUP_COUNT) {
            let n = count
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|n| *n <= 6)
                .ok_or_else(|| {
                    EnvError::invalid(HZ_MAP_BACKUP_COUNT, &count, "a number from 0 to 6")
                })?;
            builder = builder.map_config(SessionMapConfig::default().with_backup_count(n));
        }
        if let Some(switch) = var(HZ_LOCAL_CACHE) {
            let on = match switch.trim().to_ascii_lowercase().as_str() {
                "on" | "true" | "1" => true,
                "off" | "false" | "0" => false,
                _ => return Err(EnvError::invalid(HZ_LOCAL_CACHE, &switch, "on or off")),
            };
            builder = builder.local_cache(on);
        }
        if let Some(capacity) = var(HZ_LOCAL_CACHE_CAPACITY) {
            let n = capacity
                .trim()
                .replace('_', "")
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= MAX_CAPACITY)
                .ok_or_else(|| {
                    EnvError::invalid(
                        HZ_LOCAL_CACHE_CAPACITY,
                        &capacity,
                        "a number of records from 0 to 100000000",
                    )
                })?;
            builder = builder.local_cache_capacity(n);
        }
        Ok(builder)
    }
}

impl HazelcastSessionRepository {
    /// Connects to the cluster the `HZ_*` variables name (see the [module docs](crate::env))
    /// and starts the repository with the defaults, giving up when no cluster answers
    /// within the connect timeout.
    ///
    /// ```no_run
    /// use session_hazelcast::HazelcastSessionRepository;
    ///
    /// # async fn demo() -> Result<(), session_hazelcast::BuildError> {
    /// // HZ_MEMBERS=127.0.0.1:5701 HZ_CLUSTER_NAME=dev
    /// let sessions = HazelcastSessionRepository::from_env().await?;
    /// # let _ = sessions;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// [`BuildError::Environment`] naming a missing or bad variable,
    /// [`BuildError::Unreachable`] when no cluster answered in time, others as
    /// [`HazelcastRepositoryBuilder::build`].
    pub async fn from_env() -> Result<Self, BuildError> {
        HazelcastRepositoryBuilder::from_env()?.build().await
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn builder(vars: &[(&str, &str)]) -> Result<HazelcastRepositoryBuilder, EnvError> {
        let mut all: HashMap<&str, &str> = vars.iter().copied().collect();
        all.insert("HZ_MEMBERS", "10.0.0.1:5701");
        HazelcastRepositoryBuilder::from_vars(|name| all.get(name).map(|v| (*v).to_owned()))
    }

    #[test]
    fn the_local_cache_is_on_unless_switched_off() {
        let line = builder(&[]).unwrap().describe();
        assert!(line.ends_with("local cache on (100000 records)"), "{line}");
        for on in ["on", "ON", " true ", "1"] {
            let line = builder(&[(HZ_LOCAL_CACHE, on)]).unwrap().describe();
            assert!(
                line.ends_with("local cache on (100000 records)"),
                "{on}: {line}"
            );
        }
        for off in ["off", "False", "0"] {
            let line = builder(&[(HZ_LOCAL_CACHE, off)]).unwrap().describe();
            assert!(line.ends_with("local cache off"), "{off}: {line}");
        }
    }

    #[test]
    fn the_local_cache_sizes_come_from_the_environment() {
        let line = builder(&[(HZ_LOCAL_CACHE, "on"), (HZ_LOCAL_CACHE_CAPACITY, "250_000")])
            .unwrap()
            .describe();
        assert!(line.ends_with("local cache on (250000 records)"), "{line}");
        // Capacity 0 keeps nothing: the cache is off in effect.
        let line = builder(&[(HZ_LOCAL_CACHE, "on"), (HZ_LOCAL_CACHE_CAPACITY, "0")])
            .unwrap()
            .describe();
        assert!(line.ends_with("local cache off"), "{line}");
    }

    #[test]
    fn bad_local_cache_values_name_their_variable() {
        for (variable, value) in [
            (HZ_LOCAL_CACHE, "yes please"),
            (HZ_LOCAL_CACHE, ""),
            (HZ_LOCAL_CACHE_CAPACITY, "-1"),
            (HZ_LOCAL_CACHE_CAPACITY, "100000001"),
            (HZ_LOCAL_CACHE_CAPACITY, "lots"),
            (HZ_LOCAL_CACHE_CAPACITY, "99999999999999999999999"),
        ] {
            let error = builder(&[(variable, value)]).unwrap_err();
            assert_eq!(error.variable(), Some(variable), "{variable}={value:?}");
        }
    }
}
