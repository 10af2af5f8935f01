//! Hazelcast `Data`: the serialized form of a key or value.
//!
//! Layout (Hazelcast's `HeapData`): `partitionHash: i32 BE | typeId: i32 BE | payload`. An
//! empty buffer stands for null. The partition hash is 0 unless a partitioning strategy set
//! it; then the hash of the payload is used.
//!
//! ```
//! use hazelcast_protocol::data::{type_id, Data};
//! use hazelcast_protocol::serialization::ToData;
//!
//! let data = "alice".to_data()?;
//! assert_eq!(data.type_id(), Some(type_id::STRING));
//! assert_eq!(data.payload(), b"\0\0\0\x05alice");
//! assert_eq!(data.partition_id(271), 7);
//! # Ok::<(), hazelcast_protocol::serialization::SerializationError>(())
//! ```

use bytes::Bytes;

use crate::hash::{HASH_SEED, hash_to_index, murmur3_x86_32};
use crate::serialization::SerializationError;

/// Size of the header before the payload: partition hash and type id.
pub const HEADER_SIZE: usize = 8;

/// Hazelcast's serializer type ids (`SerializationConstants`) for the types this crate knows.
pub mod type_id {
    /// Null (an empty `Data`).
    pub const NULL: i32 = 0;
    /// Portable (not supported here).
    pub const PORTABLE: i32 = -1;
    /// DataSerializable / IdentifiedDataSerializable (predicates).
    pub const DATA_SERIALIZABLE: i32 = -2;
    /// `java.lang.Byte`.
    pub const BYTE: i32 = -3;
    /// `java.lang.Boolean`.
    pub const BOOLEAN: i32 = -4;
    /// `java.lang.Character` (one UTF-16 code unit).
    pub const CHAR: i32 = -5;
    /// `java.lang.Short`.
    pub const SHORT: i32 = -6;
    /// `java.lang.Integer`.
    pub const INTEGER: i32 = -7;
    /// `java.lang.Long`.
    pub const LONG: i32 = -8;
    /// `java.lang.Float`.
    pub const FLOAT: i32 = -9;
    /// `java.lang.Double`.
    pub const DOUBLE: i32 = -10;
    /// `java.lang.String`.
    pub const STRING: i32 = -11;
    /// `byte[]`.
    pub const BYTE_ARRAY: i32 = -12;
    /// `java.util.UUID`.
    pub const UUID: i32 = -21;
    /// A Compact record (schema id + body).
    pub const COMPACT: i32 = -55;
    /// A Compact record with its schema inlined (not produced by clients).
    pub const COMPACT_WITH_SCHEMA: i32 = -56;
    /// `HazelcastJsonValue`.
    pub const JSON: i32 = -130;
}

/// Serialized bytes of one value, exactly as Hazelcast's `HeapData` holds them:
/// a big-endian partition hash, a big-endian type id, then the payload.
///
/// The bytes are shared ([`Bytes`]): cloning a `Data` costs a reference count, not a copy,
/// so a value can be kept for a compare-and-set and sent at the same time.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Data {
    bytes: Bytes,
}

impl Data {
    /// Wraps bytes received from the wire or produced by a serializer, without checking them.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self {
            bytes: Bytes::from(bytes),
        }
    }

    /// Wraps shared bytes (a slice of a received message, for example) without copying them.
    pub fn from_shared(bytes: Bytes) -> Self {
        Self { bytes }
    }

    /// The shared bytes (a cheap clone).
    pub fn to_shared(&self) -> Bytes {
        self.bytes.clone()
    }

    /// A `Data` holding its own copy of the bytes. A value decoded from a received message
    /// shares that message's read buffer: keep a detached copy when the value outlives the
    /// call (a cache), so that it does not hold the whole buffer.
    pub fn detached(&self) -> Self {
        Self::from_bytes(self.bytes.to_vec())
    }

    /// Wraps bytes after checking that they are empty (null) or hold a whole header.
    ///
    /// # Errors
    /// [`SerializationError::ShortHeader`] for 1 to 7 bytes.
    pub fn try_from_bytes(bytes: Vec<u8>) -> Result<Self, SerializationError> {
        if !bytes.is_empty() && bytes.len() < HEADER_SIZE {
            return Err(SerializationError::ShortHeader(bytes.len()));
        }
        Ok(Self::from_bytes(bytes))
    }

    /// Builds a `Data` from a type id and payload, with partition hash 0 ("not set").
    pub fn new(type_id: i32, payload: &[u8]) -> Self {
        let mut bytes = Vec::with_capacity(HEADER_SIZE + payload.len());
        bytes.extend_from_slice(&0i32.to_be_bytes());
        bytes.extend_from_slice(&type_id.to_be_bytes());
        bytes.extend_from_slice(payload);
        Self::from_bytes(bytes)
    }

    /// The null value: no bytes at all.
    pub fn null() -> Self {
        Self {
            bytes: Bytes::new(),
        }
    }

    /// The complete serialized bytes, header included.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Gives back the complete serialized bytes (without a copy unless they are shared).
    pub fn into_bytes(self) -> Vec<u8> {
        Vec::from(self.bytes)
    }

    /// Total size in bytes, header included.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether this is the empty (null) value.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Whether this stands for null: empty, or a header with type id 0 and no payload.
    pub fn is_null(&self) -> bool {
        self.bytes.is_empty()
            || (self.type_id() == Some(type_id::NULL) && self.payload().is_empty())
    }

    /// The serializer type id, or `None` when the bytes are too short for a header.
    /// An empty `Data` has type [`type_id::NULL`].
    pub fn type_id(&self) -> Option<i32> {
        if self.bytes.is_empty() {
            return Some(type_id::NULL);
        }
        self.bytes
            .get(4..8)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The partition hash stored in the header (0 = not set), if there is a header.
    pub fn stored_partition_hash(&self) -> Option<i32> {
        self.bytes
            .get(0..4)
            .map(|b| i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The payload after the 8-byte header (empty when there is no whole header).
    pub fn payload(&self) -> &[u8] {
        self.bytes.get(HEADER_SIZE..).unwrap_or(&[])
    }

    /// Hazelcast's `getPartitionHash()`: the stored hash if non-zero, else
    /// MurmurHash3_x86_32 of the payload with seed `0x01000193`.
    pub fn partition_hash(&self) -> i32 {
        partition_hash(&self.bytes)
    }

    /// The partition that owns this key in a cluster of `partition_count` partitions.
    pub fn partition_id(&self, partition_count: u32) -> u32 {
        hash_to_index(self.partition_hash(), partition_count)
    }

    /// Sets the stored partition hash (as a partitioning strategy would). No-op on short data.
    pub fn set_partition_hash(&mut self, hash: i32) {
        if self.bytes.len() < 4 {
            return;
        }
        let mut owned = bytes::BytesMut::from(std::mem::take(&mut self.bytes));
        owned[0..4].copy_from_slice(&hash.to_be_bytes());
        self.bytes = owned.freeze();
    }
}

/// [`Data::partition_hash`] of the serialized bytes `data` (a whole `Data`, header
/// included), for a value serialized straight into a message.
pub fn partition_hash(data: &[u8]) -> i32 {
    match data.get(0..4) {
        Some(&[a, b, c, d]) if i32::from_be_bytes([a, b, c, d]) != 0 => {
            i32::from_be_bytes([a, b, c, d])
        }
        _ => murmur3_x86_32(data.get(HEADER_SIZE..).unwrap_or(&[]), HASH_SEED),
    }
}

impl From<Data> for Vec<u8> {
    fn from(d: Data) -> Self {
        Vec::from(d.bytes)
    }
}

impl AsRef<[u8]> for Data {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

impl std::fmt::Debug for Data {
    // Values may be session contents: never print them, only their size.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Data({} bytes)", self.bytes.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_accessors() {
        let d = Data::new(type_id::INTEGER, &42i32.to_be_bytes());
        assert_eq!(
            d.as_bytes(),
            &[0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf9, 0, 0, 0, 42]
        );
        assert_eq!(d.type_id(), Some(-7));
        assert_eq!(d.payload(), &[0, 0, 0, 42]);
        assert!(!d.is_null());
        assert!(Data::null().is_null());
        assert_eq!(Data::from_bytes(vec![1, 2, 3]).type_id(), None);
        assert_eq!(Data::from_bytes(vec![1, 2, 3]).payload(), b"");
        assert!(Data::try_from_bytes(vec![1, 2, 3]).is_err());
    }

    #[test]
    fn stored_hash_wins() {
        let mut d = Data::new(type_id::STRING, b"\0\0\0\x05alice");
        assert_eq!(d.partition_hash(), 1_901_769_878);
        d.set_partition_hash(-3);
        assert_eq!(d.partition_hash(), -3);
        assert_eq!(d.partition_id(271), 3);
    }

    #[test]
    fn debug_redacts() {
        assert_eq!(format!("{:?}", Data::new(-11, b"secret")), "Data(14 bytes)");
    }
}
