//! Cross-check with the official Hazelcast **Java** client (the jar the real members run,
//! through `java/crosscheck`), against a real member: plain values (String, Long, Integer,
//! Boolean, Double, HazelcastJsonValue, Compact) written by one client and read by the
//! other in both directions; the TTL and max idle our client sends as Java's entry view
//! shows them; entries Java put with a TTL or a max idle expiring as they should when read
//! through our client (reads extend a max idle, never a TTL).
//!
//! One real cluster (two members, backup count 1) serves every test of this file; each test
//! uses its own map.

use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hazelcast_client::{AsCompact, Client, ClientConfig, Map, ReconnectPolicy};
use hazelcast_protocol::compact::{FieldValue, GenericRecord};
use hazelcast_protocol::serialization::JsonValue;
use hazelcast_real_member::RealCluster;
use java_crosscheck::{Command, CompactField, JavaTool, JavaValue};
use serde_json::{Value, json};

const CLUSTER_NAME: &str = "java-xcheck-client";

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

async fn run_java(shared: &Shared, commands: Vec<Command>) -> Vec<Value> {
    let addresses = shared.addresses.clone();
    tokio::task::spawn_blocking(move || {
        let tool = JavaTool::install().expect("java tool builds");
        tool.run_client(CLUSTER_NAME, &addresses, &commands)
    })
    .await
    .expect("join")
    .unwrap_or_else(|e| panic!("java client: {e}"))
}

async fn client(shared: &Shared) -> Client {
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
    Client::connect(config).await.expect("client connects")
}

fn get(map: &str, key: &str) -> Command {
    Command::Get {
        map: map.into(),
        key: key.into(),
    }
}

fn view(map: &str, key: &str) -> Command {
    Command::EntryView {
        map: map.into(),
        key: key.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_reads_plain_values_we_put_and_sees_our_ttl_and_max_idle() {
    let shared = cluster().await;
    let ours = client(shared).await;
    let name = "java-reads-plain";
    ours.map::<String, String>(name)
        .put("string", &"grüße, 世界".into())
        .await
        .expect("put");
    ours.map::<String, i64>(name)
        .put("long", &-9_000_000_000)
        .await
        .expect("put");
    ours.map::<String, i32>(name)
        .put("int", &42)
        .await
        .expect("put");
    ours.map::<String, bool>(name)
        .put("bool", &true)
        .await
        .expect("put");
    ours.map::<String, f64>(name)
        .put("double", &-0.125)
        .await
        .expect("put");
    ours.map::<String, JsonValue>(name)
        .put(
            "json",
            &JsonValue(r#"{"items":[1,2],"note":"gift"}"#.into()),
        )
        .await
        .expect("put");
    let point = GenericRecord::builder("RustPoint")
        .field("x", FieldValue::Int64(3))
        .field("label", FieldValue::String(Some("p".into())))
        .field("flag", FieldValue::Boolean(true))
        .field("items", FieldValue::ArrayOfInt64(Some(vec![7, 8])))
        .build()
        .expect("record");
    ours.map::<String, AsCompact<GenericRecord>>(name)
        .put("compact", &AsCompact(point))
        .await
        .expect("put");
    // Per-entry expiry as our client sends it.
    let timed = ours.map::<String, String>(name);
    timed
        .put_with(
            "ttl+idle",
            &"v".into(),
            Some(Duration::from_secs(600)),
            Some(Duration::from_secs(300)),
        )
        .await
        .expect("put_with");
    timed
        .set_with(
            "ttl-only",
            &"v".into(),
            Some(Duration::from_millis(120_500)),
            None,
        )
        .await
        .expect("set_with");
    timed.put("reset", &"v".into()).await.expect("put");
    assert!(
        timed
            .set_ttl("reset", Some(Duration::from_secs(90)))
            .await
            .expect("set_ttl")
    );

    let out = run_java(
        shared,
        vec![
            get(name, "string"),
            get(name, "long"),
            get(name, "int"),
            get(name, "bool"),
            get(name, "double"),
            get(name, "json"),
            get(name, "compact"),
            get(name, "absent"),
            view(name, "ttl+idle"),
            view(name, "ttl-only"),
            view(name, "reset"),
            // The same sub-second TTL from the Java client, for comparison.
            Command::Put {
                map: name.into(),
                key: "java-ttl-only".into(),
                value: JavaValue::String("v".into()),
                ttl: Some(Duration::from_millis(120_500)),
                max_idle: None,
            },
            view(name, "java-ttl-only"),
        ],
    )
    .await;
    let value = |i: usize| (out[i]["class"].as_str().unwrap_or("?"), &out[i]["value"]);
    assert_eq!(value(0), ("java.lang.String", &json!("grüße, 世界")));
    assert_eq!(value(1), ("java.lang.Long", &json!(-9_000_000_000i64)));
    assert_eq!(value(2), ("java.lang.Integer", &json!(42)));
    assert_eq!(value(3), ("java.lang.Boolean", &json!(true)));
    assert_eq!(value(4), ("java.lang.Double", &json!(-0.125)));
    let (class, text) = value(5);
    assert_eq!(class, "com.hazelcast.core.HazelcastJsonValue");
    assert_eq!(
        serde_json::from_str::<Value>(text.as_str().unwrap_or_default()).expect("json"),
        json!({"items": [1, 2], "note": "gift"})
    );
    let (class, record) = value(6);
    assert_eq!(class, "GenericRecord", "{}", out[6]);
    assert_eq!(record["typeName"], "RustPoint");
    assert_eq!(
        record["fields"],
        json!({
            "flag": {"kind": "BOOLEAN", "value": true},
            "items": {"kind": "ARRAY_OF_INT64", "value": [7, 8]},
            "label": {"kind": "STRING", "value": "p"},
            "x": {"kind": "INT64", "value": 3},
        })
    );
    assert_eq!(out[7], json!({"class": null, "value": null}), "absent key");
    assert_eq!(out[8]["ttl"], 600_000, "{}", out[8]);
    assert_eq!(out[8]["maxIdle"], 300_000, "{}", out[8]);
    // The member keeps TTL and max idle in whole seconds (rounded down, at least 1 s): the
    // 120.5 s our client sent is stored as 120 s, exactly as when the Java client sends it.
    assert_eq!(out[9]["ttl"], 120_000, "{}", out[9]);
    assert_eq!(out[12]["ttl"], out[9]["ttl"], "Java's own put: {}", out[12]);
    assert_eq!(out[10]["ttl"], 90_000, "{}", out[10]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn we_read_plain_values_java_put() {
    let shared = cluster().await;
    let name = "we-read-java";
    run_java(
        shared,
        vec![
            Command::put(name, "string", JavaValue::String("grüße, 世界".into())),
            Command::put(name, "long", JavaValue::Long(i64::MIN)),
            Command::put(name, "int", JavaValue::Int(-7)),
            Command::put(name, "bool", JavaValue::Bool(true)),
            Command::put(name, "double", JavaValue::Double(2.5)),
            Command::put(name, "json", JavaValue::Json(r#"{"a":[1,null]}"#.into())),
            Command::put(
                name,
                "compact",
                JavaValue::Compact {
                    type_name: "JavaPoint".into(),
                    fields: vec![
                        ("x".into(), CompactField::Int32(-1)),
                        ("y".into(), CompactField::Int64(1 << 40)),
                        ("label".into(), CompactField::String(None)),
                        ("ok".into(), CompactField::Boolean(false)),
                        ("ratio".into(), CompactField::Float64(0.5)),
                        ("items".into(), CompactField::ArrayOfInt64(vec![])),
                    ],
                },
            ),
        ],
    )
    .await;
    // A client that never saw Java's schema: it fetches it from the cluster.
    let ours = client(shared).await;
    let key = |k: &str| k.to_owned();
    assert_eq!(
        ours.map::<String, String>(name)
            .get(&key("string"))
            .await
            .expect("get"),
        Some("grüße, 世界".to_owned())
    );
    assert_eq!(
        ours.map::<String, i64>(name)
            .get(&key("long"))
            .await
            .expect("get"),
        Some(i64::MIN)
    );
    assert_eq!(
        ours.map::<String, i32>(name)
            .get(&key("int"))
            .await
            .expect("get"),
        Some(-7)
    );
    assert_eq!(
        ours.map::<String, bool>(name)
            .get(&key("bool"))
            .await
            .expect("get"),
        Some(true)
    );
    assert_eq!(
        ours.map::<String, f64>(name)
            .get(&key("double"))
            .await
            .expect("get"),
        Some(2.5)
    );
    assert_eq!(
        ours.map::<String, JsonValue>(name)
            .get(&key("json"))
            .await
            .expect("get"),
        Some(JsonValue(r#"{"a":[1,null]}"#.into()))
    );
    // The wrong type is an error, not a wrong value.
    assert!(
        ours.map::<String, i64>(name)
            .get(&key("string"))
            .await
            .is_err()
    );
    let AsCompact(record) = ours
        .map::<String, AsCompact<GenericRecord>>(name)
        .get(&key("compact"))
        .await
        .expect("get compact")
        .expect("present");
    assert_eq!(record.type_name(), "JavaPoint");
    assert_eq!(record.get("x"), Some(&FieldValue::Int32(-1)));
    assert_eq!(record.get("y"), Some(&FieldValue::Int64(1 << 40)));
    assert_eq!(record.get("label"), Some(&FieldValue::String(None)));
    assert_eq!(record.get("ok"), Some(&FieldValue::Boolean(false)));
    assert_eq!(record.get("ratio"), Some(&FieldValue::Float64(0.5)));
    assert_eq!(
        record.get("items"),
        Some(&FieldValue::ArrayOfInt64(Some(vec![])))
    );
    assert_eq!(record.fields().count(), 6);
}

/// Reads `key` through our client; true when a value came back.
async fn present(map: &Map<String, String>, key: &str) -> bool {
    map.get(&key.to_owned()).await.expect("get").is_some()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_java_put_with_ttl_and_max_idle_expire_for_our_client() {
    let shared = cluster().await;
    let name = "java-expiry";
    // Connected before Java writes, so the first read follows the puts closely.
    let ours = client(shared).await;
    let map = ours.map::<String, String>(name);
    let ttl = Duration::from_secs(5);
    // Longer, so that a slow exit of the Java process cannot let it expire before our first
    // read; still shorter than the 2 × ttl we keep reading it for.
    let long_idle = Duration::from_secs(8);
    let put = |key: &str, ttl: Option<Duration>, max_idle: Option<Duration>| Command::Put {
        map: name.into(),
        key: key.into(),
        value: JavaValue::String(format!("value of {key}")),
        ttl,
        max_idle,
    };
    let out = run_java(
        shared,
        vec![
            put("ttl", Some(ttl), None),
            put("ttl-read", Some(ttl), None),
            put("idle", None, Some(ttl)),
            put("idle-read", None, Some(long_idle)),
            put("forever", None, None),
            view(name, "ttl"),
            view(name, "idle"),
            view(name, "forever"),
        ],
    )
    .await;
    // Java's own view: the member stored what Java asked for.
    assert_eq!(out[5]["ttl"], 5000, "{}", out[5]);
    assert_eq!(out[6]["maxIdle"], 5000, "{}", out[6]);
    assert_eq!(out[6]["ttl"], i64::MAX, "{}", out[6]);
    assert_eq!(out[7]["maxIdle"], i64::MAX, "{}", out[7]);
    // Time since a put returned in Java, on the wall clock both processes share.
    let put_at =
        |i: usize| UNIX_EPOCH + Duration::from_millis(out[i]["putAtMs"].as_u64().expect("ms"));
    let (ttl_read_put, idle_read_put) = (put_at(1), put_at(3));
    let since = |t: SystemTime| SystemTime::now().duration_since(t).unwrap_or_default();
    println!("our first read {:?} after Java's put", since(idle_read_put));

    // The member keeps expiry times in whole seconds: a TTL entry lives between ttl - 1 s
    // and ttl after its put. Read "ttl-read" and "idle-read" through our client every
    // 500 ms for twice the ttl.
    let margin = Duration::from_millis(200);
    let mut ttl_read_gone = false;
    while since(ttl_read_put) < 2 * ttl {
        // Taken before the read: the read happens later than this.
        let t = since(ttl_read_put);
        if present(&map, "ttl-read").await {
            assert!(
                !ttl_read_gone,
                "a TTL entry came back after it expired ({t:?} after the put)"
            );
            assert!(
                t < ttl + margin,
                "a TTL entry was read {t:?} after its put: reads must not extend a TTL"
            );
        } else {
            assert!(
                t + margin >= ttl - Duration::from_secs(1),
                "a TTL entry expired {t:?} after its put, before ttl - 1 s"
            );
            ttl_read_gone = true;
        }
        let t = since(idle_read_put);
        assert!(
            present(&map, "idle-read").await,
            "reads every 500 ms keep a max-idle entry ({t:?} after the put)"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(ttl_read_gone, "the TTL entry read every 500 ms expired");
    // Entries nobody read are gone: TTL and max idle passed; once read after expiry they
    // never come back.
    assert!(!present(&map, "ttl").await, "TTL entry after 2 × ttl");
    assert!(
        !present(&map, "idle").await,
        "unread max-idle entry after 2 × max idle"
    );
    assert!(
        present(&map, "forever").await,
        "an entry without expiry stays"
    );
    // The entry kept alive by reads expires once the reads stop.
    let last_read = Instant::now();
    tokio::time::sleep(long_idle + Duration::from_millis(1500)).await;
    assert!(
        !present(&map, "idle-read").await,
        "max-idle entry {:?} after its last read",
        last_read.elapsed()
    );
    assert!(present(&map, "forever").await);
}
