//! Sessions in a Hazelcast cluster. Run with a member on 127.0.0.1:5701:
//! HZ_MEMBERS=127.0.0.1:5701 cargo run -p session-axum --features hazelcast --example axum-hazelcast
use axum::{Router, routing::get};
use session_axum::hazelcast::{BuildError, ClientConfig, HazelcastSessionRepository};
use session_axum::{Session, SessionError, SessionLayer, SessionManager};

async fn visits(session: Session) -> Result<String, SessionError> {
    let visits: u64 = session.get("visits").await?.unwrap_or(0) + 1;
    session.insert("visits", &visits).await?;
    Ok(format!("visit number {visits}"))
}

/// The app, its sessions in the cluster `config` names.
pub(crate) async fn app(config: ClientConfig) -> Result<Router, BuildError> {
    let sessions = HazelcastSessionRepository::builder(config).build().await?;
    let layer = SessionLayer::new(SessionManager::new(sessions));
    Ok(Router::new().route("/", get(visits)).layer(layer))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = ClientConfig::from_env()?; // HZ_MEMBERS, HZ_CLUSTER_NAME, ...
    let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    axum::serve(listener, app(config).await?).await?;
    Ok(())
}
