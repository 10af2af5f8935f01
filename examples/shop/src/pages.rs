//! HTML pages: a small stylesheet, product cards, the basket with its totals and, on every
//! page, the line saying where the session is stored.

use std::fmt::Write as _;
use std::sync::RwLock;

use crate::basket::Basket;
use crate::catalogue::{Product, format_price};

/// Escapes text for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Where sessions are stored, shown on every page; set at start-up
/// ([`crate::config::ShopConfig::session_manager`]).
static STORE_LABEL: RwLock<Option<String>> = RwLock::new(None);

/// Sets the "session stored in" line of every page (e.g. `Hazelcast cluster dev`).
pub fn set_store_label(label: &str) {
    if let Ok(mut slot) = STORE_LABEL.write() {
        *slot = Some(label.to_owned());
    }
}

/// The "session stored in" line's store (`this process (memory)` until set).
pub fn store_label() -> String {
    STORE_LABEL
        .read()
        .ok()
        .and_then(|slot| slot.clone())
        .unwrap_or_else(|| "this process (memory)".to_owned())
}

/// The shop's stylesheet, inlined in every page.
const STYLE: &str = "\
body{font-family:system-ui,sans-serif;margin:0;background:#f6f6f4;color:#222}\
header{background:#23395d;color:#fff;padding:.8em 1.5em;display:flex;gap:1.2em;align-items:center;flex-wrap:wrap}\
header a{color:#fff;text-decoration:none;font-weight:600}\
header .brand{font-size:1.3em;margin-right:auto}\
header form{display:inline;margin:0}\
button,.button{background:#e07a1f;color:#fff;border:0;border-radius:4px;padding:.4em .9em;font-size:.95em;cursor:pointer;text-decoration:none;display:inline-block}\
main{max-width:60em;margin:0 auto;padding:1em 1.5em}\
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(11em,1fr));gap:1em;padding:0;list-style:none}\
.card{background:#fff;border-radius:8px;box-shadow:0 1px 3px #0002;padding:1em;display:flex;flex-direction:column;gap:.5em}\
.card a.name{color:#23395d;font-weight:600;text-decoration:none}\
.price{font-size:1.2em;color:#3a7d44;font-weight:700;margin:0}\
table{border-collapse:collapse;background:#fff;min-width:24em;box-shadow:0 1px 3px #0002}\
th,td{padding:.5em 1em;border-bottom:1px solid #eee;text-align:left}\
table.basket tr:last-child td{font-weight:700;border-top:2px solid #23395d}\
label{display:block;margin:.5em 0}\
.error{color:#b00020}\
footer{max-width:60em;margin:2em auto;padding:0 1.5em;color:#666;font-size:.9em}\
";

/// Wraps `body` in the page layout: header with navigation and account, the body, and the
/// footer line saying where the session is stored.
pub fn layout(title: &str, user: Option<&str>, body: &str) -> String {
    let account = match user {
        Some(user) => format!(
            "<span>Signed in as <b>{}</b></span> <a href=\"/sessions\">my sessions</a> \
             <form method=\"post\" action=\"/logout\"><button>Sign out</button></form>",
            escape(user)
        ),
        None => "<a href=\"/login\">Sign in</a>".to_owned(),
    };
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{title} · Shop</title>\
         <style>{STYLE}</style></head>\n\
         <body><header><a class=\"brand\" href=\"/\">Rust Shop</a><a href=\"/\">Products</a> \
         <a href=\"/basket\">Basket</a> {account}</header>\n\
         <main><h1>{title}</h1>\n{body}\n</main>\n\
         <footer><p class=\"store\">Session stored in: {store}</p></footer></body></html>\n",
        title = escape(title),
        store = escape(&store_label()),
    )
}

/// The product list, as cards.
pub fn product_list(products: &[Product], recent: &[Product], user: Option<&str>) -> String {
    let mut body = String::from("<ul class=\"cards products\">\n");
    for p in products {
        let _ = writeln!(
            body,
            "<li class=\"card\"><a class=\"name\" href=\"/products/{id}\">{name}</a>\
             <p class=\"price\">{price}</p>\
             <a class=\"button\" href=\"/basket/add?items={id}\">Add to basket</a></li>",
            id = p.id,
            name = escape(&p.name),
            price = format_price(p.price_cents)
        );
    }
    body.push_str("</ul>\n");
    body.push_str(&recent_list(recent));
    layout("Products", user, &body)
}

fn recent_list(recent: &[Product]) -> String {
    if recent.is_empty() {
        return String::new();
    }
    let mut out = String::from("<h2>Recently viewed</h2>\n<ol class=\"recent\">\n");
    for p in recent {
        let _ = writeln!(
            out,
            "<li><a href=\"/products/{}\">{}</a></li>",
            p.id,
            escape(&p.name)
        );
    }
    out.push_str("</ol>\n");
    out
}

/// One product's page.
pub fn product_page(product: &Product, recent: &[Product], user: Option<&str>) -> String {
    let body = format!(
        "<p class=\"price\">{price}</p>\n<p><a class=\"button\" href=\"/basket/add?items={id}\">Add to basket</a></p>\n{recent}",
        price = format_price(product.price_cents),
        id = product.id,
        recent = recent_list(recent),
    );
    layout(&product.name, user, &body)
}

/// The basket.
pub fn basket_page(basket: &Basket, user: Option<&str>) -> String {
    let mut body = String::new();
    if basket.items.is_empty() {
        body.push_str(
            "<p>Your basket is empty.</p>\n<p><a class=\"button\" href=\"/\">Browse the products</a></p>\n",
        );
    } else {
        body.push_str(
            "<table class=\"basket\">\n<tr><th>Product</th><th>Qty</th><th>Price</th></tr>\n",
        );
        for line in &basket.items {
            let _ = writeln!(
                body,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&line.product.name),
                line.quantity,
                format_price(
                    line.unit_price_cents()
                        .unwrap_or(0)
                        .saturating_mul(u64::try_from(line.quantity).unwrap_or(0))
                )
            );
        }
        let _ = writeln!(
            body,
            "<tr><td>Total</td><td>{}</td><td class=\"total\">{}</td></tr>\n</table>\n\
             <p><a href=\"/\">Continue shopping</a></p>",
            basket.units(),
            format_price(basket.total_cents())
        );
    }
    layout("Basket", user, &body)
}

/// The sign-in form, with an optional message.
pub fn login_page(message: Option<&str>) -> String {
    let message = message
        .map(|m| format!("<p class=\"error\">{}</p>\n", escape(m)))
        .unwrap_or_default();
    let body = format!(
        "{message}<form method=\"post\" action=\"/login\">\n\
         <label>User <input name=\"username\"></label>\n\
         <label>Password <input name=\"password\" type=\"password\"></label>\n\
         <button>Sign in</button>\n</form>\n<p>Demo users: user/password, user2/password2.</p>"
    );
    layout("Sign in", None, &body)
}

/// One row of the "my sessions" page.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SessionRow {
    /// Session id.
    pub id: String,
    /// Creation time, seconds since the epoch.
    pub created: u64,
    /// Last access, seconds since the epoch.
    pub last_accessed: u64,
    /// Whether this is the session of the request.
    pub current: bool,
}

/// The "my sessions" page.
pub fn sessions_page(user: &str, rows: &[SessionRow]) -> String {
    let mut body = String::from(
        "<table class=\"sessions\">\n<tr><th>Session</th><th>Created</th><th>Last used</th><th></th></tr>\n",
    );
    for row in rows {
        let action = if row.current {
            "this browser".to_owned()
        } else {
            format!(
                "<form method=\"post\" action=\"/sessions/end\"><input type=\"hidden\" name=\"id\" value=\"{}\"><button>End</button></form>",
                escape(&row.id)
            )
        };
        let _ = writeln!(
            body,
            "<tr><td>{}…</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(row.id.get(..8).unwrap_or(&row.id)),
            row.created,
            row.last_accessed,
            action
        );
    }
    body.push_str("</table>\n");
    layout("My sessions", Some(user), &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_says_where_the_session_is_stored() {
        let page = layout("Products", None, "");
        assert!(
            page.contains("Session stored in: this process (memory)"),
            "{page}"
        );
        set_store_label("Hazelcast cluster <shop>");
        let page = product_list(&crate::catalogue::all(), &[], Some("user"));
        assert!(
            page.contains("Session stored in: Hazelcast cluster &lt;shop&gt;"),
            "{page}"
        );
        assert_eq!(page.matches("class=\"card\"").count(), 60);
        assert!(page.contains("<style>") && page.contains("Signed in as <b>user</b>"));
    }
}
