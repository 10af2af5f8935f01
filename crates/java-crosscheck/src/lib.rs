//! **Test support, never a product.** Runs the official Hazelcast Java client — and
//! Hazelcast's own member config builders — from Rust tests, through the small Java tool in
//! `java/crosscheck`.
//!
//! The tool is built on first use by the workspace's `scripts/setup-java-tools.sh` (Maven,
//! once per change of its sources, under a file lock) into `target/java-tools/<version>/`,
//! against the Hazelcast version the real members run (`HZ_VERSION`, default 5.6.0). It
//! needs a JDK 17+ and Maven 3, and says what to install when they are missing.
//!
//! ```no_run
//! use java_crosscheck::{Command, JavaTool, JavaValue};
//!
//! # fn demo(addresses: &[std::net::SocketAddr]) -> Result<(), java_crosscheck::JavaError> {
//! let java = JavaTool::install()?;
//! let out = java.run_client(
//!     "dev",
//!     addresses,
//!     &[
//!         Command::put("m", "k", JavaValue::Long(7)),
//!         Command::Get { map: "m".into(), key: "k".into() },
//!     ],
//! )?;
//! assert_eq!(out[1]["class"], "java.lang.Long");
//! assert_eq!(out[1]["value"], 7);
//! # Ok(())
//! # }
//! ```
//!
//! Every client command prints one JSON document (see `java/crosscheck`'s `Main` for their
//! shapes); [`JavaTool::run_client`] returns them in order.
#![forbid(unsafe_code)]

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command as Process, Output, Stdio};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use serde_json::Value;

/// The main class of the Java tool.
const MAIN_CLASS: &str = "dev.hazelcastsessions.crosscheck.Main";

/// What went wrong running the Java tool.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum JavaError {
    /// The setup script failed (Java or Maven missing, build error); its explanation.
    #[error("cannot set up the Java cross-check tool: {0}")]
    Setup(String),
    /// A process could not be started or waited for.
    #[error("cannot run {what}")]
    Spawn {
        /// The command.
        what: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The tool ended with an error; its exit status and stderr.
    #[error("the Java tool failed ({status}): {stderr}")]
    Failed {
        /// The exit status.
        status: String,
        /// What it printed on stderr.
        stderr: String,
        /// What it printed on stdout before failing.
        stdout: String,
    },
    /// A line of its output is not JSON.
    #[error("the Java tool printed something that is not JSON: {line:?}")]
    Output {
        /// The line.
        line: String,
    },
    /// An argument contains a tab or a newline, which the command protocol cannot carry.
    #[error("argument {0:?} contains a tab or a newline")]
    BadArgument(String),
}

/// The workspace root (the folder holding `scripts/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// The built Java tool: a class path holding it and the Hazelcast jar.
#[derive(Debug, Clone)]
pub struct JavaTool {
    class_path: String,
}

impl JavaTool {
    /// Builds the tool for the version `HZ_VERSION` names (once per process; the script is
    /// idempotent and locked, so parallel test binaries are fine).
    ///
    /// # Errors
    /// [`JavaError::Setup`] with the script's explanation.
    pub fn install() -> Result<Self, JavaError> {
        static INSTALLED: OnceLock<Mutex<Option<JavaTool>>> = OnceLock::new();
        let cell = INSTALLED.get_or_init(|| Mutex::new(None));
        let mut cached = cell.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(tool) = cached.as_ref() {
            return Ok(tool.clone());
        }
        let script = workspace_root().join("scripts/setup-java-tools.sh");
        let out = Process::new("bash")
            .arg(&script)
            .output()
            .map_err(|source| JavaError::Spawn {
                what: format!("bash {}", script.display()),
                source,
            })?;
        if !out.status.success() {
            return Err(JavaError::Setup(format!(
                "{} failed ({}): {}",
                script.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let class_path = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        if class_path.is_empty() {
            return Err(JavaError::Setup(format!(
                "{} printed no class path",
                script.display()
            )));
        }
        let tool = JavaTool { class_path };
        *cached = Some(tool.clone());
        Ok(tool)
    }

    /// The Java class path (the tool's jar and the Hazelcast jars).
    pub fn class_path(&self) -> &str {
        &self.class_path
    }

    fn java(&self) -> Process {
        let mut p = Process::new("java");
        p.args([
            "-Xms64m",
            "-Xmx256m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
        ])
        .arg("-cp")
        .arg(&self.class_path)
        .arg(MAIN_CLASS);
        p
    }

    fn run(&self, mut p: Process, stdin: &[u8]) -> Result<Output, JavaError> {
        let mut child = p
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|source| JavaError::Spawn {
                what: "java (is a JDK 17+ installed?)".to_owned(),
                source,
            })?;
        if let Some(mut input) = child.stdin.take() {
            input.write_all(stdin).map_err(|source| JavaError::Spawn {
                what: "java (writing its commands)".to_owned(),
                source,
            })?;
        }
        child.wait_with_output().map_err(|source| JavaError::Spawn {
            what: "java (waiting for it)".to_owned(),
            source,
        })
    }

    /// The Hazelcast version of the jar the tool runs with (`BuildInfo`).
    ///
    /// # Errors
    /// When the tool fails.
    pub fn hazelcast_version(&self) -> Result<String, JavaError> {
        let mut p = self.java();
        p.arg("version");
        let out = checked(self.run(p, b"")?)?;
        let docs = parse_lines(&out)?;
        Ok(docs
            .first()
            .and_then(|d| d["version"].as_str())
            .unwrap_or_default()
            .to_owned())
    }

    /// Loads each file with Hazelcast's member config builder (`Config.loadFromFile`: XML or
    /// YAML by extension, checked against Hazelcast's schema) and returns, per file, what it
    /// parsed (cluster name, network, maps, WAN replication).
    ///
    /// # Errors
    /// [`JavaError::Failed`] naming every rejected file and Hazelcast's reason.
    pub fn validate_config(&self, files: &[&Path]) -> Result<Vec<Value>, JavaError> {
        let mut p = self.java();
        p.arg("validate-config").args(files);
        let out = checked(self.run(p, b"")?)?;
        parse_lines(&out)
    }

    /// Starts one embedded member per file with that file's configuration (its network
    /// replaced by a free port on 127.0.0.1 and a one-member cluster of its own), puts a
    /// Compact record with a `principalName` into every map configured by exact name and
    /// queries it back. Returns per file `{file, started, maps: {name: {put, queryKeys,
    /// maxIdleSeconds, indexes} | {error}}}`: a map operation the member refuses is reported
    /// in `error`, not as a failure.
    ///
    /// # Errors
    /// [`JavaError::Failed`] when a file does not parse or a member does not start.
    pub fn check_members(&self, files: &[&Path]) -> Result<Vec<Value>, JavaError> {
        let mut p = self.java();
        p.arg("check-member").args(files);
        let out = checked(self.run(p, b"")?)?;
        parse_lines(&out)
    }

    /// Connects the official Java client to `cluster_name` at `addresses`, runs `commands`
    /// in order on one client and returns one JSON document per command.
    ///
    /// # Errors
    /// [`JavaError::Failed`] when the client cannot connect or a command fails (the output
    /// of the commands before it is in `stdout`).
    pub fn run_client(
        &self,
        cluster_name: &str,
        addresses: &[SocketAddr],
        commands: &[Command],
    ) -> Result<Vec<Value>, JavaError> {
        let mut input = String::new();
        for c in commands {
            input.push_str(&c.line()?);
            input.push('\n');
        }
        let addrs: Vec<String> = addresses.iter().map(ToString::to_string).collect();
        let mut p = self.java();
        p.arg("client").arg(cluster_name).arg(addrs.join(","));
        let out = checked(self.run(p, input.as_bytes())?)?;
        let docs = parse_lines(&out)?;
        if docs.len() != commands.len() {
            return Err(JavaError::Failed {
                status: "0".to_owned(),
                stderr: format!(
                    "{} commands but {} results; stderr: {}",
                    commands.len(),
                    docs.len(),
                    String::from_utf8_lossy(&out.stderr)
                ),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            });
        }
        Ok(docs)
    }
}

fn checked(out: Output) -> Result<Output, JavaError> {
    if out.status.success() {
        Ok(out)
    } else {
        Err(JavaError::Failed {
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        })
    }
}

fn parse_lines(out: &Output) -> Result<Vec<Value>, JavaError> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|_| JavaError::Output { line: l.to_owned() }))
        .collect()
}

/// A value the Java client writes, as the Java type it becomes.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum JavaValue {
    /// `java.lang.String`.
    String(String),
    /// `java.lang.Long`.
    Long(i64),
    /// `java.lang.Integer`.
    Int(i32),
    /// `java.lang.Boolean`.
    Bool(bool),
    /// `java.lang.Double`.
    Double(f64),
    /// `HazelcastJsonValue` holding this JSON text.
    Json(String),
    /// Java `null` (as an attribute: empty bytes).
    Null,
    /// A `java.io.Serializable` object only Java can read (the tool's `Token` holding this
    /// text, Hazelcast type id −2), as Spring applications keep in sessions.
    Serializable(String),
    /// These exact bytes as a serialized value (`HeapData`: partition hash, type id,
    /// payload), stored as they are: garbage, or a format no reader knows.
    Raw(Vec<u8>),
    /// A Compact `GenericRecord` of `type_name` with these fields, in order.
    Compact {
        /// The Compact type name.
        type_name: String,
        /// The fields.
        fields: Vec<(String, CompactField)>,
    },
}

/// One field of a [`JavaValue::Compact`] record.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum CompactField {
    /// STRING (None = null).
    String(Option<String>),
    /// INT64.
    Int64(i64),
    /// INT32.
    Int32(i32),
    /// BOOLEAN.
    Boolean(bool),
    /// FLOAT64.
    Float64(f64),
    /// ARRAY_OF_INT64.
    ArrayOfInt64(Vec<i64>),
}

const NULL: &str = "\\N";

fn plain(s: &str) -> Result<String, JavaError> {
    if s.contains(['\t', '\n', '\r']) {
        Err(JavaError::BadArgument(s.to_owned()))
    } else {
        Ok(s.to_owned())
    }
}

fn compact_text(s: &str) -> Result<String, JavaError> {
    if s.contains([';', '=', ':']) {
        Err(JavaError::BadArgument(s.to_owned()))
    } else {
        plain(s)
    }
}

impl JavaValue {
    /// The (type, text) fields of the command protocol.
    fn fields(&self) -> Result<[String; 2], JavaError> {
        Ok(match self {
            JavaValue::String(s) => ["string".into(), plain(s)?],
            JavaValue::Long(n) => ["long".into(), n.to_string()],
            JavaValue::Int(n) => ["int".into(), n.to_string()],
            JavaValue::Bool(b) => ["bool".into(), b.to_string()],
            JavaValue::Double(d) => ["double".into(), d.to_string()],
            JavaValue::Json(j) => ["json".into(), plain(j)?],
            JavaValue::Null => ["null".into(), String::new()],
            JavaValue::Serializable(t) => ["serializable".into(), plain(t)?],
            JavaValue::Raw(bytes) => [
                "raw".into(),
                bytes.iter().map(|b| format!("{b:02x}")).collect(),
            ],
            JavaValue::Compact { type_name, fields } => {
                let mut spec = compact_text(type_name)?;
                for (name, field) in fields {
                    let (kind, value) = match field {
                        CompactField::String(s) => (
                            "string",
                            match s {
                                Some(s) => compact_text(s)?,
                                None => NULL.to_owned(),
                            },
                        ),
                        CompactField::Int64(n) => ("int64", n.to_string()),
                        CompactField::Int32(n) => ("int32", n.to_string()),
                        CompactField::Boolean(b) => ("boolean", b.to_string()),
                        CompactField::Float64(d) => ("float64", d.to_string()),
                        CompactField::ArrayOfInt64(v) => (
                            "array_of_int64",
                            v.iter()
                                .map(ToString::to_string)
                                .collect::<Vec<_>>()
                                .join(","),
                        ),
                    };
                    spec.push_str(&format!(";{}:{kind}={value}", compact_text(name)?));
                }
                ["compact".into(), spec]
            }
        })
    }
}

/// A session record in the Hazelcast Spring Session 4.x layout, as the Java client writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct JavaSession {
    /// `originalId`.
    pub original_id: Option<String>,
    /// `id`.
    pub id: Option<String>,
    /// `principalName`.
    pub principal_name: Option<String>,
    /// `creationTime_seconds`, `creationTime_nanos`.
    pub creation_time: (Option<i64>, Option<i32>),
    /// `lastAccessedTime_seconds`, `lastAccessedTime_nanos`.
    pub last_accessed_time: (Option<i64>, Option<i32>),
    /// `maxInactiveInterval_seconds`, `maxInactiveInterval_nanos`.
    pub max_inactive_interval: (Option<i64>, Option<i32>),
    /// Attributes in order (`attributeNames`, `attributeValues` as serialized `Data`).
    pub attributes: Vec<(String, JavaValue)>,
    /// Stored with `set(key, record, ttl)` (as HSS does) when set, else plain `set`.
    pub ttl: Option<Duration>,
}

/// One command of [`JavaTool::run_client`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Command {
    /// `map.get(key)` of a `BackingMapSession`, read as a `GenericRecord`: `{found, record:
    /// {typeName, schemaId, fields: {name: {kind, value}}}, attributes: {name: {class,
    /// value}}}`, each attribute's bytes decoded by the Java client's serialization service.
    ReadSession {
        /// The map.
        map: String,
        /// The String key.
        key: String,
    },
    /// `map.get(key)`: `{class, value}` (`GenericRecord` values as a record, see above).
    Get {
        /// The map.
        map: String,
        /// The String key.
        key: String,
    },
    /// `map.put(key, value, ttl, MILLISECONDS, maxIdle, MILLISECONDS)` (the overloads
    /// without the missing arguments when `None`): `{putAtMs}`, the wall clock (ms since the
    /// epoch) when the put returned.
    Put {
        /// The map.
        map: String,
        /// The String key.
        key: String,
        /// The value.
        value: JavaValue,
        /// Per-entry time to live.
        ttl: Option<Duration>,
        /// Per-entry max idle.
        max_idle: Option<Duration>,
    },
    /// A session record in the HSS layout built as a `GenericRecord`: `{record}`.
    PutSession {
        /// The map.
        map: String,
        /// The String key.
        key: String,
        /// The record.
        session: JavaSession,
    },
    /// `map.keySet(Predicates.equal("principalName", name))`: `{keys: [sorted]}`.
    QueryPrincipal {
        /// The map.
        map: String,
        /// The principal name (None = null).
        name: Option<String>,
    },
    /// `map.getEntryView(key)`: `{found, ttl, maxIdle, expirationTime, nowMs}` (ms).
    EntryView {
        /// The map.
        map: String,
        /// The String key.
        key: String,
    },
}

fn millis(d: Option<Duration>) -> String {
    d.map_or_else(
        || "-1".to_owned(),
        |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX).to_string(),
    )
}

fn opt_num<T: ToString>(v: Option<T>) -> String {
    v.map_or_else(|| NULL.to_owned(), |v| v.to_string())
}

fn opt_str(v: Option<&str>) -> Result<String, JavaError> {
    v.map_or_else(|| Ok(NULL.to_owned()), plain)
}

impl Command {
    /// A `Put` without TTL or max idle.
    pub fn put(map: &str, key: &str, value: JavaValue) -> Self {
        Command::Put {
            map: map.to_owned(),
            key: key.to_owned(),
            value,
            ttl: None,
            max_idle: None,
        }
    }

    fn line(&self) -> Result<String, JavaError> {
        let fields: Vec<String> = match self {
            Command::ReadSession { map, key } => {
                vec!["read-session".into(), plain(map)?, plain(key)?]
            }
            Command::Get { map, key } => vec!["get".into(), plain(map)?, plain(key)?],
            Command::Put {
                map,
                key,
                value,
                ttl,
                max_idle,
            } => {
                let [t, v] = value.fields()?;
                vec![
                    "put".into(),
                    plain(map)?,
                    plain(key)?,
                    t,
                    v,
                    millis(*ttl),
                    millis(*max_idle),
                ]
            }
            Command::PutSession { map, key, session } => {
                let s = session;
                let mut f = vec![
                    "put-session".into(),
                    plain(map)?,
                    plain(key)?,
                    opt_str(s.original_id.as_deref())?,
                    opt_str(s.id.as_deref())?,
                    opt_str(s.principal_name.as_deref())?,
                    opt_num(s.creation_time.0),
                    opt_num(s.creation_time.1),
                    opt_num(s.last_accessed_time.0),
                    opt_num(s.last_accessed_time.1),
                    opt_num(s.max_inactive_interval.0),
                    opt_num(s.max_inactive_interval.1),
                    s.ttl
                        .map_or_else(|| "-1".to_owned(), |d| d.as_secs().to_string()),
                ];
                for (name, value) in &s.attributes {
                    let [t, v] = value.fields()?;
                    f.extend([plain(name)?, t, v]);
                }
                f
            }
            Command::QueryPrincipal { map, name } => {
                vec![
                    "query-principal".into(),
                    plain(map)?,
                    opt_str(name.as_deref())?,
                ]
            }
            Command::EntryView { map, key } => {
                vec!["entry-view".into(), plain(map)?, plain(key)?]
            }
        };
        Ok(fields.join("\t"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_are_tab_separated_lines() {
        let c = Command::Put {
            map: "m".into(),
            key: "k".into(),
            value: JavaValue::Compact {
                type_name: "Cart".into(),
                fields: vec![
                    ("owner".into(), CompactField::String(None)),
                    ("items".into(), CompactField::ArrayOfInt64(vec![1, 2])),
                ],
            },
            ttl: Some(Duration::from_secs(3)),
            max_idle: None,
        };
        assert_eq!(
            c.line().expect("line"),
            "put\tm\tk\tcompact\tCart;owner:string=\\N;items:array_of_int64=1,2\t3000\t-1"
        );
        assert!(matches!(
            Command::put("m", "a\tb", JavaValue::Null).line(),
            Err(JavaError::BadArgument(_))
        ));
    }

    #[test]
    fn the_tool_runs_the_configured_hazelcast_version() {
        let tool = JavaTool::install().expect("java tool builds");
        let version = tool.hazelcast_version().expect("version");
        let wanted = std::env::var("HZ_VERSION")
            .ok()
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| "5.6.0".to_owned());
        assert_eq!(version, wanted.trim());
    }
}
