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

/// A growable big-endian output buffer (Hazelcast's `ObjectDataOutput`).
#[derive(Debug, Default, Clone)]
pub struct DataOutput {
    buf: Vec<u8>,
}

impl DataOutput {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty buffer with room for `cap` bytes.
    pub fn with_capacity(cap: usize) -> Self {
        Self {
            buf: Vec::with_capacity(cap),
        }
    }

    /// A buffer that already holds a `Data` header with hash 0 and `type_id`.
    pub fn with_header(type_id: i32, cap: usize) -> Self {
        let mut out = Self::with_capacity(HEADER_SIZE + cap);
        out.write_i32(0);
        out.write_i32(type_id);
        out
    }

    /// Bytes written so far.
    pub fn as_slice(&self) -> &[u8] {
        &self.buf
    }

    /// Number of bytes written so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The written bytes.
    pub fn into_vec(self) -> Vec<u8> {
        self.buf
    }

    /// The written bytes as `Data` (the caller wrote the header).
    pub fn into_data(self) -> Data {
        Data::from_bytes(self.buf)
    }

    /// Mutable access to the underlying bytes (for back-patching).
    pub fn buf_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Appends raw bytes.
    pub fn write_bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }
    /// Appends one byte.
    pub fn write_u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    /// Appends a signed byte.
    pub fn write_i8(&mut self, v: i8) {
        self.buf.push(v as u8);
    }
    /// Appends a boolean as one byte (1 or 0).
    pub fn write_bool(&mut self, v: bool) {
        self.buf.push(u8::from(v));
    }
    /// Appends a big-endian `i16`.
    pub fn write_i16(&mut self, v: i16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    /// Appends a big-endian `u16`.
    pub fn write_u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    /// Appends a big-endian `i32`.
    pub fn write_i32(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    /// Appends a big-endian `i64`.
    pub fn write_i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    /// Appends a big-endian IEEE `f32`.
    pub fn write_f32(&mut self, v: f32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    /// Appends a big-endian IEEE `f64`.
    pub fn write_f64(&mut self, v: f64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    /// Appends a length (as `i32`); lengths above `i32::MAX` are an error.
    ///
    /// # Errors
    /// [`SerializationError::InvalidLength`] when `len` does not fit an `i32`.
    pub fn write_len(&mut self, len: usize) -> Result<()> {
        let n = i32::try_from(len).map_err(|_| SerializationError::InvalidLength(len as i64))?;
        self.write_i32(n);
        Ok(())
    }
    /// Appends a string: UTF-8 byte length, then the bytes.
    ///
    /// # Errors
    /// When the string is longer than `i32::MAX` bytes.
    pub fn write_string(&mut self, s: &str) -> Result<()> {
        self.write_byte_array(s.as_bytes())
    }
    /// Appends a nullable string (null = length −1).
    ///
    /// # Errors
    /// When the string is longer than `i32::MAX` bytes.
    pub fn write_opt_string(&mut self, s: Option<&str>) -> Result<()> {
        match s {
            Some(s) => self.write_string(s),
            None => {
                self.write_i32(-1);
                Ok(())
            }
        }
    }
    /// Appends a byte array: length, then the bytes.
    ///
    /// # Errors
    /// When the array is longer than `i32::MAX` bytes.
    pub fn write_byte_array(&mut self, b: &[u8]) -> Result<()> {
        self.write_len(b.len())?;
        self.buf.extend_from_slice(b);
        Ok(())
    }
}

impl From<Vec<u8>> for DataOutput {
    /// Appends to an existing buffer.
    fn from(buf: Vec<u8>) -> Self {
        Self { buf }
    }
}

/// A bounds-checked big-endian reader over a byte slice (Hazelcast's `ObjectDataInput`).
#[derive(Debug, Clone)]
pub struct DataInput<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> DataInput<'a> {
    /// Reads `buf` from its start.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Current offset.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Moves to an offset; past the end is an error.
    ///
    /// # Errors
    /// [`SerializationError::BadOffset`] when `pos` is beyond the input.
    pub fn set_position(&mut self, pos: usize) -> Result<()> {
        if pos > self.buf.len() {
            return Err(SerializationError::BadOffset(pos as i64));
        }
        self.pos = pos;
        Ok(())
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The whole input.
    pub fn buffer(&self) -> &'a [u8] {
        self.buf
    }

    /// Fails unless every byte was consumed.
    ///
    /// # Errors
    /// [`SerializationError::TrailingBytes`].
    pub fn finish(&self) -> Result<()> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(SerializationError::TrailingBytes(n)),
        }
    }

    /// Takes the next `n` bytes.
    ///
    /// # Errors
    /// [`SerializationError::Truncated`] when fewer are left.
    pub fn read_bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.remaining() < n {
            return Err(SerializationError::Truncated {
                offset: self.pos,
                needed: n,
                available: self.remaining(),
            });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let s = self.read_bytes(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// Reads one byte.
    ///
    /// # Errors
    /// When the input is exhausted.
    pub fn read_u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }
    /// Reads a signed byte.
    ///
    /// # Errors
    /// When the input is exhausted.
    pub fn read_i8(&mut self) -> Result<i8> {
        Ok(self.read_u8()? as i8)
    }
    /// Reads a boolean (any non-zero byte is true, as Java reads it).
    ///
    /// # Errors
    /// When the input is exhausted.
    pub fn read_bool(&mut self) -> Result<bool> {
        Ok(self.read_u8()? != 0)
    }
    /// Reads a big-endian `i16`.
    ///
    /// # Errors
    /// When the input is exhausted.
    pub fn read_i16(&mut self) -> Result<i16> {
        Ok(i16::from_be_bytes(self.array()?))
    }
    /// Reads a big-endian `u16`.
    ///
    /// # Errors
    /// When the input is exhausted.
    pub fn read_u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }
    /// Reads a big-endian `i32`.
    ///
    /// # Errors
    /// When the input is exhausted.
    pub fn read_i32(&mut self) -> Result<i32> {
        Ok(i32::from_be_bytes(self.array()?))
    }
    /// Reads a big-endian `i64`.
    ///
    /// # Errors
    /// When the input is exhausted.
    pub fn read_i64(&mut self) -> Result<i64> {
        Ok(i64::from_be_bytes(self.array()?))
    }
    /// Reads a big-endian `f32`.
    ///
    /// # Errors
    /// When the input is exhausted.
    pub fn read_f32(&mut self) -> Result<f32> {
        Ok(f32::from_be_bytes(self.array()?))
    }
    /// Reads a big-endian `f64`.
    ///
    /// # Errors
    /// When the input is exhausted.
    pub fn read_f64(&mut self) -> Result<f64> {
        Ok(f64::from_be_bytes(self.array()?))
    }

    /// Reads a length or count prefix: `None` for −1 (null). The count times `item_size`
    /// must fit in the remaining input, so a lying length never causes a large allocation.
    ///
    /// # Errors
    /// [`SerializationError::InvalidLength`] for other negative values or counts too large.
    pub fn read_len(&mut self, item_size: usize) -> Result<Option<usize>> {
        let n = self.read_i32()?;
        if n == -1 {
            return Ok(None);
        }
        let len = usize::try_from(n).map_err(|_| SerializationError::InvalidLength(n.into()))?;
        if len.saturating_mul(item_size) > self.remaining() {
            return Err(SerializationError::InvalidLength(n.into()));
        }
        Ok(Some(len))
    }

    /// Reads a nullable byte array.
    ///
    /// # Errors
    /// When the length lies or the input is exhausted.
    pub fn read_opt_byte_slice(&mut self) -> Result<Option<&'a [u8]>> {
        match self.read_len(1)? {
            None => Ok(None),
            Some(n) => self.read_bytes(n).map(Some),
        }
    }

    /// Reads a nullable string.
    ///
    /// # Errors
    /// When the length lies, the input is exhausted or the bytes are not UTF-8.
    pub fn read_opt_str(&mut self) -> Result<Option<&'a str>> {
        match self.read_opt_byte_slice()? {
            None => Ok(None),
            Some(b) => std::str::from_utf8(b)
                .map(Some)
                .map_err(SerializationError::InvalidUtf8),
        }
    }

    /// Reads a non-null string.
    ///
    /// # Errors
    /// As [`read_opt_str`](Self::read_opt_str), plus [`SerializationError::UnexpectedNull`].
    pub fn read_str(&mut self) -> Result<&'a str> {
        self.read_opt_str()?
            .ok_or(SerializationError::UnexpectedNull)
    }
}

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
