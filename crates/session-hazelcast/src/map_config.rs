//! [`SessionMapConfig`]: the session map's configuration as typed Rust, one source of truth
//! for the `DynamicConfig.addMapConfig` request a client sends at start-up and for the
//! member-side YAML (`map:` section and WAN publisher skeleton) of `docker/` set-ups.
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
//! let request = config.to_request("spring:session:sessions")?;
//! assert_eq!(request.per_entry_stats_enabled, Some(true));
//! assert_eq!(request.max_idle_seconds, 1800);
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

use std::fmt;
use std::time::Duration;

use hazelcast_protocol::codec::custom;
use hazelcast_protocol::codec::dynamic_config::DynamicConfigAddMapConfigRequest;

pub use diff::ConfigDifference;
/// How members store the values: the client's type, one definition for both.
pub use hazelcast_client::InMemoryFormat;
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

/// A split-brain merge policy (package `com.hazelcast.spi.merge`), or a custom class.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum MergePolicy {
    /// Keeps the existing entry, adds missing ones (Hazelcast's default).
    #[default]
    PutIfAbsent,
    /// The merging entry wins.
    PassThrough,
    /// The existing entry wins, merging ones are discarded.
    Discard,
    /// The most recently updated entry wins (needs per-entry statistics; clocks in sync).
    LatestUpdate,
    /// The most recently accessed entry wins (needs per-entry statistics).
    LatestAccess,
    /// The entry with more hits wins (needs per-entry statistics).
    HigherHits,
    /// The entry that expires later wins (needs per-entry statistics).
    ExpirationTime,
    /// Any other class, by its (fully qualified) name.
    Custom(String),
}

const MERGE_PACKAGE: &str = "com.hazelcast.spi.merge.";

impl MergePolicy {
    /// Every built-in policy usable on an IMap.
    pub const BUILT_IN: [MergePolicy; 7] = [
        MergePolicy::PutIfAbsent,
        MergePolicy::PassThrough,
        MergePolicy::Discard,
        MergePolicy::LatestUpdate,
        MergePolicy::LatestAccess,
        MergePolicy::HigherHits,
        MergePolicy::ExpirationTime,
    ];

    /// The class's simple name (`PutIfAbsentMergePolicy`), or a custom class's name.
    pub fn simple_name(&self) -> &str {
        match self {
            MergePolicy::PutIfAbsent => "PutIfAbsentMergePolicy",
            MergePolicy::PassThrough => "PassThroughMergePolicy",
            MergePolicy::Discard => "DiscardMergePolicy",
            MergePolicy::LatestUpdate => "LatestUpdateMergePolicy",
            MergePolicy::LatestAccess => "LatestAccessMergePolicy",
            MergePolicy::HigherHits => "HigherHitsMergePolicy",
            MergePolicy::ExpirationTime => "ExpirationTimeMergePolicy",
            MergePolicy::Custom(name) => name,
        }
    }

    /// The fully qualified class name sent to the cluster (Java's default form).
    pub fn class_name(&self) -> String {
        match self {
            MergePolicy::Custom(name) => name.clone(),
            other => format!("{MERGE_PACKAGE}{}", other.simple_name()),
        }
    }

    /// The policy named `name`, simple or fully qualified (members accept both); other
    /// names are [`MergePolicy::Custom`].
    pub fn from_name(name: &str) -> Self {
        let simple = name.strip_prefix(MERGE_PACKAGE).unwrap_or(name);
        Self::BUILT_IN
            .into_iter()
            .find(|p| p.simple_name() == simple)
            .unwrap_or_else(|| MergePolicy::Custom(name.to_owned()))
    }

    /// Whether the member rejects this policy unless `perEntryStatsEnabled` is true (it
    /// compares creation, access or update times, hits or expiration times).
    pub fn needs_per_entry_stats(&self) -> bool {
        matches!(
            self,
            MergePolicy::LatestUpdate
                | MergePolicy::LatestAccess
                | MergePolicy::HigherHits
                | MergePolicy::ExpirationTime
        )
    }
}

impl fmt::Display for MergePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.simple_name())
    }
}

/// A reference from the map to a WAN replication configuration on the members
/// (Hazelcast Enterprise; an open-source member accepts and ignores it).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WanReplicationRef {
    /// Name of the member's `wan-replication` configuration.
    pub name: String,
    /// How the target cluster merges replicated entries (Hazelcast's default: PassThrough).
    pub merge_policy: MergePolicy,
    /// Whether entries received over WAN are published further (default true).
    pub republishing_enabled: bool,
    /// Filter class names.
    pub filters: Vec<String>,
}

impl WanReplicationRef {
    /// A reference with Hazelcast's defaults (PassThrough, republishing on, no filters).
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            merge_policy: MergePolicy::PassThrough,
            republishing_enabled: true,
            filters: Vec::new(),
        }
    }

    /// Sets the merge policy.
    pub fn with_merge_policy(mut self, policy: MergePolicy) -> Self {
        self.merge_policy = policy;
        self
    }

    /// Sets republishing.
    pub fn with_republishing(mut self, on: bool) -> Self {
        self.republishing_enabled = on;
        self
    }

    /// Adds a filter class.
    pub fn with_filter(mut self, class_name: impl Into<String>) -> Self {
        self.filters.push(class_name.into());
        self
    }
}

/// Kind of an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum IndexKind {
    /// Ordered (range queries).
    Sorted,
    /// Hash (equality), what Spring Session uses for `principalName`.
    Hash,
    /// Bitmap.
    Bitmap,
}

impl IndexKind {
    /// The protocol's enum value.
    pub fn id(self) -> i32 {
        match self {
            IndexKind::Sorted => 0,
            IndexKind::Hash => 1,
            IndexKind::Bitmap => 2,
        }
    }

    /// The YAML / Java name.
    pub fn name(self) -> &'static str {
        match self {
            IndexKind::Sorted => "SORTED",
            IndexKind::Hash => "HASH",
            IndexKind::Bitmap => "BITMAP",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [IndexKind::Sorted, IndexKind::Hash, IndexKind::Bitmap]
            .into_iter()
            .find(|k| k.name() == name)
    }
}

/// One index of the map.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SessionIndex {
    /// Index kind.
    pub kind: IndexKind,
    /// Indexed attributes (top-level Compact field names such as `principalName`).
    pub attributes: Vec<String>,
    /// Optional name (the member derives one when absent).
    pub name: Option<String>,
}

impl SessionIndex {
    /// An unnamed index.
    pub fn new(kind: IndexKind, attributes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Self {
            kind,
            attributes: attributes.into_iter().map(Into::into).collect(),
            name: None,
        }
    }

    /// Spring Session's index: HASH on `principalName`.
    pub fn principal_name() -> Self {
        Self::new(IndexKind::Hash, ["principalName"])
    }
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
    /// Indexes (default: HASH on `principalName`).
    pub indexes: Vec<SessionIndex>,
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
            indexes: vec![SessionIndex::principal_name()],
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
    let Some(d) = d else { return Ok(0) };
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    if secs == 0 {
        return Err(MapConfigError::Invalid(format!(
            "{field} of zero: use None for infinite"
        )));
    }
    i32::try_from(secs)
        .map_err(|_| MapConfigError::Invalid(format!("{field} of {secs} s exceeds i32::MAX")))
}

impl SessionMapConfig {
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
    pub fn with_indexes(mut self, indexes: Vec<SessionIndex>) -> Self {
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

    /// The `DynamicConfig.addMapConfig` request for map `map_name` (a name or a wildcard
    /// pattern). Fields this type does not cover keep the member's defaults.
    ///
    /// # Errors
    /// As [`validate`](Self::validate).
    pub fn to_request(
        &self,
        map_name: &str,
    ) -> Result<DynamicConfigAddMapConfigRequest, MapConfigError> {
        self.validate()?;
        let index_configs = (!self.indexes.is_empty()).then(|| {
            self.indexes
                .iter()
                .map(|i| custom::IndexConfig {
                    name: i.name.clone(),
                    r#type: i.kind.id(),
                    attributes: i.attributes.clone(),
                    bitmap_index_options: None,
                    b_tree_index_config: None,
                })
                .collect()
        });
        let wan_replication_ref =
            self.wan_replication_ref
                .as_ref()
                .map(|w| custom::WanReplicationRef {
                    name: w.name.clone(),
                    merge_policy_class_name: w.merge_policy.class_name(),
                    filters: Some(w.filters.clone()),
                    republishing_enabled: w.republishing_enabled,
                });
        Ok(DynamicConfigAddMapConfigRequest {
            name: map_name.to_owned(),
            backup_count: i32::from(self.backup_count),
            async_backup_count: i32::from(self.async_backup_count),
            time_to_live_seconds: seconds("time to live", self.time_to_live)?,
            max_idle_seconds: seconds("max idle", self.max_idle)?,
            eviction_config: None,
            read_backup_data: self.read_backup_data,
            cache_deserialized_values: "INDEX_ONLY".into(),
            merge_policy: self.merge_policy.class_name(),
            merge_batch_size: i32::try_from(self.merge_batch_size).unwrap_or(i32::MAX),
            in_memory_format: self.in_memory_format.name().into(),
            listener_configs: None,
            partition_lost_listener_configs: None,
            statistics_enabled: self.statistics_enabled,
            split_brain_protection_name: None,
            map_store_config: None,
            near_cache_config: None,
            wan_replication_ref,
            index_configs,
            attribute_configs: None,
            query_cache_configs: None,
            partitioning_strategy_class_name: None,
            partitioning_strategy_implementation: None,
            hot_restart_config: None,
            event_journal_config: None,
            merkle_tree_config: None,
            metadata_policy: 0,
            per_entry_stats_enabled: Some(self.effective_per_entry_stats()),
            data_persistence_config: None,
            tiered_store_config: None,
            partitioning_attribute_configs: None,
            user_code_namespace: None,
        })
    }

    /// The configuration a request describes (the inverse of [`to_request`](Self::to_request)
    /// for the fields this type covers), e.g. to compare with what another client sent.
    pub fn from_request(req: &DynamicConfigAddMapConfigRequest) -> Self {
        let secs = |s: i32| {
            u64::try_from(s)
                .ok()
                .filter(|s| *s > 0)
                .map(Duration::from_secs)
        };
        Self {
            backup_count: u8::try_from(req.backup_count).unwrap_or(u8::MAX),
            async_backup_count: u8::try_from(req.async_backup_count).unwrap_or(u8::MAX),
            read_backup_data: req.read_backup_data,
            merge_policy: MergePolicy::from_name(&req.merge_policy),
            merge_batch_size: u32::try_from(req.merge_batch_size).unwrap_or(0),
            wan_replication_ref: req.wan_replication_ref.as_ref().map(|w| WanReplicationRef {
                name: w.name.clone(),
                merge_policy: MergePolicy::from_name(&w.merge_policy_class_name),
                republishing_enabled: w.republishing_enabled,
                filters: w.filters.clone().unwrap_or_default(),
            }),
            indexes: req
                .index_configs
                .iter()
                .flatten()
                .map(|i| SessionIndex {
                    kind: match i.r#type {
                        0 => IndexKind::Sorted,
                        2 => IndexKind::Bitmap,
                        _ => IndexKind::Hash,
                    },
                    attributes: i.attributes.clone(),
                    name: i.name.clone(),
                })
                .collect(),
            max_idle: secs(req.max_idle_seconds),
            time_to_live: secs(req.time_to_live_seconds),
            in_memory_format: InMemoryFormat::from_name(&req.in_memory_format).unwrap_or_default(),
            statistics_enabled: req.statistics_enabled,
            per_entry_stats_enabled: req.per_entry_stats_enabled.unwrap_or(false),
        }
    }

    /// Parses Java's `MapConfig.toString()` (as members print it in conflict messages) into
    /// the fields this type covers.
    ///
    /// # Errors
    /// [`MapConfigError::Invalid`] when the text is not a `MapConfig{...}`.
    pub fn from_java_to_string(text: &str) -> Result<Self, MapConfigError> {
        java::parse_map_config(text)
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
        self.validate()?;
        yaml::render(self, map_name, wan_target)
    }
}

#[cfg(test)]
mod tests;
