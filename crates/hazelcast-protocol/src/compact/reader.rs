//! Reading Compact records.

use std::sync::Arc;

use super::CompactDeserialize;
use super::kind::FieldKind;
use super::registry::SchemaRegistry;
use super::schema::{FieldLayout, Schema};
use super::types::{Date, Decimal, Time, Timestamp, TimestampWithTimezone};
use crate::serialization::{DataInput, MAX_DEPTH, SerializationError};

type Result<T> = std::result::Result<T, SerializationError>;

/// Entry width of an offset table for a section of `data_len` bytes.
pub(crate) fn offset_width(data_len: usize) -> usize {
    if data_len < usize::from(u8::MAX) {
        1
    } else if data_len < usize::from(u16::MAX) {
        2
    } else {
        4
    }
}

/// Reads entry `index` of an offset table: `None` for null, else an offset below `limit`.
fn read_offset(table: &[u8], width: usize, index: usize, limit: usize) -> Result<Option<usize>> {
    let at = index * width;
    let raw: i64 = match width {
        1 => match table.get(at) {
            Some(0xff) => return Ok(None),
            Some(&b) => b.into(),
            None => return Err(SerializationError::BadOffset(at as i64)),
        },
        2 => match table.get(at..at + 2) {
            Some(&[0xff, 0xff]) => return Ok(None),
            Some(b) => u16::from_be_bytes([b[0], b[1]]).into(),
            None => return Err(SerializationError::BadOffset(at as i64)),
        },
        _ => match table.get(at..at + 4) {
            Some(b) => match i32::from_be_bytes([b[0], b[1], b[2], b[3]]) {
                -1 => return Ok(None),
                v => v.into(),
            },
            None => return Err(SerializationError::BadOffset(at as i64)),
        },
    };
    if raw < 0 || raw as usize >= limit {
        return Err(SerializationError::BadOffset(raw));
    }
    Ok(Some(raw as usize))
}

/// Reads the fields of one record by name, checking kinds and bounds.
///
/// Strings and byte arrays are borrowed from the input. Reading a non-nullable kind from a
/// nullable field (or the reverse) works as in Java, failing only on an actual null.
pub struct CompactReader<'a> {
    schema: Arc<Schema>,
    registry: &'a SchemaRegistry,
    data: &'a [u8],
    table: &'a [u8],
    width: usize,
    depth: usize,
}

/// Reads an array of variable-size items from `input` (at the array's start).
pub(crate) fn read_items<'a, T>(
    input: &mut DataInput<'a>,
    mut f: impl FnMut(&mut DataInput<'a>) -> Result<T>,
) -> Result<Vec<Option<T>>> {
    let dl = input.read_i32()?;
    let count = input.read_i32()?;
    let data_len = usize::try_from(dl).map_err(|_| SerializationError::InvalidLength(dl.into()))?;
    let count =
        usize::try_from(count).map_err(|_| SerializationError::InvalidLength(count.into()))?;
    let items = input.read_bytes(data_len)?;
    let width = offset_width(data_len);
    // The table must be present in full, which bounds `count` by the input size.
    let table = input.read_bytes(
        count
            .checked_mul(width)
            .ok_or(SerializationError::InvalidLength(count as i64))?,
    )?;
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        match read_offset(table, width, i, data_len)? {
            None => out.push(None),
            Some(pos) => {
                let mut item = DataInput::new(&items[pos..]);
                out.push(Some(f(&mut item)?));
            }
        }
    }
    Ok(out)
}

fn read_bits(input: &mut DataInput<'_>) -> Result<Vec<bool>> {
    let n = input.read_i32()?;
    let n = usize::try_from(n).map_err(|_| SerializationError::InvalidLength(n.into()))?;
    let bytes = input.read_bytes(n.div_ceil(8))?;
    Ok((0..n).map(|i| bytes[i / 8] & (1 << (i % 8)) != 0).collect())
}

fn fixed_array<T, const N: usize>(
    input: &mut DataInput<'_>,
    conv: fn([u8; N]) -> T,
) -> Result<Vec<T>> {
    let n = input
        .read_len(N)?
        .ok_or(SerializationError::UnexpectedNull)?;
    let bytes = input.read_bytes(n * N)?;
    Ok(bytes
        .chunks_exact(N)
        .map(|c| {
            let mut a = [0u8; N];
            a.copy_from_slice(c);
            conv(a)
        })
        .collect())
}

macro_rules! fixed_readers {
    ($($(#[$doc:meta])* $read:ident, $read_nullable:ident, $read_arr:ident, $read_arr_nullable:ident,
        $t:ty, $n:expr, $kind:ident, $nkind:ident, $akind:ident, $ankind:ident, $r:ident;)*) => {$(
        $(#[$doc])*
        ///
        /// # Errors
        /// No such field, another kind, a null value or malformed bytes.
        pub fn $read(&self, name: &str) -> Result<$t> {
            self.$read_nullable(name)?.ok_or(SerializationError::UnexpectedNull)
        }
        /// Reads the nullable variant (also accepts the non-nullable kind).
        ///
        /// # Errors
        /// No such field, another kind or malformed bytes.
        pub fn $read_nullable(&self, name: &str) -> Result<Option<$t>> {
            let (i, kind) = self.lookup(name)?;
            match kind {
                FieldKind::$kind => {
                    let b: [u8; $n] = self.fixed_bytes(i)?;
                    Ok(Some(<$t>::from_be_bytes(b)))
                }
                FieldKind::$nkind => match self.var_input(i)? {
                    Some(mut input) => Ok(Some(input.$r()?)),
                    None => Ok(None),
                },
                other => Err(self.mismatch(name, FieldKind::$kind, other)),
            }
        }
        /// Reads an array of the kind (also accepts the nullable-item kind without nulls).
        ///
        /// # Errors
        /// No such field, another kind, a null item or malformed bytes.
        pub fn $read_arr(&self, name: &str) -> Result<Option<Vec<$t>>> {
            let (i, kind) = self.lookup(name)?;
            match kind {
                FieldKind::$akind => match self.var_input(i)? {
                    Some(mut input) => fixed_array(&mut input, <$t>::from_be_bytes).map(Some),
                    None => Ok(None),
                },
                FieldKind::$ankind => match self.$read_arr_nullable(name)? {
                    Some(items) => items
                        .into_iter()
                        .map(|v| v.ok_or(SerializationError::UnexpectedNull))
                        .collect::<Result<Vec<_>>>()
                        .map(Some),
                    None => Ok(None),
                },
                other => Err(self.mismatch(name, FieldKind::$akind, other)),
            }
        }
        /// Reads an array of the nullable kind (also accepts the non-nullable array kind).
        ///
        /// # Errors
        /// No such field, another kind or malformed bytes.
        pub fn $read_arr_nullable(&self, name: &str) -> Result<Option<Vec<Option<$t>>>> {
            let (i, kind) = self.lookup(name)?;
            match kind {
                FieldKind::$ankind => match self.var_input(i)? {
                    Some(mut input) => read_items(&mut input, |inp| inp.$r()).map(Some),
                    None => Ok(None),
                },
                FieldKind::$akind => Ok(self
                    .$read_arr(name)?
                    .map(|v| v.into_iter().map(Some).collect())),
                other => Err(self.mismatch(name, FieldKind::$ankind, other)),
            }
        }
    )*};
}

macro_rules! object_readers {
    ($($(#[$doc:meta])* $read:ident, $read_arr:ident, $t:ty, $kind:ident, $akind:ident;)*) => {$(
        $(#[$doc])*
        ///
        /// # Errors
        /// No such field, another kind or malformed bytes.
        pub fn $read(&self, name: &str) -> Result<Option<$t>> {
            let i = self.lookup_kind(name, FieldKind::$kind)?;
            match self.var_input(i)? {
                Some(mut input) => <$t>::read(&mut input).map(Some),
                None => Ok(None),
            }
        }
        /// Reads an array of the kind; items may be null.
        ///
        /// # Errors
        /// No such field, another kind or malformed bytes.
        pub fn $read_arr(&self, name: &str) -> Result<Option<Vec<Option<$t>>>> {
            let i = self.lookup_kind(name, FieldKind::$akind)?;
            match self.var_input(i)? {
                Some(mut input) => read_items(&mut input, |inp| <$t>::read(inp)).map(Some),
                None => Ok(None),
            }
        }
    )*};
}

impl<'a> CompactReader<'a> {
    /// Parses a record (`schemaId` + body) at the start of `input`, returning the reader and
    /// the number of bytes the record takes.
    pub(crate) fn parse(
        registry: &'a SchemaRegistry,
        input: &'a [u8],
        depth: usize,
    ) -> Result<(Self, usize)> {
        if depth >= MAX_DEPTH {
            return Err(SerializationError::TooDeep(MAX_DEPTH));
        }
        let mut inp = DataInput::new(input);
        let id = inp.read_i64()?;
        let schema = registry
            .get(id)
            .ok_or(SerializationError::SchemaNotFound(id))?;
        let (data, table, width) = if schema.var_count() == 0 {
            (inp.read_bytes(schema.fixed_size())?, &[][..], 4)
        } else {
            let dl = inp.read_i32()?;
            let data_len =
                usize::try_from(dl).map_err(|_| SerializationError::InvalidLength(dl.into()))?;
            if data_len < schema.fixed_size() {
                return Err(SerializationError::InvalidLength(dl.into()));
            }
            let data = inp.read_bytes(data_len)?;
            let width = offset_width(data_len);
            let table = inp.read_bytes(schema.var_count() * width)?;
            (data, table, width)
        };
        let used = inp.position();
        Ok((
            Self {
                schema,
                registry,
                data,
                table,
                width,
                depth,
            },
            used,
        ))
    }

    /// The record's schema.
    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    /// The kind of the field called `name`, or `None` when the schema has no such field
    /// (useful to read records written by older or newer versions of a type).
    pub fn field_kind(&self, name: &str) -> Option<FieldKind> {
        self.schema.field(name).map(|f| f.kind)
    }

    fn lookup(&self, name: &str) -> Result<(usize, FieldKind)> {
        match self.schema.index_of(name) {
            Some(i) => Ok((i, self.schema.fields()[i].kind)),
            None => Err(SerializationError::NoSuchField {
                type_name: self.schema.type_name().to_owned(),
                name: name.to_owned(),
            }),
        }
    }

    fn lookup_kind(&self, name: &str, kind: FieldKind) -> Result<usize> {
        let (i, found) = self.lookup(name)?;
        if found != kind {
            return Err(self.mismatch(name, kind, found));
        }
        Ok(i)
    }

    fn mismatch(&self, name: &str, expected: FieldKind, found: FieldKind) -> SerializationError {
        SerializationError::FieldKindMismatch {
            name: name.to_owned(),
            expected: expected.name(),
            found: found.name(),
        }
    }

    fn fixed_bytes<const N: usize>(&self, index: usize) -> Result<[u8; N]> {
        let offset = match self.schema.layout(index) {
            Some(FieldLayout::Fixed { offset }) => offset,
            _ => return Err(SerializationError::BadOffset(index as i64)),
        };
        let b = self
            .data
            .get(offset..offset + N)
            .ok_or(SerializationError::BadOffset(offset as i64))?;
        let mut a = [0u8; N];
        a.copy_from_slice(b);
        Ok(a)
    }

    fn bit(&self, index: usize) -> Result<bool> {
        match self.schema.layout(index) {
            Some(FieldLayout::Bit { offset, bit }) => self
                .data
                .get(offset)
                .map(|b| b & (1 << bit) != 0)
                .ok_or(SerializationError::BadOffset(offset as i64)),
            _ => Err(SerializationError::BadOffset(index as i64)),
        }
    }

    /// An input positioned at a variable-size field, bounded by the data section.
    fn var_input(&self, index: usize) -> Result<Option<DataInput<'a>>> {
        let var_index = match self.schema.layout(index) {
            Some(FieldLayout::Var { index }) => index,
            _ => return Err(SerializationError::BadOffset(index as i64)),
        };
        Ok(
            read_offset(self.table, self.width, var_index, self.data.len())?
                .map(|pos| DataInput::new(&self.data[pos..])),
        )
    }

    /// Offset of a variable-size field in the data section (for keeping write order).
    pub(crate) fn var_offset(&self, index: usize) -> Option<usize> {
        match self.schema.layout(index) {
            Some(FieldLayout::Var { index }) => {
                read_offset(self.table, self.width, index, self.data.len())
                    .ok()
                    .flatten()
            }
            _ => None,
        }
    }

    /// Reads a BOOLEAN (or a non-null NULLABLE_BOOLEAN).
    ///
    /// # Errors
    /// No such field, another kind, a null value or malformed bytes.
    pub fn read_boolean(&self, name: &str) -> Result<bool> {
        self.read_nullable_boolean(name)?
            .ok_or(SerializationError::UnexpectedNull)
    }

    /// Reads a NULLABLE_BOOLEAN (or a BOOLEAN).
    ///
    /// # Errors
    /// No such field, another kind or malformed bytes.
    pub fn read_nullable_boolean(&self, name: &str) -> Result<Option<bool>> {
        let (i, kind) = self.lookup(name)?;
        match kind {
            FieldKind::Boolean => self.bit(i).map(Some),
            FieldKind::NullableBoolean => match self.var_input(i)? {
                Some(mut input) => input.read_bool().map(Some),
                None => Ok(None),
            },
            other => Err(self.mismatch(name, FieldKind::Boolean, other)),
        }
    }

    /// Reads an ARRAY_OF_BOOLEAN (or an ARRAY_OF_NULLABLE_BOOLEAN without nulls).
    ///
    /// # Errors
    /// No such field, another kind, a null item or malformed bytes.
    pub fn read_array_of_boolean(&self, name: &str) -> Result<Option<Vec<bool>>> {
        let (i, kind) = self.lookup(name)?;
        match kind {
            FieldKind::ArrayOfBoolean => match self.var_input(i)? {
                Some(mut input) => read_bits(&mut input).map(Some),
                None => Ok(None),
            },
            FieldKind::ArrayOfNullableBoolean => match self.read_array_of_nullable_boolean(name)? {
                Some(v) => v
                    .into_iter()
                    .map(|b| b.ok_or(SerializationError::UnexpectedNull))
                    .collect::<Result<Vec<_>>>()
                    .map(Some),
                None => Ok(None),
            },
            other => Err(self.mismatch(name, FieldKind::ArrayOfBoolean, other)),
        }
    }

    /// Reads an ARRAY_OF_NULLABLE_BOOLEAN (or an ARRAY_OF_BOOLEAN).
    ///
    /// # Errors
    /// No such field, another kind or malformed bytes.
    pub fn read_array_of_nullable_boolean(&self, name: &str) -> Result<Option<Vec<Option<bool>>>> {
        let (i, kind) = self.lookup(name)?;
        match kind {
            FieldKind::ArrayOfNullableBoolean => match self.var_input(i)? {
                Some(mut input) => read_items(&mut input, DataInput::read_bool).map(Some),
                None => Ok(None),
            },
            FieldKind::ArrayOfBoolean => Ok(self
                .read_array_of_boolean(name)?
                .map(|v| v.into_iter().map(Some).collect())),
            other => Err(self.mismatch(name, FieldKind::ArrayOfNullableBoolean, other)),
        }
    }

    /// Reads an INT8 (or a non-null NULLABLE_INT8).
    ///
    /// # Errors
    /// No such field, another kind, a null value or malformed bytes.
    pub fn read_int8(&self, name: &str) -> Result<i8> {
        self.read_nullable_int8(name)?
            .ok_or(SerializationError::UnexpectedNull)
    }

    /// Reads a NULLABLE_INT8 (or an INT8).
    ///
    /// # Errors
    /// No such field, another kind or malformed bytes.
    pub fn read_nullable_int8(&self, name: &str) -> Result<Option<i8>> {
        let (i, kind) = self.lookup(name)?;
        match kind {
            FieldKind::Int8 => Ok(Some(self.fixed_bytes::<1>(i)?[0] as i8)),
            FieldKind::NullableInt8 => match self.var_input(i)? {
                Some(mut input) => input.read_i8().map(Some),
                None => Ok(None),
            },
            other => Err(self.mismatch(name, FieldKind::Int8, other)),
        }
    }

    /// Reads an ARRAY_OF_INT8 as raw bytes, borrowed from the input.
    ///
    /// # Errors
    /// No such field, another kind or malformed bytes.
    pub fn read_array_of_int8(&self, name: &str) -> Result<Option<&'a [u8]>> {
        let i = self.lookup_kind(name, FieldKind::ArrayOfInt8)?;
        match self.var_input(i)? {
            Some(mut input) => input
                .read_opt_byte_slice()?
                .ok_or(SerializationError::UnexpectedNull)
                .map(Some),
            None => Ok(None),
        }
    }

    /// Reads an ARRAY_OF_NULLABLE_INT8.
    ///
    /// # Errors
    /// No such field, another kind or malformed bytes.
    pub fn read_array_of_nullable_int8(&self, name: &str) -> Result<Option<Vec<Option<i8>>>> {
        let i = self.lookup_kind(name, FieldKind::ArrayOfNullableInt8)?;
        match self.var_input(i)? {
            Some(mut input) => read_items(&mut input, DataInput::read_i8).map(Some),
            None => Ok(None),
        }
    }

    fixed_readers! {
        /// Reads an INT16 (or a non-null NULLABLE_INT16).
        read_int16, read_nullable_int16, read_array_of_int16, read_array_of_nullable_int16,
        i16, 2, Int16, NullableInt16, ArrayOfInt16, ArrayOfNullableInt16, read_i16;
        /// Reads an INT32 (or a non-null NULLABLE_INT32).
        read_int32, read_nullable_int32, read_array_of_int32, read_array_of_nullable_int32,
        i32, 4, Int32, NullableInt32, ArrayOfInt32, ArrayOfNullableInt32, read_i32;
        /// Reads an INT64 (or a non-null NULLABLE_INT64).
        read_int64, read_nullable_int64, read_array_of_int64, read_array_of_nullable_int64,
        i64, 8, Int64, NullableInt64, ArrayOfInt64, ArrayOfNullableInt64, read_i64;
        /// Reads a FLOAT32 (or a non-null NULLABLE_FLOAT32).
        read_float32, read_nullable_float32, read_array_of_float32,
        read_array_of_nullable_float32,
        f32, 4, Float32, NullableFloat32, ArrayOfFloat32, ArrayOfNullableFloat32, read_f32;
        /// Reads a FLOAT64 (or a non-null NULLABLE_FLOAT64).
        read_float64, read_nullable_float64, read_array_of_float64,
        read_array_of_nullable_float64,
        f64, 8, Float64, NullableFloat64, ArrayOfFloat64, ArrayOfNullableFloat64, read_f64;
    }

    /// Reads a STRING, borrowed from the input.
    ///
    /// # Errors
    /// No such field, another kind or malformed bytes.
    pub fn read_string(&self, name: &str) -> Result<Option<&'a str>> {
        let i = self.lookup_kind(name, FieldKind::String)?;
        match self.var_input(i)? {
            Some(mut input) => input.read_str().map(Some),
            None => Ok(None),
        }
    }

    /// Reads an ARRAY_OF_STRING, items borrowed from the input.
    ///
    /// # Errors
    /// No such field, another kind or malformed bytes.
    pub fn read_array_of_string(&self, name: &str) -> Result<Option<Vec<Option<&'a str>>>> {
        let i = self.lookup_kind(name, FieldKind::ArrayOfString)?;
        match self.var_input(i)? {
            Some(mut input) => read_items(&mut input, DataInput::read_str).map(Some),
            None => Ok(None),
        }
    }

    object_readers! {
        /// Reads a DECIMAL.
        read_decimal, read_array_of_decimal, Decimal, Decimal, ArrayOfDecimal;
        /// Reads a TIME.
        read_time, read_array_of_time, Time, Time, ArrayOfTime;
        /// Reads a DATE.
        read_date, read_array_of_date, Date, Date, ArrayOfDate;
        /// Reads a TIMESTAMP.
        read_timestamp, read_array_of_timestamp, Timestamp, Timestamp, ArrayOfTimestamp;
        /// Reads a TIMESTAMP_WITH_TIMEZONE.
        read_timestamp_with_timezone, read_array_of_timestamp_with_timezone,
        TimestampWithTimezone, TimestampWithTimezone, ArrayOfTimestampWithTimezone;
    }

    fn nested<T>(
        &self,
        input: &mut DataInput<'a>,
        f: &impl Fn(&CompactReader<'a>) -> Result<T>,
    ) -> Result<T> {
        let rest = input.buffer();
        let (r, _) =
            CompactReader::parse(self.registry, &rest[input.position()..], self.depth + 1)?;
        f(&r)
    }

    /// Reads a nested COMPACT record with `f`.
    ///
    /// # Errors
    /// No such field, another kind, an unknown schema or malformed bytes.
    pub fn read_compact_with<T>(
        &self,
        name: &str,
        f: impl Fn(&CompactReader<'a>) -> Result<T>,
    ) -> Result<Option<T>> {
        let i = self.lookup_kind(name, FieldKind::Compact)?;
        match self.var_input(i)? {
            Some(mut input) => self.nested(&mut input, &f).map(Some),
            None => Ok(None),
        }
    }

    /// Reads an ARRAY_OF_COMPACT with `f` for each item.
    ///
    /// # Errors
    /// No such field, another kind, an unknown schema or malformed bytes.
    pub fn read_array_of_compact_with<T>(
        &self,
        name: &str,
        f: impl Fn(&CompactReader<'a>) -> Result<T>,
    ) -> Result<Option<Vec<Option<T>>>> {
        let i = self.lookup_kind(name, FieldKind::ArrayOfCompact)?;
        match self.var_input(i)? {
            Some(mut input) => read_items(&mut input, |inp| self.nested(inp, &f)).map(Some),
            None => Ok(None),
        }
    }

    /// Reads a nested COMPACT record as `T`.
    ///
    /// # Errors
    /// No such field, another kind, an unknown schema or malformed bytes.
    pub fn read_compact<T: CompactDeserialize>(&self, name: &str) -> Result<Option<T>> {
        self.read_compact_with(name, T::read)
    }

    /// Reads an ARRAY_OF_COMPACT as `T`s.
    ///
    /// # Errors
    /// No such field, another kind, an unknown schema or malformed bytes.
    pub fn read_array_of_compact<T: CompactDeserialize>(
        &self,
        name: &str,
    ) -> Result<Option<Vec<Option<T>>>> {
        self.read_array_of_compact_with(name, T::read)
    }
}
