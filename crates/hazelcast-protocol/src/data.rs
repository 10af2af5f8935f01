//! Hazelcast `Data`: the serialized form of a key or value.

/// Serialized bytes of one value, exactly as Hazelcast's `HeapData` holds them:
/// a big-endian partition hash, a big-endian type id, then the payload.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Data {
    bytes: Vec<u8>,
}

impl Data {
    /// Wraps bytes received from the wire or produced by a serializer, without checking them.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self { bytes }
    }

    /// The complete serialized bytes, header included.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Gives back the complete serialized bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

impl std::fmt::Debug for Data {
    // Values may be session contents: never print them, only their size.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Data({} bytes)", self.bytes.len())
    }
}
