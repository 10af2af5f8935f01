//! The shop's two basket handlers, written once against [`BasketSession`] and served by
//! every session stack of the comparison.
//!
//! - "add to basket" reads the basket, appends an item and writes it back (a
//!   read-modify-write of the session);
//! - "show basket" only reads it;
//! - "store unchanged basket" reads it and stores it back as it was (a probe: a stack that
//!   skips writes of unchanged values costs no write here).
//!
//! Every "add to basket" adds a **distinct** item ([`distinct_item`]), so every add
//! changes the session: no stack can skip the write because the value is unchanged. The
//! basket keeps the last [`MAX_ITEMS`] items (the oldest are dropped), so the session's
//! size stays bounded however long a benchmark runs, while its content always changes.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

/// Items a basket keeps (the oldest are dropped first).
pub const MAX_ITEMS: usize = 16;

/// The session attribute holding the basket.
pub const BASKET_ATTRIBUTE: &str = "basket";

/// The basket as stored in the session.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Basket {
    /// Item names, oldest first.
    pub items: Vec<String>,
}

impl Basket {
    /// Appends `item`, dropping the oldest items past [`MAX_ITEMS`].
    pub fn add(&mut self, item: &str) {
        self.items.push(item.to_owned());
        if self.items.len() > MAX_ITEMS {
            let excess = self.items.len() - MAX_ITEMS;
            self.items.drain(..excess);
        }
    }
}

/// A fresh item name on every call in this process (`item-1`, `item-2`, ...), so that
/// "add to basket" never stores a value equal to the stored one.
///
/// ```
/// use bench_http_apps::basket::distinct_item;
///
/// assert_ne!(distinct_item(), distinct_item());
/// ```
pub fn distinct_item() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("item-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A handler's failure: the session store failed (answered with an opaque 500).
#[derive(Debug, thiserror::Error)]
#[error("session store failed: {0}")]
pub struct StoreFailed(pub String);

/// The tiny session interface both handlers are written against; each stack implements
/// it over its own session type.
pub trait BasketSession {
    /// The stored basket, `None` when the session has none (or there is no session).
    /// Shared: a stack that keeps the values it decoded hands out the same basket to every
    /// request until it changes (ours, [`session_core::SessionData::get_shared`]); the
    /// others decode a new one each time.
    fn load_basket(&self) -> impl Future<Output = Result<Option<Arc<Basket>>, StoreFailed>>;
    /// The stored basket as a value of its own, to change: decoded, or (ours) a copy of
    /// the shared one when the store kept it, decoded or as stored by the previous
    /// [`store_basket`](Self::store_basket).
    fn load_basket_to_change(&self) -> impl Future<Output = Result<Option<Basket>, StoreFailed>>;
    /// Stores the basket in the session. Shared: a stack that keeps values hands it out
    /// to the next requests as it is, without decoding it (ours,
    /// [`session_core::SessionData::insert_shared`]); the others encode it and forget it.
    fn store_basket(&self, basket: Arc<Basket>) -> impl Future<Output = Result<(), StoreFailed>>;
}

/// "Add to basket": reads the basket, appends `item`, stores it; answers with the count.
///
/// # Errors
/// When the session store fails.
pub async fn add_to_basket<S: BasketSession>(
    session: &S,
    item: &str,
) -> Result<String, StoreFailed> {
    let mut basket = session.load_basket_to_change().await?.unwrap_or_default();
    basket.add(item);
    let count = basket.items.len();
    session.store_basket(Arc::new(basket)).await?;
    Ok(format!("{count} items in your basket\n"))
}

/// "Show basket": reads the basket and renders it as text.
///
/// # Errors
/// When the session store fails.
pub async fn show_basket<S: BasketSession>(session: &S) -> Result<String, StoreFailed> {
    let basket = session.load_basket().await?.unwrap_or_default();
    let basket: &Basket = &basket;
    // Plain appends: `writeln!` per line went through the formatting machinery, about
    // 600 instructions a line (9.6k for a full basket, more than a cache hit of our
    // session layer costs), paid alike by every stack, and by none in the baseline.
    let len = basket.items.iter().map(|i| i.len() + 3).sum::<usize>() + 16;
    let mut out = String::with_capacity(len);
    let _ = writeln!(out, "{} items", basket.items.len());
    for item in &basket.items {
        out.push_str("- ");
        out.push_str(item);
        out.push('\n');
    }
    Ok(out)
}

/// "Store unchanged basket": reads the basket and stores it back unchanged (creating an
/// empty one if there is none); answers with the count.
///
/// # Errors
/// When the session store fails.
pub async fn store_unchanged_basket<S: BasketSession>(session: &S) -> Result<String, StoreFailed> {
    let basket = session.load_basket().await?.unwrap_or_default();
    let count = basket.items.len();
    session.store_basket(basket).await?;
    Ok(format!("{count} items\n"))
}

/// The no-session baseline: no store, nothing kept (the upper limit of the comparison).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSession;

impl BasketSession for NoSession {
    async fn load_basket(&self) -> Result<Option<Arc<Basket>>, StoreFailed> {
        Ok(None)
    }

    async fn load_basket_to_change(&self) -> Result<Option<Basket>, StoreFailed> {
        Ok(None)
    }

    async fn store_basket(&self, _basket: Arc<Basket>) -> Result<(), StoreFailed> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    #[derive(Default)]
    struct Cell(RefCell<Option<Basket>>);

    impl BasketSession for Cell {
        async fn load_basket(&self) -> Result<Option<Arc<Basket>>, StoreFailed> {
            Ok(self.0.borrow().clone().map(Arc::new))
        }
        async fn load_basket_to_change(&self) -> Result<Option<Basket>, StoreFailed> {
            Ok(self.0.borrow().clone())
        }
        async fn store_basket(&self, basket: Arc<Basket>) -> Result<(), StoreFailed> {
            *self.0.borrow_mut() = Some(Arc::unwrap_or_clone(basket));
            Ok(())
        }
    }

    fn block_on<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(f)
    }

    #[test]
    fn add_then_show() {
        let s = Cell::default();
        assert_eq!(
            block_on(add_to_basket(&s, "tea")).ok().as_deref(),
            Some("1 items in your basket\n")
        );
        block_on(add_to_basket(&s, "cake")).expect("add");
        assert_eq!(
            block_on(show_basket(&s)).ok().as_deref(),
            Some("2 items\n- tea\n- cake\n")
        );
    }

    #[test]
    fn basket_is_bounded() {
        let mut b = Basket::default();
        for i in 0..100 {
            b.add(&format!("item-{i}"));
        }
        assert_eq!(b.items.len(), MAX_ITEMS);
        assert_eq!(b.items.last().map(String::as_str), Some("item-99"));
    }

    #[test]
    fn items_are_distinct_and_baskets_always_change() {
        let (a, b) = (distinct_item(), distinct_item());
        assert_ne!(a, b);
        let s = Cell::default();
        let mut last = None;
        for _ in 0..(MAX_ITEMS * 3) {
            block_on(add_to_basket(&s, &distinct_item())).expect("add");
            let now = s.0.borrow().clone();
            assert_ne!(now, last, "every add changes the stored basket");
            last = now;
        }
        assert_eq!(last.map(|b| b.items.len()), Some(MAX_ITEMS));
    }

    #[test]
    fn unchanged_store_keeps_the_basket() {
        let s = Cell::default();
        block_on(add_to_basket(&s, "tea")).expect("add");
        let before = s.0.borrow().clone();
        assert_eq!(
            block_on(store_unchanged_basket(&s)).ok().as_deref(),
            Some("1 items\n")
        );
        assert_eq!(*s.0.borrow(), before);
    }

    #[test]
    fn baseline_keeps_nothing() {
        block_on(add_to_basket(&NoSession, "tea")).expect("add");
        assert_eq!(
            block_on(show_basket(&NoSession)).ok().as_deref(),
            Some("0 items\n")
        );
    }
}
