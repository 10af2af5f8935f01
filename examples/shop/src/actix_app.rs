//! The shop on actix-web.

use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, LOCATION};
use actix_web::{HttpResponse, web};
use serde::Deserialize;
use session_actix::{Session, SessionManager, SessionMiddleware};

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

fn respond(reply: Reply) -> HttpResponse {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = HttpResponse::build(status);
    response.insert_header((CONTENT_TYPE, reply.content_type));
    if let Some(location) = reply.location {
        response.insert_header((LOCATION, location));
    }
    response.body(reply.body)
}

async fn home(s: Session) -> HttpResponse {
    respond(shop::home(&s).await)
}

async fn product(s: Session, id: web::Path<String>) -> HttpResponse {
    respond(shop::product(&s, &id).await)
}

async fn basket(s: Session) -> HttpResponse {
    respond(shop::basket_page(&s).await)
}

async fn basket_add(s: Session, q: web::Query<ItemsQuery>) -> HttpResponse {
    respond(shop::basket_add(&s, q.items.as_deref()).await)
}

async fn login_form() -> HttpResponse {
    respond(shop::login_form())
}

async fn login(s: Session, f: web::Form<LoginForm>) -> HttpResponse {
    respond(shop::login(&s, &f.username, &f.password).await)
}

async fn logout(s: Session) -> HttpResponse {
    respond(shop::logout(&s).await)
}

async fn sessions(s: Session) -> HttpResponse {
    respond(shop::sessions_page(&s).await)
}

async fn end_session(s: Session, f: web::Form<EndForm>) -> HttpResponse {
    respond(shop::end_session(&s, &f.id).await)
}

async fn api_products() -> HttpResponse {
    respond(shop::api_products())
}

async fn api_basket(s: Session) -> HttpResponse {
    respond(shop::api_basket(&s).await)
}

async fn api_recent(s: Session) -> HttpResponse {
    respond(shop::api_recent(&s).await)
}

async fn api_me(s: Session) -> HttpResponse {
    respond(shop::api_me(&s).await)
}

async fn api_sessions(s: Session) -> HttpResponse {
    respond(shop::api_sessions(&s).await)
}

/// The session middleware for `manager`.
pub fn middleware(manager: SessionManager) -> SessionMiddleware {
    SessionMiddleware::new(manager)
}

/// The shop's routes (wrap the app in [`middleware`]).
pub fn routes(config: &mut web::ServiceConfig) {
    config
        .route("/", web::get().to(home))
        .route("/products/{id}", web::get().to(product))
        .route("/basket", web::get().to(basket))
        .route("/basket/add", web::get().to(basket_add))
        .route("/login", web::get().to(login_form))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout))
        .route("/sessions", web::get().to(sessions))
        .route("/sessions/end", web::post().to(end_session))
        .route("/api/products", web::get().to(api_products))
        .route("/api/basket", web::get().to(api_basket))
        .route("/api/recent", web::get().to(api_recent))
        .route("/api/me", web::get().to(api_me))
        .route("/api/sessions", web::get().to(api_sessions));
}
