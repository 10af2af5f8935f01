//! Comparing a session map configuration with the cluster's: [`ConfigDifference`],
//! [`SessionMapConfig::diff`] and the conflict error built from a member's message.

use std::fmt;
use std::time::Duration;

use super::{MapConfigError, SessionIndex, SessionMapConfig, WanReplicationRef, java, seconds};

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
    /// The fields whose effective values differ between `self` (ours) and `theirs` (the
    /// cluster's), named as in Hazelcast's YAML. Merge policies compare by class, so a
    /// simple and a fully qualified name of one policy are equal; index names are ignored
    /// (the member derives them).
    pub fn diff(&self, theirs: &SessionMapConfig) -> Vec<ConfigDifference> {
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
        let secs = |d: Option<Duration>| seconds("", d).unwrap_or(-1).to_string();
        check(
            "backup-count",
            self.backup_count.to_string(),
            theirs.backup_count.to_string(),
        );
        check(
            "async-backup-count",
            self.async_backup_count.to_string(),
            theirs.async_backup_count.to_string(),
        );
        check(
            "read-backup-data",
            self.read_backup_data.to_string(),
            theirs.read_backup_data.to_string(),
        );
        check(
            "time-to-live-seconds",
            secs(self.time_to_live),
            secs(theirs.time_to_live),
        );
        check(
            "max-idle-seconds",
            secs(self.max_idle),
            secs(theirs.max_idle),
        );
        check(
            "in-memory-format",
            self.in_memory_format.name().into(),
            theirs.in_memory_format.name().into(),
        );
        check(
            "statistics-enabled",
            self.statistics_enabled.to_string(),
            theirs.statistics_enabled.to_string(),
        );
        check(
            "per-entry-stats-enabled",
            self.effective_per_entry_stats().to_string(),
            theirs.per_entry_stats_enabled.to_string(),
        );
        check(
            "merge-policy.class-name",
            self.merge_policy.class_name(),
            theirs.merge_policy.class_name(),
        );
        check(
            "merge-policy.batch-size",
            self.merge_batch_size.to_string(),
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
            wan(&self.wan_replication_ref),
            wan(&theirs.wan_replication_ref),
        );
        let idx = |v: &[SessionIndex]| {
            let mut v: Vec<String> = v
                .iter()
                .map(|i| format!("{} {:?}", i.kind.name(), i.attributes))
                .collect();
            v.sort();
            v.join("; ")
        };
        check("indexes", idx(&self.indexes), idx(&theirs.indexes));
        out
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
