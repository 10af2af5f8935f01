//! axum shop.
fn main() {}
