//! The `Session` extractor, its rejection and the handler error type.

use std::ops::Deref;

use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::request::Parts;
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

/// Rejection of [`Session`] when the router has no [`SessionLayer`](crate::SessionLayer):
/// a 500 whose body says so (a programming error, not a client one).
#[derive(Debug, Clone, Copy)]
pub struct MissingSessionLayer;

impl std::fmt::Display for MissingSessionLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "the Session extractor needs session_axum::SessionLayer: add `.layer(SessionLayer::new(manager))` to the router",
        )
    }
}

impl std::error::Error for MissingSessionLayer {}

impl IntoResponse for MissingSessionLayer {
    fn into_response(self) -> Response {
        tracing::error!("{self}");
        (StatusCode::INTERNAL_SERVER_ERROR, self.to_string()).into_response()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = MissingSessionLayer;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<LazySession>()
            .cloned()
            .map(Session)
            .ok_or(MissingSessionLayer)
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

impl IntoResponse for SessionError {
    fn into_response(self) -> Response {
        let answer = self.0.response();
        let status =
            StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if answer.body.is_empty() {
            status.into_response()
        } else {
            (status, answer.body).into_response()
        }
    }
}
