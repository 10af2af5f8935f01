//! Predicate wire bytes against the brief's vectors.

use hazelcast_protocol::predicate::Predicate;
use hazelcast_protocol::serialization::{FromData, ToData, Value};

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn equal_and_sql_vectors() {
    let eq = Predicate::equal("principalName", "alice");
    assert_eq!(
        eq.to_data().expect("encodes").as_bytes(),
        hex(
            "00000000 fffffffe 01 ffffffec 00000003 0000000d 7072696e636970616c4e616d65 \
             fffffff5 00000005 616c696365"
        )
    );
    let sql = Predicate::sql("principalName = 'alice'");
    assert_eq!(
        sql.to_data().expect("encodes").as_bytes(),
        hex("00000000 fffffffe 01 ffffffec 00000000 00000017 \
             7072696e636970616c4e616d65203d2027616c69636527")
    );
}

#[test]
fn every_predicate_round_trips() {
    let all = vec![
        Predicate::sql("a = 1"),
        Predicate::equal("a", Value::Null),
        Predicate::not_equal("a", 5i64),
        Predicate::greater("a", 1i32),
        Predicate::greater_or_equal("a", 1.5f64),
        Predicate::less("a", "m"),
        Predicate::less_or_equal("a", true),
        Predicate::between("a", 1i32, 9i32),
        Predicate::is_in("a", ["x", "y"]),
        Predicate::like("a", "al%"),
        Predicate::ilike("a", "AL%"),
        Predicate::regex("a", "^al.*"),
        Predicate::InstanceOf("java.lang.String".into()),
        Predicate::True,
        Predicate::False,
        Predicate::negate(Predicate::True),
    ];
    let p = Predicate::and([
        Predicate::or(all.clone()),
        Predicate::equal("principalName", "bob"),
    ]);
    let d = p.to_data().expect("encodes");
    assert_eq!(Predicate::from_data(&d).expect("decodes"), p);
    for q in all {
        let d = q.to_data().expect("encodes");
        assert_eq!(Predicate::from_data(&d).expect("decodes"), q);
    }
}

#[test]
fn between_writes_upper_bound_first() {
    let d = Predicate::between("n", 1i32, 9i32)
        .to_data()
        .expect("encodes");
    // ... attribute "n", then Integer 9, then Integer 1
    assert!(
        d.as_bytes()
            .ends_with(&hex("00000001 6e fffffff9 00000009 fffffff9 00000001"))
    );
}

mod hostile {
    use hazelcast_protocol::data::Data;
    use hazelcast_protocol::predicate::Predicate;
    use hazelcast_protocol::serialization::{FromData, ToData};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut b = vec![0, 0, 0, 0, 0xff, 0xff, 0xff, 0xfe, 0x01, 0xff, 0xff, 0xff, 0xec];
            b.extend_from_slice(&bytes);
            let _ = Predicate::from_data(&Data::from_bytes(b));
        }

        #[test]
        fn corrupted_predicates_never_panic(i in 8usize..60, v in any::<u8>()) {
            let p = Predicate::and([
                Predicate::equal("principalName", "alice"),
                Predicate::is_in("n", [1i32, 2, 3]),
                Predicate::between("t", 1i64, 2i64),
            ]);
            let mut b = p.to_data().expect("encodes").into_bytes();
            if i < b.len() {
                b[i] = v;
            }
            let _ = Predicate::from_data(&Data::from_bytes(b));
        }
    }
}
