//! Read your writes: two "servers" share one store, each keeping its own copies of the
//! records it saw (a local cache no event ever refreshes, the worst case), and a client
//! moves between them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;

use super::*;
use crate::{
    ManualClock, MemorySessionRepository, RepositoryError, SessionConfig, SessionData,
    SessionEventStream, SessionRecord, SessionRepository,
};

/// One server's view of the shared store: loads are served from the copy it kept, as
/// stale as can be, except where the client named a later write. Touches within a save
/// are skipped, as the Hazelcast store skips small ones.
struct StaleCopies {
    store: Arc<MemorySessionRepository>,
    copies: Mutex<HashMap<String, SessionRecord>>,
    config: SessionConfig,
}

impl StaleCopies {
    fn new(store: &Arc<MemorySessionRepository>) -> Self {
        Self {
            store: Arc::clone(store),
            copies: Mutex::default(),
            config: SessionConfig::default(),
        }
    }

    fn copy(&self, id: &str) -> Option<SessionRecord> {
        self.copies.lock().unwrap().get(id).cloned()
    }

    async fn refresh(&self, id: &str) -> Result<Option<SessionData>, RepositoryError> {
        let Some(found) = self.store.find_by_id(id).await? else {
            self.copies.lock().unwrap().remove(id);
            return Ok(None);
        };
        let record = found.delta().record;
        self.copies
            .lock()
            .unwrap()
            .insert(id.to_owned(), record.clone());
        Ok(Some(self.config.load_session(record)))
    }
}

#[async_trait]
impl SessionRepository for StaleCopies {
    async fn create(&self) -> Result<SessionData, RepositoryError> {
        self.store.create().await
    }

    async fn save(&self, session: &SessionData) -> Result<(), RepositoryError> {
        if let Some(touch) = session.pending_touch() {
            session.mark_touched(&touch, false);
            return Ok(());
        }
        self.store.save(session).await?;
        self.refresh(&session.id()).await?;
        Ok(())
    }

    async fn find_by_id(&self, id: &str) -> Result<Option<SessionData>, RepositoryError> {
        match self.copy(id) {
            Some(record) => Ok(Some(self.config.load_session(record))),
            None => self.refresh(id).await,
        }
    }

    async fn delete_by_id(&self, id: &str) -> Result<(), RepositoryError> {
        self.copies.lock().unwrap().remove(id);
        self.store.delete_by_id(id).await
    }

    fn subscribe(&self) -> SessionEventStream {
        self.store.subscribe()
    }

    fn may_serve_stale(&self) -> bool {
        true
    }

    async fn find_by_id_written_since(
        &self,
        id: &str,
        since: SystemTime,
    ) -> Result<Option<SessionData>, RepositoryError> {
        match self.copy(id) {
            Some(record) if record.last_accessed_time >= since => {
                Ok(Some(self.config.load_session(record)))
            }
            _ => self.refresh(id).await,
        }
    }
}

struct Servers {
    a: SessionManager,
    b: SessionManager,
    clock: ManualClock,
}

fn servers() -> Servers {
    let store = Arc::new(MemorySessionRepository::new());
    let clock = ManualClock::new(SystemTime::now());
    let manager = |repo: StaleCopies| SessionManager::new(repo).with_clock(clock.clone());
    Servers {
        a: manager(StaleCopies::new(&store)),
        b: manager(StaleCopies::new(&store)),
        clock,
    }
}

/// The `name=value` pairs of a response's `Set-Cookie`s, by name.
fn pairs(update: &ResponseUpdate) -> HashMap<String, String> {
    update
        .set_cookies
        .iter()
        .filter_map(|c| c.split(';').next()?.split_once('='))
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect()
}

/// A browser's cookie jar.
#[derive(Default)]
struct Jar(HashMap<String, String>);

impl Jar {
    fn take(&mut self, update: &ResponseUpdate) {
        for (name, value) in pairs(update) {
            if value.is_empty() {
                self.0.remove(&name);
            } else {
                self.0.insert(name, value);
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn without(&self, name: &str) -> String {
        self.0
            .iter()
            .filter(|(n, _)| *n != name)
            .map(|(n, v)| format!("{n}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

fn request(header: &str) -> RequestIds<'_> {
    RequestIds {
        cookie_headers: vec![header.as_bytes()],
        ..RequestIds::default()
    }
}

async fn set_basket(manager: &SessionManager, jar: &mut Jar, basket: u32) -> ResponseUpdate {
    let header = jar.header();
    let session = manager.begin(&request(&header));
    session.insert("basket", &basket).await.unwrap();
    let update = session.commit().await.unwrap();
    jar.take(&update);
    update
}

async fn basket(manager: &SessionManager, header: &str) -> (Option<u32>, ResponseUpdate) {
    let session = manager.begin(&request(header));
    let basket = session.get::<u32>("basket").await.unwrap();
    (basket, session.commit().await.unwrap())
}

#[tokio::test]
async fn a_change_on_one_server_is_read_by_the_next_request_on_another() {
    let s = servers();
    let mut jar = Jar::default();
    let update = set_basket(&s.a, &mut jar, 1).await;
    let written = pairs(&update);
    assert!(written.contains_key("SESSION"));
    let first = written
        .get("SESSION_WRITTEN")
        .expect("a write sets the cookie");
    assert!(
        update
            .set_cookies
            .iter()
            .any(|c| c.starts_with("SESSION_WRITTEN=")
                && c.ends_with("; Path=/; HttpOnly; SameSite=Lax")),
        "the session cookie's attributes: {:?}",
        update.set_cookies
    );

    // B keeps its first copy; a read-only request sets no cookie.
    s.clock.advance(Duration::from_secs(1));
    let (seen, update) = basket(&s.b, &jar.header()).await;
    assert_eq!(seen, Some(1));
    assert!(update.is_empty(), "a read writes nothing: {update:?}");

    // A changes the basket; B's copy is now stale.
    s.clock.advance(Duration::from_secs(1));
    let update = set_basket(&s.a, &mut jar, 2).await;
    let second = pairs(&update)
        .remove("SESSION_WRITTEN")
        .expect("a new write time");
    assert!(second.parse::<u64>().unwrap() > first.parse::<u64>().unwrap());
    assert!(!pairs(&update).contains_key("SESSION"), "same id");

    s.clock.advance(Duration::from_secs(1));
    // Without the cookie B serves its stale copy (what this guards against)...
    let (seen, _) = basket(&s.b, &jar.without("SESSION_WRITTEN")).await;
    assert_eq!(seen, Some(1));
    // ...with it, the client's own write.
    let (seen, update) = basket(&s.b, &jar.header()).await;
    assert_eq!(seen, Some(2));
    assert!(
        update.is_empty(),
        "the cookie already names the stored write"
    );
}

#[tokio::test]
async fn a_save_that_writes_nothing_keeps_the_cookie() {
    let s = servers();
    let mut jar = Jar::default();
    set_basket(&s.a, &mut jar, 1).await;
    let before = jar.0.get("SESSION_WRITTEN").cloned();
    s.clock.advance(Duration::from_secs(1));
    // Only the last access moved, and the store skips it: nothing written, no cookie.
    let (seen, update) = basket(&s.a, &jar.header()).await;
    assert_eq!(seen, Some(1));
    assert!(update.is_empty(), "{update:?}");
    assert_eq!(jar.0.get("SESSION_WRITTEN").cloned(), before);
}

#[tokio::test]
async fn bad_or_future_cookie_values_are_harmless() {
    let s = servers();
    let mut jar = Jar::default();
    set_basket(&s.a, &mut jar, 1).await;
    let session = jar.without("SESSION_WRITTEN");
    let stored = jar.0["SESSION_WRITTEN"].clone();
    for bad in ["x", "", "-1", "1e3", "99999999999999999999999", "١٢٣"] {
        let header = format!("{session}; SESSION_WRITTEN={bad}");
        let (seen, update) = basket(&s.b, &header).await;
        assert_eq!(seen, Some(1), "{bad:?}");
        assert!(update.is_empty(), "{bad:?} is ignored: {update:?}");
    }
    // A time later than anything stored: read from the store, and the cookie corrected.
    let header = format!("{session}; SESSION_WRITTEN=999999999999999");
    let (seen, update) = basket(&s.b, &header).await;
    assert_eq!(seen, Some(1));
    assert_eq!(pairs(&update).get("SESSION_WRITTEN"), Some(&stored));
}

#[tokio::test]
async fn logout_drops_the_cookie() {
    let s = servers();
    let mut jar = Jar::default();
    set_basket(&s.a, &mut jar, 1).await;
    let header = jar.header();
    let session = s.b.begin(&request(&header));
    session.logout().await.unwrap();
    let update = session.commit().await.unwrap();
    let dropped = pairs(&update);
    assert_eq!(dropped.get("SESSION").map(String::as_str), Some(""));
    assert_eq!(dropped.get("SESSION_WRITTEN").map(String::as_str), Some(""));
}

#[tokio::test]
async fn off_when_switched_off_or_not_needed() {
    let store = Arc::new(MemorySessionRepository::new());
    let off = SessionManager::new(StaleCopies::new(&store)).with_read_your_writes(false);
    let memory = SessionManager::from_shared(store.clone());
    let header_ids =
        SessionManager::new(StaleCopies::new(&store)).with_resolver(IdResolver::header());
    assert!(!off.reads_your_writes());
    assert!(
        !memory.reads_your_writes(),
        "the memory store is never stale"
    );
    assert!(!header_ids.reads_your_writes(), "no cookie to carry it");
    for manager in [off, memory, header_ids] {
        let session = manager.begin(&RequestIds::default());
        session.insert("basket", &1u32).await.unwrap();
        let update = session.commit().await.unwrap();
        assert!(
            !update.set_cookies.iter().any(|c| c.contains("_WRITTEN")),
            "{update:?}"
        );
    }
    let on = SessionManager::new(StaleCopies::new(&store)).with_resolver(IdResolver::Cookie(
        CookieConfig::default().with_name("SHOP"),
    ));
    assert!(on.reads_your_writes());
    let session = on.begin(&RequestIds::default());
    session.insert("basket", &1u32).await.unwrap();
    let update = session.commit().await.unwrap();
    assert!(pairs(&update).contains_key("SHOP_WRITTEN"), "{update:?}");
}
