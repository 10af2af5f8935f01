//! Where the session id travels: a cookie, a header, or a cookie with a header fallback.

use crate::id::is_valid_session_id;
use crate::lifecycle::cookie::{CookieConfig, CookieLookup, find_cookie, find_cookies};
use crate::lifecycle::error::LifecycleConfigError;
use crate::lifecycle::signing::CookieSigner;

/// Spring Session's header name for the header resolver.
pub const DEFAULT_HEADER_NAME: &str = "X-Auth-Token";

/// Which transport carried (or will carry) the session id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum IdSource {
    /// The session cookie.
    Cookie,
    /// The session header.
    Header,
}

/// How the session id is read from requests and written to responses.
///
/// - [`IdResolver::Cookie`] (the default, Spring's `CookieHttpSessionIdResolver`): a
///   cookie, see [`CookieConfig`].
/// - [`IdResolver::Header`] (Spring's `HeaderHttpSessionIdResolver`): the raw id in a
///   header (`X-Auth-Token` by default), sent back when a session is created or its id
///   changes, and sent empty when it is invalidated.
/// - [`IdResolver::CookieThenHeader`]: the cookie if the request has one, else the
///   header; the answer goes back the way the id came (both ways for a request that
///   carried none).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum IdResolver {
    /// Cookie only.
    Cookie(CookieConfig),
    /// Header only (the header name, lower or mixed case).
    Header(String),
    /// Cookie first, header second.
    CookieThenHeader(CookieConfig, String),
}

impl Default for IdResolver {
    fn default() -> Self {
        Self::Cookie(CookieConfig::default())
    }
}

impl IdResolver {
    /// The default header resolver (`X-Auth-Token`).
    pub fn header() -> Self {
        Self::Header(DEFAULT_HEADER_NAME.to_owned())
    }

    /// A header resolver with a custom header name.
    pub fn header_named(name: &str) -> Result<Self, LifecycleConfigError> {
        check_header_name(name)?;
        Ok(Self::Header(name.to_owned()))
    }

    /// Cookie first, then the default header.
    pub fn cookie_then_header(cookie: CookieConfig) -> Self {
        Self::CookieThenHeader(cookie, DEFAULT_HEADER_NAME.to_owned())
    }

    /// The cookie settings, if a cookie is used.
    pub fn cookie(&self) -> Option<&CookieConfig> {
        match self {
            Self::Cookie(c) | Self::CookieThenHeader(c, _) => Some(c),
            Self::Header(_) => None,
        }
    }

    /// The header name, if a header is used. Adapters pass this header's values in
    /// [`RequestIds::header_values`].
    pub fn header_name(&self) -> Option<&str> {
        match self {
            Self::Header(h) | Self::CookieThenHeader(_, h) => Some(h),
            Self::Cookie(_) => None,
        }
    }

    /// The requested session id (valid shape, signature checked), or `None` for absent,
    /// malformed, forged or ambiguous input, and where it came from; with `written`, also
    /// the value of the read-your-writes cookie if present once (found in the same pass).
    pub(crate) fn resolve<'a>(
        &self,
        request: &RequestView<'a, '_>,
        signer: Option<&CookieSigner>,
        written: bool,
    ) -> (Option<String>, Option<IdSource>, Option<&'a str>) {
        let Some(cookie) = self.cookie() else {
            let (id, source) = self.resolve_header(request);
            return (id, source, None);
        };
        let headers = request.cookie_headers;
        let (session, written) = if written {
            let [session, written] = find_cookies(headers, [cookie.name(), cookie.written_name()]);
            match written {
                CookieLookup::One(value) => (session, Some(value)),
                CookieLookup::Absent | CookieLookup::Ambiguous => (session, None),
            }
        } else {
            (find_cookie(headers, cookie.name()), None)
        };
        let (id, source) = match self.resolve_cookie(cookie, session, signer) {
            Some(found) => found,
            None => self.resolve_header(request),
        };
        (id, source, written)
    }

    /// The id of the session cookie's lookup; `None` when absent (the header may carry it).
    fn resolve_cookie(
        &self,
        cookie: &CookieConfig,
        lookup: CookieLookup<'_>,
        signer: Option<&CookieSigner>,
    ) -> Option<(Option<String>, Option<IdSource>)> {
        {
            match lookup {
                CookieLookup::Absent => {}
                CookieLookup::Ambiguous => {
                    tracing::debug!("several different session cookies; ignoring them");
                    return Some((None, Some(IdSource::Cookie)));
                }
                CookieLookup::One(value) => {
                    let id = cookie
                        .decode_value(value)
                        .and_then(|token| match signer {
                            Some(signer) => signer.verify(&token).map(str::to_owned),
                            None => Some(token),
                        })
                        .filter(|id| is_valid_session_id(id));
                    if id.is_none() {
                        tracing::debug!("unusable session cookie ignored");
                    }
                    return Some((id, Some(IdSource::Cookie)));
                }
            }
        }
        None
    }

    /// The id of the session header, if the resolver reads one.
    fn resolve_header(&self, request: &RequestView<'_, '_>) -> (Option<String>, Option<IdSource>) {
        if self.header_name().is_some() {
            match request.header_values {
                [] => {}
                [value] => {
                    let id = std::str::from_utf8(value)
                        .ok()
                        .map(str::trim)
                        .filter(|id| is_valid_session_id(id))
                        .map(str::to_owned);
                    if id.is_none() {
                        tracing::debug!("unusable session header ignored");
                    }
                    return (id, Some(IdSource::Header));
                }
                _ => {
                    tracing::debug!("several session headers; ignoring them");
                    return (None, Some(IdSource::Header));
                }
            }
        }
        (None, None)
    }
}

fn check_header_name(name: &str) -> Result<(), LifecycleConfigError> {
    const SEPARATORS: &[u8] = b"()<>@,;:\\\"/[]?={}";
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !SEPARATORS.contains(&b))
    {
        return Err(LifecycleConfigError::HeaderName);
    }
    Ok(())
}

/// What an adapter tells the lifecycle about an incoming request.
#[derive(Debug, Clone, Default)]
pub struct RequestIds<'a> {
    /// The values of every `Cookie` header.
    pub cookie_headers: Vec<&'a [u8]>,
    /// The values of every header named [`IdResolver::header_name`].
    pub header_values: Vec<&'a [u8]>,
    /// Whether the request came over https (for `Secure` cookies).
    pub secure: bool,
    /// The request host (`Host` header or URI authority), for cookie domain patterns.
    pub host: Option<&'a str>,
    /// The `X-Forwarded-Proto` header, used only under
    /// [`ForwardedHeaders::Trust`](crate::lifecycle::ForwardedHeaders::Trust).
    pub forwarded_proto: Option<&'a [u8]>,
    /// The `X-Forwarded-Host` header, used only under
    /// [`ForwardedHeaders::Trust`](crate::lifecycle::ForwardedHeaders::Trust).
    pub forwarded_host: Option<&'a [u8]>,
}

impl<'a> RequestIds<'a> {
    /// The same request over borrowed slices (see [`RequestView`]).
    pub fn view(&self) -> RequestView<'a, '_> {
        RequestView {
            cookie_headers: &self.cookie_headers,
            header_values: &self.header_values,
            secure: self.secure,
            host: self.host,
            forwarded_proto: self.forwarded_proto,
            forwarded_host: self.forwarded_host,
        }
    }
}

/// [`RequestIds`] with borrowed lists of header values, for adapters that gather them
/// without allocating (e.g. in an array on the stack), passed to
/// [`SessionManager::begin_view`](crate::lifecycle::SessionManager::begin_view).
///
/// ```
/// use session_core::MemorySessionRepository;
/// use session_core::lifecycle::{RequestView, SessionManager};
///
/// let manager = SessionManager::new(MemorySessionRepository::new());
/// let cookies: [&[u8]; 1] = [b"theme=dark"];
/// let session = manager.begin_view(&RequestView {
///     cookie_headers: &cookies,
///     ..RequestView::default()
/// });
/// assert!(!session.has_requested_id());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct RequestView<'a, 'b> {
    /// The values of every `Cookie` header.
    pub cookie_headers: &'b [&'a [u8]],
    /// The values of every header named [`IdResolver::header_name`].
    pub header_values: &'b [&'a [u8]],
    /// Whether the request came over https (for `Secure` cookies).
    pub secure: bool,
    /// The request host (`Host` header or URI authority), for cookie domain patterns.
    pub host: Option<&'a str>,
    /// The `X-Forwarded-Proto` header, used only under
    /// [`ForwardedHeaders::Trust`](crate::lifecycle::ForwardedHeaders::Trust).
    pub forwarded_proto: Option<&'a [u8]>,
    /// The `X-Forwarded-Host` header, used only under
    /// [`ForwardedHeaders::Trust`](crate::lifecycle::ForwardedHeaders::Trust).
    pub forwarded_host: Option<&'a [u8]>,
}

/// Header values gathered for a [`RequestView`] without allocating for the usual few
/// (up to four; more are moved to a `Vec`).
///
/// ```
/// use session_core::lifecycle::HeaderValues;
///
/// let values: HeaderValues<'_> = [b"a=1".as_slice(), b"b=2"].into_iter().collect();
/// assert_eq!(values.as_slice(), [b"a=1".as_slice(), b"b=2"]);
/// let many: HeaderValues<'_> = std::iter::repeat_n(b"c".as_slice(), 9).collect();
/// assert_eq!(many.as_slice().len(), 9);
/// ```
#[derive(Debug, Clone, Default)]
pub struct HeaderValues<'a> {
    inline: [&'a [u8]; INLINE_VALUES],
    len: usize,
    spilled: Vec<&'a [u8]>,
}

/// Header values a [`HeaderValues`] holds without allocating.
const INLINE_VALUES: usize = 4;

impl<'a> HeaderValues<'a> {
    /// The values, in order.
    pub fn as_slice(&self) -> &[&'a [u8]] {
        if self.spilled.is_empty() {
            &self.inline[..self.len]
        } else {
            &self.spilled
        }
    }

    fn push(&mut self, value: &'a [u8]) {
        if !self.spilled.is_empty() {
            self.spilled.push(value);
        } else if self.len < INLINE_VALUES {
            self.inline[self.len] = value;
            self.len += 1;
        } else {
            self.spilled.reserve(INLINE_VALUES * 2);
            self.spilled.extend_from_slice(&self.inline);
            self.spilled.push(value);
        }
    }
}

impl<'a> FromIterator<&'a [u8]> for HeaderValues<'a> {
    fn from_iter<I: IntoIterator<Item = &'a [u8]>>(values: I) -> Self {
        let mut gathered = Self::default();
        for value in values {
            gathered.push(value);
        }
        gathered
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids<'a>(cookies: &[&'a [u8]], headers: &[&'a [u8]]) -> RequestIds<'a> {
        RequestIds {
            cookie_headers: cookies.to_vec(),
            header_values: headers.to_vec(),
            ..RequestIds::default()
        }
    }

    fn ids_view<'a, 'b>(cookies: &'b [&'a [u8]], headers: &'b [&'a [u8]]) -> RequestView<'a, 'b> {
        let view = RequestView {
            cookie_headers: cookies,
            header_values: headers,
            ..RequestView::default()
        };
        // The owned form views the same lists.
        let owned = ids(cookies, headers);
        assert_eq!(owned.view().cookie_headers, view.cookie_headers);
        assert_eq!(owned.view().header_values, view.header_values);
        view
    }

    const ID: &str = "0f4b6e3a-6a3c-4c1e-9d55-2b8f3f0a9d11";

    /// The id and its source, without the read-your-writes cookie.
    fn resolve2(
        r: &IdResolver,
        view: &RequestView<'_, '_>,
        signer: Option<&CookieSigner>,
    ) -> (Option<String>, Option<IdSource>) {
        let (id, source, written) = r.resolve(view, signer, false);
        assert_eq!(written, None, "not asked for");
        (id, source)
    }

    #[test]
    fn the_written_cookie_is_found_in_the_same_pass() {
        let r = IdResolver::default();
        let session = format!("SESSION={}", CookieConfig::default().encode_value(ID));
        let both = format!("a=1; {session}; SESSION_WRITTEN=123");
        let found = r.resolve(&ids_view(&[both.as_bytes()], &[]), None, true);
        assert_eq!(
            found,
            (Some(ID.to_owned()), Some(IdSource::Cookie), Some("123"))
        );
        let split: [&[u8]; 2] = [b"SESSION_WRITTEN=123", session.as_bytes()];
        assert_eq!(r.resolve(&ids_view(&split, &[]), None, true).2, Some("123"));
        let twice = format!("{session}; SESSION_WRITTEN=1; SESSION_WRITTEN=2");
        let found = r.resolve(&ids_view(&[twice.as_bytes()], &[]), None, true);
        assert_eq!(
            found,
            (Some(ID.to_owned()), Some(IdSource::Cookie), None),
            "ambiguous"
        );
        let only = r.resolve(&ids_view(&[b"SESSION_WRITTEN=5"], &[]), None, true);
        assert_eq!(only, (None, None, Some("5")));
        let header = IdResolver::header();
        assert_eq!(
            header.resolve(
                &ids_view(&[b"SESSION_WRITTEN=5"], &[ID.as_bytes()]),
                None,
                true
            ),
            (Some(ID.to_owned()), Some(IdSource::Header), None),
            "no cookie resolver, no cookie read"
        );
    }

    #[test]
    fn cookie_then_header() {
        let r = IdResolver::cookie_then_header(CookieConfig::default());
        let cookie = format!("SESSION={}", CookieConfig::default().encode_value(ID));
        assert_eq!(
            resolve2(&r, &ids_view(&[cookie.as_bytes()], &[b"other"]), None),
            (Some(ID.to_owned()), Some(IdSource::Cookie))
        );
        assert_eq!(
            resolve2(&r, &ids_view(&[b"x=1"], &[ID.as_bytes()]), None),
            (Some(ID.to_owned()), Some(IdSource::Header))
        );
        assert_eq!(resolve2(&r, &ids_view(&[], &[]), None), (None, None));
        assert_eq!(
            resolve2(&r, &ids_view(&[], &[ID.as_bytes(), ID.as_bytes()]), None),
            (None, Some(IdSource::Header))
        );
        assert_eq!(
            resolve2(&r, &ids_view(&[], &[b"a b"]), None),
            (None, Some(IdSource::Header))
        );
    }

    #[test]
    fn signed_cookies() {
        let signer = CookieSigner::new([9u8; 32]).unwrap();
        let r = IdResolver::default();
        let c = CookieConfig::default();
        let good = format!("SESSION={}", c.encode_value(&signer.sign(ID)));
        let unsigned = format!("SESSION={}", c.encode_value(ID));
        assert_eq!(
            resolve2(&r, &ids_view(&[good.as_bytes()], &[]), Some(&signer))
                .0
                .as_deref(),
            Some(ID)
        );
        assert_eq!(
            resolve2(&r, &ids_view(&[unsigned.as_bytes()], &[]), Some(&signer)).0,
            None
        );
    }

    #[test]
    fn header_values_keep_every_value_in_order() {
        for n in 0..12u8 {
            let bytes: Vec<[u8; 1]> = (0..n).map(|i| [i]).collect();
            let values: HeaderValues<'_> = bytes.iter().map(|b| b.as_slice()).collect();
            let expected: Vec<&[u8]> = bytes.iter().map(|b| b.as_slice()).collect();
            assert_eq!(values.as_slice(), expected.as_slice());
        }
    }

    #[test]
    fn header_names() {
        assert!(IdResolver::header_named("X-SessionData").is_ok());
        assert!(IdResolver::header_named("bad name").is_err());
        assert!(IdResolver::header_named("").is_err());
    }
}
