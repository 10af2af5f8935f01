//! The shop on axum.

use axum::Router;
use axum::extract::{Form, Path, Query};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use session_axum::{Session, SessionLayer, SessionManager};

use crate::shop::{self, Reply};

/// `?items=1,2`.
#[derive(Debug, Deserialize)]
pub struct ItemsQuery {
    items: Option<String>,
}

/// The sign-in form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
}

/// The form that ends a session.
#[derive(Debug, Deserialize)]
pub struct EndForm {
    id: String,
}

fn respond(reply: Reply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, reply.body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(reply.content_type),
    );
    if let Some(location) = reply.location.and_then(|l| HeaderValue::try_from(l).ok()) {
        headers.insert(header::LOCATION, location);
    }
    response
}

/// The shop's routes with the session layer.
pub fn router(manager: SessionManager) -> Router {
    Router::new()
        .route(
            "/",
            get(|s: Session| async move { respond(shop::home(&s).await) }),
        )
        .route(
            "/products/{id}",
            get(|s: Session, Path(id): Path<String>| async move {
                respond(shop::product(&s, &id).await)
            }),
        )
        .route(
            "/basket",
            get(|s: Session| async move { respond(shop::basket_page(&s).await) }),
        )
        .route(
            "/basket/add",
            get(|s: Session, Query(q): Query<ItemsQuery>| async move {
                respond(shop::basket_add(&s, q.items.as_deref()).await)
            }),
        )
        .route(
            "/login",
            get(|| async { respond(shop::login_form()) }).post(
                |s: Session, Form(f): Form<LoginForm>| async move {
                    respond(shop::login(&s, &f.username, &f.password).await)
                },
            ),
        )
        .route(
            "/logout",
            post(|s: Session| async move { respond(shop::logout(&s).await) }),
        )
        .route(
            "/sessions",
            get(|s: Session| async move { respond(shop::sessions_page(&s).await) }),
        )
        .route(
            "/sessions/end",
            post(|s: Session, Form(f): Form<EndForm>| async move {
                respond(shop::end_session(&s, &f.id).await)
            }),
        )
        .route(
            "/api/products",
            get(|| async { respond(shop::api_products()) }),
        )
        .route(
            "/api/basket",
            get(|s: Session| async move { respond(shop::api_basket(&s).await) }),
        )
        .route(
            "/api/recent",
            get(|s: Session| async move { respond(shop::api_recent(&s).await) }),
        )
        .route(
            "/api/me",
            get(|s: Session| async move { respond(shop::api_me(&s).await) }),
        )
        .route(
            "/api/sessions",
            get(|s: Session| async move { respond(shop::api_sessions(&s).await) }),
        )
        .layer(SessionLayer::new(manager))
}
