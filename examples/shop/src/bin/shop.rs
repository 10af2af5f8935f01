//! The shop served by axum: `cargo run -p shop`.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    shop::startup::init_tracing();
    let (manager, listener) = match shop::startup::prepare().await {
        Ok(ready) => ready,
        Err(message) => {
            eprintln!("shop: {message}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("shop: cannot use the listening socket: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Ok(address) = listener.local_addr() {
        shop::startup::announce("axum", address);
    }
    let app = shop::axum_app::router(manager);
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shop: server failed: {e}");
            ExitCode::FAILURE
        }
    }
}
