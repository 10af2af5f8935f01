//! Member-side YAML (Hazelcast 5 `hazelcast.yaml` shape) rendered from the client
//! [`MapConfig`] a [`SessionMapConfig`](super::SessionMapConfig) converts to, the one the
//! request is built from.

use serde_yaml_ng::{Mapping, Value};

use super::{MapConfig, MapConfigError};

/// Where a WAN batch publisher sends entries: the target cluster of the publisher skeleton.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WanTarget {
    /// Publisher id (unique within the WAN replication config).
    pub publisher_id: String,
    /// The target cluster's name.
    pub cluster_name: String,
    /// The target members, `host:port`.
    pub endpoints: Vec<String>,
}

impl WanTarget {
    /// A target; the publisher id defaults to the cluster name.
    pub fn new(
        cluster_name: impl Into<String>,
        endpoints: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let cluster_name = cluster_name.into();
        Self {
            publisher_id: cluster_name.clone(),
            cluster_name,
            endpoints: endpoints.into_iter().map(Into::into).collect(),
        }
    }
}

fn map() -> Mapping {
    Mapping::new()
}

fn put(m: &mut Mapping, key: &str, value: impl Into<Value>) {
    m.insert(Value::String(key.to_owned()), value.into());
}

fn strings(v: &[String]) -> Value {
    Value::Sequence(v.iter().map(|s| Value::String(s.clone())).collect())
}

pub(super) fn render(
    config: &MapConfig,
    wan_target: Option<&WanTarget>,
) -> Result<String, MapConfigError> {
    let mut m = map();
    put(&mut m, "in-memory-format", config.in_memory_format.name());
    put(&mut m, "backup-count", i64::from(config.backup_count));
    put(
        &mut m,
        "async-backup-count",
        i64::from(config.async_backup_count),
    );
    put(&mut m, "read-backup-data", config.read_backup_data);
    put(
        &mut m,
        "time-to-live-seconds",
        i64::from(config.time_to_live_seconds),
    );
    put(
        &mut m,
        "max-idle-seconds",
        i64::from(config.max_idle_seconds),
    );
    put(&mut m, "statistics-enabled", config.statistics_enabled);
    put(
        &mut m,
        "per-entry-stats-enabled",
        config.per_entry_stats_enabled,
    );
    let mut merge = map();
    put(&mut merge, "batch-size", i64::from(config.merge_batch_size));
    put(&mut merge, "class-name", config.merge_policy.class_name());
    put(&mut m, "merge-policy", merge);
    if let Some(wan) = &config.wan_replication_ref {
        let mut r = map();
        put(
            &mut r,
            "merge-policy-class-name",
            wan.merge_policy.class_name(),
        );
        put(&mut r, "republishing-enabled", wan.republishing_enabled);
        if !wan.filters.is_empty() {
            put(&mut r, "filters", strings(&wan.filters));
        }
        let mut refs = map();
        put(&mut refs, &wan.name, r);
        put(&mut m, "wan-replication-ref", refs);
    }
    if !config.indexes.is_empty() {
        let indexes = config
            .indexes
            .iter()
            .map(|i| {
                let mut im = map();
                if let Some(name) = &i.name {
                    put(&mut im, "name", name.as_str());
                }
                put(&mut im, "type", i.index_type.name());
                put(&mut im, "attributes", strings(&i.attributes));
                Value::Mapping(im)
            })
            .collect();
        put(&mut m, "indexes", Value::Sequence(indexes));
    }
    let mut maps = map();
    put(&mut maps, &config.name, m);
    let mut hz = map();
    if let (Some(wan), Some(target)) = (&config.wan_replication_ref, wan_target) {
        let mut publisher = map();
        put(&mut publisher, "cluster-name", target.cluster_name.as_str());
        put(
            &mut publisher,
            "target-endpoints",
            target.endpoints.join(","),
        );
        put(&mut publisher, "batch-size", 500u64);
        put(&mut publisher, "batch-max-delay-millis", 1000u64);
        put(&mut publisher, "response-timeout-millis", 60_000u64);
        put(
            &mut publisher,
            "acknowledge-type",
            "ACK_ON_OPERATION_COMPLETE",
        );
        put(&mut publisher, "queue-capacity", 10_000u64);
        put(
            &mut publisher,
            "queue-full-behavior",
            "DISCARD_AFTER_MUTATION",
        );
        put(&mut publisher, "initial-publisher-state", "REPLICATING");
        let mut publishers = map();
        put(&mut publishers, &target.publisher_id, publisher);
        let mut wan_config = map();
        put(&mut wan_config, "batch-publisher", publishers);
        let mut wans = map();
        put(&mut wans, &wan.name, wan_config);
        put(&mut hz, "wan-replication", wans);
    }
    put(&mut hz, "map", maps);
    let mut root = map();
    put(&mut root, "hazelcast", hz);
    serde_yaml_ng::to_string(&Value::Mapping(root)).map_err(MapConfigError::Yaml)
}
