//! Wire values into the member's own types: map configurations, indexes, schemas and
//! predicates.

use hazelcast_protocol::codec::custom;
use hazelcast_protocol::codec::dynamic_config::DynamicConfigAddMapConfigRequest;
use hazelcast_protocol::compact::Schema;
use hazelcast_protocol::data::Data;

use crate::compact_read::MAX_FIELDS;
use crate::config::{EvictionConfig, IndexConfig, IndexType, MapConfig, WanReplicationRef};
use crate::error::MemberError;
use crate::query::Predicate;

/// Converts the wire map config to the engine's.
pub(crate) fn map_config_from(req: &DynamicConfigAddMapConfigRequest) -> MapConfig {
    let mut c = MapConfig::new(req.name.clone());
    c.backup_count = req.backup_count;
    c.async_backup_count = req.async_backup_count;
    c.time_to_live_seconds = req.time_to_live_seconds;
    c.max_idle_seconds = req.max_idle_seconds;
    c.read_backup_data = req.read_backup_data;
    c.cache_deserialized_values = req.cache_deserialized_values.clone();
    c.merge_policy = req.merge_policy.clone();
    c.merge_batch_size = req.merge_batch_size;
    c.in_memory_format = req.in_memory_format.clone();
    c.statistics_enabled = req.statistics_enabled;
    c.metadata_policy = req.metadata_policy;
    c.split_brain_protection_name = req.split_brain_protection_name.clone();
    if let Some(p) = req.per_entry_stats_enabled {
        c.per_entry_stats_enabled = p;
    }
    if let Some(e) = &req.eviction_config {
        c.eviction = EvictionConfig {
            size: e.size,
            max_size_policy: e.max_size_policy.clone(),
            eviction_policy: e.eviction_policy.clone(),
            comparator_class_name: e.comparator_class_name.clone(),
        };
    }
    c.wan_replication_ref = req.wan_replication_ref.as_ref().map(|w| WanReplicationRef {
        name: w.name.clone(),
        merge_policy: w.merge_policy_class_name.clone(),
        filters: w.filters.clone().unwrap_or_default(),
        republishing_enabled: w.republishing_enabled,
    });
    c.indexes = req
        .index_configs
        .iter()
        .flatten()
        .filter_map(index_from)
        .collect();
    c
}

pub(super) fn index_from(i: &custom::IndexConfig) -> Option<IndexConfig> {
    Some(IndexConfig {
        name: i.name.clone(),
        index_type: IndexType::from_wire(i.r#type)?,
        attributes: i.attributes.clone(),
    })
}

pub(super) fn schema_from(s: &custom::Schema) -> Result<Schema, MemberError> {
    if s.fields.len() > MAX_FIELDS {
        return Err(MemberError::IllegalArgument(
            "Schema has too many fields".into(),
        ));
    }
    Schema::try_from(s).map_err(|e| MemberError::Serialization(e.to_string()))
}

pub(super) fn predicate(d: &Data) -> Result<Predicate, MemberError> {
    Predicate::from_data(d)
}
