//! The local cache with two "web servers" (two repositories, each with its own client) on
//! one cluster: a change on one is seen by the other once the invalidation event arrives
//! (the staleness window is measured and printed), a stale cache never loses a change, and
//! expiry stays right although read-only requests no longer reach the member.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "test bodies shared by two #[test]s: clippy's allow-*-in-tests covers only #[test] fns"
)]

#[macro_use]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use common::Backend;
use session_core::SessionRepository;
use session_hazelcast::HazelcastSessionRepository;

/// Two repositories with their own clients on one member; the members handle keeps a
/// test member's cluster alive.
async fn two_servers(
    backend: Backend,
    map: &str,
) -> (
    common::Members,
    HazelcastSessionRepository,
    HazelcastSessionRepository,
) {
    let members = backend.shared(1).await;
    let a = common::builder_for(&members, map)
        .local_cache(true)
        .build()
        .await
        .expect("server A");
    let b = common::builder_for(&members, map)
        .local_cache(true)
        .build()
        .await
        .expect("server B");
    common::cache_serving(&a).await;
    common::cache_serving(&b).await;
    (members, a, b)
}

/// A writes, B's next loads see the change as soon as B's invalidation event arrives: the
/// time from A's save returning to B seeing the new value is the staleness window.
async fn a_change_on_one_server_is_seen_on_the_other(backend: Backend) {
    let (_members, a, b) = two_servers(backend, "cache-two-servers").await;
    let s = a.create().await.unwrap();
    s.insert("n", &0).unwrap();
    a.save(&s).await.unwrap();
    let id = s.id();
    let mut windows = Vec::new();
    let mut next_read_fresh = 0;
    for n in 1..=20 {
        // B reads (and caches) the current value: soon a read is a cache hit (a load
        // overtaken by the event of A's last write is not cached, the next one is).
        let mut hit = false;
        for _ in 0..100 {
            let before = b.client().stats().invocations;
            let seen = b.find_by_id(&id).await.unwrap().expect("stored");
            assert_eq!(
                seen.get_shared::<i32>("n").unwrap().as_deref(),
                Some(&(n - 1))
            );
            if b.client().stats().invocations == before {
                hit = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(hit, "B's reads become cache hits");
        // B decodes the cached value once; later hits share it until the record changes.
        let decoded = || async {
            let loaded = b.find_by_id(&id).await.unwrap().expect("stored");
            loaded.get_shared::<i32>("n").unwrap().expect("set")
        };
        let (x, y) = (decoded().await, decoded().await);
        assert!(Arc::ptr_eq(&x, &y), "one decoding for both hits");

        let m = a.find_by_id(&id).await.unwrap().expect("stored");
        m.insert("n", &n).unwrap();
        a.save(&m).await.unwrap();
        let saved = Instant::now();
        let mut first = true;
        loop {
            let r = b.find_by_id(&id).await.unwrap().expect("stored");
            // The value decoded from B's cached record goes with it: never stale.
            if r.get_shared::<i32>("n").unwrap().as_deref() == Some(&n) {
                windows.push(saved.elapsed());
                if first {
                    next_read_fresh += 1;
                }
                break;
            }
            first = false;
            assert!(
                saved.elapsed() < Duration::from_secs(2),
                "B never saw A's change"
            );
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
    }
    windows.sort();
    let p50 = windows[windows.len() / 2];
    let max = windows[windows.len() - 1];
    println!(
        "staleness window ({backend:?}, write on A -> visible on B, 20 changes): p50 {p50:?}, max {max:?}; B's very next read saw the change {next_read_fresh}/20 times"
    );
    assert!(max < Duration::from_secs(1), "max {max:?}");
    // A's save returns once A saw its own invalidation event (or after 50 ms), sent to B
    // at the same time; whether B has applied it by its very next read depends on B's
    // scheduling (19-20/20 on an idle machine, down to 9/20 with a load average of 14):
    // for the writer's own client, the read-your-writes cookie closes that gap (tested
    // below). What must hold here is the bound above: B sees the change within its
    // staleness window. The ratio is printed, not asserted.
    assert!(
        b.local_cache_stats().invalidations >= 20,
        "{:?}",
        b.local_cache_stats()
    );
}

on_both_backends!(a_change_on_one_server_is_seen_on_the_other => two_servers_test_member, two_servers_real_member);

/// B's cache is stale (A changed the session, B's event not applied yet, or B holds the
/// session of a request that started before): B's change is still applied on top of A's,
/// because its compare-and-set against the stale bytes fails and it re-reads.
async fn a_stale_cache_loses_nothing(backend: Backend) {
    let (_members, a, b) = two_servers(backend, "cache-stale").await;
    let s = a.create().await.unwrap();
    a.save(&s).await.unwrap();
    let id = s.id();
    for n in 0..20 {
        // Both requests start from the same record (B's from its cache).
        let on_b = b.find_by_id(&id).await.unwrap().expect("stored");
        let on_a = a.find_by_id(&id).await.unwrap().expect("stored");
        on_a.insert(&format!("a{n}"), &n).unwrap();
        a.save(&on_a).await.unwrap();
        on_b.insert(&format!("b{n}"), &n).unwrap();
        b.save(&on_b).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    for repo in [&a, &b] {
        let last = repo.find_by_id(&id).await.unwrap().expect("stored");
        for n in 0..20 {
            assert_eq!(last.get::<i32>(&format!("a{n}")).unwrap(), Some(n));
            assert_eq!(last.get::<i32>(&format!("b{n}")).unwrap(), Some(n));
        }
    }
}

on_both_backends!(a_stale_cache_loses_nothing => stale_cache_test_member, stale_cache_real_member);

/// A value stored with `insert_shared` is cached with the record the save wrote: the next
/// load on the same server gets that very value, no decoding, no round trip; the other
/// server decodes the record it reads. Changed on the other server, the value is read
/// from the new record.
async fn a_value_stored_shared_is_cached_as_is(backend: Backend) {
    let (_members, a, b) = two_servers(backend, "cache-shared-values").await;
    let s = a.create().await.unwrap();
    let cart = Arc::new(vec![1u32, 2]);
    s.insert_shared("cart", Arc::clone(&cart)).unwrap();
    a.save(&s).await.unwrap();
    let id = s.id();
    let read = |s: session_core::SessionData| s.get_shared::<Vec<u32>>("cart").unwrap().unwrap();
    let hits = a.local_cache_stats().hits;
    assert!(Arc::ptr_eq(
        &cart,
        &read(a.find_by_id(&id).await.unwrap().unwrap())
    ));
    assert_eq!(
        a.local_cache_stats().hits,
        hits + 1,
        "served from the cache"
    );
    // An existing session's change.
    let on_a = a.find_by_id(&id).await.unwrap().unwrap();
    let mut next = Arc::unwrap_or_clone(read(on_a.clone()));
    next.push(3);
    let next = Arc::new(next);
    on_a.insert_shared("cart", Arc::clone(&next)).unwrap();
    a.save(&on_a).await.unwrap();
    assert!(Arc::ptr_eq(
        &next,
        &read(a.find_by_id(&id).await.unwrap().unwrap())
    ));
    // B reads the record from the cluster and decodes it.
    let on_b = read(b.find_by_id(&id).await.unwrap().unwrap());
    assert_eq!(*on_b, vec![1, 2, 3]);
    assert!(!Arc::ptr_eq(&next, &on_b));
    // Changed on B: A's next load (once its invalidation arrived) reads the new record.
    let changing = b.find_by_id(&id).await.unwrap().unwrap();
    changing.insert("cart", &vec![7u32]).unwrap();
    b.save(&changing).await.unwrap();
    let end = Instant::now() + Duration::from_secs(5);
    loop {
        let now = read(a.find_by_id(&id).await.unwrap().unwrap());
        if *now == vec![7] {
            break;
        }
        assert!(Instant::now() < end, "A never saw B's change: {now:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

on_both_backends!(a_value_stored_shared_is_cached_as_is => shared_value_test_member, shared_value_real_member);

/// A burst of writes from another server never empties B's cache, even with the
/// smallest listener buffer: B's reader invalidates session keys as their events
/// arrive, no buffer in between (with events queued for a task, a buffer of one event
/// dropped most of the burst and every drop emptied the cache).
async fn a_write_burst_never_empties_the_cache(backend: Backend) {
    let members = backend.shared(1).await;
    let map = "cache-write-burst";
    let a = common::builder_for(&members, map)
        .build()
        .await
        .expect("server A");
    let b = HazelcastSessionRepository::builder(
        common::client_config_for(&members)
            .listener_buffer(1)
            .build()
            .expect("client config"),
    )
    .map_name(map)
    .local_cache(true)
    .build()
    .await
    .expect("server B");
    common::cache_serving(&b).await;
    let s = b.create().await.unwrap();
    b.save(&s).await.unwrap();
    let before = b.local_cache_stats();
    assert!(before.entries >= 1, "B caches its own write: {before:?}");
    // A creates 500 sessions at once: 500 events for B.
    let writes = (0..500).map(|_| async {
        let s = a.create().await?;
        a.save(&s).await
    });
    for written in futures::future::join_all(writes).await {
        written.expect("burst write");
    }
    // A changes B's session too: its event arrives after the burst's.
    let on_a = a.find_by_id(&s.id()).await.unwrap().expect("stored");
    on_a.insert("n", &1).unwrap();
    a.save(&on_a).await.unwrap();
    let started = Instant::now();
    while b.local_cache_stats().invalidations == before.invalidations {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "B never saw A's change"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(b.client().stats().dropped_events, 0);
    let after = b.local_cache_stats();
    assert_eq!(after.flushes, before.flushes, "{after:?}");
    assert!(b.is_local_cache_serving());
    let seen = b.find_by_id(&s.id()).await.unwrap().expect("stored");
    assert_eq!(
        seen.get::<i32>("n").unwrap(),
        Some(1),
        "A's change, read again"
    );
    let hits = b.local_cache_stats().hits;
    assert!(b.find_by_id(&s.id()).await.unwrap().is_some());
    assert_eq!(b.local_cache_stats().hits, hits + 1, "cached again");
}

on_both_backends!(a_write_burst_never_empties_the_cache => write_burst_test_member, write_burst_real_member);

/// With the cache on, read-only requests do not reach the member, so the repository writes
/// the last access time once it moved by the touch fraction (here 10 % of 3 s): a session
/// used every half second outlives its interval several times; left alone it is gone one
/// interval later, on the member and for the repository (a cached record is never served
/// past its expiry).
async fn expiry_with_the_cache_on(backend: Backend) {
    let members = backend.shared(1).await;
    let interval = Duration::from_secs(3);
    let repo = common::builder_for(&members, "cache-expiry")
        .local_cache(true)
        .max_inactive_interval(Some(interval))
        .build()
        .await
        .expect("repository");
    common::cache_serving(&repo).await;
    let map = repo
        .client()
        .map::<String, hazelcast_protocol::data::Data>("cache-expiry");
    let s = repo.create().await.unwrap();
    s.insert("user", "alice").unwrap();
    repo.save(&s).await.unwrap();
    let id = s.id();
    let hits_before = repo.local_cache_stats().hits;
    let started = Instant::now();
    while started.elapsed() < interval * 2 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let r = repo.find_by_id(&id).await.unwrap().expect("in use: alive");
        r.set_last_accessed_time(SystemTime::now());
        repo.save(&r).await.unwrap();
    }
    assert!(
        repo.local_cache_stats().hits > hits_before,
        "read-only requests were served from the cache"
    );
    assert!(map.get(&id).await.unwrap().is_some(), "alive on the member");
    // Left alone (the last touch may lag the last access by 10 %): gone.
    tokio::time::sleep(interval + Duration::from_millis(1500)).await;
    assert!(repo.find_by_id(&id).await.unwrap().is_none(), "expired");
    assert!(
        map.get(&id).await.unwrap().is_none(),
        "removed by the member"
    );
}

on_both_backends!(expiry_with_the_cache_on => cache_expiry_test_member, cache_expiry_real_member);

/// A repository on map `name` with the local cache on (and serving) and sessions that
/// expire after 2 s of inactivity.
async fn cached_two_second_repo(
    members: &common::Members,
    name: &str,
) -> HazelcastSessionRepository {
    let repo = common::builder_for(members, name)
        .local_cache(true)
        .max_inactive_interval(Some(Duration::from_secs(2)))
        .build()
        .await
        .expect("repository");
    common::cache_serving(&repo).await;
    repo
}

/// A cached record is not served once its interval has passed, even if the member's
/// expiry (or its event) has not come yet.
async fn a_cached_record_never_outlives_its_interval(backend: Backend) {
    let members = backend.shared(1).await;
    let repo = cached_two_second_repo(&members, "cache-outlive").await;
    let s = repo.create().await.unwrap();
    repo.save(&s).await.unwrap();
    assert!(repo.find_by_id(&s.id()).await.unwrap().is_some());
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(repo.find_by_id(&s.id()).await.unwrap().is_none());
}

on_both_backends!(a_cached_record_never_outlives_its_interval => cache_outlive_test_member, cache_outlive_real_member);

/// `find_by_id_now` and `save_now` (what the request lifecycle calls first) answer exactly
/// as `find_by_id` and `save`, without a round trip, and only when they can: a cached
/// record (the same session, attributes shared until changed), an id that cannot exist,
/// a touch below the threshold; anything else is left to the async methods. A cached
/// record past its interval is not served.
async fn answers_at_once_as_the_async_methods(backend: Backend) {
    let members = backend.shared(1).await;
    let repo = cached_two_second_repo(&members, "cache-now").await;
    assert!(matches!(repo.find_by_id_now("not an id"), Some(Ok(None))));
    assert!(repo.find_by_id("not an id").await.unwrap().is_none());
    assert!(
        repo.find_by_id_now("0f4b6e3a-6a3c-4c1e-9d55-2b8f3f0a9d11")
            .is_none(),
        "not cached: left to find_by_id"
    );
    let s = repo.create().await.unwrap();
    s.insert("basket", &vec!["tea", "cake"]).unwrap();
    s.set_principal_name(Some("alice")).unwrap();
    repo.save(&s).await.unwrap();
    let id = s.id();
    // Saved by this repository: cached (or, had an event overtaken it, after one load).
    let mut now = repo.find_by_id_now(&id);
    if now.is_none() {
        repo.find_by_id(&id).await.unwrap().expect("stored");
        now = repo.find_by_id_now(&id);
    }
    let before = repo.client().stats().invocations;
    let hits = repo.local_cache_stats().hits;
    let fast = now.expect("cached").unwrap().expect("stored");
    let fast2 = repo
        .find_by_id_now(&id)
        .expect("cached")
        .unwrap()
        .expect("stored");
    assert_eq!(repo.client().stats().invocations, before, "no round trip");
    assert_eq!(repo.local_cache_stats().hits, hits + 1, "counted as a hit");
    let slow = repo.find_by_id(&id).await.unwrap().expect("stored");
    assert_eq!(fast.snapshot(), slow.snapshot());
    assert!(!fast.is_new() && !fast.has_changes());
    assert_eq!(fast.principal_name().as_deref(), Some("alice"));
    // A change is the session's own: the cached record (and other loads) keep theirs.
    fast.insert("basket", &vec!["tea"]).unwrap();
    assert_eq!(
        fast2.get::<Vec<String>>("basket").unwrap(),
        Some(vec!["tea".to_owned(), "cake".to_owned()])
    );
    let again = repo
        .find_by_id_now(&id)
        .expect("cached")
        .unwrap()
        .expect("stored");
    assert_eq!(
        again.snapshot(),
        slow.snapshot(),
        "the cached record is unchanged"
    );
    repo.save(&fast).await.unwrap();
    let saved = repo.find_by_id(&id).await.unwrap().expect("stored");
    assert_eq!(
        saved.get::<Vec<String>>("basket").unwrap(),
        Some(vec!["tea".to_owned()])
    );

    // save_now: a touch within the threshold (10 % of 2 s) is skipped at once, as `save`
    // skips it; a larger one, or any other change, is left to `save`.
    let touched = repo.find_by_id(&id).await.unwrap().expect("stored");
    touched.set_last_accessed_time(touched.last_accessed_time() + Duration::from_millis(50));
    let before = repo.client().stats().invocations;
    assert!(matches!(repo.save_now(&touched), Some(Ok(()))));
    assert!(!touched.has_changes());
    assert_eq!(repo.client().stats().invocations, before);
    let far = repo.find_by_id(&id).await.unwrap().expect("stored");
    far.set_last_accessed_time(far.last_accessed_time() + Duration::from_millis(500));
    assert!(
        repo.save_now(&far).is_none(),
        "past the threshold: written by save"
    );
    assert!(far.has_changes());
    let changed = repo.find_by_id(&id).await.unwrap().expect("stored");
    changed.insert("n", &1).unwrap();
    assert!(repo.save_now(&changed).is_none());

    // Past its interval, a cached record is not served, at once or not.
    let s = repo.create().await.unwrap();
    repo.save(&s).await.unwrap();
    repo.find_by_id(&s.id()).await.unwrap().expect("stored");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(repo.find_by_id_now(&s.id()).is_none());
    assert!(repo.find_by_id(&s.id()).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_at_once_test_member() {
    answers_at_once_as_the_async_methods(Backend::TestMember).await;
}

/// The `name=value` pairs of a response's cookies, added to (or, emptied, removed from)
/// a browser's jar; the jar as a `Cookie` header.
fn take_cookies(
    jar: &mut std::collections::BTreeMap<String, String>,
    update: &session_core::lifecycle::ResponseUpdate,
) {
    for c in &update.set_cookies {
        let pair = c.split(';').next().unwrap_or_default();
        let (name, value) = pair.split_once('=').expect("name=value");
        if value.is_empty() {
            jar.remove(name);
        } else {
            jar.insert(name.to_owned(), value.to_owned());
        }
    }
}

fn cookie_header(jar: &std::collections::BTreeMap<String, String>, skip: &str) -> String {
    jar.iter()
        .filter(|(n, _)| *n != skip)
        .map(|(n, v)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Reads attribute `n` in a request with cookie header `header` on `manager`.
async fn read_n(manager: &session_core::lifecycle::SessionManager, header: &str) -> Option<i32> {
    let request = session_core::lifecycle::RequestIds {
        cookie_headers: vec![header.as_bytes()],
        ..Default::default()
    };
    let session = manager.begin(&request);
    let n = session.get::<i32>("n").await.unwrap();
    session.commit().await.unwrap();
    n
}

/// Read your writes through the request lifecycle: the member holds back entry events,
/// so B's cache keeps the old record after A's change; a request carrying A's
/// read-your-writes cookie still sees the change on B (one read of the cluster), one
/// without it is served the stale record.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_reads_its_own_write_before_the_event_arrives() {
    use session_core::lifecycle::{RequestIds, SessionManager};

    let (members, a, b) = two_servers(Backend::TestMember, "cache-read-your-writes").await;
    let (on_a, on_b) = (
        SessionManager::new(a.clone()),
        SessionManager::new(b.clone()),
    );
    assert!(on_a.reads_your_writes() && on_b.reads_your_writes());
    let mut jar = std::collections::BTreeMap::new();

    let first = on_a.begin(&RequestIds::default());
    first.insert("n", &1).await.unwrap();
    take_cookies(&mut jar, &first.commit().await.unwrap());
    assert!(jar.contains_key("SESSION_WRITTEN"), "{jar:?}");
    // Until B serves the record from its cache (the creation's event may arrive after
    // B's first read and drop what it cached).
    let mut cached = false;
    for _ in 0..100 {
        let hits = b.local_cache_stats().hits;
        assert_eq!(read_n(&on_b, &cookie_header(&jar, "")).await, Some(1));
        if b.local_cache_stats().hits > hits {
            cached = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(cached, "B never served the record from its cache");

    let faults = members
        .test_cluster()
        .expect("test member")
        .faults(0)
        .expect("faults");
    faults.set_event_delay(Some(Duration::from_secs(3)));
    tokio::time::sleep(Duration::from_millis(5)).await;
    let header = cookie_header(&jar, "");
    let change = on_a.begin(&RequestIds {
        cookie_headers: vec![header.as_bytes()],
        ..Default::default()
    });
    change.insert("n", &2).await.unwrap();
    let before = jar.get("SESSION_WRITTEN").cloned();
    take_cookies(&mut jar, &change.commit().await.unwrap());
    assert_ne!(
        jar.get("SESSION_WRITTEN"),
        before.as_ref(),
        "a new write time"
    );

    let stats = b.local_cache_stats();
    assert_eq!(
        read_n(&on_b, &cookie_header(&jar, "SESSION_WRITTEN")).await,
        Some(1),
        "without the cookie, B's cache is stale while the event is held back"
    );
    assert_eq!(b.local_cache_stats().hits, stats.hits + 1);
    assert_eq!(
        read_n(&on_b, &cookie_header(&jar, "")).await,
        Some(2),
        "the client's own write"
    );
    let after = b.local_cache_stats();
    assert_eq!(after.behind_client, stats.behind_client + 1);
    // B cached what it read: the next request with the cookie is a hit again.
    let invocations = b.client().stats().invocations;
    assert_eq!(read_n(&on_b, &cookie_header(&jar, "")).await, Some(2));
    assert_eq!(b.local_cache_stats().hits, after.hits + 1);
    assert_eq!(b.client().stats().invocations, invocations);
    faults.set_event_delay(None);
}

/// A save that finds the record unchanged writes nothing, so the read-your-writes
/// cookie keeps naming the last real write: no `Set-Cookie` (and the next request on
/// the same server is still served from the cache).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_save_sets_no_cookie() {
    use session_core::lifecycle::{RequestIds, SessionManager};

    let (_members, a, _b) = two_servers(Backend::TestMember, "cache-unchanged-save").await;
    let on_a = SessionManager::new(a.clone());
    let mut jar = std::collections::BTreeMap::new();
    let first = on_a.begin(&RequestIds::default());
    first.insert("n", &1).await.unwrap();
    take_cookies(&mut jar, &first.commit().await.unwrap());
    let header = cookie_header(&jar, "");
    let again = on_a.begin(&RequestIds {
        cookie_headers: vec![header.as_bytes()],
        ..Default::default()
    });
    again.insert("n", &1).await.unwrap();
    let invocations = a.client().stats().invocations;
    let update = again.commit().await.unwrap();
    assert!(update.is_empty(), "nothing written, no cookie: {update:?}");
    assert_eq!(a.client().stats().invocations, invocations, "no write");
    assert_eq!(read_n(&on_a, &header).await, Some(1));
    assert_eq!(a.client().stats().invocations, invocations, "a cache hit");
}
