//! [`HazelcastCodec`]: attribute values as Hazelcast `Data`, so that a Spring application
//! reading the same map sees ordinary Java values.
//!
//! | Rust value | Stored as (type id) | Java sees |
//! |---|---|---|
//! | `String`, `&str`, `char` | String (−11) | `String` |
//! | `i64`, `u32`, `u64` ≤ `i64::MAX` | Long (−8) | `Long` |
//! | `i32`, `u16` | Integer (−7) | `Integer` |
//! | `i16`, `u8` | Short (−6) | `Short` |
//! | `i8` | Byte (−3) | `Byte` |
//! | `bool` | Boolean (−4) | `Boolean` |
//! | `f64` / `f32` | Double (−10) / Float (−9) | `Double` / `Float` |
//! | `serde_bytes`-style byte buffers | byte\[\] (−12) | `byte[]` |
//! | `None`, `()` | null (type 0, 8-byte header) | `null` |
//! | anything else (structs, maps, sequences, enums, larger integers) | HazelcastJsonValue (−130) | `HazelcastJsonValue` |
//!
//! `Option<T>`'s `Some` and newtype structs are written as their content. Decoding reads
//! every built-in type above (and UUID, −21, as its hyphenated string, and Char, −5) into
//! the requested Rust type where serde allows it (a Java `Integer` decodes as `i64`, `u8`
//! with a range check, `f64`...). Compact values (−55) are a typed error here: this codec
//! has no schema registry; [`CompactCodec`](crate::CompactCodec) reads them.

use hazelcast_protocol::data::{Data, HEADER_SIZE, type_id};
use hazelcast_protocol::serialization::{DataInput, DataOutput, JsonValue, Value};
use serde::de::{IntoDeserializer, Visitor};
use serde::ser::Impossible;
use session_core::{AttributeCodec, CodecError, DecodeFn};

const NAME: &str = "hazelcast";

/// The header of a `HazelcastJsonValue` `Data`: partition hash 0, then its type id.
const JSON_HEADER: [u8; HEADER_SIZE] = {
    let t = type_id::JSON.to_be_bytes();
    [0, 0, 0, 0, t[0], t[1], t[2], t[3]]
};

/// Attribute values as Hazelcast `Data` bytes (see the [module docs](self) for the mapping).
///
/// Stateless and cheap to clone; the repository's default codec.
#[derive(Debug, Clone, Copy, Default)]
pub struct HazelcastCodec;

impl AttributeCodec for HazelcastCodec {
    fn name(&self) -> &'static str {
        NAME
    }

    fn encode(&self, value: &dyn erased_serde::Serialize) -> Result<Vec<u8>, CodecError> {
        let value = match erased_serde::serialize(value, Probe) {
            Ok(scalar) => scalar,
            Err(ProbeError::Complex) => return json_data(value),
            Err(ProbeError::Custom(msg)) => {
                return Err(CodecError::Encode {
                    codec: NAME,
                    source: msg.into(),
                });
            }
        };
        to_data(&value)
            .map(Data::into_bytes)
            .map_err(|e| CodecError::Encode {
                codec: NAME,
                source: e.into(),
            })
    }

    /// Values the probe finds complex are stored as a `HazelcastJsonValue`: the header
    /// (partition hash 0, type id) and the text's length before the text, exactly as
    /// `encode` writes them.
    fn json_frame(&self, value: &dyn erased_serde::Serialize) -> Option<&'static [u8]> {
        match erased_serde::serialize(value, Probe) {
            Err(ProbeError::Complex) => Some(&JSON_HEADER),
            Ok(_) | Err(ProbeError::Custom(_)) => None,
        }
    }

    fn json_text<'a>(&self, bytes: &'a [u8]) -> Option<&'a [u8]> {
        // A malformed one is left to `decode`, which reports why.
        json_text(bytes).ok().flatten().map(str::as_bytes)
    }

    fn decode(&self, bytes: &[u8], visit: &mut DecodeFn<'_>) -> Result<(), CodecError> {
        let fail = |source: session_core::BoxError| CodecError::Decode {
            codec: NAME,
            source,
        };
        if let Some(text) = json_text(bytes).map_err(fail)? {
            // Parsed where it lies (structs and collections are stored as JSON).
            let mut de = serde_json::Deserializer::from_str(text);
            {
                let mut erased = <dyn erased_serde::Deserializer<'_>>::erase(&mut de);
                visit(&mut erased).map_err(|e| fail(e.into()))?;
            }
            return de.end().map_err(|e| fail(e.into()));
        }
        let value = read_value(bytes).map_err(fail)?;
        let mut erased = <dyn erased_serde::Deserializer<'_>>::erase(ValueDeserializer(value));
        visit(&mut erased).map_err(|e| fail(e.into()))
    }
}

/// `value` as a `HazelcastJsonValue` `Data` (partition hash 0): the JSON text written in
/// place after the header and its length (the bytes `Value::Json` gives, without building
/// the text first and copying it).
fn json_data(value: &dyn erased_serde::Serialize) -> Result<Vec<u8>, CodecError> {
    let fail = |source: session_core::BoxError| CodecError::Encode {
        codec: NAME,
        source,
    };
    let start = HEADER_SIZE + 4;
    let mut out = Vec::with_capacity(start + 120);
    out.extend_from_slice(&0_i32.to_be_bytes());
    out.extend_from_slice(&type_id::JSON.to_be_bytes());
    out.extend_from_slice(&0_i32.to_be_bytes());
    serde_json::to_writer(&mut out, value).map_err(|e| fail(e.into()))?;
    let len = i32::try_from(out.len() - start)
        .map_err(|_| fail(format!("{} bytes of JSON, more than a Data holds", out.len()).into()))?;
    out[HEADER_SIZE..start].copy_from_slice(&len.to_be_bytes());
    Ok(out)
}

/// Serializes a built-in value as `Data` (partition hash 0).
fn to_data(value: &Value) -> Result<Data, hazelcast_protocol::serialization::SerializationError> {
    let capacity = match value {
        Value::Json(JsonValue(text)) => 4 + text.len(),
        _ => 16,
    };
    let mut out = DataOutput::with_header(value.type_id(), capacity);
    value.write_payload(&mut out)?;
    Ok(out.into_data())
}

/// The text of a `HazelcastJsonValue` in `bytes` (a whole `Data`), borrowed; `None` for
/// any other type.
fn json_text(bytes: &[u8]) -> Result<Option<&str>, session_core::BoxError> {
    let Some(header) = bytes.get(..HEADER_SIZE) else {
        return Ok(None);
    };
    if i32::from_be_bytes([header[4], header[5], header[6], header[7]]) != type_id::JSON {
        return Ok(None);
    }
    let mut input = DataInput::new(&bytes[HEADER_SIZE..]);
    let text = input.read_str()?;
    input.finish()?;
    Ok(Some(text))
}

/// Reads the built-in value in `bytes` (a whole `Data`; empty = null).
fn read_value(bytes: &[u8]) -> Result<Value, session_core::BoxError> {
    if bytes.is_empty() {
        return Ok(Value::Null);
    }
    if bytes.len() < HEADER_SIZE {
        return Err(format!("{} bytes, shorter than a Data header", bytes.len()).into());
    }
    let t = i32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    if t == type_id::COMPACT || t == type_id::COMPACT_WITH_SCHEMA {
        return Err(
            "a Compact attribute value (written by another application) cannot be read by \
             this codec"
                .into(),
        );
    }
    let mut input = DataInput::new(&bytes[HEADER_SIZE..]);
    let value = Value::read_payload(t, &mut input)?;
    input.finish()?;
    Ok(value)
}

/// What the probe found: a value with a Hazelcast built-in type, or "complex" (→ JSON).
#[derive(Debug)]
enum ProbeError {
    Complex,
    Custom(String),
}

impl std::fmt::Display for ProbeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ProbeError::Complex => f.write_str("not a built-in value"),
            ProbeError::Custom(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for ProbeError {}

impl serde::ser::Error for ProbeError {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        ProbeError::Custom(msg.to_string())
    }
}

/// A serializer that accepts only values with a Hazelcast built-in type.
struct Probe;

type No = Impossible<Value, ProbeError>;

impl serde::Serializer for Probe {
    type Ok = Value;
    type Error = ProbeError;
    type SerializeSeq = No;
    type SerializeTuple = No;
    type SerializeTupleStruct = No;
    type SerializeTupleVariant = No;
    type SerializeMap = No;
    type SerializeStruct = No;
    type SerializeStructVariant = No;

    fn serialize_bool(self, v: bool) -> Result<Value, ProbeError> {
        Ok(Value::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Value, ProbeError> {
        Ok(Value::Byte(v))
    }
    fn serialize_i16(self, v: i16) -> Result<Value, ProbeError> {
        Ok(Value::Short(v))
    }
    fn serialize_i32(self, v: i32) -> Result<Value, ProbeError> {
        Ok(Value::Int(v))
    }
    fn serialize_i64(self, v: i64) -> Result<Value, ProbeError> {
        Ok(Value::Long(v))
    }
    fn serialize_i128(self, v: i128) -> Result<Value, ProbeError> {
        i64::try_from(v)
            .map(Value::Long)
            .map_err(|_| ProbeError::Complex)
    }
    fn serialize_u8(self, v: u8) -> Result<Value, ProbeError> {
        Ok(Value::Short(i16::from(v)))
    }
    fn serialize_u16(self, v: u16) -> Result<Value, ProbeError> {
        Ok(Value::Int(i32::from(v)))
    }
    fn serialize_u32(self, v: u32) -> Result<Value, ProbeError> {
        Ok(Value::Long(i64::from(v)))
    }
    fn serialize_u64(self, v: u64) -> Result<Value, ProbeError> {
        i64::try_from(v)
            .map(Value::Long)
            .map_err(|_| ProbeError::Complex)
    }
    fn serialize_u128(self, v: u128) -> Result<Value, ProbeError> {
        i64::try_from(v)
            .map(Value::Long)
            .map_err(|_| ProbeError::Complex)
    }
    fn serialize_f32(self, v: f32) -> Result<Value, ProbeError> {
        Ok(Value::Float(v))
    }
    fn serialize_f64(self, v: f64) -> Result<Value, ProbeError> {
        Ok(Value::Double(v))
    }
    fn serialize_char(self, v: char) -> Result<Value, ProbeError> {
        Ok(Value::String(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Value, ProbeError> {
        Ok(Value::String(v.to_owned()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Value, ProbeError> {
        Ok(Value::Bytes(v.to_vec()))
    }
    fn serialize_none(self) -> Result<Value, ProbeError> {
        Ok(Value::Null)
    }
    fn serialize_some<T: ?Sized + serde::Serialize>(self, value: &T) -> Result<Value, ProbeError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Value, ProbeError> {
        Ok(Value::Null)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, ProbeError> {
        Ok(Value::Null)
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
    ) -> Result<Value, ProbeError> {
        Err(ProbeError::Complex)
    }
    fn serialize_newtype_struct<T: ?Sized + serde::Serialize>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, ProbeError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + serde::Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<Value, ProbeError> {
        Err(ProbeError::Complex)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<No, ProbeError> {
        Err(ProbeError::Complex)
    }
    fn serialize_tuple(self, _len: usize) -> Result<No, ProbeError> {
        Err(ProbeError::Complex)
    }
    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<No, ProbeError> {
        Err(ProbeError::Complex)
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<No, ProbeError> {
        Err(ProbeError::Complex)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<No, ProbeError> {
        Err(ProbeError::Complex)
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<No, ProbeError> {
        Err(ProbeError::Complex)
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<No, ProbeError> {
        Err(ProbeError::Complex)
    }
}

/// A deserializer over one built-in value.
struct ValueDeserializer(Value);

type DeError = serde::de::value::Error;

impl<'de> serde::Deserializer<'de> for ValueDeserializer {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Null => v.visit_unit(),
            Value::Bool(b) => v.visit_bool(b),
            Value::Byte(x) => v.visit_i8(x),
            Value::Char(c) => match char::from_u32(u32::from(c)) {
                Some(ch) => v.visit_char(ch),
                None => Err(serde::de::Error::custom(format!(
                    "Java char {c:#06x} is half of a surrogate pair"
                ))),
            },
            Value::Short(x) => v.visit_i16(x),
            Value::Int(x) => v.visit_i32(x),
            Value::Long(x) => v.visit_i64(x),
            Value::Float(x) => v.visit_f32(x),
            Value::Double(x) => v.visit_f64(x),
            Value::String(s) => v.visit_string(s),
            // As a sequence, so that `Vec<u8>` and JSON values read it too.
            Value::Bytes(b) => v.visit_seq(serde::de::value::SeqDeserializer::new(b.into_iter())),
            Value::Uuid(u) => v.visit_string(u.to_string()),
            Value::Json(JsonValue(text)) => v.visit_string(text),
            other => Err(serde::de::Error::custom(format!(
                "unsupported Hazelcast type id {}",
                other.type_id()
            ))),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Null => v.visit_none(),
            _ => v.visit_some(self),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        self.deserialize_byte_buf(v)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, v: V) -> Result<V::Value, DeError> {
        match self.0 {
            Value::Bytes(b) => v.visit_byte_buf(b),
            other => ValueDeserializer(other).deserialize_any(v),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        v: V,
    ) -> Result<V::Value, DeError> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, DeError> {
        match self.0 {
            Value::String(s) => v.visit_enum(s.into_deserializer()),
            other => ValueDeserializer(other).deserialize_any(v),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};
    use session_core::{decode_value, encode_value};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Basket {
        items: Vec<u32>,
        note: Option<String>,
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn scalars_use_hazelcast_type_ids() {
        let c = HazelcastCodec;
        // The brief's vectors (python client).
        assert_eq!(
            hex(&encode_value(&c, "alice").unwrap()),
            "00000000fffffff500000005616c696365"
        );
        assert_eq!(
            hex(&encode_value(&c, &42i32).unwrap()),
            "00000000fffffff90000002a"
        );
        assert_eq!(
            hex(&encode_value(&c, &-50992225i64).unwrap()),
            "00000000fffffff8fffffffffcf5eb9f"
        );
        assert_eq!(hex(&encode_value(&c, &true).unwrap()), "00000000fffffffc01");
        assert_eq!(
            hex(&encode_value(&c, &1.5f64).unwrap()),
            "00000000fffffff63ff8000000000000"
        );
        assert_eq!(
            hex(&encode_value(&c, &None::<u32>).unwrap()),
            "0000000000000000"
        );
        assert_eq!(
            hex(&encode_value(&c, &7u8).unwrap()),
            "00000000fffffffa0007"
        );
    }

    #[test]
    fn complex_values_are_json() {
        let c = HazelcastCodec;
        let b = Basket {
            items: vec![1, 2],
            note: None,
        };
        let bytes = encode_value(&c, &b).unwrap();
        assert_eq!(&bytes[4..8], &type_id::JSON.to_be_bytes());
        let text = r#"{"items":[1,2],"note":null}"#;
        assert_eq!(&bytes[8..12], &(text.len() as i32).to_be_bytes());
        assert_eq!(&bytes[12..], text.as_bytes());
        assert_eq!(
            &bytes[..],
            to_data(&Value::Json(JsonValue(text.into())))
                .unwrap()
                .as_bytes(),
            "the bytes of a HazelcastJsonValue"
        );
        assert_eq!(decode_value::<Basket>(&c, &bytes).unwrap(), b);
        let long = Basket {
            items: (0..100).collect(),
            note: Some("\"quoted\" é ✓".repeat(20)),
        };
        let bytes = encode_value(&c, &long).unwrap();
        let text = serde_json::to_string(&long).unwrap();
        assert_eq!(
            &bytes[..],
            to_data(&Value::Json(JsonValue(text))).unwrap().as_bytes()
        );
        assert_eq!(decode_value::<Basket>(&c, &bytes).unwrap(), long);
        // u64 beyond i64 → JSON number, and back.
        let big = encode_value(&c, &u64::MAX).unwrap();
        assert_eq!(decode_value::<u64>(&c, &big).unwrap(), u64::MAX);
    }

    /// `encode_value` (which frames the JSON of complex values itself, typed) writes
    /// exactly the bytes of the codec's own type-erased `encode`, for every shape.
    #[test]
    fn the_typed_json_path_writes_the_codecs_bytes() {
        #[derive(Serialize)]
        struct Newtype(Basket);
        #[derive(Serialize)]
        struct Scalar(i32);
        #[derive(Serialize)]
        enum Shape {
            Unit,
            Wrapped(u8),
            Pair(u8, String),
            Named { x: i64 },
        }
        fn same<T: Serialize + ?Sized>(value: &T) {
            let c = HazelcastCodec;
            let erased: &dyn erased_serde::Serialize = &value;
            let direct = c.encode(erased).map_err(|e| e.to_string());
            let typed = encode_value(&c, value)
                .map(|b| b.to_vec())
                .map_err(|e| e.to_string());
            assert_eq!(typed, direct);
        }
        let basket = || Basket {
            items: vec![1, 2, 3],
            note: Some("\"quoted\" é ✓\n".into()),
        };
        same(&basket());
        same(&Some(basket()));
        same(&Newtype(basket()));
        same(&Scalar(7));
        same(&vec!["item-1".to_owned(); 16]);
        same(&Vec::<u8>::new());
        same(&(1u8, "two", 3.5f64));
        same(&std::collections::BTreeMap::from([("a", 1), ("b", 2)]));
        same(&std::collections::HashMap::from([((1, 2), 3)])); // not JSON: the same error
        for shape in [
            Shape::Unit,
            Shape::Wrapped(1),
            Shape::Pair(2, "x".into()),
            Shape::Named { x: -3 },
        ] {
            same(&shape);
        }
        same(&u64::MAX);
        same(&i128::MIN);
        same(&u128::MAX);
        same(&f64::NAN);
        same(&vec![f64::NAN, f64::INFINITY]);
        same("alice");
        same(&'c');
        same(&42i32);
        same(&None::<Basket>);
        same(&());
    }

    #[test]
    fn values_round_trip_and_widen() {
        let c = HazelcastCodec;
        let s = encode_value(&c, "héllo").unwrap();
        assert_eq!(decode_value::<String>(&c, &s).unwrap(), "héllo");
        let i = encode_value(&c, &42i32).unwrap();
        assert_eq!(decode_value::<i64>(&c, &i).unwrap(), 42);
        assert_eq!(decode_value::<u8>(&c, &i).unwrap(), 42);
        assert_eq!(decode_value::<f64>(&c, &i).unwrap(), 42.0);
        assert_eq!(decode_value::<Option<i32>>(&c, &i).unwrap(), Some(42));
        let n = encode_value(&c, &None::<i32>).unwrap();
        assert_eq!(decode_value::<Option<i32>>(&c, &n).unwrap(), None);
        assert_eq!(decode_value::<Option<i32>>(&c, &[]).unwrap(), None);
        let ch = encode_value(&c, &'é').unwrap();
        assert_eq!(decode_value::<char>(&c, &ch).unwrap(), 'é');
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        struct UserId(u64);
        let id = encode_value(&c, &UserId(9)).unwrap();
        assert_eq!(&id[4..8], &type_id::LONG.to_be_bytes());
        assert_eq!(decode_value::<UserId>(&c, &id).unwrap(), UserId(9));
        #[derive(Debug, PartialEq, Serialize, Deserialize)]
        enum Role {
            Admin,
            Guest,
        }
        let r = encode_value(&c, &Role::Guest).unwrap();
        assert_eq!(decode_value::<Role>(&c, &r).unwrap(), Role::Guest);
        // A Java String holding a variant name decodes as the enum too.
        let s = encode_value(&c, "Admin").unwrap();
        assert_eq!(decode_value::<Role>(&c, &s).unwrap(), Role::Admin);
        let v = encode_value(&c, &vec![1u8, 2]).unwrap();
        assert_eq!(decode_value::<Vec<u8>>(&c, &v).unwrap(), vec![1, 2]);
    }

    #[test]
    fn java_only_types_decode() {
        let c = HazelcastCodec;
        // A Java byte[] and a UUID, as a Spring app would store them.
        let bytes = Data::new(type_id::BYTE_ARRAY, &[0, 0, 0, 2, 9, 8]).into_bytes();
        assert_eq!(
            decode_value::<serde_json::Value>(&c, &bytes).unwrap(),
            serde_json::json!([9, 8])
        );
        let mut p = vec![0u8; 16];
        p[7] = 1;
        p[15] = 2;
        let uuid = Data::new(type_id::UUID, &p).into_bytes();
        assert_eq!(
            decode_value::<String>(&c, &uuid).unwrap(),
            "00000000-0000-0001-0000-000000000002"
        );
        let short = Data::new(type_id::SHORT, &[0xff, 0xfe]).into_bytes();
        assert_eq!(decode_value::<i32>(&c, &short).unwrap(), -2);
    }

    #[test]
    fn bad_bytes_are_typed_errors() {
        let c = HazelcastCodec;
        let cases: Vec<Vec<u8>> = vec![
            vec![1, 2, 3],
            Data::new(type_id::STRING, &[0, 0, 0, 9, b'a']).into_bytes(),
            Data::new(type_id::STRING, &[0xff, 0xff, 0xff, 0xfe]).into_bytes(),
            Data::new(type_id::INTEGER, &[0, 0, 0, 1, 0]).into_bytes(),
            Data::new(type_id::COMPACT, &[0; 12]).into_bytes(),
            Data::new(-999, &[]).into_bytes(),
            Data::new(type_id::JSON, &[0, 0, 0, 3, b'[', b'1', b'x']).into_bytes(),
            Data::new(type_id::STRING, &[0, 0, 0, 2, 0xc3, 0x28]).into_bytes(),
        ];
        for bytes in cases {
            let err = decode_value::<serde_json::Value>(&c, &bytes).unwrap_err();
            assert!(matches!(err, CodecError::Decode { .. }), "{err:?}");
        }
        let s = encode_value(&c, "text").unwrap();
        assert!(decode_value::<u32>(&c, &s).is_err());
        let big = encode_value(&c, &300i32).unwrap();
        assert!(decode_value::<u8>(&c, &big).is_err());
        let deep = "[".repeat(10_000);
        let json = to_data(&Value::Json(JsonValue(deep))).unwrap().into_bytes();
        assert!(decode_value::<serde_json::Value>(&c, &json).is_err());
    }
}
