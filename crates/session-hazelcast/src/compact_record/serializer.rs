//! The serde `Serializer` that turns a Rust value into the [`Val`] tree
//! [`to_record`](super::to_record) builds a Compact record from.

use super::*;

impl ser::Error for CompactRecordError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        CompactRecordError::Unsupported(msg.to_string())
    }
}

/// Serializes into a [`Val`].
pub(super) struct ValSer;

fn unsupported<T>(what: &str) -> Result<T, CompactRecordError> {
    Err(CompactRecordError::Unsupported(what.to_owned()))
}

impl ser::Serializer for ValSer {
    type Ok = Val;
    type Error = CompactRecordError;
    type SerializeSeq = SeqSer;
    type SerializeTuple = ser::Impossible<Val, CompactRecordError>;
    type SerializeTupleStruct = ser::Impossible<Val, CompactRecordError>;
    type SerializeTupleVariant = ser::Impossible<Val, CompactRecordError>;
    type SerializeMap = ser::Impossible<Val, CompactRecordError>;
    type SerializeStruct = StructSer;
    type SerializeStructVariant = ser::Impossible<Val, CompactRecordError>;

    fn serialize_bool(self, v: bool) -> Result<Val, CompactRecordError> {
        Ok(Val::Bool(v))
    }
    fn serialize_i8(self, v: i8) -> Result<Val, CompactRecordError> {
        Ok(Val::I8(v))
    }
    fn serialize_i16(self, v: i16) -> Result<Val, CompactRecordError> {
        Ok(Val::I16(v))
    }
    fn serialize_i32(self, v: i32) -> Result<Val, CompactRecordError> {
        Ok(Val::I32(v))
    }
    fn serialize_i64(self, v: i64) -> Result<Val, CompactRecordError> {
        Ok(Val::I64(v))
    }
    fn serialize_u8(self, v: u8) -> Result<Val, CompactRecordError> {
        Ok(Val::I16(i16::from(v)))
    }
    fn serialize_u16(self, v: u16) -> Result<Val, CompactRecordError> {
        Ok(Val::I32(i32::from(v)))
    }
    fn serialize_u32(self, v: u32) -> Result<Val, CompactRecordError> {
        Ok(Val::I64(i64::from(v)))
    }
    fn serialize_u64(self, v: u64) -> Result<Val, CompactRecordError> {
        i64::try_from(v)
            .map(Val::I64)
            .map_err(|_| CompactRecordError::Unsupported(format!("{v} exceeds INT64")))
    }
    fn serialize_f32(self, v: f32) -> Result<Val, CompactRecordError> {
        Ok(Val::F32(v))
    }
    fn serialize_f64(self, v: f64) -> Result<Val, CompactRecordError> {
        Ok(Val::F64(v))
    }
    fn serialize_char(self, v: char) -> Result<Val, CompactRecordError> {
        Ok(Val::Str(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Val, CompactRecordError> {
        Ok(Val::Str(v.to_owned()))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Val, CompactRecordError> {
        Ok(Val::Bytes(v.to_vec()))
    }
    fn serialize_none(self) -> Result<Val, CompactRecordError> {
        Ok(Val::None)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Val, CompactRecordError> {
        // Only primitives have distinct nullable kinds; the others are nullable anyway.
        Ok(match value.serialize(ValSer)? {
            v @ (Val::Bool(_)
            | Val::I8(_)
            | Val::I16(_)
            | Val::I32(_)
            | Val::I64(_)
            | Val::F32(_)
            | Val::F64(_)) => Val::Some(Box::new(v)),
            v => v,
        })
    }
    fn serialize_unit(self) -> Result<Val, CompactRecordError> {
        Ok(Val::None)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Val, CompactRecordError> {
        Ok(Val::None)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Val, CompactRecordError> {
        Ok(Val::Str(variant.to_owned()))
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<Val, CompactRecordError> {
        let inner = value.serialize(ValSer)?;
        if name == DECIMAL_TOKEN {
            return match inner {
                Val::Str(text) => text
                    .parse()
                    .map(Val::Decimal)
                    .map_err(|e: ParseDecimalError| CompactRecordError::Unsupported(e.to_string())),
                _ => unsupported("a malformed Decimal"),
            };
        }
        Ok(inner)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Val, CompactRecordError> {
        unsupported("enum variants with data")
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqSer, CompactRecordError> {
        Ok(SeqSer(Vec::with_capacity(len.unwrap_or(0).min(1024))))
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, CompactRecordError> {
        unsupported("tuples")
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, CompactRecordError> {
        unsupported("tuple structs")
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, CompactRecordError> {
        unsupported("enum variants with data")
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, CompactRecordError> {
        unsupported("maps")
    }
    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<StructSer, CompactRecordError> {
        Ok(StructSer(name, Vec::with_capacity(len)))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, CompactRecordError> {
        unsupported("enum variants with data")
    }
}

pub(super) struct SeqSer(Vec<Val>);

impl ser::SerializeSeq for SeqSer {
    type Ok = Val;
    type Error = CompactRecordError;
    fn serialize_element<T: ?Sized + Serialize>(
        &mut self,
        value: &T,
    ) -> Result<(), CompactRecordError> {
        self.0.push(value.serialize(ValSer)?);
        Ok(())
    }
    fn end(self) -> Result<Val, CompactRecordError> {
        Ok(Val::Seq(self.0))
    }
}

pub(super) struct StructSer(&'static str, Vec<(&'static str, Val)>);

impl ser::SerializeStruct for StructSer {
    type Ok = Val;
    type Error = CompactRecordError;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), CompactRecordError> {
        self.1.push((key, value.serialize(ValSer)?));
        Ok(())
    }
    fn skip_field(&mut self, _: &'static str) -> Result<(), CompactRecordError> {
        Ok(())
    }
    fn end(self) -> Result<Val, CompactRecordError> {
        Ok(Val::Record(self.0, self.1))
    }
}
