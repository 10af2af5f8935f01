//! The shop's request handling, shared by the axum and actix-web binaries: each function
//! takes the request's [`LazySession`] and returns a framework-neutral [`Reply`].

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;
use session_axum::{LazySession, LifecycleError};

use crate::basket::{BASKET, Basket, RECENTLY_VIEWED, parse_items, record_view};
use crate::catalogue::{self, Product};
use crate::pages::{self, SessionRow};
use crate::users;

/// A response, before it is turned into the framework's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// Body.
    pub body: String,
    /// `Location` for redirects.
    pub location: Option<String>,
}

impl Reply {
    fn html(status: u16, body: String) -> Self {
        Self {
            status,
            content_type: "text/html; charset=utf-8",
            body,
            location: None,
        }
    }

    fn json(status: u16, value: serde_json::Value) -> Self {
        Self {
            status,
            content_type: "application/json",
            body: value.to_string(),
            location: None,
        }
    }

    fn redirect(to: &str) -> Self {
        Self {
            status: 303,
            content_type: "text/plain; charset=utf-8",
            body: String::new(),
            location: Some(to.to_owned()),
        }
    }

    fn text(status: u16, body: &str) -> Self {
        Self {
            status,
            content_type: "text/plain; charset=utf-8",
            body: body.to_owned(),
            location: None,
        }
    }
}

/// Turns a session failure into a reply. When the store failed, the adapters replace the
/// whole response with the session manager's failure response (by default an empty
/// `503 Service Unavailable` with `Retry-After: 1`), whatever this reply says.
fn failure(error: LifecycleError) -> Reply {
    match error {
        LifecycleError::TooManySessions { .. } => Reply::text(409, "too many sessions"),
        error => {
            if !error.is_store_failure() {
                tracing::error!(error = %error, "session operation failed");
            }
            Reply::text(500, "internal server error")
        }
    }
}

/// Runs `f`, turning errors into replies.
async fn run<F>(f: F) -> Reply
where
    F: Future<Output = Result<Reply, LifecycleError>>,
{
    f.await.unwrap_or_else(failure)
}

/// Logs the request's session out if Spring's session registry ended it (its
/// `maximumSessions` limit marks the oldest session instead of deleting it).
async fn honour_spring_expiry(session: &LazySession) -> Result<(), LifecycleError> {
    if let Some(current) = session.load().await?
        && session_hazelcast::spring::expired_by_spring_registry(&current)
    {
        tracing::debug!("session ended by the Spring session registry");
        session.logout().await?;
    }
    Ok(())
}

/// Read on every page: `get_shared` decodes the list once per stored value, not per request.
async fn recent_products(session: &LazySession) -> Result<Vec<Product>, LifecycleError> {
    let Some(ids) = session.get_shared::<Vec<u32>>(RECENTLY_VIEWED).await? else {
        return Ok(Vec::new());
    };
    Ok(ids.iter().copied().filter_map(catalogue::product).collect())
}

/// The session's basket; one that cannot be read (written in an older format, or by an
/// application with another shape of it) is replaced by an empty one.
async fn basket(session: &LazySession) -> Result<Basket, LifecycleError> {
    match session.get(BASKET).await {
        Ok(basket) => Ok(basket.unwrap_or_default()),
        Err(error) if !error.is_store_failure() => {
            tracing::debug!(error = %error, "unreadable basket replaced by an empty one");
            Ok(Basket::default())
        }
        Err(error) => Err(error),
    }
}

fn epoch_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// `GET /`: the product list.
pub async fn home(session: &LazySession) -> Reply {
    run(async {
        honour_spring_expiry(session).await?;
        let user = session.principal_name().await?;
        let recent = recent_products(session).await?;
        Ok(Reply::html(
            200,
            pages::product_list(&catalogue::all(), &recent, user.as_deref()),
        ))
    })
    .await
}

/// `GET /products/{id}`: a product page; remembers the visit.
pub async fn product(session: &LazySession, id: &str) -> Reply {
    run(async {
        honour_spring_expiry(session).await?;
        let Some(product) = id.parse().ok().and_then(catalogue::product) else {
            return Ok(Reply::html(
                404,
                pages::layout("Not found", None, "<p>No such product.</p>"),
            ));
        };
        let mut recent: Vec<u32> = session.get(RECENTLY_VIEWED).await?.unwrap_or_default();
        record_view(&mut recent, product.id);
        session.insert(RECENTLY_VIEWED, &recent).await?;
        let user = session.principal_name().await?;
        let recent: Vec<Product> = recent
            .into_iter()
            .skip(1)
            .filter_map(catalogue::product)
            .collect();
        Ok(Reply::html(
            200,
            pages::product_page(&product, &recent, user.as_deref()),
        ))
    })
    .await
}

/// `GET /basket`.
pub async fn basket_page(session: &LazySession) -> Reply {
    run(async {
        honour_spring_expiry(session).await?;
        let user = session.principal_name().await?;
        Ok(Reply::html(
            200,
            pages::basket_page(&basket(session).await?, user.as_deref()),
        ))
    })
    .await
}

/// `GET /basket/add?items=1,2`: adds the products at their list price.
pub async fn basket_add(session: &LazySession, items: Option<&str>) -> Reply {
    run(async {
        honour_spring_expiry(session).await?;
        let Some(products) = items.and_then(parse_items) else {
            return Ok(Reply::text(
                400,
                "items must be a comma-separated list of product ids",
            ));
        };
        let mut basket = basket(session).await?;
        for product in &products {
            basket.add(product);
        }
        if let Some(user) = session.principal_name().await? {
            basket.principal_name = Some(user);
        }
        session.insert(BASKET, &basket).await?;
        Ok(Reply::redirect("/basket"))
    })
    .await
}

/// `GET /login`.
pub fn login_form() -> Reply {
    Reply::html(200, pages::login_page(None))
}

/// `POST /login`: checks the credentials, then logs in (new session id, at most two
/// sessions per user).
pub async fn login(session: &LazySession, username: &str, password: &str) -> Reply {
    run(async {
        honour_spring_expiry(session).await?;
        if !users::check(username, password) {
            tracing::info!("failed sign-in");
            return Ok(Reply::html(
                401,
                pages::login_page(Some("Wrong user name or password.")),
            ));
        }
        session.login(username).await?;
        Ok(Reply::redirect("/"))
    })
    .await
}

/// `POST /logout`.
pub async fn logout(session: &LazySession) -> Reply {
    run(async {
        honour_spring_expiry(session).await?;
        session.logout().await?;
        Ok(Reply::redirect("/"))
    })
    .await
}

async fn my_sessions(
    session: &LazySession,
) -> Result<Option<(String, Vec<SessionRow>)>, LifecycleError> {
    let Some(current) = session.load().await? else {
        return Ok(None);
    };
    let Some(user) = current.principal_name() else {
        return Ok(None);
    };
    let repository = session.manager().repository();
    let indexed = repository.as_indexed().ok_or(LifecycleError::NotIndexed)?;
    let found = indexed
        .find_by_principal_name(&user)
        .await
        .map_err(LifecycleError::Store)?;
    let current_id = current.original_id();
    let mut rows: Vec<SessionRow> = found
        .into_values()
        .filter(|s| !session_hazelcast::spring::expired_by_spring_registry(s))
        .map(|s| SessionRow {
            current: s.id() == current_id,
            id: s.id(),
            created: epoch_seconds(s.creation_time()),
            last_accessed: epoch_seconds(s.last_accessed_time()),
        })
        .collect();
    rows.sort_by(|a, b| b.last_accessed.cmp(&a.last_accessed).then(a.id.cmp(&b.id)));
    Ok(Some((user, rows)))
}

/// `GET /sessions`: the signed-in user's sessions.
pub async fn sessions_page(session: &LazySession) -> Reply {
    run(async {
        honour_spring_expiry(session).await?;
        Ok(match my_sessions(session).await? {
            Some((user, rows)) => Reply::html(200, pages::sessions_page(&user, &rows)),
            None => Reply::redirect("/login"),
        })
    })
    .await
}

/// `POST /sessions/end` with `id`: ends one of the user's sessions.
pub async fn end_session(session: &LazySession, id: &str) -> Reply {
    run(async {
        honour_spring_expiry(session).await?;
        let Some((_, rows)) = my_sessions(session).await? else {
            return Ok(Reply::text(401, "sign in first"));
        };
        let Some(row) = rows.iter().find(|r| r.id == id) else {
            return Ok(Reply::text(404, "no such session"));
        };
        if row.current {
            session.logout().await?;
            return Ok(Reply::redirect("/"));
        }
        session
            .manager()
            .repository()
            .delete_by_id(id)
            .await
            .map_err(LifecycleError::Store)?;
        Ok(Reply::redirect("/sessions"))
    })
    .await
}

/// `GET /api/products`.
pub fn api_products() -> Reply {
    Reply::json(200, json!(catalogue::all()))
}

/// `GET /api/basket`.
pub async fn api_basket(session: &LazySession) -> Reply {
    run(async {
        honour_spring_expiry(session).await?;
        let basket = basket(session).await?;
        let lines: Vec<serde_json::Value> = basket
            .items
            .iter()
            .map(|l| {
                json!({
                    "product_id": l.product.id,
                    "name": l.product.name,
                    "unit_price_cents": l.unit_price_cents(),
                    "quantity": l.quantity,
                })
            })
            .collect();
        Ok(Reply::json(
            200,
            json!({
                "lines": lines,
                "units": basket.units(),
                "total_cents": basket.total_cents(),
                "principal_name": basket.principal_name,
            }),
        ))
    })
    .await
}

/// `GET /api/recent`: recently viewed product ids, most recent first.
pub async fn api_recent(session: &LazySession) -> Reply {
    run(async {
        honour_spring_expiry(session).await?;
        let ids: Vec<u32> = session.get(RECENTLY_VIEWED).await?.unwrap_or_default();
        Ok(Reply::json(200, json!(ids)))
    })
    .await
}

/// `GET /api/me`: who is signed in.
pub async fn api_me(session: &LazySession) -> Reply {
    run(async {
        honour_spring_expiry(session).await?;
        Ok(Reply::json(
            200,
            json!({ "user": session.principal_name().await? }),
        ))
    })
    .await
}

/// `GET /api/sessions`: the signed-in user's sessions.
pub async fn api_sessions(session: &LazySession) -> Reply {
    run(async {
        honour_spring_expiry(session).await?;
        Ok(match my_sessions(session).await? {
            Some((user, rows)) => Reply::json(200, json!({ "user": user, "sessions": rows })),
            None => Reply::json(401, json!({ "error": "sign in first" })),
        })
    })
    .await
}
