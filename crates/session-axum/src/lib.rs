//! Sessions for axum: a tower [`SessionLayer`] and a [`Session`] extractor over
//! `session-core`'s request lifecycle, with Spring Session's defaults (cookie `SESSION`,
//! base64 value, `HttpOnly`, `SameSite=Lax`, `Secure` on https, `Path=/`).
//!
//! One dependency: `session-axum = "0.1"` for sessions in memory (one process), or
//! `session-axum = { version = "0.1", features = ["hazelcast"] }` for sessions in a
//! Hazelcast cluster shared by every instance of the app (and by Spring applications).
//!
//! In memory:
//!
//! ```no_run
//! use axum::{Router, routing::get};
//! use session_axum::{MemorySessionRepository, Session, SessionError, SessionLayer, SessionManager};
//!
//! async fn visits(session: Session) -> Result<String, SessionError> {
//!     let visits: u64 = session.get("visits").await?.unwrap_or(0) + 1;
//!     session.insert("visits", &visits).await?;
//!     Ok(format!("visit number {visits}"))
//! }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let layer = SessionLayer::new(SessionManager::new(MemorySessionRepository::new()));
//!     let app = Router::new().route("/", get(visits)).layer(layer);
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     axum::serve(listener, app).await
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
//! Login and logout:
//!
//! ```
//! use session_axum::{Session, SessionError};
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
//! ```
//!
//! The same app driven in-process:
//!
//! ```
//! use axum::{Router, body::Body, http::Request, routing::get};
//! use session_axum::{MemorySessionRepository, Session, SessionError, SessionLayer, SessionManager};
//! use tower::ServiceExt;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! async fn visits(session: Session) -> Result<String, SessionError> {
//!     let visits: u64 = session.get("visits").await?.unwrap_or(0) + 1;
//!     session.insert("visits", &visits).await?;
//!     Ok(visits.to_string())
//! }
//! let app = Router::new()
//!     .route("/", get(visits))
//!     .layer(SessionLayer::new(SessionManager::new(MemorySessionRepository::new())));
//!
//! let first = app.clone().oneshot(Request::get("/").body(Body::empty())?).await?;
//! let cookie = first.headers()["set-cookie"].to_str()?.split(';').next().unwrap().to_owned();
//! let second = app.oneshot(Request::get("/").header("cookie", cookie).body(Body::empty())?).await?;
//! let body = axum::body::to_bytes(second.into_body(), 1024).await?;
//! assert_eq!(&body[..], b"2");
//! # Ok(())
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
//! - Using [`Session`] in a router without the layer is rejected with a 500 whose body
//!   says the layer is missing.
//! - `Secure` is added when the request URI carries the `https` scheme; hyper gives
//!   origin-form URIs, so behind a TLS-terminating proxy (the usual case) configure the
//!   cookie with [`CookieSecure::Always`], or trust the proxy's `X-Forwarded-Proto` and
//!   `X-Forwarded-Host` with [`ForwardedHeaders::Trust`]
//!   (`SessionManager::with_forwarded_headers`; off by default, the same rule as
//!   `session-actix`).
#![forbid(unsafe_code)]

mod extractor;
mod layer;

pub use extractor::{MissingSessionLayer, Session, SessionError};
pub use layer::{SessionLayer, SessionService};

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
