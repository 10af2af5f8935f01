//! The basket app on every session stack of the comparison, each served on 127.0.0.1.
//!
//! Routes (same on every stack): `POST /basket` adds an item ("add to basket"),
//! `GET /basket` shows the basket ("show basket").

use std::net::SocketAddr;
use std::str::FromStr;

use crate::basket::{Basket, BasketSession, StoreFailed, add_to_basket, show_basket};

/// The item every "add to basket" request adds.
pub const ITEM: &str = "tea";

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
    session_hazelcast::HazelcastSessionRepository::builder(config)
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

mod axum_app {
    use std::net::SocketAddr;

    use axum::Router;
    use axum::http::StatusCode;
    use axum::response::{IntoResponse, Response};
    use axum::routing::get;
    use session_axum::{MemorySessionRepository, SessionLayer, SessionManager};
    use tower_sessions::{MemoryStore, SessionManagerLayer};
    use tower_sessions_redis_store::RedisStore;
    use tower_sessions_redis_store::fred::prelude::{ClientLike, Config, Pool};

    use super::{
        Backends, Basket, BasketSession, ITEM, ServeError, Stack, StoreFailed, add_to_basket,
        show_basket,
    };
    use crate::basket::{BASKET_ATTRIBUTE, NoSession};

    fn reply(r: Result<String, StoreFailed>) -> Response {
        match r {
            Ok(body) => body.into_response(),
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        }
    }

    struct Ours(session_axum::Session);

    impl BasketSession for Ours {
        async fn load_basket(&self) -> Result<Option<Basket>, StoreFailed> {
            self.0
                .get(BASKET_ATTRIBUTE)
                .await
                .map_err(|e| StoreFailed(e.to_string()))
        }
        async fn store_basket(&self, basket: &Basket) -> Result<(), StoreFailed> {
            self.0
                .insert(BASKET_ATTRIBUTE, basket)
                .await
                .map_err(|e| StoreFailed(e.to_string()))
        }
    }

    struct Tower(tower_sessions::Session);

    impl BasketSession for Tower {
        async fn load_basket(&self) -> Result<Option<Basket>, StoreFailed> {
            self.0
                .get(BASKET_ATTRIBUTE)
                .await
                .map_err(|e| StoreFailed(e.to_string()))
        }
        async fn store_basket(&self, basket: &Basket) -> Result<(), StoreFailed> {
            self.0
                .insert(BASKET_ATTRIBUTE, basket)
                .await
                .map_err(|e| StoreFailed(e.to_string()))
        }
    }

    fn baseline() -> Router {
        Router::new().route(
            "/basket",
            get(|| async { reply(show_basket(&NoSession).await) })
                .post(|| async { reply(add_to_basket(&NoSession, ITEM).await) }),
        )
    }

    fn ours(manager: SessionManager) -> Router {
        Router::new()
            .route(
                "/basket",
                get(|s: session_axum::Session| async move { reply(show_basket(&Ours(s)).await) })
                    .post(|s: session_axum::Session| async move {
                        reply(add_to_basket(&Ours(s), ITEM).await)
                    }),
            )
            .layer(SessionLayer::new(manager))
    }

    fn tower_routes() -> Router {
        Router::new().route(
            "/basket",
            get(|s: tower_sessions::Session| async move { reply(show_basket(&Tower(s)).await) })
                .post(|s: tower_sessions::Session| async move {
                    reply(add_to_basket(&Tower(s), ITEM).await)
                }),
        )
    }

    pub(super) async fn serve(
        stack: Stack,
        bind: SocketAddr,
        backends: Backends,
        ready: impl FnOnce(SocketAddr),
    ) -> Result<(), ServeError> {
        let redis = backends.redis.as_deref();
        let mut client = None;
        let app = match stack {
            Stack::OursAxumMemory => ours(SessionManager::new(MemorySessionRepository::new())),
            Stack::OursAxumHazelcast => {
                let repo = super::hazelcast_repository(stack, &backends).await?;
                client = Some(repo.client().clone());
                ours(SessionManager::new(repo))
            }
            Stack::TowerSessionsMemory => {
                tower_routes().layer(SessionManagerLayer::new(MemoryStore::default()))
            }
            Stack::TowerSessionsRedis => {
                let url = redis.ok_or(ServeError::NoRedis(stack.name()))?;
                let config = Config::from_url(url).map_err(|e| ServeError::Store(e.to_string()))?;
                let pool = Pool::new(config, None, None, None, 4)
                    .map_err(|e| ServeError::Store(e.to_string()))?;
                let _task = pool.connect();
                pool.wait_for_connect()
                    .await
                    .map_err(|e| ServeError::Store(e.to_string()))?;
                tower_routes().layer(SessionManagerLayer::new(RedisStore::new(pool)))
            }
            _ => baseline(),
        };
        let app = app.route(
            "/__bench/invocations",
            get(move || async move { super::invocations(client.as_ref()) }),
        );
        let listener = tokio::net::TcpListener::bind(bind).await?;
        ready(listener.local_addr()?);
        axum::serve(listener, app).await?;
        Ok(())
    }
}

mod actix_app {
    use std::net::SocketAddr;

    use actix_session::storage::RedisSessionStore;
    use actix_web::cookie::Key;
    use actix_web::{App, HttpResponse, HttpServer, web};
    use session_actix::{MemorySessionRepository, SessionRepository};

    use super::{
        Backends, Basket, BasketSession, ITEM, ServeError, Stack, StoreFailed, add_to_basket,
        show_basket,
    };
    use crate::basket::{BASKET_ATTRIBUTE, NoSession};

    fn reply(r: Result<String, StoreFailed>) -> HttpResponse {
        match r {
            Ok(body) => HttpResponse::Ok().body(body),
            Err(_) => HttpResponse::InternalServerError().finish(),
        }
    }

    struct ActixSession(actix_session::Session);

    impl BasketSession for ActixSession {
        async fn load_basket(&self) -> Result<Option<Basket>, StoreFailed> {
            self.0
                .get(BASKET_ATTRIBUTE)
                .map_err(|e| StoreFailed(e.to_string()))
        }
        async fn store_basket(&self, basket: &Basket) -> Result<(), StoreFailed> {
            self.0
                .insert(BASKET_ATTRIBUTE, basket)
                .map_err(|e| StoreFailed(e.to_string()))
        }
    }

    struct Ours(session_actix::Session);

    impl BasketSession for Ours {
        async fn load_basket(&self) -> Result<Option<Basket>, StoreFailed> {
            self.0
                .get(BASKET_ATTRIBUTE)
                .await
                .map_err(|e| StoreFailed(e.to_string()))
        }
        async fn store_basket(&self, basket: &Basket) -> Result<(), StoreFailed> {
            self.0
                .insert(BASKET_ATTRIBUTE, basket)
                .await
                .map_err(|e| StoreFailed(e.to_string()))
        }
    }

    async fn add_actix_session(s: actix_session::Session) -> HttpResponse {
        reply(add_to_basket(&ActixSession(s), ITEM).await)
    }

    async fn show_actix_session(s: actix_session::Session) -> HttpResponse {
        reply(show_basket(&ActixSession(s)).await)
    }

    async fn add_ours(s: session_actix::Session) -> HttpResponse {
        reply(add_to_basket(&Ours(s), ITEM).await)
    }

    async fn show_ours(s: session_actix::Session) -> HttpResponse {
        reply(show_basket(&Ours(s)).await)
    }

    async fn add_plain() -> HttpResponse {
        reply(add_to_basket(&NoSession, ITEM).await)
    }

    async fn show_plain() -> HttpResponse {
        reply(show_basket(&NoSession).await)
    }

    fn first_addr(addrs: &[SocketAddr]) -> Result<SocketAddr, ServeError> {
        addrs
            .first()
            .copied()
            .ok_or_else(|| ServeError::Store("no bound address".into()))
    }

    pub(super) fn serve(
        stack: Stack,
        bind: SocketAddr,
        workers: usize,
        backends: Backends,
        ready: impl FnOnce(SocketAddr),
    ) -> Result<(), ServeError> {
        actix_web::rt::System::new().block_on(async move {
            match stack {
                Stack::ActixSessionRedis => {
                    let url = backends
                        .redis
                        .clone()
                        .ok_or(ServeError::NoRedis(stack.name()))?;
                    let store = RedisSessionStore::new(url)
                        .await
                        .map_err(|e| ServeError::Store(e.to_string()))?;
                    let key = Key::from(&[7u8; 64]);
                    let server = HttpServer::new(move || {
                        App::new()
                            .wrap(
                                actix_session::SessionMiddleware::builder(
                                    store.clone(),
                                    key.clone(),
                                )
                                .cookie_secure(false)
                                .build(),
                            )
                            .route("/basket", web::get().to(show_actix_session))
                            .route("/basket", web::post().to(add_actix_session))
                            .route("/__bench/invocations", web::get().to(|| async { "0" }))
                    })
                    .workers(workers)
                    .bind(bind)?;
                    ready(first_addr(&server.addrs())?);
                    server.run().await?;
                }
                Stack::OursActixMemory | Stack::OursActixHazelcast => {
                    let (repository, client): (std::sync::Arc<dyn SessionRepository>, _) =
                        if stack == Stack::OursActixHazelcast {
                            let repo = super::hazelcast_repository(stack, &backends).await?;
                            let client = repo.client().clone();
                            (std::sync::Arc::new(repo), Some(client))
                        } else {
                            (std::sync::Arc::new(MemorySessionRepository::new()), None)
                        };
                    let sessions = session_actix::SessionMiddleware::new(
                        session_actix::SessionManager::from_shared(repository),
                    );
                    let counter = web::Data::new(client);
                    let server = HttpServer::new(move || {
                        App::new()
                            .app_data(counter.clone())
                            .route(
                                "/__bench/invocations",
                                web::get().to(
                                    |c: web::Data<Option<hazelcast_client::Client>>| async move {
                                        super::invocations(c.as_ref().as_ref())
                                    },
                                ),
                            )
                            .service(
                                web::scope("")
                                    .wrap(sessions.clone())
                                    .route("/basket", web::get().to(show_ours))
                                    .route("/basket", web::post().to(add_ours)),
                            )
                    })
                    .workers(workers)
                    .bind(bind)?;
                    ready(first_addr(&server.addrs())?);
                    server.run().await?;
                }
                _ => {
                    let server = HttpServer::new(|| {
                        App::new()
                            .route("/basket", web::get().to(show_plain))
                            .route("/basket", web::post().to(add_plain))
                            .route("/__bench/invocations", web::get().to(|| async { "0" }))
                    })
                    .workers(workers)
                    .bind(bind)?;
                    ready(first_addr(&server.addrs())?);
                    server.run().await?;
                }
            }
            Ok(())
        })
    }
}
