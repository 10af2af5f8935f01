//! Frames: `i32 LE length | u16 LE flags | payload`, the unit every message is made of.

use crate::error::DecodeError;

/// Size of a frame header: the 4-byte length and the 2-byte flags.
pub const FRAME_HEADER_SIZE: usize = 6;

/// Flag bits of a frame.
pub mod flags {
    /// First fragment of a fragmented message.
    pub const BEGIN_FRAGMENT: u16 = 0x8000;
    /// Last fragment of a fragmented message.
    pub const END_FRAGMENT: u16 = 0x4000;
    /// Both fragment bits: set on the initial frame of every unfragmented message.
    pub const UNFRAGMENTED_MESSAGE: u16 = BEGIN_FRAGMENT | END_FRAGMENT;
    /// Last frame of a message.
    pub const IS_FINAL: u16 = 0x2000;
    /// Opens a custom type, list or map.
    pub const BEGIN_DATA_STRUCTURE: u16 = 0x1000;
    /// Closes a custom type, list or map.
    pub const END_DATA_STRUCTURE: u16 = 0x0800;
    /// Stands for a null value.
    pub const IS_NULL: u16 = 0x0400;
    /// Initial frame of an event message.
    pub const IS_EVENT: u16 = 0x0200;
    /// Request flag: the client wants backup acknowledgements.
    pub const BACKUP_AWARE: u16 = 0x0100;
    /// Event flag: a backup acknowledgement event.
    pub const BACKUP_EVENT: u16 = 0x0080;
}

/// One frame borrowed from an encoded message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRef<'a> {
    /// The frame's flags.
    pub flags: u16,
    /// The bytes after the 6-byte header.
    pub payload: &'a [u8],
}

impl FrameRef<'_> {
    /// True when `flag` (one or more bits) is fully set.
    #[inline]
    pub fn has(&self, flag: u16) -> bool {
        self.flags & flag == flag
    }

    /// True for a BEGIN_DATA_STRUCTURE frame.
    #[inline]
    pub fn is_begin(&self) -> bool {
        self.has(flags::BEGIN_DATA_STRUCTURE)
    }

    /// True for an END_DATA_STRUCTURE frame.
    #[inline]
    pub fn is_end(&self) -> bool {
        self.has(flags::END_DATA_STRUCTURE)
    }

    /// True for a NULL frame.
    #[inline]
    pub fn is_null(&self) -> bool {
        self.has(flags::IS_NULL)
    }

    /// True for the last frame of a message.
    #[inline]
    pub fn is_final(&self) -> bool {
        self.has(flags::IS_FINAL)
    }

    /// Length of the frame on the wire, header included.
    #[inline]
    pub fn wire_len(&self) -> usize {
        FRAME_HEADER_SIZE + self.payload.len()
    }
}

/// Reads the header of the frame starting at `pos`: its total length and flags.
///
/// Returns `Ok(None)` when fewer than 6 bytes are available.
///
/// # Errors
/// [`DecodeError::FrameTooShort`] when the announced length is below 6.
#[inline]
pub fn read_header(buf: &[u8], pos: usize) -> Result<Option<(usize, u16)>, DecodeError> {
    let Some(h) = buf.get(pos..pos.saturating_add(FRAME_HEADER_SIZE)) else {
        return Ok(None);
    };
    let len = i32::from_le_bytes([h[0], h[1], h[2], h[3]]);
    if len < FRAME_HEADER_SIZE as i32 {
        return Err(DecodeError::FrameTooShort(i64::from(len)));
    }
    let flags = u16::from_le_bytes([h[4], h[5]]);
    Ok(Some((len as usize, flags)))
}

/// Reads the frame starting at `pos`, returning it and the position after it.
///
/// # Errors
/// [`DecodeError::FrameTooShort`] or [`DecodeError::Truncated`].
#[inline]
pub fn read_frame(buf: &[u8], pos: usize) -> Result<(FrameRef<'_>, usize), DecodeError> {
    let available = buf.len().saturating_sub(pos);
    let Some((len, flags)) = read_header(buf, pos)? else {
        return Err(DecodeError::Truncated {
            what: "frame header",
            needed: FRAME_HEADER_SIZE,
            available,
        });
    };
    let end = pos.saturating_add(len);
    let Some(payload) = buf.get(pos + FRAME_HEADER_SIZE..end) else {
        return Err(DecodeError::Truncated {
            what: "frame",
            needed: len,
            available,
        });
    };
    Ok((FrameRef { flags, payload }, end))
}

/// Appends a frame with `flags` and `payload` to `out`.
#[inline]
pub fn write_frame(out: &mut Vec<u8>, flags: u16, payload: &[u8]) {
    let len = (FRAME_HEADER_SIZE + payload.len()) as i32;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&flags.to_le_bytes());
    out.extend_from_slice(payload);
}

/// Iterates over the frames of an encoded byte sequence, stopping at the first error.
#[derive(Debug, Clone)]
pub struct FrameIter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> FrameIter<'a> {
    /// Iterates over the frames in `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }
}

impl<'a> Iterator for FrameIter<'a> {
    type Item = Result<FrameRef<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.buf.len() {
            return None;
        }
        match read_frame(self.buf, self.pos) {
            Ok((frame, next)) => {
                self.pos = next;
                Some(Ok(frame))
            }
            Err(e) => {
                self.pos = self.buf.len();
                Some(Err(e))
            }
        }
    }
}
