//! Reference values of the protocol compatibility test (`tests/compat_support/reference.rs`):
//! one function per generated type returning the value the compatibility files hold.

use std::fmt::Write as _;

use super::HEADER;
use super::codecs::Field;
use super::defs::LATEST;
use super::names::snake;
use super::types::Ty;

/// Reference-value overrides of the compatibility files (custom type, field, Rust value).
pub(super) const OVERRIDES: &[(&str, &str, &str)] = &[
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

pub(super) fn ref_expr(t: &Ty) -> String {
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

pub(super) fn gen_ref_fn(
    out: &mut String,
    fn_name: &str,
    ty_path: &str,
    fs: &[Field],
    owner: Option<&str>,
) {
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

/// The start of the reference file: imports, the version type and shared helpers.
pub(super) fn reference_preamble() -> String {
    let mut reference = String::new();
    reference.push_str(HEADER);
    reference.push_str("//! Reference values of the protocol compatibility files, per generated codec.\n#![allow(clippy::type_complexity, clippy::approx_constant, dead_code)]\n\nuse hazelcast_protocol::codec::custom;\nuse hazelcast_protocol::codec::*;\nuse hazelcast_protocol::data::Data;\nuse uuid::Uuid;\n\n/// A protocol version.\npub(crate) type Ver = (u32, u32, u32);\n/// The newest version of the definitions.\npub(crate) const LATEST: Ver = ");
    let _ = writeln!(reference, "{LATEST:?};\n");
    reference.push_str("fn ref_uuid() -> Uuid {\n    Uuid::from_u64_pair(123456789, 987654321)\n}\n\nfn ref_data() -> Data {\n    Data::from_bytes(b\"111313123131313131\".to_vec())\n}\n\n");
    reference
}

/// The end of the reference file: the `Case` table of every generated codec (`cases` holds
/// its lines).
pub(super) fn reference_cases(reference: &mut String, cases: &str) {
    reference.push_str("/// Request, response or event.\n#[derive(Debug, Clone, Copy, PartialEq, Eq)]\npub(crate) enum Kind {\n    Request,\n    Response,\n    Event,\n}\n\n/// One generated codec and how to check it against a compatibility file message.\npub(crate) struct Case {\n    pub(crate) label: &'static str,\n    pub(crate) kind: Kind,\n    pub(crate) message_type: i32,\n    pub(crate) since: Ver,\n    pub(crate) check: fn(&hazelcast_protocol::message::Message, Ver, bool) -> Result<(), String>,\n}\n\n/// Every generated message codec.\npub(crate) fn cases() -> Vec<Case> {\n    vec![\n");
    reference.push_str(cases);
    reference.push_str("    ]\n}\n");
}
