//! [`SessionMapConfig`]: the session store's layer over the client's map configuration
//! ([`MapConfig`], the one model of a map's configuration): Spring Session's defaults,
//! typed values (durations, small counts) checked against Hazelcast's limits, the diff
//! against the configuration a cluster already has (read from the member's Java
//! `toString`), and the member-side YAML (`map:` section and WAN publisher skeleton) of
//! `docker/` set-ups. [`SessionMapConfig::to_map_config`] gives the client's
//! [`MapConfig`]; the `DynamicConfig.addMapConfig` request is built from it
//! ([`MapConfig::to_request`]), so the request and the YAML come from one place.
//!
//! ```
//! use std::time::Duration;
//! use session_hazelcast::{MergePolicy, SessionMapConfig, WanReplicationRef};
//!
//! let config = SessionMapConfig::default()
//!     .with_backup_count(1)
//!     .with_max_idle(Some(Duration::from_secs(1800)))
//!     .with_merge_policy(MergePolicy::LatestUpdate, 100)
//!     .with_wan_replication_ref(Some(WanReplicationRef::new("replicate-to-nyc")));
//! config.validate()?;
//! // LatestUpdate compares update times, so per-entry statistics are switched on.
//! let map_config = config.to_map_config("spring:session:sessions")?;
//! assert!(map_config.per_entry_stats_enabled);
//! assert_eq!(map_config.max_idle_seconds, 1800);
//! assert_eq!(config.to_request("spring:session:sessions")?, map_config.to_request());
//! # Ok::<(), session_hazelcast::MapConfigError>(())
//! ```
//!
//! With the `member-yaml` feature (which `cargo xtask docker-config` enables; production
//! builds leave the YAML library out), the same configuration renders as member YAML:
//! `config.to_member_yaml("spring:session:sessions", None)?` contains
//! `max-idle-seconds: 1800`.
//!
//! Defaults are Hazelcast's `new MapConfig(name)` plus what Spring Session adds: a HASH
//! index on `principalName`.

mod diff;
mod java;
#[cfg(feature = "member-yaml")]
mod yaml;

use std::time::Duration;

use hazelcast_protocol::codec::dynamic_config::DynamicConfigAddMapConfigRequest;

pub use diff::ConfigDifference;
/// Index types, the client's.
pub use hazelcast_client::IndexType;
/// The client's map configuration types: one definition for the client and the store.
pub use hazelcast_client::map_config::{
    InMemoryFormat, IndexConfig, MapConfig, MergePolicy, WanReplicationRef,
};
#[cfg(feature = "member-yaml")]
pub use yaml::WanTarget;

/// Most backups (sync + async) a Hazelcast map can have (`IPartition.MAX_BACKUP_COUNT`).
pub const MAX_BACKUP_COUNT: u8 = 6;

/// Why a configuration is unusable, or differs from the one the cluster has.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MapConfigError {
    /// A value outside what Hazelcast accepts.
    #[error("invalid map configuration: {0}")]
    Invalid(String),
    /// The cluster already has a different configuration for this map.
    #[error(
        "the cluster already has a different configuration for map {map:?}; differing fields: {}",
        ConfigDifference::list(.differences)
    )]
    Conflict {
        /// The map name.
        map: String,
        /// The fields that differ (empty when the member's message could not be parsed).
        differences: Vec<ConfigDifference>,
        /// The member's message.
        message: String,
    },
    /// YAML rendering failed.
    #[cfg(feature = "member-yaml")]
    #[error("cannot render YAML")]
    Yaml(#[source] serde_yaml_ng::Error),
}

/// The session map's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionMapConfig {
    /// Synchronous backups (default 1).
    pub backup_count: u8,
    /// Asynchronous backups (default 0); sync + async ≤ [`MAX_BACKUP_COUNT`].
    pub async_backup_count: u8,
    /// Whether reads may be served from a local backup (default false).
    pub read_backup_data: bool,
    /// Split-brain merge policy (default PutIfAbsent).
    pub merge_policy: MergePolicy,
    /// Entries per merge operation (default 100).
    pub merge_batch_size: u32,
    /// WAN replication reference (default none).
    pub wan_replication_ref: Option<WanReplicationRef>,
    /// Indexes (default: [HASH on `principalName`](Self::principal_name_index)).
    pub indexes: Vec<IndexConfig>,
    /// Map-level max idle (`None` = infinite). Every read and every write restarts it.
    pub max_idle: Option<Duration>,
    /// Map-level time to live (`None` = infinite).
    pub time_to_live: Option<Duration>,
    /// Value storage format (default binary).
    pub in_memory_format: InMemoryFormat,
    /// Map statistics (default true).
    pub statistics_enabled: bool,
    /// Per-entry statistics (default false). Switched on in the request anyway when the
    /// merge policy needs it; see [`effective_per_entry_stats`](Self::effective_per_entry_stats).
    pub per_entry_stats_enabled: bool,
}

impl Default for SessionMapConfig {
    fn default() -> Self {
        Self {
            backup_count: 1,
            async_backup_count: 0,
            read_backup_data: false,
            merge_policy: MergePolicy::PutIfAbsent,
            merge_batch_size: 100,
            wan_replication_ref: None,
            indexes: vec![SessionMapConfig::principal_name_index()],
            max_idle: None,
            time_to_live: None,
            in_memory_format: InMemoryFormat::Binary,
            statistics_enabled: true,
            per_entry_stats_enabled: false,
        }
    }
}

/// Whole seconds of a duration, rounded up (Hazelcast counts seconds; 0 means infinite, so
/// a sub-second duration must not become 0).
fn seconds(field: &str, d: Option<Duration>) -> Result<i32, MapConfigError> {
    let Some(secs) = d.map(ceil_secs) else {
        return Ok(0);
    };
    if secs == 0 {
        return Err(MapConfigError::Invalid(format!(
            "{field} of zero: use None for infinite"
        )));
    }
    i32::try_from(secs)
        .map_err(|_| MapConfigError::Invalid(format!("{field} of {secs} s exceeds i32::MAX")))
}

/// As [`seconds`], without the checks: beyond `i32::MAX` saturates, zero reads as infinite
/// (only for configurations [`SessionMapConfig::validate`] would reject).
fn seconds_unchecked(d: Option<Duration>) -> i32 {
    d.map_or(0, |d| i32::try_from(ceil_secs(d)).unwrap_or(i32::MAX))
}

/// Whole seconds, rounded up.
fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

impl SessionMapConfig {
    /// Spring Session's index: HASH on `principalName` (the default's only index).
    pub fn principal_name_index() -> IndexConfig {
        IndexConfig::new(IndexType::Hash, ["principalName"])
    }

    /// Sets the synchronous backup count.
    pub fn with_backup_count(mut self, n: u8) -> Self {
        self.backup_count = n;
        self
    }

    /// Sets the asynchronous backup count.
    pub fn with_async_backup_count(mut self, n: u8) -> Self {
        self.async_backup_count = n;
        self
    }

    /// Sets read-backup-data.
    pub fn with_read_backup_data(mut self, on: bool) -> Self {
        self.read_backup_data = on;
        self
    }

    /// Sets the merge policy and its batch size.
    pub fn with_merge_policy(mut self, policy: MergePolicy, batch_size: u32) -> Self {
        self.merge_policy = policy;
        self.merge_batch_size = batch_size;
        self
    }

    /// Sets the WAN replication reference.
    pub fn with_wan_replication_ref(mut self, wan: Option<WanReplicationRef>) -> Self {
        self.wan_replication_ref = wan;
        self
    }

    /// Replaces the indexes.
    pub fn with_indexes(mut self, indexes: Vec<IndexConfig>) -> Self {
        self.indexes = indexes;
        self
    }

    /// Sets the map-level max idle (`None` = infinite).
    pub fn with_max_idle(mut self, d: Option<Duration>) -> Self {
        self.max_idle = d;
        self
    }

    /// Sets the map-level time to live (`None` = infinite).
    pub fn with_time_to_live(mut self, d: Option<Duration>) -> Self {
        self.time_to_live = d;
        self
    }

    /// Sets the in-memory format.
    pub fn with_in_memory_format(mut self, f: InMemoryFormat) -> Self {
        self.in_memory_format = f;
        self
    }

    /// Sets map statistics.
    pub fn with_statistics(mut self, on: bool) -> Self {
        self.statistics_enabled = on;
        self
    }

    /// Sets per-entry statistics.
    pub fn with_per_entry_stats(mut self, on: bool) -> Self {
        self.per_entry_stats_enabled = on;
        self
    }

    /// Per-entry statistics as sent: on when asked for, or when the merge policy (or the
    /// WAN reference's) needs them.
    pub fn effective_per_entry_stats(&self) -> bool {
        self.per_entry_stats_enabled
            || self.merge_policy.needs_per_entry_stats()
            || self
                .wan_replication_ref
                .as_ref()
                .is_some_and(|w| w.merge_policy.needs_per_entry_stats())
    }

    /// Checks the values against Hazelcast's limits.
    ///
    /// # Errors
    /// [`MapConfigError::Invalid`] naming the first bad value.
    pub fn validate(&self) -> Result<(), MapConfigError> {
        let invalid = |m: String| Err(MapConfigError::Invalid(m));
        let total = u16::from(self.backup_count) + u16::from(self.async_backup_count);
        if total > u16::from(MAX_BACKUP_COUNT) {
            return invalid(format!(
                "backup-count + async-backup-count = {total}, more than {MAX_BACKUP_COUNT}"
            ));
        }
        if self.merge_batch_size == 0 || i32::try_from(self.merge_batch_size).is_err() {
            return invalid(format!(
                "merge batch size {} outside 1..=i32::MAX",
                self.merge_batch_size
            ));
        }
        for policy in std::iter::once(&self.merge_policy)
            .chain(self.wan_replication_ref.as_ref().map(|w| &w.merge_policy))
        {
            if let MergePolicy::Custom(name) = policy
                && name.trim().is_empty()
            {
                return invalid("empty merge policy class name".into());
            }
        }
        if let Some(wan) = &self.wan_replication_ref
            && wan.name.trim().is_empty()
        {
            return invalid("empty WAN replication reference name".into());
        }
        for index in &self.indexes {
            if index.attributes.is_empty() || index.attributes.iter().any(|a| a.is_empty()) {
                return invalid("an index needs non-empty attribute names".into());
            }
        }
        seconds("max idle", self.max_idle)?;
        seconds("time to live", self.time_to_live)?;
        Ok(())
    }

    /// The client's configuration of map `map_name` (a name or a wildcard pattern), with
    /// per-entry statistics as [sent](Self::effective_per_entry_stats). Fields this type
    /// does not cover keep the member's defaults.
    ///
    /// # Errors
    /// As [`validate`](Self::validate).
    pub fn to_map_config(&self, map_name: &str) -> Result<MapConfig, MapConfigError> {
        self.validate()?;
        Ok(self.to_map_config_unchecked(map_name))
    }

    /// [`to_map_config`](Self::to_map_config) without the checks (out-of-range values
    /// saturate), for comparisons.
    pub(crate) fn to_map_config_unchecked(&self, map_name: &str) -> MapConfig {
        let mut c = MapConfig::new(map_name);
        c.backup_count = i32::from(self.backup_count);
        c.async_backup_count = i32::from(self.async_backup_count);
        c.time_to_live_seconds = seconds_unchecked(self.time_to_live);
        c.max_idle_seconds = seconds_unchecked(self.max_idle);
        c.in_memory_format = self.in_memory_format;
        c.read_backup_data = self.read_backup_data;
        c.statistics_enabled = self.statistics_enabled;
        c.per_entry_stats_enabled = self.effective_per_entry_stats();
        c.merge_policy = self.merge_policy.clone();
        c.merge_batch_size = i32::try_from(self.merge_batch_size).unwrap_or(i32::MAX);
        c.wan_replication_ref = self.wan_replication_ref.clone();
        c.indexes = self.indexes.clone();
        c
    }

    /// The `DynamicConfig.addMapConfig` request for map `map_name`:
    /// [`to_map_config`](Self::to_map_config) then [`MapConfig::to_request`].
    ///
    /// # Errors
    /// As [`validate`](Self::validate).
    pub fn to_request(
        &self,
        map_name: &str,
    ) -> Result<DynamicConfigAddMapConfigRequest, MapConfigError> {
        Ok(self.to_map_config(map_name)?.to_request())
    }

    /// The session view of a client configuration (its name aside). Values outside this
    /// type's ranges saturate (a negative backup count reads as 255, which
    /// [`validate`](Self::validate) rejects).
    pub fn from_map_config(c: &MapConfig) -> Self {
        let secs = |s: i32| {
            u64::try_from(s)
                .ok()
                .filter(|s| *s > 0)
                .map(Duration::from_secs)
        };
        Self {
            backup_count: u8::try_from(c.backup_count).unwrap_or(u8::MAX),
            async_backup_count: u8::try_from(c.async_backup_count).unwrap_or(u8::MAX),
            read_backup_data: c.read_backup_data,
            merge_policy: c.merge_policy.clone(),
            merge_batch_size: u32::try_from(c.merge_batch_size).unwrap_or(0),
            wan_replication_ref: c.wan_replication_ref.clone(),
            indexes: c.indexes.clone(),
            max_idle: secs(c.max_idle_seconds),
            time_to_live: secs(c.time_to_live_seconds),
            in_memory_format: c.in_memory_format,
            statistics_enabled: c.statistics_enabled,
            per_entry_stats_enabled: c.per_entry_stats_enabled,
        }
    }

    /// The configuration a request describes (the inverse of [`to_request`](Self::to_request)
    /// for the fields this type covers), e.g. to compare with what another client sent.
    pub fn from_request(req: &DynamicConfigAddMapConfigRequest) -> Self {
        Self::from_map_config(&MapConfig::from_request(req))
    }

    /// Parses Java's `MapConfig.toString()` (as members print it in conflict messages) into
    /// the fields this type covers.
    ///
    /// # Errors
    /// [`MapConfigError::Invalid`] when the text is not a `MapConfig{...}`.
    pub fn from_java_to_string(text: &str) -> Result<Self, MapConfigError> {
        java::parse_map_config(text).map(|c| Self::from_map_config(&c))
    }

    /// Member-side YAML (feature `member-yaml`): a `hazelcast:` document with this map under `map:` and, when
    /// `wan_target` is given and a WAN reference is set, a `wan-replication:` batch
    /// publisher skeleton for it.
    ///
    /// # Errors
    /// As [`validate`](Self::validate), or a YAML error.
    #[cfg(feature = "member-yaml")]
    pub fn to_member_yaml(
        &self,
        map_name: &str,
        wan_target: Option<&WanTarget>,
    ) -> Result<String, MapConfigError> {
        yaml::render(&self.to_map_config(map_name)?, wan_target)
    }
}

#[cfg(test)]
mod tests;
