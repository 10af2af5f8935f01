//! The session store behind the shop: the in-memory repository, or a Hazelcast cluster
//! (optionally with a failover cluster) through `session-hazelcast`, configured from the
//! environment by the libraries ([`crate::config`]).

use std::fmt::Write as _;
use std::sync::Arc;

use session_axum::{MemorySessionRepository, SessionRepository};
use session_hazelcast::BuildError;

use crate::config::{Backend, ConfigError};

/// One line saying where sessions are stored (no session data in it).
pub fn describe(backend: &Backend) -> String {
    match backend {
        Backend::Memory => "in-memory session store (this process only)".to_owned(),
        Backend::Hazelcast { store, .. } => store.describe(),
    }
}

/// The error and its sources, joined by `": "`.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    let mut depth = 0;
    while let Some(e) = source {
        if depth == 8 {
            break;
        }
        let _ = write!(text, ": {e}");
        source = e.source();
        depth += 1;
    }
    text
}

/// The session repository for `backend`. For Hazelcast this connects to the cluster,
/// applies the session map's configuration and gives up after the connect timeout per
/// cluster (so a cluster that cannot be reached ends the start-up with an error instead
/// of a hang).
///
/// # Errors
/// [`ConfigError::Unreachable`] when no cluster answered in time,
/// [`ConfigError::Hazelcast`] when the repository could not start.
pub async fn repository(backend: &Backend) -> Result<Arc<dyn SessionRepository>, ConfigError> {
    let Backend::Hazelcast { store, .. } = backend else {
        return Ok(Arc::new(MemorySessionRepository::new()));
    };
    match store.as_ref().clone().build().await {
        Ok(repository) => Ok(Arc::new(repository)),
        Err(BuildError::Unreachable { after }) => Err(ConfigError::Unreachable {
            store: describe(backend),
            after,
        }),
        Err(error) => Err(ConfigError::Hazelcast {
            detail: chain(&error),
            source: error,
        }),
    }
}
