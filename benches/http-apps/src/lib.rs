//! Workloads of `cargo xtask bench` (issues 9 and 16), built into one release binary,
//! `bench-tool`, that the xtask starts as separate processes:
//!
//! - `bench-tool member [--members N]`: an in-process test cluster
//!   (`hazelcast-test-member`) in its own process, printing `MEMBERS <addr,...>`; it stops
//!   when its standard input closes.
//! - `bench-tool client --addresses A[,B] [--warmup S] [--duration S] [--cases N,..]`: the
//!   [`client_load`] cases with our `hazelcast-client`, one JSON line per case.
//! - `bench-tool serve <stack> [--redis URL] [--members A,B] [--workers N]
//!   [--local-cache on|off] [--map-name M] [--sessions N --session-file F]`: the basket
//!   app ([`basket`]) on one of the [`apps::Stack`]s, printing `LISTENING <addr>`; with
//!   `--sessions` it first creates N sessions ([`apps::populate`]) and writes their
//!   cookies to F.
//! - `bench-tool load --addr A --method GET|POST|PUT [--connections C] [--warmup S]
//!   [--duration S] [--session-file F]`: the [`load`] generator, one JSON
//!   [`stats::Measurement`] line.
//!
//! The handlers are written once against [`basket::BasketSession`]:
//!
//! ```
//! use bench_http_apps::basket::{NoSession, add_to_basket, show_basket};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! assert_eq!(add_to_basket(&NoSession, "tea").await.unwrap(), "1 items in your basket\n");
//! assert_eq!(show_basket(&NoSession).await.unwrap(), "0 items\n");
//! # });
//! ```
#![forbid(unsafe_code)]

pub mod apps;
pub mod basket;
pub mod client_load;
pub mod cpu;
pub mod load;
pub mod netstat;
pub mod stats;
