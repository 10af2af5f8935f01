//! The conformance suite: checks that a [`SessionRepository`] keeps the whole contract
//! (feature `testing`).
//!
//! [`run`] takes any repository and a description of what it can do ([`Capabilities`])
//! and panics with a message naming the broken rule. The checks run concurrently, so the
//! whole suite takes a few seconds: about 3.5 s, set by the expiry check, or about 6 s when
//! the store's expiry clock is coarse ([`Capabilities::expiry_early`] = 1 s). Every check uses fresh sessions
//! and a unique principal name, so the suite can run against a shared or real cluster,
//! and several times.
//!
//! The repository must be configured with [`SaveMode::OnSetAttribute`] (the default) and
//! its sessions must be made with a codec that round-trips serde values (JSON, postcard or
//! a store-specific one). The suite overrides the save mode per session to check the
//! other modes.
//!
//! ```
//! use session_core::MemorySessionRepository;
//! use session_core::conformance::{self, Capabilities};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let repo = MemorySessionRepository::new();
//! conformance::run(&repo, &Capabilities::memory()).await;
//! # }
//! ```

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, SystemTime};

use futures::StreamExt;
use futures::future::join_all;
use serde::{Deserialize, Serialize};
use tokio::time::{Instant, sleep_until, timeout};

use crate::error::{RepositoryError, SessionDataError};
use crate::events::{SessionEvent, SessionEventStream};
use crate::id::{RandomIdGenerator, SessionIdGenerator, is_valid_session_id};
use crate::memory::DEFAULT_PURGE_INTERVAL;
use crate::modes::SaveMode;
use crate::repository::SessionRepository;
use crate::session::SessionData;

/// What the repository under test can do, and how precise its clock is.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Capabilities {
    /// The repository implements [`IndexedSessionRepository`](crate::IndexedSessionRepository)
    /// (returned by [`SessionRepository::as_indexed`]).
    pub principal_index: bool,
    /// How much earlier than `last access + max inactive interval` a session may
    /// disappear. Hazelcast truncates expiry times to the second: 1 s.
    pub expiry_early: Duration,
    /// Created and deleted events arrive within this time.
    pub event_delay: Duration,
    /// After an expired session was looked up (and not found), its
    /// [`SessionEvent::Expired`] arrives within this time; `None` = not checked.
    pub expired_event_after_read: Option<Duration>,
    /// A session nobody reads gets its [`SessionEvent::Expired`] within this time after it
    /// expired; `None` = not checked (Hazelcast's background expiry may take minutes).
    pub expired_event_unread: Option<Duration>,
    /// Extra room in the expiry check's schedule for a slow store (a cluster on a loaded
    /// machine): the check's sessions live this much longer, and the few requests between
    /// its deadlines may take this much longer. Default zero.
    pub schedule_slack: Duration,
}

impl Default for Capabilities {
    /// A repository with a principal index, exact expiry, events within 2 s, and no expired
    /// events checked.
    fn default() -> Self {
        Self {
            principal_index: true,
            expiry_early: Duration::ZERO,
            event_delay: Duration::from_secs(2),
            expired_event_after_read: None,
            expired_event_unread: None,
            schedule_slack: Duration::ZERO,
        }
    }
}

impl Capabilities {
    /// What [`MemorySessionRepository`](crate::MemorySessionRepository) with its default
    /// purge interval promises.
    pub fn memory() -> Self {
        Self::default()
            .with_expired_event_after_read(Some(Duration::from_millis(500)))
            .with_expired_event_unread(Some(DEFAULT_PURGE_INTERVAL + Duration::from_millis(500)))
    }

    /// Sets [`Capabilities::principal_index`].
    pub fn with_principal_index(mut self, yes: bool) -> Self {
        self.principal_index = yes;
        self
    }

    /// Sets [`Capabilities::expiry_early`].
    pub fn with_expiry_early(mut self, early: Duration) -> Self {
        self.expiry_early = early;
        self
    }

    /// Sets [`Capabilities::event_delay`].
    pub fn with_event_delay(mut self, delay: Duration) -> Self {
        self.event_delay = delay;
        self
    }

    /// Sets [`Capabilities::expired_event_after_read`].
    pub fn with_expired_event_after_read(mut self, within: Option<Duration>) -> Self {
        self.expired_event_after_read = within;
        self
    }

    /// Sets [`Capabilities::schedule_slack`].
    pub fn with_schedule_slack(mut self, slack: Duration) -> Self {
        self.schedule_slack = slack;
        self
    }

    /// Sets [`Capabilities::expired_event_unread`].
    pub fn with_expired_event_unread(mut self, within: Option<Duration>) -> Self {
        self.expired_event_unread = within;
        self
    }
}

/// Runs every check concurrently; panics on the first broken rule.
pub async fn run(repo: &dyn SessionRepository, caps: &Capabilities) {
    futures::join!(
        check_create_save_find(repo),
        check_bad_ids(repo),
        check_delta_saves(repo),
        check_shared_values(repo),
        check_concurrent_saves(repo, 8),
        check_change_id(repo),
        check_delete_and_invalidate(repo),
        check_no_resurrection(repo),
        check_save_modes(repo),
        check_events(repo, caps),
        check_expiry(repo, caps),
        check_principal_index(repo, caps),
    );
}

#[track_caller]
fn ok<T>(result: Result<T, RepositoryError>, what: &str) -> T {
    match result {
        Ok(v) => v,
        Err(e) => panic!("conformance: {what} failed: {e} ({e:?})"),
    }
}

#[track_caller]
fn ok_s<T>(result: Result<T, SessionDataError>, what: &str) -> T {
    match result {
        Ok(v) => v,
        Err(e) => panic!("conformance: {what} failed: {e} ({e:?})"),
    }
}

async fn load(repo: &dyn SessionRepository, id: &str, what: &str) -> SessionData {
    match ok(repo.find_by_id(id).await, what) {
        Some(s) => s,
        None => panic!("conformance: {what}: the session is not found"),
    }
}

async fn absent(repo: &dyn SessionRepository, id: &str, what: &str) {
    if ok(repo.find_by_id(id).await, what).is_some() {
        panic!("conformance: {what}: the session is still found");
    }
}

async fn saved_session(repo: &dyn SessionRepository, attributes: &[(&str, i64)]) -> SessionData {
    let s = ok(repo.create().await, "create");
    for (name, value) in attributes {
        ok_s(s.insert(name, value), "insert");
    }
    ok(repo.save(&s).await, "save of a new session");
    s
}

fn attr<T: serde::de::DeserializeOwned>(s: &SessionData, name: &str) -> Option<T> {
    ok_s(s.get::<T>(name), &format!("get of attribute `{name}`"))
}

fn close(a: SystemTime, b: SystemTime) -> bool {
    let diff = a.duration_since(b).unwrap_or_else(|e| e.duration());
    diff < Duration::from_millis(1)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Basket {
    items: Vec<u32>,
    total_cents: u64,
    coupon: Option<String>,
}

/// Create, save, find: fresh sessions, round trip of metadata and attribute values, typed
/// errors for values of the wrong type.
pub async fn check_create_save_find(repo: &dyn SessionRepository) {
    let s = ok(repo.create().await, "create");
    let other = ok(repo.create().await, "create");
    assert!(s.is_new(), "conformance: a created session must be new");
    assert!(
        is_valid_session_id(&s.id()),
        "conformance: created session ids must pass is_valid_session_id"
    );
    assert_ne!(
        s.id(),
        other.id(),
        "conformance: two creates gave the same id"
    );
    absent(repo, &s.id(), "find of a created but unsaved session").await;

    let basket = Basket {
        items: vec![1, 2, 3],
        total_cents: 4_599,
        coupon: None,
    };
    ok_s(s.insert("text", "grüße, 🦀"), "insert");
    ok_s(s.insert("empty", ""), "insert");
    ok_s(s.insert("number", &-42i64), "insert");
    ok_s(s.insert("big", &i64::MAX), "insert");
    ok_s(s.insert("flag", &true), "insert");
    ok_s(s.insert("basket", &basket), "insert");
    ok_s(
        s.insert("list", &vec!["a".to_string(), "b".to_string()]),
        "insert",
    );
    ok_s(
        s.set_principal_name(Some("conformance-user")),
        "set principal",
    );
    s.set_max_inactive_interval(Some(Duration::from_secs(17 * 60)));
    let accessed = SystemTime::now();
    s.set_last_accessed_time(accessed);
    ok(repo.save(&s).await, "save of a new session");
    assert!(
        !s.is_new(),
        "conformance: a saved session must no longer be new"
    );
    assert!(
        !s.has_changes(),
        "conformance: save must call SessionData::mark_saved"
    );

    let found = load(repo, &s.id(), "find after save").await;
    assert_eq!(
        found.id(),
        s.id(),
        "conformance: found session has another id"
    );
    assert!(
        !found.is_new(),
        "conformance: a found session must not be new"
    );
    assert!(
        close(found.creation_time(), s.creation_time()),
        "conformance: creation time changed: {:?} != {:?}",
        found.creation_time(),
        s.creation_time()
    );
    assert!(
        close(found.last_accessed_time(), accessed),
        "conformance: last accessed time changed"
    );
    assert_eq!(
        found.max_inactive_interval(),
        Some(Duration::from_secs(17 * 60)),
        "conformance: max inactive interval changed"
    );
    assert_eq!(
        found.principal_name().as_deref(),
        Some("conformance-user"),
        "conformance: principal name changed"
    );
    assert_eq!(
        found.attribute_names().into_iter().collect::<BTreeSet<_>>(),
        ["basket", "big", "empty", "flag", "list", "number", "text"]
            .into_iter()
            .map(String::from)
            .collect::<BTreeSet<_>>(),
        "conformance: attribute names changed"
    );
    assert_eq!(attr::<String>(&found, "text").as_deref(), Some("grüße, 🦀"));
    assert_eq!(attr::<String>(&found, "empty").as_deref(), Some(""));
    assert_eq!(attr::<i64>(&found, "number"), Some(-42));
    assert_eq!(attr::<i64>(&found, "big"), Some(i64::MAX));
    assert_eq!(attr::<bool>(&found, "flag"), Some(true));
    assert_eq!(attr::<Basket>(&found, "basket"), Some(basket));
    assert_eq!(
        attr::<Vec<String>>(&found, "list"),
        Some(vec!["a".to_string(), "b".to_string()])
    );
    assert_eq!(attr::<String>(&found, "missing"), None);
    assert!(
        matches!(
            found.get::<Basket>("text"),
            Err(SessionDataError::Attribute { .. })
        ),
        "conformance: a value of the wrong type must be SessionDataError::Attribute"
    );
    assert!(
        !found.has_changes(),
        "conformance: a found session must have no pending changes"
    );
    // Saving an unchanged session is fine and changes nothing.
    ok(repo.save(&found).await, "save of an unchanged session");
    let again = load(repo, &s.id(), "find after an empty save").await;
    assert_eq!(attr::<i64>(&again, "number"), Some(-42));
    ok(repo.delete_by_id(&s.id()).await, "delete");
}

/// Malformed, empty and huge ids are simply not found; deleting them is not an error.
pub async fn check_bad_ids(repo: &dyn SessionRepository) {
    let huge = "x".repeat(1 << 20);
    let unknown = ok_s(
        RandomIdGenerator::uuid()
            .generate()
            .map_err(SessionDataError::from),
        "generate",
    );
    for (what, id) in [
        ("an empty id", ""),
        ("a 1 MiB id", huge.as_str()),
        ("an id with a space", "a b"),
        ("an id with a NUL", "a\0b"),
        ("an id with a newline", "a\r\nb"),
        ("a non-ASCII id", "sessión"),
        ("a path-like id", "../../etc/passwd"),
        ("an unknown id", unknown.as_str()),
    ] {
        if ok(repo.find_by_id(id).await, &format!("find of {what}")).is_some() {
            panic!("conformance: find of {what} returned a session");
        }
        ok(repo.delete_by_id(id).await, &format!("delete of {what}"));
    }
}

/// A save writes only what changed: two stale copies changing different attributes and
/// metadata both survive.
pub async fn check_delta_saves(repo: &dyn SessionRepository) {
    let s = saved_session(repo, &[("a", 1), ("b", 2), ("keep", 3)]).await;
    let id = s.id();
    let one = load(repo, &id, "find").await;
    let two = load(repo, &id, "find").await;
    ok_s(one.insert("a", &10), "insert");
    one.set_max_inactive_interval(Some(Duration::from_secs(3600)));
    ok_s(two.remove("b").map(|_| ()), "remove");
    ok_s(two.insert("c", &30), "insert");
    ok_s(two.set_principal_name(Some("delta-user")), "set principal");
    ok(repo.save(&one).await, "save of the first copy");
    ok(repo.save(&two).await, "save of the second copy");
    let merged = load(repo, &id, "find after two delta saves").await;
    assert_eq!(
        attr::<i64>(&merged, "a"),
        Some(10),
        "conformance: delta save lost attribute `a` written by the first copy"
    );
    assert_eq!(
        attr::<i64>(&merged, "b"),
        None,
        "conformance: attribute `b` removed by the second copy came back"
    );
    assert_eq!(
        attr::<i64>(&merged, "c"),
        Some(30),
        "conformance: attribute `c` of the second copy was lost"
    );
    assert_eq!(attr::<i64>(&merged, "keep"), Some(3));
    assert_eq!(
        merged.max_inactive_interval(),
        Some(Duration::from_secs(3600)),
        "conformance: max inactive interval of the first copy was lost"
    );
    assert_eq!(
        merged.principal_name().as_deref(),
        Some("delta-user"),
        "conformance: principal name of the second copy was lost"
    );
    ok(repo.delete_by_id(&id).await, "delete");
}

/// [`SessionData::get_shared`] reads what [`SessionData::get`] reads, on every load: a value
/// a store keeps decoded is never served after the stored value changed (by a save or
/// another session's save).
pub async fn check_shared_values(repo: &dyn SessionRepository) {
    let s = saved_session(repo, &[("n", 1)]).await;
    let id = s.id();
    let shared = |s: &SessionData| ok_s(s.get_shared::<i64>("n"), "get_shared").map(|v| *v);
    for round in 0..3 {
        let a = load(repo, &id, "find").await;
        let b = load(repo, &id, "find").await;
        assert_eq!(
            shared(&a),
            Some(1 + round),
            "conformance: get_shared of a load"
        );
        assert_eq!(
            shared(&b),
            attr::<i64>(&b, "n"),
            "conformance: get_shared != get"
        );
        ok_s(a.insert("n", &(2 + round)), "insert");
        assert_eq!(
            shared(&a),
            Some(2 + round),
            "conformance: get_shared of own change"
        );
        assert_eq!(
            shared(&b),
            Some(1 + round),
            "conformance: another load changed"
        );
        ok(repo.save(&a).await, "save");
    }
    let last = load(repo, &id, "find after the saves").await;
    assert_eq!(shared(&last), Some(4), "conformance: stale shared value");
    // A value stored with `insert_shared` reads back as what was stored, in the session
    // and after the save; a later plain insert by another load replaces it everywhere.
    for (round, value) in [10_i64, 11].into_iter().enumerate() {
        let c = load(repo, &id, "find").await;
        ok_s(
            c.insert_shared("n", std::sync::Arc::new(value)),
            "insert_shared",
        );
        assert_eq!(
            shared(&c),
            Some(value),
            "conformance: insert_shared read back"
        );
        ok(repo.save(&c).await, "save");
        for _ in 0..2 {
            let d = load(repo, &id, "find after insert_shared").await;
            assert_eq!(shared(&d), Some(value), "conformance: insert_shared saved");
            assert_eq!(
                attr::<i64>(&d, "n"),
                Some(value),
                "conformance: get after insert_shared"
            );
            assert_eq!(
                ok_s(d.get_cloned::<i64>("n"), "get_cloned"),
                Some(value),
                "conformance: get_cloned after insert_shared"
            );
        }
        let e = load(repo, &id, "find").await;
        ok_s(e.insert("n", &(value + 100)), "insert");
        ok(repo.save(&e).await, "save");
        let f = load(repo, &id, "find after a plain insert").await;
        assert_eq!(
            ok_s(f.get_cloned::<i64>("n"), "get_cloned"),
            Some(value + 100),
            "conformance: get_cloned served a value after it changed (round {round})"
        );
        assert_eq!(
            shared(&f),
            Some(value + 100),
            "conformance: a value stored with insert_shared served after it changed (round {round})"
        );
    }
    ok(repo.delete_by_id(&id).await, "delete");
}

/// `copies` stale copies of one session each set their own attribute and save at the same
/// time: none may be lost (the repository's guarantee for different attributes).
///
/// A compare-and-set repository needs up to `copies - 1` retries for the unluckiest save
/// (every failed attempt means another copy got through); [`run`] uses 8 copies.
pub async fn check_concurrent_saves(repo: &dyn SessionRepository, copies: usize) {
    let s = saved_session(repo, &[("base", 0)]).await;
    let id = s.id();
    let loaded = join_all((0..copies).map(|_| load(repo, &id, "find"))).await;
    for (i, copy) in loaded.iter().enumerate() {
        ok_s(copy.insert(&format!("k{i}"), &(i as i64)), "insert");
    }
    let results = join_all(loaded.iter().map(|copy| repo.save(copy))).await;
    for r in results {
        ok(r, "concurrent save");
    }
    let merged = load(repo, &id, "find after concurrent saves").await;
    for i in 0..copies {
        assert_eq!(
            attr::<i64>(&merged, &format!("k{i}")),
            Some(i as i64),
            "conformance: concurrent saves of different attributes lost `k{i}`"
        );
    }
    assert_eq!(attr::<i64>(&merged, "base"), Some(0));
    ok(repo.delete_by_id(&id).await, "delete");
}

/// `change_id` moves the session to a new id; the old id is gone.
pub async fn check_change_id(repo: &dyn SessionRepository) {
    let s = saved_session(repo, &[("a", 1)]).await;
    let old = s.id();
    let loaded = load(repo, &old, "find").await;
    let new = ok_s(loaded.change_id(), "change_id");
    assert_ne!(new, old, "conformance: change_id kept the id");
    assert_eq!(loaded.original_id(), old);
    ok_s(loaded.insert("b", &2), "insert");
    ok(repo.save(&loaded).await, "save after change_id");
    assert_eq!(
        loaded.original_id(),
        new,
        "conformance: after the save the session must be stored under the new id"
    );
    absent(repo, &old, "find by the old id after change_id").await;
    let moved = load(repo, &new, "find by the new id after change_id").await;
    assert_eq!(
        attr::<i64>(&moved, "a"),
        Some(1),
        "conformance: change_id lost `a`"
    );
    assert_eq!(
        attr::<i64>(&moved, "b"),
        Some(2),
        "conformance: change_id lost `b`"
    );
    assert!(close(moved.creation_time(), s.creation_time()));
    // Further saves go to the new id.
    ok_s(loaded.insert("c", &3), "insert");
    ok(repo.save(&loaded).await, "save after the move");
    let moved = load(repo, &new, "find").await;
    assert_eq!(attr::<i64>(&moved, "c"), Some(3));
    absent(repo, &old, "find by the old id").await;

    // A new session whose id changes before its first save is stored under the new id only.
    let fresh = ok(repo.create().await, "create");
    let first = fresh.id();
    let second = ok_s(fresh.change_id(), "change_id");
    ok_s(fresh.insert("x", &1), "insert");
    ok(repo.save(&fresh).await, "save");
    absent(
        repo,
        &first,
        "find by the id a new session had before change_id",
    )
    .await;
    load(repo, &second, "find of a new session saved after change_id").await;
    ok(repo.delete_by_id(&new).await, "delete");
    ok(repo.delete_by_id(&second).await, "delete");
}

/// Delete removes; saving an invalidated session removes it; saving an invalidated new
/// session stores nothing.
pub async fn check_delete_and_invalidate(repo: &dyn SessionRepository) {
    let s = saved_session(repo, &[("a", 1)]).await;
    ok(repo.delete_by_id(&s.id()).await, "delete");
    absent(repo, &s.id(), "find after delete").await;
    ok(
        repo.delete_by_id(&s.id()).await,
        "second delete of the same id",
    );

    let s = saved_session(repo, &[("a", 1)]).await;
    let loaded = load(repo, &s.id(), "find").await;
    loaded.invalidate();
    assert!(
        matches!(loaded.insert("b", &1), Err(SessionDataError::Invalidated)),
        "conformance: an invalidated session must refuse changes"
    );
    ok(repo.save(&loaded).await, "save of an invalidated session");
    absent(repo, &s.id(), "find after saving an invalidated session").await;

    let fresh = ok(repo.create().await, "create");
    ok_s(fresh.insert("a", &1), "insert");
    fresh.invalidate();
    ok(
        repo.save(&fresh).await,
        "save of an invalidated new session",
    );
    absent(repo, &fresh.id(), "find of an invalidated new session").await;
}

/// Changes to a session deleted meanwhile (logout in another tab) do not bring it back.
pub async fn check_no_resurrection(repo: &dyn SessionRepository) {
    let s = saved_session(repo, &[("a", 1)]).await;
    let stale = load(repo, &s.id(), "find").await;
    ok(repo.delete_by_id(&s.id()).await, "delete");
    ok_s(stale.insert("b", &2), "insert");
    ok(repo.save(&stale).await, "save of a deleted session");
    absent(
        repo,
        &s.id(),
        "find after saving changes to a deleted session (it must not come back)",
    )
    .await;
}

/// The three save modes, with Spring's meaning.
pub async fn check_save_modes(repo: &dyn SessionRepository) {
    // (mode, whether the stale copy reads `x`, the `x` expected afterwards)
    for (mode, reads, expected) in [
        (SaveMode::OnSetAttribute, true, 2),
        (SaveMode::OnGetAttribute, true, 1),
        (SaveMode::OnGetAttribute, false, 2),
        (SaveMode::Always, false, 1),
    ] {
        let s = saved_session(repo, &[("x", 1)]).await;
        let id = s.id();
        let stale = load(repo, &id, "find").await;
        stale.set_save_mode(mode);
        let other = load(repo, &id, "find").await;
        if reads {
            assert_eq!(attr::<i64>(&stale, "x"), Some(1));
        }
        ok_s(other.insert("x", &2), "insert");
        ok(repo.save(&other).await, "save");
        ok_s(stale.insert("y", &1), "insert");
        ok(repo.save(&stale).await, "save");
        let after = load(repo, &id, "find").await;
        assert_eq!(
            attr::<i64>(&after, "x"),
            Some(expected),
            "conformance: save mode {mode:?} (stale copy read x: {reads}) must leave x = {expected}"
        );
        assert_eq!(attr::<i64>(&after, "y"), Some(1));
        ok(repo.delete_by_id(&id).await, "delete");
    }
}

/// Reads events until `want` matches one, or panics after `within`.
async fn expect_event(
    events: &mut SessionEventStream,
    within: Duration,
    seen: &mut Vec<SessionEvent>,
    want: &SessionEvent,
    what: &str,
) {
    let deadline = Instant::now() + within;
    loop {
        match timeout(
            deadline.saturating_duration_since(Instant::now()),
            events.next(),
        )
        .await
        {
            Ok(Some(event)) => {
                let hit = &event == want;
                seen.push(event);
                if hit {
                    return;
                }
            }
            Ok(None) => panic!("conformance: the event stream ended while waiting for {what}"),
            Err(_) => panic!("conformance: no {what} event within {within:?}"),
        }
    }
}

/// Reads whatever events arrive within `window`.
async fn drain(events: &mut SessionEventStream, window: Duration, seen: &mut Vec<SessionEvent>) {
    let deadline = Instant::now() + window;
    while let Ok(Some(event)) = timeout(
        deadline.saturating_duration_since(Instant::now()),
        events.next(),
    )
    .await
    {
        seen.push(event);
    }
}

fn events_of<'a>(seen: &'a [SessionEvent], id: &str) -> Vec<&'a SessionEvent> {
    seen.iter().filter(|e| e.session_id() == Some(id)).collect()
}

/// Created on the first save only, deleted on delete and on saving an invalidated session,
/// nothing for an id change; every subscriber gets them.
pub async fn check_events(repo: &dyn SessionRepository, caps: &Capabilities) {
    let mut events = repo.subscribe();
    let mut second = repo.subscribe();
    let mut seen = Vec::new();

    let s = saved_session(repo, &[("a", 1)]).await;
    let first_id = s.id();
    let created = SessionEvent::Created {
        id: first_id.clone(),
    };
    expect_event(
        &mut events,
        caps.event_delay,
        &mut seen,
        &created,
        "created",
    )
    .await;
    let mut seen_second = Vec::new();
    expect_event(
        &mut second,
        caps.event_delay,
        &mut seen_second,
        &created,
        "created (second subscriber)",
    )
    .await;

    ok_s(s.insert("b", &2), "insert");
    ok(repo.save(&s).await, "save");
    let moved_id = ok_s(s.change_id(), "change_id");
    ok(repo.save(&s).await, "save after change_id");
    ok(repo.delete_by_id(&moved_id).await, "delete");
    let deleted = SessionEvent::Deleted {
        id: moved_id.clone(),
    };
    expect_event(
        &mut events,
        caps.event_delay,
        &mut seen,
        &deleted,
        "deleted",
    )
    .await;

    let t = saved_session(repo, &[]).await;
    let loaded = load(repo, &t.id(), "find").await;
    loaded.invalidate();
    ok(repo.save(&loaded).await, "save of an invalidated session");
    let deleted_t = SessionEvent::Deleted { id: t.id() };
    expect_event(
        &mut events,
        caps.event_delay,
        &mut seen,
        &deleted_t,
        "deleted (invalidated session)",
    )
    .await;
    drain(&mut events, Duration::from_millis(300), &mut seen).await;

    assert_eq!(
        events_of(&seen, &first_id),
        [&created],
        "conformance: the original id must see exactly one created event (no second created on update, no deleted on change of id); got {:?}",
        events_of(&seen, &first_id)
    );
    assert_eq!(
        events_of(&seen, &moved_id),
        [&deleted],
        "conformance: the changed id must see exactly one deleted event (no created on change of id)"
    );
    assert!(
        !seen
            .iter()
            .any(|e| matches!(e, SessionEvent::Lagged { .. })),
        "conformance: a subscriber lagged during a handful of events"
    );
}

/// Sessions expire `max_inactive_interval` after their last access (allowing
/// [`Capabilities::expiry_early`]), a saved access extends them, `None` never expires.
pub async fn check_expiry(repo: &dyn SessionRepository, caps: &Capabilities) {
    let margin = Duration::from_millis(250);
    let early = caps.expiry_early;
    // Schedule (times from the first save): touch B at `touch_at`, while A and B are
    // surely alive; A must be gone at `mii + margin`; B must still be there just after
    // that (its access moved its expiry to `touch_at + mii`), and gone at
    // `touch_at + mii + margin`. `touch_at > early + 2 * margin` keeps B's window open
    // with `early` to spare; `mii` leaves room for it.
    let slack = caps.schedule_slack;
    let mii =
        (early * 2 + margin * 3 + Duration::from_millis(750) + slack).max(Duration::from_secs(2));
    let touch_at = early + margin * 2 + Duration::from_millis(500) + slack;
    let mut events = repo.subscribe();

    let make = |interval: Option<Duration>| async move {
        let s = ok(repo.create().await, "create");
        s.set_max_inactive_interval(interval);
        s.set_last_accessed_time(SystemTime::now());
        ok_s(s.insert("a", &1), "insert");
        ok(repo.save(&s).await, "save");
        s
    };
    // Present-checks count from `before` (no last access is earlier), absent-checks from
    // `after` (no last access is later).
    let before = Instant::now();
    let a = make(Some(mii)).await;
    let b = make(Some(mii)).await;
    let after = Instant::now();
    let forever = make(None).await;
    let unread = make(Some(Duration::from_secs(1))).await;
    let unread_saved = Instant::now();
    let (a_id, b_id) = (a.id(), b.id());
    assert!(
        !a.is_expired(SystemTime::now()),
        "conformance: a just-saved session reports itself expired"
    );

    sleep_until(before + touch_at).await;
    let touched = Instant::now();
    let b_loaded = load(repo, &b_id, "find before expiry").await;
    b_loaded.set_last_accessed_time(SystemTime::now());
    ok(repo.save(&b_loaded).await, "save of an access");
    let b_saved = Instant::now();

    if let Some(present_until) = mii.checked_sub(early + margin) {
        sleep_until(before + present_until).await;
        load(repo, &a_id, "find shortly before expiry").await;
    }
    sleep_until(after + mii + margin).await;
    absent(repo, &a_id, "find after the max inactive interval passed").await;
    let mut seen = Vec::new();
    if let Some(within) = caps.expired_event_after_read {
        expect_event(
            &mut events,
            within,
            &mut seen,
            &SessionEvent::Expired { id: a_id.clone() },
            "expired (after a read of an expired session)",
        )
        .await;
    }
    sleep_until(after + mii + margin + Duration::from_millis(100)).await;
    assert!(
        Instant::now() + margin < touched + mii - early,
        "conformance: the expiry check fell behind its schedule (the repository is too slow)"
    );
    let b_found = load(
        repo,
        &b_id,
        "find of a session whose access was saved (it must live max inactive interval from that access)",
    )
    .await;
    assert_eq!(attr::<i64>(&b_found, "a"), Some(1));
    sleep_until(b_saved + mii + margin).await;
    absent(repo, &b_id, "find after the extended interval passed").await;
    let kept = load(repo, &forever.id(), "find of a session that never expires").await;
    assert_eq!(kept.max_inactive_interval(), None);
    ok(repo.delete_by_id(&forever.id()).await, "delete");

    if let Some(within) = caps.expired_event_unread {
        let want = SessionEvent::Expired { id: unread.id() };
        if !seen.contains(&want) {
            let deadline = unread_saved + Duration::from_secs(1) + within;
            let limit = deadline.saturating_duration_since(Instant::now());
            expect_event(
                &mut events,
                limit.max(Duration::from_millis(1)),
                &mut seen,
                &want,
                "expired (session nobody reads)",
            )
            .await;
        }
    }
}

/// The principal index finds exactly the unexpired sessions of one principal and follows
/// changes of principal, deletes and expiry.
pub async fn check_principal_index(repo: &dyn SessionRepository, caps: &Capabilities) {
    let indexed = repo.as_indexed();
    if !caps.principal_index {
        return;
    }
    let Some(indexed) = indexed else {
        panic!(
            "conformance: capabilities say the repository has a principal index, but as_indexed() is None"
        );
    };
    let principal = format!(
        "conformance-{}",
        ok_s(
            RandomIdGenerator::uuid()
                .generate()
                .map_err(SessionDataError::from),
            "generate"
        )
    );
    let other_principal = format!("{principal}-other");
    let with_principal = |name: String, interval: Option<Duration>| async move {
        let s = ok(repo.create().await, "create");
        ok_s(s.set_principal_name(Some(&name)), "set principal");
        s.set_max_inactive_interval(interval);
        ok_s(s.insert("who", &name), "insert");
        ok(repo.save(&s).await, "save");
        s
    };
    let short = Duration::from_secs(1) + caps.expiry_early;
    let s1 = with_principal(principal.clone(), Some(Duration::from_secs(600))).await;
    let s2 = with_principal(principal.clone(), Some(Duration::from_secs(600))).await;
    let s3 = with_principal(other_principal.clone(), Some(Duration::from_secs(600))).await;
    let s4 = with_principal(principal.clone(), Some(short)).await;
    let s4_saved = Instant::now();
    let anonymous = saved_session(repo, &[("a", 1)]).await;

    let ids = |found: &HashMap<String, SessionData>| found.keys().cloned().collect::<BTreeSet<_>>();
    let expect = |list: &[&SessionData]| list.iter().map(|s| s.id()).collect::<BTreeSet<_>>();

    let found = ok(
        indexed.find_by_principal_name(&principal).await,
        "find by principal",
    );
    assert_eq!(
        ids(&found),
        expect(&[&s1, &s2, &s4]),
        "conformance: find_by_principal_name returned the wrong sessions"
    );
    for (id, session) in &found {
        assert_eq!(
            &session.id(),
            id,
            "conformance: map key is not the session id"
        );
        assert_eq!(
            session.principal_name().as_deref(),
            Some(principal.as_str())
        );
        assert_eq!(
            attr::<String>(session, "who").as_deref(),
            Some(principal.as_str())
        );
    }
    let found = ok(
        indexed.find_by_principal_name(&other_principal).await,
        "find by principal",
    );
    assert_eq!(ids(&found), expect(&[&s3]));

    // Principal change moves the session between principals; clearing removes it.
    let moved = load(repo, &s2.id(), "find").await;
    ok_s(
        moved.set_principal_name(Some(&other_principal)),
        "set principal",
    );
    ok(repo.save(&moved).await, "save");
    let cleared = load(repo, &s3.id(), "find").await;
    ok_s(cleared.set_principal_name(None), "clear principal");
    ok(repo.save(&cleared).await, "save");
    let found = ok(
        indexed.find_by_principal_name(&other_principal).await,
        "find",
    );
    assert_eq!(
        ids(&found),
        expect(&[&s2]),
        "conformance: the index does not follow principal changes"
    );

    ok(repo.delete_by_id(&s1.id()).await, "delete");
    sleep_until(s4_saved + short + Duration::from_millis(250)).await;
    let found = ok(indexed.find_by_principal_name(&principal).await, "find");
    assert!(
        found.is_empty(),
        "conformance: deleted or expired sessions are still found by principal ({} left)",
        found.len()
    );
    let found = ok(
        indexed.find_by_principal_name("").await,
        "find by empty principal",
    );
    assert!(
        !found.contains_key(&anonymous.id()),
        "conformance: a session without principal was found by the empty principal"
    );
    for s in [&s2, &s3, &anonymous] {
        ok(repo.delete_by_id(&s.id()).await, "delete");
    }
}
