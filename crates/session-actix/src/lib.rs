//! Sessions for actix-web: a [`SessionMiddleware`] (built with a builder) and a
//! [`Session`] extractor over `session-core`'s request lifecycle, with Spring Session's
//! defaults (cookie `SESSION`, base64 value, `HttpOnly`, `SameSite=Lax`, `Secure` on
//! https, `Path=/`).
//!
//! A complete app (a visit counter with login and logout):
//!
//! ```no_run
//! use actix_web::{App, HttpServer, web};
//! use session_actix::{ConcurrentSessions, MemorySessionRepository, Session, SessionError, SessionMiddleware};
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
//! #[actix_web::main]
//! async fn main() -> std::io::Result<()> {
//!     let sessions = SessionMiddleware::builder(MemorySessionRepository::new())
//!         .concurrent_sessions(ConcurrentSessions::at_most(2))
//!         .build();
//!     HttpServer::new(move || {
//!         App::new()
//!             .wrap(sessions.clone())
//!             .route("/", web::get().to(visits))
//!             .route("/login", web::get().to(login))
//!             .route("/logout", web::get().to(logout))
//!     })
//!     .bind(("127.0.0.1", 3000))?
//!     .run()
//!     .await
//! }
//! ```
//!
//! The same app driven in-process:
//!
//! ```
//! use actix_web::{App, test, web};
//! use session_actix::{MemorySessionRepository, Session, SessionError, SessionMiddleware};
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
//!         .wrap(SessionMiddleware::builder(MemorySessionRepository::new()).build())
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
//!   middleware was built with [`StoreFailurePolicy::Fail`] (an opaque 500) or
//!   [`StoreFailurePolicy::ContinueWithFreshSession`] (the request goes on without a
//!   session).
//! - Using [`Session`] in an app without the middleware fails with a 500 whose body says
//!   the middleware is missing.
//! - `Secure` is added when the server itself serves https (`HttpServer::bind_rustls` and
//!   the like) or when the cookie is configured with [`CookieSecure::Always`] (behind a
//!   TLS-terminating proxy).
#![forbid(unsafe_code)]

mod extractor;
mod middleware;

pub use extractor::{MissingSessionMiddleware, Session, SessionError};
pub use middleware::{SessionMiddleware, SessionMiddlewareBuilder, SessionMiddlewareService};

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
