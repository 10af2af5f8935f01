//! The session cookie: Spring-compatible settings, reading it from `Cookie` headers and
//! writing `Set-Cookie` values.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::{DecodePaddingMode, general_purpose};
use regex::Regex;

use crate::lifecycle::error::LifecycleConfigError;

/// Spring Session's default cookie name.
pub const DEFAULT_COOKIE_NAME: &str = "SESSION";

/// Appended to the session cookie's name to name the read-your-writes cookie (`SESSION_WRITTEN`
/// by default), sent only with a repository that may serve stale reads (see
/// [`SessionRepository::may_serve_stale`](crate::SessionRepository::may_serve_stale)).
pub const WRITTEN_COOKIE_SUFFIX: &str = "_WRITTEN";

/// The longest cookie value looked at, in bytes; longer values are ignored (no session).
pub const MAX_COOKIE_VALUE_LEN: usize = 1024;

/// The longest host name matched against a domain pattern.
const MAX_HOST_LEN: usize = 253;

/// How many values of the session cookie are looked at in one request before giving up.
const MAX_COOKIE_VALUES: usize = 16;

/// Decodes standard base64 with or without padding, as Java's `Base64.getDecoder()` does.
const BASE64_LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The `SameSite` attribute of the session cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum SameSite {
    /// `SameSite=Strict`.
    Strict,
    /// `SameSite=Lax`, Spring's default.
    #[default]
    Lax,
    /// `SameSite=None` (browsers require `Secure` with it).
    None,
    /// No `SameSite` attribute.
    Omit,
}

/// When the session cookie gets the `Secure` attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum CookieSecure {
    /// When the request came over https (as Spring's default).
    #[default]
    Auto,
    /// Always (for apps behind a TLS-terminating proxy).
    Always,
    /// Never.
    Never,
}

/// How the cookie's `Domain` attribute is chosen.
#[derive(Debug, Clone, Default)]
enum DomainPolicy {
    /// No `Domain` attribute: the cookie goes back to the exact host only.
    #[default]
    HostOnly,
    /// A fixed domain.
    Fixed(String),
    /// Spring's `domainNamePattern`: a regex matched against the request host; its first
    /// group is the domain. Hosts that do not match get a host-only cookie.
    Pattern(Regex),
}

/// Settings of the session cookie, with Spring Session's defaults: name `SESSION`, value
/// base64-encoded, `Path=/`, `HttpOnly`, `SameSite=Lax`, `Secure` on https, no `Domain`,
/// no `Max-Age` (a browser-session cookie).
///
/// ```
/// use std::time::Duration;
/// use session_core::lifecycle::{CookieConfig, CookieSecure, SameSite};
///
/// let cookie = CookieConfig::default()
///     .with_name("SHOPSESSION")
///     .with_secure(CookieSecure::Always)
///     .with_same_site(SameSite::Strict)
///     .with_domain_pattern(r"^.+?\.(\w+\.[a-z]+)$")
///     .unwrap()
///     .with_max_age(Some(Duration::from_secs(3600)));
/// assert_eq!(cookie.name(), "SHOPSESSION");
/// ```
#[derive(Debug, Clone)]
pub struct CookieConfig {
    name: String,
    /// `name` + [`WRITTEN_COOKIE_SUFFIX`].
    written_name: String,
    path: String,
    domain: DomainPolicy,
    http_only: bool,
    secure: CookieSecure,
    same_site: SameSite,
    max_age: Option<Duration>,
    base64: bool,
}

impl Default for CookieConfig {
    fn default() -> Self {
        Self {
            name: DEFAULT_COOKIE_NAME.to_owned(),
            written_name: format!("{DEFAULT_COOKIE_NAME}{WRITTEN_COOKIE_SUFFIX}"),
            path: "/".to_owned(),
            domain: DomainPolicy::HostOnly,
            http_only: true,
            secure: CookieSecure::Auto,
            same_site: SameSite::Lax,
            max_age: None,
            base64: true,
        }
    }
}

impl CookieConfig {
    /// Spring's defaults (see the type docs).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the cookie name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self.written_name = format!("{}{WRITTEN_COOKIE_SUFFIX}", self.name);
        self
    }

    /// Sets the cookie path (default `/`).
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }

    /// Sets a fixed `Domain` attribute, e.g. `example.com` to share the cookie with
    /// subdomains.
    pub fn with_domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = DomainPolicy::Fixed(domain.into());
        self
    }

    /// Chooses the domain from the request host with a regular expression, as Spring's
    /// `domainNamePattern`: when the host matches, the first capture group is the domain;
    /// otherwise the cookie is host-only.
    pub fn with_domain_pattern(mut self, pattern: &str) -> Result<Self, LifecycleConfigError> {
        let regex = regex::RegexBuilder::new(pattern)
            .case_insensitive(true)
            .size_limit(1 << 20)
            .build()
            .map_err(|e| LifecycleConfigError::DomainPattern(Box::new(e)))?;
        if regex.captures_len() < 2 {
            return Err(LifecycleConfigError::DomainPatternWithoutGroup);
        }
        self.domain = DomainPolicy::Pattern(regex);
        Ok(self)
    }

    /// Sets whether the cookie is `HttpOnly` (default yes).
    pub fn with_http_only(mut self, http_only: bool) -> Self {
        self.http_only = http_only;
        self
    }

    /// Sets when the cookie is `Secure`.
    pub fn with_secure(mut self, secure: CookieSecure) -> Self {
        self.secure = secure;
        self
    }

    /// Sets the `SameSite` attribute.
    pub fn with_same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = same_site;
        self
    }

    /// Sets the cookie's `Max-Age` (`None`, the default: the cookie ends with the browser
    /// session).
    pub fn with_max_age(mut self, max_age: Option<Duration>) -> Self {
        self.max_age = max_age;
        self
    }

    /// Sets whether the value is base64-encoded (default yes, as Spring).
    pub fn with_base64(mut self, base64: bool) -> Self {
        self.base64 = base64;
        self
    }

    /// The cookie name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name of the read-your-writes cookie: the session cookie's name followed by
    /// [`WRITTEN_COOKIE_SUFFIX`]. Its value is the stored session's last access time in
    /// milliseconds since the Unix epoch; it has the session cookie's attributes and no
    /// `Max-Age`.
    ///
    /// ```
    /// use session_core::lifecycle::CookieConfig;
    ///
    /// assert_eq!(CookieConfig::default().written_name(), "SESSION_WRITTEN");
    /// assert_eq!(CookieConfig::default().with_name("SHOP").written_name(), "SHOP_WRITTEN");
    /// ```
    pub fn written_name(&self) -> &str {
        &self.written_name
    }

    /// The configured `Max-Age`.
    pub fn max_age(&self) -> Option<Duration> {
        self.max_age
    }

    /// Whether the cookie's domain depends on the request host (a domain pattern).
    pub(crate) fn domain_depends_on_host(&self) -> bool {
        matches!(self.domain, DomainPolicy::Pattern(_))
    }

    /// The domain for a request to `host` (which may carry a port).
    pub(crate) fn domain_for(&self, host: Option<&str>) -> Option<String> {
        match &self.domain {
            DomainPolicy::HostOnly => None,
            DomainPolicy::Fixed(domain) => Some(domain.clone()),
            DomainPolicy::Pattern(regex) => {
                let host = host?;
                let host = strip_port(host);
                if host.is_empty() || host.len() > MAX_HOST_LEN {
                    return None;
                }
                let captures = regex.captures(host)?;
                captures.get(1).map(|m| m.as_str().to_owned())
            }
        }
    }

    /// The cookie value carrying `token` (the id, or the signed id).
    pub(crate) fn encode_value(&self, token: &str) -> String {
        if self.base64 {
            general_purpose::STANDARD.encode(token)
        } else {
            token.to_owned()
        }
    }

    /// The token inside a cookie value, or `None` when it is not valid base64 / UTF-8.
    pub(crate) fn decode_value(&self, value: &str) -> Option<String> {
        if value.is_empty() || value.len() > MAX_COOKIE_VALUE_LEN {
            return None;
        }
        if self.base64 {
            let bytes = match decode_full_quads(value.as_bytes()) {
                Some(bytes) => bytes,
                None => BASE64_LENIENT.decode(value).ok()?,
            };
            String::from_utf8(bytes).ok()
        } else {
            Some(value.to_owned())
        }
    }

    /// A `Set-Cookie` value that sets the cookie to `value`.
    pub(crate) fn set_cookie(
        &self,
        value: &str,
        max_age: Option<Duration>,
        secure: bool,
        host: Option<&str>,
    ) -> String {
        self.set_named_cookie(&self.name, value, max_age, secure, host)
    }

    /// A `Set-Cookie` value that sets the read-your-writes cookie to `time` (see
    /// [`CookieConfig::written_name`]).
    pub(crate) fn set_written_cookie(
        &self,
        time: SystemTime,
        secure: bool,
        host: Option<&str>,
    ) -> String {
        let millis = time
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        // Decimal digits written by hand: `to_string` goes through the formatter.
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        let mut rest = millis;
        loop {
            start -= 1;
            digits[start] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        let value = std::str::from_utf8(&digits[start..]).unwrap_or("0");
        self.set_named_cookie(&self.written_name, value, None, secure, host)
    }

    /// The time a read-your-writes cookie's value names; `None` unless it is a plain
    /// number of milliseconds (at most 15 digits: until the year 33658).
    pub(crate) fn parse_written_value(value: &str) -> Option<SystemTime> {
        if value.is_empty() || value.len() > 15 || !value.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let millis: u64 = value.parse().ok()?;
        UNIX_EPOCH.checked_add(Duration::from_millis(millis))
    }

    fn set_named_cookie(
        &self,
        name: &str,
        value: &str,
        max_age: Option<Duration>,
        secure: bool,
        host: Option<&str>,
    ) -> String {
        // Sized once and appended to (no formatting machinery): written on every
        // response that stores a change.
        let mut out = String::with_capacity(name.len() + value.len() + 48 + self.path.len());
        out.push_str(name);
        out.push('=');
        out.push_str(value);
        if let Some(max_age) = max_age {
            let _ = write!(out, "; Max-Age={}", max_age.as_secs());
        }
        self.write_common(&mut out, secure, host);
        out
    }

    /// A `Set-Cookie` value that makes the browser drop the cookie.
    pub(crate) fn expire_cookie(&self, secure: bool, host: Option<&str>) -> String {
        self.expire_named_cookie(&self.name, secure, host)
    }

    /// A `Set-Cookie` value that makes the browser drop the read-your-writes cookie.
    pub(crate) fn expire_written_cookie(&self, secure: bool, host: Option<&str>) -> String {
        self.expire_named_cookie(&self.written_name, secure, host)
    }

    fn expire_named_cookie(&self, name: &str, secure: bool, host: Option<&str>) -> String {
        let mut out = format!("{name}=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
        self.write_common(&mut out, secure, host);
        out
    }

    fn write_common(&self, out: &mut String, secure: bool, host: Option<&str>) {
        if let Some(domain) = self.domain_for(host) {
            out.push_str("; Domain=");
            out.push_str(&domain);
        }
        out.push_str("; Path=");
        out.push_str(&self.path);
        let secure = match self.secure {
            CookieSecure::Auto => secure,
            CookieSecure::Always => true,
            CookieSecure::Never => false,
        };
        if secure {
            out.push_str("; Secure");
        }
        if self.http_only {
            out.push_str("; HttpOnly");
        }
        match self.same_site {
            SameSite::Strict => out.push_str("; SameSite=Strict"),
            SameSite::Lax => out.push_str("; SameSite=Lax"),
            SameSite::None => out.push_str("; SameSite=None"),
            SameSite::Omit => {}
        }
    }
}

/// Standard base64 made only of whole 4-character groups of the alphabet (no padding: an
/// id of a multiple of 3 bytes, such as a UUID, always is), decoded directly; `None` for
/// anything else, which the `base64` crate then decodes (or rejects). Such input has no
/// padding or trailing bits to judge, so both decode it to the same bytes.
fn decode_full_quads(value: &[u8]) -> Option<Vec<u8>> {
    if value.is_empty() || !value.len().is_multiple_of(4) {
        return None;
    }
    let mut out = vec![0u8; value.len() / 4 * 3];
    // Every valid sextet is below 64, an invalid character is 0xff: the high bits of all
    // of them together say whether any was invalid (checked once, after the loop).
    let mut invalid = 0u8;
    for (quad, triple) in value.chunks_exact(4).zip(out.chunks_exact_mut(3)) {
        let [a, b, c, d] = [quad[0], quad[1], quad[2], quad[3]].map(|c| SEXTETS[usize::from(c)]);
        invalid |= a | b | c | d;
        let bits = (u32::from(a) << 18) | (u32::from(b) << 12) | (u32::from(c) << 6) | u32::from(d);
        triple.copy_from_slice(&bits.to_be_bytes()[1..]);
    }
    (invalid & 0xc0 == 0).then_some(out)
}

/// The value of every standard base64 character by byte; 0xff for any other byte.
const SEXTETS: [u8; 256] = {
    let mut table = [0xffu8; 256];
    let mut i = 0;
    while i < 64 {
        let c = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[i];
        table[c as usize] = i as u8;
        i += 1;
    }
    table
};

fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        // IPv6 literal: never a domain.
        return "";
    }
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

/// What the `Cookie` headers of a request say about one cookie.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CookieLookup<'a> {
    /// Not present.
    Absent,
    /// Present once (or several times with the same value).
    One(&'a str),
    /// Present with different values, or too often.
    Ambiguous,
}

/// Finds cookie `name` in the request's `Cookie` header values.
pub(crate) fn find_cookie<'a>(headers: &[&'a [u8]], name: &str) -> CookieLookup<'a> {
    let [found] = find_cookies(headers, [name]);
    found
}

/// Finds each of the cookies `names` (distinct) in one pass over the request's `Cookie`
/// header values.
pub(crate) fn find_cookies<'a, const N: usize>(
    headers: &[&'a [u8]],
    names: [&str; N],
) -> [CookieLookup<'a>; N] {
    let mut found: [Found<'a>; N] = std::array::from_fn(|_| Found::default());
    let mut open = N;
    for &header in headers {
        // Stops once every name is ambiguous (nothing more to learn).
        let mut visit = |pair: &'a [u8]| {
            if let Some((name, value)) = split_pair(pair)
                && let Some(i) = names.iter().position(|n| n.as_bytes() == name)
                && let Some(f) = found.get_mut(i)
                && !f.ambiguous
                && f.add(value)
            {
                open -= 1;
            }
            open == 0
        };
        // Headers of text (all of them, in practice) are split with the standard
        // library's word-at-a-time search; any other header byte by byte. Both find the
        // same pairs.
        let done = match std::str::from_utf8(header) {
            Ok(text) => text.split(';').any(|pair| visit(pair.as_bytes())),
            Err(_) => header.split(|b| *b == b';').any(visit),
        };
        if done {
            break;
        }
    }
    found.map(Found::lookup)
}

/// A `name=value` pair's name and value, trimmed (and the value unquoted); `None` without
/// an `=`.
fn split_pair(pair: &[u8]) -> Option<(&[u8], &[u8])> {
    let pair = pair.trim_ascii();
    let eq = pair.iter().position(|b| *b == b'=')?;
    let mut value = pair[eq + 1..].trim_ascii();
    if value.len() >= 2 && value.starts_with(b"\"") && value.ends_with(b"\"") {
        value = &value[1..value.len() - 1];
    }
    Some((pair[..eq].trim_ascii(), value))
}

/// The values of one cookie seen so far by [`find_cookies`].
#[derive(Default)]
struct Found<'a> {
    value: Option<&'a [u8]>,
    seen: usize,
    ambiguous: bool,
}

impl<'a> Found<'a> {
    /// Takes one more value of the cookie; `true` when it makes the lookup ambiguous
    /// (different values, or too many).
    fn add(&mut self, value: &'a [u8]) -> bool {
        self.seen += 1;
        self.ambiguous = self.seen > MAX_COOKIE_VALUES || self.value.is_some_and(|v| v != value);
        self.value.get_or_insert(value);
        self.ambiguous
    }

    fn lookup(self) -> CookieLookup<'a> {
        match self.value {
            _ if self.ambiguous => CookieLookup::Ambiguous,
            None => CookieLookup::Absent,
            Some(value) => match std::str::from_utf8(value) {
                Ok(value) if value.len() <= MAX_COOKIE_VALUE_LEN => CookieLookup::One(value),
                // Unreadable or oversized: present, but no usable value.
                _ => CookieLookup::One(""),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_cookie_round_trips_milliseconds() {
        let c = CookieConfig::default().with_path("/shop");
        for millis in [0u64, 7, 1_796_352_477_737, 999_999_999_999_999] {
            let time = UNIX_EPOCH + Duration::from_millis(millis) + Duration::from_nanos(999);
            let set = c.set_written_cookie(time, true, None);
            assert_eq!(
                set,
                format!("SESSION_WRITTEN={millis}; Path=/shop; Secure; HttpOnly; SameSite=Lax")
            );
            let value = set.split(';').next().unwrap().split_once('=').unwrap().1;
            assert_eq!(
                CookieConfig::parse_written_value(value),
                Some(UNIX_EPOCH + Duration::from_millis(millis))
            );
        }
        assert_eq!(
            c.set_written_cookie(UNIX_EPOCH - Duration::from_secs(1), false, None),
            "SESSION_WRITTEN=0; Path=/shop; HttpOnly; SameSite=Lax"
        );
        for bad in ["", "x", "-1", "+1", "1.5", " 1", "1000000000000000", "١"] {
            assert_eq!(CookieConfig::parse_written_value(bad), None, "{bad:?}");
        }
        assert_eq!(
            c.expire_written_cookie(false, None),
            "SESSION_WRITTEN=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/shop; HttpOnly; SameSite=Lax"
        );
    }

    #[test]
    fn defaults_match_spring() {
        let c = CookieConfig::default();
        assert_eq!(
            c.set_cookie("YWJj", None, false, Some("shop.example.com")),
            "SESSION=YWJj; Path=/; HttpOnly; SameSite=Lax"
        );
        assert_eq!(
            c.set_cookie("YWJj", Some(Duration::from_secs(60)), true, None),
            "SESSION=YWJj; Max-Age=60; Path=/; Secure; HttpOnly; SameSite=Lax"
        );
        assert_eq!(
            c.expire_cookie(false, None),
            "SESSION=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Path=/; HttpOnly; SameSite=Lax"
        );
        assert_eq!(c.encode_value("abc"), "YWJj");
        assert_eq!(c.decode_value("YWJj").as_deref(), Some("abc"));
    }

    #[test]
    fn spring_cookie_values_interoperate() {
        // What Spring Session's DefaultCookieSerializer writes for this id
        // (`Base64.getEncoder().encodeToString(id.getBytes())`), computed independently.
        let spring = "MGY0YjZlM2EtNmEzYy00YzFlLTlkNTUtMmI4ZjNmMGE5ZDEx";
        let id = "0f4b6e3a-6a3c-4c1e-9d55-2b8f3f0a9d11";
        let c = CookieConfig::default();
        assert_eq!(c.encode_value(id), spring);
        assert_eq!(c.decode_value(spring).as_deref(), Some(id));
        let plain = CookieConfig::default().with_base64(false);
        assert_eq!(plain.encode_value(id), id);
        assert_eq!(plain.decode_value(id).as_deref(), Some(id));
    }

    proptest::proptest! {
        /// The direct decoder of whole groups decodes what the `base64` crate decodes.
        #[test]
        fn whole_groups_decode_as_the_base64_crate(
            bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..80),
            text in "[A-Za-z0-9+/=]{0,64}",
        ) {
            let encoded = general_purpose::STANDARD.encode(&bytes);
            for input in [encoded.as_str(), text.as_str()] {
                if let Some(fast) = decode_full_quads(input.as_bytes()) {
                    proptest::prop_assert_eq!(Some(fast), BASE64_LENIENT.decode(input).ok());
                }
            }
            if bytes.len() % 3 == 0 && !bytes.is_empty() {
                proptest::prop_assert_eq!(decode_full_quads(encoded.as_bytes()), Some(bytes));
            }
        }
    }

    #[test]
    fn base64_is_lenient_about_padding_only() {
        let c = CookieConfig::default();
        let id = "0f4b6e3a-6a3c-4c1e-9d55-2b8f3f0a9d1";
        let encoded = c.encode_value(id);
        assert!(encoded.ends_with('='));
        assert_eq!(c.decode_value(&encoded).as_deref(), Some(id));
        assert_eq!(
            c.decode_value(encoded.trim_end_matches('=')).as_deref(),
            Some(id)
        );
        assert_eq!(c.decode_value("not base64!"), None);
        assert_eq!(c.decode_value(""), None);
        assert_eq!(c.decode_value(&"QUFB".repeat(1000)), None);
        // Valid base64 of bytes that are not UTF-8.
        assert_eq!(c.decode_value("/w=="), None);
    }

    #[test]
    fn domain_pattern_as_spring() {
        let c = CookieConfig::default()
            .with_domain_pattern(r"^.+?\.(\w+\.[a-z]+)$")
            .unwrap();
        assert_eq!(
            c.domain_for(Some("child.example.com:8080")).as_deref(),
            Some("example.com")
        );
        assert_eq!(c.domain_for(Some("localhost")), None);
        assert_eq!(c.domain_for(Some("[::1]:80")), None);
        assert_eq!(c.domain_for(None), None);
        assert!(
            c.set_cookie("v", None, false, Some("a.example.com"))
                .contains("; Domain=example.com; Path=/")
        );
        assert!(matches!(
            CookieConfig::default().with_domain_pattern("example"),
            Err(LifecycleConfigError::DomainPatternWithoutGroup)
        ));
        assert!(CookieConfig::default().with_domain_pattern("(").is_err());
    }

    #[test]
    fn finds_cookies_in_headers() {
        assert_eq!(
            find_cookie(&[b"a=1; SESSION=xyz; b=2"], "SESSION"),
            CookieLookup::One("xyz")
        );
        assert_eq!(
            find_cookie(&[b"a=1", b"SESSION=\"xyz\""], "SESSION"),
            CookieLookup::One("xyz")
        );
        assert_eq!(
            find_cookie(&[b"a=1; SESSIONX=1"], "SESSION"),
            CookieLookup::Absent
        );
        assert_eq!(
            find_cookie(&[b"SESSION=x; SESSION=x"], "SESSION"),
            CookieLookup::One("x")
        );
        assert_eq!(
            find_cookie(&[b"SESSION=x", b"SESSION=y"], "SESSION"),
            CookieLookup::Ambiguous
        );
        assert_eq!(
            find_cookie(&[b"SESSION=\xff\xfe"], "SESSION"),
            CookieLookup::One("")
        );
        let many = "SESSION=x;".repeat(100);
        assert_eq!(
            find_cookie(&[many.as_bytes()], "SESSION"),
            CookieLookup::Ambiguous
        );
        assert_eq!(find_cookie(&[b";;;==;"], "SESSION"), CookieLookup::Absent);
        // A header that is not text elsewhere is still searched, pair by pair.
        assert_eq!(
            find_cookie(&[b"a=\xff; SESSION=xyz", b"SESSION=xyz"], "SESSION"),
            CookieLookup::One("xyz")
        );
        assert_eq!(
            find_cookie(&[b"a=\xff; SESSION=xyz", b"SESSION=abc"], "SESSION"),
            CookieLookup::Ambiguous
        );
        let many_bytes = [b"x=\xff;".as_slice(), many.as_bytes()].concat();
        assert_eq!(
            find_cookie(&[many_bytes.as_slice()], "SESSION"),
            CookieLookup::Ambiguous
        );
    }
}
