//! Cross-check with the official Hazelcast **Java** client (the jar the real members run,
//! through `java/crosscheck`), against a real member: Java reads the session record this
//! repository wrote as a `GenericRecord` in the HSS 4.x layout, field by field and attribute
//! by attribute (String, Long, Boolean, Double, HazelcastJsonValue and Compact values decoded
//! by Java); this repository loads a record Java built in that layout; Java's
//! `principalName` query finds exactly the sessions this repository saved.
//!
//! One real cluster (two members, backup count 1) serves every test of this file; each test
//! uses its own map.

use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hazelcast_client::{ClientConfig, ReconnectPolicy};
use hazelcast_real_member::RealCluster;
use java_crosscheck::{Command, CompactField, JavaSession, JavaTool, JavaValue};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use session_core::{IndexedSessionRepository, SessionRepository};
use session_hazelcast::HazelcastSessionRepository;
use session_hazelcast::record::{ATTRIBUTE_VALUE_SCHEMA_ID, BACKING_MAP_SESSION_SCHEMA_ID};

const CLUSTER_NAME: &str = "java-xcheck-sessions";

struct Shared {
    addresses: Vec<SocketAddr>,
    // Kept for its lifetime: the members die with the test process (watchdog).
    _cluster: Mutex<RealCluster>,
}

/// The cluster of this test binary, started by the first test that asks.
async fn cluster() -> &'static Shared {
    static CLUSTER: OnceLock<Shared> = OnceLock::new();
    tokio::task::spawn_blocking(|| {
        CLUSTER.get_or_init(|| {
            let cluster = RealCluster::builder()
                .members(2)
                .cluster_name(CLUSTER_NAME)
                .backup_count(1)
                .start()
                .expect("real members start");
            Shared {
                addresses: cluster.addresses(),
                _cluster: Mutex::new(cluster),
            }
        })
    })
    .await
    .expect("cluster start task")
}

async fn java() -> JavaTool {
    tokio::task::spawn_blocking(JavaTool::install)
        .await
        .expect("join")
        .expect("java tool builds")
}

async fn run_java(shared: &Shared, commands: Vec<Command>) -> Vec<Value> {
    let tool = java().await;
    let addresses = shared.addresses.clone();
    tokio::task::spawn_blocking(move || tool.run_client(CLUSTER_NAME, &addresses, &commands))
        .await
        .expect("join")
        .unwrap_or_else(|e| panic!("java client: {e}"))
}

async fn repository(shared: &Shared, map: &str) -> HazelcastSessionRepository {
    repository_with(shared, map, true).await
}

/// `apply_map_config`: whether the repository adds its map configuration (with the
/// `principalName` index) or the map is left as the members define it.
async fn repository_with(
    shared: &Shared,
    map: &str,
    apply_map_config: bool,
) -> HazelcastSessionRepository {
    let config = ClientConfig::builder()
        .cluster_name(CLUSTER_NAME)
        .addresses(shared.addresses.iter().map(ToString::to_string))
        .connect_timeout(Duration::from_secs(5))
        .invocation_timeout(Duration::from_secs(30))
        .reconnect(ReconnectPolicy {
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(500),
            multiplier: 1.5,
            jitter: 0.2,
            cluster_connect_timeout: Some(Duration::from_secs(20)),
        })
        .build()
        .expect("client config");
    HazelcastSessionRepository::builder(config)
        .map_name(map)
        .compact_attributes(true)
        .max_inactive_interval(Some(Duration::from_secs(1800)))
        .apply_map_config(apply_map_config)
        .build()
        .await
        .expect("repository")
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Cart {
    items: Vec<i64>,
    note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Address {
    city: String,
    zip: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Profile {
    admin: bool,
    score: f64,
    address: Address,
    previous: Vec<Address>,
}

fn seconds_nanos(t: SystemTime) -> (i64, i64) {
    let d = t.duration_since(UNIX_EPOCH).expect("after the epoch");
    (
        i64::try_from(d.as_secs()).expect("seconds"),
        i64::from(d.subsec_nanos()),
    )
}

fn field<'a>(record: &'a Value, name: &str) -> (&'a str, &'a Value) {
    let f = &record["fields"][name];
    assert!(f.is_object(), "field {name} missing in {record}");
    (f["kind"].as_str().unwrap_or_default(), &f["value"])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_reads_the_record_we_wrote_field_by_field() {
    let shared = cluster().await;
    let map = "java-reads-ours";
    let repo = repository(shared, map).await;
    let s = repo.create().await.expect("create");
    s.set_principal_name(Some("alice-java")).expect("principal");
    s.insert("user", "alice").expect("user");
    s.insert("count", &42i64).expect("count");
    s.insert("small", &7i32).expect("small");
    s.insert("flag", &true).expect("flag");
    s.insert("ratio", &0.25f64).expect("ratio");
    // A struct: a Compact record with compact_attributes on.
    s.insert(
        "cart",
        &Cart {
            items: vec![1, 2],
            note: Some("gift".into()),
        },
    )
    .expect("cart");
    // Nested structs: nested Compact records, each with its own schema.
    s.insert(
        "profile",
        &Profile {
            admin: true,
            score: 0.5,
            address: Address {
                city: "Oslo".into(),
                zip: None,
            },
            previous: vec![Address {
                city: "Bergen".into(),
                zip: Some("5003".into()),
            }],
        },
    )
    .expect("profile");
    // Not a struct: HazelcastJsonValue.
    s.insert("recent", &vec!["p1", "p2"]).expect("recent");
    repo.save(&s).await.expect("save");
    let id = s.id();

    let out = run_java(
        shared,
        vec![
            Command::ReadSession {
                map: map.into(),
                key: id.clone(),
            },
            Command::EntryView {
                map: map.into(),
                key: id.clone(),
            },
        ],
    )
    .await;
    // Expiry is the map's max idle the repository configured (no per-entry TTL), as the
    // member reports it to Java.
    assert_eq!(out[1]["maxIdle"], 1_800_000, "{}", out[1]);
    assert_eq!(out[1]["ttl"], i64::MAX, "{}", out[1]);
    let doc = &out[0];
    println!("Java read: {doc}");
    assert_eq!(doc["found"], true, "{doc}");
    let record = &doc["record"];
    assert_eq!(record["typeName"], "BackingMapSession");
    assert_eq!(
        record["schemaId"],
        BACKING_MAP_SESSION_SCHEMA_ID.to_string(),
        "Java computes the schema id HSS writes"
    );
    // Every field of the HSS layout, with HSS's kinds, and nothing else.
    let names: Vec<&str> = record["fields"]
        .as_object()
        .expect("fields")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        names,
        [
            "attributeNames",
            "attributeValues",
            "creationTime_nanos",
            "creationTime_seconds",
            "id",
            "lastAccessedTime_nanos",
            "lastAccessedTime_seconds",
            "maxInactiveInterval_nanos",
            "maxInactiveInterval_seconds",
            "originalId",
            "principalName",
        ]
    );
    assert_eq!(field(record, "id"), ("STRING", &Value::from(id.clone())));
    assert_eq!(
        field(record, "originalId"),
        ("STRING", &Value::from(id.clone()))
    );
    assert_eq!(
        field(record, "principalName"),
        ("STRING", &Value::from("alice-java"))
    );
    for (prefix, time) in [
        ("creationTime", s.creation_time()),
        ("lastAccessedTime", s.last_accessed_time()),
    ] {
        let (secs, nanos) = seconds_nanos(time);
        assert_eq!(
            field(record, &format!("{prefix}_seconds")),
            ("NULLABLE_INT64", &Value::from(secs)),
            "{prefix}"
        );
        assert_eq!(
            field(record, &format!("{prefix}_nanos")),
            ("NULLABLE_INT32", &Value::from(nanos)),
            "{prefix}"
        );
    }
    assert_eq!(
        field(record, "maxInactiveInterval_seconds"),
        ("NULLABLE_INT64", &Value::from(1800))
    );
    assert_eq!(
        field(record, "maxInactiveInterval_nanos"),
        ("NULLABLE_INT32", &Value::from(0))
    );
    let (kind, attr_names) = field(record, "attributeNames");
    assert_eq!(kind, "ARRAY_OF_STRING");
    let mut attr_names: Vec<&str> = attr_names
        .as_array()
        .expect("names")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    attr_names.sort_unstable();
    assert_eq!(
        attr_names,
        [
            "cart", "count", "flag", "profile", "ratio", "recent", "small", "user"
        ]
    );
    let (kind, values) = field(record, "attributeValues");
    assert_eq!(kind, "ARRAY_OF_COMPACT");
    for v in values.as_array().expect("values") {
        assert_eq!(v["typeName"], "AttributeValue");
        assert_eq!(v["schemaId"], ATTRIBUTE_VALUE_SCHEMA_ID.to_string());
        assert_eq!(v["fields"]["objectBytes"]["kind"], "ARRAY_OF_INT8");
    }

    // Each attribute decoded by the Java client's serialization service.
    let attrs = &doc["attributes"];
    let attr = |n: &str| {
        (
            attrs[n]["class"].as_str().unwrap_or("?"),
            &attrs[n]["value"],
        )
    };
    assert_eq!(attr("user"), ("java.lang.String", &Value::from("alice")));
    assert_eq!(attr("count"), ("java.lang.Long", &Value::from(42)));
    assert_eq!(attr("small"), ("java.lang.Integer", &Value::from(7)));
    assert_eq!(attr("flag"), ("java.lang.Boolean", &Value::from(true)));
    assert_eq!(attr("ratio"), ("java.lang.Double", &Value::from(0.25)));
    let (class, json) = attr("recent");
    assert_eq!(class, "com.hazelcast.core.HazelcastJsonValue");
    let json: Value = serde_json::from_str(json.as_str().expect("json text")).expect("json");
    assert_eq!(json, serde_json::json!(["p1", "p2"]));
    // The Compact attribute: Java fetched its schema from the cluster, so our client
    // replicated the nested value's schema before writing the session.
    let (class, cart) = attr("cart");
    assert_eq!(class, "GenericRecord");
    assert_eq!(cart["typeName"], "Cart");
    assert_eq!(
        cart["fields"]["items"],
        serde_json::json!({"kind": "ARRAY_OF_INT64", "value": [1, 2]})
    );
    assert_eq!(
        cart["fields"]["note"],
        serde_json::json!({"kind": "STRING", "value": "gift"})
    );
    let (class, profile) = attr("profile");
    assert_eq!(class, "GenericRecord");
    assert_eq!(profile["typeName"], "Profile");
    let fields = &profile["fields"];
    assert_eq!(
        fields["admin"],
        serde_json::json!({"kind": "BOOLEAN", "value": true})
    );
    assert_eq!(
        fields["score"],
        serde_json::json!({"kind": "FLOAT64", "value": 0.5})
    );
    assert_eq!(fields["address"]["kind"], "COMPACT");
    let address = &fields["address"]["value"];
    assert_eq!(address["typeName"], "Profile.address");
    assert_eq!(address["fields"]["city"]["value"], "Oslo");
    assert_eq!(
        address["fields"]["zip"],
        serde_json::json!({"kind": "STRING", "value": null})
    );
    assert_eq!(fields["previous"]["kind"], "ARRAY_OF_COMPACT");
    let previous = &fields["previous"]["value"][0];
    assert_eq!(previous["typeName"], "Profile.previous");
    assert_eq!(previous["fields"]["zip"]["value"], "5003");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn we_load_the_record_java_wrote_and_java_reads_our_changes() {
    let shared = cluster().await;
    let map = "java-writes";
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let now = i64::try_from(now).expect("seconds");
    let session = JavaSession {
        original_id: Some("java-session-1".into()),
        id: Some("java-session-1".into()),
        principal_name: Some("bob-java".into()),
        creation_time: (Some(1_700_000_000), Some(123_456_789)),
        last_accessed_time: (Some(now), Some(5)),
        max_inactive_interval: (Some(3600), Some(0)),
        attributes: vec![
            ("user".into(), JavaValue::String("bob".into())),
            ("count".into(), JavaValue::Long(7)),
            ("small".into(), JavaValue::Int(-3)),
            ("flag".into(), JavaValue::Bool(false)),
            ("ratio".into(), JavaValue::Double(1.5)),
            ("nothing".into(), JavaValue::Null),
            // What Spring Security keeps in a session: Java serialization, unreadable here.
            (
                "SPRING_SECURITY_CONTEXT".into(),
                JavaValue::Serializable("bob's context".into()),
            ),
            (
                "cart".into(),
                JavaValue::Json(r#"{"items":[3],"note":null}"#.into()),
            ),
            (
                "saved".into(),
                JavaValue::Compact {
                    type_name: "JavaCart".into(),
                    fields: vec![
                        ("items".into(), CompactField::ArrayOfInt64(vec![4, 5])),
                        (
                            "note".into(),
                            CompactField::String(Some("from java".into())),
                        ),
                    ],
                },
            ),
        ],
        // HSS stores with set(id, session, maxInactiveInterval).
        ttl: Some(Duration::from_secs(3600)),
    };
    let short = JavaSession {
        original_id: Some("java-session-short".into()),
        id: Some("java-session-short".into()),
        principal_name: Some("bob-java".into()),
        creation_time: (Some(now), Some(0)),
        last_accessed_time: (Some(now), Some(0)),
        max_inactive_interval: (Some(3), Some(0)),
        attributes: vec![("user".into(), JavaValue::String("bob".into()))],
        ttl: Some(Duration::from_secs(3)),
    };
    let out = run_java(
        shared,
        vec![
            Command::PutSession {
                map: map.into(),
                key: "java-session-1".into(),
                session,
            },
            Command::PutSession {
                map: map.into(),
                key: "java-session-short".into(),
                session: short,
            },
        ],
    )
    .await;
    // Java's GenericRecord of the HSS layout has the schema id our record uses.
    assert_eq!(
        out[0]["record"]["schemaId"],
        BACKING_MAP_SESSION_SCHEMA_ID.to_string()
    );

    let repo = repository(shared, map).await;
    let s = repo
        .find_by_id("java-session-1")
        .await
        .expect("load")
        .expect("java's session is found");
    assert_eq!(s.id(), "java-session-1");
    assert_eq!(s.principal_name().as_deref(), Some("bob-java"));
    assert_eq!(
        s.creation_time(),
        UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789)
    );
    assert_eq!(
        s.last_accessed_time(),
        UNIX_EPOCH + Duration::new(now.unsigned_abs(), 5)
    );
    assert_eq!(s.max_inactive_interval(), Some(Duration::from_secs(3600)));
    assert_eq!(
        s.get::<String>("user").expect("user").as_deref(),
        Some("bob")
    );
    assert_eq!(s.get::<i64>("count").expect("count"), Some(7));
    assert_eq!(s.get::<i32>("small").expect("small"), Some(-3));
    assert_eq!(s.get::<bool>("flag").expect("flag"), Some(false));
    assert_eq!(s.get::<f64>("ratio").expect("ratio"), Some(1.5));
    assert!(
        !s.contains("nothing"),
        "Java null (empty bytes) is no attribute"
    );
    // A Java-serialized value does not stop the session from loading; reading it is a
    // typed error, and its bytes are carried unchanged (checked by Java below).
    assert!(s.contains("SPRING_SECURITY_CONTEXT"));
    assert!(s.get::<String>("SPRING_SECURITY_CONTEXT").is_err());
    assert_eq!(
        s.get::<Cart>("cart").expect("json cart"),
        Some(Cart {
            items: vec![3],
            note: None
        })
    );
    assert_eq!(
        s.get::<Cart>("saved").expect("compact cart"),
        Some(Cart {
            items: vec![4, 5],
            note: Some("from java".into())
        })
    );
    let by_principal = repo
        .find_by_principal_name("bob-java")
        .await
        .expect("principal query");
    assert!(by_principal.contains_key("java-session-1"));

    // Changed and saved by us; Java still reads every value, old and new.
    s.insert("seen_by_rust", &true).expect("insert");
    s.remove("flag").expect("remove");
    repo.save(&s).await.expect("save");
    let out = run_java(
        shared,
        vec![Command::ReadSession {
            map: map.into(),
            key: "java-session-1".into(),
        }],
    )
    .await;
    let attrs = &out[0]["attributes"];
    assert_eq!(attrs["seen_by_rust"]["value"], true);
    assert_eq!(attrs["user"]["value"], "bob");
    assert_eq!(attrs["count"]["class"], "java.lang.Long");
    assert_eq!(attrs["small"]["class"], "java.lang.Integer");
    assert_eq!(attrs["saved"]["value"]["typeName"], "JavaCart");
    assert!(attrs.get("flag").is_none(), "removed: {attrs}");
    assert_eq!(
        attrs["SPRING_SECURITY_CONTEXT"],
        serde_json::json!({"class": "dev.hazelcastsessions.crosscheck.Token", "value": "bob's context"})
    );
    assert_eq!(
        out[0]["record"]["fields"]["principalName"]["value"],
        "bob-java"
    );

    // The short session (HSS: ttl = max inactive interval = 3 s) is gone after it.
    assert!(
        repo.find_by_id("java-session-short")
            .await
            .expect("load")
            .is_some()
            || SystemTime::now() >= UNIX_EPOCH + Duration::from_secs(now.unsigned_abs() + 3),
        "the short session is there before its expiry"
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(
        repo.find_by_id("java-session-short")
            .await
            .expect("load")
            .is_none(),
        "expired 3 s after Java wrote it"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_principal_query_finds_exactly_our_sessions() {
    let shared = cluster().await;
    let map = "java-principal";
    let repo = repository(shared, map).await;
    let mut carol = Vec::new();
    for _ in 0..3 {
        let s = repo.create().await.expect("create");
        s.set_principal_name(Some("carol")).expect("principal");
        s.insert("n", &1i64).expect("insert");
        repo.save(&s).await.expect("save");
        carol.push(s);
    }
    let mut dave = Vec::new();
    for _ in 0..2 {
        let s = repo.create().await.expect("create");
        s.set_principal_name(Some("dave")).expect("principal");
        repo.save(&s).await.expect("save");
        dave.push(s.id());
    }
    let anonymous = repo.create().await.expect("create");
    repo.save(&anonymous).await.expect("save");
    // A change of id: the query must find the new id, not the old one.
    let old_id = carol[0].id();
    carol[0].change_id().expect("change id");
    repo.save(&carol[0]).await.expect("save new id");
    // A session logged out of (invalidated) is not found either.
    let gone = repo.create().await.expect("create");
    gone.set_principal_name(Some("carol")).expect("principal");
    repo.save(&gone).await.expect("save");
    repo.delete_by_id(&gone.id()).await.expect("delete");

    let out = run_java(
        shared,
        vec![
            Command::QueryPrincipal {
                map: map.into(),
                name: Some("carol".into()),
            },
            Command::QueryPrincipal {
                map: map.into(),
                name: Some("dave".into()),
            },
            Command::QueryPrincipal {
                map: map.into(),
                name: Some("nobody".into()),
            },
            Command::QueryPrincipal {
                map: map.into(),
                name: None,
            },
        ],
    )
    .await;
    let keys = |i: usize| -> Vec<String> {
        out[i]["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .filter_map(|k| k.as_str().map(str::to_owned))
            .collect()
    };
    let mut want_carol: Vec<String> = carol.iter().map(session_core::SessionData::id).collect();
    want_carol.sort();
    assert!(!want_carol.contains(&old_id));
    assert_eq!(keys(0), want_carol);
    dave.sort();
    assert_eq!(keys(1), dave);
    assert!(keys(2).is_empty());
    assert_eq!(
        keys(3),
        vec![anonymous.id()],
        "a null principal is a null field"
    );
    // And our own query agrees with Java's.
    let mut ours: Vec<String> = repo
        .find_by_principal_name("carol")
        .await
        .expect("query")
        .into_keys()
        .collect();
    ours.sort();
    assert_eq!(ours, want_carol);
}

/// Issue 13: stored records written by the official Java client that are not a session —
/// a value of another type (a `java.lang.String`), garbage bytes (a Compact header with a
/// schema nobody registered) and an HSS 3.x-style Java-serialized value (type id -2, a
/// class only the writer has) — read as "no session" and are removed, so the user gets a
/// fresh session instead of an error on every request.
///
/// The map is left as the members define it (no `principalName` index): with the index
/// the repository configures, the member itself refuses the String (`QueryException: no
/// suitable accessor for 'principalName' on class 'java.lang.String'`), so such records
/// can only come from a map configured without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_records_written_by_java_read_as_no_session_and_are_removed() {
    let shared = cluster().await;
    let map = "java-bad-records";
    let repo = repository_with(shared, map, false).await;
    let raw = repo
        .client()
        .map::<String, hazelcast_protocol::data::Data>(map);
    let cases = [
        (
            "java-bad-wrong-type",
            JavaValue::String("not a session".into()),
        ),
        (
            "java-bad-garbage",
            // Partition hash 0, type id -55 (Compact), an unknown schema id, no payload.
            JavaValue::Raw(vec![
                0, 0, 0, 0, 0xff, 0xff, 0xff, 0xc9, 1, 2, 3, 4, 5, 6, 7, 8, 9,
            ]),
        ),
        (
            "java-bad-hss3",
            JavaValue::Serializable("a Spring Session 3.x MapSession".into()),
        ),
    ];
    run_java(
        shared,
        cases
            .iter()
            .map(|(key, value)| Command::put(map, key, value.clone()))
            .collect(),
    )
    .await;
    for (key, _) in &cases {
        assert!(
            raw.get(&(*key).to_owned()).await.unwrap().is_some(),
            "{key}: written by Java"
        );
        let found = repo.find_by_id(key).await;
        assert!(matches!(found, Ok(None)), "{key}: {found:?}");
        assert!(
            raw.get(&(*key).to_owned()).await.unwrap().is_none(),
            "{key}: removed"
        );
        // A fresh session under a new id works as usual.
        let fresh = repo.create().await.unwrap();
        fresh.insert("n", &1i64).unwrap();
        repo.save(&fresh).await.unwrap();
    }
}
