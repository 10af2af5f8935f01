//! Compact schemas: field layout and the RabinFingerprint64 schema id.

use std::sync::OnceLock;

use super::kind::FieldKind;
use crate::serialization::SerializationError;

/// A field of a schema: name and kind.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct FieldDescriptor {
    /// Field name (case-sensitive).
    pub name: String,
    /// Field kind.
    pub kind: FieldKind,
}

impl FieldDescriptor {
    /// A field.
    pub fn new(name: impl Into<String>, kind: FieldKind) -> Self {
        Self {
            name: name.into(),
            kind,
        }
    }
}

/// Where a field's value lives in a record body.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FieldLayout {
    /// A fixed-size field at this byte offset of the fixed section.
    Fixed {
        /// Offset from the start of the data section.
        offset: usize,
    },
    /// A boolean: bit `bit` of the byte at `offset`.
    Bit {
        /// Offset from the start of the data section.
        offset: usize,
        /// Bit number, 0 = least significant.
        bit: u8,
    },
    /// A variable-size field: entry `index` of the offset table.
    Var {
        /// Index in the offset table.
        index: usize,
    },
}

/// A Compact schema: type name, fields sorted by name, their layout and the schema id.
#[derive(Clone, Debug)]
pub struct Schema {
    type_name: String,
    fields: Vec<FieldDescriptor>,
    layouts: Vec<FieldLayout>,
    fixed_size: usize,
    var_count: usize,
    id: i64,
}

impl PartialEq for Schema {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.type_name == other.type_name && self.fields == other.fields
    }
}
impl Eq for Schema {}

impl Schema {
    /// Builds a schema; fields may come in any order.
    ///
    /// # Errors
    /// [`SerializationError::DuplicateField`] when two fields share a name.
    pub fn new(
        type_name: impl Into<String>,
        mut fields: Vec<FieldDescriptor>,
    ) -> Result<Self, SerializationError> {
        // Java sorts by String (UTF-16) order, Python by code point; they agree on ASCII and
        // on the BMP, which is where field names live in practice. Byte order of UTF-8 equals
        // code-point order.
        fields.sort_by(|a, b| a.name.cmp(&b.name));
        if let Some(w) = fields.windows(2).find(|w| w[0].name == w[1].name) {
            return Err(SerializationError::DuplicateField(w[0].name.clone()));
        }
        let type_name = type_name.into();
        let id = fingerprint(&type_name, fields.iter().map(|f| (f.name.as_str(), f.kind)));
        let mut layouts = vec![FieldLayout::Var { index: 0 }; fields.len()];
        // Fixed fields: descending size, ties by name (the sort is stable).
        let mut fixed: Vec<usize> = (0..fields.len())
            .filter(|&i| fields[i].kind.fixed_size().is_some_and(|s| s > 0))
            .collect();
        fixed.sort_by_key(|&i| std::cmp::Reverse(fields[i].kind.fixed_size()));
        let mut offset = 0;
        for i in fixed {
            layouts[i] = FieldLayout::Fixed { offset };
            offset += fields[i].kind.fixed_size().unwrap_or(0);
        }
        let mut bits = 0usize;
        for (i, f) in fields.iter().enumerate() {
            if f.kind == FieldKind::Boolean {
                layouts[i] = FieldLayout::Bit {
                    offset: offset + bits / 8,
                    bit: (bits % 8) as u8,
                };
                bits += 1;
            }
        }
        offset += bits.div_ceil(8);
        let mut var_count = 0;
        for (i, f) in fields.iter().enumerate() {
            if f.kind.is_var_size() {
                layouts[i] = FieldLayout::Var { index: var_count };
                var_count += 1;
            }
        }
        Ok(Self {
            type_name,
            fields,
            layouts,
            fixed_size: offset,
            var_count,
            id,
        })
    }

    /// The schema id (RabinFingerprint64 of the schema).
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The record type name.
    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    /// Fields sorted by name.
    pub fn fields(&self) -> &[FieldDescriptor] {
        &self.fields
    }

    /// Layout of the field at `index` (in name order).
    pub fn layout(&self, index: usize) -> Option<FieldLayout> {
        self.layouts.get(index).copied()
    }

    /// Index (in name order) of the field called `name`.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        self.fields
            .binary_search_by(|f| f.name.as_str().cmp(name))
            .ok()
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&FieldDescriptor> {
        self.index_of(name).map(|i| &self.fields[i])
    }

    /// Size of the fixed section in bytes (booleans packed 8 per byte).
    pub fn fixed_size(&self) -> usize {
        self.fixed_size
    }

    /// Number of variable-size fields (entries in the offset table).
    pub fn var_count(&self) -> usize {
        self.var_count
    }
}

/// The initial value and polynomial of Hazelcast's 64-bit Rabin fingerprint.
pub const FINGERPRINT_INIT: u64 = 0xc15d_213a_a4d7_a795;

fn table() -> &'static [u64; 256] {
    static TABLE: OnceLock<[u64; 256]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = [0u64; 256];
        for (i, slot) in t.iter_mut().enumerate() {
            let mut fp = i as u64;
            for _ in 0..8 {
                fp = (fp >> 1) ^ (FINGERPRINT_INIT & (fp & 1).wrapping_neg());
            }
            *slot = fp;
        }
        t
    })
}

/// Folds one byte into a fingerprint.
pub(crate) fn fold_u8(fp: u64, b: u8) -> u64 {
    (fp >> 8) ^ table()[((fp ^ u64::from(b)) & 0xff) as usize]
}

/// Folds an `i32` (little-endian bytes) into a fingerprint.
pub(crate) fn fold_i32(fp: u64, v: i32) -> u64 {
    v.to_le_bytes().iter().fold(fp, |fp, &b| fold_u8(fp, b))
}

/// Folds a string (UTF-8 byte length as `i32`, then the bytes) into a fingerprint.
pub(crate) fn fold_str(fp: u64, s: &str) -> u64 {
    let fp = fold_i32(fp, s.len() as i32);
    s.bytes().fold(fp, fold_u8)
}

/// The schema id of a type name and its fields, which must already be sorted by name.
pub fn fingerprint<'a>(
    type_name: &str,
    sorted_fields: impl ExactSizeIterator<Item = (&'a str, FieldKind)>,
) -> i64 {
    let mut fp = fold_str(FINGERPRINT_INIT, type_name);
    fp = fold_i32(fp, sorted_fields.len() as i32);
    for (name, kind) in sorted_fields {
        fp = fold_str(fp, name);
        fp = fold_i32(fp, kind.id());
    }
    fp as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_client_vectors() {
        // hazelcast-python-client tests/unit/serialization/compact_test.py
        assert_eq!(
            fold_str(FINGERPRINT_INIT, "") as i64,
            -2_316_162_475_121_075_004
        );
        let s = Schema::new(
            "SomeType",
            vec![
                FieldDescriptor::new("id", FieldKind::Int32),
                FieldDescriptor::new("name", FieldKind::String),
                FieldDescriptor::new("age", FieldKind::Int8),
                FieldDescriptor::new("times", FieldKind::ArrayOfTimestamp),
            ],
        )
        .expect("valid");
        assert_eq!(s.id(), 3_662_264_393_229_655_598);
    }

    #[test]
    fn layout_sorted_by_size_then_name() {
        let s = Schema::new(
            "T",
            vec![
                FieldDescriptor::new("b1", FieldKind::Boolean),
                FieldDescriptor::new("i8", FieldKind::Int8),
                FieldDescriptor::new("z64", FieldKind::Int64),
                FieldDescriptor::new("a64", FieldKind::Float64),
                FieldDescriptor::new("s", FieldKind::String),
                FieldDescriptor::new("b0", FieldKind::Boolean),
                FieldDescriptor::new("i16", FieldKind::Int16),
            ],
        )
        .expect("valid");
        let at = |n: &str| s.layout(s.index_of(n).expect("field")).expect("layout");
        assert_eq!(at("a64"), FieldLayout::Fixed { offset: 0 });
        assert_eq!(at("z64"), FieldLayout::Fixed { offset: 8 });
        assert_eq!(at("i16"), FieldLayout::Fixed { offset: 16 });
        assert_eq!(at("i8"), FieldLayout::Fixed { offset: 18 });
        assert_eq!(at("b0"), FieldLayout::Bit { offset: 19, bit: 0 });
        assert_eq!(at("b1"), FieldLayout::Bit { offset: 19, bit: 1 });
        assert_eq!(at("s"), FieldLayout::Var { index: 0 });
        assert_eq!(s.fixed_size(), 20);
        assert_eq!(s.var_count(), 1);
        assert!(
            Schema::new(
                "T",
                vec![
                    FieldDescriptor::new("a", FieldKind::Int8),
                    FieldDescriptor::new("a", FieldKind::Int16)
                ]
            )
            .is_err()
        );
    }
}
