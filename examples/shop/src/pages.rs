//! HTML pages.

use std::fmt::Write as _;

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

/// Wraps `body` in the page layout.
pub fn layout(title: &str, user: Option<&str>, body: &str) -> String {
    let account = match user {
        Some(user) => format!(
            "Signed in as <b>{}</b> · <a href=\"/sessions\">my sessions</a> · \
             <form method=\"post\" action=\"/logout\" style=\"display:inline\"><button>Sign out</button></form>",
            escape(user)
        ),
        None => "<a href=\"/login\">Sign in</a>".to_owned(),
    };
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>{title} · Shop</title></head>\n\
         <body><nav><a href=\"/\">Products</a> · <a href=\"/basket\">Basket</a> · {account}</nav>\n\
         <h1>{title}</h1>\n{body}\n</body></html>\n",
        title = escape(title),
    )
}

/// The product list.
pub fn product_list(products: &[Product], recent: &[Product], user: Option<&str>) -> String {
    let mut body = String::from("<ul class=\"products\">\n");
    for p in products {
        let _ = writeln!(
            body,
            "<li><a href=\"/products/{id}\">{name}</a> {price} <a href=\"/basket/add?items={id}\">add to basket</a></li>",
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
        "<p class=\"price\">{price}</p>\n<p><a href=\"/basket/add?items={id}\">Add to basket</a></p>\n{recent}",
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
        body.push_str("<p>Your basket is empty.</p>\n");
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
            "<tr><td>Total</td><td>{}</td><td class=\"total\">{}</td></tr>\n</table>",
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
