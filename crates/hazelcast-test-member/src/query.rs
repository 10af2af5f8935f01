//! Predicates: decoding the client's serialized predicates and evaluating them on entries.
//!
//! Predicates arrive as IdentifiedDataSerializable `Data` (factory −20, protocol brief
//! §3.3). Supported: SQL (a subset: `=`, `!=`, `<>`, `<`, `<=`, `>`, `>=`, `LIKE`, `AND`,
//! `OR`, `NOT`, parentheses; there is no `IS NULL`, facts 6.3), AND, OR, NOT, EQUAL,
//! NOT_EQUAL, GREATER_LESS, BETWEEN, IN, LIKE, ILIKE, TRUE, FALSE. Attributes are top-level
//! Compact fields of the value, `this` (the value itself) or `__key` (the key itself).
//! A predicate on a field of a non-Compact value fails with QueryException, as on a real
//! member ("There is no suitable accessor for ...", facts 7.4).

use hazelcast_protocol::compact::SchemaRegistry;
use hazelcast_protocol::data::Data;
use hazelcast_protocol::predicate::Predicate as WirePredicate;
use hazelcast_protocol::serialization::{DataInput, Value as WireValue};

use crate::compact_read::read_field;
use crate::error::MemberError;

/// Deepest nesting of SQL parentheses accepted (bounds recursion on hostile input).
const MAX_DEPTH: usize = 32;

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
    fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }

    /// Equality after converting `other` (the predicate side) to this value's type, as
    /// Hazelcast converts comparison values to the attribute type.
    fn equals(&self, other: &Value) -> bool {
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

    fn compare(&self, other: &Value) -> Option<std::cmp::Ordering> {
        match (self, other) {
            (Value::Str(a), Value::Str(b)) => Some(a.cmp(b)),
            (Value::Int(a), Value::Int(b)) => Some(a.cmp(b)),
            (Value::Int(_) | Value::Float(_), b) => self.as_f64()?.partial_cmp(&b.as_f64()?),
            (Value::Bool(a), Value::Bool(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

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

// ---- SQL subset -------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Ident(String),
    Str(String),
    Num(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
}

fn invalid_sql(sql: &str) -> MemberError {
    MemberError::Serialization(format!("Invalid SQL: [{sql}]"))
}

fn tokenize(sql: &str) -> Result<Vec<Tok>, MemberError> {
    let cs: Vec<char> = sql.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < cs.len() {
        let c = cs[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '(' {
            out.push(Tok::LParen);
            i += 1;
        } else if c == ')' {
            out.push(Tok::RParen);
            i += 1;
        } else if c == ',' {
            out.push(Tok::Comma);
            i += 1;
        } else if c == '\'' {
            let mut s = String::new();
            i += 1;
            loop {
                match cs.get(i) {
                    None => return Err(invalid_sql(sql)),
                    Some('\'') if cs.get(i + 1) == Some(&'\'') => {
                        s.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(ch) => {
                        s.push(*ch);
                        i += 1;
                    }
                }
            }
            out.push(Tok::Str(s));
        } else if c.is_ascii_digit()
            || (c == '-' && cs.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            i += 1;
            while i < cs.len() && (cs[i].is_ascii_digit() || cs[i] == '.') {
                i += 1;
            }
            out.push(Tok::Num(cs[start..i].iter().collect()));
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < cs.len() && (cs[i].is_alphanumeric() || matches!(cs[i], '_' | '.' | '#')) {
                i += 1;
            }
            out.push(Tok::Ident(cs[start..i].iter().collect()));
        } else {
            let two: String = cs[i..(i + 2).min(cs.len())].iter().collect();
            let op = match two.as_str() {
                "<=" => Some("<="),
                ">=" => Some(">="),
                "!=" => Some("!="),
                "<>" => Some("!="),
                "==" => Some("="),
                _ => None,
            };
            if let Some(op) = op {
                out.push(Tok::Op(op));
                i += 2;
            } else {
                let op = match c {
                    '=' => "=",
                    '<' => "<",
                    '>' => ">",
                    _ => return Err(invalid_sql(sql)),
                };
                out.push(Tok::Op(op));
                i += 1;
            }
        }
    }
    Ok(out)
}

struct SqlParser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    sql: &'a str,
    depth: usize,
}

impl SqlParser<'_> {
    fn keyword(&self, kw: &str) -> bool {
        matches!(self.toks.get(self.pos), Some(Tok::Ident(s)) if s.eq_ignore_ascii_case(kw))
    }

    fn err(&self) -> MemberError {
        invalid_sql(self.sql)
    }

    fn or(&mut self) -> Result<Predicate, MemberError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.err());
        }
        let mut items = vec![self.and()?];
        while self.keyword("OR") {
            self.pos += 1;
            items.push(self.and()?);
        }
        self.depth -= 1;
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Predicate::Or(items)
        })
    }

    fn and(&mut self) -> Result<Predicate, MemberError> {
        let mut items = vec![self.unary()?];
        while self.keyword("AND") {
            self.pos += 1;
            items.push(self.unary()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Predicate::And(items)
        })
    }

    fn unary(&mut self) -> Result<Predicate, MemberError> {
        if self.keyword("NOT") {
            self.pos += 1;
            return Ok(Predicate::Not(Box::new(self.unary()?)));
        }
        if self.toks.get(self.pos) == Some(&Tok::LParen) {
            self.pos += 1;
            let p = self.or()?;
            if self.toks.get(self.pos) != Some(&Tok::RParen) {
                return Err(self.err());
            }
            self.pos += 1;
            return Ok(p);
        }
        self.comparison()
    }

    fn literal(&mut self) -> Result<Value, MemberError> {
        let v = match self.toks.get(self.pos) {
            Some(Tok::Str(s)) => Value::Str(s.clone()),
            Some(Tok::Num(n)) => {
                if let Ok(i) = n.parse::<i64>() {
                    Value::Int(i)
                } else {
                    Value::Float(n.parse().map_err(|_| self.err())?)
                }
            }
            Some(Tok::Ident(s)) if s.eq_ignore_ascii_case("true") => Value::Bool(true),
            Some(Tok::Ident(s)) if s.eq_ignore_ascii_case("false") => Value::Bool(false),
            _ => return Err(self.err()),
        };
        self.pos += 1;
        Ok(v)
    }

    fn comparison(&mut self) -> Result<Predicate, MemberError> {
        let attr = match self.toks.get(self.pos) {
            Some(Tok::Ident(a)) => a.clone(),
            _ => return Err(self.err()),
        };
        self.pos += 1;
        if self.keyword("LIKE") || self.keyword("ILIKE") {
            let ci = self.keyword("ILIKE");
            self.pos += 1;
            return match self.literal()? {
                Value::Str(p) => Ok(Predicate::Like(attr, p, ci)),
                _ => Err(self.err()),
            };
        }
        let op = match self.toks.get(self.pos) {
            Some(Tok::Op(op)) => *op,
            _ => return Err(self.err()),
        };
        self.pos += 1;
        let v = self.literal()?;
        Ok(match op {
            "=" => Predicate::Equal(attr, v),
            "!=" => Predicate::NotEqual(attr, v),
            "<" => Predicate::GreaterLess(attr, v, false, true),
            "<=" => Predicate::GreaterLess(attr, v, true, true),
            ">" => Predicate::GreaterLess(attr, v, false, false),
            _ => Predicate::GreaterLess(attr, v, true, false),
        })
    }
}

/// Parses the supported SQL subset.
///
/// # Errors
/// `Invalid SQL: [text]` for anything outside it.
pub fn parse_sql(sql: &str) -> Result<Predicate, MemberError> {
    let mut p = SqlParser {
        toks: tokenize(sql)?,
        pos: 0,
        sql,
        depth: 0,
    };
    let pred = p.or()?;
    if p.pos != p.toks.len() {
        return Err(p.err());
    }
    Ok(pred)
}

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

    fn string_data(s: &str) -> Data {
        let mut v = vec![0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf5];
        v.extend_from_slice(&(s.len() as i32).to_be_bytes());
        v.extend_from_slice(s.as_bytes());
        Data::from_bytes(v)
    }

    #[test]
    fn decodes_official_client_vectors() {
        let eq = Data::from_bytes(hex(
            "00000000 fffffffe 01 ffffffec 00000003 0000000d 7072696e636970616c4e616d65 fffffff5 00000005 616c696365",
        ));
        assert_eq!(
            Predicate::from_data(&eq).expect("equal"),
            Predicate::Equal("principalName".into(), Value::Str("alice".into()))
        );
        let sql = Data::from_bytes(hex(
            "00000000 fffffffe 01 ffffffec 00000000 00000017 7072696e636970616c4e616d65203d2027616c69636527",
        ));
        assert_eq!(
            Predicate::from_data(&sql).expect("sql"),
            Predicate::Equal("principalName".into(), Value::Str("alice".into()))
        );
    }

    #[test]
    fn sql_subset_and_is_null_rejected() {
        let p = parse_sql("principalName = 'user7' AND maxInactiveInterval_seconds = 1800")
            .expect("parse");
        assert_eq!(
            p,
            Predicate::And(vec![
                Predicate::Equal("principalName".into(), Value::Str("user7".into())),
                Predicate::Equal("maxInactiveInterval_seconds".into(), Value::Int(1800)),
            ])
        );
        let err = parse_sql("principalName IS NULL").expect_err("no IS NULL");
        assert!(
            err.to_string()
                .contains("Invalid SQL: [principalName IS NULL]")
        );
        assert!(parse_sql("(a > 1 OR b <= 'x') AND NOT c != 2").is_ok());
    }

    #[test]
    fn evaluates_on_plain_values_and_rejects_fields_of_strings() {
        let schemas = SchemaRegistry::new();
        let k = string_data("k");
        let v = string_data("hello");
        let e = EntryRef { key: &k, value: &v };
        assert!(
            parse_sql("this = 'hello'")
                .expect("p")
                .matches(e, &schemas)
                .expect("m")
        );
        assert!(
            parse_sql("this LIKE 'he%o'")
                .expect("p")
                .matches(e, &schemas)
                .expect("m")
        );
        assert!(
            parse_sql("__key = 'k'")
                .expect("p")
                .matches(e, &schemas)
                .expect("m")
        );
        let err = parse_sql("principalName = 'x'")
            .expect("p")
            .matches(e, &schemas)
            .expect_err("no accessor");
        assert_eq!(err.code(), 40);
        assert!(err.to_string().contains("on class 'java.lang.String'"));
    }

    #[test]
    fn hostile_predicates_are_errors_not_panics() {
        for len in 0..64 {
            let mut b = hex("00000000 fffffffe 01 ffffffec 00000001 7fffffff");
            b.truncate(len);
            let _ = Predicate::from_data(&Data::from_bytes(b));
        }
        // Deep NOT nesting.
        let mut b = hex("00000000 fffffffe");
        for _ in 0..100 {
            b.extend(hex("01 ffffffec 0000000a fffffffe"));
        }
        assert!(Predicate::from_data(&Data::from_bytes(b)).is_err());
        let deep = "(".repeat(100) + "a = 1" + &")".repeat(100);
        assert!(parse_sql(&deep).is_err());
    }
}
