//! SessionData ids: validation and pluggable generators.

use std::fmt;

use base64::Engine as _;

use crate::error::IdGenerationError;

/// The longest session id, in bytes, that any repository looks up.
///
/// Longer ids (forged cookies, megabyte headers) are simply not found, without touching the
/// store.
pub const MAX_SESSION_ID_LEN: usize = 128;

/// Whether `id` can be a session id: 1 to [`MAX_SESSION_ID_LEN`] bytes of printable ASCII
/// without spaces.
///
/// Repositories answer "not found" for anything else without asking their store.
///
/// ```
/// use session_core::is_valid_session_id;
/// assert!(is_valid_session_id("0f4b6e3a-6a3c-4c1e-9d55-2b8f3f0a9d11"));
/// assert!(!is_valid_session_id(""));
/// assert!(!is_valid_session_id("a b"));
/// assert!(!is_valid_session_id(&"x".repeat(1 << 20)));
/// ```
pub fn is_valid_session_id(id: &str) -> bool {
    // Every byte checked without an early exit (a loop the compiler vectorizes): this
    // runs on every request, usually twice, and valid ids are the usual case.
    !id.is_empty()
        && id.len() <= MAX_SESSION_ID_LEN
        && id
            .bytes()
            .fold(true, |ok, b| ok & (b.wrapping_sub(b'!') < b'~' - b'!' + 1))
}

/// Makes new session ids.
///
/// Implementations must draw from a cryptographically secure source and return ids that
/// pass [`is_valid_session_id`].
pub trait SessionIdGenerator: Send + Sync + fmt::Debug {
    /// A new, unguessable id.
    fn generate(&self) -> Result<String, IdGenerationError>;
}

/// The textual form of ids made by [`RandomIdGenerator`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum IdFormat {
    /// A version 4 UUID string (36 characters, 122 random bits), like Spring Session.
    #[default]
    Uuid,
    /// 32 random bytes (256 bits) in unpadded URL-safe base64 (43 characters).
    Base64Url,
}

/// Ids from the operating system's CSPRNG (`getrandom`).
///
/// The default is [`RandomIdGenerator::uuid`]: 122 random bits written as a version 4 UUID
/// string, exactly the shape of Spring Session's default ids. It is the default because a
/// Rust service and a Spring service sharing one session map then hand out ids that look
/// alike (tools, log filters and cookie size limits written for Spring keep working), and
/// 122 unguessable bits are far above the 64 bits OWASP asks of a session id.
/// [`RandomIdGenerator::base64url`] gives 256 bits in 43 URL-safe characters for those who
/// want more margin.
///
/// ```
/// use session_core::{RandomIdGenerator, SessionIdGenerator};
/// let id = RandomIdGenerator::default().generate().unwrap();
/// assert_eq!(id.len(), 36);
/// assert_eq!(&id[14..15], "4"); // version 4
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIdGenerator {
    format: IdFormat,
}

impl RandomIdGenerator {
    /// Spring-shaped ids: random version 4 UUID strings. The default.
    pub fn uuid() -> Self {
        Self {
            format: IdFormat::Uuid,
        }
    }

    /// 256-bit ids in URL-safe base64.
    pub fn base64url() -> Self {
        Self {
            format: IdFormat::Base64Url,
        }
    }

    /// The format of the ids this generator makes.
    pub fn format(&self) -> IdFormat {
        self.format
    }
}

fn random_bytes<const N: usize>() -> Result<[u8; N], IdGenerationError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| IdGenerationError::new(e.to_string()))?;
    Ok(bytes)
}

/// Formats 16 random bytes as a version 4, RFC 4122 variant UUID string.
fn uuid_v4_string(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    out
}

impl SessionIdGenerator for RandomIdGenerator {
    fn generate(&self) -> Result<String, IdGenerationError> {
        match self.format {
            IdFormat::Uuid => Ok(uuid_v4_string(random_bytes::<16>()?)),
            IdFormat::Base64Url => {
                Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>()?))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn uuid_ids_have_spring_shape() {
        let id = RandomIdGenerator::uuid().generate().unwrap();
        assert_eq!(id.len(), 36);
        let parts: Vec<&str> = id.split('-').collect();
        assert_eq!(
            parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
        assert!(parts[2].starts_with('4'), "version nibble in {id}");
        assert!(
            matches!(parts[3].as_bytes()[0], b'8' | b'9' | b'a' | b'b'),
            "variant in {id}"
        );
        assert!(is_valid_session_id(&id));
    }

    #[test]
    fn uuid_formatting_is_exact() {
        assert_eq!(
            uuid_v4_string([0xff; 16]),
            "ffffffff-ffff-4fff-bfff-ffffffffffff"
        );
        assert_eq!(
            uuid_v4_string([0; 16]),
            "00000000-0000-4000-8000-000000000000"
        );
    }

    #[test]
    fn base64_ids_are_long_and_url_safe() {
        let id = RandomIdGenerator::base64url().generate().unwrap();
        assert_eq!(id.len(), 43);
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
    }

    #[test]
    fn ids_do_not_repeat() {
        let generator = RandomIdGenerator::default();
        let ids: HashSet<String> = (0..10_000).map(|_| generator.generate().unwrap()).collect();
        assert_eq!(ids.len(), 10_000);
    }

    #[test]
    fn invalid_ids_are_rejected() {
        for bad in ["", " ", "a\nb", "é", "a\0"] {
            assert!(!is_valid_session_id(bad), "{bad:?}");
        }
        assert!(is_valid_session_id(&"a".repeat(MAX_SESSION_ID_LEN)));
        assert!(!is_valid_session_id(&"a".repeat(MAX_SESSION_ID_LEN + 1)));
    }

    /// The rule as first written (visible ASCII only), against which the branchless check
    /// is compared.
    fn reference(id: &str) -> bool {
        !id.is_empty() && id.len() <= MAX_SESSION_ID_LEN && id.bytes().all(|b| b.is_ascii_graphic())
    }

    #[test]
    fn every_byte_is_judged_as_visible_ascii() {
        for b in 0..=u8::MAX {
            let Ok(one) = std::str::from_utf8(std::slice::from_ref(&b)) else {
                continue;
            };
            let id = format!("0f4b6e3a{one}6a3c");
            assert_eq!(is_valid_session_id(&id), reference(&id), "byte {b:#x}");
            assert_eq!(
                is_valid_session_id(one),
                b.is_ascii_graphic(),
                "byte {b:#x}"
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn validity_matches_the_reference(id in "\\PC{0,80}|[ -~]{0,80}") {
            proptest::prop_assert_eq!(is_valid_session_id(&id), reference(&id));
        }
    }
}
