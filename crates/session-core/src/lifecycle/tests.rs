//! Lifecycle tests against the in-memory repository.

use std::sync::Arc;
use std::time::Duration;

use super::testing::CountingRepository;
use super::*;
use crate::{FlushMode, MemorySessionRepository, SessionConfig, SessionRepository};

type Repo = Arc<CountingRepository<MemorySessionRepository>>;

fn setup() -> (Repo, SessionManager) {
    let repo = CountingRepository::new(MemorySessionRepository::new());
    let manager = SessionManager::from_shared(repo.clone());
    (repo, manager)
}

fn cookie_pair(update: &ResponseUpdate) -> String {
    update.set_cookies[0]
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn with_cookie(cookie: &str) -> RequestIds<'_> {
    RequestIds {
        cookie_headers: vec![cookie.as_bytes()],
        ..RequestIds::default()
    }
}

fn id_of(pair: &str) -> String {
    let value = pair.strip_prefix("SESSION=").unwrap_or_default();
    CookieConfig::default()
        .decode_value(value)
        .unwrap_or_default()
}

#[tokio::test]
async fn untouched_request_costs_nothing() {
    let (repo, manager) = setup();
    let cookie = format!(
        "SESSION={}",
        CookieConfig::default().encode_value("some-id")
    );
    let session = manager.begin(&with_cookie(&cookie));
    assert!(session.has_requested_id());
    assert!(session.commit().await.unwrap().is_empty());
    assert_eq!(repo.calls(), 0);
}

#[tokio::test]
async fn session_round_trip_and_same_id_writes_no_cookie() {
    let (repo, manager) = setup();
    let first = manager.begin(&RequestIds::default());
    first.insert("basket", &vec![1u32]).await.unwrap();
    let update = first.commit().await.unwrap();
    assert_eq!(update.set_cookies.len(), 1);
    let pair = cookie_pair(&update);
    let id = id_of(&pair);
    assert!(repo.inner().len() == 1);

    let second = manager.begin(&with_cookie(&pair));
    assert_eq!(
        second.get::<Vec<u32>>("basket").await.unwrap(),
        Some(vec![1])
    );
    assert_eq!(second.id().await.unwrap(), Some(id));
    assert!(second.commit().await.unwrap().is_empty());
}

#[tokio::test]
async fn bad_input_reads_as_no_session_and_never_adopts_an_id() {
    let (repo, manager) = setup();
    let c = CookieConfig::default();
    let unknown = "0f4b6e3a-6a3c-4c1e-9d55-2b8f3f0a9d11";
    let oversized = format!("SESSION={}", "QUFB".repeat(2000));
    let long_id = format!("SESSION={}", c.encode_value(&"a".repeat(500)));
    let unknown_cookie = format!("SESSION={}", c.encode_value(unknown));
    let cases: Vec<Vec<&str>> = vec![
        vec!["SESSION=!!!not-base64"],
        vec!["SESSION=YWJ"],
        vec![&oversized],
        vec![&long_id],
        vec!["SESSION=IA=="], // a space
        vec!["SESSION=; other=1"],
        vec!["SESSION=YQ==", "SESSION=Yg=="],
        vec![&unknown_cookie],
    ];
    for cookies in cases {
        let request = RequestIds {
            cookie_headers: cookies.iter().map(|c| c.as_bytes()).collect(),
            ..RequestIds::default()
        };
        let session = manager.begin(&request);
        assert!(session.load().await.unwrap().is_none(), "{cookies:?}");
        session.insert("x", &1).await.unwrap();
        let update = session.commit().await.unwrap();
        let id = id_of(&cookie_pair(&update));
        assert_ne!(id, unknown);
        assert!(crate::is_valid_session_id(&id));
    }
    assert!(repo.inner().find_by_id(unknown).await.unwrap().is_none());
}

#[tokio::test]
async fn login_changes_id_and_logout_expires_cookie() {
    let (repo, manager) = setup();
    let first = manager.begin(&RequestIds::default());
    first.insert("basket", &vec![3u32]).await.unwrap();
    let before = cookie_pair(&first.commit().await.unwrap());

    let login = manager.begin(&with_cookie(&before));
    let new_id = login.login("user").await.unwrap();
    let after = cookie_pair(&login.commit().await.unwrap());
    assert_eq!(id_of(&after), new_id);
    assert_ne!(id_of(&before), new_id);
    assert!(
        repo.inner()
            .find_by_id(&id_of(&before))
            .await
            .unwrap()
            .is_none()
    );

    let page = manager.begin(&with_cookie(&after));
    assert_eq!(
        page.principal_name().await.unwrap().as_deref(),
        Some("user")
    );
    assert_eq!(page.get::<Vec<u32>>("basket").await.unwrap(), Some(vec![3]));
    page.commit().await.unwrap();

    let logout = manager.begin(&with_cookie(&after));
    logout.logout().await.unwrap();
    let update = logout.commit().await.unwrap();
    assert!(update.set_cookies[0].starts_with("SESSION=; Max-Age=0;"));
    assert!(repo.inner().is_empty());
}

#[tokio::test]
async fn concurrent_sessions_expire_oldest_or_refuse() {
    for policy in [WhenExceeded::ExpireOldest, WhenExceeded::RefuseNewLogin] {
        let (repo, manager) = setup();
        let manager =
            manager.with_concurrent_sessions(ConcurrentSessions::at_most(2).when_exceeded(policy));
        let mut ids = Vec::new();
        for _ in 0..2 {
            let s = manager.begin(&RequestIds::default());
            ids.push(s.login("user").await.unwrap());
            s.commit().await.unwrap();
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let third = manager.begin(&RequestIds::default());
        let result = third.login("user").await;
        let indexed = repo.inner();
        match policy {
            WhenExceeded::ExpireOldest => {
                let id = result.unwrap();
                third.commit().await.unwrap();
                assert!(indexed.find_by_id(&ids[0]).await.unwrap().is_none());
                assert!(indexed.find_by_id(&ids[1]).await.unwrap().is_some());
                assert!(indexed.find_by_id(&id).await.unwrap().is_some());
            }
            _ => {
                assert!(matches!(
                    result,
                    Err(LifecycleError::TooManySessions { max: 2 })
                ));
                // The refused request's fresh session is saved only if it has changes;
                // the other two stay.
                for id in &ids {
                    assert!(indexed.find_by_id(id).await.unwrap().is_some());
                }
            }
        }
        // Another user is not affected.
        let other = manager.begin(&RequestIds::default());
        other.login("user2").await.unwrap();
        other.commit().await.unwrap();
    }
}

#[tokio::test]
async fn header_mode() {
    let (_repo, manager) = setup();
    let manager = manager.with_resolver(IdResolver::header());
    let first = manager.begin(&RequestIds::default());
    first.insert("a", &1).await.unwrap();
    let update = first.commit().await.unwrap();
    assert!(update.set_cookies.is_empty());
    let (name, id) = update.headers[0].clone();
    assert_eq!(name, "X-Auth-Token");

    let request = RequestIds {
        header_values: vec![id.as_bytes()],
        ..RequestIds::default()
    };
    let second = manager.begin(&request);
    assert_eq!(second.get::<i32>("a").await.unwrap(), Some(1));
    assert!(second.commit().await.unwrap().is_empty());

    let third = manager.begin(&request);
    third.logout().await.unwrap();
    let update = third.commit().await.unwrap();
    assert_eq!(
        update.headers,
        vec![("X-Auth-Token".to_owned(), String::new())]
    );
}

#[tokio::test]
async fn store_failure_policies() {
    let (repo, manager) = setup();
    let first = manager.begin(&RequestIds::default());
    first.insert("a", &1).await.unwrap();
    let pair = cookie_pair(&first.commit().await.unwrap());
    repo.set_failing(true);

    let failing = manager.begin(&with_cookie(&pair));
    assert!(failing.load().await.unwrap_err().is_store_failure());
    assert!(matches!(
        failing.insert("b", &2).await,
        Err(LifecycleError::StoreFailedEarlier)
    ));
    assert!(failing.commit().await.unwrap_err().is_store_failure());

    let lenient = manager.with_store_failure_policy(StoreFailurePolicy::ContinueWithFreshSession);
    let carry_on = lenient.begin(&with_cookie(&pair));
    assert!(carry_on.load().await.unwrap().is_none());
    assert!(carry_on.commit().await.unwrap().is_empty());

    // A login whose save fails sends no cookie for the id the store never got.
    repo.set_failing(false);
    let login = lenient.begin(&with_cookie(&pair));
    assert!(login.load().await.unwrap().is_some());
    login.login("user").await.unwrap();
    repo.set_failing(true);
    assert!(login.commit().await.unwrap().is_empty());
    repo.set_failing(false);
    let again = lenient.begin(&with_cookie(&pair));
    assert_eq!(again.get::<i32>("a").await.unwrap(), Some(1));
}

#[tokio::test]
async fn signed_cookies_reject_unsigned_and_forged_values() {
    let (repo, manager) = setup();
    let manager = manager.with_signer(CookieSigner::new([5u8; 32]).unwrap());
    let first = manager.begin(&RequestIds::default());
    first.insert("a", &1).await.unwrap();
    let update = first.commit().await.unwrap();
    let pair = cookie_pair(&update);
    let token = id_of(&pair);
    let (id, _) = token.split_once('.').unwrap();

    let good = manager.begin(&with_cookie(&pair));
    assert_eq!(good.get::<i32>("a").await.unwrap(), Some(1));

    let calls = repo.calls();
    let unsigned = format!("SESSION={}", CookieConfig::default().encode_value(id));
    let forged = manager.begin(&with_cookie(&unsigned));
    assert!(!forged.has_requested_id());
    assert!(forged.load().await.unwrap().is_none());
    assert_eq!(
        repo.calls(),
        calls,
        "a forged cookie never reaches the store"
    );
}

#[tokio::test]
async fn immediate_flush_and_remember_me() {
    let memory = MemorySessionRepository::with_config(
        SessionConfig::default().with_flush_mode(FlushMode::Immediate),
    );
    let repo = CountingRepository::new(memory);
    let manager = SessionManager::from_shared(repo.clone());
    let session = manager.begin(&RequestIds::default());
    session.insert("a", &1).await.unwrap();
    let id = session.id().await.unwrap().unwrap();
    // Stored before the response is committed.
    let stored = repo.inner().find_by_id(&id).await.unwrap().unwrap();
    assert_eq!(stored.get::<i32>("a").unwrap(), Some(1));
    session
        .remember_me(Duration::from_secs(86_400))
        .await
        .unwrap();
    let update = session.commit().await.unwrap();
    assert!(update.set_cookies[0].contains("; Max-Age=86400;"));
    let stored = repo.inner().find_by_id(&id).await.unwrap().unwrap();
    assert_eq!(
        stored.max_inactive_interval(),
        Some(Duration::from_secs(86_400))
    );
}

#[tokio::test]
async fn secure_and_domain_follow_the_request() {
    let (_repo, manager) = setup();
    let manager = manager.with_resolver(IdResolver::Cookie(
        CookieConfig::default()
            .with_domain_pattern(r"^.+?\.(\w+\.[a-z]+)$")
            .unwrap(),
    ));
    let request = RequestIds {
        secure: true,
        host: Some("shop.example.com"),
        ..RequestIds::default()
    };
    let session = manager.begin(&request);
    session.insert("a", &1).await.unwrap();
    let cookie = &session.commit().await.unwrap().set_cookies[0];
    assert!(cookie.ends_with("; Domain=example.com; Path=/; Secure; HttpOnly; SameSite=Lax"));
}

#[tokio::test]
async fn immediate_flush_saves_direct_changes_before_commit() {
    let memory = MemorySessionRepository::with_config(
        SessionConfig::default().with_flush_mode(FlushMode::Immediate),
    );
    let repo = CountingRepository::new(memory);
    let manager = SessionManager::from_shared(repo.clone());
    let lazy = manager.begin(&RequestIds::default());
    let session = lazy.get_or_create().await.unwrap();
    let id = session.id();
    session.insert("direct", &7).unwrap();
    let mut stored = None;
    for _ in 0..200 {
        tokio::task::yield_now().await;
        stored = repo.inner().find_by_id(&id).await.unwrap();
        if stored.is_some() {
            break;
        }
    }
    let stored = stored.expect("saved by the watcher before commit");
    assert_eq!(stored.get::<i32>("direct").unwrap(), Some(7));
    let update = lazy.commit().await.unwrap();
    assert_eq!(update.set_cookies.len(), 1);
    // After commit the watcher is gone: later changes are not written.
    session.insert("late", &1).unwrap();
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    let stored = repo.inner().find_by_id(&id).await.unwrap().unwrap();
    assert_eq!(stored.get::<i32>("late").unwrap(), None);
}

#[tokio::test]
async fn on_save_mode_writes_only_at_commit() {
    let (repo, manager) = setup();
    let lazy = manager.begin(&RequestIds::default());
    let session = lazy.get_or_create().await.unwrap();
    session.insert("a", &1).unwrap();
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    assert!(repo.inner().is_empty());
    lazy.commit().await.unwrap();
    assert_eq!(repo.inner().len(), 1);
}

#[tokio::test]
async fn change_id_and_new_session_after_invalidate() {
    let (repo, manager) = setup();
    let first = manager.begin(&RequestIds::default());
    first.insert("a", &1).await.unwrap();
    let pair = cookie_pair(&first.commit().await.unwrap());
    let old_id = id_of(&pair);

    // change_id: same data, new id, new cookie, old id gone.
    let request = manager.begin(&with_cookie(&pair));
    let new_id = request.change_id().await.unwrap().unwrap();
    assert_ne!(new_id, old_id);
    let pair = cookie_pair(&request.commit().await.unwrap());
    assert_eq!(id_of(&pair), new_id);
    assert!(repo.inner().find_by_id(&old_id).await.unwrap().is_none());
    assert!(repo.inner().find_by_id(&new_id).await.unwrap().is_some());

    // Without a session there is nothing to change.
    let empty = manager.begin(&RequestIds::default());
    assert_eq!(empty.change_id().await.unwrap(), None);
    assert!(empty.commit().await.unwrap().is_empty());

    // Invalidate, then start again in the same request: the old one is deleted and the
    // new one has a fresh id and its own cookie.
    let request = manager.begin(&with_cookie(&pair));
    request.invalidate().await.unwrap();
    assert!(request.load().await.unwrap().is_none());
    request.insert("b", &2).await.unwrap();
    let update = request.commit().await.unwrap();
    assert_eq!(update.set_cookies.len(), 1);
    let fresh = id_of(&cookie_pair(&update));
    assert_ne!(fresh, new_id);
    assert!(repo.inner().find_by_id(&new_id).await.unwrap().is_none());
    let stored = repo.inner().find_by_id(&fresh).await.unwrap().unwrap();
    assert_eq!(stored.get::<i32>("a").unwrap(), None);
    assert_eq!(stored.get::<i32>("b").unwrap(), Some(2));
}
