//! Incremental decoding of a byte stream into whole messages, with fragment reassembly.

use std::collections::HashMap;

use bytes::BytesMut;

use crate::error::DecodeError;
use crate::frame::{self, FRAME_HEADER_SIZE, flags};
use crate::message::{self, Message};

/// Limits of a [`MessageDecoder`] (and of the `tokio-codec` adapter).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecoderConfig {
    /// Largest accepted message, frames and fragments included, in bytes.
    pub max_message_size: usize,
    /// Whether fragmented messages are accepted (a member refuses them before authentication).
    pub allow_fragments: bool,
    /// Most fragmented messages being reassembled at once.
    pub max_partial_messages: usize,
    /// Most bytes held by all messages being reassembled together.
    pub max_partial_bytes: usize,
}

impl Default for DecoderConfig {
    /// Client side or authenticated member side: 64 MiB messages, fragments allowed,
    /// at most 64 partial messages holding at most 128 MiB together.
    fn default() -> Self {
        Self {
            max_message_size: 64 * 1024 * 1024,
            allow_fragments: true,
            max_partial_messages: 64,
            max_partial_bytes: 128 * 1024 * 1024,
        }
    }
}

impl DecoderConfig {
    /// What a member accepts before authentication: 4096-byte messages, no fragments
    /// (`hazelcast.client.protocol.max.message.bytes`).
    pub fn member_before_authentication() -> Self {
        Self {
            max_message_size: 4096,
            allow_fragments: false,
            max_partial_messages: 0,
            max_partial_bytes: 0,
        }
    }
}

/// Progress of [`scan_message`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scan {
    /// The first `n` bytes are one whole wire message (or fragment).
    Complete(usize),
    /// More bytes are needed; resume scanning at this offset.
    Incomplete(usize),
}

/// Walks frame headers of `buf` from `from` (a frame boundary, 0 at first) until a frame
/// with IS_FINAL is complete, enforcing `max_message_size`.
///
/// # Errors
/// A frame shorter than 6 bytes, or a message growing past the limit.
#[inline]
pub fn scan_message(buf: &[u8], from: usize, max_message_size: usize) -> Result<Scan, DecodeError> {
    let mut pos = from;
    loop {
        let Some((len, fl)) = frame::read_header(buf, pos)? else {
            return Ok(Scan::Incomplete(pos));
        };
        let end = pos.saturating_add(len);
        if end > max_message_size {
            return Err(DecodeError::MessageTooLarge {
                size: end,
                limit: max_message_size,
            });
        }
        if end > buf.len() {
            return Ok(Scan::Incomplete(pos));
        }
        pos = end;
        if fl & flags::IS_FINAL != 0 {
            return Ok(Scan::Complete(pos));
        }
    }
}

/// Joins fragments by fragment id, within the limits of a [`DecoderConfig`].
#[derive(Debug, Default)]
pub struct Reassembler {
    partials: HashMap<i64, Vec<u8>>,
    partial_bytes: usize,
}

impl Reassembler {
    /// An empty reassembler.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of messages being reassembled.
    pub fn pending(&self) -> usize {
        self.partials.len()
    }

    /// Takes one whole wire message or fragment (as delimited by [`scan_message`]) and
    /// returns a message when one is complete.
    ///
    /// # Errors
    /// Malformed frames, fragments when they are not allowed, unknown or duplicate fragment
    /// ids, or limits exceeded.
    pub fn push(
        &mut self,
        raw: Vec<u8>,
        config: &DecoderConfig,
    ) -> Result<Option<Message>, DecodeError> {
        let (first, rest_start) = frame::read_frame(&raw, 0)?;
        if first.has(flags::UNFRAGMENTED_MESSAGE) {
            message::validate(&raw)?;
            return Ok(Some(Message::from_validated(raw)));
        }
        if !config.allow_fragments {
            return Err(DecodeError::FragmentsNotAllowed);
        }
        let id = crate::codec::builtin::fixed::<i64>(first.payload, 0)?;
        let rest = &raw[rest_start..];
        let is_begin = first.has(flags::BEGIN_FRAGMENT);
        let is_end = first.has(flags::END_FRAGMENT);
        if is_begin {
            if self.partials.contains_key(&id) {
                return Err(DecodeError::DuplicateFragment(id));
            }
            if self.partials.len() >= config.max_partial_messages {
                return Err(DecodeError::TooManyPartialMessages(
                    config.max_partial_messages,
                ));
            }
        }
        let current = match self.partials.get(&id) {
            Some(p) => p.len(),
            None if is_begin => 0,
            None => return Err(DecodeError::UnknownFragment(id)),
        };
        let new_size = current + rest.len();
        if new_size > config.max_message_size {
            self.forget(id);
            return Err(DecodeError::MessageTooLarge {
                size: new_size,
                limit: config.max_message_size,
            });
        }
        if self.partial_bytes + rest.len() > config.max_partial_bytes {
            self.forget(id);
            return Err(DecodeError::MessageTooLarge {
                size: self.partial_bytes + rest.len(),
                limit: config.max_partial_bytes,
            });
        }
        let last_frame = last_frame_start(rest)?;
        let buf = self.partials.entry(id).or_default();
        let base = buf.len();
        buf.extend_from_slice(rest);
        self.partial_bytes += rest.len();
        if !is_end {
            // Only the final fragment's last frame ends the reassembled message.
            let p = base + last_frame + 4;
            let fl = u16::from_le_bytes([buf[p], buf[p + 1]]) & !flags::IS_FINAL;
            buf[p..p + 2].copy_from_slice(&fl.to_le_bytes());
            return Ok(None);
        }
        let done = self.partials.remove(&id).unwrap_or_default();
        self.partial_bytes -= done.len();
        message::validate(&done)?;
        Ok(Some(Message::from_validated(done)))
    }

    fn forget(&mut self, id: i64) {
        if let Some(p) = self.partials.remove(&id) {
            self.partial_bytes -= p.len();
        }
    }
}

fn last_frame_start(frames: &[u8]) -> Result<usize, DecodeError> {
    let mut pos = 0;
    let mut last = None;
    while pos < frames.len() {
        let (_, next) = frame::read_frame(frames, pos)?;
        last = Some(pos);
        pos = next;
    }
    last.ok_or(DecodeError::MissingFrame("fragment content"))
}

/// Turns chunks of a byte stream into whole messages.
///
/// Feed bytes with [`feed`](Self::feed) as they arrive, in chunks of any size, then call
/// [`next_message`](Self::next_message) until it returns `Ok(None)`. After an error the
/// stream is unusable: close the connection.
///
/// ```
/// use hazelcast_protocol::decoder::{DecoderConfig, MessageDecoder};
/// use hazelcast_protocol::codec::client::ClientPingRequest;
///
/// let bytes = ClientPingRequest {}.encode().into_bytes();
/// let mut decoder = MessageDecoder::new(DecoderConfig::default());
/// decoder.feed(&bytes[..7]);
/// assert!(decoder.next_message()?.is_none());
/// decoder.feed(&bytes[7..]);
/// let message = decoder.next_message()?.expect("a whole message");
/// assert_eq!(message.message_type(), ClientPingRequest::MESSAGE_TYPE);
/// # Ok::<(), hazelcast_protocol::error::DecodeError>(())
/// ```
#[derive(Debug)]
pub struct MessageDecoder {
    /// Bytes received and not yet returned. Whole messages are split off it without a copy
    /// (they share its allocation until they are dropped).
    buf: BytesMut,
    scan: usize,
    config: DecoderConfig,
    reassembler: Reassembler,
}

impl MessageDecoder {
    /// A decoder with the given limits.
    pub fn new(config: DecoderConfig) -> Self {
        Self {
            buf: BytesMut::new(),
            scan: 0,
            config,
            reassembler: Reassembler::new(),
        }
    }

    /// The current limits.
    pub fn config(&self) -> &DecoderConfig {
        &self.config
    }

    /// Changes the limits, for example after authentication.
    pub fn set_config(&mut self, config: DecoderConfig) {
        self.config = config;
    }

    /// Bytes received but not yet returned as messages.
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Appends received bytes.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// The decoder's own buffer, with room for at least `min_spare` more bytes: append
    /// received bytes to it directly (for example with tokio's `read_buf`) instead of
    /// reading into a buffer of your own and calling [`feed`](Self::feed), which saves a
    /// copy. Anything but appending corrupts the stream (reported as decode errors, never a
    /// panic).
    ///
    /// ```
    /// use hazelcast_protocol::decoder::{DecoderConfig, MessageDecoder};
    /// use hazelcast_protocol::codec::client::ClientPingRequest;
    ///
    /// let bytes = ClientPingRequest {}.encode().into_bytes();
    /// let mut decoder = MessageDecoder::new(DecoderConfig::default());
    /// decoder.buffer_for_read(4096).extend_from_slice(&bytes);
    /// assert!(decoder.next_message()?.is_some());
    /// # Ok::<(), hazelcast_protocol::error::DecodeError>(())
    /// ```
    pub fn buffer_for_read(&mut self, min_spare: usize) -> &mut BytesMut {
        if self.buf.capacity() - self.buf.len() < min_spare {
            // Reuses the allocation when every message split off it is gone.
            self.buf.reserve(min_spare);
        }
        &mut self.buf
    }

    /// The next whole message, or `Ok(None)` when more bytes are needed.
    ///
    /// # Errors
    /// Malformed or oversized input; see [`DecodeError`].
    pub fn next_message(&mut self) -> Result<Option<Message>, DecodeError> {
        loop {
            match scan_message(&self.buf, self.scan, self.config.max_message_size)? {
                Scan::Incomplete(at) => {
                    self.scan = at;
                    return Ok(None);
                }
                Scan::Complete(len) => {
                    // No copy: the message keeps its part of the read buffer.
                    let raw = self.buf.split_to(len.min(self.buf.len()));
                    self.scan = 0;
                    if raw.len() < FRAME_HEADER_SIZE {
                        return Err(DecodeError::FrameTooShort(raw.len() as i64));
                    }
                    let (first, _) = frame::read_frame(&raw, 0)?;
                    if first.has(flags::UNFRAGMENTED_MESSAGE) {
                        message::validate(&raw)?;
                        return Ok(Some(Message::from_validated_shared(raw.freeze())));
                    }
                    if let Some(m) = self.reassembler.push(raw.to_vec(), &self.config)? {
                        return Ok(Some(m));
                    }
                }
            }
        }
    }
}
