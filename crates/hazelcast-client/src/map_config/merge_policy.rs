//! [`MergePolicy`]: how a map's entries merge after a split brain heals (and how a WAN
//! target merges replicated entries).

use std::fmt;

/// A split-brain merge policy (package `com.hazelcast.spi.merge`), or a custom class.
///
/// ```
/// use hazelcast_client::MergePolicy;
/// assert_eq!(MergePolicy::from_name("LatestUpdateMergePolicy"), MergePolicy::LatestUpdate);
/// assert_eq!(
///     MergePolicy::PutIfAbsent.class_name(),
///     "com.hazelcast.spi.merge.PutIfAbsentMergePolicy"
/// );
/// ```
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_policy_by_simple_and_class_name() {
        for p in MergePolicy::BUILT_IN {
            assert_eq!(MergePolicy::from_name(p.simple_name()), p);
            assert_eq!(MergePolicy::from_name(&p.class_name()), p);
            assert_eq!(p.class_name(), format!("{MERGE_PACKAGE}{p}"));
        }
        let needs: Vec<_> = MergePolicy::BUILT_IN
            .iter()
            .filter(|p| p.needs_per_entry_stats())
            .map(MergePolicy::simple_name)
            .collect();
        assert_eq!(
            needs,
            [
                "LatestUpdateMergePolicy",
                "LatestAccessMergePolicy",
                "HigherHitsMergePolicy",
                "ExpirationTimeMergePolicy"
            ]
        );
        let custom = MergePolicy::from_name("com.example.MyPolicy");
        assert_eq!(custom, MergePolicy::Custom("com.example.MyPolicy".into()));
        assert_eq!(custom.class_name(), "com.example.MyPolicy");
        assert!(!custom.needs_per_entry_stats());
    }
}
