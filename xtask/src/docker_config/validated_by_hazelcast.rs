//! The member YAML under `docker/` and everything [`render_all`] produces, loaded by
//! Hazelcast's own config builder (`Config.loadFromFile`, with its JSON-schema validation:
//! on by default in 5.x, and set explicitly by the tool) from the jar the tests run
//! (`HZ_VERSION`), through `java/crosscheck`. A typo in a key fails here.
//!
//! Measured with 5.6.0: an open-source member parses the WAN replication section, and
//! *starts* with it, but the first operation on a map whose `wan-replication-ref` names a
//! batch publisher fails with `InvalidConfigurationException: Built-in batching WAN
//! replication implementation is only available in Hazelcast enterprise edition.` — the WAN
//! setups need Enterprise members, as `docker/README.md` says.

use std::path::{Path, PathBuf};

use java_crosscheck::{JavaError, JavaTool};
use serde_json::Value;

use super::{DEFAULT_MAP_NAME, WAN_NAME, render_all};

/// The member YAML files committed under `docker/` (not the compose files).
fn committed_member_files() -> Vec<PathBuf> {
    let docker = crate::codegen::workspace_root().join("docker");
    let mut files = Vec::new();
    for setup in std::fs::read_dir(&docker).expect("docker/ is readable") {
        let dir = setup.expect("entry").path();
        if !dir.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&dir).expect("setup dir is readable") {
            let path = file.expect("entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
            if yaml && !name.starts_with("compose") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// A fresh directory under the target dir for this test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = crate::codegen::workspace_root()
        .join("target/tmp/member-yaml")
        .join(format!("{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn tool() -> JavaTool {
    JavaTool::install().unwrap_or_else(|e| panic!("{e}"))
}

fn validate(files: &[PathBuf]) -> Vec<Value> {
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    match tool().validate_config(&refs) {
        Ok(docs) => docs,
        Err(JavaError::Failed { stderr, .. }) => {
            panic!("Hazelcast's config builder rejected member YAML:\n{stderr}")
        }
        Err(e) => panic!("{e}"),
    }
}

/// What every member file must configure for the session map, as Hazelcast parsed it.
fn assert_session_map(doc: &Value) {
    let file = doc["file"].as_str().unwrap_or("?");
    let map = &doc["maps"][DEFAULT_MAP_NAME];
    assert_eq!(map["backupCount"], 1, "{file}");
    assert_eq!(map["maxIdleSeconds"], 1800, "{file}");
    assert_eq!(map["timeToLiveSeconds"], 0, "{file}");
    assert_eq!(map["inMemoryFormat"], "BINARY", "{file}");
    assert_eq!(
        map["mergePolicy"], "com.hazelcast.spi.merge.PutIfAbsentMergePolicy",
        "{file}"
    );
    assert_eq!(map["mergeBatchSize"], 100, "{file}");
    assert_eq!(
        map["indexes"],
        serde_json::json!(["HASH:principalName"]),
        "{file}"
    );
    let replicates = file.contains("active-active/") || file.ends_with("london.yaml");
    if replicates {
        let wan = &map["wanReplicationRef"];
        assert_eq!(wan["name"], WAN_NAME, "{file}");
        assert_eq!(wan["republishing"], false, "{file}");
        let publishers = doc["wanReplication"][WAN_NAME]
            .as_object()
            .unwrap_or_else(|| panic!("{file}: no WAN replication {WAN_NAME} parsed"));
        assert_eq!(publishers.len(), 1, "{file}");
        let publisher = publishers.values().next().expect("one publisher");
        let endpoints = publisher["targetEndpoints"].as_str().unwrap_or_default();
        assert_eq!(endpoints.split(',').count(), 2, "{file}: {endpoints}");
    } else {
        assert!(map.get("wanReplicationRef").is_none(), "{file}");
        assert_eq!(doc["wanReplication"], serde_json::json!({}), "{file}");
    }
}

#[test]
fn committed_member_yaml_is_accepted_by_hazelcast() {
    let files = committed_member_files();
    // single, cluster, and London + New York of both WAN setups.
    assert_eq!(files.len(), 6, "{files:?}");
    let docs = validate(&files);
    assert_eq!(docs.len(), files.len());
    for (doc, file) in docs.iter().zip(&files) {
        assert_eq!(doc["file"], file.display().to_string());
        let name = file.file_stem().and_then(|s| s.to_str()).unwrap_or("?");
        let cluster = if name == "hazelcast" { "dev" } else { name };
        assert_eq!(doc["clusterName"], cluster, "{}", file.display());
        assert_session_map(doc);
    }
}

#[test]
fn rendered_member_yaml_is_accepted_by_hazelcast() {
    let dir = scratch("rendered");
    let mut files = Vec::new();
    for (relative, text) in render_all().expect("render") {
        let path = dir.join(&relative);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
        std::fs::write(&path, text).expect("write");
        files.push(path);
    }
    let docs = validate(&files);
    assert_eq!(docs.len(), files.len());
    for doc in &docs {
        assert_session_map(doc);
        // Members list each other on consecutive ports from the first.
        let members = doc["members"].as_array().expect("members");
        assert_eq!(Some(members.len() as u64), doc["portCount"].as_u64());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_misspelt_or_mistyped_key_is_rejected() {
    let dir = scratch("typos");
    let rendered = render_all().expect("render");
    let london = &rendered
        .iter()
        .find(|(p, _)| p == "active-active/london.yaml")
        .expect("london")
        .1;
    // Each variant must differ from the original, or the test would prove nothing.
    let variants = [
        (
            "map-key.yaml",
            "max-idle-seconds:",
            "max-idle-secnods:",
            "max-idle-secnods",
        ),
        (
            "wan-key.yaml",
            "target-endpoints:",
            "target-endpoint:",
            "target-endpoint",
        ),
        (
            "top-key.yaml",
            "  cluster-name: london",
            "  clustername: london",
            "clustername",
        ),
        (
            "value-type.yaml",
            "backup-count: 1",
            "backup-count: one",
            "backup-count",
        ),
    ];
    let mut files = Vec::new();
    let mut rejected = Vec::new();
    for (name, from, to, key) in &variants {
        assert!(london.contains(from), "{from} not in london.yaml");
        let path = dir.join(name);
        std::fs::write(&path, london.replacen(from, to, 1)).expect("write");
        files.push(path.clone());
        rejected.push((path, *key));
    }
    // XML is checked against Hazelcast's XSD the same way (by extension).
    let xml = "<hazelcast xmlns=\"http://www.hazelcast.com/schema/config\">\n  \
               <cluster-name>xml</cluster-name>\n  <map name=\"sessions\">\n    \
               <max-idle-seconds>1800</max-idle-seconds>\n  </map>\n</hazelcast>\n";
    let bad_xml = dir.join("map-key.xml");
    std::fs::write(
        &bad_xml,
        xml.replace("max-idle-seconds", "max-idle-secnods"),
    )
    .expect("write");
    files.push(bad_xml.clone());
    rejected.push((bad_xml, "max-idle-secnods"));
    // The untouched files pass in the same run: the failures are the typos'.
    let good = dir.join("good.yaml");
    std::fs::write(&good, london).expect("write");
    files.push(good.clone());
    let good_xml = dir.join("good.xml");
    std::fs::write(&good_xml, xml).expect("write");
    files.push(good_xml.clone());
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    match tool().validate_config(&refs) {
        Ok(docs) => panic!("every typo was accepted: {docs:?}"),
        Err(JavaError::Failed { stderr, stdout, .. }) => {
            println!("{stderr}");
            for (path, key) in &rejected {
                let name = path.display().to_string();
                let line = stderr
                    .lines()
                    .find(|l| l.contains(&format!("{name}:")))
                    .unwrap_or_else(|| panic!("{name} was accepted; stderr:\n{stderr}"));
                assert!(line.contains(key), "{name}: {line}");
                assert!(
                    line.contains("SchemaViolationConfigurationException")
                        || line.contains("InvalidConfigurationException"),
                    "{name}: {line}"
                );
            }
            let accepted: Vec<&str> = stdout.lines().collect();
            assert_eq!(accepted.len(), 2, "only the untouched files: {stdout}");
            assert!(accepted[0].contains(&good.display().to_string()));
            assert!(accepted[1].contains(&good_xml.display().to_string()));
        }
        Err(e) => panic!("{e}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Real members started with the committed files: the session map works (the index answers
/// a `principalName` query) — except where the map refers to WAN replication, which an
/// open-source member parses and starts with but refuses to run.
#[test]
fn open_source_members_start_with_the_files_and_refuse_only_wan() {
    let docker = crate::codegen::workspace_root().join("docker");
    // One file per distinct session-map section: no WAN, WAN with PassThrough (active-
    // passive), WAN with PutIfAbsent (active-active).
    let files = [
        docker.join("single/hazelcast.yaml"),
        docker.join("wan-active-passive/london.yaml"),
        docker.join("active-active/new-york.yaml"),
    ];
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let docs = tool()
        .check_members(&refs)
        .unwrap_or_else(|e| panic!("a member did not start: {e}"));
    assert_eq!(docs.len(), 3);
    for doc in &docs {
        assert_eq!(doc["started"], true, "{doc}");
    }
    let single = &docs[0]["maps"][DEFAULT_MAP_NAME];
    assert_eq!(single["put"], "ok", "{single}");
    assert_eq!(single["queryKeys"], serde_json::json!(["check-member"]));
    assert_eq!(single["maxIdleSeconds"], 1800);
    assert_eq!(single["indexes"], 1);
    for doc in &docs[1..] {
        let error = doc["maps"][DEFAULT_MAP_NAME]["error"]
            .as_str()
            .unwrap_or_else(|| panic!("an open-source member ran WAN replication: {doc}"));
        assert!(
            error.contains("InvalidConfigurationException") && error.contains("enterprise"),
            "{error}"
        );
    }
}
