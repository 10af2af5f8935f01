//! Built-in serialization and partition ids against the brief's and the measured vectors.

use hazelcast_protocol::data::{Data, type_id};
use hazelcast_protocol::hash::{HASH_SEED, murmur3_x86_32};
use hazelcast_protocol::serialization::{
    FromData, JsonValue, SerializationError, ToData, Uuid, Value,
};
use proptest::prelude::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn data_vectors_of_the_brief() {
    let alice = "alice".to_data().expect("encodes");
    assert_eq!(
        alice.as_bytes(),
        hex("00000000 fffffff5 00000005 616c696365")
    );
    let bytes = [1u8, 2, 3].to_data().expect("encodes");
    assert_eq!(bytes.as_bytes(), hex("00000000 fffffff4 00000003 010203"));
    let int = 42i32.to_data().expect("encodes");
    assert_eq!(int.as_bytes(), hex("00000000 fffffff9 0000002a"));
    let long = (-50_992_225i64).to_data().expect("encodes");
    assert_eq!(long.as_bytes(), hex("00000000 fffffff8 fffffffffcf5eb9f"));
    assert_eq!(String::from_data(&alice).expect("decodes"), "alice");
    assert_eq!(
        Vec::<u8>::from_data(&bytes).expect("decodes"),
        vec![1, 2, 3]
    );
    assert_eq!(i32::from_data(&int).expect("decodes"), 42);
    assert_eq!(i64::from_data(&long).expect("decodes"), -50_992_225);
}

#[test]
fn partition_ids_of_the_brief() {
    let cases: [(&str, i32, u32); 4] = [
        ("a", 2_099_876_635, 73),
        ("alice", 1_901_769_878, 7),
        ("key-1", 2_132_451_398, 94),
        ("k3", -234_736_423, 17),
    ];
    for (key, hash, partition) in cases {
        let d = key.to_data().expect("encodes");
        assert_eq!(d.partition_hash(), hash, "hash of {key:?}");
        assert_eq!(d.partition_id(271), partition, "partition of {key:?}");
    }
    assert_eq!(
        "a".to_data().expect("encodes").as_bytes(),
        hex("00000000fffffff50000000161")
    );
    assert_eq!(
        "k3".to_data().expect("encodes").as_bytes(),
        hex("00000000fffffff5000000026b33")
    );
}

#[test]
fn partition_ids_measured_on_a_real_member() {
    // real-hazelcast-facts.md §10.2 and §10.3
    let bob = "bob".to_data().expect("encodes");
    assert_eq!(bob.partition_hash(), -1_997_036_646);
    assert_eq!(bob.partition_id(271), 248);
    assert_eq!(
        "sess-00007".to_data().expect("encodes").partition_id(271),
        118
    );
    assert_eq!("".to_data().expect("encodes").partition_id(271), 11);
    let unicode = "ü-ключ-鍵".to_data().expect("encodes");
    assert_eq!(&unicode.payload()[..4], &15i32.to_be_bytes());
    assert_eq!(unicode.partition_id(271), 159);
    assert_eq!(42i32.to_data().expect("encodes").partition_id(271), 175);
    assert_eq!(42i64.to_data().expect("encodes").partition_id(271), 145);
    assert_eq!(murmur3_x86_32(b"\0\0\0\x05alice", HASH_SEED), 1_901_769_878);
}

#[test]
fn non_bmp_strings_are_plain_utf8() {
    // Java 9+ and the Python client both write standard UTF-8 (4 bytes for U+1F600).
    let d = "a😀".to_data().expect("encodes");
    assert_eq!(d.payload(), hex("00000005 61 f09f9880"));
    assert_eq!(String::from_data(&d).expect("decodes"), "a😀");
}

#[test]
fn other_builtins() {
    let u = Uuid::from_u64_pair(123_456_789, 987_654_321);
    let d = u.to_data().expect("encodes");
    assert_eq!(d.type_id(), Some(type_id::UUID));
    assert_eq!(d.payload(), hex("00000000075bcd15 000000003ade68b1"));
    assert_eq!(Uuid::from_data(&d).expect("decodes"), u);
    let j = JsonValue(r#"{"a":1}"#.into());
    let d = j.to_data().expect("encodes");
    assert_eq!(d.type_id(), Some(-130));
    assert_eq!(JsonValue::from_data(&d).expect("decodes"), j);
    assert_eq!(
        true.to_data().expect("encodes").as_bytes(),
        hex("00000000 fffffffc 01")
    );
    assert_eq!(
        1.5f64.to_data().expect("encodes").as_bytes(),
        hex("00000000 fffffff6 3ff8000000000000")
    );
    assert_eq!(
        Value::from_data(&Data::new(type_id::CHAR, &[0, 0x41])).expect("decodes"),
        Value::Char(0x41)
    );
    assert!(matches!(
        Value::from_data(&Data::new(-1, &[])),
        Err(SerializationError::UnsupportedType(-1))
    ));
    assert!(matches!(
        String::from_data(&Data::from_bytes(vec![0, 0, 0])),
        Err(SerializationError::ShortHeader(3))
    ));
    assert!(matches!(
        i32::from_data(&"x".to_data().expect("encodes")),
        Err(SerializationError::UnexpectedType {
            expected: -7,
            found: -11
        })
    ));
}

fn arb_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i8>().prop_map(Value::Byte),
        any::<u16>().prop_map(Value::Char),
        any::<i16>().prop_map(Value::Short),
        any::<i32>().prop_map(Value::Int),
        any::<i64>().prop_map(Value::Long),
        any::<f32>()
            .prop_filter("NaN", |f| !f.is_nan())
            .prop_map(Value::Float),
        any::<f64>()
            .prop_filter("NaN", |f| !f.is_nan())
            .prop_map(Value::Double),
        ".*".prop_map(Value::String),
        proptest::collection::vec(any::<u8>(), 0..64).prop_map(Value::Bytes),
        any::<u128>().prop_map(|u| Value::Uuid(Uuid::from_u128(u))),
        ".*".prop_map(|s| Value::Json(JsonValue(s))),
    ]
}

proptest! {
    #[test]
    fn data_round_trips(v in arb_value()) {
        let d = v.to_data().expect("encodes");
        prop_assert_eq!(Value::from_data(&d).expect("decodes"), v);
    }

    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
        let d = Data::from_bytes(bytes);
        let _ = Value::from_data(&d);
        let _ = String::from_data(&d);
        let _ = d.partition_id(271);
    }
}
