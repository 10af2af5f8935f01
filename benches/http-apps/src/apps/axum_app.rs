//! The axum apps: baseline, ours (memory, Hazelcast), tower-sessions (memory, Redis).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use session_axum::{MemorySessionRepository, SessionLayer, SessionManager};
use tower_sessions::{MemoryStore, SessionManagerLayer};
use tower_sessions_redis_store::RedisStore;
use tower_sessions_redis_store::fred::prelude::{ClientLike, Config, Pool};

use super::{
    Backends, Basket, BasketSession, Ours, ServeError, Stack, StoreFailed, add_to_basket,
    distinct_item, show_basket, store_unchanged_basket,
};
use crate::basket::{BASKET_ATTRIBUTE, NoSession};

fn reply(r: Result<String, StoreFailed>) -> Response {
    match r {
        Ok(body) => body.into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

struct Tower(tower_sessions::Session);

impl BasketSession for Tower {
    async fn load_basket(&self) -> Result<Option<Arc<Basket>>, StoreFailed> {
        Ok(self.load_basket_to_change().await?.map(Arc::new))
    }
    async fn load_basket_to_change(&self) -> Result<Option<Basket>, StoreFailed> {
        self.0
            .get(BASKET_ATTRIBUTE)
            .await
            .map_err(|e| StoreFailed(e.to_string()))
    }
    async fn store_basket(&self, basket: Arc<Basket>) -> Result<(), StoreFailed> {
        self.0
            .insert(BASKET_ATTRIBUTE, &*basket)
            .await
            .map_err(|e| StoreFailed(e.to_string()))
    }
}

fn baseline() -> Router {
    Router::new().route(
        "/basket",
        get(|| async { reply(show_basket(&NoSession).await) })
            .post(|| async { reply(add_to_basket(&NoSession, &distinct_item()).await) })
            .put(|| async { reply(store_unchanged_basket(&NoSession).await) }),
    )
}

fn ours(manager: SessionManager) -> Router {
    Router::new()
        .route(
            "/basket",
            get(|s: session_axum::Session| async move { reply(show_basket(&Ours(s)).await) })
                .post(|s: session_axum::Session| async move {
                    reply(add_to_basket(&Ours(s), &distinct_item()).await)
                })
                .put(|s: session_axum::Session| async move {
                    reply(store_unchanged_basket(&Ours(s)).await)
                }),
        )
        .layer(SessionLayer::new(manager))
}

fn tower_routes() -> Router {
    Router::new().route(
        "/basket",
        get(|s: tower_sessions::Session| async move { reply(show_basket(&Tower(s)).await) })
            .post(|s: tower_sessions::Session| async move {
                reply(add_to_basket(&Tower(s), &distinct_item()).await)
            })
            .put(|s: tower_sessions::Session| async move {
                reply(store_unchanged_basket(&Tower(s)).await)
            }),
    )
}

pub(super) async fn serve(
    stack: Stack,
    bind: SocketAddr,
    backends: Backends,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), ServeError> {
    let redis = backends.redis.as_deref();
    let mut client = None;
    let app = match stack {
        Stack::OursAxumMemory => {
            let repo = MemorySessionRepository::new();
            super::populate(&repo, &backends).await?;
            ours(SessionManager::new(repo))
        }
        Stack::OursAxumHazelcast => {
            let repo = super::hazelcast_repository(stack, &backends).await?;
            super::populate(&repo, &backends).await?;
            client = Some(repo.client().clone());
            ours(SessionManager::new(repo))
        }
        Stack::TowerSessionsMemory => {
            tower_routes().layer(SessionManagerLayer::new(MemoryStore::default()))
        }
        Stack::TowerSessionsRedis => {
            let url = redis.ok_or(ServeError::NoRedis(stack.name()))?;
            let config = Config::from_url(url).map_err(|e| ServeError::Store(e.to_string()))?;
            let pool = Pool::new(config, None, None, None, 4)
                .map_err(|e| ServeError::Store(e.to_string()))?;
            let _task = pool.connect();
            pool.wait_for_connect()
                .await
                .map_err(|e| ServeError::Store(e.to_string()))?;
            tower_routes().layer(SessionManagerLayer::new(RedisStore::new(pool)))
        }
        _ => baseline(),
    };
    let app = app.route(
        "/__bench/invocations",
        get(move || async move { super::invocations(client.as_ref()) }),
    );
    let listener = tokio::net::TcpListener::bind(bind).await?;
    ready(listener.local_addr()?);
    axum::serve(listener, app).await?;
    Ok(())
}
