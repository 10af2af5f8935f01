//! [`WanReplicationRef`]: a map's reference to the members' WAN replication configuration.

use hazelcast_protocol::codec::custom;

use super::MergePolicy;

/// A reference from a map to a WAN replication configuration on the members
/// (Hazelcast Enterprise; an open-source member accepts and ignores it).
///
/// ```
/// use hazelcast_client::{MergePolicy, WanReplicationRef};
/// let wan = WanReplicationRef::new("to-new-york").with_merge_policy(MergePolicy::PutIfAbsent);
/// assert!(wan.republishing_enabled);
/// ```
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

    /// The protocol's form (filters always sent, empty or not).
    pub(super) fn to_wire(&self) -> custom::WanReplicationRef {
        custom::WanReplicationRef {
            name: self.name.clone(),
            merge_policy_class_name: self.merge_policy.class_name(),
            filters: Some(self.filters.clone()),
            republishing_enabled: self.republishing_enabled,
        }
    }

    /// From the protocol's form.
    pub(super) fn from_wire(w: &custom::WanReplicationRef) -> Self {
        Self {
            name: w.name.clone(),
            merge_policy: MergePolicy::from_name(&w.merge_policy_class_name),
            republishing_enabled: w.republishing_enabled,
            filters: w.filters.clone().unwrap_or_default(),
        }
    }
}
