//! The Compact session record: byte compatibility with HSS 4.x and tolerant reading.

use std::time::{Duration, UNIX_EPOCH};

use bytes::Bytes;
use hazelcast_protocol::compact::{FieldValue, GenericRecord, SchemaRegistry, schema_id_of};
use hazelcast_protocol::data::Data;
use session_core::{SessionRecord, decode_value, encode_value};
use session_hazelcast::record::{
    ATTRIBUTE_VALUE_SCHEMA_ID, BACKING_MAP_SESSION_SCHEMA_ID, MAX_ATTRIBUTES,
};
use session_hazelcast::{
    AttributeValue, BackingMapSession, HazelcastCodec, RecordError, SecondsNanos,
};

/// The 130-byte vector of docs/hazelcast-protocol.md §3.4, made with the official Python
/// client's Compact serializer.
const VECTOR: &str = "00000000ffffffc9a9e0f822fc84c1a50000006300000002733100000002733100000005616c696365000000006553f10000000000000000006553f100000000000000000000000708000000000000000500000001000000016100000000130000000176505432a737fe8100000006000000020102000039471d15062921352d000c";

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn vector_session() -> BackingMapSession {
    BackingMapSession {
        original_id: Some("s1".into()),
        id: Some("s1".into()),
        principal_name: Some("alice".into()),
        creation_time: SecondsNanos::new(1_700_000_000, 0),
        last_accessed_time: SecondsNanos::new(1_700_000_000, 0),
        max_inactive_interval: SecondsNanos::new(1800, 0),
        attribute_names: Some(vec![Some("a".into())]),
        attribute_values: Some(vec![Some(AttributeValue {
            object_bytes: Bytes::from_static(&[1, 2]),
        })]),
    }
}

#[test]
fn writes_the_130_byte_vector() {
    let registry = SchemaRegistry::new();
    let data = vector_session().to_data(&registry).expect("encodes");
    assert_eq!(data.len(), 130);
    assert_eq!(data.as_bytes(), unhex(VECTOR).as_slice());
    assert_eq!(schema_id_of(&data), Some(BACKING_MAP_SESSION_SCHEMA_ID));
    let ids: Vec<i64> = registry.all().iter().map(|s| s.id()).collect();
    assert!(ids.contains(&ATTRIBUTE_VALUE_SCHEMA_ID), "{ids:?}");
    assert!(ids.contains(&BACKING_MAP_SESSION_SCHEMA_ID), "{ids:?}");
}

#[test]
fn reads_the_130_byte_vector() {
    // The reader needs the schemas: a client fetches them; here, writing registers them.
    let registry = SchemaRegistry::new();
    vector_session().to_data(&registry).expect("encodes");
    let data = Data::from_bytes(unhex(VECTOR));
    let read = BackingMapSession::from_data(&registry, &data).expect("decodes");
    assert_eq!(read, vector_session());
    let record = read.to_session_record("s1", None).expect("a session");
    assert_eq!(record.id, "s1");
    assert_eq!(record.principal_name.as_deref(), Some("alice"));
    assert_eq!(
        record.creation_time,
        UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    );
    assert_eq!(
        record.max_inactive_interval,
        Some(Duration::from_secs(1800))
    );
    assert_eq!(&record.attributes["a"][..], &[1, 2]);
}

#[test]
fn session_records_round_trip_with_nanos_and_never_expiring() {
    let registry = SchemaRegistry::new();
    let t = UNIX_EPOCH + Duration::new(1_700_000_123, 456_789_012);
    let mut r = SessionRecord::new("id-1", t, None);
    r.last_accessed_time = t + Duration::from_millis(1500);
    r.attributes
        .insert("n".into(), encode_value(&HazelcastCodec, &42i64).unwrap());
    r.attributes
        .insert("s".into(), encode_value(&HazelcastCodec, "x").unwrap());
    let stored = BackingMapSession::from_session_record(&r);
    // Spring's "never expires" is a negative duration.
    assert_eq!(stored.max_inactive_interval, SecondsNanos::new(-1, 0));
    assert_eq!(stored.original_id.as_deref(), Some("id-1"));
    let data = stored.to_data(&registry).unwrap();
    let back = BackingMapSession::from_data(&registry, &data)
        .unwrap()
        .to_session_record("id-1", Some(Duration::from_secs(60)))
        .unwrap();
    assert_eq!(back, r);
    assert_eq!(
        decode_value::<i64>(&HazelcastCodec, &back.attributes["n"]).unwrap(),
        42
    );
    // Before the epoch: Java's floor seconds and positive nanos.
    let before = UNIX_EPOCH - Duration::from_millis(1500);
    let sn = SecondsNanos::from_system_time(before);
    assert_eq!(sn, SecondsNanos::new(-2, 500_000_000));
    assert_eq!(sn.to_system_time("t").unwrap(), Some(before));
}

/// A record another client wrote: written through generic records with the fields given.
fn written_by_other(fields: Vec<(&str, FieldValue)>) -> (SchemaRegistry, Data) {
    let registry = SchemaRegistry::new();
    let mut b = GenericRecord::builder("BackingMapSession");
    for (name, value) in fields {
        b = b.field(name, value);
    }
    let data = registry
        .to_data(&b.build().expect("record"))
        .expect("encodes");
    (registry, data)
}

#[test]
fn tolerates_missing_fields_other_kinds_and_extra_fields() {
    // Python may write plain int64/int32 instead of the nullable kinds, leave out fields
    // and add its own.
    let (registry, data) = written_by_other(vec![
        ("id", FieldValue::String(Some("py-1".into()))),
        ("creationTime_seconds", FieldValue::Int64(1_700_000_000)),
        ("lastAccessedTime_seconds", FieldValue::Int64(1_700_000_010)),
        ("lastAccessedTime_nanos", FieldValue::Int32(5)),
        ("extra", FieldValue::Boolean(true)),
    ]);
    let s = BackingMapSession::from_data(&registry, &data).unwrap();
    let r = s
        .to_session_record("py-1", Some(Duration::from_secs(1800)))
        .unwrap();
    assert_eq!(r.id, "py-1");
    assert_eq!(r.max_inactive_interval, Some(Duration::from_secs(1800)));
    assert_eq!(
        r.last_accessed_time,
        UNIX_EPOCH + Duration::new(1_700_000_010, 5)
    );
    assert!(r.attributes.is_empty() && r.principal_name.is_none());

    // No id: the key is the id. Only a last access time: it is the creation time too.
    let (registry, data) = written_by_other(vec![(
        "lastAccessedTime_seconds",
        FieldValue::NullableInt64(Some(5)),
    )]);
    let r = BackingMapSession::from_data(&registry, &data)
        .unwrap()
        .to_session_record("key-id", None)
        .unwrap();
    assert_eq!(r.id, "key-id");
    assert_eq!(r.creation_time, UNIX_EPOCH + Duration::from_secs(5));
}

#[test]
fn bad_records_are_typed_errors() {
    let registry = SchemaRegistry::new();
    // No time at all.
    let (reg, data) = written_by_other(vec![("id", FieldValue::String(Some("x".into())))]);
    let err = BackingMapSession::from_data(&reg, &data)
        .unwrap()
        .to_session_record("x", None)
        .unwrap_err();
    assert!(matches!(err, RecordError::MissingField(_)), "{err:?}");
    // Nanos out of range.
    let mut s = vector_session();
    s.creation_time.nanos = Some(1_000_000_000);
    assert!(matches!(
        s.to_session_record("s1", None),
        Err(RecordError::InvalidField { .. })
    ));
    // Names and values of different lengths.
    let mut s = vector_session();
    s.attribute_names = Some(vec![Some("a".into()), Some("b".into())]);
    assert!(matches!(
        s.to_session_record("s1", None),
        Err(RecordError::AttributeCountMismatch {
            names: 2,
            values: 1
        })
    ));
    // Too many attributes.
    let mut s = vector_session();
    let n = MAX_ATTRIBUTES + 1;
    s.attribute_names = Some((0..n).map(|i| Some(i.to_string())).collect());
    s.attribute_values = Some(vec![Some(AttributeValue::default()); n]);
    assert!(matches!(
        s.to_session_record("s1", None),
        Err(RecordError::TooManyAttributes(_))
    ));
    // A field of the wrong kind.
    let (reg, data) = written_by_other(vec![("id", FieldValue::Int32(3))]);
    assert!(matches!(
        BackingMapSession::from_data(&reg, &data),
        Err(RecordError::Compact(_))
    ));
    // Another Compact type, a plain string, an unknown schema, garbage.
    let other = registry
        .to_data(
            &GenericRecord::builder("OtherType")
                .field("x", FieldValue::Int32(1))
                .build()
                .unwrap(),
        )
        .unwrap();
    assert!(matches!(
        BackingMapSession::from_data(&registry, &other),
        Err(RecordError::WrongType(t)) if t.contains("OtherType")
    ));
    let s = Data::from_bytes(encode_value(&HazelcastCodec, "str").unwrap().to_vec());
    assert!(matches!(
        BackingMapSession::from_data(&registry, &s),
        Err(RecordError::WrongType(_))
    ));
    let unknown = Data::from_bytes(unhex(VECTOR));
    assert!(matches!(
        BackingMapSession::from_data(&SchemaRegistry::new(), &unknown),
        Err(RecordError::Compact(_))
    ));
    let mut truncated = unhex(VECTOR);
    truncated.truncate(60);
    assert!(BackingMapSession::from_data(&registry, &Data::from_bytes(truncated)).is_err());
    assert!(BackingMapSession::from_data(&registry, &Data::from_bytes(vec![0, 1, 2])).is_err());
}

#[test]
fn null_attribute_entries_are_dropped() {
    let mut s = vector_session();
    s.attribute_names = Some(vec![Some("a".into()), None, Some("c".into())]);
    s.attribute_values = Some(vec![
        Some(AttributeValue::default()),
        Some(AttributeValue {
            object_bytes: Bytes::from_static(&[9]),
        }),
        None,
    ]);
    let registry = SchemaRegistry::new();
    let data = s.to_data(&registry).unwrap();
    let back = BackingMapSession::from_data(&registry, &data).unwrap();
    assert_eq!(back, s);
    assert!(
        back.to_session_record("s1", None)
            .unwrap()
            .attributes
            .is_empty()
    );
}

#[test]
fn flipping_bytes_never_panics() {
    let registry = SchemaRegistry::new();
    vector_session().to_data(&registry).unwrap();
    let good = unhex(VECTOR);
    for i in 8..good.len() {
        for v in [0x00, 0xff, 0x7f, 0x80] {
            let mut b = good.clone();
            b[i] = v;
            if let Ok(s) = BackingMapSession::from_data(&registry, &Data::from_bytes(b)) {
                let _ = s.to_session_record("k", None);
            }
        }
    }
}
