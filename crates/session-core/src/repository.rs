//! The repository traits every session store implements.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;

use crate::error::RepositoryError;
use crate::events::SessionEventStream;
use crate::session::SessionData;

/// A store of sessions, as Spring Session's `SessionRepository`.
///
/// Object-safe (`Arc<dyn SessionRepository>` works) and `Send + Sync`. The contract, which
/// `conformance` module (feature `testing`) checks:
///
/// - [`create`](Self::create) returns a fresh session with a new id and the repository's
///   configuration; nothing is stored until it is saved.
/// - [`save`](Self::save) writes [`SessionData::delta`]: a new session is stored whole (and
///   a [`SessionEvent::Created`](crate::SessionEvent::Created) published; an id already in
///   the store is never overwritten); a stored session gets only its changed attributes
///   and metadata, so concurrent saves of *different* attributes of one session all
///   survive (for one attribute, the last save wins); after [`SessionData::change_id`] the
///   session moves to its new id, the old id is gone, and no created/deleted events are
///   published for the move; an invalidated session is deleted. Changes to a session that
///   is no longer stored (deleted or expired meanwhile) are dropped, not resurrected. On
///   success the repository calls [`SessionData::mark_saved`].
/// - [`find_by_id`](Self::find_by_id) never returns an expired session, and answers
///   `Ok(None)` without touching the store for an id that fails
///   [`is_valid_session_id`](crate::is_valid_session_id) (empty, huge, malformed).
/// - [`delete_by_id`](Self::delete_by_id) removes the session (publishing
///   [`SessionEvent::Deleted`](crate::SessionEvent::Deleted) if it existed); deleting an
///   unknown id is not an error.
/// - A session expires `max_inactive_interval` after its last accessed time, without
///   anyone calling the repository; expired sessions stop using memory.
/// - [`subscribe`](Self::subscribe) streams created, deleted and expired events to any
///   number of subscribers.
#[async_trait]
pub trait SessionRepository: Send + Sync {
    /// A new session with a fresh id; nothing is stored until [`save`](Self::save).
    async fn create(&self) -> Result<SessionData, RepositoryError>;

    /// Writes the session's pending changes (see the trait docs).
    async fn save(&self, session: &SessionData) -> Result<(), RepositoryError>;

    /// The stored, unexpired session with this id.
    async fn find_by_id(&self, id: &str) -> Result<Option<SessionData>, RepositoryError>;

    /// Deletes the session with this id, if any.
    async fn delete_by_id(&self, id: &str) -> Result<(), RepositoryError>;

    /// A stream of this repository's session events from now on.
    fn subscribe(&self) -> SessionEventStream;

    /// This repository as an [`IndexedSessionRepository`], if it can find sessions by
    /// principal name (lets code holding a `dyn SessionRepository` discover the index).
    fn as_indexed(&self) -> Option<&dyn IndexedSessionRepository> {
        None
    }

    /// Whether every operation completes without waiting (an in-process store): the
    /// request lifecycle then arms no store deadline timer around it. `false` by default.
    fn completes_without_waiting(&self) -> bool {
        false
    }

    /// [`find_by_id`](Self::find_by_id) done at once, for a store that can answer without
    /// waiting (an in-process store, or a load its local cache serves): the request
    /// lifecycle calls it first and skips the boxed future of `find_by_id` (and the store
    /// deadline's timer) when it answers. `None` (the default): not offered,
    /// `find_by_id` is used. When offered, it must answer exactly as `find_by_id` would.
    fn find_by_id_now(&self, id: &str) -> Option<Result<Option<SessionData>, RepositoryError>> {
        let _ = id;
        None
    }

    /// [`save`](Self::save) done at once, as [`find_by_id_now`](Self::find_by_id_now).
    /// `None` (the default): not offered, nothing was saved, `save` is used.
    fn save_now(&self, session: &SessionData) -> Option<Result<(), RepositoryError>> {
        let _ = session;
        None
    }

    /// Whether [`find_by_id`](Self::find_by_id) may answer from a copy kept in this
    /// process that lags a write made through another process for a short while (a local
    /// cache kept fresh by the store's events). `false` by default.
    ///
    /// When `true`, the request lifecycle keeps a client's own writes visible to it on
    /// every server (read your writes): a response whose save wrote the session carries a
    /// cookie with the stored record's last access time
    /// ([`SessionData::stored_last_accessed_time`]), and a request that sends it back loads
    /// the session with [`find_by_id_written_since`](Self::find_by_id_written_since). A
    /// repository answering `true` must implement that method and
    /// [`find_by_id_now_written_since`](Self::find_by_id_now_written_since), and call
    /// [`SessionData::mark_saved_unchanged`] for a save that wrote nothing.
    fn may_serve_stale(&self) -> bool {
        false
    }

    /// [`find_by_id`](Self::find_by_id) for a client whose last write stored the session
    /// with last access time `since`: never answered from a kept copy whose last access
    /// time is earlier (such a copy predates that write; the store is read instead). The
    /// default calls `find_by_id` (a repository that keeps no stale copies).
    async fn find_by_id_written_since(
        &self,
        id: &str,
        since: SystemTime,
    ) -> Result<Option<SessionData>, RepositoryError> {
        let _ = since;
        self.find_by_id(id).await
    }

    /// [`find_by_id_written_since`](Self::find_by_id_written_since) done at once, as
    /// [`find_by_id_now`](Self::find_by_id_now) (the default calls it).
    fn find_by_id_now_written_since(
        &self,
        id: &str,
        since: SystemTime,
    ) -> Option<Result<Option<SessionData>, RepositoryError>> {
        let _ = since;
        self.find_by_id_now(id)
    }
}

/// A repository that can also find the sessions of one principal (user), as Spring's
/// `FindByIndexNameSessionRepository`. Used for "my sessions" pages and
/// concurrent-session control.
#[async_trait]
pub trait IndexedSessionRepository: SessionRepository {
    /// The unexpired sessions whose principal name is `principal_name`, by id.
    async fn find_by_principal_name(
        &self,
        principal_name: &str,
    ) -> Result<HashMap<String, SessionData>, RepositoryError>;
}

#[async_trait]
impl<R: SessionRepository + ?Sized> SessionRepository for Arc<R> {
    async fn create(&self) -> Result<SessionData, RepositoryError> {
        (**self).create().await
    }

    async fn save(&self, session: &SessionData) -> Result<(), RepositoryError> {
        (**self).save(session).await
    }

    async fn find_by_id(&self, id: &str) -> Result<Option<SessionData>, RepositoryError> {
        (**self).find_by_id(id).await
    }

    async fn delete_by_id(&self, id: &str) -> Result<(), RepositoryError> {
        (**self).delete_by_id(id).await
    }

    fn subscribe(&self) -> SessionEventStream {
        (**self).subscribe()
    }

    fn as_indexed(&self) -> Option<&dyn IndexedSessionRepository> {
        (**self).as_indexed()
    }

    fn completes_without_waiting(&self) -> bool {
        (**self).completes_without_waiting()
    }

    fn find_by_id_now(&self, id: &str) -> Option<Result<Option<SessionData>, RepositoryError>> {
        (**self).find_by_id_now(id)
    }

    fn save_now(&self, session: &SessionData) -> Option<Result<(), RepositoryError>> {
        (**self).save_now(session)
    }

    fn may_serve_stale(&self) -> bool {
        (**self).may_serve_stale()
    }

    async fn find_by_id_written_since(
        &self,
        id: &str,
        since: SystemTime,
    ) -> Result<Option<SessionData>, RepositoryError> {
        (**self).find_by_id_written_since(id, since).await
    }

    fn find_by_id_now_written_since(
        &self,
        id: &str,
        since: SystemTime,
    ) -> Option<Result<Option<SessionData>, RepositoryError>> {
        (**self).find_by_id_now_written_since(id, since)
    }
}
