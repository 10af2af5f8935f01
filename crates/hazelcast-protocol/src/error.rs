//! Errors raised while reading frames and messages.

/// Why bytes could not be turned into a frame, a message or a typed codec value.
///
/// Every hostile or malformed input ends here: the decoders never panic and never
/// allocate more than the configured limits allow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A frame announced a length below the 6-byte frame header.
    #[error("frame length {0} is below the 6-byte minimum")]
    FrameTooShort(i64),
    /// The bytes end before the frame or value they announce.
    #[error("truncated input: {what} needs {needed} bytes, {available} available")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Bytes needed.
        needed: usize,
        /// Bytes present.
        available: usize,
    },
    /// A message (or the sum of its fragments) exceeds the configured maximum.
    #[error("message of at least {size} bytes exceeds the limit of {limit} bytes")]
    MessageTooLarge {
        /// Size seen so far.
        size: usize,
        /// Configured limit.
        limit: usize,
    },
    /// A message has no frame, or its last frame lacks the IS_FINAL flag.
    #[error("message has no final frame")]
    MissingFinalFrame,
    /// The initial frame is too small for the message header.
    #[error("initial frame payload of {len} bytes is too small for a {kind} header")]
    InitialFrameTooShort {
        /// Payload length found.
        len: usize,
        /// Request, response or event.
        kind: &'static str,
    },
    /// The message does not have the expected message type.
    #[error("unexpected message type {actual:#08x}, expected {expected:#08x}")]
    UnexpectedMessageType {
        /// Expected type.
        expected: i32,
        /// Type found.
        actual: i32,
    },
    /// A frame with unexpected flags was found where a particular kind of frame was required.
    #[error("expected {expected}, found a frame with flags {flags:#06x}")]
    UnexpectedFrame {
        /// What the decoder expected.
        expected: &'static str,
        /// Flags of the frame found.
        flags: u16,
    },
    /// The message ended where a frame was still required.
    #[error("message ended while reading {0}")]
    MissingFrame(&'static str),
    /// Nested structures go deeper than the decoder allows.
    #[error("structures nested deeper than {0} levels")]
    NestingTooDeep(usize),
    /// A frame's length does not fit the fixed-size element layout it should hold.
    #[error("{what}: payload of {len} bytes is not a multiple of {element} bytes")]
    BadLength {
        /// What was being read.
        what: &'static str,
        /// Payload length.
        len: usize,
        /// Element size.
        element: usize,
    },
    /// A string is not valid UTF-8.
    #[error("string is not valid UTF-8")]
    InvalidUtf8,
    /// A null value where the protocol does not allow one (for example a non-nullable UUID).
    #[error("null value for non-nullable {0}")]
    UnexpectedNull(&'static str),
    /// A fragmented message arrived while fragments are not allowed (before authentication).
    #[error("fragmented messages are not allowed on this connection yet")]
    FragmentsNotAllowed,
    /// A middle or last fragment arrived for a fragment id that was never begun.
    #[error("fragment for unknown fragment id {0}")]
    UnknownFragment(i64),
    /// A begin fragment reused the id of a message still being reassembled.
    #[error("duplicate begin fragment for fragment id {0}")]
    DuplicateFragment(i64),
    /// Too many messages are being reassembled at the same time.
    #[error("more than {0} fragmented messages in flight")]
    TooManyPartialMessages(usize),
}
