//! Serde structs as **named** Compact records with the field kinds a Java class would get,
//! so that a Rust value and a Java record (or class) are one and the same Compact type.
//!
//! Hazelcast's zero-config Compact serializer stores a Java record under its fully
//! qualified class name, with one field per component whose kind follows the Java type
//! (`long` INT64, `int` INT32, `BigDecimal` DECIMAL, `String` STRING, a record COMPACT, a
//! `List` of records ARRAY_OF_COMPACT...). This module writes a serde struct the same way:
//!
//! - the type name is the struct's serde name: `#[serde(rename = "com.example.shop.Basket")]`;
//! - the field names are its serde field names (`#[serde(rename_all = "camelCase")]` gives
//!   Java's);
//! - the kinds follow the Rust types:
//!
//! | Rust field | Compact kind | Java field |
//! |---|---|---|
//! | `bool` | BOOLEAN | `boolean` |
//! | `i8` / `i16` / `i32` / `i64` | INT8 / INT16 / INT32 / INT64 | `byte` / `short` / `int` / `long` |
//! | `u8` / `u16` / `u32` / `u64` | INT16 / INT32 / INT64 / INT64 (range-checked) | the next wider signed type |
//! | `f32` / `f64` | FLOAT32 / FLOAT64 | `float` / `double` |
//! | `Option<bool>`, `Option<i32>`... (`Some`) | NULLABLE_BOOLEAN, NULLABLE_INT32... | `Boolean`, `Integer`... |
//! | `String`, `char`, unit enum variants | STRING | `String`, an `enum` |
//! | [`Decimal`] | DECIMAL | `BigDecimal` |
//! | a nested struct | COMPACT (type name: its serde name) | a record / class |
//! | `Vec` of one of the above | ARRAY_OF_ the element's kind | an array or `List` |
//!
//! A `None`, or an empty `Vec`, carries no type at run time: its kind comes from
//! [`RecordTypes`] hints (`None` without a hint is a null STRING; an empty `Vec` without a
//! hint is refused with [`CompactRecordError::Ambiguous`]). Declare the kind of every field that
//! can be `None` (other than strings) or empty.
//!
//! Reading goes the other way through serde: any Compact record deserializes into a struct
//! with the same field names (DECIMAL values into [`Decimal`]). [`CompactCodec::with_record_types`](crate::CompactCodec::with_record_types)
//! uses this module for session attributes.
//!
//! ```
//! use hazelcast_protocol::compact::SchemaRegistry;
//! use serde::{Deserialize, Serialize};
//! use session_hazelcast::compact_record::{Decimal, FieldKind, RecordTypes, from_record, to_record};
//!
//! #[derive(Debug, PartialEq, Serialize, Deserialize)]
//! #[serde(rename = "com.example.shop.ProductDto", rename_all = "camelCase")]
//! struct ProductDto { id: i64, name: String, list_price: Decimal }
//!
//! #[derive(Debug, PartialEq, Serialize, Deserialize)]
//! #[serde(rename = "com.example.shop.Basket", rename_all = "camelCase")]
//! struct Basket { principal_name: Option<String>, items: Vec<ProductDto> }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let types = RecordTypes::new().hint("com.example.shop.Basket", "items", FieldKind::ArrayOfCompact);
//! let basket = Basket {
//!     principal_name: Some("alice".into()),
//!     items: vec![ProductDto { id: 1, name: "Red Teapot".into(), list_price: "4.99".parse()? }],
//! };
//! let record = to_record(&basket, &types)?;
//! assert_eq!(record.type_name(), "com.example.shop.Basket");
//! assert_eq!(record.schema().field("items").map(|f| f.kind), Some(FieldKind::ArrayOfCompact));
//!
//! // Through Hazelcast `Data` bytes and back.
//! let registry = SchemaRegistry::new();
//! let data = registry.to_data(&record)?;
//! let back: Basket = from_record(&registry.to_generic(&data)?)?;
//! assert_eq!(back, basket);
//!
//! // An empty basket still has the Java schema, thanks to the hint.
//! let empty = to_record(&Basket { principal_name: None, items: vec![] }, &types)?;
//! assert_eq!(empty.schema().id(), record.schema().id());
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;
use std::fmt;

use hazelcast_protocol::compact::{FieldValue, GenericRecord};

/// The Compact field kinds, for [`RecordTypes::hint`].
pub use hazelcast_protocol::compact::FieldKind;
use serde::de::DeserializeOwned;
use serde::ser::{self, Serialize};

mod decimal;
mod serializer;

use decimal::DECIMAL_TOKEN;
pub use decimal::{Decimal, ParseDecimalError};
use serializer::ValSer;

/// Deepest nesting of records.
const MAX_DEPTH: usize = 32;
/// Field kinds for the values that carry no type at run time (`None`, an empty `Vec`),
/// by record type name and field name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordTypes {
    hints: HashMap<(String, String), FieldKind>,
}

impl RecordTypes {
    /// No hints.
    pub fn new() -> Self {
        Self::default()
    }

    /// Field `field` of records named `type_name` has kind `kind` when its value is `None`
    /// or an empty sequence (e.g. `ArrayOfCompact` for a `Vec` of structs, `Decimal` for an
    /// `Option<Decimal>`, `Compact` for an `Option` of a struct).
    pub fn hint(
        mut self,
        type_name: impl Into<String>,
        field: impl Into<String>,
        kind: FieldKind,
    ) -> Self {
        self.hints.insert((type_name.into(), field.into()), kind);
        self
    }

    fn get(&self, type_name: &str, field: &str) -> Option<FieldKind> {
        self.hints
            .get(&(type_name.to_owned(), field.to_owned()))
            .copied()
    }
}

/// Why a value could not become, or be read from, a Compact record.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CompactRecordError {
    /// The value (or a nested one) has no Compact form: not a struct at the top, a map, a
    /// tuple, a non-unit enum variant, a sequence of mixed kinds...
    #[error("no Compact form: {0}")]
    Unsupported(String),
    /// A `None` or empty sequence whose kind has no hint and no default.
    #[error(
        "the kind of field {field:?} of {type_name:?} is unknown for an empty or null value; \
         declare it with RecordTypes::hint"
    )]
    Ambiguous {
        /// The record's type name.
        type_name: String,
        /// The field.
        field: String,
    },
    /// A hint names a kind the value cannot take.
    #[error("field {field:?} of {type_name:?} cannot be written as {kind}")]
    HintMismatch {
        /// The record's type name.
        type_name: String,
        /// The field.
        field: String,
        /// The hinted kind.
        kind: FieldKind,
    },
    /// The record could not be built (duplicate field names...).
    #[error("invalid record")]
    Build(#[source] hazelcast_protocol::serialization::SerializationError),
    /// The record does not deserialize into the asked type.
    #[error("the record does not match the Rust type")]
    Decode(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// The struct `value` as a Compact record (see the [module docs](self) for the mapping).
///
/// # Errors
/// [`CompactRecordError`] for values without a Compact form or with an undeclared ambiguous field.
pub fn to_record<T: Serialize + ?Sized>(
    value: &T,
    types: &RecordTypes,
) -> Result<GenericRecord, CompactRecordError> {
    let tree = value.serialize(ValSer)?;
    match tree {
        Val::Record(name, fields) => build(name, fields, types, 0),
        _ => Err(CompactRecordError::Unsupported(
            "the top-level value must be a struct".into(),
        )),
    }
}

/// [`to_record`] for an erased value (what an attribute codec receives).
pub(crate) fn erased_to_record(
    value: &dyn erased_serde::Serialize,
    types: &RecordTypes,
) -> Result<GenericRecord, CompactRecordError> {
    struct Wrap<'a>(&'a dyn erased_serde::Serialize);
    impl Serialize for Wrap<'_> {
        fn serialize<S: ser::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            erased_serde::serialize(self.0, s)
        }
    }
    to_record(&Wrap(value), types)
}

/// The record as a `T` (field names must match; DECIMAL reads as [`Decimal`]).
///
/// # Errors
/// [`CompactRecordError::Decode`] when the record does not fit `T`, or holds a kind without a
/// serde form (date/time kinds).
pub fn from_record<T: DeserializeOwned>(record: &GenericRecord) -> Result<T, CompactRecordError> {
    let json = crate::compact_codec::record_to_json(record)
        .map_err(|e| CompactRecordError::Decode(e.into()))?;
    serde_json::from_value(json).map_err(|e| CompactRecordError::Decode(e.into()))
}

/// A serialized value, typed as serde saw it.
#[derive(Debug)]
enum Val {
    Bool(bool),
    I8(i8),
    I16(i16),
    I32(i32),
    I64(i64),
    F32(f32),
    F64(f64),
    Str(String),
    Decimal(Decimal),
    Bytes(Vec<u8>),
    None,
    Some(Box<Val>),
    Seq(Vec<Val>),
    Record(&'static str, Vec<(&'static str, Val)>),
}

fn build(
    name: &str,
    fields: Vec<(&'static str, Val)>,
    types: &RecordTypes,
    depth: usize,
) -> Result<GenericRecord, CompactRecordError> {
    if depth > MAX_DEPTH {
        return Err(CompactRecordError::Unsupported(format!(
            "records nested deeper than {MAX_DEPTH}"
        )));
    }
    let mut b = GenericRecord::builder(name);
    for (field, val) in fields {
        let value = field_value(name, field, val, types, depth)?;
        b = b.field(field, value);
    }
    b.build().map_err(CompactRecordError::Build)
}

fn field_value(
    type_name: &str,
    field: &str,
    val: Val,
    types: &RecordTypes,
    depth: usize,
) -> Result<FieldValue, CompactRecordError> {
    let hint = types.get(type_name, field);
    let mismatch = |kind| CompactRecordError::HintMismatch {
        type_name: type_name.to_owned(),
        field: field.to_owned(),
        kind,
    };
    Ok(match val {
        Val::None => match hint {
            None | Some(FieldKind::String) => FieldValue::String(None),
            Some(kind) => null_of(kind).ok_or_else(|| mismatch(kind))?,
        },
        Val::Seq(items) if items.is_empty() => match hint {
            Some(kind) => empty_of(kind).ok_or_else(|| mismatch(kind))?,
            None => {
                return Err(CompactRecordError::Ambiguous {
                    type_name: type_name.to_owned(),
                    field: field.to_owned(),
                });
            }
        },
        Val::Bool(v) => FieldValue::Boolean(v),
        Val::I8(v) => FieldValue::Int8(v),
        Val::I16(v) => FieldValue::Int16(v),
        Val::I32(v) => FieldValue::Int32(v),
        Val::I64(v) => FieldValue::Int64(v),
        Val::F32(v) => FieldValue::Float32(v),
        Val::F64(v) => FieldValue::Float64(v),
        Val::Str(v) => FieldValue::String(Some(v)),
        Val::Decimal(v) => FieldValue::Decimal(Some(v.to_compact())),
        Val::Bytes(v) => FieldValue::ArrayOfInt8(Some(v)),
        Val::Record(name, fields) => {
            FieldValue::Compact(Some(build(name, fields, types, depth + 1)?))
        }
        Val::Some(inner) => match *inner {
            Val::Bool(v) => FieldValue::NullableBoolean(Some(v)),
            Val::I8(v) => FieldValue::NullableInt8(Some(v)),
            Val::I16(v) => FieldValue::NullableInt16(Some(v)),
            Val::I32(v) => FieldValue::NullableInt32(Some(v)),
            Val::I64(v) => FieldValue::NullableInt64(Some(v)),
            Val::F32(v) => FieldValue::NullableFloat32(Some(v)),
            Val::F64(v) => FieldValue::NullableFloat64(Some(v)),
            other => field_value(type_name, field, other, types, depth)?,
        },
        Val::Seq(items) => array(type_name, field, items, types, depth)?,
    })
}

fn null_of(kind: FieldKind) -> Option<FieldValue> {
    use FieldKind as K;
    Some(match kind {
        K::String => FieldValue::String(None),
        K::Decimal => FieldValue::Decimal(None),
        K::Compact => FieldValue::Compact(None),
        K::NullableBoolean => FieldValue::NullableBoolean(None),
        K::NullableInt8 => FieldValue::NullableInt8(None),
        K::NullableInt16 => FieldValue::NullableInt16(None),
        K::NullableInt32 => FieldValue::NullableInt32(None),
        K::NullableInt64 => FieldValue::NullableInt64(None),
        K::NullableFloat32 => FieldValue::NullableFloat32(None),
        K::NullableFloat64 => FieldValue::NullableFloat64(None),
        other => return empty_of(other).map(|_| null_array(other)),
    })
}

fn null_array(kind: FieldKind) -> FieldValue {
    match empty_of(kind) {
        Some(FieldValue::ArrayOfBoolean(_)) => FieldValue::ArrayOfBoolean(None),
        Some(FieldValue::ArrayOfInt8(_)) => FieldValue::ArrayOfInt8(None),
        Some(FieldValue::ArrayOfInt16(_)) => FieldValue::ArrayOfInt16(None),
        Some(FieldValue::ArrayOfInt32(_)) => FieldValue::ArrayOfInt32(None),
        Some(FieldValue::ArrayOfInt64(_)) => FieldValue::ArrayOfInt64(None),
        Some(FieldValue::ArrayOfFloat32(_)) => FieldValue::ArrayOfFloat32(None),
        Some(FieldValue::ArrayOfFloat64(_)) => FieldValue::ArrayOfFloat64(None),
        Some(FieldValue::ArrayOfNullableInt32(_)) => FieldValue::ArrayOfNullableInt32(None),
        Some(FieldValue::ArrayOfNullableInt64(_)) => FieldValue::ArrayOfNullableInt64(None),
        Some(FieldValue::ArrayOfDecimal(_)) => FieldValue::ArrayOfDecimal(None),
        Some(FieldValue::ArrayOfCompact(_)) => FieldValue::ArrayOfCompact(None),
        _ => FieldValue::ArrayOfString(None),
    }
}

fn empty_of(kind: FieldKind) -> Option<FieldValue> {
    use FieldKind as K;
    Some(match kind {
        K::ArrayOfBoolean => FieldValue::ArrayOfBoolean(Some(vec![])),
        K::ArrayOfInt8 => FieldValue::ArrayOfInt8(Some(vec![])),
        K::ArrayOfInt16 => FieldValue::ArrayOfInt16(Some(vec![])),
        K::ArrayOfInt32 => FieldValue::ArrayOfInt32(Some(vec![])),
        K::ArrayOfInt64 => FieldValue::ArrayOfInt64(Some(vec![])),
        K::ArrayOfFloat32 => FieldValue::ArrayOfFloat32(Some(vec![])),
        K::ArrayOfFloat64 => FieldValue::ArrayOfFloat64(Some(vec![])),
        K::ArrayOfNullableInt32 => FieldValue::ArrayOfNullableInt32(Some(vec![])),
        K::ArrayOfNullableInt64 => FieldValue::ArrayOfNullableInt64(Some(vec![])),
        K::ArrayOfString => FieldValue::ArrayOfString(Some(vec![])),
        K::ArrayOfDecimal => FieldValue::ArrayOfDecimal(Some(vec![])),
        K::ArrayOfCompact => FieldValue::ArrayOfCompact(Some(vec![])),
        _ => return None,
    })
}

/// A non-empty sequence: every element must have the first one's kind.
fn array(
    type_name: &str,
    field: &str,
    items: Vec<Val>,
    types: &RecordTypes,
    depth: usize,
) -> Result<FieldValue, CompactRecordError> {
    let mixed = || {
        CompactRecordError::Unsupported(format!(
            "field {field:?} of {type_name:?}: a sequence of mixed kinds"
        ))
    };
    macro_rules! all {
        ($variant:ident, $out:ident) => {{
            let mut v = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Val::$variant(x) => v.push(x),
                    _ => return Err(mixed()),
                }
            }
            FieldValue::$out(Some(v))
        }};
    }
    let first = items.iter().find(|v| !matches!(v, Val::None));
    Ok(match first {
        Some(Val::Bool(_)) => all!(Bool, ArrayOfBoolean),
        Some(Val::I8(_)) => {
            let mut v = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Val::I8(x) => v.push(x.to_be_bytes()[0]),
                    _ => return Err(mixed()),
                }
            }
            FieldValue::ArrayOfInt8(Some(v))
        }
        Some(Val::I16(_)) => all!(I16, ArrayOfInt16),
        Some(Val::I32(_)) => all!(I32, ArrayOfInt32),
        Some(Val::I64(_)) => all!(I64, ArrayOfInt64),
        Some(Val::F32(_)) => all!(F32, ArrayOfFloat32),
        Some(Val::F64(_)) => all!(F64, ArrayOfFloat64),
        Some(Val::Str(_)) => {
            let mut v = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Val::Str(s) => v.push(Some(s)),
                    Val::None => v.push(None),
                    _ => return Err(mixed()),
                }
            }
            FieldValue::ArrayOfString(Some(v))
        }
        Some(Val::Decimal(_)) => {
            let mut v = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Val::Decimal(d) => v.push(Some(d.to_compact())),
                    Val::None => v.push(None),
                    _ => return Err(mixed()),
                }
            }
            FieldValue::ArrayOfDecimal(Some(v))
        }
        Some(Val::Record(..)) => {
            let mut v = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    Val::Record(name, fields) => {
                        v.push(Some(build(name, fields, types, depth + 1)?));
                    }
                    Val::None => v.push(None),
                    _ => return Err(mixed()),
                }
            }
            FieldValue::ArrayOfCompact(Some(v))
        }
        Some(Val::Some(_)) => {
            // Nullable elements: Option<i32> → ARRAY_OF_NULLABLE_INT32 and so on.
            let mut ints32 = Vec::new();
            let mut ints64 = Vec::new();
            let mut is32 = None;
            for item in items {
                match item {
                    Val::None => {
                        ints32.push(None);
                        ints64.push(None);
                    }
                    Val::Some(inner) => match (*inner, is32) {
                        (Val::I32(x), None | Some(true)) => {
                            is32 = Some(true);
                            ints32.push(Some(x));
                        }
                        (Val::I64(x), None | Some(false)) => {
                            is32 = Some(false);
                            ints64.push(Some(x));
                        }
                        _ => return Err(mixed()),
                    },
                    _ => return Err(mixed()),
                }
            }
            if is32 == Some(true) {
                FieldValue::ArrayOfNullableInt32(Some(ints32))
            } else {
                FieldValue::ArrayOfNullableInt64(Some(ints64))
            }
        }
        Some(Val::Seq(_)) | Some(Val::Bytes(_)) => {
            return Err(CompactRecordError::Unsupported(format!(
                "field {field:?} of {type_name:?}: nested sequences"
            )));
        }
        Some(Val::None) | None => match types.get(type_name, field) {
            Some(kind) => {
                let n = items.len();
                match kind {
                    FieldKind::ArrayOfString => FieldValue::ArrayOfString(Some(vec![None; n])),
                    FieldKind::ArrayOfDecimal => FieldValue::ArrayOfDecimal(Some(vec![None; n])),
                    FieldKind::ArrayOfCompact => FieldValue::ArrayOfCompact(Some(vec![None; n])),
                    other => {
                        return Err(CompactRecordError::HintMismatch {
                            type_name: type_name.to_owned(),
                            field: field.to_owned(),
                            kind: other,
                        });
                    }
                }
            }
            None => FieldValue::ArrayOfString(Some(vec![None; items.len()])),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hazelcast_protocol::compact;
    use serde::{Deserialize, Serialize};

    #[test]
    fn decimals_print_and_parse() {
        for (text, unscaled, scale) in [
            ("4.99", 499, 2),
            ("-0.005", -5, 3),
            ("12", 12, 0),
            ("0.10", 10, 2),
            ("0", 0, 0),
        ] {
            let d: Decimal = text.parse().unwrap();
            assert_eq!((d.unscaled(), d.scale()), (unscaled, scale), "{text}");
            assert_eq!(d.to_string(), text);
        }
        assert_eq!(Decimal::new(12, -2).to_string(), "1200");
        for bad in ["", "-", "1.2.3", "1e5", "abc", "."] {
            assert!(bad.parse::<Decimal>().is_err(), "{bad}");
        }
        let big = Decimal::new(i128::MAX, 4);
        assert_eq!(Decimal::from_compact(&big.to_compact()), Some(big));
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(rename = "x.Inner")]
    struct Inner {
        v: u16,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(rename = "x.Outer", rename_all = "camelCase")]
    struct Outer {
        flag: bool,
        small: i8,
        count: i32,
        id: i64,
        ratio: f64,
        maybe_count: Option<i32>,
        no_count: Option<i32>,
        price: Decimal,
        no_price: Option<Decimal>,
        inner: Inner,
        inners: Vec<Inner>,
        names: Vec<Option<String>>,
        none_name: Option<String>,
        empty: Vec<Inner>,
    }

    #[test]
    fn kinds_follow_rust_types_and_hints() {
        let types = RecordTypes::new()
            .hint("x.Outer", "noCount", FieldKind::NullableInt32)
            .hint("x.Outer", "noPrice", FieldKind::Decimal)
            .hint("x.Outer", "empty", FieldKind::ArrayOfCompact);
        let v = Outer {
            flag: true,
            small: -2,
            count: 7,
            id: 1 << 40,
            ratio: 0.5,
            maybe_count: Some(3),
            no_count: None,
            price: Decimal::new(1999, 2),
            no_price: None,
            inner: Inner { v: 9 },
            inners: vec![Inner { v: 1 }, Inner { v: 2 }],
            names: vec![Some("a".into()), None],
            none_name: None,
            empty: vec![],
        };
        let r = to_record(&v, &types).unwrap();
        assert_eq!(r.type_name(), "x.Outer");
        let kind = |n: &str| r.schema().field(n).map(|f| f.kind);
        use FieldKind as K;
        for (field, k) in [
            ("flag", K::Boolean),
            ("small", K::Int8),
            ("count", K::Int32),
            ("id", K::Int64),
            ("ratio", K::Float64),
            ("maybeCount", K::NullableInt32),
            ("noCount", K::NullableInt32),
            ("price", K::Decimal),
            ("noPrice", K::Decimal),
            ("inner", K::Compact),
            ("inners", K::ArrayOfCompact),
            ("names", K::ArrayOfString),
            ("noneName", K::String),
            ("empty", K::ArrayOfCompact),
        ] {
            assert_eq!(kind(field), Some(k), "{field}");
        }
        match r.get("inner") {
            Some(FieldValue::Compact(Some(inner))) => {
                assert_eq!(inner.type_name(), "x.Inner");
                assert_eq!(inner.get("v"), Some(&FieldValue::Int32(9)));
            }
            other => panic!("{other:?}"),
        }
        let registry = compact::SchemaRegistry::new();
        let back: Outer =
            from_record(&registry.to_generic(&registry.to_data(&r).unwrap()).unwrap()).unwrap();
        assert_eq!(back, v);
    }

    #[test]
    fn ambiguous_and_unsupported_values_are_refused() {
        #[derive(Serialize)]
        #[serde(rename = "x.E")]
        struct E {
            empty: Vec<i32>,
        }
        assert!(matches!(
            to_record(&E { empty: vec![] }, &RecordTypes::new()),
            Err(CompactRecordError::Ambiguous { .. })
        ));
        assert!(matches!(
            to_record(
                &E { empty: vec![] },
                &RecordTypes::new().hint("x.E", "empty", FieldKind::Decimal)
            ),
            Err(CompactRecordError::HintMismatch { .. })
        ));
        #[derive(Serialize)]
        #[serde(rename = "x.M")]
        struct M {
            m: HashMap<String, i32>,
        }
        assert!(matches!(
            to_record(&M { m: HashMap::new() }, &RecordTypes::new()),
            Err(CompactRecordError::Unsupported(_))
        ));
        assert!(to_record(&5, &RecordTypes::new()).is_err());
        assert!(to_record(&u64::MAX, &RecordTypes::new()).is_err());
    }
}
