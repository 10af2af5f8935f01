//! The basket app on every session stack of the comparison, each served on 127.0.0.1.
//!
//! Routes (same on every stack): `POST /basket` adds a distinct item ("add to basket"),
//! `GET /basket` shows the basket ("show basket"), `PUT /basket` stores the basket back
//! unchanged ("store unchanged basket", the probe for skipped writes), and
//! `GET /__bench/invocations` answers with our Hazelcast client's invocation counter (0 on
//! stacks without it).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use session_axum::session_core::lifecycle::LazySession;
use session_hazelcast::HazelcastRepositoryBuilder;

use crate::basket::{
    BASKET_ATTRIBUTE, Basket, BasketSession, StoreFailed, add_to_basket, distinct_item,
    show_basket, store_unchanged_basket,
};

mod actix_app;
mod axum_app;
mod populate;

pub use populate::{SWEEP_BASKET_ITEMS, populate};

/// Ours, on either adapter: both extractors deref to the request's [`LazySession`].
/// Reads the basket to show it with `get_shared` (decoded once per stored value, or not at
/// all when the previous save stored it with `insert_shared`); to change it with
/// `get_cloned` (a clone of that value when there is one, else decoded), and stores it
/// with `insert_shared`.
struct Ours<S>(S);

impl<S> BasketSession for Ours<S>
where
    S: std::ops::Deref<Target = LazySession>,
{
    async fn load_basket(&self) -> Result<Option<std::sync::Arc<Basket>>, StoreFailed> {
        self.0
            .get_shared(BASKET_ATTRIBUTE)
            .await
            .map_err(|e| StoreFailed(e.to_string()))
    }
    async fn load_basket_to_change(&self) -> Result<Option<Basket>, StoreFailed> {
        self.0
            .get_cloned(BASKET_ATTRIBUTE)
            .await
            .map_err(|e| StoreFailed(e.to_string()))
    }
    async fn store_basket(&self, basket: std::sync::Arc<Basket>) -> Result<(), StoreFailed> {
        self.0
            .insert_shared(BASKET_ATTRIBUTE, basket)
            .await
            .map_err(|e| StoreFailed(e.to_string()))
    }
}

/// A session stack serving the basket app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Stack {
    /// axum, no session layer: the limit.
    BaselineAxum,
    /// actix-web, no session middleware: the limit.
    BaselineActix,
    /// axum with our `session-axum` layer over session-core's in-memory repository.
    OursAxumMemory,
    /// actix-web with our `session-actix` middleware over the in-memory repository.
    OursActixMemory,
    /// axum with our `session-axum` layer over `session-hazelcast`'s repository.
    OursAxumHazelcast,
    /// actix-web with our `session-actix` middleware over `session-hazelcast`'s repository.
    OursActixHazelcast,
    /// axum with `tower-sessions` and its memory store.
    TowerSessionsMemory,
    /// axum with `tower-sessions` and `tower-sessions-redis-store`.
    TowerSessionsRedis,
    /// actix-web with `actix-session` and its Redis store.
    ActixSessionRedis,
}

impl Stack {
    /// Every stack this binary can serve.
    pub const ALL: [Stack; 9] = [
        Stack::BaselineAxum,
        Stack::BaselineActix,
        Stack::OursAxumMemory,
        Stack::OursActixMemory,
        Stack::OursAxumHazelcast,
        Stack::OursActixHazelcast,
        Stack::TowerSessionsMemory,
        Stack::TowerSessionsRedis,
        Stack::ActixSessionRedis,
    ];

    /// The stack's name on the command line and in the results.
    pub fn name(self) -> &'static str {
        match self {
            Stack::BaselineAxum => "baseline-axum",
            Stack::BaselineActix => "baseline-actix",
            Stack::OursAxumMemory => "ours-axum-memory",
            Stack::OursActixMemory => "ours-actix-memory",
            Stack::OursAxumHazelcast => "ours-axum-hazelcast",
            Stack::OursActixHazelcast => "ours-actix-hazelcast",
            Stack::TowerSessionsMemory => "tower-sessions-memory",
            Stack::TowerSessionsRedis => "tower-sessions-redis",
            Stack::ActixSessionRedis => "actix-session-redis",
        }
    }

    /// Whether the stack needs a Hazelcast cluster.
    pub fn needs_hazelcast(self) -> bool {
        matches!(self, Stack::OursAxumHazelcast | Stack::OursActixHazelcast)
    }

    /// Whether the stack is one of ours (`session-axum` / `session-actix`).
    pub fn is_ours(self) -> bool {
        matches!(
            self,
            Stack::OursAxumMemory
                | Stack::OursActixMemory
                | Stack::OursAxumHazelcast
                | Stack::OursActixHazelcast
        )
    }

    /// Whether the stack is known to skip the write of a session whose values did not
    /// change (`Some(true)`), to write it anyway (`Some(false)`), or has no store (`None`).
    ///
    /// tower-sessions 0.14 compares a new value with the stored one and marks the session
    /// modified only when they differ; actix-session 0.11 marks the session changed on
    /// every `insert`. Ours is measured, not assumed (the "store unchanged basket" probe's
    /// round trips), so it answers `None` here.
    pub fn skips_unchanged_writes(self) -> Option<bool> {
        match self {
            Stack::TowerSessionsMemory | Stack::TowerSessionsRedis => Some(true),
            Stack::ActixSessionRedis => Some(false),
            _ => None,
        }
    }

    /// Whether the stack needs a Redis server.
    pub fn needs_redis(self) -> bool {
        matches!(self, Stack::TowerSessionsRedis | Stack::ActixSessionRedis)
    }
}

impl FromStr for Stack {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Stack::ALL
            .into_iter()
            .find(|k| k.name() == s)
            .ok_or_else(|| format!("unknown stack {s:?}"))
    }
}

/// Why an app could not be served.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// Binding or serving failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The stack needs `--redis URL`.
    #[error("{0} needs a Redis URL")]
    NoRedis(&'static str),
    /// The stack needs `--members A[,B]`.
    #[error("{0} needs Hazelcast member addresses")]
    NoMembers(&'static str),
    /// The session store could not be set up.
    #[error("session store: {0}")]
    Store(String),
    /// Pre-created sessions were asked of a stack that has none of ours.
    #[error("{0} cannot pre-create sessions (only our stacks can)")]
    NoPopulate(&'static str),
    /// Writing the file of pre-created session cookies failed.
    #[error("session file {path}: {source}")]
    SessionFile {
        /// The file.
        path: PathBuf,
        /// The failure.
        source: std::io::Error,
    },
}

/// Where the session stores are.
#[derive(Debug, Clone, Default)]
pub struct Backends {
    /// Redis URL (`redis://127.0.0.1:6379`).
    pub redis: Option<String>,
    /// Hazelcast member addresses.
    pub members: Vec<String>,
    /// Hazelcast cluster name.
    pub cluster_name: String,
    /// Whether our Hazelcast repository keeps its local cache of session records (see
    /// [`with_local_cache`]).
    pub local_cache: bool,
    /// The Hazelcast map of sessions (`None`: the repository's default).
    pub map_name: Option<String>,
    /// Sessions to create before serving (the sweep of live sessions; ours only).
    pub sessions: usize,
    /// Where the cookie values of the pre-created sessions go, one a line.
    pub session_file: Option<PathBuf>,
}

/// The one place the benchmark chooses our Hazelcast repository's local cache of session
/// records: every Hazelcast stack's repository is built through it.
///
/// ```
/// use bench_http_apps::apps::with_local_cache;
/// use hazelcast_client::ClientConfig;
/// use session_hazelcast::HazelcastSessionRepository;
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let config = ClientConfig::builder().build()?;
/// let _on = with_local_cache(HazelcastSessionRepository::builder(config), true);
/// # Ok(())
/// # }
/// ```
pub fn with_local_cache(
    builder: HazelcastRepositoryBuilder,
    on: bool,
) -> HazelcastRepositoryBuilder {
    builder.local_cache(on)
}

/// The Hazelcast-backed repository, its client kept for the invocation counter that
/// `GET /__bench/invocations` answers with.
async fn hazelcast_repository(
    stack: Stack,
    backends: &Backends,
) -> Result<session_hazelcast::HazelcastSessionRepository, ServeError> {
    if backends.members.is_empty() {
        return Err(ServeError::NoMembers(stack.name()));
    }
    let config = hazelcast_client::ClientConfig::builder()
        .cluster_name(backends.cluster_name.clone())
        .addresses(backends.members.clone())
        .build()
        .map_err(|e| ServeError::Store(e.to_string()))?;
    let mut builder = session_hazelcast::HazelcastSessionRepository::builder(config);
    if let Some(name) = &backends.map_name {
        builder = builder.map_name(name.clone());
    }
    with_local_cache(builder, backends.local_cache)
        .build()
        .await
        .map_err(|e| ServeError::Store(e.to_string()))
}

/// The body of `GET /__bench/invocations`: the client's invocation counter.
fn invocations(client: Option<&hazelcast_client::Client>) -> String {
    client.map_or(0, |c| c.stats().invocations).to_string()
}

/// Serves `stack` on `bind` until the process ends; `ready` gets the bound address.
///
/// # Errors
/// When binding fails or the session store cannot be reached.
pub fn serve(
    stack: Stack,
    bind: SocketAddr,
    workers: usize,
    backends: Backends,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    if backends.sessions > 0 && !stack.is_ours() {
        return Err(ServeError::NoPopulate(stack.name()));
    }
    if backends.local_cache && !stack.needs_hazelcast() {
        return Err(ServeError::Store(format!(
            "{} has no local cache to switch",
            stack.name()
        )));
    }
    match stack {
        Stack::BaselineActix
        | Stack::ActixSessionRedis
        | Stack::OursActixMemory
        | Stack::OursActixHazelcast => actix_app::serve(stack, bind, workers, backends, ready),
        _ => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .enable_all()
                .build()?;
            rt.block_on(axum_app::serve(stack, bind, backends, ready))
        }
    }
}
