//! Settings shared by a repository and the sessions it hands out.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::codec::{AttributeCodec, JsonCodec};
use crate::error::IdGenerationError;
use crate::id::{RandomIdGenerator, SessionIdGenerator};
use crate::modes::{FlushMode, SaveMode};
use crate::record::SessionRecord;
use crate::session::SessionData;

/// Spring Session's default max inactive interval: 30 minutes.
pub const DEFAULT_MAX_INACTIVE_INTERVAL: Duration = Duration::from_secs(30 * 60);

/// How a repository makes sessions: default max inactive interval, flush and save modes,
/// attribute codec and id generator.
///
/// Cheap to clone. Custom repositories use [`SessionConfig::new_session`] and
/// [`SessionConfig::load_session`] to build [`SessionData`]s.
///
/// ```
/// use std::time::Duration;
/// use session_core::{PostcardCodec, SaveMode, SessionConfig};
///
/// let config = SessionConfig::default()
///     .with_max_inactive_interval(Some(Duration::from_secs(600)))
///     .with_save_mode(SaveMode::Always)
///     .with_codec(PostcardCodec);
/// assert_eq!(config.save_mode(), SaveMode::Always);
/// ```
#[derive(Clone)]
pub struct SessionConfig {
    max_inactive_interval: Option<Duration>,
    flush_mode: FlushMode,
    save_mode: SaveMode,
    codec: Arc<dyn AttributeCodec>,
    codec_chosen: bool,
    id_generator: Arc<dyn SessionIdGenerator>,
    values_kept: bool,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            max_inactive_interval: Some(DEFAULT_MAX_INACTIVE_INTERVAL),
            flush_mode: FlushMode::default(),
            save_mode: SaveMode::default(),
            codec: Arc::new(JsonCodec),
            codec_chosen: false,
            id_generator: Arc::new(RandomIdGenerator::default()),
            values_kept: true,
        }
    }
}

impl fmt::Debug for SessionConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionConfig")
            .field("max_inactive_interval", &self.max_inactive_interval)
            .field("flush_mode", &self.flush_mode)
            .field("save_mode", &self.save_mode)
            .field("codec", &self.codec.name())
            .field("codec_chosen", &self.codec_chosen)
            .field("id_generator", &self.id_generator)
            .field("values_kept", &self.values_kept)
            .finish()
    }
}

impl SessionConfig {
    /// The defaults: 30 minutes max inactive interval, [`FlushMode::OnSave`],
    /// [`SaveMode::OnSetAttribute`], [`JsonCodec`], UUID ids from the OS CSPRNG.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the max inactive interval of new sessions (`None` = never expire).
    pub fn with_max_inactive_interval(mut self, interval: Option<Duration>) -> Self {
        self.max_inactive_interval = interval;
        self
    }

    /// Sets the flush mode.
    pub fn with_flush_mode(mut self, mode: FlushMode) -> Self {
        self.flush_mode = mode;
        self
    }

    /// Tells sessions whether the store keeps the values they store with
    /// [`SessionData::insert_shared`](crate::SessionData::insert_shared) beside the records
    /// it keeps (`true` by default: the in-memory store, a local cache). A repository that
    /// keeps nothing sets `false` (the Hazelcast store does when its local cache is off):
    /// `insert_shared` then encodes the value and lets it go, as
    /// [`SessionData::insert`] does, instead of holding it to the end of the request for
    /// nobody.
    ///
    /// ```
    /// use session_core::SessionConfig;
    ///
    /// assert!(SessionConfig::default().values_kept());
    /// assert!(!SessionConfig::default().with_values_kept(false).values_kept());
    /// ```
    pub fn with_values_kept(mut self, kept: bool) -> Self {
        self.values_kept = kept;
        self
    }

    /// Whether the store keeps the values of
    /// [`SessionData::insert_shared`](crate::SessionData::insert_shared) (see
    /// [`SessionConfig::with_values_kept`]).
    pub fn values_kept(&self) -> bool {
        self.values_kept
    }

    /// Sets the save mode.
    pub fn with_save_mode(mut self, mode: SaveMode) -> Self {
        self.save_mode = mode;
        self
    }

    /// Sets the attribute codec (and marks it as chosen, see
    /// [`codec_chosen`](Self::codec_chosen)).
    pub fn with_codec(mut self, codec: impl AttributeCodec + 'static) -> Self {
        self.codec = Arc::new(codec);
        self.codec_chosen = true;
        self
    }

    /// Sets the attribute codec from a shared one (and marks it as chosen).
    pub fn with_shared_codec(mut self, codec: Arc<dyn AttributeCodec>) -> Self {
        self.codec = codec;
        self.codec_chosen = true;
        self
    }

    /// Whether the codec was set with [`with_codec`](Self::with_codec) or
    /// [`with_shared_codec`](Self::with_shared_codec) rather than left at the default
    /// [`JsonCodec`]. A store with a codec of its own (Hazelcast's, which Spring reads)
    /// keeps its codec when handed a configuration whose codec was not chosen.
    ///
    /// ```
    /// use session_core::{PostcardCodec, SessionConfig};
    ///
    /// assert!(!SessionConfig::default().codec_chosen());
    /// assert!(SessionConfig::default().with_codec(PostcardCodec).codec_chosen());
    /// ```
    pub fn codec_chosen(&self) -> bool {
        self.codec_chosen
    }

    /// Sets the id generator.
    pub fn with_id_generator(mut self, generator: impl SessionIdGenerator + 'static) -> Self {
        self.id_generator = Arc::new(generator);
        self
    }

    /// The max inactive interval of new sessions.
    pub fn max_inactive_interval(&self) -> Option<Duration> {
        self.max_inactive_interval
    }

    /// The flush mode.
    pub fn flush_mode(&self) -> FlushMode {
        self.flush_mode
    }

    /// The save mode.
    pub fn save_mode(&self) -> SaveMode {
        self.save_mode
    }

    /// The attribute codec.
    pub fn codec(&self) -> &Arc<dyn AttributeCodec> {
        &self.codec
    }

    /// The id generator.
    pub fn id_generator(&self) -> &Arc<dyn SessionIdGenerator> {
        &self.id_generator
    }

    /// A new session with a fresh id, created and last accessed at `now`. Nothing is
    /// stored.
    pub fn new_session(&self, now: SystemTime) -> Result<SessionData, IdGenerationError> {
        let id = self.id_generator.generate()?;
        Ok(SessionData::from_parts(
            SessionRecord::new(id, now, self.max_inactive_interval),
            true,
            self,
        ))
    }

    /// A session for a record read from the store.
    pub fn load_session(&self, record: SessionRecord) -> SessionData {
        SessionData::from_parts(record, false, self)
    }

    /// A session for a record the store keeps and shares (an entry of a cache): the
    /// session copies its id, times and principal, and reads its attributes from `stored`
    /// until its first change copies them, so a load copies no attribute map. Reads and
    /// saves exactly as [`SessionConfig::load_session`] of a copy of the record.
    ///
    /// `stored` also holds a [`DecodedValues`](crate::DecodedValues): the values
    /// [`SessionData::get_shared`] decodes from it are kept there, and later sessions loaded
    /// from the same `stored` get them without decoding. A store must give a changed record
    /// a new `stored` (with empty decoded values).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::time::SystemTime;
    /// use session_core::{DecodedValues, SessionConfig, SessionRecord};
    ///
    /// struct Entry {
    ///     record: SessionRecord,
    ///     decoded: DecodedValues,
    /// }
    /// impl AsRef<SessionRecord> for Entry {
    ///     fn as_ref(&self) -> &SessionRecord {
    ///         &self.record
    ///     }
    /// }
    /// impl AsRef<DecodedValues> for Entry {
    ///     fn as_ref(&self) -> &DecodedValues {
    ///         &self.decoded
    ///     }
    /// }
    ///
    /// let config = SessionConfig::default();
    /// let mut record = SessionRecord::new("id", SystemTime::now(), None);
    /// record.attributes.insert("n".into(), session_core::encode_value(config.codec().as_ref(), &5).unwrap());
    /// let kept = Arc::new(Entry { record, decoded: DecodedValues::default() });
    /// let first = config.load_session_shared(Arc::clone(&kept)).get_shared::<i32>("n").unwrap();
    /// let session = config.load_session_shared(Arc::clone(&kept));
    /// let second = session.get_shared::<i32>("n").unwrap();
    /// assert!(Arc::ptr_eq(&first.unwrap(), &second.unwrap())); // decoded once
    /// session.insert("n", &6).unwrap(); // the session's own copy changes
    /// assert_eq!(session.get::<i32>("n").unwrap(), Some(6));
    /// assert_eq!(*config.load_session_shared(kept).get_shared::<i32>("n").unwrap().unwrap(), 5);
    /// ```
    pub fn load_session_shared<R>(&self, stored: Arc<R>) -> SessionData
    where
        R: AsRef<SessionRecord> + AsRef<crate::DecodedValues> + Send + Sync + 'static,
    {
        SessionData::from_stored(stored, self)
    }

    /// A session for a stored record whose attribute map the store shares (`record`'s own
    /// `attributes` are ignored).
    pub(crate) fn load_shared(
        &self,
        record: SessionRecord,
        attributes: Arc<crate::session::SharedMap>,
    ) -> SessionData {
        SessionData::from_shared_parts(record, attributes, self)
    }
}
