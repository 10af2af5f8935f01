//! Errors of the request lifecycle.

use crate::error::{BoxError, RepositoryError, SessionDataError};

/// A session operation during a request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LifecycleError {
    /// The session store failed (or did not answer within the store deadline). The
    /// adapter answers the request with the manager's failure response, 503 with
    /// `Retry-After` by default (unless the manager is set to continue with a fresh
    /// session).
    #[error("the session store failed")]
    Store(#[source] RepositoryError),
    /// An earlier store failure in this request already decided its outcome.
    #[error("the session store failed earlier in this request")]
    StoreFailedEarlier,
    /// A session operation failed (attribute conversion, invalidated session, id
    /// generation).
    #[error(transparent)]
    Session(#[from] SessionDataError),
    /// Concurrent-session control refused a new login: the principal already has the
    /// maximum number of sessions.
    #[error("the user already has the maximum number of sessions ({max})")]
    TooManySessions {
        /// The configured maximum.
        max: usize,
    },
    /// Concurrent-session control needs a repository that finds sessions by principal
    /// name ([`SessionRepository::as_indexed`](crate::SessionRepository::as_indexed)).
    #[error("concurrent-session control needs a repository indexed by principal name")]
    NotIndexed,
}

impl LifecycleError {
    /// Whether this is a store failure (the adapters answer the manager's failure
    /// response, 503 by default, for these).
    pub fn is_store_failure(&self) -> bool {
        matches!(self, Self::Store(_) | Self::StoreFailedEarlier)
    }
}

/// Invalid lifecycle configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LifecycleConfigError {
    /// The cookie domain pattern is not a valid regular expression.
    #[error("the cookie domain pattern is not a valid regular expression")]
    DomainPattern(#[source] BoxError),
    /// The cookie domain pattern has no capture group for the domain.
    #[error("the cookie domain pattern needs a capture group for the domain")]
    DomainPatternWithoutGroup,
    /// A signing key is too short.
    #[error("a cookie signing key must be at least {min} bytes")]
    SigningKeyTooShort {
        /// The minimum length in bytes.
        min: usize,
    },
    /// Too many signing keys.
    #[error("at most {max} cookie signing keys")]
    TooManySigningKeys {
        /// The maximum number of keys.
        max: usize,
    },
    /// The header name is not a valid HTTP header name.
    #[error("invalid session header name")]
    HeaderName,
}
