//! Compact schemas held by the cluster and a reader for top-level Compact fields.
//!
//! Member-side only: predicates and indexes read single top-level fields of values.
//! Local to this crate until `hazelcast_protocol::compact` offers a generic reader; the
//! layout is the one in the protocol brief §3.4 (schema id = Rabin fingerprint, fields
//! sorted by name, fixed fields by descending size then name, booleans as bits last,
//! var fields through an offset table after the data).

use std::collections::HashMap;

use crate::query::Value;

/// Field kind ids used here (`FieldKind` in Hazelcast).
pub mod kind {
    /// BOOLEAN.
    pub const BOOLEAN: i32 = 1;
    /// INT8.
    pub const INT8: i32 = 3;
    /// INT16.
    pub const INT16: i32 = 7;
    /// INT32.
    pub const INT32: i32 = 9;
    /// INT64.
    pub const INT64: i32 = 11;
    /// FLOAT32.
    pub const FLOAT32: i32 = 13;
    /// FLOAT64.
    pub const FLOAT64: i32 = 15;
    /// STRING.
    pub const STRING: i32 = 17;
    /// NULLABLE_BOOLEAN.
    pub const NULLABLE_BOOLEAN: i32 = 33;
    /// NULLABLE_INT8.
    pub const NULLABLE_INT8: i32 = 35;
    /// NULLABLE_INT16.
    pub const NULLABLE_INT16: i32 = 37;
    /// NULLABLE_INT32.
    pub const NULLABLE_INT32: i32 = 39;
    /// NULLABLE_INT64.
    pub const NULLABLE_INT64: i32 = 41;
    /// NULLABLE_FLOAT32.
    pub const NULLABLE_FLOAT32: i32 = 43;
    /// NULLABLE_FLOAT64.
    pub const NULLABLE_FLOAT64: i32 = 45;
}

/// Most fields a schema may have here (a bound on what a client can make us allocate).
pub const MAX_FIELDS: usize = 4096;

/// A Compact schema: type name and (field name, kind) pairs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    /// Type name.
    pub type_name: String,
    /// Fields, in any order (sorted by name when the id is computed).
    pub fields: Vec<(String, i32)>,
}

fn fixed_size(kind: i32) -> Option<usize> {
    match kind {
        kind::INT8 => Some(1),
        kind::INT16 => Some(2),
        kind::INT32 | kind::FLOAT32 => Some(4),
        kind::INT64 | kind::FLOAT64 => Some(8),
        _ => None,
    }
}

fn rabin_table() -> [u64; 256] {
    const INIT: u64 = 0xc15d_213a_a4d7_a795;
    let mut t = [0u64; 256];
    for (i, slot) in t.iter_mut().enumerate() {
        let mut fp = i as u64;
        for _ in 0..8 {
            fp = (fp >> 1) ^ (INIT & (fp & 1).wrapping_neg());
        }
        *slot = fp;
    }
    t
}

impl Schema {
    /// Fields sorted by name.
    fn sorted(&self) -> Vec<(&str, i32)> {
        let mut f: Vec<(&str, i32)> = self.fields.iter().map(|(n, k)| (n.as_str(), *k)).collect();
        f.sort_by(|a, b| a.0.cmp(b.0));
        f
    }

    /// The schema id: Rabin fingerprint of type name, field count, names and kinds.
    pub fn id(&self) -> i64 {
        const INIT: u64 = 0xc15d_213a_a4d7_a795;
        let t = rabin_table();
        let fold_byte = |fp: u64, b: u8| (fp >> 8) ^ t[((fp ^ u64::from(b)) & 0xff) as usize];
        let fold_i32 = |mut fp: u64, v: i32| {
            for b in v.to_le_bytes() {
                fp = fold_byte(fp, b);
            }
            fp
        };
        let fold_str = |fp: u64, s: &str| {
            let mut fp = fold_i32(fp, s.len() as i32);
            for b in s.bytes() {
                fp = fold_byte(fp, b);
            }
            fp
        };
        let mut fp = fold_str(INIT, &self.type_name);
        let sorted = self.sorted();
        fp = fold_i32(fp, sorted.len() as i32);
        for (name, k) in sorted {
            fp = fold_str(fp, name);
            fp = fold_i32(fp, k);
        }
        fp as i64
    }

    /// Reads top-level field `name` of a Compact body (the bytes after the schema id).
    /// `None` when the schema has no such field; `Some(Value::Other)` for kinds that
    /// predicates here cannot compare (arrays, nested records, dates, decimals).
    pub fn read_field(&self, body: &[u8], name: &str) -> Option<Value> {
        let sorted = self.sorted();
        let (_, field_kind) = *sorted.iter().find(|(n, _)| *n == name)?;
        let has_var = sorted
            .iter()
            .any(|(_, k)| *k != kind::BOOLEAN && fixed_size(*k).is_none());
        let (data, data_len) = if has_var {
            let len = be_i32(body, 0)?;
            let len = usize::try_from(len).ok()?;
            (body.get(4..)?, len)
        } else {
            (body, body.len())
        };
        // Fixed section layout.
        let mut fixed: Vec<(&str, i32, usize)> = sorted
            .iter()
            .filter_map(|(n, k)| fixed_size(*k).map(|s| (*n, *k, s)))
            .collect();
        fixed.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(b.0)));
        let mut offset = 0usize;
        for (n, k, size) in &fixed {
            if *n == name {
                let b = data.get(offset..offset + size)?;
                return Some(match *k {
                    kind::INT8 => Value::Int(i64::from(b[0] as i8)),
                    kind::INT16 => Value::Int(i64::from(i16::from_be_bytes([b[0], b[1]]))),
                    kind::INT32 => Value::Int(i64::from(be_i32(b, 0)?)),
                    kind::INT64 => Value::Int(be_i64(b, 0)?),
                    kind::FLOAT32 => Value::Float(f64::from(f32::from_bits(be_i32(b, 0)? as u32))),
                    _ => Value::Float(f64::from_bits(be_i64(b, 0)? as u64)),
                });
            }
            offset += size;
        }
        let bools: Vec<&str> = sorted
            .iter()
            .filter(|(_, k)| *k == kind::BOOLEAN)
            .map(|(n, _)| *n)
            .collect();
        if let Some(i) = bools.iter().position(|n| *n == name) {
            let byte = data.get(offset + i / 8)?;
            return Some(Value::Bool(byte & (1 << (i % 8)) != 0));
        }
        // Var field: its index among var fields in name order.
        let var_index = sorted
            .iter()
            .filter(|(_, k)| *k != kind::BOOLEAN && fixed_size(*k).is_none())
            .position(|(n, _)| *n == name)?;
        let table = data.get(data_len..)?;
        let (pos, null) = if data_len < 255 {
            let v = *table.get(var_index)?;
            (usize::from(v), v == 0xff)
        } else if data_len < 65535 {
            let b = table.get(var_index * 2..var_index * 2 + 2)?;
            let v = u16::from_be_bytes([b[0], b[1]]);
            (usize::from(v), v == 0xffff)
        } else {
            let v = be_i32(table, var_index * 4)?;
            (usize::try_from(v).unwrap_or(0), v < 0)
        };
        if null {
            return Some(Value::Null);
        }
        let at = data.get(pos..data_len)?;
        Some(match field_kind {
            kind::STRING => {
                let len = usize::try_from(be_i32(at, 0)?).ok()?;
                let bytes = at.get(4..4 + len)?;
                Value::Str(String::from_utf8_lossy(bytes).into_owned())
            }
            kind::NULLABLE_BOOLEAN => Value::Bool(*at.first()? != 0),
            kind::NULLABLE_INT8 => Value::Int(i64::from(*at.first()? as i8)),
            kind::NULLABLE_INT16 => {
                let b = at.get(..2)?;
                Value::Int(i64::from(i16::from_be_bytes([b[0], b[1]])))
            }
            kind::NULLABLE_INT32 => Value::Int(i64::from(be_i32(at, 0)?)),
            kind::NULLABLE_INT64 => Value::Int(be_i64(at, 0)?),
            kind::NULLABLE_FLOAT32 => {
                Value::Float(f64::from(f32::from_bits(be_i32(at, 0)? as u32)))
            }
            kind::NULLABLE_FLOAT64 => Value::Float(f64::from_bits(be_i64(at, 0)? as u64)),
            _ => Value::Other,
        })
    }
}

pub(crate) fn be_i32(b: &[u8], at: usize) -> Option<i32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(i32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

pub(crate) fn be_i64(b: &[u8], at: usize) -> Option<i64> {
    let s = b.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    Some(i64::from_be_bytes(a))
}

/// The cluster's schemas by id (replicated to every member).
pub type SchemaRegistry = HashMap<i64, Schema>;

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
            .collect()
    }

    fn session_schema() -> Schema {
        let f = |n: &str, k| (n.to_string(), k);
        Schema {
            type_name: "BackingMapSession".into(),
            fields: vec![
                f("originalId", kind::STRING),
                f("id", kind::STRING),
                f("principalName", kind::STRING),
                f("creationTime_seconds", kind::NULLABLE_INT64),
                f("lastAccessedTime_seconds", kind::NULLABLE_INT64),
                f("maxInactiveInterval_seconds", kind::NULLABLE_INT64),
                f("creationTime_nanos", kind::NULLABLE_INT32),
                f("lastAccessedTime_nanos", kind::NULLABLE_INT32),
                f("maxInactiveInterval_nanos", kind::NULLABLE_INT32),
                f("attributeNames", 18),
                f("attributeValues", 30),
            ],
        }
    }

    #[test]
    fn schema_ids_match_the_official_client() {
        assert_eq!(session_schema().id(), -6_205_687_457_367_408_219);
        let av = Schema {
            type_name: "AttributeValue".into(),
            fields: vec![("objectBytes".into(), 4)],
        };
        assert_eq!(av.id(), 8_525_406_671_142_911_617);
    }

    #[test]
    fn reads_fields_of_a_python_written_session() {
        let data = hex(
            "00000000ffffffc9a9e0f822fc84c1a50000006300000002733100000002733100000005616c696365000000006553f10000000000000000006553f100000000000000000000000708000000000000000500000001000000016100000000130000000176505432a737fe8100000006000000020102000039471d15062921352d000c",
        );
        let s = session_schema();
        let body = &data[16..];
        assert_eq!(
            s.read_field(body, "principalName"),
            Some(Value::Str("alice".into()))
        );
        assert_eq!(s.read_field(body, "id"), Some(Value::Str("s1".into())));
        assert_eq!(
            s.read_field(body, "maxInactiveInterval_seconds"),
            Some(Value::Int(1800))
        );
        assert_eq!(
            s.read_field(body, "creationTime_nanos"),
            Some(Value::Int(0))
        );
        assert_eq!(s.read_field(body, "attributeNames"), Some(Value::Other));
        assert_eq!(s.read_field(body, "nope"), None);
    }

    #[test]
    fn reads_fixed_fields() {
        let data =
            hex("00000000 ffffffc9 a34cc0ccd1f70496 0000000d 00000007 00000005 616c696365 04");
        let s = Schema {
            type_name: "Demo".into(),
            fields: vec![
                ("n".into(), kind::INT32),
                ("principalName".into(), kind::STRING),
            ],
        };
        assert_eq!(
            s.id(),
            i64::from_be_bytes([0xa3, 0x4c, 0xc0, 0xcc, 0xd1, 0xf7, 0x04, 0x96])
        );
        assert_eq!(s.read_field(&data[16..], "n"), Some(Value::Int(7)));
        assert_eq!(
            s.read_field(&data[16..], "principalName"),
            Some(Value::Str("alice".into()))
        );
    }

    #[test]
    fn garbage_bodies_do_not_panic() {
        let s = session_schema();
        for len in 0..40 {
            let body = vec![0xffu8; len];
            let _ = s.read_field(&body, "principalName");
            let _ = s.read_field(&body, "creationTime_nanos");
        }
    }
}
