//! [`CompactCodec`]: like [`HazelcastCodec`], but serde structs become Compact records
//! (a Java application reads them as `GenericRecord`s, and the cluster can query their
//! fields) instead of `HazelcastJsonValue`.
//!
//! The bridge goes through `serde_json::Value`, so field kinds follow JSON's types:
//!
//! | Rust field | Compact kind |
//! |---|---|
//! | `bool` | BOOLEAN |
//! | integers | INT64 |
//! | floats (and integers beyond `i64`) | FLOAT64 |
//! | `String`, `char`, unit enum variants | STRING |
//! | `None` | a null STRING |
//! | nested struct | COMPACT (type name `Parent.field`) |
//! | sequence of one of the above | the ARRAY_OF_ kind (a sequence of strings may hold nulls) |
//!
//! The top-level type name is the Rust struct's name. Values that are not structs, or hold
//! something without a Compact kind (maps with non-struct shape, mixed sequences, ...), are
//! stored as with [`HazelcastCodec`]. Decoding accepts any Compact record (every field kind
//! with a JSON form; DECIMAL as its text, which [`Decimal`](crate::compact_record::Decimal)
//! reads) into the asked type.
//!
//! [`CompactCodec::with_record_types`] instead writes structs as the Compact type a Java
//! record of the same shape has (type name = the serde name, kinds from the Rust types,
//! DECIMAL, INT32...): see [`compact_record`]. That is how a Rust
//! application shares typed attribute values with a Spring application.

use hazelcast_client::Client;
use hazelcast_protocol::compact::{FieldValue, GenericRecord};
use hazelcast_protocol::data::{Data, type_id};
use serde_json::{Map as JsonMap, Number, Value as Json};
use session_core::{AttributeCodec, CodecError, DecodeFn};

use crate::HazelcastCodec;
use crate::compact_record::{self, RecordTypes};

const NAME: &str = "hazelcast-compact";
/// Deepest nesting of records converted (deeper values fall back to JSON).
const MAX_DEPTH: usize = 32;

/// Attribute values as Hazelcast `Data`, serde structs as Compact records, using (and
/// registering schemas in) the client's schema registry; the client sends new schemas
/// before the next write.
///
/// A record written by another application whose schema this client has not seen must be
/// fetched first: the repository does that when it loads a session.
#[derive(Debug, Clone)]
pub struct CompactCodec {
    client: Client,
    record_types: Option<std::sync::Arc<RecordTypes>>,
}

impl CompactCodec {
    /// A codec using `client`'s schema registry.
    pub fn new(client: Client) -> Self {
        Self {
            client,
            record_types: None,
        }
    }

    /// A codec writing serde structs as the Compact type a Java record of the same shape
    /// has ([`compact_record`]), with `types` hints for fields that
    /// can be `None` or empty. A struct without a Compact form is an encode error; other
    /// values are written as with [`HazelcastCodec`].
    ///
    /// ```no_run
    /// # async fn f(client: hazelcast_client::Client) -> Result<(), Box<dyn std::error::Error>> {
    /// use hazelcast_protocol::compact::FieldKind;
    /// use session_hazelcast::{CompactCodec, HazelcastSessionRepository, compact_record::RecordTypes};
    ///
    /// let types = RecordTypes::new().hint("com.example.shop.Basket", "items", FieldKind::ArrayOfCompact);
    /// let repository = HazelcastSessionRepository::with_client(client.clone())
    ///     .codec(CompactCodec::with_record_types(client, types))
    ///     .build()
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn with_record_types(client: Client, types: RecordTypes) -> Self {
        Self {
            client,
            record_types: Some(std::sync::Arc::new(types)),
        }
    }
}

/// Captures the name of a top-level struct.
struct StructName;

#[derive(Debug)]
struct NotAStruct;

impl std::fmt::Display for NotAStruct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("not a struct")
    }
}

impl std::error::Error for NotAStruct {}

impl serde::ser::Error for NotAStruct {
    fn custom<T: std::fmt::Display>(_: T) -> Self {
        NotAStruct
    }
}

type NoName = serde::ser::Impossible<&'static str, NotAStruct>;

macro_rules! not_struct {
    ($($f:ident($($t:ty),*);)*) => {$(
        fn $f(self, $(_: $t),*) -> Result<&'static str, NotAStruct> {
            Err(NotAStruct)
        }
    )*};
}

impl serde::Serializer for StructName {
    type Ok = &'static str;
    type Error = NotAStruct;
    type SerializeSeq = NoName;
    type SerializeTuple = NoName;
    type SerializeTupleStruct = NoName;
    type SerializeTupleVariant = NoName;
    type SerializeMap = NoName;
    type SerializeStruct = NameOnly;
    type SerializeStructVariant = NoName;

    not_struct! {
        serialize_bool(bool); serialize_i8(i8); serialize_i16(i16); serialize_i32(i32);
        serialize_i64(i64); serialize_u8(u8); serialize_u16(u16); serialize_u32(u32);
        serialize_u64(u64); serialize_f32(f32); serialize_f64(f64); serialize_char(char);
        serialize_str(&str); serialize_bytes(&[u8]); serialize_none(); serialize_unit();
        serialize_unit_struct(&'static str); serialize_unit_variant(&'static str, u32, &'static str);
    }
    fn serialize_some<T: ?Sized + serde::Serialize>(
        self,
        _: &T,
    ) -> Result<&'static str, NotAStruct> {
        Err(NotAStruct)
    }
    fn serialize_newtype_struct<T: ?Sized + serde::Serialize>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<&'static str, NotAStruct> {
        Err(NotAStruct)
    }
    fn serialize_newtype_variant<T: ?Sized + serde::Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<&'static str, NotAStruct> {
        Err(NotAStruct)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<NoName, NotAStruct> {
        Err(NotAStruct)
    }
    fn serialize_tuple(self, _: usize) -> Result<NoName, NotAStruct> {
        Err(NotAStruct)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<NoName, NotAStruct> {
        Err(NotAStruct)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<NoName, NotAStruct> {
        Err(NotAStruct)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<NoName, NotAStruct> {
        Err(NotAStruct)
    }
    fn serialize_struct(self, name: &'static str, _: usize) -> Result<NameOnly, NotAStruct> {
        Ok(NameOnly(name))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<NoName, NotAStruct> {
        Err(NotAStruct)
    }
}

/// Ends the probe as soon as the struct's name is known.
struct NameOnly(&'static str);

impl serde::ser::SerializeStruct for NameOnly {
    type Ok = &'static str;
    type Error = NotAStruct;
    fn serialize_field<T: ?Sized + serde::Serialize>(
        &mut self,
        _: &'static str,
        _: &T,
    ) -> Result<(), NotAStruct> {
        Ok(())
    }
    fn end(self) -> Result<&'static str, NotAStruct> {
        Ok(self.0)
    }
}

/// A JSON object as a Compact record; `None` when some value has no Compact kind.
fn to_record(
    type_name: &str,
    object: &JsonMap<String, Json>,
    depth: usize,
) -> Option<GenericRecord> {
    if depth > MAX_DEPTH {
        return None;
    }
    let mut b = GenericRecord::builder(type_name);
    for (name, value) in object {
        b = b.field(
            name.clone(),
            to_field(&format!("{type_name}.{name}"), value, depth)?,
        );
    }
    b.build().ok()
}

fn to_field(nested_name: &str, value: &Json, depth: usize) -> Option<FieldValue> {
    Some(match value {
        Json::Null => FieldValue::String(None),
        Json::Bool(b) => FieldValue::Boolean(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => FieldValue::Int64(i),
            None => FieldValue::Float64(n.as_f64()?),
        },
        Json::String(s) => FieldValue::String(Some(s.clone())),
        Json::Object(o) => FieldValue::Compact(Some(to_record(nested_name, o, depth + 1)?)),
        Json::Array(items) => to_array(nested_name, items, depth)?,
    })
}

fn to_array(nested_name: &str, items: &[Json], depth: usize) -> Option<FieldValue> {
    if items.iter().all(|v| v.is_string() || v.is_null()) {
        return Some(FieldValue::ArrayOfString(Some(
            items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect(),
        )));
    }
    if let Some(v) = items.iter().map(Json::as_bool).collect::<Option<Vec<_>>>() {
        return Some(FieldValue::ArrayOfBoolean(Some(v)));
    }
    if let Some(v) = items.iter().map(Json::as_i64).collect::<Option<Vec<_>>>() {
        return Some(FieldValue::ArrayOfInt64(Some(v)));
    }
    if let Some(v) = items.iter().map(Json::as_f64).collect::<Option<Vec<_>>>() {
        return Some(FieldValue::ArrayOfFloat64(Some(v)));
    }
    let records = items
        .iter()
        .map(|v| match v {
            Json::Object(o) => to_record(nested_name, o, depth + 1).map(Some),
            Json::Null => Some(None),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    Some(FieldValue::ArrayOfCompact(Some(records)))
}

/// A Compact record as JSON, for deserializing into the asked type.
pub(crate) fn record_to_json(r: &GenericRecord) -> Result<Json, String> {
    let mut m = JsonMap::new();
    for (name, value) in r.fields() {
        m.insert(name.to_owned(), field_to_json(value)?);
    }
    Ok(Json::Object(m))
}

fn num(f: f64) -> Json {
    Number::from_f64(f).map_or(Json::Null, Json::Number)
}

fn opt<T>(v: &Option<T>, f: impl Fn(&T) -> Json) -> Json {
    v.as_ref().map_or(Json::Null, f)
}

fn arr<T>(v: &Option<Vec<T>>, f: impl Fn(&T) -> Json) -> Json {
    v.as_ref()
        .map_or(Json::Null, |v| Json::Array(v.iter().map(f).collect()))
}

fn decimal_json(d: &hazelcast_protocol::compact::Decimal) -> Result<Json, String> {
    compact_record::Decimal::from_compact(d)
        .map(|d| Json::String(d.to_string()))
        .ok_or_else(|| "a DECIMAL beyond 128 bits".to_owned())
}

fn field_to_json(v: &FieldValue) -> Result<Json, String> {
    use FieldValue as F;
    Ok(match v {
        F::Boolean(b) => Json::Bool(*b),
        F::Int8(i) => Json::from(*i),
        F::Int16(i) => Json::from(*i),
        F::Int32(i) => Json::from(*i),
        F::Int64(i) => Json::from(*i),
        F::Float32(f) => num(f64::from(*f)),
        F::Float64(f) => num(*f),
        F::NullableBoolean(b) => opt(b, |b| Json::Bool(*b)),
        F::NullableInt8(i) => opt(i, |i| Json::from(*i)),
        F::NullableInt16(i) => opt(i, |i| Json::from(*i)),
        F::NullableInt32(i) => opt(i, |i| Json::from(*i)),
        F::NullableInt64(i) => opt(i, |i| Json::from(*i)),
        F::NullableFloat32(f) => opt(f, |f| num(f64::from(*f))),
        F::NullableFloat64(f) => opt(f, |f| num(*f)),
        F::String(s) => opt(s, |s| Json::String(s.clone())),
        F::ArrayOfBoolean(v) => arr(v, |b| Json::Bool(*b)),
        F::ArrayOfInt8(v) => arr(v, |b| Json::from(*b as i8)),
        F::ArrayOfInt16(v) => arr(v, |i| Json::from(*i)),
        F::ArrayOfInt32(v) => arr(v, |i| Json::from(*i)),
        F::ArrayOfInt64(v) => arr(v, |i| Json::from(*i)),
        F::ArrayOfFloat32(v) => arr(v, |f| num(f64::from(*f))),
        F::ArrayOfFloat64(v) => arr(v, |f| num(*f)),
        F::ArrayOfNullableBoolean(v) => arr(v, |b| opt(b, |b| Json::Bool(*b))),
        F::ArrayOfNullableInt8(v) => arr(v, |i| opt(i, |i| Json::from(*i))),
        F::ArrayOfNullableInt16(v) => arr(v, |i| opt(i, |i| Json::from(*i))),
        F::ArrayOfNullableInt32(v) => arr(v, |i| opt(i, |i| Json::from(*i))),
        F::ArrayOfNullableInt64(v) => arr(v, |i| opt(i, |i| Json::from(*i))),
        F::ArrayOfNullableFloat32(v) => arr(v, |f| opt(f, |f| num(f64::from(*f)))),
        F::ArrayOfNullableFloat64(v) => arr(v, |f| opt(f, |f| num(*f))),
        F::ArrayOfString(v) => arr(v, |s| opt(s, |s| Json::String(s.clone()))),
        F::Decimal(d) => match d {
            Some(d) => decimal_json(d)?,
            None => Json::Null,
        },
        F::ArrayOfDecimal(v) => match v {
            Some(items) => Json::Array(
                items
                    .iter()
                    .map(|d| d.as_ref().map_or(Ok(Json::Null), decimal_json))
                    .collect::<Result<_, _>>()?,
            ),
            None => Json::Null,
        },
        F::Compact(r) => match r {
            Some(r) => record_to_json(r)?,
            None => Json::Null,
        },
        F::ArrayOfCompact(v) => match v {
            Some(items) => Json::Array(
                items
                    .iter()
                    .map(|r| r.as_ref().map_or(Ok(Json::Null), record_to_json))
                    .collect::<Result<_, _>>()?,
            ),
            None => Json::Null,
        },
        other => {
            return Err(format!(
                "compact field kind {} has no JSON form",
                other.kind()
            ));
        }
    })
}

impl AttributeCodec for CompactCodec {
    fn name(&self) -> &'static str {
        NAME
    }

    fn encode(&self, value: &dyn erased_serde::Serialize) -> Result<Vec<u8>, CodecError> {
        if let Some(types) = &self.record_types {
            if erased_serde::serialize(value, StructName).is_err() {
                return HazelcastCodec.encode(value);
            }
            let fail = |source: session_core::BoxError| CodecError::Encode {
                codec: NAME,
                source,
            };
            let record =
                compact_record::erased_to_record(value, types).map_err(|e| fail(e.into()))?;
            return self
                .client
                .schemas()
                .to_data(&record)
                .map(Data::into_bytes)
                .map_err(|e| fail(e.into()));
        }
        if let Ok(type_name) = erased_serde::serialize(value, StructName)
            && let Ok(Json::Object(object)) = serde_json::to_value(value)
            && let Some(record) = to_record(type_name, &object, 0)
        {
            return self
                .client
                .schemas()
                .to_data(&record)
                .map(Data::into_bytes)
                .map_err(|e| CodecError::Encode {
                    codec: NAME,
                    source: e.into(),
                });
        }
        HazelcastCodec.encode(value)
    }

    fn json_text<'a>(&self, bytes: &'a [u8]) -> Option<&'a [u8]> {
        // JSON values are HazelcastCodec's (a Compact value is never JSON).
        HazelcastCodec.json_text(bytes)
    }

    fn decode(&self, bytes: &[u8], visit: &mut DecodeFn<'_>) -> Result<(), CodecError> {
        let is_compact = bytes.len() >= 8
            && i32::from_be_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]) == type_id::COMPACT;
        if !is_compact {
            return HazelcastCodec.decode(bytes, visit);
        }
        let fail = |source: session_core::BoxError| CodecError::Decode {
            codec: NAME,
            source,
        };
        let record = self
            .client
            .schemas()
            .to_generic(&Data::from_bytes(bytes.to_vec()))
            .map_err(|e| fail(e.into()))?;
        let json = record_to_json(&record).map_err(|e| fail(e.into()))?;
        let mut erased = <dyn erased_serde::Deserializer<'_>>::erase(json);
        visit(&mut erased).map_err(|e| fail(e.into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hazelcast_protocol::compact::{FieldKind, SchemaRegistry};
    use serde_json::json;

    fn record(v: Json) -> Option<GenericRecord> {
        match v {
            Json::Object(o) => to_record("T", &o, 0),
            _ => None,
        }
    }

    #[test]
    fn kinds_follow_json_types_and_round_trip() {
        let v = json!({
            "b": true, "i": -3, "f": 1.5, "s": "x", "n": null,
            "nested": {"city": "Oslo"},
            "strs": ["a", null], "ints": [1, 2], "floats": [1, 2.5], "bools": [true],
            "recs": [{"k": 1}, null], "empty": []
        });
        let r = record(v.clone()).expect("a record");
        let kind = |n: &str| r.schema().field(n).map(|f| f.kind);
        assert_eq!(kind("b"), Some(FieldKind::Boolean));
        assert_eq!(kind("i"), Some(FieldKind::Int64));
        assert_eq!(kind("f"), Some(FieldKind::Float64));
        assert_eq!(kind("s"), Some(FieldKind::String));
        assert_eq!(kind("n"), Some(FieldKind::String));
        assert_eq!(kind("nested"), Some(FieldKind::Compact));
        assert_eq!(kind("strs"), Some(FieldKind::ArrayOfString));
        assert_eq!(kind("ints"), Some(FieldKind::ArrayOfInt64));
        assert_eq!(kind("floats"), Some(FieldKind::ArrayOfFloat64));
        assert_eq!(kind("bools"), Some(FieldKind::ArrayOfBoolean));
        assert_eq!(kind("recs"), Some(FieldKind::ArrayOfCompact));
        assert_eq!(kind("empty"), Some(FieldKind::ArrayOfString));
        // Through bytes and back.
        let registry = SchemaRegistry::new();
        let data = registry.to_data(&r).unwrap();
        let back = registry.to_generic(&data).unwrap();
        let mut expected = v;
        expected["floats"] = json!([1.0, 2.5]);
        assert_eq!(record_to_json(&back).unwrap(), expected);
    }

    #[test]
    fn shapes_without_a_compact_kind_are_refused() {
        assert!(record(json!({"mixed": [1, "a"]})).is_none());
        assert!(record(json!({"nested_arrays": [[1], [2]]})).is_none());
        assert!(record(json!({"big": u64::MAX})).is_some()); // FLOAT64
        let mut deep = json!({"x": 1});
        for _ in 0..(MAX_DEPTH + 2) {
            deep = json!({ "d": deep });
        }
        assert!(record(deep).is_none());
    }

    #[test]
    fn struct_names_are_captured_only_for_structs() {
        #[derive(serde::Serialize)]
        struct Profile {
            a: u8,
        }
        #[derive(serde::Serialize)]
        struct Wrapper(u8);
        assert_eq!(
            erased_serde::serialize(&Profile { a: 1 }, StructName).ok(),
            Some("Profile")
        );
        assert!(erased_serde::serialize(&Wrapper(1), StructName).is_err());
        assert!(erased_serde::serialize(&vec![1], StructName).is_err());
        assert!(erased_serde::serialize("s", StructName).is_err());
    }
}
