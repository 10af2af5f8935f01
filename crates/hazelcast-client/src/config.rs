//! Client configuration as typed Rust, with Java's defaults, and its builder.

use std::time::Duration;

use crate::error::ClientError;

/// How requests reach the cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RoutingMode {
    /// One connection per member; key-based requests go to the partition owner (default).
    #[default]
    Smart,
    /// One connection to one member, which forwards requests (Java's "unisocket").
    SingleConnection,
}

/// Username and password for the member's simple authentication.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// One cluster to connect to: its name, seed addresses and credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    /// Cluster name (Java default `"dev"`).
    pub cluster_name: String,
    /// Seed addresses, `host:port` or `host` (port 5701).
    pub addresses: Vec<String>,
    /// Optional username/password.
    pub credentials: Option<Credentials>,
}

impl ClusterConfig {
    /// A cluster with this name and these seed addresses, without credentials.
    pub fn new(
        cluster_name: impl Into<String>,
        addresses: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            cluster_name: cluster_name.into(),
            addresses: addresses.into_iter().map(Into::into).collect(),
            credentials: None,
        }
    }

    /// Sets username and password.
    pub fn with_credentials(
        mut self,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        self.credentials = Some(Credentials {
            username: username.into(),
            password: password.into(),
        });
        self
    }
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self::new("dev", ["127.0.0.1:5701"])
    }
}

/// Backoff between attempts to connect to a cluster (Java's `ConnectionRetryConfig`).
///
/// Sleep = `b + b·jitter·(2·rand−1)` capped by the time left, then `b = min(b·multiplier, max)`.
///
/// The defaults differ from Java's (1 s growing by 1.05 to 30 s, no jitter) because a web
/// application's sessions are the client's main use: 100 ms growing by 1.5 to at most
/// 500 ms, with ±20 % jitter. A lost cluster is then found again within about half a second
/// of a member being up (the session store's target is service back within 2 s, and a
/// fresh member answers its first calls slowly), and a fleet of application instances does
/// not reconnect in lockstep. Two attempts per second per instance are cheap for a member
/// (a refused TCP connect, or a "not ready yet" answer while it starts).
#[derive(Debug, Clone, PartialEq)]
pub struct ReconnectPolicy {
    /// First backoff (default 100 ms; Java 1000 ms).
    pub initial_backoff: Duration,
    /// Backoff ceiling (default 500 ms; Java 30000 ms).
    pub max_backoff: Duration,
    /// Growth factor (default 1.5; Java 1.05).
    pub multiplier: f64,
    /// Jitter in `[0, 1]` (default 0.2; Java 0).
    pub jitter: f64,
    /// How long to keep trying one cluster; `None` = forever (Java −1), except that with a
    /// failover list Java's default of 120 s applies.
    pub cluster_connect_timeout: Option<Duration>,
}

impl Default for ReconnectPolicy {
    fn default() -> Self {
        Self {
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(500),
            multiplier: 1.5,
            jitter: 0.2,
            cluster_connect_timeout: None,
        }
    }
}

/// What to do when the connection to the cluster is lost.
///
/// With `On` the client never shuts itself down because clusters were unreachable, nor
/// because a member refused its authentication during a reconnect: it keeps trying with
/// the [`ReconnectPolicy`]'s backoff (and goes through the failover list, round after
/// round). While it has no connection, calls fail at once with
/// [`ClientError::Offline`] unless
/// [`ClientConfig::offline_wait`] lets them wait (the official clients' `ASYNC` reconnect
/// mode is this client's default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReconnectMode {
    /// Reconnect in the background, for as long as it takes (default).
    #[default]
    On,
    /// Shut the client down.
    Off,
}

/// An ordered list of alternative clusters with Java's failover meaning.
///
/// When the current cluster cannot be reached within its cluster connect timeout, the client
/// tries the others round-robin, starting with the next one, for `try_count` rounds over the
/// whole list; if none answers, it shuts down. Data is **not** shared between clusters
/// unless the clusters replicate it themselves (WAN replication, an Enterprise feature);
/// after a failover the client sees the other cluster's data.
///
/// Unlike Java's failover client, this client also accepts open-source clusters, which
/// report `failoverSupported = false`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailoverConfig {
    /// Alternative clusters, tried after the primary one, in order.
    pub alternatives: Vec<ClusterConfig>,
    /// Rounds over all clusters before giving up (Java default `i32::MAX`).
    pub try_count: u32,
}

/// The whole client configuration. Build it with [`ClientConfig::builder`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The primary cluster.
    pub cluster: ClusterConfig,
    /// Smart (default) or single-connection routing.
    pub routing: RoutingMode,
    /// TCP connect timeout per member (Java 5 s).
    pub connect_timeout: Duration,
    /// How long a call waits for a connection when the client has none (it is
    /// reconnecting). Default zero: the call fails at once with
    /// [`ClientError::Offline`], as the official clients'
    /// `ASYNC` reconnect mode, so that callers with their own deadline (a web request) are
    /// never held for the invocation timeout. Java's `ON` mode is `invocation_timeout`.
    pub offline_wait: Duration,
    /// Start without waiting for the cluster: [`Client::connect`](crate::Client::connect)
    /// returns at once and connects in the background (calls meanwhile behave as while
    /// offline). Default false: start-up fails within the cluster connect timeout with a
    /// clear error.
    pub async_start: bool,
    /// With a failover list: how long every address of the current cluster may refuse
    /// connections (TCP connection refused: nothing listens there) before the client moves
    /// on to the next cluster, instead of waiting for the whole cluster connect timeout
    /// (default 200 ms). A timeout or any other failure is a weaker signal and waits for the
    /// cluster connect timeout.
    pub failover_on_refusal_after: Duration,
    /// Time an invocation may take, retries included (Java 120 s).
    pub invocation_timeout: Duration,
    /// Longest pause between retries (Java 1 s).
    pub retry_pause: Duration,
    /// Heartbeat interval (Java 5 s).
    pub heartbeat_interval: Duration,
    /// A connection silent for this long is closed (Java 60 s).
    pub heartbeat_timeout: Duration,
    /// Backoff when connecting to a cluster.
    pub reconnect: ReconnectPolicy,
    /// What to do when all connections are lost.
    pub reconnect_mode: ReconnectMode,
    /// Whether writes wait for backup acknowledgements (smart routing only; Java true).
    pub backup_acks: bool,
    /// How long to wait for missing backup acks before completing normally (Java 5 s).
    /// While the client has no connection to some data member (one that has just joined,
    /// during a rolling restart) the wait is at most 250 ms: a member drops the backup acks
    /// of clients not connected to it, so those acks would never come.
    pub backup_ack_timeout: Duration,
    /// Re-send non-idempotent requests after a disconnect (Java `redoOperation`, false).
    pub redo_operation: bool,
    /// Alternative clusters.
    pub failover: Option<FailoverConfig>,
    /// Name of this client instance, sent at authentication.
    pub client_name: String,
    /// Labels sent at authentication.
    pub labels: Vec<String>,
    /// Events buffered per entry-listener stream before new ones are dropped.
    pub listener_buffer: usize,
    /// How often the client sends its statistics to the cluster (`Client.Statistics`: name,
    /// type, version, a few metrics), so that Management Center lists it; `None` turns
    /// them off. On by default every 5 s, as the official clients' metrics.
    pub statistics_period: Option<Duration>,
}

impl Default for ClientConfig {
    fn default() -> Self {
        Self {
            cluster: ClusterConfig::default(),
            routing: RoutingMode::Smart,
            connect_timeout: Duration::from_secs(5),
            offline_wait: Duration::ZERO,
            async_start: false,
            failover_on_refusal_after: Duration::from_millis(200),
            invocation_timeout: Duration::from_secs(120),
            retry_pause: Duration::from_millis(1000),
            heartbeat_interval: Duration::from_secs(5),
            heartbeat_timeout: Duration::from_secs(60),
            reconnect: ReconnectPolicy::default(),
            reconnect_mode: ReconnectMode::On,
            backup_acks: true,
            backup_ack_timeout: Duration::from_millis(5000),
            redo_operation: false,
            failover: None,
            client_name: "hz.client.rust".into(),
            labels: Vec::new(),
            listener_buffer: 1024,
            statistics_period: Some(Duration::from_secs(5)),
        }
    }
}

impl ClientConfig {
    /// A builder starting from the defaults.
    pub fn builder() -> ClientConfigBuilder {
        ClientConfigBuilder {
            config: ClientConfig::default(),
        }
    }

    /// The clusters in failover order: the primary, then the alternatives.
    pub fn clusters(&self) -> Vec<ClusterConfig> {
        let mut v = vec![self.cluster.clone()];
        if let Some(f) = &self.failover {
            v.extend(f.alternatives.iter().cloned());
        }
        v
    }

    /// The cluster connect timeout in effect: the configured one, else 120 s with a
    /// failover list (Java's failover default), else forever.
    pub fn effective_cluster_connect_timeout(&self) -> Option<Duration> {
        match (self.reconnect.cluster_connect_timeout, &self.failover) {
            (Some(t), _) => Some(t),
            (None, Some(_)) => Some(Duration::from_secs(120)),
            (None, None) => None,
        }
    }

    /// Checks the configuration for values the client cannot work with.
    ///
    /// # Errors
    /// [`ClientError::Config`] naming the problem.
    pub fn validate(&self) -> Result<(), ClientError> {
        let bad = |m: &str| Err(ClientError::Config(m.to_owned()));
        for c in self.clusters() {
            if c.addresses.is_empty() {
                return bad("a cluster has no addresses");
            }
        }
        if self.heartbeat_interval.is_zero() || self.heartbeat_timeout.is_zero() {
            return bad("heartbeat interval and timeout must be positive");
        }
        if self.statistics_period.is_some_and(|p| p.is_zero()) {
            return bad("statistics period must be positive (None turns statistics off)");
        }
        if self.invocation_timeout.is_zero() {
            return bad("invocation timeout must be positive");
        }
        if self.reconnect.multiplier.is_nan()
            || self.reconnect.multiplier < 1.0
            || !(0.0..=1.0).contains(&self.reconnect.jitter)
        {
            return bad("reconnect multiplier must be >= 1 and jitter in [0, 1]");
        }
        if self.listener_buffer == 0 {
            return bad("listener buffer must hold at least one event");
        }
        if let Some(f) = &self.failover {
            if f.try_count == 0 {
                return bad("failover try count must be at least 1");
            }
            if self.reconnect_mode == ReconnectMode::Off {
                return bad("failover needs reconnect mode On (as in Java)");
            }
        }
        Ok(())
    }
}

/// Builder of [`ClientConfig`].
#[derive(Debug, Clone)]
pub struct ClientConfigBuilder {
    config: ClientConfig,
}

impl ClientConfigBuilder {
    /// Cluster name of the primary cluster.
    pub fn cluster_name(mut self, name: impl Into<String>) -> Self {
        self.config.cluster.cluster_name = name.into();
        self
    }
    /// Seed addresses of the primary cluster (replaces the default `127.0.0.1:5701`).
    pub fn addresses(mut self, addresses: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.config.cluster.addresses = addresses.into_iter().map(Into::into).collect();
        self
    }
    /// Username and password for the primary cluster.
    pub fn credentials(mut self, username: impl Into<String>, password: impl Into<String>) -> Self {
        self.config.cluster = self.config.cluster.with_credentials(username, password);
        self
    }
    /// Smart or single-connection routing.
    pub fn routing(mut self, routing: RoutingMode) -> Self {
        self.config.routing = routing;
        self
    }
    /// TCP connect timeout.
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.config.connect_timeout = t;
        self
    }
    /// Invocation timeout.
    pub fn invocation_timeout(mut self, t: Duration) -> Self {
        self.config.invocation_timeout = t;
        self
    }
    /// Longest pause between invocation retries.
    pub fn retry_pause(mut self, t: Duration) -> Self {
        self.config.retry_pause = t;
        self
    }
    /// How long calls wait for a connection while the client has none (default zero:
    /// fail at once with [`ClientError::Offline`]).
    pub fn offline_wait(mut self, t: Duration) -> Self {
        self.config.offline_wait = t;
        self
    }
    /// Connect in the background instead of failing start-up when no cluster answers.
    pub fn async_start(mut self, on: bool) -> Self {
        self.config.async_start = on;
        self
    }
    /// How long all addresses of a cluster may refuse connections before failing over.
    pub fn failover_on_refusal_after(mut self, t: Duration) -> Self {
        self.config.failover_on_refusal_after = t;
        self
    }
    /// The heartbeat timeout alone: a connection that received nothing for this long is
    /// closed and the client stops using its member (Java 60 s). A silent member (paused
    /// VM, network partition) keeps its partitions until the cluster removes it; calls
    /// routed to it fail by their own deadline meanwhile.
    pub fn heartbeat_timeout(mut self, timeout: Duration) -> Self {
        self.config.heartbeat_timeout = timeout;
        self
    }
    /// Heartbeat interval and timeout.
    pub fn heartbeat(mut self, interval: Duration, timeout: Duration) -> Self {
        self.config.heartbeat_interval = interval;
        self.config.heartbeat_timeout = timeout;
        self
    }
    /// Cluster connection backoff.
    pub fn reconnect(mut self, policy: ReconnectPolicy) -> Self {
        self.config.reconnect = policy;
        self
    }
    /// Reconnect mode.
    pub fn reconnect_mode(mut self, mode: ReconnectMode) -> Self {
        self.config.reconnect_mode = mode;
        self
    }
    /// Whether writes wait for backup acks.
    pub fn backup_acks(mut self, on: bool) -> Self {
        self.config.backup_acks = on;
        self
    }
    /// Backup-ack timeout.
    pub fn backup_ack_timeout(mut self, t: Duration) -> Self {
        self.config.backup_ack_timeout = t;
        self
    }
    /// Allow re-sending non-idempotent requests after a disconnect.
    pub fn redo_operation(mut self, on: bool) -> Self {
        self.config.redo_operation = on;
        self
    }
    /// Alternative clusters and the try count (see [`FailoverConfig`]).
    pub fn failover(
        mut self,
        try_count: u32,
        alternatives: impl IntoIterator<Item = ClusterConfig>,
    ) -> Self {
        self.config.failover = Some(FailoverConfig {
            alternatives: alternatives.into_iter().collect(),
            try_count,
        });
        self
    }
    /// How often statistics are sent to the cluster (`None`: never; see
    /// [`ClientConfig::statistics_period`]).
    pub fn statistics_period(mut self, period: Option<Duration>) -> Self {
        self.config.statistics_period = period;
        self
    }
    /// Client instance name.
    pub fn client_name(mut self, name: impl Into<String>) -> Self {
        self.config.client_name = name.into();
        self
    }
    /// Client labels.
    pub fn labels(mut self, labels: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.config.labels = labels.into_iter().map(Into::into).collect();
        self
    }
    /// Events buffered per listener stream.
    pub fn listener_buffer(mut self, events: usize) -> Self {
        self.config.listener_buffer = events;
        self
    }
    /// Validates and returns the configuration.
    ///
    /// # Errors
    /// See [`ClientConfig::validate`].
    pub fn build(self) -> Result<ClientConfig, ClientError> {
        self.config.validate()?;
        Ok(self.config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_defaults() {
        let c = ClientConfig::default();
        assert_eq!(c.invocation_timeout, Duration::from_secs(120));
        assert_eq!(c.heartbeat_interval, Duration::from_secs(5));
        assert_eq!(c.heartbeat_timeout, Duration::from_secs(60));
        assert_eq!(c.retry_pause, Duration::from_secs(1));
        // Session-friendly reconnect defaults (documented on ReconnectPolicy).
        assert_eq!(c.reconnect.initial_backoff, Duration::from_millis(100));
        assert_eq!(c.reconnect.max_backoff, Duration::from_millis(500));
        assert!((c.reconnect.multiplier - 1.5).abs() < 1e-9);
        assert!(c.reconnect.jitter > 0.0, "jitter is on by default");
        assert_eq!(c.offline_wait, Duration::ZERO);
        assert!(!c.async_start);
        assert_eq!(c.routing, RoutingMode::Smart);
        assert!(c.backup_acks);
        assert!(!c.redo_operation);
        assert_eq!(c.effective_cluster_connect_timeout(), None);
    }

    #[test]
    fn failover_order_and_default_timeout() {
        let c = ClientConfig::builder()
            .cluster_name("a")
            .addresses(["h1:1"])
            .failover(3, [ClusterConfig::new("b", ["h2:2"])])
            .build()
            .expect("valid");
        let names: Vec<_> = c.clusters().into_iter().map(|c| c.cluster_name).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(
            c.effective_cluster_connect_timeout(),
            Some(Duration::from_secs(120))
        );
    }

    #[test]
    fn invalid_configs_are_rejected() {
        assert!(
            ClientConfig::builder()
                .addresses(Vec::<String>::new())
                .build()
                .is_err()
        );
        assert!(ClientConfig::builder().failover(0, []).build().is_err());
        assert!(
            ClientConfig::builder()
                .reconnect_mode(ReconnectMode::Off)
                .failover(1, [])
                .build()
                .is_err()
        );
        let p = ReconnectPolicy {
            jitter: 2.0,
            ..ReconnectPolicy::default()
        };
        assert!(ClientConfig::builder().reconnect(p).build().is_err());
    }

    #[test]
    fn credentials_are_not_printed() {
        let c = ClusterConfig::default().with_credentials("u", "secret");
        assert!(!format!("{c:?}").contains("secret"));
    }
}
