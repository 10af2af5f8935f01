//! `cargo xtask codegen`: Rust codecs from the official protocol definitions (YAML).
//!
//! Reads `../shared/hazelcast/protocol-definitions/{Client,Map,DynamicConfig}.yaml` and
//! `custom/Custom.yaml`, and writes one module per service plus the custom types they
//! reference (transitively) under `crates/hazelcast-protocol/src/codec/`, a request
//! metadata table, and the reference values of the compatibility test.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;

/// Services whose every message is generated.
const SERVICES: &[(&str, &str)] = &[
    ("Client", "client"),
    ("Map", "map"),
    ("DynamicConfig", "dynamic_config"),
];
/// Custom types needed besides those the services reference (the error response).
const EXTRA_CUSTOM: &[&str] = &["ErrorHolder", "StackTraceElement"];
/// Latest protocol version of the definitions.
const LATEST: (u32, u32, u32) = (2, 10, 0);

/// Reference-value overrides of the compatibility files (custom type, field, Rust value).
const OVERRIDES: &[(&str, &str, &str)] = &[
    ("DurationConfig", "timeUnit", "1"),
    ("TimedExpiryPolicyFactoryConfig", "expiryPolicyType", "1"),
    ("ClientBwListEntry", "type", "1"),
    ("CacheEventData", "cacheEventType", "1"),
    ("IndexConfig", "type", "1"),
    ("BitmapIndexOptions", "uniqueKeyTransformation", "1"),
    ("EndpointQualifier", "type", "2"),
    ("SqlColumnMetadata", "type", "1"),
    ("ListenerConfigHolder", "listenerType", "1"),
    ("HazelcastJsonValue", "value", "String::new()"),
    ("Capacity", "value", "50992225"),
    ("Capacity", "unit", "3"),
    ("JobAndSqlSummary", "status", "2"),
    ("JobAndSqlSummary", "userCancelled", "false"),
    ("VectorPair", "type", "0"),
    // Not in the data README, read from the 2.10 files.
    ("VectorIndexConfig", "metric", "0"),
    ("VectorIndexConfig", "dimension", "1000"),
    ("VectorIndexConfig", "maxDegree", "200"),
    ("VectorIndexConfig", "efConstruction", "300"),
    ("VectorIndexConfig", "useDeduplication", "false"),
];

#[derive(Deserialize)]
struct ServiceDef {
    id: u32,
    name: String,
    methods: Vec<MethodDef>,
}

#[derive(Deserialize)]
struct MethodDef {
    id: u32,
    name: String,
    since: String,
    #[serde(default)]
    doc: Option<String>,
    request: RequestDef,
    response: PartDef,
    #[serde(default)]
    events: Option<Vec<EventDef>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RequestDef {
    retryable: bool,
    partition_identifier: serde_yaml_ng::Value,
    #[serde(default)]
    params: Option<Vec<ParamDef>>,
}

#[derive(Deserialize)]
struct PartDef {
    #[serde(default)]
    params: Option<Vec<ParamDef>>,
}

#[derive(Deserialize)]
struct EventDef {
    name: String,
    since: String,
    #[serde(default)]
    doc: Option<String>,
    #[serde(default)]
    params: Option<Vec<ParamDef>>,
}

#[derive(Deserialize, Clone)]
struct ParamDef {
    name: String,
    #[serde(rename = "type")]
    ty: String,
    nullable: bool,
    since: String,
    #[serde(default)]
    doc: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CustomFile {
    custom_types: Vec<CustomDef>,
}

#[derive(Deserialize)]
struct CustomDef {
    name: String,
    since: String,
    #[serde(default)]
    params: Option<Vec<ParamDef>>,
}

/// The workspace root: the parent of this crate's folder.
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Generates every file; with `check`, compares instead of writing.
pub(crate) fn run(root: &Path, check: bool) -> Result<(), String> {
    let files = generate(root)?;
    let mut stale = Vec::new();
    for (path, content) in &files {
        let full = root.join(path);
        if check {
            let current = std::fs::read_to_string(&full).unwrap_or_default();
            if &current != content {
                stale.push(path.clone());
            }
        } else {
            if let Some(dir) = full.parent() {
                std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            }
            std::fs::write(&full, content).map_err(|e| format!("{}: {e}", full.display()))?;
            eprintln!("wrote {}", full.display());
        }
    }
    if stale.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "generated files are stale (run `cargo xtask codegen`): {}",
            stale.join(", ")
        ))
    }
}

fn read_yaml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read {} ({e}); the protocol definitions must be at ../shared/hazelcast/protocol-definitions relative to the workspace root",
            path.display()
        )
    })?;
    serde_yaml_ng::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn parse_version(s: &str) -> (u32, u32, u32) {
    let mut it = s.split('.').map(|p| p.trim().parse::<u32>().unwrap_or(0));
    (
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
    )
}

// ---------------------------------------------------------------------------------------
// Types

#[derive(Debug, Clone)]
enum Ty {
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

fn fixed_of(t: &str) -> Option<Ty> {
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

fn parse_ty(t: &str, customs: &BTreeMap<String, CustomInfo>) -> Result<Ty, String> {
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
fn custom_names(t: &str, out: &mut Vec<String>) {
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

fn rust_ty(t: &Ty, cp: &str) -> String {
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

fn decode_expr(t: &Ty, cp: &str) -> String {
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

fn unreachable_fixed() -> String {
    // Fixed-size values only appear in initial frames or inside fixed lists.
    "compile_error!(\"fixed type in var position\")".into()
}

fn encode_stmt(t: &Ty, v: &str, d: usize) -> String {
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
fn size_expr(t: &Ty, v: &str) -> String {
    match t {
        Ty::Str | Ty::Bytes => format!("6 + {v}.len()"),
        Ty::Data => format!("6 + {v}.as_bytes().len()"),
        _ => "64".into(),
    }
}

fn ref_expr(t: &Ty) -> String {
    match t {
        Ty::Fixed(n, _) => match *n {
            "bool" => "true".into(),
            "u8" => "113".into(),
            "i32" => "25".into(),
            "i64" => "-50992225".into(),
            "f32" => "3.14".into(),
            _ => "ref_uuid()".into(),
        },
        Ty::Str => "\"localhost\".to_owned()".into(),
        Ty::Data => "ref_data()".into(),
        Ty::Bytes => "vec![113]".into(),
        Ty::ListFixed(x) | Ty::ListVar(x) => format!("vec![{}]", ref_expr(x)),
        Ty::ListCn(x) => format!("vec![Some({})]", ref_expr(x)),
        Ty::EntryFixed(k, v) | Ty::EntryVar(k, v) => {
            format!("vec![({}, {})]", ref_expr(k), ref_expr(v))
        }
        Ty::UuidListInt => "vec![(ref_uuid(), vec![25])]".into(),
        // The null files fill nested custom types with non-null values.
        Ty::Custom(n) => format!("ref_custom_{}(ver, false)", snake(n)),
    }
}

// ---------------------------------------------------------------------------------------
// Names

fn snake(s: &str) -> String {
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

fn field_name(s: &str) -> String {
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

fn pascal(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
        None => String::new(),
    }
}

fn doc_attr(indent: &str, doc: Option<&str>, fallback: &str) -> String {
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

// ---------------------------------------------------------------------------------------
// Parts (request, response, event, custom type)

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Request,
    Response,
    Event,
}

struct Field {
    name: String,
    yaml_name: String,
    ty: Ty,
    nullable: bool,
    since: Option<(u32, u32, u32)>,
    offset: usize,
    doc: Option<String>,
}

impl Field {
    fn is_fixed(&self) -> bool {
        matches!(self.ty, Ty::Fixed(..))
    }
    fn base_ty(&self, cp: &str) -> String {
        let t = rust_ty(&self.ty, cp);
        if self.nullable {
            format!("Option<{t}>")
        } else {
            t
        }
    }
    fn full_ty(&self, cp: &str) -> String {
        let t = self.base_ty(cp);
        if self.since.is_some() {
            format!("Option<{t}>")
        } else {
            t
        }
    }
}

struct CustomInfo {
    since: (u32, u32, u32),
    params: Vec<ParamDef>,
}

fn fields(
    params: &[ParamDef],
    container_since: (u32, u32, u32),
    header: usize,
    customs: &BTreeMap<String, CustomInfo>,
    owner: &str,
) -> Result<Vec<Field>, String> {
    let mut off = header;
    let mut out = Vec::new();
    for p in params {
        let ty = parse_ty(&p.ty, customs).map_err(|e| format!("{owner}.{}: {e}", p.name))?;
        let since_v = parse_version(&p.since);
        let mut offset = 0;
        if let Ty::Fixed(n, size) = ty {
            if p.nullable && n != "Uuid" {
                return Err(format!("{owner}.{}: nullable fixed type {}", p.name, p.ty));
            }
            offset = off;
            off += size;
        }
        out.push(Field {
            name: field_name(&p.name),
            yaml_name: p.name.clone(),
            ty,
            // A UUID is nullable through its is-null byte, so the Rust type carries it.
            nullable: p.nullable,
            since: (since_v > container_since).then_some(since_v),
            offset,
            doc: p.doc.clone(),
        });
    }
    Ok(out)
}

fn fixed_rust_ty(f: &Field) -> String {
    f.base_ty("")
}

/// The struct definition.
fn gen_struct(out: &mut String, name: &str, doc: &str, fs: &[Field], cp: &str) {
    out.push_str(&doc_attr("", Some(doc), name));
    out.push_str("#[derive(Debug, Clone, PartialEq)]\n");
    let _ = writeln!(out, "pub struct {name} {{");
    for f in fs {
        let mut d = f.doc.clone().unwrap_or_default();
        if let Some(s) = f.since {
            let _ = write!(
                d,
                "\n\nAdded in protocol {}.{}{}: `None` when the peer's version is older (decode), or to leave it out for an older peer (encode; the var-sized fields after it are then left out too).",
                s.0,
                s.1,
                if s.2 > 0 {
                    format!(".{}", s.2)
                } else {
                    String::new()
                }
            );
        }
        out.push_str(&doc_attr("    ", Some(&d), &f.yaml_name));
        let _ = writeln!(out, "    pub {}: {},", f.name, f.full_ty(cp));
    }
    out.push_str("}\n\n");
}

/// Statements writing the fixed fields into the open frame.
fn gen_encode_fixed(out: &mut String, fs: &[Field], header: usize) {
    let fixed: Vec<&Field> = fs.iter().filter(|f| f.is_fixed()).collect();
    let has_since = fixed.iter().any(|f| f.since.is_some());
    if has_since {
        let base = fixed
            .iter()
            .filter(|f| f.since.is_none())
            .filter_map(|f| match f.ty {
                Ty::Fixed(_, size) => Some(f.offset + size),
                _ => None,
            })
            .max()
            .unwrap_or(header);
        let _ = writeln!(out, "        let mut fixed_end = {base};");
    }
    for f in fixed {
        let Ty::Fixed(_, size) = f.ty else { continue };
        if f.since.is_some() {
            let _ = writeln!(
                out,
                "        match &self.{n} {{ Some(v) => {{ w.put(v); fixed_end = {end}; }} None => w.put_bytes(&[0; {size}]), }}",
                n = f.name,
                end = f.offset + size
            );
        } else {
            let _ = writeln!(out, "        w.put(&self.{});", f.name);
        }
    }
    if has_since {
        out.push_str("        w.truncate_open_payload(fixed_end);\n");
    }
}

fn var_stmt(f: &Field, v: &str) -> String {
    if f.nullable {
        format!(
            "w.nullable({}.as_ref(), |w, n| {})",
            v.strip_prefix('&').unwrap_or(v),
            encode_stmt(&f.ty, "n", 0)
        )
    } else {
        encode_stmt(&f.ty, v, 0)
    }
}

fn gen_encode_var(out: &mut String, fs: &[Field]) {
    let var: Vec<&Field> = fs.iter().filter(|f| !f.is_fixed()).collect();
    let mut in_since = false;
    for f in var {
        if f.since.is_some() {
            if !in_since {
                out.push_str("        'since: {\n");
                in_since = true;
            }
            let _ = writeln!(
                out,
                "        let Some(v) = &self.{} else {{ break 'since; }};\n        {};",
                f.name,
                var_stmt(f, "v")
            );
        } else {
            let _ = writeln!(
                out,
                "        {};",
                var_stmt(f, &format!("&self.{}", f.name))
            );
        }
    }
    if in_since {
        out.push_str("        }\n");
    }
}

fn field_decode(f: &Field, cp: &str, in_struct: bool) -> String {
    let base = decode_expr(&f.ty, cp);
    let base = if f.nullable {
        format!("r.nullable(|r| {base})")
    } else {
        base
    };
    if f.since.is_some() {
        let m = if in_struct {
            "since_in_struct"
        } else {
            "since"
        };
        format!("r.{m}(|r| {base})?")
    } else {
        format!("{base}?")
    }
}

fn gen_decode_fields(out: &mut String, fs: &[Field], cp: &str, in_struct: bool) {
    for f in fs {
        if f.is_fixed() {
            let func = if f.since.is_some() {
                "fixed_since"
            } else {
                "fixed"
            };
            let _ = writeln!(
                out,
                "        let {} = {func}::<{}>(p, {})?;",
                f.name,
                fixed_rust_ty(f),
                f.offset
            );
        }
    }
    for f in fs {
        if !f.is_fixed() {
            let _ = writeln!(
                out,
                "        let {} = {};",
                f.name,
                field_decode(f, cp, in_struct)
            );
        }
    }
}

fn struct_init(fs: &[Field]) -> String {
    let names: Vec<String> = fs.iter().map(|f| f.name.clone()).collect();
    format!("Self {{ {} }}", names.join(", "))
}

struct Part {
    struct_name: String,
    kind: Kind,
    message_type: u32,
    since: (u32, u32, u32),
    label: String,
    fields: Vec<Field>,
    doc: String,
    retryable: bool,
    partition_identifier: String,
}

fn gen_message_part(out: &mut String, p: &Part) {
    let cp = "custom::";
    gen_struct(out, &p.struct_name, &p.doc, &p.fields, cp);
    let (ctor, header, header_const) = match p.kind {
        Kind::Request => ("request", 16, "REQUEST_FIXED_OFFSET"),
        Kind::Response => ("response", 13, "RESPONSE_FIXED_OFFSET"),
        _ => ("event", 16, "EVENT_FIXED_OFFSET"),
    };
    let fixed_size: usize = p
        .fields
        .iter()
        .filter_map(|f| match f.ty {
            Ty::Fixed(_, s) => Some(s),
            _ => None,
        })
        .sum();
    let _ = writeln!(out, "impl {} {{", p.struct_name);
    let _ = writeln!(
        out,
        "    /// Message type of this {}.\n    pub const MESSAGE_TYPE: i32 = {:#08x};",
        match p.kind {
            Kind::Request => "request",
            Kind::Response => "response",
            _ => "event",
        },
        p.message_type
    );
    if p.kind == Kind::Request {
        let _ = writeln!(
            out,
            "    /// Whether the request may be retried (YAML `retryable`).\n    pub const RETRYABLE: bool = {};",
            p.retryable
        );
        let _ = writeln!(
            out,
            "    /// How the request is routed (YAML `partitionIdentifier`: `key`, `-1`, `partitionId`, ...).\n    pub const PARTITION_IDENTIFIER: &'static str = {:?};",
            p.partition_identifier
        );
    }
    // encode
    let mut size = format!("{}", 6 + header + fixed_size);
    for f in p.fields.iter().filter(|f| !f.is_fixed()) {
        if f.nullable || f.since.is_some() {
            size.push_str(" + 64");
        } else {
            let _ = write!(size, " + {}", size_expr(&f.ty, &format!("self.{}", f.name)));
        }
    }
    out.push_str("    /// Encodes the message (correlation id 0, partition id −1).\n");
    out.push_str("    pub fn encode(&self) -> Message {\n");
    let _ = writeln!(
        out,
        "        let {mut_}writer = MessageWriter::{ctor}(Self::MESSAGE_TYPE, {size});",
        mut_ = if p.fields.is_empty() { "" } else { "mut " }
    );
    if !p.fields.is_empty() {
        out.push_str("        let w = &mut writer;\n");
    }
    gen_encode_fixed(out, &p.fields, header);
    gen_encode_var(out, &p.fields);
    out.push_str("        writer.finish()\n    }\n\n");
    // decode
    out.push_str("    /// Decodes the message, ignoring fields and frames it does not know.\n    ///\n    /// # Errors\n    /// When the message has another type or is malformed.\n");
    out.push_str("    pub fn decode(message: &Message) -> Result<Self, DecodeError> {\n");
    out.push_str(
        "        let mut reader = FrameReader::new(message);\n        let r = &mut reader;\n",
    );
    let p_name = if p.fields.iter().any(Field::is_fixed) {
        "p"
    } else {
        "_p"
    };
    let _ = writeln!(
        out,
        "        let {p_name} = r.initial(Self::MESSAGE_TYPE, crate::message::{header_const})?;"
    );
    gen_decode_fields(out, &p.fields, cp, false);
    let _ = writeln!(out, "        Ok({})", struct_init(&p.fields));
    out.push_str("    }\n}\n\n");
    let _ = writeln!(
        out,
        "impl Codec for {n} {{\n    const MESSAGE_TYPE: i32 = {n}::MESSAGE_TYPE;\n    fn encode(&self) -> Message {{ {n}::encode(self) }}\n    fn decode(message: &Message) -> Result<Self, DecodeError> {{ {n}::decode(message) }}\n}}\n",
        n = p.struct_name
    );
    if p.kind == Kind::Request {
        let _ = writeln!(
            out,
            "impl RequestCodec for {n} {{\n    const RETRYABLE: bool = {n}::RETRYABLE;\n    const PARTITION_IDENTIFIER: &'static str = {n}::PARTITION_IDENTIFIER;\n}}\n",
            n = p.struct_name
        );
    }
}

fn gen_custom(out: &mut String, name: &str, fs: &[Field]) {
    gen_struct(out, name, &format!("The `{name}` custom type."), fs, "");
    let _ = writeln!(out, "impl {name} {{");
    out.push_str("    /// Writes `BEGIN, [fixed fields], var fields, END`.\n");
    out.push_str(
        "    pub fn encode_into(&self, w: &mut MessageWriter) {\n        w.begin_struct();\n",
    );
    let has_fixed = fs.iter().any(Field::is_fixed);
    if has_fixed {
        out.push_str("        w.open_frame(0);\n");
        gen_encode_fixed(out, fs, 0);
    }
    gen_encode_var(out, fs);
    out.push_str("        w.end_struct();\n    }\n\n");
    out.push_str("    /// Reads the structure, skipping fields added by newer protocol versions.\n    ///\n    /// # Errors\n    /// When the frames do not hold this structure.\n");
    out.push_str(
        "    pub fn decode_from(r: &mut FrameReader<'_>) -> Result<Self, DecodeError> {\n",
    );
    let _ = writeln!(out, "        r.begin({:?})?;", name);
    if has_fixed {
        let _ = writeln!(out, "        let p = r.fixed_frame({:?})?;", name);
    }
    gen_decode_fields(out, fs, "", true);
    out.push_str("        r.end()?;\n");
    let _ = writeln!(out, "        Ok({})", struct_init(fs));
    out.push_str("    }\n}\n\n");
}

// ---------------------------------------------------------------------------------------
// Reference values for the compatibility test

fn gen_ref_fn(out: &mut String, fn_name: &str, ty_path: &str, fs: &[Field], owner: Option<&str>) {
    let _ = writeln!(
        out,
        "pub(crate) fn {fn_name}(ver: Ver, null: bool) -> {ty_path} {{\n    let _ = (ver, null);\n    {ty_path} {{"
    );
    for f in fs {
        let over = owner.and_then(|o| {
            OVERRIDES
                .iter()
                .find(|(t, n, _)| *t == o && *n == f.yaml_name)
                .map(|x| x.2.to_owned())
        });
        let mut e = over.unwrap_or_else(|| ref_expr(&f.ty));
        if f.nullable {
            e = format!("if null {{ None }} else {{ Some({e}) }}");
        }
        if let Some(s) = f.since {
            e = format!(
                "if ver < ({}, {}, {}) {{ None }} else {{ Some({e}) }}",
                s.0, s.1, s.2
            );
        }
        let _ = writeln!(out, "        {}: {e},", f.name);
    }
    out.push_str("    }\n}\n\n");
}

// ---------------------------------------------------------------------------------------
// Driver

const HEADER: &str = "// Generated by `cargo xtask codegen` from ../shared/hazelcast/protocol-definitions.\n// Do not edit: change the generator (xtask/src/codegen.rs) and regenerate.\n";

fn generate(root: &Path) -> Result<Vec<(String, String)>, String> {
    let defs = root.join("../shared/hazelcast/protocol-definitions");
    let custom_file: CustomFile = read_yaml(&defs.join("custom/Custom.yaml"))?;
    let customs: BTreeMap<String, CustomInfo> = custom_file
        .custom_types
        .into_iter()
        .map(|c| {
            (
                c.name,
                CustomInfo {
                    since: parse_version(&c.since),
                    params: c.params.unwrap_or_default(),
                },
            )
        })
        .collect();
    let mut services = Vec::new();
    for (svc, module) in SERVICES {
        let s: ServiceDef = read_yaml(&defs.join(format!("{svc}.yaml")))?;
        if s.name != *svc {
            return Err(format!("{svc}.yaml names service {}", s.name));
        }
        services.push((s, *module));
    }

    // Custom types referenced, transitively.
    let mut needed: BTreeSet<String> = BTreeSet::new();
    let mut todo: Vec<String> = EXTRA_CUSTOM.iter().map(|s| (*s).to_owned()).collect();
    for (s, _) in &services {
        for m in &s.methods {
            let mut all: Vec<&ParamDef> = Vec::new();
            all.extend(m.request.params.iter().flatten());
            all.extend(m.response.params.iter().flatten());
            for e in m.events.iter().flatten() {
                all.extend(e.params.iter().flatten());
            }
            for p in all {
                custom_names(&p.ty, &mut todo);
            }
        }
    }
    while let Some(n) = todo.pop() {
        if needed.contains(&n) {
            continue;
        }
        let info = customs
            .get(&n)
            .ok_or_else(|| format!("unknown custom type {n}"))?;
        for p in &info.params {
            custom_names(&p.ty, &mut todo);
        }
        needed.insert(n);
    }

    let mut files = Vec::new();
    let mut reference = String::new();
    reference.push_str(HEADER);
    reference.push_str("//! Reference values of the protocol compatibility files, per generated codec.\n#![allow(clippy::type_complexity, clippy::approx_constant, dead_code)]\n\nuse hazelcast_protocol::codec::custom;\nuse hazelcast_protocol::codec::*;\nuse hazelcast_protocol::data::Data;\nuse uuid::Uuid;\n\n/// A protocol version.\npub(crate) type Ver = (u32, u32, u32);\n/// The newest version of the definitions.\npub(crate) const LATEST: Ver = ");
    let _ = writeln!(reference, "{LATEST:?};\n");
    reference.push_str("fn ref_uuid() -> Uuid {\n    Uuid::from_u64_pair(123456789, 987654321)\n}\n\nfn ref_data() -> Data {\n    Data::from_bytes(b\"111313123131313131\".to_vec())\n}\n\n");

    // custom.rs
    let mut custom_rs = String::new();
    custom_rs.push_str(HEADER);
    custom_rs.push_str("//! Custom types (`custom/Custom.yaml`) used by the generated services.\n#![allow(clippy::type_complexity)]\n\nuse uuid::Uuid;\n\nuse crate::codec::builtin::{FrameReader, fixed, fixed_since};\nuse crate::data::Data;\nuse crate::error::DecodeError;\nuse crate::message::MessageWriter;\n\n");
    for n in &needed {
        let info = &customs[n];
        let fs = fields(&info.params, info.since, 0, &customs, n)?;
        let fixed: Vec<&Field> = fs.iter().filter(|f| f.is_fixed()).collect();
        if !fixed.is_empty() && fixed.iter().all(|f| f.since.is_some()) {
            return Err(format!(
                "{n}: every fixed field is newer than the type; its layout merges the BEGIN frame, which this generator does not support"
            ));
        }
        gen_custom(&mut custom_rs, n, &fs);
        gen_ref_fn(
            &mut reference,
            &format!("ref_custom_{}", snake(n)),
            &format!("custom::{n}"),
            &fs,
            Some(n),
        );
    }
    files.push((
        "crates/hazelcast-protocol/src/codec/custom.rs".to_owned(),
        custom_rs,
    ));

    let mut requests: Vec<(u32, String, bool, String)> = Vec::new();
    let mut all_parts: Vec<(u32, String)> = Vec::new();
    let mut cases = String::new();
    for (s, module) in &services {
        let mut rs = String::new();
        rs.push_str(HEADER);
        let _ = writeln!(
            rs,
            "//! Codecs of the `{}` service (service id {}): requests, responses and events.\n#![allow(clippy::type_complexity, unused_imports)]\n\nuse uuid::Uuid;\n\nuse crate::codec::builtin::{{FrameReader, fixed, fixed_since}};\nuse crate::codec::{{Codec, RequestCodec, custom}};\nuse crate::data::Data;\nuse crate::error::DecodeError;\nuse crate::message::{{Message, MessageWriter}};\n",
            s.name, s.id
        );
        for m in &s.methods {
            let msince = parse_version(&m.since);
            let base = format!("{}{}", s.name, pascal(&m.name));
            let mtype = (s.id << 16) | (m.id << 8);
            let pid = match &m.request.partition_identifier {
                serde_yaml_ng::Value::String(x) => x.clone(),
                serde_yaml_ng::Value::Number(x) => x.to_string(),
                other => format!("{other:?}"),
            };
            let mut parts = vec![
                Part {
                    struct_name: format!("{base}Request"),
                    kind: Kind::Request,
                    message_type: mtype,
                    since: msince,
                    label: format!("{}.{} request", s.name, m.name),
                    fields: fields(
                        m.request.params.as_deref().unwrap_or_default(),
                        msince,
                        16,
                        &customs,
                        &base,
                    )?,
                    doc: m.doc.clone().unwrap_or_default(),
                    retryable: m.request.retryable,
                    partition_identifier: pid.clone(),
                },
                Part {
                    struct_name: format!("{base}Response"),
                    kind: Kind::Response,
                    message_type: mtype | 1,
                    since: msince,
                    label: format!("{}.{} response", s.name, m.name),
                    fields: fields(
                        m.response.params.as_deref().unwrap_or_default(),
                        msince,
                        13,
                        &customs,
                        &base,
                    )?,
                    doc: format!("Response to [`{base}Request`]."),
                    retryable: false,
                    partition_identifier: String::new(),
                },
            ];
            for (i, e) in m.events.iter().flatten().enumerate() {
                let esince = parse_version(&e.since);
                parts.push(Part {
                    struct_name: format!("{base}{}Event", pascal(&e.name)),
                    kind: Kind::Event,
                    message_type: mtype | (2 + i as u32),
                    since: esince,
                    label: format!("{}.{} {} event", s.name, m.name, e.name),
                    fields: fields(
                        e.params.as_deref().unwrap_or_default(),
                        esince,
                        16,
                        &customs,
                        &base,
                    )?,
                    doc: e
                        .doc
                        .clone()
                        .unwrap_or_else(|| format!("`{}` event of [`{base}Request`].", e.name)),
                    retryable: false,
                    partition_identifier: String::new(),
                });
            }
            for p in &parts {
                gen_message_part(&mut rs, p);
                let fn_name = format!("ref_{}", snake(&p.struct_name));
                gen_ref_fn(
                    &mut reference,
                    &fn_name,
                    &format!("{module}::{}", p.struct_name),
                    &p.fields,
                    None,
                );
                let kind = match p.kind {
                    Kind::Request => "Request",
                    Kind::Response => "Response",
                    _ => "Event",
                };
                let _ = writeln!(
                    cases,
                    "        Case {{ label: {:?}, kind: Kind::{kind}, message_type: {:#08x}, since: {:?}, check: |m, ver, null| super::check_part(m, {fn_name}(ver, null), {fn_name}(LATEST, null)) }},",
                    p.label, p.message_type, p.since
                );
                all_parts.push((p.message_type, format!("{module}::{}", p.struct_name)));
                if p.kind == Kind::Request {
                    requests.push((
                        p.message_type,
                        p.label.trim_end_matches(" request").to_owned(),
                        p.retryable,
                        p.partition_identifier.clone(),
                    ));
                }
            }
        }
        files.push((
            format!("crates/hazelcast-protocol/src/codec/{module}.rs"),
            rs,
        ));
    }

    reference.push_str("/// Request, response or event.\n#[derive(Debug, Clone, Copy, PartialEq, Eq)]\npub(crate) enum Kind {\n    Request,\n    Response,\n    Event,\n}\n\n/// One generated codec and how to check it against a compatibility file message.\npub(crate) struct Case {\n    pub(crate) label: &'static str,\n    pub(crate) kind: Kind,\n    pub(crate) message_type: i32,\n    pub(crate) since: Ver,\n    pub(crate) check: fn(&hazelcast_protocol::message::Message, Ver, bool) -> Result<(), String>,\n}\n\n/// Every generated message codec.\npub(crate) fn cases() -> Vec<Case> {\n    vec![\n");
    reference.push_str(&cases);
    reference.push_str("    ]\n}\n");
    files.push((
        "crates/hazelcast-protocol/tests/compat_support/reference.rs".to_owned(),
        reference,
    ));

    requests.sort_by_key(|r| r.0);
    let mut meta = String::new();
    meta.push_str(HEADER);
    meta.push_str("//! Per-request metadata, sorted by message type, and decoding by message type.\n\nuse crate::codec::{RequestInfo, client, dynamic_config, map};\nuse crate::error::DecodeError;\nuse crate::message::Message;\n\n/// Every generated request type, sorted by message type.\npub(crate) static REQUESTS: &[RequestInfo] = &[\n");
    for (t, name, retry, pid) in &requests {
        let _ = writeln!(
            meta,
            "    RequestInfo {{ message_type: {t:#08x}, name: {name:?}, retryable: {retry}, partition_identifier: {pid:?} }},"
        );
    }
    meta.push_str("];\n\n");
    all_parts.sort_by_key(|p| p.0);
    meta.push_str("/// Decodes `message` with the generated codec of its message type and returns the\n/// value's `Debug` text; `None` when no generated codec has that type. Meant for\n/// diagnostics and fuzzing: `Data` values print only their size.\npub fn decode_debug(message: &Message) -> Option<Result<String, DecodeError>> {\n    Some(match message.message_type() {\n");
    for (t, path) in &all_parts {
        let _ = writeln!(
            meta,
            "        {t:#08x} => {path}::decode(message).map(|v| format!(\"{{v:?}}\")),"
        );
    }
    meta.push_str("        _ => return None,\n    })\n}\n");
    files.push((
        "crates/hazelcast-protocol/src/codec/metadata.rs".to_owned(),
        meta,
    ));

    files
        .into_iter()
        .map(|(p, c)| Ok((p, rustfmt(&c)?)))
        .collect()
}

fn rustfmt(src: &str) -> Result<String, String> {
    let mut child = Command::new("rustfmt")
        .current_dir(workspace_root())
        .args(["--edition", "2024", "--emit", "stdout"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run rustfmt: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(src.as_bytes())
            .map_err(|e| format!("rustfmt stdin: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("rustfmt: {e}"))?;
    if !out.status.success() {
        let dump = std::env::temp_dir().join("xtask-codegen-unformatted.rs");
        let _ = std::fs::write(&dump, src);
        return Err(format!(
            "rustfmt failed (input saved to {}): {}",
            dump.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    String::from_utf8(out.stdout).map_err(|e| format!("rustfmt output: {e}"))
}

#[cfg(test)]
mod tests {
    /// The committed generated code matches what the definitions produce.
    #[test]
    fn generated_code_is_fresh() {
        if let Err(e) = super::run(&super::workspace_root(), true) {
            panic!("{e}");
        }
    }
}
