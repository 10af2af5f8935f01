//! The local cache of session records: the bytes as stored (the expected value of the next
//! compare-and-set) and the record decoded from them, bounded, evicting with a clock
//! (second-chance) per shard, kept fresh by the invalidation listener
//! ([`crate::invalidation`]).
//!
//! **Races.** A load or write takes a [`Ticket`] before it sends its call; every entry
//! event for the key counts on the key's slot while a ticket or a value holds it, and a
//! flush moves the cache's generation. A load inserts what it read only if no event for
//! the key arrived and no flush happened since its ticket, so an invalidation never loses
//! to a load in flight. A successful write (`replaceIfSame`, `putIfAbsent`) fires exactly
//! one event of its own: if it has not arrived yet, the slot skips the next event (events
//! of one key arrive in order, and every later write's event comes after it); if it
//! arrived, it was this write's (a compare-and-set that succeeded saw no other write in
//! between); if more arrived, the value is not cached.

use std::borrow::Borrow;
use std::collections::hash_map::RandomState;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, SystemTime};

use hazelcast_protocol::data::Data;
use session_core::{DecodedValues, SessionDelta, SessionRecord};

use crate::telemetry;

/// Default number of session records the local cache holds.
pub const DEFAULT_LOCAL_CACHE_CAPACITY: usize = 100_000;
/// Number of independently locked shards.
const SHARDS: usize = 32;

/// A record as stored: its exact bytes, the record decoded from them and the attribute
/// values sessions decoded from it ([`SessionData::get_shared`](session_core::SessionData::get_shared)).
#[derive(Debug)]
pub(crate) struct Cached {
    pub(crate) data: Data,
    pub(crate) record: SessionRecord,
    decoded: DecodedValues,
}

impl Cached {
    /// A cached record with no attribute value decoded yet.
    pub(crate) fn new(data: Data, record: SessionRecord) -> Self {
        Self {
            data,
            record,
            decoded: DecodedValues::default(),
        }
    }

    /// The record `delta`'s save wrote, with the values its session stored through
    /// `insert_shared` kept as decoded (see [`SessionDelta::seed_decoded`]; with the
    /// cache off the repository's sessions keep none, `SessionConfig::with_values_kept`).
    pub(crate) fn saved(data: Data, record: SessionRecord, delta: &SessionDelta) -> Self {
        let cached = Self::new(data, record);
        delta.seed_decoded(&cached.record.attributes, &cached.decoded);
        cached
    }
}

/// Loaded sessions read their attributes from the cached record until their first change.
impl AsRef<SessionRecord> for Cached {
    fn as_ref(&self) -> &SessionRecord {
        &self.record
    }
}

/// ... and the values decoded from them, kept as long as the record is cached unchanged.
impl AsRef<DecodedValues> for Cached {
    fn as_ref(&self) -> &DecodedValues {
        &self.decoded
    }
}

/// The local cache's counters since the repository was built (also exported through the
/// `metrics` facade, see the [crate docs](crate#observability)), from
/// [`HazelcastSessionRepository::local_cache_stats`](crate::HazelcastSessionRepository::local_cache_stats).
///
/// ```
/// use session_hazelcast::LocalCacheStats;
///
/// let stats = LocalCacheStats::default();
/// let served = stats.hits as f64 / (stats.hits + stats.misses).max(1) as f64;
/// assert_eq!(served, 0.0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LocalCacheStats {
    /// Loads served from the cache (no round trip).
    pub hits: u64,
    /// Loads that went to the cluster (cache off, not ready, absent or invalidated).
    pub misses: u64,
    /// Records evicted to stay within the capacity.
    pub evictions: u64,
    /// Records dropped because an entry event reported a change by someone else.
    pub invalidations: u64,
    /// Loads not served from a cached record because the request's read-your-writes
    /// cookie named a later write than the record's (the event of a change made through
    /// another server had not arrived yet): read from the cluster, and counted in
    /// `misses` too.
    pub behind_client: u64,
    /// Times the whole cache was emptied (reconnect, failover, dropped events, member
    /// changes, listener re-registration).
    pub flushes: u64,
    /// Records held now.
    pub entries: u64,
}

#[derive(Debug, Default)]
struct Slot {
    value: Option<Arc<Cached>>,
    /// Entry events seen for this key while the slot existed (own ones included).
    events: u64,
    /// Changes of the key's record seen while the slot existed: events of other writers,
    /// writes of this repository, invalidations. A load stores its record only if none
    /// happened since its ticket.
    changes: u64,
    /// Own write events still to come (not invalidations).
    skip_own: u32,
    /// Tickets held on this key.
    users: u32,
    referenced: bool,
    in_ring: bool,
    /// Writers of this key waiting for their own event ([`Ticket::await_own_event`]):
    /// only they are woken by its events, not every waiting writer.
    waiters: Option<Arc<tokio::sync::Notify>>,
}

/// A session id with its hash: the cache's keyed hash (`RandomState`, so ids chosen by a
/// client cannot be made to collide) computed once per operation, then used to pick the
/// shard and, as is, by the shard's map.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Key<'a> {
    hash: u64,
    id: &'a str,
}

/// A key the shard's map owns.
#[derive(Debug, Clone)]
struct OwnedKey {
    hash: u64,
    id: Box<str>,
}

/// What both key types answer, so that a map of [`OwnedKey`] is searched with a
/// [`Key`] (no allocation, no second hash).
trait Lookup {
    fn parts(&self) -> (u64, &str);
}

impl Lookup for OwnedKey {
    fn parts(&self) -> (u64, &str) {
        (self.hash, &self.id)
    }
}

impl Lookup for Key<'_> {
    fn parts(&self) -> (u64, &str) {
        (self.hash, self.id)
    }
}

impl<'a> Borrow<dyn Lookup + 'a> for OwnedKey {
    fn borrow(&self) -> &(dyn Lookup + 'a) {
        self
    }
}

impl Hash for dyn Lookup + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.parts().0);
    }
}

impl PartialEq for dyn Lookup + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for dyn Lookup + '_ {}

impl Hash for OwnedKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self as &dyn Lookup).hash(state);
    }
}

impl PartialEq for OwnedKey {
    fn eq(&self, other: &Self) -> bool {
        self.parts() == other.parts()
    }
}

impl Eq for OwnedKey {}

impl Key<'_> {
    fn owned(&self) -> OwnedKey {
        OwnedKey {
            hash: self.hash,
            id: self.id.into(),
        }
    }

    fn lookup(&self) -> &(dyn Lookup + '_) {
        self
    }
}

/// The shard maps' hasher: the keys carry their (already keyed) hash.
#[derive(Debug, Default)]
struct KeyHash(u64);

impl Hasher for KeyHash {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used by the keys; kept total for any other caller.
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Slots = HashMap<OwnedKey, Slot, BuildHasherDefault<KeyHash>>;

#[derive(Debug, Default)]
struct Shard {
    slots: Slots,
    /// Keys in insertion order, for the clock hand (may hold keys no longer cached).
    ring: VecDeque<OwnedKey>,
    values: usize,
}

/// The cache. Every method is non-blocking (short critical sections on one shard).
#[derive(Debug)]
pub(crate) struct LocalCache {
    shards: Box<[Mutex<Shard>]>,
    hasher: RandomState,
    per_shard: usize,
    generation: AtomicU64,
    /// Loads may be served from the cache (switched on, listener registered and stable).
    serving: AtomicBool,
    /// The invalidation listener is registered (it may be settling after a gap).
    listening: AtomicBool,
    hits: AtomicU64,
    misses: AtomicU64,
    behind_client: AtomicU64,
    evictions: AtomicU64,
    invalidations: AtomicU64,
    flushes: AtomicU64,
    entries: AtomicU64,
}

/// How long a write waits for its own entry event before it returns (see
/// [`Ticket::await_own_event`]).
pub(crate) const OWN_EVENT_WAIT: Duration = Duration::from_millis(50);

/// A load or write in flight on one key; see the module docs. Dropping it (a cancelled
/// operation) releases the key.
#[derive(Debug)]
pub(crate) struct Ticket<'a> {
    cache: &'a LocalCache,
    key: Key<'a>,
    generation: u64,
    events: u64,
    changes: u64,
    /// Own events still expected when the ticket was taken (they arrive first).
    skips: u32,
    open: bool,
}

/// What a finished ticket does to its key's slot.
enum Outcome {
    /// Store the record, with this many own events still to skip.
    Store(Arc<Cached>, u32),
    /// Leave the slot as it is.
    Keep,
    /// Drop the key's record.
    Drop,
}

fn lock(m: &Mutex<Shard>) -> MutexGuard<'_, Shard> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl LocalCache {
    /// A cache of at most `capacity` records (0: nothing is kept).
    pub(crate) fn new(capacity: usize) -> Self {
        let shards = if capacity == 0 {
            1
        } else {
            SHARDS.min(capacity)
        };
        Self {
            shards: (0..shards).map(|_| Mutex::new(Shard::default())).collect(),
            hasher: RandomState::new(),
            per_shard: capacity.div_ceil(shards),
            generation: AtomicU64::new(0),
            serving: AtomicBool::new(false),
            listening: AtomicBool::new(false),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            behind_client: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
            invalidations: AtomicU64::new(0),
            flushes: AtomicU64::new(0),
            entries: AtomicU64::new(0),
        }
    }

    /// `id` with its hash.
    pub(crate) fn key<'a>(&self, id: &'a str) -> Key<'a> {
        Key {
            hash: self.hasher.hash_one(id),
            id,
        }
    }

    /// The shard of `key`: picked by bits of the hash that the shard's map does not use
    /// for its buckets (its low bits) or its tags (its top seven).
    fn shard(&self, key: Key<'_>) -> &Mutex<Shard> {
        let i = ((key.hash >> 32) as usize & 0xff_ffff) % self.shards.len();
        &self.shards[i]
    }

    /// Whether loads may be served from the cache.
    pub(crate) fn is_serving(&self) -> bool {
        self.serving.load(Ordering::Acquire)
    }

    pub(crate) fn set_serving(&self, on: bool) {
        self.serving.store(on, Ordering::Release);
    }

    pub(crate) fn set_listening(&self, on: bool) {
        self.listening.store(on, Ordering::Release);
    }

    /// The record of `key` if cached and not expired at `now`, for a load: counts a hit.
    /// Only while serving, and only a record last accessed at `written_since` or later
    /// when the client named its last write (read your writes; an older record is left
    /// for the load to replace). The caller counts a miss when this answers `None`.
    pub(crate) fn get_for_load(
        &self,
        id: &str,
        now: SystemTime,
        written_since: Option<SystemTime>,
    ) -> Option<Arc<Cached>> {
        if !self.is_serving() {
            return None;
        }
        let found = self.peek(id, now)?;
        if Self::behind(&found, written_since) {
            return None;
        }
        self.hits.fetch_add(1, Ordering::Relaxed);
        telemetry::cache_hit();
        Some(found)
    }

    /// Whether `cached` predates the client's last write (see [`LocalCache::get_for_load`]).
    fn behind(cached: &Cached, written_since: Option<SystemTime>) -> bool {
        written_since.is_some_and(|since| cached.record.last_accessed_time < since)
    }

    /// Counts a load that went to the cluster; `written_since`: the client's last write,
    /// counted in `behind_client` if the record cached for `id` (at `now`) predates it.
    pub(crate) fn count_miss(&self, id: &str, now: SystemTime, written_since: Option<SystemTime>) {
        self.misses.fetch_add(1, Ordering::Relaxed);
        telemetry::cache_miss();
        if written_since.is_some()
            && self.is_serving()
            && self
                .peek(id, now)
                .is_some_and(|cached| Self::behind(&cached, written_since))
        {
            self.behind_client.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The record of `key` if held (serving or not: the expected value of a
    /// compare-and-set, which fails harmlessly when stale) and not expired at `now`.
    pub(crate) fn peek(&self, id: &str, now: SystemTime) -> Option<Arc<Cached>> {
        let key = self.key(id);
        let mut guard = lock(self.shard(key));
        let shard = &mut *guard;
        let slot = shard.slots.get_mut(key.lookup())?;
        let value = slot.value.clone()?;
        if value.record.is_expired(now) {
            slot.value = None;
            let remove = slot.users == 0;
            shard.values -= 1;
            if remove {
                shard.slots.remove(key.lookup());
            }
            self.entries.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        slot.referenced = true;
        Some(value)
    }

    /// Starts a load or write of `key`.
    pub(crate) fn ticket<'a>(&'a self, id: &'a str) -> Ticket<'a> {
        let key = self.key(id);
        let generation = self.generation.load(Ordering::Acquire);
        let mut guard = lock(self.shard(key));
        let shard = &mut *guard;
        let slot = match shard.slots.get_mut(key.lookup()) {
            Some(slot) => slot,
            None => shard.slots.entry(key.owned()).or_default(),
        };
        slot.users += 1;
        Ticket {
            cache: self,
            key,
            generation,
            events: slot.events,
            changes: slot.changes,
            skips: slot.skip_own,
            open: true,
        }
    }

    /// An entry event for `key` from the cluster.
    pub(crate) fn on_event(&self, id: &str) {
        self.record_event(self.key(id));
    }

    fn record_event(&self, key: Key<'_>) {
        let mut guard = lock(self.shard(key));
        let shard = &mut *guard;
        let Some(slot) = shard.slots.get_mut(key.lookup()) else {
            return;
        };
        slot.events += 1;
        if let Some(waiters) = &slot.waiters {
            waiters.notify_waiters();
        }
        if slot.skip_own > 0 {
            slot.skip_own -= 1;
            return;
        }
        slot.changes += 1;
        let dropped = slot.value.take().is_some();
        let remove = slot.users == 0;
        if dropped {
            shard.values -= 1;
            self.entries.fetch_sub(1, Ordering::Relaxed);
            self.invalidations.fetch_add(1, Ordering::Relaxed);
            telemetry::cache_invalidation();
        }
        if remove {
            shard.slots.remove(key.lookup());
        }
    }

    /// Drops the record of `key` (this repository changed or removed it in a way the cache
    /// does not follow).
    pub(crate) fn invalidate(&self, id: &str) {
        let key = self.key(id);
        let mut guard = lock(self.shard(key));
        let shard = &mut *guard;
        let Some(slot) = shard.slots.get_mut(key.lookup()) else {
            return;
        };
        slot.skip_own = 0;
        slot.changes += 1;
        let dropped = slot.value.take().is_some();
        let remove = slot.users == 0;
        if dropped {
            shard.values -= 1;
            self.entries.fetch_sub(1, Ordering::Relaxed);
        }
        if remove {
            shard.slots.remove(key.lookup());
        }
    }

    /// Empties the cache: every record, and every load or write in flight is not cached.
    pub(crate) fn flush(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        for shard in self.shards.iter() {
            let mut shard = lock(shard);
            shard.slots.retain(|_, s| s.users > 0);
            for slot in shard.slots.values_mut() {
                slot.value = None;
                slot.skip_own = 0;
                slot.in_ring = false;
            }
            shard.ring.clear();
            let n = std::mem::take(&mut shard.values);
            self.entries.fetch_sub(n as u64, Ordering::Relaxed);
        }
        self.flushes.fetch_add(1, Ordering::Relaxed);
        telemetry::cache_flush();
    }

    pub(crate) fn stats(&self) -> LocalCacheStats {
        LocalCacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            behind_client: self.behind_client.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
            invalidations: self.invalidations.load(Ordering::Relaxed),
            flushes: self.flushes.load(Ordering::Relaxed),
            entries: self.entries.load(Ordering::Relaxed),
        }
    }

    /// Stores `value` in `slot` (held by a ticket of the current generation), evicting
    /// with the clock hand while the shard is full.
    fn store(&self, shard: &mut Shard, key: Key<'_>, value: Arc<Cached>) {
        if self.per_shard == 0 {
            return;
        }
        let is_new = shard
            .slots
            .get(key.lookup())
            .is_some_and(|slot| slot.value.is_none());
        if is_new {
            while shard.values >= self.per_shard {
                if !self.evict_one(shard) {
                    break;
                }
            }
        }
        let Some(slot) = shard.slots.get_mut(key.lookup()) else {
            return;
        };
        slot.changes += 1;
        if slot.value.replace(value).is_none() {
            shard.values += 1;
            self.entries.fetch_add(1, Ordering::Relaxed);
        }
        slot.referenced = false;
        if !slot.in_ring {
            slot.in_ring = true;
            shard.ring.push_back(key.owned());
        }
        if shard.ring.len() > 2 * self.per_shard + 64 {
            // Keys whose record was invalidated since linger in the ring: rebuild it.
            let Shard { slots, ring, .. } = shard;
            ring.clear();
            for (k, s) in slots.iter_mut() {
                s.in_ring = s.value.is_some();
                if s.in_ring {
                    ring.push_back(k.clone());
                }
            }
        }
    }

    /// Moves the clock hand until one record is evicted; false when the ring is empty.
    fn evict_one(&self, shard: &mut Shard) -> bool {
        while let Some(key) = shard.ring.pop_front() {
            let Some(slot) = shard.slots.get_mut(&key) else {
                continue;
            };
            if slot.value.is_none() {
                slot.in_ring = false;
                continue;
            }
            if slot.referenced {
                slot.referenced = false;
                shard.ring.push_back(key);
                continue;
            }
            slot.value = None;
            slot.in_ring = false;
            slot.skip_own = 0;
            let remove = slot.users == 0;
            shard.values -= 1;
            if remove {
                shard.slots.remove(&key);
            }
            self.entries.fetch_sub(1, Ordering::Relaxed);
            self.evictions.fetch_add(1, Ordering::Relaxed);
            telemetry::cache_eviction();
            return true;
        }
        false
    }
}

impl Ticket<'_> {
    /// Events for the key since the ticket was taken, beyond the own events of earlier
    /// writes still expected then.
    fn new_events(&self, slot: &Slot) -> u64 {
        (slot.events - self.events).saturating_sub(u64::from(self.skips))
    }

    /// After this repository's write succeeded: waits (while the invalidation listener is
    /// registered, at most `limit`) until the write's own entry event arrived. The member sends an event to
    /// every listener at once, so by then the other servers' caches have it too, and the
    /// next request on any server sees the change (the staleness window shrinks to the
    /// other server's processing of the event). No round trip.
    pub(crate) async fn await_own_event(&self, limit: Duration) {
        if !self.cache.listening.load(Ordering::Acquire) {
            return;
        }
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let waiters: Arc<tokio::sync::Notify>;
            let notified = {
                let mut guard = lock(self.cache.shard(self.key));
                // The ticket keeps the slot; without it there is nothing to wait for.
                let Some(slot) = guard.slots.get_mut(self.key.lookup()) else {
                    return;
                };
                if self.new_events(slot) > 0 {
                    return;
                }
                waiters = Arc::clone(slot.waiters.get_or_insert_with(Default::default));
                // Made under the shard's lock, which every event takes to notify: an event
                // after this check wakes it (a `Notified` receives `notify_waiters` from its
                // creation on, polled or not).
                waiters.notified()
            };
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return;
            }
        }
    }

    /// A load read `value`: cached unless the key's record changed (an event of another
    /// writer, a write of this repository) or the cache was flushed since the ticket was
    /// taken; then the slot is left as it is.
    pub(crate) fn loaded(mut self, value: Arc<Cached>) {
        let changes = self.changes;
        self.finish(move |slot| {
            if slot.changes == changes {
                Outcome::Store(value, slot.skip_own)
            } else {
                Outcome::Keep
            }
        });
    }

    /// This repository's write of `value` succeeded; it fires exactly one entry event.
    /// Events since the ticket: first the own events of earlier writes still expected
    /// then, then this write's, then later writes'.
    pub(crate) fn wrote(mut self, value: Arc<Cached>) {
        let (events, skips) = (self.events, u64::from(self.skips));
        self.finish(
            move |slot| match (slot.events - events).saturating_sub(skips) {
                0 => Outcome::Store(value, slot.skip_own + 1),
                1 => Outcome::Store(value, slot.skip_own),
                _ => Outcome::Drop,
            },
        );
    }

    /// The outcome is not known or not cacheable: the key's record is dropped.
    pub(crate) fn discard(mut self) {
        self.finish(|_| Outcome::Drop);
    }

    fn finish(&mut self, decide: impl FnOnce(&Slot) -> Outcome) {
        if !self.open {
            return;
        }
        self.open = false;
        let cache = self.cache;
        let mut guard = lock(cache.shard(self.key));
        let shard = &mut *guard;
        let current = cache.generation.load(Ordering::Acquire) == self.generation;
        let Some(slot) = shard.slots.get_mut(self.key.lookup()) else {
            return;
        };
        slot.users = slot.users.saturating_sub(1);
        if slot.users == 0 {
            slot.waiters = None;
        }
        let outcome = if current { decide(slot) } else { Outcome::Drop };
        match outcome {
            Outcome::Store(value, skip) => {
                slot.skip_own = skip;
                cache.store(shard, self.key, value);
                // Nothing stored (capacity 0): no slot is left behind.
                if shard
                    .slots
                    .get(self.key.lookup())
                    .is_some_and(|s| s.users == 0 && s.value.is_none())
                {
                    shard.slots.remove(self.key.lookup());
                }
            }
            Outcome::Keep => {
                if slot.users == 0 && slot.value.is_none() {
                    shard.slots.remove(self.key.lookup());
                }
            }
            Outcome::Drop => {
                let dropped = slot.value.take().is_some();
                slot.skip_own = 0;
                slot.changes += 1;
                let remove = slot.users == 0;
                if dropped {
                    shard.values -= 1;
                    cache.entries.fetch_sub(1, Ordering::Relaxed);
                }
                if remove {
                    shard.slots.remove(self.key.lookup());
                }
            }
        }
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        if self.open {
            self.open = false;
            let mut shard = lock(self.cache.shard(self.key));
            if let Some(slot) = shard.slots.get_mut(self.key.lookup()) {
                slot.users = slot.users.saturating_sub(1);
                if slot.users == 0 {
                    slot.waiters = None;
                }
                if slot.users == 0 && slot.value.is_none() {
                    shard.slots.remove(self.key.lookup());
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "cache_tests.rs"]
mod tests;
