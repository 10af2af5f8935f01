//! Top-level Compact fields as predicates see them, read with the protocol crate's
//! [`CompactReader`](hazelcast_protocol::compact::CompactReader).

use hazelcast_protocol::compact::{FieldKind, SchemaRegistry};
use hazelcast_protocol::data::{Data, type_id};
use hazelcast_protocol::serialization::SerializationError;

use crate::error::MemberError;
use crate::query::Value;

/// Most fields a schema sent by a client may have here (bounds what a client can make the
/// member hold).
pub const MAX_FIELDS: usize = 4096;

fn serialization(e: SerializationError) -> MemberError {
    match e {
        SerializationError::SchemaNotFound(id) => {
            MemberError::Serialization(format!("The schema can not be found with id {id}"))
        }
        other => MemberError::Serialization(other.to_string()),
    }
}

/// Reads top-level field `name` of a Compact value.
///
/// A field the schema lacks reads as null (a real member accepts values of other types in
/// an indexed map, facts 7.4); kinds predicates here cannot compare (arrays, nested
/// records, dates, decimals) read as [`Value::Other`].
///
/// # Errors
/// An unknown schema or malformed bytes.
pub fn read_field(
    registry: &SchemaRegistry,
    data: &Data,
    name: &str,
) -> Result<Value, MemberError> {
    if data.type_id() != Some(type_id::COMPACT) {
        return Err(MemberError::Serialization("Not a Compact value".into()));
    }
    registry
        .decode_with(data.payload(), |r| {
            let Some(kind) = r.field_kind(name) else {
                return Ok(Value::Null);
            };
            let int = |v: Option<i64>| v.map_or(Value::Null, Value::Int);
            let float = |v: Option<f64>| v.map_or(Value::Null, Value::Float);
            Ok(match kind {
                FieldKind::Boolean | FieldKind::NullableBoolean => r
                    .read_nullable_boolean(name)?
                    .map_or(Value::Null, Value::Bool),
                FieldKind::Int8 | FieldKind::NullableInt8 => {
                    int(r.read_nullable_int8(name)?.map(i64::from))
                }
                FieldKind::Int16 | FieldKind::NullableInt16 => {
                    int(r.read_nullable_int16(name)?.map(i64::from))
                }
                FieldKind::Int32 | FieldKind::NullableInt32 => {
                    int(r.read_nullable_int32(name)?.map(i64::from))
                }
                FieldKind::Int64 | FieldKind::NullableInt64 => int(r.read_nullable_int64(name)?),
                FieldKind::Float32 | FieldKind::NullableFloat32 => {
                    float(r.read_nullable_float32(name)?.map(f64::from))
                }
                FieldKind::Float64 | FieldKind::NullableFloat64 => {
                    float(r.read_nullable_float64(name)?)
                }
                FieldKind::String => r
                    .read_string(name)?
                    .map_or(Value::Null, |s| Value::Str(s.to_string())),
                _ => Value::Other,
            })
        })
        .map_err(serialization)
}

#[cfg(test)]
mod tests {
    use hazelcast_protocol::compact::{FieldDescriptor, Schema};

    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    }

    fn session_schema() -> Schema {
        let f = |n: &str, k| FieldDescriptor::new(n, k);
        Schema::new(
            "BackingMapSession",
            vec![
                f("originalId", FieldKind::String),
                f("id", FieldKind::String),
                f("principalName", FieldKind::String),
                f("creationTime_seconds", FieldKind::NullableInt64),
                f("lastAccessedTime_seconds", FieldKind::NullableInt64),
                f("maxInactiveInterval_seconds", FieldKind::NullableInt64),
                f("creationTime_nanos", FieldKind::NullableInt32),
                f("lastAccessedTime_nanos", FieldKind::NullableInt32),
                f("maxInactiveInterval_nanos", FieldKind::NullableInt32),
                f("attributeNames", FieldKind::ArrayOfString),
                f("attributeValues", FieldKind::ArrayOfCompact),
            ],
        )
        .expect("schema")
    }

    #[test]
    fn reads_fields_of_a_python_written_session() {
        let data = Data::from_bytes(hex(
            "00000000ffffffc9a9e0f822fc84c1a50000006300000002733100000002733100000005616c696365000000006553f10000000000000000006553f100000000000000000000000708000000000000000500000001000000016100000000130000000176505432a737fe8100000006000000020102000039471d15062921352d000c",
        ));
        let reg = SchemaRegistry::new();
        let err = read_field(&reg, &data, "principalName").expect_err("unknown schema");
        assert!(err.to_string().contains("-6205687457367408219"));
        reg.register(session_schema()).expect("register");
        let get = |n| read_field(&reg, &data, n).expect("reads");
        assert_eq!(get("principalName"), Value::Str("alice".into()));
        assert_eq!(get("id"), Value::Str("s1".into()));
        assert_eq!(get("maxInactiveInterval_seconds"), Value::Int(1800));
        assert_eq!(get("creationTime_nanos"), Value::Int(0));
        assert_eq!(get("attributeNames"), Value::Other);
        assert_eq!(get("nope"), Value::Null);
    }

    #[test]
    fn garbage_bodies_are_errors_not_panics() {
        let reg = SchemaRegistry::new();
        let schema = session_schema();
        let id = schema.id();
        reg.register(schema).expect("register");
        for len in 0..40 {
            let mut b = vec![0, 0, 0, 0, 0xff, 0xff, 0xff, 0xc9];
            b.extend_from_slice(&id.to_be_bytes());
            b.extend(std::iter::repeat_n(0xffu8, len));
            let _ = read_field(&reg, &Data::from_bytes(b), "principalName");
        }
    }
}
