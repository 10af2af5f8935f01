//! Typed codecs of the protocol's messages, generated from the official definitions.
//!
//! One module per service ([`client`], [`map`], [`dynamic_config`]) with a plain struct per
//! request, response and event, and [`custom`] for the custom types they use. Every
//! message struct has `encode(&self) -> Message` and `decode(&Message)`; requests also
//! carry `RETRYABLE` and `PARTITION_IDENTIFIER`. [`error_response`] decodes the error
//! response (message type 0). [`builtin`] holds the building blocks the generated code uses.
//!
//! Regenerate with `cargo xtask codegen`; a test fails when the committed code is stale.

use crate::error::DecodeError;
use crate::message::Message;

pub mod builtin;
pub mod client;
pub mod custom;
pub mod dynamic_config;
pub mod error_response;
pub mod map;
mod metadata;

pub use metadata::decode_debug;

/// A message codec: a typed request, response or event.
pub trait Codec: Sized {
    /// The message type this codec encodes and decodes.
    const MESSAGE_TYPE: i32;
    /// Encodes the value as a message (correlation id 0; partition id −1 for requests and
    /// events; backup acks 0 for responses).
    fn encode(&self) -> Message;
    /// Decodes a message of [`Self::MESSAGE_TYPE`].
    ///
    /// # Errors
    /// When the message has another type or is malformed.
    fn decode(message: &Message) -> Result<Self, DecodeError>;
}

/// A request codec, with the metadata the client needs for routing and retries.
pub trait RequestCodec: Codec {
    /// Whether the request may be retried after a connection failure (YAML `retryable`).
    const RETRYABLE: bool;
    /// How the request is routed (YAML `partitionIdentifier`): `"key"` for the key's
    /// partition, `"-1"` for any member, `"partitionId"` for an explicit partition, ...
    const PARTITION_IDENTIFIER: &'static str;
}

/// Metadata of one generated request type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestInfo {
    /// The request's message type.
    pub message_type: i32,
    /// `Service.method`.
    pub name: &'static str,
    /// Whether the request may be retried.
    pub retryable: bool,
    /// How the request is routed (see [`RequestCodec::PARTITION_IDENTIFIER`]).
    pub partition_identifier: &'static str,
}

/// Metadata of the request with `message_type`, when it is one of the generated codecs.
pub fn request_info(message_type: i32) -> Option<&'static RequestInfo> {
    metadata::REQUESTS
        .binary_search_by_key(&message_type, |r| r.message_type)
        .ok()
        .and_then(|i| metadata::REQUESTS.get(i))
}

/// Every generated request type, sorted by message type.
pub fn requests() -> &'static [RequestInfo] {
    metadata::REQUESTS
}
