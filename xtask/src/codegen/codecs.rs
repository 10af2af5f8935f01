//! Rust codecs of one message part (request, response, event) or custom type: the struct,
//! its `encode`/`encode_into` and its `decode`/`decode_from`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::defs::{CustomInfo, ParamDef, parse_version};
use super::names::{doc_attr, field_name};
use super::types::{Ty, decode_expr, encode_stmt, parse_ty, rust_ty, size_expr};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Request,
    Response,
    Event,
}

pub(super) struct Field {
    pub(super) name: String,
    pub(super) yaml_name: String,
    pub(super) ty: Ty,
    pub(super) nullable: bool,
    pub(super) since: Option<(u32, u32, u32)>,
    pub(super) offset: usize,
    pub(super) doc: Option<String>,
    /// A request's plain string field, of the struct's type parameter `S` (`String` by
    /// default, `&str` to encode a borrowed name without copying it).
    pub(super) borrowed: bool,
}

impl Field {
    pub(super) fn is_fixed(&self) -> bool {
        matches!(self.ty, Ty::Fixed(..))
    }
    pub(super) fn base_ty(&self, cp: &str) -> String {
        if self.borrowed {
            return "S".into();
        }
        let t = rust_ty(&self.ty, cp);
        if self.nullable {
            format!("Option<{t}>")
        } else {
            t
        }
    }
    pub(super) fn full_ty(&self, cp: &str) -> String {
        let t = self.base_ty(cp);
        if self.since.is_some() {
            format!("Option<{t}>")
        } else {
            t
        }
    }
}

pub(super) fn fields(
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
            borrowed: false,
        });
    }
    Ok(out)
}

pub(super) fn fixed_rust_ty(f: &Field) -> String {
    f.base_ty("")
}

/// The struct definition.
/// Makes a request's plain (not nullable, not versioned) string fields borrowable: they take
/// the struct's type parameter `S`.
pub(super) fn borrow_strings(fs: &mut [Field]) {
    for f in fs {
        f.borrowed = matches!(f.ty, Ty::Str) && !f.nullable && f.since.is_none();
    }
}

fn is_generic(fs: &[Field]) -> bool {
    fs.iter().any(|f| f.borrowed)
}

pub(super) fn gen_struct(out: &mut String, name: &str, doc: &str, fs: &[Field], cp: &str) {
    out.push_str(&doc_attr("", Some(doc), name));
    if is_generic(fs) {
        out.push_str("#[doc = \"\"]\n");
        out.push_str(&doc_attr(
            "",
            Some("`S` is the type of its string fields: `String` (what `decode` returns) or `&str`\n(to encode without copying the strings)."),
            "",
        ));
    }
    out.push_str("#[derive(Debug, Clone, PartialEq)]\n");
    if is_generic(fs) {
        let _ = writeln!(out, "pub struct {name}<S = String> {{");
    } else {
        let _ = writeln!(out, "pub struct {name} {{");
    }
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
pub(super) fn gen_encode_fixed(out: &mut String, fs: &[Field], header: usize) {
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

pub(super) fn var_stmt(f: &Field, v: &str) -> String {
    if f.borrowed {
        format!("w.string({}.as_ref())", v.strip_prefix('&').unwrap_or(v))
    } else if f.nullable {
        format!(
            "w.nullable({}.as_ref(), |w, n| {})",
            v.strip_prefix('&').unwrap_or(v),
            encode_stmt(&f.ty, "n", 0)
        )
    } else {
        encode_stmt(&f.ty, v, 0)
    }
}

pub(super) fn gen_encode_var(out: &mut String, fs: &[Field]) {
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

pub(super) fn field_decode(f: &Field, cp: &str, in_struct: bool) -> String {
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

pub(super) fn gen_decode_fields(out: &mut String, fs: &[Field], cp: &str, in_struct: bool) {
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

pub(super) fn struct_init(fs: &[Field]) -> String {
    let names: Vec<String> = fs.iter().map(|f| f.name.clone()).collect();
    format!("Self {{ {} }}", names.join(", "))
}

pub(super) struct Part {
    pub(super) struct_name: String,
    pub(super) kind: Kind,
    pub(super) message_type: u32,
    pub(super) since: (u32, u32, u32),
    pub(super) label: String,
    pub(super) fields: Vec<Field>,
    pub(super) doc: String,
    pub(super) retryable: bool,
    pub(super) partition_identifier: String,
}

pub(super) fn gen_message_part(out: &mut String, p: &Part) {
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
    let mut encode_impl = String::new();
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
        } else if f.borrowed {
            let _ = write!(size, " + 6 + self.{}.as_ref().len()", f.name);
        } else {
            let _ = write!(size, " + {}", size_expr(&f.ty, &format!("self.{}", f.name)));
        }
    }
    let generic = is_generic(&p.fields);
    let mut enc = String::new();
    enc.push_str("    /// Encodes the message (correlation id 0, partition id −1).\n");
    enc.push_str("    pub fn encode(&self) -> Message {\n");
    let _ = writeln!(
        enc,
        "        let {mut_}writer = MessageWriter::{ctor}({this}::MESSAGE_TYPE, {size});",
        mut_ = if p.fields.is_empty() { "" } else { "mut " },
        this = if generic {
            format!("<{}>", p.struct_name)
        } else {
            "Self".into()
        }
    );
    if !p.fields.is_empty() {
        enc.push_str("        let w = &mut writer;\n");
    }
    gen_encode_fixed(&mut enc, &p.fields, header);
    gen_encode_var(&mut enc, &p.fields);
    enc.push_str("        writer.finish()\n    }\n\n");
    if generic {
        // Encoding takes any string type; the constants and `decode` belong to `S = String`.
        encode_impl = enc;
    } else {
        out.push_str(&enc);
    }
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
    if generic {
        let _ = writeln!(
            out,
            "impl<S: AsRef<str>> {}<S> {{\n{encode_impl}}}\n",
            p.struct_name
        );
    }
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

pub(super) fn gen_custom(out: &mut String, name: &str, fs: &[Field]) {
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
