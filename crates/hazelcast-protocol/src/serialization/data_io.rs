//! [`DataOutput`] and [`DataInput`]: the big-endian byte buffers every Hazelcast payload is
//! written to and read from.

use super::{Result, SerializationError};
use crate::data::{Data, HEADER_SIZE};

/// A growable big-endian output buffer (Hazelcast's `ObjectDataOutput`).
#[derive(Debug, Default, Clone)]
pub struct DataOutput {
    buf: Vec<u8>,
}

impl DataOutput {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty buffer with room for `cap` bytes.
    pub fn with_capacity(cap: usize) -> Self {
        Self {
            buf: Vec::with_capacity(cap),
        }
    }

    /// A buffer that already holds a `Data` header with hash 0 and `type_id`.
    pub fn with_header(type_id: i32, cap: usize) -> Self {
        let mut out = Self::with_capacity(HEADER_SIZE + cap);
        out.write_i32(0);
        out.write_i32(type_id);
        out
    }

    /// Bytes written so far.
    pub fn as_slice(&self) -> &[u8] {
        &self.buf
    }

    /// Number of bytes written so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The written bytes.
    pub fn into_vec(self) -> Vec<u8> {
        self.buf
    }

    /// The written bytes as `Data` (the caller wrote the header).
    pub fn into_data(self) -> Data {
        Data::from_bytes(self.buf)
    }

    /// Mutable access to the underlying bytes (for back-patching).
    pub fn buf_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Appends raw bytes.
    pub fn write_bytes(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }
    /// Appends one byte.
    pub fn write_u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    /// Appends a signed byte.
    pub fn write_i8(&mut self, v: i8) {
        self.buf.push(v as u8);
    }
    /// Appends a boolean as one byte (1 or 0).
    pub fn write_bool(&mut self, v: bool) {
        self.buf.push(u8::from(v));
    }
    /// Appends a big-endian `i16`.
    pub fn write_i16(&mut self, v: i16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    /// Appends a big-endian `u16`.
    pub fn write_u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    /// Appends a big-endian `i32`.
    pub fn write_i32(&mut self, v: i32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    /// Appends a big-endian `i64`.
    pub fn write_i64(&mut self, v: i64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    /// Appends a big-endian IEEE `f32`.
    pub fn write_f32(&mut self, v: f32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    /// Appends a big-endian IEEE `f64`.
    pub fn write_f64(&mut self, v: f64) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }
    /// Appends a length (as `i32`); lengths above `i32::MAX` are an error.
    ///
    /// # Errors
    /// [`SerializationError::InvalidLength`] when `len` does not fit an `i32`.
    pub fn write_len(&mut self, len: usize) -> Result<()> {
        let n = i32::try_from(len).map_err(|_| SerializationError::InvalidLength(len as i64))?;
        self.write_i32(n);
        Ok(())
    }
    /// Appends a string: UTF-8 byte length, then the bytes.
    ///
    /// # Errors
    /// When the string is longer than `i32::MAX` bytes.
    pub fn write_string(&mut self, s: &str) -> Result<()> {
        self.write_byte_array(s.as_bytes())
    }
    /// Appends a nullable string (null = length −1).
    ///
    /// # Errors
    /// When the string is longer than `i32::MAX` bytes.
    pub fn write_opt_string(&mut self, s: Option<&str>) -> Result<()> {
        match s {
            Some(s) => self.write_string(s),
            None => {
                self.write_i32(-1);
                Ok(())
            }
        }
    }
    /// Appends a byte array: length, then the bytes.
    ///
    /// # Errors
    /// When the array is longer than `i32::MAX` bytes.
    pub fn write_byte_array(&mut self, b: &[u8]) -> Result<()> {
        self.write_len(b.len())?;
        self.buf.extend_from_slice(b);
        Ok(())
    }
}

impl From<Vec<u8>> for DataOutput {
    /// Appends to an existing buffer.
    fn from(buf: Vec<u8>) -> Self {
        Self { buf }
    }
}

/// A bounds-checked big-endian reader over a byte slice (Hazelcast's `ObjectDataInput`).
#[derive(Debug, Clone)]
pub struct DataInput<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> DataInput<'a> {
    /// Reads `buf` from its start.
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Current offset.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Moves to an offset; past the end is an error.
    ///
    /// # Errors
    /// [`SerializationError::BadOffset`] when `pos` is beyond the input.
    pub fn set_position(&mut self, pos: usize) -> Result<()> {
        if pos > self.buf.len() {
            return Err(SerializationError::BadOffset(pos as i64));
        }
        self.pos = pos;
        Ok(())
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The whole input.
    pub fn buffer(&self) -> &'a [u8] {
        self.buf
    }

    /// Fails unless every byte was consumed.
    ///
    /// # Errors
    /// [`SerializationError::TrailingBytes`].
    pub fn finish(&self) -> Result<()> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(SerializationError::TrailingBytes(n)),
        }
    }

    /// Takes the next `n` bytes.
    ///
    /// # Errors
    /// [`SerializationError::Truncated`] when fewer are left.
    pub fn read_bytes(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.remaining() < n {
            return Err(SerializationError::Truncated {
                offset: self.pos,
                needed: n,
                available: self.remaining(),
            });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let s = self.read_bytes(N)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// Reads one byte.
    ///
    /// # Errors
    /// When the input is exhausted.
    pub fn read_u8(&mut self) -> Result<u8> {
        Ok(self.array::<1>()?[0])
    }
    /// Reads a signed byte.
    ///
    /// # Errors
    /// When the input is exhausted.
    pub fn read_i8(&mut self) -> Result<i8> {
        Ok(self.read_u8()? as i8)
    }
    /// Reads a boolean (any non-zero byte is true, as Java reads it).
    ///
    /// # Errors
    /// When the input is exhausted.
    pub fn read_bool(&mut self) -> Result<bool> {
        Ok(self.read_u8()? != 0)
    }
    /// Reads a big-endian `i16`.
    ///
    /// # Errors
    /// When the input is exhausted.
    pub fn read_i16(&mut self) -> Result<i16> {
        Ok(i16::from_be_bytes(self.array()?))
    }
    /// Reads a big-endian `u16`.
    ///
    /// # Errors
    /// When the input is exhausted.
    pub fn read_u16(&mut self) -> Result<u16> {
        Ok(u16::from_be_bytes(self.array()?))
    }
    /// Reads a big-endian `i32`.
    ///
    /// # Errors
    /// When the input is exhausted.
    pub fn read_i32(&mut self) -> Result<i32> {
        Ok(i32::from_be_bytes(self.array()?))
    }
    /// Reads a big-endian `i64`.
    ///
    /// # Errors
    /// When the input is exhausted.
    pub fn read_i64(&mut self) -> Result<i64> {
        Ok(i64::from_be_bytes(self.array()?))
    }
    /// Reads a big-endian `f32`.
    ///
    /// # Errors
    /// When the input is exhausted.
    pub fn read_f32(&mut self) -> Result<f32> {
        Ok(f32::from_be_bytes(self.array()?))
    }
    /// Reads a big-endian `f64`.
    ///
    /// # Errors
    /// When the input is exhausted.
    pub fn read_f64(&mut self) -> Result<f64> {
        Ok(f64::from_be_bytes(self.array()?))
    }

    /// Reads a length or count prefix: `None` for −1 (null). The count times `item_size`
    /// must fit in the remaining input, so a lying length never causes a large allocation.
    ///
    /// # Errors
    /// [`SerializationError::InvalidLength`] for other negative values or counts too large.
    pub fn read_len(&mut self, item_size: usize) -> Result<Option<usize>> {
        let n = self.read_i32()?;
        if n == -1 {
            return Ok(None);
        }
        let len = usize::try_from(n).map_err(|_| SerializationError::InvalidLength(n.into()))?;
        if len.saturating_mul(item_size) > self.remaining() {
            return Err(SerializationError::InvalidLength(n.into()));
        }
        Ok(Some(len))
    }

    /// Reads a nullable byte array.
    ///
    /// # Errors
    /// When the length lies or the input is exhausted.
    pub fn read_opt_byte_slice(&mut self) -> Result<Option<&'a [u8]>> {
        match self.read_len(1)? {
            None => Ok(None),
            Some(n) => self.read_bytes(n).map(Some),
        }
    }

    /// Reads a nullable string.
    ///
    /// # Errors
    /// When the length lies, the input is exhausted or the bytes are not UTF-8.
    pub fn read_opt_str(&mut self) -> Result<Option<&'a str>> {
        match self.read_opt_byte_slice()? {
            None => Ok(None),
            Some(b) => utf8(b).map(Some).map_err(SerializationError::InvalidUtf8),
        }
    }

    /// Reads a non-null string.
    ///
    /// # Errors
    /// As [`read_opt_str`](Self::read_opt_str), plus [`SerializationError::UnexpectedNull`].
    pub fn read_str(&mut self) -> Result<&'a str> {
        self.read_opt_str()?
            .ok_or(SerializationError::UnexpectedNull)
    }
}

/// Checks UTF-8 with SIMD on the valid path (the common one: every String value read goes
/// through here); the standard library describes the error on the invalid one.
pub(crate) fn utf8(b: &[u8]) -> std::result::Result<&str, std::str::Utf8Error> {
    match simdutf8::basic::from_utf8(b) {
        Ok(s) => Ok(s),
        Err(_) => std::str::from_utf8(b),
    }
}

#[cfg(test)]
mod tests {
    use super::utf8;

    #[test]
    fn utf8_accepts_what_std_accepts_and_reports_its_errors() {
        let long = "añ€😀".repeat(100);
        for s in ["", "ascii", "añ€😀", long.as_str()] {
            assert_eq!(utf8(s.as_bytes()), Ok(s));
        }
        for bad in [&b"\xff"[..], b"ab\xc3", b"\xed\xa0\x80", &[b'a'; 70][..]] {
            assert_eq!(utf8(bad), std::str::from_utf8(bad));
        }
        let mut long_bad = long.into_bytes();
        long_bad[150] = 0xff;
        let err = utf8(&long_bad).expect_err("invalid");
        assert_eq!(Some(err), std::str::from_utf8(&long_bad).err());
    }
}
