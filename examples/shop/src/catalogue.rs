//! The product catalogue: 60 products with fixed list prices.

use serde::Serialize;

/// One product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Product {
    /// Product id (1-based).
    pub id: u32,
    /// Display name.
    pub name: String,
    /// List price in cents.
    pub price_cents: u64,
}

const ADJECTIVES: [&str; 6] = ["Red", "Blue", "Green", "Golden", "Silver", "Black"];
const THINGS: [&str; 10] = [
    "Teapot", "Lamp", "Notebook", "Backpack", "Umbrella", "Mug", "Scarf", "Clock", "Kite", "Chair",
];

/// How many products the shop sells.
pub const PRODUCT_COUNT: u32 = 60;

/// The product with this id.
pub fn product(id: u32) -> Option<Product> {
    if id == 0 || id > PRODUCT_COUNT {
        return None;
    }
    let index = (id - 1) as usize;
    let adjective = ADJECTIVES[index / THINGS.len() % ADJECTIVES.len()];
    let thing = THINGS[index % THINGS.len()];
    Some(Product {
        id,
        name: format!("{adjective} {thing}"),
        // Deterministic prices between 4.99 and 63.99.
        price_cents: 499 + u64::from(id - 1) * 100,
    })
}

/// Every product, by id.
pub fn all() -> Vec<Product> {
    (1..=PRODUCT_COUNT).filter_map(product).collect()
}

/// Formats cents as `12.34`.
pub fn format_price(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_is_stable() {
        assert_eq!(all().len(), 60);
        assert_eq!(product(1).map(|p| p.name), Some("Red Teapot".into()));
        assert_eq!(product(60).map(|p| p.price_cents), Some(6399));
        assert_eq!(product(0), None);
        assert_eq!(product(61), None);
        assert_eq!(format_price(1205), "12.05");
    }
}
