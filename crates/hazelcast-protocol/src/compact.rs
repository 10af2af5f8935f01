//! Compact serialization (Hazelcast 5.2+): schema-described records, byte-compatible with
//! the Java and Python clients.
//!
//! A record is `schemaId: i64` then its body; as a top-level value it is a [`Data`] of type
//! −55. The body holds a fixed section (fixed-size fields by descending size then name,
//! booleans bit-packed), the variable-size values, and an offset table. Schemas live in a
//! [`SchemaRegistry`], which also knows which schemas the cluster has not yet received.
//!
//! ```
//! use hazelcast_protocol::compact::{
//!     Compact, CompactDeserialize, CompactReader, CompactWriter, SchemaRegistry,
//! };
//! use hazelcast_protocol::serialization::SerializationError;
//!
//! struct Demo {
//!     n: i32,
//!     principal_name: Option<String>,
//! }
//!
//! impl Compact for Demo {
//!     fn type_name(&self) -> &str {
//!         "Demo"
//!     }
//!     fn write<'a>(&'a self, w: &mut CompactWriter<'a>) -> Result<(), SerializationError> {
//!         w.write_int32("n", self.n);
//!         w.write_string("principalName", self.principal_name.as_deref());
//!         Ok(())
//!     }
//! }
//!
//! impl CompactDeserialize for Demo {
//!     fn read(r: &CompactReader<'_>) -> Result<Self, SerializationError> {
//!         Ok(Demo {
//!             n: r.read_int32("n")?,
//!             principal_name: r.read_string("principalName")?.map(str::to_owned),
//!         })
//!     }
//! }
//!
//! let registry = SchemaRegistry::new();
//! let data = registry.to_data(&Demo { n: 7, principal_name: Some("alice".into()) })?;
//! // The schema is new to the cluster: a client sends it before sending `data`.
//! assert_eq!(registry.unreplicated().len(), 1);
//! let back: Demo = registry.from_data(&data)?;
//! assert_eq!((back.n, back.principal_name.as_deref()), (7, Some("alice")));
//! # Ok::<(), SerializationError>(())
//! ```

mod generic;
mod kind;
mod reader;
mod registry;
mod schema;
mod types;
mod wire;
mod writer;

use std::sync::Arc;

pub use generic::{FieldValue, GenericRecord, GenericRecordBuilder};
pub use kind::FieldKind;
pub use reader::CompactReader;
pub use registry::SchemaRegistry;
pub use schema::{FINGERPRINT_INIT, FieldDescriptor, FieldLayout, Schema, fingerprint};
pub use types::{Date, Decimal, Time, Timestamp, TimestampWithTimezone};
pub use writer::CompactWriter;

use crate::data::{Data, type_id};
use crate::serialization::{DataOutput, SerializationError};

/// Offset-table value of a null variable-size field (as u8 0xFF, u16 0xFFFF or i32 −1).
pub const NULL_OFFSET: i32 = -1;

/// A Rust type that writes itself as a Compact record.
pub trait Compact {
    /// The Compact type name (Java's `getTypeName()`), part of the schema id.
    fn type_name(&self) -> &str;

    /// Writes every field. Variable-size values are stored in call order.
    ///
    /// # Errors
    /// Whatever the implementation finds wrong; writer errors surface when encoding ends.
    fn write<'a>(&'a self, w: &mut CompactWriter<'a>) -> Result<(), SerializationError>;
}

/// A Rust type that reads itself from a Compact record.
pub trait CompactDeserialize: Sized {
    /// Reads the fields it needs.
    ///
    /// # Errors
    /// Missing fields, kind mismatches, malformed bytes.
    fn read(r: &CompactReader<'_>) -> Result<Self, SerializationError>;
}

impl<T: Compact + ?Sized> Compact for &T {
    fn type_name(&self) -> &str {
        (**self).type_name()
    }
    fn write<'a>(&'a self, w: &mut CompactWriter<'a>) -> Result<(), SerializationError> {
        (**self).write(w)
    }
}

impl SchemaRegistry {
    /// Writes `value` as `schemaId` + body into `out` (no `Data` header), registering its
    /// schema (and nested ones) if new. Returns the top-level schema.
    ///
    /// # Errors
    /// Duplicate field names, schema-id conflicts, lengths above `i32::MAX`, nesting too deep.
    pub fn encode_into<T: Compact + ?Sized>(
        &self,
        value: &T,
        out: &mut DataOutput,
    ) -> Result<Arc<Schema>, SerializationError> {
        let mut w = CompactWriter::new(self);
        value.write(&mut w)?;
        w.finish(value.type_name(), out)
    }

    /// Serializes `value` as a Compact `Data` (type −55, partition hash 0).
    ///
    /// # Errors
    /// As [`encode_into`](Self::encode_into).
    pub fn to_data<T: Compact + ?Sized>(&self, value: &T) -> Result<Data, SerializationError> {
        let mut out = DataOutput::with_header(type_id::COMPACT, 256);
        self.encode_into(value, &mut out)?;
        Ok(out.into_data())
    }

    /// Reads a Compact record from `bytes` (`schemaId` + body) with `f`.
    ///
    /// # Errors
    /// [`SerializationError::SchemaNotFound`] for an unknown schema (fetch it, register it
    /// and try again), malformed bytes, or what `f` reports.
    pub fn decode_with<'a, T>(
        &'a self,
        bytes: &'a [u8],
        f: impl FnOnce(&CompactReader<'a>) -> Result<T, SerializationError>,
    ) -> Result<T, SerializationError> {
        let (r, _) = CompactReader::parse(self, bytes, 0)?;
        f(&r)
    }

    /// Deserializes a Compact `Data` as `T`.
    ///
    /// # Errors
    /// Not a Compact `Data`, an unknown schema or malformed bytes.
    pub fn from_data<T: CompactDeserialize>(&self, data: &Data) -> Result<T, SerializationError> {
        self.decode_with(compact_payload(data)?, |r| T::read(r))
    }

    /// Deserializes any Compact `Data` as a [`GenericRecord`].
    ///
    /// # Errors
    /// As [`from_data`](Self::from_data).
    pub fn to_generic(&self, data: &Data) -> Result<GenericRecord, SerializationError> {
        self.from_data(data)
    }
}

/// The schema id of a Compact `Data`, without decoding it (to fetch an unknown schema).
pub fn schema_id_of(data: &Data) -> Option<i64> {
    let p = compact_payload(data).ok()?;
    p.get(..8)
        .map(|b| i64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
}

fn compact_payload(data: &Data) -> Result<&[u8], SerializationError> {
    match data.type_id() {
        Some(type_id::COMPACT) => Ok(data.payload()),
        Some(found) => Err(SerializationError::UnexpectedType {
            expected: type_id::COMPACT,
            found,
        }),
        None => Err(SerializationError::ShortHeader(data.len())),
    }
}
