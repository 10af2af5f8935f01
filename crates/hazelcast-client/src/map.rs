//! The distributed map (`IMap`) API, typed over keys and values.

use std::borrow::Borrow;
use std::marker::PhantomData;
use std::time::Duration;

use hazelcast_protocol::codec::map::*;
use hazelcast_protocol::compact::SchemaRegistry;
use hazelcast_protocol::data::{Data, partition_hash};
use hazelcast_protocol::message::{Message, MessageWriter};
use hazelcast_protocol::serialization::SerializationError;

use crate::client::{Client, Route};
use crate::error::ClientError;
use crate::listener::{EntryListenerOptions, EntryStream, InlineHandler, add_entry_listener};
use crate::serialize::{Deserialize, Serialize};

/// Thread id sent with map operations; only lock ownership uses it and this client takes
/// no locks.
const THREAD_ID: i64 = 1;

/// Index types of [`Map::add_index`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IndexType {
    /// Ordered index (range queries).
    Sorted,
    /// Hash index (equality).
    Hash,
    /// Bitmap index.
    Bitmap,
}

impl IndexType {
    pub(crate) fn id(self) -> i32 {
        match self {
            IndexType::Sorted => 0,
            IndexType::Hash => 1,
            IndexType::Bitmap => 2,
        }
    }
}

/// A TTL or max-idle as the protocol wants it: `None` → −1 (map default), zero → 0
/// (infinite), else milliseconds, at least 1 (Java rounds sub-millisecond values up to 1).
pub(crate) fn to_millis(d: Option<Duration>) -> i64 {
    match d {
        None => -1,
        Some(d) if d.is_zero() => 0,
        Some(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX).max(1),
    }
}

/// Size of a request's initial frame before its fixed-size parameters: frame header,
/// message type, correlation id and partition id.
const REQUEST_HEADER: usize = 6 + 16;

/// One of the two messages of a `put`-like call: its type, whether it may be retried, and
/// how to read the old value out of its response (every such response is one nullable
/// `Data`).
#[derive(Clone, Copy)]
struct PutKind {
    message_type: i32,
    retryable: bool,
    old_value: fn(&Message) -> Result<Option<Data>, ClientError>,
}

/// Builds a keyed map request in place: the initial frame with the `fixed` parameters, the
/// map name, then the key and the `values`, each serialized straight into the message (no
/// intermediate `Data` and no copy of it). The layout is the generated codec's for requests
/// whose parameters are `i64`s and then `name, key, values...` in this order (`Map.get`,
/// `Map.set`, `Map.replaceIfSame`: the tests compare the bytes). Returns the message and
/// the key's partition hash.
fn keyed_request<Q: Serialize + ?Sized, V: Serialize>(
    schemas: &SchemaRegistry,
    message_type: i32,
    fixed: &[i64],
    name: &str,
    key: &Q,
    values: &[&V],
) -> Result<(Message, i32), SerializationError> {
    let capacity = REQUEST_HEADER
        + 8 * fixed.len()
        + 6
        + name.len()
        + 6
        + key.size_hint()
        + values.iter().map(|v| 6 + v.size_hint()).sum::<usize>();
    // Into a buffer of an earlier request when this thread has one (see `buffers`).
    let mut w = MessageWriter::request_in(crate::buffers::take(), message_type, capacity);
    for f in fixed {
        w.put(f);
    }
    w.string(name);
    let hash = partition_hash(w.frame_with(0, |out| key.write_data(schemas, out))?);
    for v in values {
        w.frame_with(0, |out| v.write_data(schemas, out))?;
    }
    Ok((w.finish(), hash))
}

/// A handle on one distributed map. Keys of type `K`, values of type `V`; use
/// `Map<Data, Data>` to work with serialized bytes directly.
///
/// Key arguments are borrowed forms of `K` (`K: Borrow<Q>`), as with `HashMap`: a
/// `Map<String, _>` takes `&str` as well as `&String`. The borrowed form must serialize
/// like the key (true of `str` and `String`).
///
/// ```no_run
/// # async fn demo(client: hazelcast_client::Client) -> Result<(), hazelcast_client::ClientError> {
/// let sessions = client.map::<String, String>("sessions");
/// sessions.set("id-1", &"value".to_owned()).await?;
/// let id = "id-1".to_owned();
/// assert_eq!(sessions.get(&id).await?.as_deref(), Some("value"));
/// assert_eq!(sessions.get("id-1").await?.as_deref(), Some("value"));
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct Map<K, V> {
    pub(crate) client: Client,
    pub(crate) name: String,
    _types: PhantomData<fn(K) -> V>,
}

impl<K, V> Clone for Map<K, V> {
    fn clone(&self) -> Self {
        Self {
            client: self.client.clone(),
            name: self.name.clone(),
            _types: PhantomData,
        }
    }
}

impl<K, V> Map<K, V> {
    pub(crate) fn new(client: Client, name: String) -> Self {
        Self {
            client,
            name,
            _types: PhantomData,
        }
    }

    /// The map's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The same map with other key/value types (e.g. `Map<Data, Data>`).
    pub fn with_types<K2, V2>(&self) -> Map<K2, V2> {
        Map::new(self.client.clone(), self.name.clone())
    }
}

impl<K: Serialize + Deserialize, V: Serialize + Deserialize> Map<K, V> {
    /// A keyed request of this map built in place ([`keyed_request`]); the caller then
    /// replicates any new Compact schema before sending it.
    fn request<Q: Serialize + ?Sized>(
        &self,
        message_type: i32,
        fixed: &[i64],
        key: &Q,
        values: &[&V],
    ) -> Result<(Message, i32), ClientError> {
        Ok(keyed_request(
            &self.client.inner.schemas,
            message_type,
            fixed,
            &self.name,
            key,
            values,
        )?)
    }

    // `keyed` and `any` hand back the invocation's future itself rather than wrapping it
    // in one more `async fn`: every such layer moves the whole (large) future once more.
    fn keyed(
        &self,
        request: Message,
        key_hash: i32,
        retryable: bool,
    ) -> impl Future<Output = Result<Message, ClientError>> + '_ {
        self.client
            .inner
            .invoke(request, Route::KeyHash(key_hash), retryable)
    }

    pub(crate) fn any(
        &self,
        request: Message,
        retryable: bool,
    ) -> impl Future<Output = Result<Message, ClientError>> + '_ {
        self.client.inner.invoke(request, Route::Any, retryable)
    }

    async fn value_opt(&self, d: Option<Data>) -> Result<Option<V>, ClientError> {
        match d {
            Some(d) if !d.is_null() => Ok(Some(self.client.inner.decode(&d).await?)),
            _ => Ok(None),
        }
    }

    /// The value of `key`.
    ///
    /// # Errors
    /// Connection, timeout, member or serialization errors.
    pub async fn get<Q>(&self, key: &Q) -> Result<Option<V>, ClientError>
    where
        K: Borrow<Q>,
        Q: Serialize + ?Sized,
    {
        let (req, hash) = keyed_request::<Q, V>(
            &self.client.inner.schemas,
            MapGetRequest::MESSAGE_TYPE,
            &[THREAD_ID],
            &self.name,
            key,
            &[],
        )?;
        self.client.inner.replicate_schemas().await?;
        let r = self.keyed(req, hash, MapGetRequest::RETRYABLE).await?;
        self.value_opt(MapGetResponse::decode(&r)?.response).await
    }

    /// Stores `value` and returns the old value (map-default TTL and max-idle).
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub async fn put<Q>(&self, key: &Q, value: &V) -> Result<Option<V>, ClientError>
    where
        K: Borrow<Q>,
        Q: Serialize + ?Sized,
    {
        self.put_with(key, value, None, None).await
    }

    /// Stores `value` with a TTL and/or max-idle (`None` = map default, zero = infinite) and
    /// returns the old value.
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub async fn put_with<Q>(
        &self,
        key: &Q,
        value: &V,
        ttl: Option<Duration>,
        max_idle: Option<Duration>,
    ) -> Result<Option<V>, ClientError>
    where
        K: Borrow<Q>,
        Q: Serialize + ?Sized,
    {
        let plain = PutKind {
            message_type: MapPutRequest::MESSAGE_TYPE,
            retryable: MapPutRequest::RETRYABLE,
            old_value: |r| Ok(MapPutResponse::decode(r)?.response),
        };
        let with_max_idle = PutKind {
            message_type: MapPutWithMaxIdleRequest::MESSAGE_TYPE,
            retryable: MapPutWithMaxIdleRequest::RETRYABLE,
            old_value: |r| Ok(MapPutWithMaxIdleResponse::decode(r)?.response),
        };
        self.put_like(key, value, ttl, max_idle, [plain, with_max_idle])
            .await
    }

    /// A `put`-like call (`put`, `putIfAbsent`): the plain message when `max_idle` is
    /// `None`, else the with-max-idle one (one more fixed field); returns the old value.
    async fn put_like<Q>(
        &self,
        key: &Q,
        value: &V,
        ttl: Option<Duration>,
        max_idle: Option<Duration>,
        [plain, with_max_idle]: [PutKind; 2],
    ) -> Result<Option<V>, ClientError>
    where
        K: Borrow<Q>,
        Q: Serialize + ?Sized,
    {
        let fixed = [THREAD_ID, to_millis(ttl), to_millis(max_idle)];
        let (kind, fixed) = match max_idle {
            None => (plain, &fixed[..2]),
            Some(_) => (with_max_idle, &fixed[..]),
        };
        let (req, hash) = self.request(kind.message_type, fixed, key, &[value])?;
        self.client.inner.replicate_schemas().await?;
        let r = self.keyed(req, hash, kind.retryable).await?;
        self.value_opt((kind.old_value)(&r)?).await
    }

    /// Stores `value` without returning the old one.
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub async fn set<Q>(&self, key: &Q, value: &V) -> Result<(), ClientError>
    where
        K: Borrow<Q>,
        Q: Serialize + ?Sized,
    {
        // Not through `set_with`: one `async` layer less to move the invocation through.
        let (req, hash, retryable) = self.set_request(key, value, None, None)?;
        self.client.inner.replicate_schemas().await?;
        self.keyed(req, hash, retryable).await?;
        Ok(())
    }

    /// The `Map.set` (or, with a max-idle, `Map.setWithMaxIdle`) request, the key's
    /// partition hash and whether the request is retryable.
    fn set_request<Q: Serialize + ?Sized>(
        &self,
        key: &Q,
        value: &V,
        ttl: Option<Duration>,
        max_idle: Option<Duration>,
    ) -> Result<(Message, i32, bool), ClientError> {
        let fixed = [THREAD_ID, to_millis(ttl), to_millis(max_idle)];
        let (message_type, retryable, fixed) = match max_idle {
            None => (
                MapSetRequest::MESSAGE_TYPE,
                MapSetRequest::RETRYABLE,
                &fixed[..2],
            ),
            Some(_) => (
                MapSetWithMaxIdleRequest::MESSAGE_TYPE,
                MapSetWithMaxIdleRequest::RETRYABLE,
                &fixed[..],
            ),
        };
        let (req, hash) = keyed_request(
            &self.client.inner.schemas,
            message_type,
            fixed,
            &self.name,
            key,
            &[value],
        )?;
        Ok((req, hash, retryable))
    }

    /// Stores `value` with a TTL and/or max-idle, without returning the old one.
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub async fn set_with<Q>(
        &self,
        key: &Q,
        value: &V,
        ttl: Option<Duration>,
        max_idle: Option<Duration>,
    ) -> Result<(), ClientError>
    where
        K: Borrow<Q>,
        Q: Serialize + ?Sized,
    {
        let (req, hash, retryable) = self.set_request(key, value, ttl, max_idle)?;
        self.client.inner.replicate_schemas().await?;
        self.keyed(req, hash, retryable).await?;
        Ok(())
    }

    /// Stores `value` only if `key` is absent; returns the existing value otherwise.
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub async fn put_if_absent<Q>(&self, key: &Q, value: &V) -> Result<Option<V>, ClientError>
    where
        K: Borrow<Q>,
        Q: Serialize + ?Sized,
    {
        self.put_if_absent_with(key, value, None, None).await
    }

    /// [`put_if_absent`](Self::put_if_absent) with TTL and/or max-idle.
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub async fn put_if_absent_with<Q>(
        &self,
        key: &Q,
        value: &V,
        ttl: Option<Duration>,
        max_idle: Option<Duration>,
    ) -> Result<Option<V>, ClientError>
    where
        K: Borrow<Q>,
        Q: Serialize + ?Sized,
    {
        let plain = PutKind {
            message_type: MapPutIfAbsentRequest::MESSAGE_TYPE,
            retryable: MapPutIfAbsentRequest::RETRYABLE,
            old_value: |r| Ok(MapPutIfAbsentResponse::decode(r)?.response),
        };
        let with_max_idle = PutKind {
            message_type: MapPutIfAbsentWithMaxIdleRequest::MESSAGE_TYPE,
            retryable: MapPutIfAbsentWithMaxIdleRequest::RETRYABLE,
            old_value: |r| Ok(MapPutIfAbsentWithMaxIdleResponse::decode(r)?.response),
        };
        self.put_like(key, value, ttl, max_idle, [plain, with_max_idle])
            .await
    }

    /// Replaces the value of an existing key; returns the old value (`None`: nothing done).
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub async fn replace<Q>(&self, key: &Q, value: &V) -> Result<Option<V>, ClientError>
    where
        K: Borrow<Q>,
        Q: Serialize + ?Sized,
    {
        let (req, hash) =
            self.request(MapReplaceRequest::MESSAGE_TYPE, &[THREAD_ID], key, &[value])?;
        self.client.inner.replicate_schemas().await?;
        let r = self.keyed(req, hash, MapReplaceRequest::RETRYABLE).await?;
        self.value_opt(MapReplaceResponse::decode(&r)?.response)
            .await
    }

    /// Compare-and-set: replaces the value only if it equals `expected` (serialized bytes
    /// compared by the member).
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub async fn replace_if_same<Q>(
        &self,
        key: &Q,
        expected: &V,
        value: &V,
    ) -> Result<bool, ClientError>
    where
        K: Borrow<Q>,
        Q: Serialize + ?Sized,
    {
        let (req, hash) = keyed_request(
            &self.client.inner.schemas,
            MapReplaceIfSameRequest::MESSAGE_TYPE,
            &[THREAD_ID],
            &self.name,
            key,
            &[expected, value],
        )?;
        self.client.inner.replicate_schemas().await?;
        let r = self
            .keyed(req, hash, MapReplaceIfSameRequest::RETRYABLE)
            .await?;
        Ok(MapReplaceIfSameResponse::decode(&r)?.response)
    }

    /// Removes `key` only if its value equals `expected` (serialized bytes compared by the
    /// member); true when it was removed.
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub async fn remove_if_same<Q>(&self, key: &Q, expected: &V) -> Result<bool, ClientError>
    where
        K: Borrow<Q>,
        Q: Serialize + ?Sized,
    {
        let (req, hash) = self.request(
            MapRemoveIfSameRequest::MESSAGE_TYPE,
            &[THREAD_ID],
            key,
            &[expected],
        )?;
        self.client.inner.replicate_schemas().await?;
        let r = self
            .keyed(req, hash, MapRemoveIfSameRequest::RETRYABLE)
            .await?;
        Ok(MapRemoveIfSameResponse::decode(&r)?.response)
    }

    /// Removes `key` and returns its value.
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub async fn remove<Q>(&self, key: &Q) -> Result<Option<V>, ClientError>
    where
        K: Borrow<Q>,
        Q: Serialize + ?Sized,
    {
        let (req, hash) = self.request(MapRemoveRequest::MESSAGE_TYPE, &[THREAD_ID], key, &[])?;
        self.client.inner.replicate_schemas().await?;
        let r = self.keyed(req, hash, MapRemoveRequest::RETRYABLE).await?;
        self.value_opt(MapRemoveResponse::decode(&r)?.response)
            .await
    }

    /// Removes `key` without returning its value. Members of protocol 2.7+ say whether
    /// something was removed (`Some(bool)`); older ones do not (`None`).
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub async fn delete<Q>(&self, key: &Q) -> Result<Option<bool>, ClientError>
    where
        K: Borrow<Q>,
        Q: Serialize + ?Sized,
    {
        let (req, hash) = self.request(MapDeleteRequest::MESSAGE_TYPE, &[THREAD_ID], key, &[])?;
        self.client.inner.replicate_schemas().await?;
        let r = self.keyed(req, hash, MapDeleteRequest::RETRYABLE).await?;
        Ok(MapDeleteResponse::decode(&r)?.response)
    }

    /// Whether `key` has a value.
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub async fn contains_key<Q>(&self, key: &Q) -> Result<bool, ClientError>
    where
        K: Borrow<Q>,
        Q: Serialize + ?Sized,
    {
        let (req, hash) =
            self.request(MapContainsKeyRequest::MESSAGE_TYPE, &[THREAD_ID], key, &[])?;
        self.client.inner.replicate_schemas().await?;
        let r = self
            .keyed(req, hash, MapContainsKeyRequest::RETRYABLE)
            .await?;
        Ok(MapContainsKeyResponse::decode(&r)?.response)
    }

    /// Sets the TTL of an existing entry (`None` = map default, zero = infinite); false when
    /// the key is absent. Note: it also resets a per-entry max-idle to the map default.
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub async fn set_ttl<Q>(&self, key: &Q, ttl: Option<Duration>) -> Result<bool, ClientError>
    where
        K: Borrow<Q>,
        Q: Serialize + ?Sized,
    {
        let (req, hash) =
            self.request(MapSetTtlRequest::MESSAGE_TYPE, &[to_millis(ttl)], key, &[])?;
        self.client.inner.replicate_schemas().await?;
        let r = self.keyed(req, hash, MapSetTtlRequest::RETRYABLE).await?;
        Ok(MapSetTtlResponse::decode(&r)?.response)
    }

    /// Listens to entry events of this map. See [`crate::listener`] for delivery and
    /// overflow rules.
    ///
    /// # Errors
    /// When no connection accepted the registration.
    pub async fn entry_events(
        &self,
        options: EntryListenerOptions,
    ) -> Result<EntryStream, ClientError> {
        add_entry_listener(&self.client.inner, &self.name, options, None).await
    }

    /// As [`entry_events`](Self::entry_events), with `inline` called by the connection's
    /// reader on each event as it arrives: the events it takes (returns `true` for) are
    /// not queued, so they are never dropped by a full buffer and wait for no task; the
    /// others reach the stream as usual. For quick, non-blocking bookkeeping such as
    /// invalidating a local cache.
    ///
    /// ```no_run
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicU64, Ordering};
    /// use hazelcast_client::{Client, EntryListenerOptions, InlineHandler};
    ///
    /// # async fn demo(client: Client) -> Result<(), hazelcast_client::ClientError> {
    /// let seen = Arc::new(AtomicU64::new(0));
    /// let counter = Arc::clone(&seen);
    /// let count_keyed: InlineHandler = Arc::new(move |event| {
    ///     counter.fetch_add(1, Ordering::Relaxed);
    ///     event.key.is_some() // map-wide events still reach the stream
    /// });
    /// let map = client.map::<String, String>("sessions");
    /// let _map_wide = map.entry_events_with(EntryListenerOptions::default(), count_keyed).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    /// When no connection accepted the registration.
    pub async fn entry_events_with(
        &self,
        options: EntryListenerOptions,
        inline: InlineHandler,
    ) -> Result<EntryStream, ClientError> {
        add_entry_listener(&self.client.inner, &self.name, options, Some(inline)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use hazelcast_protocol::compact::{FieldValue, GenericRecord};
    use hazelcast_protocol::serialization::{ToData, Value};

    use crate::serialize::AsCompact;

    /// The request built in place, its hash, and the same request through the codec.
    fn in_place<Q: Serialize + ?Sized, V: Serialize>(
        message_type: i32,
        fixed: &[i64],
        key: &Q,
        values: &[&V],
    ) -> (Message, i32) {
        keyed_request(
            &SchemaRegistry::new(),
            message_type,
            fixed,
            "m",
            key,
            values,
        )
        .expect("serializes")
    }

    #[test]
    fn requests_built_in_place_are_the_codecs_bytes() {
        let r = SchemaRegistry::new();
        let key = "key-17";
        let k = Serialize::to_data(key, &r).expect("key");
        let value = "v".repeat(1024);
        let v = Serialize::to_data(&value, &r).expect("value");
        let other = "w".to_owned();
        let o = Serialize::to_data(&other, &r).expect("value");

        let (m, hash) = in_place::<str, String>(MapGetRequest::MESSAGE_TYPE, &[1], key, &[]);
        let codec = MapGetRequest {
            name: "m",
            key: k.clone(),
            thread_id: 1,
        };
        assert_eq!(m, codec.encode());
        assert_eq!(hash, k.partition_hash());

        let (m, hash) = in_place(MapSetRequest::MESSAGE_TYPE, &[1, -1], key, &[&value]);
        let codec = MapSetRequest {
            name: "m",
            key: k.clone(),
            value: v.clone(),
            thread_id: 1,
            ttl: -1,
        };
        assert_eq!(m, codec.encode());
        assert_eq!(hash, k.partition_hash());

        let (m, _) = in_place(
            MapSetWithMaxIdleRequest::MESSAGE_TYPE,
            &[1, 5, 7],
            key,
            &[&value],
        );
        let codec = MapSetWithMaxIdleRequest {
            name: "m",
            key: k.clone(),
            value: v.clone(),
            thread_id: 1,
            ttl: 5,
            max_idle: 7,
        };
        assert_eq!(m, codec.encode());

        let (m, _) = in_place(
            MapReplaceIfSameRequest::MESSAGE_TYPE,
            &[1],
            key,
            &[&value, &other],
        );
        let codec = MapReplaceIfSameRequest {
            name: "m",
            key: k.clone(),
            test_value: v,
            value: o,
            thread_id: 1,
        };
        assert_eq!(m, codec.encode());
    }

    #[test]
    fn a_reused_buffer_gives_the_same_bytes() {
        let r = SchemaRegistry::new();
        let codec = MapSetRequest {
            name: "m",
            key: Serialize::to_data("k", &r).expect("key"),
            value: Serialize::to_data("v", &r).expect("value"),
            thread_id: 1,
            ttl: -1,
        }
        .encode();
        crate::buffers::give(vec![0xAB; 4000]);
        let (m, _) = in_place(
            MapSetRequest::MESSAGE_TYPE,
            &[1, -1],
            "k",
            &[&"v".to_owned()],
        );
        assert_eq!(m, codec);
        assert!(
            m.into_bytes().capacity() >= 4000,
            "the given buffer was used"
        );
    }

    #[test]
    fn every_keyed_request_built_in_place_is_the_codecs_bytes() {
        let r = SchemaRegistry::new();
        let key = "key-42";
        let k = Serialize::to_data(key, &r).expect("key");
        let value = "x".repeat(200);
        let v = Serialize::to_data(&value, &r).expect("value");
        let check = |m: (Message, i32), codec: Message| {
            assert_eq!(m.0, codec);
            assert_eq!(m.1, k.partition_hash());
        };
        check(
            in_place(MapPutRequest::MESSAGE_TYPE, &[1, 30], key, &[&value]),
            MapPutRequest {
                name: "m",
                key: k.clone(),
                value: v.clone(),
                thread_id: 1,
                ttl: 30,
            }
            .encode(),
        );
        check(
            in_place(
                MapPutWithMaxIdleRequest::MESSAGE_TYPE,
                &[1, 30, 40],
                key,
                &[&value],
            ),
            MapPutWithMaxIdleRequest {
                name: "m",
                key: k.clone(),
                value: v.clone(),
                thread_id: 1,
                ttl: 30,
                max_idle: 40,
            }
            .encode(),
        );
        check(
            in_place(
                MapPutIfAbsentRequest::MESSAGE_TYPE,
                &[1, -1],
                key,
                &[&value],
            ),
            MapPutIfAbsentRequest {
                name: "m",
                key: k.clone(),
                value: v.clone(),
                thread_id: 1,
                ttl: -1,
            }
            .encode(),
        );
        check(
            in_place(
                MapPutIfAbsentWithMaxIdleRequest::MESSAGE_TYPE,
                &[1, 0, 9],
                key,
                &[&value],
            ),
            MapPutIfAbsentWithMaxIdleRequest {
                name: "m",
                key: k.clone(),
                value: v.clone(),
                thread_id: 1,
                ttl: 0,
                max_idle: 9,
            }
            .encode(),
        );
        check(
            in_place(MapReplaceRequest::MESSAGE_TYPE, &[1], key, &[&value]),
            MapReplaceRequest {
                name: "m",
                key: k.clone(),
                value: v.clone(),
                thread_id: 1,
            }
            .encode(),
        );
        check(
            in_place(MapRemoveIfSameRequest::MESSAGE_TYPE, &[1], key, &[&value]),
            MapRemoveIfSameRequest {
                name: "m",
                key: k.clone(),
                value: v.clone(),
                thread_id: 1,
            }
            .encode(),
        );
        check(
            in_place::<str, String>(MapRemoveRequest::MESSAGE_TYPE, &[1], key, &[]),
            MapRemoveRequest {
                name: "m",
                key: k.clone(),
                thread_id: 1,
            }
            .encode(),
        );
        check(
            in_place::<str, String>(MapDeleteRequest::MESSAGE_TYPE, &[1], key, &[]),
            MapDeleteRequest {
                name: "m",
                key: k.clone(),
                thread_id: 1,
            }
            .encode(),
        );
        check(
            in_place::<str, String>(MapContainsKeyRequest::MESSAGE_TYPE, &[1], key, &[]),
            MapContainsKeyRequest {
                name: "m",
                key: k.clone(),
                thread_id: 1,
            }
            .encode(),
        );
        check(
            in_place::<str, String>(MapSetTtlRequest::MESSAGE_TYPE, &[5000], key, &[]),
            MapSetTtlRequest {
                name: "m",
                key: k.clone(),
                ttl: 5000,
            }
            .encode(),
        );
    }

    #[test]
    fn values_without_in_place_writing_and_stored_hashes_come_out_the_same() {
        let r = SchemaRegistry::new();
        // A key with a stored partition hash routes by it.
        let mut k = Serialize::to_data("k", &r).expect("key");
        k.set_partition_hash(12345);
        let (m, hash) = in_place::<Data, Data>(MapGetRequest::MESSAGE_TYPE, &[1], &k, &[]);
        assert_eq!(hash, 12345);
        let codec = MapGetRequest {
            name: "m",
            key: k.clone(),
            thread_id: 1,
        };
        assert_eq!(m, codec.encode());

        // Null is no bytes at all; a Compact value goes through `to_data`.
        let null = Value::Null;
        let (m, _) = in_place(MapSetRequest::MESSAGE_TYPE, &[1, 0], "k", &[&null]);
        let codec = MapSetRequest {
            name: "m",
            key: Serialize::to_data("k", &r).expect("key"),
            value: ToData::to_data(&null).expect("null"),
            thread_id: 1,
            ttl: 0,
        };
        assert_eq!(m, codec.encode());
        let record = AsCompact(
            GenericRecord::builder("P")
                .field("x", FieldValue::Int32(3))
                .build()
                .expect("record"),
        );
        let schemas = SchemaRegistry::new();
        let (m, _) = keyed_request(
            &schemas,
            MapSetRequest::MESSAGE_TYPE,
            &[1, 0],
            "m",
            "k",
            &[&record],
        )
        .expect("serializes");
        assert!(schemas.has_unreplicated(), "the schema is registered");
        let codec = MapSetRequest {
            name: "m",
            key: Serialize::to_data("k", &r).expect("key"),
            value: Serialize::to_data(&record, &r).expect("record"),
            thread_id: 1,
            ttl: 0,
        };
        assert_eq!(m, codec.encode());
    }

    #[test]
    fn ttl_conversion_follows_java() {
        assert_eq!(to_millis(None), -1);
        assert_eq!(to_millis(Some(Duration::ZERO)), 0);
        assert_eq!(to_millis(Some(Duration::from_micros(10))), 1);
        assert_eq!(to_millis(Some(Duration::from_secs(4))), 4000);
    }
}
