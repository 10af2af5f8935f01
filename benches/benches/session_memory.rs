//! In-memory repository: create / load / save of a session with 20 attributes, and id
//! generation. Run with `cargo bench -p benches --bench session_memory`.

#![allow(
    clippy::unwrap_used,
    reason = "a benchmark stops at the first failure; there is nothing to recover"
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use serde::{Deserialize, Serialize};
use session_core::{
    MemorySessionRepository, RandomIdGenerator, SaveMode, SessionConfig, SessionData,
    SessionIdGenerator, SessionRepository,
};

#[derive(Clone, Serialize, Deserialize)]
struct Basket {
    items: Vec<(u32, u32)>,
    total_cents: u64,
    coupon: Option<String>,
}

/// 20 attributes of the kinds a shop keeps: strings, numbers, flags, lists, a basket.
fn fill(session: &SessionData) {
    let basket = Basket {
        items: vec![(101, 2), (205, 1), (330, 4)],
        total_cents: 12_990,
        coupon: Some("WELCOME10".into()),
    };
    for i in 0..5 {
        session
            .insert(
                &format!("text{i}"),
                &format!("value number {i} of the session"),
            )
            .unwrap();
        session
            .insert(&format!("number{i}"), &(i as i64 * 1_000_003))
            .unwrap();
        session.insert(&format!("flag{i}"), &(i % 2 == 0)).unwrap();
    }
    for i in 0..4 {
        session
            .insert(&format!("recent{i}"), &(0..10u32).collect::<Vec<_>>())
            .unwrap();
    }
    session.insert("basket", &basket).unwrap();
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn ids(c: &mut Criterion) {
    let mut group = c.benchmark_group("session_id");
    let uuid = RandomIdGenerator::uuid();
    let b64 = RandomIdGenerator::base64url();
    group.bench_function("uuid_v4", |b| {
        b.iter(|| black_box(uuid.generate().unwrap()))
    });
    group.bench_function("base64url_256", |b| {
        b.iter(|| black_box(b64.generate().unwrap()))
    });
    group.finish();
}

fn memory(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("memory_repository_20_attributes");

    // Create a session, set 20 attributes, save it. Each created session is deleted
    // outside the measured time so the store does not grow.
    let repo = rt.block_on(async { MemorySessionRepository::new() });
    group.bench_function("create_fill_save", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let repo = repo.clone();
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    let s = repo.create().await.unwrap();
                    fill(&s);
                    repo.save(&s).await.unwrap();
                    total += start.elapsed();
                    repo.delete_by_id(&s.id()).await.unwrap();
                }
                total
            }
        })
    });

    // A store of 10,000 sessions to look up in.
    let (repo, ids) = rt.block_on(async {
        let repo = MemorySessionRepository::new();
        let mut ids = Vec::new();
        for _ in 0..10_000 {
            let s = repo.create().await.unwrap();
            fill(&s);
            repo.save(&s).await.unwrap();
            ids.push(s.id());
        }
        (repo, ids)
    });
    let mut next = 0usize;
    let mut pick = move || {
        next = (next + 7919) % ids.len();
        ids[next].clone()
    };

    group.bench_function("load", |b| {
        b.to_async(&rt).iter(|| {
            let id = pick();
            let repo = repo.clone();
            async move { black_box(repo.find_by_id(&id).await.unwrap().unwrap()) }
        })
    });
    group.bench_function("load_and_read_basket", |b| {
        b.to_async(&rt).iter(|| {
            let id = pick();
            let repo = repo.clone();
            async move {
                let s = repo.find_by_id(&id).await.unwrap().unwrap();
                black_box(s.get::<Basket>("basket").unwrap())
            }
        })
    });
    group.bench_function("load_change_one_save", |b| {
        b.to_async(&rt).iter(|| {
            let id = pick();
            let repo = repo.clone();
            async move {
                let s = repo.find_by_id(&id).await.unwrap().unwrap();
                s.insert("number0", &42i64).unwrap();
                repo.save(&s).await.unwrap();
            }
        })
    });
    group.bench_function("load_save_all_20", |b| {
        b.to_async(&rt).iter(|| {
            let id = pick();
            let repo = repo.clone();
            async move {
                let s = repo.find_by_id(&id).await.unwrap().unwrap();
                s.set_save_mode(SaveMode::Always);
                repo.save(&s).await.unwrap();
            }
        })
    });
    group.finish();

    // The attribute codec alone: 20 attributes encoded with JSON vs postcard.
    let mut group = c.benchmark_group("fill_20_attributes");
    for (name, config) in [
        ("json", SessionConfig::default()),
        (
            "postcard",
            SessionConfig::default().with_codec(session_core::PostcardCodec),
        ),
    ] {
        group.bench_function(name, |b| {
            b.iter(|| {
                let s = config.new_session(std::time::SystemTime::now()).unwrap();
                fill(&s);
                black_box(s)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, ids, memory);
criterion_main!(benches);
