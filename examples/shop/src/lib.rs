//! The example shop: a product list, product pages that remember the last 50 products
//! viewed, a basket, sign-in with at most two sessions per user, and a "my sessions"
//! page, all kept in the HTTP session. The same shop is served by axum
//! (`cargo run -p shop`) and by actix-web (`cargo run -p shop --bin shop-actix`) over
//! the same request handling ([`shop`]).
//!
//! ```
//! use shop::basket::{Basket, parse_items};
//!
//! let mut basket = Basket::default();
//! for product in parse_items("1,2").unwrap() {
//!     basket.add(&product);
//! }
//! assert_eq!(basket.total_cents(), 499 + 599);
//! ```
//!
//! Configuration comes from environment variables, see [`config`]: sessions are kept in
//! memory, or in a Hazelcast cluster when `HZ_MEMBERS` is set ([`backend`]).
//!
//! On a cluster it shares its sessions with the Spring Boot shop of `examples/spring-shop`:
//! the basket is that shop's Java records as Compact ([`basket`]), a login on either app is
//! a login on both, and a session Spring's registry ends is ended here too.
#![forbid(unsafe_code)]

pub mod actix_app;
pub mod axum_app;
pub mod backend;
pub mod basket;
pub mod catalogue;
pub mod config;
pub mod pages;
pub mod shop;
pub mod startup;
pub mod users;
