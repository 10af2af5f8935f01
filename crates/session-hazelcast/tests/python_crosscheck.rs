//! Cross-check with the official Python client (hazelcast-python-client): it reads a
//! session this repository wrote, field by field and value by value, and this repository
//! reads a session it wrote in the HSS 4.x layout.

mod common;

use std::time::Duration;

use hazelcast_test_member::server::TestCluster;
use serde::{Deserialize, Serialize};
use session_core::{IndexedSessionRepository, SessionRepository};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Cart {
    items: Vec<u32>,
    note: Option<String>,
}

const SCRIPT: &str = r#"
import json, logging, struct, sys
import hazelcast
from hazelcast.core import HazelcastJsonValue
from hazelcast.serialization.api import CompactSerializer
from hazelcast.serialization.data import Data

logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
addrs, map_name, rust_id = sys.argv[1].split(","), sys.argv[2], sys.argv[3]

class Attr:
    def __init__(self, object_bytes):
        self.object_bytes = object_bytes

class AttrSerializer(CompactSerializer):
    def read(self, r):
        return Attr(r.read_array_of_int8("objectBytes"))
    def write(self, w, o):
        w.write_array_of_int8("objectBytes", o.object_bytes)
    def get_type_name(self):
        return "AttributeValue"
    def get_class(self):
        return Attr

class Sess:
    pass

TIMES = ["creationTime", "lastAccessedTime", "maxInactiveInterval"]

class SessSerializer(CompactSerializer):
    def read(self, r):
        s = Sess()
        s.original_id = r.read_string("originalId")
        s.id = r.read_string("id")
        s.principal = r.read_string("principalName")
        for t in TIMES:
            setattr(s, t, (r.read_nullable_int64(t + "_seconds"), r.read_nullable_int32(t + "_nanos")))
        s.names = r.read_array_of_string("attributeNames")
        s.values = r.read_array_of_compact("attributeValues")
        return s
    def write(self, w, s):
        w.write_string("originalId", s.original_id)
        w.write_string("id", s.id)
        w.write_string("principalName", s.principal)
        for t in TIMES:
            sec, nano = getattr(s, t)
            w.write_nullable_int64(t + "_seconds", sec)
            w.write_nullable_int32(t + "_nanos", nano)
        w.write_array_of_string("attributeNames", s.names)
        w.write_array_of_compact("attributeValues", s.values)
    def get_type_name(self):
        return "BackingMapSession"
    def get_class(self):
        return Sess

def check(name, cond):
    print(("ok " if cond else "FAIL ") + name, flush=True)

client = hazelcast.HazelcastClient(cluster_members=addrs, cluster_name="dev",
    cluster_connect_timeout=20, compact_serializers=[SessSerializer(), AttrSerializer()])
ser = client._serialization_service
m = client.get_map(map_name).blocking()

# 1. Read the session the Rust repository wrote.
s = m.get(rust_id)
check("rust session found", s is not None)
check("ids", s.id == rust_id and s.original_id == rust_id)
check("principal", s.principal == "alice")
check("max inactive interval", s.maxInactiveInterval == (1800, 0))
check("times", s.creationTime[0] > 1700000000 and 0 <= s.creationTime[1] < 10**9
      and s.lastAccessedTime[0] >= s.creationTime[0])
def unsigned(v):
    return bytes(b & 0xff for b in v)
def signed(buf):
    return [b - 256 if b > 127 else b for b in buf]
vals = {n: ser.to_object(Data(unsigned(v.object_bytes))) for n, v in zip(s.names, s.values)}
check("attribute names %r" % sorted(vals), sorted(vals) == ["cart", "count", "flag", "ratio", "user"])
check("string attribute", vals["user"] == "alice")
check("long attribute", vals["count"] == 42 and isinstance(vals["count"], int))
check("boolean attribute", vals["flag"] is True)
check("double attribute", vals["ratio"] == 0.25)
check("json attribute", isinstance(vals["cart"], HazelcastJsonValue)
      and vals["cart"].loads() == {"items": [1, 2], "note": "gift"})
check("index query", len(m.values(hazelcast.predicate.equal("principalName", "alice"))) == 1)

# 2. Write a session in the HSS layout, values serialized by the Python client.
p = Sess()
p.original_id = p.id = "py-session-1"
p.principal = "bob"
p.creationTime = (1700000000, 123456789)
p.lastAccessedTime = (2000000000, 5)
p.maxInactiveInterval = (3600, 0)
p.names = ["user", "count", "nothing", "cart"]
p.values = [Attr(signed(ser.to_data(v).buffer)) for v in
            ["bob", 7, HazelcastJsonValue('{"items":[3],"note":null}')]]
p.values.insert(2, Attr([]))  # Java null: no bytes
m.set(p.id, p)
client.shutdown()
print("done", flush=True)
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_reads_ours_and_we_read_theirs() {
    let cluster = TestCluster::start(2).await.expect("cluster");
    let repo = common::builder(&cluster, "py-sessions")
        .max_inactive_interval(Some(Duration::from_secs(1800)))
        .build()
        .await
        .expect("repository");
    let s = repo.create().await.unwrap();
    s.set_principal_name(Some("alice")).unwrap();
    s.insert("user", "alice").unwrap();
    s.insert("count", &42i64).unwrap();
    s.insert("flag", &true).unwrap();
    s.insert("ratio", &0.25f64).unwrap();
    s.insert(
        "cart",
        &Cart {
            items: vec![1, 2],
            note: Some("gift".into()),
        },
    )
    .unwrap();
    repo.save(&s).await.unwrap();

    let addrs: Vec<String> = cluster.addresses().iter().map(|a| a.to_string()).collect();
    let args = [addrs.join(","), "py-sessions".to_owned(), s.id()];
    let child = python_crosscheck::spawn_script(SCRIPT, &[&args[0], &args[1], &args[2]])
        .expect("python client starts");
    let out = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("join")
        .expect("python output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}\n--- client log ---\n{stderr}");
    assert!(out.status.success(), "python failed: {stderr}");
    assert!(stdout.contains("done"), "script did not finish");
    assert!(!stdout.contains("FAIL"), "a check failed:\n{stdout}");

    // The session Python wrote, read back through the repository.
    let p = repo
        .find_by_id("py-session-1")
        .await
        .expect("find")
        .expect("python's session");
    assert_eq!(p.principal_name().as_deref(), Some("bob"));
    assert_eq!(p.max_inactive_interval(), Some(Duration::from_secs(3600)));
    assert_eq!(
        p.creation_time(),
        std::time::UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789)
    );
    assert_eq!(p.get::<String>("user").unwrap().as_deref(), Some("bob"));
    // Python writes a small int as a Java Long.
    assert_eq!(p.get::<i64>("count").unwrap(), Some(7));
    // Empty value bytes are Java's null: no attribute.
    assert!(!p.contains("nothing"));
    assert_eq!(
        p.get::<Cart>("cart").unwrap(),
        Some(Cart {
            items: vec![3],
            note: None
        })
    );
    let by_principal = repo
        .find_by_principal_name("bob")
        .await
        .expect("principal query");
    assert!(by_principal.contains_key("py-session-1"));
    // And it can be changed and saved by us, then read by Python's layout rules again.
    p.insert("seen_by_rust", &true).unwrap();
    repo.save(&p).await.unwrap();
    let again = repo.find_by_id("py-session-1").await.unwrap().unwrap();
    assert_eq!(again.get::<bool>("seen_by_rust").unwrap(), Some(true));
    assert_eq!(again.get::<String>("user").unwrap().as_deref(), Some("bob"));
}
