//! session-actix in-process tests with `actix_web::test`.
#![allow(clippy::unwrap_used)] // Test helpers: a failed unwrap is a failed test.

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use actix_web::{App, test, web};
use session_actix::{
    ConcurrentSessions, CookieConfig, IdResolver, MemorySessionRepository, Session, SessionError,
    SessionManager, SessionMiddleware, SessionRepository, StoreFailurePolicy, WhenExceeded,
};
use session_core::lifecycle::testing::CountingRepository;

type Repo = Arc<CountingRepository<MemorySessionRepository>>;

async fn untouched() -> &'static str {
    "ok"
}

async fn put(session: Session, value: web::Path<String>) -> Result<&'static str, SessionError> {
    session.insert("value", &value.into_inner()).await?;
    Ok("stored")
}

async fn read(session: Session) -> Result<String, SessionError> {
    Ok(session.get::<String>("value").await?.unwrap_or_default())
}

async fn login(session: Session, user: web::Path<String>) -> Result<&'static str, SessionError> {
    session.login(&user).await?;
    Ok("welcome")
}

async fn whoami(session: Session) -> Result<String, SessionError> {
    Ok(session.principal_name().await?.unwrap_or_default())
}

async fn logout(session: Session) -> Result<&'static str, SessionError> {
    session.logout().await?;
    Ok("bye")
}

fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/untouched", web::get().to(untouched))
        .route("/put/{value}", web::get().to(put))
        .route("/read", web::get().to(read))
        .route("/login/{user}", web::get().to(login))
        .route("/whoami", web::get().to(whoami))
        .route("/logout", web::get().to(logout));
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
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    fn cookie(&self) -> String {
        let all = self.set_cookies();
        assert!(!all.is_empty(), "no Set-Cookie");
        all[0].split(';').next().unwrap().to_owned()
    }
}

fn request(uri: &str, headers: &[(&str, &str)]) -> test::TestRequest {
    let mut request = test::TestRequest::get().uri(uri);
    for (name, value) in headers {
        request = request.append_header((*name, *value));
    }
    request
}

async fn reply<B: MessageBody>(response: ServiceResponse<B>) -> Reply {
    let status = response.status();
    let headers = response.headers().clone();
    let body = test::read_body(response).await;
    Reply {
        status,
        headers,
        body: String::from_utf8(body.to_vec()).unwrap(),
    }
}

/// Sends a GET with headers through the app and collects the reply.
macro_rules! send {
    ($app:expr, $uri:expr, $headers:expr) => {
        reply(test::call_service($app, request($uri, $headers).to_request()).await).await
    };
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

fn setup(build: impl FnOnce(SessionManager) -> SessionManager) -> (Repo, SessionMiddleware) {
    let repo = CountingRepository::new(MemorySessionRepository::new());
    let middleware = SessionMiddleware::new(build(SessionManager::from_shared(repo.clone())));
    (repo, middleware)
}

macro_rules! app {
    ($middleware:expr) => {
        test::init_service(App::new().wrap($middleware).configure(routes)).await
    };
}

#[actix_web::test]
async fn cookie_attributes_follow_spring_defaults() {
    let (_repo, middleware) = setup(|b| b);
    let app = app!(middleware);
    let reply = send!(&app, "/put/a", &[]);
    assert_eq!(reply.status, StatusCode::OK);
    let cookies = reply.set_cookies();
    assert_eq!(cookies.len(), 1);
    let (pair, attributes) = cookies[0].split_once(';').unwrap();
    assert_eq!(attributes, " Path=/; HttpOnly; SameSite=Lax");
    assert_eq!(id_in(pair).len(), 36);

    let (_repo, custom) = setup(|b| {
        b.with_resolver(IdResolver::Cookie(
            CookieConfig::default()
                .with_domain("example.com")
                .with_name("SHOP")
                .with_secure(session_actix::CookieSecure::Always),
        ))
    });
    let app = app!(custom);
    let reply = send!(&app, "/put/a", &[]);
    let cookie = &reply.set_cookies()[0];
    assert!(cookie.starts_with("SHOP="));
    assert!(cookie.ends_with("; Domain=example.com; Path=/; Secure; HttpOnly; SameSite=Lax"));
}

#[actix_web::test]
async fn loading_is_lazy() {
    let (repo, middleware) = setup(|b| b);
    let app = app!(middleware);
    let cookie = send!(&app, "/put/a", &[]).cookie();
    let calls = repo.calls();
    let reply = send!(&app, "/untouched", &[("cookie", &cookie)]);
    assert_eq!(reply.body, "ok");
    assert!(reply.set_cookies().is_empty());
    assert_eq!(
        repo.calls(),
        calls,
        "no store call for a request that ignores its session"
    );
    let reply = send!(&app, "/read", &[("cookie", &cookie)]);
    assert_eq!(reply.body, "a");
    assert!(reply.set_cookies().is_empty());
    let reply = send!(&app, "/read", &[]);
    assert!(reply.set_cookies().is_empty());
    assert_eq!(repo.inner().len(), 1);
}

#[actix_web::test]
async fn login_changes_the_id_and_logout_invalidates() {
    let (repo, middleware) = setup(|b| b);
    let app = app!(middleware);
    let before = send!(&app, "/put/basket", &[]).cookie();
    let after = send!(&app, "/login/user", &[("cookie", &before)]).cookie();
    assert_ne!(before, after);
    assert!(
        repo.inner()
            .find_by_id(&id_in(&before))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(send!(&app, "/whoami", &[("cookie", &after)]).body, "user");
    assert_eq!(send!(&app, "/read", &[("cookie", &after)]).body, "basket");
    assert_eq!(send!(&app, "/whoami", &[("cookie", &before)]).body, "");

    let reply = send!(&app, "/logout", &[("cookie", &after)]);
    assert!(
        reply.set_cookies()[0]
            .starts_with("SESSION=; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT")
    );
    assert!(repo.inner().is_empty());
}

#[actix_web::test]
async fn concurrent_session_control() {
    let (repo, middleware) = setup(|b| b.with_concurrent_sessions(ConcurrentSessions::at_most(2)));
    let app = app!(middleware);
    let first = send!(&app, "/login/user", &[]).cookie();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let second = send!(&app, "/login/user", &[]).cookie();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let third = send!(&app, "/login/user", &[]).cookie();
    assert_eq!(send!(&app, "/whoami", &[("cookie", &first)]).body, "");
    assert_eq!(send!(&app, "/whoami", &[("cookie", &second)]).body, "user");
    assert_eq!(send!(&app, "/whoami", &[("cookie", &third)]).body, "user");
    assert_eq!(repo.inner().len(), 2);

    let (_repo, strict) = setup(|b| {
        b.with_concurrent_sessions(
            ConcurrentSessions::at_most(1).when_exceeded(WhenExceeded::RefuseNewLogin),
        )
    });
    let app = app!(strict);
    let first = send!(&app, "/login/user", &[]).cookie();
    assert_eq!(send!(&app, "/login/user", &[]).status, StatusCode::CONFLICT);
    assert_eq!(send!(&app, "/whoami", &[("cookie", &first)]).body, "user");
}

#[actix_web::test]
async fn header_mode() {
    let (_repo, middleware) = setup(|b| b.with_resolver(IdResolver::header()));
    let app = app!(middleware);
    let reply = send!(&app, "/put/token", &[]);
    assert!(reply.set_cookies().is_empty());
    let token = reply
        .headers
        .get("x-auth-token")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let reply = send!(&app, "/read", &[("x-auth-token", &token)]);
    assert_eq!(reply.body, "token");
    assert!(reply.headers.get("x-auth-token").is_none());
    let long = "a".repeat(10_000);
    for headers in [
        vec![("x-auth-token", token.as_str()), ("x-auth-token", "x")],
        vec![("x-auth-token", long.as_str())],
        vec![("x-auth-token", "")],
        vec![("x-auth-token", "a\tb")],
    ] {
        let reply = send!(&app, "/read", &headers);
        assert_eq!(reply.status, StatusCode::OK, "{headers:?}");
        assert_eq!(reply.body, "");
        let reply = send!(&app, "/put/new", &headers);
        let new = reply.headers.get("x-auth-token").unwrap().to_str().unwrap();
        assert_ne!(new, token);
        assert_eq!(new.len(), 36);
    }
    let reply = send!(&app, "/logout", &[("x-auth-token", &token)]);
    assert_eq!(reply.headers.get("x-auth-token").unwrap(), "");
}

#[actix_web::test]
async fn store_failure_is_a_503_with_retry_after_unless_told_otherwise() {
    let (repo, middleware) = setup(|b| b);
    let app = app!(middleware);
    let cookie = send!(&app, "/put/a", &[]).cookie();
    repo.set_failing(true);
    let reply = send!(&app, "/read", &[("cookie", &cookie)]);
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(reply.headers.get("retry-after").unwrap(), "1");
    assert_eq!(reply.body, "");
    assert!(reply.set_cookies().is_empty());
    assert_eq!(
        send!(&app, "/put/b", &[]).status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(
        send!(&app, "/untouched", &[("cookie", &cookie)]).status,
        StatusCode::OK
    );

    let (repo, strict) = setup(|b| b.with_store_failure_policy(StoreFailurePolicy::Fail));
    let app = app!(strict);
    let cookie = send!(&app, "/put/a", &[]).cookie();
    repo.set_failing(true);
    let reply = send!(&app, "/read", &[("cookie", &cookie)]);
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(reply.headers.get("retry-after").is_none());

    let (repo, hanging) =
        setup(|b| b.with_store_deadline(Some(std::time::Duration::from_millis(300))));
    let app = app!(hanging);
    let cookie = send!(&app, "/put/a", &[]).cookie();
    repo.set_hanging(true);
    let t = std::time::Instant::now();
    let reply = send!(&app, "/read", &[("cookie", &cookie)]);
    assert_eq!(reply.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        t.elapsed() < std::time::Duration::from_secs(3),
        "{:?}",
        t.elapsed()
    );
    repo.set_hanging(false);

    let (repo, lenient) =
        setup(|b| b.with_store_failure_policy(StoreFailurePolicy::ContinueWithFreshSession));
    let app = app!(lenient);
    let cookie = send!(&app, "/put/a", &[]).cookie();
    repo.set_failing(true);
    let reply = send!(&app, "/read", &[("cookie", &cookie)]);
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, "");
}

#[actix_web::test]
async fn bad_input_never_fails_and_never_adopts_an_id() {
    let (repo, middleware) = setup(|b| b);
    let app = app!(middleware);
    let unknown = "0f4b6e3a-6a3c-4c1e-9d55-2b8f3f0a9d11";
    let good = send!(&app, "/put/a", &[]).cookie();
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
        let reply = send!(&app, "/read", &headers);
        assert_eq!(reply.status, StatusCode::OK, "{headers:?}");
        assert_eq!(reply.body, "", "{headers:?}");
        let reply = send!(&app, "/put/new", &headers);
        assert_eq!(reply.status, StatusCode::OK, "{headers:?}");
        let id = id_in(&reply.cookie());
        assert_ne!(id, unknown);
        assert_ne!(id, id_in(&good));
    }
    assert!(repo.inner().find_by_id(unknown).await.unwrap().is_none());
}

#[actix_web::test]
async fn signed_cookies() {
    let signer = session_actix::CookieSigner::new([7u8; 32]).unwrap();
    let (repo, middleware) = setup(|b| b.with_signer(signer));
    let app = app!(middleware);
    let cookie = send!(&app, "/put/signed", &[]).cookie();
    let token = id_in(&cookie);
    let (id, _signature) = token.split_once('.').unwrap();
    assert_eq!(send!(&app, "/read", &[("cookie", &cookie)]).body, "signed");
    let calls = repo.calls();
    let unsigned = format!("SESSION={}", {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(id)
    });
    let reply = send!(&app, "/read", &[("cookie", &unsigned)]);
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.body, "");
    assert_eq!(
        repo.calls(),
        calls,
        "an unsigned cookie never reaches the store"
    );
}

#[actix_web::test]
async fn missing_middleware_is_a_clear_error() {
    let app = test::init_service(App::new().configure(routes)).await;
    let reply = send!(&app, "/read", &[]);
    assert_eq!(reply.status, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(reply.body.contains("SessionMiddleware"), "{}", reply.body);
}

/// X-Forwarded-Proto / X-Forwarded-Host: ignored by default, used when trusted (the same
/// rule and the same test as session-axum).
#[actix_web::test]
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
    let (_repo, default) = setup(|m| m.with_resolver(resolver()));
    let app = app!(default);
    let cookie = &send!(&app, "/put/a", &proxy).set_cookies()[0];
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(cookie.contains("; Domain=backend.lan;"), "{cookie}");

    let (_repo, trusting) = setup(|m| {
        m.with_resolver(resolver())
            .with_forwarded_headers(session_actix::ForwardedHeaders::Trust)
    });
    let app = app!(trusting);
    let cookie = &send!(&app, "/put/a", &proxy).set_cookies()[0];
    assert!(cookie.contains("; Secure;"), "{cookie}");
    assert!(cookie.contains("; Domain=shop.com;"), "{cookie}");
    let plain = [("host", "a.shop.com"), ("x-forwarded-proto", "http")];
    let cookie = &send!(&app, "/put/a", &plain).set_cookies()[0];
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(cookie.contains("; Domain=shop.com;"), "{cookie}");
}
