//! Unit tests of the local cache's bookkeeping (races, own events, eviction).

use super::*;
use std::time::Duration;

fn cached(id: &str, byte: u8) -> Arc<Cached> {
    let now = SystemTime::now();
    Arc::new(Cached::new(
        Data::from_bytes(vec![0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf5, byte]),
        SessionRecord::new(id, now, Some(Duration::from_secs(600))),
    ))
}

fn serving(capacity: usize) -> LocalCache {
    let c = LocalCache::new(capacity);
    c.set_serving(true);
    c
}

#[test]
fn a_load_is_cached_and_served() {
    let c = serving(10);
    let now = SystemTime::now();
    assert!(c.get_for_load("a", now, None).is_none());
    c.ticket("a").loaded(cached("a", 1));
    assert_eq!(
        c.get_for_load("a", now, None).expect("hit").data.payload(),
        [1]
    );
    assert_eq!(c.stats().hits, 1);
    assert_eq!(c.stats().entries, 1);
}

#[test]
fn an_event_during_a_load_keeps_the_load_out() {
    let c = serving(10);
    let t = c.ticket("a");
    c.on_event("a");
    t.loaded(cached("a", 1));
    assert!(c.get_for_load("a", SystemTime::now(), None).is_none());
    assert_eq!(c.stats().entries, 0);
}

#[test]
fn a_flush_during_a_load_keeps_the_load_out() {
    let c = serving(10);
    let t = c.ticket("a");
    c.flush();
    t.loaded(cached("a", 1));
    assert!(c.get_for_load("a", SystemTime::now(), None).is_none());
    assert_eq!(c.stats().flushes, 1);
}

#[test]
fn an_event_invalidates_a_cached_record() {
    let c = serving(10);
    c.ticket("a").loaded(cached("a", 1));
    c.on_event("b");
    assert!(c.get_for_load("a", SystemTime::now(), None).is_some());
    c.on_event("a");
    assert!(c.get_for_load("a", SystemTime::now(), None).is_none());
    assert_eq!(c.stats().invalidations, 1);
    assert_eq!(c.stats().entries, 0);
}

#[test]
fn own_write_event_is_skipped_once_whenever_it_arrives() {
    let now = SystemTime::now();
    // The event arrives after the write's answer: skipped, the next one invalidates.
    let c = serving(10);
    c.ticket("a").wrote(cached("a", 2));
    c.on_event("a");
    assert_eq!(
        c.get_for_load("a", now, None)
            .expect("own event")
            .data
            .payload(),
        [2]
    );
    c.on_event("a");
    assert!(
        c.get_for_load("a", now, None).is_none(),
        "someone else's write"
    );
    // The event arrives before the answer.
    let c = serving(10);
    let t = c.ticket("a");
    c.on_event("a");
    t.wrote(cached("a", 3));
    assert_eq!(
        c.get_for_load("a", now, None)
            .expect("cached")
            .data
            .payload(),
        [3]
    );
    c.on_event("a");
    assert!(c.get_for_load("a", now, None).is_none());
    // Another write after ours, both events before the answer: not cached.
    let c = serving(10);
    let t = c.ticket("a");
    c.on_event("a");
    c.on_event("a");
    t.wrote(cached("a", 4));
    assert!(c.get_for_load("a", now, None).is_none());
}

#[test]
fn an_own_write_event_does_not_keep_a_load_out() {
    let c = serving(10);
    c.ticket("a").wrote(cached("a", 1));
    let t = c.ticket("a");
    c.on_event("a"); // the write's own event
    t.loaded(cached("a", 1));
    assert!(c.get_for_load("a", SystemTime::now(), None).is_some());
}

#[test]
fn a_load_overtaken_by_a_write_never_replaces_it() {
    let c = serving(10);
    let write = c.ticket("a");
    let load = c.ticket("a");
    write.wrote(cached("a", 2));
    c.on_event("a"); // the write's own event
    load.loaded(cached("a", 1)); // read before the write landed
    let now = SystemTime::now();
    assert_eq!(
        c.get_for_load("a", now, None)
            .expect("cached")
            .data
            .payload(),
        [2]
    );
}

#[test]
fn a_late_own_event_of_an_earlier_write_is_not_taken_for_a_change() {
    let now = SystemTime::now();
    let c = serving(10);
    c.ticket("a").wrote(cached("a", 1)); // its event is late
    let t = c.ticket("a");
    c.on_event("a"); // the first write's event
    c.on_event("a"); // the second write's event
    t.wrote(cached("a", 2));
    assert_eq!(
        c.get_for_load("a", now, None)
            .expect("cached")
            .data
            .payload(),
        [2]
    );
    c.on_event("a");
    assert!(
        c.get_for_load("a", now, None).is_none(),
        "someone else's write"
    );
}

#[test]
fn an_expired_record_is_never_served() {
    let c = serving(10);
    let old = SystemTime::now() - Duration::from_secs(3600);
    let value = Arc::new(Cached::new(
        Data::from_bytes(vec![0; 8]),
        SessionRecord::new("a", old, Some(Duration::from_secs(60))),
    ));
    c.ticket("a").loaded(value);
    assert!(c.get_for_load("a", SystemTime::now(), None).is_none());
    assert_eq!(c.stats().entries, 0);
}

#[test]
fn capacity_is_kept_with_a_second_chance_for_recent_hits() {
    let c = serving(64);
    let now = SystemTime::now();
    for i in 0..1000 {
        let k = format!("k{i}");
        c.ticket(&k).loaded(cached(&k, 0));
        // Key k0 is read all the time: it survives.
        assert!(c.get_for_load("k0", now, None).is_some(), "after {i}");
    }
    let s = c.stats();
    assert!(s.entries <= 64, "{s:?}");
    assert!(s.evictions >= 1000 - 64, "{s:?}");
    for shard in c.shards.iter() {
        let shard = lock(shard);
        assert!(shard.ring.len() <= 2 * c.per_shard + 64);
        assert_eq!(shard.slots.len(), shard.values, "no slot leaks");
    }
}

#[test]
fn a_dropped_ticket_leaves_nothing_behind() {
    let c = serving(10);
    drop(c.ticket("a"));
    let t = c.ticket("b");
    t.discard();
    for shard in c.shards.iter() {
        assert!(lock(shard).slots.is_empty());
    }
}

#[test]
fn zero_capacity_keeps_nothing() {
    let c = serving(0);
    c.ticket("a").loaded(cached("a", 1));
    c.ticket("b").wrote(cached("b", 1));
    assert!(c.get_for_load("a", SystemTime::now(), None).is_none());
    assert_eq!(c.stats().entries, 0);
    assert!(lock(&c.shards[0]).slots.is_empty(), "no slot left behind");
}

#[test]
fn not_serving_still_remembers_for_compare_and_set() {
    let c = LocalCache::new(10);
    c.ticket("a").loaded(cached("a", 1));
    assert!(c.get_for_load("a", SystemTime::now(), None).is_none());
    assert!(c.peek("a", SystemTime::now()).is_some());
}

#[test]
fn a_record_older_than_the_clients_write_is_not_served() {
    let c = serving(10);
    let now = SystemTime::now();
    let record = cached("a", 1);
    let accessed = record.record.last_accessed_time;
    c.ticket("a").loaded(record);
    let later = accessed + Duration::from_millis(1);
    assert!(
        c.get_for_load("a", now, Some(accessed)).is_some(),
        "as new as the write"
    );
    assert!(
        c.get_for_load("a", now, Some(later)).is_none(),
        "older than the write"
    );
    c.count_miss("a", now, Some(later));
    c.count_miss("a", now, Some(accessed));
    c.count_miss("b", now, Some(later));
    let stats = c.stats();
    assert_eq!((stats.hits, stats.misses, stats.behind_client), (1, 3, 1));
    assert_eq!(stats.entries, 1, "kept for the load to replace");
}
