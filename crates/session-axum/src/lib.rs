//! Sessions for axum: a tower [`SessionLayer`] and a [`Session`] extractor over
//! `session-core`'s request lifecycle, with Spring Session's defaults (cookie `SESSION`,
//! base64 value, `HttpOnly`, `SameSite=Lax`, `Secure` on https, `Path=/`).
//!
//! A complete app (a visit counter with login and logout):
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
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let manager = SessionManager::new(MemorySessionRepository::new());
//!     let app = Router::new()
//!         .route("/", get(visits))
//!         .route("/login", get(login))
//!         .route("/logout", get(logout))
//!         .layer(SessionLayer::new(manager));
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     axum::serve(listener, app).await
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
//!   cookie with [`CookieSecure::Always`]. Forwarding headers are not trusted.
#![forbid(unsafe_code)]

mod extractor;
mod layer;

pub use extractor::{MissingSessionLayer, Session, SessionError};
pub use layer::{SessionLayer, SessionService};

pub use session_core;
pub use session_core::Session as SessionData;
pub use session_core::lifecycle::{
    ConcurrentSessions, CookieConfig, CookieSecure, CookieSigner, IdResolver, LazySession,
    LifecycleError, SameSite, SessionManager, StoreFailurePolicy, WhenExceeded,
};
pub use session_core::{
    FlushMode, IndexedSessionRepository, MemorySessionRepository, SaveMode, SessionConfig,
    SessionRepository,
};
