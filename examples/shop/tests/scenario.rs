//! The shop scenario, run against both binaries: each is started on a free port and
//! driven over HTTP by a small client with a cookie jar per "browser".
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed unwrap is a failed test.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running shop binary, killed when dropped.
struct Server {
    child: Child,
    address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn command(binary: &str) -> Command {
    let mut command = Command::new(binary);
    for var in [
        "HZ_MEMBERS",
        "HZ_CLUSTER_NAME",
        "HZ_FAILOVER_MEMBERS",
        "HZ_FAILOVER_CLUSTER_NAME",
        "HZ_MAP_NAME",
        "HZ_CONNECT_TIMEOUT_SECS",
    ] {
        command.env_remove(var);
    }
    command
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn start(binary: &str) -> Server {
    let mut child = command(binary)
        .env("PORT", "0")
        .spawn()
        .expect("start the shop");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let address = line
        .split("http://")
        .nth(1)
        .and_then(|rest| rest.trim().strip_suffix('/'))
        .map(str::to_owned);
    let Some(address) = address else {
        let _ = child.kill();
        let mut stderr = String::new();
        let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
        panic!("no URL from {binary}: stdout {line:?}, stderr {stderr:?}");
    };
    Server { child, address }
}

struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// One browser: sends requests and keeps the `SESSION` cookie.
struct Browser<'a> {
    server: &'a Server,
    cookie: Option<String>,
}

impl<'a> Browser<'a> {
    fn new(server: &'a Server) -> Self {
        Self {
            server,
            cookie: None,
        }
    }

    fn request(&mut self, method: &str, path: &str, form: Option<&str>) -> Response {
        let mut stream = TcpStream::connect(&self.server.address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.server.address
        );
        if let Some(cookie) = &self.cookie {
            request.push_str(&format!("Cookie: {cookie}\r\n"));
        }
        let body = form.unwrap_or("");
        if form.is_some() {
            request.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
        }
        request.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
        stream.write_all(request.as_bytes()).unwrap();
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).unwrap();
        let raw = String::from_utf8(raw).unwrap();
        let (head, body) = raw.split_once("\r\n\r\n").unwrap();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let body = if headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v == "chunked")
        {
            dechunk(body)
        } else {
            body.to_owned()
        };
        for (name, value) in &headers {
            if name.eq_ignore_ascii_case("set-cookie") {
                let pair = value.split(';').next().unwrap();
                if value.contains("Max-Age=0") {
                    self.cookie = None;
                } else {
                    self.cookie = Some(pair.to_owned());
                }
            }
        }
        Response {
            status,
            headers,
            body,
        }
    }

    fn get(&mut self, path: &str) -> Response {
        self.request("GET", path, None)
    }

    fn post(&mut self, path: &str, form: &str) -> Response {
        self.request("POST", path, Some(form))
    }

    fn user(&mut self) -> serde_json::Value {
        self.get("/api/me").json()["user"].clone()
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.push_str(&rest[..size]);
        body = &rest[size + 2..];
    }
    out
}

fn scenario(binary: &str) {
    let server = start(binary);
    let mut alice = Browser::new(&server);

    // Browsing the product list creates no session.
    let home = alice.get("/");
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Red Teapot"));
    assert!(home.header("set-cookie").is_none());
    assert_eq!(
        alice.get("/api/products").json().as_array().unwrap().len(),
        60
    );

    // Visiting a product starts a session (recently viewed).
    let page = alice.get("/products/3");
    assert_eq!(page.status, 200);
    let first_cookie = alice.cookie.clone().expect("a session cookie");
    assert!(
        page.header("set-cookie")
            .unwrap()
            .contains("HttpOnly; SameSite=Lax")
    );
    assert_eq!(alice.get("/products/999").status, 404);

    // The basket, at list prices.
    let added = alice.get("/basket/add?items=1,2");
    assert_eq!(added.status, 303);
    assert_eq!(added.header("location"), Some("/basket"));
    alice.get("/basket/add?items=2");
    let basket = alice.get("/api/basket").json();
    assert_eq!(basket["units"], 3);
    assert_eq!(basket["total_cents"], 499 + 599 * 2);
    assert_eq!(basket["lines"][0]["unit_price_cents"], 499);
    assert!(alice.get("/basket").body.contains("16.97"));
    assert_eq!(alice.get("/basket/add?items=1,nope").status, 400);

    // Sign in: wrong password, then right; the id changes, the basket stays.
    assert_eq!(
        alice.post("/login", "username=user&password=wrong").status,
        401
    );
    assert_eq!(alice.user(), serde_json::Value::Null);
    let login = alice.post("/login", "username=user&password=password");
    assert_eq!(login.status, 303);
    assert_ne!(alice.cookie.as_ref(), Some(&first_cookie));
    assert_eq!(alice.user(), "user");
    assert_eq!(alice.get("/api/basket").json()["units"], 3);

    // Recently viewed: the last 50, most recent first.
    for id in 1..=55 {
        assert_eq!(alice.get(&format!("/products/{id}")).status, 200);
    }
    let recent = alice.get("/api/recent").json();
    let recent = recent.as_array().unwrap();
    assert_eq!(recent.len(), 50);
    assert_eq!(recent[0], 55);
    assert_eq!(recent[49], 6);

    // A second browser for the same user; both sessions are listed.
    let mut bob = Browser::new(&server);
    bob.post("/login", "username=user&password=password");
    let listed = bob.get("/api/sessions").json();
    assert_eq!(listed["sessions"].as_array().unwrap().len(), 2);
    assert!(bob.get("/sessions").body.contains("this browser"));

    // Bob ends Alice's session from "my sessions".
    let alice_id = listed["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == false)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ended = bob.post("/sessions/end", &format!("id={alice_id}"));
    assert_eq!(ended.status, 303);
    assert_eq!(alice.user(), serde_json::Value::Null);
    assert_eq!(bob.user(), "user");

    // At most two sessions per user: a third login ends the oldest.
    let mut carol = Browser::new(&server);
    carol.post("/login", "username=user&password=password");
    std::thread::sleep(Duration::from_millis(1100));
    bob.get("/api/me"); // Bob is now more recent than Carol.
    let mut dave = Browser::new(&server);
    dave.post("/login", "username=user&password=password");
    assert_eq!(carol.user(), serde_json::Value::Null);
    assert_eq!(bob.user(), "user");
    assert_eq!(dave.user(), "user");

    // Another user is separate.
    let mut erin = Browser::new(&server);
    erin.post("/login", "username=user2&password=password2");
    assert_eq!(erin.user(), "user2");
    assert_eq!(
        erin.get("/api/sessions").json()["sessions"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // Bad cookies never break a page.
    let mut mallory = Browser::new(&server);
    for bad in [
        "SESSION=%%%",
        "SESSION=YWJj",
        "SESSION=a; SESSION=b",
        "SESSION=",
    ] {
        mallory.cookie = Some(bad.to_owned());
        assert_eq!(mallory.get("/basket").status, 200, "{bad}");
    }

    // Sign out expires the cookie.
    let out = dave.post("/logout", "");
    assert_eq!(out.status, 303);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
    assert!(dave.cookie.is_none());
}

#[test]
fn shop_scenario_on_axum() {
    scenario(env!("CARGO_BIN_EXE_shop"));
}

#[test]
fn shop_scenario_on_actix() {
    scenario(env!("CARGO_BIN_EXE_shop-actix"));
}

fn run_to_end(binary: &str, vars: &[(&str, &str)]) -> (bool, String, String) {
    let mut command = command(binary);
    for (k, v) in vars {
        command.env(k, v);
    }
    let output = command.output().unwrap();
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn unreachable_hazelcast_cluster_fails_clearly() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let members = closed.local_addr().unwrap().to_string();
    drop(closed);
    for binary in [env!("CARGO_BIN_EXE_shop"), env!("CARGO_BIN_EXE_shop-actix")] {
        let (ok, stdout, stderr) = run_to_end(
            binary,
            &[
                ("HZ_MEMBERS", &members),
                ("HZ_CONNECT_TIMEOUT_SECS", "1"),
                ("PORT", "0"),
            ],
        );
        assert!(!ok);
        assert!(stdout.is_empty(), "{stdout}");
        assert!(
            stderr.contains("no Hazelcast cluster answered within 1 s"),
            "{stderr}"
        );
    }
}

#[test]
fn busy_port_is_reported() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    for binary in [env!("CARGO_BIN_EXE_shop"), env!("CARGO_BIN_EXE_shop-actix")] {
        let (ok, _, stderr) = run_to_end(binary, &[("PORT", &port)]);
        assert!(!ok);
        assert!(stderr.contains("already in use"), "{stderr}");
    }
}
