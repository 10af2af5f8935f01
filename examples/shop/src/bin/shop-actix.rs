//! actix shop.
fn main() {}
