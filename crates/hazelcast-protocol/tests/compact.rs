//! Compact serialization against the vectors of the protocol brief, plus hostile input and
//! property tests.

use hazelcast_protocol::compact::{
    Compact, CompactDeserialize, CompactReader, CompactWriter, FieldDescriptor, FieldKind,
    FieldValue, GenericRecord, Schema, SchemaRegistry, schema_id_of,
};
use hazelcast_protocol::data::Data;
use hazelcast_protocol::serialization::SerializationError;
use proptest::prelude::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

#[derive(Debug, PartialEq, Clone)]
struct AttributeValue {
    object_bytes: Vec<u8>,
}

impl Compact for AttributeValue {
    fn type_name(&self) -> &str {
        "AttributeValue"
    }
    fn write<'a>(&'a self, w: &mut CompactWriter<'a>) -> Result<(), SerializationError> {
        w.write_array_of_int8("objectBytes", Some(&self.object_bytes));
        Ok(())
    }
}

impl CompactDeserialize for AttributeValue {
    fn read(r: &CompactReader<'_>) -> Result<Self, SerializationError> {
        Ok(Self {
            object_bytes: r
                .read_array_of_int8("objectBytes")?
                .unwrap_or_default()
                .to_vec(),
        })
    }
}

/// The record of Hazelcast Spring Session 4.x, written in its serializer's order.
#[derive(Debug, PartialEq, Clone)]
struct BackingMapSession {
    original_id: Option<String>,
    id: Option<String>,
    principal_name: Option<String>,
    creation: (Option<i64>, Option<i32>),
    last_accessed: (Option<i64>, Option<i32>),
    max_inactive: (Option<i64>, Option<i32>),
    attribute_names: Option<Vec<String>>,
    attribute_values: Option<Vec<AttributeValue>>,
}

impl Compact for BackingMapSession {
    fn type_name(&self) -> &str {
        "BackingMapSession"
    }
    fn write<'a>(&'a self, w: &mut CompactWriter<'a>) -> Result<(), SerializationError> {
        w.write_string("originalId", self.original_id.as_deref());
        w.write_string("id", self.id.as_deref());
        w.write_string("principalName", self.principal_name.as_deref());
        w.write_nullable_int64("creationTime_seconds", self.creation.0);
        w.write_nullable_int32("creationTime_nanos", self.creation.1);
        w.write_nullable_int64("lastAccessedTime_seconds", self.last_accessed.0);
        w.write_nullable_int32("lastAccessedTime_nanos", self.last_accessed.1);
        w.write_nullable_int64("maxInactiveInterval_seconds", self.max_inactive.0);
        w.write_nullable_int32("maxInactiveInterval_nanos", self.max_inactive.1);
        w.write_array_of_string("attributeNames", self.attribute_names.as_deref());
        w.write_array_of_compact("attributeValues", self.attribute_values.as_deref());
        Ok(())
    }
}

impl CompactDeserialize for BackingMapSession {
    fn read(r: &CompactReader<'_>) -> Result<Self, SerializationError> {
        let s = |n| r.read_string(n).map(|v| v.map(str::to_owned));
        Ok(Self {
            original_id: s("originalId")?,
            id: s("id")?,
            principal_name: s("principalName")?,
            creation: (
                r.read_nullable_int64("creationTime_seconds")?,
                r.read_nullable_int32("creationTime_nanos")?,
            ),
            last_accessed: (
                r.read_nullable_int64("lastAccessedTime_seconds")?,
                r.read_nullable_int32("lastAccessedTime_nanos")?,
            ),
            max_inactive: (
                r.read_nullable_int64("maxInactiveInterval_seconds")?,
                r.read_nullable_int32("maxInactiveInterval_nanos")?,
            ),
            attribute_names: r.read_array_of_string("attributeNames")?.map(|v| {
                v.into_iter()
                    .map(|s| s.unwrap_or_default().to_owned())
                    .collect()
            }),
            attribute_values: r
                .read_array_of_compact::<AttributeValue>("attributeValues")?
                .map(|v| v.into_iter().flatten().collect()),
        })
    }
}

const SESSION_HEX: &str = "00000000ffffffc9a9e0f822fc84c1a50000006300000002733100000002733100000005616c696365000000006553f10000000000000000006553f100000000000000000000000708000000000000000500000001000000016100000000130000000176505432a737fe8100000006000000020102000039471d15062921352d000c";

fn brief_session() -> BackingMapSession {
    BackingMapSession {
        original_id: Some("s1".into()),
        id: Some("s1".into()),
        principal_name: Some("alice".into()),
        creation: (Some(1_700_000_000), Some(0)),
        last_accessed: (Some(1_700_000_000), Some(0)),
        max_inactive: (Some(1800), Some(0)),
        attribute_names: Some(vec!["a".into()]),
        attribute_values: Some(vec![AttributeValue {
            object_bytes: vec![1, 2],
        }]),
    }
}

#[test]
fn schema_ids_of_the_brief() {
    let session = Schema::new(
        "BackingMapSession",
        [
            ("originalId", FieldKind::String),
            ("id", FieldKind::String),
            ("principalName", FieldKind::String),
            ("creationTime_seconds", FieldKind::NullableInt64),
            ("lastAccessedTime_seconds", FieldKind::NullableInt64),
            ("maxInactiveInterval_seconds", FieldKind::NullableInt64),
            ("creationTime_nanos", FieldKind::NullableInt32),
            ("lastAccessedTime_nanos", FieldKind::NullableInt32),
            ("maxInactiveInterval_nanos", FieldKind::NullableInt32),
            ("attributeNames", FieldKind::ArrayOfString),
            ("attributeValues", FieldKind::ArrayOfCompact),
        ]
        .into_iter()
        .map(|(n, k)| FieldDescriptor::new(n, k))
        .collect(),
    )
    .expect("valid");
    assert_eq!(session.id(), -6_205_687_457_367_408_219);
    assert_eq!(session.id() as u64, 0xa9e0_f822_fc84_c1a5);
    let attr = Schema::new(
        "AttributeValue",
        vec![FieldDescriptor::new("objectBytes", FieldKind::ArrayOfInt8)],
    )
    .expect("valid");
    assert_eq!(attr.id(), 8_525_406_671_142_911_617);
}

#[test]
fn backing_map_session_vector_round_trips() {
    let registry = SchemaRegistry::new();
    let data = registry.to_data(&brief_session()).expect("encodes");
    assert_eq!(data.len(), 130);
    assert_eq!(data.as_bytes(), hex(SESSION_HEX).as_slice());
    // Both schemas were registered and still have to be sent to the cluster.
    assert_eq!(registry.unreplicated().len(), 2);
    assert_eq!(schema_id_of(&data), Some(-6_205_687_457_367_408_219));

    let back: BackingMapSession = registry.from_data(&data).expect("decodes");
    assert_eq!(back, brief_session());

    // The generic view reads the same record and writes back identical bytes.
    let generic = registry.to_generic(&data).expect("generic");
    assert_eq!(
        generic.get("principalName"),
        Some(&FieldValue::String(Some("alice".into())))
    );
    let again = registry.to_data(&generic).expect("re-encodes");
    assert_eq!(again, data);
}

#[test]
fn deterministic_bytes_for_equal_records() {
    let registry = SchemaRegistry::new();
    let a = registry.to_data(&brief_session()).expect("encodes");
    let b = registry.to_data(&brief_session().clone()).expect("encodes");
    assert_eq!(a.as_bytes(), b.as_bytes());
}

struct Demo;

impl Compact for Demo {
    fn type_name(&self) -> &str {
        "Demo"
    }
    fn write<'a>(&'a self, w: &mut CompactWriter<'a>) -> Result<(), SerializationError> {
        w.write_int32("n", 7);
        w.write_string("principalName", Some("alice"));
        Ok(())
    }
}

#[test]
fn demo_vector() {
    let registry = SchemaRegistry::new();
    let data = registry.to_data(&Demo).expect("encodes");
    assert_eq!(
        data.as_bytes(),
        hex("00000000 ffffffc9 a34cc0ccd1f70496 0000000d 00000007 00000005 616c696365 04")
            .as_slice()
    );
    let g = registry.to_generic(&data).expect("decodes");
    assert_eq!(g.get("n"), Some(&FieldValue::Int32(7)));
}

#[test]
fn unknown_schema_is_reported_with_its_id() {
    let writer = SchemaRegistry::new();
    let data = writer.to_data(&brief_session()).expect("encodes");
    let reader = SchemaRegistry::new();
    match reader.from_data::<BackingMapSession>(&data) {
        Err(SerializationError::SchemaNotFound(id)) => {
            assert_eq!(id, -6_205_687_457_367_408_219);
        }
        other => panic!("expected SchemaNotFound, got {other:?}"),
    }
    // After fetching the top-level schema the nested one is still missing.
    for s in writer.all() {
        if s.type_name() == "BackingMapSession" {
            reader.register_replicated((*s).clone()).expect("registers");
        }
    }
    assert!(matches!(
        reader.from_data::<BackingMapSession>(&data),
        Err(SerializationError::SchemaNotFound(
            8_525_406_671_142_911_617
        ))
    ));
}

#[test]
fn kind_mismatch_and_missing_field_are_typed_errors() {
    let registry = SchemaRegistry::new();
    let data = registry.to_data(&Demo).expect("encodes");
    let r = registry.decode_with(data.payload(), |r| Ok(r.read_string("n").err()));
    assert!(matches!(
        r,
        Ok(Some(SerializationError::FieldKindMismatch { .. }))
    ));
    let r = registry.decode_with(data.payload(), |r| Ok(r.read_int32("nope").err()));
    assert!(matches!(
        r,
        Ok(Some(SerializationError::NoSuchField { .. }))
    ));
    // Java-style leniency: a NULLABLE kind can be read by the non-nullable method.
    let g = GenericRecord::builder("L")
        .field("x", FieldValue::NullableInt64(Some(5)))
        .field("y", FieldValue::NullableInt64(None))
        .build()
        .expect("builds");
    let data = registry.to_data(&g).expect("encodes");
    let r = registry.decode_with(data.payload(), |r| {
        Ok((r.read_int64("x")?, r.read_int64("y").err()))
    });
    assert!(matches!(
        r,
        Ok((5, Some(SerializationError::UnexpectedNull)))
    ));
}

#[test]
fn duplicate_field_names_are_refused() {
    struct Dup;
    impl Compact for Dup {
        fn type_name(&self) -> &str {
            "Dup"
        }
        fn write<'a>(&'a self, w: &mut CompactWriter<'a>) -> Result<(), SerializationError> {
            w.write_int32("x", 1);
            w.write_int64("x", 2);
            Ok(())
        }
    }
    assert!(matches!(
        SchemaRegistry::new().to_data(&Dup),
        Err(SerializationError::DuplicateField(_))
    ));
}

#[test]
fn hostile_bytes_never_panic() {
    let registry = SchemaRegistry::new();
    let good = registry.to_data(&brief_session()).expect("encodes");
    let bytes = good.as_bytes().to_vec();
    // Every truncation and every single-byte corruption decodes to a value or an error.
    for len in 0..bytes.len() {
        let d = Data::from_bytes(bytes[..len].to_vec());
        let _ = registry.from_data::<BackingMapSession>(&d);
        let _ = registry.to_generic(&d);
    }
    for i in 8..bytes.len() {
        for v in [0x00, 0x7f, 0x80, 0xfe, 0xff] {
            let mut b = bytes.clone();
            b[i] = v;
            let d = Data::from_bytes(b);
            let _ = registry.from_data::<BackingMapSession>(&d);
            let _ = registry.to_generic(&d);
        }
    }
    // A huge item count with no table behind it is an error, not an allocation.
    let mut b = bytes.clone();
    let count_at = 8 + 8 + 4 + 57 + 4; // attributeNames' item count
    b[count_at..count_at + 4].copy_from_slice(&i32::MAX.to_be_bytes());
    assert!(
        registry
            .from_data::<BackingMapSession>(&Data::from_bytes(b))
            .is_err()
    );
}

#[test]
fn self_nesting_is_bounded() {
    // A record type whose COMPACT field holds a record of its own type, as deep as allowed.
    let mut rec = GenericRecord::builder("Node")
        .field("next", FieldValue::Compact(None))
        .build()
        .expect("builds");
    for _ in 0..200 {
        rec = GenericRecord::builder("Node")
            .field("next", FieldValue::Compact(Some(rec)))
            .build()
            .expect("builds");
    }
    let registry = SchemaRegistry::new();
    assert!(matches!(
        registry.to_data(&rec),
        Err(SerializationError::TooDeep(_))
    ));
    // Hand-craft a deep chain of bytes (same schema) and read it back: refused, no overflow.
    let leaf = GenericRecord::builder("Node")
        .field("next", FieldValue::Compact(None))
        .build()
        .expect("builds");
    let leaf_data = registry.to_data(&leaf).expect("encodes");
    let id = schema_id_of(&leaf_data).expect("compact");
    // body with one var field (u8 table): dataLength, nested record, table [0]
    let mut body: Vec<u8> = leaf_data.payload()[8..].to_vec();
    for _ in 0..200 {
        let mut inner = id.to_be_bytes().to_vec();
        inner.extend_from_slice(&body);
        let mut next = (inner.len() as i32).to_be_bytes().to_vec();
        next.extend_from_slice(&inner);
        let width = if inner.len() < 255 {
            1
        } else if inner.len() < 65535 {
            2
        } else {
            4
        };
        next.extend(std::iter::repeat_n(0u8, width));
        body = next;
    }
    let mut payload = id.to_be_bytes().to_vec();
    payload.extend_from_slice(&body);
    let deep = Data::new(-55, &payload);
    assert!(matches!(
        registry.to_generic(&deep),
        Err(SerializationError::TooDeep(_))
    ));
}

fn arb_value() -> impl Strategy<Value = FieldValue> {
    use FieldValue as V;
    let s = || proptest::option::of(".{0,12}");
    prop_oneof![
        any::<bool>().prop_map(V::Boolean),
        any::<i8>().prop_map(V::Int8),
        any::<i16>().prop_map(V::Int16),
        any::<i32>().prop_map(V::Int32),
        any::<i64>().prop_map(V::Int64),
        any::<f32>()
            .prop_filter("no NaN", |f| !f.is_nan())
            .prop_map(V::Float32),
        any::<f64>()
            .prop_filter("no NaN", |f| !f.is_nan())
            .prop_map(V::Float64),
        proptest::option::of(any::<bool>()).prop_map(V::NullableBoolean),
        proptest::option::of(any::<i8>()).prop_map(V::NullableInt8),
        proptest::option::of(any::<i32>()).prop_map(V::NullableInt32),
        proptest::option::of(any::<i64>()).prop_map(V::NullableInt64),
        s().prop_map(V::String),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..300))
            .prop_map(V::ArrayOfInt8),
        proptest::option::of(proptest::collection::vec(any::<bool>(), 0..20))
            .prop_map(V::ArrayOfBoolean),
        proptest::option::of(proptest::collection::vec(any::<i64>(), 0..10))
            .prop_map(V::ArrayOfInt64),
        proptest::option::of(proptest::collection::vec(s(), 0..70)).prop_map(V::ArrayOfString),
        proptest::option::of(proptest::collection::vec(
            proptest::option::of(any::<i32>()),
            0..10
        ))
        .prop_map(V::ArrayOfNullableInt32),
    ]
}

fn arb_leaf() -> impl Strategy<Value = GenericRecord> {
    proptest::collection::btree_map("[a-z]{1,6}", arb_value(), 0..8).prop_map(|m| {
        m.into_iter()
            .fold(GenericRecord::builder("Leaf"), |b, (n, v)| b.field(n, v))
            .build()
            .expect("unique names")
    })
}

fn arb_record() -> impl Strategy<Value = GenericRecord> {
    let leaf = arb_leaf;
    (
        proptest::collection::btree_map("[a-z]{1,6}", arb_value(), 0..10),
        proptest::option::of(leaf()),
        proptest::option::of(proptest::collection::vec(
            proptest::option::of(leaf()),
            0..4,
        )),
    )
        .prop_map(|(m, nested, array)| {
            let b = m
                .into_iter()
                .fold(GenericRecord::builder("Root"), |b, (n, v)| b.field(n, v));
            b.field("Nested", FieldValue::Compact(nested))
                .field("Items", FieldValue::ArrayOfCompact(array))
                .build()
                .expect("unique names")
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn compact_write_read_identity(rec in arb_record()) {
        let registry = SchemaRegistry::new();
        match registry.to_data(&rec) {
            Ok(data) => {
                let back = registry.to_generic(&data).expect("reads back");
                prop_assert_eq!(&back, &rec);
                let again = registry.to_data(&back).expect("re-encodes");
                prop_assert_eq!(again.as_bytes(), data.as_bytes());
            }
            // Leaf records with different field sets share the type name "Leaf" but have
            // different schema ids, which is allowed; nothing else may fail.
            Err(e) => prop_assert!(false, "encode failed: {e}"),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let registry = SchemaRegistry::new();
        registry.to_data(&brief_session()).expect("registers schemas");
        let mut payload = (-6_205_687_457_367_408_219i64).to_be_bytes().to_vec();
        payload.extend_from_slice(&bytes);
        let _ = registry.to_generic(&Data::new(-55, &payload));
    }
}

#[test]
fn one_registry_shared_by_threads() {
    let registry = SchemaRegistry::new();
    let expected = hex(SESSION_HEX);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..50 {
                    let d = registry.to_data(&brief_session()).expect("encodes");
                    assert_eq!(d.as_bytes(), expected.as_slice());
                    let back: BackingMapSession = registry.from_data(&d).expect("decodes");
                    assert_eq!(back, brief_session());
                }
            });
        }
    });
    assert_eq!(registry.len(), 2);
    assert_eq!(registry.unreplicated().len(), 2);
}
