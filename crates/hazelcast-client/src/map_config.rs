//! Dynamic map configuration (`DynamicConfig.AddMapConfig`) with Hazelcast's defaults, and
//! the map settings shared with the session store's richer `SessionMapConfig`
//! ([`InMemoryFormat`]).

use hazelcast_protocol::codec::custom::IndexConfig;
use hazelcast_protocol::codec::dynamic_config::DynamicConfigAddMapConfigRequest;

use crate::map::IndexType;

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

/// A map configuration to add to the cluster. Fields not listed keep the member's
/// defaults (`new MapConfig(name)` in Java).
#[derive(Debug, Clone, PartialEq)]
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
    /// Per-entry statistics (default false; needed by some merge policies).
    pub per_entry_stats_enabled: bool,
    /// Merge policy class (default `com.hazelcast.spi.merge.PutIfAbsentMergePolicy`).
    pub merge_policy: String,
    /// Merge batch size (default 100).
    pub merge_batch_size: i32,
    /// Indexes to create with the map.
    pub indexes: Vec<(IndexType, Vec<String>)>,
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
            merge_policy: "com.hazelcast.spi.merge.PutIfAbsentMergePolicy".into(),
            merge_batch_size: 100,
            indexes: Vec::new(),
        }
    }

    /// The request for this configuration (2.0–2.2 fields; newer ones left to defaults).
    pub fn to_request(&self) -> DynamicConfigAddMapConfigRequest {
        let index_configs = (!self.indexes.is_empty()).then(|| {
            self.indexes
                .iter()
                .map(|(t, attrs)| IndexConfig {
                    name: None,
                    r#type: match t {
                        IndexType::Sorted => 0,
                        IndexType::Hash => 1,
                        IndexType::Bitmap => 2,
                    },
                    attributes: attrs.clone(),
                    bitmap_index_options: None,
                    b_tree_index_config: None,
                })
                .collect()
        });
        DynamicConfigAddMapConfigRequest {
            name: self.name.clone(),
            backup_count: self.backup_count,
            async_backup_count: self.async_backup_count,
            time_to_live_seconds: self.time_to_live_seconds,
            max_idle_seconds: self.max_idle_seconds,
            eviction_config: None,
            read_backup_data: self.read_backup_data,
            cache_deserialized_values: "INDEX_ONLY".into(),
            merge_policy: self.merge_policy.clone(),
            merge_batch_size: self.merge_batch_size,
            in_memory_format: self.in_memory_format.name().into(),
            listener_configs: None,
            partition_lost_listener_configs: None,
            statistics_enabled: self.statistics_enabled,
            split_brain_protection_name: None,
            map_store_config: None,
            near_cache_config: None,
            wan_replication_ref: None,
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_round_trips_with_defaults() {
        let mut c = MapConfig::new("sessions");
        c.max_idle_seconds = 1800;
        c.indexes
            .push((IndexType::Hash, vec!["principalName".into()]));
        let req = c.to_request();
        let back = DynamicConfigAddMapConfigRequest::decode(&req.encode()).expect("decodes");
        assert_eq!(back.name, "sessions");
        assert_eq!(back.backup_count, 1);
        assert_eq!(back.max_idle_seconds, 1800);
        assert_eq!(back.in_memory_format, "BINARY");
        assert_eq!(back.index_configs.as_ref().map(Vec::len), Some(1));
    }
}
