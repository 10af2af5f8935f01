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
    Compact, CompactDeserialize, CompactReader, CompactWriter, FieldDescriptor, FieldKind,
    FieldLayout, NULL_OFFSET, Schema, SchemaRegistry,
};
use hazelcast_protocol::data::{Data, type_id};
use hazelcast_protocol::serialization::{DataInput, SerializationError};
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
        session_record(
            key,
            default_interval,
            Stored {
                id: self.id.as_deref(),
                principal_name: self.principal_name.as_deref(),
                times: [
                    &self.creation_time,
                    &self.last_accessed_time,
                    &self.max_inactive_interval,
                ],
            },
            self.attribute_names.as_deref().unwrap_or_default(),
            self.attribute_values.as_deref().unwrap_or_default(),
            |v| (!v.object_bytes.is_empty()).then(|| v.object_bytes.clone()),
        )
    }
}

/// The scalar fields of a stored record, borrowed (from a [`BackingMapSession`] or from the
/// record's bytes).
struct Stored<'a> {
    id: Option<&'a str>,
    principal_name: Option<&'a str>,
    /// Creation, last access, max inactive interval.
    times: [&'a SecondsNanos; 3],
}

/// The session a stored record holds, by the rules of
/// [`BackingMapSession::to_session_record`]; `bytes` gives a value's bytes, `None` for
/// empty ones (Java null), which drop the attribute.
fn session_record<N: AsRef<str>, V>(
    key: &str,
    default_interval: Option<Duration>,
    stored: Stored<'_>,
    names: &[Option<N>],
    values: &[Option<V>],
    bytes: impl Fn(&V) -> Option<Bytes>,
) -> Result<SessionRecord, RecordError> {
    let [creation, accessed, interval] = stored.times;
    let created = creation.to_system_time("creationTime")?;
    let accessed = accessed.to_system_time("lastAccessedTime")?;
    let (creation_time, last_accessed_time) = match (created, accessed) {
        (Some(c), Some(a)) => (c, a),
        (Some(c), None) => (c, c),
        (None, Some(a)) => (a, a),
        (None, None) => return Err(RecordError::MissingField("creationTime_seconds")),
    };
    let max_inactive_interval = interval
        .to_interval("maxInactiveInterval")?
        .unwrap_or(default_interval);
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
        stored.id.unwrap_or(key),
        creation_time,
        max_inactive_interval,
    );
    record.last_accessed_time = last_accessed_time;
    record.principal_name = stored.principal_name.map(str::to_owned);
    for (name, value) in names.iter().zip(values) {
        if let (Some(name), Some(value)) = (name, value)
            && let Some(b) = bytes(value)
        {
            record.attributes.insert(name.as_ref().to_owned(), b);
        }
    }
    Ok(record)
}

/// Offset-table entry of each field of `BackingMapSession`, by write position (the
/// schema's fields sorted by name; a test checks it against the schema).
const TABLE_INDEX: [usize; SESSION_FIELDS] = [9, 4, 10, 3, 2, 6, 5, 8, 7, 0, 1];

/// Entry `index` of an offset table: `Some(None)` for null, `Some(Some(offset))` for an
/// offset below `limit`, `None` when the table or the offset is bad (as the generic
/// reader decides).
fn table_offset(table: &[u8], width: usize, index: usize, limit: usize) -> Option<Option<usize>> {
    let at = index.checked_mul(width)?;
    let raw: i64 = match width {
        1 => match *table.get(at)? {
            0xff => return Some(None),
            b => b.into(),
        },
        2 => match table.get(at..at + 2)? {
            [0xff, 0xff] => return Some(None),
            b => u16::from_be_bytes([b[0], b[1]]).into(),
        },
        _ => match i32::from_be_bytes(table.get(at..at + 4)?.try_into().ok()?) {
            -1 => return Some(None),
            v => v.into(),
        },
    };
    usize::try_from(raw).ok().filter(|o| *o < limit).map(Some)
}

/// The data section and offset table of a record whose fields are all variable-size
/// (after its schema id).
fn sections<'a>(input: &mut DataInput<'a>, fields: usize) -> Option<(&'a [u8], &'a [u8], usize)> {
    let len = usize::try_from(input.read_i32().ok()?).ok()?;
    let data = input.read_bytes(len).ok()?;
    let width = offset_width(len);
    let table = input.read_bytes(fields.checked_mul(width)?).ok()?;
    Some((data, table, width))
}

/// An array of variable-size items (data length, count, items, offset table), each read
/// by `read` (`None`: give up).
fn items<'a, T>(
    input: &mut DataInput<'a>,
    mut read: impl FnMut(DataInput<'a>) -> Option<T>,
) -> Option<Vec<Option<T>>> {
    let len = usize::try_from(input.read_i32().ok()?).ok()?;
    let count = usize::try_from(input.read_i32().ok()?).ok()?;
    let data = input.read_bytes(len).ok()?;
    let width = offset_width(len);
    // The table is present in full, which bounds `count` by the input.
    let table = input.read_bytes(count.checked_mul(width)?).ok()?;
    let mut out = Vec::with_capacity(count);
    for i in 0..count {
        out.push(match table_offset(table, width, i, len)? {
            None => None,
            Some(at) => Some(read(DataInput::new(data.get(at..)?))?),
        });
    }
    Some(out)
}

/// One nested `AttributeValue`: its bytes (empty for a null `objectBytes`).
fn attribute_value(mut input: DataInput<'_>) -> Option<&[u8]> {
    if input.read_i64().ok()? != ATTRIBUTE_VALUE_SCHEMA_ID {
        return None;
    }
    let (data, table, width) = sections(&mut input, 1)?;
    match table_offset(table, width, 0, data.len())? {
        None => Some(&[]),
        Some(at) => DataInput::new(data.get(at..)?).read_opt_byte_slice().ok()?,
    }
}

/// Reads a record written with HSS's exact `BackingMapSession` schema (as this crate and
/// HSS 4.x write it) straight from its bytes into the session, without the generic
/// Compact reader (field lookups by name, an intermediate record). `None` for anything
/// else or anything unexpected (another schema, a nested value of another type,
/// malformed bytes, a record [`BackingMapSession::to_session_record`] refuses): the caller
/// then reads it the generic way, which says why. Whenever this gives a session, it is
/// the one the generic way gives (the tests compare both).
pub(crate) fn read_session_record(
    data: &Data,
    key: &str,
    default_interval: Option<Duration>,
) -> Option<SessionRecord> {
    if data.type_id() != Some(type_id::COMPACT) {
        return None;
    }
    let mut input = DataInput::new(data.payload());
    if input.read_i64().ok()? != BACKING_MAP_SESSION_SCHEMA_ID {
        return None;
    }
    let (section, table, width) = sections(&mut input, SESSION_FIELDS)?;
    let field = |written: usize| -> Option<Option<DataInput<'_>>> {
        match table_offset(table, width, TABLE_INDEX[written], section.len())? {
            None => Some(None),
            Some(at) => Some(Some(DataInput::new(section.get(at..)?))),
        }
    };
    let string = |written: usize| -> Option<Option<&str>> {
        match field(written)? {
            None => Some(None),
            Some(mut input) => input.read_str().ok().map(Some),
        }
    };
    let time = |seconds: usize| -> Option<SecondsNanos> {
        let seconds_value = match field(seconds)? {
            None => None,
            Some(mut input) => Some(input.read_i64().ok()?),
        };
        let nanos = match field(seconds + 1)? {
            None => None,
            Some(mut input) => Some(input.read_i32().ok()?),
        };
        Some(SecondsNanos {
            seconds: seconds_value,
            nanos,
        })
    };
    // Read (and checked) as the generic reader does, though a session does not use it.
    string(0)?;
    let id = string(1)?;
    let principal_name = string(2)?;
    let (creation, accessed, interval) = (time(3)?, time(5)?, time(7)?);
    let names = match field(9)? {
        None => Vec::new(),
        Some(mut input) => items(&mut input, |mut item| item.read_str().ok())?,
    };
    let values = match field(10)? {
        None => Vec::new(),
        Some(mut input) => items(&mut input, attribute_value)?,
    };
    session_record(
        key,
        default_interval,
        Stored {
            id,
            principal_name,
            times: [&creation, &accessed, &interval],
        },
        &names,
        &values,
        |v: &&[u8]| (!v.is_empty()).then(|| Bytes::copy_from_slice(v)),
    )
    .ok()
}

/// Writes the record of a session straight from its [`SessionRecord`]: the bytes
/// `BackingMapSession::from_session_record(record).to_data(registry)` gives (the tests
/// compare both), without building the intermediate record (strings and vectors copied
/// per save) or going through the generic Compact writer (field entries, layout lookup).
///
/// Every field of both types is variable-size, so the layout is: `schemaId`, the data
/// length, the values in HSS's write order, then the offset table in schema (field-name)
/// order, whose entry width follows the data length (u8 below 255, u16 below 65535, else
/// i32; −1 for null). Arrays of strings and of records are laid out the same way.
#[derive(Debug)]
pub(crate) struct RecordWriter {
    /// For each entry of the offset table, the position of its field in write order.
    order: [usize; SESSION_FIELDS],
    /// `AttributeValue`'s schema, registered with the first record that has attributes
    /// (as the generic writer does).
    value_schema: Schema,
    value_registered: std::sync::atomic::AtomicBool,
}

/// Fields of `BackingMapSession`, in HSS's write order, with their kinds.
const SESSION_FIELDS: usize = 11;
const SESSION_LAYOUT: [(&str, FieldKind); SESSION_FIELDS] = [
    ("originalId", FieldKind::String),
    ("id", FieldKind::String),
    ("principalName", FieldKind::String),
    ("creationTime_seconds", FieldKind::NullableInt64),
    ("creationTime_nanos", FieldKind::NullableInt32),
    ("lastAccessedTime_seconds", FieldKind::NullableInt64),
    ("lastAccessedTime_nanos", FieldKind::NullableInt32),
    ("maxInactiveInterval_seconds", FieldKind::NullableInt64),
    ("maxInactiveInterval_nanos", FieldKind::NullableInt32),
    ("attributeNames", FieldKind::ArrayOfString),
    ("attributeValues", FieldKind::ArrayOfCompact),
];

/// The width of offset-table entries for a data section of `len` bytes.
fn offset_width(len: usize) -> usize {
    if len < usize::from(u8::MAX) {
        1
    } else if len < usize::from(u16::MAX) {
        2
    } else {
        4
    }
}

fn push_offset(buf: &mut Vec<u8>, width: usize, offset: i32) {
    // Truncation is the format: −1 (null) becomes 0xFF / 0xFFFF.
    match width {
        1 => buf.push(offset as u8),
        2 => buf.extend_from_slice(&(offset as u16).to_be_bytes()),
        _ => buf.extend_from_slice(&offset.to_be_bytes()),
    }
}

fn len_i32(n: usize) -> Result<i32, RecordError> {
    i32::try_from(n).map_err(|_| RecordError::Compact(SerializationError::InvalidLength(n as i64)))
}

fn push_bytes(buf: &mut Vec<u8>, b: &[u8]) -> Result<(), RecordError> {
    buf.extend_from_slice(&len_i32(b.len())?.to_be_bytes());
    buf.extend_from_slice(b);
    Ok(())
}

/// Size of one nested `AttributeValue` with `n` value bytes: schema id, data length, the
/// byte array, one offset entry.
fn value_size(n: usize) -> usize {
    let data = 4 + n;
    8 + 4 + data + offset_width(data)
}

impl RecordWriter {
    /// Registers `BackingMapSession`'s schema in `registry` (unreplicated if new, so the
    /// client sends it before the first record) and derives the offset table's order.
    ///
    /// # Errors
    /// A schema conflict in the registry, or a layout other than all-variable-size (which
    /// would mean the schema code changed: the caller keeps the generic writer).
    pub(crate) fn new(registry: &SchemaRegistry) -> Result<Self, RecordError> {
        let describe = |fields: &[(&str, FieldKind)]| {
            fields
                .iter()
                .map(|(name, kind)| FieldDescriptor::new(*name, *kind))
                .collect::<Vec<_>>()
        };
        let session = Schema::new(BACKING_MAP_SESSION_TYPE, describe(&SESSION_LAYOUT))?;
        let value_schema = Schema::new(
            ATTRIBUTE_VALUE_TYPE,
            describe(&[("objectBytes", FieldKind::ArrayOfInt8)]),
        )?;
        let unexpected = |what: &str| RecordError::InvalidField {
            field: "schema",
            reason: format!("unexpected {what} layout"),
        };
        if session.id() != BACKING_MAP_SESSION_SCHEMA_ID
            || value_schema.id() != ATTRIBUTE_VALUE_SCHEMA_ID
        {
            return Err(unexpected("schema id"));
        }
        if session.fixed_size() != 0 || session.var_count() != SESSION_FIELDS {
            return Err(unexpected(BACKING_MAP_SESSION_TYPE));
        }
        if value_schema.fixed_size() != 0
            || value_schema.layout(0) != Some(FieldLayout::Var { index: 0 })
        {
            return Err(unexpected(ATTRIBUTE_VALUE_TYPE));
        }
        let mut order = [usize::MAX; SESSION_FIELDS];
        for (written, (name, _)) in SESSION_LAYOUT.iter().enumerate() {
            let Some(FieldLayout::Var { index }) =
                session.index_of(name).and_then(|i| session.layout(i))
            else {
                return Err(unexpected(BACKING_MAP_SESSION_TYPE));
            };
            match order.get_mut(index) {
                Some(slot) if *slot == usize::MAX => *slot = written,
                _ => return Err(unexpected(BACKING_MAP_SESSION_TYPE)),
            }
        }
        registry.register(session)?;
        Ok(Self {
            order,
            value_schema,
            value_registered: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// The record of `record` (`originalId` = `id` = the record's id) as Compact `Data`.
    ///
    /// # Errors
    /// Lengths above `i32::MAX`, or a schema conflict in the registry.
    pub(crate) fn encode(
        &self,
        registry: &SchemaRegistry,
        record: &SessionRecord,
    ) -> Result<Data, RecordError> {
        use std::sync::atomic::Ordering;
        if !record.attributes.is_empty() && !self.value_registered.load(Ordering::Acquire) {
            registry.register(self.value_schema.clone())?;
            self.value_registered.store(true, Ordering::Release);
        }
        let names: usize = record.attributes.keys().map(|n| 4 + n.len()).sum();
        let values: usize = record
            .attributes
            .values()
            .map(|v| value_size(v.len()))
            .sum();
        let count = record.attributes.len();
        let estimate = 8
            + 8
            + 4
            + 2 * (4 + record.id.len())
            + record.principal_name.as_ref().map_or(0, |p| 4 + p.len())
            + 3 * 12
            + 8
            + names
            + 4 * count
            + 8
            + values
            + 4 * count
            + 4 * SESSION_FIELDS;
        let mut buf = Vec::with_capacity(estimate);
        buf.extend_from_slice(&0_i32.to_be_bytes());
        buf.extend_from_slice(&type_id::COMPACT.to_be_bytes());
        buf.extend_from_slice(&BACKING_MAP_SESSION_SCHEMA_ID.to_be_bytes());
        let len_at = buf.len();
        buf.extend_from_slice(&0_i32.to_be_bytes());
        let start = buf.len();
        let mut at = [NULL_OFFSET; SESSION_FIELDS];
        let mut mark = |buf: &Vec<u8>, field: usize| -> Result<(), RecordError> {
            at[field] = len_i32(buf.len() - start)?;
            Ok(())
        };
        mark(&buf, 0)?;
        push_bytes(&mut buf, record.id.as_bytes())?;
        mark(&buf, 1)?;
        push_bytes(&mut buf, record.id.as_bytes())?;
        if let Some(principal) = &record.principal_name {
            mark(&buf, 2)?;
            push_bytes(&mut buf, principal.as_bytes())?;
        }
        let times = [
            SecondsNanos::from_system_time(record.creation_time),
            SecondsNanos::from_system_time(record.last_accessed_time),
            SecondsNanos::from_interval(record.max_inactive_interval),
        ];
        for (i, t) in times.iter().enumerate() {
            if let Some(seconds) = t.seconds {
                mark(&buf, 3 + 2 * i)?;
                buf.extend_from_slice(&seconds.to_be_bytes());
            }
            if let Some(nanos) = t.nanos {
                mark(&buf, 4 + 2 * i)?;
                buf.extend_from_slice(&nanos.to_be_bytes());
            }
        }
        // attributeNames: data length, count, the strings, their offsets.
        mark(&buf, 9)?;
        buf.extend_from_slice(&len_i32(names)?.to_be_bytes());
        buf.extend_from_slice(&len_i32(count)?.to_be_bytes());
        for name in record.attributes.keys() {
            push_bytes(&mut buf, name.as_bytes())?;
        }
        let width = offset_width(names);
        let mut offset = 0;
        for name in record.attributes.keys() {
            push_offset(&mut buf, width, len_i32(offset)?);
            offset += 4 + name.len();
        }
        // attributeValues: the same, each item a nested AttributeValue record.
        mark(&buf, 10)?;
        buf.extend_from_slice(&len_i32(values)?.to_be_bytes());
        buf.extend_from_slice(&len_i32(count)?.to_be_bytes());
        for value in record.attributes.values() {
            let data = 4 + value.len();
            buf.extend_from_slice(&ATTRIBUTE_VALUE_SCHEMA_ID.to_be_bytes());
            buf.extend_from_slice(&len_i32(data)?.to_be_bytes());
            push_bytes(&mut buf, value)?;
            push_offset(&mut buf, offset_width(data), 0);
        }
        let width = offset_width(values);
        let mut offset = 0;
        for value in record.attributes.values() {
            push_offset(&mut buf, width, len_i32(offset)?);
            offset += value_size(value.len());
        }
        let data_len = buf.len() - start;
        buf[len_at..start].copy_from_slice(&len_i32(data_len)?.to_be_bytes());
        let width = offset_width(data_len);
        for &written in &self.order {
            push_offset(&mut buf, width, at[written]);
        }
        Ok(Data::from_bytes(buf))
    }
}

#[cfg(test)]
mod writer_tests {
    use super::*;

    fn record(attributes: &[(&str, usize)], principal: Option<&str>) -> SessionRecord {
        let created = UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789);
        let mut r = SessionRecord::new(
            "4f1c9d2e-7b3a-4c5d-8e6f-0a1b2c3d4e5f",
            created,
            Some(Duration::new(1800, 5)),
        );
        r.last_accessed_time = created + Duration::from_millis(2500);
        r.principal_name = principal.map(str::to_owned);
        for (i, (name, len)) in attributes.iter().enumerate() {
            let bytes: Vec<u8> = (0..*len).map(|j| (i * 31 + j) as u8).collect();
            r.attributes.insert((*name).to_owned(), Bytes::from(bytes));
        }
        r
    }

    fn generic(r: &SessionRecord) -> (Vec<u8>, Vec<i64>) {
        let registry = SchemaRegistry::new();
        let data = BackingMapSession::from_session_record(r)
            .to_data(&registry)
            .expect("the generic writer encodes");
        let ids = registry.unreplicated().iter().map(|s| s.id()).collect();
        (data.as_bytes().to_vec(), ids)
    }

    fn direct(r: &SessionRecord) -> (Vec<u8>, Vec<i64>) {
        let registry = SchemaRegistry::new();
        let writer = RecordWriter::new(&registry).expect("the layout is all variable-size");
        let data = writer
            .encode(&registry, r)
            .expect("the direct writer encodes");
        let ids = registry.unreplicated().iter().map(|s| s.id()).collect();
        (data.as_bytes().to_vec(), ids)
    }

    #[test]
    fn the_direct_writer_writes_the_generic_writers_bytes_and_schemas() {
        let long = "é".repeat(200);
        type Case<'a> = (Vec<(&'a str, usize)>, Option<&'a str>);
        let cases: Vec<Case<'_>> = vec![
            (vec![], None),
            (vec![], Some("alice")),
            (vec![("basket", 420)], None),
            (vec![("a", 0), ("b", 1), ("c", 250)], Some("bob")),
            // Offsets of two and four bytes, in the nested records and the arrays.
            (
                vec![("small", 10), ("medium", 300), ("large", 70_000)],
                None,
            ),
            ((0..40).map(|_| ("", 0)).collect(), None),
            (
                vec![(long.as_str(), 5), ("x", 65_530), ("y", 65_531)],
                Some(&long),
            ),
        ];
        for (attributes, principal) in cases {
            let mut attributes = attributes;
            // Distinct names where the case repeats them.
            let names: Vec<String> = attributes
                .iter()
                .enumerate()
                .map(|(i, (n, _))| {
                    if n.is_empty() {
                        format!("attr-{i}")
                    } else {
                        (*n).to_owned()
                    }
                })
                .collect();
            for (a, n) in attributes.iter_mut().zip(&names) {
                a.0 = n;
            }
            let r = record(&attributes, principal);
            assert_eq!(direct(&r), generic(&r), "{attributes:?} {principal:?}");
        }
        let mut never = record(&[("k", 3)], None);
        never.max_inactive_interval = None;
        never.creation_time = UNIX_EPOCH - Duration::new(5, 1);
        never.last_accessed_time = never.creation_time;
        assert_eq!(direct(&never), generic(&never));
    }

    /// The generic reader's answer, with a registry that knows both schemas.
    fn generic_read(data: &Data, key: &str) -> Option<SessionRecord> {
        let registry = SchemaRegistry::new();
        let writer = RecordWriter::new(&registry).expect("writer");
        writer
            .encode(&registry, &record(&[("x", 1)], None))
            .expect("registers the value schema");
        BackingMapSession::from_data(&registry, data)
            .and_then(|b| b.to_session_record(key, Some(Duration::from_secs(77))))
            .ok()
    }

    fn direct_read(data: &Data, key: &str) -> Option<SessionRecord> {
        read_session_record(data, key, Some(Duration::from_secs(77)))
    }

    #[test]
    fn the_offset_table_order_is_the_schemas() {
        let registry = SchemaRegistry::new();
        let writer = RecordWriter::new(&registry).expect("writer");
        for (written, index) in TABLE_INDEX.iter().enumerate() {
            assert_eq!(writer.order[*index], written);
        }
    }

    #[test]
    fn the_direct_reader_reads_what_the_generic_reader_reads() {
        let registry = SchemaRegistry::new();
        let writer = RecordWriter::new(&registry).expect("writer");
        let mut samples = Vec::new();
        for (attributes, principal) in [
            (vec![], None),
            (vec![("basket", 420)], Some("alice")),
            (vec![("a", 0), ("b", 1), ("c", 250)], None),
            (
                vec![("small", 10), ("medium", 300), ("large", 70_000)],
                Some("bob"),
            ),
        ] {
            let r = record(&attributes, principal);
            samples.push(writer.encode(&registry, &r).expect("encodes"));
        }
        // Written by the generic writer with the nulls HSS's reader tolerates.
        let full = BackingMapSession::from_session_record(&record(&[("k", 3), ("l", 4)], None));
        let variants = [
            BackingMapSession {
                id: None,
                original_id: None,
                ..full.clone()
            },
            BackingMapSession {
                creation_time: SecondsNanos::default(),
                ..full.clone()
            },
            BackingMapSession {
                last_accessed_time: SecondsNanos {
                    seconds: Some(5),
                    nanos: None,
                },
                max_inactive_interval: SecondsNanos::default(),
                ..full.clone()
            },
            BackingMapSession {
                max_inactive_interval: SecondsNanos::new(-1, 0),
                attribute_names: None,
                attribute_values: None,
                ..full.clone()
            },
            BackingMapSession {
                attribute_names: Some(vec![Some("a".into()), None, Some("c".into())]),
                attribute_values: Some(vec![
                    Some(AttributeValue {
                        object_bytes: Bytes::from_static(b"1"),
                    }),
                    Some(AttributeValue {
                        object_bytes: Bytes::from_static(b"2"),
                    }),
                    None,
                ]),
                ..full.clone()
            },
            BackingMapSession {
                attribute_values: Some(vec![
                    Some(AttributeValue::default()),
                    Some(AttributeValue {
                        object_bytes: Bytes::from_static(b"2"),
                    }),
                ]),
                ..full.clone()
            },
            full,
        ];
        for v in &variants {
            samples.push(v.to_data(&registry).expect("encodes"));
        }
        for data in &samples {
            let direct = direct_read(data, "the-key");
            assert!(direct.is_some(), "a well-formed record is read directly");
            assert_eq!(direct, generic_read(data, "the-key"));
        }
        // Malformed or foreign bytes: the direct reader gives up or agrees.
        for data in samples.iter().take(6) {
            let bytes = data.as_bytes();
            for i in 0..bytes.len().min(2000) {
                for flip in [0x01, 0x80, 0xff] {
                    let mut b = bytes.to_vec();
                    b[i] ^= flip;
                    let d = Data::from_bytes(b);
                    if let Some(r) = direct_read(&d, "k") {
                        assert_eq!(Some(r), generic_read(&d, "k"), "byte {i} ^ {flip:#x}");
                    }
                }
            }
            for cut in 0..bytes.len().min(600) {
                let d = Data::from_bytes(bytes[..cut].to_vec());
                if let Some(r) = direct_read(&d, "k") {
                    assert_eq!(Some(r), generic_read(&d, "k"), "cut at {cut}");
                }
            }
        }
    }

    #[test]
    fn direct_records_read_back() {
        let registry = SchemaRegistry::new();
        let writer = RecordWriter::new(&registry).expect("writer");
        let r = record(&[("basket", 42), ("user", 7)], Some("carol"));
        let data = writer.encode(&registry, &r).expect("encodes");
        let back = BackingMapSession::from_data(&registry, &data)
            .and_then(|b| b.to_session_record("other-key", None))
            .expect("reads back");
        assert_eq!(back, r);
    }
}
