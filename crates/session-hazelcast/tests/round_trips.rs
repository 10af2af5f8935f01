//! Round trips per request type, counted with the client's invocation counter, and which
//! operations move the cluster-side expiry: each body runs on the test member and on real
//! members (the test member reproduces the measured behaviour of a real member; these
//! tests check that it still does).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "test bodies shared by two #[test]s: clippy's allow-*-in-tests covers only #[test] fns"
)]

#[macro_use]
mod common;

use std::time::{Duration, SystemTime};

use common::Backend;
use futures::StreamExt;
use session_core::{SessionEvent, SessionRepository};
use session_hazelcast::HazelcastSessionRepository;

fn invocations(repo: &HazelcastSessionRepository) -> u64 {
    repo.client().stats().invocations
}

/// The round trips of each request type, with the local cache on (`expected_cached`) and
/// off.
async fn round_trips_per_request_type(backend: Backend) {
    round_trips_with(backend, true, (1, 0, 1, 3, 1)).await;
    round_trips_with(backend, false, (1, 1, 2, 4, 2)).await;
}

async fn round_trips_with(backend: Backend, cache: bool, expected: (u64, u64, u64, u64, u64)) {
    let members = backend.shared(3).await;
    let repo = common::builder_for(&members, "round-trips")
        .local_cache(cache)
        .build()
        .await
        .expect("repository");
    if cache {
        common::cache_serving(&repo).await;
    }
    // Warm-up: the first write also sends the two Compact schemas, once per client.
    let warm = repo.create().await.unwrap();
    warm.insert("x", &1).unwrap();
    repo.save(&warm).await.unwrap();

    // create: a new session with an attribute, saved once.
    let before = invocations(&repo);
    let s = repo.create().await.unwrap();
    s.insert("user", "alice").unwrap();
    repo.save(&s).await.unwrap();
    let create = invocations(&repo) - before;

    // read-only: load, touch (as the request lifecycle does), save.
    let before = invocations(&repo);
    let r = repo.find_by_id(&s.id()).await.unwrap().expect("stored");
    r.set_last_accessed_time(SystemTime::now());
    assert_eq!(r.get::<String>("user").unwrap().as_deref(), Some("alice"));
    repo.save(&r).await.unwrap();
    let read_only = invocations(&repo) - before;

    // modify: load, change one attribute, save.
    let before = invocations(&repo);
    let m = repo.find_by_id(&s.id()).await.unwrap().expect("stored");
    m.set_last_accessed_time(SystemTime::now());
    m.insert("cart", &vec![1, 2, 3]).unwrap();
    repo.save(&m).await.unwrap();
    let modify = invocations(&repo) - before;

    // change id: load, change the id, save.
    let before = invocations(&repo);
    let c = repo.find_by_id(&s.id()).await.unwrap().expect("stored");
    let new_id = c.change_id().unwrap();
    repo.save(&c).await.unwrap();
    let change_id = invocations(&repo) - before;
    assert!(repo.find_by_id(&s.id()).await.unwrap().is_none());

    // invalidate: load, invalidate, save.
    let before = invocations(&repo);
    let i = repo.find_by_id(&new_id).await.unwrap().expect("renamed");
    assert_eq!(i.get::<Vec<i32>>("cart").unwrap(), Some(vec![1, 2, 3]));
    i.invalidate();
    repo.save(&i).await.unwrap();
    let invalidate = invocations(&repo) - before;

    assert_eq!(
        (create, read_only, modify, change_id, invalidate),
        expected,
        "round trips with the local cache {}: create, read-only, modify, change id, invalidate",
        if cache { "on" } else { "off" }
    );
    if cache {
        let stats = repo.local_cache_stats();
        assert!(stats.hits >= 4, "{stats:?}");
    }
}

on_both_backends!(round_trips_per_request_type => round_trips_test_member, round_trips_real_member);

async fn last_access_is_written_only_when_it_moved_enough(backend: Backend) {
    let members = backend.shared(1).await;
    let repo = common::builder_for(&members, "touch")
        .max_inactive_interval(Some(Duration::from_secs(10)))
        .touch_fraction(0.05) // 0.5 s
        .local_cache(true)
        .build()
        .await
        .expect("repository");
    common::cache_serving(&repo).await;
    let s = repo.create().await.unwrap();
    repo.save(&s).await.unwrap();
    let stored_access = s.last_accessed_time();

    let r = repo.find_by_id(&s.id()).await.unwrap().unwrap();
    r.set_last_accessed_time(SystemTime::now());
    let before = invocations(&repo);
    repo.save(&r).await.unwrap();
    assert_eq!(
        invocations(&repo) - before,
        0,
        "a small move is not written"
    );
    let again = repo.find_by_id(&s.id()).await.unwrap().unwrap();
    assert_eq!(again.last_accessed_time(), stored_access);

    tokio::time::sleep(Duration::from_millis(700)).await;
    again.set_last_accessed_time(SystemTime::now());
    let before = invocations(&repo);
    repo.save(&again).await.unwrap();
    assert_eq!(invocations(&repo) - before, 1, "a large move is written");
    let moved = repo.find_by_id(&s.id()).await.unwrap().unwrap();
    assert!(moved.last_accessed_time() > stored_access);
}

on_both_backends!(last_access_is_written_only_when_it_moved_enough => touch_threshold_test_member, touch_threshold_real_member);

/// Which operations move the expiry of a session entry (map-level max idle = the max
/// inactive interval, as the repository configures it):
///
/// - the first write (`putIfAbsent`) starts it;
/// - every later write (`replaceIfSame`) re-applies the map's max idle from its own time,
///   instead of dropping back to "never" as a per-entry max idle or TTL would;
/// - every read (`get`) extends it, so a session read more often than its interval stays
///   even though its record is not rewritten;
/// - untouched, it is gone one interval (minus up to 1 s: whole-second expiry times) after
///   the last access, and a read then returns nothing and fires `expired` at once.
async fn cluster_expiry_follows_reads_and_writes(backend: Backend) {
    let members = backend.shared(2).await;
    let repo = common::builder_for(&members, "expiry")
        .max_inactive_interval(Some(Duration::from_secs(3)))
        .build()
        .await
        .expect("repository");
    let mut events = repo.subscribe();
    let s = repo.create().await.unwrap();
    repo.save(&s).await.unwrap();
    let id = s.id();

    // A compare-and-set write does not make it immortal.
    let m = repo.find_by_id(&id).await.unwrap().unwrap();
    m.insert("a", &1).unwrap();
    repo.save(&m).await.unwrap();

    // Reads every second for 5 s (longer than the interval) keep it, without writes.
    let map = repo
        .client()
        .map::<String, hazelcast_protocol::data::Data>("expiry");
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(
            map.get(&id).await.unwrap().is_some(),
            "reads extend the map max idle"
        );
    }
    // Untouched for longer than the interval: gone.
    tokio::time::sleep(Duration::from_millis(3300)).await;
    assert!(repo.find_by_id(&id).await.unwrap().is_none());
    let expired = tokio::time::timeout(Duration::from_secs(3), async {
        while let Some(e) = events.next().await {
            if e == (SessionEvent::Expired { id: id.clone() }) {
                return true;
            }
        }
        false
    })
    .await;
    assert_eq!(expired, Ok(true), "expired event after the read");
}

on_both_backends!(cluster_expiry_follows_reads_and_writes => expiry_map_max_idle_test_member, expiry_map_max_idle_real_member);

/// A per-entry max idle (sent with `putIfAbsent` for a session whose interval differs from
/// the map's) overrides the map's; a compare-and-set drops it, and the repository gives it
/// back right after (remember-me sessions live their full interval).
async fn compare_and_set_keeps_a_per_entry_max_idle(backend: Backend) {
    let members = backend.shared(1).await;
    let repo = common::builder_for(&members, "per-entry")
        .max_inactive_interval(Some(Duration::from_secs(2)))
        .build()
        .await
        .expect("repository");
    let map = repo
        .client()
        .map::<String, hazelcast_protocol::data::Data>("per-entry");
    let s = repo.create().await.unwrap();
    s.set_max_inactive_interval(None); // never expires
    repo.save(&s).await.unwrap();
    let id = s.id();
    tokio::time::sleep(Duration::from_millis(3200)).await;
    assert!(
        map.contains_key(&id).await.unwrap(),
        "putIfAbsent's per-entry max idle (infinite) overrides the map's 2 s"
    );
    let m = repo.find_by_id(&id).await.unwrap().expect("never expires");
    m.insert("a", &1).unwrap();
    repo.save(&m).await.unwrap();
    tokio::time::sleep(Duration::from_millis(3200)).await;
    assert!(
        map.contains_key(&id).await.unwrap(),
        "after replaceIfSame the per-entry max idle is re-applied"
    );
}

on_both_backends!(compare_and_set_keeps_a_per_entry_max_idle => expiry_per_entry_max_idle_test_member, expiry_per_entry_max_idle_real_member);
