//! Predicates: decoding the client's serialized predicates and evaluating them on entries.
//!
//! Predicates arrive as IdentifiedDataSerializable `Data` (factory −20, protocol brief
//! §3.3). Supported: SQL (a subset: `=`, `!=`, `<>`, `<`, `<=`, `>`, `>=`, `LIKE`, `AND`,
//! `OR`, `NOT`, parentheses; there is no `IS NULL`, facts 6.3), AND, OR, NOT, EQUAL,
//! NOT_EQUAL, GREATER_LESS, BETWEEN, IN, LIKE, ILIKE, TRUE, FALSE. Attributes are top-level
//! Compact fields of the value, `this` (the value itself) or `__key` (the key itself).
//! A predicate on a field of a non-Compact value fails with QueryException, as on a real
//! member ("There is no suitable accessor for ...", facts 7.4).

mod attribute;
mod sql;

use hazelcast_protocol::compact::SchemaRegistry;
use hazelcast_protocol::data::Data;
use hazelcast_protocol::predicate::Predicate as WirePredicate;
use hazelcast_protocol::serialization::{DataInput, Value as WireValue};

use crate::error::MemberError;
pub(crate) use attribute::java_class;
pub use attribute::{Value, attribute};
pub use sql::parse_sql;

/// A decoded predicate.
#[derive(Debug, Clone, PartialEq)]
pub enum Predicate {
    /// Always true.
    True,
    /// Always false.
    False,
    /// All must hold.
    And(Vec<Predicate>),
    /// Any must hold.
    Or(Vec<Predicate>),
    /// Negation.
    Not(Box<Predicate>),
    /// `attr == value`.
    Equal(String, Value),
    /// `attr != value`.
    NotEqual(String, Value),
    /// `attr <|<=|>|>= value`: (attr, value, or-equal, less).
    GreaterLess(String, Value, bool, bool),
    /// `from <= attr <= to`: (attr, from, to).
    Between(String, Value, Value),
    /// `attr in values`.
    In(String, Vec<Value>),
    /// SQL LIKE (`%`, `_`), case-insensitive when the flag is set.
    Like(String, String, bool),
}

/// How an entry is seen by predicates.
#[derive(Debug, Clone, Copy)]
pub struct EntryRef<'a> {
    /// Serialized key.
    pub key: &'a Data,
    /// Serialized value.
    pub value: &'a Data,
}

fn like_match(text: &[char], pat: &[char]) -> bool {
    // Iterative wildcard match: '%' any run, '_' one char, '\' escapes.
    let (mut t, mut p) = (0usize, 0usize);
    let (mut star_p, mut star_t) = (None, 0usize);
    while t < text.len() {
        if p < pat.len() && pat[p] == '\\' && p + 1 < pat.len() && pat[p + 1] == text[t] {
            p += 2;
            t += 1;
        } else if p < pat.len() && (pat[p] == '_' || (pat[p] == text[t] && pat[p] != '%')) {
            p += 1;
            t += 1;
        } else if p < pat.len() && pat[p] == '%' {
            star_p = Some(p);
            star_t = t;
            p += 1;
        } else if let Some(sp) = star_p {
            p = sp + 1;
            star_t += 1;
            t = star_t;
        } else {
            return false;
        }
    }
    while p < pat.len() && pat[p] == '%' {
        p += 1;
    }
    p == pat.len()
}

impl Predicate {
    /// Whether the entry satisfies the predicate.
    ///
    /// # Errors
    /// QueryException / serialization errors from reading attributes.
    pub fn matches(&self, e: EntryRef<'_>, schemas: &SchemaRegistry) -> Result<bool, MemberError> {
        Ok(match self {
            Predicate::True => true,
            Predicate::False => false,
            Predicate::And(ps) => {
                for p in ps {
                    if !p.matches(e, schemas)? {
                        return Ok(false);
                    }
                }
                true
            }
            Predicate::Or(ps) => {
                for p in ps {
                    if p.matches(e, schemas)? {
                        return Ok(true);
                    }
                }
                false
            }
            Predicate::Not(p) => !p.matches(e, schemas)?,
            Predicate::Equal(a, v) => attribute(e, a, schemas)?.equals(v),
            Predicate::NotEqual(a, v) => !attribute(e, a, schemas)?.equals(v),
            Predicate::GreaterLess(a, v, or_equal, less) => {
                use std::cmp::Ordering::*;
                match attribute(e, a, schemas)?.compare(v) {
                    Some(Equal) => *or_equal,
                    Some(Less) => *less,
                    Some(Greater) => !*less,
                    None => false,
                }
            }
            Predicate::Between(a, from, to) => {
                let x = attribute(e, a, schemas)?;
                matches!(x.compare(from), Some(o) if o.is_ge())
                    && matches!(x.compare(to), Some(o) if o.is_le())
            }
            Predicate::In(a, vs) => {
                let x = attribute(e, a, schemas)?;
                vs.iter().any(|v| x.equals(v))
            }
            Predicate::Like(a, pattern, ci) => match attribute(e, a, schemas)? {
                Value::Str(s) => {
                    let (s, p) = if *ci {
                        (s.to_lowercase(), pattern.to_lowercase())
                    } else {
                        (s, pattern.clone())
                    };
                    let s: Vec<char> = s.chars().collect();
                    let p: Vec<char> = p.chars().collect();
                    like_match(&s, &p)
                }
                _ => false,
            },
        })
    }

    /// Decodes a predicate from its serialized `Data` (with the protocol crate's decoder).
    ///
    /// # Errors
    /// [`MemberError::Serialization`] for malformed or unsupported predicates, including SQL
    /// text this member cannot parse (message `Invalid SQL: [...]`).
    pub fn from_data(data: &Data) -> Result<Self, MemberError> {
        let bytes = data.as_bytes().get(4..).unwrap_or(&[]);
        let wire = WirePredicate::read_object(&mut DataInput::new(bytes))
            .map_err(|e| bad(&e.to_string()))?;
        convert(wire)
    }
}

fn bad(msg: &str) -> MemberError {
    MemberError::Serialization(format!("Cannot read predicate: {msg}"))
}

fn value_from(v: WireValue) -> Value {
    match v {
        WireValue::Null => Value::Null,
        WireValue::Bool(b) => Value::Bool(b),
        WireValue::Byte(b) => Value::Int(i64::from(b)),
        WireValue::Char(c) => {
            char::from_u32(u32::from(c)).map_or(Value::Other, |c| Value::Str(c.to_string()))
        }
        WireValue::Short(v) => Value::Int(i64::from(v)),
        WireValue::Int(v) => Value::Int(i64::from(v)),
        WireValue::Long(v) => Value::Int(v),
        WireValue::Float(v) => Value::Float(f64::from(v)),
        WireValue::Double(v) => Value::Float(v),
        WireValue::String(s) => Value::Str(s),
        _ => Value::Other,
    }
}

fn convert(p: WirePredicate) -> Result<Predicate, MemberError> {
    let all = |ps: Vec<WirePredicate>| ps.into_iter().map(convert).collect::<Result<Vec<_>, _>>();
    Ok(match p {
        WirePredicate::Sql(sql) => parse_sql(&sql)?,
        WirePredicate::And(ps) => Predicate::And(all(ps)?),
        WirePredicate::Or(ps) => Predicate::Or(all(ps)?),
        WirePredicate::Not(p) => Predicate::Not(Box::new(convert(*p)?)),
        WirePredicate::Equal { attribute, value } => Predicate::Equal(attribute, value_from(value)),
        WirePredicate::NotEqual { attribute, value } => {
            Predicate::NotEqual(attribute, value_from(value))
        }
        WirePredicate::GreaterLess {
            attribute,
            value,
            equal,
            less,
        } => Predicate::GreaterLess(attribute, value_from(value), equal, less),
        WirePredicate::Between {
            attribute,
            from,
            to,
        } => Predicate::Between(attribute, value_from(from), value_from(to)),
        WirePredicate::In { attribute, values } => {
            Predicate::In(attribute, values.into_iter().map(value_from).collect())
        }
        WirePredicate::Like { attribute, pattern } => Predicate::Like(attribute, pattern, false),
        WirePredicate::ILike { attribute, pattern } => Predicate::Like(attribute, pattern, true),
        WirePredicate::True => Predicate::True,
        WirePredicate::False => Predicate::False,
        other => return Err(bad(&format!("unsupported predicate {other:?}"))),
    })
}
#[cfg(test)]
mod tests;
