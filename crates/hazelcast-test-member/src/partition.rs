//! Members and the partition table: who owns each partition and who holds its backups.
//!
//! Assignment rule (deterministic, like a balanced Hazelcast table): with live members
//! `m[0..n]` in join order, replica `i` of partition `p` is `m[(p + i) % n]`, for
//! `i < min(n, 7)` (a primary plus at most 6 backups, `IPartition.MAX_BACKUP_COUNT`).
//! A map with `b` sync and `a` async backups uses replicas `1..=b+a` that exist.

use uuid::Uuid;

/// Hazelcast's maximum replica count (1 primary + 6 backups).
pub const MAX_REPLICAS: usize = 7;

/// The partition table of a cluster at one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionTable {
    /// Version, incremented on every change.
    pub version: i32,
    /// For each partition id, its replicas in order (index 0 = owner).
    pub replicas: Vec<Vec<Uuid>>,
}

impl PartitionTable {
    /// Assigns `partition_count` partitions over `members` (in join order).
    pub fn assign(partition_count: u32, members: &[Uuid], version: i32) -> Self {
        let n = members.len();
        let per = n.min(MAX_REPLICAS);
        let replicas = (0..partition_count as usize)
            .map(|p| (0..per).map(|i| members[(p + i) % n]).collect())
            .collect();
        Self { version, replicas }
    }

    /// Owner of partition `p`, if any member is alive.
    pub fn owner(&self, p: u32) -> Option<Uuid> {
        self.replicas
            .get(p as usize)
            .and_then(|r| r.first().copied())
    }

    /// Partitions owned by each member, as Hazelcast's PartitionsView lists them.
    pub fn owned_by(&self, member: Uuid) -> Vec<u32> {
        (0u32..)
            .zip(&self.replicas)
            .filter(|(_, r)| r.first() == Some(&member))
            .map(|(p, _)| p)
            .collect()
    }
}

/// Partition of a serialized key (`Data` bytes): its stored partition hash when non-zero,
/// else MurmurHash3 (seed 0x01000193) of the payload after the 8-byte header; then
/// `abs(h) % count` (0 for `i32::MIN`). Computed by `hazelcast_protocol`'s `Data`.
pub fn partition_of(key: &[u8], partition_count: u32) -> u32 {
    if partition_count == 0 {
        return 0;
    }
    hazelcast_protocol::data::Data::from_bytes(key.to_vec()).partition_id(partition_count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string_key(s: &str) -> Vec<u8> {
        let mut v = vec![0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf5];
        v.extend_from_slice(&(s.len() as i32).to_be_bytes());
        v.extend_from_slice(s.as_bytes());
        v
    }

    #[test]
    fn partition_vectors_from_a_real_member() {
        assert_eq!(partition_of(&string_key("alice"), 271), 7);
        assert_eq!(partition_of(&string_key("bob"), 271), 248);
        assert_eq!(partition_of(&string_key("sess-00007"), 271), 118);
        assert_eq!(partition_of(&string_key(""), 271), 11);
        assert_eq!(partition_of(&string_key("ü-ключ-鍵"), 271), 159);
        assert_eq!(partition_of(&string_key("k3"), 271), 17);
    }

    #[test]
    fn replicas_are_spread_and_distinct() {
        let ms: Vec<Uuid> = (0..3).map(|_| Uuid::new_v4()).collect();
        let t = PartitionTable::assign(271, &ms, 1);
        for r in &t.replicas {
            assert_eq!(r.len(), 3);
            assert_ne!(r[0], r[1]);
            assert_ne!(r[1], r[2]);
        }
        let owned: usize = ms.iter().map(|m| t.owned_by(*m).len()).sum();
        assert_eq!(owned, 271);
        assert!(ms.iter().all(|m| t.owned_by(*m).len() >= 90));
    }
}
