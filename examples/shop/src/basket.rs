//! The basket and the recently viewed list, as stored in the session.

use serde::{Deserialize, Serialize};

use session_hazelcast::compact_record::{Decimal, FieldKind, RecordTypes};

use crate::catalogue::Product;

/// Session attribute holding the [`Basket`].
pub const BASKET: &str = "basket";
/// Session attribute holding the recently viewed product ids, most recent first.
pub const RECENTLY_VIEWED: &str = "recently_viewed";
/// How many recently viewed products are kept.
pub const RECENT_LIMIT: usize = 50;
/// Most units of one product in a basket.
pub const MAX_QUANTITY: i32 = 99;
/// Most items accepted in one `/basket/add` request.
pub const MAX_ITEMS_PER_REQUEST: usize = 50;

/// Compact type name of [`Basket`]: the Spring shop's record class.
pub const BASKET_TYPE: &str = "com.example.shop.Basket";
/// Compact type name of [`BasketItem`].
pub const BASKET_ITEM_TYPE: &str = "com.example.shop.BasketItem";
/// Compact type name of [`ProductDto`].
pub const PRODUCT_TYPE: &str = "com.example.shop.ProductDto";

/// A product as kept in the basket: the Spring shop's record
/// `ProductDto(long id, String name, BigDecimal listPrice)`, stored as the same Compact type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "com.example.shop.ProductDto", rename_all = "camelCase")]
pub struct ProductDto {
    /// Product id.
    pub id: i64,
    /// Product name.
    pub name: String,
    /// List price.
    pub list_price: Decimal,
}

impl From<&Product> for ProductDto {
    fn from(p: &Product) -> Self {
        Self {
            id: i64::from(p.id),
            name: p.name.clone(),
            list_price: cents_to_decimal(p.price_cents),
        }
    }
}

/// One basket line, priced when it was added: the Spring shop's record
/// `BasketItem(ProductDto product, BigDecimal orderPrice, int quantity)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "com.example.shop.BasketItem", rename_all = "camelCase")]
pub struct BasketItem {
    /// The product.
    pub product: ProductDto,
    /// Price per unit when added.
    pub order_price: Decimal,
    /// Units.
    pub quantity: i32,
}

impl BasketItem {
    /// Price per unit in cents (`None` for a price with more than two decimals or out of range).
    pub fn unit_price_cents(&self) -> Option<u64> {
        decimal_to_cents(&self.order_price)
    }
}

/// The basket: the Spring shop's record `Basket(String principalName, List<BasketItem> items)`,
/// stored as the same Compact type, so each shop reads and changes the other's basket.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "com.example.shop.Basket", rename_all = "camelCase")]
pub struct Basket {
    /// Who the basket belongs to (`None` before signing in).
    pub principal_name: Option<String>,
    /// Lines in the order products were first added.
    pub items: Vec<BasketItem>,
}

/// The hints the Compact codec needs for a [`Basket`] (its `items` may be empty).
pub fn record_types() -> RecordTypes {
    RecordTypes::new().hint(BASKET_TYPE, "items", FieldKind::ArrayOfCompact)
}

/// `cents` as a decimal with two digits after the point.
pub fn cents_to_decimal(cents: u64) -> Decimal {
    Decimal::new(i128::from(cents), 2)
}

/// A price in cents, if it has at most two decimals and is not negative.
pub fn decimal_to_cents(d: &Decimal) -> Option<u64> {
    d.rescaled(2).and_then(|c| u64::try_from(c).ok())
}

impl Basket {
    /// Adds one unit of `product` at its list price (capped at [`MAX_QUANTITY`]).
    pub fn add(&mut self, product: &Product) {
        let id = i64::from(product.id);
        match self.items.iter_mut().find(|l| l.product.id == id) {
            Some(line) => line.quantity = (line.quantity.saturating_add(1)).min(MAX_QUANTITY),
            None => {
                let product = ProductDto::from(product);
                self.items.push(BasketItem {
                    order_price: product.list_price,
                    product,
                    quantity: 1,
                });
            }
        }
    }

    /// Total in cents (lines with a price that is not whole cents count as 0).
    pub fn total_cents(&self) -> u64 {
        self.items
            .iter()
            .map(|l| {
                l.unit_price_cents()
                    .unwrap_or(0)
                    .saturating_mul(u64::try_from(l.quantity).unwrap_or(0))
            })
            .sum()
    }

    /// Number of units.
    pub fn units(&self) -> u64 {
        self.items
            .iter()
            .map(|l| u64::try_from(l.quantity).unwrap_or(0))
            .sum()
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
        assert_eq!(basket.items.len(), 2);
        assert_eq!(basket.items[0].order_price.to_string(), "4.99");
        assert_eq!(basket.items[0].product.name, "Red Teapot");
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
