//! session-axum in-process tests: every request goes through `tower::ServiceExt::oneshot`.
#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::routing::get;
use http::{HeaderMap, Request, StatusCode};
use session_axum::{
    ConcurrentSessions, CookieConfig, IdResolver, MemorySessionRepository, Session, SessionError,
    SessionLayer, SessionManager, SessionRepository, StoreFailurePolicy, WhenExceeded,
};
use session_core::lifecycle::testing::CountingRepository;
use tower::ServiceExt;

type Repo = Arc<CountingRepository<MemorySessionRepository>>;

async fn untouched() -> &'static str {
    "ok"
}

async fn put(session: Session, Path(value): Path<String>) -> Result<&'static str, SessionError> {
    session.insert("value", &value).await?;
    Ok("stored")
}

async fn read(session: Session) -> Result<String, SessionError> {
    Ok(session.get::<String>("value").await?.unwrap_or_default())
}

async fn login(session: Session, Path(user): Path<String>) -> Result<String, SessionError> {
    session.login(&user).await?;
    Ok("welcome".into())
}

async fn whoami(session: Session) -> Result<String, SessionError> {
    Ok(session.principal_name().await?.unwrap_or_default())
}

async fn logout(session: Session) -> Result<&'static str, SessionError> {
    session.logout().await?;
    Ok("bye")
}

fn routes() -> Router {
    Router::new()
        .route("/untouched", get(untouched))
        .route("/put/{value}", get(put))
        .route("/read", get(read))
        .route("/login/{user}", get(login))
        .route("/whoami", get(whoami))
        .route("/logout", get(logout))
}

fn app_with(manager: impl FnOnce(SessionManager) -> SessionManager) -> (Repo, Router) {
    let repo = CountingRepository::new(MemorySessionRepository::new());
    let manager = manager(SessionManager::from_shared(repo.clone()));
    (repo, routes().layer(SessionLayer::new(manager)))
}

fn app() -> (Repo, Router) {
    app_with(|m| m)
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Reply {
    fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// `SESSION=value` from the first Set-Cookie.
    fn cookie(&self) -> String {
        let all = self.set_cookies();
        assert!(!all.is_empty(), "no Set-Cookie");
        all[0].split(';').next().unwrap().to_owned()
    }
}

async fn send(app: &Router, uri: &str, headers: &[(&str, &str)]) -> Reply {
    let mut request = Request::get(uri);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    Reply {
        status,
        headers,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

fn id_in(cookie: &str) -> String {
    use base64::Engine as _;
    let value = cookie.strip_prefix("SESSION=").unwrap();
    String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(value)
            .unwrap(),
    )
    .unwrap()
}

#[tokio::test]
async fn cookie_attributes_follow_spring_defaults() {
    let (_repo, app) = app();
    let reply = send(&app, "/put/a", &[]).await;
    assert_eq!(reply.status, StatusCode::OK);
    let cookies = reply.set_cookies();
    assert_eq!(cookies.len(), 1);
    let value = cookies[0].strip_prefix("SESSION=").unwrap();
    let (value, attributes) = value.split_once(';').unwrap();
    assert_eq!(attributes, " Path=/; HttpOnly; SameSite=Lax");
    assert_eq!(id_in(&format!("SESSION={value}")).len(), 36);

    let secure = send(&app, "https://shop.example.com/put/a", &[]).await;
    assert!(secure.set_cookies()[0].ends_with("; Path=/; Secure; HttpOnly; SameSite=Lax"));

    let (_repo, custom) = app_with(|m| {
        m.with_resolver(IdResolver::Cookie(
            CookieConfig::default()
                .with_domain("example.com")
                .with_name("SHOP"),
        ))
    });
    let reply = send(&custom, "/put/a", &[]).await;
    assert!(reply.set_cookies()[0].starts_with("SHOP="));
    assert!(reply.set_cookies()[0].contains("; Domain=example.com; Path=/;"));
}

#[tokio::test]
async fn loading_is_lazy() {
    let (repo, app) = app();
    let cookie = send(&app, "/put/a", &[]).await.cookie();
    let calls = repo.calls();
    let reply = send(&app, "/untouched", &[("cookie", &cookie)]).await;
    assert_eq!(reply.body, "ok");
    assert!(reply.set_cookies().is_empty());
    assert_eq!(
        repo.calls(),
        calls,
        "no store call for a request that ignores its session"
    );

    let fresh = send(&app, "/untouched", &[]).await;
    assert!(fresh.set_cookies().is_empty());
    assert_eq!(repo.calls(), calls);

    // Reading an existing session writes no new cookie.
    let reply = send(&app, "/read", &[("cookie", &cookie)]).await;
    assert_eq!(reply.body, "a");
    assert!(reply.set_cookies().is_empty());
    // A read without a session creates nothing.
    let reply = send(&app, "/read", &[]).await;
    assert!(reply.set_cookies().is_empty());
    assert_eq!(repo.inner().len(), 1);
}

#[tokio::test]
async fn login_changes_the_id_and_logout_invalidates() {
    let (repo, app) = app();
    let before = send(&app, "/put/basket", &[]).await.cookie();
    let reply = send(&app, "/login/user", &[("cookie", &before)]).await;
    let after = reply.cookie();
    assert_ne!(before, after);
    assert!(
        repo.inner()
            .find_by_id(&id_in(&before))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        send(&app, "/whoami", &[("cookie", &after)]).await.body,
        "user"
    );
    assert_eq!(
        send(&app, "/read", &[("cookie", &after)]).await.body,
        "basket"
    );
    // The old cookie no longer works.
    assert_eq!(send(&app, "/whoami", &[("cookie", &before)]).await.body, "");

    let reply = send(&app, "/logout", &[("cookie", &after)]).await;
    assert_eq!(reply.status, StatusCode::OK);
    let expired = &reply.set_cookies()[0];
    assert!(expired.starts_with("SESSION=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"));
    assert!(repo.inner().is_empty());
    assert_eq!(send(&app, "/whoami", &[("cookie", &after)]).await.body, "");
}

#[tokio::test]
async fn concurrent_session_control() {
    let (repo, app) = app_with(|m| m.with_concurrent_sessions(ConcurrentSessions::at_most(2)));
    let first = send(&app, "/login/user", &[]).await.cookie();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let second = send(&app, "/login/user", &[]).await.cookie();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let third = send(&app, "/login/user", &[]).await.cookie();
    assert_eq!(send(&app, "/whoami", &[("cookie", &first)]).await.body, "");
    assert_eq!(
        send(&app, "/whoami", &[("cookie", &second)]).await.body,
        "user"
    );
    assert_eq!(
        send(&app, "/whoami", &[("cookie", &third)]).await.body,
        "user"
    );
    assert_eq!(repo.inner().len(), 2);

    let (_repo, strict) = app_with(|m| {
        m.with_concurrent_sessions(
            ConcurrentSessions::at_most(1).when_exceeded(WhenExceeded::RefuseNewLogin),
        )
    });
    let first = send(&strict, "/login/user", &[]).await.cookie();
    let refused = send(&strict, "/login/user", &[]).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(
        send(&strict, "/whoami", &[("cookie", &first)]).await.body,
        "user"
    );
    // Logging in again from the same session is not a new session.
    assert_eq!(
        send(&strict, "/login/user", &[("cookie", &first)])
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn header_mode() {
    let (_repo, app) = app_with(|m| m.with_resolver(IdResolver::header()));
    let reply = send(&app, "/put/token", &[]).await;
    assert!(reply.set_cookies().is_empty());
    let token = reply.headers["x-auth-token"].to_str().unwrap().to_owned();
    let reply = send(&app, "/read", &[("x-auth-token", &token)]).await;
    assert_eq!(reply.body, "token");
    assert!(
        reply.headers.get("x-auth-token").is_none(),
        "only sent on new sessions"
    );
    let reply = send(&app, "/logout", &[("x-auth-token", &token)]).await;
    assert_eq!(reply.headers["x-auth-token"], "");
    // Duplicated header: no session.
    let reply = send(
        &app,
        "/read",
        &[("x-auth-token", &token), ("x-auth-token", "other")],
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, "");

    let (_repo, both) =
        app_with(|m| m.with_resolver(IdResolver::cookie_then_header(CookieConfig::default())));
    let reply = send(&both, "/put/x", &[]).await;
    let token = reply.headers["x-auth-token"].to_str().unwrap().to_owned();
    let cookie = reply.cookie();
    assert_eq!(
        send(&both, "/read", &[("x-auth-token", &token)]).await.body,
        "x"
    );
    assert_eq!(send(&both, "/read", &[("cookie", &cookie)]).await.body, "x");
}

#[tokio::test]
async fn store_failure_is_a_503_with_retry_after_unless_told_otherwise() {
    let (repo, app) = app();
    let cookie = send(&app, "/put/a", &[]).await.cookie();
    repo.set_failing(true);
    let reply = send(&app, "/read", &[("cookie", &cookie)]).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.headers["retry-after"], "1");
    assert_eq!(reply.body, "");
    assert!(reply.set_cookies().is_empty());
    let reply = send(&app, "/put/b", &[]).await;
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    // Requests that do not use the session are unaffected.
    assert_eq!(
        send(&app, "/untouched", &[("cookie", &cookie)])
            .await
            .status,
        StatusCode::OK
    );

    let (repo, strict) = app_with(|m| m.with_store_failure_policy(StoreFailurePolicy::Fail));
    let cookie = send(&strict, "/put/a", &[]).await.cookie();
    repo.set_failing(true);
    let reply = send(&strict, "/read", &[("cookie", &cookie)]).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(!reply.headers.contains_key("retry-after"));

    let (repo, lenient) =
        app_with(|m| m.with_store_failure_policy(StoreFailurePolicy::ContinueWithFreshSession));
    let cookie = send(&lenient, "/put/a", &[]).await.cookie();
    repo.set_failing(true);
    let reply = send(&lenient, "/read", &[("cookie", &cookie)]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, "");
}

/// A store that never answers costs a request at most the store deadline; requests that
/// do not use the session are not delayed at all.
#[tokio::test]
async fn a_silent_store_is_answered_within_the_deadline() {
    let (repo, app) = app_with(|m| {
        m.with_store_deadline(Some(std::time::Duration::from_millis(300)))
            .with_retry_after(std::time::Duration::from_secs(3))
    });
    let cookie = send(&app, "/put/a", &[]).await.cookie();
    repo.set_hanging(true);
    let t = std::time::Instant::now();
    let reply = send(&app, "/read", &[("cookie", &cookie)]).await;
    let took = t.elapsed();
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.headers["retry-after"], "3");
    assert!(
        took >= std::time::Duration::from_millis(290) && took < std::time::Duration::from_secs(3),
        "answered after {took:?}"
    );
    let t = std::time::Instant::now();
    let reply = send(&app, "/untouched", &[("cookie", &cookie)]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(t.elapsed() < std::time::Duration::from_millis(250));
    repo.set_hanging(false);
    assert_eq!(send(&app, "/read", &[("cookie", &cookie)]).await.body, "a");
}

#[tokio::test]
async fn bad_input_never_fails_and_never_adopts_an_id() {
    let (repo, app) = app();
    let unknown = "0f4b6e3a-6a3c-4c1e-9d55-2b8f3f0a9d11";
    let good = send(&app, "/put/a", &[]).await.cookie();
    let oversized = format!("SESSION={}", "QUFB".repeat(5000));
    let unknown_cookie = format!("SESSION={}", {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(unknown)
    });
    let truncated = good[..good.len() - 6].to_owned();
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("cookie", "SESSION=%%%notbase64")],
        vec![("cookie", &truncated)],
        vec![("cookie", &oversized)],
        vec![("cookie", "SESSION=")],
        vec![("cookie", &unknown_cookie)],
        vec![("cookie", &good), ("cookie", "SESSION=YWJj")],
        vec![("cookie", "SESSION=IA==; SESSION=Zm9v")],
        vec![("cookie", "=;;SESSION")],
    ];
    for headers in cases {
        let reply = send(&app, "/read", &headers).await;
        assert_eq!(reply.status, StatusCode::OK, "{headers:?}");
        assert_eq!(reply.body, "", "{headers:?}");
        let reply = send(&app, "/put/new", &headers).await;
        assert_eq!(reply.status, StatusCode::OK, "{headers:?}");
        let id = id_in(&reply.cookie());
        assert_ne!(id, unknown);
        assert_ne!(id, id_in(&good));
    }
    assert!(repo.inner().find_by_id(unknown).await.unwrap().is_none());
    // Non-UTF-8 cookie bytes.
    let request = Request::get("/read")
        .header(
            "cookie",
            http::HeaderValue::from_bytes(b"SESSION=\xff\xfe").unwrap(),
        )
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        app.clone().oneshot(request).await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn signed_cookies() {
    let signer = session_axum::CookieSigner::new([7u8; 32]).unwrap();
    let (repo, app) = app_with(|m| m.with_signer(signer));
    let cookie = send(&app, "/put/signed", &[]).await.cookie();
    let token = id_in(&cookie);
    let (id, _signature) = token.split_once('.').unwrap();
    assert_eq!(
        send(&app, "/read", &[("cookie", &cookie)]).await.body,
        "signed"
    );

    let calls = repo.calls();
    let unsigned = format!("SESSION={}", {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(id)
    });
    let reply = send(&app, "/read", &[("cookie", &unsigned)]).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, "");
    assert_eq!(
        repo.calls(),
        calls,
        "an unsigned cookie never reaches the store"
    );

    // After rotation, cookies signed with the previous key still work.
    let rotated = session_axum::CookieSigner::new([8u8; 32])
        .unwrap()
        .with_previous_key([7u8; 32])
        .unwrap();
    let manager = SessionManager::from_shared(repo.clone()).with_signer(rotated);
    let app = routes().layer(SessionLayer::new(manager));
    assert_eq!(
        send(&app, "/read", &[("cookie", &cookie)]).await.body,
        "signed"
    );
}

#[tokio::test]
async fn missing_layer_is_a_clear_rejection() {
    let app = routes();
    let reply = send(&app, "/read", &[]).await;
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(reply.body.contains("SessionLayer"), "{}", reply.body);
}

/// X-Forwarded-Proto / X-Forwarded-Host: ignored by default, used when trusted (the same
/// rule and the same test as session-actix).
#[tokio::test]
async fn forwarded_headers_are_trusted_only_when_configured() {
    let resolver = || {
        IdResolver::Cookie(
            CookieConfig::default()
                .with_domain_pattern(r"^.+?\.(\w+\.[a-z]+)$")
                .unwrap(),
        )
    };
    let proxy = [
        ("host", "internal.backend.lan"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "www.shop.com"),
    ];
    let (_repo, default) = app_with(|m| m.with_resolver(resolver()));
    let cookie = &send(&default, "/put/a", &proxy).await.set_cookies()[0];
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(cookie.contains("; Domain=backend.lan;"), "{cookie}");

    let (_repo, trusting) = app_with(|m| {
        m.with_resolver(resolver())
            .with_forwarded_headers(session_axum::ForwardedHeaders::Trust)
    });
    let cookie = &send(&trusting, "/put/a", &proxy).await.set_cookies()[0];
    assert!(cookie.contains("; Secure;"), "{cookie}");
    assert!(cookie.contains("; Domain=shop.com;"), "{cookie}");
    let plain = [("host", "a.shop.com"), ("x-forwarded-proto", "http")];
    let cookie = &send(&trusting, "/put/a", &plain).await.set_cookies()[0];
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(cookie.contains("; Domain=shop.com;"), "{cookie}");
}
