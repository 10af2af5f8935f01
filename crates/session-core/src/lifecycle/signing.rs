//! Optional signing of the cookie value with HMAC-SHA256 and rotatable keys.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::lifecycle::error::LifecycleConfigError;

type HmacSha256 = Hmac<Sha256>;

/// The shortest signing key accepted, in bytes.
pub const MIN_SIGNING_KEY_LEN: usize = 32;

/// The most keys a signer holds (the newest and the older ones still accepted).
pub const MAX_SIGNING_KEYS: usize = 8;

/// Length of an encoded signature: 32 bytes in unpadded base64url.
const SIGNATURE_LEN: usize = 43;

/// Signs session ids before they go into the cookie, so that a forged or guessed value is
/// rejected before the store is asked.
///
/// The signed token is `<id>.<base64url(HMAC-SHA256(key, id))>`. Keys rotate: the newest
/// key signs, and every key (newest first) is tried when verifying, so values signed with
/// a retired key keep working until it is removed.
///
/// Note that a signed cookie is not readable by a Spring service sharing the domain;
/// leave signing off when that matters.
///
/// ```
/// use session_core::lifecycle::CookieSigner;
///
/// let old = CookieSigner::new(vec![1u8; 32]).unwrap();
/// let token = old.sign("abc");
/// let rotated = CookieSigner::new(vec![2u8; 32]).unwrap().with_previous_key(vec![1u8; 32]).unwrap();
/// assert_eq!(rotated.verify(&token), Some("abc"));
/// assert_ne!(rotated.sign("abc"), token);
/// assert_eq!(rotated.verify("abc.forged"), None);
/// ```
#[derive(Clone)]
pub struct CookieSigner {
    /// One keyed MAC state per key, newest first.
    keys: Vec<HmacSha256>,
}

impl fmt::Debug for CookieSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CookieSigner")
            .field("keys", &self.keys.len())
            .finish_non_exhaustive()
    }
}

impl CookieSigner {
    /// A signer with one key (at least [`MIN_SIGNING_KEY_LEN`] bytes).
    pub fn new(key: impl AsRef<[u8]>) -> Result<Self, LifecycleConfigError> {
        Ok(Self {
            keys: vec![keyed(key.as_ref())?],
        })
    }

    /// Adds an older key that is still accepted but no longer used to sign.
    pub fn with_previous_key(
        mut self,
        key: impl AsRef<[u8]>,
    ) -> Result<Self, LifecycleConfigError> {
        if self.keys.len() >= MAX_SIGNING_KEYS {
            return Err(LifecycleConfigError::TooManySigningKeys {
                max: MAX_SIGNING_KEYS,
            });
        }
        self.keys.push(keyed(key.as_ref())?);
        Ok(self)
    }

    /// The signed token for `id`, made with the newest key.
    pub fn sign(&self, id: &str) -> String {
        let mut out = String::with_capacity(id.len() + 1 + SIGNATURE_LEN);
        out.push_str(id);
        if let Some(key) = self.keys.first() {
            let mut mac = key.clone();
            mac.update(id.as_bytes());
            out.push('.');
            out.push_str(&URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()));
        }
        out
    }

    /// The id inside `token` if one of the keys signed it.
    pub fn verify<'a>(&self, token: &'a str) -> Option<&'a str> {
        let (id, signature) = token.rsplit_once('.')?;
        if signature.len() != SIGNATURE_LEN {
            return None;
        }
        let tag = URL_SAFE_NO_PAD.decode(signature).ok()?;
        self.keys
            .iter()
            .any(|key| {
                let mut mac = key.clone();
                mac.update(id.as_bytes());
                mac.verify_slice(&tag).is_ok()
            })
            .then_some(id)
    }
}

fn keyed(key: &[u8]) -> Result<HmacSha256, LifecycleConfigError> {
    check_key(key)?;
    HmacSha256::new_from_slice(key).map_err(|_| LifecycleConfigError::SigningKeyTooShort {
        min: MIN_SIGNING_KEY_LEN,
    })
}

fn check_key(key: &[u8]) -> Result<(), LifecycleConfigError> {
    if key.len() < MIN_SIGNING_KEY_LEN {
        return Err(LifecycleConfigError::SigningKeyTooShort {
            min: MIN_SIGNING_KEY_LEN,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies() {
        let signer = CookieSigner::new(vec![7u8; 32]).unwrap();
        let token = signer.sign("0f4b6e3a-6a3c-4c1e-9d55-2b8f3f0a9d11");
        assert_eq!(
            signer.verify(&token),
            Some("0f4b6e3a-6a3c-4c1e-9d55-2b8f3f0a9d11")
        );
        // Tampered id or signature.
        assert_eq!(signer.verify(&token.replacen('0', "1", 1)), None);
        let mut bad = token.clone();
        bad.pop();
        bad.push('A');
        assert_eq!(signer.verify(&bad), None);
        assert_eq!(signer.verify(&token[..token.len() - 1]), None);
        assert_eq!(signer.verify("no-dot"), None);
        assert_eq!(signer.verify(""), None);
        // Another key.
        let other = CookieSigner::new(vec![8u8; 32]).unwrap();
        assert_eq!(other.verify(&token), None);
    }

    #[test]
    fn rotation_and_key_rules() {
        let rotated = CookieSigner::new(vec![2u8; 32])
            .unwrap()
            .with_previous_key(vec![1u8; 32])
            .unwrap();
        let old_token = CookieSigner::new(vec![1u8; 32]).unwrap().sign("id");
        assert_eq!(rotated.verify(&old_token), Some("id"));
        assert_eq!(
            CookieSigner::new(vec![2u8; 32])
                .unwrap()
                .verify(&rotated.sign("id")),
            Some("id")
        );
        assert!(CookieSigner::new(vec![1u8; 31]).is_err());
        let mut signer = CookieSigner::new(vec![0u8; 32]).unwrap();
        for _ in 1..MAX_SIGNING_KEYS {
            signer = signer.with_previous_key(vec![0u8; 32]).unwrap();
        }
        assert!(signer.with_previous_key(vec![0u8; 32]).is_err());
    }
}
