//! Query predicates, serialized as Hazelcast's `IdentifiedDataSerializable` predicates
//! (factory −20) so that members evaluate them.
//!
//! ```
//! use hazelcast_protocol::predicate::Predicate;
//! use hazelcast_protocol::serialization::{FromData, ToData};
//!
//! let p = Predicate::equal("principalName", "alice");
//! let data = p.to_data()?;
//! assert_eq!(data.as_bytes()[..9], [0, 0, 0, 0, 0xff, 0xff, 0xff, 0xfe, 0x01]);
//! assert_eq!(Predicate::from_data(&data)?, p);
//! # Ok::<(), hazelcast_protocol::serialization::SerializationError>(())
//! ```

use crate::data::type_id;
use crate::serialization::{
    DataInput, DataOutput, FromData, MAX_DEPTH, SerializationError, ToData, Value,
};

/// `FactoryIdHelper.PREDICATE_DS_FACTORY_ID`.
pub const PREDICATE_FACTORY_ID: i32 = -20;

/// Class ids of the predicates in factory −20 (`PredicateDataSerializerHook`).
pub mod class_id {
    /// `SqlPredicate`.
    pub const SQL: i32 = 0;
    /// `AndPredicate`.
    pub const AND: i32 = 1;
    /// `BetweenPredicate`.
    pub const BETWEEN: i32 = 2;
    /// `EqualPredicate`.
    pub const EQUAL: i32 = 3;
    /// `GreaterLessPredicate`.
    pub const GREATER_LESS: i32 = 4;
    /// `LikePredicate`.
    pub const LIKE: i32 = 5;
    /// `ILikePredicate`.
    pub const ILIKE: i32 = 6;
    /// `InPredicate`.
    pub const IN: i32 = 7;
    /// `InstanceOfPredicate`.
    pub const INSTANCE_OF: i32 = 8;
    /// `NotEqualPredicate`.
    pub const NOT_EQUAL: i32 = 9;
    /// `NotPredicate`.
    pub const NOT: i32 = 10;
    /// `OrPredicate`.
    pub const OR: i32 = 11;
    /// `RegexPredicate`.
    pub const REGEX: i32 = 12;
    /// `FalsePredicate`.
    pub const FALSE: i32 = 13;
    /// `TruePredicate`.
    pub const TRUE: i32 = 14;
}

/// The IDS header byte: identified, not versioned.
const IDS_FLAG: u8 = 0x01;
/// The "versioned" bit of the IDS header: two version bytes follow.
const IDS_VERSIONED: u8 = 0x02;

/// A query predicate over map entries. Attribute names may be `__key`, `this`, or a path.
#[derive(Clone, PartialEq, Debug)]
#[non_exhaustive]
pub enum Predicate {
    /// The old SQL-like syntax, e.g. `principalName = 'alice'` (no `IS NULL`).
    Sql(String),
    /// All of the predicates.
    And(Vec<Predicate>),
    /// Any of the predicates.
    Or(Vec<Predicate>),
    /// The negation.
    Not(Box<Predicate>),
    /// `attribute == value` (a null value matches null attributes).
    Equal {
        /// Attribute path.
        attribute: String,
        /// Value compared with.
        value: Value,
    },
    /// `attribute != value`.
    NotEqual {
        /// Attribute path.
        attribute: String,
        /// Value compared with.
        value: Value,
    },
    /// `attribute <`, `<=`, `>` or `>=` value.
    GreaterLess {
        /// Attribute path.
        attribute: String,
        /// Value compared with.
        value: Value,
        /// Whether equality also matches.
        equal: bool,
        /// `true` for less-than, `false` for greater-than.
        less: bool,
    },
    /// `from <= attribute <= to`.
    Between {
        /// Attribute path.
        attribute: String,
        /// Lower bound, inclusive.
        from: Value,
        /// Upper bound, inclusive.
        to: Value,
    },
    /// `attribute` is one of the values.
    In {
        /// Attribute path.
        attribute: String,
        /// Accepted values.
        values: Vec<Value>,
    },
    /// SQL `LIKE` (`%` and `_` wildcards), case-sensitive.
    Like {
        /// Attribute path.
        attribute: String,
        /// Pattern.
        pattern: String,
    },
    /// SQL `LIKE`, case-insensitive.
    ILike {
        /// Attribute path.
        attribute: String,
        /// Pattern.
        pattern: String,
    },
    /// Java regular-expression match.
    Regex {
        /// Attribute path.
        attribute: String,
        /// Pattern.
        pattern: String,
    },
    /// Values that are instances of a Java class.
    InstanceOf(String),
    /// Matches everything.
    True,
    /// Matches nothing.
    False,
}

impl Predicate {
    /// `Predicates.sql(expression)`.
    pub fn sql(expression: impl Into<String>) -> Self {
        Self::Sql(expression.into())
    }
    /// `Predicates.equal(attribute, value)`.
    pub fn equal(attribute: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::Equal {
            attribute: attribute.into(),
            value: value.into(),
        }
    }
    /// `Predicates.notEqual(attribute, value)`.
    pub fn not_equal(attribute: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::NotEqual {
            attribute: attribute.into(),
            value: value.into(),
        }
    }
    /// `Predicates.greaterThan(attribute, value)`.
    pub fn greater(attribute: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::greater_less(attribute, value, false, false)
    }
    /// `Predicates.greaterEqual(attribute, value)`.
    pub fn greater_or_equal(attribute: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::greater_less(attribute, value, true, false)
    }
    /// `Predicates.lessThan(attribute, value)`.
    pub fn less(attribute: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::greater_less(attribute, value, false, true)
    }
    /// `Predicates.lessEqual(attribute, value)`.
    pub fn less_or_equal(attribute: impl Into<String>, value: impl Into<Value>) -> Self {
        Self::greater_less(attribute, value, true, true)
    }
    fn greater_less(
        attribute: impl Into<String>,
        value: impl Into<Value>,
        equal: bool,
        less: bool,
    ) -> Self {
        Self::GreaterLess {
            attribute: attribute.into(),
            value: value.into(),
            equal,
            less,
        }
    }
    /// `Predicates.between(attribute, from, to)`.
    pub fn between(
        attribute: impl Into<String>,
        from: impl Into<Value>,
        to: impl Into<Value>,
    ) -> Self {
        Self::Between {
            attribute: attribute.into(),
            from: from.into(),
            to: to.into(),
        }
    }
    /// `Predicates.in(attribute, values...)`.
    pub fn is_in<V: Into<Value>>(
        attribute: impl Into<String>,
        values: impl IntoIterator<Item = V>,
    ) -> Self {
        Self::In {
            attribute: attribute.into(),
            values: values.into_iter().map(Into::into).collect(),
        }
    }
    /// `Predicates.like(attribute, pattern)`.
    pub fn like(attribute: impl Into<String>, pattern: impl Into<String>) -> Self {
        Self::Like {
            attribute: attribute.into(),
            pattern: pattern.into(),
        }
    }
    /// `Predicates.ilike(attribute, pattern)`.
    pub fn ilike(attribute: impl Into<String>, pattern: impl Into<String>) -> Self {
        Self::ILike {
            attribute: attribute.into(),
            pattern: pattern.into(),
        }
    }
    /// `Predicates.regex(attribute, pattern)`.
    pub fn regex(attribute: impl Into<String>, pattern: impl Into<String>) -> Self {
        Self::Regex {
            attribute: attribute.into(),
            pattern: pattern.into(),
        }
    }
    /// `Predicates.and(predicates...)`.
    pub fn and(predicates: impl IntoIterator<Item = Predicate>) -> Self {
        Self::And(predicates.into_iter().collect())
    }
    /// `Predicates.or(predicates...)`.
    pub fn or(predicates: impl IntoIterator<Item = Predicate>) -> Self {
        Self::Or(predicates.into_iter().collect())
    }
    /// `Predicates.not(predicate)`.
    pub fn negate(predicate: Predicate) -> Self {
        Self::Not(Box::new(predicate))
    }

    /// The class id in factory −20.
    pub fn class_id(&self) -> i32 {
        match self {
            Predicate::Sql(_) => class_id::SQL,
            Predicate::And(_) => class_id::AND,
            Predicate::Or(_) => class_id::OR,
            Predicate::Not(_) => class_id::NOT,
            Predicate::Equal { .. } => class_id::EQUAL,
            Predicate::NotEqual { .. } => class_id::NOT_EQUAL,
            Predicate::GreaterLess { .. } => class_id::GREATER_LESS,
            Predicate::Between { .. } => class_id::BETWEEN,
            Predicate::In { .. } => class_id::IN,
            Predicate::Like { .. } => class_id::LIKE,
            Predicate::ILike { .. } => class_id::ILIKE,
            Predicate::Regex { .. } => class_id::REGEX,
            Predicate::InstanceOf(_) => class_id::INSTANCE_OF,
            Predicate::True => class_id::TRUE,
            Predicate::False => class_id::FALSE,
        }
    }

    /// Java's `writeObject` of this predicate: type id −2, then the IDS body.
    ///
    /// # Errors
    /// When a string or list is longer than `i32::MAX`.
    pub fn write_object(&self, out: &mut DataOutput) -> Result<(), SerializationError> {
        out.write_i32(type_id::DATA_SERIALIZABLE);
        self.write_ids(out)
    }

    fn write_ids(&self, out: &mut DataOutput) -> Result<(), SerializationError> {
        out.write_u8(IDS_FLAG);
        out.write_i32(PREDICATE_FACTORY_ID);
        out.write_i32(self.class_id());
        match self {
            Predicate::Sql(s) | Predicate::InstanceOf(s) => out.write_string(s)?,
            Predicate::And(ps) | Predicate::Or(ps) => {
                out.write_len(ps.len())?;
                for p in ps {
                    p.write_object(out)?;
                }
            }
            Predicate::Not(p) => p.write_object(out)?,
            Predicate::Equal { attribute, value } | Predicate::NotEqual { attribute, value } => {
                out.write_string(attribute)?;
                value.write_object(out)?;
            }
            Predicate::GreaterLess {
                attribute,
                value,
                equal,
                less,
            } => {
                out.write_string(attribute)?;
                value.write_object(out)?;
                out.write_bool(*equal);
                out.write_bool(*less);
            }
            Predicate::Between {
                attribute,
                from,
                to,
            } => {
                // Java writes the upper bound first.
                out.write_string(attribute)?;
                to.write_object(out)?;
                from.write_object(out)?;
            }
            Predicate::In { attribute, values } => {
                out.write_string(attribute)?;
                out.write_len(values.len())?;
                for v in values {
                    v.write_object(out)?;
                }
            }
            Predicate::Like { attribute, pattern }
            | Predicate::ILike { attribute, pattern }
            | Predicate::Regex { attribute, pattern } => {
                out.write_string(attribute)?;
                out.write_string(pattern)?;
            }
            Predicate::True | Predicate::False => {}
        }
        Ok(())
    }

    /// Java's `readObject` of a predicate (type id, then the IDS body).
    ///
    /// # Errors
    /// Another type id, another factory, an unknown class, malformed or too deeply nested input.
    pub fn read_object(input: &mut DataInput<'_>) -> Result<Self, SerializationError> {
        Self::read_object_at(input, 0)
    }

    fn read_object_at(input: &mut DataInput<'_>, depth: usize) -> Result<Self, SerializationError> {
        let t = input.read_i32()?;
        if t != type_id::DATA_SERIALIZABLE {
            return Err(SerializationError::UnexpectedType {
                expected: type_id::DATA_SERIALIZABLE,
                found: t,
            });
        }
        Self::read_ids(input, depth)
    }

    fn read_ids(input: &mut DataInput<'_>, depth: usize) -> Result<Self, SerializationError> {
        if depth >= MAX_DEPTH {
            return Err(SerializationError::TooDeep(MAX_DEPTH));
        }
        let header = input.read_u8()?;
        if header & IDS_FLAG == 0 {
            return Err(SerializationError::InvalidValue(
                "not an IdentifiedDataSerializable".into(),
            ));
        }
        let factory = input.read_i32()?;
        let class = input.read_i32()?;
        if header & IDS_VERSIONED != 0 {
            input.read_bytes(2)?;
        }
        if factory != PREDICATE_FACTORY_ID {
            return Err(SerializationError::InvalidValue(format!(
                "factory id {factory} is not the predicate factory"
            )));
        }
        let string = |input: &mut DataInput<'_>| input.read_str().map(str::to_owned);
        let list = |input: &mut DataInput<'_>| -> Result<Vec<Predicate>, SerializationError> {
            // Each nested predicate takes at least 13 bytes.
            let n = input
                .read_len(13)?
                .ok_or(SerializationError::UnexpectedNull)?;
            let mut ps = Vec::with_capacity(n);
            for _ in 0..n {
                ps.push(Self::read_object_at(input, depth + 1)?);
            }
            Ok(ps)
        };
        Ok(match class {
            class_id::SQL => Predicate::Sql(string(input)?),
            class_id::INSTANCE_OF => Predicate::InstanceOf(string(input)?),
            class_id::AND => Predicate::And(list(input)?),
            class_id::OR => Predicate::Or(list(input)?),
            class_id::NOT => Predicate::Not(Box::new(Self::read_object_at(input, depth + 1)?)),
            class_id::EQUAL | class_id::NOT_EQUAL => {
                let attribute = string(input)?;
                let value = Value::read_object(input)?;
                if class == class_id::EQUAL {
                    Predicate::Equal { attribute, value }
                } else {
                    Predicate::NotEqual { attribute, value }
                }
            }
            class_id::GREATER_LESS => Predicate::GreaterLess {
                attribute: string(input)?,
                value: Value::read_object(input)?,
                equal: input.read_bool()?,
                less: input.read_bool()?,
            },
            class_id::BETWEEN => {
                let attribute = string(input)?;
                let to = Value::read_object(input)?;
                let from = Value::read_object(input)?;
                Predicate::Between {
                    attribute,
                    from,
                    to,
                }
            }
            class_id::IN => {
                let attribute = string(input)?;
                let n = input
                    .read_len(4)?
                    .ok_or(SerializationError::UnexpectedNull)?;
                let mut values = Vec::with_capacity(n);
                for _ in 0..n {
                    values.push(Value::read_object(input)?);
                }
                Predicate::In { attribute, values }
            }
            class_id::LIKE | class_id::ILIKE | class_id::REGEX => {
                let attribute = string(input)?;
                let pattern = string(input)?;
                match class {
                    class_id::LIKE => Predicate::Like { attribute, pattern },
                    class_id::ILIKE => Predicate::ILike { attribute, pattern },
                    _ => Predicate::Regex { attribute, pattern },
                }
            }
            class_id::TRUE => Predicate::True,
            class_id::FALSE => Predicate::False,
            other => {
                return Err(SerializationError::InvalidValue(format!(
                    "unsupported predicate class id {other}"
                )));
            }
        })
    }
}

impl ToData for Predicate {
    fn type_id(&self) -> i32 {
        type_id::DATA_SERIALIZABLE
    }
    fn write_payload(&self, out: &mut DataOutput) -> Result<(), SerializationError> {
        self.write_ids(out)
    }
    fn payload_size_hint(&self) -> usize {
        64
    }
}

impl FromData for Predicate {
    fn read_payload(type_id: i32, input: &mut DataInput<'_>) -> Result<Self, SerializationError> {
        if type_id != type_id::DATA_SERIALIZABLE {
            return Err(SerializationError::UnexpectedType {
                expected: type_id::DATA_SERIALIZABLE,
                found: type_id,
            });
        }
        Self::read_ids(input, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_refused() {
        let mut p = Predicate::True;
        for _ in 0..(MAX_DEPTH + 5) {
            p = Predicate::negate(p);
        }
        let data = p.to_data().expect("encodes");
        assert!(matches!(
            Predicate::from_data(&data),
            Err(SerializationError::TooDeep(_))
        ));
    }

    #[test]
    fn huge_counts_are_refused() {
        let mut out = DataOutput::with_header(type_id::DATA_SERIALIZABLE, 16);
        out.write_u8(1);
        out.write_i32(PREDICATE_FACTORY_ID);
        out.write_i32(class_id::AND);
        out.write_i32(i32::MAX);
        assert!(Predicate::from_data(&out.into_data()).is_err());
    }
}
