//! Encoders and decoders of the protocol's built-in types (fixed-size values, strings,
//! `Data`, lists, maps, entry lists), used by the generated codecs.

use bytes::Bytes;
use uuid::Uuid;

use crate::data::Data;
use crate::error::DecodeError;
use crate::frame::{self, FrameRef, flags};
use crate::message::{Message, MessageWriter};

/// How deep custom types, lists and maps may nest before decoding gives up.
pub const MAX_NESTING: usize = 32;

/// A fixed-size protocol type: `boolean`, `byte`, `int`, `long`, `float`, `UUID`.
pub trait FixedSize: Sized {
    /// Encoded size in bytes.
    const SIZE: usize;
    /// Reads the value from exactly [`Self::SIZE`] bytes.
    ///
    /// # Errors
    /// When the encoding is invalid for the type (a null non-nullable UUID).
    fn read(b: &[u8]) -> Result<Self, DecodeError>;
    /// Appends the encoding to `out`.
    fn write(&self, out: &mut Vec<u8>);
}

impl FixedSize for bool {
    const SIZE: usize = 1;
    #[inline]
    fn read(b: &[u8]) -> Result<Self, DecodeError> {
        Ok(b.first().copied().unwrap_or(0) != 0)
    }
    #[inline]
    fn write(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
}

impl FixedSize for u8 {
    const SIZE: usize = 1;
    #[inline]
    fn read(b: &[u8]) -> Result<Self, DecodeError> {
        Ok(b.first().copied().unwrap_or(0))
    }
    #[inline]
    fn write(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }
}

macro_rules! fixed_le {
    ($t:ty, $n:expr) => {
        impl FixedSize for $t {
            const SIZE: usize = $n;
            #[inline]
            fn read(b: &[u8]) -> Result<Self, DecodeError> {
                let mut a = [0u8; $n];
                a.copy_from_slice(b.get(..$n).ok_or(DecodeError::Truncated {
                    what: stringify!($t),
                    needed: $n,
                    available: b.len(),
                })?);
                Ok(<$t>::from_le_bytes(a))
            }
            #[inline]
            fn write(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
        }
    };
}
fixed_le!(i32, 4);
fixed_le!(i64, 8);
fixed_le!(f32, 4);

impl FixedSize for Option<Uuid> {
    const SIZE: usize = 17;
    #[inline]
    fn read(b: &[u8]) -> Result<Self, DecodeError> {
        if bool::read(b)? {
            return Ok(None);
        }
        let most = i64::read(b.get(1..).unwrap_or(&[]))?;
        let least = i64::read(b.get(9..).unwrap_or(&[]))?;
        Ok(Some(Uuid::from_u64_pair(most as u64, least as u64)))
    }
    #[inline]
    fn write(&self, out: &mut Vec<u8>) {
        match self {
            None => {
                out.push(1);
                out.extend_from_slice(&[0; 16]);
            }
            Some(u) => {
                let (most, least) = u.as_u64_pair();
                out.push(0);
                out.extend_from_slice(&most.to_le_bytes());
                out.extend_from_slice(&least.to_le_bytes());
            }
        }
    }
}

impl FixedSize for Uuid {
    const SIZE: usize = 17;
    #[inline]
    fn read(b: &[u8]) -> Result<Self, DecodeError> {
        <Option<Uuid>>::read(b)?.ok_or(DecodeError::UnexpectedNull("UUID"))
    }
    #[inline]
    fn write(&self, out: &mut Vec<u8>) {
        Some(*self).write(out);
    }
}

/// Reads the fixed-size value at `offset` of an initial frame's payload.
///
/// # Errors
/// [`DecodeError::Truncated`] when the payload is too short.
#[inline]
pub fn fixed<T: FixedSize>(payload: &[u8], offset: usize) -> Result<T, DecodeError> {
    match payload.get(offset..offset + T::SIZE) {
        Some(b) => T::read(b),
        None => Err(DecodeError::Truncated {
            what: "fixed-size parameter",
            needed: offset + T::SIZE,
            available: payload.len(),
        }),
    }
}

/// Reads a fixed-size value added in a later protocol version: `None` when the payload
/// ends before it (the peer speaks an older version).
///
/// # Errors
/// When present but invalid.
#[inline]
pub fn fixed_since<T: FixedSize>(payload: &[u8], offset: usize) -> Result<Option<T>, DecodeError> {
    match payload.get(offset..offset + T::SIZE) {
        Some(b) => T::read(b).map(Some),
        None => Ok(None),
    }
}

fn list_of_fixed<T: FixedSize>(payload: &[u8], what: &'static str) -> Result<Vec<T>, DecodeError> {
    if !payload.len().is_multiple_of(T::SIZE) {
        return Err(DecodeError::BadLength {
            what,
            len: payload.len(),
            element: T::SIZE,
        });
    }
    payload.chunks_exact(T::SIZE).map(T::read).collect()
}

/// Reads the frames of a message in order, with the protocol's compatibility rules.
#[derive(Debug, Clone)]
pub struct FrameReader<'a> {
    buf: &'a [u8],
    /// The shared buffer `buf` is, for a message read by a decoder: `Data` values are
    /// sliced out of it instead of copied.
    shared: Option<&'a Bytes>,
    pos: usize,
    depth: usize,
}

impl<'a> FrameReader<'a> {
    /// A reader at the start (initial frame) of `message`.
    pub fn new(message: &'a Message) -> Self {
        Self {
            buf: message.as_bytes(),
            shared: message.shared_bytes(),
            pos: 0,
            depth: 0,
        }
    }

    /// A reader over raw frame bytes.
    pub fn from_bytes(buf: &'a [u8]) -> Self {
        Self {
            buf,
            shared: None,
            pos: 0,
            depth: 0,
        }
    }

    /// The next frame without consuming it; `None` at the end (or on malformed bytes).
    #[inline]
    pub fn peek(&self) -> Option<FrameRef<'a>> {
        if self.pos >= self.buf.len() {
            return None;
        }
        frame::read_frame(self.buf, self.pos).ok().map(|(f, _)| f)
    }

    /// True when another frame follows.
    #[inline]
    pub fn has_next(&self) -> bool {
        self.pos < self.buf.len()
    }

    /// True when the next frame closes a structure (or the message ends).
    #[inline]
    pub fn next_is_end(&self) -> bool {
        self.peek().is_none_or(|f| f.is_end())
    }

    /// Consumes the next frame.
    ///
    /// # Errors
    /// [`DecodeError::MissingFrame`] at the end of the message, or malformed frame bytes.
    #[inline]
    pub fn next_frame(&mut self, what: &'static str) -> Result<FrameRef<'a>, DecodeError> {
        if self.pos >= self.buf.len() {
            return Err(DecodeError::MissingFrame(what));
        }
        let (f, next) = frame::read_frame(self.buf, self.pos)?;
        self.pos = next;
        Ok(f)
    }

    /// Consumes the initial frame and checks the message type and header size.
    ///
    /// # Errors
    /// On a different message type or a frame shorter than `header` bytes.
    pub fn initial(&mut self, message_type: i32, header: usize) -> Result<&'a [u8], DecodeError> {
        let f = self.next_frame("initial frame")?;
        if f.payload.len() < header {
            return Err(DecodeError::InitialFrameTooShort {
                len: f.payload.len(),
                kind: if header == crate::message::RESPONSE_FIXED_OFFSET {
                    "response"
                } else {
                    "request or event"
                },
            });
        }
        let actual = fixed::<i32>(f.payload, 0)?;
        if actual != message_type {
            return Err(DecodeError::UnexpectedMessageType {
                expected: message_type,
                actual,
            });
        }
        Ok(f.payload)
    }

    /// Consumes a non-structural frame (not BEGIN, END or NULL) and returns its payload.
    #[inline]
    fn value_frame(&mut self, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let f = self.next_frame(what)?;
        if f.flags & (flags::BEGIN_DATA_STRUCTURE | flags::END_DATA_STRUCTURE | flags::IS_NULL) != 0
        {
            return Err(DecodeError::UnexpectedFrame {
                expected: what,
                flags: f.flags,
            });
        }
        Ok(f.payload)
    }

    /// Consumes the frame holding a custom type's fixed-size fields.
    ///
    /// # Errors
    /// When the next frame is missing or structural.
    #[inline]
    pub fn fixed_frame(&mut self, what: &'static str) -> Result<&'a [u8], DecodeError> {
        self.value_frame(what)
    }

    /// Consumes a BEGIN_DATA_STRUCTURE frame.
    ///
    /// # Errors
    /// When the next frame is something else, or nesting is too deep.
    pub fn begin(&mut self, what: &'static str) -> Result<(), DecodeError> {
        let f = self.next_frame(what)?;
        if !f.is_begin() {
            return Err(DecodeError::UnexpectedFrame {
                expected: what,
                flags: f.flags,
            });
        }
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(DecodeError::NestingTooDeep(MAX_NESTING));
        }
        Ok(())
    }

    /// Skips every frame up to and including the END frame matching the last
    /// [`begin`](Self::begin), tracking nested structures (unknown newer fields).
    ///
    /// # Errors
    /// When the message ends first.
    pub fn end(&mut self) -> Result<(), DecodeError> {
        let mut nested = 0usize;
        loop {
            let f = self.next_frame("end of structure")?;
            if f.is_end() {
                if nested == 0 {
                    self.depth = self.depth.saturating_sub(1);
                    return Ok(());
                }
                nested -= 1;
            } else if f.is_begin() {
                nested += 1;
            }
        }
    }

    /// Reads a nullable value: a NULL frame gives `None`, anything else is read with `f`.
    ///
    /// # Errors
    /// Whatever `f` fails with.
    #[inline]
    pub fn nullable<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Option<T>, DecodeError> {
        if self.peek().is_some_and(|fr| fr.is_null()) {
            self.next_frame("NULL frame")?;
            return Ok(None);
        }
        f(self).map(Some)
    }

    /// Reads a var-sized parameter added in a later version of a top-level message:
    /// `None` when the message has no more frames.
    ///
    /// # Errors
    /// Whatever `f` fails with.
    #[inline]
    pub fn since<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Option<T>, DecodeError> {
        if self.has_next() {
            f(self).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Reads a var-sized field added in a later version of a custom type: `None` when the
    /// next frame ends the structure.
    ///
    /// # Errors
    /// Whatever `f` fails with.
    #[inline]
    pub fn since_in_struct<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Option<T>, DecodeError> {
        if self.next_is_end() {
            Ok(None)
        } else {
            f(self).map(Some)
        }
    }

    /// Reads a `String` frame.
    ///
    /// # Errors
    /// Wrong frame kind or invalid UTF-8.
    #[inline]
    pub fn string(&mut self) -> Result<String, DecodeError> {
        let p = self.value_frame("String frame")?;
        crate::serialization::utf8(p)
            .map(str::to_owned)
            .map_err(|_| DecodeError::InvalidUtf8)
    }

    /// Reads a `Data` frame.
    ///
    /// # Errors
    /// Wrong frame kind.
    #[inline]
    pub fn data(&mut self) -> Result<Data, DecodeError> {
        let p = self.value_frame("Data frame")?;
        Ok(match self.shared {
            // `p` lies inside `buf`, which is the shared buffer's content.
            Some(b) if !p.is_empty() => Data::from_shared(b.slice_ref(p)),
            _ => Data::from_bytes(p.to_vec()),
        })
    }

    /// Reads a `byteArray` frame.
    ///
    /// # Errors
    /// Wrong frame kind.
    #[inline]
    pub fn byte_array(&mut self) -> Result<Vec<u8>, DecodeError> {
        Ok(self.value_frame("byteArray frame")?.to_vec())
    }

    /// Reads a frame of fixed-size elements (`longArray`, `List_Integer`, `List_UUID`, ...).
    ///
    /// # Errors
    /// Wrong frame kind or a length that is not a multiple of the element size.
    #[inline]
    pub fn list_fixed<T: FixedSize>(&mut self) -> Result<Vec<T>, DecodeError> {
        let p = self.value_frame("fixed-size list frame")?;
        list_of_fixed(p, "fixed-size list")
    }

    /// Reads a frame of fixed-size key/value pairs (`EntryList_UUID_Long`, ...).
    ///
    /// # Errors
    /// Wrong frame kind or bad length.
    pub fn entry_list_fixed<K: FixedSize, V: FixedSize>(
        &mut self,
    ) -> Result<Vec<(K, V)>, DecodeError> {
        let p = self.value_frame("fixed-size entry list frame")?;
        let entry = K::SIZE + V::SIZE;
        if !p.len().is_multiple_of(entry) {
            return Err(DecodeError::BadLength {
                what: "fixed-size entry list",
                len: p.len(),
                element: entry,
            });
        }
        p.chunks_exact(entry)
            .map(|c| Ok((K::read(&c[..K::SIZE])?, V::read(&c[K::SIZE..])?)))
            .collect()
    }

    /// Reads `BEGIN, item*, END`, each item read with `f`.
    ///
    /// # Errors
    /// Structure errors or whatever `f` fails with.
    pub fn list_var<T>(
        &mut self,
        mut f: impl FnMut(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        self.begin("list begin frame")?;
        let mut out = Vec::new();
        while !self.next_is_end() {
            out.push(f(self)?);
        }
        self.end()?;
        Ok(out)
    }

    /// Reads `BEGIN, (item | NULL)*, END` (`ListCN_*`).
    ///
    /// # Errors
    /// Structure errors or whatever `f` fails with.
    pub fn list_nullable<T>(
        &mut self,
        mut f: impl FnMut(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Vec<Option<T>>, DecodeError> {
        self.list_var(|r| r.nullable(&mut f))
    }

    /// Reads `BEGIN, k0, v0, k1, v1, ..., END`.
    ///
    /// # Errors
    /// Structure errors or whatever `k`/`v` fail with.
    pub fn entry_list_var<K, V>(
        &mut self,
        mut k: impl FnMut(&mut Self) -> Result<K, DecodeError>,
        mut v: impl FnMut(&mut Self) -> Result<V, DecodeError>,
    ) -> Result<Vec<(K, V)>, DecodeError> {
        self.list_var(|r| Ok((k(r)?, v(r)?)))
    }

    /// Reads `EntryList_UUID_List_Integer`: `BEGIN, List_Integer*, END, List_UUID`.
    ///
    /// # Errors
    /// Structure errors, or a key count that differs from the value count.
    pub fn entry_list_uuid_list_integer(&mut self) -> Result<Vec<(Uuid, Vec<i32>)>, DecodeError> {
        let values = self.list_var(|r| r.list_fixed::<i32>())?;
        let keys = self.list_fixed::<Uuid>()?;
        if keys.len() != values.len() {
            return Err(DecodeError::BadLength {
                what: "EntryList_UUID_List_Integer keys",
                len: keys.len(),
                element: values.len(),
            });
        }
        Ok(keys.into_iter().zip(values).collect())
    }
}

impl MessageWriter {
    /// Appends a fixed-size value to the open frame.
    #[inline]
    pub fn put<T: FixedSize>(&mut self, v: &T) {
        v.write(&mut self.buf);
    }

    /// Writes a nullable value: `None` becomes a NULL frame.
    #[inline]
    pub fn nullable<T: ?Sized>(&mut self, v: Option<&T>, f: impl FnOnce(&mut Self, &T)) {
        match v {
            Some(v) => f(self, v),
            None => self.null(),
        }
    }

    /// Writes a `String` frame.
    #[inline]
    pub fn string(&mut self, s: &str) {
        self.frame(0, s.as_bytes());
    }

    /// Writes a `Data` frame.
    #[inline]
    pub fn data(&mut self, d: &Data) {
        self.frame(0, d.as_bytes());
    }

    /// Writes a `byteArray` frame.
    #[inline]
    pub fn byte_array(&mut self, b: &[u8]) {
        self.frame(0, b);
    }

    /// Writes one frame of fixed-size elements.
    pub fn list_fixed<T: FixedSize>(&mut self, items: &[T]) {
        self.open_frame(0);
        for i in items {
            self.put(i);
        }
    }

    /// Writes one frame of fixed-size key/value pairs.
    pub fn entry_list_fixed<K: FixedSize, V: FixedSize>(&mut self, items: &[(K, V)]) {
        self.open_frame(0);
        for (k, v) in items {
            self.put(k);
            self.put(v);
        }
    }

    /// Writes `BEGIN, item*, END`.
    pub fn list_var<T>(&mut self, items: &[T], mut f: impl FnMut(&mut Self, &T)) {
        self.begin_struct();
        for i in items {
            f(self, i);
        }
        self.end_struct();
    }

    /// Writes `BEGIN, (item | NULL)*, END`.
    pub fn list_nullable<T>(&mut self, items: &[Option<T>], mut f: impl FnMut(&mut Self, &T)) {
        self.begin_struct();
        for i in items {
            self.nullable(i.as_ref(), &mut f);
        }
        self.end_struct();
    }

    /// Writes `BEGIN, k0, v0, ..., END`.
    pub fn entry_list_var<K, V>(
        &mut self,
        items: &[(K, V)],
        mut k: impl FnMut(&mut Self, &K),
        mut v: impl FnMut(&mut Self, &V),
    ) {
        self.begin_struct();
        for (a, b) in items {
            k(self, a);
            v(self, b);
        }
        self.end_struct();
    }

    /// Writes `EntryList_UUID_List_Integer`: `BEGIN, List_Integer*, END, List_UUID`.
    pub fn entry_list_uuid_list_integer(&mut self, items: &[(Uuid, Vec<i32>)]) {
        self.begin_struct();
        for (_, v) in items {
            self.list_fixed(v);
        }
        self.end_struct();
        self.open_frame(0);
        for (k, _) in items {
            self.put(k);
        }
    }
}
