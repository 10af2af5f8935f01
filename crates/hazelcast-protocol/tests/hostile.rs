//! Hostile input: lying lengths, short frames, endless nesting, huge counts, mutated and
//! random bytes. Every case must end in a typed error (or a harmless decode), never a
//! panic, and never allocate beyond the configured limits.

use std::path::PathBuf;

use hazelcast_protocol::codec::builtin::FrameReader;
use hazelcast_protocol::codec::client::ClientAddClusterViewListenerMembersViewEvent;
use hazelcast_protocol::codec::decode_debug;
use hazelcast_protocol::codec::map::MapGetAllRequest;
use hazelcast_protocol::decoder::{DecoderConfig, MessageDecoder};
use hazelcast_protocol::error::DecodeError;
use hazelcast_protocol::frame::flags;
use hazelcast_protocol::message::{Message, MessageWriter};
use proptest::prelude::*;

fn frame(len: i32, fl: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = len.to_le_bytes().to_vec();
    v.extend(fl.to_le_bytes());
    v.extend(payload);
    v
}

fn decode_all(bytes: &[u8], config: DecoderConfig) -> Result<Vec<Message>, DecodeError> {
    let mut d = MessageDecoder::new(config);
    d.feed(bytes);
    let mut out = Vec::new();
    while let Some(m) = d.next_message()? {
        out.push(m);
    }
    Ok(out)
}

#[test]
fn frames_shorter_than_six_bytes() {
    for len in [i32::MIN, -1, 0, 1, 5] {
        let bytes = frame(len, 0xe000, &[0; 32]);
        assert_eq!(
            decode_all(&bytes, DecoderConfig::default()),
            Err(DecodeError::FrameTooShort(i64::from(len)))
        );
        assert!(Message::from_bytes(bytes).is_err());
    }
}

#[test]
fn lying_lengths_hit_the_limit_before_any_allocation() {
    // A frame that claims 2 GiB: rejected from its header alone.
    let bytes = frame(i32::MAX, 0xe000, &[0; 16]);
    assert!(matches!(
        decode_all(&bytes, DecoderConfig::default()),
        Err(DecodeError::MessageTooLarge { .. })
    ));
    // Many small non-final frames whose sum exceeds the limit.
    let config = DecoderConfig {
        max_message_size: 1000,
        ..DecoderConfig::default()
    };
    let mut bytes = Vec::new();
    for _ in 0..200 {
        bytes.extend(frame(10, 0, &[0; 4]));
    }
    assert!(matches!(
        decode_all(&bytes, config),
        Err(DecodeError::MessageTooLarge { limit: 1000, .. })
    ));
    // A length beyond the buffer: wait for more bytes, not an error, not a panic.
    let bytes = frame(100, 0xe000, &[0; 10]);
    assert_eq!(decode_all(&bytes, DecoderConfig::default()), Ok(vec![]));
    assert!(matches!(
        Message::from_bytes(bytes),
        Err(DecodeError::Truncated { .. })
    ));
}

#[test]
fn structural_errors() {
    // No final frame.
    let mut bytes = frame(6 + 16, 0xc000, &[0; 16]);
    bytes.extend(frame(6, 0, &[]));
    assert_eq!(
        Message::from_bytes(bytes),
        Err(DecodeError::MissingFinalFrame)
    );
    // Initial frame too short for a header.
    let bytes = frame(6 + 4, 0xe000, &[0; 4]);
    assert!(matches!(
        decode_all(&bytes, DecoderConfig::default()),
        Err(DecodeError::InitialFrameTooShort { .. })
    ));
}

#[test]
fn endless_nesting_is_an_error() {
    let mut w = MessageWriter::event(
        ClientAddClusterViewListenerMembersViewEvent::MESSAGE_TYPE,
        0,
    );
    w.put(&1i32);
    for _ in 0..100_000 {
        w.begin_struct();
    }
    let m = w.finish();
    // Typed decoding only nests as deep as the types do: the first misplaced BEGIN fails.
    assert!(matches!(
        ClientAddClusterViewListenerMembersViewEvent::decode(&m),
        Err(DecodeError::UnexpectedFrame { .. })
    ));
    // The reader itself refuses to follow the nesting past its limit.
    let mut r = FrameReader::new(&m);
    r.next_frame("initial").expect("initial frame");
    let mut result = Ok(());
    for _ in 0..100 {
        result = r.begin("nested");
        if result.is_err() {
            break;
        }
    }
    assert_eq!(result, Err(DecodeError::NestingTooDeep(32)));
    // BEGIN frames that never end inside a skipped (unknown) field.
    let mut w = MessageWriter::request(MapGetAllRequest::MESSAGE_TYPE, 0);
    w.put(&0i32);
    w.string("m");
    w.begin_struct();
    w.begin_struct();
    w.begin_struct();
    let m = w.finish();
    assert!(MapGetAllRequest::decode(&m).is_err());
}

#[test]
fn bad_fixed_list_lengths() {
    // List_Data is var-sized; use the MembersView event's fixed-size parts instead:
    // a UUID list frame whose length is not a multiple of 17.
    let mut w = MessageWriter::event(0x000303, 0);
    w.put(&1i32);
    w.begin_struct();
    w.frame(0, &[0; 8]); // List_Integer
    w.end_struct();
    w.frame(0, &[0; 20]); // List_UUID, 20 bytes
    let m = w.finish();
    assert!(matches!(
        decode_debug(&m),
        Some(Err(DecodeError::BadLength { element: 17, .. }))
    ));
    // Invalid UTF-8 in a string frame.
    let mut w = MessageWriter::request(MapGetAllRequest::MESSAGE_TYPE, 0);
    w.put(&0i32);
    w.frame(0, &[0xff, 0xfe]);
    assert_eq!(
        MapGetAllRequest::decode(&w.finish()),
        Err(DecodeError::InvalidUtf8)
    );
}

fn compat_messages() -> Vec<Message> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/hazelcast/compat/2.10.protocol.compatibility.binary");
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); the compatibility data must be at ../shared/hazelcast/compat relative to the workspace root",
            path.display()
        )
    });
    decode_all(&bytes, DecoderConfig::default()).expect("valid file")
}

/// Every message of the generated services, truncated at every frame boundary and with
/// every length field corrupted, decodes to a value or a typed error.
#[test]
fn mutated_real_messages_never_panic() {
    let mut decoded = 0;
    for m in compat_messages() {
        let Some(Ok(_)) = decode_debug(&m) else {
            continue;
        };
        decoded += 1;
        let bytes = m.as_bytes();
        let mut starts = Vec::new();
        let mut pos = 0;
        for f in m.frames() {
            let f = f.expect("frame");
            starts.push(pos);
            pos += f.wire_len();
        }
        for (i, &s) in starts.iter().enumerate() {
            // Cut after frame i, marking it final.
            let end = starts.get(i + 1).copied().unwrap_or(bytes.len());
            let mut cut = bytes[..end].to_vec();
            let fl = u16::from_le_bytes([cut[s + 4], cut[s + 5]]) | flags::IS_FINAL;
            cut[s + 4..s + 6].copy_from_slice(&fl.to_le_bytes());
            if let Ok(cut) = Message::from_bytes(cut) {
                let _ = decode_debug(&cut);
            }
            // Corrupt frame i's length and flags.
            for (len_delta, flag_xor) in [
                (1i32, 0u16),
                (-1, 0),
                (0, flags::BEGIN_DATA_STRUCTURE),
                (0, flags::END_DATA_STRUCTURE),
                (0, flags::IS_NULL),
            ] {
                let mut bad = bytes.to_vec();
                let len =
                    i32::from_le_bytes([bad[s], bad[s + 1], bad[s + 2], bad[s + 3]]) + len_delta;
                bad[s..s + 4].copy_from_slice(&len.to_le_bytes());
                let fl = u16::from_le_bytes([bad[s + 4], bad[s + 5]]) ^ flag_xor;
                bad[s + 4..s + 6].copy_from_slice(&fl.to_le_bytes());
                if let Ok(msgs) = decode_all(&bad, DecoderConfig::default()) {
                    for m in msgs {
                        let _ = decode_debug(&m);
                    }
                }
            }
        }
    }
    assert_eq!(decoded, 249);
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = decode_all(&bytes, DecoderConfig::default());
        if let Ok(m) = Message::from_bytes(bytes) {
            let _ = decode_debug(&m);
        }
    }

    #[test]
    fn random_bodies_of_known_types_never_panic(
        kind in 0usize..249,
        body in proptest::collection::vec((0u16..0x2000, proptest::collection::vec(any::<u8>(), 0..24)), 0..12),
        fixed in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let messages = compat_messages();
        let t = messages[kind % messages.len()].message_type();
        let mut w = MessageWriter::request(t, 0);
        w.put_bytes(&fixed);
        for (f, p) in &body {
            w.frame(*f, p);
        }
        let _ = decode_debug(&w.finish());
    }
}
