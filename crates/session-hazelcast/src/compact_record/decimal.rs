//! [`Decimal`]: Java's `BigDecimal` as Compact DECIMAL, and its text form.

use std::fmt;
use std::str::FromStr;

use hazelcast_protocol::compact;
use serde::ser::{self, Serialize};

/// The newtype name by which [`Decimal`] announces itself to the serializer.
pub(super) const DECIMAL_TOKEN: &str = "$session_hazelcast::Decimal";

/// An arbitrary-precision decimal stored as Compact DECIMAL (Java `BigDecimal`): an
/// unscaled integer and a scale, `unscaled × 10^(−scale)`.
///
/// Written by other serializers (JSON...) as its text, e.g. `"4.99"`; parsed from text.
///
/// ```
/// use session_hazelcast::compact_record::Decimal;
///
/// let price: Decimal = "12.50".parse().unwrap();
/// assert_eq!((price.unscaled(), price.scale()), (1250, 2));
/// assert_eq!(price.to_string(), "12.50");
/// assert_eq!(Decimal::new(-5, 3).to_string(), "-0.005");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Decimal {
    unscaled: i128,
    scale: i32,
}

impl Decimal {
    /// `unscaled × 10^(−scale)`, e.g. `Decimal::new(499, 2)` is 4.99.
    pub const fn new(unscaled: i128, scale: i32) -> Self {
        Self { unscaled, scale }
    }

    /// The unscaled integer.
    pub const fn unscaled(&self) -> i128 {
        self.unscaled
    }

    /// Digits after the decimal point (negative: trailing zeros before it).
    pub const fn scale(&self) -> i32 {
        self.scale
    }

    /// The value in units of 10^(−`scale`) (e.g. cents for 2), if exact and in range.
    ///
    /// ```
    /// use session_hazelcast::compact_record::Decimal;
    /// assert_eq!(Decimal::new(499, 2).rescaled(2), Some(499));
    /// assert_eq!(Decimal::new(5, 0).rescaled(2), Some(500));
    /// assert_eq!(Decimal::new(4999, 3).rescaled(2), None);
    /// ```
    pub fn rescaled(&self, scale: i32) -> Option<i128> {
        let diff = scale.checked_sub(self.scale)?;
        if diff >= 0 {
            self.unscaled
                .checked_mul(10i128.checked_pow(diff.try_into().ok()?)?)
        } else {
            let div = 10i128.checked_pow(diff.checked_neg()?.try_into().ok()?)?;
            (self.unscaled % div == 0).then(|| self.unscaled / div)
        }
    }

    /// As the protocol's DECIMAL value.
    pub fn to_compact(&self) -> compact::Decimal {
        compact::Decimal::new(self.unscaled, self.scale)
    }

    /// From the protocol's DECIMAL value; `None` if the unscaled integer exceeds `i128`.
    pub fn from_compact(d: &compact::Decimal) -> Option<Self> {
        Some(Self::new(d.unscaled_i128()?, d.scale))
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.unscaled < 0 { "-" } else { "" };
        let digits = self.unscaled.unsigned_abs().to_string();
        if self.scale <= 0 {
            let zeros = "0".repeat(self.scale.unsigned_abs() as usize);
            return if self.unscaled == 0 {
                f.write_str("0")
            } else {
                write!(f, "{sign}{digits}{zeros}")
            };
        }
        let scale = self.scale as usize;
        let padded = if digits.len() <= scale {
            format!("{}{digits}", "0".repeat(scale + 1 - digits.len()))
        } else {
            digits
        };
        let (int, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{int}.{frac}")
    }
}

/// Text that is not a decimal number (`-12.345`, no exponent).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a decimal number (digits with an optional sign and point): {0:?}")]
pub struct ParseDecimalError(String);

impl FromStr for Decimal {
    type Err = ParseDecimalError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let error = || ParseDecimalError(s.chars().take(60).collect());
        let t = s.trim();
        let (negative, t) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let (int, frac) = t.split_once('.').unwrap_or((t, ""));
        if int.is_empty() && frac.is_empty()
            || !int.chars().chain(frac.chars()).all(|c| c.is_ascii_digit())
        {
            return Err(error());
        }
        let digits = format!("{int}{frac}");
        let magnitude: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().map_err(|_| error())?
        };
        let scale = i32::try_from(frac.len()).map_err(|_| error())?;
        Ok(Self::new(
            if negative { -magnitude } else { magnitude },
            scale,
        ))
    }
}

impl Serialize for Decimal {
    fn serialize<S: ser::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(DECIMAL_TOKEN, &self.to_string())
    }
}

impl<'de> serde::Deserialize<'de> for Decimal {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Decimal;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal number as text or an integer")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Decimal, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Decimal, E> {
                Ok(Decimal::new(i128::from(v), 0))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Decimal, E> {
                Ok(Decimal::new(i128::from(v), 0))
            }
        }
        deserializer.deserialize_any(V)
    }
}
