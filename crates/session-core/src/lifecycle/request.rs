//! One request's view of its session: loaded on first use, saved on the way out.

use std::fmt;
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::{Mutex, MutexGuard};

use crate::error::RepositoryError;
use crate::lifecycle::error::LifecycleError;
use crate::lifecycle::manager::{SessionManager, StoreFailurePolicy, WhenExceeded};
use crate::lifecycle::resolver::{IdResolver, IdSource};
use crate::modes::FlushMode;
use crate::session::SessionData;

/// What the adapter must add to the response.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResponseUpdate {
    /// `Set-Cookie` header values.
    pub set_cookies: Vec<String>,
    /// Other headers (the session header of the header resolver), name and value.
    pub headers: Vec<(String, String)>,
}

impl ResponseUpdate {
    /// Whether nothing needs to be added.
    pub fn is_empty(&self) -> bool {
        self.set_cookies.is_empty() && self.headers.is_empty()
    }
}

#[derive(Default)]
struct Slot {
    /// Whether the requested id was looked up (or there was none).
    loaded: bool,
    /// The session of this request, if any.
    current: Option<SessionData>,
    /// Sessions invalidated in this request, to delete.
    invalidated: Vec<SessionData>,
    /// A store failure under [`StoreFailurePolicy::Fail`] decided the outcome.
    failed: bool,
    /// Tell the client to forget its id (logout) unless a new session replaces it.
    expire_client: bool,
    /// Remember-me: the cookie's max age for this response, and write it even if the id
    /// did not change.
    remember_me: Option<Duration>,
    /// The response was committed; the immediate-flush watchers stop.
    committed: bool,
    /// The stored last access time of the session as loaded (`None`: not loaded, or
    /// created by this request): a save moved it when it differs after.
    stored_at_load: Option<SystemTime>,
}

/// Whether the request takes part in read your writes (see
/// [`SessionManager::with_read_your_writes`]), and the time its cookie named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReadYourWrites {
    /// Off, or not applicable to this manager.
    Off,
    /// On; `since`: the stored last access time the request's cookie names, if any.
    On { since: Option<SystemTime> },
}

struct RequestState {
    manager: SessionManager,
    requested_id: Option<String>,
    source: Option<IdSource>,
    secure: bool,
    host: Option<String>,
    written: ReadYourWrites,
    slot: Mutex<Slot>,
}

/// The session of one request, as handlers see it: nothing is read from the store until
/// a method needs the session, nothing is written and no cookie is set if no method was
/// called (or nothing changed), and the adapter calls [`LazySession::commit`] at the end.
///
/// Cheap to clone; clones share the request's state. Methods are async because the first
/// one loads the session. [`LazySession::get_or_create`] and [`LazySession::load`] give
/// the [`SessionData`] itself for everything else; its changes are saved at commit, or under
/// [`FlushMode::Immediate`] right after each change (by this type's methods at once, and
/// by a background watcher for changes made directly on the `SessionData`; call
/// [`LazySession::flush`] to wait for such a write).
///
/// Ids that are not in the store are never adopted: a new session always gets a fresh id.
#[derive(Clone)]
pub struct LazySession {
    state: Arc<RequestState>,
}

impl fmt::Debug for LazySession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LazySession")
            .field("has_requested_id", &self.state.requested_id.is_some())
            .field("source", &self.state.source)
            .finish_non_exhaustive()
    }
}

impl LazySession {
    pub(crate) fn new(
        manager: SessionManager,
        requested_id: Option<String>,
        source: Option<IdSource>,
        secure: bool,
        host: Option<String>,
        written: ReadYourWrites,
    ) -> Self {
        Self {
            state: Arc::new(RequestState {
                manager,
                requested_id,
                source,
                secure,
                host,
                written,
                slot: Mutex::new(Slot::default()),
            }),
        }
    }

    /// The manager this request belongs to.
    pub fn manager(&self) -> &SessionManager {
        &self.state.manager
    }

    /// Whether the request carried a usable (well-formed, correctly signed) session id.
    /// Says nothing about whether that session exists.
    pub fn has_requested_id(&self) -> bool {
        self.state.requested_id.is_some()
    }

    async fn slot(&self) -> MutexGuard<'_, Slot> {
        // Uncontended (the usual case: one handler uses the session at a time), the lock is
        // taken without building the waiting future.
        match self.state.slot.try_lock() {
            Ok(slot) => slot,
            Err(_) => self.state.slot.lock().await,
        }
    }

    /// Runs one store operation within the manager's store deadline.
    async fn bounded<T>(
        &self,
        operation: impl std::future::Future<Output = Result<T, RepositoryError>>,
    ) -> Result<T, RepositoryError> {
        let manager = &self.state.manager.inner;
        match manager.store_deadline {
            Some(deadline) if !manager.repository.completes_without_waiting() => {
                tokio::time::timeout(deadline, operation)
                    .await
                    .unwrap_or(Err(RepositoryError::Timeout))
            }
            _ => operation.await,
        }
    }

    /// Saves `session` within the store deadline (at once if the store offers it).
    async fn save(&self, session: &SessionData) -> Result<(), RepositoryError> {
        let repository = &self.state.manager.inner.repository;
        match repository.save_now(session) {
            Some(saved) => saved,
            None => self.bounded(repository.save(session)).await,
        }
    }

    /// Records a store failure; returns the error to give the caller.
    fn store_error(&self, slot: &mut Slot, error: RepositoryError, during: &str) -> LifecycleError {
        let policy = self.state.manager.inner.on_store_failure;
        if policy == StoreFailurePolicy::Fail {
            tracing::error!(error = %error, cause = ?error, "session store failed while {during}");
            slot.failed = true;
        } else if policy == StoreFailurePolicy::ServiceUnavailable {
            tracing::warn!(error = %error, cause = ?error, "session store failed while {during}; answering 503");
            slot.failed = true;
        } else {
            tracing::warn!(error = %error, cause = ?error, "session store failed while {during}; continuing without a session");
        }
        LifecycleError::Store(error)
    }

    async fn load_locked(&self, slot: &mut Slot) -> Result<Option<SessionData>, LifecycleError> {
        if slot.failed {
            return Err(LifecycleError::StoreFailedEarlier);
        }
        if !slot.loaded {
            slot.loaded = true;
            if let Some(id) = &self.state.requested_id {
                let manager = &self.state.manager.inner;
                let repository = &manager.repository;
                let found = match self.state.written {
                    ReadYourWrites::On { since: Some(since) } => {
                        match repository.find_by_id_now_written_since(id, since) {
                            Some(found) => found,
                            None => {
                                self.bounded(repository.find_by_id_written_since(id, since))
                                    .await
                            }
                        }
                    }
                    _ => match repository.find_by_id_now(id) {
                        Some(found) => found,
                        None => self.bounded(repository.find_by_id(id)).await,
                    },
                };
                match found {
                    Ok(Some(session)) => {
                        self.watch_if_immediate(&session);
                        slot.stored_at_load = Some(session.stored_last_accessed_time());
                        session.set_last_accessed_time(manager.clock.now());
                        slot.current = Some(session);
                    }
                    Ok(None) => tracing::debug!("requested session not found"),
                    Err(error) => {
                        let error = self.store_error(slot, error, "loading a session");
                        if slot.failed {
                            return Err(error);
                        }
                    }
                }
            }
        }
        Ok(slot.current.clone())
    }

    async fn get_or_create_locked(&self, slot: &mut Slot) -> Result<SessionData, LifecycleError> {
        if let Some(session) = self.load_locked(slot).await? {
            return Ok(session);
        }
        match self
            .bounded(self.state.manager.inner.repository.create())
            .await
        {
            Ok(session) => {
                self.watch_if_immediate(&session);
                slot.current = Some(session.clone());
                Ok(session)
            }
            Err(error) => Err(self.store_error(slot, error, "creating a session")),
        }
    }

    /// Saves pending changes now (deletes invalidated sessions, writes the current one).
    async fn flush_locked(&self, slot: &mut Slot) -> Result<(), LifecycleError> {
        if slot.failed {
            return Err(LifecycleError::StoreFailedEarlier);
        }
        while let Some(session) = slot.invalidated.first().cloned() {
            if !session.is_new()
                && let Err(error) = self.save(&session).await
            {
                return Err(self.store_error(slot, error, "deleting a session"));
            }
            slot.invalidated.remove(0);
        }
        if let Some(session) = slot.current.clone()
            && session.has_changes()
            && let Err(error) = self.save(&session).await
        {
            return Err(self.store_error(slot, error, "saving a session"));
        }
        Ok(())
    }

    /// Under [`FlushMode::Immediate`], saves after every change to `session`, including
    /// changes made directly on the [`SessionData`] (as Spring's immediate flush). The watcher
    /// takes the same lock as every other save, so saves never overlap; it holds the
    /// request only weakly and ends with the commit, the request or the session.
    fn watch_if_immediate(&self, session: &SessionData) {
        if session.flush_mode() != FlushMode::Immediate {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::debug!(
                "no tokio runtime: immediate flush happens on the handle's methods only"
            );
            return;
        };
        let mut changes = session.changes();
        changes.mark_unchanged();
        let request: Weak<RequestState> = Arc::downgrade(&self.state);
        runtime.spawn(async move {
            while changes.changed().await.is_ok() {
                let Some(state) = request.upgrade() else {
                    break;
                };
                let lazy = LazySession { state };
                let mut slot = lazy.slot().await;
                if slot.committed || slot.failed {
                    break;
                }
                // Failures are logged and recorded by `store_error`.
                let _ = lazy.flush_locked(&mut slot).await;
            }
        });
    }

    async fn flush_if_immediate(
        &self,
        slot: &mut Slot,
        session: &SessionData,
    ) -> Result<(), LifecycleError> {
        if session.flush_mode() == FlushMode::Immediate {
            self.flush_locked(slot).await?;
        }
        Ok(())
    }

    /// The request's session if it has one (loads it on first call); never creates one.
    pub async fn load(&self) -> Result<Option<SessionData>, LifecycleError> {
        let mut slot = self.slot().await;
        self.load_locked(&mut slot).await
    }

    /// The request's session, created (with a fresh id) if it has none.
    pub async fn get_or_create(&self) -> Result<SessionData, LifecycleError> {
        let mut slot = self.slot().await;
        self.get_or_create_locked(&mut slot).await
    }

    /// The session id, if the request has a session.
    pub async fn id(&self) -> Result<Option<String>, LifecycleError> {
        Ok(self.load().await?.map(|s| s.id()))
    }

    /// The logged-in user's name, if any.
    pub async fn principal_name(&self) -> Result<Option<String>, LifecycleError> {
        Ok(self.load().await?.and_then(|s| s.principal_name()))
    }

    /// Attribute `name` as a `T`; `None` if there is no session or no such attribute.
    pub async fn get<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, LifecycleError> {
        match self.load().await? {
            Some(session) => Ok(session.get(name)?),
            None => Ok(None),
        }
    }

    /// Attribute `name` as a shared `T`; `None` if there is no session or no such
    /// attribute. The value decoded from a record the store keeps (the in-memory store, a
    /// local cache) is handed out again to later requests reading it unchanged, without
    /// decoding: see [`SessionData::get_shared`].
    pub async fn get_shared<T>(&self, name: &str) -> Result<Option<Arc<T>>, LifecycleError>
    where
        T: DeserializeOwned + Send + Sync + 'static,
    {
        match self.load().await? {
            Some(session) => Ok(session.get_shared(name)?),
            None => Ok(None),
        }
    }

    /// Attribute `name` as a `T` of your own, to change; `None` if there is no session or
    /// no such attribute. A clone of the value kept for it when there is one (stored with
    /// [`insert_shared`](Self::insert_shared), or decoded by a `get_shared`), else
    /// decoded: see [`SessionData::get_cloned`].
    pub async fn get_cloned<T>(&self, name: &str) -> Result<Option<T>, LifecycleError>
    where
        T: DeserializeOwned + Clone + Send + Sync + 'static,
    {
        match self.load().await? {
            Some(session) => Ok(session.get_cloned(name)?),
            None => Ok(None),
        }
    }

    /// Sets attribute `name`, creating the session if needed.
    pub async fn insert<T: Serialize + ?Sized>(
        &self,
        name: &str,
        value: &T,
    ) -> Result<(), LifecycleError> {
        let mut slot = self.slot().await;
        let session = self.get_or_create_locked(&mut slot).await?;
        session.insert(name, value)?;
        self.flush_if_immediate(&mut slot, &session).await
    }

    /// Sets attribute `name` to a shared value, creating the session if needed: later
    /// [`get_shared`](Self::get_shared) reads get this value without decoding it, in this
    /// request and (with a store that keeps decoded values) the next ones, until it
    /// changes. See [`SessionData::insert_shared`].
    pub async fn insert_shared<T>(&self, name: &str, value: Arc<T>) -> Result<(), LifecycleError>
    where
        T: Serialize + Send + Sync + 'static,
    {
        let mut slot = self.slot().await;
        let session = self.get_or_create_locked(&mut slot).await?;
        session.insert_shared(name, value)?;
        self.flush_if_immediate(&mut slot, &session).await
    }

    /// Removes attribute `name`; returns whether it was there.
    pub async fn remove(&self, name: &str) -> Result<bool, LifecycleError> {
        let mut slot = self.slot().await;
        let Some(session) = self.load_locked(&mut slot).await? else {
            return Ok(false);
        };
        let removed = session.remove(name)?;
        self.flush_if_immediate(&mut slot, &session).await?;
        Ok(removed)
    }

    /// Gives the session a new id (if the request has a session) and returns it.
    pub async fn change_id(&self) -> Result<Option<String>, LifecycleError> {
        let mut slot = self.slot().await;
        let Some(session) = self.load_locked(&mut slot).await? else {
            return Ok(None);
        };
        let id = session.change_id()?;
        self.flush_if_immediate(&mut slot, &session).await?;
        Ok(Some(id))
    }

    /// Invalidates the request's session (deleted at commit, or at once under
    /// [`FlushMode::Immediate`]). A later [`LazySession::get_or_create`] in the same
    /// request starts a new session with a new id.
    pub async fn invalidate(&self) -> Result<(), LifecycleError> {
        let mut slot = self.slot().await;
        let Some(session) = self.load_locked(&mut slot).await? else {
            return Ok(());
        };
        session.invalidate();
        slot.current = None;
        slot.invalidated.push(session.clone());
        slot.expire_client = true;
        self.flush_if_immediate(&mut slot, &session).await
    }

    /// Logs `principal` in: enforces the concurrent-session limit, sets the principal
    /// name and changes the session id (protection against session fixation), creating
    /// the session if needed. Returns the new id.
    pub async fn login(&self, principal: &str) -> Result<String, LifecycleError> {
        let mut slot = self.slot().await;
        let session = self.get_or_create_locked(&mut slot).await?;
        if let Some(limit) = self.state.manager.inner.concurrency {
            self.enforce_limit(&mut slot, &session, principal, limit.max(), limit.policy())
                .await?;
        }
        session.set_principal_name(Some(principal))?;
        let id = session.change_id()?;
        self.flush_if_immediate(&mut slot, &session).await?;
        Ok(id)
    }

    async fn enforce_limit(
        &self,
        slot: &mut Slot,
        session: &SessionData,
        principal: &str,
        max: usize,
        policy: WhenExceeded,
    ) -> Result<(), LifecycleError> {
        let repository = &self.state.manager.inner.repository;
        let indexed = repository.as_indexed().ok_or(LifecycleError::NotIndexed)?;
        let found = match self
            .bounded(indexed.find_by_principal_name(principal))
            .await
        {
            Ok(found) => found,
            Err(error) => return Err(self.store_error(slot, error, "counting a user's sessions")),
        };
        let own_id = session.original_id();
        let mut others: Vec<SessionData> =
            found.into_values().filter(|s| s.id() != own_id).collect();
        if others.len() < max {
            return Ok(());
        }
        match policy {
            WhenExceeded::RefuseNewLogin => Err(LifecycleError::TooManySessions { max }),
            WhenExceeded::ExpireOldest => {
                others.sort_by_key(|s| s.last_accessed_time());
                let excess = others.len() + 1 - max;
                for old in others.iter().take(excess) {
                    if let Err(error) = self.bounded(repository.delete_by_id(&old.id())).await {
                        return Err(self.store_error(slot, error, "expiring an old session"));
                    }
                }
                tracing::debug!(
                    expired = excess,
                    "concurrent-session limit reached; oldest sessions expired"
                );
                Ok(())
            }
        }
    }

    /// Logs out: invalidates the session (if any) and tells the client to forget its id
    /// (expired cookie, empty header), even if the session was already gone.
    pub async fn logout(&self) -> Result<(), LifecycleError> {
        self.invalidate().await?;
        let mut slot = self.slot().await;
        if self.state.requested_id.is_some() || self.state.source.is_some() {
            slot.expire_client = true;
        }
        Ok(())
    }

    /// Remember-me: keeps the session (created if needed) for `duration` of inactivity
    /// and gives its cookie the same `Max-Age`, as Spring's remember-me services do.
    pub async fn remember_me(&self, duration: Duration) -> Result<(), LifecycleError> {
        let mut slot = self.slot().await;
        let session = self.get_or_create_locked(&mut slot).await?;
        session.set_max_inactive_interval(Some(duration));
        slot.remember_me = Some(duration);
        self.flush_if_immediate(&mut slot, &session).await
    }

    /// Writes pending changes to the store now.
    pub async fn flush(&self) -> Result<(), LifecycleError> {
        let mut slot = self.slot().await;
        self.flush_locked(&mut slot).await
    }

    /// Ends the request: saves what changed and says which cookie or header the response
    /// needs. Nothing happens for a request that never used its session.
    ///
    /// An error means the store failed under [`StoreFailurePolicy::ServiceUnavailable`] or
    /// [`StoreFailurePolicy::Fail`] (now or earlier in the request): the adapter answers
    /// [`SessionManager::failure_response`] (503 with `Retry-After`, or an opaque 500). Under
    /// [`StoreFailurePolicy::ContinueWithFreshSession`] failures are logged and the
    /// response goes out without a cookie for the unsaved session.
    pub async fn commit(&self) -> Result<ResponseUpdate, LifecycleError> {
        let mut slot = self.slot().await;
        slot.committed = true;
        if slot.failed {
            return Err(LifecycleError::StoreFailedEarlier);
        }
        if !slot.loaded && slot.current.is_none() {
            return Ok(ResponseUpdate::default());
        }
        // Under the continue policy a failed save was logged and is not fatal, but the
        // client is not told about an id the store may not have.
        let saved = match self.flush_locked(&mut slot).await {
            Ok(()) => true,
            Err(error) if slot.failed => return Err(error),
            Err(_) => false,
        };
        let mut update = ResponseUpdate::default();
        match &slot.current {
            Some(session) if !saved && !session.is_invalidated() => {
                tracing::debug!("session not saved; no cookie or header written");
            }
            Some(session) if !session.is_new() && !session.is_invalidated() => {
                let same_id = self
                    .state
                    .requested_id
                    .as_deref()
                    .is_some_and(|requested| session.has_id(requested));
                if !same_id || slot.remember_me.is_some() {
                    self.write_id(&mut update, &session.id(), slot.remember_me);
                }
            }
            _ => {
                if slot.expire_client {
                    self.write_expiry(&mut update);
                }
            }
        }
        if let ReadYourWrites::On { since } = self.state.written {
            self.write_written(&mut update, &slot, saved, since);
        }
        Ok(update)
    }

    /// Sets the read-your-writes cookie when this request's save wrote the session (or
    /// the cookie names another time than the store's), drops it with the session.
    fn write_written(
        &self,
        update: &mut ResponseUpdate,
        slot: &Slot,
        saved: bool,
        since: Option<SystemTime>,
    ) {
        let Some(config) = self.state.manager.inner.resolver.cookie() else {
            return;
        };
        if !self.targets().0 {
            return;
        }
        let (secure, host) = (self.state.secure, self.state.host.as_deref());
        match &slot.current {
            Some(session) if saved && !session.is_invalidated() => {
                let stored = session.stored_last_accessed_time();
                // As loaded unless a save wrote it (a write within the loaded millisecond
                // sets the same value again: harmless).
                let wrote = slot.stored_at_load != Some(stored);
                if wrote || since.is_some_and(|since| millis(since) != millis(stored)) {
                    update
                        .set_cookies
                        .push(config.set_written_cookie(stored, secure, host));
                }
            }
            Some(_) => {}
            None => {
                if slot.expire_client && since.is_some() {
                    update
                        .set_cookies
                        .push(config.expire_written_cookie(secure, host));
                }
            }
        }
    }

    fn targets(&self) -> (bool, bool) {
        match (&self.state.manager.inner.resolver, self.state.source) {
            (IdResolver::Cookie(_), _) => (true, false),
            (IdResolver::Header(_), _) => (false, true),
            (IdResolver::CookieThenHeader(..), Some(IdSource::Cookie)) => (true, false),
            (IdResolver::CookieThenHeader(..), Some(IdSource::Header)) => (false, true),
            (IdResolver::CookieThenHeader(..), None) => (true, true),
        }
    }

    fn write_id(&self, update: &mut ResponseUpdate, id: &str, remember_me: Option<Duration>) {
        let manager = &self.state.manager.inner;
        let (cookie, header) = self.targets();
        if cookie && let Some(config) = manager.resolver.cookie() {
            let token = match &manager.signer {
                Some(signer) => signer.sign(id),
                None => id.to_owned(),
            };
            update.set_cookies.push(config.set_cookie(
                &config.encode_value(&token),
                remember_me.or(config.max_age()),
                self.state.secure,
                self.state.host.as_deref(),
            ));
        }
        if header && let Some(name) = manager.resolver.header_name() {
            update.headers.push((name.to_owned(), id.to_owned()));
        }
    }

    fn write_expiry(&self, update: &mut ResponseUpdate) {
        let manager = &self.state.manager.inner;
        let (cookie, header) = self.targets();
        if cookie && let Some(config) = manager.resolver.cookie() {
            update
                .set_cookies
                .push(config.expire_cookie(self.state.secure, self.state.host.as_deref()));
        }
        if header && let Some(name) = manager.resolver.header_name() {
            update.headers.push((name.to_owned(), String::new()));
        }
    }
}

/// Milliseconds since the Unix epoch (the stores' precision), 0 before it.
fn millis(time: SystemTime) -> u128 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis())
}
