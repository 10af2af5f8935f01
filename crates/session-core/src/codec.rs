//! Pluggable encoding of attribute values.

use std::cell::RefCell;
use std::fmt;

use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::CodecError;

/// The callback a codec hands its deserializer to.
pub type DecodeFn<'a> =
    dyn FnMut(&mut dyn erased_serde::Deserializer<'_>) -> Result<(), erased_serde::Error> + 'a;

/// Encodes attribute values to bytes and decodes them back.
///
/// A session keeps each attribute as the bytes its codec produced and decodes them only
/// when [`SessionData::get`](crate::SessionData::get) asks for a type, so a value is decoded into
/// whatever type the reader wants, and a value of the wrong shape is a typed error. The
/// trait is object-safe: it encodes from a type-erased [`erased_serde::Serialize`] and
/// decodes by handing a type-erased [`erased_serde::Deserializer`] to a callback that
/// builds the requested type (a callback rather than a returned boxed deserializer, so
/// the codec can keep its deserializer on the stack and check for trailing input after the
/// value). A repository crate can so bring its own format (the
/// Hazelcast repository writes strings and numbers with Hazelcast's own type ids) without
/// the session knowing it.
///
/// Two codecs ship here: [`JsonCodec`], the default (readable from any language), and
/// [`PostcardCodec`], compact binary (not self-describing: a value decodes only into the
/// type that wrote it, or one with the same shape).
///
/// ```
/// use session_core::{AttributeCodec, DecodeFn, CodecError, SessionConfig};
///
/// /// JSON, but every value is wrapped as `{"v": ...}`.
/// #[derive(Debug)]
/// struct Wrapped;
///
/// impl AttributeCodec for Wrapped {
///     fn name(&self) -> &'static str { "wrapped-json" }
///
///     fn encode(&self, value: &dyn erased_serde::Serialize) -> Result<Vec<u8>, CodecError> {
///         serde_json::to_vec(&serde_json::json!({ "v": serde_json::to_value(value).map_err(
///             |e| CodecError::Encode { codec: "wrapped-json", source: e.into() })? }))
///             .map_err(|e| CodecError::Encode { codec: "wrapped-json", source: e.into() })
///     }
///
///     fn decode(&self, bytes: &[u8], visit: &mut DecodeFn<'_>) -> Result<(), CodecError> {
///         let fail = |e: Box<dyn std::error::Error + Send + Sync>| CodecError::Decode {
///             codec: "wrapped-json", source: e };
///         let outer: serde_json::Value = serde_json::from_slice(bytes).map_err(|e| fail(e.into()))?;
///         let inner = outer.get("v").ok_or_else(|| fail("no `v` field".into()))?;
///         let mut erased = <dyn erased_serde::Deserializer<'_>>::erase(inner);
///         visit(&mut erased).map_err(|e| fail(e.into()))
///     }
/// }
///
/// let session = SessionConfig::default().with_codec(Wrapped).new_session(std::time::SystemTime::now()).unwrap();
/// session.insert("n", &5).unwrap();
/// assert_eq!(&session.attribute_bytes("n").unwrap()[..], br#"{"v":5}"#);
/// assert_eq!(session.get::<i32>("n").unwrap(), Some(5));
/// ```
///
/// Implementations must not panic on any input bytes: malformed bytes are a
/// [`CodecError::Decode`].
pub trait AttributeCodec: Send + Sync + fmt::Debug {
    /// A short name for errors and logs (`"json"`, `"postcard"`).
    fn name(&self) -> &'static str;

    /// Encodes one value.
    fn encode(&self, value: &dyn erased_serde::Serialize) -> Result<Vec<u8>, CodecError>;

    /// Decodes `bytes`: builds a deserializer over them, passes it to `visit` (which
    /// deserializes the requested type), then checks that all input was consumed.
    fn decode(&self, bytes: &[u8], visit: &mut DecodeFn<'_>) -> Result<(), CodecError>;

    /// The JSON document `bytes` hold, when this codec stored the value as plain JSON
    /// text there: [`decode_value`] then parses it straight into the requested type,
    /// without the type-erased [`AttributeCodec::decode`] (several times faster for
    /// structs and collections). `None` (the default) for any other encoding.
    fn json_text<'a>(&self, bytes: &'a [u8]) -> Option<&'a [u8]> {
        let _ = bytes;
        None
    }

    /// Whether [`AttributeCodec::encode`] writes exactly what `serde_json::to_vec` writes
    /// for the value: [`encode_value`] then serializes the value's own type straight to
    /// JSON, without the type-erased [`AttributeCodec::encode`] (about twice as fast for
    /// structs and collections). `false` (the default) for any other encoding.
    fn encodes_plain_json(&self) -> bool {
        false
    }

    /// For a codec that stores values of some shapes as JSON text after a fixed prefix
    /// and the text's length (4 bytes, big-endian): the prefix when it stores `value` so
    /// (the Hazelcast codec's `HazelcastJsonValue` for structs and collections). Its
    /// answer must not depend on anything but the value's shape, and the framed text must
    /// be exactly what [`AttributeCodec::encode`] writes. [`encode_value`] then serializes
    /// the value's own type straight to JSON and frames it, without the type-erased
    /// `encode` (about twice as fast for structs and collections). `None` (the default):
    /// `encode` is used.
    fn json_frame(&self, value: &dyn erased_serde::Serialize) -> Option<&'static [u8]> {
        let _ = value;
        None
    }
}

/// Encodes `value` with `codec`.
pub fn encode_value<T: Serialize + ?Sized>(
    codec: &dyn AttributeCodec,
    value: &T,
) -> Result<Bytes, CodecError> {
    if codec.encodes_plain_json() {
        return encode_json(value).map_err(|e| CodecError::Encode {
            codec: codec.name(),
            source: e.into(),
        });
    }
    let erased: &dyn erased_serde::Serialize = &value;
    if let Some(prefix) = codec.json_frame(erased) {
        return encode_framed_json(prefix, value).map_err(|source| CodecError::Encode {
            codec: codec.name(),
            source,
        });
    }
    codec.encode(erased).map(Bytes::from)
}

/// `prefix`, the length of `value`'s JSON text (4 bytes, big-endian) and the text, written
/// into the thread's buffer (as [`encode_json`]) and copied out at its exact size.
fn encode_framed_json<T: Serialize + ?Sized>(
    prefix: &[u8],
    value: &T,
) -> Result<Bytes, crate::error::BoxError> {
    let frame = |out: &mut Vec<u8>| -> Result<(), crate::error::BoxError> {
        let start = prefix.len() + 4;
        out.extend_from_slice(prefix);
        out.extend_from_slice(&[0; 4]);
        serde_json::to_writer(&mut *out, value)?;
        let len = i32::try_from(out.len() - start)
            .map_err(|_| format!("{} bytes of JSON, more than a Data holds", out.len()))?;
        out[prefix.len()..start].copy_from_slice(&len.to_be_bytes());
        Ok(())
    };
    JSON_BUFFER.with(|buffer| match buffer.try_borrow_mut() {
        Ok(mut buffer) => {
            buffer.clear();
            let result = frame(&mut buffer).map(|()| Bytes::copy_from_slice(&buffer));
            if buffer.capacity() > MAX_KEPT_JSON_BUFFER {
                *buffer = Vec::new();
            }
            result
        }
        // A value whose serialization encodes another one on this thread.
        Err(_) => {
            let mut out = Vec::new();
            frame(&mut out).map(|()| Bytes::from(out))
        }
    })
}

/// The largest JSON buffer a thread keeps between encodes.
const MAX_KEPT_JSON_BUFFER: usize = 64 * 1024;

thread_local! {
    /// Each thread's JSON encoding buffer, reused so that an encode allocates only its
    /// result, of the exact size.
    static JSON_BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// `value` as JSON text, written into the thread's buffer and copied out at its exact
/// size (one allocation instead of a growing `Vec` and the `Bytes` header of its spare
/// capacity).
fn encode_json<T: Serialize + ?Sized>(value: &T) -> Result<Bytes, serde_json::Error> {
    JSON_BUFFER.with(|buffer| match buffer.try_borrow_mut() {
        Ok(mut buffer) => {
            buffer.clear();
            let written = serde_json::to_writer(&mut *buffer, value);
            let result = written.map(|()| Bytes::copy_from_slice(&buffer));
            if buffer.capacity() > MAX_KEPT_JSON_BUFFER {
                *buffer = Vec::new();
            }
            result
        }
        // A value whose serialization encodes another one on this thread.
        Err(_) => serde_json::to_vec(value).map(Bytes::from),
    })
}

/// Decodes `bytes` with `codec` into a `T`.
pub fn decode_value<T: DeserializeOwned>(
    codec: &dyn AttributeCodec,
    bytes: &[u8],
) -> Result<T, CodecError> {
    if let Some(json) = codec.json_text(bytes) {
        let fail = |source: crate::error::BoxError| CodecError::Decode {
            codec: codec.name(),
            source,
        };
        // Validated as UTF-8 once, as a whole, rather than string by string.
        let text = std::str::from_utf8(json).map_err(|e| fail(e.into()))?;
        return serde_json::from_str(text).map_err(|e| fail(e.into()));
    }
    let mut out: Option<T> = None;
    codec.decode(bytes, &mut |de| {
        out = Some(erased_serde::deserialize::<T>(de)?);
        Ok(())
    })?;
    out.ok_or_else(|| CodecError::Decode {
        codec: codec.name(),
        source: "the codec did not call its decode callback".into(),
    })
}

/// JSON attribute values (`serde_json`). The default codec: other languages (a Spring
/// service with Jackson, a Python script) can read the values.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonCodec;

impl AttributeCodec for JsonCodec {
    fn name(&self) -> &'static str {
        "json"
    }

    fn encode(&self, value: &dyn erased_serde::Serialize) -> Result<Vec<u8>, CodecError> {
        serde_json::to_vec(value).map_err(|e| CodecError::Encode {
            codec: "json",
            source: e.into(),
        })
    }

    fn decode(&self, bytes: &[u8], visit: &mut DecodeFn<'_>) -> Result<(), CodecError> {
        let fail = |source: crate::error::BoxError| CodecError::Decode {
            codec: "json",
            source,
        };
        let mut de = serde_json::Deserializer::from_slice(bytes);
        {
            let mut erased = <dyn erased_serde::Deserializer<'_>>::erase(&mut de);
            visit(&mut erased).map_err(|e| fail(e.into()))?;
        }
        de.end().map_err(|e| fail(e.into()))
    }

    fn json_text<'a>(&self, bytes: &'a [u8]) -> Option<&'a [u8]> {
        Some(bytes)
    }

    fn encodes_plain_json(&self) -> bool {
        true
    }
}

/// Compact binary attribute values (`postcard`).
///
/// Smaller and faster than JSON, but not self-describing: only Rust code with the same
/// types can read the values.
#[derive(Debug, Clone, Copy, Default)]
pub struct PostcardCodec;

impl AttributeCodec for PostcardCodec {
    fn name(&self) -> &'static str {
        "postcard"
    }

    fn encode(&self, value: &dyn erased_serde::Serialize) -> Result<Vec<u8>, CodecError> {
        postcard::to_stdvec(value).map_err(|e| CodecError::Encode {
            codec: "postcard",
            source: e.into(),
        })
    }

    fn decode(&self, bytes: &[u8], visit: &mut DecodeFn<'_>) -> Result<(), CodecError> {
        let fail = |source: crate::error::BoxError| CodecError::Decode {
            codec: "postcard",
            source,
        };
        let mut de = postcard::Deserializer::from_bytes(bytes);
        {
            let mut erased = <dyn erased_serde::Deserializer<'_>>::erase(&mut de);
            visit(&mut erased).map_err(|e| fail(e.into()))?;
        }
        let rest = de.finalize().map_err(|e| fail(e.into()))?;
        if rest.is_empty() {
            Ok(())
        } else {
            Err(fail(
                format!("{} bytes left over after the value", rest.len()).into(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Basket {
        items: Vec<u32>,
        total_cents: u64,
        note: Option<String>,
    }

    fn round_trip(codec: &dyn AttributeCodec) {
        let basket = Basket {
            items: vec![1, 2, 3],
            total_cents: 12_345,
            note: Some("gift".into()),
        };
        let bytes = encode_value(codec, &basket).unwrap();
        assert_eq!(decode_value::<Basket>(codec, &bytes).unwrap(), basket);
        let s = encode_value(codec, "hello").unwrap();
        assert_eq!(decode_value::<String>(codec, &s).unwrap(), "hello");
        let n = encode_value(codec, &42u64).unwrap();
        assert_eq!(decode_value::<u64>(codec, &n).unwrap(), 42);
    }

    #[test]
    fn json_round_trips() {
        round_trip(&JsonCodec);
        let bytes = encode_value(&JsonCodec, &vec![1, 2]).unwrap();
        assert_eq!(&bytes[..], b"[1,2]");
    }

    /// JSON through the type-erased path only (no `json_text`).
    #[derive(Debug)]
    struct ErasedJson;

    impl AttributeCodec for ErasedJson {
        fn name(&self) -> &'static str {
            "json"
        }
        fn encode(&self, value: &dyn erased_serde::Serialize) -> Result<Vec<u8>, CodecError> {
            JsonCodec.encode(value)
        }
        fn decode(&self, bytes: &[u8], visit: &mut DecodeFn<'_>) -> Result<(), CodecError> {
            JsonCodec.decode(bytes, visit)
        }
    }

    #[test]
    fn the_json_fast_path_reads_what_the_erased_path_reads() {
        round_trip(&ErasedJson);
        for input in [
            &b"{\"items\":[1],\"total_cents\":5,\"note\":null}"[..],
            b"[1]",
            b"{} x",
            b"",
        ] {
            let fast = decode_value::<Basket>(&JsonCodec, input);
            let erased = decode_value::<Basket>(&ErasedJson, input);
            assert_eq!(fast.is_ok(), erased.is_ok(), "{input:?}");
            assert_eq!(fast.ok(), erased.ok());
        }
    }

    #[test]
    fn the_json_fast_encode_writes_what_the_erased_encode_writes() {
        let basket = Basket {
            items: vec![1, 2, 3],
            total_cents: 7,
            note: Some("a \"quoted\" \u{e9}\n note".into()),
        };
        assert!(JsonCodec.encodes_plain_json() && !ErasedJson.encodes_plain_json());
        assert_eq!(
            encode_value(&JsonCodec, &basket).unwrap(),
            encode_value(&ErasedJson, &basket).unwrap()
        );
        let mut m = std::collections::HashMap::new();
        m.insert((1, 2), 3);
        assert!(matches!(
            encode_value(&JsonCodec, &m),
            Err(CodecError::Encode { codec: "json", .. })
        ));
    }

    /// Encodes another value while it is being encoded.
    struct Nested;

    impl Serialize for Nested {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let inner = encode_value(&JsonCodec, &[1, 2]).map_err(serde::ser::Error::custom)?;
            serializer.serialize_bytes(&inner)
        }
    }

    #[test]
    fn a_json_encode_inside_a_json_encode_works() {
        let bytes = encode_value(&JsonCodec, &Nested).unwrap();
        assert_eq!(&bytes[..], b"[91,49,44,50,93]");
        let big = vec![7u8; MAX_KEPT_JSON_BUFFER];
        assert_eq!(
            decode_value::<Vec<u8>>(&JsonCodec, &encode_value(&JsonCodec, &big).unwrap()).unwrap(),
            big
        );
        assert!(JSON_BUFFER.with(|b| b.borrow().capacity()) <= MAX_KEPT_JSON_BUFFER);
    }

    #[test]
    fn postcard_round_trips() {
        round_trip(&PostcardCodec);
    }

    #[test]
    fn wrong_type_is_a_typed_error() {
        for codec in [&JsonCodec as &dyn AttributeCodec, &PostcardCodec] {
            let bytes = encode_value(codec, "not a number").unwrap();
            let err = decode_value::<Basket>(codec, &bytes).unwrap_err();
            assert!(matches!(err, CodecError::Decode { .. }), "{err:?}");
        }
    }

    #[test]
    fn garbage_and_trailing_bytes_are_errors() {
        assert!(decode_value::<u64>(&JsonCodec, b"12 13").is_err());
        assert!(decode_value::<u64>(&JsonCodec, b"\xff\xfe").is_err());
        assert!(decode_value::<String>(&JsonCodec, b"\"\xff\"").is_err());
        assert!(decode_value::<String>(&ErasedJson, b"\"\xff\"").is_err());
        assert!(decode_value::<u64>(&JsonCodec, b"").is_err());
        assert!(decode_value::<u8>(&PostcardCodec, &[1, 2]).is_err());
        assert!(decode_value::<String>(&PostcardCodec, &[0xff, 0xff, 0xff, 0xff, 0x0f]).is_err());
        // A huge announced length must not allocate it.
        assert!(
            decode_value::<Vec<u64>>(&PostcardCodec, &[0xff, 0xff, 0xff, 0xff, 0x0f, 1]).is_err()
        );
        let deep = "[".repeat(100_000);
        assert!(decode_value::<serde_json::Value>(&JsonCodec, deep.as_bytes()).is_err());
    }
}
