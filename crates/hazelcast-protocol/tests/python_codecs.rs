//! Cross-check against the official Hazelcast Python client (5.7.0): requests encoded by
//! its codecs must equal ours byte for byte, and messages we encode (responses, events,
//! errors) must decode with its codecs to the values we put in.
//!
//! `DynamicConfig.addMapConfig` has no codec in the Python client; the script builds it
//! with the client's own frame building blocks (`create_initial_buffer`, `StringCodec`,
//! `CodecUtil.encode_nullable`, ...) in the order of the protocol definition.

use hazelcast_protocol::codec::client::*;
use hazelcast_protocol::codec::custom::*;
use hazelcast_protocol::codec::dynamic_config::DynamicConfigAddMapConfigRequest;
use hazelcast_protocol::codec::error_response::ErrorResponse;
use hazelcast_protocol::codec::map::*;
use hazelcast_protocol::data::Data;
use hazelcast_protocol::message::Message;
use serde_json::{Value, json};
use uuid::Uuid;

const SCRIPT: &str = r#"
import json, struct, sys, uuid
from hazelcast.serialization.data import Data
from hazelcast.serialization.bits import *
from hazelcast.protocol.client_message import (InboundMessage, Frame, create_initial_buffer,
    END_FRAME_BUF, END_FINAL_FRAME_BUF, BEGIN_FRAME_BUF, NULL_FRAME_BUF)
from hazelcast.protocol.builtin import (StringCodec, CodecUtil, ListMultiFrameCodec,
    FixSizedTypesCodec, DataCodec)
from hazelcast.protocol.codec import *
from hazelcast.protocol.codec.custom.index_config_codec import IndexConfigCodec
from hazelcast.config import IndexConfig
from hazelcast.serialization.compact import Schema, FieldDescriptor
from hazelcast.errors import _ErrorsCodec

NAME = "spring:session:sessions"
KEY = Data(bytes.fromhex("00000000fffffff500000005616c696365"))
VALUE = Data(bytes.fromhex("00000000fffffff400000003010203"))
VALUE2 = Data(bytes.fromhex("00000000fffffff9 0000002a".replace(" ", "")))
PREDICATE = Data(bytes.fromhex("00000000fffffffe01ffffffec000000030000000d7072696e636970616c4e616d65fffffff500000005616c696365"))
UUID = uuid.UUID(int=(0x0102030405060708 << 64) | 0x090a0b0c0d0e0f10)

def custom(buf, fixed, var_writers, is_final=False):
    buf.extend(BEGIN_FRAME_BUF)
    if fixed is not None:
        frame = bytearray(6 + len(fixed))
        struct.pack_into("<iH", frame, 0, 6 + len(fixed), 0)
        frame[6:] = fixed
        buf.extend(frame)
    for w in var_writers:
        w(buf)
    buf.extend(END_FINAL_FRAME_BUF if is_final else END_FRAME_BUF)

def add_map_config():
    fixed = struct.pack("<iiiibibi?", 1, 0, 0, 1800, 0, 100, 1, 0, False)
    buf = create_initial_buffer(22 + len(fixed), 0x1B0C00)
    buf[22:] = fixed
    StringCodec.encode(buf, NAME)
    # evictionConfig: EvictionConfigHolder(size, maxSizePolicy, evictionPolicy, comparatorClassName?, comparator?)
    custom(buf, struct.pack("<i", 10000), [
        lambda b: StringCodec.encode(b, "PER_NODE"),
        lambda b: StringCodec.encode(b, "LRU"),
        lambda b: b.extend(NULL_FRAME_BUF),
        lambda b: b.extend(NULL_FRAME_BUF)])
    StringCodec.encode(buf, "INDEX_ONLY")
    StringCodec.encode(buf, "com.hazelcast.spi.merge.PutIfAbsentMergePolicy")
    StringCodec.encode(buf, "BINARY")
    for _ in range(4):  # listenerConfigs, partitionLostListenerConfigs, splitBrainProtectionName, mapStoreConfig
        buf.extend(NULL_FRAME_BUF)
    buf.extend(NULL_FRAME_BUF)  # nearCacheConfig
    # wanReplicationRef: WanReplicationRef(republishingEnabled | name, mergePolicyClassName, filters?)
    custom(buf, struct.pack("<?", True), [
        lambda b: StringCodec.encode(b, "session-wan"),
        lambda b: StringCodec.encode(b, "com.hazelcast.spi.merge.PassThroughMergePolicy"),
        lambda b: b.extend(NULL_FRAME_BUF)])
    ListMultiFrameCodec.encode(buf, [IndexConfig(None, 1, ["principalName"], None)], IndexConfigCodec.encode)
    for _ in range(7):  # attributeConfigs .. merkleTreeConfig
        buf.extend(NULL_FRAME_BUF)
    custom(buf, struct.pack("<??", False, False), [])  # dataPersistenceConfig
    # tieredStoreConfig: enabled | MemoryTierConfig(Capacity(value, unit)), DiskTierConfig(enabled | deviceName)
    custom(buf, struct.pack("<?", False), [
        lambda b: custom(b, None, [lambda c: custom(c, struct.pack("<qi", 256, 2), [])]),
        lambda b: custom(b, struct.pack("<?", False), [lambda c: StringCodec.encode(c, "default-tiered-store-device")])])
    buf.extend(NULL_FRAME_BUF)  # partitioningAttributeConfigs
    buf.extend(NULL_FRAME_BUF)  # userCodeNamespace
    struct.pack_into("<H", buf, len(buf) - 2, struct.unpack_from("<H", buf, len(buf) - 2)[0] | 0x2000)
    return buf

encoded = {
    "map_get": map_get_codec.encode_request(NAME, KEY, 1).buf,
    "map_put": map_put_codec.encode_request(NAME, KEY, VALUE, 1, -1).buf,
    "map_set": map_set_codec.encode_request(NAME, KEY, VALUE, 1, 60000).buf,
    "map_put_if_absent": map_put_if_absent_codec.encode_request(NAME, KEY, VALUE, 1, -1).buf,
    "map_replace_if_same": map_replace_if_same_codec.encode_request(NAME, KEY, VALUE, VALUE2, 1).buf,
    "map_remove": map_remove_codec.encode_request(NAME, KEY, 1).buf,
    "map_delete": map_delete_codec.encode_request(NAME, KEY, 1).buf,
    "map_set_ttl": map_set_ttl_codec.encode_request(NAME, KEY, 1800000).buf,
    "map_add_entry_listener": map_add_entry_listener_codec.encode_request(NAME, True, 27, False).buf,
    "map_values_with_predicate": map_values_with_predicate_codec.encode_request(NAME, PREDICATE).buf,
    "map_add_index": map_add_index_codec.encode_request(NAME, IndexConfig(None, 1, ["principalName"], None)).buf,
    "client_authentication": client_authentication_codec.encode_request(
        "dev", None, "secret", UUID, "PYH", 1, "5.7.0", "hz.client_0", ["a", "b"]).buf,
    "client_ping": client_ping_codec.encode_request().buf,
    "client_add_cluster_view_listener": client_add_cluster_view_listener_codec.encode_request().buf,
    "client_local_backup_listener": client_local_backup_listener_codec.encode_request().buf,
    "client_send_schema": client_send_schema_codec.encode_request(Schema("com.example.Session", [
        FieldDescriptor("principalName", 17), FieldDescriptor("lastAccessedTime", 11)])).buf,
    "dynamic_config_add_map_config": add_map_config(),
}

def inbound(b):
    msg, pos = None, 0
    while pos < len(b):
        length, flags = struct.unpack_from("<iH", b, pos)
        f = Frame(bytearray(b[pos + 6:pos + length]), flags)
        if msg is None:
            msg = InboundMessage(f)
        else:
            msg.add_frame(f)
        pos += length
    return msg

def js(v):
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, Data):
        return {"data": bytes(v.buffer).hex()}
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).hex()
    if isinstance(v, (list, tuple)):
        return [js(x) for x in v]
    if isinstance(v, set):
        return sorted(js(x) for x in v)
    if isinstance(v, dict):
        return {str(k): js(x) for k, x in v.items()}
    slots = [s for c in type(v).__mro__ for s in getattr(c, "__slots__", ())]
    names = slots or list(vars(v))
    return {n.lstrip("_"): js(getattr(v, n)) for n in names}

def member(m):
    return {"uuid": str(m.uuid), "host": m.address.host, "port": m.address.port,
            "lite": m.lite_member, "attributes": m.attributes,
            "version": [m.version.major, m.version.minor, m.version.patch]}

def decode(label, msg):
    out = []
    if label == "map_get_response": return js(map_get_codec.decode_response(msg))
    if label == "map_get_null_response": return js(map_get_codec.decode_response(msg))
    if label == "map_put_response": return js(map_put_codec.decode_response(msg))
    if label == "map_replace_if_same_response": return js(map_replace_if_same_codec.decode_response(msg))
    if label == "map_remove_response": return js(map_remove_codec.decode_response(msg))
    if label == "map_set_ttl_response": return js(map_set_ttl_codec.decode_response(msg))
    if label == "map_add_entry_listener_response": return js(map_add_entry_listener_codec.decode_response(msg))
    if label == "map_values_with_predicate_response": return js(map_values_with_predicate_codec.decode_response(msg))
    if label == "map_entry_event":
        map_add_entry_listener_codec.handle(msg, lambda *a: out.append(js(list(a))))
        return out
    if label == "client_authentication_response": return js(client_authentication_codec.decode_response(msg))
    if label == "members_view_event":
        client_add_cluster_view_listener_codec.handle(msg, lambda ver, ms: out.append([ver, [member(m) for m in ms]]), None)
        return out
    if label == "partitions_view_event":
        client_add_cluster_view_listener_codec.handle(msg, None, lambda ver, ps: out.append(js([ver, ps])))
        return out
    if label == "local_backup_listener_response": return js(client_local_backup_listener_codec.decode_response(msg))
    if label == "backup_event":
        client_local_backup_listener_codec.handle(msg, lambda cid: out.append(cid))
        return out
    if label == "send_schema_response": return js(client_send_schema_codec.decode_response(msg))
    if label == "error_response": return js(_ErrorsCodec.decode(msg))
    raise Exception("unknown label " + label)

decoded = {}
for line in sys.stdin.read().splitlines():
    label, hexed = line.split(" ")
    msg = inbound(bytes.fromhex(hexed))
    decoded[label] = {"type": msg.get_message_type(), "event": msg.start_frame.has_event_flag(),
                      "value": decode(label, msg)}

print(json.dumps({"encoded": {k: bytes(v).hex() for k, v in encoded.items()}, "decoded": decoded}))
"#;

const NAME: &str = "spring:session:sessions";

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn key() -> Data {
    Data::from_bytes(hex("00000000fffffff500000005616c696365"))
}
fn value() -> Data {
    Data::from_bytes(hex("00000000fffffff400000003010203"))
}
fn value2() -> Data {
    Data::from_bytes(hex("00000000fffffff90000002a"))
}
fn predicate() -> Data {
    Data::from_bytes(hex(
        "00000000fffffffe01ffffffec000000030000000d7072696e636970616c4e616d65fffffff500000005616c696365",
    ))
}
fn uuid() -> Uuid {
    Uuid::from_u64_pair(0x0102030405060708, 0x090a0b0c0d0e0f10)
}
fn uuid2() -> Uuid {
    Uuid::from_u64_pair(0x1111, 0x2222)
}

fn index_config() -> IndexConfig {
    IndexConfig {
        name: None,
        r#type: 1,
        attributes: vec!["principalName".into()],
        // The Python client always sends its default bitmap options.
        bitmap_index_options: Some(BitmapIndexOptions {
            unique_key: "__key".into(),
            unique_key_transformation: 0,
        }),
        b_tree_index_config: None,
    }
}

fn ours() -> Vec<(&'static str, Message)> {
    let name = || NAME.to_owned();
    vec![
        (
            "map_get",
            MapGetRequest {
                name: name(),
                key: key(),
                thread_id: 1,
            }
            .encode(),
        ),
        (
            "map_put",
            MapPutRequest {
                name: name(),
                key: key(),
                value: value(),
                thread_id: 1,
                ttl: -1,
            }
            .encode(),
        ),
        (
            "map_set",
            MapSetRequest {
                name: name(),
                key: key(),
                value: value(),
                thread_id: 1,
                ttl: 60000,
            }
            .encode(),
        ),
        (
            "map_put_if_absent",
            MapPutIfAbsentRequest {
                name: name(),
                key: key(),
                value: value(),
                thread_id: 1,
                ttl: -1,
            }
            .encode(),
        ),
        (
            "map_replace_if_same",
            MapReplaceIfSameRequest {
                name: name(),
                key: key(),
                test_value: value(),
                value: value2(),
                thread_id: 1,
            }
            .encode(),
        ),
        (
            "map_remove",
            MapRemoveRequest {
                name: name(),
                key: key(),
                thread_id: 1,
            }
            .encode(),
        ),
        (
            "map_delete",
            MapDeleteRequest {
                name: name(),
                key: key(),
                thread_id: 1,
            }
            .encode(),
        ),
        (
            "map_set_ttl",
            MapSetTtlRequest {
                name: name(),
                key: key(),
                ttl: 1800000,
            }
            .encode(),
        ),
        (
            "map_add_entry_listener",
            MapAddEntryListenerRequest {
                name: name(),
                include_value: true,
                listener_flags: 27,
                local_only: false,
            }
            .encode(),
        ),
        (
            "map_values_with_predicate",
            MapValuesWithPredicateRequest {
                name: name(),
                predicate: predicate(),
            }
            .encode(),
        ),
        (
            "map_add_index",
            MapAddIndexRequest {
                name: name(),
                index_config: index_config(),
            }
            .encode(),
        ),
        (
            "client_authentication",
            ClientAuthenticationRequest {
                cluster_name: "dev".into(),
                username: None,
                password: Some("secret".into()),
                uuid: Some(uuid()),
                client_type: "PYH".into(),
                serialization_version: 1,
                client_hazelcast_version: "5.7.0".into(),
                client_name: "hz.client_0".into(),
                labels: vec!["a".into(), "b".into()],
                routing_mode: None,
                cp_direct_to_leader_routing: None,
            }
            .encode(),
        ),
        ("client_ping", ClientPingRequest {}.encode()),
        (
            "client_add_cluster_view_listener",
            ClientAddClusterViewListenerRequest {}.encode(),
        ),
        (
            "client_local_backup_listener",
            ClientLocalBackupListenerRequest {}.encode(),
        ),
        (
            "client_send_schema",
            ClientSendSchemaRequest {
                schema: Schema {
                    type_name: "com.example.Session".into(),
                    // Python sorts a schema's fields by name.
                    fields: vec![
                        FieldDescriptor {
                            field_name: "lastAccessedTime".into(),
                            kind: 11,
                        },
                        FieldDescriptor {
                            field_name: "principalName".into(),
                            kind: 17,
                        },
                    ],
                },
            }
            .encode(),
        ),
        ("dynamic_config_add_map_config", add_map_config().encode()),
    ]
}

fn add_map_config() -> DynamicConfigAddMapConfigRequest {
    DynamicConfigAddMapConfigRequest {
        name: NAME.into(),
        backup_count: 1,
        async_backup_count: 0,
        time_to_live_seconds: 0,
        max_idle_seconds: 1800,
        eviction_config: Some(EvictionConfigHolder {
            size: 10000,
            max_size_policy: "PER_NODE".into(),
            eviction_policy: "LRU".into(),
            comparator_class_name: None,
            comparator: None,
        }),
        read_backup_data: false,
        cache_deserialized_values: "INDEX_ONLY".into(),
        merge_policy: "com.hazelcast.spi.merge.PutIfAbsentMergePolicy".into(),
        merge_batch_size: 100,
        in_memory_format: "BINARY".into(),
        listener_configs: None,
        partition_lost_listener_configs: None,
        statistics_enabled: true,
        split_brain_protection_name: None,
        map_store_config: None,
        near_cache_config: None,
        wan_replication_ref: Some(WanReplicationRef {
            name: "session-wan".into(),
            merge_policy_class_name: "com.hazelcast.spi.merge.PassThroughMergePolicy".into(),
            filters: None,
            republishing_enabled: true,
        }),
        index_configs: Some(vec![index_config()]),
        attribute_configs: None,
        query_cache_configs: None,
        partitioning_strategy_class_name: None,
        partitioning_strategy_implementation: None,
        metadata_policy: 0,
        hot_restart_config: None,
        event_journal_config: None,
        merkle_tree_config: None,
        per_entry_stats_enabled: Some(false),
        data_persistence_config: Some(DataPersistenceConfig {
            enabled: false,
            fsync: false,
        }),
        tiered_store_config: Some(TieredStoreConfig {
            enabled: false,
            memory_tier_config: MemoryTierConfig {
                capacity: Capacity {
                    value: 256,
                    unit: 2,
                },
            },
            disk_tier_config: DiskTierConfig {
                enabled: false,
                device_name: "default-tiered-store-device".into(),
            },
        }),
        partitioning_attribute_configs: Some(None),
        user_code_namespace: Some(None),
    }
}

fn member_info(port: i32) -> MemberInfo {
    MemberInfo {
        address: Address {
            host: "10.0.0.1".into(),
            port,
        },
        uuid: uuid2(),
        attributes: vec![("zone".into(), "a".into())],
        lite_member: false,
        version: MemberVersion {
            major: 5,
            minor: 5,
            patch: 2,
        },
        address_map: Some(vec![(
            EndpointQualifier {
                r#type: 1,
                identifier: None,
            },
            Address {
                host: "10.0.0.1".into(),
                port,
            },
        )]),
    }
}

/// Messages we encode for Python to decode, with the values Python must see.
fn for_python() -> Vec<(&'static str, Message, Value)> {
    let data_json = |d: &Data| json!({ "data": to_hex(d.as_bytes()) });
    vec![
        (
            "map_get_response",
            MapGetResponse {
                response: Some(value()),
            }
            .encode(),
            data_json(&value()),
        ),
        (
            "map_get_null_response",
            MapGetResponse { response: None }.encode(),
            Value::Null,
        ),
        (
            "map_put_response",
            MapPutResponse {
                response: Some(value2()),
            }
            .encode(),
            data_json(&value2()),
        ),
        (
            "map_replace_if_same_response",
            MapReplaceIfSameResponse { response: true }.encode(),
            json!(true),
        ),
        (
            "map_remove_response",
            MapRemoveResponse {
                response: Some(value()),
            }
            .encode(),
            data_json(&value()),
        ),
        (
            "map_set_ttl_response",
            MapSetTtlResponse { response: true }.encode(),
            json!(true),
        ),
        (
            "map_add_entry_listener_response",
            MapAddEntryListenerResponse { response: uuid() }.encode(),
            json!(uuid().to_string()),
        ),
        (
            "map_values_with_predicate_response",
            MapValuesWithPredicateResponse {
                response: vec![value(), value2()],
            }
            .encode(),
            json!([data_json(&value()), data_json(&value2())]),
        ),
        (
            "map_entry_event",
            MapAddEntryListenerEntryEvent {
                key: Some(key()),
                value: None,
                old_value: Some(value()),
                merging_value: None,
                event_type: 8,
                uuid: uuid2(),
                number_of_affected_entries: 1,
            }
            .encode(),
            json!([[
                data_json(&key()),
                null,
                data_json(&value()),
                null,
                8,
                uuid2().to_string(),
                1
            ]]),
        ),
        (
            "client_authentication_response",
            ClientAuthenticationResponse {
                status: 0,
                address: Some(Address {
                    host: "127.0.0.1".into(),
                    port: 5701,
                }),
                member_uuid: Some(uuid2()),
                serialization_version: 1,
                server_hazelcast_version: "5.5.0".into(),
                partition_count: 271,
                cluster_id: uuid(),
                failover_supported: false,
                tpc_ports: Some(None),
                tpc_token: Some(None),
                member_list_version: Some(3),
                partition_list_version: Some(4),
                member_infos: Some(vec![member_info(5701)]),
                partitions: Some(vec![(uuid2(), vec![0, 1, 2])]),
                key_value_pairs: Some(vec![("k".into(), "v".into())]),
            }
            .encode(),
            json!({
                "status": 0,
                "member_uuid": uuid2().to_string(),
                "serialization_version": 1,
                "partition_count": 271,
                "cluster_id": uuid().to_string(),
                "failover_supported": false,
                "address": {"host": "127.0.0.1", "port": 5701},
                "server_hazelcast_version": "5.5.0",
            }),
        ),
        (
            "members_view_event",
            ClientAddClusterViewListenerMembersViewEvent {
                version: 7,
                member_infos: vec![member_info(5701), member_info(5702)],
            }
            .encode(),
            json!([[7, [
                {"uuid": uuid2().to_string(), "host": "10.0.0.1", "port": 5701, "lite": false,
                 "attributes": {"zone": "a"}, "version": [5, 5, 2]},
                {"uuid": uuid2().to_string(), "host": "10.0.0.1", "port": 5702, "lite": false,
                 "attributes": {"zone": "a"}, "version": [5, 5, 2]},
            ]]]),
        ),
        (
            "partitions_view_event",
            ClientAddClusterViewListenerPartitionsViewEvent {
                version: 9,
                partitions: vec![(uuid(), vec![0, 2, 4]), (uuid2(), vec![1, 3])],
            }
            .encode(),
            json!([[
                9,
                [
                    [uuid().to_string(), [0, 2, 4]],
                    [uuid2().to_string(), [1, 3]]
                ]
            ]]),
        ),
        (
            "local_backup_listener_response",
            ClientLocalBackupListenerResponse { response: uuid() }.encode(),
            json!(uuid().to_string()),
        ),
        (
            "backup_event",
            ClientLocalBackupListenerBackupEvent {
                source_invocation_correlation_id: 1234567,
            }
            .encode(),
            json!([1234567]),
        ),
        (
            "send_schema_response",
            ClientSendSchemaResponse {
                replicated_members: vec![uuid(), uuid2()],
            }
            .encode(),
            {
                let mut v = vec![uuid().to_string(), uuid2().to_string()];
                v.sort();
                json!(v)
            },
        ),
        (
            "error_response",
            ErrorResponse {
                errors: vec![ErrorHolder {
                    error_code: 61,
                    class_name: "java.lang.UnsupportedOperationException".into(),
                    message: Some(
                        "Unrecognized client message received with type: 0x7f0000".into(),
                    ),
                    stack_trace_elements: vec![StackTraceElement {
                        class_name: "com.hazelcast.client.impl.protocol.task.NoSuchMessageTask"
                            .into(),
                        method_name: "processMessage".into(),
                        file_name: None,
                        line_number: 42,
                    }],
                }],
            }
            .encode(),
            json!([{
                "error_code": 61,
                "class_name": "java.lang.UnsupportedOperationException",
                "message": "Unrecognized client message received with type: 0x7f0000",
                "stack_trace_elements": [{
                    "class_name": "com.hazelcast.client.impl.protocol.task.NoSuchMessageTask",
                    "method_name": "processMessage",
                    "file_name": null,
                    "line_number": 42,
                }],
            }]),
        ),
    ]
}

fn run_python() -> Value {
    let cases = for_python();
    let stdin: String = cases
        .iter()
        .map(|(label, m, _)| format!("{label} {}\n", to_hex(m.as_bytes())))
        .collect();
    let out = python_crosscheck::run_script(SCRIPT, stdin.as_bytes())
        .unwrap_or_else(|e| panic!("the Python cross-check could not run: {e}"));
    serde_json::from_slice(&out).expect("the script prints JSON")
}

#[test]
fn python_codecs_agree() {
    let result = run_python();
    let mut failures = Vec::new();

    // Requests: the official encoders and ours give the same bytes, and ours decode them.
    let ours = ours();
    for (label, m) in &ours {
        let theirs = result["encoded"][*label].as_str().unwrap_or_default();
        if theirs != to_hex(m.as_bytes()) {
            failures.push(format!(
                "{label}:\n python {theirs}\n ours   {}",
                to_hex(m.as_bytes())
            ));
        }
        match Message::from_bytes(hex(theirs)) {
            Ok(parsed) => match hazelcast_protocol::codec::decode_debug(&parsed) {
                Some(Ok(_)) => {}
                other => failures.push(format!("{label} from Python does not decode: {other:?}")),
            },
            Err(e) => failures.push(format!("{label} from Python is malformed: {e}")),
        }
    }
    let theirs = result["encoded"]["dynamic_config_add_map_config"]
        .as_str()
        .unwrap_or_default();
    if let Ok(m) = Message::from_bytes(hex(theirs)) {
        let decoded = DynamicConfigAddMapConfigRequest::decode(&m);
        if decoded.as_ref() != Ok(&add_map_config()) {
            failures.push(format!("addMapConfig from Python decodes to {decoded:?}"));
        }
    }

    // Responses, events and errors: the official decoders see our values.
    let cases = for_python();
    for (label, m, expected) in &cases {
        let got = &result["decoded"][*label];
        if got["value"] != *expected {
            failures.push(format!(
                "{label}: python decoded {}\n expected {expected}",
                got["value"]
            ));
        }
        if got["type"] != json!(m.message_type()) || got["event"] != json!(m.is_event()) {
            failures.push(format!("{label}: header {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!(
        "python cross-check: {} requests encoded identically, {} messages decoded by Python",
        ours.len(),
        cases.len()
    );
}
