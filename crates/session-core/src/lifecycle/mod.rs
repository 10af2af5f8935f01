//! The HTTP request lifecycle, framework-free: resolve the session id from the request
//! (cookie or header, Spring-compatible), load the session lazily on first use, save it
//! and write the cookie or header on the way out. Web adapters (`session-axum`,
//! `session-actix`) only translate requests and responses.
//!
//! ```
//! use session_core::MemorySessionRepository;
//! use session_core::lifecycle::{RequestIds, SessionManager};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let manager = SessionManager::new(MemorySessionRepository::new());
//!
//! // A request that never uses its session: no store call, no cookie.
//! let quiet = manager.begin(&RequestIds::default());
//! assert!(quiet.commit().await?.is_empty());
//!
//! // A request that puts something in its session gets a cookie.
//! let busy = manager.begin(&RequestIds::default());
//! busy.insert("basket", &[1u32, 2]).await?;
//! let update = busy.commit().await?;
//! assert!(update.set_cookies[0].ends_with("; Path=/; HttpOnly; SameSite=Lax"));
//! # Ok(())
//! # }
//! ```
//!
//! Defaults follow Spring Session so that a Spring service and a Rust service on one
//! domain share a login: cookie `SESSION` whose value is the base64 of the id,
//! `HttpOnly`, `SameSite=Lax`, `Secure` on https, `Path=/`; or the `X-Auth-Token` header
//! carrying the raw id. Bad input (forged, truncated, oversized, non-base64, wrongly
//! signed or duplicated cookies and headers) never fails a request: it reads as "no
//! session", and a session created afterwards gets a fresh id. Several *different*
//! values of the session cookie are treated as no session rather than guessing which one
//! is genuine.

mod cookie;
mod error;
mod http;
mod manager;
mod request;
mod resolver;
mod signing;
#[cfg(feature = "testing")]
pub mod testing;

pub use cookie::{
    CookieConfig, CookieSecure, DEFAULT_COOKIE_NAME, MAX_COOKIE_VALUE_LEN, SameSite,
    WRITTEN_COOKIE_SUFFIX,
};
pub use error::{LifecycleConfigError, LifecycleError};
pub use http::{ErrorResponse, ForwardedHeaders, X_FORWARDED_HOST, X_FORWARDED_PROTO};
pub use manager::{
    ConcurrentSessions, DEFAULT_RETRY_AFTER, DEFAULT_STORE_DEADLINE, FailureResponse,
    SessionManager, StoreFailurePolicy, WhenExceeded,
};
pub use request::{LazySession, ResponseUpdate};
pub use resolver::{
    DEFAULT_HEADER_NAME, HeaderValues, IdResolver, IdSource, RequestIds, RequestView,
};
pub use signing::{CookieSigner, MAX_SIGNING_KEYS, MIN_SIGNING_KEY_LEN};

#[cfg(test)]
mod read_your_writes_tests;
#[cfg(test)]
mod tests;
