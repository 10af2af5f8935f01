//! The protocol definitions (YAML) as the generator reads them: services, their methods'
//! parameters and the custom types.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;

use super::types::custom_names;

/// Services whose every message is generated.
pub(super) const SERVICES: &[(&str, &str)] = &[
    ("Client", "client"),
    ("Map", "map"),
    ("DynamicConfig", "dynamic_config"),
];
/// Custom types needed besides those the services reference (the error response).
pub(super) const EXTRA_CUSTOM: &[&str] = &["ErrorHolder", "StackTraceElement"];
/// Latest protocol version of the definitions.
pub(super) const LATEST: (u32, u32, u32) = (2, 10, 0);

#[derive(Deserialize)]
pub(super) struct ServiceDef {
    pub(super) id: u32,
    pub(super) name: String,
    pub(super) methods: Vec<MethodDef>,
}

#[derive(Deserialize)]
pub(super) struct MethodDef {
    pub(super) id: u32,
    pub(super) name: String,
    pub(super) since: String,
    #[serde(default)]
    pub(super) doc: Option<String>,
    pub(super) request: RequestDef,
    pub(super) response: PartDef,
    #[serde(default)]
    pub(super) events: Option<Vec<EventDef>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RequestDef {
    pub(super) retryable: bool,
    pub(super) partition_identifier: serde_yaml_ng::Value,
    #[serde(default)]
    pub(super) params: Option<Vec<ParamDef>>,
}

#[derive(Deserialize)]
pub(super) struct PartDef {
    #[serde(default)]
    pub(super) params: Option<Vec<ParamDef>>,
}

#[derive(Deserialize)]
pub(super) struct EventDef {
    pub(super) name: String,
    pub(super) since: String,
    #[serde(default)]
    pub(super) doc: Option<String>,
    #[serde(default)]
    pub(super) params: Option<Vec<ParamDef>>,
}

#[derive(Deserialize, Clone)]
pub(super) struct ParamDef {
    pub(super) name: String,
    #[serde(rename = "type")]
    pub(super) ty: String,
    pub(super) nullable: bool,
    pub(super) since: String,
    #[serde(default)]
    pub(super) doc: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CustomFile {
    pub(super) custom_types: Vec<CustomDef>,
}

#[derive(Deserialize)]
pub(super) struct CustomDef {
    pub(super) name: String,
    pub(super) since: String,
    #[serde(default)]
    pub(super) params: Option<Vec<ParamDef>>,
}

pub(super) struct CustomInfo {
    pub(super) since: (u32, u32, u32),
    pub(super) params: Vec<ParamDef>,
}

pub(super) fn read_yaml<T: serde::de::DeserializeOwned>(path: &Path) -> Result<T, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read {} ({e}); the protocol definitions must be at ../shared/hazelcast/protocol-definitions relative to the workspace root",
            path.display()
        )
    })?;
    serde_yaml_ng::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

pub(super) fn parse_version(s: &str) -> (u32, u32, u32) {
    let mut it = s.split('.').map(|p| p.trim().parse::<u32>().unwrap_or(0));
    (
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
    )
}

/// What the generator works from.
pub(super) struct Definitions {
    /// Every custom type by name.
    pub(super) customs: BTreeMap<String, CustomInfo>,
    /// The generated services with their module names.
    pub(super) services: Vec<(ServiceDef, &'static str)>,
    /// The custom types the services reference, transitively (and [`EXTRA_CUSTOM`]).
    pub(super) needed: BTreeSet<String>,
}

/// Reads the definitions under `root/../shared/hazelcast/protocol-definitions`.
pub(super) fn load(root: &Path) -> Result<Definitions, String> {
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
    Ok(Definitions {
        customs,
        services,
        needed,
    })
}
