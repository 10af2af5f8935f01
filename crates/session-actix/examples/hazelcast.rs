//! Sessions in a Hazelcast cluster. Run with a member on 127.0.0.1:5701:
//! HZ_MEMBERS=127.0.0.1:5701 cargo run -p session-actix --features hazelcast --example actix-hazelcast
use actix_web::{App, HttpServer, web};
use session_actix::hazelcast::{BuildError, ClientConfig, HazelcastSessionRepository};
use session_actix::{Session, SessionError, SessionManager, SessionMiddleware};

async fn visits(session: Session) -> Result<String, SessionError> {
    let visits: u64 = session.get("visits").await?.unwrap_or(0) + 1;
    session.insert("visits", &visits).await?;
    Ok(format!("visit number {visits}"))
}

/// The session middleware, its sessions in the cluster `config` names.
pub(crate) async fn sessions(config: ClientConfig) -> Result<SessionMiddleware, BuildError> {
    let sessions = HazelcastSessionRepository::builder(config).build().await?;
    Ok(SessionMiddleware::new(SessionManager::new(sessions)))
}

/// The routes.
pub(crate) fn routes(config: &mut web::ServiceConfig) {
    config.route("/", web::get().to(visits));
}

#[actix_web::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sessions = sessions(ClientConfig::from_env()?).await?; // HZ_MEMBERS, HZ_CLUSTER_NAME, ...
    HttpServer::new(move || App::new().wrap(sessions.clone()).configure(routes))
        .bind(("127.0.0.1", 3000))?
        .run()
        .await?;
    Ok(())
}
