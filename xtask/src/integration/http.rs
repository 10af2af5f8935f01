//! A small blocking HTTP/1.1 client for driving the shop over 127.0.0.1: one request per
//! connection, a cookie jar for the `SESSION` cookie, bounded reads.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Largest response accepted.
const MAX_RESPONSE: u64 = 1 << 20;

/// A response.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    /// Status code.
    pub(crate) status: u16,
    /// `Set-Cookie` header values.
    pub(crate) set_cookies: Vec<String>,
    /// Body as text.
    pub(crate) body: String,
}

/// One client's cookies (name → value), as a browser would keep them for one host.
#[derive(Debug, Clone, Default)]
pub(crate) struct Jar {
    cookies: Vec<(String, String)>,
}

impl Jar {
    /// The `Cookie` header value, if any cookie is held.
    fn header(&self) -> Option<String> {
        if self.cookies.is_empty() {
            return None;
        }
        Some(
            self.cookies
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join("; "),
        )
    }

    /// Applies `Set-Cookie` values (a `Max-Age=0` or empty value removes the cookie).
    fn update(&mut self, set_cookies: &[String]) {
        for sc in set_cookies {
            let mut parts = sc.split(';');
            let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
                continue;
            };
            let (name, value) = (name.trim().to_owned(), value.trim().to_owned());
            let removed =
                value.is_empty() || parts.any(|a| a.trim().eq_ignore_ascii_case("max-age=0"));
            self.cookies.retain(|(n, _)| *n != name);
            if !removed {
                self.cookies.push((name, value));
            }
        }
    }

    /// A jar holding one cookie.
    pub(crate) fn with(name: &str, value: &str) -> Self {
        Self {
            cookies: vec![(name.to_owned(), value.to_owned())],
        }
    }

    /// The value of cookie `name`.
    /// Forgets cookie `name` (a client that does not keep it).
    pub(crate) fn remove(&mut self, name: &str) {
        self.cookies.retain(|(n, _)| n != name);
    }

    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A GET with the jar's cookies, 10 s timeout.
pub(crate) fn get(address: SocketAddr, path: &str, jar: &mut Jar) -> Result<Response, String> {
    request(address, "GET", path, None, jar, Duration::from_secs(10))
}

/// A GET with the jar's cookies and a chosen timeout.
pub(crate) fn get_within(
    address: SocketAddr,
    path: &str,
    jar: &mut Jar,
    timeout: Duration,
) -> Result<Response, String> {
    request(address, "GET", path, None, jar, timeout)
}

/// A POST of a urlencoded form with the jar's cookies, 10 s timeout.
pub(crate) fn post_form(
    address: SocketAddr,
    path: &str,
    form: &str,
    jar: &mut Jar,
) -> Result<Response, String> {
    request(
        address,
        "POST",
        path,
        Some(("application/x-www-form-urlencoded", form)),
        jar,
        Duration::from_secs(10),
    )
}

/// Sends one request; `body` is (content type, body).
pub(crate) fn request(
    address: SocketAddr,
    method: &str,
    path: &str,
    body: Option<(&str, &str)>,
    jar: &mut Jar,
    timeout: Duration,
) -> Result<Response, String> {
    let mut stream = TcpStream::connect_timeout(&address, timeout)
        .map_err(|e| format!("connect {address}: {e}"))?;
    stream
        .set_read_timeout(Some(timeout))
        .and_then(|()| stream.set_write_timeout(Some(timeout)))
        .map_err(|e| e.to_string())?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nAccept: */*\r\n"
    );
    if let Some(cookie) = jar.header() {
        head.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    let body = match body {
        Some((content_type, body)) => {
            head.push_str(&format!("Content-Type: {content_type}\r\n"));
            body
        }
        None => "",
    };
    head.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    stream
        .write_all(head.as_bytes())
        .map_err(|e| format!("send {path}: {e}"))?;
    let raw = read_response(&mut stream).map_err(|e| format!("read {path}: {e}"))?;
    let response = parse(&raw).ok_or_else(|| format!("{path}: malformed response"))?;
    jar.update(&response.set_cookies);
    Ok(response)
}

/// Reads until the response is complete: end of stream, `Content-Length` bytes after the
/// head, or the last chunk (servers may keep the connection open despite `close`).
fn read_response(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(raw);
        }
        raw.extend_from_slice(&buf[..n]);
        if raw.len() as u64 > MAX_RESPONSE {
            return Err(std::io::Error::other("response too large"));
        }
        if complete(&raw) {
            return Ok(raw);
        }
    }
}

/// Whether `raw` holds a whole response.
fn complete(raw: &[u8]) -> bool {
    let Some(split) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let body = raw.len() - split - 4;
    for line in head.split("\r\n") {
        if let Some(v) = line.strip_prefix("content-length:") {
            return v.trim().parse::<usize>().is_ok_and(|len| body >= len);
        }
        if line.starts_with("transfer-encoding:") && line.contains("chunked") {
            return raw.ends_with(b"\r\n0\r\n\r\n") || (body == 5 && raw.ends_with(b"0\r\n\r\n"));
        }
    }
    false
}

fn parse(raw: &[u8]) -> Option<Response> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..split]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let mut set_cookies = Vec::new();
    let mut chunked = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if name.eq_ignore_ascii_case("set-cookie") {
            set_cookies.push(value.trim().to_owned());
        } else if name.eq_ignore_ascii_case("transfer-encoding")
            && value.trim().eq_ignore_ascii_case("chunked")
        {
            chunked = true;
        }
    }
    let rest = &raw[split + 4..];
    let body = if chunked {
        dechunk(rest)?
    } else {
        rest.to_vec()
    };
    Some(Response {
        status,
        set_cookies,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn dechunk(mut rest: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_chunked_bodies_and_cookies() {
        let raw = b"HTTP/1.1 200 OK\r\nSet-Cookie: SESSION=abc; Path=/; HttpOnly\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        let r = parse(raw).expect("parse");
        assert_eq!(r.status, 200);
        assert_eq!(r.body, "abcde");
        let mut jar = Jar::default();
        jar.update(&r.set_cookies);
        assert_eq!(jar.get("SESSION"), Some("abc"));
        jar.update(&["SESSION=; Max-Age=0".to_owned()]);
        assert_eq!(jar.get("SESSION"), None);
        assert!(complete(raw));
        assert!(!complete(&raw[..raw.len() - 2]));
        assert!(complete(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"));
        assert!(!complete(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok"));
        assert!(parse(b"garbage").is_none());
        assert!(parse(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").is_none());
    }
}
