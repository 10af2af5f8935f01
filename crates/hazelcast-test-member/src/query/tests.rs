use super::*;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn string_data(s: &str) -> Data {
    let mut v = vec![0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf5];
    v.extend_from_slice(&(s.len() as i32).to_be_bytes());
    v.extend_from_slice(s.as_bytes());
    Data::from_bytes(v)
}

#[test]
fn decodes_official_client_vectors() {
    let eq = Data::from_bytes(hex(
        "00000000 fffffffe 01 ffffffec 00000003 0000000d 7072696e636970616c4e616d65 fffffff5 00000005 616c696365",
    ));
    assert_eq!(
        Predicate::from_data(&eq).expect("equal"),
        Predicate::Equal("principalName".into(), Value::Str("alice".into()))
    );
    let sql = Data::from_bytes(hex(
        "00000000 fffffffe 01 ffffffec 00000000 00000017 7072696e636970616c4e616d65203d2027616c69636527",
    ));
    assert_eq!(
        Predicate::from_data(&sql).expect("sql"),
        Predicate::Equal("principalName".into(), Value::Str("alice".into()))
    );
}

#[test]
fn sql_subset_and_is_null_rejected() {
    let p =
        parse_sql("principalName = 'user7' AND maxInactiveInterval_seconds = 1800").expect("parse");
    assert_eq!(
        p,
        Predicate::And(vec![
            Predicate::Equal("principalName".into(), Value::Str("user7".into())),
            Predicate::Equal("maxInactiveInterval_seconds".into(), Value::Int(1800)),
        ])
    );
    let err = parse_sql("principalName IS NULL").expect_err("no IS NULL");
    assert!(
        err.to_string()
            .contains("Invalid SQL: [principalName IS NULL]")
    );
    assert!(parse_sql("(a > 1 OR b <= 'x') AND NOT c != 2").is_ok());
}

#[test]
fn evaluates_on_plain_values_and_rejects_fields_of_strings() {
    let schemas = SchemaRegistry::new();
    let k = string_data("k");
    let v = string_data("hello");
    let e = EntryRef { key: &k, value: &v };
    assert!(
        parse_sql("this = 'hello'")
            .expect("p")
            .matches(e, &schemas)
            .expect("m")
    );
    assert!(
        parse_sql("this LIKE 'he%o'")
            .expect("p")
            .matches(e, &schemas)
            .expect("m")
    );
    assert!(
        parse_sql("__key = 'k'")
            .expect("p")
            .matches(e, &schemas)
            .expect("m")
    );
    let err = parse_sql("principalName = 'x'")
        .expect("p")
        .matches(e, &schemas)
        .expect_err("no accessor");
    assert_eq!(err.code(), 40);
    assert!(err.to_string().contains("on class 'java.lang.String'"));
}

#[test]
fn hostile_predicates_are_errors_not_panics() {
    for len in 0..64 {
        let mut b = hex("00000000 fffffffe 01 ffffffec 00000001 7fffffff");
        b.truncate(len);
        let _ = Predicate::from_data(&Data::from_bytes(b));
    }
    // Deep NOT nesting.
    let mut b = hex("00000000 fffffffe");
    for _ in 0..100 {
        b.extend(hex("01 ffffffec 0000000a fffffffe"));
    }
    assert!(Predicate::from_data(&Data::from_bytes(b)).is_err());
    let deep = "(".repeat(100) + "a = 1" + &")".repeat(100);
    assert!(parse_sql(&deep).is_err());
}
