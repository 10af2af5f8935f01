//! Where the member's jars come from: `scripts/setup-hazelcast.sh` resolves
//! `com.hazelcast:hazelcast` with Maven into `target/hazelcast/<version>/lib`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock, PoisonError};

use crate::error::MemberError;

/// The version started when `HZ_VERSION` is not set.
pub const DEFAULT_VERSION: &str = "5.6.0";

/// An installed Hazelcast member distribution: its version and the directory of its jars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Distribution {
    /// The Hazelcast version, e.g. `5.6.0`.
    pub version: String,
    /// The directory holding `hazelcast-<version>.jar` (the member's whole class path).
    pub lib_dir: PathBuf,
}

impl Distribution {
    /// The version named by `HZ_VERSION`, or [`DEFAULT_VERSION`], installed on first use.
    ///
    /// # Errors
    /// As [`Distribution::install`].
    pub fn from_env() -> Result<Self, MemberError> {
        let version = std::env::var("HZ_VERSION")
            .ok()
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| DEFAULT_VERSION.to_owned());
        Self::install(version.trim())
    }

    /// Runs the project's `scripts/setup-hazelcast.sh` for `version` (once per process and
    /// version; the script itself is idempotent and locked) and returns where the jars are.
    ///
    /// # Errors
    /// [`MemberError::Setup`] with the script's explanation when Java or Maven is missing or
    /// the artifact cannot be resolved.
    pub fn install(version: &str) -> Result<Self, MemberError> {
        static INSTALLED: OnceLock<Mutex<HashMap<String, Distribution>>> = OnceLock::new();
        let cache = INSTALLED.get_or_init(|| Mutex::new(HashMap::new()));
        let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(d) = cache.get(version) {
            return Ok(d.clone());
        }
        let script = workspace_root().join("scripts/setup-hazelcast.sh");
        let out = Command::new("bash")
            .arg(&script)
            .env("HZ_VERSION", version)
            .output()
            .map_err(|source| MemberError::Spawn {
                what: format!("bash {}", script.display()),
                source,
            })?;
        if !out.status.success() {
            return Err(MemberError::Setup(format!(
                "{} failed ({}): {}",
                script.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let lib_dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if !lib_dir.join(format!("hazelcast-{version}.jar")).is_file() {
            return Err(MemberError::Setup(format!(
                "{} did not produce hazelcast-{version}.jar in {}",
                script.display(),
                lib_dir.display()
            )));
        }
        let d = Distribution {
            version: version.to_owned(),
            lib_dir,
        };
        cache.insert(version.to_owned(), d.clone());
        Ok(d)
    }

    /// The `-cp` argument: every jar of the lib directory.
    pub fn class_path(&self) -> String {
        format!("{}/*", self.lib_dir.display())
    }
}

/// The workspace root (two levels above this crate's manifest).
pub fn workspace_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        here.ancestors()
            .nth(2)
            .map_or_else(|| here.to_path_buf(), Path::to_path_buf)
    })
}

/// The workspace's `target/` directory (honours `CARGO_TARGET_DIR`).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute())
        .unwrap_or_else(|| workspace_root().join("target"))
}
