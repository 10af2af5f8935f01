//! How keys and values become [`Data`] and back, including Compact records.

use hazelcast_protocol::compact::{Compact as CompactWrite, CompactDeserialize, SchemaRegistry};
use hazelcast_protocol::data::{Data, HEADER_SIZE};
use hazelcast_protocol::serialization::{
    FromData, JsonValue, SerializationError, ToData, Uuid as HzUuid, Value,
};

/// A type the client can send as a key or value.
pub trait Serialize {
    /// Serializes the value; Compact types register their schemas in `schemas`.
    ///
    /// # Errors
    /// When the value cannot be represented.
    fn to_data(&self, schemas: &SchemaRegistry) -> Result<Data, SerializationError>;

    /// Appends exactly the bytes of [`to_data`](Self::to_data) to `out`: the client
    /// serializes keys and values of the most frequent map operations straight into the
    /// request this way. The provided version copies `to_data`'s result; the built-in
    /// types write in place.
    ///
    /// # Errors
    /// As [`to_data`](Self::to_data); `out` then holds a partial value.
    fn write_data(
        &self,
        schemas: &SchemaRegistry,
        out: &mut Vec<u8>,
    ) -> Result<(), SerializationError> {
        out.extend_from_slice(self.to_data(schemas)?.as_bytes());
        Ok(())
    }

    /// About how many bytes [`write_data`](Self::write_data) appends (a hint to size the
    /// request's buffer once; 0 when unknown).
    fn size_hint(&self) -> usize {
        0
    }
}

/// A type the client can read from a key or value.
pub trait Deserialize: Sized {
    /// Deserializes the value; Compact types look their schemas up in `schemas` (the client
    /// fetches unknown schemas from the cluster and tries again).
    ///
    /// # Errors
    /// Type mismatch, malformed bytes or [`SerializationError::SchemaNotFound`].
    fn from_data(data: &Data, schemas: &SchemaRegistry) -> Result<Self, SerializationError>;
}

macro_rules! builtin {
    ($($t:ty),*) => {$(
        impl Serialize for $t {
            fn to_data(&self, _: &SchemaRegistry) -> Result<Data, SerializationError> {
                ToData::to_data(self)
            }
            fn write_data(
                &self,
                _: &SchemaRegistry,
                out: &mut Vec<u8>,
            ) -> Result<(), SerializationError> {
                ToData::write_data(self, out)
            }
            fn size_hint(&self) -> usize {
                HEADER_SIZE + ToData::payload_size_hint(self)
            }
        }
        impl Deserialize for $t {
            fn from_data(data: &Data, _: &SchemaRegistry) -> Result<Self, SerializationError> {
                <$t as FromData>::from_data(data)
            }
        }
    )*};
}

builtin!(
    bool,
    i8,
    i16,
    i32,
    i64,
    f32,
    f64,
    String,
    Vec<u8>,
    HzUuid,
    JsonValue,
    Value
);

impl Serialize for str {
    fn to_data(&self, _: &SchemaRegistry) -> Result<Data, SerializationError> {
        ToData::to_data(self)
    }
    fn write_data(&self, _: &SchemaRegistry, out: &mut Vec<u8>) -> Result<(), SerializationError> {
        ToData::write_data(self, out)
    }
    fn size_hint(&self) -> usize {
        HEADER_SIZE + ToData::payload_size_hint(self)
    }
}

impl<T: Serialize + ?Sized> Serialize for &T {
    fn to_data(&self, schemas: &SchemaRegistry) -> Result<Data, SerializationError> {
        (**self).to_data(schemas)
    }
    fn write_data(
        &self,
        schemas: &SchemaRegistry,
        out: &mut Vec<u8>,
    ) -> Result<(), SerializationError> {
        (**self).write_data(schemas, out)
    }
    fn size_hint(&self) -> usize {
        (**self).size_hint()
    }
}

/// The escape hatch: already serialized bytes go through unchanged.
impl Serialize for Data {
    fn to_data(&self, _: &SchemaRegistry) -> Result<Data, SerializationError> {
        Ok(self.clone())
    }
    fn write_data(&self, _: &SchemaRegistry, out: &mut Vec<u8>) -> Result<(), SerializationError> {
        out.extend_from_slice(self.as_bytes());
        Ok(())
    }
    fn size_hint(&self) -> usize {
        self.len()
    }
}

/// The value is copied out of the received message (one copy, as for any other type), so
/// that a kept value does not hold the connection's read buffer.
impl Deserialize for Data {
    fn from_data(data: &Data, _: &SchemaRegistry) -> Result<Self, SerializationError> {
        Ok(data.detached())
    }
}

/// A value stored with Compact serialization: `AsCompact(my_struct)` (named so that it
/// does not collide with [`hazelcast_protocol::compact::Compact`], the trait `my_struct`
/// implements).
///
/// ```
/// use hazelcast_client::{AsCompact, Deserialize, Serialize};
/// use hazelcast_protocol::compact::{FieldValue, GenericRecord, SchemaRegistry};
///
/// let schemas = SchemaRegistry::new();
/// let record = GenericRecord::builder("Point").field("x", FieldValue::Int32(3)).build()?;
/// let data = AsCompact(record).to_data(&schemas)?;
/// let AsCompact(back) = AsCompact::<GenericRecord>::from_data(&data, &schemas)?;
/// assert_eq!(back.get("x"), Some(&FieldValue::Int32(3)));
/// # Ok::<(), hazelcast_protocol::serialization::SerializationError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct AsCompact<T>(pub T);

impl<T: CompactWrite> Serialize for AsCompact<T> {
    fn to_data(&self, schemas: &SchemaRegistry) -> Result<Data, SerializationError> {
        schemas.to_data(&self.0)
    }
}

impl<T: CompactDeserialize> Deserialize for AsCompact<T> {
    fn from_data(data: &Data, schemas: &SchemaRegistry) -> Result<Self, SerializationError> {
        schemas.from_data(data).map(AsCompact)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hazelcast_protocol::compact::FieldValue;
    use hazelcast_protocol::compact::GenericRecord;

    #[test]
    fn builtins_round_trip_and_data_passes_through() {
        let r = SchemaRegistry::new();
        let d = Serialize::to_data("alice", &r).expect("ser");
        assert_eq!(
            <String as Deserialize>::from_data(&d, &r).expect("de"),
            "alice"
        );
        assert_eq!(Deserialize::from_data(&d, &r).ok(), Some(d.clone()));
        assert!(<i64 as Deserialize>::from_data(&d, &r).is_err());
        assert_eq!(Serialize::to_data(&d, &r).expect("id"), d);
    }

    #[test]
    fn compact_values_register_their_schema() {
        let r = SchemaRegistry::new();
        let rec = GenericRecord::builder("T")
            .field("n", FieldValue::Int32(3))
            .build()
            .expect("record");
        let d = Serialize::to_data(&AsCompact(rec), &r).expect("ser");
        assert!(r.has_unreplicated());
        let back: AsCompact<GenericRecord> = Deserialize::from_data(&d, &r).expect("de");
        assert_eq!(back.0.get("n"), Some(&FieldValue::Int32(3)));
        let empty = SchemaRegistry::new();
        assert!(matches!(
            <AsCompact<GenericRecord> as Deserialize>::from_data(&d, &empty),
            Err(SerializationError::SchemaNotFound(_))
        ));
    }
}
