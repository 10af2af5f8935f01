//! The `Session` extractor, its error when the middleware is missing, and the handler
//! error type.

use std::fmt;
use std::future::{Ready, ready};
use std::ops::Deref;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use session_core::lifecycle::{LazySession, LifecycleError};

/// The request's session, extracted in handlers: `async fn handler(session: Session)`.
///
/// Derefs to [`LazySession`]: `get`, `insert`, `remove`, `login`, `logout`,
/// `invalidate`, `change_id`, `get_or_create` (for the full
/// [`SessionData`](crate::SessionData))...
#[derive(Debug, Clone)]
pub struct Session(LazySession);

impl Session {
    /// The lifecycle handle.
    pub fn into_inner(self) -> LazySession {
        self.0
    }
}

impl Deref for Session {
    type Target = LazySession;

    fn deref(&self) -> &LazySession {
        &self.0
    }
}

/// [`Session`] was used in an app without [`SessionMiddleware`](crate::SessionMiddleware):
/// a 500 whose body says so (a programming error, not a client one).
#[derive(Debug, Clone, Copy)]
pub struct MissingSessionMiddleware;

impl fmt::Display for MissingSessionMiddleware {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "the Session extractor needs session_actix::SessionMiddleware: add `.wrap(SessionMiddleware::new(manager))` to the App",
        )
    }
}

impl std::error::Error for MissingSessionMiddleware {}

impl ResponseError for MissingSessionMiddleware {
    fn status_code(&self) -> StatusCode {
        StatusCode::INTERNAL_SERVER_ERROR
    }

    fn error_response(&self) -> HttpResponse {
        tracing::error!("{self}");
        HttpResponse::InternalServerError().body(self.to_string())
    }
}

impl FromRequest for Session {
    type Error = MissingSessionMiddleware;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(request: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(
            request
                .extensions()
                .get::<LazySession>()
                .cloned()
                .map(Session)
                .ok_or(MissingSessionMiddleware),
        )
    }
}

/// A session failure returned by a handler (`Result<_, SessionError>` and `?` on the
/// session's methods). Answers opaquely: 503 for store failures (the session layer then
/// answers its manager's failure response, 503 with `Retry-After` by default), 500 for
/// programming errors, 409 when concurrent-session control refused a login.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct SessionError(#[from] pub LifecycleError);

impl From<session_core::SessionDataError> for SessionError {
    fn from(error: session_core::SessionDataError) -> Self {
        Self(LifecycleError::Session(error))
    }
}

impl ResponseError for SessionError {
    fn status_code(&self) -> StatusCode {
        StatusCode::from_u16(self.0.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    fn error_response(&self) -> HttpResponse {
        let answer = self.0.response();
        let status =
            StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if answer.body.is_empty() {
            HttpResponse::build(status).finish()
        } else {
            HttpResponse::build(status).body(answer.body)
        }
    }
}
