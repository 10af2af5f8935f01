//! Plain session data as a repository stores it, and the delta a save writes.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime};

use bytes::Bytes;

/// Everything a repository stores about one session: plain data, no change tracking.
///
/// Attribute values are the bytes of the session's [`AttributeCodec`](crate::AttributeCodec).
/// `Debug` output never shows the id or attribute values.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// The session id.
    pub id: String,
    /// When the session was created.
    pub creation_time: SystemTime,
    /// When the session was last accessed (expiry counts from here).
    pub last_accessed_time: SystemTime,
    /// How long the session may stay unused; `None` = never expires.
    pub max_inactive_interval: Option<Duration>,
    /// The name of the logged-in user, if any (indexed for principal lookups).
    pub principal_name: Option<String>,
    /// Attribute values by name, encoded by the session's codec.
    pub attributes: BTreeMap<String, Bytes>,
}

impl SessionRecord {
    /// A record with no attributes, created and last accessed at `now`.
    pub fn new(
        id: impl Into<String>,
        now: SystemTime,
        max_inactive_interval: Option<Duration>,
    ) -> Self {
        Self {
            id: id.into(),
            creation_time: now,
            last_accessed_time: now,
            max_inactive_interval,
            principal_name: None,
            attributes: BTreeMap::new(),
        }
    }

    /// The instant from which the session counts as expired, if it can expire.
    ///
    /// An interval too large to add to the last access time means "never".
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.max_inactive_interval
            .and_then(|mii| self.last_accessed_time.checked_add(mii))
    }

    /// Whether the session is expired at `now`: `now >= last_accessed_time +
    /// max_inactive_interval` (Spring's rule).
    pub fn is_expired(&self, now: SystemTime) -> bool {
        self.expires_at().is_some_and(|at| now >= at)
    }
}

impl AsRef<SessionRecord> for SessionRecord {
    fn as_ref(&self) -> &SessionRecord {
        self
    }
}

impl fmt::Debug for SessionRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionRecord")
            .field("id", &"<redacted>")
            .field("creation_time", &self.creation_time)
            .field("last_accessed_time", &self.last_accessed_time)
            .field("max_inactive_interval", &self.max_inactive_interval)
            .field("has_principal", &self.principal_name.is_some())
            .field(
                "attribute_names",
                &self.attributes.keys().collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// What one save of a session must write: the full current state plus what changed since
/// the last successful save.
///
/// Made by [`SessionData::delta`](crate::SessionData::delta). A repository writes it (for an
/// existing session: [`SessionDelta::apply_to`] the stored record, so concurrent changes
/// to other attributes survive), then calls
/// [`SessionData::mark_saved`](crate::SessionData::mark_saved) (or, when it found nothing
/// to write, [`SessionData::mark_saved_unchanged`](crate::SessionData::mark_saved_unchanged)).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SessionDelta {
    /// The session's full current state (attribute bytes are shared, not copied).
    pub record: SessionRecord,
    /// The id the session is stored under (equal to `record.id` unless the id changed).
    /// For a new session: the id it was created with.
    pub original_id: String,
    /// The session was never saved: the whole record is to be created.
    pub is_new: bool,
    /// The session was invalidated: it is to be deleted (if it was ever saved).
    pub invalidated: bool,
    /// Names of attributes to write, with their values in `record.attributes`; depends on
    /// the [`SaveMode`](crate::SaveMode). For a new session: every attribute.
    pub upserted: Vec<String>,
    /// Names of attributes to remove from the stored record.
    pub removed: Vec<String>,
    /// The principal name changed.
    pub principal_changed: bool,
    /// The max inactive interval changed.
    pub max_inactive_interval_changed: bool,
    /// The last accessed time changed.
    pub last_accessed_time_changed: bool,
    pub(crate) seq: u64,
    /// Values of [`SessionData::insert_shared`](crate::SessionData::insert_shared) calls,
    /// for [`SessionDelta::seed_decoded`].
    pub(crate) fresh: Vec<crate::decoded::FreshValue>,
}

impl SessionDelta {
    /// Whether the session's id changed since it was stored (a stored, not new, session).
    pub fn id_changed(&self) -> bool {
        !self.is_new && self.record.id != self.original_id
    }

    /// For a store that keeps decoded values beside the records it keeps
    /// ([`SessionConfig::load_session_shared`](crate::SessionConfig::load_session_shared)):
    /// hands the values this save's session got through
    /// [`SessionData::insert_shared`](crate::SessionData::insert_shared) to `decoded`, the
    /// (new, empty) decoded values of the record the store keeps after the save, whose
    /// attributes are `stored`. A value is kept only for an attribute `stored` holds with
    /// the bytes the value was encoded to, so the next request reading it unchanged gets
    /// it without decoding.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::SystemTime;
    /// use session_core::{DecodedValues, SessionConfig};
    ///
    /// let config = SessionConfig::default();
    /// let session = config.new_session(SystemTime::now()).unwrap();
    /// session.insert_shared("cart", Arc::new(vec![1, 2, 3])).unwrap();
    /// let delta = session.delta();
    /// let stored = delta.record.clone();
    /// let decoded = DecodedValues::default();
    /// delta.seed_decoded(&stored.attributes, &decoded);
    /// assert_eq!(decoded.len(), 1);
    /// ```
    pub fn seed_decoded(
        &self,
        stored: &std::collections::BTreeMap<String, bytes::Bytes>,
        decoded: &crate::DecodedValues,
    ) {
        crate::decoded::seed(&self.fresh, stored, decoded);
    }

    /// Whether a save has nothing to write.
    pub fn is_empty(&self) -> bool {
        !self.is_new
            && !self.invalidated
            && !self.id_changed()
            && self.upserted.is_empty()
            && self.removed.is_empty()
            && !self.principal_changed
            && !self.max_inactive_interval_changed
            && !self.last_accessed_time_changed
    }

    /// Applies this delta to a stored record: writes the upserted attributes, removes the
    /// removed ones, copies the changed metadata and the (possibly changed) id; the last
    /// accessed time only ever moves forward. Attributes
    /// the delta does not name keep their stored value, so concurrent saves of different
    /// attributes all survive.
    pub fn apply_to(&self, stored: &mut SessionRecord) {
        stored.id.clone_from(&self.record.id);
        for name in &self.removed {
            stored.attributes.remove(name);
        }
        for name in &self.upserted {
            if let Some(value) = self.record.attributes.get(name) {
                crate::session::put_attribute(&mut stored.attributes, name, value);
            }
        }
        if self.principal_changed {
            stored
                .principal_name
                .clone_from(&self.record.principal_name);
        }
        if self.max_inactive_interval_changed {
            stored.max_inactive_interval = self.record.max_inactive_interval;
        }
        if self.last_accessed_time_changed {
            // Never move the last access backwards: of two concurrent requests the later
            // access wins whichever saves last.
            stored.last_accessed_time = stored
                .last_accessed_time
                .max(self.record.last_accessed_time);
        }
    }
}
