//! The client's view of the cluster: the member list and the partition table, updated by
//! the cluster-view listener (and by the 2.7+ authentication response).

use std::sync::{PoisonError, RwLock};

use hazelcast_protocol::codec::custom::MemberInfo;
use uuid::Uuid;

/// A cluster member as the client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The member's uuid.
    pub uuid: Uuid,
    /// The address clients should use, `host:port`.
    pub address: String,
    /// Lite members own no partitions.
    pub lite: bool,
}

/// Endpoint qualifier types (`ProtocolType`).
const QUALIFIER_MEMBER: i32 = 0;
const QUALIFIER_CLIENT: i32 = 1;

impl Member {
    /// The member as seen in a `MemberInfo`: the CLIENT endpoint, else MEMBER, else `address`.
    pub fn from_info(info: &MemberInfo) -> Self {
        let pick = |t: i32| {
            info.address_map.as_ref().and_then(|m| {
                m.iter()
                    .find(|(q, _)| q.r#type == t)
                    .map(|(_, a)| a.clone())
            })
        };
        let a = pick(QUALIFIER_CLIENT)
            .or_else(|| pick(QUALIFIER_MEMBER))
            .unwrap_or_else(|| info.address.clone());
        Self {
            uuid: info.uuid,
            address: format_address(&a.host, a.port),
            lite: info.lite_member,
        }
    }
}

/// `host:port`, with IPv6 hosts in brackets.
pub(crate) fn format_address(host: &str, port: i32) -> String {
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

#[derive(Debug, Default)]
struct State {
    member_version: i32,
    members: Vec<Member>,
    partition_version: i32,
    /// Connection whose events built the table; a table from another connection replaces it.
    partition_source: u64,
    owners: Vec<Option<Uuid>>,
}

/// Members and partition owners, safe to read from any task.
#[derive(Debug, Default)]
pub(crate) struct ClusterView {
    state: RwLock<State>,
}

/// The result of applying a member list.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct MemberChanges {
    pub(crate) added: Vec<Member>,
    pub(crate) removed: Vec<Member>,
}

impl ClusterView {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets everything (cluster restart or cluster change).
    pub(crate) fn clear(&self) {
        *self.write() = State::default();
    }

    /// Forgets the member-list version so the next view applies (listener moved to another
    /// connection), keeping the members.
    pub(crate) fn reset_member_version(&self) {
        self.write().member_version = i32::MIN;
    }

    /// Applies a member list if `version` is newer than the current one.
    pub(crate) fn apply_members(
        &self,
        version: i32,
        infos: &[MemberInfo],
    ) -> Option<MemberChanges> {
        let mut s = self.write();
        if !s.members.is_empty() && version <= s.member_version {
            return None;
        }
        let new: Vec<Member> = infos.iter().map(Member::from_info).collect();
        let added = new
            .iter()
            .filter(|m| !s.members.iter().any(|o| o.uuid == m.uuid))
            .cloned()
            .collect();
        let removed = s
            .members
            .iter()
            .filter(|o| !new.iter().any(|m| m.uuid == o.uuid))
            .cloned()
            .collect();
        s.members = new;
        s.member_version = version;
        Some(MemberChanges { added, removed })
    }

    /// Applies a partition table from the cluster-view listener: ignored when empty;
    /// applied when it comes from another connection than the current table (Java's rule:
    /// the listener moved), else only when `version` is newer.
    pub(crate) fn apply_partitions(
        &self,
        source_conn: u64,
        version: i32,
        partitions: &[(Uuid, Vec<i32>)],
        partition_count: u32,
    ) -> bool {
        self.apply_partitions_when(source_conn, version, partitions, partition_count, |s| {
            s.partition_source != source_conn || version > s.partition_version
        })
    }

    /// Applies the partition table of an authentication response: only when there is no
    /// table yet or it is newer than the current one. A member that has just joined (a
    /// rolling restart) answers with the table it had when it joined, often older than the
    /// one the listener keeps up to date; applying it would route calls by stale owners
    /// until the listener's next event.
    pub(crate) fn apply_auth_partitions(
        &self,
        source_conn: u64,
        version: i32,
        partitions: &[(Uuid, Vec<i32>)],
        partition_count: u32,
    ) -> bool {
        self.apply_partitions_when(source_conn, version, partitions, partition_count, |s| {
            version > s.partition_version
        })
    }

    fn apply_partitions_when(
        &self,
        source_conn: u64,
        version: i32,
        partitions: &[(Uuid, Vec<i32>)],
        partition_count: u32,
        applies: impl FnOnce(&State) -> bool,
    ) -> bool {
        if partitions.is_empty() || partition_count == 0 {
            return false;
        }
        let mut s = self.write();
        if !s.owners.is_empty() && !applies(&s) {
            tracing::debug!(
                version,
                current = s.partition_version,
                source_conn,
                "partition table ignored"
            );
            return false;
        }
        let mut owners = vec![None; partition_count as usize];
        for (uuid, ids) in partitions {
            for &p in ids {
                if let Some(slot) = usize::try_from(p).ok().and_then(|p| owners.get_mut(p)) {
                    *slot = Some(*uuid);
                }
            }
        }
        let moved = s
            .owners
            .iter()
            .zip(&owners)
            .filter(|(old, new)| old != new)
            .count();
        tracing::debug!(
            version,
            previous = s.partition_version,
            moved,
            source_conn,
            "partition table applied"
        );
        s.owners = owners;
        s.partition_version = version;
        s.partition_source = source_conn;
        true
    }

    /// The version of the partition table in use (0 before the first).
    pub(crate) fn partition_version(&self) -> i32 {
        self.read().partition_version
    }

    /// The owner of a partition, if known.
    pub(crate) fn owner(&self, partition_id: i32) -> Option<Uuid> {
        let s = self.read();
        usize::try_from(partition_id)
            .ok()
            .and_then(|p| s.owners.get(p).copied().flatten())
    }

    /// The current members.
    pub(crate) fn members(&self) -> Vec<Member> {
        self.read().members.clone()
    }

    /// The member with this uuid.
    #[cfg(test)]
    pub(crate) fn member(&self, uuid: Uuid) -> Option<Member> {
        self.read().members.iter().find(|m| m.uuid == uuid).cloned()
    }

    /// Partition count per owner, for diagnostics.
    #[cfg(test)]
    pub(crate) fn owner_counts(&self) -> std::collections::HashMap<Uuid, usize> {
        let mut m = std::collections::HashMap::new();
        for o in self.read().owners.iter().flatten() {
            *m.entry(*o).or_insert(0) += 1;
        }
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hazelcast_protocol::codec::custom::{Address, EndpointQualifier, MemberVersion};

    fn info(n: u128, port: i32) -> MemberInfo {
        MemberInfo {
            address: Address {
                host: "10.0.0.1".into(),
                port,
            },
            uuid: Uuid::from_u128(n),
            attributes: vec![],
            lite_member: false,
            version: MemberVersion {
                major: 5,
                minor: 4,
                patch: 0,
            },
            address_map: None,
        }
    }

    #[test]
    fn member_address_prefers_the_client_endpoint() {
        let mut i = info(1, 5701);
        assert_eq!(Member::from_info(&i).address, "10.0.0.1:5701");
        i.address_map = Some(vec![
            (
                EndpointQualifier {
                    r#type: 0,
                    identifier: None,
                },
                Address {
                    host: "m".into(),
                    port: 1,
                },
            ),
            (
                EndpointQualifier {
                    r#type: 1,
                    identifier: None,
                },
                Address {
                    host: "::1".into(),
                    port: 2,
                },
            ),
        ]);
        assert_eq!(Member::from_info(&i).address, "[::1]:2");
    }

    #[test]
    fn member_lists_apply_only_when_newer() {
        let v = ClusterView::default();
        let c = v
            .apply_members(3, &[info(1, 1), info(2, 2)])
            .expect("first");
        assert_eq!(c.added.len(), 2);
        assert!(v.apply_members(3, &[info(1, 1)]).is_none());
        let c = v
            .apply_members(4, &[info(1, 1), info(3, 3)])
            .expect("newer");
        assert_eq!(
            c.added.iter().map(|m| m.uuid).collect::<Vec<_>>(),
            [Uuid::from_u128(3)]
        );
        assert_eq!(
            c.removed.iter().map(|m| m.uuid).collect::<Vec<_>>(),
            [Uuid::from_u128(2)]
        );
        v.reset_member_version();
        assert!(v.apply_members(1, &[info(1, 1)]).is_some());
        assert!(v.member(Uuid::from_u128(1)).is_some());
    }

    #[test]
    fn partition_tables_follow_the_version_and_source_rules() {
        let v = ClusterView::default();
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        assert!(!v.apply_partitions(1, 5, &[], 4), "empty view ignored");
        assert!(v.apply_partitions(1, 5, &[(a, vec![0, 1]), (b, vec![2, 3, 99, -1])], 4));
        assert_eq!(v.owner(0), Some(a));
        assert_eq!(v.owner(3), Some(b));
        assert_eq!(v.owner(4), None);
        assert_eq!(v.owner(-1), None);
        assert!(
            !v.apply_partitions(1, 5, &[(b, vec![0, 1, 2, 3])], 4),
            "same source, same version"
        );
        assert!(
            v.apply_partitions(2, 1, &[(b, vec![0, 1, 2, 3])], 4),
            "other source"
        );
        assert_eq!(v.owner_counts().get(&b), Some(&4));
        assert!(
            v.apply_partitions(2, 2, &[(a, vec![0, 1, 2, 3])], 4),
            "newer"
        );
        assert_eq!(v.owner(2), Some(a));
    }

    #[test]
    fn an_authentication_table_applies_only_when_newer() {
        let v = ClusterView::default();
        let a = Uuid::from_u128(1);
        let b = Uuid::from_u128(2);
        assert!(
            v.apply_auth_partitions(1, 3, &[(a, vec![0, 1])], 2),
            "no table yet"
        );
        assert!(v.apply_partitions(1, 11, &[(a, vec![0]), (b, vec![1])], 2));
        assert!(
            !v.apply_auth_partitions(2, 5, &[(a, vec![0, 1])], 2),
            "a joining member's older table from another connection"
        );
        assert_eq!(v.owner(1), Some(b));
        assert_eq!(v.partition_version(), 11);
        assert!(v.apply_auth_partitions(2, 12, &[(b, vec![0, 1])], 2));
        assert_eq!(v.owner(0), Some(b));
        v.clear();
        assert!(
            v.apply_auth_partitions(3, 1, &[(a, vec![0, 1])], 2),
            "a new cluster starts over"
        );
    }
}
