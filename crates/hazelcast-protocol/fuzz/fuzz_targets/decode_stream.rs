//! Feeds arbitrary bytes, cut into arbitrary chunks, to the incremental decoder (with
//! fragments allowed and small limits) and decodes every message it yields with the codec
//! of its type. Any panic is a bug.
#![no_main]

use hazelcast_protocol::codec::decode_debug;
use hazelcast_protocol::decoder::{DecoderConfig, MessageDecoder};
use hazelcast_protocol::message::Message;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&chunk, rest)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk).max(1);
    let mut decoder = MessageDecoder::new(DecoderConfig {
        max_message_size: 64 * 1024,
        allow_fragments: true,
        max_partial_messages: 4,
        max_partial_bytes: 128 * 1024,
    });
    'feed: for piece in rest.chunks(chunk) {
        decoder.feed(piece);
        loop {
            match decoder.next_message() {
                Ok(Some(m)) => {
                    let _ = decode_debug(&m);
                }
                Ok(None) => break,
                Err(_) => break 'feed,
            }
        }
    }
    if let Ok(m) = Message::from_bytes(rest.to_vec()) {
        let _ = decode_debug(&m);
    }
});
