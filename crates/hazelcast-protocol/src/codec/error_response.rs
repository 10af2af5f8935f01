//! The error response: message type 0, followed by the cause chain as `List<ErrorHolder>`.

use crate::codec::builtin::FrameReader;
use crate::codec::custom::ErrorHolder;
use crate::error::DecodeError;
use crate::message::{ERROR_MESSAGE_TYPE, Message, MessageWriter, RESPONSE_FIXED_OFFSET};

/// The member's answer when a request failed: the exception and its causes, outermost first.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorResponse {
    /// The cause chain; `errors[0]` is the exception thrown, the rest its causes.
    pub errors: Vec<ErrorHolder>,
}

impl ErrorResponse {
    /// Message type of the error response.
    pub const MESSAGE_TYPE: i32 = ERROR_MESSAGE_TYPE;

    /// True when `message` is an error response (and not an event).
    pub fn matches(message: &Message) -> bool {
        message.message_type() == ERROR_MESSAGE_TYPE && !message.is_event()
    }

    /// Encodes the error response (correlation id 0).
    pub fn encode(&self) -> Message {
        let mut w = MessageWriter::response(ERROR_MESSAGE_TYPE, 256);
        w.list_var(&self.errors, |w, e| e.encode_into(w));
        w.finish()
    }

    /// Decodes an error response.
    ///
    /// # Errors
    /// When `message` is not a well-formed error response.
    pub fn decode(message: &Message) -> Result<Self, DecodeError> {
        let mut r = FrameReader::new(message);
        r.initial(ERROR_MESSAGE_TYPE, RESPONSE_FIXED_OFFSET)?;
        let errors = r.list_var(ErrorHolder::decode_from)?;
        Ok(Self { errors })
    }

    /// The outermost error's code (see Hazelcast's `ClientProtocolErrorCodes`), if any.
    pub fn error_code(&self) -> Option<i32> {
        self.errors.first().map(|e| e.error_code)
    }
}
