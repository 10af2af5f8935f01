//! What both binaries do before serving: logging, configuration, binding the port.

use std::io::Write as _;
use std::net::{SocketAddr, TcpListener};

use session_axum::SessionManager;

use crate::config::ShopConfig;

/// Logs to stderr; `RUST_LOG` overrides the default `info` level.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Reads the configuration, builds the session manager (connecting to Hazelcast when
/// `HZ_MEMBERS` is set, giving up after the connect timeout), says on stderr which
/// session store it uses, and binds 127.0.0.1 on the configured port. The error is a
/// message for the user.
pub async fn prepare() -> Result<(SessionManager, TcpListener), String> {
    let config = ShopConfig::from_env().map_err(|e| e.to_string())?;
    let store = crate::backend::describe(&config.backend);
    if !matches!(config.backend, crate::config::Backend::Memory) {
        let _ = writeln!(std::io::stderr(), "Connecting to the {store}...");
    }
    let manager = config.session_manager().await.map_err(|e| e.to_string())?;
    let _ = writeln!(std::io::stderr(), "Sessions: {store}.");
    let listener = TcpListener::bind(("127.0.0.1", config.port)).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AddrInUse {
            format!(
                "port {} on 127.0.0.1 is already in use; set PORT to another port (PORT=0 picks a free one)",
                config.port
            )
        } else {
            format!("cannot listen on 127.0.0.1:{}: {e}", config.port)
        }
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|e| format!("cannot configure the listening socket: {e}"))?;
    Ok((manager, listener))
}

/// Prints where the shop runs (the first line on stdout, which tests read).
pub fn announce(server: &str, address: SocketAddr) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "Shop ({server}) running at http://{address}/");
    let _ = writeln!(
        out,
        "Sign in as user/password or user2/password2. Ctrl-C stops it."
    );
    let _ = out.flush();
}
