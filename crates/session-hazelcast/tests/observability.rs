//! The `sessions_*` counters through the `metrics` facade: a recorder installed by the
//! application sees loads, saves, skipped saves, conflicts and the local cache's hits,
//! misses and invalidations, under the documented names.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use common::Backend;
use metrics::{
    Counter, CounterFn, Gauge, GaugeFn, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder,
    SharedString, Unit,
};
use session_core::SessionRepository;
use session_hazelcast::telemetry;

#[derive(Debug, Default)]
struct Count(AtomicU64);

impl CounterFn for Count {
    fn increment(&self, value: u64) {
        self.0.fetch_add(value, Ordering::Relaxed);
    }
    fn absolute(&self, value: u64) {
        self.0.store(value, Ordering::Relaxed);
    }
}

impl GaugeFn for Count {
    fn increment(&self, _: f64) {}
    fn decrement(&self, _: f64) {}
    fn set(&self, _: f64) {}
}

impl HistogramFn for Count {
    fn record(&self, _: f64) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

/// A metric's name and its `op` label, if any.
type NameAndOp = (String, Option<String>);

/// Counts every counter increment (and histogram sample) by metric name and `op` label.
#[derive(Debug, Default)]
struct Counting {
    by_key: Mutex<HashMap<NameAndOp, Arc<Count>>>,
}

impl Counting {
    fn handle(&self, key: &Key) -> Arc<Count> {
        let op = key
            .labels()
            .find(|l| l.key() == "op")
            .map(|l| l.value().to_owned());
        let mut m = self.by_key.lock().unwrap();
        Arc::clone(m.entry((key.name().to_owned(), op)).or_default())
    }

    /// All samples of metric `name`, whatever their label.
    fn get(&self, name: &str) -> u64 {
        self.by_key
            .lock()
            .unwrap()
            .iter()
            .filter(|((n, _), _)| n == name)
            .map(|(_, c)| c.0.load(Ordering::Relaxed))
            .sum()
    }

    /// The samples of metric `name` labelled `op`.
    fn get_op(&self, name: &str, op: &str) -> u64 {
        self.by_key
            .lock()
            .unwrap()
            .get(&(name.to_owned(), Some(op.to_owned())))
            .map_or(0, |c| c.0.load(Ordering::Relaxed))
    }
}

impl Recorder for &'static Counting {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(self.handle(key))
    }
    fn register_gauge(&self, key: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(self.handle(key))
    }
    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::from_arc(self.handle(key))
    }
}

fn recorder() -> &'static Counting {
    static RECORDER: OnceLock<&'static Counting> = OnceLock::new();
    RECORDER.get_or_init(|| {
        let r: &'static Counting = Box::leak(Box::default());
        metrics::set_global_recorder(r).expect("the only recorder of this test binary");
        r
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counters_follow_the_operations() {
    let metrics = recorder();
    let members = Backend::TestMember.shared(1).await;
    let a = common::builder_for(&members, "observed")
        .local_cache(true)
        .build()
        .await
        .expect("a");
    let b = common::builder_for(&members, "observed")
        .local_cache(true)
        .build()
        .await
        .expect("b");
    common::cache_serving(&a).await;
    common::cache_serving(&b).await;
    let before: HashMap<&str, u64> = [
        telemetry::LOADS,
        telemetry::SAVES,
        telemetry::SAVES_SKIPPED,
        telemetry::CAS_CONFLICTS,
        telemetry::CACHE_HITS,
        telemetry::CACHE_MISSES,
        telemetry::CACHE_INVALIDATIONS,
        telemetry::OPERATION_SECONDS,
    ]
    .into_iter()
    .map(|n| (n, metrics.get(n)))
    .collect();
    let delta = |name: &str| metrics.get(name) - before[name];
    let ops_before = ["load", "save"].map(|op| metrics.get_op(telemetry::OPERATION_SECONDS, op));

    let s = a.create().await.unwrap();
    s.insert("n", &1).unwrap();
    a.save(&s).await.unwrap(); // a save
    let r = a.find_by_id(&s.id()).await.unwrap().unwrap(); // a load, a hit
    r.set_last_accessed_time(SystemTime::now());
    a.save(&r).await.unwrap(); // skipped: a small touch
    // b holds the session, a changes it: b's change conflicts once.
    let on_b = b.find_by_id(&s.id()).await.unwrap().unwrap(); // a load, a miss
    let on_a = a.find_by_id(&s.id()).await.unwrap().unwrap(); // a load, a hit
    on_a.insert("a", &1).unwrap();
    a.save(&on_a).await.unwrap(); // a save
    tokio::time::sleep(Duration::from_millis(200)).await; // b's invalidation arrives
    on_b.insert("b", &1).unwrap();
    b.save(&on_b).await.unwrap(); // a save after a miss (the cache was invalidated)

    assert_eq!(delta(telemetry::LOADS), 3);
    assert_eq!(delta(telemetry::SAVES), 3);
    assert_eq!(delta(telemetry::SAVES_SKIPPED), 1);
    assert!(delta(telemetry::CACHE_HITS) >= 2);
    assert!(delta(telemetry::CACHE_MISSES) >= 1);
    assert!(
        delta(telemetry::CACHE_INVALIDATIONS) >= 1,
        "b saw a's change"
    );
    assert!(
        delta(telemetry::OPERATION_SECONDS) >= 6,
        "every operation is timed"
    );
    let ops = ["load", "save"].map(|op| metrics.get_op(telemetry::OPERATION_SECONDS, op));
    assert_eq!(ops[0] - ops_before[0], 3, "three loads, labelled op=load");
    assert_eq!(
        ops[1] - ops_before[1],
        3,
        "three saves written (the skipped touch is not timed), labelled op=save"
    );

    // A conflict: both load from their caches, a writes first, b at once (before its
    // invalidation can matter, its expected bytes are a's old ones at the latest).
    let x = b.find_by_id(&s.id()).await.unwrap().unwrap();
    let y = a.find_by_id(&s.id()).await.unwrap().unwrap();
    y.insert("y", &1).unwrap();
    a.save(&y).await.unwrap();
    x.insert("x", &1).unwrap();
    b.save(&x).await.unwrap();
    let last = a.find_by_id(&s.id()).await.unwrap().unwrap();
    assert_eq!(last.get::<i32>("x").unwrap(), Some(1));
    assert_eq!(last.get::<i32>("y").unwrap(), Some(1));
    let conflicts = delta(telemetry::CAS_CONFLICTS);
    assert_eq!(conflicts, a.conflicts() + b.conflicts());
}
