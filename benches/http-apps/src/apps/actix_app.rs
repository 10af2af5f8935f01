//! The actix-web apps: baseline, ours (memory, Hazelcast), actix-session (Redis).

use std::net::SocketAddr;
use std::sync::Arc;

use actix_session::storage::RedisSessionStore;
use actix_web::cookie::Key;
use actix_web::{App, HttpResponse, HttpServer, web};
use session_actix::{MemorySessionRepository, SessionRepository};

use super::{
    Backends, Basket, BasketSession, Ours, ServeError, Stack, StoreFailed, add_to_basket,
    distinct_item, show_basket, store_unchanged_basket,
};
use crate::basket::{BASKET_ATTRIBUTE, NoSession};

fn reply(r: Result<String, StoreFailed>) -> HttpResponse {
    match r {
        Ok(body) => HttpResponse::Ok().body(body),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

struct ActixSession(actix_session::Session);

impl BasketSession for ActixSession {
    async fn load_basket(&self) -> Result<Option<Arc<Basket>>, StoreFailed> {
        Ok(self.load_basket_to_change().await?.map(Arc::new))
    }
    async fn load_basket_to_change(&self) -> Result<Option<Basket>, StoreFailed> {
        self.0
            .get(BASKET_ATTRIBUTE)
            .map_err(|e| StoreFailed(e.to_string()))
    }
    async fn store_basket(&self, basket: Arc<Basket>) -> Result<(), StoreFailed> {
        self.0
            .insert(BASKET_ATTRIBUTE, &*basket)
            .map_err(|e| StoreFailed(e.to_string()))
    }
}

async fn add_actix_session(s: actix_session::Session) -> HttpResponse {
    reply(add_to_basket(&ActixSession(s), &distinct_item()).await)
}

async fn keep_actix_session(s: actix_session::Session) -> HttpResponse {
    reply(store_unchanged_basket(&ActixSession(s)).await)
}

async fn show_actix_session(s: actix_session::Session) -> HttpResponse {
    reply(show_basket(&ActixSession(s)).await)
}

async fn add_ours(s: session_actix::Session) -> HttpResponse {
    reply(add_to_basket(&Ours(s), &distinct_item()).await)
}

async fn keep_ours(s: session_actix::Session) -> HttpResponse {
    reply(store_unchanged_basket(&Ours(s)).await)
}

async fn show_ours(s: session_actix::Session) -> HttpResponse {
    reply(show_basket(&Ours(s)).await)
}

async fn add_plain() -> HttpResponse {
    reply(add_to_basket(&NoSession, &distinct_item()).await)
}

async fn keep_plain() -> HttpResponse {
    reply(store_unchanged_basket(&NoSession).await)
}

async fn show_plain() -> HttpResponse {
    reply(show_basket(&NoSession).await)
}

fn first_addr(addrs: &[SocketAddr]) -> Result<SocketAddr, ServeError> {
    addrs
        .first()
        .copied()
        .ok_or_else(|| ServeError::Store("no bound address".into()))
}

pub(super) fn serve(
    stack: Stack,
    bind: SocketAddr,
    workers: usize,
    backends: Backends,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    actix_web::rt::System::new().block_on(async move {
        match stack {
            Stack::ActixSessionRedis => {
                let url = backends
                    .redis
                    .clone()
                    .ok_or(ServeError::NoRedis(stack.name()))?;
                let store = RedisSessionStore::new(url)
                    .await
                    .map_err(|e| ServeError::Store(e.to_string()))?;
                let key = Key::from(&[7u8; 64]);
                let server = HttpServer::new(move || {
                    App::new()
                        .wrap(
                            actix_session::SessionMiddleware::builder(store.clone(), key.clone())
                                .cookie_secure(false)
                                .build(),
                        )
                        .route("/basket", web::get().to(show_actix_session))
                        .route("/basket", web::post().to(add_actix_session))
                        .route("/basket", web::put().to(keep_actix_session))
                        .route("/__bench/invocations", web::get().to(|| async { "0" }))
                })
                .workers(workers)
                .bind(bind)?;
                ready(first_addr(&server.addrs())?);
                server.run().await?;
            }
            Stack::OursActixMemory | Stack::OursActixHazelcast => {
                let (repository, client): (std::sync::Arc<dyn SessionRepository>, _) =
                    if stack == Stack::OursActixHazelcast {
                        let repo = super::hazelcast_repository(stack, &backends).await?;
                        super::populate(&repo, &backends).await?;
                        let client = repo.client().clone();
                        (std::sync::Arc::new(repo), Some(client))
                    } else {
                        let repo = MemorySessionRepository::new();
                        super::populate(&repo, &backends).await?;
                        (std::sync::Arc::new(repo), None)
                    };
                let sessions = session_actix::SessionMiddleware::new(
                    session_actix::SessionManager::from_shared(repository),
                );
                let counter = web::Data::new(client);
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(counter.clone())
                        .route(
                            "/__bench/invocations",
                            web::get().to(
                                |c: web::Data<Option<hazelcast_client::Client>>| async move {
                                    super::invocations(c.as_ref().as_ref())
                                },
                            ),
                        )
                        .service(
                            web::scope("")
                                .wrap(sessions.clone())
                                .route("/basket", web::get().to(show_ours))
                                .route("/basket", web::post().to(add_ours))
                                .route("/basket", web::put().to(keep_ours)),
                        )
                })
                .workers(workers)
                .bind(bind)?;
                ready(first_addr(&server.addrs())?);
                server.run().await?;
            }
            _ => {
                let server = HttpServer::new(|| {
                    App::new()
                        .route("/basket", web::get().to(show_plain))
                        .route("/basket", web::post().to(add_plain))
                        .route("/basket", web::put().to(keep_plain))
                        .route("/__bench/invocations", web::get().to(|| async { "0" }))
                })
                .workers(workers)
                .bind(bind)?;
                ready(first_addr(&server.addrs())?);
                server.run().await?;
            }
        }
        Ok(())
    })
}
