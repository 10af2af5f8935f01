//! Value types of the Compact kinds that have no direct Rust counterpart: decimals and
//! date/time values, laid out as Java's `BigDecimal`, `LocalTime`, `LocalDate`,
//! `LocalDateTime` and `OffsetDateTime`.

use crate::serialization::{DataInput, DataOutput, SerializationError};

/// An arbitrary-precision decimal: `unscaled × 10^(−scale)` (Java `BigDecimal`).
///
/// `unscaled` holds the big-endian two's-complement bytes of the unscaled integer, as
/// Java's `BigInteger.toByteArray()` produces them (shortest form, at least one byte).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Decimal {
    unscaled: Vec<u8>,
    /// Number of digits after the decimal point.
    pub scale: i32,
}

impl Decimal {
    /// From an unscaled integer and a scale, e.g. `(12345, 2)` is 123.45.
    pub fn new(unscaled: i128, scale: i32) -> Self {
        let bytes = unscaled.to_be_bytes();
        // Drop leading bytes that only repeat the sign.
        let mut start = 0;
        while start < 15 {
            let (b, next) = (bytes[start], bytes[start + 1]);
            let redundant = (b == 0x00 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0);
            if !redundant {
                break;
            }
            start += 1;
        }
        Self {
            unscaled: bytes[start..].to_vec(),
            scale,
        }
    }

    /// From raw two's-complement bytes (normalized to the shortest form; empty means 0).
    pub fn from_twos_complement(bytes: &[u8], scale: i32) -> Self {
        if bytes.is_empty() {
            return Self::new(0, scale);
        }
        let sign = if bytes[0] & 0x80 != 0 { 0xff } else { 0x00 };
        let mut start = 0;
        while start + 1 < bytes.len()
            && bytes[start] == sign
            && (bytes[start + 1] & 0x80 != 0) == (sign == 0xff)
        {
            start += 1;
        }
        Self {
            unscaled: bytes[start..].to_vec(),
            scale,
        }
    }

    /// The unscaled integer's two's-complement bytes.
    pub fn unscaled_bytes(&self) -> &[u8] {
        &self.unscaled
    }

    /// The unscaled integer, if it fits an `i128`.
    pub fn unscaled_i128(&self) -> Option<i128> {
        if self.unscaled.len() > 16 {
            return None;
        }
        let fill = if self.unscaled.first().is_some_and(|b| b & 0x80 != 0) {
            0xff
        } else {
            0
        };
        let mut buf = [fill; 16];
        buf[16 - self.unscaled.len()..].copy_from_slice(&self.unscaled);
        Some(i128::from_be_bytes(buf))
    }

    pub(crate) fn write(&self, out: &mut DataOutput) -> Result<(), SerializationError> {
        out.write_byte_array(&self.unscaled)?;
        out.write_i32(self.scale);
        Ok(())
    }

    pub(crate) fn read(input: &mut DataInput<'_>) -> Result<Self, SerializationError> {
        let bytes = input
            .read_opt_byte_slice()?
            .ok_or(SerializationError::UnexpectedNull)?;
        let scale = input.read_i32()?;
        Ok(Self::from_twos_complement(bytes, scale))
    }
}

/// A time of day without a date or zone (Java `LocalTime`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, PartialOrd, Ord)]
pub struct Time {
    /// 0–23.
    pub hour: i8,
    /// 0–59.
    pub minute: i8,
    /// 0–59.
    pub second: i8,
    /// 0–999,999,999.
    pub nano: i32,
}

impl Time {
    pub(crate) fn write(&self, out: &mut DataOutput) {
        out.write_i8(self.hour);
        out.write_i8(self.minute);
        out.write_i8(self.second);
        out.write_i32(self.nano);
    }
    pub(crate) fn read(input: &mut DataInput<'_>) -> Result<Self, SerializationError> {
        Ok(Self {
            hour: input.read_i8()?,
            minute: input.read_i8()?,
            second: input.read_i8()?,
            nano: input.read_i32()?,
        })
    }
}

/// A calendar date without a zone (Java `LocalDate`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, PartialOrd, Ord)]
pub struct Date {
    /// The proleptic year.
    pub year: i32,
    /// 1–12.
    pub month: i8,
    /// 1–31.
    pub day: i8,
}

impl Date {
    pub(crate) fn write(&self, out: &mut DataOutput) {
        out.write_i32(self.year);
        out.write_i8(self.month);
        out.write_i8(self.day);
    }
    pub(crate) fn read(input: &mut DataInput<'_>) -> Result<Self, SerializationError> {
        Ok(Self {
            year: input.read_i32()?,
            month: input.read_i8()?,
            day: input.read_i8()?,
        })
    }
}

/// A date and time without a zone (Java `LocalDateTime`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, PartialOrd, Ord)]
pub struct Timestamp {
    /// The date.
    pub date: Date,
    /// The time of day.
    pub time: Time,
}

impl Timestamp {
    pub(crate) fn write(&self, out: &mut DataOutput) {
        self.date.write(out);
        self.time.write(out);
    }
    pub(crate) fn read(input: &mut DataInput<'_>) -> Result<Self, SerializationError> {
        Ok(Self {
            date: Date::read(input)?,
            time: Time::read(input)?,
        })
    }
}

/// A date and time with an offset from UTC (Java `OffsetDateTime`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default, PartialOrd, Ord)]
pub struct TimestampWithTimezone {
    /// The local date and time.
    pub timestamp: Timestamp,
    /// Offset from UTC in seconds.
    pub offset_seconds: i32,
}

impl TimestampWithTimezone {
    pub(crate) fn write(&self, out: &mut DataOutput) {
        self.timestamp.write(out);
        out.write_i32(self.offset_seconds);
    }
    pub(crate) fn read(input: &mut DataInput<'_>) -> Result<Self, SerializationError> {
        Ok(Self {
            timestamp: Timestamp::read(input)?,
            offset_seconds: input.read_i32()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_bytes_are_shortest_twos_complement() {
        assert_eq!(Decimal::new(0, 0).unscaled_bytes(), &[0]);
        assert_eq!(Decimal::new(127, 0).unscaled_bytes(), &[0x7f]);
        assert_eq!(Decimal::new(128, 0).unscaled_bytes(), &[0x00, 0x80]);
        assert_eq!(Decimal::new(-128, 0).unscaled_bytes(), &[0x80]);
        assert_eq!(Decimal::new(-129, 0).unscaled_bytes(), &[0xff, 0x7f]);
        assert_eq!(Decimal::new(-1, 3).unscaled_bytes(), &[0xff]);
        for v in [0i128, 1, -1, 255, -256, i128::MAX, i128::MIN, 123_456_789] {
            let d = Decimal::new(v, 2);
            assert_eq!(d.unscaled_i128(), Some(v));
            assert_eq!(Decimal::from_twos_complement(d.unscaled_bytes(), 2), d);
        }
        assert_eq!(
            Decimal::from_twos_complement(&[0, 0, 0x7f], 0).unscaled_bytes(),
            &[0x7f]
        );
        assert_eq!(
            Decimal::from_twos_complement(&[0xff, 0xff, 0x80], 0).unscaled_bytes(),
            &[0x80]
        );
    }
}
