//! Frames, messages, header access, compatibility rules, fragmentation and the
//! incremental decoder.

use hazelcast_protocol::codec::client::{
    ClientAuthenticationRequest, ClientFetchSchemaResponse, ClientLocalBackupListenerBackupEvent,
    ClientPingRequest,
};
use hazelcast_protocol::codec::custom::{ErrorHolder, FieldDescriptor, Schema, StackTraceElement};
use hazelcast_protocol::codec::error_response::ErrorResponse;
use hazelcast_protocol::codec::map::{
    MapAddEntryListenerEntryEvent, MapGetRequest, MapGetResponse, MapPutRequest,
};
use hazelcast_protocol::codec::{RequestCodec, request_info, requests};
use hazelcast_protocol::data::Data;
use hazelcast_protocol::decoder::{DecoderConfig, MessageDecoder};
use hazelcast_protocol::error::DecodeError;
use hazelcast_protocol::frame::flags;
use hazelcast_protocol::message::{Message, MessageWriter};
use proptest::prelude::*;
use uuid::Uuid;

fn hex(s: &str) -> Vec<u8> {
    let s: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '|')
        .collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn alice() -> Data {
    Data::from_bytes(hex("00000000 fffffff5 00000005 616c696365"))
}

#[test]
fn client_ping_vector() {
    let mut m = ClientPingRequest {}.encode();
    m.set_correlation_id(8);
    assert_eq!(
        m.as_bytes(),
        hex("16000000 00e0 000b0000 0800000000000000 ffffffff")
    );
}

#[test]
fn map_get_alice_vector() {
    let mut m = MapGetRequest {
        name: "spring:session:sessions",
        key: alice(),
        thread_id: 1,
    }
    .encode();
    m.set_correlation_id(7);
    m.set_partition_id(7);
    let mut expected =
        hex("1e000000 00c0 00020100 0700000000000000 07000000 0100000000000000 1d000000 0000");
    expected.extend_from_slice(b"spring:session:sessions");
    expected.extend(hex("17000000 0020 00000000 fffffff5 00000005 616c696365"));
    assert_eq!(m.as_bytes(), expected);
    let back =
        MapGetRequest::decode(&Message::from_bytes(expected).expect("valid")).expect("decodes");
    assert_eq!(back.name, "spring:session:sessions");
    assert_eq!(back.key, alice());
    assert_eq!(back.thread_id, 1);
}

#[test]
fn header_fields_are_read_and_overwritten_in_place() {
    let mut m = MapGetRequest {
        name: "m",
        key: alice(),
        thread_id: 3,
    }
    .encode();
    assert_eq!(m.message_type(), 0x010200);
    assert_eq!(m.correlation_id(), 0);
    assert_eq!(m.partition_id(), -1);
    assert_eq!(m.flags(), flags::UNFRAGMENTED_MESSAGE);
    m.set_correlation_id(i64::MAX);
    m.set_partition_id(270);
    m.set_flag(flags::BACKUP_AWARE, true);
    assert_eq!(m.correlation_id(), i64::MAX);
    assert_eq!(m.partition_id(), 270);
    assert!(m.is_backup_aware());
    m.set_flag(flags::BACKUP_AWARE, false);
    assert!(!m.is_backup_aware());
    // The body is untouched.
    assert_eq!(MapGetRequest::decode(&m).expect("decodes").thread_id, 3);

    let mut r = MapGetResponse {
        response: Some(alice()),
    }
    .encode();
    assert_eq!(r.backup_acks(), 0);
    r.set_backup_acks(2);
    assert_eq!(r.backup_acks(), 2);
    assert_eq!(
        MapGetResponse::decode(&r).expect("decodes").response,
        Some(alice())
    );

    let e = ClientLocalBackupListenerBackupEvent {
        source_invocation_correlation_id: 99,
    }
    .encode();
    assert!(e.is_event());
    assert_eq!(
        e.flags() & flags::IS_FINAL,
        flags::IS_FINAL,
        "single-frame message"
    );
}

#[test]
fn request_metadata() {
    const { assert!(MapGetRequest::RETRYABLE) };
    assert_eq!(MapGetRequest::PARTITION_IDENTIFIER, "key");
    const { assert!(!<MapPutRequest as RequestCodec>::RETRYABLE) };
    let info = request_info(MapPutRequest::MESSAGE_TYPE).expect("known");
    assert_eq!(info.name, "Map.put");
    assert!(!info.retryable);
    assert_eq!(info.partition_identifier, "key");
    assert_eq!(request_info(0x000b00).map(|i| i.name), Some("Client.ping"));
    assert!(request_info(0x7f0000).is_none());
    assert_eq!(requests().len(), 116);
}

#[test]
fn wrong_message_type_is_an_error() {
    let m = ClientPingRequest {}.encode();
    assert!(matches!(
        MapGetRequest::decode(&m),
        Err(DecodeError::UnexpectedMessageType {
            expected: 0x010200,
            actual: 0x000b00
        })
    ));
}

#[test]
fn error_response_round_trip() {
    let e = ErrorResponse {
        errors: vec![
            ErrorHolder {
                error_code: 61,
                class_name: "java.lang.UnsupportedOperationException".into(),
                message: Some("Unrecognized client message received with type: 0x7f0000".into()),
                stack_trace_elements: vec![StackTraceElement {
                    class_name: "A".into(),
                    method_name: "b".into(),
                    file_name: None,
                    line_number: 12,
                }],
            },
            ErrorHolder {
                error_code: 0,
                class_name: "Cause".into(),
                message: None,
                stack_trace_elements: vec![],
            },
        ],
    };
    let m = e.encode();
    assert!(ErrorResponse::matches(&m));
    assert_eq!(m.message_type(), 0);
    let back = ErrorResponse::decode(&m).expect("decodes");
    assert_eq!(back, e);
    assert_eq!(back.error_code(), Some(61));
}

/// Newer fields are `None` when encoding for an older peer; the initial frame is then cut
/// before them and a decoder sees them as absent.
#[test]
fn since_fields_are_optional() {
    let mut auth = ClientAuthenticationRequest {
        cluster_name: "dev".into(),
        username: None,
        password: None,
        uuid: Some(Uuid::from_u64_pair(1, 2)),
        client_type: "RST".into(),
        serialization_version: 1,
        client_hazelcast_version: "5.5.0".into(),
        client_name: "c".into(),
        labels: vec![],
        routing_mode: None,
        cp_direct_to_leader_routing: None,
    };
    let old = auth.encode();
    assert_eq!(old.initial_frame().payload.len(), 16 + 17 + 1);
    let back = ClientAuthenticationRequest::decode(&old).expect("decodes");
    assert_eq!(back, auth);
    auth.routing_mode = Some(1);
    auth.cp_direct_to_leader_routing = Some(false);
    let new = auth.encode();
    assert_eq!(new.initial_frame().payload.len(), 16 + 17 + 1 + 2);
    assert_eq!(
        ClientAuthenticationRequest::decode(&new).expect("decodes"),
        auth
    );
}

/// Unknown trailing content is skipped: extra fixed bytes, extra frames inside a custom
/// type (nesting-aware), and extra frames at the end of a message.
#[test]
fn unknown_trailing_fields_are_skipped() {
    let mut w = MessageWriter::response(ClientFetchSchemaResponse::MESSAGE_TYPE, 64);
    w.put_bytes(&[9, 9, 9]); // newer fixed fields of the response
    w.begin_struct(); // Schema
    w.string("com.example.Session");
    w.begin_struct(); // List_FieldDescriptor
    w.begin_struct(); // FieldDescriptor
    w.open_frame(0);
    w.put(&8i32);
    w.put_bytes(&[1, 2, 3, 4]); // newer fixed field of FieldDescriptor
    w.string("principalName");
    w.string("a newer var field");
    w.end_struct();
    w.end_struct();
    // Newer Schema fields: a string and nested structures.
    w.string("unknown");
    w.begin_struct();
    w.begin_struct();
    w.null();
    w.end_struct();
    w.string("x");
    w.end_struct();
    w.end_struct(); // end of Schema
    w.string("a newer top-level field");
    w.begin_struct();
    w.end_struct();
    let m = w.finish();
    let r = ClientFetchSchemaResponse::decode(&m).expect("decodes");
    assert_eq!(
        r.schema,
        Some(Schema {
            type_name: "com.example.Session".into(),
            fields: vec![FieldDescriptor {
                field_name: "principalName".into(),
                kind: 8,
            }],
        })
    );
}

fn put(value_len: usize, seed: u8) -> Message {
    MapPutRequest {
        name: format!("map-{seed}"),
        key: alice(),
        value: Data::from_bytes((0..value_len).map(|i| (i as u8) ^ seed).collect()),
        thread_id: i64::from(seed),
        ttl: -1,
    }
    .encode()
}

#[test]
fn fragments_are_reassembled_even_when_interleaved() {
    let a = put(10_000, 1);
    let b = put(5_000, 2);
    let fa = a.to_fragments(1_000, 11);
    let fb = b.to_fragments(700, 12);
    assert!(fa.len() > 1 && fb.len() > 1);
    let mut decoder = MessageDecoder::new(DecoderConfig::default());
    let mut out = Vec::new();
    let n = fa.len().max(fb.len());
    for i in 0..n {
        for f in [fa.get(i), fb.get(i)].into_iter().flatten() {
            decoder.feed(f);
            while let Some(m) = decoder.next_message().expect("valid") {
                out.push(m);
            }
        }
    }
    out.sort_by_key(|m| m.len());
    assert_eq!(out, vec![b, a]);
}

#[test]
fn member_pre_auth_limits() {
    let mut decoder = MessageDecoder::new(DecoderConfig::member_before_authentication());
    decoder.feed(put(5_000, 1).as_bytes());
    assert!(matches!(
        decoder.next_message(),
        Err(DecodeError::MessageTooLarge { limit: 4096, .. })
    ));
    let mut decoder = MessageDecoder::new(DecoderConfig::member_before_authentication());
    for f in put(1_000, 1).to_fragments(300, 1) {
        decoder.feed(&f);
    }
    assert_eq!(
        decoder.next_message(),
        Err(DecodeError::FragmentsNotAllowed)
    );
    // After authentication the member lifts both limits.
    let mut decoder = MessageDecoder::new(DecoderConfig::member_before_authentication());
    decoder.set_config(DecoderConfig::default());
    let m = put(5_000, 1);
    for f in m.to_fragments(300, 1) {
        decoder.feed(&f);
    }
    assert_eq!(decoder.next_message(), Ok(Some(m)));
}

#[test]
fn fragment_limits() {
    let config = DecoderConfig {
        max_partial_messages: 1,
        ..DecoderConfig::default()
    };
    let mut decoder = MessageDecoder::new(config);
    decoder.feed(&put(2_000, 1).to_fragments(500, 1)[0]);
    decoder.feed(&put(2_000, 2).to_fragments(500, 2)[0]);
    assert_eq!(
        decoder.next_message(),
        Err(DecodeError::TooManyPartialMessages(1))
    );

    let mut decoder = MessageDecoder::new(DecoderConfig::default());
    decoder.feed(&put(2_000, 1).to_fragments(500, 1)[1]);
    assert_eq!(decoder.next_message(), Err(DecodeError::UnknownFragment(1)));

    let config = DecoderConfig {
        max_partial_bytes: 1_000,
        ..DecoderConfig::default()
    };
    let mut decoder = MessageDecoder::new(config);
    for f in put(5_000, 1).to_fragments(400, 1) {
        decoder.feed(&f);
    }
    assert!(matches!(
        decoder.next_message(),
        Err(DecodeError::MessageTooLarge { limit: 1_000, .. })
    ));
}

fn arb_data() -> impl Strategy<Value = Data> {
    proptest::collection::vec(any::<u8>(), 0..64).prop_map(Data::from_bytes)
}

fn arb_put() -> impl Strategy<Value = MapPutRequest> {
    (
        ".{0,20}",
        arb_data(),
        arb_data(),
        any::<i64>(),
        any::<i64>(),
    )
        .prop_map(|(name, key, value, thread_id, ttl)| MapPutRequest {
            name,
            key,
            value,
            thread_id,
            ttl,
        })
}

fn arb_event() -> impl Strategy<Value = MapAddEntryListenerEntryEvent> {
    (
        proptest::option::of(arb_data()),
        proptest::option::of(arb_data()),
        proptest::option::of(arb_data()),
        proptest::option::of(arb_data()),
        any::<i32>(),
        any::<(u64, u64)>(),
        any::<i32>(),
    )
        .prop_map(|(key, value, old_value, merging_value, event_type, u, n)| {
            MapAddEntryListenerEntryEvent {
                key,
                value,
                old_value,
                merging_value,
                event_type,
                uuid: Uuid::from_u64_pair(u.0, u.1),
                number_of_affected_entries: n,
            }
        })
}

proptest! {
    #[test]
    fn frames_round_trip(frames in proptest::collection::vec(
        (any::<u16>(), proptest::collection::vec(any::<u8>(), 0..40)), 0..8)) {
        let mut w = MessageWriter::request(0x123456, 0);
        w.put_bytes(&[7; 5]);
        for (f, payload) in &frames {
            w.frame(f & !flags::IS_FINAL, payload);
        }
        let m = w.finish();
        let back = Message::from_bytes(m.as_bytes().to_vec()).expect("valid");
        let read: Vec<_> = back.frames().collect::<Result<_, _>>().expect("frames");
        prop_assert_eq!(read.len(), frames.len() + 1);
        for (i, (f, payload)) in frames.iter().enumerate() {
            let expect = if i + 1 == frames.len() { (f & !flags::IS_FINAL) | flags::IS_FINAL } else { f & !flags::IS_FINAL };
            prop_assert_eq!(read[i + 1].flags, expect);
            prop_assert_eq!(read[i + 1].payload, &payload[..]);
        }
    }

    #[test]
    fn messages_round_trip(put in arb_put(), event in arb_event()) {
        prop_assert_eq!(MapPutRequest::decode(&put.encode()).expect("decodes"), put);
        prop_assert_eq!(MapAddEntryListenerEntryEvent::decode(&event.encode()).expect("decodes"), event);
    }

    #[test]
    fn chunk_boundaries_do_not_matter(
        puts in proptest::collection::vec(arb_put(), 1..6),
        fragment_size in 40usize..200,
        cuts in proptest::collection::vec(1usize..97, 1..40),
    ) {
        let messages: Vec<Message> = puts.iter().map(MapPutRequest::encode).collect();
        let mut stream = Vec::new();
        for (i, m) in messages.iter().enumerate() {
            if i % 2 == 0 {
                stream.extend(m.as_bytes());
            } else {
                for f in m.to_fragments(fragment_size, i as i64) {
                    stream.extend(f);
                }
            }
        }
        let mut decoder = MessageDecoder::new(DecoderConfig::default());
        let mut out = Vec::new();
        let mut pos = 0;
        let mut k = 0;
        while pos < stream.len() {
            let n = cuts[k % cuts.len()].min(stream.len() - pos);
            k += 1;
            decoder.feed(&stream[pos..pos + n]);
            pos += n;
            while let Some(m) = decoder.next_message().expect("valid stream") {
                out.push(m);
            }
        }
        prop_assert_eq!(out, messages);
        prop_assert_eq!(decoder.buffered(), 0);
    }
}

#[cfg(feature = "tokio-codec")]
#[test]
fn tokio_codec_reassembles_fragments() {
    use bytes::BytesMut;
    use hazelcast_protocol::tokio_codec::MessageCodec;
    use tokio_util::codec::{Decoder, Encoder};

    let mut codec = MessageCodec::new(DecoderConfig::default());
    let a = put(3_000, 1);
    let b = put(10, 2);
    let mut buf = BytesMut::new();
    for f in a.to_fragments(500, 5) {
        buf.extend_from_slice(&f);
    }
    codec.encode(&b, &mut buf).expect("encodes");
    let tail = buf.split_off(buf.len() - 3);
    assert_eq!(codec.decode(&mut buf).expect("valid"), Some(a));
    assert_eq!(codec.decode(&mut buf).expect("valid"), None);
    buf.extend_from_slice(&tail);
    assert_eq!(codec.decode(&mut buf).expect("valid"), Some(b));
    assert!(buf.is_empty());
}

#[test]
fn decoded_messages_and_their_data_share_the_read_buffer() {
    let value = Data::new(-11, &[7u8; 1000]);
    let mut response = MapGetResponse {
        response: Some(value.clone()),
    }
    .encode();
    response.set_correlation_id(5);
    let mut decoder = MessageDecoder::new(DecoderConfig::default());
    // Two messages in one read: both come out, neither copied.
    let buf = decoder.buffer_for_read(4096);
    buf.extend_from_slice(response.as_bytes());
    buf.extend_from_slice(response.as_bytes());
    let first = decoder.next_message().expect("valid").expect("whole");
    let second = decoder.next_message().expect("valid").expect("whole");
    assert!(decoder.next_message().expect("valid").is_none());
    assert_eq!(first, response);
    assert_eq!(second, response);
    let shared = first.shared_bytes().expect("a decoded message is shared");
    let decoded = MapGetResponse::decode(&first)
        .expect("decode")
        .response
        .expect("value");
    assert_eq!(decoded, value);
    let range = shared.as_ptr_range();
    assert!(
        range.contains(&decoded.as_bytes().as_ptr()),
        "the value is a slice of the message"
    );
    // A detached copy owns its bytes; changing a header copies the message first.
    assert!(!range.contains(&decoded.detached().as_bytes().as_ptr()));
    let mut changed = second.clone();
    changed.set_correlation_id(6);
    assert_eq!(changed.correlation_id(), 6);
    assert_eq!(second.correlation_id(), 5);
    assert!(changed.shared_bytes().is_none());
    // A message built here owns its bytes: its values are copied out.
    assert!(response.shared_bytes().is_none());
}
