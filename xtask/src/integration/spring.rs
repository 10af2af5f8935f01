//! Scenario 10, "Spring and Rust share a login": the Rust shop (axum) and the Spring Boot
//! shop (`examples/spring-shop`, Hazelcast Spring Session 4.x through a Hazelcast client)
//! on one cluster and one session map, both on 127.0.0.1 (cookies are per host, not per
//! port, so one cookie jar serves both, as in a browser):
//!
//! 1. device A signs in on Spring and adds 1,2,2 there → the Rust shop shows the user and
//!    the same basket (items, prices, total);
//! 2. device A adds product 60 on Rust → Spring shows the same items and prices;
//!
//!    after each of steps 1 and 2 both apps' HTML pages are fetched too: the page of the
//!    product just added (200, its name and price; visiting it rewrites the session's
//!    recently viewed list, so the session holding the other app's basket is saved again)
//!    and then `/basket` (200, every line's name, quantity and price, and the total) — not
//!    only `/api/basket`, since a basket one app cannot render answers 500 there;
//! 3. device B signs in on Rust → Spring accepts that login; both apps' "my sessions" list
//!    the same two sessions (each one made by the other app);
//! 4. device C signs in on Spring (a third session) → Spring's registry ends the oldest (A):
//!    A is signed out on both apps, two sessions remain, counted alike by both;
//! 5. device D signs in on Rust (a third again) → the Rust limit ends the oldest (B): B is
//!    signed out on Spring too;
//! 6. C signs out on Spring → signed out on Rust; D signs out on Rust → signed out on Spring.
//!
//! Every step prints what each app showed. [`share_a_login`] runs it against any cluster
//! (a member list and a cluster name); [`scenario`] is the suite's entry.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;

use serde_json::Value;

use super::browser;
use super::http::{self, Jar};
use super::procs::{Shop, ShopEnv, build_shop};
use super::{Outcome, Suite};
use crate::spring_shop::{SpringShop, build_jar};

/// A basket as `/api/basket` reports it: `(product id, name, unit price in cents,
/// quantity)` lines and the total in cents.
type BasketView = (Vec<(u64, String, u64, u64)>, u64);

/// One observation line on stdout.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, $($arg)*);
        let _ = out.flush();
    }};
}

/// The suite's entry. HSS needs `Map.lock`, which `hazelcast-test-member` does not
/// implement, so unless the suite runs against an external cluster the scenario starts a
/// real one-member cluster of its own (`hazelcast-real-member`).
pub(crate) fn scenario(suite: &mut Suite) -> Outcome {
    let root = crate::codegen::workspace_root();
    // The suite's real (or external) cluster; with `--test-member` a real member of its
    // own, because Hazelcast Spring Session needs `Map.lock`, which the imitation lacks.
    let result = if suite.backend.is_imitation() {
        hazelcast_real_member::RealCluster::builder()
            .members(1)
            .cluster_name("spring-rust")
            .start()
            .map_err(|e| format!("real member: {e}"))
            .and_then(|cluster| share_a_login(&root, &cluster.addresses(), cluster.cluster_name()))
    } else {
        suite.cluster(1).and_then(|cluster| {
            let members = cluster
                .members
                .iter()
                .map(|m| m.parse::<SocketAddr>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("member addresses {:?}: {e}", cluster.members))?;
            share_a_login(&root, &members, &cluster.name)
        })
    };
    match result {
        Ok(figures) => Outcome::passed(figures),
        Err(e) => Outcome::failed(e),
    }
}

/// One app as the walk sees it.
#[derive(Clone, Copy)]
struct App {
    name: &'static str,
    address: SocketAddr,
    spring: bool,
}

fn json(r: &http::Response, what: &str) -> Result<Value, String> {
    if r.status != 200 {
        return Err(format!("{what}: status {}", r.status));
    }
    serde_json::from_str(&r.body).map_err(|e| format!("{what}: not JSON: {e}"))
}

impl App {
    fn login(&self, jar: &mut Jar, user: &str, password: &str) -> Result<(), String> {
        let form = format!("username={user}&password={password}");
        let form = if self.spring {
            format!("{form}&{}", self.csrf(jar)?)
        } else {
            form
        };
        let r = http::post_form(self.address, "/login", &form, jar)?;
        if !(300..400).contains(&r.status) {
            return Err(format!("{}: sign-in answered {}", self.name, r.status));
        }
        Ok(())
    }

    fn logout(&self, jar: &mut Jar) -> Result<(), String> {
        let form = if self.spring {
            self.csrf(jar)?
        } else {
            String::new()
        };
        let r = http::post_form(self.address, "/logout", &form, jar)?;
        if !(300..400).contains(&r.status) {
            return Err(format!("{}: sign-out answered {}", self.name, r.status));
        }
        Ok(())
    }

    /// `_csrf=...` for a Spring form post.
    fn csrf(&self, jar: &mut Jar) -> Result<String, String> {
        let v = json(&http::get(self.address, "/api/csrf", jar)?, "csrf")?;
        let (Some(param), Some(token)) = (v["parameter"].as_str(), v["token"].as_str()) else {
            return Err("no CSRF token".into());
        };
        Ok(format!("{param}={token}"))
    }

    fn add(&self, jar: &mut Jar, items: &str) -> Result<(), String> {
        let r = http::get(self.address, &format!("/basket/add?items={items}"), jar)?;
        if !(300..400).contains(&r.status) {
            return Err(format!("{}: add answered {}", self.name, r.status));
        }
        Ok(())
    }

    fn me(&self, jar: &mut Jar) -> Result<Option<String>, String> {
        let v = json(&http::get(self.address, "/api/me", jar)?, "me")?;
        Ok(v["user"].as_str().map(str::to_owned))
    }

    /// The basket as `(product id, name, unit price in cents, quantity)` lines and total.
    fn basket(&self, jar: &mut Jar) -> Result<BasketView, String> {
        let v = json(&http::get(self.address, "/api/basket", jar)?, "basket")?;
        let lines = v["lines"]
            .as_array()
            .ok_or("basket: no lines")?
            .iter()
            .map(|l| {
                Some((
                    l["product_id"].as_u64()?,
                    l["name"].as_str()?.to_owned(),
                    l["unit_price_cents"].as_u64()?,
                    l["quantity"].as_u64()?,
                ))
            })
            .collect::<Option<Vec<_>>>()
            .ok_or("basket: malformed line")?;
        Ok((lines, v["total_cents"].as_u64().ok_or("basket: no total")?))
    }

    /// Fetches this app's HTML page of `product` (`(id, name, list price in cents)`) and
    /// then its basket page, and checks that both answer 200, the product page with the
    /// product's name and price, the basket page with exactly the lines and total of
    /// `expected`. Returns what the basket page showed.
    fn pages(
        &self,
        jar: &mut Jar,
        product: (u64, &str, u64),
        expected: &BasketView,
    ) -> Result<String, String> {
        let (id, name, cents) = product;
        let r = http::get(self.address, &format!("/products/{id}"), jar)?;
        expect(
            r.status == 200,
            format!("{}: /products/{id} answered {}", self.name, r.status),
        )?;
        let price_tag = format!("<p class=\"price\">{}</p>", price(cents));
        expect(
            r.body.contains(&format!("<h1>{name}</h1>")) && r.body.contains(&price_tag),
            format!(
                "{}: /products/{id} does not show {name} at {}",
                self.name,
                price(cents)
            ),
        )?;
        let r = http::get(self.address, "/basket", jar)?;
        expect(
            r.status == 200,
            format!("{}: /basket answered {}", self.name, r.status),
        )?;
        let shown = basket_rows(&r.body)
            .ok_or_else(|| format!("{}: /basket shows no basket table", self.name))?;
        let units: u64 = expected.0.iter().map(|l| l.3).sum();
        let mut wanted: Vec<[String; 3]> = expected
            .0
            .iter()
            .map(|(_, name, cents, qty)| {
                [
                    name.clone(),
                    qty.to_string(),
                    price(cents.saturating_mul(*qty)),
                ]
            })
            .collect();
        wanted.push(["Total".to_owned(), units.to_string(), price(expected.1)]);
        expect(
            shown == wanted,
            format!(
                "{}: /basket shows {shown:?}, expected {wanted:?}",
                self.name
            ),
        )?;
        let Some(([_, units, total], lines)) = shown.split_last() else {
            return Err(format!("{}: /basket shows no total", self.name));
        };
        let lines: Vec<String> = lines
            .iter()
            .map(|[name, qty, price]| format!("{qty}x {name} {price}"))
            .collect();
        Ok(format!("{} = {units} units, {total}", lines.join(", ")))
    }

    /// The session ids "my sessions" lists.
    fn sessions(&self, jar: &mut Jar) -> Result<BTreeSet<String>, String> {
        let v = json(&http::get(self.address, "/api/sessions", jar)?, "sessions")?;
        v["sessions"]
            .as_array()
            .ok_or("sessions: no list")?
            .iter()
            .map(|s| {
                s["id"]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or("sessions: no id".to_owned())
            })
            .collect()
    }
}

fn short(ids: &BTreeSet<String>) -> String {
    let list: Vec<&str> = ids.iter().map(|id| id.get(..8).unwrap_or(id)).collect();
    format!("{} [{}]", ids.len(), list.join(", "))
}

fn format_basket(b: &BasketView) -> String {
    let lines: Vec<String> = b
        .0
        .iter()
        .map(|(_, name, cents, qty)| format!("{qty}x {name} @ {}.{:02}", cents / 100, cents % 100))
        .collect();
    format!("{} = {}.{:02}", lines.join(", "), b.1 / 100, b.1 % 100)
}

/// `cents` as the shops print a price (`16.97`).
fn price(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// The cells of each row of a basket page's `<table class="basket">` (header row left out),
/// or `None` if the page has no such table.
fn basket_rows(page: &str) -> Option<Vec<[String; 3]>> {
    let start = page.find("<table class=\"basket\">")?;
    let table = &page[start..];
    let table = &table[..table.find("</table>")?];
    let mut rows = Vec::new();
    for row in table.split("<tr>").skip(1) {
        let cells: Vec<String> = row
            .split("<td")
            .skip(1)
            .filter_map(|cell| {
                let text = &cell[cell.find('>')? + 1..];
                Some(text[..text.find("</td>")?].to_owned())
            })
            .collect();
        if let Ok(cells) = <[String; 3]>::try_from(cells) {
            rows.push(cells);
        }
    }
    Some(rows)
}

fn expect(cond: bool, what: impl Into<String>) -> Result<(), String> {
    if cond { Ok(()) } else { Err(what.into()) }
}

/// The cookie value of a jar's session, to tell which device a listed session belongs to.
fn session_id(jar: &Jar) -> Option<String> {
    use base64::Engine as _;
    let value = jar.get("SESSION")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(value)
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// Runs the walk (see the module docs) with both shops on the cluster `members` /
/// `cluster_name`; returns the figures line.
pub(crate) fn share_a_login(
    root: &Path,
    members: &[SocketAddr],
    cluster_name: &str,
) -> Result<String, String> {
    let members: Vec<String> = members.iter().map(ToString::to_string).collect();
    let bin_dir = build_shop(root)?;
    let jar_path = build_jar(root)?;
    let rust_shop = Shop::start(
        &bin_dir,
        "shop",
        &ShopEnv::cluster(&members, cluster_name, None),
    )
    .map_err(|e| format!("Rust shop: {e}"))?;
    let started = std::time::Instant::now();
    let spring_shop = SpringShop::start(&jar_path, &members, cluster_name)?;
    let spring_start = started.elapsed().as_secs_f64();
    say!(
        "spring: Rust shop at {}, Spring shop at {} (started in {spring_start:.1} s)",
        rust_shop.address,
        spring_shop.address,
    );
    let rust = App {
        name: "Rust",
        address: rust_shop.address,
        spring: false,
    };
    let spring = App {
        name: "Spring",
        address: spring_shop.address,
        spring: true,
    };
    let shots = hazelcast_real_member::target_dir().join("integration");
    let result = walk(rust, spring).and_then(|()| browser_walk(rust, spring, &shots));
    if result.is_err() {
        eprintln!("spring: the Spring shop's last log lines:");
        for line in spring_shop.log_tail() {
            eprintln!("  {line}");
        }
    }
    drop(spring_shop);
    drop(rust_shop);
    let browser = result?;
    Ok(format!(
        "login, basket (80.96) and the 2-session limit shared both ways; sign-out crosses both ways; {browser}; Spring started in {spring_start:.1} s"
    ))
}

/// The same walk in headless Chromium (one browser = one cookie jar for both apps), with
/// a screenshot of each app at each step in `shots`.
fn browser_walk(rust: App, spring: App, shots: &Path) -> Result<String, String> {
    let (chromium, chromedriver) = browser::ensure_tools()?;
    std::fs::create_dir_all(shots).map_err(|e| format!("{}: {e}", shots.display()))?;
    let profile = browser::Profile(shots.join(format!("spring-profile-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&profile.0);
    std::fs::create_dir_all(&profile.0).map_err(|e| format!("{}: {e}", profile.0.display()))?;
    let driver = browser::Driver::start(&chromium, &chromedriver, &profile.0)?;
    let r = format!("http://{}", rust.address);
    let s = format!("http://{}", spring.address);
    let mut shot = 0;
    let mut page = |url: &str, name: &str| -> Result<String, String> {
        driver.go(url)?;
        shot += 1;
        driver.screenshot(&shots.join(format!("spring-{shot}-{name}.png")))?;
        driver.source()
    };
    let total = |src: &str| browser::total(src).unwrap_or_default();

    // Sign in on Spring's form, add on Spring.
    driver.go(&format!("{s}/login"))?;
    driver.type_into("input[name=username]", "user")?;
    driver.type_into("input[name=password]", "password")?;
    driver.submit("form[action='/login'] button", "Signed in as")?;
    let src = page(&format!("{s}/basket/add?items=1,2,2"), "spring-basket")?;
    say!(
        "spring browser: Spring basket after signing in on Spring: total {}",
        total(&src)
    );
    expect(
        src.contains("Signed in as") && total(&src) == "16.97",
        "Spring: not signed in or total not 16.97",
    )?;
    let src = page(&format!("{r}/basket"), "rust-basket")?;
    say!(
        "spring browser: Rust basket: signed in as user {}, total {}",
        src.contains("Signed in as <b>user</b>"),
        total(&src)
    );
    expect(
        src.contains("Signed in as <b>user</b>") && total(&src) == "16.97",
        "Rust: not signed in or total not 16.97",
    )?;
    // Add on Rust; Spring shows it.
    let src = page(&format!("{r}/basket/add?items=60"), "rust-basket-added")?;
    expect(
        total(&src) == "80.96",
        format!("Rust total {} after adding 60", total(&src)),
    )?;
    let src = page(&format!("{s}/basket"), "spring-basket-added")?;
    say!(
        "spring browser: Spring basket after adding 60 on Rust: total {}",
        total(&src)
    );
    expect(
        total(&src) == "80.96",
        format!("Spring total {} after adding 60 on Rust", total(&src)),
    )?;
    page(&format!("{r}/sessions"), "rust-sessions")?;
    page(&format!("{s}/sessions"), "spring-sessions")?;
    // Sign out on Rust: signed out on Spring.
    driver.go(&format!("{r}/basket"))?;
    driver.submit("form[action='/logout'] button", "href=\"/login\"")?;
    let src = page(&format!("{s}/basket"), "spring-after-rust-sign-out")?;
    let signed_out = !src.contains("Signed in as") && src.contains("href=\"/login\"");
    say!("spring browser: Spring after signing out on Rust: signed out {signed_out}");
    expect(
        signed_out,
        "Spring still shows the user after the Rust sign-out",
    )?;
    drop(driver);
    drop(profile);
    Ok(format!(
        "headless Chromium walk passed ({shot} screenshots in {})",
        shots.display()
    ))
}

/// Steps 1 to 6.
fn walk(rust: App, spring: App) -> Result<(), String> {
    let user = Some("user".to_owned());

    // 1. Sign in on Spring, add there; Rust shows the user and the basket.
    let mut a = Jar::default();
    spring.login(&mut a, "user", "password")?;
    spring.add(&mut a, "1,2,2")?;
    let spring_basket = spring.basket(&mut a)?;
    let rust_me = rust.me(&mut a)?;
    let rust_basket = rust.basket(&mut a)?;
    say!(
        "spring step 1: A signed in on Spring, added 1,2,2 on Spring | Spring: user {:?}, basket {} | Rust: user {:?}, basket {}",
        spring.me(&mut a)?,
        format_basket(&spring_basket),
        rust_me,
        format_basket(&rust_basket)
    );
    expect(rust_me == user, "Rust does not show Spring's login")?;
    expect(rust_basket == spring_basket, "Rust shows another basket")?;
    expect(
        spring_basket.1 == 499 + 2 * 599,
        "Spring's total is not 16.97",
    )?;
    // The HTML pages of both apps render the basket Spring wrote.
    let lamp = (2, "Red Lamp", 599);
    let on_spring = spring.pages(&mut a, lamp, &spring_basket)?;
    let on_rust = rust.pages(&mut a, lamp, &spring_basket)?;
    say!(
        "spring step 1: HTML after Spring wrote the basket | Spring /products/2 and /basket: 200, {on_spring} | Rust /products/2 and /basket: 200, {on_rust}"
    );

    // 2. Add on Rust; Spring shows the same items and prices.
    rust.add(&mut a, "60")?;
    let rust_basket = rust.basket(&mut a)?;
    let spring_basket = spring.basket(&mut a)?;
    say!(
        "spring step 2: A added 60 on Rust | Rust: basket {} | Spring: basket {}",
        format_basket(&rust_basket),
        format_basket(&spring_basket)
    );
    expect(spring_basket == rust_basket, "Spring shows another basket")?;
    expect(
        rust_basket.1 == 499 + 2 * 599 + 6399,
        "the total is not 80.96",
    )?;
    // The HTML pages of both apps render the basket Rust wrote.
    let chair = (60, "Black Chair", 6399);
    let on_rust = rust.pages(&mut a, chair, &rust_basket)?;
    let on_spring = spring.pages(&mut a, chair, &rust_basket)?;
    say!(
        "spring step 2: HTML after Rust wrote the basket | Rust /products/60 and /basket: 200, {on_rust} | Spring /products/60 and /basket: 200, {on_spring}"
    );

    // 3. Sign in on Rust (device B); Spring accepts it; both list the same two sessions.
    let mut b = Jar::default();
    rust.login(&mut b, "user", "password")?;
    let spring_me_b = spring.me(&mut b)?;
    let ids_a = session_id(&a).ok_or("A has no session cookie")?;
    let ids_b = session_id(&b).ok_or("B has no session cookie")?;
    let on_rust = rust.sessions(&mut b)?;
    let on_spring = spring.sessions(&mut b)?;
    say!(
        "spring step 3: B signed in on Rust | Spring: user {spring_me_b:?} | sessions on Rust {} | on Spring {}",
        short(&on_rust),
        short(&on_spring)
    );
    expect(spring_me_b == user, "Spring does not accept the Rust login")?;
    let both: BTreeSet<String> = [ids_a.clone(), ids_b.clone()].into();
    expect(
        on_rust == both,
        "Rust does not list A (made by Spring) and B",
    )?;
    expect(
        on_spring == both,
        "Spring does not list B (made by Rust) and A",
    )?;

    // 4. A third sign-in, on Spring (device C): the oldest session (A) ends on both apps.
    let mut c = Jar::default();
    spring.login(&mut c, "user", "password")?;
    let ids_c = session_id(&c).ok_or("C has no session cookie")?;
    let a_rust = rust.me(&mut a)?;
    let a_spring = spring.me(&mut a)?;
    let on_spring = spring.sessions(&mut c)?;
    let on_rust = rust.sessions(&mut c)?;
    say!(
        "spring step 4: C signed in on Spring (3rd) | A on Rust: user {a_rust:?}, A on Spring: user {a_spring:?} | sessions on Spring {} | on Rust {}",
        short(&on_spring),
        short(&on_rust)
    );
    expect(
        a_rust.is_none() && a_spring.is_none(),
        "A is still signed in",
    )?;
    let both: BTreeSet<String> = [ids_b.clone(), ids_c.clone()].into();
    expect(on_spring == both, "Spring does not count B and C")?;
    expect(on_rust == both, "Rust does not count B and C")?;

    // 5. A third sign-in again, on Rust (device D): the oldest (B) ends for Spring too.
    let mut d = Jar::default();
    rust.login(&mut d, "user", "password")?;
    let ids_d = session_id(&d).ok_or("D has no session cookie")?;
    let b_spring = spring.me(&mut b)?;
    let b_rust = rust.me(&mut b)?;
    let on_rust = rust.sessions(&mut d)?;
    let on_spring = spring.sessions(&mut d)?;
    say!(
        "spring step 5: D signed in on Rust (3rd) | B on Spring: user {b_spring:?}, B on Rust: user {b_rust:?} | sessions on Rust {} | on Spring {}",
        short(&on_rust),
        short(&on_spring)
    );
    expect(
        b_spring.is_none() && b_rust.is_none(),
        "B is still signed in",
    )?;
    let both: BTreeSet<String> = [ids_c, ids_d].into();
    expect(on_rust == both, "Rust does not count C and D")?;
    expect(on_spring == both, "Spring does not count C and D")?;

    // 6. Sign out on one app: signed out on the other.
    spring.logout(&mut c)?;
    let c_rust = rust.me(&mut c)?;
    rust.logout(&mut d)?;
    let d_spring = spring.me(&mut d)?;
    say!(
        "spring step 6: C signed out on Spring → on Rust user {c_rust:?}; D signed out on Rust → on Spring user {d_spring:?}"
    );
    expect(c_rust.is_none(), "C is still signed in on Rust")?;
    expect(d_spring.is_none(), "D is still signed in on Spring")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basket_rows_reads_the_table_of_either_shop() {
        let page = "<h1>Basket</h1>\n<table class=\"basket\">\n<tr><th>Product</th><th>Qty</th><th>Price</th></tr>\n\
                    <tr><td>Red Lamp</td><td>2</td><td>11.98</td></tr>\n\
                    <tr><td>Total</td><td>2</td><td class=\"total\">11.98</td></tr>\n</table>";
        let row = |a: &str, b: &str, c: &str| [a.to_owned(), b.to_owned(), c.to_owned()];
        assert_eq!(
            basket_rows(page),
            Some(vec![
                row("Red Lamp", "2", "11.98"),
                row("Total", "2", "11.98")
            ])
        );
        assert_eq!(basket_rows("<p>Your basket is empty.</p>"), None);
        assert_eq!(basket_rows("<html>500 Internal Server Error</html>"), None);
        assert_eq!(price(8096), "80.96");
        assert_eq!(price(5), "0.05");
    }
}
