//! The shop served by actix-web: `cargo run -p shop --bin shop-actix`.

use std::process::ExitCode;

use actix_web::{App, HttpServer};

#[actix_web::main]
async fn main() -> ExitCode {
    shop::startup::init_tracing();
    let (manager, listener) = match shop::startup::prepare().await {
        Ok(ready) => ready,
        Err(message) => {
            eprintln!("shop-actix: {message}");
            return ExitCode::FAILURE;
        }
    };
    let address = listener.local_addr();
    let middleware = shop::actix_app::middleware(manager);
    let server = HttpServer::new(move || {
        App::new()
            .wrap(middleware.clone())
            .configure(shop::actix_app::routes)
    })
    .workers(2)
    .listen(listener);
    let server = match server {
        Ok(server) => server,
        Err(e) => {
            eprintln!("shop-actix: cannot serve on the listening socket: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Ok(address) = address {
        shop::startup::announce("actix-web", address);
    }
    match server.run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shop-actix: server failed: {e}");
            ExitCode::FAILURE
        }
    }
}
