//! Writing Compact records.

use std::cell::RefCell;
use std::sync::Arc;

use super::kind::FieldKind;
use super::registry::{CachedLayout, SchemaRegistry};
use super::schema::{FieldDescriptor, FieldLayout, Schema, fingerprint};
use super::types::{Date, Decimal, Time, Timestamp, TimestampWithTimezone};
use super::{Compact, NULL_OFFSET};
use crate::serialization::{DataOutput, MAX_DEPTH, SerializationError};

type Result<T> = std::result::Result<T, SerializationError>;

thread_local! {
    /// Spare buffers for the variable-size sections of records being written, so that
    /// nested records do not allocate one each time.
    static SPARE: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

fn take_buffer() -> DataOutput {
    SPARE
        .with(|s| s.borrow_mut().pop())
        .map_or_else(|| DataOutput::with_capacity(256), DataOutput::from)
}

fn give_back(buf: DataOutput) {
    let mut v = buf.into_vec();
    if v.capacity() <= 64 * 1024 {
        v.clear();
        SPARE.with(|s| {
            let mut s = s.borrow_mut();
            if s.len() < 16 {
                s.push(v);
            }
        });
    }
}

#[derive(Clone, Copy)]
enum Slot {
    Fixed([u8; 8]),
    Bit(bool),
    Var(Option<usize>),
}

struct Entry<'a> {
    name: &'a str,
    kind: FieldKind,
    slot: Slot,
}

/// Collects the fields of one record, then lays them out as Hazelcast does.
///
/// Field order does not matter for the schema; variable-size values are stored in the order
/// they are written (as Java and Python writers do), so write them in the order the other
/// side's serializer does when byte-identical records matter. The first error is kept and
/// returned by the final encoding step, so the `write_*` calls need no `?`.
pub struct CompactWriter<'a> {
    registry: &'a SchemaRegistry,
    entries: Vec<Entry<'a>>,
    var: DataOutput,
    depth: usize,
    error: Option<SerializationError>,
}

/// Appends an offset table whose entry width depends on `data_len` (u8, u16 or i32).
pub(crate) fn write_offset_table(out: &mut DataOutput, data_len: usize, positions: &[i32]) {
    if data_len < usize::from(u8::MAX) {
        for &p in positions {
            out.write_u8(p as u8);
        }
    } else if data_len < usize::from(u16::MAX) {
        for &p in positions {
            out.write_u16(p as u16);
        }
    } else {
        for &p in positions {
            out.write_i32(p);
        }
    }
}

fn to_i32(n: usize) -> Result<i32> {
    i32::try_from(n).map_err(|_| SerializationError::InvalidLength(n as i64))
}

/// Writes an array of variable-size items: data length, count, items, offset table.
fn write_items<T>(
    out: &mut DataOutput,
    items: impl ExactSizeIterator<Item = Option<T>>,
    mut f: impl FnMut(&mut DataOutput, T) -> Result<()>,
) -> Result<()> {
    let len_pos = out.len();
    out.write_i32(0);
    out.write_len(items.len())?;
    let start = out.len();
    let mut positions = Vec::with_capacity(items.len());
    for item in items {
        match item {
            Some(v) => {
                positions.push(to_i32(out.len() - start)?);
                f(out, v)?;
            }
            None => positions.push(NULL_OFFSET),
        }
    }
    let data_len = out.len() - start;
    let dl = to_i32(data_len)?;
    out.buf_mut()[len_pos..len_pos + 4].copy_from_slice(&dl.to_be_bytes());
    write_offset_table(out, data_len, &positions);
    Ok(())
}

fn write_bits(out: &mut DataOutput, values: &[bool]) -> Result<()> {
    out.write_len(values.len())?;
    for chunk in values.chunks(8) {
        let mut b = 0u8;
        for (i, &v) in chunk.iter().enumerate() {
            b |= u8::from(v) << i;
        }
        out.write_u8(b);
    }
    Ok(())
}

macro_rules! fixed_writers {
    ($($(#[$doc:meta])* $fixed:ident, $nullable:ident, $arr:ident, $arr_nullable:ident, $t:ty,
        $kind:ident, $nkind:ident, $akind:ident, $ankind:ident, $w:ident;)*) => {$(
        $(#[$doc])*
        pub fn $fixed(&mut self, name: &'a str, value: $t) {
            let mut b = [0u8; 8];
            let bytes = value.to_be_bytes();
            b[..bytes.len()].copy_from_slice(&bytes);
            self.push(name, FieldKind::$kind, Slot::Fixed(b));
        }
        /// Writes the nullable variant of the kind (a variable-size field).
        pub fn $nullable(&mut self, name: &'a str, value: Option<$t>) {
            self.var_field(name, FieldKind::$nkind, value.is_some(), |out| {
                if let Some(v) = value {
                    out.$w(v);
                }
                Ok(())
            });
        }
        /// Writes an array of the kind: count, then the big-endian items.
        pub fn $arr(&mut self, name: &'a str, value: Option<&[$t]>) {
            self.var_field(name, FieldKind::$akind, value.is_some(), |out| {
                if let Some(vs) = value {
                    out.write_len(vs.len())?;
                    for v in vs {
                        out.$w(*v);
                    }
                }
                Ok(())
            });
        }
        /// Writes an array of the nullable kind (items may be null).
        pub fn $arr_nullable(&mut self, name: &'a str, value: Option<&[Option<$t>]>) {
            self.var_field(name, FieldKind::$ankind, value.is_some(), |out| match value {
                Some(vs) => write_items(out, vs.iter().copied(), |out, v| {
                    out.$w(v);
                    Ok(())
                }),
                None => Ok(()),
            });
        }
    )*};
}

macro_rules! object_writers {
    ($($(#[$doc:meta])* $single:ident, $arr:ident, $t:ty, $kind:ident, $akind:ident,
        |$out:ident, $v:ident| $body:expr;)*) => {$(
        $(#[$doc])*
        pub fn $single(&mut self, name: &'a str, value: Option<&$t>) {
            self.var_field(name, FieldKind::$kind, value.is_some(), |$out| match value {
                Some($v) => $body,
                None => Ok(()),
            });
        }
        /// Writes an array of the kind; items may be null.
        pub fn $arr(&mut self, name: &'a str, value: Option<&[Option<$t>]>) {
            self.var_field(name, FieldKind::$akind, value.is_some(), |out| match value {
                Some(vs) => write_items(out, vs.iter().map(Option::as_ref), |$out, $v| $body),
                None => Ok(()),
            });
        }
    )*};
}

impl<'a> CompactWriter<'a> {
    /// A writer that resolves and registers schemas in `registry`.
    pub fn new(registry: &'a SchemaRegistry) -> Self {
        Self::at_depth(registry, 0)
    }

    pub(crate) fn at_depth(registry: &'a SchemaRegistry, depth: usize) -> Self {
        Self {
            registry,
            entries: Vec::with_capacity(16),
            var: take_buffer(),
            depth,
            error: None,
        }
    }

    fn fail(&mut self, e: SerializationError) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    fn push(&mut self, name: &'a str, kind: FieldKind, slot: Slot) {
        self.entries.push(Entry { name, kind, slot });
    }

    fn var_field(
        &mut self,
        name: &'a str,
        kind: FieldKind,
        present: bool,
        f: impl FnOnce(&mut DataOutput) -> Result<()>,
    ) {
        if !present {
            self.push(name, kind, Slot::Var(None));
            return;
        }
        let at = self.var.len();
        self.push(name, kind, Slot::Var(Some(at)));
        if let Err(e) = f(&mut self.var) {
            self.fail(e);
        }
    }

    /// Writes a BOOLEAN (one bit of the fixed section).
    pub fn write_boolean(&mut self, name: &'a str, value: bool) {
        self.push(name, FieldKind::Boolean, Slot::Bit(value));
    }

    /// Writes a NULLABLE_BOOLEAN.
    pub fn write_nullable_boolean(&mut self, name: &'a str, value: Option<bool>) {
        self.var_field(name, FieldKind::NullableBoolean, value.is_some(), |out| {
            if let Some(v) = value {
                out.write_bool(v);
            }
            Ok(())
        });
    }

    /// Writes an ARRAY_OF_BOOLEAN (bit-packed).
    pub fn write_array_of_boolean(&mut self, name: &'a str, value: Option<&[bool]>) {
        self.var_field(name, FieldKind::ArrayOfBoolean, value.is_some(), |out| {
            value.map_or(Ok(()), |vs| write_bits(out, vs))
        });
    }

    /// Writes an ARRAY_OF_NULLABLE_BOOLEAN.
    pub fn write_array_of_nullable_boolean(
        &mut self,
        name: &'a str,
        value: Option<&[Option<bool>]>,
    ) {
        self.var_field(
            name,
            FieldKind::ArrayOfNullableBoolean,
            value.is_some(),
            |out| match value {
                Some(vs) => write_items(out, vs.iter().copied(), |out, v| {
                    out.write_bool(v);
                    Ok(())
                }),
                None => Ok(()),
            },
        );
    }

    /// Writes an ARRAY_OF_INT8 from raw bytes (Hazelcast's signed bytes, two's complement).
    pub fn write_array_of_int8(&mut self, name: &'a str, value: Option<&[u8]>) {
        self.var_field(name, FieldKind::ArrayOfInt8, value.is_some(), |out| {
            value.map_or(Ok(()), |b| out.write_byte_array(b))
        });
    }

    /// Writes an INT8.
    pub fn write_int8(&mut self, name: &'a str, value: i8) {
        let mut b = [0u8; 8];
        b[0] = value as u8;
        self.push(name, FieldKind::Int8, Slot::Fixed(b));
    }

    /// Writes a NULLABLE_INT8.
    pub fn write_nullable_int8(&mut self, name: &'a str, value: Option<i8>) {
        self.var_field(name, FieldKind::NullableInt8, value.is_some(), |out| {
            if let Some(v) = value {
                out.write_i8(v);
            }
            Ok(())
        });
    }

    /// Writes an ARRAY_OF_NULLABLE_INT8.
    pub fn write_array_of_nullable_int8(&mut self, name: &'a str, value: Option<&[Option<i8>]>) {
        self.var_field(
            name,
            FieldKind::ArrayOfNullableInt8,
            value.is_some(),
            |out| match value {
                Some(vs) => write_items(out, vs.iter().copied(), |out, v| {
                    out.write_i8(v);
                    Ok(())
                }),
                None => Ok(()),
            },
        );
    }

    fixed_writers! {
        /// Writes an INT16.
        write_int16, write_nullable_int16, write_array_of_int16, write_array_of_nullable_int16,
        i16, Int16, NullableInt16, ArrayOfInt16, ArrayOfNullableInt16, write_i16;
        /// Writes an INT32.
        write_int32, write_nullable_int32, write_array_of_int32, write_array_of_nullable_int32,
        i32, Int32, NullableInt32, ArrayOfInt32, ArrayOfNullableInt32, write_i32;
        /// Writes an INT64.
        write_int64, write_nullable_int64, write_array_of_int64, write_array_of_nullable_int64,
        i64, Int64, NullableInt64, ArrayOfInt64, ArrayOfNullableInt64, write_i64;
        /// Writes a FLOAT32.
        write_float32, write_nullable_float32, write_array_of_float32,
        write_array_of_nullable_float32,
        f32, Float32, NullableFloat32, ArrayOfFloat32, ArrayOfNullableFloat32, write_f32;
        /// Writes a FLOAT64.
        write_float64, write_nullable_float64, write_array_of_float64,
        write_array_of_nullable_float64,
        f64, Float64, NullableFloat64, ArrayOfFloat64, ArrayOfNullableFloat64, write_f64;
    }

    /// Writes a STRING.
    pub fn write_string(&mut self, name: &'a str, value: Option<&str>) {
        self.var_field(name, FieldKind::String, value.is_some(), |out| {
            value.map_or(Ok(()), |s| out.write_string(s))
        });
    }

    /// Writes an ARRAY_OF_STRING whose items are all present.
    pub fn write_array_of_string<S: AsRef<str>>(&mut self, name: &'a str, value: Option<&[S]>) {
        self.var_field(
            name,
            FieldKind::ArrayOfString,
            value.is_some(),
            |out| match value {
                Some(vs) => write_items(out, vs.iter().map(Some), |out, s| {
                    out.write_string(s.as_ref())
                }),
                None => Ok(()),
            },
        );
    }

    /// Writes an ARRAY_OF_STRING whose items may be null.
    pub fn write_array_of_nullable_string<S: AsRef<str>>(
        &mut self,
        name: &'a str,
        value: Option<&[Option<S>]>,
    ) {
        self.var_field(
            name,
            FieldKind::ArrayOfString,
            value.is_some(),
            |out| match value {
                Some(vs) => write_items(out, vs.iter().map(Option::as_ref), |out, s| {
                    out.write_string(s.as_ref())
                }),
                None => Ok(()),
            },
        );
    }

    object_writers! {
        /// Writes a DECIMAL.
        write_decimal, write_array_of_decimal, Decimal, Decimal, ArrayOfDecimal,
        |out, v| v.write(out);
        /// Writes a TIME.
        write_time, write_array_of_time, Time, Time, ArrayOfTime,
        |out, v| { v.write(out); Ok(()) };
        /// Writes a DATE.
        write_date, write_array_of_date, Date, Date, ArrayOfDate,
        |out, v| { v.write(out); Ok(()) };
        /// Writes a TIMESTAMP.
        write_timestamp, write_array_of_timestamp, Timestamp, Timestamp, ArrayOfTimestamp,
        |out, v| { v.write(out); Ok(()) };
        /// Writes a TIMESTAMP_WITH_TIMEZONE.
        write_timestamp_with_timezone, write_array_of_timestamp_with_timezone,
        TimestampWithTimezone, TimestampWithTimezone, ArrayOfTimestampWithTimezone,
        |out, v| { v.write(out); Ok(()) };
    }

    /// Writes a nested COMPACT record (schema id + body).
    pub fn write_compact<T: Compact + ?Sized>(&mut self, name: &'a str, value: Option<&T>) {
        let (registry, depth) = (self.registry, self.depth);
        self.var_field(
            name,
            FieldKind::Compact,
            value.is_some(),
            |out| match value {
                Some(v) => encode_nested(registry, depth, v, out).map(drop),
                None => Ok(()),
            },
        );
    }

    /// Writes an ARRAY_OF_COMPACT whose items are all present.
    pub fn write_array_of_compact<T: Compact>(&mut self, name: &'a str, value: Option<&[T]>) {
        let (registry, depth) = (self.registry, self.depth);
        self.var_field(
            name,
            FieldKind::ArrayOfCompact,
            value.is_some(),
            |out| match value {
                Some(vs) => write_items(out, vs.iter().map(Some), |out, v| {
                    encode_nested(registry, depth, v, out).map(drop)
                }),
                None => Ok(()),
            },
        );
    }

    /// Writes an ARRAY_OF_COMPACT whose items may be null.
    pub fn write_array_of_nullable_compact<T: Compact>(
        &mut self,
        name: &'a str,
        value: Option<&[Option<T>]>,
    ) {
        let (registry, depth) = (self.registry, self.depth);
        self.var_field(
            name,
            FieldKind::ArrayOfCompact,
            value.is_some(),
            |out| match value {
                Some(vs) => write_items(out, vs.iter().map(Option::as_ref), |out, v| {
                    encode_nested(registry, depth, v, out).map(drop)
                }),
                None => Ok(()),
            },
        );
    }

    /// Lays the collected fields out after `schemaId`: the record as Hazelcast writes it.
    /// Resolves the schema in the registry (registering it, unreplicated, if new).
    pub(crate) fn finish(self, type_name: &str, out: &mut DataOutput) -> Result<Arc<Schema>> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let entries = self.entries;
        // The schema and the sorted field order of a type are computed once (sort and
        // Rabin fingerprint), then found again by the fields in write order.
        let resolved = match self.registry.cached_layout(type_name, |fs| {
            fs.len() == entries.len()
                && fs
                    .iter()
                    .zip(&entries)
                    .all(|((n, k), e)| *k == e.kind && &**n == e.name)
        }) {
            Some(r) => r,
            None => resolve_layout(self.registry, type_name, &entries)?,
        };
        let schema = Arc::clone(&resolved.schema);
        let id = schema.id();
        out.write_i64(schema.id());
        let has_var = schema.var_count() > 0;
        let fixed = schema.fixed_size();
        let data_len = fixed + self.var.len();
        if has_var {
            out.write_i32(to_i32(data_len)?);
        }
        let start = out.len();
        out.buf_mut().resize(start + fixed, 0);
        out.write_bytes(self.var.as_slice());
        give_back(self.var);
        // Fixed values go into the fixed section; offsets of variable-size values are
        // appended in field-name order, which is offset-table order.
        let width = if data_len < usize::from(u8::MAX) {
            1
        } else if data_len < usize::from(u16::MAX) {
            2
        } else {
            4
        };
        for (i, &w) in resolved.order.iter().enumerate() {
            let e = entries
                .get(w)
                .ok_or(SerializationError::BadOffset(w as i64))?;
            let layout = schema
                .layout(i)
                .ok_or(SerializationError::BadOffset(i as i64))?;
            match (layout, e.slot) {
                (FieldLayout::Fixed { offset }, Slot::Fixed(b)) => {
                    let size = e.kind.fixed_size().unwrap_or(0);
                    out.buf_mut()[start + offset..start + offset + size]
                        .copy_from_slice(&b[..size]);
                }
                (FieldLayout::Bit { offset, bit }, Slot::Bit(v)) => {
                    if v {
                        out.buf_mut()[start + offset] |= 1 << bit;
                    }
                }
                (FieldLayout::Var { .. }, Slot::Var(at)) => {
                    let p = match at {
                        Some(at) => to_i32(fixed + at)?,
                        None => NULL_OFFSET,
                    };
                    match width {
                        1 => out.write_u8(p as u8),
                        2 => out.write_u16(p as u16),
                        _ => out.write_i32(p),
                    }
                }
                _ => return Err(SerializationError::SchemaConflict(id)),
            }
        }
        Ok(schema)
    }
}

/// Sorts the fields of a record written for the first time (in this order), computes its
/// schema id, finds or registers the schema and caches the result.
fn resolve_layout(
    registry: &SchemaRegistry,
    type_name: &str,
    entries: &[Entry<'_>],
) -> Result<Arc<CachedLayout>> {
    // order[i] is the write position of schema field i (fields sorted by name).
    let mut order: Vec<usize> = (0..entries.len()).collect();
    let name = |i: usize| entries.get(i).map_or("", |e| e.name);
    order.sort_unstable_by(|&a, &b| name(a).cmp(name(b)));
    if let Some(w) = order.windows(2).find(|w| name(w[0]) == name(w[1])) {
        return Err(SerializationError::DuplicateField(name(w[0]).to_owned()));
    }
    let sorted: Vec<&Entry<'_>> = order.iter().filter_map(|&i| entries.get(i)).collect();
    let id = fingerprint(type_name, sorted.iter().map(|e| (e.name, e.kind)));
    let schema = match registry.get(id) {
        Some(s) => {
            let same = s.type_name() == type_name
                && s.fields().len() == sorted.len()
                && s.fields()
                    .iter()
                    .zip(&sorted)
                    .all(|(f, e)| f.name == e.name && f.kind == e.kind);
            if !same {
                return Err(SerializationError::SchemaConflict(id));
            }
            s
        }
        None => {
            let fields = sorted
                .iter()
                .map(|e| FieldDescriptor::new(e.name, e.kind))
                .collect();
            registry.register(Schema::new(type_name, fields)?)?
        }
    };
    let layout = CachedLayout {
        fields: entries
            .iter()
            .map(|e| (Box::from(e.name), e.kind))
            .collect(),
        schema,
        order: order.into_boxed_slice(),
    };
    Ok(registry.cache_layout(type_name, layout))
}

/// Encodes `value` (schema id + body) at `depth` into `out`.
pub(crate) fn encode_nested<T: Compact + ?Sized>(
    registry: &SchemaRegistry,
    depth: usize,
    value: &T,
    out: &mut DataOutput,
) -> Result<Arc<Schema>> {
    if depth + 1 >= MAX_DEPTH {
        return Err(SerializationError::TooDeep(MAX_DEPTH));
    }
    let mut w = CompactWriter::at_depth(registry, depth + 1);
    value.write(&mut w)?;
    w.finish(value.type_name(), out)
}
