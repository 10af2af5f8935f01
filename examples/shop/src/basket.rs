//! The basket and the recently viewed list, as stored in the session.

use serde::{Deserialize, Serialize};

use crate::catalogue::Product;

/// Session attribute holding the [`Basket`].
pub const BASKET: &str = "basket";
/// Session attribute holding the recently viewed product ids, most recent first.
pub const RECENTLY_VIEWED: &str = "recently_viewed";
/// How many recently viewed products are kept.
pub const RECENT_LIMIT: usize = 50;
/// Most units of one product in a basket.
pub const MAX_QUANTITY: u32 = 99;
/// Most items accepted in one `/basket/add` request.
pub const MAX_ITEMS_PER_REQUEST: usize = 50;

/// One basket line, priced when it was added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BasketLine {
    /// Product id.
    pub product_id: u32,
    /// Product name.
    pub name: String,
    /// Price per unit in cents, the list price when added.
    pub unit_price_cents: u64,
    /// Units.
    pub quantity: u32,
}

/// The basket.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Basket {
    /// Lines in the order products were first added.
    pub lines: Vec<BasketLine>,
}

impl Basket {
    /// Adds one unit of `product` at its list price (capped at [`MAX_QUANTITY`]).
    pub fn add(&mut self, product: &Product) {
        match self.lines.iter_mut().find(|l| l.product_id == product.id) {
            Some(line) => line.quantity = (line.quantity + 1).min(MAX_QUANTITY),
            None => self.lines.push(BasketLine {
                product_id: product.id,
                name: product.name.clone(),
                unit_price_cents: product.price_cents,
                quantity: 1,
            }),
        }
    }

    /// Total in cents.
    pub fn total_cents(&self) -> u64 {
        self.lines
            .iter()
            .map(|l| l.unit_price_cents * u64::from(l.quantity))
            .sum()
    }

    /// Number of units.
    pub fn units(&self) -> u64 {
        self.lines.iter().map(|l| u64::from(l.quantity)).sum()
    }
}

/// Parses `1,2,3` into product ids; `None` if any entry is not a known product or there
/// are too many.
pub fn parse_items(items: &str) -> Option<Vec<Product>> {
    let mut products = Vec::new();
    for part in items.split(',') {
        if products.len() >= MAX_ITEMS_PER_REQUEST {
            return None;
        }
        let id: u32 = part.trim().parse().ok()?;
        products.push(crate::catalogue::product(id)?);
    }
    Some(products)
}

/// Puts `id` first in the recently viewed list, without duplicates, keeping at most
/// [`RECENT_LIMIT`] entries.
pub fn record_view(recent: &mut Vec<u32>, id: u32) {
    recent.retain(|&r| r != id);
    recent.insert(0, id);
    recent.truncate(RECENT_LIMIT);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basket_and_recent() {
        let mut basket = Basket::default();
        for p in parse_items("1,2,1").unwrap() {
            basket.add(&p);
        }
        assert_eq!(basket.lines.len(), 2);
        assert_eq!(basket.units(), 3);
        assert_eq!(basket.total_cents(), 499 * 2 + 599);
        assert!(parse_items("1,x").is_none());
        assert!(parse_items("999").is_none());
        assert!(parse_items(&"1,".repeat(60)).is_none());

        let mut recent = Vec::new();
        for id in 1..=55 {
            record_view(&mut recent, id);
        }
        record_view(&mut recent, 30);
        assert_eq!(recent.len(), RECENT_LIMIT);
        assert_eq!(recent[0], 30);
        assert_eq!(recent[1], 55);
        assert_eq!(recent.iter().filter(|&&r| r == 30).count(), 1);
    }
}
