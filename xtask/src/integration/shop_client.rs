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
    let r = http::post_form(shop, "/login", "username=user&password=password", jar)?;
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
