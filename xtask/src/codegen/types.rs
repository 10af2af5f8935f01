//! Protocol parameter types (`Ty`) and the Rust they become: type names, decode and encode
//! expressions, size estimates.

use std::collections::BTreeMap;

use super::defs::CustomInfo;

#[derive(Debug, Clone)]
pub(super) enum Ty {
    Fixed(&'static str, usize),
    Str,
    Data,
    Bytes,
    ListFixed(Box<Ty>),
    ListVar(Box<Ty>),
    ListCn(Box<Ty>),
    EntryFixed(Box<Ty>, Box<Ty>),
    EntryVar(Box<Ty>, Box<Ty>),
    UuidListInt,
    Custom(String),
}

pub(super) fn fixed_of(t: &str) -> Option<Ty> {
    Some(match t {
        "boolean" => Ty::Fixed("bool", 1),
        "byte" => Ty::Fixed("u8", 1),
        "int" | "Integer" => Ty::Fixed("i32", 4),
        "long" | "Long" => Ty::Fixed("i64", 8),
        "float" => Ty::Fixed("f32", 4),
        "UUID" => Ty::Fixed("Uuid", 17),
        _ => return None,
    })
}

pub(super) fn parse_ty(t: &str, customs: &BTreeMap<String, CustomInfo>) -> Result<Ty, String> {
    if let Some(f) = fixed_of(t) {
        return Ok(f);
    }
    match t {
        "String" => return Ok(Ty::Str),
        "Data" => return Ok(Ty::Data),
        "byteArray" => return Ok(Ty::Bytes),
        "longArray" => return Ok(Ty::ListFixed(Box::new(Ty::Fixed("i64", 8)))),
        "EntryList_UUID_List_Integer" => return Ok(Ty::UuidListInt),
        _ => {}
    }
    if let Some(rest) = t.strip_prefix("ListCN_") {
        return Ok(Ty::ListCn(Box::new(parse_ty(rest, customs)?)));
    }
    if let Some(rest) = t.strip_prefix("List_").or_else(|| t.strip_prefix("Set_")) {
        let inner = parse_ty(rest, customs)?;
        return Ok(match inner {
            Ty::Fixed(..) => Ty::ListFixed(Box::new(inner)),
            _ => Ty::ListVar(Box::new(inner)),
        });
    }
    if let Some(rest) = t
        .strip_prefix("EntryList_")
        .or_else(|| t.strip_prefix("Map_"))
    {
        let (k, v) = rest
            .split_once('_')
            .ok_or_else(|| format!("bad entry type {t}"))?;
        let k = parse_ty(k, customs)?;
        let v = parse_ty(v, customs)?;
        return Ok(match (&k, &v) {
            (Ty::Fixed(..), Ty::Fixed(..)) => Ty::EntryFixed(Box::new(k), Box::new(v)),
            (Ty::Fixed(..), _) | (_, Ty::Fixed(..)) => {
                return Err(format!("unsupported mixed fixed/var entry type {t}"));
            }
            _ => Ty::EntryVar(Box::new(k), Box::new(v)),
        });
    }
    if customs.contains_key(t) {
        return Ok(Ty::Custom(t.to_owned()));
    }
    Err(format!("unknown type {t}"))
}

/// Custom types mentioned by a type string.
pub(super) fn custom_names(t: &str, out: &mut Vec<String>) {
    for tok in t.split('_') {
        if fixed_of(tok).is_none()
            && ![
                "String",
                "Data",
                "byteArray",
                "longArray",
                "List",
                "ListCN",
                "Set",
                "EntryList",
                "Map",
            ]
            .contains(&tok)
        {
            out.push(tok.to_owned());
        }
    }
}

pub(super) fn rust_ty(t: &Ty, cp: &str) -> String {
    match t {
        Ty::Fixed(n, _) => (*n).to_owned(),
        Ty::Str => "String".into(),
        Ty::Data => "Data".into(),
        Ty::Bytes => "Vec<u8>".into(),
        Ty::ListFixed(x) | Ty::ListVar(x) => format!("Vec<{}>", rust_ty(x, cp)),
        Ty::ListCn(x) => format!("Vec<Option<{}>>", rust_ty(x, cp)),
        Ty::EntryFixed(k, v) | Ty::EntryVar(k, v) => {
            format!("Vec<({}, {})>", rust_ty(k, cp), rust_ty(v, cp))
        }
        Ty::UuidListInt => "Vec<(Uuid, Vec<i32>)>".into(),
        Ty::Custom(n) => format!("{cp}{n}"),
    }
}

pub(super) fn decode_expr(t: &Ty, cp: &str) -> String {
    match t {
        Ty::Fixed(..) => unreachable_fixed(),
        Ty::Str => "r.string()".into(),
        Ty::Data => "r.data()".into(),
        Ty::Bytes => "r.byte_array()".into(),
        Ty::ListFixed(x) => format!("r.list_fixed::<{}>()", rust_ty(x, cp)),
        Ty::ListVar(x) => format!("r.list_var(|r| {})", decode_expr(x, cp)),
        Ty::ListCn(x) => format!("r.list_nullable(|r| {})", decode_expr(x, cp)),
        Ty::EntryFixed(k, v) => format!(
            "r.entry_list_fixed::<{}, {}>()",
            rust_ty(k, cp),
            rust_ty(v, cp)
        ),
        Ty::EntryVar(k, v) => format!(
            "r.entry_list_var(|r| {}, |r| {})",
            decode_expr(k, cp),
            decode_expr(v, cp)
        ),
        Ty::UuidListInt => "r.entry_list_uuid_list_integer()".into(),
        Ty::Custom(n) => format!("{cp}{n}::decode_from(r)"),
    }
}

pub(super) fn unreachable_fixed() -> String {
    // Fixed-size values only appear in initial frames or inside fixed lists.
    "compile_error!(\"fixed type in var position\")".into()
}

pub(super) fn encode_stmt(t: &Ty, v: &str, d: usize) -> String {
    match t {
        Ty::Fixed(..) => unreachable_fixed(),
        Ty::Str => format!("w.string({v})"),
        Ty::Data => format!("w.data({v})"),
        Ty::Bytes => format!("w.byte_array({v})"),
        Ty::ListFixed(_) => format!("w.list_fixed({v})"),
        Ty::ListVar(x) => format!(
            "w.list_var({v}, |w, x{d}| {})",
            encode_stmt(x, &format!("x{d}"), d + 1)
        ),
        Ty::ListCn(x) => format!(
            "w.list_nullable({v}, |w, x{d}| {})",
            encode_stmt(x, &format!("x{d}"), d + 1)
        ),
        Ty::EntryFixed(..) => format!("w.entry_list_fixed({v})"),
        Ty::EntryVar(k, val) => format!(
            "w.entry_list_var({v}, |w, k{d}| {}, |w, v{d}| {})",
            encode_stmt(k, &format!("k{d}"), d + 1),
            encode_stmt(val, &format!("v{d}"), d + 1)
        ),
        Ty::UuidListInt => format!("w.entry_list_uuid_list_integer({v})"),
        Ty::Custom(_) => format!("{}.encode_into(w)", v.strip_prefix('&').unwrap_or(v)),
    }
}

/// Bytes a var-sized value needs on the wire, as an expression (a cheap estimate for
/// anything but strings, data and byte arrays).
pub(super) fn size_expr(t: &Ty, v: &str) -> String {
    match t {
        Ty::Str | Ty::Bytes => format!("6 + {v}.len()"),
        Ty::Data => format!("6 + {v}.as_bytes().len()"),
        _ => "64".into(),
    }
}
