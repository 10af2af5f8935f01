//! Checks every generated codec against the official protocol compatibility files in
//! `../shared/hazelcast/compat/` (relative to the workspace root): decoding the file's
//! message gives the reference values, and encoding the reference values gives the file's
//! bytes (exactly for 2.10; by the prefix rule for the 2.0 and 2.5 files).

#[path = "compat_support/reference.rs"]
mod reference;

use std::collections::HashMap;
use std::fmt::Debug;
use std::path::PathBuf;

use hazelcast_protocol::codec::Codec;
use hazelcast_protocol::decoder::{DecoderConfig, MessageDecoder};
use hazelcast_protocol::frame::{FrameRef, flags};
use hazelcast_protocol::message::Message;
use reference::{Kind, LATEST, Ver, cases};

fn compat_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/hazelcast/compat")
}

fn load(name: &str) -> HashMap<i32, Message> {
    let path = compat_dir().join(name);
    let bytes = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the protocol compatibility file {} ({e}); it must be at \
             ../shared/hazelcast/compat/{name} relative to the workspace root",
            path.display()
        )
    });
    let mut decoder = MessageDecoder::new(DecoderConfig::default());
    decoder.feed(&bytes);
    let mut out = HashMap::new();
    while let Some(m) = decoder.next_message().expect("compatibility file decodes") {
        assert!(
            out.insert(m.message_type(), m).is_none(),
            "message type twice in {name}"
        );
    }
    assert_eq!(decoder.buffered(), 0, "trailing bytes in {name}");
    out
}

fn frames(m: &Message) -> Vec<FrameRef<'_>> {
    m.frames().collect::<Result<_, _>>().expect("frames")
}

/// The official prefix rule: compare the fixed part truncated to the file's frame length,
/// skip our extra frames before an END frame, mask IS_FINAL, ignore our trailing frames.
fn prefix_matches(file: &Message, ours: &Message) -> Result<(), String> {
    let f = frames(file);
    let o = frames(ours);
    let (mut i, mut j) = (0, 0);
    while i < f.len() {
        let Some(mut of) = o.get(j).copied() else {
            return Err(format!("our encoding lacks frame {i} of the file"));
        };
        if f[i].is_end() && !of.is_end() {
            let mut depth = 0usize;
            loop {
                of = *o.get(j).ok_or("no END frame in our encoding")?;
                if of.is_end() {
                    if depth == 0 {
                        break;
                    }
                    depth -= 1;
                } else if of.is_begin() {
                    depth += 1;
                }
                j += 1;
            }
        }
        let mask = !flags::IS_FINAL;
        if f[i].flags & mask != of.flags & mask {
            return Err(format!(
                "frame {i}: flags {:#06x} in file, {:#06x} ours",
                f[i].flags, of.flags
            ));
        }
        let n = f[i].payload.len();
        if of.payload.len() < n || of.payload[..n] != *f[i].payload {
            return Err(format!(
                "frame {i}: payload {:02x?} in file, {:02x?} ours",
                f[i].payload, of.payload
            ));
        }
        i += 1;
        j += 1;
    }
    Ok(())
}

/// Called by the generated cases: `at_version` is the reference value as a peer of the
/// file's version sees it, `latest` the full reference value.
fn check_part<T: Codec + PartialEq + Debug>(
    file: &Message,
    at_version: T,
    latest: T,
) -> Result<(), String> {
    let decoded = T::decode(file).map_err(|e| format!("decode failed: {e}"))?;
    if decoded != at_version {
        return Err(format!("decoded {decoded:#?}\nexpected {at_version:#?}"));
    }
    let encoded = at_version.encode();
    if encoded.as_bytes() != file.as_bytes() {
        return Err(format!(
            "encoding the version's reference value differs:\nfile {:02x?}\nours {:02x?}",
            file.as_bytes(),
            encoded.as_bytes()
        ));
    }
    prefix_matches(file, &latest.encode()).map_err(|e| format!("prefix rule: {e}"))
}

fn run(version: &str, ver: Ver) -> usize {
    let mut checked_total = 0;
    let mut all_failures = Vec::new();
    for null in [false, true] {
        let name = format!(
            "{version}.protocol.compatibility{}.binary",
            if null { ".null" } else { "" }
        );
        let messages = load(&name);
        let mut checked = Vec::new();
        let mut failures = Vec::new();
        let mut counts = [0usize; 3];
        for case in cases() {
            if case.since > ver {
                continue;
            }
            let Some(m) = messages.get(&case.message_type) else {
                failures.push(format!(
                    "{} ({:#08x}) is absent from {name}",
                    case.label, case.message_type
                ));
                continue;
            };
            if let Err(e) = (case.check)(m, ver, null) {
                failures.push(format!("{} ({:#08x}): {e}", case.label, case.message_type));
            }
            counts[match case.kind {
                Kind::Request => 0,
                Kind::Response => 1,
                Kind::Event => 2,
            }] += 1;
            checked.push(format!("{:#08x} {}", case.message_type, case.label));
        }
        // Every message of the generated services in the file has a codec.
        for t in messages.keys() {
            let service = t >> 16;
            if [0, 1, 0x1b].contains(&service) && !cases().iter().any(|c| c.message_type == *t) {
                failures.push(format!("{t:#08x} in {name} has no generated codec"));
            }
        }
        eprintln!(
            "{name}: checked {} message types ({} requests, {} responses, {} events):\n  {}",
            checked.len(),
            counts[0],
            counts[1],
            counts[2],
            checked.join("\n  ")
        );
        if !failures.is_empty() {
            all_failures.push(format!(
                "{} failures in {name}:\n{}",
                failures.len(),
                failures.join("\n\n")
            ));
        }
        assert_eq!(counts[0], counts[1], "every request has its response");
        checked_total += checked.len();
    }
    assert!(all_failures.is_empty(), "{}", all_failures.join("\n\n"));
    checked_total
}

#[test]
fn compatibility_2_10() {
    let n = run("2.10", LATEST);
    assert_eq!(
        n,
        2 * cases().len(),
        "every generated codec is in the 2.10 files"
    );
    assert_eq!(
        n,
        2 * 249,
        "116 requests, 116 responses and 17 events per file"
    );
}

#[test]
fn compatibility_2_5() {
    assert_eq!(run("2.5", (2, 5, 0)), 2 * 232);
}

#[test]
fn compatibility_2_0() {
    assert_eq!(run("2.0", (2, 0, 0)), 2 * 218);
}
