//! Partition hashing: MurmurHash3 (x86, 32-bit) and Hazelcast's hash-to-partition rule.
//!
//! A key's partition is `hash_to_index(murmur3_x86_32(payload, HASH_SEED), partition_count)`,
//! where `payload` is the key's [`Data`](crate::data::Data) bytes after the 8-byte header.
//!
//! ```
//! use hazelcast_protocol::hash::{hash_to_index, murmur3_x86_32, HASH_SEED};
//! // The payload of the String "alice": a big-endian length, then UTF-8.
//! let h = murmur3_x86_32(b"\0\0\0\x05alice", HASH_SEED);
//! assert_eq!(h, 1901769878);
//! assert_eq!(hash_to_index(h, 271), 7);
//! ```

/// The seed Hazelcast uses for partition hashes (`HashUtil.DEFAULT_MURMUR_SEED`).
pub const HASH_SEED: u32 = 0x0100_0193;

/// The partition count of a cluster with default settings.
pub const DEFAULT_PARTITION_COUNT: u32 = 271;

const C1: u32 = 0xcc9e_2d51;
const C2: u32 = 0x1b87_3593;

/// MurmurHash3_x86_32 of `bytes` (blocks read little-endian), as a signed Java `int`.
pub fn murmur3_x86_32(bytes: &[u8], seed: u32) -> i32 {
    let mut h1 = seed;
    let mut blocks = bytes.chunks_exact(4);
    for block in &mut blocks {
        let k1 = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
        h1 ^= mix_k1(k1);
        h1 = h1.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = blocks.remainder();
    if !tail.is_empty() {
        let mut k1 = 0u32;
        for (i, b) in tail.iter().enumerate() {
            k1 ^= u32::from(*b) << (8 * i);
        }
        h1 ^= mix_k1(k1);
    }
    // Java's length is an int; a slice longer than 4 GiB never reaches here in practice,
    // and truncation matches Java's behaviour on its own (impossible) overflow.
    h1 ^= bytes.len() as u32;
    fmix32(h1) as i32
}

fn mix_k1(k1: u32) -> u32 {
    k1.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2)
}

fn fmix32(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

/// Hazelcast's `HashUtil.hashToIndex`: `0` for `i32::MIN`, else `|hash| % partition_count`.
///
/// A `partition_count` of 0 gives 0 rather than dividing by zero.
pub fn hash_to_index(hash: i32, partition_count: u32) -> u32 {
    if hash == i32::MIN || partition_count == 0 {
        return 0;
    }
    hash.unsigned_abs() % partition_count
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brief_vectors() {
        // "a" and "k3" payloads from the protocol brief §3.2.
        assert_eq!(murmur3_x86_32(b"\0\0\0\x01a", HASH_SEED), 2_099_876_635);
        assert_eq!(murmur3_x86_32(b"\0\0\0\x02k3", HASH_SEED), -234_736_423);
        assert_eq!(hash_to_index(-234_736_423, 271), 17);
        assert_eq!(hash_to_index(i32::MIN, 271), 0);
        assert_eq!(hash_to_index(5, 0), 0);
    }

    #[test]
    fn empty_input_is_the_finalised_seed() {
        assert_eq!(murmur3_x86_32(&[], HASH_SEED), fmix32(HASH_SEED) as i32);
    }
}
