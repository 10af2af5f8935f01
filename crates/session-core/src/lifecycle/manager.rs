//! The per-application part of the lifecycle: repository, id resolver, signing,
//! concurrent-session control and what to do when the store fails.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::clock::{Clock, SystemClock};
use crate::lifecycle::cookie::CookieConfig;
use crate::lifecycle::http::ForwardedHeaders;
use crate::lifecycle::request::{LazySession, ReadYourWrites};
use crate::lifecycle::resolver::{IdResolver, RequestIds, RequestView};
use crate::lifecycle::signing::CookieSigner;
use crate::repository::SessionRepository;

/// What a new login does when its user already has the maximum number of sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum WhenExceeded {
    /// The user's least recently used sessions are deleted to make room (Spring
    /// Security's default).
    #[default]
    ExpireOldest,
    /// The new login fails with
    /// [`LifecycleError::TooManySessions`](crate::lifecycle::LifecycleError::TooManySessions).
    RefuseNewLogin,
}

/// Concurrent-session control: at most `max` sessions per principal, counted with the
/// repository's principal index (so it holds across web servers sharing a cluster).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConcurrentSessions {
    max: usize,
    when_exceeded: WhenExceeded,
}

impl ConcurrentSessions {
    /// At most `max` sessions per principal (at least 1), expiring the oldest.
    pub fn at_most(max: usize) -> Self {
        Self {
            max: max.max(1),
            when_exceeded: WhenExceeded::ExpireOldest,
        }
    }

    /// Sets what happens when a login would exceed the limit.
    pub fn when_exceeded(mut self, policy: WhenExceeded) -> Self {
        self.when_exceeded = policy;
        self
    }

    /// The maximum number of sessions per principal.
    pub fn max(&self) -> usize {
        self.max
    }

    /// The policy when exceeded.
    pub fn policy(&self) -> WhenExceeded {
        self.when_exceeded
    }
}

/// The default deadline of one session store operation (load, save, delete) of a request.
pub const DEFAULT_STORE_DEADLINE: Duration = Duration::from_millis(1500);
/// The default `Retry-After` of a `503 Service Unavailable` after a store failure.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

/// What the request does when the session store fails (an error, or no answer within the
/// store deadline, see [`SessionManager::with_store_deadline`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum StoreFailurePolicy {
    /// The adapter replaces the response with an empty `503 Service Unavailable` carrying
    /// `Retry-After` (see [`SessionManager::with_retry_after`]) and logs the cause. The
    /// default: a shop must not silently lose a basket or a login, and a store outage is
    /// a temporary unavailability, not a server bug (load balancers and clients retry a
    /// 503, they do not retry a 500).
    #[default]
    ServiceUnavailable,
    /// The adapter replaces the response with an opaque `500 Internal Server Error`.
    Fail,
    /// The request goes on as if it had no session (a load failure reads as "no
    /// session", a failed save is logged and its cookie not sent).
    ContinueWithFreshSession,
}

#[derive(Clone)]
pub(crate) struct ManagerInner {
    pub(crate) repository: Arc<dyn SessionRepository>,
    pub(crate) resolver: IdResolver,
    pub(crate) signer: Option<CookieSigner>,
    pub(crate) concurrency: Option<ConcurrentSessions>,
    pub(crate) on_store_failure: StoreFailurePolicy,
    pub(crate) store_deadline: Option<Duration>,
    pub(crate) retry_after: Duration,
    pub(crate) forwarded: ForwardedHeaders,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) read_your_writes: bool,
}

/// The response an adapter gives instead of the handler's after a store failure under
/// [`StoreFailurePolicy::ServiceUnavailable`] or [`StoreFailurePolicy::Fail`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct FailureResponse {
    /// The HTTP status: 503 or 500.
    pub status: u16,
    /// The `Retry-After` header in whole seconds (503 only).
    pub retry_after_secs: Option<u64>,
}

/// The request lifecycle of one application: created once at startup, shared by every
/// request (cheap to clone). Adapters call [`SessionManager::begin`] when a request comes
/// in, hand the [`LazySession`] to the handler, and call [`LazySession::commit`] when the
/// response goes out.
///
/// ```
/// use session_core::MemorySessionRepository;
/// use session_core::lifecycle::{ConcurrentSessions, IdResolver, RequestIds, SessionManager};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let manager = SessionManager::new(MemorySessionRepository::new())
///     .with_resolver(IdResolver::default())
///     .with_concurrent_sessions(ConcurrentSessions::at_most(2));
///
/// // A request without a cookie logs in...
/// let session = manager.begin(&RequestIds::default());
/// session.login("user").await?;
/// let update = session.commit().await?;
/// let set_cookie = &update.set_cookies[0];
/// assert!(set_cookie.starts_with("SESSION=") && set_cookie.contains("HttpOnly"));
///
/// // ...and the next request sends the cookie back.
/// let cookie = set_cookie.split(';').next().unwrap().as_bytes();
/// let next = manager.begin(&RequestIds { cookie_headers: vec![cookie], ..RequestIds::default() });
/// assert_eq!(next.principal_name().await?.as_deref(), Some("user"));
/// assert!(next.commit().await?.is_empty()); // same id: no new cookie
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct SessionManager {
    pub(crate) inner: Arc<ManagerInner>,
}

impl fmt::Debug for SessionManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionManager")
            .field("resolver", &self.inner.resolver)
            .field("signed", &self.inner.signer.is_some())
            .field("concurrency", &self.inner.concurrency)
            .field("on_store_failure", &self.inner.on_store_failure)
            .field("store_deadline", &self.inner.store_deadline)
            .field("forwarded", &self.inner.forwarded)
            .field("read_your_writes", &self.inner.read_your_writes)
            .finish_non_exhaustive()
    }
}

impl SessionManager {
    /// A manager over `repository` with Spring's defaults: the `SESSION` cookie, no
    /// signing, no concurrent-session control; a store failure (or no answer within 1.5 s)
    /// answers 503 with `Retry-After: 1`.
    pub fn new(repository: impl SessionRepository + 'static) -> Self {
        Self::from_shared(Arc::new(repository))
    }

    /// A manager over a shared repository.
    pub fn from_shared(repository: Arc<dyn SessionRepository>) -> Self {
        Self {
            inner: Arc::new(ManagerInner {
                repository,
                resolver: IdResolver::default(),
                signer: None,
                concurrency: None,
                on_store_failure: StoreFailurePolicy::default(),
                store_deadline: Some(DEFAULT_STORE_DEADLINE),
                retry_after: DEFAULT_RETRY_AFTER,
                forwarded: ForwardedHeaders::default(),
                clock: Arc::new(SystemClock),
                read_your_writes: true,
            }),
        }
    }

    fn edit(mut self, f: impl FnOnce(&mut ManagerInner)) -> Self {
        f(Arc::make_mut(&mut self.inner));
        self
    }

    /// Sets how the id is read and written (cookie, header or both).
    pub fn with_resolver(self, resolver: IdResolver) -> Self {
        self.edit(|m| m.resolver = resolver)
    }

    /// Signs cookie values (see [`CookieSigner`]).
    pub fn with_signer(self, signer: CookieSigner) -> Self {
        self.edit(|m| m.signer = Some(signer))
    }

    /// Limits the number of sessions per principal at login.
    pub fn with_concurrent_sessions(self, limit: ConcurrentSessions) -> Self {
        self.edit(|m| m.concurrency = Some(limit))
    }

    /// Sets what happens when the store fails.
    pub fn with_store_failure_policy(self, policy: StoreFailurePolicy) -> Self {
        self.edit(|m| m.on_store_failure = policy)
    }

    /// Sets the deadline of each store operation of a request (loading the session, saving
    /// it, deleting one; default [`DEFAULT_STORE_DEADLINE`], 1.5 s). An operation that has
    /// not finished by then fails with
    /// [`RepositoryError::Timeout`](crate::RepositoryError::Timeout) and the store failure
    /// policy decides the response, so a slow or unreachable store costs a request at most
    /// this long per operation. `None` waits as long as the repository does. Requests that
    /// never touch their session are never delayed.
    pub fn with_store_deadline(self, deadline: Option<Duration>) -> Self {
        self.edit(|m| m.store_deadline = deadline.filter(|d| !d.is_zero()))
    }

    /// Sets the `Retry-After` of the 503 answered after a store failure (default 1 s;
    /// rounded up to whole seconds, at least 1).
    pub fn with_retry_after(self, retry_after: Duration) -> Self {
        self.edit(|m| m.retry_after = retry_after)
    }

    /// Sets whether `X-Forwarded-Proto` / `X-Forwarded-Host` are trusted (default
    /// [`ForwardedHeaders::Ignore`]; see there).
    pub fn with_forwarded_headers(self, rule: ForwardedHeaders) -> Self {
        self.edit(|m| m.forwarded = rule)
    }

    /// Sets whether a client's own writes stay visible to it on every server (default
    /// `true`). It matters only with a repository that may answer from a copy that lags
    /// another server's write
    /// ([`SessionRepository::may_serve_stale`](crate::SessionRepository::may_serve_stale):
    /// the Hazelcast store with its local cache on) and a cookie-borne id. A response whose
    /// save wrote the session then sets the read-your-writes cookie
    /// ([`CookieConfig::written_name`], `SESSION_WRITTEN`) to the stored record's last
    /// access time, and a request that sends it back is never served a copy older than
    /// that: a basket changed on server A is seen by the client's next request on server B
    /// even before B hears of the change. Requests without the cookie (other clients,
    /// a Spring application's writes) rely on the repository's own freshness alone.
    pub fn with_read_your_writes(self, on: bool) -> Self {
        self.edit(|m| m.read_your_writes = on)
    }

    /// Whether read-your-writes is on (see [`SessionManager::with_read_your_writes`]) and
    /// applies: the repository may serve stale reads and the id travels in a cookie.
    pub fn reads_your_writes(&self) -> bool {
        let m = &self.inner;
        m.read_your_writes && m.resolver.cookie().is_some() && m.repository.may_serve_stale()
    }

    /// Whether forwarded headers are trusted.
    pub fn forwarded_headers(&self) -> ForwardedHeaders {
        self.inner.forwarded
    }

    /// The store operation deadline.
    pub fn store_deadline(&self) -> Option<Duration> {
        self.inner.store_deadline
    }

    /// What an adapter answers when a request's store operation failed under the
    /// [`StoreFailurePolicy`] (for [`StoreFailurePolicy::ContinueWithFreshSession`], which
    /// never replaces a response, the same as [`StoreFailurePolicy::ServiceUnavailable`]).
    pub fn failure_response(&self) -> FailureResponse {
        match self.inner.on_store_failure {
            StoreFailurePolicy::Fail => FailureResponse {
                status: 500,
                retry_after_secs: None,
            },
            _ => {
                let r = self.inner.retry_after;
                let secs = r.as_secs() + u64::from(r.subsec_nanos() > 0);
                FailureResponse {
                    status: 503,
                    retry_after_secs: Some(secs.max(1)),
                }
            }
        }
    }

    /// Sets the clock used for last-accessed times (tests use a manual clock).
    pub fn with_clock(self, clock: impl Clock + 'static) -> Self {
        self.edit(|m| m.clock = Arc::new(clock))
    }

    /// The repository.
    pub fn repository(&self) -> &Arc<dyn SessionRepository> {
        &self.inner.repository
    }

    /// The id resolver.
    pub fn resolver(&self) -> &IdResolver {
        &self.inner.resolver
    }

    /// The concurrent-session limit, if any.
    pub fn concurrent_sessions(&self) -> Option<ConcurrentSessions> {
        self.inner.concurrency
    }

    /// The store failure policy.
    pub fn store_failure_policy(&self) -> StoreFailurePolicy {
        self.inner.on_store_failure
    }

    /// Starts a request: resolves the requested id (bad input reads as no id) without
    /// touching the store. The session is loaded on first use.
    pub fn begin(&self, request: &RequestIds<'_>) -> LazySession {
        self.begin_view(&request.view())
    }

    /// [`SessionManager::begin`] for a request whose header values the adapter gathered in
    /// borrowed slices (no `Vec` per request).
    pub fn begin_view(&self, request: &RequestView<'_, '_>) -> LazySession {
        let read_your_writes = self.reads_your_writes();
        let (requested_id, source, written) =
            self.inner
                .resolver
                .resolve(request, self.inner.signer.as_ref(), read_your_writes);
        let (secure, host) = self.inner.forwarded.effective(request);
        // Only a domain pattern reads the host: otherwise it is not copied.
        let host = self
            .inner
            .resolver
            .cookie()
            .is_some_and(CookieConfig::domain_depends_on_host)
            .then(|| host.map(str::to_owned))
            .flatten();
        let written = if read_your_writes {
            ReadYourWrites::On {
                since: written.and_then(CookieConfig::parse_written_value),
            }
        } else {
            ReadYourWrites::Off
        };
        LazySession::new(self.clone(), requested_id, source, secure, host, written)
    }
}
