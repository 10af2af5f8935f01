//! What a shopper does, over HTTP: sign in, add to the basket, look at the basket.

use std::net::SocketAddr;

use super::http::{self, Jar};

/// The basket as `/api/basket` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Basket {
    pub(crate) units: u64,
    pub(crate) total_cents: u64,
}

fn redirect(r: &http::Response, what: &str) -> Result<(), String> {
    if (300..400).contains(&r.status) {
        Ok(())
    } else {
        Err(format!("{what}: status {}", r.status))
    }
}

/// Signs in as the demo user.
pub(crate) fn login(shop: SocketAddr, jar: &mut Jar) -> Result<(), String> {
    login_as(shop, jar, "user", "password")
}

/// Signs in as `user` (one of the shop's demo accounts).
pub(crate) fn login_as(
    shop: SocketAddr,
    jar: &mut Jar,
    user: &str,
    password: &str,
) -> Result<(), String> {
    let form = format!("username={user}&password={password}");
    let r = http::post_form(shop, "/login", &form, jar)?;
    redirect(&r, "sign in")
}

/// Adds products (`"1,2"`) to the basket.
pub(crate) fn add(shop: SocketAddr, jar: &mut Jar, items: &str) -> Result<(), String> {
    let r = http::get(shop, &format!("/basket/add?items={items}"), jar)?;
    redirect(&r, "add to basket")
}

/// The basket.
pub(crate) fn basket(shop: SocketAddr, jar: &mut Jar) -> Result<Basket, String> {
    let r = http::get(shop, "/api/basket", jar)?;
    if r.status != 200 {
        return Err(format!("basket: status {}", r.status));
    }
    let v: serde_json::Value =
        serde_json::from_str(&r.body).map_err(|e| format!("basket: not JSON: {e}"))?;
    Ok(Basket {
        units: v["units"].as_u64().ok_or("basket: no units")?,
        total_cents: v["total_cents"].as_u64().ok_or("basket: no total")?,
    })
}

/// The signed-in user, if any.
pub(crate) fn me(shop: SocketAddr, jar: &mut Jar) -> Result<Option<String>, String> {
    let r = http::get(shop, "/api/me", jar)?;
    if r.status != 200 {
        return Err(format!("me: status {}", r.status));
    }
    let v: serde_json::Value =
        serde_json::from_str(&r.body).map_err(|e| format!("me: not JSON: {e}"))?;
    Ok(v["user"].as_str().map(str::to_owned))
}

/// The ids of the products the shop sells (`/api/products`).
pub(crate) fn products(shop: SocketAddr) -> Result<Vec<u32>, String> {
    let r = http::get(shop, "/api/products", &mut Jar::default())?;
    if r.status != 200 {
        return Err(format!("products: status {}", r.status));
    }
    let v: serde_json::Value =
        serde_json::from_str(&r.body).map_err(|e| format!("products: not JSON: {e}"))?;
    v.as_array()
        .ok_or("products: not a list")?
        .iter()
        .map(|p| {
            p["id"]
                .as_u64()
                .and_then(|id| u32::try_from(id).ok())
                .ok_or_else(|| "products: an entry without id".to_owned())
        })
        .collect()
}

/// The product ids in the basket, from `/api/basket`'s lines.
pub(crate) fn basket_products(
    shop: SocketAddr,
    jar: &mut Jar,
    timeout: std::time::Duration,
) -> Result<Vec<u32>, String> {
    let r = http::get_within(shop, "/api/basket", jar, timeout)?;
    if r.status != 200 {
        return Err(format!("basket: status {}", r.status));
    }
    products_of(&r.body)
}

/// Parses `/api/basket`'s JSON into the product ids of its lines.
pub(crate) fn products_of(body: &str) -> Result<Vec<u32>, String> {
    let v: serde_json::Value =
        serde_json::from_str(body).map_err(|e| format!("basket: not JSON: {e}"))?;
    let lines = v["lines"].as_array().ok_or("basket: no lines")?;
    lines
        .iter()
        .map(|l| {
            l["product_id"]
                .as_u64()
                .and_then(|id| u32::try_from(id).ok())
                .ok_or_else(|| "basket: a line without product_id".to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_basket_lines() {
        let body = r#"{"lines":[{"product_id":3,"name":"x","unit_price_cents":1,"quantity":1},{"product_id":60,"name":"y","unit_price_cents":1,"quantity":2}],"units":3,"total_cents":3}"#;
        assert_eq!(super::products_of(body), Ok(vec![3, 60]));
        assert!(super::products_of(r#"{"lines":[{"name":"x"}]}"#).is_err());
        assert!(super::products_of("<html>").is_err());
        assert_eq!(super::products_of(r#"{"lines":[]}"#), Ok(vec![]));
    }
}
