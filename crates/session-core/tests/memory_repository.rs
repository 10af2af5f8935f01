//! The in-memory repository: the conformance suite plus what only it promises (background
//! purge, bounded memory, capacity limit, purge task lifetime).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::StreamExt;
use session_core::conformance::{self, Capabilities};
use session_core::{
    Clock, IndexedSessionRepository, ManualClock, MemorySessionRepository, RepositoryError,
    SessionConfig, SessionEvent, SessionRepository,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_repository_passes_conformance() {
    let repo = MemorySessionRepository::builder()
        .purge_interval(Duration::from_millis(200))
        .build();
    conformance::run(&repo, &Capabilities::memory()).await;
}

#[tokio::test]
async fn conformance_through_a_shared_trait_object() {
    let repo: Arc<dyn SessionRepository> = Arc::new(MemorySessionRepository::new());
    conformance::check_concurrent_saves(&repo, 32).await;
    conformance::check_principal_index(&repo, &Capabilities::memory()).await;
}

#[tokio::test]
async fn idle_sessions_are_purged_without_any_call() {
    let repo = MemorySessionRepository::builder()
        .purge_interval(Duration::from_millis(50))
        .config(
            SessionConfig::default().with_max_inactive_interval(Some(Duration::from_millis(100))),
        )
        .build();
    let mut events = repo.subscribe();
    for _ in 0..100 {
        let s = repo.create().await.unwrap();
        s.insert("k", "v").unwrap();
        repo.save(&s).await.unwrap();
    }
    assert_eq!(repo.len(), 100);
    // Nobody calls the repository; the purge task must empty it (within 5 s even on a
    // loaded machine; normally within 150 ms).
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !repo.is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        repo.len(),
        0,
        "expired sessions must be removed, not only hidden"
    );
    let mut expired = 0;
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(50), events.next()).await
    {
        if matches!(event, SessionEvent::Expired { .. }) {
            expired += 1;
        }
    }
    assert_eq!(expired, 100);
}

#[tokio::test]
async fn saves_purge_even_without_the_background_task() {
    let clock = ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000));
    let repo = MemorySessionRepository::builder()
        .clock(clock.clone())
        .background_purge(false)
        .config(SessionConfig::default().with_max_inactive_interval(Some(Duration::from_secs(60))))
        .build();
    for _ in 0..50 {
        let s = repo.create().await.unwrap();
        repo.save(&s).await.unwrap();
    }
    clock.advance(Duration::from_secs(61));
    let s = repo.create().await.unwrap();
    repo.save(&s).await.unwrap();
    assert_eq!(repo.len(), 1);
}

#[tokio::test]
async fn expiry_follows_the_clock_exactly() {
    let clock = ManualClock::new(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000));
    let repo = MemorySessionRepository::builder()
        .clock(clock.clone())
        .background_purge(false)
        .build();
    let s = repo.create().await.unwrap();
    s.set_principal_name(Some("alice")).unwrap();
    repo.save(&s).await.unwrap();
    let mut events = repo.subscribe();
    // Default: 30 minutes, as in Spring.
    clock.advance(Duration::from_secs(30 * 60 - 1));
    let found = repo.find_by_id(&s.id()).await.unwrap().unwrap();
    // An access saved at 29:59 keeps it for another 30 minutes.
    found.set_last_accessed_time(clock.now());
    repo.save(&found).await.unwrap();
    clock.advance(Duration::from_secs(30 * 60 - 1));
    assert!(repo.find_by_id(&s.id()).await.unwrap().is_some());
    assert_eq!(repo.find_by_principal_name("alice").await.unwrap().len(), 1);
    clock.advance(Duration::from_secs(1));
    assert!(
        repo.find_by_principal_name("alice")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(repo.find_by_id(&s.id()).await.unwrap().is_none());
    assert_eq!(repo.len(), 0);
    assert_eq!(
        events.next().await,
        Some(SessionEvent::Expired { id: s.id() })
    );
}

#[tokio::test]
async fn capacity_limit_refuses_new_sessions_only() {
    let repo = MemorySessionRepository::builder().max_sessions(2).build();
    let a = repo.create().await.unwrap();
    let b = repo.create().await.unwrap();
    let c = repo.create().await.unwrap();
    repo.save(&a).await.unwrap();
    repo.save(&b).await.unwrap();
    assert!(matches!(
        repo.save(&c).await,
        Err(RepositoryError::CapacityExceeded { limit: 2 })
    ));
    assert!(c.is_new(), "a refused session stays unsaved");
    a.insert("x", &1).unwrap();
    repo.save(&a).await.unwrap();
    repo.delete_by_id(&b.id()).await.unwrap();
    repo.save(&c).await.unwrap();
}

#[tokio::test]
async fn purge_task_stops_when_the_repository_is_dropped() {
    let repo = MemorySessionRepository::builder()
        .purge_interval(Duration::from_millis(10))
        .build();
    let mut events = repo.subscribe();
    let metrics = tokio::runtime::Handle::current().metrics();
    assert_eq!(metrics.num_alive_tasks(), 1);
    drop(repo);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        metrics.num_alive_tasks(),
        0,
        "the purge task outlived the repository"
    );
    assert_eq!(
        events.next().await,
        None,
        "the event stream ends with the repository"
    );
}

#[tokio::test]
async fn concurrent_saves_from_many_tasks_lose_nothing() {
    let repo = MemorySessionRepository::new();
    let s = repo.create().await.unwrap();
    repo.save(&s).await.unwrap();
    let id = s.id();
    let mut tasks = Vec::new();
    for worker in 0..4 {
        let repo = repo.clone();
        let id = id.clone();
        tasks.push(tokio::spawn(async move {
            for round in 0..100 {
                let copy = repo.find_by_id(&id).await.unwrap().unwrap();
                copy.insert(&format!("w{worker}-{round}"), &round).unwrap();
                repo.save(&copy).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let merged = repo.find_by_id(&id).await.unwrap().unwrap();
    assert_eq!(merged.attribute_names().len(), 400);
}
