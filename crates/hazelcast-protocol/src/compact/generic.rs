//! Generic records: any Compact record, read or built without a Rust type of its own.

use std::sync::Arc;

use super::kind::FieldKind;
use super::reader::CompactReader;
use super::schema::{FieldDescriptor, Schema};
use super::types::{Date, Decimal, Time, Timestamp, TimestampWithTimezone};
use super::writer::CompactWriter;
use super::{Compact, CompactDeserialize};
use crate::serialization::{SerializationError, Value};

type Result<T> = std::result::Result<T, SerializationError>;

macro_rules! field_values {
    (
        fixed { $($fv:ident($ft:ty) = $fw:ident / $fr:ident;)* }
        slices { $($sv:ident($st:ty) = $sw:ident / $sr:ident;)* }
        owned { $($ov:ident($ot:ty) = $ow:ident / $or:ident;)* }
    ) => {
        /// The value of one field, tagged with its kind.
        ///
        /// `ArrayOfInt8` holds raw bytes (two's complement of Hazelcast's signed bytes).
        #[derive(Clone, PartialEq, Debug)]
        #[non_exhaustive]
        pub enum FieldValue {
            $(#[doc = concat!("A ", stringify!($fv), " value.")] $fv($ft),)*
            $(#[doc = concat!("A ", stringify!($sv), " value.")] $sv($st),)*
            $(#[doc = concat!("A ", stringify!($ov), " value.")] $ov($ot),)*
            /// A nested record.
            Compact(Option<GenericRecord>),
            /// An array of nested records.
            ArrayOfCompact(Option<Vec<Option<GenericRecord>>>),
        }

        impl FieldValue {
            /// The field kind of this value.
            pub fn kind(&self) -> FieldKind {
                match self {
                    $(FieldValue::$fv(_) => FieldKind::$fv,)*
                    $(FieldValue::$sv(_) => FieldKind::$sv,)*
                    $(FieldValue::$ov(_) => FieldKind::$ov,)*
                    FieldValue::Compact(_) => FieldKind::Compact,
                    FieldValue::ArrayOfCompact(_) => FieldKind::ArrayOfCompact,
                }
            }

            /// Writes the value as field `name`.
            pub fn write<'a>(&'a self, w: &mut CompactWriter<'a>, name: &'a str) {
                match self {
                    $(FieldValue::$fv(v) => w.$fw(name, *v),)*
                    $(FieldValue::$sv(v) => w.$sw(name, v.as_deref()),)*
                    $(FieldValue::$ov(v) => w.$ow(name, v.as_ref()),)*
                    FieldValue::Compact(v) => w.write_compact(name, v.as_ref()),
                    FieldValue::ArrayOfCompact(v) => w.write_array_of_nullable_compact(name, v.as_deref()),
                }
            }

            /// Reads field `name` of kind `kind`.
            ///
            /// # Errors
            /// Malformed bytes or an unknown nested schema.
            pub fn read(r: &CompactReader<'_>, name: &str, kind: FieldKind) -> Result<Self> {
                Ok(match kind {
                    $(FieldKind::$fv => FieldValue::$fv(r.$fr(name)?),)*
                    $(FieldKind::$sv => FieldValue::$sv(r.$sr(name)?),)*
                    $(FieldKind::$ov => FieldValue::$ov(r.$or(name)?),)*
                    FieldKind::Compact => FieldValue::Compact(r.read_compact_with(name, GenericRecord::read)?),
                    FieldKind::ArrayOfCompact => FieldValue::ArrayOfCompact(
                        r.read_array_of_compact_with(name, GenericRecord::read)?,
                    ),
                })
            }
        }
    };
}

field_values! {
    fixed {
        Boolean(bool) = write_boolean / read_boolean;
        Int8(i8) = write_int8 / read_int8;
        Int16(i16) = write_int16 / read_int16;
        Int32(i32) = write_int32 / read_int32;
        Int64(i64) = write_int64 / read_int64;
        Float32(f32) = write_float32 / read_float32;
        Float64(f64) = write_float64 / read_float64;
        NullableBoolean(Option<bool>) = write_nullable_boolean / read_nullable_boolean;
        NullableInt8(Option<i8>) = write_nullable_int8 / read_nullable_int8;
        NullableInt16(Option<i16>) = write_nullable_int16 / read_nullable_int16;
        NullableInt32(Option<i32>) = write_nullable_int32 / read_nullable_int32;
        NullableInt64(Option<i64>) = write_nullable_int64 / read_nullable_int64;
        NullableFloat32(Option<f32>) = write_nullable_float32 / read_nullable_float32;
        NullableFloat64(Option<f64>) = write_nullable_float64 / read_nullable_float64;
    }
    slices {
        ArrayOfBoolean(Option<Vec<bool>>) = write_array_of_boolean / read_array_of_boolean;
        ArrayOfInt8(Option<Vec<u8>>) = write_array_of_int8 / read_array_of_int8_owned;
        ArrayOfInt16(Option<Vec<i16>>) = write_array_of_int16 / read_array_of_int16;
        ArrayOfInt32(Option<Vec<i32>>) = write_array_of_int32 / read_array_of_int32;
        ArrayOfInt64(Option<Vec<i64>>) = write_array_of_int64 / read_array_of_int64;
        ArrayOfFloat32(Option<Vec<f32>>) = write_array_of_float32 / read_array_of_float32;
        ArrayOfFloat64(Option<Vec<f64>>) = write_array_of_float64 / read_array_of_float64;
        ArrayOfNullableBoolean(Option<Vec<Option<bool>>>) = write_array_of_nullable_boolean / read_array_of_nullable_boolean;
        ArrayOfNullableInt8(Option<Vec<Option<i8>>>) = write_array_of_nullable_int8 / read_array_of_nullable_int8;
        ArrayOfNullableInt16(Option<Vec<Option<i16>>>) = write_array_of_nullable_int16 / read_array_of_nullable_int16;
        ArrayOfNullableInt32(Option<Vec<Option<i32>>>) = write_array_of_nullable_int32 / read_array_of_nullable_int32;
        ArrayOfNullableInt64(Option<Vec<Option<i64>>>) = write_array_of_nullable_int64 / read_array_of_nullable_int64;
        ArrayOfNullableFloat32(Option<Vec<Option<f32>>>) = write_array_of_nullable_float32 / read_array_of_nullable_float32;
        ArrayOfNullableFloat64(Option<Vec<Option<f64>>>) = write_array_of_nullable_float64 / read_array_of_nullable_float64;
        ArrayOfString(Option<Vec<Option<String>>>) = write_array_of_nullable_string / read_array_of_string_owned;
        ArrayOfDecimal(Option<Vec<Option<Decimal>>>) = write_array_of_decimal / read_array_of_decimal;
        ArrayOfTime(Option<Vec<Option<Time>>>) = write_array_of_time / read_array_of_time;
        ArrayOfDate(Option<Vec<Option<Date>>>) = write_array_of_date / read_array_of_date;
        ArrayOfTimestamp(Option<Vec<Option<Timestamp>>>) = write_array_of_timestamp / read_array_of_timestamp;
        ArrayOfTimestampWithTimezone(Option<Vec<Option<TimestampWithTimezone>>>) = write_array_of_timestamp_with_timezone / read_array_of_timestamp_with_timezone;
    }
    owned {
        String(Option<String>) = write_string_owned / read_string_owned;
        Decimal(Option<Decimal>) = write_decimal / read_decimal;
        Time(Option<Time>) = write_time / read_time;
        Date(Option<Date>) = write_date / read_date;
        Timestamp(Option<Timestamp>) = write_timestamp / read_timestamp;
        TimestampWithTimezone(Option<TimestampWithTimezone>) = write_timestamp_with_timezone / read_timestamp_with_timezone;
    }
}

impl FieldValue {
    /// The value as a built-in [`Value`] when it is a scalar (for comparing a field with a
    /// predicate's value): nullable kinds give [`Value::Null`] for null; arrays, nested
    /// records, decimals and date/time kinds give `None`.
    pub fn to_scalar(&self) -> Option<Value> {
        use FieldValue as F;
        fn opt<T>(v: &Option<T>, f: impl Fn(&T) -> Value) -> Value {
            v.as_ref().map_or(Value::Null, f)
        }
        Some(match self {
            F::Boolean(v) => Value::Bool(*v),
            F::Int8(v) => Value::Byte(*v),
            F::Int16(v) => Value::Short(*v),
            F::Int32(v) => Value::Int(*v),
            F::Int64(v) => Value::Long(*v),
            F::Float32(v) => Value::Float(*v),
            F::Float64(v) => Value::Double(*v),
            F::NullableBoolean(v) => opt(v, |x| Value::Bool(*x)),
            F::NullableInt8(v) => opt(v, |x| Value::Byte(*x)),
            F::NullableInt16(v) => opt(v, |x| Value::Short(*x)),
            F::NullableInt32(v) => opt(v, |x| Value::Int(*x)),
            F::NullableInt64(v) => opt(v, |x| Value::Long(*x)),
            F::NullableFloat32(v) => opt(v, |x| Value::Float(*x)),
            F::NullableFloat64(v) => opt(v, |x| Value::Double(*x)),
            F::String(v) => opt(v, |x| Value::String(x.clone())),
            _ => return None,
        })
    }
}

impl<'a> CompactWriter<'a> {
    fn write_string_owned(&mut self, name: &'a str, value: Option<&String>) {
        self.write_string(name, value.map(String::as_str));
    }
}

impl CompactReader<'_> {
    fn read_string_owned(&self, name: &str) -> Result<Option<String>> {
        Ok(self.read_string(name)?.map(str::to_owned))
    }

    fn read_array_of_int8_owned(&self, name: &str) -> Result<Option<Vec<u8>>> {
        Ok(self.read_array_of_int8(name)?.map(<[u8]>::to_vec))
    }

    fn read_array_of_string_owned(&self, name: &str) -> Result<Option<Vec<Option<String>>>> {
        Ok(self
            .read_array_of_string(name)?
            .map(|v| v.into_iter().map(|s| s.map(str::to_owned)).collect()))
    }
}

/// A Compact record of any type: its schema and one value per field.
///
/// Records read from bytes remember the order in which their variable-size fields were
/// stored, so writing one back produces the same bytes.
#[derive(Clone, Debug)]
pub struct GenericRecord {
    schema: Arc<Schema>,
    values: Vec<FieldValue>,
    order: Vec<usize>,
}

impl PartialEq for GenericRecord {
    fn eq(&self, other: &Self) -> bool {
        self.schema == other.schema && self.values == other.values
    }
}

impl GenericRecord {
    /// Starts building a record of type `type_name`.
    pub fn builder(type_name: impl Into<String>) -> GenericRecordBuilder {
        GenericRecordBuilder {
            type_name: type_name.into(),
            fields: Vec::new(),
        }
    }

    /// The record's schema.
    pub fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    /// The record's type name.
    pub fn type_name(&self) -> &str {
        self.schema.type_name()
    }

    /// The value of the field called `name`.
    pub fn get(&self, name: &str) -> Option<&FieldValue> {
        self.schema.index_of(name).map(|i| &self.values[i])
    }

    /// Fields and values, in name order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &FieldValue)> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name.as_str())
            .zip(&self.values)
    }
}

impl Compact for GenericRecord {
    fn type_name(&self) -> &str {
        self.schema.type_name()
    }

    fn write<'a>(&'a self, w: &mut CompactWriter<'a>) -> Result<()> {
        for &i in &self.order {
            self.values[i].write(w, &self.schema.fields()[i].name);
        }
        Ok(())
    }
}

impl CompactDeserialize for GenericRecord {
    fn read(r: &CompactReader<'_>) -> Result<Self> {
        let schema = Arc::clone(r.schema());
        let mut values = Vec::with_capacity(schema.fields().len());
        for f in schema.fields() {
            values.push(FieldValue::read(r, &f.name, f.kind)?);
        }
        // Fixed fields first (their order does not matter), then variable-size fields in the
        // order of their bytes; null ones last.
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by_key(|&i| {
            if schema.fields()[i].kind.is_var_size() {
                (1, r.var_offset(i).unwrap_or(usize::MAX))
            } else {
                (0, i)
            }
        });
        Ok(Self {
            schema,
            values,
            order,
        })
    }
}

/// Builds a [`GenericRecord`]; variable-size fields are stored in the order they are set.
#[derive(Clone, Debug)]
pub struct GenericRecordBuilder {
    type_name: String,
    fields: Vec<(String, FieldValue)>,
}

impl GenericRecordBuilder {
    /// Sets field `name`.
    #[must_use]
    pub fn field(mut self, name: impl Into<String>, value: FieldValue) -> Self {
        self.fields.push((name.into(), value));
        self
    }

    /// Finishes the record.
    ///
    /// # Errors
    /// [`SerializationError::DuplicateField`] when a name was set twice.
    pub fn build(self) -> Result<GenericRecord> {
        let schema = Schema::new(
            self.type_name,
            self.fields
                .iter()
                .map(|(n, v)| FieldDescriptor::new(n.clone(), v.kind()))
                .collect(),
        )?;
        let mut values: Vec<Option<FieldValue>> = vec![None; self.fields.len()];
        let mut order = Vec::with_capacity(self.fields.len());
        for (name, value) in self.fields {
            let i = schema
                .index_of(&name)
                .ok_or_else(|| SerializationError::FieldNotWritten(name.clone()))?;
            values[i] = Some(value);
            order.push(i);
        }
        let values = values
            .into_iter()
            .zip(schema.fields())
            .map(|(v, f)| v.ok_or_else(|| SerializationError::FieldNotWritten(f.name.clone())))
            .collect::<Result<Vec<_>>>()?;
        Ok(GenericRecord {
            schema: Arc::new(schema),
            values,
            order,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_for_predicates() {
        assert_eq!(
            FieldValue::String(Some("alice".into())).to_scalar(),
            Some(Value::String("alice".into()))
        );
        assert_eq!(
            FieldValue::NullableInt64(None).to_scalar(),
            Some(Value::Null)
        );
        assert_eq!(FieldValue::Int32(3).to_scalar(), Some(Value::Int(3)));
        assert_eq!(FieldValue::ArrayOfInt8(Some(vec![1])).to_scalar(), None);
    }

    #[test]
    fn builder_refuses_duplicates() {
        let r = GenericRecord::builder("T")
            .field("a", FieldValue::Int32(1))
            .field("a", FieldValue::Int32(2))
            .build();
        assert!(matches!(r, Err(SerializationError::DuplicateField(_))));
    }
}
