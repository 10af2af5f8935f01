//! A `tokio_util::codec` adapter: whole [`Message`]s over a framed byte stream.
//!
//! ```
//! use bytes::BytesMut;
//! use hazelcast_protocol::codec::client::ClientPingRequest;
//! use hazelcast_protocol::decoder::DecoderConfig;
//! use hazelcast_protocol::tokio_codec::MessageCodec;
//! use tokio_util::codec::{Decoder, Encoder};
//!
//! let mut codec = MessageCodec::new(DecoderConfig::default());
//! let mut buf = BytesMut::new();
//! codec.encode(ClientPingRequest {}.encode(), &mut buf)?;
//! let message = codec.decode(&mut buf)?.expect("one whole message");
//! assert_eq!(message.message_type(), ClientPingRequest::MESSAGE_TYPE);
//! # Ok::<(), hazelcast_protocol::tokio_codec::CodecError>(())
//! ```

use bytes::BytesMut;
use tokio_util::codec::{Decoder, Encoder};

use crate::decoder::{DecoderConfig, Reassembler, Scan, scan_message};
use crate::error::DecodeError;
use crate::message::Message;

/// Failure of the framed stream.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The peer sent bytes that are not valid protocol messages.
    #[error("invalid message: {0}")]
    Decode(#[from] DecodeError),
    /// The underlying I/O failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
}

/// Decodes whole messages (reassembling fragments) and encodes messages as they are.
#[derive(Debug)]
pub struct MessageCodec {
    config: DecoderConfig,
    scan: usize,
    reassembler: Reassembler,
}

impl MessageCodec {
    /// A codec with the given limits.
    pub fn new(config: DecoderConfig) -> Self {
        Self {
            config,
            scan: 0,
            reassembler: Reassembler::new(),
        }
    }

    /// Changes the limits, for example after authentication.
    pub fn set_config(&mut self, config: DecoderConfig) {
        self.config = config;
    }
}

impl Decoder for MessageCodec {
    type Item = Message;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Message>, CodecError> {
        loop {
            match scan_message(src, self.scan, self.config.max_message_size)? {
                Scan::Incomplete(at) => {
                    self.scan = at;
                    return Ok(None);
                }
                Scan::Complete(len) => {
                    let raw = src.split_to(len).to_vec();
                    self.scan = 0;
                    if let Some(m) = self.reassembler.push(raw, &self.config)? {
                        return Ok(Some(m));
                    }
                }
            }
        }
    }
}

impl Encoder<Message> for MessageCodec {
    type Error = CodecError;

    fn encode(&mut self, item: Message, dst: &mut BytesMut) -> Result<(), CodecError> {
        dst.extend_from_slice(item.as_bytes());
        Ok(())
    }
}

impl Encoder<&Message> for MessageCodec {
    type Error = CodecError;

    fn encode(&mut self, item: &Message, dst: &mut BytesMut) -> Result<(), CodecError> {
        dst.extend_from_slice(item.as_bytes());
        Ok(())
    }
}
