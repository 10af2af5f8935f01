//! Concurrent writers of one session and a member crash under load, on the test member
//! and on real members.
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
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use common::Backend;
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

async fn two_writers_of_different_attributes_lose_nothing(backend: Backend) {
    let members = backend.shared(3).await;
    // Two repositories (two clients), as two application instances.
    let a = common::builder_for(&members, "writers")
        .build()
        .await
        .expect("a");
    let b = common::builder_for(&members, "writers")
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
    // Each round is at least one compare-and-set per writer (the load is a local cache
    // hit unless the other writer changed the session); retries show up as more.
    assert!(ops >= 2 * ROUNDS as u64, "{ops} invocations");
}

on_both_backends!(
    two_writers_of_different_attributes_lose_nothing => writers_2x1000_test_member,
    writers_2x1000_real_member
);

async fn repo_save(repo: &HazelcastSessionRepository, s: &session_core::SessionData) {
    repo.save(s).await.expect("save");
}

/// Four request loops create 600 sessions; one of three members crashes (`kill -9` of a
/// real one) after the first 100 were acknowledged. At most the requests in flight on the
/// crashed member's connection fail; every acknowledged session is found afterwards. On a
/// real member writes whose backup lived on the crashed member wait for the backup-ack
/// timeout (5 s) and then succeed (facts 9.2, 11.1).
async fn member_crash_during_a_request_storm_loses_no_session(backend: Backend) {
    let members = backend.start(3, "storm").await;
    let repo = common::builder_for(&members, "storm") // backup count 1 (the default)
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
    let started = std::time::Instant::now();
    while acknowledged.lock().expect("lock").len() < 100 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "100 saves before the crash"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let crashed_after = acknowledged.lock().expect("lock").len();
    members.kill_member(1).await;
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

on_both_backends!(
    member_crash_during_a_request_storm_loses_no_session => crash_storm_test_member,
    crash_storm_real_member
);

/// Saves answered by a member that crashes before their backup acks arrive: the client
/// reports them as of unknown outcome (the owner may have died before sending the
/// backups), and the repository reads each one back instead of failing or confirming it
/// blindly. The test member keeps its data across a crash, so every read-back finds the
/// write: every save succeeds, and each session holds its change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn saves_answered_by_a_crashed_member_are_read_back() {
    let cluster = hazelcast_test_member::server::TestCluster::start(2)
        .await
        .expect("cluster");
    let repo = common::builder(&cluster, "unconfirmed")
        .build()
        .await
        .expect("repository");
    let mut sessions = Vec::new();
    for _ in 0..16 {
        let s = repo.create().await.expect("create");
        repo.save(&s).await.expect("save");
        sessions.push(
            repo.find_by_id(&s.id())
                .await
                .expect("find")
                .expect("found"),
        );
    }
    for i in 0..2 {
        cluster
            .faults(i)
            .expect("faults")
            .set_withhold_backup_acks(true);
    }
    let saves: Vec<_> = sessions
        .iter()
        .enumerate()
        .map(|(i, s)| {
            s.insert("n", &i).expect("insert");
            let (repo, s) = (repo.clone(), s.clone());
            tokio::spawn(async move { repo.save(&s).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        saves.iter().all(|s| !s.is_finished()),
        "the saves wait for their backup acks"
    );
    cluster.crash_member(1);
    for s in saves {
        tokio::time::timeout(Duration::from_secs(5), s)
            .await
            .expect("no hang")
            .expect("task")
            .expect("the save succeeds");
    }
    let stats = repo.client().stats();
    assert!(stats.unconfirmed_writes > 0, "{stats:?}");
    for (i, s) in sessions.iter().enumerate() {
        let found = repo
            .find_by_id(&s.id())
            .await
            .expect("find")
            .expect("found");
        assert_eq!(found.get::<usize>("n").unwrap(), Some(i));
    }
    eprintln!(
        "unconfirmed writes read back: {}, released backup waits: {}",
        stats.unconfirmed_writes, stats.released_backup_waits
    );
}
