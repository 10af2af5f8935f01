//! The session handle application code works with.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::watch;

use crate::codec::{AttributeCodec, decode_value, encode_value};
use crate::config::SessionConfig;
use crate::decoded::{DecodedValues, FreshValue, seed};
use crate::error::SessionDataError;
use crate::id::SessionIdGenerator;
use crate::modes::{FlushMode, SaveMode};
use crate::record::{SessionDelta, SessionRecord};

/// The longest attribute name accepted by [`SessionData::insert`], in bytes.
pub const MAX_ATTRIBUTE_NAME_LEN: usize = 1024;

/// One HTTP session: id, timestamps, max inactive interval, principal name and typed
/// attributes, with change tracking so that a repository writes only what changed.
///
/// A `SessionData` is a handle: clones share the same state (an `Arc` inside), it is
/// `Send + Sync`, and its methods are synchronous, so it can be used from axum and actix
/// handlers alike. Changes stay in memory until a repository saves the session.
///
/// Attribute values go through the repository's [`AttributeCodec`]: [`SessionData::insert`]
/// encodes at once (so encoding errors surface there), [`SessionData::get`] decodes the stored
/// bytes into the type asked for each time ([`SessionData::get_shared`] once per value a
/// store keeps, for values read on many requests), and a value that does not decode into
/// that type is a [`SessionDataError::Attribute`], never a panic.
///
/// After [`SessionData::invalidate`] the session reads as empty and every change returns
/// [`SessionDataError::Invalidated`]; saving it deletes it from the store.
///
/// ```
/// use session_core::SessionConfig;
/// use std::time::SystemTime;
///
/// let session = SessionConfig::default().new_session(SystemTime::now()).unwrap();
/// session.insert("cart", &vec![1, 2, 3]).unwrap();
/// assert_eq!(session.get::<Vec<u32>>("cart").unwrap(), Some(vec![1, 2, 3]));
/// assert!(session.get::<String>("cart").is_err()); // wrong type: a typed error
/// assert!(session.has_changes());
/// ```
#[derive(Clone)]
pub struct SessionData {
    inner: Arc<Inner>,
}

struct Inner {
    state: Mutex<State>,
    codec: Arc<dyn AttributeCodec>,
    id_generator: Arc<dyn SessionIdGenerator>,
    flush_mode: FlushMode,
    /// [`SessionConfig::values_kept`].
    values_kept: bool,
    /// Bumped on every change.
    generation: AtomicU64,
    /// Created by the first [`SessionData::changes`] (most sessions are never watched).
    watchers: OnceLock<watch::Sender<u64>>,
}

struct State {
    /// Id, times, interval and principal; its `attributes` stay empty (see `attributes`).
    record: SessionRecord,
    /// Attribute values by name: shared with the store that loaded them (an in-process
    /// store hands out its own map, no copy) until the first change copies them.
    attributes: SharedAttributes,
    /// The id the session is stored under, when a [`SessionData::change_id`] not yet saved
    /// made it differ from `record.id` (`None` otherwise: no copy of the id per load).
    renamed_from: Option<String>,
    is_new: bool,
    invalidated: bool,
    save_mode: SaveMode,
    /// Sequence number of the latest change; every change takes the next one.
    seq: u64,
    /// Unsaved changes, each with the sequence number of its latest change.
    upserted: BTreeMap<String, u64>,
    removed: BTreeMap<String, u64>,
    read: BTreeMap<String, u64>,
    principal_changed: Option<u64>,
    max_inactive_interval_changed: Option<u64>,
    last_accessed_time_changed: Option<u64>,
    /// The last-accessed time as loaded or last written to the store.
    stored_last_accessed_time: SystemTime,
    /// Values given to [`SessionData::insert_shared`] (one per attribute at most), handed
    /// to the store by the next save.
    fresh: Vec<FreshValue>,
}

/// Attribute values by name, encoded by the session's codec.
pub(crate) type Attributes = BTreeMap<String, Bytes>;

/// What a store shares with the sessions it loads keeps the values
/// [`SessionData::get_shared`] decoded from its attributes.
pub(crate) trait KeepsDecoded: Send + Sync {
    fn decoded(&self) -> &DecodedValues;
}

/// A record a store keeps and shares (an entry of a cache), with the values decoded from it
/// ([`SessionConfig::load_session_shared`]).
pub(crate) trait StoredRecord: KeepsDecoded {
    fn record(&self) -> &SessionRecord;
}

impl<R> KeepsDecoded for R
where
    R: AsRef<SessionRecord> + AsRef<DecodedValues> + Send + Sync,
{
    fn decoded(&self) -> &DecodedValues {
        self.as_ref()
    }
}

impl<R> StoredRecord for R
where
    R: AsRef<SessionRecord> + AsRef<DecodedValues> + Send + Sync,
{
    fn record(&self) -> &SessionRecord {
        self.as_ref()
    }
}

/// An attribute map a store shares with the sessions it loads, with the values
/// [`SessionData::get_shared`] decoded from it.
#[derive(Default)]
pub(crate) struct SharedMap {
    pub(crate) map: Attributes,
    pub(crate) decoded: DecodedValues,
}

impl SharedMap {
    pub(crate) fn new(map: Attributes) -> Self {
        Self {
            map,
            decoded: DecodedValues::default(),
        }
    }

    /// The map to change in place: the values decoded from the old one are forgotten.
    pub(crate) fn map_mut(&mut self) -> &mut Attributes {
        self.decoded.clear();
        &mut self.map
    }
}

impl KeepsDecoded for SharedMap {
    fn decoded(&self) -> &DecodedValues {
        &self.decoded
    }
}

/// A copy holds the same encoded values and none decoded yet.
impl Clone for SharedMap {
    fn clone(&self) -> Self {
        Self::new(self.map.clone())
    }
}

/// A session's attributes: its own, or a store's map read until the first change.
enum SharedAttributes {
    Owned(Attributes),
    Shared(Arc<SharedMap>),
    /// The attributes of a record the store keeps.
    Record(Arc<dyn StoredRecord>),
}

impl std::ops::Deref for SharedAttributes {
    type Target = Attributes;

    fn deref(&self) -> &Attributes {
        match self {
            Self::Owned(map) => map,
            Self::Shared(shared) => &shared.map,
            Self::Record(record) => &record.record().attributes,
        }
    }
}

impl SharedAttributes {
    /// The session's own map, copied from the store's first if shared.
    fn to_mut(&mut self) -> &mut Attributes {
        if !matches!(self, Self::Owned(_)) {
            let owned = (**self).clone();
            *self = Self::Owned(owned);
        }
        match self {
            Self::Owned(map) => map,
            // Not reached (made owned above); still correct.
            Self::Shared(shared) => Arc::make_mut(shared).map_mut(),
            Self::Record(_) => {
                *self = Self::Owned((**self).clone());
                self.to_mut()
            }
        }
    }

    /// Whoever keeps values decoded from these attributes: the store's map or record, while
    /// the session still reads it.
    fn decoded_holder(&self) -> Option<Arc<dyn KeepsDecoded>> {
        match self {
            Self::Owned(_) => None,
            Self::Shared(shared) => Some(Arc::clone(shared) as _),
            Self::Record(record) => Some(Arc::clone(record) as _),
        }
    }
}

impl State {
    /// Sets attribute `name` to `bytes`, a change to write (any value kept from
    /// [`SessionData::insert_shared`] for it is dropped).
    fn put_bytes(&mut self, name: &str, bytes: Bytes) {
        let seq = self.next_seq();
        self.fresh.retain(|f| &*f.name != name);
        let attributes = self.attributes_mut();
        match attributes.get_mut(name) {
            Some(slot) => *slot = bytes,
            None => {
                attributes.insert(name.to_owned(), bytes);
            }
        }
        self.removed.remove(name);
        match self.upserted.get_mut(name) {
            Some(slot) => *slot = seq,
            None => {
                self.upserted.insert(name.to_owned(), seq);
            }
        }
    }

    /// The value kept for attribute `name`, whose bytes are `bytes`, as a `T`: stored by
    /// [`SessionData::insert_shared`], or decoded from the record `holder` (the store's)
    /// by an earlier [`SessionData::get_shared`].
    fn kept<T: std::any::Any + Send + Sync>(
        &self,
        name: &str,
        bytes: &Bytes,
        holder: Option<&dyn KeepsDecoded>,
    ) -> Option<Arc<T>> {
        self.fresh
            .iter()
            .find_map(|f| f.get::<T>(name, bytes))
            .or_else(|| holder?.decoded().get::<T>(name))
    }

    /// Attribute `name`'s bytes, counted as read under [`SaveMode::OnGetAttribute`] (written
    /// on the next save).
    fn read_attribute(&mut self, name: &str) -> Option<Bytes> {
        let bytes = self.attributes.get(name).cloned()?;
        if self.save_mode == SaveMode::OnGetAttribute {
            let seq = self.next_seq();
            self.read.insert(name.to_owned(), seq);
        }
        Some(bytes)
    }

    /// The attributes, to change (copied first if shared with a store).
    fn attributes_mut(&mut self) -> &mut Attributes {
        self.attributes.to_mut()
    }

    /// The full record: metadata and attributes.
    fn full_record(&self) -> SessionRecord {
        let mut record = self.record.clone();
        record.attributes = (*self.attributes).clone();
        record
    }

    /// The id the session is stored under.
    fn original_id(&self) -> &str {
        self.renamed_from.as_deref().unwrap_or(&self.record.id)
    }

    /// Whether the id changed since the session was stored.
    fn id_changed(&self) -> bool {
        self.renamed_from
            .as_deref()
            .is_some_and(|stored| stored != self.record.id)
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }
}

impl SessionData {
    pub(crate) fn from_parts(
        mut record: SessionRecord,
        is_new: bool,
        config: &SessionConfig,
    ) -> Self {
        let attributes = SharedAttributes::Owned(std::mem::take(&mut record.attributes));
        Self::from_attributes(record, attributes, is_new, config)
    }

    /// A loaded session of `record` (whose own `attributes` are ignored) reading the
    /// store's attribute map `attributes` until its first change.
    pub(crate) fn from_shared_parts(
        record: SessionRecord,
        attributes: Arc<SharedMap>,
        config: &SessionConfig,
    ) -> Self {
        Self::from_attributes(record, SharedAttributes::Shared(attributes), false, config)
    }

    /// A loaded session of the record `stored` keeps: its id, times and principal copied,
    /// its attributes read from `stored` until the first change.
    /// The values [`SessionData::get_shared`] decodes are kept beside `stored`.
    pub(crate) fn from_stored(stored: Arc<dyn StoredRecord>, config: &SessionConfig) -> Self {
        let r = stored.record();
        let record = SessionRecord {
            id: r.id.clone(),
            creation_time: r.creation_time,
            last_accessed_time: r.last_accessed_time,
            max_inactive_interval: r.max_inactive_interval,
            principal_name: r.principal_name.clone(),
            attributes: BTreeMap::new(),
        };
        Self::from_attributes(record, SharedAttributes::Record(stored), false, config)
    }

    fn from_attributes(
        mut record: SessionRecord,
        attributes: SharedAttributes,
        is_new: bool,
        config: &SessionConfig,
    ) -> Self {
        if !record.attributes.is_empty() {
            record.attributes = BTreeMap::new();
        }
        let stored_last_accessed_time = record.last_accessed_time;
        Self {
            inner: Arc::new(Inner {
                state: Mutex::new(State {
                    record,
                    attributes,
                    renamed_from: None,
                    is_new,
                    invalidated: false,
                    save_mode: config.save_mode(),
                    seq: 0,
                    upserted: BTreeMap::new(),
                    removed: BTreeMap::new(),
                    read: BTreeMap::new(),
                    principal_changed: None,
                    max_inactive_interval_changed: None,
                    last_accessed_time_changed: None,
                    stored_last_accessed_time,
                    fresh: Vec::new(),
                }),
                codec: Arc::clone(config.codec()),
                id_generator: Arc::clone(config.id_generator()),
                flush_mode: config.flush_mode(),
                values_kept: config.values_kept(),
                generation: AtomicU64::new(0),
                watchers: OnceLock::new(),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave the state half-written in a way that
        // breaks invariants (every change is a single assignment), so poisoning is ignored.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `change` on the state and tells watchers a change happened.
    fn change<R>(&self, change: impl FnOnce(&mut State) -> R) -> R {
        let result = change(&mut self.state());
        self.changed();
        result
    }

    /// Like [`SessionData::change`], but refuses to change an invalidated session (checked
    /// under the same lock as the change).
    fn live_change<R>(&self, change: impl FnOnce(&mut State) -> R) -> Result<R, SessionDataError> {
        let result = {
            let mut state = self.state();
            if state.invalidated {
                return Err(SessionDataError::Invalidated);
            }
            change(&mut state)
        };
        self.changed();
        Ok(result)
    }

    fn changed(&self) {
        let generation = self.inner.generation.fetch_add(1, Ordering::AcqRel) + 1;
        if let Some(watchers) = self.inner.watchers.get() {
            watchers.send_modify(|g| *g = (*g).max(generation));
        }
    }

    /// The session id.
    pub fn id(&self) -> String {
        self.state().record.id.clone()
    }

    /// Runs `f` on the id the session is stored under (without copying it), with the
    /// session locked.
    pub(crate) fn with_original_id<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        f(self.state().original_id())
    }

    /// Whether the session's id is `id` (without copying it).
    pub(crate) fn has_id(&self, id: &str) -> bool {
        self.state().record.id == id
    }

    /// The id the session is stored under: the id it was loaded or created with, until a
    /// save after [`SessionData::change_id`] stores it under the new one.
    pub fn original_id(&self) -> String {
        self.state().original_id().to_owned()
    }

    /// Whether the session was created and never saved.
    pub fn is_new(&self) -> bool {
        self.state().is_new
    }

    /// Whether [`SessionData::invalidate`] was called.
    pub fn is_invalidated(&self) -> bool {
        self.state().invalidated
    }

    /// When the session was created.
    pub fn creation_time(&self) -> SystemTime {
        self.state().record.creation_time
    }

    /// When the session was last accessed.
    pub fn last_accessed_time(&self) -> SystemTime {
        self.state().record.last_accessed_time
    }

    /// Records an access at `time` (the request lifecycle calls this once per request).
    pub fn set_last_accessed_time(&self, time: SystemTime) {
        self.change(|s| {
            s.record.last_accessed_time = time;
            s.last_accessed_time_changed = Some(s.next_seq());
        });
    }

    /// How long the session may stay unused before it expires; `None` = never.
    pub fn max_inactive_interval(&self) -> Option<Duration> {
        self.state().record.max_inactive_interval
    }

    /// Sets the max inactive interval (`None` = never expires).
    pub fn set_max_inactive_interval(&self, interval: Option<Duration>) {
        self.change(|s| {
            s.record.max_inactive_interval = interval;
            s.max_inactive_interval_changed = Some(s.next_seq());
        });
    }

    /// Whether the session is expired at `now` (last access + max inactive interval has
    /// passed).
    pub fn is_expired(&self, now: SystemTime) -> bool {
        self.state().record.is_expired(now)
    }

    /// The logged-in user's name, if any.
    pub fn principal_name(&self) -> Option<String> {
        self.state().record.principal_name.clone()
    }

    /// Sets or clears the logged-in user's name (indexed by
    /// [`IndexedSessionRepository::find_by_principal_name`](crate::IndexedSessionRepository::find_by_principal_name)).
    /// To protect against session fixation, also call [`SessionData::change_id`] on login.
    pub fn set_principal_name(&self, name: Option<&str>) -> Result<(), SessionDataError> {
        self.live_change(|s| {
            s.record.principal_name = name.map(str::to_owned);
            s.principal_changed = Some(s.next_seq());
        })
    }

    /// The value of attribute `name` as a `T`, or `None` if there is no such attribute.
    ///
    /// Fails with [`SessionDataError::Attribute`] when the stored value does not decode into
    /// `T`. With [`SaveMode::OnGetAttribute`] the attribute is written on the next save.
    pub fn get<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, SessionDataError> {
        let Some(bytes) = self.state().read_attribute(name) else {
            return Ok(None);
        };
        self.decode_attribute(name, &bytes).map(Some)
    }

    /// Attribute `name`'s `bytes` decoded as a `T`.
    fn decode_attribute<T: DeserializeOwned>(
        &self,
        name: &str,
        bytes: &Bytes,
    ) -> Result<T, SessionDataError> {
        decode_value(self.inner.codec.as_ref(), bytes).map_err(|source| {
            SessionDataError::Attribute {
                name: name.to_owned(),
                source,
            }
        })
    }

    /// The value of attribute `name` as a shared `T`, or `None` if there is no such
    /// attribute: as [`SessionData::get`], except that a value decoded from a record the
    /// store keeps (the in-memory store, the local cache of a remote store) is kept beside
    /// that record and handed out again, without decoding, to every later request that
    /// reads the same unchanged value as a `T`. For large values read on most requests (a
    /// basket), this saves the decoding; [`Arc::unwrap_or_clone`] gives a `T` to change.
    ///
    /// Fails with [`SessionDataError::Attribute`] when the stored value does not decode into
    /// `T`. With [`SaveMode::OnGetAttribute`] the attribute is written on the next save.
    ///
    /// ```
    /// use session_core::SessionConfig;
    /// use std::time::SystemTime;
    ///
    /// let session = SessionConfig::default().new_session(SystemTime::now()).unwrap();
    /// session.insert("cart", &vec![1, 2, 3]).unwrap();
    /// let cart = session.get_shared::<Vec<u32>>("cart").unwrap().expect("set");
    /// assert_eq!(*cart, vec![1, 2, 3]);
    /// assert!(session.get_shared::<String>("cart").is_err()); // wrong type: a typed error
    /// ```
    pub fn get_shared<T>(&self, name: &str) -> Result<Option<Arc<T>>, SessionDataError>
    where
        T: DeserializeOwned + Send + Sync + 'static,
    {
        let (bytes, holder) = {
            let mut state = self.state();
            let Some(bytes) = state.read_attribute(name) else {
                return Ok(None);
            };
            let holder = state.attributes.decoded_holder();
            if let Some(value) = state.kept::<T>(name, &bytes, holder.as_deref()) {
                return Ok(Some(value));
            }
            (bytes, holder)
        };
        let value: Arc<T> = Arc::new(self.decode_attribute(name, &bytes)?);
        // The holder's attributes never change while it is shared (a store changing its
        // map in place holds the only reference), so the value matches its bytes.
        if let Some(holder) = holder {
            holder.decoded().put(name, &value);
        }
        Ok(Some(value))
    }

    /// The value of attribute `name` as a `T` of your own, to change, or `None` if there
    /// is no such attribute: a clone of the value kept for it (stored by
    /// [`SessionData::insert_shared`], or decoded by an earlier
    /// [`SessionData::get_shared`] from the record a store keeps), else decoded from its
    /// bytes like [`SessionData::get`] (and not kept). For a value changed on most
    /// requests and stored with `insert_shared`, the next request clones it instead of
    /// decoding it.
    ///
    /// Fails with [`SessionDataError::Attribute`] when the stored value does not decode into
    /// `T`. With [`SaveMode::OnGetAttribute`] the attribute is written on the next save.
    ///
    /// ```
    /// use session_core::SessionConfig;
    /// use std::sync::Arc;
    /// use std::time::SystemTime;
    ///
    /// let session = SessionConfig::default().new_session(SystemTime::now()).unwrap();
    /// session.insert_shared("cart", Arc::new(vec![1, 2])).unwrap();
    /// let mut cart = session.get_cloned::<Vec<u32>>("cart").unwrap().unwrap_or_default();
    /// cart.push(3);
    /// session.insert_shared("cart", Arc::new(cart)).unwrap();
    /// assert_eq!(session.get::<Vec<u32>>("cart").unwrap(), Some(vec![1, 2, 3]));
    /// ```
    pub fn get_cloned<T>(&self, name: &str) -> Result<Option<T>, SessionDataError>
    where
        T: DeserializeOwned + Clone + Send + Sync + 'static,
    {
        let bytes = {
            let mut state = self.state();
            let Some(bytes) = state.read_attribute(name) else {
                return Ok(None);
            };
            let holder = state.attributes.decoded_holder();
            if let Some(value) = state.kept::<T>(name, &bytes, holder.as_deref()) {
                return Ok(Some(T::clone(&value)));
            }
            bytes
        };
        self.decode_attribute(name, &bytes).map(Some)
    }

    /// Sets attribute `name` to `value`, encoded with the session's codec.
    pub fn insert<T: Serialize + ?Sized>(
        &self,
        name: &str,
        value: &T,
    ) -> Result<(), SessionDataError> {
        let bytes = self.encode_attribute(name, value)?;
        self.live_change(|s| s.put_bytes(name, bytes))
    }

    /// `value` encoded with the session's codec, as attribute `name` (checked).
    fn encode_attribute<T: Serialize + ?Sized>(
        &self,
        name: &str,
        value: &T,
    ) -> Result<Bytes, SessionDataError> {
        check_name(name)?;
        encode_value(self.inner.codec.as_ref(), value).map_err(|source| {
            SessionDataError::Attribute {
                name: name.to_owned(),
                source,
            }
        })
    }

    /// Sets attribute `name` to `value`, encoded with the session's codec, and keeps the
    /// value itself: [`SessionData::get_shared`] hands it out, without decoding, in this
    /// request and, once saved, in later ones that read the attribute unchanged from a
    /// store that keeps decoded values (the in-memory store, the local cache of a remote
    /// store). For a value changed on most requests (a basket: read with
    /// [`SessionData::get_cloned`], changed, stored back with `insert_shared`), the next
    /// request then clones it instead of decoding it.
    ///
    /// Readers then get this value rather than one decoded from its bytes: use it for
    /// types that decode back into an equal value (not, say, with fields the encoding
    /// skips). A store that keeps nothing says so
    /// ([`SessionConfig::with_values_kept`]): then this is [`SessionData::insert`], and
    /// the value is dropped at once (held to the end of the request for nobody, a 16-item
    /// basket cost about 3,000 more instructions per request, measured).
    ///
    /// ```
    /// use session_core::SessionConfig;
    /// use std::sync::Arc;
    /// use std::time::SystemTime;
    ///
    /// let session = SessionConfig::default().new_session(SystemTime::now()).unwrap();
    /// let cart = Arc::new(vec![1, 2, 3]);
    /// session.insert_shared("cart", Arc::clone(&cart)).unwrap();
    /// let read = session.get_shared::<Vec<u32>>("cart").unwrap().expect("set");
    /// assert!(Arc::ptr_eq(&cart, &read)); // not decoded
    /// assert_eq!(session.get::<Vec<u32>>("cart").unwrap(), Some(vec![1, 2, 3]));
    /// ```
    pub fn insert_shared<T>(&self, name: &str, value: Arc<T>) -> Result<(), SessionDataError>
    where
        T: Serialize + Send + Sync + 'static,
    {
        if !self.inner.values_kept {
            return self.insert(name, &*value);
        }
        let bytes = self.encode_attribute(name, &*value)?;
        let fresh = FreshValue::new(name, value, bytes.clone());
        self.live_change(|s| {
            s.put_bytes(name, bytes);
            s.fresh.push(fresh);
        })
    }

    /// Sets attribute `name` to already encoded bytes (for repositories and codecs that
    /// move values between stores; the bytes must be in the session's codec's format).
    pub fn insert_bytes(&self, name: &str, bytes: Bytes) -> Result<(), SessionDataError> {
        check_name(name)?;
        self.live_change(|s| s.put_bytes(name, bytes))
    }

    /// Removes attribute `name`; returns whether it was present. The removal is written on
    /// the next save even if the attribute was not present here (another request may have
    /// added it).
    pub fn remove(&self, name: &str) -> Result<bool, SessionDataError> {
        self.live_change(|s| {
            let seq = s.next_seq();
            let was_present =
                s.attributes.contains_key(name) && s.attributes_mut().remove(name).is_some();
            s.upserted.remove(name);
            s.read.remove(name);
            s.fresh.retain(|f| &*f.name != name);
            s.removed.insert(name.to_owned(), seq);
            was_present
        })
    }

    /// The encoded bytes of attribute `name` (no read is recorded).
    pub fn attribute_bytes(&self, name: &str) -> Option<Bytes> {
        self.state().attributes.get(name).cloned()
    }

    /// Whether attribute `name` exists.
    pub fn contains(&self, name: &str) -> bool {
        self.state().attributes.contains_key(name)
    }

    /// The attribute names, in sorted order.
    pub fn attribute_names(&self) -> Vec<String> {
        self.state().attributes.keys().cloned().collect()
    }

    /// Gives the session a new id (protection against session fixation, e.g. on login) and
    /// returns it. The next save stores the session under the new id and removes the old
    /// one.
    pub fn change_id(&self) -> Result<String, SessionDataError> {
        if self.is_invalidated() {
            return Err(SessionDataError::Invalidated);
        }
        let new_id = self.inner.id_generator.generate()?;
        self.live_change(|s| {
            let previous = std::mem::replace(&mut s.record.id, new_id.clone());
            if s.renamed_from.is_none() {
                s.renamed_from = Some(previous);
            }
        })?;
        Ok(new_id)
    }

    /// Invalidates the session (logout): its attributes and principal are dropped here, and
    /// the next save deletes it from the store. Further changes fail with
    /// [`SessionDataError::Invalidated`].
    pub fn invalidate(&self) {
        self.change(|s| {
            s.invalidated = true;
            s.attributes = SharedAttributes::Owned(Attributes::new());
            s.fresh.clear();
            s.record.principal_name = None;
            s.next_seq();
        });
    }

    /// The pending change when it is only a newer last-accessed time (the usual request
    /// that reads its session, or reads nothing): `None` when anything else changed, or
    /// nothing did. A repository can store such a touch without building a
    /// [`SessionDelta`] (which copies the record), or skip it (see [`Touch`]), and then
    /// calls [`SessionData::mark_touched`].
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use session_core::{SessionConfig, SessionRecord};
    ///
    /// let then = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
    /// let s = SessionConfig::default().load_session(SessionRecord::new("id", then, None));
    /// assert!(s.pending_touch().is_none());
    /// s.set_last_accessed_time(then + Duration::from_secs(5));
    /// let touch = s.pending_touch().unwrap();
    /// assert_eq!(touch.moved(), Duration::from_secs(5));
    /// s.mark_touched(&touch, true);
    /// assert!(!s.has_changes());
    /// ```
    pub fn pending_touch(&self) -> Option<Touch> {
        let s = self.state();
        let seq = s.last_accessed_time_changed?;
        let only_touch = !s.is_new
            && !s.invalidated
            && !s.id_changed()
            && s.upserted.is_empty()
            && s.removed.is_empty()
            && s.read.is_empty()
            && s.principal_changed.is_none()
            && s.max_inactive_interval_changed.is_none()
            && (s.save_mode != SaveMode::Always || s.attributes.is_empty());
        only_touch.then_some(Touch {
            from: s.stored_last_accessed_time,
            to: s.record.last_accessed_time,
            max_inactive_interval: s.record.max_inactive_interval,
            seq,
        })
    }

    /// Records that `touch` was handled: `written` when the store now has its time (a
    /// later touch is measured from there), `false` when the repository skipped it.
    /// Changes made after [`SessionData::pending_touch`] stay pending.
    pub fn mark_touched(&self, touch: &Touch, written: bool) {
        let mut s = self.state();
        if s.last_accessed_time_changed
            .is_some_and(|seq| seq <= touch.seq)
        {
            s.last_accessed_time_changed = None;
        }
        if written && touch.to > s.stored_last_accessed_time {
            s.stored_last_accessed_time = touch.to;
        }
    }

    /// Whether a save has anything to write.
    pub fn has_changes(&self) -> bool {
        let s = self.state();
        s.is_new
            || s.invalidated
            || s.id_changed()
            || !s.upserted.is_empty()
            || !s.removed.is_empty()
            || !s.read.is_empty()
            || s.principal_changed.is_some()
            || s.max_inactive_interval_changed.is_some()
            || s.last_accessed_time_changed.is_some()
            || (s.save_mode == SaveMode::Always && !s.attributes.is_empty())
    }

    /// The flush mode of the repository that made this session.
    pub fn flush_mode(&self) -> FlushMode {
        self.inner.flush_mode
    }

    /// The save mode (from the repository's configuration unless overridden).
    pub fn save_mode(&self) -> SaveMode {
        self.state().save_mode
    }

    /// Overrides the save mode for this session.
    pub fn set_save_mode(&self, mode: SaveMode) {
        self.state().save_mode = mode;
    }

    /// The attribute codec.
    pub fn codec(&self) -> &Arc<dyn AttributeCodec> {
        &self.inner.codec
    }

    /// A counter that grows on every change; watch it to save after each change
    /// ([`FlushMode::Immediate`]) or to tell whether a handler modified the session.
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    /// A receiver that is notified on every change (see [`SessionData::generation`]).
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.inner
            .watchers
            .get_or_init(|| watch::Sender::new(self.generation()))
            .subscribe()
    }

    /// The full current state, without change tracking.
    pub fn snapshot(&self) -> SessionRecord {
        self.state().full_record()
    }

    /// What the next save must write (see [`SessionDelta`]). Does not clear anything: call
    /// [`SessionData::mark_saved`] once the write succeeded.
    pub fn delta(&self) -> SessionDelta {
        let s = self.state();
        let upserted: Vec<String> = if s.is_new || s.save_mode == SaveMode::Always {
            s.attributes.keys().cloned().collect()
        } else {
            let mut names: Vec<String> = s.upserted.keys().cloned().collect();
            names.extend(
                s.read
                    .keys()
                    .filter(|n| !s.upserted.contains_key(*n) && s.attributes.contains_key(*n))
                    .cloned(),
            );
            names
        };
        SessionDelta {
            record: s.full_record(),
            original_id: s.original_id().to_owned(),
            is_new: s.is_new,
            invalidated: s.invalidated,
            upserted,
            removed: s.removed.keys().cloned().collect(),
            principal_changed: s.principal_changed.is_some(),
            max_inactive_interval_changed: s.max_inactive_interval_changed.is_some(),
            last_accessed_time_changed: s.last_accessed_time_changed.is_some(),
            seq: s.seq,
            fresh: s.fresh.clone(),
        }
    }

    /// The pending save of a stored session that keeps its id and is not invalidated, with
    /// the session locked until [`InPlaceSave::mark_saved`] (or the guard is dropped): an
    /// in-process repository applies it to its stored record without copying the session's
    /// record into a [`SessionDelta`]. `None` for a new, invalidated or renamed session.
    pub(crate) fn in_place_save(&self) -> Option<InPlaceSave<'_>> {
        let state = self.state();
        (!state.is_new && !state.invalidated && !state.id_changed())
            .then_some(InPlaceSave { state })
    }

    /// Records that `delta` was written: the session now counts as stored under
    /// `delta.record.id`, and the changes it contained are cleared. Changes made after the
    /// delta was taken stay pending.
    pub fn mark_saved(&self, delta: &SessionDelta) {
        let mut guard = self.state();
        let s = &mut *guard;
        let done = delta.seq;
        s.upserted.retain(|_, seq| *seq > done);
        s.removed.retain(|_, seq| *seq > done);
        s.read.retain(|_, seq| *seq > done);
        // Handed to the store by this save, unless set again since.
        let upserted = &s.upserted;
        s.fresh.retain(|f| upserted.contains_key(&*f.name));
        for flag in [
            &mut s.principal_changed,
            &mut s.max_inactive_interval_changed,
            &mut s.last_accessed_time_changed,
        ] {
            if flag.is_some_and(|seq| seq <= done) {
                *flag = None;
            }
        }
        if !delta.invalidated {
            // A new or renamed session is written whole; a stored one gets its last access
            // time when it moved (and never moves back: see `SessionDelta::apply_to`).
            let wrote_time = delta.is_new || delta.id_changed() || delta.last_accessed_time_changed;
            if wrote_time && delta.record.last_accessed_time > s.stored_last_accessed_time {
                s.stored_last_accessed_time = delta.record.last_accessed_time;
            }
            s.is_new = false;
            // Now stored under the delta's id.
            s.renamed_from = (s.record.id != delta.record.id).then(|| delta.record.id.clone());
        }
    }

    /// Records that a save of `delta` wrote nothing because the store already held the
    /// same record (its last access time aside, which the store keeps as it was): the
    /// changes are cleared as by [`SessionData::mark_saved`], and
    /// [`SessionData::stored_last_accessed_time`] stays where it was.
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use session_core::{SessionConfig, SessionRecord};
    ///
    /// let then = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
    /// let s = SessionConfig::default().load_session(SessionRecord::new("id", then, None));
    /// s.set_last_accessed_time(then + Duration::from_secs(5));
    /// s.insert("n", &1)?;
    /// let delta = s.delta();
    /// s.mark_saved_unchanged(&delta);
    /// assert!(!s.has_changes());
    /// assert_eq!(s.stored_last_accessed_time(), then);
    /// s.mark_saved(&delta);
    /// assert_eq!(s.stored_last_accessed_time(), then + Duration::from_secs(5));
    /// # Ok::<(), session_core::SessionDataError>(())
    /// ```
    pub fn mark_saved_unchanged(&self, delta: &SessionDelta) {
        let stored = self.state().stored_last_accessed_time;
        self.mark_saved(delta);
        self.state().stored_last_accessed_time = stored;
    }

    /// The last access time of this session's record in the store, as far as this process
    /// knows: as loaded, or as last written by a save (a save that wrote nothing leaves it).
    /// The request lifecycle hands it to the client as the read-your-writes cookie (see
    /// [`SessionRepository::may_serve_stale`](crate::SessionRepository::may_serve_stale)).
    pub fn stored_last_accessed_time(&self) -> SystemTime {
        self.state().stored_last_accessed_time
    }
}

/// A locked session's pending save, applied in place ([`SessionData::in_place_save`]).
pub(crate) struct InPlaceSave<'a> {
    state: MutexGuard<'a, State>,
}

impl InPlaceSave<'_> {
    /// The id the session is stored under (unchanged by this save).
    pub(crate) fn id(&self) -> &str {
        self.state.original_id()
    }

    /// Whether the principal name changed.
    pub(crate) fn principal_changed(&self) -> bool {
        self.state.principal_changed.is_some()
    }

    /// Whether there is anything to write (as [`SessionDelta::is_empty`] of its delta).
    pub(crate) fn has_changes(&self) -> bool {
        let s = &*self.state;
        !s.upserted.is_empty()
            || !s.removed.is_empty()
            || s.read.keys().any(|n| s.attributes.contains_key(n))
            || s.principal_changed.is_some()
            || s.max_inactive_interval_changed.is_some()
            || s.last_accessed_time_changed.is_some()
            || (s.save_mode == SaveMode::Always && !s.attributes.is_empty())
    }

    /// Applies the pending changes to the stored record, exactly as
    /// [`SessionDelta::apply_to`] applies the session's delta.
    pub(crate) fn apply_to(&self, stored: &mut SessionRecord) {
        let s = &*self.state;
        for name in s.removed.keys() {
            stored.attributes.remove(name);
        }
        let mut write = |name: &String| {
            if let Some(value) = s.attributes.get(name) {
                put_attribute(&mut stored.attributes, name, value);
            }
        };
        if s.save_mode == SaveMode::Always {
            s.attributes.keys().for_each(&mut write);
        } else {
            s.upserted.keys().for_each(&mut write);
            s.read
                .keys()
                .filter(|n| !s.upserted.contains_key(*n))
                .for_each(&mut write);
        }
        if s.principal_changed.is_some() {
            stored.principal_name.clone_from(&s.record.principal_name);
        }
        if s.max_inactive_interval_changed.is_some() {
            stored.max_inactive_interval = s.record.max_inactive_interval;
        }
        if s.last_accessed_time_changed.is_some() {
            stored.last_accessed_time = stored.last_accessed_time.max(s.record.last_accessed_time);
        }
    }

    /// Hands the values of [`SessionData::insert_shared`] to `decoded`, the values the
    /// store keeps beside `stored`, its attributes after this save (see
    /// [`SessionDelta::seed_decoded`]).
    pub(crate) fn seed_decoded(&self, stored: &Attributes, decoded: &DecodedValues) {
        seed(&self.state.fresh, stored, decoded);
    }

    /// Records that the save was written (every pending change: the session stayed locked).
    pub(crate) fn mark_saved(mut self) {
        let s = &mut *self.state;
        s.fresh.clear();
        s.upserted.clear();
        s.removed.clear();
        s.read.clear();
        s.principal_changed = None;
        s.max_inactive_interval_changed = None;
        if s.last_accessed_time_changed.take().is_some()
            && s.record.last_accessed_time > s.stored_last_accessed_time
        {
            s.stored_last_accessed_time = s.record.last_accessed_time;
        }
    }
}

/// Sets `name` to `value` in `attributes`, allocating the name only when it is new.
pub(crate) fn put_attribute(attributes: &mut BTreeMap<String, Bytes>, name: &str, value: &Bytes) {
    match attributes.get_mut(name) {
        Some(slot) => slot.clone_from(value),
        None => {
            attributes.insert(name.to_owned(), value.clone());
        }
    }
}

/// A pending save that only moves the last-accessed time ([`SessionData::pending_touch`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Touch {
    /// The last-accessed time as loaded (or last written).
    pub from: SystemTime,
    /// The new last-accessed time.
    pub to: SystemTime,
    /// The session's max inactive interval.
    pub max_inactive_interval: Option<Duration>,
    seq: u64,
}

impl Touch {
    /// How far the last access moved (zero if backwards).
    pub fn moved(&self) -> Duration {
        self.to.duration_since(self.from).unwrap_or_default()
    }

    /// Whether a store that writes a touch only once the last access moved by at least
    /// `fraction` of the max inactive interval may skip this one: it moved less, or not at
    /// all. Without an interval every move counts.
    pub fn within(&self, fraction: f64) -> bool {
        let moved = self.moved();
        let threshold = self
            .max_inactive_interval
            .map_or(Duration::ZERO, |i| i.mul_f64(fraction));
        moved.is_zero() || moved < threshold
    }
}

fn check_name(name: &str) -> Result<(), SessionDataError> {
    if name.is_empty() || name.len() > MAX_ATTRIBUTE_NAME_LEN {
        Err(SessionDataError::InvalidAttributeName {
            max: MAX_ATTRIBUTE_NAME_LEN,
        })
    } else {
        Ok(())
    }
}

impl fmt::Debug for SessionData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.state();
        f.debug_struct("SessionData")
            .field("record", &s.record)
            .field("attribute_names", &s.attributes.keys().collect::<Vec<_>>())
            .field("is_new", &s.is_new)
            .field("invalidated", &s.invalidated)
            .field("save_mode", &s.save_mode)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::PostcardCodec;

    fn new_session() -> SessionData {
        SessionConfig::default()
            .new_session(SystemTime::now())
            .unwrap()
    }

    fn loaded(config: &SessionConfig) -> SessionData {
        let mut record = SessionRecord::new("stored-id", SystemTime::now(), None);
        for (k, v) in [("a", 1), ("b", 2)] {
            record
                .attributes
                .insert(k.into(), encode_value(config.codec().as_ref(), &v).unwrap());
        }
        config.load_session(record)
    }

    /// A session reading a kept record's attributes behaves exactly as one loaded from a
    /// copy of the record, in every save mode, and never changes the kept record.
    #[test]
    fn a_session_sharing_a_kept_record_acts_as_one_of_a_copy() {
        for mode in [
            SaveMode::OnSetAttribute,
            SaveMode::OnGetAttribute,
            SaveMode::Always,
        ] {
            let config = SessionConfig::default().with_save_mode(mode);
            let mut record = SessionRecord::new("stored-id", SystemTime::now(), None);
            record.principal_name = Some("alice".into());
            for (k, v) in [("a", 1), ("b", 2), ("c", 3)] {
                record
                    .attributes
                    .insert(k.into(), encode_value(config.codec().as_ref(), &v).unwrap());
            }
            let kept = Arc::new(Kept(record.clone(), DecodedValues::default()));
            let shared = config.load_session_shared(Arc::clone(&kept));
            let copied = config.load_session(record.clone());
            let later = record.last_accessed_time + Duration::from_secs(5);
            for s in [&shared, &copied] {
                assert_eq!(s.get::<i32>("a").unwrap(), Some(1));
                s.set_last_accessed_time(later);
            }
            assert_eq!(shared.snapshot(), copied.snapshot());
            assert_eq!(shared.has_changes(), copied.has_changes());
            assert_eq!(
                shared.pending_touch().is_some(),
                copied.pending_touch().is_some()
            );
            let (d1, d2) = (shared.delta(), copied.delta());
            assert_eq!(
                (&d1.record, &d1.upserted, &d1.removed),
                (&d2.record, &d2.upserted, &d2.removed)
            );
            for s in [&shared, &copied] {
                s.insert("b", &20).unwrap();
                assert!(s.remove("c").unwrap());
                s.insert("d", &4).unwrap();
            }
            let (d1, d2) = (shared.delta(), copied.delta());
            assert_eq!(d1.record, d2.record);
            assert_eq!((d1.upserted, d1.removed), (d2.upserted, d2.removed));
            assert_eq!(kept.0, record, "the kept record is never changed");
            let invalidated = config.load_session_shared(Arc::clone(&kept));
            invalidated.invalidate();
            assert_eq!(invalidated.attribute_names(), Vec::<String>::new());
            assert_eq!(kept.0.attributes.len(), 3);
        }
    }

    /// A record kept the way a store keeps it: with the values decoded from it.
    struct Kept(SessionRecord, DecodedValues);

    impl AsRef<SessionRecord> for Kept {
        fn as_ref(&self) -> &SessionRecord {
            &self.0
        }
    }

    impl AsRef<DecodedValues> for Kept {
        fn as_ref(&self) -> &DecodedValues {
            &self.1
        }
    }

    #[test]
    fn session_is_send_sync_and_shared_between_clones() {
        fn assert_send_sync<T: Send + Sync + 'static>() {}
        assert_send_sync::<SessionData>();
        let s = new_session();
        let c = s.clone();
        c.insert("x", "y").unwrap();
        assert_eq!(s.get::<String>("x").unwrap().as_deref(), Some("y"));
    }

    #[test]
    fn new_session_delta_writes_everything() {
        let s = new_session();
        assert!(s.is_new());
        assert_eq!(s.id(), s.original_id());
        s.insert("a", &1).unwrap();
        s.insert("b", &2).unwrap();
        let d = s.delta();
        assert!(d.is_new);
        assert_eq!(d.upserted, ["a", "b"]);
        s.mark_saved(&d);
        assert!(!s.is_new());
        assert!(!s.has_changes());
        assert!(s.delta().is_empty());
    }

    #[test]
    fn loaded_session_tracks_only_changes() {
        let config = SessionConfig::default();
        let s = loaded(&config);
        assert!(!s.has_changes());
        assert_eq!(s.get::<i32>("a").unwrap(), Some(1));
        assert!(
            !s.has_changes(),
            "a read is not a change with OnSetAttribute"
        );
        s.insert("c", &3).unwrap();
        assert!(s.remove("b").unwrap());
        assert!(!s.remove("zzz").unwrap());
        let d = s.delta();
        assert_eq!(d.upserted, ["c"]);
        assert_eq!(d.removed, ["b", "zzz"]);
        assert!(!d.principal_changed && !d.last_accessed_time_changed);
    }

    #[test]
    fn save_modes_choose_what_is_written() {
        let config = SessionConfig::default().with_save_mode(SaveMode::OnGetAttribute);
        let s = loaded(&config);
        s.get::<i32>("a").unwrap();
        s.get::<i32>("missing").unwrap();
        assert_eq!(s.delta().upserted, ["a"]);
        let s = loaded(&config.clone().with_save_mode(SaveMode::Always));
        assert!(s.has_changes());
        assert_eq!(s.delta().upserted, ["a", "b"]);
    }

    #[test]
    fn a_touch_alone_is_a_pending_touch_and_anything_else_is_not() {
        let config = SessionConfig::default();
        let s = loaded(&config);
        let loaded_at = s.last_accessed_time();
        assert_eq!(s.pending_touch(), None, "nothing pending");
        let later = loaded_at + Duration::from_secs(7);
        s.set_last_accessed_time(later);
        let touch = s.pending_touch().expect("only the last access moved");
        assert_eq!((touch.from, touch.to), (loaded_at, later));
        assert_eq!(touch.moved(), Duration::from_secs(7));
        // A change made after the touch was taken stays pending.
        s.set_last_accessed_time(later + Duration::from_secs(1));
        s.mark_touched(&touch, true);
        let next = s
            .pending_touch()
            .expect("the second touch is still pending");
        assert_eq!(next.from, later, "measured from the written time");
        s.mark_touched(&next, false);
        assert!(!s.has_changes());
        // Skipped: the next touch is still measured from the last written time.
        s.set_last_accessed_time(later + Duration::from_secs(2));
        assert_eq!(s.pending_touch().map(|t| t.from), Some(later));
        // Any other change makes it a full save.
        s.get::<i32>("a").unwrap();
        s.insert("b", &3).unwrap();
        assert_eq!(s.pending_touch(), None);
        let fresh = new_session();
        fresh.set_last_accessed_time(SystemTime::now() + Duration::from_secs(1));
        assert_eq!(fresh.pending_touch(), None, "a new session is saved whole");
        let read = config.clone().with_save_mode(SaveMode::OnGetAttribute);
        let r = loaded(&read);
        r.set_last_accessed_time(SystemTime::now() + Duration::from_secs(1));
        r.get::<i32>("a").unwrap();
        assert_eq!(r.pending_touch(), None, "a read attribute is written back");
    }

    #[test]
    fn a_touch_is_skippable_below_the_fraction_of_the_interval() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let touch = |moved: u64, interval: Option<u64>| Touch {
            from: t0,
            to: t0 + Duration::from_secs(moved),
            max_inactive_interval: interval.map(Duration::from_secs),
            seq: 1,
        };
        assert!(touch(0, Some(1800)).within(0.1));
        assert!(touch(179, Some(1800)).within(0.1));
        assert!(!touch(180, Some(1800)).within(0.1));
        assert!(
            !touch(1, None).within(0.1),
            "no interval: every move is written"
        );
        assert!(touch(0, None).within(0.1));
        let backwards = Touch {
            to: t0 - Duration::from_secs(5),
            ..touch(0, Some(1800))
        };
        assert_eq!(backwards.moved(), Duration::ZERO);
    }

    #[test]
    fn changes_are_watched_only_once_asked_for() {
        let s = loaded(&SessionConfig::default());
        s.insert("x", &1).unwrap();
        assert!(s.inner.watchers.get().is_none(), "no channel until watched");
        let g = s.generation();
        let mut rx = s.changes();
        assert_eq!(*rx.borrow_and_update(), g);
        s.insert("x", &2).unwrap();
        assert!(rx.has_changed().unwrap());
        assert_eq!(*rx.borrow_and_update(), g + 1);
    }

    #[test]
    fn changes_after_a_delta_survive_mark_saved() {
        let s = loaded(&SessionConfig::default());
        s.insert("a", &10).unwrap();
        let d = s.delta();
        s.insert("a", &11).unwrap();
        s.set_principal_name(Some("alice")).unwrap();
        s.mark_saved(&d);
        let d2 = s.delta();
        assert_eq!(d2.upserted, ["a"]);
        assert!(d2.principal_changed);
    }

    #[test]
    fn change_id_keeps_original_until_saved() {
        let s = loaded(&SessionConfig::default());
        let g = s.generation();
        let new_id = s.change_id().unwrap();
        assert!(s.generation() > g);
        assert_ne!(new_id, "stored-id");
        assert_eq!(s.original_id(), "stored-id");
        let d = s.delta();
        assert!(d.id_changed());
        s.mark_saved(&d);
        assert_eq!(s.original_id(), new_id);
        assert!(!s.delta().id_changed());
    }

    #[test]
    fn invalidated_session_reads_empty_and_refuses_changes() {
        let s = loaded(&SessionConfig::default());
        s.invalidate();
        assert!(s.is_invalidated());
        assert_eq!(s.get::<i32>("a").unwrap(), None);
        assert!(matches!(
            s.insert("a", &1),
            Err(SessionDataError::Invalidated)
        ));
        assert!(matches!(s.change_id(), Err(SessionDataError::Invalidated)));
        assert!(s.delta().invalidated);
    }

    #[test]
    fn bad_values_and_names_are_typed_errors() {
        let s = new_session();
        s.insert("n", "text").unwrap();
        assert!(matches!(
            s.get::<u64>("n"),
            Err(SessionDataError::Attribute { ref name, .. }) if name == "n"
        ));
        assert!(matches!(
            s.insert("", &1),
            Err(SessionDataError::InvalidAttributeName { .. })
        ));
        let long = "x".repeat(MAX_ATTRIBUTE_NAME_LEN + 1);
        assert!(s.insert(&long, &1).is_err());
        // A map with non-string keys cannot be JSON: encoding error, not a panic.
        let mut m = std::collections::HashMap::new();
        m.insert((1, 2), 3);
        assert!(matches!(
            s.insert("m", &m),
            Err(SessionDataError::Attribute { .. })
        ));
    }

    #[test]
    fn postcard_sessions_round_trip() {
        let config = SessionConfig::default().with_codec(PostcardCodec);
        let s = config.new_session(SystemTime::now()).unwrap();
        s.insert("v", &(1u8, "two".to_string())).unwrap();
        assert_eq!(
            s.get::<(u8, String)>("v").unwrap(),
            Some((1, "two".to_string()))
        );
    }

    #[test]
    fn expiry_follows_springs_rule() {
        let now = SystemTime::now();
        let s = new_session();
        s.set_last_accessed_time(now);
        s.set_max_inactive_interval(Some(Duration::from_secs(10)));
        assert!(!s.is_expired(now + Duration::from_secs(9)));
        assert!(s.is_expired(now + Duration::from_secs(10)));
        s.set_max_inactive_interval(None);
        assert!(!s.is_expired(now + Duration::from_secs(1_000_000)));
        s.set_max_inactive_interval(Some(Duration::MAX));
        assert!(!s.is_expired(now + Duration::from_secs(1_000_000)));
    }

    #[tokio::test]
    async fn watchers_are_told_of_every_change() {
        let s = new_session();
        let mut changes = s.changes();
        let before = *changes.borrow_and_update();
        s.insert("a", &1).unwrap();
        changes.changed().await.unwrap();
        let after_insert = *changes.borrow_and_update();
        assert!(after_insert > before);
        s.get::<i32>("a").unwrap();
        assert!(!changes.has_changed().unwrap(), "a read is not a change");
        s.remove("a").unwrap();
        assert!(changes.has_changed().unwrap());
        changes.borrow_and_update();
        s.invalidate();
        assert!(changes.has_changed().unwrap());
        assert_eq!(s.generation(), *changes.borrow());
    }

    #[test]
    fn debug_output_hides_id_and_values() {
        let s = new_session();
        s.insert("secret", "hunter2").unwrap();
        let text = format!("{s:?}");
        assert!(!text.contains(&s.id()));
        assert!(!text.contains("hunter2"));
    }
}
