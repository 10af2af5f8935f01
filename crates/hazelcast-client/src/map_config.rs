//! Dynamic map configuration (`DynamicConfig.AddMapConfig`): [`MapConfig`] with Hazelcast's
//! defaults and its parts ([`InMemoryFormat`], [`MergePolicy`], [`WanReplicationRef`],
//! [`IndexConfig`]). The one model of a map's configuration in this workspace: the session
//! store's `SessionMapConfig` is a layer over it, and [`MapConfig::to_request`] is the one
//! place the request is built.
//!
//! ```
//! use hazelcast_client::{IndexConfig, IndexType, MapConfig, MergePolicy, WanReplicationRef};
//!
//! let mut config = MapConfig::new("sessions-*");
//! config.max_idle_seconds = 1800;
//! config.merge_policy = MergePolicy::LatestUpdate;
//! config.per_entry_stats_enabled = true; // LatestUpdate compares update times
//! config.wan_replication_ref = Some(WanReplicationRef::new("to-new-york"));
//! config.indexes.push(IndexConfig::new(IndexType::Hash, ["principalName"]));
//! let request = config.to_request();
//! assert_eq!(request.merge_policy, "com.hazelcast.spi.merge.LatestUpdateMergePolicy");
//! assert_eq!(MapConfig::from_request(&request), config);
//! ```

mod index;
mod merge_policy;
mod wan;

use hazelcast_protocol::codec::dynamic_config::DynamicConfigAddMapConfigRequest;

pub use index::IndexConfig;
pub use merge_policy::MergePolicy;
pub use wan::WanReplicationRef;

/// How members store map values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum InMemoryFormat {
    /// Serialized bytes (default; `replaceIfSame` then compares bytes).
    #[default]
    Binary,
    /// Deserialized objects (needs the classes on the members).
    Object,
    /// Off-heap (Enterprise).
    Native,
}

impl InMemoryFormat {
    /// The protocol and YAML name (`BINARY`, `OBJECT`, `NATIVE`).
    pub fn name(self) -> &'static str {
        match self {
            InMemoryFormat::Binary => "BINARY",
            InMemoryFormat::Object => "OBJECT",
            InMemoryFormat::Native => "NATIVE",
        }
    }

    /// The format with this protocol name, if any.
    ///
    /// ```
    /// use hazelcast_client::InMemoryFormat;
    /// assert_eq!(InMemoryFormat::from_name("OBJECT"), Some(InMemoryFormat::Object));
    /// assert_eq!(InMemoryFormat::from_name("object"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Self> {
        [
            InMemoryFormat::Binary,
            InMemoryFormat::Object,
            InMemoryFormat::Native,
        ]
        .into_iter()
        .find(|f| f.name() == name)
    }
}

/// A map configuration to add to the cluster ([`Client::add_map_config`](crate::Client::add_map_config)).
/// Fields not listed keep the member's defaults (`new MapConfig(name)` in Java).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapConfig {
    /// Map name or wildcard pattern (e.g. `sessions-*`).
    pub name: String,
    /// Synchronous backups (default 1).
    pub backup_count: i32,
    /// Asynchronous backups (default 0).
    pub async_backup_count: i32,
    /// Entry TTL in seconds, 0 = infinite (default).
    pub time_to_live_seconds: i32,
    /// Entry max-idle in seconds, 0 = infinite (default).
    pub max_idle_seconds: i32,
    /// Value format (default binary).
    pub in_memory_format: InMemoryFormat,
    /// Read from backups (default false).
    pub read_backup_data: bool,
    /// Statistics (default true).
    pub statistics_enabled: bool,
    /// Per-entry statistics (default false; the member rejects the merge policies that
    /// [need them](MergePolicy::needs_per_entry_stats) without).
    pub per_entry_stats_enabled: bool,
    /// Split-brain merge policy (default [`MergePolicy::PutIfAbsent`]).
    pub merge_policy: MergePolicy,
    /// Merge batch size (default 100).
    pub merge_batch_size: i32,
    /// WAN replication reference (default none).
    pub wan_replication_ref: Option<WanReplicationRef>,
    /// Indexes to create with the map.
    pub indexes: Vec<IndexConfig>,
}

impl MapConfig {
    /// A configuration with Hazelcast's defaults.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            backup_count: 1,
            async_backup_count: 0,
            time_to_live_seconds: 0,
            max_idle_seconds: 0,
            in_memory_format: InMemoryFormat::Binary,
            read_backup_data: false,
            statistics_enabled: true,
            per_entry_stats_enabled: false,
            merge_policy: MergePolicy::PutIfAbsent,
            merge_batch_size: 100,
            wan_replication_ref: None,
            indexes: Vec::new(),
        }
    }

    /// The request for this configuration (2.0–2.2 fields; newer ones left to defaults).
    /// Values are sent as they are: the member checks them.
    pub fn to_request(&self) -> DynamicConfigAddMapConfigRequest {
        let index_configs = (!self.indexes.is_empty())
            .then(|| self.indexes.iter().map(IndexConfig::to_wire).collect());
        DynamicConfigAddMapConfigRequest {
            name: self.name.clone(),
            backup_count: self.backup_count,
            async_backup_count: self.async_backup_count,
            time_to_live_seconds: self.time_to_live_seconds,
            max_idle_seconds: self.max_idle_seconds,
            eviction_config: None,
            read_backup_data: self.read_backup_data,
            cache_deserialized_values: "INDEX_ONLY".into(),
            merge_policy: self.merge_policy.class_name(),
            merge_batch_size: self.merge_batch_size,
            in_memory_format: self.in_memory_format.name().into(),
            listener_configs: None,
            partition_lost_listener_configs: None,
            statistics_enabled: self.statistics_enabled,
            split_brain_protection_name: None,
            map_store_config: None,
            near_cache_config: None,
            wan_replication_ref: self
                .wan_replication_ref
                .as_ref()
                .map(WanReplicationRef::to_wire),
            index_configs,
            attribute_configs: None,
            query_cache_configs: None,
            partitioning_strategy_class_name: None,
            partitioning_strategy_implementation: None,
            hot_restart_config: None,
            event_journal_config: None,
            merkle_tree_config: None,
            metadata_policy: 0,
            per_entry_stats_enabled: Some(self.per_entry_stats_enabled),
            data_persistence_config: None,
            tiered_store_config: None,
            partitioning_attribute_configs: None,
            user_code_namespace: None,
        }
    }

    /// The configuration a request describes, for the fields this type covers (the inverse
    /// of [`to_request`](Self::to_request)), e.g. to read what another client sent. An
    /// unknown in-memory format reads as binary.
    pub fn from_request(req: &DynamicConfigAddMapConfigRequest) -> Self {
        Self {
            name: req.name.clone(),
            backup_count: req.backup_count,
            async_backup_count: req.async_backup_count,
            time_to_live_seconds: req.time_to_live_seconds,
            max_idle_seconds: req.max_idle_seconds,
            in_memory_format: InMemoryFormat::from_name(&req.in_memory_format).unwrap_or_default(),
            read_backup_data: req.read_backup_data,
            statistics_enabled: req.statistics_enabled,
            per_entry_stats_enabled: req.per_entry_stats_enabled.unwrap_or(false),
            merge_policy: MergePolicy::from_name(&req.merge_policy),
            merge_batch_size: req.merge_batch_size,
            wan_replication_ref: req
                .wan_replication_ref
                .as_ref()
                .map(WanReplicationRef::from_wire),
            indexes: req
                .index_configs
                .iter()
                .flatten()
                .map(IndexConfig::from_wire)
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IndexType;

    #[test]
    fn request_round_trips_with_defaults() {
        let mut c = MapConfig::new("sessions");
        c.max_idle_seconds = 1800;
        c.indexes
            .push(IndexConfig::new(IndexType::Hash, ["principalName"]));
        let req = c.to_request();
        let back = DynamicConfigAddMapConfigRequest::decode(&req.encode()).expect("decodes");
        assert_eq!(back.name, "sessions");
        assert_eq!(back.backup_count, 1);
        assert_eq!(back.max_idle_seconds, 1800);
        assert_eq!(back.in_memory_format, "BINARY");
        assert_eq!(
            back.merge_policy,
            "com.hazelcast.spi.merge.PutIfAbsentMergePolicy"
        );
        assert_eq!(back.per_entry_stats_enabled, Some(false));
        assert!(back.wan_replication_ref.is_none());
        let idx = back.index_configs.as_ref().expect("indexes");
        assert_eq!(
            (idx.len(), idx[0].r#type, idx[0].name.as_deref()),
            (1, 1, None)
        );
        assert_eq!(MapConfig::from_request(&back), c);
    }

    #[test]
    fn every_field_round_trips_through_the_wire() {
        let mut c = MapConfig::new("orders");
        c.backup_count = 2;
        c.async_backup_count = 1;
        c.time_to_live_seconds = 86_401;
        c.max_idle_seconds = 600;
        c.in_memory_format = InMemoryFormat::Object;
        c.read_backup_data = true;
        c.statistics_enabled = false;
        c.per_entry_stats_enabled = true;
        c.merge_policy = MergePolicy::HigherHits;
        c.merge_batch_size = 250;
        c.wan_replication_ref = Some(
            WanReplicationRef::new("to-dr")
                .with_merge_policy(MergePolicy::Custom("com.example.Merge".into()))
                .with_republishing(false)
                .with_filter("com.example.Filter"),
        );
        c.indexes = IndexType::ALL
            .into_iter()
            .map(|t| IndexConfig::new(t, ["a", "b"]).with_name(t.name()))
            .collect();
        let req = c.to_request();
        let back = DynamicConfigAddMapConfigRequest::decode(&req.encode()).expect("decodes");
        assert_eq!(back, req);
        let wan = back.wan_replication_ref.as_ref().expect("wan");
        assert_eq!(wan.merge_policy_class_name, "com.example.Merge");
        assert_eq!(
            wan.filters.as_deref(),
            Some(&["com.example.Filter".to_owned()][..])
        );
        let types: Vec<_> = back
            .index_configs
            .iter()
            .flatten()
            .map(|i| i.r#type)
            .collect();
        assert_eq!(types, [0, 1, 2]);
        assert_eq!(MapConfig::from_request(&back), c);
    }
}
