//! Rust names and doc attributes from definition names and docs.

use std::fmt::Write as _;

pub(super) fn snake(s: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let prev_upper = i > 0 && chars[i - 1].is_ascii_uppercase();
            if i > 0 && (prev_lower || (prev_upper && next_lower)) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

pub(super) fn field_name(s: &str) -> String {
    let n = snake(s);
    match n.as_str() {
        "type" | "ref" | "match" | "loop" | "static" | "async" | "await" | "move" | "where"
        | "use" | "mod" | "fn" | "let" | "impl" | "trait" | "struct" | "enum" | "final"
        | "override" | "box" | "in" | "for" | "if" | "else" | "dyn" | "abstract" | "become"
        | "do" | "macro" | "priv" | "typeof" | "unsized" | "virtual" | "yield" | "try" | "gen" => {
            format!("r#{n}")
        }
        _ => n,
    }
}

pub(super) fn pascal(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

pub(super) fn doc_attr(indent: &str, doc: Option<&str>, fallback: &str) -> String {
    let text = doc
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .unwrap_or(fallback);
    let mut out = String::new();
    for line in text.lines() {
        let line = line.trim_end();
        let _ = writeln!(out, "{indent}#[doc = {:?}]", format!(" {line}"));
    }
    out
}
