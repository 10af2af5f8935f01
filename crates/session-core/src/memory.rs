//! [`MemorySessionRepository`]: the embedded, in-process session store.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use bytes::Bytes;
use tracing::debug;

use crate::clock::{Clock, SystemClock};
use crate::config::SessionConfig;
use crate::decoded::DecodedValues;
use crate::error::RepositoryError;
use crate::events::{DEFAULT_EVENT_CAPACITY, EventBus, SessionEvent, SessionEventStream};
use crate::id::is_valid_session_id;
use crate::record::{SessionDelta, SessionRecord};
use crate::repository::{IndexedSessionRepository, SessionRepository};
use crate::session::{SessionData, SharedMap};

mod builder;

pub use builder::MemoryRepositoryBuilder;

/// How often the background task removes expired sessions by default.
pub const DEFAULT_PURGE_INTERVAL: Duration = Duration::from_secs(1);

/// Sessions kept in this process's memory: the default store, so that everything runs
/// with nothing installed. Sessions die with the process.
///
/// It is a real repository:
/// - **Expiry.** A session is expired once `last accessed + max inactive interval` has
///   passed: it is never returned again, and a background task (spawned on the tokio
///   runtime current at [`build`](MemoryRepositoryBuilder::build) time, every
///   [`purge interval`](MemoryRepositoryBuilder::purge_interval)) removes it and publishes
///   [`SessionEvent::Expired`] without anyone calling the repository. The task stops when
///   the last handle to the repository is dropped. Without a runtime there is no task, but
///   every save still purges whatever has expired, so memory stays bounded either way.
/// - **Principal index** for [`IndexedSessionRepository::find_by_principal_name`].
/// - **Events**: created (first save), deleted (delete, or save of an invalidated
///   session), expired (purge, or a read that finds an expired session).
/// - **Delta saves** under the session's lock: a save applies only the session's changed
///   attributes and metadata to the stored record, in place (a touch that moves only the
///   last access time rebuilds nothing), so concurrent saves of different attributes of one
///   session are never lost (for the same attribute the last save wins).
/// - **Shared reads**: a loaded session reads the stored attribute map itself (no copy);
///   its first change copies the map for itself, so other requests never see unsaved
///   changes and a load keeps what it read.
/// - **Sharded locking**: sessions live in independently locked shards by id; the expiry
///   and principal indexes have their own locks, taken only when a session is created,
///   removed, changes principal or gets an earlier expiry, and by the purge.
/// - **Optional capacity limit** ([`max_sessions`](MemoryRepositoryBuilder::max_sessions)):
///   a new session beyond it is refused with [`RepositoryError::CapacityExceeded`].
///
/// Clones share the same store.
///
/// ```
/// use session_core::{MemorySessionRepository, SessionRepository};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let repo = MemorySessionRepository::new();
/// let session = repo.create().await?;
/// session.insert("user", "alice")?;
/// repo.save(&session).await?;
/// let found = repo.find_by_id(&session.id()).await?.expect("stored");
/// assert_eq!(found.get::<String>("user")?.as_deref(), Some("alice"));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct MemorySessionRepository {
    shared: Arc<Shared>,
}

/// Number of independently locked shards of sessions.
const SHARDS: usize = 64;

/// Sessions by id. The ids are made by the server's CSPRNG generator, never chosen by a
/// client (a request can only look one up), so a fast seeded hash is enough.
type Shard = HashMap<String, Stored, foldhash::fast::RandomState>;

/// A stored session: its metadata, and its attributes behind an `Arc` that a loaded
/// [`SessionData`] shares until it changes them (a load copies no attribute; a save
/// copies the map only while a loaded session still reads it).
struct Stored {
    /// Id, times, interval and principal; its `attributes` stay empty.
    meta: SessionRecord,
    attributes: Arc<SharedMap>,
}

impl Stored {
    fn new(mut record: SessionRecord) -> Self {
        let attributes = Arc::new(SharedMap::new(std::mem::take(&mut record.attributes)));
        Self {
            meta: record,
            attributes,
        }
    }

    /// The record `delta`'s save stores (new, or moved to a new id), with the values its
    /// session stored through `insert_shared` kept as decoded.
    fn saved(record: SessionRecord, delta: &SessionDelta) -> Self {
        let stored = Self::new(record);
        delta.seed_decoded(&stored.attributes.map, &stored.attributes.decoded);
        stored
    }

    /// The whole record (the attributes copied only if still shared).
    fn into_record(self) -> SessionRecord {
        let mut record = self.meta;
        record.attributes = match Arc::try_unwrap(self.attributes) {
            Ok(shared) => shared.map,
            Err(shared) => shared.map.clone(),
        };
        record
    }

    /// Runs `change` on the whole record, in place.
    fn edit(&mut self, change: impl FnOnce(&mut SessionRecord)) {
        let attributes = Arc::make_mut(&mut self.attributes).map_mut();
        std::mem::swap(&mut self.meta.attributes, attributes);
        change(&mut self.meta);
        std::mem::swap(&mut self.meta.attributes, attributes);
    }

    /// A session loaded from this record, sharing its attributes.
    fn load(&self, config: &SessionConfig) -> SessionData {
        config.load_shared(self.meta.clone(), Arc::clone(&self.attributes))
    }
}

impl std::ops::Deref for Stored {
    type Target = SessionRecord;

    /// The metadata (its `attributes` are empty).
    fn deref(&self) -> &SessionRecord {
        &self.meta
    }
}

struct Shared {
    config: SessionConfig,
    clock: Arc<dyn Clock>,
    shards: Box<[Mutex<Shard>]>,
    /// Picks an id's shard (seeded independently of the shard tables' hashers).
    hasher: foldhash::fast::RandomState,
    /// Sessions stored (all shards).
    count: AtomicUsize,
    /// `(expiry instant, id)` of every session that can expire. Lock order: a shard, then
    /// an index, never the other way round. Entries may be stale (the session was touched
    /// since, or removed): the purge checks the session and files it again under its
    /// current expiry, so a touch never has to update the index.
    by_expiry: Mutex<BTreeSet<(SystemTime, String)>>,
    /// The earliest instant in `by_expiry` ([`epoch_nanos`], rounded down; `u64::MAX`
    /// when it is empty): a save checks it without taking the index's lock. Written only
    /// under the `by_expiry` lock.
    next_due: AtomicU64,
    /// principal name -> ids (exact: updated whenever a principal changes).
    by_principal: Mutex<HashMap<String, BTreeSet<String>>>,
    events: EventBus,
    max_sessions: Option<usize>,
    purge_task: Mutex<Option<tokio::task::AbortHandle>>,
}

impl Drop for Shared {
    fn drop(&mut self) {
        if let Some(task) = self
            .purge_task
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            task.abort();
        }
    }
}

// Every mutation keeps the maps consistent before it could panic (none of them panics),
// so a poisoned lock still guards usable data.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    fn shard_index(&self, id: &str) -> usize {
        (self.hasher.hash_one(id) as usize) % self.shards.len()
    }

    fn shard(&self, id: &str) -> MutexGuard<'_, Shard> {
        lock(&self.shards[self.shard_index(id)])
    }

    /// Files `(at, id)` in the locked expiry index.
    fn file_expiry(
        &self,
        by_expiry: &mut BTreeSet<(SystemTime, String)>,
        at: SystemTime,
        id: String,
    ) {
        self.next_due.fetch_min(epoch_nanos(at), Ordering::Release);
        by_expiry.insert((at, id));
    }

    fn publish_expired(&self, ids: Vec<String>) {
        for id in ids {
            self.events.publish(SessionEvent::Expired { id });
        }
    }

    /// Files a new session (its shard locked by the caller) in the indexes.
    fn index(&self, record: &SessionRecord) {
        if let Some(at) = record.expires_at() {
            self.file_expiry(&mut lock(&self.by_expiry), at, record.id.clone());
        }
        if let Some(p) = &record.principal_name {
            lock(&self.by_principal)
                .entry(p.clone())
                .or_default()
                .insert(record.id.clone());
        }
    }

    /// Removes a session (its shard locked by the caller) from the principal index; its
    /// expiry entry goes stale and is dropped by the purge.
    fn unindex_principal(&self, id: &str, principal: Option<&str>) {
        if let Some(p) = principal {
            let mut by_principal = lock(&self.by_principal);
            if let Some(ids) = by_principal.get_mut(p) {
                ids.remove(id);
                if ids.is_empty() {
                    by_principal.remove(p);
                }
            }
        }
    }

    /// Removes `id` from its locked shard and the indexes.
    fn remove_locked(&self, shard: &mut Shard, id: &str) -> Option<SessionRecord> {
        let record = shard.remove(id)?.into_record();
        self.count.fetch_sub(1, Ordering::Relaxed);
        self.unindex_principal(id, record.principal_name.as_deref());
        Some(record)
    }

    /// Removes every session expired at `now`; returns their ids. Cheap when nothing is
    /// due (one atomic load of the earliest expiry, no lock).
    fn purge(&self, now: SystemTime) -> Vec<String> {
        if epoch_nanos(now) < self.next_due.load(Ordering::Acquire) {
            return Vec::new();
        }
        let due: Vec<(SystemTime, String)> = {
            let mut by_expiry = lock(&self.by_expiry);
            let mut due = Vec::new();
            while by_expiry.first().is_some_and(|(at, _)| *at <= now) {
                if let Some(entry) = by_expiry.pop_first() {
                    due.push(entry);
                }
            }
            let next = by_expiry
                .first()
                .map_or(u64::MAX, |(at, _)| epoch_nanos(*at));
            self.next_due.store(next, Ordering::Release);
            due
        };
        let mut expired = Vec::new();
        for (_, id) in due {
            let mut shard = self.shard(&id);
            let Some(record) = shard.get(&id) else {
                continue; // removed since
            };
            if record.is_expired(now) {
                self.remove_locked(&mut shard, &id);
                expired.push(id);
            } else if let Some(at) = record.expires_at() {
                // Touched since: filed again under its current expiry.
                self.file_expiry(&mut lock(&self.by_expiry), at, id);
            }
        }
        expired
    }

    /// Moves the last access of stored session `id` to `to` (never backwards); an expired
    /// session is removed instead. A later expiry needs no index change (the purge re-files
    /// it).
    fn touch(&self, id: &str, to: SystemTime, now: SystemTime, expired: &mut Vec<String>) {
        let mut shard = self.shard(id);
        let Some(stored) = shard.get_mut(id) else {
            debug!("touch of a session that is no longer stored: dropped");
            return;
        };
        if stored.is_expired(now) {
            self.remove_locked(&mut shard, id);
            expired.push(id.to_owned());
        } else if to > stored.last_accessed_time {
            stored.meta.last_accessed_time = to;
        }
    }

    fn purge_expired(&self) -> usize {
        let expired = self.purge(self.clock.now());
        let n = expired.len();
        self.publish_expired(expired);
        n
    }
}

/// `at` in whole nanoseconds since the Unix epoch, rounded down (0 before it, at most
/// `u64::MAX - 1`), so that `at <= now` implies `epoch_nanos(at) <= epoch_nanos(now)`.
fn epoch_nanos(at: SystemTime) -> u64 {
    at.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| {
        u64::try_from(d.as_nanos())
            .unwrap_or(u64::MAX - 1)
            .min(u64::MAX - 1)
    })
}

impl MemorySessionRepository {
    /// A repository with the default configuration, purging every second on the current
    /// tokio runtime (if any).
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A repository whose sessions use `config`.
    pub fn with_config(config: SessionConfig) -> Self {
        Self::builder().config(config).build()
    }

    /// A builder with the defaults.
    pub fn builder() -> MemoryRepositoryBuilder {
        MemoryRepositoryBuilder {
            config: SessionConfig::default(),
            clock: Arc::new(SystemClock),
            purge_interval: DEFAULT_PURGE_INTERVAL,
            max_sessions: None,
            event_capacity: DEFAULT_EVENT_CAPACITY,
            spawn_purge_task: true,
        }
    }

    /// The session configuration.
    pub fn config(&self) -> &SessionConfig {
        &self.shared.config
    }

    /// Removes every expired session now (the background task does this periodically);
    /// returns how many were removed.
    pub fn purge_expired(&self) -> usize {
        self.shared.purge_expired()
    }

    /// How many sessions are held in memory, expired ones not yet purged included.
    pub fn len(&self) -> usize {
        self.shared.count.load(Ordering::Relaxed)
    }

    /// Whether no session is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn save_new(
        &self,
        delta: &SessionDelta,
        events: &mut Vec<SessionEvent>,
    ) -> Result<(), RepositoryError> {
        let shared = &self.shared;
        let id = &delta.record.id;
        let mut shard = shared.shard(id);
        if shard.contains_key(id) {
            return Err(RepositoryError::IdCollision);
        }
        let stored = shared.count.fetch_add(1, Ordering::Relaxed);
        if let Some(limit) = shared.max_sessions
            && stored >= limit
        {
            shared.count.fetch_sub(1, Ordering::Relaxed);
            return Err(RepositoryError::CapacityExceeded { limit });
        }
        shared.index(&delta.record);
        shard.insert(id.clone(), Stored::saved(delta.record.clone(), delta));
        events.push(SessionEvent::Created { id: id.clone() });
        Ok(())
    }

    /// Applies the changes of the session stored under `old` (same id) to its record in
    /// place, under its shard's lock, then `seed`s the values decoded from the result.
    fn save_existing(
        &self,
        old: &str,
        principal_changed: bool,
        apply: impl FnOnce(&mut SessionRecord),
        seed: impl FnOnce(&BTreeMap<String, Bytes>, &DecodedValues),
        now: SystemTime,
        expired: &mut Vec<String>,
    ) {
        let shared = &self.shared;
        let mut shard = shared.shard(old);
        let Some(stored) = shard.get_mut(old) else {
            debug!("save of a session that is no longer stored: changes dropped");
            return;
        };
        if stored.is_expired(now) {
            shared.remove_locked(&mut shard, old);
            expired.push(old.to_owned());
            return;
        }
        let old_expiry = stored.expires_at();
        let old_principal = principal_changed.then(|| stored.principal_name.clone());
        stored.edit(apply);
        seed(&stored.attributes.map, &stored.attributes.decoded);
        let new_expiry = stored.expires_at();
        if let Some(old_principal) = old_principal
            && old_principal != stored.principal_name
        {
            shared.unindex_principal(old, old_principal.as_deref());
            if let Some(p) = &stored.principal_name {
                lock(&shared.by_principal)
                    .entry(p.clone())
                    .or_default()
                    .insert(old.to_owned());
            }
        }
        // A later expiry needs no index change (the purge re-files it); an earlier one
        // (a shorter interval) must be filed now.
        if let Some(at) = new_expiry
            && old_expiry.is_none_or(|o| at < o)
        {
            shared.file_expiry(&mut lock(&shared.by_expiry), at, old.to_owned());
        }
    }

    /// A change of id: both shards locked (in index order), the record moved.
    fn save_renamed(
        &self,
        delta: &SessionDelta,
        now: SystemTime,
        expired: &mut Vec<String>,
    ) -> Result<(), RepositoryError> {
        let shared = &self.shared;
        let (old, new) = (&delta.original_id, &delta.record.id);
        let (i, j) = (shared.shard_index(old), shared.shard_index(new));
        let (mut first, mut second) = if i == j {
            (lock(&shared.shards[i]), None)
        } else if i < j {
            let a = lock(&shared.shards[i]);
            (a, Some(lock(&shared.shards[j])))
        } else {
            let b = lock(&shared.shards[j]);
            (lock(&shared.shards[i]), Some(b))
        };
        let old_shard: &mut Shard = &mut first;
        let Some(stored) = old_shard.get(old) else {
            debug!("save of a session that is no longer stored: changes dropped");
            return Ok(());
        };
        if stored.is_expired(now) {
            shared.remove_locked(old_shard, old);
            expired.push(old.clone());
            return Ok(());
        }
        let taken = {
            let new_shard: &Shard = second.as_deref().unwrap_or(old_shard);
            new_shard.contains_key(new)
        };
        if taken {
            return Err(RepositoryError::IdCollision);
        }
        let Some(mut record) = shared.remove_locked(old_shard, old) else {
            return Ok(());
        };
        delta.apply_to(&mut record);
        shared.count.fetch_add(1, Ordering::Relaxed);
        shared.index(&record);
        let new_shard: &mut Shard = match second.as_deref_mut() {
            Some(s) => s,
            None => old_shard,
        };
        new_shard.insert(new.clone(), Stored::saved(record, delta));
        Ok(())
    }

    /// [`SessionRepository::save`], which never waits.
    fn save_at_once(&self, session: &SessionData) -> Result<(), RepositoryError> {
        let now = self.shared.clock.now();
        let mut expired = self.shared.purge(now);
        if let Some(touch) = session.pending_touch() {
            // Only the last access moved: updated in place, no delta (no record copy).
            session.with_original_id(|id| self.shared.touch(id, touch.to, now, &mut expired));
            session.mark_touched(&touch, true);
            self.shared.publish_expired(expired);
            return Ok(());
        }
        if let Some(pending) = session.in_place_save() {
            // A stored session keeping its id: its changes are applied to the stored record
            // under the session's lock, without copying its record into a delta.
            if pending.has_changes() {
                self.save_existing(
                    pending.id(),
                    pending.principal_changed(),
                    |stored| pending.apply_to(stored),
                    |stored, decoded| pending.seed_decoded(stored, decoded),
                    now,
                    &mut expired,
                );
            }
            pending.mark_saved();
            self.shared.publish_expired(expired);
            return Ok(());
        }
        let mut events = Vec::new();
        let delta = session.delta();
        let result = if delta.invalidated {
            if !delta.is_new {
                let mut shard = self.shared.shard(&delta.original_id);
                if let Some(record) = self.shared.remove_locked(&mut shard, &delta.original_id) {
                    if record.is_expired(now) {
                        expired.push(record.id);
                    } else {
                        events.push(SessionEvent::Deleted { id: record.id });
                    }
                }
            }
            Ok(())
        } else if delta.is_new {
            self.save_new(&delta, &mut events)
        } else if delta.id_changed() {
            self.save_renamed(&delta, now, &mut expired)
        } else if !delta.is_empty() {
            self.save_existing(
                &delta.original_id,
                delta.principal_changed,
                |stored| delta.apply_to(stored),
                |stored, decoded| delta.seed_decoded(stored, decoded),
                now,
                &mut expired,
            );
            Ok(())
        } else {
            Ok(())
        };
        if result.is_ok() {
            session.mark_saved(&delta);
        }
        for event in events {
            self.shared.events.publish(event);
        }
        self.shared.publish_expired(expired);
        result
    }

    /// [`SessionRepository::find_by_id`], which never waits.
    fn find_at_once(&self, id: &str) -> Result<Option<SessionData>, RepositoryError> {
        if !is_valid_session_id(id) {
            return Ok(None);
        }
        let now = self.shared.clock.now();
        let session = {
            let mut shard = self.shared.shard(id);
            match shard.get(id) {
                None => return Ok(None),
                Some(record) if !record.is_expired(now) => record.load(&self.shared.config),
                Some(_) => {
                    self.shared.remove_locked(&mut shard, id);
                    drop(shard);
                    self.shared.publish_expired(vec![id.to_owned()]);
                    return Ok(None);
                }
            }
        };
        Ok(Some(session))
    }
}

impl Default for MemorySessionRepository {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for MemorySessionRepository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemorySessionRepository")
            .field("config", &self.shared.config)
            .field("sessions", &self.len())
            .field("max_sessions", &self.shared.max_sessions)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl SessionRepository for MemorySessionRepository {
    async fn create(&self) -> Result<SessionData, RepositoryError> {
        Ok(self.shared.config.new_session(self.shared.clock.now())?)
    }

    async fn save(&self, session: &SessionData) -> Result<(), RepositoryError> {
        self.save_at_once(session)
    }

    async fn find_by_id(&self, id: &str) -> Result<Option<SessionData>, RepositoryError> {
        self.find_at_once(id)
    }

    fn find_by_id_now(&self, id: &str) -> Option<Result<Option<SessionData>, RepositoryError>> {
        Some(self.find_at_once(id))
    }

    fn save_now(&self, session: &SessionData) -> Option<Result<(), RepositoryError>> {
        Some(self.save_at_once(session))
    }

    async fn delete_by_id(&self, id: &str) -> Result<(), RepositoryError> {
        if !is_valid_session_id(id) {
            return Ok(());
        }
        let now = self.shared.clock.now();
        let removed = {
            let mut shard = self.shared.shard(id);
            self.shared.remove_locked(&mut shard, id)
        };
        match removed {
            Some(r) if r.is_expired(now) => self.shared.publish_expired(vec![r.id]),
            Some(r) => {
                self.shared
                    .events
                    .publish(SessionEvent::Deleted { id: r.id });
            }
            None => {}
        }
        Ok(())
    }

    fn subscribe(&self) -> SessionEventStream {
        self.shared.events.subscribe()
    }

    fn as_indexed(&self) -> Option<&dyn IndexedSessionRepository> {
        Some(self)
    }

    fn completes_without_waiting(&self) -> bool {
        true
    }
}

#[async_trait]
impl IndexedSessionRepository for MemorySessionRepository {
    async fn find_by_principal_name(
        &self,
        principal_name: &str,
    ) -> Result<HashMap<String, SessionData>, RepositoryError> {
        let now = self.shared.clock.now();
        let ids: Vec<String> = lock(&self.shared.by_principal)
            .get(principal_name)
            .map(|ids| ids.iter().cloned().collect())
            .unwrap_or_default();
        let mut expired = Vec::new();
        let mut live = Vec::with_capacity(ids.len());
        for id in ids {
            let mut shard = self.shared.shard(&id);
            match shard.get(&id) {
                Some(r) if r.is_expired(now) => {
                    self.shared.remove_locked(&mut shard, &id);
                    expired.push(id);
                }
                Some(r) if r.principal_name.as_deref() == Some(principal_name) => {
                    live.push(r.load(&self.shared.config));
                }
                _ => {}
            }
        }
        self.shared.publish_expired(expired);
        Ok(live.into_iter().map(|s| (s.id(), s)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo() -> MemorySessionRepository {
        MemorySessionRepository::builder()
            .background_purge(false)
            .build()
    }

    #[tokio::test]
    async fn loaded_sessions_share_attributes_until_they_change_them() {
        let repo = repo();
        let s = repo.create().await.unwrap();
        s.insert("a", &1).unwrap();
        repo.save(&s).await.unwrap();
        let id = s.id();
        let load = || async { repo.find_by_id(&id).await.unwrap().unwrap() };
        let (first, second) = (load().await, load().await);
        first.insert("a", &2).unwrap();
        assert_eq!(
            second.get::<i32>("a").unwrap(),
            Some(1),
            "other loads unchanged"
        );
        assert_eq!(
            load().await.get::<i32>("a").unwrap(),
            Some(1),
            "store unchanged"
        );
        repo.save(&first).await.unwrap();
        assert_eq!(
            second.get::<i32>("a").unwrap(),
            Some(1),
            "a load keeps what it read"
        );
        assert_eq!(load().await.get::<i32>("a").unwrap(), Some(2));
        // The second load's own changes are applied to the stored record as a delta.
        second.insert("b", &3).unwrap();
        assert!(second.remove("zzz").is_ok_and(|was| !was));
        repo.save(&second).await.unwrap();
        let third = load().await;
        assert_eq!(third.get::<i32>("a").unwrap(), Some(2));
        assert_eq!(third.get::<i32>("b").unwrap(), Some(3));
        assert_eq!(third.snapshot().attributes.len(), 2);
        let delta = third.delta();
        assert_eq!(
            delta.record.attributes.len(),
            2,
            "a delta carries every attribute"
        );
        // Invalidating a load drops its attributes without touching the store's.
        let fourth = load().await;
        fourth.invalidate();
        assert!(!fourth.contains("a"));
        assert_eq!(load().await.get::<i32>("a").unwrap(), Some(2));
        repo.save(&fourth).await.unwrap();
        assert!(repo.find_by_id(&id).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn shared_values_are_decoded_once_per_stored_value() {
        let repo = repo();
        let s = repo.create().await.unwrap();
        s.insert("cart", &vec![1u32, 2]).unwrap();
        s.insert("n", &7i64).unwrap();
        repo.save(&s).await.unwrap();
        let id = s.id();
        let load = || async { repo.find_by_id(&id).await.unwrap().unwrap() };
        let first = load()
            .await
            .get_shared::<Vec<u32>>("cart")
            .unwrap()
            .unwrap();
        let touched = load().await;
        touched.set_last_accessed_time(touched.last_accessed_time() + Duration::from_secs(1));
        repo.save(&touched).await.unwrap();
        let second = load()
            .await
            .get_shared::<Vec<u32>>("cart")
            .unwrap()
            .unwrap();
        assert!(
            Arc::ptr_eq(&first, &second),
            "a later load (after a touch) gets the value decoded by the first"
        );
        // Another type is decoded on its own; a wrong one is an error, as with `get`.
        let as_i64s = load()
            .await
            .get_shared::<Vec<i64>>("cart")
            .unwrap()
            .unwrap();
        assert_eq!(*as_i64s, vec![1, 2]);
        assert!(load().await.get_shared::<String>("cart").is_err());
        assert!(load().await.get_shared::<u8>("missing").unwrap().is_none());
        // A session's own change is read back from its own bytes, not the store's value.
        let changing = load().await;
        changing.insert("cart", &vec![3u32]).unwrap();
        assert_eq!(
            *changing.get_shared::<Vec<u32>>("cart").unwrap().unwrap(),
            vec![3]
        );
        assert_eq!(
            *load()
                .await
                .get_shared::<Vec<u32>>("cart")
                .unwrap()
                .unwrap(),
            vec![1, 2],
            "unsaved: the store's value stands"
        );
        // Saved, the change replaces the stored value and what was decoded from it, whether
        // the save copies the map (a load still reads it) or changes it in place.
        let reader = load().await;
        repo.save(&changing).await.unwrap();
        let after = load()
            .await
            .get_shared::<Vec<u32>>("cart")
            .unwrap()
            .unwrap();
        assert_eq!(*after, vec![3]);
        assert_eq!(
            *reader.get_shared::<Vec<u32>>("cart").unwrap().unwrap(),
            vec![1, 2],
            "a load keeps what it read"
        );
        drop(reader);
        assert_eq!(*load().await.get_shared::<i64>("n").unwrap().unwrap(), 7);
        let other = load().await;
        other.insert("n", &8i64).unwrap();
        repo.save(&other).await.unwrap();
        assert_eq!(
            *load()
                .await
                .get_shared::<Vec<u32>>("cart")
                .unwrap()
                .unwrap(),
            vec![3]
        );
        assert_eq!(
            *load().await.get_shared::<i64>("n").unwrap().unwrap(),
            8,
            "changed in place: nothing stale is served"
        );
    }

    #[tokio::test]
    async fn a_value_stored_shared_is_handed_out_without_decoding() {
        let repo = repo();
        let s = repo.create().await.unwrap();
        let cart = Arc::new(vec![1u32, 2]);
        s.insert_shared("cart", Arc::clone(&cart)).unwrap();
        repo.save(&s).await.unwrap();
        let id = s.id();
        let load = || async { repo.find_by_id(&id).await.unwrap().unwrap() };
        let read = |s: SessionData| s.get_shared::<Vec<u32>>("cart").unwrap().unwrap();
        assert!(
            Arc::ptr_eq(&cart, &read(load().await)),
            "a new session's save"
        );
        // Changed in place (the usual save of an existing session).
        let changing = load().await;
        let mut next: Vec<u32> = changing.get_cloned("cart").unwrap().unwrap();
        assert_eq!(next, *cart, "a clone of the kept value");
        next.push(3);
        let next = Arc::new(next);
        changing.insert_shared("cart", Arc::clone(&next)).unwrap();
        repo.save(&changing).await.unwrap();
        let loaded = read(load().await);
        assert!(Arc::ptr_eq(&next, &loaded), "an existing session's save");
        assert_eq!(*cart, vec![1, 2], "the first value is not changed");
        // Other types decode on their own.
        assert_eq!(
            *load()
                .await
                .get_shared::<Vec<i64>>("cart")
                .unwrap()
                .unwrap(),
            vec![1, 2, 3]
        );
        // Set shared, then set again with plain bytes before the save: the bytes win.
        let twice = load().await;
        twice.insert_shared("cart", Arc::new(vec![9u32])).unwrap();
        twice.insert("cart", &vec![8u32]).unwrap();
        repo.save(&twice).await.unwrap();
        assert_eq!(*read(load().await), vec![8]);
        // With a change of id.
        let renamed = load().await;
        let kept = Arc::new(vec![5u32]);
        renamed.insert_shared("cart", Arc::clone(&kept)).unwrap();
        let new_id = renamed.change_id().unwrap();
        repo.save(&renamed).await.unwrap();
        let moved = repo.find_by_id(&new_id).await.unwrap().unwrap();
        assert!(Arc::ptr_eq(&kept, &read(moved)), "a renamed session's save");
    }

    #[tokio::test]
    async fn insert_shared_is_insert_when_values_are_not_kept() {
        let repo = MemorySessionRepository::builder()
            .background_purge(false)
            .config(SessionConfig::default().with_values_kept(false))
            .build();
        let s = repo.create().await.unwrap();
        let cart = Arc::new(vec![1u32, 2]);
        s.insert_shared("cart", Arc::clone(&cart)).unwrap();
        assert_eq!(Arc::strong_count(&cart), 1, "not held by the session");
        let read = s.get_shared::<Vec<u32>>("cart").unwrap().unwrap();
        assert!(!Arc::ptr_eq(&cart, &read), "decoded");
        assert_eq!(*read, *cart);
        repo.save(&s).await.unwrap();
        let loaded = repo.find_by_id(&s.id()).await.unwrap().unwrap();
        assert_eq!(
            loaded.get_cloned::<Vec<u32>>("cart").unwrap(),
            Some(vec![1, 2])
        );
    }

    #[tokio::test]
    async fn get_shared_marks_the_attribute_read_under_on_get_attribute() {
        let repo = MemorySessionRepository::builder()
            .background_purge(false)
            .config(SessionConfig::default().with_save_mode(crate::SaveMode::OnGetAttribute))
            .build();
        let s = repo.create().await.unwrap();
        s.insert("a", &1).unwrap();
        repo.save(&s).await.unwrap();
        let loaded = repo.find_by_id(&s.id()).await.unwrap().unwrap();
        assert!(loaded.delta().upserted.is_empty());
        assert_eq!(loaded.get_shared::<i32>("a").unwrap().as_deref(), Some(&1));
        assert_eq!(loaded.delta().upserted, vec!["a".to_owned()]);
    }

    #[tokio::test]
    async fn a_touch_updates_the_record_in_place_and_the_purge_refiles_it() {
        let repo = repo();
        let s = repo.create().await.unwrap();
        s.set_max_inactive_interval(Some(Duration::from_secs(60)));
        repo.save(&s).await.unwrap();
        let later = s.last_accessed_time() + Duration::from_secs(50);
        s.set_last_accessed_time(later);
        repo.save(&s).await.unwrap();
        assert_eq!(
            lock(&repo.shared.by_expiry).len(),
            1,
            "a touch files nothing"
        );
        // Due by the first entry, alive by the touch: re-filed, not removed.
        let expired = repo
            .shared
            .purge(s.creation_time() + Duration::from_secs(61));
        assert!(expired.is_empty());
        assert_eq!(repo.len(), 1);
        let entries: Vec<_> = lock(&repo.shared.by_expiry).iter().cloned().collect();
        assert_eq!(entries, vec![(later + Duration::from_secs(60), s.id())]);
        let expired = repo.shared.purge(later + Duration::from_secs(60));
        assert_eq!(expired, vec![s.id()]);
        assert!(repo.is_empty());
        assert!(lock(&repo.shared.by_expiry).is_empty());
    }

    #[tokio::test]
    async fn a_shorter_interval_is_filed_at_once() {
        let repo = repo();
        let s = repo.create().await.unwrap();
        s.set_max_inactive_interval(Some(Duration::from_secs(600)));
        repo.save(&s).await.unwrap();
        s.set_max_inactive_interval(Some(Duration::from_secs(5)));
        repo.save(&s).await.unwrap();
        let expired = repo
            .shared
            .purge(s.last_accessed_time() + Duration::from_secs(5));
        assert_eq!(expired, vec![s.id()]);
    }

    #[tokio::test]
    async fn concurrent_saves_on_many_sessions_keep_the_count_and_indexes() {
        let repo = repo();
        let mut tasks = Vec::new();
        for t in 0..8 {
            let repo = repo.clone();
            tasks.push(tokio::spawn(async move {
                let mut ids = Vec::new();
                for n in 0..200 {
                    let s = repo.create().await.unwrap();
                    s.set_principal_name(Some(&format!("user{t}"))).unwrap();
                    s.insert("n", &n).unwrap();
                    repo.save(&s).await.unwrap();
                    if n % 2 == 0 {
                        s.change_id().unwrap();
                        repo.save(&s).await.unwrap();
                    }
                    ids.push(s.id());
                }
                ids
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await.unwrap());
        }
        assert_eq!(repo.len(), 1600);
        for id in &all {
            assert!(repo.find_by_id(id).await.unwrap().is_some());
        }
        let found = repo.find_by_principal_name("user3").await.unwrap();
        assert_eq!(found.len(), 200);
    }
}
