//! Request buffers reused per thread: a finished invocation gives its request's buffer
//! back, and the next request built on that thread is written into it instead of a new
//! allocation. Bounded (a few buffers of modest size per thread), so that a burst of large
//! requests does not stay allocated.

use std::cell::RefCell;

/// Buffers kept per thread at most.
const MAX_POOLED: usize = 32;
/// Buffers larger than this are freed rather than kept.
const MAX_CAPACITY: usize = 16 * 1024;

thread_local! {
    static POOL: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// An empty buffer, reused when this thread has one.
pub(crate) fn take() -> Vec<u8> {
    POOL.try_with(|p| p.try_borrow_mut().ok().and_then(|mut p| p.pop()))
        .ok()
        .flatten()
        .unwrap_or_default()
}

/// Keeps `buf` for a later [`take`] on this thread (or frees it: too large, pool full).
pub(crate) fn give(mut buf: Vec<u8>) {
    if buf.capacity() == 0 || buf.capacity() > MAX_CAPACITY {
        return;
    }
    buf.clear();
    let _ = POOL.try_with(|p| {
        if let Ok(mut p) = p.try_borrow_mut()
            && p.len() < MAX_POOLED
        {
            p.push(buf);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_empty_and_the_pool_is_bounded() {
        // Empty this thread's pool first (the tests may share a thread).
        while take().capacity() > 0 {}
        give(vec![7u8; 100]);
        let b = take();
        assert!(b.is_empty() && b.capacity() >= 100, "reused, emptied");
        assert_eq!(take().capacity(), 0, "given once, taken once");
        give(Vec::with_capacity(MAX_CAPACITY + 1));
        assert_eq!(take().capacity(), 0, "too large: freed");
        for _ in 0..MAX_POOLED + 5 {
            give(Vec::with_capacity(64));
        }
        let kept = std::iter::from_fn(|| Some(take()))
            .take_while(|b| b.capacity() > 0)
            .count();
        assert_eq!(kept, MAX_POOLED);
    }
}
