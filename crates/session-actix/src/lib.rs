//! Sessions for actix-web: a [`SessionMiddleware`] and a [`Session`] extractor over
//! `session-core`'s request lifecycle, with Spring Session's defaults (cookie `SESSION`,
//! base64 value, `HttpOnly`, `SameSite=Lax`, `Secure` on https, `Path=/`). The lifecycle
//! is configured on the [`SessionManager`] (`with_concurrent_sessions`, `with_signer`,
//! `with_store_failure_policy`...), the same way as with `session-axum`.
//!
//! One dependency: `session-actix = "0.1"` for sessions in memory (one process), or
//! `session-actix = { version = "0.1", features = ["hazelcast"] }` for sessions in a
//! Hazelcast cluster shared by every instance of the app (and by Spring applications).
//!
//! In memory:
//!
//! ```no_run
//! use actix_web::{App, HttpServer, web};
//! use session_actix::{MemorySessionRepository, Session, SessionError, SessionManager, SessionMiddleware};
//!
//! async fn visits(session: Session) -> Result<String, SessionError> {
//!     let visits: u64 = session.get("visits").await?.unwrap_or(0) + 1;
//!     session.insert("visits", &visits).await?;
//!     Ok(format!("visit number {visits}"))
//! }
//!
//! #[actix_web::main]
//! async fn main() -> std::io::Result<()> {
//!     let sessions = SessionMiddleware::new(SessionManager::new(MemorySessionRepository::new()));
//!     HttpServer::new(move || App::new().wrap(sessions.clone()).route("/", web::get().to(visits)))
//!         .bind(("127.0.0.1", 3000))?
//!         .run()
//!         .await
//! }
//! ```
//!
//! In a Hazelcast cluster (feature `hazelcast`; the same handler, two lines differ; the
//! `tests/hazelcast_example.rs` test runs this code against a real member):
//!
#![cfg_attr(
    feature = "hazelcast",
    doc = concat!("```no_run\n", include_str!("../examples/hazelcast.rs"), "```")
)]
//!
//! [`ClientConfig::from_env`](hazelcast::ClientConfig::from_env) reads `HZ_MEMBERS`,
//! `HZ_CLUSTER_NAME` and the failover variables; everything else has a builder
//! ([`hazelcast::HazelcastSessionRepository::builder`], `ClientConfig::builder`).
//!
//! Login, logout and at most two sessions per user:
//!
//! ```
//! use session_actix::{ConcurrentSessions, MemorySessionRepository, Session, SessionError, SessionManager, SessionMiddleware};
//!
//! async fn login(session: Session) -> Result<&'static str, SessionError> {
//!     session.login("user").await?; // sets the principal and changes the session id
//!     Ok("logged in")
//! }
//!
//! async fn logout(session: Session) -> Result<&'static str, SessionError> {
//!     session.logout().await?; // deletes the session and expires the cookie
//!     Ok("logged out")
//! }
//!
//! let manager = SessionManager::new(MemorySessionRepository::new())
//!     .with_concurrent_sessions(ConcurrentSessions::at_most(2));
//! let sessions = SessionMiddleware::new(manager);
//! # let _ = sessions;
//! ```
//!
//! The same app driven in-process:
//!
//! ```
//! use actix_web::{App, test, web};
//! use session_actix::{MemorySessionRepository, Session, SessionError, SessionManager, SessionMiddleware};
//!
//! async fn visits(session: Session) -> Result<String, SessionError> {
//!     let visits: u64 = session.get("visits").await?.unwrap_or(0) + 1;
//!     session.insert("visits", &visits).await?;
//!     Ok(visits.to_string())
//! }
//!
//! # #[actix_web::main]
//! # async fn main() {
//! let app = test::init_service(
//!     App::new()
//!         .wrap(SessionMiddleware::new(SessionManager::new(MemorySessionRepository::new())))
//!         .route("/", web::get().to(visits)),
//! )
//! .await;
//! let first = test::call_service(&app, test::TestRequest::get().uri("/").to_request()).await;
//! let cookie = first.headers().get("set-cookie").unwrap().to_str().unwrap();
//! let cookie = cookie.split(';').next().unwrap().to_owned();
//! let request = test::TestRequest::get().uri("/").insert_header(("cookie", cookie)).to_request();
//! let body = test::call_and_read_body(&app, request).await;
//! assert_eq!(&body[..], b"2");
//! # }
//! ```
//!
//! # Behaviour
//!
//! - The session is loaded on first use; a request whose handler never touches it costs
//!   no store call and gets no cookie.
//! - Bad cookies or headers (forged, truncated, oversized, non-base64, duplicated) read
//!   as "no session"; a session created afterwards gets a fresh id.
//! - Each store operation of a request (load, save, delete) has a deadline (1.5 s by
//!   default, `SessionManager::with_store_deadline`). When the store fails or does not
//!   answer in time, the response is replaced by an empty `503 Service Unavailable` with
//!   `Retry-After: 1` and the cause is logged (without the session id), unless the
//!   manager was set to [`StoreFailurePolicy::Fail`] (an opaque 500) or
//!   [`StoreFailurePolicy::ContinueWithFreshSession`] (the request goes on without a
//!   session).
//! - Using [`Session`] in an app without the middleware fails with a 500 whose body says
//!   the middleware is missing.
//! - `Secure` is added when the server itself serves https (`HttpServer::bind_rustls` and
//!   the like) or when the cookie is configured with [`CookieSecure::Always`]; behind a
//!   TLS-terminating proxy, the proxy's `X-Forwarded-Proto` and `X-Forwarded-Host` are
//!   trusted only with [`ForwardedHeaders::Trust`] (`SessionManager::with_forwarded_headers`;
//!   off by default, the same rule as `session-axum`). The cookie domain comes from the
//!   `Host` header.
#![forbid(unsafe_code)]

mod extractor;
mod middleware;

pub use extractor::{MissingSessionMiddleware, Session, SessionError};
pub use middleware::{SessionMiddleware, SessionMiddlewareService};

pub use session_core;
#[cfg(feature = "memory")]
pub use session_core::MemorySessionRepository;
pub use session_core::SessionData;
pub use session_core::lifecycle::{
    ConcurrentSessions, CookieConfig, CookieSecure, CookieSigner, ForwardedHeaders, IdResolver,
    LazySession, LifecycleError, SameSite, SessionManager, StoreFailurePolicy, WhenExceeded,
};
pub use session_core::{
    FlushMode, IndexedSessionRepository, SaveMode, SessionConfig, SessionRepository,
};

/// Sessions in a Hazelcast cluster (feature `hazelcast`): the store, its builder and the
/// client configuration, so that an app needs no other dependency. The whole store and
/// client crates are under [`store`](hazelcast::store) and [`client`](hazelcast::client).
#[cfg(feature = "hazelcast")]
pub mod hazelcast {
    pub use hazelcast_client as client;
    pub use hazelcast_client::{ClientConfig, ClientConfigBuilder, ClusterConfig, EnvError};
    pub use session_hazelcast as store;
    pub use session_hazelcast::{
        BuildError, HazelcastCodec, HazelcastRepositoryBuilder, HazelcastSessionRepository,
        SessionMapConfig,
    };
}
