//! Serde structs stored as Compact records through the serde bridge.

mod common;

use hazelcast_protocol::compact::{FieldKind, FieldValue, GenericRecord, schema_id_of};
use hazelcast_protocol::data::{Data, type_id};
use hazelcast_test_member::server::TestCluster;
use serde::{Deserialize, Serialize};
use session_core::SessionRepository;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Address {
    city: String,
    zip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Profile {
    name: String,
    age: u32,
    admin: bool,
    score: Option<f64>,
    tags: Vec<String>,
    address: Address,
    previous: Vec<Address>,
}

fn profile() -> Profile {
    Profile {
        name: "alice".into(),
        age: 42,
        admin: false,
        score: Some(0.5),
        tags: vec!["a".into(), "b".into()],
        address: Address {
            city: "Oslo".into(),
            zip: None,
        },
        previous: vec![Address {
            city: "Bergen".into(),
            zip: Some("5003".into()),
        }],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn structs_are_compact_records_another_client_can_read() {
    let cluster = TestCluster::start(2).await.expect("cluster");
    let writer = common::builder(&cluster, "compact-attrs")
        .compact_attributes(true)
        .build()
        .await
        .expect("writer");
    let s = writer.create().await.unwrap();
    s.insert("profile", &profile()).unwrap();
    s.insert("user", "alice").unwrap();
    s.insert("cart", &vec![1u32, 2]).unwrap();
    writer.save(&s).await.unwrap();

    // The stored value is a Compact record of type Profile with the expected kinds.
    let bytes = s.attribute_bytes("profile").expect("attribute");
    let data = Data::from_bytes(bytes.to_vec());
    assert_eq!(data.type_id(), Some(type_id::COMPACT));
    let record: GenericRecord = writer.client().schemas().to_generic(&data).unwrap();
    assert_eq!(record.type_name(), "Profile");
    let kind = |n: &str| record.schema().field(n).map(|f| f.kind);
    assert_eq!(kind("name"), Some(FieldKind::String));
    assert_eq!(kind("age"), Some(FieldKind::Int64));
    assert_eq!(kind("admin"), Some(FieldKind::Boolean));
    assert_eq!(kind("score"), Some(FieldKind::Float64));
    assert_eq!(kind("tags"), Some(FieldKind::ArrayOfString));
    assert_eq!(kind("address"), Some(FieldKind::Compact));
    assert_eq!(kind("previous"), Some(FieldKind::ArrayOfCompact));
    assert_eq!(record.get("age"), Some(&FieldValue::Int64(42)));
    // Strings and non-struct values are stored as without the bridge.
    let user = Data::from_bytes(s.attribute_bytes("user").unwrap().to_vec());
    assert_eq!(user.type_id(), Some(type_id::STRING));
    let cart = Data::from_bytes(s.attribute_bytes("cart").unwrap().to_vec());
    assert_eq!(cart.type_id(), Some(type_id::JSON));

    // A second client that never saw the schema fetches it on load.
    let reader = common::builder(&cluster, "compact-attrs")
        .compact_attributes(true)
        .build()
        .await
        .expect("reader");
    assert!(
        reader
            .client()
            .schemas()
            .get(schema_id_of(&data).unwrap())
            .is_none()
    );
    let loaded = reader.find_by_id(&s.id()).await.unwrap().expect("stored");
    assert_eq!(loaded.get::<Profile>("profile").unwrap(), Some(profile()));
    assert_eq!(
        loaded.get::<String>("user").unwrap().as_deref(),
        Some("alice")
    );
    assert_eq!(loaded.get::<Vec<u32>>("cart").unwrap(), Some(vec![1, 2]));
    // Asking for the wrong type is a typed error.
    assert!(loaded.get::<Vec<String>>("profile").is_err());
}
