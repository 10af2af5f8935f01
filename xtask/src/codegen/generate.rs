//! The driver: reads the definitions and produces every generated file's content.

use std::fmt::Write as _;
use std::path::Path;

use super::codecs::{Field, Kind, Part, borrow_strings, fields, gen_custom, gen_message_part};
use super::defs::{Definitions, load, parse_version};
use super::names::{pascal, snake};
use super::reference::{gen_ref_fn, reference_cases, reference_preamble};
use super::{HEADER, rustfmt};

/// Services whose requests take their plain string fields (map names) as a type parameter,
/// so that a hot call encodes a borrowed name (see `codecs::borrow_strings`).
const BORROWED_STRINGS: &[&str] = &["Map"];

pub(super) fn generate(root: &Path) -> Result<Vec<(String, String)>, String> {
    let Definitions {
        customs,
        services,
        needed,
    } = load(root)?;

    let mut files = Vec::new();
    let mut reference = reference_preamble();

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
                    fields: {
                        let mut f = fields(
                            m.request.params.as_deref().unwrap_or_default(),
                            msince,
                            16,
                            &customs,
                            &base,
                        )?;
                        if BORROWED_STRINGS.contains(&s.name.as_str()) {
                            borrow_strings(&mut f);
                        }
                        f
                    },
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

    reference_cases(&mut reference, &cases);
    files.push((
        "crates/hazelcast-protocol/tests/compat_support/reference.rs".to_owned(),
        reference,
    ));

    files.push((
        "crates/hazelcast-protocol/src/codec/metadata.rs".to_owned(),
        metadata(requests, all_parts),
    ));

    files
        .into_iter()
        .map(|(p, c)| Ok((p, rustfmt(&c)?)))
        .collect()
}

/// `codec/metadata.rs`: the request table and `decode_debug`.
fn metadata(
    mut requests: Vec<(u32, String, bool, String)>,
    mut all_parts: Vec<(u32, String)>,
) -> String {
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
    meta
}
