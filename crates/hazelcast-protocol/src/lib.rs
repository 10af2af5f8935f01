//! Sans-IO implementation of the Hazelcast Open Binary Client Protocol 2.x.
//!
//! Bytes in, typed messages out, and back; no sockets, no runtime. The tokio client and the
//! in-process test member both build on it.
//!
//! - [`frame`]: the frame format and flags.
//! - [`message`]: [`Message`](message::Message), one encoded message with cheap header
//!   access, and [`MessageWriter`](message::MessageWriter) to build one.
//! - [`decoder`]: [`MessageDecoder`](decoder::MessageDecoder), which turns arbitrary chunks
//!   of a byte stream into messages, reassembling fragments within configurable limits.
//! - [`codec`]: typed requests, responses and events of the Client, Map and DynamicConfig
//!   services, generated from the official protocol definitions.
//! - [`data`], [`hash`], [`predicate`], [`compact`]: serialized values, partition hashing,
//!   query predicates and Compact serialization.
//!
//! ```
//! use hazelcast_protocol::codec::map::{MapGetRequest, MapGetResponse};
//! use hazelcast_protocol::data::Data;
//! use hazelcast_protocol::decoder::{DecoderConfig, MessageDecoder};
//!
//! // Client side: encode a request, then set the per-attempt header fields.
//! let key = Data::from_bytes(vec![0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf5, 0, 0, 0, 1, b'a']);
//! let mut request = MapGetRequest { name: "sessions", key, thread_id: 1 }.encode();
//! request.set_correlation_id(7);
//! request.set_partition_id(73);
//!
//! // Member side: read the stream, decode the request, answer it.
//! let mut decoder = MessageDecoder::new(DecoderConfig::default());
//! decoder.feed(request.as_bytes());
//! let received = decoder.next_message()?.expect("one whole message");
//! assert_eq!(received.message_type(), MapGetRequest::MESSAGE_TYPE);
//! let get = MapGetRequest::decode(&received)?;
//! assert_eq!(get.name, "sessions");
//! let mut response = MapGetResponse { response: None }.encode();
//! response.set_correlation_id(received.correlation_id());
//! assert_eq!(MapGetResponse::decode(&response)?.response, None);
//! # Ok::<(), hazelcast_protocol::error::DecodeError>(())
//! ```
#![forbid(unsafe_code)]

pub mod codec;
pub mod compact;
pub mod data;
pub mod decoder;
pub mod error;
pub mod frame;
pub mod hash;
pub mod message;
pub mod predicate;
pub mod serialization;
#[cfg(feature = "tokio-codec")]
pub mod tokio_codec;
