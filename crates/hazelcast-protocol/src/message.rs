//! Whole client messages: one contiguous buffer of frames, with cheap header access.
//!
//! A [`Message`] keeps the exact wire bytes of an unfragmented message. The header fields
//! (message type, correlation id, partition id, flags, backup acks) live at fixed offsets of
//! the initial frame, so reading or overwriting them costs a few byte copies.

use bytes::Bytes;

use crate::error::DecodeError;
use crate::frame::{self, FRAME_HEADER_SIZE, FrameIter, FrameRef, flags};

/// Offset of the message type inside the initial frame's payload.
pub const TYPE_OFFSET: usize = 0;
/// Offset of the correlation id inside the initial frame's payload.
pub const CORRELATION_ID_OFFSET: usize = 4;
/// Offset of the partition id (requests and events) inside the initial frame's payload.
pub const PARTITION_ID_OFFSET: usize = 12;
/// Offset of the backup-acks count (responses) inside the initial frame's payload.
pub const BACKUP_ACKS_OFFSET: usize = 12;
/// Offset of the first fixed-size parameter of a request.
pub const REQUEST_FIXED_OFFSET: usize = 16;
/// Offset of the first fixed-size parameter of an event.
pub const EVENT_FIXED_OFFSET: usize = 16;
/// Offset of the first fixed-size parameter of a response.
pub const RESPONSE_FIXED_OFFSET: usize = 13;
/// Message type of the error response.
pub const ERROR_MESSAGE_TYPE: i32 = 0;

const MIN_INITIAL_PAYLOAD: usize = RESPONSE_FIXED_OFFSET;
// Absolute positions in the wire buffer (the initial frame starts at 0).
const FLAGS_POS: usize = 4;
const TYPE_POS: usize = FRAME_HEADER_SIZE + TYPE_OFFSET;
const CORRELATION_POS: usize = FRAME_HEADER_SIZE + CORRELATION_ID_OFFSET;
const PARTITION_POS: usize = FRAME_HEADER_SIZE + PARTITION_ID_OFFSET;

/// An encoded, unfragmented client message: its frames, the last one flagged IS_FINAL.
///
/// Invariants (checked by [`Message::from_bytes`]): the bytes are a sequence of well-formed
/// frames, only the last carries IS_FINAL, and the initial frame holds at least the 13-byte
/// response header.
///
/// A message built here owns its buffer; a message read by a
/// [`MessageDecoder`](crate::decoder::MessageDecoder) shares the decoder's read buffer
/// ([`Bytes`]), so that reading it copies nothing and the `Data` values a codec decodes from
/// it are slices of it (see [`shared_bytes`](Self::shared_bytes)).
#[derive(Clone)]
pub struct Message {
    buf: Buf,
}

#[derive(Clone)]
enum Buf {
    Owned(Vec<u8>),
    Shared(Bytes),
}

impl PartialEq for Message {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Message {}

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Message")
            .field("type", &format_args!("{:#08x}", self.message_type()))
            .field("correlation_id", &self.correlation_id())
            .field("flags", &format_args!("{:#06x}", self.flags()))
            .field("len", &self.as_bytes().len())
            .finish()
    }
}

impl Message {
    /// Checks and wraps the wire bytes of one unfragmented message.
    ///
    /// # Errors
    /// When the bytes are not frames, the final flag is missing or misplaced, or the initial
    /// frame is shorter than the 13-byte response header.
    pub fn from_bytes(buf: Vec<u8>) -> Result<Self, DecodeError> {
        validate(&buf)?;
        Ok(Self {
            buf: Buf::Owned(buf),
        })
    }

    /// Wraps bytes already checked by [`validate`].
    pub(crate) fn from_validated(buf: Vec<u8>) -> Self {
        Self {
            buf: Buf::Owned(buf),
        }
    }

    /// Wraps shared bytes already checked by [`validate`].
    pub(crate) fn from_validated_shared(buf: Bytes) -> Self {
        Self {
            buf: Buf::Shared(buf),
        }
    }

    /// The wire bytes.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        match &self.buf {
            Buf::Owned(v) => v,
            Buf::Shared(b) => b,
        }
    }

    /// The shared buffer of a message read by a decoder (`None` for one built here): codecs
    /// slice their `Data` values out of it instead of copying them.
    #[inline]
    pub fn shared_bytes(&self) -> Option<&Bytes> {
        match &self.buf {
            Buf::Owned(_) => None,
            Buf::Shared(b) => Some(b),
        }
    }

    /// Gives back the wire bytes (copied when they are shared).
    #[inline]
    pub fn into_bytes(self) -> Vec<u8> {
        match self.buf {
            Buf::Owned(v) => v,
            Buf::Shared(b) => Vec::from(b),
        }
    }

    /// Changes header bytes in place (a shared message is copied first: only messages
    /// built here are changed in practice).
    #[inline]
    fn edit(&mut self, f: impl FnOnce(&mut [u8])) {
        match &mut self.buf {
            Buf::Owned(v) => f(v),
            Buf::Shared(b) => {
                let mut v = b.to_vec();
                f(&mut v);
                self.buf = Buf::Owned(v);
            }
        }
    }

    /// Total size on the wire.
    #[inline]
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Always false: a message has at least its initial frame.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }

    #[inline]
    fn i32_at(&self, pos: usize) -> i32 {
        let mut b = [0u8; 4];
        if let Some(s) = self.as_bytes().get(pos..pos + 4) {
            b.copy_from_slice(s);
        }
        i32::from_le_bytes(b)
    }

    #[inline]
    fn initial_payload_len(&self) -> usize {
        (self.i32_at(0) as usize).saturating_sub(FRAME_HEADER_SIZE)
    }

    /// The message type (`service << 16 | method << 8 | k`).
    #[inline]
    pub fn message_type(&self) -> i32 {
        self.i32_at(TYPE_POS)
    }

    /// The correlation id.
    #[inline]
    pub fn correlation_id(&self) -> i64 {
        let mut b = [0u8; 8];
        if let Some(s) = self.as_bytes().get(CORRELATION_POS..CORRELATION_POS + 8) {
            b.copy_from_slice(s);
        }
        i64::from_le_bytes(b)
    }

    /// Overwrites the correlation id.
    #[inline]
    pub fn set_correlation_id(&mut self, id: i64) {
        self.edit(|buf| {
            if let Some(s) = buf.get_mut(CORRELATION_POS..CORRELATION_POS + 8) {
                s.copy_from_slice(&id.to_le_bytes());
            }
        });
    }

    /// The partition id of a request or event (−1 when it has none, or for a response whose
    /// initial frame is too short to hold one). Meaningless for responses.
    #[inline]
    pub fn partition_id(&self) -> i32 {
        if self.initial_payload_len() >= PARTITION_ID_OFFSET + 4 {
            self.i32_at(PARTITION_POS)
        } else {
            -1
        }
    }

    /// Overwrites the partition id of a request or event. Does nothing when the initial frame
    /// is too short to hold one.
    #[inline]
    pub fn set_partition_id(&mut self, partition_id: i32) {
        if self.initial_payload_len() >= PARTITION_ID_OFFSET + 4 {
            self.edit(|buf| {
                if let Some(s) = buf.get_mut(PARTITION_POS..PARTITION_POS + 4) {
                    s.copy_from_slice(&partition_id.to_le_bytes());
                }
            });
        }
    }

    /// The number of backup acknowledgements a response announces.
    #[inline]
    pub fn backup_acks(&self) -> u8 {
        self.as_bytes().get(PARTITION_POS).copied().unwrap_or(0)
    }

    /// Overwrites the backup-acks count of a response.
    #[inline]
    pub fn set_backup_acks(&mut self, acks: u8) {
        self.edit(|buf| {
            if let Some(b) = buf.get_mut(PARTITION_POS) {
                *b = acks;
            }
        });
    }

    /// Flags of the initial frame.
    #[inline]
    pub fn flags(&self) -> u16 {
        match self.as_bytes().get(FLAGS_POS..FLAGS_POS + 2) {
            Some(s) => u16::from_le_bytes([s[0], s[1]]),
            None => 0,
        }
    }

    /// Replaces the flags of the initial frame. IS_FINAL is kept as the message's structure
    /// requires (set exactly when the message has a single frame).
    #[inline]
    pub fn set_flags(&mut self, new_flags: u16) {
        let keep = self.flags() & flags::IS_FINAL;
        let value = (new_flags & !flags::IS_FINAL) | keep;
        self.edit(|buf| {
            if let Some(s) = buf.get_mut(FLAGS_POS..FLAGS_POS + 2) {
                s.copy_from_slice(&value.to_le_bytes());
            }
        });
    }

    /// Sets or clears `flag` on the initial frame (for example [`flags::BACKUP_AWARE`]).
    #[inline]
    pub fn set_flag(&mut self, flag: u16, on: bool) {
        let f = self.flags();
        self.set_flags(if on { f | flag } else { f & !flag });
    }

    /// True when the initial frame carries IS_EVENT.
    #[inline]
    pub fn is_event(&self) -> bool {
        self.flags() & flags::IS_EVENT != 0
    }

    /// True when the initial frame carries BACKUP_EVENT.
    #[inline]
    pub fn is_backup_event(&self) -> bool {
        self.flags() & flags::BACKUP_EVENT != 0
    }

    /// True when the initial frame carries BACKUP_AWARE.
    #[inline]
    pub fn is_backup_aware(&self) -> bool {
        self.flags() & flags::BACKUP_AWARE != 0
    }

    /// The frames of the message, initial frame first.
    pub fn frames(&self) -> FrameIter<'_> {
        FrameIter::new(self.as_bytes())
    }

    /// The initial frame.
    pub fn initial_frame(&self) -> FrameRef<'_> {
        match frame::read_frame(self.as_bytes(), 0) {
            Ok((f, _)) => f,
            Err(_) => FrameRef {
                flags: 0,
                payload: &[],
            },
        }
    }

    /// Splits the message into fragments of roughly `max_fragment_size` bytes (never
    /// splitting a frame), each starting with a fragmentation frame that carries
    /// `fragment_id`. A message that fits in one fragment is returned whole, unchanged.
    pub fn to_fragments(&self, max_fragment_size: usize, fragment_id: i64) -> Vec<Vec<u8>> {
        if self.len() <= max_fragment_size {
            return vec![self.as_bytes().to_vec()];
        }
        let frames: Vec<(usize, usize)> = {
            let mut v = Vec::new();
            let mut pos = 0;
            while let Ok((f, next)) = frame::read_frame(self.as_bytes(), pos) {
                v.push((pos, f.wire_len()));
                pos = next;
            }
            v
        };
        let mut groups: Vec<Vec<(usize, usize)>> = Vec::new();
        let mut current: Vec<(usize, usize)> = Vec::new();
        let mut size = FRAME_HEADER_SIZE + 8;
        for fr in frames {
            if !current.is_empty() && size + fr.1 > max_fragment_size {
                groups.push(std::mem::take(&mut current));
                size = FRAME_HEADER_SIZE + 8;
            }
            size += fr.1;
            current.push(fr);
        }
        if !current.is_empty() {
            groups.push(current);
        }
        let n = groups.len();
        groups
            .into_iter()
            .enumerate()
            .map(|(i, group)| {
                let mut f = 0;
                if i == 0 {
                    f |= flags::BEGIN_FRAGMENT;
                }
                if i + 1 == n {
                    f |= flags::END_FRAGMENT;
                }
                let mut out = Vec::with_capacity(size + 64);
                frame::write_frame(&mut out, f, &fragment_id.to_le_bytes());
                let last = group.len() - 1;
                for (j, (pos, len)) in group.into_iter().enumerate() {
                    let start = out.len();
                    out.extend_from_slice(&self.as_bytes()[pos..pos + len]);
                    let mut fl = u16::from_le_bytes([out[start + 4], out[start + 5]]);
                    fl &= !flags::IS_FINAL;
                    if j == last {
                        fl |= flags::IS_FINAL;
                    }
                    out[start + 4..start + 6].copy_from_slice(&fl.to_le_bytes());
                }
                out
            })
            .collect()
    }
}

/// Checks that `buf` is one whole unfragmented message (see [`Message`]'s invariants).
///
/// # Errors
/// The first problem found.
pub fn validate(buf: &[u8]) -> Result<(), DecodeError> {
    let mut pos = 0;
    let mut first = true;
    loop {
        let (f, next) = frame::read_frame(buf, pos)?;
        if first {
            if f.payload.len() < MIN_INITIAL_PAYLOAD {
                return Err(DecodeError::InitialFrameTooShort {
                    len: f.payload.len(),
                    kind: "response",
                });
            }
            first = false;
        }
        pos = next;
        if f.is_final() {
            return if pos == buf.len() {
                Ok(())
            } else {
                Err(DecodeError::UnexpectedFrame {
                    expected: "end of message after the final frame",
                    flags: f.flags,
                })
            };
        }
        if pos >= buf.len() {
            return Err(DecodeError::MissingFinalFrame);
        }
    }
}

/// Builds a message frame by frame into one buffer.
///
/// The initial frame is open after construction: fixed-size parameters are appended to it
/// with the `put_*` methods; the first var-sized frame closes it.
#[derive(Debug)]
pub struct MessageWriter {
    pub(crate) buf: Vec<u8>,
    last_frame: usize,
    open: Option<usize>,
}

impl MessageWriter {
    fn with_initial(
        mut buf: Vec<u8>,
        message_type: i32,
        frame_flags: u16,
        header_tail: &[u8],
        capacity: usize,
    ) -> Self {
        buf.clear();
        buf.reserve(capacity.max(64));
        buf.extend_from_slice(&0i32.to_le_bytes());
        buf.extend_from_slice(&frame_flags.to_le_bytes());
        buf.extend_from_slice(&message_type.to_le_bytes());
        buf.extend_from_slice(&0i64.to_le_bytes());
        buf.extend_from_slice(header_tail);
        Self {
            buf,
            last_frame: 0,
            open: Some(0),
        }
    }

    /// Starts a request: correlation id 0, partition id −1. `capacity` is a size hint.
    pub fn request(message_type: i32, capacity: usize) -> Self {
        Self::request_in(Vec::new(), message_type, capacity)
    }

    /// As [`request`](Self::request), written into `buf` (its contents are dropped, its
    /// allocation reused: a buffer of an earlier message, see [`Message::into_bytes`]).
    pub fn request_in(buf: Vec<u8>, message_type: i32, capacity: usize) -> Self {
        Self::with_initial(
            buf,
            message_type,
            flags::UNFRAGMENTED_MESSAGE,
            &(-1i32).to_le_bytes(),
            capacity,
        )
    }

    /// Starts a response: correlation id 0, backup acks 0. `capacity` is a size hint.
    pub fn response(message_type: i32, capacity: usize) -> Self {
        Self::with_initial(
            Vec::new(),
            message_type,
            flags::UNFRAGMENTED_MESSAGE,
            &[0],
            capacity,
        )
    }

    /// Starts an event: IS_EVENT set, correlation id 0, partition id −1.
    pub fn event(message_type: i32, capacity: usize) -> Self {
        Self::with_initial(
            Vec::new(),
            message_type,
            flags::UNFRAGMENTED_MESSAGE | flags::IS_EVENT,
            &(-1i32).to_le_bytes(),
            capacity,
        )
    }

    #[inline]
    fn close_open(&mut self) {
        if let Some(start) = self.open.take() {
            let len = (self.buf.len() - start) as i32;
            self.buf[start..start + 4].copy_from_slice(&len.to_le_bytes());
        }
    }

    /// Opens a new frame with `frame_flags`; its payload is appended with `put_*`.
    #[inline]
    pub fn open_frame(&mut self, frame_flags: u16) {
        self.close_open();
        let start = self.buf.len();
        self.buf.extend_from_slice(&0i32.to_le_bytes());
        self.buf.extend_from_slice(&frame_flags.to_le_bytes());
        self.last_frame = start;
        self.open = Some(start);
    }

    /// Payload length of the open frame so far (0 when none is open).
    #[inline]
    pub fn open_payload_len(&self) -> usize {
        self.open
            .map_or(0, |s| self.buf.len() - s - FRAME_HEADER_SIZE)
    }

    /// Cuts the open frame's payload back to `len` bytes (for omitted newer fixed fields).
    #[inline]
    pub fn truncate_open_payload(&mut self, len: usize) {
        if let Some(s) = self.open {
            let end = s + FRAME_HEADER_SIZE + len;
            if end < self.buf.len() {
                self.buf.truncate(end);
            }
        }
    }

    /// Appends raw bytes to the open frame.
    #[inline]
    pub fn put_bytes(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Appends a whole frame with `frame_flags` and `payload`.
    #[inline]
    pub fn frame(&mut self, frame_flags: u16, payload: &[u8]) {
        self.close_open();
        self.last_frame = self.buf.len();
        frame::write_frame(&mut self.buf, frame_flags, payload);
    }

    /// Appends a frame whose payload `write` appends to the message's buffer (a value
    /// serialized in place, without an intermediate copy) and returns that payload. After
    /// an error the message is incomplete: drop the writer.
    ///
    /// # Errors
    /// What `write` returns.
    pub fn frame_with<E>(
        &mut self,
        frame_flags: u16,
        write: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
    ) -> Result<&[u8], E> {
        self.open_frame(frame_flags);
        let start = self.buf.len();
        write(&mut self.buf)?;
        Ok(self.buf.get(start..).unwrap_or_default())
    }

    /// Appends a BEGIN_DATA_STRUCTURE frame.
    #[inline]
    pub fn begin_struct(&mut self) {
        self.frame(flags::BEGIN_DATA_STRUCTURE, &[]);
    }

    /// Appends an END_DATA_STRUCTURE frame.
    #[inline]
    pub fn end_struct(&mut self) {
        self.frame(flags::END_DATA_STRUCTURE, &[]);
    }

    /// Appends a NULL frame.
    #[inline]
    pub fn null(&mut self) {
        self.frame(flags::IS_NULL, &[]);
    }

    /// Closes the last frame, marks it IS_FINAL and returns the message.
    pub fn finish(mut self) -> Message {
        self.close_open();
        let p = self.last_frame + 4;
        let f = u16::from_le_bytes([self.buf[p], self.buf[p + 1]]) | flags::IS_FINAL;
        self.buf[p..p + 2].copy_from_slice(&f.to_le_bytes());
        Message::from_validated(self.buf)
    }
}
