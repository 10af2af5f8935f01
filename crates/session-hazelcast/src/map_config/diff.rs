//! Comparing a session map configuration with the cluster's: [`ConfigDifference`],
//! [`SessionMapConfig::diff`] and the conflict error built from a member's message.

use std::fmt;

use super::{IndexConfig, MapConfig, MapConfigError, SessionMapConfig, WanReplicationRef, java};

/// One field whose value differs between two configurations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigDifference {
    /// The field, named as in Hazelcast's YAML (`max-idle-seconds`).
    pub field: &'static str,
    /// Our value.
    pub ours: String,
    /// The cluster's value.
    pub theirs: String,
}

impl ConfigDifference {
    pub(super) fn list(diffs: &[ConfigDifference]) -> String {
        if diffs.is_empty() {
            return "unknown (see the member's message)".into();
        }
        diffs
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl fmt::Display for ConfigDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: ours {}, cluster {}",
            self.field, self.ours, self.theirs
        )
    }
}

impl SessionMapConfig {
    /// The fields whose values as sent differ between `self` (ours) and `theirs` (the
    /// cluster's), named as in Hazelcast's YAML. Merge policies compare by class, so a
    /// simple and a fully qualified name of one policy are equal; the map name and index
    /// names are ignored (the member derives index names).
    pub fn diff(&self, theirs: &MapConfig) -> Vec<ConfigDifference> {
        differences(&self.to_map_config_unchecked(&theirs.name), theirs)
    }

    /// Turns a member's "Cannot add a dynamic configuration … as there is already a
    /// conflicting configuration …" message into [`MapConfigError::Conflict`] listing the
    /// fields in which the cluster's configuration differs from `self`.
    ///
    /// The message holds both configurations as Java's `MapConfig.toString()`; when the
    /// existing one cannot be parsed the error still carries the message, with no
    /// differences listed.
    pub fn conflict_error(&self, map_name: &str, message: &str) -> MapConfigError {
        let differences = java::existing_config_in_message(message)
            .map(|theirs| self.diff(&theirs))
            .unwrap_or_default();
        MapConfigError::Conflict {
            map: map_name.to_owned(),
            differences,
            message: message.to_owned(),
        }
    }
}

/// The differing fields of two client configurations, `ours` first.
fn differences(ours: &MapConfig, theirs: &MapConfig) -> Vec<ConfigDifference> {
    let mut out = Vec::new();
    let mut check = |field: &'static str, ours: String, other: String| {
        if ours != other {
            out.push(ConfigDifference {
                field,
                ours,
                theirs: other,
            });
        }
    };
    check(
        "backup-count",
        ours.backup_count.to_string(),
        theirs.backup_count.to_string(),
    );
    check(
        "async-backup-count",
        ours.async_backup_count.to_string(),
        theirs.async_backup_count.to_string(),
    );
    check(
        "read-backup-data",
        ours.read_backup_data.to_string(),
        theirs.read_backup_data.to_string(),
    );
    check(
        "time-to-live-seconds",
        ours.time_to_live_seconds.to_string(),
        theirs.time_to_live_seconds.to_string(),
    );
    check(
        "max-idle-seconds",
        ours.max_idle_seconds.to_string(),
        theirs.max_idle_seconds.to_string(),
    );
    check(
        "in-memory-format",
        ours.in_memory_format.name().into(),
        theirs.in_memory_format.name().into(),
    );
    check(
        "statistics-enabled",
        ours.statistics_enabled.to_string(),
        theirs.statistics_enabled.to_string(),
    );
    check(
        "per-entry-stats-enabled",
        ours.per_entry_stats_enabled.to_string(),
        theirs.per_entry_stats_enabled.to_string(),
    );
    check(
        "merge-policy.class-name",
        ours.merge_policy.class_name(),
        theirs.merge_policy.class_name(),
    );
    check(
        "merge-policy.batch-size",
        ours.merge_batch_size.to_string(),
        theirs.merge_batch_size.to_string(),
    );
    let wan = |w: &Option<WanReplicationRef>| match w {
        None => "none".to_owned(),
        Some(w) => format!(
            "{} (merge {}, republishing {}, filters {:?})",
            w.name,
            w.merge_policy.class_name(),
            w.republishing_enabled,
            w.filters
        ),
    };
    check(
        "wan-replication-ref",
        wan(&ours.wan_replication_ref),
        wan(&theirs.wan_replication_ref),
    );
    let idx = |v: &[IndexConfig]| {
        let mut v: Vec<String> = v
            .iter()
            .map(|i| format!("{} {:?}", i.index_type.name(), i.attributes))
            .collect();
        v.sort();
        v.join("; ")
    };
    check("indexes", idx(&ours.indexes), idx(&theirs.indexes));
    out
}
