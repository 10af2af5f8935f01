//! Concurrent writers of one session and a member crash under load.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hazelcast_test_member::server::TestCluster;
use session_core::SessionRepository;
use session_hazelcast::HazelcastSessionRepository;

const ROUNDS: i64 = 1000;

/// One writer: `ROUNDS` requests that each load the session and set `attr` to the round.
async fn writer(repo: HazelcastSessionRepository, id: String, attr: &'static str) -> u64 {
    for round in 0..ROUNDS {
        let s = repo
            .find_by_id(&id)
            .await
            .expect("load")
            .expect("the session exists");
        s.insert(attr, &round).expect("insert");
        repo.save(&s).await.expect("save (conflicts are retried)");
    }
    repo.client().stats().invocations
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_writers_of_different_attributes_lose_nothing() {
    let cluster = TestCluster::start(3).await.expect("cluster");
    // Two repositories (two clients), as two application instances.
    let a = common::builder(&cluster, "writers")
        .build()
        .await
        .expect("a");
    let b = common::builder(&cluster, "writers")
        .build()
        .await
        .expect("b");
    let s = a.create().await.unwrap();
    repo_save(&a, &s).await;
    let id = s.id();
    let (ia, ib) = tokio::join!(
        tokio::spawn(writer(a.clone(), id.clone(), "a")),
        tokio::spawn(writer(b.clone(), id.clone(), "b")),
    );
    let ops = ia.unwrap() + ib.unwrap();
    eprintln!("writers: {ops} invocations for {} rounds each", ROUNDS);
    let last = a.find_by_id(&id).await.unwrap().expect("still there");
    assert_eq!(last.get::<i64>("a").unwrap(), Some(ROUNDS - 1));
    assert_eq!(last.get::<i64>("b").unwrap(), Some(ROUNDS - 1));
    // Each round is a load and at least one compare-and-set; retries show up as more.
    assert!(ops >= 4 * ROUNDS as u64, "{ops} invocations");
}

async fn repo_save(repo: &HazelcastSessionRepository, s: &session_core::Session) {
    repo.save(s).await.expect("save");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn member_crash_during_a_request_storm_loses_no_session() {
    let cluster = TestCluster::start(3).await.expect("cluster");
    let repo = common::builder(&cluster, "storm") // backup count 1 (the default)
        .build()
        .await
        .expect("repository");
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::new()));
    let failed = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for t in 0..4 {
        let (repo, acknowledged, failed) = (repo.clone(), acknowledged.clone(), failed.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..150 {
                let s = repo.create().await.expect("create");
                s.insert("n", &(t * 1000 + i)).expect("insert");
                match repo.save(&s).await {
                    Ok(()) => acknowledged
                        .lock()
                        .expect("lock")
                        .push((s.id(), t * 1000 + i)),
                    Err(_) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(150)).await;
    let crashed_after = acknowledged.lock().expect("lock").len();
    cluster.crash_member(1);
    for t in tasks {
        t.await.expect("task");
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    let mut lost = 0;
    for (id, n) in &acknowledged {
        match repo.find_by_id(id).await.expect("find") {
            Some(s) if s.get::<i32>("n").unwrap() == Some(*n) => {}
            _ => lost += 1,
        }
    }
    let failed = failed.load(Ordering::Relaxed);
    eprintln!(
        "storm: {} acknowledged, {failed} failed, {lost} lost; crash after {} saves",
        acknowledged.len(),
        crashed_after
    );
    assert!(acknowledged.len() as u64 + failed == 600);
    assert!(
        acknowledged.len() >= 590,
        "{} acknowledged, {failed} failed",
        acknowledged.len()
    );
    assert_eq!(
        lost,
        0,
        "sessions lost of {} acknowledged",
        acknowledged.len()
    );
}
