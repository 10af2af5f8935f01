//! Test support for cross-checks against the official Hazelcast Python client.
//!
//! The interpreter comes from `HZ_PYTHON` when set; otherwise the workspace's
//! `scripts/setup-python.sh` installs `hazelcast-python-client` into `target/hz-python`
//! (once, under a file lock) and that venv is used. Nothing here is for production use.
//!
//! ```no_run
//! let out = python_crosscheck::run_script("import hazelcast; print(hazelcast.__version__)", b"")
//!     .expect("python runs");
//! assert!(out.starts_with(b"5."));
//! ```
#![forbid(unsafe_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The workspace root (the folder holding `scripts/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Path of a Python interpreter that can `import hazelcast`, installing it if needed.
///
/// # Errors
/// A message saying what failed and where it looked, when no interpreter can be had.
pub fn python() -> Result<PathBuf, String> {
    if let Some(p) = std::env::var_os("HZ_PYTHON") {
        return Ok(PathBuf::from(p));
    }
    let root = workspace_root();
    let script = root.join("scripts/setup-python.sh");
    let status = Command::new("bash")
        .arg(&script)
        .status()
        .map_err(|e| format!("cannot run {}: {e}", script.display()))?;
    if !status.success() {
        return Err(format!("{} failed with {status}", script.display()));
    }
    let py = root.join("target/hz-python/bin/python");
    if py.exists() {
        Ok(py)
    } else {
        Err(format!("no interpreter at {} after setup", py.display()))
    }
}

/// Runs `script` with the official client's interpreter, feeding `stdin`, and returns stdout.
///
/// # Errors
/// A message with the script's stderr when it cannot start or exits unsuccessfully.
pub fn run_script(script: &str, stdin: &[u8]) -> Result<Vec<u8>, String> {
    let py = python()?;
    let mut child = Command::new(&py)
        .arg("-c")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", py.display()))?;
    if let Some(mut input) = child.stdin.take() {
        input
            .write_all(stdin)
            .map_err(|e| format!("cannot write to python: {e}"))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("python did not finish: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "python exited with {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(out.stdout)
}

/// Starts `script` with the official client's interpreter as a child process (for scripts that
/// talk to a server while the test goes on). Stdout and stderr are piped.
///
/// # Errors
/// A message when the interpreter cannot be had or started.
pub fn spawn_script(script: &str, args: &[&str]) -> Result<std::process::Child, String> {
    let py = python()?;
    Command::new(&py)
        .arg("-c")
        .arg(script)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", py.display()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn official_client_is_importable() {
        let out = super::run_script(
            "import hazelcast, sys; sys.stdout.write(hazelcast.__version__)",
            b"",
        )
        .expect("python with hazelcast");
        assert_eq!(out, b"5.7.0");
    }
}
