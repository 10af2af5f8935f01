//! Stored attribute bytes are input: whatever they are, decoding gives a value or a typed
//! error, never a panic or a huge allocation.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde::Deserialize;
use session_core::{
    AttributeCodec, CodecError, JsonCodec, PostcardCodec, SessionConfig, SessionDataError,
    SessionRecord, decode_value,
};

#[derive(Debug, Deserialize)]
#[allow(dead_code, reason = "only decoded, to exercise the codecs")]
struct Basket {
    items: Vec<(u32, u32)>,
    note: Option<String>,
    tags: BTreeMap<String, Vec<u8>>,
}

fn decode_all(codec: &dyn AttributeCodec, bytes: &[u8]) {
    let _ = decode_value::<String>(codec, bytes);
    let _ = decode_value::<i64>(codec, bytes);
    let _ = decode_value::<Vec<u64>>(codec, bytes);
    let _ = decode_value::<Basket>(codec, bytes);
    let _ = decode_value::<Option<BTreeMap<String, String>>>(codec, bytes);
    if let Err(e) = decode_value::<(u8, bool)>(codec, bytes) {
        assert!(matches!(e, CodecError::Decode { .. }));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1_000))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        decode_all(&JsonCodec, &bytes);
        decode_all(&PostcardCodec, &bytes);
    }

    #[test]
    fn json_like_text_never_panics(text in r#"[\[\]{}":,0-9a-z \-.e]{0,48}"#) {
        decode_all(&JsonCodec, text.as_bytes());
    }
}

#[test]
fn a_session_with_corrupt_stored_bytes_reports_the_attribute() {
    let config = SessionConfig::default();
    let mut record = SessionRecord::new("id-1", std::time::SystemTime::now(), None);
    record.attributes.insert(
        "basket".into(),
        bytes::Bytes::from_static(b"{\"items\": [[1, 2]"),
    );
    let session = config.load_session(record);
    match session.get::<Basket>("basket") {
        Err(SessionDataError::Attribute { name, .. }) => assert_eq!(name, "basket"),
        other => panic!("expected an attribute error, got {other:?}"),
    }
}
