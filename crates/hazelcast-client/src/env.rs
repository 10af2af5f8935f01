//! [`ClientConfig::from_env`]: the client configuration from `HZ_*` environment variables,
//! the way operators configure a service.
//!
//! | variable | meaning | default |
//! | --- | --- | --- |
//! | `HZ_MEMBERS` | `host:port,...` of the cluster's members (required) | — |
//! | `HZ_CLUSTER_NAME` | the cluster's name | `dev` |
//! | `HZ_FAILOVER_MEMBERS` | `host:port,...` of a second cluster to fail over to | unset |
//! | `HZ_FAILOVER_CLUSTER_NAME` | the second cluster's name | `dev` |
//! | `HZ_CONNECT_TIMEOUT_SECS` | how long to try one cluster (1–3600) | 10 |
//! | `HZ_CLIENT_NAME` | this client's name, shown by the cluster | `hz.client.rust` |
//!
//! `HZ_CONNECT_TIMEOUT_SECS` bounds each member's TCP connect at 5 s; with a failover
//! cluster it is also how long the client tries one cluster before switching to the other
//! ([`ReconnectPolicy::cluster_connect_timeout`]), for [`FAILOVER_TRY_COUNT`] rounds. A
//! start-up that should give up when no cluster answers wraps the connect in
//! [`start_up_deadline`] (the session store's `from_env` does).
//!
//! A bad value is an [`EnvError`] naming the variable and what it should hold.

use std::time::Duration;

use crate::config::{ClientConfig, ClusterConfig, ReconnectPolicy};
use crate::error::ClientError;

/// The members of the cluster: `host:port,...`.
pub const HZ_MEMBERS: &str = "HZ_MEMBERS";
/// The cluster name.
pub const HZ_CLUSTER_NAME: &str = "HZ_CLUSTER_NAME";
/// The members of a failover cluster.
pub const HZ_FAILOVER_MEMBERS: &str = "HZ_FAILOVER_MEMBERS";
/// The failover cluster's name.
pub const HZ_FAILOVER_CLUSTER_NAME: &str = "HZ_FAILOVER_CLUSTER_NAME";
/// Seconds to try one cluster.
pub const HZ_CONNECT_TIMEOUT_SECS: &str = "HZ_CONNECT_TIMEOUT_SECS";
/// The client's name.
pub const HZ_CLIENT_NAME: &str = "HZ_CLIENT_NAME";

/// The cluster name when `HZ_CLUSTER_NAME` is unset (Hazelcast's default).
pub const DEFAULT_CLUSTER_NAME: &str = "dev";
/// How long one cluster is tried when `HZ_CONNECT_TIMEOUT_SECS` is unset.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Rounds over the primary and the failover cluster before the client starts over.
pub const FAILOVER_TRY_COUNT: u32 = 3;
/// The longest TCP connect timeout per member.
const MEMBER_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest member list accepted.
const MAX_MEMBERS: usize = 64;
/// Longest value quoted back in an error.
const MAX_QUOTED: usize = 200;

/// An environment variable is missing or holds something unusable. The message names the
/// variable and says what it must hold.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EnvError {
    /// A required variable is not set.
    #[error("{variable} is not set: set it to {expected}")]
    Missing {
        /// The variable.
        variable: &'static str,
        /// What it must hold.
        expected: &'static str,
    },
    /// A variable's value cannot be used.
    #[error("{variable}={value:?} is invalid: set it to {expected}")]
    Invalid {
        /// The variable.
        variable: &'static str,
        /// Its value (at most 200 characters of it).
        value: String,
        /// What it must hold.
        expected: &'static str,
    },
    /// The client refused the configuration the variables describe.
    #[error("the Hazelcast client refused the configuration from the environment")]
    Client(#[source] ClientError),
}

impl EnvError {
    /// An [`EnvError::Invalid`] quoting (the start of) `value`.
    pub fn invalid(variable: &'static str, value: &str, expected: &'static str) -> Self {
        Self::Invalid {
            variable,
            value: value.chars().take(MAX_QUOTED).collect(),
            expected,
        }
    }

    /// The variable at fault, if one is.
    pub fn variable(&self) -> Option<&'static str> {
        match self {
            Self::Missing { variable, .. } | Self::Invalid { variable, .. } => Some(variable),
            Self::Client(_) => None,
        }
    }
}

const MEMBERS_EXPECTED: &str = "a comma-separated list of host:port (at most 64)";

/// Parses a `host:port,...` list read from `variable`.
///
/// # Errors
/// [`EnvError::Invalid`] for an empty list, an entry without a host or a port number, or
/// more than 64 entries.
pub fn parse_members(variable: &'static str, value: &str) -> Result<Vec<String>, EnvError> {
    let error = || EnvError::invalid(variable, value, MEMBERS_EXPECTED);
    let list: Vec<String> = value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if list.is_empty() || list.len() > MAX_MEMBERS {
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

fn name(
    var: &impl Fn(&str) -> Option<String>,
    variable: &'static str,
    default: &str,
) -> Result<String, EnvError> {
    match var(variable) {
        None => Ok(default.to_owned()),
        Some(v) if v.trim().is_empty() || v.len() > 255 || v.chars().any(char::is_control) => Err(
            EnvError::invalid(variable, &v, "a name of 1 to 255 printable characters"),
        ),
        Some(v) => Ok(v.trim().to_owned()),
    }
}

/// How long one cluster is tried (`HZ_CONNECT_TIMEOUT_SECS`, default 10 s), read through
/// `var`.
///
/// # Errors
/// [`EnvError::Invalid`] unless it is a whole number of seconds from 1 to 3600.
pub fn connect_timeout_from_vars(
    var: impl Fn(&str) -> Option<String>,
) -> Result<Duration, EnvError> {
    match var(HZ_CONNECT_TIMEOUT_SECS) {
        None => Ok(DEFAULT_CONNECT_TIMEOUT),
        Some(s) => match s.trim().parse::<u64>() {
            Ok(secs @ 1..=3600) => Ok(Duration::from_secs(secs)),
            _ => Err(EnvError::invalid(
                HZ_CONNECT_TIMEOUT_SECS,
                &s,
                "a whole number of seconds from 1 to 3600",
            )),
        },
    }
}

/// How long a start-up from this configuration should wait for a cluster before giving
/// up: the connect timeout once per cluster of the failover list.
pub fn start_up_deadline(config: &ClientConfig, connect_timeout: Duration) -> Duration {
    let clusters = u32::try_from(config.clusters().len()).unwrap_or(u32::MAX);
    connect_timeout.saturating_mul(clusters.max(1))
}

impl ClientConfig {
    /// The configuration the `HZ_*` variables of the process environment describe (table
    /// in the [module docs](crate::env)); everything else keeps its default.
    ///
    /// ```
    /// use hazelcast_client::{ClientConfig, EnvError};
    ///
    /// // HZ_MEMBERS=10.0.0.1:5701,10.0.0.2:5701 HZ_CLUSTER_NAME=shop
    /// match ClientConfig::from_env() {
    ///     Ok(config) => println!("cluster {}", config.cluster.cluster_name),
    ///     Err(EnvError::Missing { variable, .. }) => assert_eq!(variable, "HZ_MEMBERS"),
    ///     Err(error) => panic!("{error}"),
    /// }
    /// ```
    ///
    /// # Errors
    /// [`EnvError`] naming the missing or bad variable.
    pub fn from_env() -> Result<Self, EnvError> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// As [`from_env`](Self::from_env), reading each variable through `var` (tests, or
    /// variables from another source).
    ///
    /// ```
    /// use std::collections::HashMap;
    /// use hazelcast_client::{ClientConfig, EnvError};
    ///
    /// let vars = HashMap::from([("HZ_MEMBERS", "10.0.0.1:5701"), ("HZ_CLUSTER_NAME", "shop")]);
    /// let config = ClientConfig::from_vars(|name| vars.get(name).map(|v| v.to_string()))?;
    /// assert_eq!(config.cluster.cluster_name, "shop");
    ///
    /// let error = ClientConfig::from_vars(|name| (name == "HZ_MEMBERS").then(|| "nohost".into()))
    ///     .unwrap_err();
    /// assert_eq!(error.variable(), Some("HZ_MEMBERS"));
    /// # Ok::<(), EnvError>(())
    /// ```
    ///
    /// # Errors
    /// [`EnvError`] naming the missing or bad variable.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, EnvError> {
        let members = match var(HZ_MEMBERS) {
            Some(value) => parse_members(HZ_MEMBERS, &value)?,
            None if var(HZ_FAILOVER_MEMBERS).is_some() => {
                return Err(EnvError::Missing {
                    variable: HZ_MEMBERS,
                    expected: "the primary cluster's host:port,... (HZ_FAILOVER_MEMBERS needs it)",
                });
            }
            None => {
                return Err(EnvError::Missing {
                    variable: HZ_MEMBERS,
                    expected: "the cluster's members as host:port,... (e.g. 127.0.0.1:5701)",
                });
            }
        };
        let connect_timeout = connect_timeout_from_vars(&var)?;
        let mut builder = ClientConfig::builder()
            .cluster_name(name(&var, HZ_CLUSTER_NAME, DEFAULT_CLUSTER_NAME)?)
            .addresses(members)
            .connect_timeout(connect_timeout.min(MEMBER_CONNECT_TIMEOUT));
        if var(HZ_CLIENT_NAME).is_some() {
            builder = builder.client_name(name(&var, HZ_CLIENT_NAME, "")?);
        }
        if let Some(value) = var(HZ_FAILOVER_MEMBERS) {
            let failover = parse_members(HZ_FAILOVER_MEMBERS, &value)?;
            let failover_name = name(&var, HZ_FAILOVER_CLUSTER_NAME, DEFAULT_CLUSTER_NAME)?;
            builder = builder
                .reconnect(ReconnectPolicy {
                    cluster_connect_timeout: Some(connect_timeout),
                    ..ReconnectPolicy::default()
                })
                .failover(
                    FAILOVER_TRY_COUNT,
                    [ClusterConfig::new(failover_name, failover)],
                );
        }
        builder.build().map_err(EnvError::Client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config(vars: &[(&str, &str)]) -> Result<ClientConfig, EnvError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ClientConfig::from_vars(|name| vars.get(name).cloned())
    }

    fn variable_of(result: Result<ClientConfig, EnvError>) -> Option<&'static str> {
        result.err().and_then(|e| e.variable())
    }

    #[test]
    fn single_cluster() {
        let c = config(&[
            ("HZ_MEMBERS", "a:5701, b:5701"),
            ("HZ_CLUSTER_NAME", "shop"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.cluster.cluster_name, "shop");
        assert_eq!(c.cluster.addresses, ["a:5701", "b:5701"]);
        assert_eq!(c.connect_timeout, MEMBER_CONNECT_TIMEOUT);
        assert_eq!(c.clusters().len(), 1);
        assert_eq!(c.effective_cluster_connect_timeout(), None);
        assert_eq!(c.client_name, ClientConfig::default().client_name);
        assert_eq!(
            start_up_deadline(&c, DEFAULT_CONNECT_TIMEOUT),
            DEFAULT_CONNECT_TIMEOUT
        );
    }

    #[test]
    fn failover_and_timeouts() {
        let c = config(&[
            ("HZ_MEMBERS", "a:5701"),
            ("HZ_FAILOVER_MEMBERS", "z:5701"),
            ("HZ_FAILOVER_CLUSTER_NAME", "dr"),
            ("HZ_CONNECT_TIMEOUT_SECS", "3"),
            ("HZ_CLIENT_NAME", "shop"),
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        let clusters = c.clusters();
        assert_eq!(clusters[0].cluster_name, "dev");
        assert_eq!(clusters[1].cluster_name, "dr");
        assert_eq!(clusters[1].addresses, ["z:5701"]);
        assert_eq!(c.connect_timeout, Duration::from_secs(3));
        assert_eq!(
            c.effective_cluster_connect_timeout(),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            c.failover.as_ref().map(|f| f.try_count),
            Some(FAILOVER_TRY_COUNT)
        );
        assert_eq!(c.client_name, "shop");
        assert_eq!(
            start_up_deadline(&c, Duration::from_secs(3)),
            Duration::from_secs(6)
        );
    }

    #[test]
    fn errors_name_the_variable() {
        assert_eq!(variable_of(config(&[])), Some("HZ_MEMBERS"));
        assert_eq!(
            variable_of(config(&[("HZ_FAILOVER_MEMBERS", "a:1")])),
            Some("HZ_MEMBERS")
        );
        for bad in ["", "nohost", ":5701", "h:port", "h:70000", " , "] {
            assert_eq!(
                variable_of(config(&[("HZ_MEMBERS", bad)])),
                Some("HZ_MEMBERS"),
                "{bad:?}"
            );
        }
        for bad in ["0", "x", "-1", "99999"] {
            assert_eq!(
                variable_of(config(&[
                    ("HZ_MEMBERS", "h:1"),
                    ("HZ_CONNECT_TIMEOUT_SECS", bad)
                ])),
                Some("HZ_CONNECT_TIMEOUT_SECS")
            );
        }
        assert_eq!(
            variable_of(config(&[
                ("HZ_MEMBERS", "h:1"),
                ("HZ_FAILOVER_MEMBERS", "x")
            ])),
            Some("HZ_FAILOVER_MEMBERS")
        );
        assert_eq!(
            variable_of(config(&[("HZ_MEMBERS", "h:1"), ("HZ_CLUSTER_NAME", " ")])),
            Some("HZ_CLUSTER_NAME")
        );
        let long = "h:1,".repeat(10_000);
        let error = config(&[("HZ_MEMBERS", &long)])
            .err()
            .map(|e| e.to_string());
        let text = error.unwrap_or_default();
        assert!(
            text.starts_with("HZ_MEMBERS=") && text.len() < 400,
            "{text}"
        );
        assert!(text.contains("host:port"), "{text}");
    }
}
