//! The SQL subset of `SqlPredicate`: tokenizer and recursive-descent parser.

use super::{Predicate, Value};
use crate::error::MemberError;

/// Deepest nesting of SQL parentheses accepted (bounds recursion on hostile input).
const MAX_DEPTH: usize = 32;

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
