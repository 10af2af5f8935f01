//! The stored record: Hazelcast Spring Session 4.x's Compact `BackingMapSession`, with its
//! attribute values nested as Compact `AttributeValue{objectBytes}`.
//!
//! Field names and kinds are those HSS's `HazelcastSessionCompactSerializer` writes (see
//! `docs/hazelcast-protocol.md` §3.4 and the measured facts, 6.4):
//!
//! | Field | Kind |
//! |---|---|
//! | `originalId`, `id`, `principalName` | STRING |
//! | `creationTime_seconds`, `lastAccessedTime_seconds`, `maxInactiveInterval_seconds` | NULLABLE_INT64 |
//! | `creationTime_nanos`, `lastAccessedTime_nanos`, `maxInactiveInterval_nanos` | NULLABLE_INT32 |
//! | `attributeNames` | ARRAY_OF_STRING |
//! | `attributeValues` | ARRAY_OF_COMPACT of `AttributeValue{objectBytes: ARRAY_OF_INT8}` |
//!
//! Reading is tolerant: a missing field reads as null, the non-nullable integer kinds are
//! accepted for the nullable ones, and unknown extra fields are ignored. What cannot be
//! turned into a session is a [`RecordError`], never a panic.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use hazelcast_protocol::compact::{
    Compact, CompactDeserialize, CompactReader, CompactWriter, SchemaRegistry,
};
use hazelcast_protocol::data::{Data, type_id};
use hazelcast_protocol::serialization::SerializationError;
use session_core::SessionRecord;

/// Compact type name of the session record.
pub const BACKING_MAP_SESSION_TYPE: &str = "BackingMapSession";
/// Compact type name of one attribute value.
pub const ATTRIBUTE_VALUE_TYPE: &str = "AttributeValue";
/// Schema id of `BackingMapSession` as HSS 4.x writes it (Rabin fingerprint of the schema).
pub const BACKING_MAP_SESSION_SCHEMA_ID: i64 = -6_205_687_457_367_408_219;
/// Schema id of `AttributeValue{objectBytes: ARRAY_OF_INT8}`.
pub const ATTRIBUTE_VALUE_SCHEMA_ID: i64 = 8_525_406_671_142_911_617;
/// Most attributes one stored session may hold; a record with more is rejected on read.
pub const MAX_ATTRIBUTES: usize = 4096;

const NANOS_PER_SECOND: i32 = 1_000_000_000;

/// Why a stored record could not be turned into a session (or a session into a record).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordError {
    /// The Compact bytes are malformed, use an unknown schema, or a field has a kind that
    /// cannot be read as the one expected.
    #[error("cannot read the compact session record")]
    Compact(#[source] SerializationError),
    /// The value stored under a session key is not a `BackingMapSession`.
    #[error("the stored value is {0}, not a BackingMapSession")]
    WrongType(String),
    /// A field a session cannot do without is missing or null.
    #[error("field {0} is missing or null")]
    MissingField(&'static str),
    /// A field holds a value no session can have (nanos out of range, time overflow...).
    #[error("field {field} is invalid: {reason}")]
    InvalidField {
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// `attributeNames` and `attributeValues` have different lengths.
    #[error("{names} attribute names but {values} attribute values")]
    AttributeCountMismatch {
        /// Number of names.
        names: usize,
        /// Number of values.
        values: usize,
    },
    /// More attributes than [`MAX_ATTRIBUTES`].
    #[error("{0} attributes, more than the limit of {MAX_ATTRIBUTES}")]
    TooManyAttributes(usize),
}

impl From<SerializationError> for RecordError {
    fn from(e: SerializationError) -> Self {
        RecordError::Compact(e)
    }
}

/// One attribute value: the Hazelcast `Data` bytes of the value (header included), as HSS
/// stores them. Empty bytes mean a null value.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct AttributeValue {
    /// The serialized value.
    pub object_bytes: Bytes,
}

impl std::fmt::Debug for AttributeValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values may be secret: show only their size.
        f.debug_struct("AttributeValue")
            .field("len", &self.object_bytes.len())
            .finish()
    }
}

impl Compact for AttributeValue {
    fn type_name(&self) -> &str {
        ATTRIBUTE_VALUE_TYPE
    }

    fn write<'a>(&'a self, w: &mut CompactWriter<'a>) -> Result<(), SerializationError> {
        w.write_array_of_int8("objectBytes", Some(&self.object_bytes));
        Ok(())
    }
}

impl CompactDeserialize for AttributeValue {
    fn read(r: &CompactReader<'_>) -> Result<Self, SerializationError> {
        if r.schema().type_name() != ATTRIBUTE_VALUE_TYPE {
            return Err(SerializationError::InvalidValue(format!(
                "attribute value of compact type {:?}",
                r.schema().type_name()
            )));
        }
        let bytes = match r.field_kind("objectBytes") {
            None => None,
            Some(_) => r.read_array_of_int8("objectBytes")?,
        };
        Ok(AttributeValue {
            object_bytes: bytes.map(Bytes::copy_from_slice).unwrap_or_default(),
        })
    }
}

/// An instant or a duration as Java keeps it: whole seconds and a nanosecond adjustment
/// (`0..1_000_000_000`), each nullable in the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SecondsNanos {
    /// Seconds (since the epoch for instants).
    pub seconds: Option<i64>,
    /// Nanoseconds added to `seconds`.
    pub nanos: Option<i32>,
}

impl SecondsNanos {
    /// Both parts set.
    pub fn new(seconds: i64, nanos: i32) -> Self {
        Self {
            seconds: Some(seconds),
            nanos: Some(nanos),
        }
    }

    /// Java's `Instant` of a `SystemTime` (seconds rounded down, nanos non-negative).
    pub fn from_system_time(t: SystemTime) -> Self {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => Self::new(i64::try_from(d.as_secs()).unwrap_or(i64::MAX), subsec(d)),
            Err(e) => {
                let d = e.duration();
                let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
                let nanos = subsec(d);
                if nanos == 0 {
                    Self::new(-secs, 0)
                } else {
                    Self::new(-secs - 1, NANOS_PER_SECOND - nanos)
                }
            }
        }
    }

    /// A duration; `None` (never expires) is Java's negative `Duration.ofSeconds(-1)`, the
    /// value Spring Session uses for "never".
    pub fn from_interval(d: Option<Duration>) -> Self {
        match d {
            Some(d) => Self::new(i64::try_from(d.as_secs()).unwrap_or(i64::MAX), subsec(d)),
            None => Self::new(-1, 0),
        }
    }

    /// `None` when `seconds` is null; a missing `nanos` counts as 0.
    fn checked_nanos(&self, field: &'static str) -> Result<Option<(i64, u32)>, RecordError> {
        let Some(seconds) = self.seconds else {
            return Ok(None);
        };
        let nanos = self.nanos.unwrap_or(0);
        let nanos = u32::try_from(nanos)
            .ok()
            .filter(|n| *n < NANOS_PER_SECOND as u32)
            .ok_or_else(|| RecordError::InvalidField {
                field,
                reason: format!("nanos {nanos} outside 0..1000000000"),
            })?;
        Ok(Some((seconds, nanos)))
    }

    /// The instant, or `None` when `seconds` is null.
    ///
    /// # Errors
    /// Nanos out of range, or an instant `SystemTime` cannot hold.
    pub fn to_system_time(&self, field: &'static str) -> Result<Option<SystemTime>, RecordError> {
        let Some((seconds, nanos)) = self.checked_nanos(field)? else {
            return Ok(None);
        };
        let t = if seconds >= 0 {
            UNIX_EPOCH.checked_add(Duration::new(seconds.unsigned_abs(), nanos))
        } else {
            UNIX_EPOCH
                .checked_sub(Duration::from_secs(seconds.unsigned_abs()))
                .and_then(|t| t.checked_add(Duration::from_nanos(u64::from(nanos))))
        };
        t.map(Some).ok_or_else(|| RecordError::InvalidField {
            field,
            reason: format!("instant {seconds} s out of range"),
        })
    }

    /// The interval: `Ok(None)` when `seconds` is null, `Ok(Some(None))` for a negative
    /// duration (never expires), `Ok(Some(Some(d)))` otherwise.
    ///
    /// # Errors
    /// Nanos out of range.
    pub fn to_interval(
        &self,
        field: &'static str,
    ) -> Result<Option<Option<Duration>>, RecordError> {
        let Some((seconds, nanos)) = self.checked_nanos(field)? else {
            return Ok(None);
        };
        Ok(Some(if seconds < 0 {
            None
        } else {
            Some(Duration::new(seconds.unsigned_abs(), nanos))
        }))
    }
}

fn subsec(d: Duration) -> i32 {
    // Always below 1e9, so it fits.
    i32::try_from(d.subsec_nanos()).unwrap_or(0)
}

/// The Compact record HSS 4.x stores for a session, field by field as on the wire.
///
/// Every field is nullable, as in the record; [`BackingMapSession::to_session_record`] decides
/// which nulls a session can live with.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct BackingMapSession {
    /// The id the session was loaded with (HSS writes it; this crate writes the id).
    pub original_id: Option<String>,
    /// The session id.
    pub id: Option<String>,
    /// The indexed principal name.
    pub principal_name: Option<String>,
    /// Creation instant.
    pub creation_time: SecondsNanos,
    /// Last access instant.
    pub last_accessed_time: SecondsNanos,
    /// Max inactive interval; negative = never expires.
    pub max_inactive_interval: SecondsNanos,
    /// Attribute names, parallel to `attribute_values`.
    pub attribute_names: Option<Vec<Option<String>>>,
    /// Attribute values, parallel to `attribute_names`.
    pub attribute_values: Option<Vec<Option<AttributeValue>>>,
}

impl std::fmt::Debug for BackingMapSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never show the id, the principal or values.
        f.debug_struct("BackingMapSession")
            .field("creation_time", &self.creation_time)
            .field("last_accessed_time", &self.last_accessed_time)
            .field("max_inactive_interval", &self.max_inactive_interval)
            .field("has_principal", &self.principal_name.is_some())
            .field("attribute_names", &self.attribute_names)
            .finish()
    }
}

impl Compact for BackingMapSession {
    fn type_name(&self) -> &str {
        BACKING_MAP_SESSION_TYPE
    }

    fn write<'a>(&'a self, w: &mut CompactWriter<'a>) -> Result<(), SerializationError> {
        // The order of the variable-size values is HSS's call order; the vector in the
        // protocol brief depends on it.
        w.write_string("originalId", self.original_id.as_deref());
        w.write_string("id", self.id.as_deref());
        w.write_string("principalName", self.principal_name.as_deref());
        w.write_nullable_int64("creationTime_seconds", self.creation_time.seconds);
        w.write_nullable_int32("creationTime_nanos", self.creation_time.nanos);
        w.write_nullable_int64("lastAccessedTime_seconds", self.last_accessed_time.seconds);
        w.write_nullable_int32("lastAccessedTime_nanos", self.last_accessed_time.nanos);
        w.write_nullable_int64(
            "maxInactiveInterval_seconds",
            self.max_inactive_interval.seconds,
        );
        w.write_nullable_int32(
            "maxInactiveInterval_nanos",
            self.max_inactive_interval.nanos,
        );
        w.write_array_of_nullable_string("attributeNames", self.attribute_names.as_deref());
        w.write_array_of_nullable_compact("attributeValues", self.attribute_values.as_deref());
        Ok(())
    }
}

fn opt<'a, 'r, T>(
    r: &'r CompactReader<'a>,
    name: &str,
    read: impl FnOnce(&'r CompactReader<'a>, &str) -> Result<Option<T>, SerializationError>,
) -> Result<Option<T>, SerializationError> {
    match r.field_kind(name) {
        None => Ok(None),
        Some(_) => read(r, name),
    }
}

/// The `…_seconds` and `…_nanos` fields of one time.
fn read_time(
    r: &CompactReader<'_>,
    (seconds, nanos): (&str, &str),
) -> Result<SecondsNanos, SerializationError> {
    Ok(SecondsNanos {
        seconds: opt(r, seconds, |r, n| r.read_nullable_int64(n))?,
        nanos: opt(r, nanos, |r, n| r.read_nullable_int32(n))?,
    })
}

impl CompactDeserialize for BackingMapSession {
    fn read(r: &CompactReader<'_>) -> Result<Self, SerializationError> {
        if r.schema().type_name() != BACKING_MAP_SESSION_TYPE {
            return Err(SerializationError::InvalidValue(format!(
                "compact type {:?} is not {BACKING_MAP_SESSION_TYPE}",
                r.schema().type_name()
            )));
        }
        let string = |name: &str| -> Result<Option<String>, SerializationError> {
            Ok(opt(r, name, |r, n| r.read_string(n))?.map(str::to_owned))
        };
        let attribute_names = opt(r, "attributeNames", |r, n| r.read_array_of_string(n))?
            .map(|v| v.into_iter().map(|s| s.map(str::to_owned)).collect());
        let attribute_values = opt(r, "attributeValues", |r, n| r.read_array_of_compact(n))?;
        Ok(BackingMapSession {
            original_id: string("originalId")?,
            id: string("id")?,
            principal_name: string("principalName")?,
            creation_time: read_time(r, ("creationTime_seconds", "creationTime_nanos"))?,
            last_accessed_time: read_time(
                r,
                ("lastAccessedTime_seconds", "lastAccessedTime_nanos"),
            )?,
            max_inactive_interval: read_time(
                r,
                ("maxInactiveInterval_seconds", "maxInactiveInterval_nanos"),
            )?,
            attribute_names,
            attribute_values,
        })
    }
}

impl BackingMapSession {
    /// Serializes the record as a Compact `Data` (type −55), registering its schemas in
    /// `registry` (a client sends unreplicated schemas before the data).
    ///
    /// # Errors
    /// Lengths above `i32::MAX` or a schema conflict in the registry.
    pub fn to_data(&self, registry: &SchemaRegistry) -> Result<Data, RecordError> {
        Ok(registry.to_data(self)?)
    }

    /// Reads a record from a `Data` stored under a session key.
    ///
    /// # Errors
    /// [`RecordError::WrongType`] for another Compact type or a non-Compact value,
    /// [`RecordError::Compact`] for malformed bytes or an unknown schema (whose id
    /// [`hazelcast_protocol::compact::schema_id_of`] gives, to fetch it).
    pub fn from_data(registry: &SchemaRegistry, data: &Data) -> Result<Self, RecordError> {
        match data.type_id() {
            Some(type_id::COMPACT) => {}
            Some(other) => return Err(RecordError::WrongType(format!("type id {other}"))),
            None => {
                return Err(RecordError::Compact(SerializationError::ShortHeader(
                    data.len(),
                )));
            }
        }
        let mut wrong = None;
        let result = registry.decode_with(data.payload(), |r| {
            if r.schema().type_name() != BACKING_MAP_SESSION_TYPE {
                wrong = Some(format!("compact type {:?}", r.schema().type_name()));
                return Ok(None);
            }
            Self::read(r).map(Some)
        })?;
        match (result, wrong) {
            (Some(s), _) => Ok(s),
            (None, Some(name)) => Err(RecordError::WrongType(name)),
            (None, None) => Err(RecordError::MissingField("BackingMapSession")),
        }
    }

    /// The record for a session: `originalId` = `id` = `record.id` (the key it is stored
    /// under), attribute bytes copied by reference.
    pub fn from_session_record(record: &SessionRecord) -> Self {
        let (names, values): (Vec<_>, Vec<_>) = record
            .attributes
            .iter()
            .map(|(name, value)| {
                (
                    Some(name.clone()),
                    Some(AttributeValue {
                        object_bytes: value.clone(),
                    }),
                )
            })
            .unzip();
        BackingMapSession {
            original_id: Some(record.id.clone()),
            id: Some(record.id.clone()),
            principal_name: record.principal_name.clone(),
            creation_time: SecondsNanos::from_system_time(record.creation_time),
            last_accessed_time: SecondsNanos::from_system_time(record.last_accessed_time),
            max_inactive_interval: SecondsNanos::from_interval(record.max_inactive_interval),
            attribute_names: Some(names),
            attribute_values: Some(values),
        }
    }

    /// The session this record holds.
    ///
    /// - `key` is the map key it was read under; it is the id when `id` is null.
    /// - A null creation time takes the last accessed time and vice versa; both null is an
    ///   error.
    /// - A null max inactive interval takes `default_interval` (the repository's); a
    ///   negative one means "never expires".
    /// - A null attribute name or value, or empty value bytes (Java null), drop that
    ///   attribute; names and values of different lengths are an error.
    ///
    /// # Errors
    /// [`RecordError`] as above.
    pub fn to_session_record(
        &self,
        key: &str,
        default_interval: Option<Duration>,
    ) -> Result<SessionRecord, RecordError> {
        let created = self.creation_time.to_system_time("creationTime")?;
        let accessed = self.last_accessed_time.to_system_time("lastAccessedTime")?;
        let (creation_time, last_accessed_time) = match (created, accessed) {
            (Some(c), Some(a)) => (c, a),
            (Some(c), None) => (c, c),
            (None, Some(a)) => (a, a),
            (None, None) => return Err(RecordError::MissingField("creationTime_seconds")),
        };
        let max_inactive_interval = self
            .max_inactive_interval
            .to_interval("maxInactiveInterval")?
            .unwrap_or(default_interval);
        let names = self.attribute_names.as_deref().unwrap_or_default();
        let values = self.attribute_values.as_deref().unwrap_or_default();
        if names.len() != values.len() {
            return Err(RecordError::AttributeCountMismatch {
                names: names.len(),
                values: values.len(),
            });
        }
        if names.len() > MAX_ATTRIBUTES {
            return Err(RecordError::TooManyAttributes(names.len()));
        }
        let mut record = SessionRecord::new(
            self.id.clone().unwrap_or_else(|| key.to_owned()),
            creation_time,
            max_inactive_interval,
        );
        record.last_accessed_time = last_accessed_time;
        record.principal_name.clone_from(&self.principal_name);
        for (name, value) in names.iter().zip(values) {
            match (name, value) {
                (Some(name), Some(value)) if !value.object_bytes.is_empty() => {
                    record
                        .attributes
                        .insert(name.clone(), value.object_bytes.clone());
                }
                _ => {}
            }
        }
        Ok(record)
    }
}
