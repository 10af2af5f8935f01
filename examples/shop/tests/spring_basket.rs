//! The basket as the Spring shop stores it (Compact `com.example.shop.Basket` written by
//! Hazelcast's Java client from the record classes of `examples/spring-shop`) against the
//! Rust shop's [`shop::basket::Basket`].
//!
//! - `spring_written_basket_vector` (offline): the bytes Spring wrote, recorded in
//!   `tests/vectors/spring_basket.txt`, decode into the Rust types, and the Rust types
//!   encode to exactly those bytes.
//! - `java_and_rust_read_each_others_basket` (ignored: needs Java, Maven and a real member;
//!   `cargo test -p shop --test spring_basket -- --ignored`): on a real member, the Java
//!   client writes its basket and the Rust client reads it; the Rust client writes its
//!   basket and the Java client reads it as a `com.example.shop.Basket`. It also re-records
//!   what the vector file holds and fails if it changed.

use std::path::{Path, PathBuf};
use std::process::Command;

use hazelcast_client::{AsCompact, Client, ClientConfig};
use hazelcast_protocol::compact::{GenericRecord, SchemaRegistry};
use hazelcast_protocol::data::Data;
use session_hazelcast::compact_record::{from_record, to_record};
use shop::basket::{Basket, record_types};
use shop::catalogue;

const VECTOR: &str = "tests/vectors/spring_basket.txt";

/// The basket `BasketProbe.sample()` builds on the Java side: user, Red Teapot ×1 at 4.99,
/// Red Lamp ×2 at 5.99.
fn sample() -> Basket {
    let mut basket = Basket {
        principal_name: Some("user".into()),
        items: vec![],
    };
    for id in [1, 2, 2] {
        basket.add(&catalogue::product(id).expect("catalogue product"));
    }
    basket
}

fn vector_hex() -> String {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(VECTOR))
        .expect("vector file");
    text.lines()
        .find_map(|l| l.strip_prefix("data="))
        .expect("a data= line")
        .trim()
        .to_owned()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Prints a record's schema (and its nested records' schemas) as `type (id): field KIND, ...`.
fn describe(record: &GenericRecord, out: &mut Vec<String>) {
    let schema = record.schema();
    let fields: Vec<String> = schema
        .fields()
        .iter()
        .map(|f| format!("{} {}", f.name, f.kind))
        .collect();
    let line = format!(
        "{} (schema id {}): {}",
        schema.type_name(),
        schema.id(),
        fields.join(", ")
    );
    if !out.contains(&line) {
        out.push(line);
    }
    for (_, value) in record.fields() {
        match value {
            hazelcast_protocol::compact::FieldValue::Compact(Some(r)) => describe(r, out),
            hazelcast_protocol::compact::FieldValue::ArrayOfCompact(Some(items)) => {
                for r in items.iter().flatten() {
                    describe(r, out);
                }
            }
            _ => {}
        }
    }
}

#[test]
fn spring_written_basket_vector() {
    let spring_bytes = unhex(&vector_hex());
    // The Rust basket, written as Compact by the Rust side...
    let registry = SchemaRegistry::new();
    let record = to_record(&sample(), &record_types()).expect("a record");
    let rust_bytes = registry.to_data(&record).expect("data").into_bytes();
    // ...is byte for byte what Spring wrote (same type names, kinds, schema ids, layout).
    assert_eq!(hex(&rust_bytes), hex(&spring_bytes));
    // And Spring's bytes decode into the Rust types.
    let back: Basket = from_record(
        &registry
            .to_generic(&Data::from_bytes(spring_bytes))
            .expect("decodes with the schemas"),
    )
    .expect("fits the Rust basket");
    assert_eq!(back, sample());
    assert_eq!(back.total_cents(), 499 + 2 * 599);
    let mut schemas = Vec::new();
    describe(&record, &mut schemas);
    for line in &schemas {
        println!("{line}");
    }
    assert_eq!(schemas.len(), 3);
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("workspace root")
        .to_path_buf()
}

/// The Spring shop's jar, built with Maven if it is missing.
fn spring_jar() -> PathBuf {
    let root = workspace_root();
    let jar = root.join("target/spring-shop/spring-shop.jar");
    if !jar.is_file() {
        let status = Command::new("mvn")
            .args([
                "-q",
                "-f",
                "examples/spring-shop/pom.xml",
                "package",
                "-DskipTests",
            ])
            .current_dir(&root)
            .status()
            .expect("mvn runs");
        assert!(status.success(), "mvn package failed");
    }
    jar
}

/// Runs `BasketProbe` (see its Javadoc) and returns its stdout.
fn probe(args: &[&str]) -> (i32, String) {
    let out = Command::new("java")
        .arg("-cp")
        .arg(spring_jar())
        .arg("-Dloader.main=com.example.shop.BasketProbe")
        .arg("org.springframework.boot.loader.launch.PropertiesLauncher")
        .args(args)
        .output()
        .expect("java runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs Java, Maven and a real member: cargo test -p shop --test spring_basket -- --ignored"]
async fn java_and_rust_read_each_others_basket() {
    let cluster = hazelcast_real_member::RealCluster::builder()
        .members(1)
        .cluster_name("spring-basket")
        .start_async()
        .await
        .expect("a real member");
    let members: Vec<String> = cluster
        .addresses()
        .iter()
        .map(ToString::to_string)
        .collect();
    let members = members.join(",");

    // Java writes its basket; the hex it prints is the vector.
    let (code, out) = probe(&["write", &members, "spring-basket", "baskets", "spring"]);
    assert_eq!(code, 0, "{out}");
    let java_hex = out
        .lines()
        .find_map(|l| l.strip_prefix("data="))
        .expect("data= line")
        .to_owned();
    println!("Java wrote: {java_hex}");
    assert_eq!(java_hex, vector_hex(), "the recorded vector is out of date");

    // Rust reads it from the member (fetching the schemas Java registered there).
    let client = Client::connect(
        ClientConfig::builder()
            .cluster_name("spring-basket")
            .addresses(cluster.addresses().iter().map(ToString::to_string))
            .build()
            .expect("client config"),
    )
    .await
    .expect("client");
    let map = client.map::<String, Data>("baskets");
    let stored = map
        .get(&"spring".to_owned())
        .await
        .expect("get")
        .expect("value");
    assert_eq!(hex(stored.as_bytes()), java_hex);
    let AsCompact(record) = client
        .decode::<AsCompact<GenericRecord>>(&stored)
        .await
        .expect("schemas fetched from the member");
    let mut schemas = Vec::new();
    describe(&record, &mut schemas);
    for line in &schemas {
        println!("schema from the member: {line}");
    }
    let basket: Basket = from_record(&record).expect("fits the Rust basket");
    assert_eq!(basket, sample());

    // Rust writes its basket (other items); Java reads it as its record.
    let mut rust_basket = sample();
    rust_basket.add(&catalogue::product(60).expect("product 60"));
    let record = to_record(&rust_basket, &record_types()).expect("record");
    let data = client.schemas().to_data(&record).expect("data");
    map.set(&"rust".to_owned(), &data).await.expect("set");
    let (code, out) = probe(&["read", &members, "spring-basket", "baskets", "rust"]);
    println!("Java read: {out}");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("class=com.example.shop.Basket"), "{out}");
    assert!(out.contains("name=Black Chair, listPrice=63.99"), "{out}");
    assert!(out.contains("total=80.96"), "{out}");
    client.shutdown().await;
}
