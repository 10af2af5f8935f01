//! The axum shop and the actix-web shop over one repository, in process: a login made on
//! one server is seen by the other, and the two-sessions-per-user limit counts sessions
//! on both (it reads the shared store, as it reads the cluster in production).
#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, test};
use axum::body::Body;
use axum::http::Request;
use session_axum::{MemorySessionRepository, SessionRepository};
use shop::config::shop_manager;
use tower::ServiceExt;

fn cookie_of(set_cookie: Option<&str>) -> String {
    set_cookie.unwrap().split(';').next().unwrap().to_owned()
}

#[actix_web::test]
async fn servers_share_sessions_and_the_session_limit() {
    let repository: Arc<dyn SessionRepository> = Arc::new(MemorySessionRepository::new());
    let axum_app = shop::axum_app::router(shop_manager(repository.clone()));
    let actix_app = test::init_service(
        App::new()
            .wrap(shop::actix_app::middleware(shop_manager(
                repository.clone(),
            )))
            .configure(shop::actix_app::routes),
    )
    .await;

    let login = |cookie: Option<String>| {
        let mut request =
            Request::post("/login").header("content-type", "application/x-www-form-urlencoded");
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        request
            .body(Body::from("username=user&password=password"))
            .unwrap()
    };

    // Two logins on axum.
    let first = axum_app.clone().oneshot(login(None)).await.unwrap();
    let first = cookie_of(
        first
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap()),
    );
    tokio::time::sleep(Duration::from_millis(5)).await;
    let second = axum_app.clone().oneshot(login(None)).await.unwrap();
    let second = cookie_of(
        second
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap()),
    );

    // The axum cookie works on actix.
    let me = test::TestRequest::get()
        .uri("/api/me")
        .insert_header(("cookie", second.clone()))
        .to_request();
    let body = test::call_and_read_body(&actix_app, me).await;
    assert_eq!(&body[..], br#"{"user":"user"}"#);

    // A third login, on actix, ends the oldest session (made on axum).
    tokio::time::sleep(Duration::from_millis(5)).await;
    let third = test::TestRequest::post()
        .uri("/login")
        .insert_header(("content-type", "application/x-www-form-urlencoded"))
        .set_payload("username=user&password=password")
        .to_request();
    let third = test::call_service(&actix_app, third).await;
    assert_eq!(third.status().as_u16(), 303);
    let third = cookie_of(
        third
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap()),
    );

    let who = |cookie: String| {
        Request::get("/api/me")
            .header("cookie", cookie)
            .body(Body::empty())
            .unwrap()
    };
    for (cookie, expected) in [(first, "null"), (second, "\"user\""), (third, "\"user\"")] {
        let response = axum_app.clone().oneshot(who(cookie)).await.unwrap();
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        assert_eq!(
            String::from_utf8(body.to_vec()).unwrap(),
            format!("{{\"user\":{expected}}}")
        );
    }
}
