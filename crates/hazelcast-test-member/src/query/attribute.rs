//! Values predicates compare, and reading an entry's attributes as such values: simple
//! serialized types, top-level Compact fields, `this` and `__key`.

use hazelcast_protocol::compact::SchemaRegistry;
use hazelcast_protocol::data::Data;

use super::EntryRef;
use crate::compact_read::read_field;
use crate::error::MemberError;

fn be_i32(b: &[u8], at: usize) -> Option<i32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(i32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

fn be_i64(b: &[u8], at: usize) -> Option<i64> {
    let s = b.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Some(i64::from_be_bytes(a))
}

/// A comparable value read from an entry or a predicate.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Java null.
    Null,
    /// A boolean.
    Bool(bool),
    /// Any integral number.
    Int(i64),
    /// Any floating-point number.
    Float(f64),
    /// A string (or char).
    Str(String),
    /// Something this member cannot compare (arrays, nested records, ...).
    Other,
}

impl Value {
    pub(super) fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// Equality after converting `other` (the predicate side) to this value's type, as
    /// Hazelcast converts comparison values to the attribute type.
    pub(super) fn equals(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Null, _) | (_, Value::Null) => false,
            (Value::Str(a), Value::Str(b)) => a == b,
            (Value::Str(a), b) => b.as_f64().is_some_and(|x| a.parse::<f64>().ok() == Some(x)),
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Bool(a), Value::Str(b)) => b.eq_ignore_ascii_case(&a.to_string()),
            (Value::Int(a), Value::Int(b)) => a == b,
            (Value::Int(_) | Value::Float(_), b) => {
                matches!((self.as_f64(), b.as_f64()), (Some(x), Some(y)) if x == y)
            }
            _ => false,
        }
    }

    pub(super) fn compare(&self, other: &Value) -> Option<std::cmp::Ordering> {
        match (self, other) {
            (Value::Str(a), Value::Str(b)) => Some(a.cmp(b)),
            (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
            (Value::Int(_) | Value::Float(_), b) => self.as_f64()?.partial_cmp(&b.as_f64()?),
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

fn data_type(d: &Data) -> Option<i32> {
    be_i32(d.as_bytes(), 4)
}

/// Java class of simple serialized types, for error messages.
pub(crate) fn java_class(type_id: i32) -> Option<&'static str> {
    Some(match type_id {
        -3 => "java.lang.Byte",
        -4 => "java.lang.Boolean",
        -5 => "java.lang.Character",
        -6 => "java.lang.Short",
        -7 => "java.lang.Integer",
        -8 => "java.lang.Long",
        -9 => "java.lang.Float",
        -10 => "java.lang.Double",
        -11 => "java.lang.String",
        -12 => "[B",
        _ => return None,
    })
}

/// Decodes a whole serialized object (type id + payload) as a simple value.
fn simple_value(type_id: i32, p: &[u8]) -> Option<Value> {
    Some(match type_id {
        0 => Value::Null,
        -3 => Value::Int(i64::from(*p.first()? as i8)),
        -4 => Value::Bool(*p.first()? != 0),
        -5 => {
            let b = p.get(..2)?;
            Value::Str(char::from_u32(u32::from(u16::from_be_bytes([b[0], b[1]])))?.to_string())
        }
        -6 => {
            let b = p.get(..2)?;
            Value::Int(i64::from(i16::from_be_bytes([b[0], b[1]])))
        }
        -7 => Value::Int(i64::from(be_i32(p, 0)?)),
        -8 => Value::Int(be_i64(p, 0)?),
        -9 => Value::Float(f64::from(f32::from_bits(be_i32(p, 0)? as u32))),
        -10 => Value::Float(f64::from_bits(be_i64(p, 0)? as u64)),
        -11 => {
            let len = be_i32(p, 0)?;
            if len < 0 {
                Value::Null
            } else {
                let len = usize::try_from(len).ok()?;
                Value::Str(String::from_utf8(p.get(4..4 + len)?.to_vec()).ok()?)
            }
        }
        _ => return None,
    })
}

/// Reads attribute `attr` of an entry.
///
/// # Errors
/// QueryException when the value has no such accessor (non-Compact value and a field name).
pub fn attribute(
    entry: EntryRef<'_>,
    attr: &str,
    schemas: &SchemaRegistry,
) -> Result<Value, MemberError> {
    let (target, field) = if attr == "__key" {
        (entry.key, None)
    } else if let Some(f) = attr.strip_prefix("__key.") {
        (entry.key, Some(f))
    } else if attr == "this" {
        (entry.value, None)
    } else {
        (
            entry.value,
            Some(attr.strip_prefix("this.").unwrap_or(attr)),
        )
    };
    let bytes = target.as_bytes();
    let type_id = data_type(target).unwrap_or(0);
    let payload = bytes.get(8..).unwrap_or(&[]);
    match field {
        None => Ok(simple_value(type_id, payload).unwrap_or(Value::Other)),
        Some(f) if type_id == -55 => read_field(schemas, target, f),
        Some(f) => Err(MemberError::Query(format!(
            "java.lang.IllegalArgumentException: There is no suitable accessor for '{f}' on class '{}'",
            java_class(type_id).unwrap_or("java.lang.Object")
        ))),
    }
}
