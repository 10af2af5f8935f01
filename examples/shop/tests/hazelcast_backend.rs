//! The shop on Hazelcast: a 3-member in-process `hazelcast-test-member` cluster, the shop's
//! configuration from `HZ_*` variables, the scenario driven in process, and a second shop
//! instance (as after a restart) that sees the same user and basket for the same cookie.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed unwrap is a failed test.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use actix_web::{App, test};
use axum::Router;
use axum::body::Body;
use axum::http::Request;
use hazelcast_test_member::server::TestCluster;
use session_axum::SessionManager;
use shop::config::{ConfigError, ShopConfig};
use tower::ServiceExt;

fn shop_config(vars: &[(&str, String)]) -> ShopConfig {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), v.clone()))
        .collect();
    ShopConfig::from_vars(|name| vars.get(name).cloned()).expect("valid configuration")
}

fn members(cluster: &TestCluster) -> String {
    cluster
        .addresses()
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

/// A port nothing listens on.
fn closed_port() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    drop(listener);
    address
}

struct Reply {
    status: u16,
    set_cookie: Option<String>,
    body: String,
}

impl Reply {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// A browser talking to an in-process axum shop: it keeps every cookie it is sent (the
/// session's, and with the local cache the read-your-writes `SESSION_WRITTEN`).
struct Browser {
    cookies: Vec<(String, String)>,
}

impl Browser {
    fn new() -> Self {
        Self {
            cookies: Vec::new(),
        }
    }

    /// The `SESSION=...` pair, if the browser holds a session cookie.
    fn session(&self) -> Option<String> {
        self.cookies
            .iter()
            .find(|(n, _)| n == "SESSION")
            .map(|(n, v)| format!("{n}={v}"))
    }

    /// The `Cookie` header it sends.
    fn header(&self) -> Option<String> {
        (!self.cookies.is_empty()).then(|| {
            self.cookies
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    async fn request(&mut self, app: &Router, method: &str, path: &str, form: &str) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(cookie) = self.header() {
            request = request.header("cookie", cookie);
        }
        if method == "POST" {
            request = request.header("content-type", "application/x-www-form-urlencoded");
        }
        let response = app
            .clone()
            .oneshot(request.body(Body::from(form.to_owned())).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        for set in response.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let (name, value) = set.split(';').next().unwrap().split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != name);
            if !set.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        // The session cookie's, if any.
        let set_cookie = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .find(|c| c.starts_with("SESSION="));
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        Reply {
            status,
            set_cookie,
            body: String::from_utf8(body.to_vec()).unwrap(),
        }
    }

    async fn get(&mut self, app: &Router, path: &str) -> Reply {
        self.request(app, "GET", path, "").await
    }

    async fn post(&mut self, app: &Router, path: &str, form: &str) -> Reply {
        self.request(app, "POST", path, form).await
    }

    async fn user(&mut self, app: &Router) -> serde_json::Value {
        self.get(app, "/api/me").await.json()["user"].clone()
    }
}

async fn shop_on(config: &ShopConfig) -> (SessionManager, Router) {
    let manager = config
        .session_manager()
        .await
        .unwrap_or_else(|e| panic!("shop on Hazelcast: {e}"));
    (manager.clone(), shop::axum_app::router(manager))
}

const LOGIN: &str = "username=user&password=password";

#[actix_web::test]
async fn shop_scenario_on_three_members_survives_a_shop_restart() {
    let cluster = TestCluster::start(3).await.expect("test cluster");
    let config = shop_config(&[
        ("HZ_MEMBERS", members(&cluster)),
        ("HZ_CONNECT_TIMEOUT_SECS", "5".into()),
    ]);
    let (_, first) = shop_on(&config).await;

    // Bob signs in first; his will be the oldest session of "user".
    let mut bob = Browser::new();
    assert_eq!(bob.post(&first, "/login", LOGIN).await.status, 303);
    tokio::time::sleep(Duration::from_millis(20)).await;

    // Alice browses: the product list creates no session, a product page does.
    let mut alice = Browser::new();
    let home = alice.get(&first, "/").await;
    assert_eq!(home.status, 200);
    assert!(home.set_cookie.is_none());
    assert_eq!(alice.get(&first, "/products/3").await.status, 200);
    let anonymous = alice.session().expect("a session cookie");
    assert_eq!(alice.get(&first, "/products/999").await.status, 404);

    // Basket at list prices.
    assert_eq!(alice.get(&first, "/basket/add?items=1,2").await.status, 303);
    alice.get(&first, "/basket/add?items=2").await;
    let basket = alice.get(&first, "/api/basket").await.json();
    assert_eq!(basket["units"], 3);
    assert_eq!(basket["total_cents"], 499 + 599 * 2);
    assert!(alice.get(&first, "/basket").await.body.contains("16.97"));

    // Sign in: the id changes, the basket stays.
    assert_eq!(
        alice
            .post(&first, "/login", "username=user&password=wrong")
            .await
            .status,
        401
    );
    assert_eq!(alice.post(&first, "/login", LOGIN).await.status, 303);
    assert_ne!(alice.session().as_ref(), Some(&anonymous));
    assert_eq!(alice.user(&first).await, "user");
    assert_eq!(alice.get(&first, "/api/basket").await.json()["units"], 3);

    // Product pages: the last 50 viewed, most recent first.
    for id in 1..=55 {
        let path = format!("/products/{id}");
        assert_eq!(alice.get(&first, &path).await.status, 200);
    }
    let recent = alice.get(&first, "/api/recent").await.json();
    assert_eq!(recent.as_array().unwrap().len(), 50);
    assert_eq!(recent[0], 55);
    assert_eq!(recent[49], 6);

    // At most two sessions per user: Carol's login ends Bob's (the oldest), read from the
    // cluster's principal index.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut carol = Browser::new();
    assert_eq!(carol.post(&first, "/login", LOGIN).await.status, 303);
    assert_eq!(bob.user(&first).await, serde_json::Value::Null);
    assert_eq!(alice.user(&first).await, "user");
    assert_eq!(carol.user(&first).await, "user");
    let listed = alice.get(&first, "/api/sessions").await.json();
    assert_eq!(listed["sessions"].as_array().unwrap().len(), 2);

    // The shop restarts: a new instance with its own client, same cluster, same cookies.
    drop(first);
    let (manager, second) = shop_on(&config).await;
    assert_eq!(alice.user(&second).await, "user");
    let basket = alice.get(&second, "/api/basket").await.json();
    assert_eq!(basket["units"], 3);
    assert_eq!(basket["total_cents"], 499 + 599 * 2);
    assert_eq!(alice.get(&second, "/api/recent").await.json()[0], 55);
    assert_eq!(carol.user(&second).await, "user");
    assert_eq!(bob.user(&second).await, serde_json::Value::Null);

    // The actix-web shop on the same cluster sees the same session.
    let actix = test::init_service(
        App::new()
            .wrap(shop::actix_app::middleware(manager))
            .configure(shop::actix_app::routes),
    )
    .await;
    let request = test::TestRequest::get()
        .uri("/api/basket")
        .insert_header(("cookie", alice.header().unwrap()))
        .to_request();
    let body = test::call_and_read_body(&actix, request).await;
    let basket: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(basket["units"], 3);

    // Ending a session and signing out on the new instance.
    let carol_id = alice.get(&second, "/api/sessions").await.json()["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["current"] == false)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let ended = alice
        .post(&second, "/sessions/end", &format!("id={carol_id}"))
        .await;
    assert_eq!(ended.status, 303);
    assert_eq!(carol.user(&second).await, serde_json::Value::Null);
    let out = alice.post(&second, "/logout", "").await;
    assert_eq!(out.status, 303);
    assert!(alice.session().is_none());
    cluster.shutdown();
}

#[actix_web::test]
async fn unreachable_cluster_fails_within_the_connect_timeout() {
    let config = shop_config(&[
        ("HZ_MEMBERS", closed_port()),
        ("HZ_CLUSTER_NAME", "nobody".into()),
        ("HZ_CONNECT_TIMEOUT_SECS", "1".into()),
    ]);
    let started = Instant::now();
    let Err(error) = config.session_manager().await else {
        panic!("started without a cluster");
    };
    // Generous bound: the point is "gives up", not how fast.
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(matches!(error, ConfigError::Unreachable { .. }), "{error}");
    let message = error.to_string();
    assert!(
        message.contains("no Hazelcast cluster answered"),
        "{message}"
    );
    assert!(message.contains("\"nobody\""), "{message}");
}

#[actix_web::test]
async fn starts_on_the_failover_cluster_when_the_primary_is_down() {
    let dr = TestCluster::builder()
        .members(1)
        .cluster_name("dr")
        .start()
        .await
        .expect("test cluster");
    let config = shop_config(&[
        ("HZ_MEMBERS", closed_port()),
        ("HZ_FAILOVER_MEMBERS", members(&dr)),
        ("HZ_FAILOVER_CLUSTER_NAME", "dr".into()),
        ("HZ_CONNECT_TIMEOUT_SECS", "1".into()),
    ]);
    let (_, app) = shop_on(&config).await;
    let mut alice = Browser::new();
    assert_eq!(alice.post(&app, "/login", LOGIN).await.status, 303);
    assert_eq!(alice.user(&app).await, "user");
    dr.shutdown();
}

/// A shop binary started on a free port, killed when dropped.
struct Process(std::process::Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `binary` on `members` and returns it with its `host:port`.
async fn start_binary(binary: &'static str, members: String) -> (Process, String) {
    tokio::task::spawn_blocking(move || {
        use std::io::BufRead as _;
        let mut child = std::process::Command::new(binary)
            .env("PORT", "0")
            .env("HZ_MEMBERS", members)
            .env("HZ_CONNECT_TIMEOUT_SECS", "5")
            .env("RUST_LOG", "warn")
            .env_remove("HZ_CLUSTER_NAME")
            .env_remove("HZ_FAILOVER_MEMBERS")
            .env_remove("HZ_MAP_NAME")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()
            .expect("start the shop");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let process = Process(child);
        let address = line
            .split("http://")
            .nth(1)
            .and_then(|rest| rest.trim().strip_suffix('/'))
            .unwrap_or_else(|| panic!("no URL from {binary}: {line:?}"))
            .to_owned();
        (process, address)
    })
    .await
    .unwrap()
}

/// One HTTP/1.1 request with `Connection: close`; the raw response.
async fn http(address: &str, method: &str, path: &str, cookie: Option<&str>, form: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let mut request =
        format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n");
    if let Some(cookie) = cookie {
        request.push_str(&format!("Cookie: {cookie}\r\n"));
    }
    if method == "POST" {
        request.push_str(&format!(
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n",
            form.len()
        ));
    }
    request.push_str("\r\n");
    request.push_str(form);
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut response))
        .await
        .expect("the shop answers")
        .unwrap();
    String::from_utf8_lossy(&response).into_owned()
}

fn session_cookie(response: &str) -> String {
    response
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("set-cookie")
                .then(|| value.trim().split(';').next().unwrap_or("").to_owned())
        })
        .unwrap_or_else(|| panic!("no cookie in {response}"))
}

/// Both binaries as separate processes on one cluster: a login and a basket made on the
/// axum shop are seen by the actix-web shop with the same cookie.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_binaries_share_sessions_through_the_cluster() {
    let cluster = TestCluster::start(3).await.expect("test cluster");
    let (_axum, axum_at) = start_binary(env!("CARGO_BIN_EXE_shop"), members(&cluster)).await;
    let (_actix, actix_at) =
        start_binary(env!("CARGO_BIN_EXE_shop-actix"), members(&cluster)).await;

    let login = http(&axum_at, "POST", "/login", None, LOGIN).await;
    assert!(login.starts_with("HTTP/1.1 303"), "{login}");
    let cookie = session_cookie(&login);
    let added = http(&axum_at, "GET", "/basket/add?items=1,2", Some(&cookie), "").await;
    assert!(added.starts_with("HTTP/1.1 303"), "{added}");

    let me = http(&actix_at, "GET", "/api/me", Some(&cookie), "").await;
    assert!(me.contains(r#"{"user":"user"}"#), "{me}");
    let basket = http(&actix_at, "GET", "/api/basket", Some(&cookie), "").await;
    assert!(basket.contains(r#""units":2"#), "{basket}");
    // And back: the actix shop adds, the axum shop sees it.
    http(&actix_at, "GET", "/basket/add?items=3", Some(&cookie), "").await;
    let basket = http(&axum_at, "GET", "/api/basket", Some(&cookie), "").await;
    assert!(basket.contains(r#""units":3"#), "{basket}");
    cluster.shutdown();
}
