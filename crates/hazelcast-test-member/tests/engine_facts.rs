//! Engine tests, one per measured fact of `docs/real-hazelcast-facts.md` (numbers cited).
//! Time is a manual clock: t = 0 is `START`, written at wall-clock x.05 s like the facts.

use std::sync::Arc;
use std::time::Duration;

use hazelcast_protocol::compact::{FieldDescriptor, FieldKind, Schema};
use hazelcast_protocol::data::Data;
use hazelcast_test_member::clock::ManualClock;
use hazelcast_test_member::config::{IndexConfig, IndexType, MapConfig};
use hazelcast_test_member::engine::{Engine, EngineConfig};
use hazelcast_test_member::events::{EntryEvent, ListenerSpec, event_channel, event_type};
use hazelcast_test_member::query::{Predicate, Value, parse_sql};
use hazelcast_test_member::record::INFINITE;

const START: i64 = 1_700_000_000_050;

fn s(v: &str) -> Data {
    let mut b = vec![0, 0, 0, 0, 0xff, 0xff, 0xff, 0xf5];
    b.extend_from_slice(&(v.len() as i32).to_be_bytes());
    b.extend_from_slice(v.as_bytes());
    Data::from_bytes(b)
}

fn cluster(members: usize) -> (Engine, ManualClock, Vec<uuid::Uuid>) {
    let clock = ManualClock::new(START);
    let engine = Engine::new(EngineConfig {
        map_configs: vec![MapConfig::new("idle-*").with_max_idle_seconds(4)],
        clock: Arc::new(clock.clone()),
        ..EngineConfig::default()
    });
    let ids = (0..members).map(|_| engine.add_member()).collect();
    (engine, clock, ids)
}

/// Moves the clock to `t` ms after START.
fn at(clock: &ManualClock, t: i64) {
    clock.set(START + t);
}

/// Present without counting as an access (getEntryView, like the facts' probe).
fn present(e: &Engine, map: &str, k: &str) -> bool {
    e.get_entry_view(map, &s(k)).expect("view").value.is_some()
}

/// First probe time (every 50 ms from `from`) at which the entry is gone.
fn gone_at(e: &Engine, clock: &ManualClock, map: &str, k: &str, from: i64) -> i64 {
    let mut t = from;
    while t <= 20_000 {
        at(clock, t);
        if !present(e, map, k) {
            return t;
        }
        t += 50;
    }
    i64::MAX
}

#[test]
fn fact_1_1_ttl_expiry_is_truncated_to_the_second() {
    let (e, c, _) = cluster(2);
    e.put("m", &s("k"), &s("v"), 4000, -1).expect("put");
    let view = e
        .get_entry_view("m", &s("k"))
        .expect("v")
        .value
        .expect("present");
    assert_eq!(view.ttl, 4000);
    assert_eq!(view.expiration_time, START - 50 + 4000);
    assert_eq!(gone_at(&e, &c, "m", "k", 0), 3950);
}

#[test]
fn fact_1_2_writes_without_ttl_reset_it_to_the_map_default() {
    type Op = fn(&Engine);
    let ops: [(&str, Op); 4] = [
        ("replace_if_same", |e| {
            assert!(
                e.replace_if_same("m", &s("k"), &s("v"), &s("v2"))
                    .expect("r")
                    .value
            );
        }),
        ("set", |e| {
            e.set("m", &s("k"), &s("v2"), -1, -1)
                .map(|_| ())
                .expect("set")
        }),
        ("put", |e| {
            assert_eq!(
                e.put("m", &s("k"), &s("v2"), -1, -1).expect("p").value,
                Some(s("v"))
            );
        }),
        ("replace", |e| {
            assert_eq!(
                e.replace("m", &s("k"), &s("v2")).expect("r").value,
                Some(s("v"))
            );
        }),
    ];
    for (name, op) in ops {
        let (e, c, _) = cluster(2);
        e.put("m", &s("k"), &s("v"), 4000, -1).expect("put");
        at(&c, 1000);
        op(&e);
        at(&c, 15_000);
        let view = e.get_entry_view("m", &s("k")).expect("v").value;
        assert_eq!(view.map(|v| v.ttl), Some(INFINITE), "{name}");
    }
}

#[test]
fn fact_1_3_and_1_4_reads_and_put_if_absent_do_not_change_a_ttl() {
    for op in 0..4 {
        let (e, c, _) = cluster(2);
        e.put("m", &s("k"), &s("v"), 4000, -1).expect("put");
        at(&c, 1000);
        match op {
            0 => assert!(e.get("m", &s("k")).expect("g").value.is_some()),
            1 => assert!(e.contains_key("m", &s("k")).expect("c").value),
            2 => {
                let old = e
                    .put_if_absent("m", &s("k"), &s("v2"), -1, -1)
                    .expect("pia");
                assert_eq!(old.value, Some(s("v")));
            }
            _ => {
                let old = e
                    .put_if_absent("m", &s("k"), &s("v2"), 10_000, -1)
                    .expect("pia");
                assert_eq!(old.value, Some(s("v")));
            }
        }
        assert_eq!(gone_at(&e, &c, "m", "k", 1000), 3950, "op {op}");
    }
}

#[test]
fn fact_1_5_set_ttl_and_writes_with_ttl_restart_it() {
    let (e, c, _) = cluster(2);
    e.put("m", &s("k"), &s("v"), 4000, -1).expect("put");
    at(&c, 1000);
    assert!(e.set_ttl("m", &s("k"), 4000).expect("ttl").value);
    assert_eq!(gone_at(&e, &c, "m", "k", 1000), 4950);

    let (e, c, _) = cluster(2);
    e.put("m", &s("k"), &s("v"), 4000, -1).expect("put");
    at(&c, 1000);
    e.set("m", &s("k"), &s("v2"), -1, 4000)
        .expect("set max idle");
    let view = e
        .get_entry_view("m", &s("k"))
        .expect("v")
        .value
        .expect("present");
    assert_eq!((view.ttl, view.max_idle), (INFINITE, 4000));
    assert_eq!(gone_at(&e, &c, "m", "k", 1000), 4950);
}

#[test]
fn fact_2_per_entry_max_idle() {
    // 2.1 control
    let (e, c, _) = cluster(2);
    e.put("m", &s("k"), &s("v"), -1, 4000).expect("put");
    assert_eq!(gone_at(&e, &c, "m", "k", 0), 3950);
    // 2.2 reads and putIfAbsent extend from the access
    for op in 0..3 {
        let (e, c, _) = cluster(2);
        e.put("m", &s("k"), &s("v"), -1, 4000).expect("put");
        at(&c, 1000);
        match op {
            0 => drop(e.get("m", &s("k")).expect("g")),
            1 => drop(e.contains_key("m", &s("k")).expect("c")),
            _ => drop(
                e.put_if_absent("m", &s("k"), &s("v2"), 10_000, -1)
                    .expect("p"),
            ),
        }
        assert_eq!(gone_at(&e, &c, "m", "k", 1000), 4950, "op {op}");
    }
    // (d2) get every 0.5 s until t=8 keeps it until 12
    let (e, c, _) = cluster(2);
    e.put("m", &s("k"), &s("v"), -1, 4000).expect("put");
    for t in (500..=8000).step_by(500) {
        at(&c, t);
        assert!(e.get("m", &s("k")).expect("g").value.is_some(), "t={t}");
    }
    assert_eq!(gone_at(&e, &c, "m", "k", 8000), 11_950);
    // 2.3 writes without max_idle reset it; 2.4 setTtl removes it
    let (e, c, _) = cluster(2);
    e.put("m", &s("a"), &s("v"), -1, 4000).expect("put");
    e.put("m", &s("b"), &s("v"), -1, 4000).expect("put");
    at(&c, 1000);
    e.set("m", &s("a"), &s("v2"), -1, -1).expect("set");
    e.set_ttl("m", &s("b"), 4000).expect("ttl");
    let b = e.get_entry_view("m", &s("b")).expect("v").value.expect("b");
    assert_eq!((b.ttl, b.max_idle), (4000, INFINITE));
    at(&c, 15_000);
    assert!(present(&e, "m", "a"));
    assert!(!present(&e, "m", "b"));
}

#[test]
fn fact_3_map_level_max_idle() {
    // 3.1 and 3.2
    let (e, c, _) = cluster(2);
    e.put("idle-x", &s("k"), &s("v"), -1, -1).expect("put");
    let v = e
        .get_entry_view("idle-x", &s("k"))
        .expect("v")
        .value
        .expect("k");
    assert_eq!((v.ttl, v.max_idle), (INFINITE, 4000));
    at(&c, 1000);
    assert!(
        e.replace_if_same("idle-x", &s("k"), &s("v"), &s("v2"))
            .expect("r")
            .value
    );
    assert_eq!(gone_at(&e, &c, "idle-x", "k", 1000), 4950);
    // 3.3 a per-entry ttl does not override the map max-idle
    let cases: [(i64, i64, i64); 3] = [(8000, -1, 3950), (2000, -1, 1950), (0, -1, 3950)];
    for (ttl, idle, gone) in cases {
        let (e, c, _) = cluster(2);
        e.put("idle-x", &s("k"), &s("v"), ttl, idle).expect("put");
        assert_eq!(gone_at(&e, &c, "idle-x", "k", 0), gone, "ttl {ttl}");
    }
    let (e, c, _) = cluster(2);
    e.put("idle-x", &s("k"), &s("v"), 8000, -1).expect("put");
    for t in (500..=7500).step_by(500) {
        at(&c, t);
        assert!(
            e.get("idle-x", &s("k")).expect("g").value.is_some(),
            "t={t}"
        );
    }
    assert_eq!(gone_at(&e, &c, "idle-x", "k", 7500), 7950);
    // 3.4 a per-entry max_idle overrides it; 0 = infinite
    let (e, c, _) = cluster(2);
    e.put("idle-x", &s("k"), &s("v"), -1, 8000).expect("put");
    assert_eq!(gone_at(&e, &c, "idle-x", "k", 0), 7950);
    let (e, c, _) = cluster(2);
    e.put("idle-x", &s("k"), &s("v"), -1, 0).expect("put");
    at(&c, 15_000);
    assert!(present(&e, "idle-x", "k"));
    let (e, c, _) = cluster(2);
    e.put("idle-x", &s("k"), &s("v"), -1, -1).expect("put");
    at(&c, 1000);
    e.set_ttl("idle-x", &s("k"), 4000).expect("ttl");
    let v = e
        .get_entry_view("idle-x", &s("k"))
        .expect("v")
        .value
        .expect("k");
    assert_eq!((v.ttl, v.max_idle), (4000, 4000));
    assert_eq!(gone_at(&e, &c, "idle-x", "k", 1000), 4950);
}

fn listen(
    e: &Engine,
    member: uuid::Uuid,
    spec: ListenerSpec,
) -> tokio::sync::mpsc::Receiver<EntryEvent> {
    let (tx, rx) = event_channel();
    e.add_entry_listener(member, spec, tx);
    rx
}

fn all_events(map: &str) -> ListenerSpec {
    ListenerSpec {
        map: map.into(),
        flags: 1 | 2 | 4 | 8 | 16 | 64,
        include_value: true,
        local_only: false,
        key: None,
        predicate: None,
    }
}

fn drain(
    rx: &mut tokio::sync::mpsc::Receiver<EntryEvent>,
) -> Vec<(i32, Option<Data>, Option<Data>)> {
    let mut out = Vec::new();
    while let Ok(e) = rx.try_recv() {
        out.push((e.event_type, e.value, e.old_value));
    }
    out
}

#[test]
fn fact_4_3_event_payloads() {
    let (e, c, ids) = cluster(2);
    let mut rx = listen(&e, ids[0], all_events("m"));
    for k in ["c1", "c2", "c3", "c4"] {
        e.put("m", &s(k), &s(&format!("x{}", &k[1..])), -1, -1)
            .expect("put");
    }
    e.put("m", &s("c5"), &s("x5"), 1000, -1).expect("put");
    assert_eq!(drain(&mut rx).len(), 5);
    e.put("m", &s("c1"), &s("y1"), -1, -1).expect("put");
    e.remove("m", &s("c1")).expect("remove");
    e.delete("m", &s("c2")).expect("delete");
    assert!(
        e.remove_if_same("m", &s("c4"), &s("x4"))
            .expect("ris")
            .value
    );
    assert!(e.evict("m", &s("c3")).expect("evict").value);
    assert_eq!(e.remove("m", &s("absent")).expect("r").value, None);
    assert!(!e.delete("m", &s("absent")).expect("d").value);
    at(&c, 1500);
    assert_eq!(e.get("m", &s("c5")).expect("get").value, None);
    assert_eq!(
        drain(&mut rx),
        vec![
            (event_type::UPDATED, Some(s("y1")), Some(s("x1"))),
            (event_type::REMOVED, None, Some(s("y1"))),
            (event_type::REMOVED, None, None),
            (event_type::REMOVED, None, Some(s("x4"))),
            (event_type::EVICTED, None, Some(s("x3"))),
            (event_type::EXPIRED, None, Some(s("x5"))),
        ]
    );
}

#[test]
fn fact_4_1_untouched_entries_expire_through_the_background_task_only() {
    let (e, c, ids) = cluster(2);
    let mut rx = listen(&e, ids[0], all_events("m"));
    for i in 0..300 {
        e.set("m", &s(&format!("k{i}")), &s("v"), 4000, -1)
            .expect("set");
    }
    drain(&mut rx);
    at(&c, 5000);
    assert_eq!(
        e.size("m"),
        300,
        "expired entries still count until cleaned"
    );
    // Each run cleans 6 partitions per member: one run cannot clean all of them.
    let first = e.run_expiry_cycle();
    assert!(first > 0 && first < 300, "first run expired {first}");
    let mut total = first;
    for _ in 0..40 {
        total += e.run_expiry_cycle();
    }
    assert_eq!(total, 300);
    assert_eq!(e.size("m"), 0);
    let events = drain(&mut rx);
    assert_eq!(events.len(), 300);
    assert!(
        events
            .iter()
            .all(|(t, v, old)| *t == event_type::EXPIRED && v.is_none() && old.is_some())
    );
}

#[tokio::test(start_paused = true)]
async fn background_task_runs_on_its_period() {
    let clock = ManualClock::new(START);
    let e = Engine::new(EngineConfig {
        clock: Arc::new(clock.clone()),
        expiry_period: Duration::from_millis(100),
        expiry_partitions_per_run: 271,
        ..EngineConfig::default()
    });
    e.add_member();
    e.set("m", &s("k"), &s("v"), 1000, -1).expect("set");
    let task = e.spawn_expiry_task();
    at(&clock, 2000);
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(e.size("m"), 0);
    task.abort();
}

#[test]
fn fact_5_replace_if_same_compares_bytes_ignoring_the_partition_hash() {
    let (e, _, _) = cluster(2);
    e.set("m", &s("k"), &s("v"), -1, -1).expect("set");
    let mut hashed = s("v").into_bytes();
    hashed[..4].copy_from_slice(&7i32.to_be_bytes());
    assert!(
        e.replace_if_same("m", &s("k"), &Data::from_bytes(hashed), &s("v2"))
            .expect("r")
            .value
    );
    assert!(
        !e.replace_if_same("m", &s("k"), &s("v"), &s("v3"))
            .expect("r")
            .value
    );
    assert!(
        !e.replace_if_same("m", &s("nokey"), &s("v"), &s("v3"))
            .expect("r")
            .value
    );
    assert_eq!(e.get("m", &s("k")).expect("g").value, Some(s("v2")));
}

/// `Demo{n: INT32, principalName: STRING}` as the official client writes it.
fn demo(n: i32, name: &str) -> Data {
    let schema = demo_schema();
    let mut b = vec![0, 0, 0, 0, 0xff, 0xff, 0xff, 0xc9];
    b.extend_from_slice(&schema.id().to_be_bytes());
    let data_len = 4 + 4 + name.len() as i32;
    b.extend_from_slice(&data_len.to_be_bytes());
    b.extend_from_slice(&n.to_be_bytes());
    b.extend_from_slice(&(name.len() as i32).to_be_bytes());
    b.extend_from_slice(name.as_bytes());
    b.push(4);
    Data::from_bytes(b)
}

fn demo_schema() -> Schema {
    Schema::new(
        "Demo",
        vec![
            FieldDescriptor::new("n", FieldKind::Int32),
            FieldDescriptor::new("principalName", FieldKind::String),
        ],
    )
    .expect("schema")
}

#[test]
fn fact_6_predicates_on_compact_fields_with_and_without_index() {
    let (e, _, _) = cluster(3);
    e.add_schema(demo_schema()).expect("schema");
    for i in 0..100 {
        e.set(
            "sessions",
            &s(&format!("s{i}")),
            &demo(i, &format!("user{}", i % 10)),
            -1,
            -1,
        )
        .expect("set");
    }
    let check = |e: &Engine| {
        let eq = Predicate::Equal("principalName".into(), Value::Str("user7".into()));
        assert_eq!(e.entries("sessions", Some(&eq)).expect("q").len(), 10);
        let sql = parse_sql("principalName = 'user3' AND n < 50").expect("sql");
        assert_eq!(e.entries("sessions", Some(&sql)).expect("q").len(), 5);
        let gt = Predicate::GreaterLess("n".into(), Value::Int(89), false, false);
        assert_eq!(e.entries("sessions", Some(&gt)).expect("q").len(), 10);
        let none = Predicate::Equal("principalName".into(), Value::Str("nobody".into()));
        assert!(e.entries("sessions", Some(&none)).expect("q").is_empty());
    };
    check(&e);
    e.add_index(
        "sessions",
        IndexConfig {
            name: None,
            index_type: IndexType::Hash,
            attributes: vec!["principalName".into()],
        },
    )
    .expect("index");
    check(&e);
    assert_eq!(e.entries("sessions", None).expect("all").len(), 100);
}

#[test]
fn fact_7_4_unindexable_value_is_stored_on_the_primary_only() {
    let (e, _, ids) = cluster(2);
    let mut rx = listen(&e, ids[0], all_events("idx"));
    e.add_index(
        "idx",
        IndexConfig {
            name: None,
            index_type: IndexType::Hash,
            attributes: vec!["principalName".into()],
        },
    )
    .expect("index");
    let err = e
        .put("idx", &s("py-str"), &s("a string"), -1, -1)
        .expect_err("query error");
    assert_eq!(err.code(), 40);
    assert_eq!(
        err.to_string(),
        "java.lang.IllegalArgumentException: There is no suitable accessor for 'principalName' on class 'java.lang.String'"
    );
    assert_eq!(
        e.get("idx", &s("py-str")).expect("g").value,
        Some(s("a string"))
    );
    assert_eq!(e.size("idx"), 1);
    assert_eq!(e.replica_count("idx", &s("py-str")), 1);
    assert!(drain(&mut rx).is_empty());
    let owner = e
        .partition_table()
        .owner(e.partition_of(&s("py-str")))
        .expect("owner");
    e.crash_member(owner);
    assert_eq!(e.get("idx", &s("py-str")).expect("g").value, None);
}

#[test]
fn fact_7_dynamic_config_applies_and_conflicts_are_rejected() {
    let (e, _, _) = cluster(2);
    let cfg = MapConfig::new("sessions-dyn").with_max_idle_seconds(1800);
    e.add_map_config(cfg.clone()).expect("add");
    e.add_map_config(cfg.clone()).expect("identical again");
    let err = e
        .add_map_config(cfg.clone().with_max_idle_seconds(3600))
        .expect_err("conflict");
    assert_eq!(err.code(), 32);
    assert!(
        err.to_string()
            .starts_with("Cannot add a dynamic configuration 'MapConfig{name='sessions-dyn'")
    );
    e.put("sessions-dyn", &s("k"), &s("v"), -1, -1)
        .expect("put");
    let v = e
        .get_entry_view("sessions-dyn", &s("k"))
        .expect("v")
        .value
        .expect("k");
    assert_eq!(v.max_idle, 1_800_000);
}

#[test]
fn fact_9_crash_loses_no_entry_written_with_a_backup() {
    let (e, _, ids) = cluster(3);
    for i in 0..2000 {
        e.set("m", &s(&format!("k{i}")), &s(&format!("v{i}")), -1, -1)
            .expect("set");
    }
    let before = e.member_list_version();
    let table_version = e.partition_table().version;
    e.crash_member(ids[0]);
    assert!(e.member_list_version() > before);
    assert!(e.partition_table().version > table_version);
    assert_eq!(e.size("m"), 2000);
    for i in 0..2000 {
        let k = s(&format!("k{i}"));
        assert_eq!(e.get("m", &k).expect("g").value, Some(s(&format!("v{i}"))));
        assert_eq!(e.replica_count("m", &k), 2, "backups re-created");
    }
    // A second crash (backups were re-created) still loses nothing.
    e.crash_member(ids[1]);
    assert_eq!(e.size("m"), 2000);
    // A joining member takes partitions and keeps the data.
    e.add_member();
    assert_eq!(e.size("m"), 2000);
    assert_eq!(e.members().len(), 2);
}

#[test]
fn maps_without_backups_lose_a_crashed_owners_entries_but_not_on_graceful_stop() {
    let clock = ManualClock::new(START);
    let e = Engine::new(EngineConfig {
        map_configs: vec![MapConfig::new("nob-*").with_backups(0, 0)],
        clock: Arc::new(clock),
        ..EngineConfig::default()
    });
    let a = e.add_member();
    let b = e.add_member();
    let c = e.add_member();
    for i in 0..300 {
        e.set("nob-1", &s(&format!("k{i}")), &s("v"), -1, -1)
            .expect("set");
    }
    e.stop_member(a);
    assert_eq!(e.size("nob-1"), 300);
    let out = e.set("nob-1", &s("x"), &s("v"), -1, -1).expect("set");
    assert!(out.backups.is_empty(), "no backup acks to wait for");
    e.crash_member(b);
    let left = e.size("nob-1");
    assert!(left < 301 && left > 0, "left {left}");
    let _ = c;
}

#[test]
fn backups_reported_for_acks_are_the_sync_ones() {
    let clock = ManualClock::new(START);
    let e = Engine::new(EngineConfig {
        map_configs: vec![MapConfig::new("two").with_backups(1, 1)],
        clock: Arc::new(clock),
        ..EngineConfig::default()
    });
    for _ in 0..3 {
        e.add_member();
    }
    let out = e.set("two", &s("k"), &s("v"), -1, -1).expect("set");
    assert_eq!(out.backups.len(), 1);
    assert_eq!(e.replica_count("two", &s("k")), 3);
    assert!(e.get("two", &s("k")).expect("g").backups.is_empty());
}

#[test]
fn listener_filters_key_predicate_and_local_only() {
    let (e, _, ids) = cluster(2);
    e.add_schema(demo_schema()).expect("schema");
    let mut by_key = listen(
        &e,
        ids[0],
        ListenerSpec {
            key: Some(s("a")),
            ..all_events("m")
        },
    );
    let mut by_pred = listen(
        &e,
        ids[0],
        ListenerSpec {
            predicate: Some(Predicate::Equal(
                "principalName".into(),
                Value::Str("alice".into()),
            )),
            include_value: false,
            ..all_events("m")
        },
    );
    let mut local0 = listen(
        &e,
        ids[0],
        ListenerSpec {
            local_only: true,
            ..all_events("m")
        },
    );
    let mut local1 = listen(
        &e,
        ids[1],
        ListenerSpec {
            local_only: true,
            ..all_events("m")
        },
    );
    for (k, who) in [("a", "bob"), ("b", "alice"), ("c", "alice"), ("d", "carol")] {
        e.set("m", &s(k), &demo(1, who), -1, -1).expect("set");
    }
    e.remove("m", &s("b")).expect("remove");
    assert_eq!(drain(&mut by_key).len(), 1);
    let pred_events = drain(&mut by_pred);
    assert_eq!(
        pred_events.len(),
        3,
        "added b, added c, removed b (old value tested)"
    );
    assert!(
        pred_events
            .iter()
            .all(|(_, v, o)| v.is_none() && o.is_none())
    );
    assert_eq!(drain(&mut local0).len() + drain(&mut local1).len(), 5);
}

#[test]
fn clear_fires_one_clear_all_event() {
    let (e, _, ids) = cluster(2);
    let mut rx = listen(&e, ids[0], all_events("m"));
    for i in 0..10 {
        e.set("m", &s(&format!("k{i}")), &s("v"), -1, -1)
            .expect("set");
    }
    drain(&mut rx);
    e.clear("m", ids[1]);
    assert_eq!(e.size("m"), 0);
    let mut got = Vec::new();
    while let Ok(ev) = rx.try_recv() {
        got.push(ev);
    }
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].event_type, got[0].affected_entries),
        (event_type::CLEAR_ALL, 10)
    );
}

#[test]
fn map_level_ttl_applies_to_writes_without_a_ttl() {
    let clock = ManualClock::new(START);
    let e = Engine::new(EngineConfig {
        map_configs: vec![MapConfig::new("ttl-*").with_ttl_seconds(10)],
        clock: Arc::new(clock.clone()),
        ..EngineConfig::default()
    });
    e.add_member();
    e.put("ttl-m", &s("a"), &s("v"), -1, -1).expect("put");
    e.put("ttl-m", &s("b"), &s("v"), 0, -1).expect("put ttl 0");
    e.put("ttl-m", &s("c"), &s("v"), 2000, -1)
        .expect("put ttl 2");
    let view = |k: &str| e.get_entry_view("ttl-m", &s(k)).expect("v").value;
    assert_eq!(view("a").map(|v| v.ttl), Some(10_000));
    assert_eq!(view("b").map(|v| v.ttl), Some(INFINITE));
    at(&clock, 2000);
    assert!(view("c").is_none());
    at(&clock, 10_000);
    assert!(view("a").is_none());
    assert!(view("b").is_some());
}
