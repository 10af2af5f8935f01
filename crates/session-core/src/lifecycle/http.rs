//! The HTTP decisions both web adapters share, so that they behave the same: which proxy
//! headers are trusted, and what a handler's session error answers. The adapters only
//! translate their framework's request and response types.

use crate::lifecycle::error::LifecycleError;
use crate::lifecycle::resolver::RequestView;

/// The header a TLS-terminating proxy sets to the scheme the client used.
pub const X_FORWARDED_PROTO: &str = "x-forwarded-proto";
/// The header a proxy sets to the host the client asked for.
pub const X_FORWARDED_HOST: &str = "x-forwarded-host";
/// The longest host used for cookie domains.
const MAX_HOST_LEN: usize = 300;

/// Whether `X-Forwarded-Proto` and `X-Forwarded-Host` are believed (for the cookie's
/// `Secure` attribute and its domain pattern).
///
/// Off by default: anyone can send these headers, so they may be trusted only when every
/// request comes through a proxy that sets them (and strips the client's). Behind such a
/// proxy, [`ForwardedHeaders::Trust`] makes `Secure` follow the client's scheme and the
/// domain pattern match the client's host; the alternative is
/// [`CookieSecure::Always`](crate::lifecycle::CookieSecure::Always).
///
/// ```
/// use session_core::MemorySessionRepository;
/// use session_core::lifecycle::{ForwardedHeaders, RequestIds, SessionManager};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let behind_proxy = SessionManager::new(MemorySessionRepository::new())
///     .with_forwarded_headers(ForwardedHeaders::Trust);
/// let request = RequestIds { forwarded_proto: Some(b"https"), ..RequestIds::default() };
/// let session = behind_proxy.begin(&request);
/// session.insert("a", &1).await?;
/// assert!(session.commit().await?.set_cookies[0].contains("; Secure"));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ForwardedHeaders {
    /// The headers are ignored: `Secure` only when the server itself serves https, the
    /// domain from the `Host` header. The default.
    #[default]
    Ignore,
    /// The first value of `X-Forwarded-Proto` (`https`) and of `X-Forwarded-Host` are
    /// used when present.
    Trust,
}

impl ForwardedHeaders {
    /// Whether the adapters should pass the forwarded headers at all.
    pub fn is_trusted(self) -> bool {
        self == Self::Trust
    }

    /// The request's effective `(secure, host)` under this rule.
    pub(crate) fn effective<'a>(self, request: &RequestView<'a, '_>) -> (bool, Option<&'a str>) {
        let host = request
            .host
            .filter(|h| h.len() <= MAX_HOST_LEN && !h.is_empty());
        if self == Self::Ignore {
            return (request.secure, host);
        }
        let proto = request.forwarded_proto.and_then(first_value);
        let secure = match proto {
            Some(p) => p.eq_ignore_ascii_case("https"),
            None => request.secure,
        };
        let forwarded_host = request
            .forwarded_host
            .and_then(first_value)
            .filter(|h| h.len() <= MAX_HOST_LEN && h.bytes().all(|b| b.is_ascii_graphic()));
        (secure, forwarded_host.or(host))
    }
}

/// The first comma-separated value of a header, trimmed; `None` when empty or not text.
fn first_value(value: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(value).ok()?;
    let first = text.split(',').next()?.trim();
    (!first.is_empty()).then_some(first)
}

/// What an adapter answers for a session error a handler returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ErrorResponse {
    /// The HTTP status.
    pub status: u16,
    /// The body (opaque: never an id, a value or an internal cause).
    pub body: &'static str,
}

impl LifecycleError {
    /// The HTTP status of [`response`](Self::response), without logging anything.
    pub fn status(&self) -> u16 {
        match self {
            Self::TooManySessions { .. } => 409,
            error if error.is_store_failure() => 503,
            _ => 500,
        }
    }

    /// The answer to a handler that returned this error: 409 when concurrent-session
    /// control refused a login, 503 for store failures (the adapter then answers the
    /// manager's [`failure_response`](crate::lifecycle::SessionManager::failure_response)
    /// for the whole request), 500 for programming errors, which are logged here.
    pub fn response(&self) -> ErrorResponse {
        match self {
            Self::TooManySessions { .. } => ErrorResponse {
                status: 409,
                body: "too many sessions for this user",
            },
            error if error.is_store_failure() => ErrorResponse {
                status: 503,
                body: "",
            },
            error => {
                tracing::error!(error = %error, cause = ?error, "session operation failed");
                ErrorResponse {
                    status: 500,
                    body: "",
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lifecycle::resolver::RequestIds;

    fn ids<'a>(
        secure: bool,
        host: Option<&'a str>,
        proto: Option<&'a [u8]>,
        fhost: Option<&'a [u8]>,
    ) -> RequestIds<'a> {
        RequestIds {
            secure,
            host,
            forwarded_proto: proto,
            forwarded_host: fhost,
            ..RequestIds::default()
        }
    }

    #[test]
    fn ignored_by_default() {
        let r = ids(false, Some("a.test"), Some(b"https"), Some(b"b.test"));
        assert_eq!(
            ForwardedHeaders::default().effective(&r.view()),
            (false, Some("a.test"))
        );
    }

    #[test]
    fn trusted_first_values() {
        let t = ForwardedHeaders::Trust;
        let r = ids(
            false,
            Some("a.test"),
            Some(b"HTTPS, http"),
            Some(b" b.test , c"),
        );
        assert_eq!(t.effective(&r.view()), (true, Some("b.test")));
        let r = ids(true, Some("a.test"), Some(b"http"), None);
        assert_eq!(t.effective(&r.view()), (false, Some("a.test")));
        let r = ids(true, None, None, Some(b"bad host"));
        assert_eq!(t.effective(&r.view()), (true, None));
        let long = vec![b'a'; 400];
        let r = ids(false, Some("a.test"), Some(b"\xff"), Some(&long));
        assert_eq!(t.effective(&r.view()), (false, Some("a.test")));
    }
}
