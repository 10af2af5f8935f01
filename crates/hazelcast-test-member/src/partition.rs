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

/// MurmurHash3 x86 32-bit with Hazelcast's seed, over `data`.
///
/// Local copy until `hazelcast_protocol::hash` exposes it; the protocol brief §3.2 and the
/// facts doc §10 give the rule and the vectors checked in the tests below.
pub fn murmur3_x86_32(data: &[u8], seed: u32) -> i32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut h = seed;
    let mut chunks = data.chunks_exact(4);
    for c in &mut chunks {
        let mut k = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = chunks.remainder();
    let mut k: u32 = 0;
    for (i, b) in tail.iter().enumerate() {
        k ^= u32::from(*b) << (8 * i);
    }
    if !tail.is_empty() {
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
    }
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h as i32
}

/// Partition of a serialized key (`Data` bytes): its stored partition hash when non-zero,
/// else MurmurHash3 (seed 0x01000193) of the payload after the 8-byte header; then
/// `abs(h) % count` (0 for `i32::MIN`).
pub fn partition_of(key: &[u8], partition_count: u32) -> u32 {
    if partition_count == 0 {
        return 0;
    }
    let stored = key
        .get(..4)
        .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
        .unwrap_or(0);
    let h = if stored != 0 {
        stored
    } else {
        murmur3_x86_32(key.get(8..).unwrap_or(&[]), 0x0100_0193)
    };
    if h == i32::MIN {
        0
    } else {
        h.unsigned_abs() % partition_count
    }
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
        assert_eq!(
            murmur3_x86_32(&string_key("alice")[8..], 0x0100_0193),
            1_901_769_878
        );
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
