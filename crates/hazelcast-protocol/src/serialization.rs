//! Serialization of Hazelcast's built-in types into [`Data`] and back.
//!
//! Payloads are big-endian, as Hazelcast's default serialization service writes them. Strings
//! are a byte length then standard UTF-8 (characters outside the BMP as 4-byte sequences, as
//! Java's and Python's encoders produce); a null string or array has length −1.
//!
//! ```
//! use hazelcast_protocol::serialization::{FromData, ToData, Value};
//!
//! let data = 42i64.to_data()?;
//! assert_eq!(data.as_bytes(), &[0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf8, 0, 0, 0, 0, 0, 0, 0, 42]);
//! assert_eq!(i64::from_data(&data)?, 42);
//! assert_eq!(Value::from_data(&data)?, Value::Long(42));
//! assert!(String::from_data(&data).is_err()); // typed error, not a panic
//! # Ok::<(), hazelcast_protocol::serialization::SerializationError>(())
//! ```

use crate::data::{Data, HEADER_SIZE, type_id};

/// Why bytes could not be serialized or deserialized.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SerializationError {
    /// The input ended before a value did.
    #[error("input truncated: {needed} bytes needed at offset {offset}, {available} available")]
    Truncated {
        /// Where the read started.
        offset: usize,
        /// How many bytes it needed.
        needed: usize,
        /// How many were left.
        available: usize,
    },
    /// A `Data` of 1 to 7 bytes: too short for its header.
    #[error("data is {0} bytes, shorter than the 8-byte header")]
    ShortHeader(usize),
    /// The type id is not the one the caller asked for.
    #[error("type id {found} where {expected} was expected")]
    UnexpectedType {
        /// What the caller asked for.
        expected: i32,
        /// What the bytes hold.
        found: i32,
    },
    /// A type id this crate cannot decode.
    #[error("unsupported type id {0}")]
    UnsupportedType(i32),
    /// A length or count that is negative (other than −1 for null) or larger than the input.
    #[error("invalid length or count {0}")]
    InvalidLength(i64),
    /// A string that is not valid UTF-8.
    #[error("invalid UTF-8 in a string")]
    InvalidUtf8(#[source] std::str::Utf8Error),
    /// Bytes left over after a complete value.
    #[error("{0} trailing bytes after the value")]
    TrailingBytes(usize),
    /// A null where a non-null value is required.
    #[error("null where a value is required")]
    UnexpectedNull,
    /// A value outside its type's range or otherwise malformed.
    #[error("invalid value: {0}")]
    InvalidValue(String),
    /// Records or predicates nested deeper than the limit.
    #[error("nesting deeper than {0} levels")]
    TooDeep(usize),
    /// A Compact schema id that the registry does not know (fetch it from the cluster).
    #[error("unknown compact schema id {0}")]
    SchemaNotFound(i64),
    /// A schema has no field of that name.
    #[error("no field named {name:?} in compact type {type_name:?}")]
    NoSuchField {
        /// The record type.
        type_name: String,
        /// The field asked for.
        name: String,
    },
    /// A field exists with another kind.
    #[error("field {name:?} has kind {found}, not {expected}")]
    FieldKindMismatch {
        /// The field.
        name: String,
        /// Kind the caller asked for.
        expected: &'static str,
        /// Kind in the schema.
        found: &'static str,
    },
    /// The same field name twice in one record.
    #[error("duplicate field name {0:?}")]
    DuplicateField(String),
    /// Two different schemas with one id.
    #[error("schema id {0} is already registered with a different schema")]
    SchemaConflict(i64),
    /// A field kind id that is unknown or not supported by Compact.
    #[error("field kind id {0} is unknown or not supported by Compact")]
    UnsupportedFieldKind(i32),
    /// A writer finished without a value for a schema field.
    #[error("field {0:?} was not written")]
    FieldNotWritten(String),
    /// A schema registry reached its size limit.
    #[error("the schema registry is full ({0} schemas)")]
    TooManySchemas(usize),
    /// A position in an offset table that points outside the record.
    #[error("offset {0} is out of range")]
    BadOffset(i64),
}

type Result<T> = std::result::Result<T, SerializationError>;

/// Maximum nesting depth accepted when decoding predicates or Compact records.
pub const MAX_DEPTH: usize = 64;

mod data_io;

pub(crate) use data_io::utf8;
pub use data_io::{DataInput, DataOutput};

/// UUIDs are `uuid::Uuid`; Java writes them as two big-endian `long`s (most significant
/// first), which are exactly the UUID's 16 bytes.
pub use uuid::Uuid;

/// A JSON document stored as `HazelcastJsonValue` (type id −130), queryable by the cluster.
/// The text is stored as given; it is not validated.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct JsonValue(pub String);

/// A value of one of the built-in types, for writing inside predicates and for decoding
/// `Data` whose type is not known in advance.
#[derive(Clone, PartialEq, Debug)]
#[non_exhaustive]
pub enum Value {
    /// null (type 0).
    Null,
    /// `Boolean` (−4).
    Bool(bool),
    /// `Byte` (−3).
    Byte(i8),
    /// `Character` (−5): one UTF-16 code unit.
    Char(u16),
    /// `Short` (−6).
    Short(i16),
    /// `Integer` (−7).
    Int(i32),
    /// `Long` (−8).
    Long(i64),
    /// `Float` (−9).
    Float(f32),
    /// `Double` (−10).
    Double(f64),
    /// `String` (−11).
    String(String),
    /// `byte[]` (−12).
    Bytes(Vec<u8>),
    /// `UUID` (−21).
    Uuid(Uuid),
    /// `HazelcastJsonValue` (−130).
    Json(JsonValue),
}

impl Value {
    /// The Hazelcast type id of this value.
    pub fn type_id(&self) -> i32 {
        match self {
            Value::Null => type_id::NULL,
            Value::Bool(_) => type_id::BOOLEAN,
            Value::Byte(_) => type_id::BYTE,
            Value::Char(_) => type_id::CHAR,
            Value::Short(_) => type_id::SHORT,
            Value::Int(_) => type_id::INTEGER,
            Value::Long(_) => type_id::LONG,
            Value::Float(_) => type_id::FLOAT,
            Value::Double(_) => type_id::DOUBLE,
            Value::String(_) => type_id::STRING,
            Value::Bytes(_) => type_id::BYTE_ARRAY,
            Value::Uuid(_) => type_id::UUID,
            Value::Json(_) => type_id::JSON,
        }
    }

    /// Writes the payload (no type id).
    ///
    /// # Errors
    /// When a string or array is longer than `i32::MAX`.
    pub fn write_payload(&self, out: &mut DataOutput) -> Result<()> {
        match self {
            Value::Null => {}
            Value::Bool(v) => out.write_bool(*v),
            Value::Byte(v) => out.write_i8(*v),
            Value::Char(v) => out.write_u16(*v),
            Value::Short(v) => out.write_i16(*v),
            Value::Int(v) => out.write_i32(*v),
            Value::Long(v) => out.write_i64(*v),
            Value::Float(v) => out.write_f32(*v),
            Value::Double(v) => out.write_f64(*v),
            Value::String(v) => out.write_string(v)?,
            Value::Bytes(v) => out.write_byte_array(v)?,
            Value::Uuid(v) => out.write_bytes(v.as_bytes()),
            Value::Json(v) => out.write_string(&v.0)?,
        }
        Ok(())
    }

    /// Reads the payload of a value of type `type_id`.
    ///
    /// # Errors
    /// [`SerializationError::UnsupportedType`] for type ids not in [`Value`]; truncation and
    /// invalid lengths or UTF-8 as they occur.
    pub fn read_payload(type_id: i32, input: &mut DataInput<'_>) -> Result<Self> {
        Ok(match type_id {
            type_id::NULL => Value::Null,
            type_id::BOOLEAN => Value::Bool(input.read_bool()?),
            type_id::BYTE => Value::Byte(input.read_i8()?),
            type_id::CHAR => Value::Char(input.read_u16()?),
            type_id::SHORT => Value::Short(input.read_i16()?),
            type_id::INTEGER => Value::Int(input.read_i32()?),
            type_id::LONG => Value::Long(input.read_i64()?),
            type_id::FLOAT => Value::Float(input.read_f32()?),
            type_id::DOUBLE => Value::Double(input.read_f64()?),
            type_id::STRING => Value::String(input.read_str()?.to_owned()),
            type_id::BYTE_ARRAY => Value::Bytes(
                input
                    .read_opt_byte_slice()?
                    .ok_or(SerializationError::UnexpectedNull)?
                    .to_vec(),
            ),
            type_id::UUID => Value::Uuid(read_uuid(input)?),
            type_id::JSON => Value::Json(JsonValue(input.read_str()?.to_owned())),
            other => return Err(SerializationError::UnsupportedType(other)),
        })
    }

    /// Java's `writeObject`: type id then payload (no partition hash).
    ///
    /// # Errors
    /// As [`write_payload`](Self::write_payload).
    pub fn write_object(&self, out: &mut DataOutput) -> Result<()> {
        out.write_i32(self.type_id());
        self.write_payload(out)
    }

    /// Java's `readObject`: type id then payload.
    ///
    /// # Errors
    /// As [`read_payload`](Self::read_payload).
    pub fn read_object(input: &mut DataInput<'_>) -> Result<Self> {
        let t = input.read_i32()?;
        Self::read_payload(t, input)
    }
}

/// A type that serializes into Hazelcast [`Data`].
pub trait ToData {
    /// The serializer type id written in the header.
    fn type_id(&self) -> i32;
    /// Writes the payload after the header.
    ///
    /// # Errors
    /// When the value cannot be represented (e.g. longer than `i32::MAX`).
    fn write_payload(&self, out: &mut DataOutput) -> Result<()>;
    /// A size hint for the payload, to size the buffer once.
    fn payload_size_hint(&self) -> usize {
        16
    }
    /// Serializes into `Data` with partition hash 0.
    ///
    /// # Errors
    /// As [`write_payload`](Self::write_payload).
    fn to_data(&self) -> Result<Data> {
        let mut out = DataOutput::with_header(self.type_id(), self.payload_size_hint());
        self.write_payload(&mut out)?;
        Ok(out.into_data())
    }
    /// Appends exactly the bytes of [`to_data`](Self::to_data) to `out` (a message being
    /// built, for example), without an intermediate buffer. A type that overrides
    /// `to_data` overrides this too.
    ///
    /// # Errors
    /// As [`write_payload`](Self::write_payload); `out` then holds a partial value.
    fn write_data(&self, out: &mut Vec<u8>) -> Result<()> {
        let mut o = DataOutput::from(std::mem::take(out));
        o.write_i32(0);
        o.write_i32(self.type_id());
        let r = self.write_payload(&mut o);
        *out = o.into_vec();
        r
    }
}

/// A type that deserializes from Hazelcast [`Data`].
pub trait FromData: Sized {
    /// Reads the payload of a value whose header says `type_id`.
    ///
    /// # Errors
    /// [`SerializationError::UnexpectedType`] when `type_id` is not this type's, or a decoding
    /// error.
    fn read_payload(type_id: i32, input: &mut DataInput<'_>) -> Result<Self>;
    /// Deserializes a whole `Data`; trailing bytes are an error.
    ///
    /// # Errors
    /// A header shorter than 8 bytes, a null `Data`, a type mismatch or a decoding error.
    fn from_data(data: &Data) -> Result<Self> {
        let bytes = data.as_bytes();
        if bytes.is_empty() {
            return Err(SerializationError::UnexpectedNull);
        }
        let t = data
            .type_id()
            .ok_or(SerializationError::ShortHeader(bytes.len()))?;
        let mut input = DataInput::new(data.payload());
        let v = Self::read_payload(t, &mut input)?;
        input.finish()?;
        Ok(v)
    }
}

fn read_uuid(input: &mut DataInput<'_>) -> Result<Uuid> {
    let most = input.read_i64()?;
    let least = input.read_i64()?;
    Ok(Uuid::from_u64_pair(most as u64, least as u64))
}

fn expect_type(expected: i32, found: i32) -> Result<()> {
    if expected == found {
        Ok(())
    } else {
        Err(SerializationError::UnexpectedType { expected, found })
    }
}

macro_rules! fixed_builtin {
    ($t:ty, $id:expr, $size:expr, $w:ident, $r:ident) => {
        impl ToData for $t {
            fn type_id(&self) -> i32 {
                $id
            }
            fn write_payload(&self, out: &mut DataOutput) -> Result<()> {
                out.$w(*self);
                Ok(())
            }
            fn payload_size_hint(&self) -> usize {
                $size
            }
        }
        impl FromData for $t {
            fn read_payload(type_id: i32, input: &mut DataInput<'_>) -> Result<Self> {
                expect_type($id, type_id)?;
                input.$r()
            }
        }
    };
}

fixed_builtin!(bool, type_id::BOOLEAN, 1, write_bool, read_bool);
fixed_builtin!(i8, type_id::BYTE, 1, write_i8, read_i8);
fixed_builtin!(i16, type_id::SHORT, 2, write_i16, read_i16);
fixed_builtin!(i32, type_id::INTEGER, 4, write_i32, read_i32);
fixed_builtin!(i64, type_id::LONG, 8, write_i64, read_i64);
fixed_builtin!(f32, type_id::FLOAT, 4, write_f32, read_f32);
fixed_builtin!(f64, type_id::DOUBLE, 8, write_f64, read_f64);

/// A string's whole `Data` (hash 0, type id, length, UTF-8 bytes) appended with one
/// reservation: what `to_data` produces, for the most frequent keys and values.
fn write_string_data(s: &str, out: &mut Vec<u8>) -> Result<()> {
    let len =
        i32::try_from(s.len()).map_err(|_| SerializationError::InvalidLength(s.len() as i64))?;
    out.reserve(HEADER_SIZE + 4 + s.len());
    out.extend_from_slice(&0i32.to_be_bytes());
    out.extend_from_slice(&type_id::STRING.to_be_bytes());
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(s.as_bytes());
    Ok(())
}

impl ToData for str {
    fn type_id(&self) -> i32 {
        type_id::STRING
    }
    fn write_payload(&self, out: &mut DataOutput) -> Result<()> {
        out.write_string(self)
    }
    fn payload_size_hint(&self) -> usize {
        4 + self.len()
    }
    fn write_data(&self, out: &mut Vec<u8>) -> Result<()> {
        write_string_data(self, out)
    }
}

impl ToData for String {
    fn type_id(&self) -> i32 {
        type_id::STRING
    }
    fn write_payload(&self, out: &mut DataOutput) -> Result<()> {
        out.write_string(self)
    }
    fn payload_size_hint(&self) -> usize {
        4 + self.len()
    }
    fn write_data(&self, out: &mut Vec<u8>) -> Result<()> {
        write_string_data(self, out)
    }
}

impl FromData for String {
    fn read_payload(type_id: i32, input: &mut DataInput<'_>) -> Result<Self> {
        expect_type(type_id::STRING, type_id)?;
        Ok(input.read_str()?.to_owned())
    }
}

impl ToData for [u8] {
    fn type_id(&self) -> i32 {
        type_id::BYTE_ARRAY
    }
    fn write_payload(&self, out: &mut DataOutput) -> Result<()> {
        out.write_byte_array(self)
    }
    fn payload_size_hint(&self) -> usize {
        4 + self.len()
    }
}

impl ToData for Vec<u8> {
    fn type_id(&self) -> i32 {
        type_id::BYTE_ARRAY
    }
    fn write_payload(&self, out: &mut DataOutput) -> Result<()> {
        out.write_byte_array(self)
    }
    fn payload_size_hint(&self) -> usize {
        4 + self.len()
    }
}

impl FromData for Vec<u8> {
    fn read_payload(type_id: i32, input: &mut DataInput<'_>) -> Result<Self> {
        expect_type(type_id::BYTE_ARRAY, type_id)?;
        Ok(input
            .read_opt_byte_slice()?
            .ok_or(SerializationError::UnexpectedNull)?
            .to_vec())
    }
}

impl ToData for Uuid {
    fn type_id(&self) -> i32 {
        type_id::UUID
    }
    fn write_payload(&self, out: &mut DataOutput) -> Result<()> {
        out.write_bytes(self.as_bytes());
        Ok(())
    }
    fn payload_size_hint(&self) -> usize {
        16
    }
}

impl FromData for Uuid {
    fn read_payload(type_id: i32, input: &mut DataInput<'_>) -> Result<Self> {
        expect_type(type_id::UUID, type_id)?;
        read_uuid(input)
    }
}

impl ToData for JsonValue {
    fn type_id(&self) -> i32 {
        type_id::JSON
    }
    fn write_payload(&self, out: &mut DataOutput) -> Result<()> {
        out.write_string(&self.0)
    }
    fn payload_size_hint(&self) -> usize {
        4 + self.0.len()
    }
}

impl FromData for JsonValue {
    fn read_payload(type_id: i32, input: &mut DataInput<'_>) -> Result<Self> {
        expect_type(type_id::JSON, type_id)?;
        Ok(JsonValue(input.read_str()?.to_owned()))
    }
}

impl ToData for Value {
    fn type_id(&self) -> i32 {
        Value::type_id(self)
    }
    fn write_payload(&self, out: &mut DataOutput) -> Result<()> {
        Value::write_payload(self, out)
    }
    fn to_data(&self) -> Result<Data> {
        if matches!(self, Value::Null) {
            return Ok(Data::null());
        }
        let mut out = DataOutput::with_header(Value::type_id(self), self.payload_size_hint());
        Value::write_payload(self, &mut out)?;
        Ok(out.into_data())
    }
    fn write_data(&self, out: &mut Vec<u8>) -> Result<()> {
        if matches!(self, Value::Null) {
            return Ok(());
        }
        let mut o = DataOutput::from(std::mem::take(out));
        o.write_i32(0);
        o.write_i32(Value::type_id(self));
        let r = Value::write_payload(self, &mut o);
        *out = o.into_vec();
        r
    }
}

impl FromData for Value {
    fn read_payload(type_id: i32, input: &mut DataInput<'_>) -> Result<Self> {
        Value::read_payload(type_id, input)
    }
    fn from_data(data: &Data) -> Result<Self> {
        if data.is_empty() {
            return Ok(Value::Null);
        }
        let t = data
            .type_id()
            .ok_or(SerializationError::ShortHeader(data.len()))?;
        let mut input = DataInput::new(data.payload());
        let v = Value::read_payload(t, &mut input)?;
        input.finish()?;
        Ok(v)
    }
}

impl<T: ToData + ?Sized> ToData for &T {
    fn type_id(&self) -> i32 {
        (**self).type_id()
    }
    fn write_payload(&self, out: &mut DataOutput) -> Result<()> {
        (**self).write_payload(out)
    }
    fn payload_size_hint(&self) -> usize {
        (**self).payload_size_hint()
    }
    fn to_data(&self) -> Result<Data> {
        (**self).to_data()
    }
    fn write_data(&self, out: &mut Vec<u8>) -> Result<()> {
        (**self).write_data(out)
    }
}

impl<T: FromData> FromData for Option<T> {
    fn read_payload(type_id: i32, input: &mut DataInput<'_>) -> Result<Self> {
        if type_id == type_id::NULL {
            return Ok(None);
        }
        T::read_payload(type_id, input).map(Some)
    }
    fn from_data(data: &Data) -> Result<Self> {
        if data.is_null() {
            return Ok(None);
        }
        T::from_data(data).map(Some)
    }
}

macro_rules! value_from {
    ($($t:ty => $v:ident),* $(,)?) => {
        $(impl From<$t> for Value {
            fn from(v: $t) -> Self {
                Value::$v(v.into())
            }
        })*
    };
}

value_from!(
    bool => Bool, i8 => Byte, i16 => Short, i32 => Int, i64 => Long, f32 => Float,
    f64 => Double, String => String, &str => String, Vec<u8> => Bytes, &[u8] => Bytes,
    Uuid => Uuid, JsonValue => Json,
);

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Value::Null, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lying_lengths_are_errors() {
        let d = Data::new(type_id::STRING, &[0x7f, 0xff, 0xff, 0xff, b'a']);
        assert!(matches!(
            String::from_data(&d),
            Err(SerializationError::InvalidLength(_))
        ));
        let d = Data::new(type_id::BYTE_ARRAY, &[0xff, 0xff, 0xff, 0xfe]);
        assert!(Vec::<u8>::from_data(&d).is_err());
        let d = Data::new(type_id::STRING, &[0, 0, 0, 1, 0xff]);
        assert!(matches!(
            String::from_data(&d),
            Err(SerializationError::InvalidUtf8(_))
        ));
        let d = Data::new(type_id::INTEGER, &[0, 0, 0]);
        assert!(matches!(
            i32::from_data(&d),
            Err(SerializationError::Truncated { .. })
        ));
        let d = Data::new(type_id::INTEGER, &[0, 0, 0, 0, 0]);
        assert!(matches!(
            i32::from_data(&d),
            Err(SerializationError::TrailingBytes(1))
        ));
    }

    #[test]
    fn null_value() {
        assert!(Value::Null.to_data().map(|d| d.is_empty()).unwrap_or(false));
        assert_eq!(Option::<String>::from_data(&Data::null()).ok(), Some(None));
    }
}
