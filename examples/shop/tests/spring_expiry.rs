//! A session that Spring's session registry ended (the `EXPIRED` marker its
//! `maximumSessions` limit sets instead of deleting the session) is signed out by the Rust
//! shop on its next request, and removed from the store.
#![allow(clippy::unwrap_used)] // Test code: a failed unwrap is a failed test.

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use session_axum::{MemorySessionRepository, SessionRepository};
use session_hazelcast::spring::REGISTRY_EXPIRED_ATTRIBUTE;
use shop::config::shop_manager;
use tower::ServiceExt;

async fn me(app: &axum::Router, cookie: &str) -> serde_json::Value {
    let response = app
        .clone()
        .oneshot(
            Request::get("/api/me")
                .header("cookie", cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    serde_json::from_slice(&body).unwrap()
}

#[tokio::test]
async fn a_session_ended_by_the_spring_registry_is_signed_out() {
    let repository: Arc<dyn SessionRepository> = Arc::new(MemorySessionRepository::new());
    let app = shop::axum_app::router(shop_manager(repository.clone()));
    let response = app
        .clone()
        .oneshot(
            Request::post("/login")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(Body::from("username=user&password=password"))
                .unwrap(),
        )
        .await
        .unwrap();
    let cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(me(&app, &cookie).await["user"], "user");

    // What SpringSessionBackedSessionInformation.expireNow() does to the session.
    let indexed = repository.as_indexed().unwrap();
    let sessions = indexed.find_by_principal_name("user").await.unwrap();
    assert_eq!(sessions.len(), 1);
    let (id, session) = sessions.into_iter().next().unwrap();
    session.insert(REGISTRY_EXPIRED_ATTRIBUTE, &true).unwrap();
    repository.save(&session).await.unwrap();

    assert!(me(&app, &cookie).await["user"].is_null());
    assert!(repository.find_by_id(&id).await.unwrap().is_none());
}
