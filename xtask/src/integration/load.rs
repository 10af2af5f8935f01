//! Load loops that make every write checkable: each session's basket only ever gets
//! distinct products (`/basket/add?items=<id>`, one id per request), every add the shop
//! confirmed (a redirect) is remembered, and afterwards each session's basket is read back
//! to find confirmed adds that are missing (lost writes) or products nobody added to it.
//!
//! Each load loop owns its sessions (no two requests of one session run at once: the
//! shop's add is a read-modify-write of the basket attribute, so concurrent adds to one
//! session would race in the application, not in the store). A session that has every
//! product is retired and the loop continues with a fresh one; a session the shop replaced
//! with a new cookie while it had confirmed adds is retired as "replaced" (the shop no
//! longer found it).

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use super::figures::{Figures, Sample, back_to_normal, longest_gap, percentile, status_counts};
use super::http::{self, Jar};
use super::shop_client;

/// The session cookie's name (Spring's default, which the shop keeps).
const COOKIE: &str = "SESSION";

/// How the load runs.
#[derive(Debug, Clone)]
pub(crate) struct LoadSpec {
    /// Concurrent loops.
    pub(crate) loops: usize,
    /// Sessions in use at a time (spread over the loops).
    pub(crate) sessions: usize,
    /// How long one request may take before it counts as unanswered.
    pub(crate) timeout: Duration,
    /// Pause between two requests of one loop (keeps a two-core machine usable).
    pub(crate) pace: Duration,
    /// Every n-th request of a loop reads the basket back instead of adding (0 = never).
    pub(crate) read_every: usize,
}

impl Default for LoadSpec {
    fn default() -> Self {
        Self {
            loops: 8,
            sessions: 30,
            timeout: Duration::from_secs(150),
            pace: Duration::from_millis(20),
            read_every: 4,
        }
    }
}

/// One session as the load saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SessionRecord {
    /// Its `SESSION` cookie, once the shop set one.
    pub(crate) cookie: Option<String>,
    /// Products whose add the shop confirmed.
    pub(crate) confirmed: BTreeSet<u32>,
    /// Products an add was sent for (confirmed or not).
    pub(crate) attempted: BTreeSet<u32>,
    /// The shop answered this session's cookie with another session while it had
    /// confirmed adds.
    pub(crate) replaced: bool,
    /// When that answer came.
    pub(crate) replaced_at: Option<Instant>,
}

/// What the load did.
#[derive(Debug, Default)]
pub(crate) struct LoadResult {
    /// Every request.
    pub(crate) samples: Vec<Sample>,
    /// Every session (retired and current).
    pub(crate) sessions: Vec<SessionRecord>,
    /// When basket reads during the load lacked a confirmed product (their ends).
    pub(crate) stale_reads: Vec<Instant>,
}

impl LoadResult {
    /// Sessions the shop replaced mid-load.
    pub(crate) fn replaced(&self) -> usize {
        self.sessions.iter().filter(|s| s.replaced).count()
    }

    /// When the shop replaced sessions.
    pub(crate) fn replaced_at(&self) -> Vec<Instant> {
        self.sessions.iter().filter_map(|s| s.replaced_at).collect()
    }
}

/// A view of the running load for the scenario's main thread.
pub(crate) struct LoadView<'a> {
    samples: &'a Mutex<Vec<Sample>>,
    workers: usize,
}

impl LoadView<'_> {
    /// A copy of the samples so far.
    pub(crate) fn samples(&self) -> Vec<Sample> {
        self.samples
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Number of loops.
    pub(crate) fn workers(&self) -> usize {
        self.workers
    }

    /// How many loops got an answer (any status) that arrived at or after `t`.
    pub(crate) fn workers_answered_after(&self, t: Instant) -> usize {
        let s = self.samples();
        let mut seen = vec![false; self.workers];
        for x in s.iter().filter(|x| x.finished >= t && x.status.is_some()) {
            if let Some(w) = seen.get_mut(x.worker) {
                *w = true;
            }
        }
        seen.iter().filter(|&&b| b).count()
    }

    /// The end of the first successful request that finished at or after `t`.
    pub(crate) fn first_ok_since(&self, t: Instant) -> Option<Instant> {
        self.samples()
            .iter()
            .filter(|s| s.ok() && s.finished >= t)
            .map(|s| s.finished)
            .min()
    }

    /// Whether the last `n` requests started at or after `t` all succeeded.
    pub(crate) fn steady_since(&self, t: Instant, n: usize) -> bool {
        let s = self.samples();
        let recent: Vec<&Sample> = s.iter().filter(|x| x.started >= t).collect();
        recent.len() >= n && recent.iter().rev().take(n).all(|x| x.ok())
    }

    /// Polls until `cond` holds or `limit` passed; whether it held.
    pub(crate) fn wait(&self, limit: Duration, mut cond: impl FnMut(&Self) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        loop {
            if cond(self) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// One session slot of a loop.
#[derive(Default)]
struct Slot {
    record: SessionRecord,
    next: usize,
}

/// Runs the load against `shop` while `during` runs on this thread; stops the loops when
/// it returns and waits for their last requests.
pub(crate) fn run<R>(
    shop: SocketAddr,
    spec: &LoadSpec,
    during: impl FnOnce(&LoadView<'_>) -> R,
) -> Result<(LoadResult, R), String> {
    let products = shop_client::products(shop)?;
    if products.is_empty() {
        return Err("the shop sells no products".into());
    }
    let loops = spec.loops.max(1);
    let samples = Mutex::new(Vec::new());
    let stop = AtomicBool::new(false);
    let (per_loop, r) = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..loops)
            .map(|w| {
                let slots = (w..spec.sessions.max(loops)).step_by(loops).count();
                let (samples, stop, products) = (&samples, &stop, &products);
                scope.spawn(move || worker(shop, spec, w, slots, products, samples, stop))
            })
            .collect();
        let r = during(&LoadView {
            samples: &samples,
            workers: loops,
        });
        stop.store(true, Ordering::Relaxed);
        let per_loop: Vec<(Vec<SessionRecord>, Vec<Instant>)> = handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect();
        (per_loop, r)
    });
    let mut result = LoadResult {
        samples: samples
            .into_inner()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
        ..LoadResult::default()
    };
    for (sessions, stale) in per_loop {
        result.sessions.extend(sessions);
        result.stale_reads.extend(stale);
    }
    Ok((result, r))
}

fn worker(
    shop: SocketAddr,
    spec: &LoadSpec,
    worker: usize,
    slots: usize,
    products: &[u32],
    samples: &Mutex<Vec<Sample>>,
    stop: &AtomicBool,
) -> (Vec<SessionRecord>, Vec<Instant>) {
    let mut slots: Vec<Slot> = (0..slots.max(1)).map(|_| Slot::default()).collect();
    let mut done = Vec::new();
    let mut stale = Vec::new();
    let mut step = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let count = slots.len();
        let slot = &mut slots[step % count];
        step += 1;
        let read = spec.read_every > 0
            && step.is_multiple_of(spec.read_every)
            && !slot.record.confirmed.is_empty();
        if !read && slot.next >= products.len() {
            done.push(std::mem::take(&mut slot.record));
            slot.next = 0;
        }
        let mut jar = slot
            .record
            .cookie
            .as_deref()
            .map(|c| Jar::with(COOKIE, c))
            .unwrap_or_default();
        let product = (!read).then(|| products[slot.next]);
        let path = match product {
            Some(p) => {
                slot.next += 1;
                format!("/basket/add?items={p}")
            }
            None => "/api/basket".to_owned(),
        };
        let started = Instant::now();
        let answer = http::get_within(shop, &path, &mut jar, spec.timeout);
        let finished = Instant::now();
        let status = answer.as_ref().ok().map(|r| r.status);
        samples
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(Sample {
                started,
                finished,
                status,
                worker,
            });
        if let Some(old) = follow_cookie(&mut slot.record, jar.get(COOKIE), finished) {
            done.push(old);
        }
        let ok = status.is_some_and(|s| (200..400).contains(&s));
        match (product, &answer) {
            (Some(p), _) => {
                slot.record.attempted.insert(p);
                if ok {
                    slot.record.confirmed.insert(p);
                }
            }
            (None, Ok(r)) if r.status == 200 => {
                if let Ok(present) = shop_client::products_of(&r.body)
                    && check(&slot.record, &present).missing > 0
                {
                    stale.push(finished);
                }
            }
            (None, _) => {}
        }
        std::thread::sleep(if ok { spec.pace } else { spec.pace * 5 });
    }
    done.extend(slots.into_iter().map(|s| s.record));
    (done, stale)
}

/// Follows the cookie the shop answered with: a first cookie is adopted; a different one
/// while the session had confirmed adds retires the old record (returned, marked
/// replaced) and starts a new one.
fn follow_cookie(
    record: &mut SessionRecord,
    now: Option<&str>,
    at: Instant,
) -> Option<SessionRecord> {
    if now == record.cookie.as_deref() {
        return None;
    }
    if record.confirmed.is_empty() {
        record.cookie = now.map(str::to_owned);
        return None;
    }
    let mut old = std::mem::take(record);
    old.replaced = true;
    old.replaced_at = Some(at);
    record.cookie = now.map(str::to_owned);
    Some(old)
}

/// A session's basket compared with what the load did to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct SessionCheck {
    /// Confirmed adds not in the basket.
    pub(crate) missing: usize,
    /// Products in the basket that no add to this session asked for.
    pub(crate) phantom: usize,
}

/// Compares `present` (the basket's products) with `record`.
pub(crate) fn check(record: &SessionRecord, present: &[u32]) -> SessionCheck {
    let present: BTreeSet<u32> = present.iter().copied().collect();
    SessionCheck {
        missing: record.confirmed.difference(&present).count(),
        phantom: present.difference(&record.attempted).count(),
    }
}

/// The member-side truth after the load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Verification {
    /// Sessions with at least one confirmed add.
    pub(crate) sessions: usize,
    /// Confirmed adds.
    pub(crate) confirmed: usize,
    /// Confirmed adds missing from their basket.
    pub(crate) lost_writes: usize,
    /// Sessions whose confirmed adds are all missing.
    pub(crate) sessions_lost: usize,
    /// Products in baskets nobody added there.
    pub(crate) phantom: usize,
    /// Sessions whose basket could not be read back (three tries).
    pub(crate) unreadable: usize,
}

impl Verification {
    /// Adds one session's check.
    pub(crate) fn add(&mut self, record: &SessionRecord, check: Option<SessionCheck>) {
        if record.confirmed.is_empty() {
            return;
        }
        self.sessions += 1;
        self.confirmed += record.confirmed.len();
        match check {
            None => self.unreadable += 1,
            Some(c) => {
                self.lost_writes += c.missing;
                self.phantom += c.phantom;
                if c.missing == record.confirmed.len() {
                    self.sessions_lost += 1;
                }
            }
        }
    }

    /// Nothing lost, nothing foreign, everything readable.
    pub(crate) fn clean(&self) -> bool {
        self.lost_writes == 0
            && self.sessions_lost == 0
            && self.phantom == 0
            && self.unreadable == 0
    }

    /// Appends the figures (`lost writes`, `sessions lost`, ...).
    pub(crate) fn figures(&self, f: &mut Figures) {
        f.ratio("lost writes", self.lost_writes, self.confirmed)
            .ratio("sessions lost", self.sessions_lost, self.sessions);
        if self.phantom > 0 {
            f.count("foreign products", self.phantom);
        }
        if self.unreadable > 0 {
            f.count("unreadable baskets", self.unreadable);
        }
    }
}

/// Reads every session's basket back and compares it with the confirmed adds.
pub(crate) fn verify(shop: SocketAddr, sessions: &[SessionRecord]) -> Verification {
    let mut v = Verification::default();
    for record in sessions {
        if record.confirmed.is_empty() {
            continue;
        }
        let Some(cookie) = record.cookie.as_deref() else {
            // Confirmed adds but no cookie to find them with: lost for the user.
            v.add(record, Some(check(record, &[])));
            continue;
        };
        let mut result = None;
        for attempt in 0..3 {
            let mut jar = Jar::with(COOKIE, cookie);
            match shop_client::basket_products(shop, &mut jar, Duration::from_secs(30)) {
                Ok(present) => {
                    result = Some(check(record, &present));
                    break;
                }
                Err(e) => {
                    eprintln!("integration: basket read-back failed (try {attempt}): {e}");
                    std::thread::sleep(Duration::from_secs(1));
                }
            }
        }
        v.add(record, result);
    }
    v
}

/// The usual timing figures of requests started at or after `from` (until `to`):
/// `requests`, `failed`, `slowest`, `p50`, `stall` (longest time without any answer) and
/// `no success` (longest time without a success).
pub(crate) fn timing_figures(samples: &[Sample], from: Instant, to: Instant, f: &mut Figures) {
    let window: Vec<Sample> = samples
        .iter()
        .filter(|s| s.started >= from)
        .copied()
        .collect();
    let took: Vec<Duration> = window.iter().map(Sample::took).collect();
    let failed: Vec<Sample> = window.iter().filter(|s| !s.ok()).copied().collect();
    f.count("requests", window.len())
        .count("failed", failed.len());
    if !failed.is_empty() {
        f.note(format!("failures: {}", status_counts(&failed)));
    }
    f.millis("slowest", took.iter().copied().max().unwrap_or_default())
        .millis("p50", percentile(&took, 50))
        .millis("p99", percentile(&took, 99))
        .millis("stall", longest_gap(samples, from, to, |_| true))
        .millis("no success", longest_gap(samples, from, to, Sample::ok));
}

/// `back to normal`: from `from` to the end of the last request that failed or took
/// longer than `normal`.
pub(crate) fn recovery_figure(
    samples: &[Sample],
    from: Instant,
    normal: Duration,
    f: &mut Figures,
) {
    f.millis("back to normal", back_to_normal(samples, from, normal));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(cookie: &str, confirmed: &[u32], attempted: &[u32]) -> SessionRecord {
        SessionRecord {
            cookie: Some(cookie.into()),
            confirmed: confirmed.iter().copied().collect(),
            attempted: attempted.iter().copied().collect(),
            replaced: false,
            replaced_at: None,
        }
    }

    #[test]
    fn lost_writes_are_confirmed_adds_missing_from_the_basket() {
        let r = record("a", &[1, 2, 3], &[1, 2, 3, 4]);
        // An unconfirmed add (4) may or may not have landed.
        assert_eq!(check(&r, &[1, 2, 3, 4]), SessionCheck::default());
        assert_eq!(
            check(&r, &[1, 3]),
            SessionCheck {
                missing: 1,
                phantom: 0
            }
        );
        assert_eq!(
            check(&r, &[1, 2, 3, 9]),
            SessionCheck {
                missing: 0,
                phantom: 1
            }
        );
        let mut v = Verification::default();
        v.add(&r, Some(check(&r, &[1, 3])));
        v.add(&r, Some(check(&r, &[])));
        v.add(&record("b", &[], &[5]), Some(SessionCheck::default()));
        v.add(&r, None);
        assert_eq!(
            v,
            Verification {
                sessions: 3,
                confirmed: 9,
                lost_writes: 4,
                sessions_lost: 1,
                phantom: 0,
                unreadable: 1
            }
        );
        assert!(!v.clean());
        let mut f = Figures::default();
        v.figures(&mut f);
        assert_eq!(f.get("lost writes"), Some(4));
        assert_eq!(f.get("sessions lost"), Some(1));
        assert!(
            f.render()
                .starts_with("lost writes 4/9; sessions lost 1/3; unreadable baskets 1")
        );
    }

    #[test]
    fn a_new_cookie_retires_a_session_with_confirmed_adds() {
        let t = Instant::now();
        let mut r = SessionRecord::default();
        assert_eq!(follow_cookie(&mut r, Some("a"), t), None);
        assert_eq!(r.cookie.as_deref(), Some("a"));
        // Still nothing confirmed: a new cookie is simply adopted.
        assert_eq!(follow_cookie(&mut r, Some("b"), t), None);
        r.confirmed.insert(7);
        r.attempted.insert(7);
        assert_eq!(follow_cookie(&mut r, Some("b"), t), None);
        let old = follow_cookie(&mut r, Some("c"), t).expect("retired");
        assert!(old.replaced);
        assert_eq!(old.replaced_at, Some(t));
        assert_eq!(old.cookie.as_deref(), Some("b"));
        assert_eq!(r, record("c", &[], &[]));
    }
}
